/* Functional tests of uplinks on simulated hosts (scripts/testbed, through
 * tests/lib/bed.h).  One more simulated host than the lab has, hvS, is a
 * physical switch: an OVS bridge br-sw of its own (the kernel here has no
 * 802.1Q devices) with
 * - up0, a trunk, the far end of a veth whose near end, eth1 in hv1, is
 *   the uplink's interface; eth1 keeps an address of hv1's own
 *   (172.31.1.1/24) and up0 has 172.31.1.2/24, untagged on the same wire;
 * - an access port on VLAN 100 to a device, namespace RUN-dev with
 *   192.168.100.200/24: the lab's network outside;
 * - an access port on VLAN 200 to another device, namespace RUN-ox with
 *   192.168.100.201/24: the same subnet on another VLAN, which must never
 *   meet the lab.
 * The guests must reach the first device and never the second, and hv1
 * must keep its own use of eth1 throughout.  A second wire, eth2 in hv1
 * to up1, an access port of br-sw on VLAN 300 with a device at
 * 10.40.0.200/24 (namespace RUN-dv3), serves an untagged uplink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bed.h"
#include "nstcp.h"
#include "sandbox.h"
#include "xstring.h"

#define DEVICE "192.168.100.200"
#define OTHER_VLAN_DEVICE "192.168.100.201"

/* Runs `ip ARGS` (NULL-terminated); returns its status. */
static int
ip(const char *first, ...)
{
    char *argv[32] = {"ip", (char *)first};
    int n = 2;
    va_list args;
    va_start(args, first);
    const char *a;
    while ((a = va_arg(args, const char *)) && n < 31) {
        argv[n++] = (char *)a;
    }
    va_end(args);
    argv[n] = NULL;
    return sbx_run(argv, NULL);
}

/* A veth 'a' in namespace 'ns_a' to 'b' in 'ns_b', checksum offload off
 * on both ends (the userspace datapath needs whole checksums), both up. */
static int
wire(const char *ns_a, const char *a, const char *ns_b, const char *b)
{
    return ip("link", "add", a, "netns", ns_a, "type", "veth", "peer", "name",
              b, "netns", ns_b, NULL) ||
           sbx_runl(NULL, "ip", "netns", "exec", ns_a, "ethtool", "-K", a,
                    "tx", "off", NULL) ||
           sbx_runl(NULL, "ip", "netns", "exec", ns_b, "ethtool", "-K", b,
                    "tx", "off", NULL) ||
           ip("-n", ns_a, "link", "set", a, "up", NULL) ||
           ip("-n", ns_b, "link", "set", b, "up", NULL);
}

/* A device in a namespace of its own, RUN-'name', with 'addr' on eth0,
 * behind access port 'port' of br-sw on VLAN 'tag'. */
static int
device(struct bed *b, int sw_host, const char *name, const char *addr,
       const char *port, const char *tag)
{
    char ns[64], sw[64], tag_opt[16];
    bed_ns_name(b, name, ns, sizeof ns);
    snprintf(sw, sizeof sw, "%shv%d", b->prefix, sw_host);
    snprintf(tag_opt, sizeof tag_opt, "tag=%s", tag);
    return ip("netns", "add", ns, NULL) || wire(sw, port, ns, "eth0") ||
           ip("-n", ns, "address", "add", addr, "dev", "eth0", NULL) ||
           ip("-n", ns, "link", "set", "lo", "up", NULL) ||
           bed_host_run(b, sw_host, NULL, "ovs-vsctl", "add-port", "br-sw",
                        port, tag_opt, NULL);
}

