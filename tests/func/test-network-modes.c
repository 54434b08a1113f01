/* Functional tests of network modes nat, routed and isolated on simulated
 * hosts (scripts/testbed): each host hvN gets an "outside world", a
 * namespace RUN-outN joined to the host by a veth (ext0 in the host,
 * 203.0.113.1/24 on hv1, 198.51.100.1/24 on hv2; the outside end has .2),
 * reachable from the host and not from the fabric.  TCP clients and
 * servers come from tests/lib/nstcp.h: a server answers each connection
 * with the address it came from, so a test sees what source address
 * reached it. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "bed.h"
#include "nstcp.h"
#include "sandbox.h"

/* The outside world of host hvN: namespace RUN-outN, a veth ext0 (host)
 * / eth0 (outside) on NET.1 / NET.2, the outside's default route
 * nowhere.  Names outside the lab go to a resolver there
 * (--dns-upstream=NET.2; a test starts one when it needs it). */
static const char *const outside_nets[] = {"203.0.113", "198.51.100"};

static int
make_outside(struct bed *b, int n)
{
    char out[64], host[64], a[32], c[32];
    snprintf(out, sizeof out, "%sout%d", b->prefix, n);
    snprintf(host, sizeof host, "%shv%d", b->prefix, n);
    snprintf(a, sizeof a, "%s.1/24", outside_nets[n - 1]);
    snprintf(c, sizeof c, "%s.2/24", outside_nets[n - 1]);
    bed_agent_option(b, n, "--dns-upstream=%s.2", outside_nets[n - 1]);
    int rc = sbx_runl(NULL, "ip", "netns", "add", out, NULL);
    rc =
        rc ? rc
           : sbx_runl(NULL, "ip", "link", "add", "ext0", "netns", host, "type",
                      "veth", "peer", "name", "eth0", "netns", out, NULL);
    rc = rc ? rc
            : sbx_runl(NULL, "ip", "-n", host, "address", "add", a, "dev",
                       "ext0", NULL);
    rc = rc ? rc
            : sbx_runl(NULL, "ip", "-n", out, "address", "add", c, "dev",
                       "eth0", NULL);
    rc = rc ? rc
            : sbx_runl(NULL, "ip", "-n", host, "link", "set", "ext0", "up",
                       NULL);
    rc = rc ? rc
            : sbx_runl(NULL, "ip", "-n", out, "link", "set", "eth0", "up",
                       NULL);
    rc = rc ? rc
            : sbx_runl(NULL, "ip", "-n", out, "link", "set", "lo", "up", NULL);
    return rc;
}

static const struct bed_options with_outside = {.prepare = make_outside};

static int
setup1(void **state)
{
    struct bed *b;
    int rc = bed_setup(&b, "nm", 1, 1, &with_outside);
    *state = b;
    return rc;
}

static int
setup2(void **state)
{
    struct bed *b;
    int rc = bed_setup(&b, "nm", 2, 2, &with_outside);
    *state = b;
    return rc;
}

/* What the host's firewall and forwarding look like. */
static char *
host_state(struct bed *b, int n)
{
    char host[64];
    snprintf(host, sizeof host, "%shv%d", b->prefix, n);
    char *rules = NULL, *fwd = NULL;
    bed_ns_run(&rules, host, "nft", "list", "ruleset", NULL);
    bed_ns_run(&fwd, host, "sysctl", "-n", "net.ipv4.ip_forward", NULL);
    char *s;
    if (asprintf(&s, "%sip_forward=%s", rules ? rules : "?", fwd ? fwd : "?") <
        0) {
        abort();
    }
    free(rules);
    free(fwd);
    return s;
}

/* A table of somebody else's in the host, which fabric must leave
 * alone. */
static void
add_foreign_rules(struct bed *b, int n)
{
    char host[64];
    snprintf(host, sizeof host, "%shv%d", b->prefix, n);
    assert_int_equal(
        bed_ns_run(NULL, host, "nft", "add", "table", "ip", "other", NULL), 0);
    assert_int_equal(bed_ns_run(NULL, host, "nft", "add", "chain", "ip",
                                "other", "input", "{", "type", "filter",
                                "hook", "input", "priority", "10", ";",
                                "policy", "accept", ";", "}", NULL),
                     0);
    assert_int_equal(bed_ns_run(NULL, host, "nft", "add", "rule", "ip",
                                "other", "input", "tcp", "dport", "9",
                                "counter", "accept", NULL),
                     0);
}

