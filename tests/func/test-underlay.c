/* Functional test of fabricd --underlay-interface: two simulated hosts from
 * scripts/testbed made with --no-underlay-bridge (the underlay address
 * stays on the veth ul0, no br-phy), one fabricd per host that builds the
 * underlay bridge itself.  Guests on the two hosts reach each other across
 * GENEVE through the bridges the agents built; a restart of the agents
 * changes nothing; a bridge someone removed comes back with the address;
 * destroying the lab puts every address back on ul0 and removes the
 * bridges. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent-ctl.h"
#include "bed.h"
#include "sandbox.h"

#define TWO_HOSTS FABRIC_SOURCE_DIR "/topologies/two-hosts.yaml"

#define N_HOSTS 2
#define UL_BRIDGE "br-underlay"

/* Each agent bridges the underlay interface ul0 itself. */
static int
underlay_interface(struct bed *b, int n)
{
    bed_agent_option(b, n, "--underlay-interface=ul0");
    return 0;
}

static int
setup(void **state)
{
    static const struct bed_options options = {
        .up_args = {"--no-underlay-bridge"},
        .prepare = underlay_interface,
    };
    struct bed *b;
    int rc = bed_setup(&b, "un", N_HOSTS, N_HOSTS, &options);
    *state = b;
    return rc;
}

/* The agent of hvN's own status, from its control socket (new reference),
 * or NULL. */
static json_t *
agent_status(struct bed *b, int n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/hv%d/fabricd.ctl", b->bed_dir, n);
    char *reply = NULL;
    if (agent_ctl_call(path, "status", &reply)) {
        return NULL;
    }
    json_t *j = json_loads(reply, 0, NULL);
    free(reply);
    return j;
}

static const char *
underlay_state(json_t *status)
{
    const char *s = json_string_value(
        json_object_get(json_object_get(status, "underlay"), "state"));
    return s ? s : "";
}

static long long
underlay_commands(json_t *status)
{
    return json_integer_value(
        json_object_get(json_object_get(status, "underlay"), "commands"));
}

/* The IPv4 addresses on device 'dev' of host hvN, as "A/P " each (a new
 * string, "" for none), or NULL when the device does not exist. */
static char *
dev_addrs(struct bed *b, int n, const char *dev)
{
    char *out = NULL;
    if (bed_host_run(b, n, &out, "ip", "-j", "-4", "address", "show", "dev",
                     dev, NULL)) {
        free(out);
        return NULL;
    }
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    size_t i, k;
    json_t *link, *a;
    json_array_foreach(j, i, link)
    {
        json_array_foreach(json_object_get(link, "addr_info"), k, a)
        {
            fprintf(f, "%s/%lld ",
                    json_string_value(json_object_get(a, "local")),
                    json_integer_value(json_object_get(a, "prefixlen")));
        }
    }
    fclose(f);
    json_decref(j);
    return buf;
}

static char *
host_ip(int n)
{
    char *ip;
    assert_true(asprintf(&ip, "10.99.0.%d/24 ", n) > 0);
    return ip;
}

/* Checks that host hvN's underlay address is where it should be: on the
 * bridge the agent built ('moved'), or back on ul0 with no bridge. */
static void
check_address(struct bed *b, int n, bool moved)
{
    char *ip = host_ip(n);
    char *on_ul0 = dev_addrs(b, n, "ul0");
    char *on_br = dev_addrs(b, n, UL_BRIDGE);
    assert_non_null(on_ul0);
    if (moved) {
        assert_string_equal(on_ul0, "");
        assert_non_null(on_br);
        assert_string_equal(on_br, ip);
    } else {
        assert_string_equal(on_ul0, ip);
        assert_null(on_br);
    }
    free(on_ul0);
    free(on_br);
    free(ip);
}

/* Waits up to 'ms' for hvN's address to be on the bridge and not on
 * ul0. */