/* The switch on host hv'sw_host', wired to hv1's eth1. */
static int
make_switch(struct bed *b, int sw_host)
{
    char host[64], sw[64];
    snprintf(host, sizeof host, "%shv1", b->prefix);
    snprintf(sw, sizeof sw, "%shv%d", b->prefix, sw_host);
    int rc =
        bed_host_run(b, sw_host, NULL, "ovs-vsctl", "add-br", "br-sw", "--",
                     "set", "bridge", "br-sw", "datapath_type=netdev", NULL) ||
        wire(host, "eth1", sw, "up0") ||
        ip("-n", host, "address", "add", "172.31.1.1/24", "dev", "eth1",
           NULL) ||
        ip("-n", sw, "address", "add", "172.31.1.2/24", "dev", "up0", NULL) ||
        bed_host_run(b, sw_host, NULL, "ovs-vsctl", "add-port", "br-sw", "up0",
                     NULL) ||
        device(b, sw_host, "dev", DEVICE "/24", "p100", "100") ||
        device(b, sw_host, "ox", OTHER_VLAN_DEVICE "/24", "p200", "200") ||
        wire(host, "eth2", sw, "up1") ||
        bed_host_run(b, sw_host, NULL, "ovs-vsctl", "add-port", "br-sw", "up1",
                     "tag=300", NULL) ||
        device(b, sw_host, "dv3", "10.40.0.200/24", "p300", "300");
    return rc ? -1 : 0;
}

/* A bed of 'n' fabric hosts and the switch. */
static int
setup_n(void **state, int n)
{
    struct bed *b;
    int rc = bed_setup(&b, "ul", n + 1, n, NULL);
    if (!rc && make_switch(b, n + 1)) {
        bed_teardown(b);
        b = NULL;
        rc = -1;
    }
    *state = b;
    return rc;
}

static int
setup1(void **state)
{
    return setup_n(state, 1);
}

static int
setup2(void **state)
{
    return setup_n(state, 2);
}

/* What host hvN's eth1 looks like (its addresses and state). */
static char *
eth1_state(struct bed *b, int n)
{
    char host[64];
    snprintf(host, sizeof host, "%shv%d", b->prefix, n);
    char *out = NULL;
    bed_ns_run(&out, host, "ip", "-br", "address", "show", "dev", "eth1",
               NULL);
    return out;
}

/* The names of the ports on hvN's br-int. */
static char *
bridge_ports(struct bed *b, int n)
{
    char *out = bed_vsctl(b, n, "list-ports", "br-int", NULL);
    return out ? out : strdup("");
}

/* The device at the other end of the uplink, and the guest in 'guest_ns'
 * on the network, reach each other over VLAN 100 (ping, TCP both ways,
 * each side seeing the other's address), and nothing on VLAN 200 does. */
static void
check_traffic(struct bed *b, const char *guest_ns, const char *guest_ip)
{
    char sw[64], ox[64], reply[128];
    bed_ns_name(b, "dev", sw, sizeof sw);
    bed_ns_name(b, "ox", ox, sizeof ox);
    long long t0 = sbx_now_ms();
    assert_true(bed_pings(guest_ns, DEVICE, 20000));
    printf("first ping guest -> device after %lld ms\n", sbx_now_ms() - t0);
    assert_true(bed_pings(sw, guest_ip, 5000));

    assert_true(bed_start_server(b, sw, 7000) > 0);
    assert_true(bed_start_server(b, guest_ns, 80) > 0);
    assert_true(bed_connects(guest_ns, DEVICE, 7000, reply, sizeof reply));
    assert_string_equal(reply, guest_ip);
    assert_true(bed_connects(sw, guest_ip, 80, reply, sizeof reply));
    assert_string_equal(reply, DEVICE);

    /* VLAN 200 of the same wire, same subnet: not the network. */
    assert_false(bed_ping(guest_ns, OTHER_VLAN_DEVICE));
    assert_false(bed_ping(ox, guest_ip));
    assert_false(nstcp_connect(ox, guest_ip, 80, 1000, reply, sizeof reply));
    bed_stop_servers(b);
}

/* The uplink's host keeps its interface: the same addresses, reachable
 * untagged over the same wire while the uplink is there, the interface a
 * port of br-int. */
static void
check_undisturbed(struct bed *b, int n, const char *before)
{
    char host[64], sw_ip[32];
    snprintf(host, sizeof host, "%shv%d", b->prefix, n);
    snprintf(sw_ip, sizeof sw_ip, "172.31.%d.2", n);
    char *now = eth1_state(b, n);
    assert_string_equal(before, now);
    free(now);
    assert_true(bed_pings(host, sw_ip, 5000));
    char *ports = bridge_ports(b, n);
    assert_non_null(strstr(ports, "eth1\n"));
    free(ports);
}