static const char one_host_lab[] =
    "name: modes\n"
    "hosts: [{name: hv1}]\n"
    "networks:\n"
    "  - name: lan\n"
    "    subnet: 192.168.50.0/24\n"
    "    mode: nat\n"
    "    forwards: [{host_port: 8080, guest: web, port: 80}]\n"
    "  - {name: dmz, subnet: 10.50.0.0/24, mode: routed,"
    " host_ip: 10.50.0.254}\n"
    "  - {name: iso, subnet: 10.60.0.0/24}\n"
    "guests:\n"
    "  - {name: web, interfaces: [{network: lan, ip: 192.168.50.10}]}\n"
    "  - {name: pub, interfaces: [{network: dmz, ip: 10.50.0.10}]}\n"
    "  - {name: db, interfaces: [{network: iso, ip: 10.60.0.20}]}\n";

static void
test_one_host(void **state)
{
    struct bed *b = *state;
    add_foreign_rules(b, 1);
    char *before = host_state(b, 1);
    assert_non_null(strstr(before, "table ip other"));

    long long t0 = sbx_now_ms();
    assert_int_equal(bed_apply_text(b, one_host_lab), 0);
    printf("one host: applied in %lld ms\n", sbx_now_ms() - t0);

    char out1[64], web[64], pub[64], db[64], host[64], reply[128];
    bed_ns_name(b, "out1", out1, sizeof out1);
    bed_ns_name(b, "hv1", host, sizeof host);
    bed_guest_ns(b, 1, "web", web, sizeof web);
    bed_guest_ns(b, 1, "pub", pub, sizeof pub);
    bed_guest_ns(b, 1, "db", db, sizeof db);
    assert_true(bed_start_server(b, out1, 7000) > 0);
    assert_true(bed_start_server(b, web, 80) > 0);
    assert_true(bed_start_server(b, pub, 80) > 0);
    assert_true(bed_start_server(b, db, 80) > 0);

    /* nat: out, seen as the host's own address. */
    assert_true(bed_connects(web, "203.0.113.2", 7000, reply, sizeof reply));
    assert_string_equal(reply, "203.0.113.1");
    /* Nothing outside opens a connection to the guest, even with a
     * route to its subnet through the host. */
    assert_int_equal(sbx_runl(NULL, "ip", "-n", out1, "route", "add",
                              "192.168.50.0/24", "via", "203.0.113.1", NULL),
                     0);
    assert_false(
        nstcp_connect(out1, "192.168.50.10", 80, 1500, reply, sizeof reply));
    /* ...except through the port forward, which keeps the client's
     * address. */
    assert_true(bed_connects(out1, "203.0.113.1", 8080, reply, sizeof reply));
    assert_string_equal(reply, "203.0.113.2");

    /* routed: the guest's own address both ways. */
    assert_int_equal(sbx_runl(NULL, "ip", "-n", out1, "route", "add",
                              "10.50.0.0/24", "via", "203.0.113.1", NULL),
                     0);
    assert_true(bed_connects(pub, "203.0.113.2", 7000, reply, sizeof reply));
    assert_string_equal(reply, "10.50.0.10");
    assert_true(bed_connects(out1, "10.50.0.10", 80, reply, sizeof reply));
    assert_string_equal(reply, "203.0.113.2");
    /* The host reaches the guest directly (its connected route). */
    assert_true(bed_connects(host, "10.50.0.10", 80, reply, sizeof reply));
    assert_string_equal(reply, "10.50.0.254");

    /* isolated: nothing out, even with a route that tries. */
    assert_int_equal(sbx_runl(NULL, "ip", "-n", db, "route", "add", "default",
                              "via", "10.60.0.1", NULL),
                     0);
    assert_false(
        nstcp_connect(db, "203.0.113.2", 7000, 1500, reply, sizeof reply));
    assert_int_equal(sbx_runl(NULL, "ip", "-n", out1, "route", "add",
                              "10.60.0.0/24", "via", "203.0.113.1", NULL),
                     0);
    assert_false(
        nstcp_connect(out1, "10.60.0.20", 80, 1500, reply, sizeof reply));

    /* The host holds fabric's table, and forwarding is on. */
    char *during = host_state(b, 1);
    assert_non_null(strstr(during, "table ip fabric"));
    assert_non_null(strstr(during, "masquerade"));
    assert_non_null(strstr(during, "ip_forward=1"));
    free(during);

    /* TCP throughput through NAT, for the record. */
    char *iperf = NULL;
    pid_t ipid = -1;
    char pidfile[600];
    snprintf(pidfile, sizeof pidfile, "%s/iperf3.pid", b->dir);
    if (!bed_ns_run(NULL, out1, "iperf3", "-s", "-1", "-D", "-I", pidfile,
                    NULL)) {
        usleep(300 * 1000);
        ipid = sbx_read_pidfile(pidfile);
        bed_ns_run(&iperf, web, "iperf3", "-c", "203.0.113.2", "-t", "2", "-J",
                   NULL);
    }
    json_t *j = iperf ? json_loads(iperf, 0, NULL) : NULL;
    double mbps =
        json_number_value(json_object_get(
            json_object_get(json_object_get(j, "end"), "sum_received"),
            "bits_per_second")) /
        1e6;
    printf("one host: iperf3 TCP nat guest -> outside: %.0f Mbit/s\n", mbps);
    json_decref(j);
    free(iperf);
    if (ipid > 0) {
        sbx_kill(ipid, SIGTERM, 2000);
    }
    assert_true(mbps > 1.0);

    /* Destroy: the host's ruleset and forwarding as they were. */
    bed_stop_servers(b);
    char *out = NULL;
    assert_int_equal(
        bed_fabricctl(b, &out, "topology", "destroy", "--wait=30", NULL), 0);
    free(out);
    char *after = host_state(b, 1);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* Two hosts, the modes mixed: each host translates for its own guests. */
static const char two_host_lab[] =
    "name: modes2\n"
    "hosts:\n"
    "  - {name: hv1, underlay: 10.99.0.1, underlay_mtu: 1600}\n"
    "  - {name: hv2, underlay: 10.99.0.2, underlay_mtu: 1600}\n"
    "networks:\n"
    "  - name: lan\n"
    "    subnet: 192.168.50.0/24\n"
    "    mode: nat\n"
    "    forwards: [{host_port: 8080, guest: web2, port: 80}]\n"
    "  - {name: dmz, subnet: 10.50.0.0/24, mode: routed}\n"
    "  - {name: iso, subnet: 10.60.0.0/24}\n"
    "guests:\n"
    "  - {name: web1, host: hv1, interfaces: [{network: lan, ip: "
    "192.168.50.11}]}\n"
    "  - {name: web2, host: hv2, interfaces: [{network: lan, ip: "
    "192.168.50.12}]}\n"
    "  - {name: pub, host: hv2, interfaces: [{network: dmz, ip: "
    "10.50.0.10}]}\n"
    "  - {name: db1, host: hv1, interfaces: [{network: iso, ip: "
    "10.60.0.21}]}\n"
    "  - {name: db2, host: hv2, interfaces: [{network: iso, ip: "
    "10.60.0.22}]}\n";

static void
test_two_hosts(void **state)
{
    struct bed *b = *state;
    char *before1 = host_state(b, 1), *before2 = host_state(b, 2);
    assert_int_equal(bed_apply_text(b, two_host_lab), 0);

    char out1[64], out2[64], web1[64], web2[64], pub[64], db1[64];
    char reply[128];
    bed_ns_name(b, "out1", out1, sizeof out1);
    bed_ns_name(b, "out2", out2, sizeof out2);
    bed_guest_ns(b, 1, "web1", web1, sizeof web1);
    bed_guest_ns(b, 2, "web2", web2, sizeof web2);
    bed_guest_ns(b, 2, "pub", pub, sizeof pub);
    bed_guest_ns(b, 1, "db1", db1, sizeof db1);
    assert_true(bed_start_server(b, out1, 7000) > 0);
    assert_true(bed_start_server(b, out2, 7000) > 0);
    assert_true(bed_start_server(b, web2, 80) > 0);
    assert_true(bed_start_server(b, pub, 80) > 0);
    assert_true(bed_start_server(b, web1, 80) > 0);

    /* The nat network spans both hosts: each guest goes out through its
     * own host, as that host. */
    assert_true(bed_connects(web1, "203.0.113.2", 7000, reply, sizeof reply));
    assert_string_equal(reply, "203.0.113.1");
    assert_true(bed_connects(web2, "198.51.100.2", 7000, reply, sizeof reply));
    assert_string_equal(reply, "198.51.100.1");
    /* No hairpin through the other host: hv2 has no way to hv1's outside
     * world, so neither has its guest. */
    assert_false(
        nstcp_connect(web2, "203.0.113.2", 7000, 1500, reply, sizeof reply));
    /* The guests still reach each other across the tunnel. */
    assert_true(bed_connects(web1, "192.168.50.12", 80, reply, sizeof reply));
    assert_string_equal(reply, "192.168.50.11");
    /* The forward lives on the guest's host. */
    assert_true(bed_connects(out2, "198.51.100.1", 8080, reply, sizeof reply));
    assert_string_equal(reply, "198.51.100.2");
    assert_false(
        nstcp_connect(out1, "203.0.113.1", 8080, 1500, reply, sizeof reply));

    /* routed, on hv2 only. */
    assert_int_equal(sbx_runl(NULL, "ip", "-n", out2, "route", "add",
                              "10.50.0.0/24", "via", "198.51.100.1", NULL),
                     0);
    assert_true(bed_connects(out2, "10.50.0.10", 80, reply, sizeof reply));
    assert_string_equal(reply, "198.51.100.2");
    assert_true(bed_connects(pub, "198.51.100.2", 7000, reply, sizeof reply));
    assert_string_equal(reply, "10.50.0.10");

    /* isolated. */
    assert_int_equal(sbx_runl(NULL, "ip", "-n", db1, "route", "add", "default",
                              "via", "10.60.0.1", NULL),
                     0);
    assert_false(
        nstcp_connect(db1, "203.0.113.2", 7000, 1500, reply, sizeof reply));

    /* hv1 has no dmz guest: no gateway for it there. */
    char *out = NULL;
    assert_int_equal(bed_fabricctl(b, &out, "--json", "status", NULL), 0);
    free(out);
    char hv1[64];
    bed_ns_name(b, "hv1", hv1, sizeof hv1);
    out = NULL;
    bed_ns_run(&out, hv1, "ip", "-4", "address", "show", NULL);
    assert_non_null(strstr(out, "192.168.50.1/24"));
    assert_null(strstr(out, "10.50.0.1/24"));
    free(out);

    bed_stop_servers(b);
    assert_int_equal(
        bed_fabricctl(b, &out, "topology", "destroy", "--wait=30", NULL), 0);
    free(out);
    char *after1 = host_state(b, 1), *after2 = host_state(b, 2);
    assert_string_equal(before1, after1);
    assert_string_equal(before2, after2);
    free(before1);
    free(before2);
    free(after1);
    free(after2);
}

/* DHCP and DNS (lab-services.h) on two hosts, in a lab that mixes the
 * three modes. */
static const char services_lab[] =
    "name: svc\n"
    "hosts:\n"
    "  - {name: hv1, underlay: 10.99.0.1, underlay_mtu: 1600}\n"
    "  - {name: hv2, underlay: 10.99.0.2, underlay_mtu: 1600}\n"
    "networks:\n"
    "  - {name: lan, subnet: 10.70.0.0/24, dhcp: true, mtu: 1400}\n"
    "  - {name: dmz, subnet: 10.71.0.0/24, mode: nat, dhcp: true}\n"
    "  - {name: pub, subnet: 10.72.0.0/24, mode: routed}\n"
    "guests:\n"
    "  - name: g1\n"
    "    host: hv1\n"
    "    interfaces:\n"
    "      - network: lan\n"
    "        ip: 10.70.0.11\n"
    "        routes: [{to: 10.98.0.0/16, via: 10.70.0.1}]\n"
    "  - {name: g2, host: hv2, interfaces: [{network: lan, ip: 10.70.0.12}]}\n"
    "  - {name: w2, host: hv2, interfaces: [{network: dmz, ip: 10.71.0.22}]}\n"
    "  - {name: p1, host: hv1, interfaces: [{network: pub, ip: "
    "10.72.0.31}]}\n";

/* bed_dhcp_lease() in guest 'guest' on hvN. */
static char *
dhcp_lease(struct bed *b, int host, const char *guest)
{
    char ns[64];
    bed_guest_ns(b, host, guest, ns, sizeof ns);
    return bed_dhcp_lease(b, ns);
}

static void
assert_line(const char *text, const char *line)
{
    const char *p = text;
    size_t n = strlen(line);
    while ((p = strstr(p, line))) {
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n])) {
            return;
        }
        p += n;
    }
    fail_msg("no line \"%s\" in:\n%s", line, text);
}