static bool
wait_moved(struct bed *b, int n, int ms)
{
    char *ip = host_ip(n);
    bool moved = false;
    for (long long t0 = sbx_now_ms(); !moved && sbx_now_ms() - t0 < ms;) {
        char *on_ul0 = dev_addrs(b, n, "ul0");
        char *on_br = dev_addrs(b, n, UL_BRIDGE);
        moved = on_ul0 && on_br && !on_ul0[0] && !strcmp(on_br, ip);
        free(on_ul0);
        free(on_br);
        if (!moved) {
            usleep(200 * 1000);
        }
    }
    free(ip);
    return moved;
}

/* What an agent restart must leave as it is on host hvN: every OVSDB row
 * of the bridges (UUIDs and versions), the addresses and the routes (a new
 * string). */
static char *
snapshot(struct bed *b, int n)
{
    static const char *const tables[] = {"bridge", "port", "interface"};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; i < 3; i++) {
        char *out = bed_vsctl(b, n, "--columns=_uuid,_version", "list",
                              tables[i], NULL);
        fprintf(f, "%s", out ? out : "");
        free(out);
    }
    char *out = NULL;
    bed_host_run(b, n, &out, "ip", "-4", "address", "show", NULL);
    fprintf(f, "%s", out ? out : "");
    free(out);
    bed_host_run(b, n, &out, "ip", "-4", "route", "show", NULL);
    fprintf(f, "%s", out ? out : "");
    free(out);
    fclose(f);
    return buf;
}

/* Pings 'ip' from guest 'guest' of host hvN (bed_reaches()). */
static bool
reachable(struct bed *b, int n, const char *guest, const char *ip)
{
    char ns[64];
    bed_guest_ns(b, n, guest, ns, sizeof ns);
    return bed_reaches(ns, ip);
}

/* Guests of topologies/two-hosts.yaml: host01 (172.16.0.1) and host03
 * (172.17.0.1) on hv1, host02 (172.16.0.2) and host04 (172.17.0.2) on
 * hv2. */
static void
check_cross_host(struct bed *b)
{
    assert_true(reachable(b, 1, "host01", "172.16.0.2"));
    assert_true(reachable(b, 2, "host04", "172.17.0.1"));
}

/* Waits up to 'ms' for the agent of hvN to answer with 'generation'
 * applied and the underlay in state 'state'; returns its status (new
 * reference) or NULL. */
static json_t *
wait_agent(struct bed *b, int n, long long generation, const char *state,
           int ms)
{
    for (long long t0 = sbx_now_ms(); sbx_now_ms() - t0 < ms;) {
        json_t *st = agent_status(b, n);
        if (st &&
            json_integer_value(json_object_get(st, "applied_generation")) ==
                generation &&
            !strcmp(underlay_state(st), state)) {
            return st;
        }
        json_decref(st);
        usleep(100 * 1000);
    }
    return NULL;
}

/* Writes topologies/two-hosts.yaml with hv1's underlay IP 10.99.0.9 (not
 * on its ul0) into the sandbox; returns the file's path (new string). */
static char *
write_wrong_lab(struct bed *b)
{
    FILE *in = fopen(TWO_HOSTS, "r");
    assert_non_null(in);
    char *text = NULL;
    size_t cap = 0;
    assert_true(getdelim(&text, &cap, '\0', in) > 0);
    fclose(in);
    char *at = strstr(text, "underlay: 10.99.0.1}");
    assert_non_null(at);
    at[strlen("underlay: 10.99.0.")] = '9';
    char *path = sbx_path(b->dir, "wrong-ip.yaml");
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
    free(text);
    return path;
}

/* The error that host 'name' reports in the fabric DB (new string), or
 * NULL. */
