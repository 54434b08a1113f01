/* Multi-host functional tests of fabricd: simulated hosts from
 * scripts/testbed (each a network namespace with its own Open vSwitch on
 * the userspace datapath, joined by a veth underlay), one fabric DB, one
 * fabricd per host, guests that reach each other across GENEVE tunnels. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent-desired.h"
#include "bed.h"
#include "sandbox.h"

#define TWO_HOSTS FABRIC_SOURCE_DIR "/topologies/two-hosts.yaml"
#define THREE_HOSTS FABRIC_SOURCE_DIR "/tests/data/three-hosts.yaml"
#define ROUTED FABRIC_SOURCE_DIR "/tests/data/routed-two-hosts.yaml"
#define CLASSIC3 FABRIC_SOURCE_DIR "/tests/data/classic-three-hosts.yaml"

static int
setup_n(void **state, int n_hosts)
{
    struct bed *b;
    int rc = bed_setup(&b, "mh", n_hosts, n_hosts, NULL);
    *state = b;
    return rc;
}

static int
setup2(void **state)
{
    return setup_n(state, 2);
}

static int
setup3(void **state)
{
    return setup_n(state, 3);
}

/* The namespace of 'guest': agents on one machine use per-host prefixes
 * ("RUN-hvN-"), so the guest's host is found from the fabric DB. */
static void
guest_netns(struct bed *b, const char *guest, char *ns, size_t size)
{
    char *out = NULL;
    bed_fabricctl(b, &out, "--json", "status", NULL);
    json_t *j = out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    const char *host = "?";
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(j, "guests"), i, g)
    {
        if (!strcmp(json_string_value(json_object_get(g, "name")), guest)) {
            host = json_string_value(json_object_get(g, "host"));
        }
    }
    snprintf(ns, size, "%s%s-%s", b->prefix, host, guest);
    json_decref(j);
}

static bool
ping_once(struct bed *b, const char *guest, const char *ip)
{
    char ns[64];
    guest_netns(b, guest, ns, sizeof ns);
    return bed_ping(ns, ip);
}

static bool
reachable(struct bed *b, const char *guest, const char *ip)
{
    char ns[64];
    guest_netns(b, guest, ns, sizeof ns);
    return bed_reaches(ns, ip);
}

/* The packets host hvN's bridge has sent on its tunnel to host 'remote'
 * (OpenFlow port statistics, which unlike the Interface table's are
 * current), or -1. */
static long
tunnel_tx(struct bed *b, int n, const char *remote)
{
    char port[16], target[600];
    agent_tunnel_port_name(remote, port);
    snprintf(target, sizeof target, "unix:%s/hv%d/br-int.mgmt", b->bed_dir, n);
    char *out = NULL;
    long tx = -1;
    if (bed_host_run(b, n, &out, "ovs-ofctl", "dump-ports", target, port,
                     NULL) == 0 &&
        out) {
        const char *p = strstr(out, "tx pkts=");
        tx = p ? atol(p + strlen("tx pkts=")) : -1;
    }
    free(out);
    return tx;
}

/* iperf3 from guest 'client' to guest 'server' at 'ip' for 3 s; returns
 * the measured Mbit/s, or -1. */
static double
iperf(struct bed *b, const char *server, const char *client, const char *ip)
{
    char sns[64], cns[64];
    guest_netns(b, server, sns, sizeof sns);
    guest_netns(b, client, cns, sizeof cns);
    char pidfile[600];
    snprintf(pidfile, sizeof pidfile, "%s/iperf3.pid", b->dir);
    if (bed_ns_run(NULL, sns, "iperf3", "-s", "-1", "-D", "-I", pidfile,
                   NULL)) {
        return -1;
    }
    usleep(300 * 1000);
    pid_t server_pid = sbx_read_pidfile(pidfile);
    char *out = NULL;
    int rc = bed_ns_run(&out, cns, "iperf3", "-c", ip, "-t", "3", "-J", NULL);
    double mbps = -1;
    json_t *j = rc == 0 && out ? json_loads(out, 0, NULL) : NULL;
    if (j) {
        json_t *sum =
            json_object_get(json_object_get(j, "end"), "sum_received");
        mbps =
            json_number_value(json_object_get(sum, "bits_per_second")) / 1e6;
        json_decref(j);
    } else {
        fprintf(stderr, "iperf3 failed: %s\n", out ? out : "");
    }
    free(out);
    if (server_pid > 0) {
        sbx_kill(server_pid, SIGTERM, 2000);
    }
    return mbps;
}