/* After destroy: no port; the interface as it was, still used. */
static void
check_destroyed(struct bed *b, int n, const char *before)
{
    char *out = NULL;
    assert_int_equal(
        bed_fabricctl(b, &out, "topology", "destroy", "--wait=30", NULL), 0);
    free(out);
    char *ports = bridge_ports(b, n);
    assert_null(strstr(ports, "eth1"));
    free(ports);
    char *now = eth1_state(b, n);
    assert_string_equal(before, now);
    free(now);
    char host[64], sw_ip[32];
    snprintf(host, sizeof host, "%shv%d", b->prefix, n);
    snprintf(sw_ip, sizeof sw_ip, "172.31.%d.2", n);
    assert_true(bed_pings(host, sw_ip, 5000));
}

/* The one-host labs: lan on VLAN 100 of hv1's eth1, and another network
 * with a guest pc in both. */
#define LAN_LAB                                                               \
    "name: uplink1\n"                                                         \
    "hosts: [{name: hv1, underlay_mtu: 1600}]\n"                              \
    "networks:\n"                                                             \
    "  - name: lan\n"                                                         \
    "    subnet: 192.168.100.0/24\n"                                          \
    "    mtu: 1500\n"                                                         \
    "    uplinks: [{host: hv1, interface: eth1, vlan: 100}]\n"
#define PC_GUEST(NET, IP)                                                     \
    "guests:\n"                                                               \
    "  - {name: pc, interfaces: [{network: lan, ip: 192.168.100.11},\n"       \
    "                            {network: " NET ", ip: " IP "}]}\n"

/* A lab whose uplink names an interface hv1 does not have: hv1 reports
 * it, and the rest of the lab keeps working. */
static const char missing_lab[] =
    LAN_LAB "  - {name: gone, subnet: 10.41.0.0/24, uplinks: [{interface: "
            "eth9}]}\n" PC_GUEST("gone", "10.41.0.11");

static void
check_missing_interface(struct bed *b, const char *pc)
{
    char *path = sbx_path(b->dir, "missing.yaml");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(missing_lab, f);
    fclose(f);
    char *out = NULL;
    assert_int_equal(bed_fabricctl(b, &out, "topology", "apply", path, NULL),
                     0);
    free(out);
    free(path);
    bool reported = false;
    for (long long end = sbx_now_ms() + 20000; !reported && sbx_now_ms() < end;
         usleep(200 * 1000)) {
        out = NULL;
        bed_fabricctl(b, &out, "status", NULL);
        reported = out && strstr(out, "eth9");
        free(out);
    }
    assert_true(reported);
    /* The guest's new interface is there and lan's uplink works all the
     * same. */
    assert_true(bed_pings(pc, DEVICE, 10000));
    out = NULL;
    for (long long end = sbx_now_ms() + 10000;
         sbx_now_ms() < end && !(out && strstr(out, "10.41.0.11/24"));
         usleep(200 * 1000)) {
        free(out);
        out = NULL;
        bed_ns_run(&out, pc, "ip", "-br", "address", "show", NULL);
    }
    assert_non_null(out);
    assert_non_null(strstr(out, "10.41.0.11/24"));
    free(out);
    /* The flows were installed for the new network, without its uplink. */
    char rd[600];
    snprintf(rd, sizeof rd, "--host-rundir=hv1=%s/hv1", b->bed_dir);
    out = NULL;
    for (long long end = sbx_now_ms() + 10000;
         sbx_now_ms() < end && !(out && strstr(out, "network gone"));
         usleep(200 * 1000)) {
        free(out);
        out = NULL;
        bed_fabricctl(b, &out, "flows", "--host=hv1", rd, "--network=gone",
                      NULL);
    }
    assert_non_null(strstr(out, "network gone"));
    assert_null(strstr(out, "uplink gone"));
    free(out);
}

static const char one_host_lab[] = LAN_LAB
    "  - name: wire\n"
    "    subnet: 10.40.0.0/24\n"
    "    mtu: 1500\n"
    "    uplinks: [{interface: eth2}]\n" PC_GUEST("wire", "10.40.0.11");