/* busybox nslookup NAME SERVER in guest 'guest' on hvN (its output and
 * errors). */
static char *
nslookup(struct bed *b, int host, const char *guest, const char *name,
         const char *server)
{
    char ns[64];
    bed_guest_ns(b, host, guest, ns, sizeof ns);
    char *out = NULL;
    bed_ns_run(&out, ns, "busybox", "nslookup", "-type=a", name, server, NULL);
    return out ? out : strdup("");
}

static void
test_services(void **state)
{
    struct bed *b = *state;
    assert_int_equal(bed_apply_text(b, services_lab), 0);

    /* g1 on hv1: exactly what the topology declares. lan has no router
     * and no host address: the service is its highest free address. */
    char *lease = dhcp_lease(b, 1, "g1");
    assert_line(lease, "lease.ip=10.70.0.11");
    assert_line(lease, "lease.subnet=255.255.255.0");
    assert_line(lease, "lease.router=");
    assert_line(lease, "lease.dns=10.70.0.254");
    assert_line(lease, "lease.serverid=10.70.0.254");
    assert_line(lease, "lease.mtu=1400");
    assert_line(lease, "lease.staticroutes=10.98.0.0/16 10.70.0.1");
    assert_line(lease, "lease.hostname=g1");
    assert_line(lease, "lease.domain=svc");
    assert_line(lease, "lease.lease=86400");
    free(lease);

    /* g2 on hv2 gets its own from hv2's agent; w2 on the nat network
     * gets the hosts' address as gateway and DNS server. */
    lease = dhcp_lease(b, 2, "g2");
    assert_line(lease, "lease.ip=10.70.0.12");
    assert_line(lease, "lease.mtu=1400");
    free(lease);
    lease = dhcp_lease(b, 2, "w2");
    assert_line(lease, "lease.ip=10.71.0.22");
    assert_line(lease, "lease.router=10.71.0.1");
    assert_line(lease, "lease.dns=10.71.0.1");
    assert_line(lease, "lease.mtu=1542");
    free(lease);

    /* A MAC the topology does not declare gets nothing. */
    char ns[64];
    bed_guest_ns(b, 2, "g2", ns, sizeof ns);
    char *out = NULL;
    assert_int_equal(
        bed_ns_run(&out, ns, "cat", "/sys/class/net/eth0/address", NULL), 0);
    out[strcspn(out, "\n")] = '\0';
    char mac[32];
    snprintf(mac, sizeof mac, "%s", out);
    free(out);
    assert_int_equal(bed_ns_run(NULL, ns, "ip", "link", "set", "eth0",
                                "address", "02:00:00:00:99:99", NULL),
                     0);
    lease = dhcp_lease(b, 2, "g2");
    assert_string_equal(lease, "");
    free(lease);
    assert_int_equal(bed_ns_run(NULL, ns, "ip", "link", "set", "eth0",
                                "address", mac, NULL),
                     0);
    lease = dhcp_lease(b, 2, "g2");
    assert_line(lease, "lease.ip=10.70.0.12");
    free(lease);

    /* Names of the lab, from any host, in any network. */
    out = nslookup(b, 1, "g1", "g2.svc", "10.70.0.254");
    assert_non_null(strstr(out, "Address: 10.70.0.12"));
    free(out);
    out = nslookup(b, 1, "g1", "w2", "10.70.0.254");
    assert_non_null(strstr(out, "Address: 10.71.0.22"));
    free(out);
    out = nslookup(b, 2, "w2", "G1.SVC", "10.71.0.1");
    assert_non_null(strstr(out, "Address: 10.70.0.11"));
    free(out);
    out = nslookup(b, 1, "g1", "nope.svc", "10.70.0.254");
    assert_non_null(strstr(out, "NXDOMAIN"));
    assert_null(strstr(out, "Address: 1"));
    free(out);

    /* Names outside the lab: refused on the isolated network; passed on
     * to the host's resolver (in hv2's outside world) on the nat one. */
    char outside[64];
    bed_ns_name(b, "out2", outside, sizeof outside);
    pid_t dns = nstcp_dns_server_start(outside, "192.0.2.77");
    assert_true(dns > 0);
    out = nslookup(b, 2, "w2", "www.example.test", "10.71.0.1");
    assert_non_null(strstr(out, "Address: 192.0.2.77"));
    free(out);
    out = nslookup(b, 2, "g2", "www.example.test", "10.70.0.254");
    assert_non_null(strstr(out, "REFUSED"));
    assert_null(strstr(out, "192.0.2.77"));
    free(out);
    nstcp_server_stop(dns);

    /* The routed network has no dhcp: fabricd answers nothing there. */
    out = nslookup(b, 1, "p1", "g1.svc", "10.72.0.1");
    assert_null(strstr(out, "10.70.0.11"));
    free(out);
}

int
main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test-network-modes: needs root (namespaces)\n");
        return 1;
    }
    if (sbx_runl(NULL, "nft", "--version", NULL)) {
        fprintf(stderr, "test-network-modes: needs nft (nftables)\n");
        return 1;
    }
    if (getenv("FABRIC_TEST_FILTER")) {
        cmocka_set_test_filter(getenv("FABRIC_TEST_FILTER"));
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_host, setup1,
                                        bed_teardown_state),
        cmocka_unit_test_setup_teardown(test_two_hosts, setup2,
                                        bed_teardown_state),
        cmocka_unit_test_setup_teardown(test_services, setup2,
                                        bed_teardown_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