static json_t *
status_json(struct bed *b)
{
    char *out = NULL;
    if (bed_fabricctl(b, &out, "--json", "status", NULL)) {
        free(out);
        return NULL;
    }
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    return j;
}

static json_t *
host_status(json_t *status, const char *name)
{
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(status, "hosts"), i, h)
    {
        if (!strcmp(json_string_value(json_object_get(h, "name")), name)) {
            return h;
        }
    }
    return NULL;
}

/* "--host-ctl=hvN=PATH" for host hvN's ovs-vswitchd control socket
 * (DIR/hvN/ovs-vswitchd.PID.ctl). */
static void
host_ctl_opt(const struct bed *b, int n, char *opt, size_t size)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/hv%d", b->bed_dir, n);
    snprintf(opt, size, "--host-ctl=hv%d=?", n);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (!strncmp(e->d_name, "ovs-vswitchd.", 13) && len > 4 &&
            !strcmp(e->d_name + len - 4, ".ctl")) {
            snprintf(opt, size, "--host-ctl=hv%d=%s/%s", n, dir, e->d_name);
        }
    }
    if (d) {
        closedir(d);
    }
}

static void
test_two_hosts(void **state)
{
    struct bed *b = *state;
    char *out = NULL;
    long long t0 = sbx_now_ms();
    assert_int_equal(bed_fabricctl(b, &out, "topology", "apply", "--wait=60",
                                   TWO_HOSTS, NULL),
                     0);
    free(out);
    long long applied = sbx_now_ms();
    /* Same network, different hosts: through GENEVE. */
    assert_true(reachable(b, "host01", "172.16.0.2"));
    assert_true(reachable(b, "host04", "172.17.0.1"));
    printf("two hosts: applied in %lld ms, first cross-host ping after "
           "%lld ms\n",
           applied - t0, sbx_now_ms() - t0);
    /* Different networks: isolated at layer 2.  host01 (network1, hv1)
     * gets an address in network2's subnet: were the VLANs not kept
     * apart, its ARP would reach host04 (network2, hv2) and the ping
     * would answer. */
    char ns01[64];
    guest_netns(b, "host01", ns01, sizeof ns01);
    assert_int_equal(sbx_runl(NULL, "ip", "-n", ns01, "address", "add",
                              "172.17.0.99/24", "dev", "eth0", NULL),
                     0);
    assert_false(ping_once(b, "host01", "172.17.0.2"));
    assert_int_equal(sbx_runl(NULL, "ip", "-n", ns01, "address", "del",
                              "172.17.0.99/24", "dev", "eth0", NULL),
                     0);
    /* Port security holds across hosts: host01 with another MAC, or
     * with another guest's address, reaches nobody on hv2. */
    assert_int_equal(sbx_runl(NULL, "ip", "-n", ns01, "link", "set", "eth0",
                              "address", "02:fa:00:00:00:99", NULL),
                     0);
    assert_false(ping_once(b, "host01", "172.16.0.2"));
    assert_int_equal(sbx_runl(NULL, "ip", "-n", ns01, "link", "set", "eth0",
                              "address", "02:fa:6f:95:73:b0", NULL),
                     0);
    assert_int_equal(sbx_runl(NULL, "ip", "-n", ns01, "address", "add",
                              "172.16.0.77/24", "dev", "eth0", NULL),
                     0);
    assert_int_not_equal(bed_ns_run(NULL, ns01, "ping", "-c", "1", "-W", "1",
                                    "-I", "172.16.0.77", "172.16.0.2", NULL),
                         0);
    assert_int_equal(sbx_runl(NULL, "ip", "-n", ns01, "address", "del",
                              "172.16.0.77/24", "dev", "eth0", NULL),
                     0);
    assert_true(reachable(b, "host01", "172.16.0.2"));

    /* Routed by host00, distributed: routed on the sending host, then
     * across the tunnel, one hop (TTL 63). */
    assert_true(reachable(b, "host01", "172.17.0.2"));
    assert_true(reachable(b, "host02", "172.17.0.1"));
    assert_true(reachable(b, "host02", "172.16.0.254"));
    char *ttl = NULL;
    assert_int_equal(bed_ns_run(&ttl, ns01, "ping", "-c", "1", "-W", "2",
                                "172.17.0.2", NULL),
                     0);
    assert_non_null(strstr(ttl, "ttl=63"));
    free(ttl);

    /* traceroute shows the router hop, answered on the sending host. */
    char *tr = NULL;
    assert_int_equal(bed_ns_run(&tr, ns01, "traceroute", "-n", "-N", "1", "-w",
                                "2", "-q", "3", "-m", "3", "172.17.0.2", NULL),
                     0);
    char *hop1 = strstr(tr, "\n 1  ");
    if (!hop1 ||
        strncmp(strstr(hop1, "172.") ? strstr(hop1, "172.") : "",
                "172.16.0.254 ", 13) ||
        !strstr(tr, " 2  172.17.0.2 ")) {
        fail_msg("traceroute:\n%s", tr);
    }
    free(tr);

    /* fabricctl trace follows the routed packet through the tunnel and
     * on hv2 to host04; without hv2's control socket it says where it
     * went. */
    char ctl1[600], ctl2[600];
    host_ctl_opt(b, 1, ctl1, sizeof ctl1);
    host_ctl_opt(b, 2, ctl2, sizeof ctl2);
    assert_int_equal(bed_fabricctl(b, &out, "trace", "host01", "172.17.0.2",
                                   ctl1, ctl2, NULL),
                     0);
    if (!strstr(out, "router host00 network2") ||
        !strstr(out, "through the tunnel to host hv2: in_port=gnv") ||
        !strstr(out, "nw_ttl=63") ||
        !strstr(out, "verdict: delivered by guest host04 eth0")) {
        fail_msg("trace:\n%s", out);
    }
    free(out);
    /* fabricctl flows of the other host, from here. */
    char rd2[600];
    snprintf(rd2, sizeof rd2, "--host-rundir=hv2=%s/hv2", b->bed_dir);
    assert_int_equal(bed_fabricctl(b, &out, "flows", "--host=hv2", rd2,
                                   "--guest=host04", NULL),
                     0);
    assert_non_null(strstr(out, "host hv2:"));
    assert_non_null(strstr(out, "guest host04 eth0"));
    assert_null(strstr(out, "guest host01"));
    free(out);
    assert_int_not_equal(bed_fabricctl(b, &out, "flows", "--host=hv2", NULL),
                         0);
    free(out);
    assert_int_equal(
        bed_fabricctl(b, &out, "trace", "host01", "172.17.0.2", ctl1, NULL),
        0);
    assert_non_null(strstr(out, "--host-ctl=hv2=TARGET"));
    free(out);
    assert_int_equal(bed_fabricctl(b, &out, "--json", "trace", "host01",
                                   "172.16.0.2", ctl1, ctl2, "--tcp=22", NULL),
                     0);
    json_t *tj = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(tj);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(tj, "remote"), "host")),
                        "hv2");
    assert_string_equal(json_string_value(json_object_get(tj, "by")),
                        "guest host02 eth0");
    json_decref(tj);

    /* ovs-vsctl show on each host: VLAN tags and the GENEVE port. */
    for (int n = 1; n <= 2; n++) {
        out = bed_vsctl(b, n, "show", NULL);
        assert_non_null(strstr(out, "type: geneve"));
        assert_non_null(strstr(out, "remote_ip="));
        assert_non_null(strstr(out, "tag: "));
        free(out);
    }

    /* TCP across hosts. */
    double mbps = iperf(b, "host02", "host01", "172.16.0.2");
    printf("two hosts: iperf3 TCP host01 -> host02: %.0f Mbit/s\n", mbps);
    assert_true(mbps > 1.0);

    /* Re-apply changes nothing on any host. */
    char *before1 =
        bed_vsctl(b, 1, "--columns=_version", "list", "interface", NULL);
    char *before2 =
        bed_vsctl(b, 2, "--columns=_version", "list", "interface", NULL);
    assert_int_equal(bed_fabricctl(b, &out, "topology", "apply", "--wait=30",
                                   TWO_HOSTS, NULL),
                     0);
    assert_non_null(strstr(out, "No changes"));
    free(out);
    sleep(1);
    char *after1 =
        bed_vsctl(b, 1, "--columns=_version", "list", "interface", NULL);
    char *after2 =
        bed_vsctl(b, 2, "--columns=_version", "list", "interface", NULL);
    assert_string_equal(before1, after1);
    assert_string_equal(before2, after2);
    free(before1);
    free(before2);
    free(after1);
    free(after2);

    /* BFD brings the tunnels up, and status shows it. */
    bool up = false;
    for (int i = 0; i < 100 && !up; i++) {
        json_t *st = status_json(b);
        json_t *t = json_object_get(host_status(st, "hv1"), "tunnels");
        up = !strcmp(json_string_value(json_object_get(t, "hv2"))
                         ? json_string_value(json_object_get(t, "hv2"))
                         : "",
                     "up");
        json_decref(st);
        if (!up) {
            usleep(100 * 1000);
        }
    }
    assert_true(up);

    /* Destroy: no fabric namespaces, ports or bridges on any host; the
     * test bed's own br-phy stays. */
    assert_int_equal(
        bed_fabricctl(b, &out, "topology", "destroy", "--wait=30", NULL), 0);
    free(out);
    for (int n = 1; n <= 2; n++) {
        out = bed_vsctl(b, n, "list-br", NULL);
        assert_string_equal(out, "br-phy\n");
        free(out);
    }
    char ns[64];
    snprintf(ns, sizeof ns, "/run/netns/%shv1-host01", b->prefix);
    assert_int_not_equal(access(ns, F_OK), 0);
}