static void
test_one_host(void **state)
{
    struct bed *b = *state;
    char *before = eth1_state(b, 1);
    assert_non_null(strstr(before, "172.31.1.1/24"));
    assert_int_equal(bed_apply_text(b, one_host_lab), 0);

    char pc[64];
    bed_guest_ns(b, 1, "pc", pc, sizeof pc);
    check_traffic(b, pc, "192.168.100.11");

    /* The untagged uplink: eth2 is the network's. */
    char dv3[64], reply[128];
    bed_ns_name(b, "dv3", dv3, sizeof dv3);
    assert_true(bed_pings(pc, "10.40.0.200", 10000));
    assert_true(bed_start_server(b, pc, 80) > 0);
    assert_true(bed_connects(dv3, "10.40.0.11", 80, reply, sizeof reply));
    assert_string_equal(reply, "10.40.0.200");
    bed_stop_servers(b);
    /* lan's device is not on wire's wire. */
    assert_false(bed_ping(pc, "10.40.0.201"));

    /* A change of the lab that leaves the uplinks as they are (one more
     * guest) keeps both uplinks' ports: the agent computes the host again
     * without looking at the interfaces again. */
    char *more = xasprintf("%s  - {name: pc9, interfaces: [{network: wire, "
                           "ip: 10.40.0.19}]}\n",
                           one_host_lab);
    assert_int_equal(bed_apply_text(b, more), 0);
    free(more);
    char pc9[64];
    bed_guest_ns(b, 1, "pc9", pc9, sizeof pc9);
    assert_true(bed_pings(pc9, "10.40.0.200", 10000));
    assert_true(bed_pings(pc, DEVICE, 10000));
    assert_int_equal(bed_apply_text(b, one_host_lab), 0);

    /* fabricctl flows names the uplink's flows: in with VLAN 100, out
     * with it (OVS shows the tag as 0x1000 | 100). */
    char rd[600], *out = NULL;
    snprintf(rd, sizeof rd, "--host-rundir=hv1=%s/hv1", b->bed_dir);
    assert_int_equal(bed_fabricctl(b, &out, "flows", "--host=hv1", rd,
                                   "--network=lan", NULL),
                     0);
    if (!strstr(out, "uplink lan hv1:eth1:100") ||
        !strstr(out, "dl_vlan=100") ||
        !strstr(out, "4196->vlan_vid,output:")) {
        fail_msg("flows:\n%s", out);
    }
    free(out);

    check_undisturbed(b, 1, before);
    check_missing_interface(b, pc);
    check_destroyed(b, 1, before);
    free(before);
}

/* The uplink on hv1, the guest on hv2: through the GENEVE tunnel, with
 * hv1 carrying a network of which it runs no guest. */
static const char two_host_lab[] =
    "name: uplink2\n"
    "hosts:\n"
    "  - {name: hv1, underlay: 10.99.0.1, underlay_mtu: 1600}\n"
    "  - {name: hv2, underlay: 10.99.0.2, underlay_mtu: 1600}\n"
    "networks:\n"
    "  - name: lan\n"
    "    subnet: 192.168.100.0/24\n"
    "    mtu: 1500\n"
    "    uplinks: [{host: hv1, interface: eth1, vlan: 100}]\n"
    "guests:\n"
    "  - {name: pc2, host: hv2, interfaces: [{network: lan, ip: "
    "192.168.100.12}]}\n";

static void
test_two_hosts(void **state)
{
    struct bed *b = *state;
    char *before = eth1_state(b, 1);
    assert_int_equal(bed_apply_text(b, two_host_lab), 0);

    char pc2[64];
    bed_guest_ns(b, 2, "pc2", pc2, sizeof pc2);
    check_traffic(b, pc2, "192.168.100.12");
    /* hv1 runs no guest of lan: it carries it for the uplink alone. */
    char *ports = bridge_ports(b, 1);
    assert_non_null(strstr(ports, "gnv"));
    free(ports);
    check_undisturbed(b, 1, before);
    check_destroyed(b, 1, before);
    free(before);
}

int
main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test-uplinks: needs root (namespaces)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_host, setup1,
                                        bed_teardown_state),
        cmocka_unit_test_setup_teardown(test_two_hosts, setup2,
                                        bed_teardown_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