static char *
host_error(struct bed *b, const char *name)
{
    char *out = NULL;
    if (bed_fabricctl(b, &out, "--json", "status", NULL)) {
        free(out);
        return NULL;
    }
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    char *error = NULL;
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(j, "hosts"), i, h)
    {
        const char *n = json_string_value(json_object_get(h, "name"));
        const char *e = json_string_value(json_object_get(h, "error"));
        if (n && e && !strcmp(n, name)) {
            error = strdup(e);
        }
    }
    json_decref(j);
    return error;
}

static void
test_underlay_bridge(void **state)
{
    struct bed *b = *state;
    char *out = NULL;

    /* Before any lab: the address is on ul0 and no agent builds a
     * bridge. */
    for (int n = 1; n <= N_HOSTS; n++) {
        json_t *st = wait_agent(b, n, 0, "removed", 10000);
        assert_non_null(st);
        json_decref(st);
        check_address(b, n, false);
        out = bed_vsctl(b, n, "list-br", NULL);
        assert_string_equal(out, "");
        free(out);
    }

    /* A lab that gives hv1 an underlay IP ul0 does not hold: hv1's agent
     * says so in its host status and leaves ul0 alone. */
    char *wrong = write_wrong_lab(b);
    assert_int_equal(bed_fabricctl(b, &out, "topology", "apply", wrong, NULL),
                     0);
    free(out);
    free(wrong);
    const char *expected = "underlay IP 10.99.0.9 is not on ul0";
    char *error = NULL;
    for (long long t0 = sbx_now_ms();
         (!error || strcmp(error, expected)) && sbx_now_ms() - t0 < 20000;) {
        free(error);
        error = host_error(b, "hv1");
        usleep(100 * 1000);
    }
    assert_non_null(error);
    assert_string_equal(error, expected);
    free(error);
    check_address(b, 1, false);
    out = bed_vsctl(b, 1, "list-br", NULL);
    assert_null(strstr(out, UL_BRIDGE));
    free(out);

    /* Apply: each agent bridges ul0 and moves the address. */
    assert_int_equal(bed_fabricctl(b, &out, "topology", "apply", "--wait=60",
                                   TWO_HOSTS, NULL),
                     0);
    free(out);
    long long generation = -1;
    for (int n = 1; n <= N_HOSTS; n++) {
        json_t *st = agent_status(b, n);
        assert_non_null(st);
        assert_string_equal(underlay_state(st), "moved");
        generation =
            json_integer_value(json_object_get(st, "applied_generation"));
        json_decref(st);
        check_address(b, n, true);
        out = bed_vsctl(b, n, "list-br", NULL);
        assert_string_equal(out, "br-int\n" UL_BRIDGE "\n");
        free(out);
        out = bed_vsctl(b, n, "list-ports", UL_BRIDGE, NULL);
        assert_string_equal(out, "ul0\n");
        free(out);
        out = bed_vsctl(b, n, "get", "bridge", UL_BRIDGE,
                        "external_ids:fabric-owner", NULL);
        assert_string_equal(out, "fabric-underlay\n");
        free(out);
        out =
            bed_vsctl(b, n, "get", "bridge", UL_BRIDGE, "datapath_type", NULL);
        assert_string_equal(out, "netdev\n");
        free(out);
        /* The bridge's interface is up with ul0's MTU. */
        bed_host_run(b, n, &out, "ip", "-o", "link", "show", "dev", UL_BRIDGE,
                     NULL);
        assert_non_null(strstr(out, "mtu 1600"));
        assert_non_null(strstr(out, ",UP"));
        free(out);
        char path[600];
        snprintf(path, sizeof path, "%s/hv%d/underlay.json", b->bed_dir, n);
        assert_int_equal(access(path, F_OK), 0);
    }
    assert_true(generation > 0);
    /* Across GENEVE, through the bridges the agents built. */
    check_cross_host(b);
    out = bed_vsctl(b, 1, "show", NULL);
    assert_non_null(strstr(out, "type: geneve"));
    assert_non_null(strstr(out, "local_ip=\"10.99.0.1\""));
    free(out);

    /* An agent restart changes nothing. */
    char *before[N_HOSTS + 1];
    for (int n = 1; n <= N_HOSTS; n++) {
        before[n] = snapshot(b, n);
        bed_stop_agent(b, n);
        assert_int_equal(bed_start_agent(b, n), 0);
    }
    for (int n = 1; n <= N_HOSTS; n++) {
        json_t *st = wait_agent(b, n, generation, "moved", 30000);
        assert_non_null(st);
        assert_int_equal(underlay_commands(st), 0);
        json_decref(st);
    }
    sleep(1);
    for (int n = 1; n <= N_HOSTS; n++) {
        char *after = snapshot(b, n);
        assert_string_equal(before[n], after);
        free(before[n]);
        free(after);
        json_t *st = agent_status(b, n);
        assert_int_equal(underlay_commands(st), 0);
        json_decref(st);
    }
    check_cross_host(b);

    /* Someone removes hv2's bridge and puts the address back on ul0: the
     * agent builds the bridge again and redoes the move. */
    out = bed_vsctl(b, 2, "del-br", UL_BRIDGE, NULL);
    free(out);
    assert_int_equal(bed_host_run(b, 2, NULL, "ip", "address", "add",
                                  "10.99.0.2/24", "dev", "ul0", NULL),
                     0);
    assert_true(wait_moved(b, 2, 30000));
    check_cross_host(b);

    /* ovs-vswitchd dies and restarts on hv1: the bridge's interface (a
     * persistent tap) keeps its addresses, and traffic flows again. */
    char pidfile[600], dbsock[600], logfile[600];
    snprintf(pidfile, sizeof pidfile, "%s/hv1/ovs-vswitchd.pid", b->bed_dir);
    snprintf(dbsock, sizeof dbsock, "unix:%s/hv1/db.sock", b->bed_dir);
    snprintf(logfile, sizeof logfile, "--log-file=%s/hv1/ovs-vswitchd.log",
             b->bed_dir);
    int pid = sbx_read_pidfile(pidfile);
    assert_true(pid > 0);
    assert_int_equal(sbx_kill(pid, SIGKILL, 5000), 0);
    char *pidopt = NULL;
    assert_true(asprintf(&pidopt, "--pidfile=%s", pidfile) > 0);
    assert_int_equal(bed_host_run(b, 1, NULL, "ovs-vswitchd", dbsock,
                                  "-vconsole:err", pidopt, logfile, "--detach",
                                  "--no-chdir", NULL),
                     0);
    free(pidopt);
    assert_true(wait_moved(b, 1, 30000));
    check_cross_host(b);

    /* Destroy: the addresses go back on ul0 and the bridges go. */
    assert_int_equal(
        bed_fabricctl(b, &out, "topology", "destroy", "--wait=30", NULL), 0);
    free(out);
    for (int n = 1; n <= N_HOSTS; n++) {
        json_t *st = agent_status(b, n);
        assert_non_null(st);
        assert_string_equal(underlay_state(st), "removed");
        json_decref(st);
        check_address(b, n, false);
        out = bed_vsctl(b, n, "list-br", NULL);
        assert_string_equal(out, "");
        free(out);
        char path[600];
        snprintf(path, sizeof path, "%s/hv%d/underlay.json", b->bed_dir, n);
        assert_int_not_equal(access(path, F_OK), 0);
    }
    /* The hosts reach each other over ul0 again (with no stale neighbor
     * entry naming the MAC of a bridge that is gone). */
    assert_int_equal(bed_host_run(b, 1, NULL, "ping", "-c", "1", "-W", "2",
                                  "10.99.0.2", NULL),
                     0);
    assert_int_equal(bed_host_run(b, 2, NULL, "ping", "-c", "1", "-W", "2",
                                  "10.99.0.1", NULL),
                     0);
}

int
main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test-underlay: needs root (namespaces)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_underlay_bridge, setup,
                                        bed_teardown_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