/* The classic lab over three hosts: the full reachability matrix (every
 * guest pings every other guest and both gateways), and TCP across the
 * router between hosts. */
static void
test_classic_three_hosts(void **state)
{
    struct bed *b = *state;
    char *out = NULL;
    assert_int_equal(bed_fabricctl(b, &out, "topology", "apply", "--wait=60",
                                   CLASSIC3, NULL),
                     0);
    free(out);
    static const char *const guests[] = {"host01", "host02", "host03",
                                         "host04"};
    static const char *const ips[] = {"172.16.0.1",   "172.16.0.2",
                                      "172.17.0.1",   "172.17.0.2",
                                      "172.16.0.254", "172.17.0.254"};
    int reached = 0;
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 6; j++) {
            if (j == i) {
                continue;
            }
            if (!reachable(b, guests[i], ips[j])) {
                fail_msg("%s cannot reach %s", guests[i], ips[j]);
            }
            reached++;
        }
    }
    assert_int_equal(reached, 20);
    double mbps = iperf(b, "host04", "host01", "172.17.0.2");
    printf("three hosts, classic lab: 20 of 20 pings; iperf3 TCP host01 "
           "(hv1) -> host04 (hv3) across host00: %.0f Mbit/s\n",
           mbps);
    assert_true(mbps > 1.0);
    assert_int_equal(
        bed_fabricctl(b, &out, "topology", "destroy", "--wait=30", NULL), 0);
    free(out);
}

static void
test_three_hosts_and_host_down(void **state)
{
    struct bed *b = *state;
    char *out = NULL;
    assert_int_equal(bed_fabricctl(b, &out, "topology", "apply", "--wait=60",
                                   THREE_HOSTS, NULL),
                     0);
    free(out);
    assert_true(reachable(b, "b1", "10.10.0.2"));
    assert_true(reachable(b, "b1", "10.10.0.3"));
    assert_true(reachable(b, "b2", "10.10.0.3"));
    assert_true(reachable(b, "r1", "10.20.0.3"));
    /* No router joins blue and red: they cannot reach each other. */
    assert_false(ping_once(b, "b1", "10.20.0.1"));
    /* hv2 has no red guest: no tunnel between hv2 and... hv2 shares blue
     * with both, so it has two tunnels; every host has two. */
    for (int n = 1; n <= 3; n++) {
        out = bed_vsctl(b, n, "--columns=type", "list", "interface", NULL);
        int geneve = 0;
        for (char *p = out; (p = strstr(p, "geneve")); p++) {
            geneve++;
        }
        assert_int_equal(geneve, 2);
        free(out);
    }

    /* Flood containment: a burst of broadcasts in red from r1 (hv1) goes
     * to hv3, which has red, and not to hv2, which has none (its tunnel
     * sees only BFD, a packet a second). */
    long hv2_before = tunnel_tx(b, 1, "hv2");
    long hv3_before = tunnel_tx(b, 1, "hv3");
    assert_true(hv2_before >= 0 && hv3_before >= 0);
    char nsr1[64];
    guest_netns(b, "r1", nsr1, sizeof nsr1);
    bed_ns_run(NULL, nsr1, "ping", "-b", "-c", "100", "-i", "0.01", "-W", "1",
               "10.20.0.255", NULL);
    long hv2_sent = tunnel_tx(b, 1, "hv2") - hv2_before;
    long hv3_sent = tunnel_tx(b, 1, "hv3") - hv3_before;
    printf("three hosts: 100 broadcasts in red from hv1: %ld packets on "
           "the tunnel to hv3, %ld to hv2 (BFD only)\n",
           hv3_sent, hv2_sent);
    assert_true(hv3_sent >= 100);
    assert_true(hv2_sent < 20);

    /* Stop hv3's agent and its Open vSwitch: status shows it down. */
    int pid = bed_agent_pid(b, 3);
    assert_true(pid > 0);
    assert_int_equal(sbx_kill(pid, SIGKILL, 5000), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/hv3/ovs-vswitchd.pid", b->bed_dir);
    pid = sbx_read_pidfile(path);
    assert_true(pid > 0);
    assert_int_equal(sbx_kill(pid, SIGKILL, 5000), 0);
    long long t0 = sbx_now_ms();
    bool down = false, bfd_down = false;
    while (sbx_now_ms() - t0 < 30000 && !(down && bfd_down)) {
        json_t *st = status_json(b);
        const char *state3 = json_string_value(
            json_object_get(host_status(st, "hv3"), "state"));
        down = state3 && !strcmp(state3, "down");
        const char *t = json_string_value(json_object_get(
            json_object_get(host_status(st, "hv1"), "tunnels"), "hv3"));
        bfd_down = t && strcmp(t, "up");
        json_decref(st);
        if (!(down && bfd_down)) {
            usleep(200 * 1000);
        }
    }
    printf("three hosts: hv3 shown down after %lld ms (heartbeat), hv1's "
           "BFD to hv3 %s\n",
           sbx_now_ms() - t0, bfd_down ? "not up" : "still up");
    assert_true(down);
    assert_true(bfd_down);
    /* The others still talk. */
    assert_true(reachable(b, "b1", "10.10.0.2"));
}

/* Hosts that share no network but a router: each still gets a tunnel to
 * the other, and traffic is routed on the sending host. */
static void
test_routed_hosts(void **state)
{
    struct bed *b = *state;
    char *out = NULL;
    assert_int_equal(
        bed_fabricctl(b, &out, "topology", "apply", "--wait=60", ROUTED, NULL),
        0);
    free(out);
    assert_true(reachable(b, "l1", "192.168.20.2"));
    assert_true(reachable(b, "r2", "192.168.10.1"));
    assert_true(reachable(b, "l1", "192.168.10.254"));
}

int
main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test-multihost: needs root (namespaces)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_two_hosts, setup2,
                                        bed_teardown_state),
        cmocka_unit_test_setup_teardown(test_routed_hosts, setup2,
                                        bed_teardown_state),
        cmocka_unit_test_setup_teardown(test_classic_three_hosts, setup3,
                                        bed_teardown_state),
        cmocka_unit_test_setup_teardown(test_three_hosts_and_host_down, setup3,
                                        bed_teardown_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
