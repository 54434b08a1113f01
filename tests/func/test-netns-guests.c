/* Functional tests of controllers/netns.h on real network namespaces
 * (needs root; skipped otherwise).
 *
 * Two guests, A (two interfaces) and B (one), are made with
 * netns_guest_ensure().  Their peers are then moved into a third
 * namespace that plays the switch (a Linux bridge inside it), so that no
 * traffic touches the calling namespace, and A and B ping each other.
 * Then: a second ensure changes nothing, a new address changes only the
 * address, a broken guest is repaired, and removal leaves nothing.
 *
 * Every name carries this process's PID ("fabt<pid>..."); the namespaces
 * and peers are deleted by exact name in the group teardown and again at
 * exit (and on SIGINT/SIGTERM), so a failed run leaves nothing behind. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd.h"
#include "netns.h"
#include "ovsdb-error.h"

static bool can_run;
static char ns_a[32], ns_b[32], ns_sw[32], prefix[32];
static char peer_a0[16], peer_a1[16], peer_b0[16];

/* Runs the NULL-terminated command and returns its stdout (new string),
 * or NULL if it failed (with its error printed). */
static char *
run_out(const char *arg0, ...)
{
    struct cmd *cmd = cmd_new(arg0);
    va_list args;
    va_start(args, arg0);
    const char *arg;
    while ((arg = va_arg(args, const char *))) {
        cmd_add(cmd, arg);
    }
    va_end(args);
    char *out = NULL;
    struct ovsdb_error *error = NULL;
    if (cmd_run(cmd, &out, &error)) {
        fprintf(stderr, "%s\n", error->msg);
        ovsdb_error_free(error);
        out = NULL;
    }
    cmd_free(cmd);
    return out;
}

#define RUN_OK(...)                                                           \
    do {                                                                      \
        char *out_ = run_out(__VA_ARGS__, (char *)NULL);                      \
        assert_non_null(out_);                                                \
        free(out_);                                                           \
    } while (0)

/* Deletes, by exact name, everything this test may have made. */
static void
cleanup(void)
{
    if (!can_run) {
        return;
    }
    const char *nss[] = {ns_a, ns_b, ns_sw};
    const char *peers[] = {peer_a0, peer_a1, peer_b0};
    char *list = run_out("ip", "netns", "list", (char *)NULL);
    for (size_t i = 0; i < 3; i++) {
        /* "NAME" or "NAME (id: N)", one per line. */
        char *p = list;
        size_t len = strlen(nss[i]);
        bool found = false;
        while (p && !found) {
            found = !strncmp(p, nss[i], len) &&
                    (p[len] == '\n' || p[len] == ' ' || !p[len]);
            p = strchr(p, '\n');
            p = p ? p + 1 : NULL;
        }
        if (found) {
            free(run_out("ip", "netns", "del", nss[i], (char *)NULL));
        }
    }
    free(list);
    char *links = run_out("ip", "-o", "link", "show", (char *)NULL);
    for (size_t i = 0; i < 3; i++) {
        char needle[32];
        snprintf(needle, sizeof needle, ": %s@", peers[i]);
        char needle2[32];
        snprintf(needle2, sizeof needle2, ": %s:", peers[i]);
        if (links && (strstr(links, needle) || strstr(links, needle2))) {
            free(run_out("ip", "link", "del", "dev", peers[i], (char *)NULL));
        }
    }
    free(links);
}

static void
on_signal(int sig)
{
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The guests of the tests, with 'a_address' on A's eth0. */
static struct netns_guest *
guest_a(const char *a_address)
{
    struct netns_guest *g = netns_guest_create(ns_a);
    struct netns_iface *i;
    i = netns_guest_add_iface(g, "eth0", peer_a0, "02:fa:00:00:0a:01", 1400,
                              "172.16.0.254");
    netns_iface_add_address(i, a_address);
    netns_iface_add_address(i, "fd00:16::1/64");
    netns_iface_add_route(i, "10.0.0.0/8", "172.16.0.253");
    netns_iface_add_route(i, "fd00:99::/48", "fd00:16::fe");
    i = netns_guest_add_iface(g, "eth1", peer_a1, "02:fa:00:00:0a:02", 1500,
                              NULL);
    netns_iface_add_address(i, "192.168.9.1/24");
    return g;
}

static struct netns_guest *
guest_b(void)
{
    struct netns_guest *g = netns_guest_create(ns_b);
    struct netns_iface *i = netns_guest_add_iface(
        g, "eth0", peer_b0, "02:fa:00:00:0b:01", 1400, NULL);
    netns_iface_add_address(i, "172.16.0.2/24");
    netns_iface_add_address(i, "fd00:16::2/64");
    return g;
}

/* Ensures 'g' (freed) and returns the commands that changed something
 * (a new string). */
static char *
ensure_logged(struct netns_guest *g)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&buf, &len);
    char before[64] = "", after[64] = "";
    assert_true(
        readlink("/proc/thread-self/ns/net", before, sizeof before - 1) > 0);
    netns_set_log(log);
    struct ovsdb_error *error = NULL;
    int rc = netns_guest_ensure(g, &error);
    netns_set_log(NULL);
    fclose(log);
    if (rc) {
        fail_msg("netns_guest_ensure(%s): %s", g->netns, error->msg);
    }
    /* The in-process ethtool and sysctl went back to our namespace. */
    assert_true(readlink("/proc/thread-self/ns/net", after, sizeof after - 1) >
                0);
    assert_string_equal(before, after);
    netns_guest_free(g);
    return buf;
}

/* Returns the object for 'dev' in what `ip [-n NETNS] -j -d address show`
 * prints (a new reference), or fails the test. */
static json_t *
read_link(const char *netns, const char *dev)
{
    char *out = netns ? run_out("ip", "-n", netns, "-j", "-d", "address",
                                "show", "dev", dev, (char *)NULL)
                      : run_out("ip", "-j", "-d", "address", "show", "dev",
                                dev, (char *)NULL);
    assert_non_null(out);
    json_t *array = json_loads(out, 0, NULL);
    free(out);
    assert_true(json_array_size(array) == 1);
    json_t *obj = json_incref(json_array_get(array, 0));
    json_decref(array);
    return obj;
}

static bool
link_up(const json_t *obj)
{
    size_t i;
    json_t *flag;
    json_array_foreach(json_object_get(obj, "flags"), i, flag)
    {
        if (!strcmp(json_string_value(flag), "UP")) {
            return true;
        }
    }
    return false;
}

/* Returns true if 'obj' carries address 'local'/'plen'. */
static bool
has_address(const json_t *obj, const char *local, int plen)
{
    size_t i;
    json_t *ai;
    json_array_foreach(json_object_get(obj, "addr_info"), i, ai)
    {
        if (!strcmp(json_string_value(json_object_get(ai, "local")), local) &&
            json_integer_value(json_object_get(ai, "prefixlen")) == plen) {
            return true;
        }
    }
    return false;
}

static void
check_link(const char *netns, const char *dev, const char *mac, int mtu)
{
    json_t *obj = read_link(netns, dev);
    assert_string_equal(json_string_value(json_object_get(obj, "address")),
                        mac);
    assert_int_equal(json_integer_value(json_object_get(obj, "mtu")), mtu);
    assert_true(link_up(obj));
    const char *kind = json_string_value(
        json_object_get(json_object_get(obj, "linkinfo"), "info_kind"));
    assert_string_equal(kind, "veth");
    json_decref(obj);

    char *features = netns ? run_out("ip", "netns", "exec", netns, "ethtool",
                                     "-k", dev, (char *)NULL)
                           : run_out("ethtool", "-k", dev, (char *)NULL);
    assert_non_null(features);
    assert_non_null(strstr(features, "\ntx-checksumming: off\n"));
    free(features);
}

/* Returns true if 'netns' has a route 'dst' via 'gw' in 'family'. */
static bool
has_route(const char *netns, const char *family, const char *dst,
          const char *gw)
{
    char *out = run_out("ip", "-n", netns, "-j", family, "route", "show",
                        (char *)NULL);
    assert_non_null(out);
    json_t *array = json_loads(out, 0, NULL);
    free(out);
    bool found = false;
    size_t i;
    json_t *r;
    json_array_foreach(array, i, r)
    {
        const char *d = json_string_value(json_object_get(r, "dst"));
        const char *g = json_string_value(json_object_get(r, "gateway"));
        found |= d && g && !strcmp(d, dst) && !strcmp(g, gw);
    }
    json_decref(array);
    return found;
}

static int
ping(const char *from, const char *to)
{
    char *argv[] = {"ping", "-q", "-c", "1", "-W", "2", (char *)to, NULL};
    int rc = 1;
    for (int i = 0; i < 3 && rc; i++) {
        rc = netns_exec(from, argv);
    }
    return rc;
}

static int
group_setup(void **state)
{
    char *ip = run_out("ip", "netns", "list", (char *)NULL);
    char *eth = run_out("ethtool", "--version", (char *)NULL);
    can_run = geteuid() == 0 && ip && eth;
    free(ip);
    free(eth);
    int pid = getpid();
    snprintf(prefix, sizeof prefix, "fabt%dg", pid);
    snprintf(ns_a, sizeof ns_a, "fabt%dga", pid);
    snprintf(ns_b, sizeof ns_b, "fabt%dgb", pid);
    snprintf(ns_sw, sizeof ns_sw, "fabt%dsw", pid);
    snprintf(peer_a0, sizeof peer_a0, "fabt%dpa0", pid);
    snprintf(peer_a1, sizeof peer_a1, "fabt%dpa1", pid);
    snprintf(peer_b0, sizeof peer_b0, "fabt%dpb0", pid);
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    return 0;
}

static int
group_teardown(void **state)
{
    cleanup();
    return 0;
}

static void
test_ensure_and_ping(void **state)
{
    if (!can_run) {
        skip();
    }
    char *log = ensure_logged(guest_a("172.16.0.1/24"));
    assert_non_null(strstr(log, "ip netns add "));
    free(log);
    log = ensure_logged(guest_b());
    free(log);

    check_link(ns_a, "eth0", "02:fa:00:00:0a:01", 1400);
    check_link(ns_a, "eth1", "02:fa:00:00:0a:02", 1500);
    check_link(ns_b, "eth0", "02:fa:00:00:0b:01", 1400);
    check_link(NULL, peer_a0, "fe:fa:00:00:0a:01", 1400);
    check_link(NULL, peer_a1, "fe:fa:00:00:0a:02", 1500);
    check_link(NULL, peer_b0, "fe:fa:00:00:0b:01", 1400);

    json_t *obj = read_link(ns_a, "eth0");
    assert_true(has_address(obj, "172.16.0.1", 24));
    assert_true(has_address(obj, "fd00:16::1", 64));
    json_decref(obj);
    obj = read_link(ns_a, "lo");
    assert_true(link_up(obj));
    json_decref(obj);
    assert_true(has_route(ns_a, "-4", "default", "172.16.0.254"));
    assert_true(has_route(ns_a, "-4", "10.0.0.0/8", "172.16.0.253"));
    assert_true(has_route(ns_a, "-6", "fd00:99::/48", "fd00:16::fe"));
    /* Set in process, in the guest's namespace only. */
    char *promote =
        run_out("ip", "netns", "exec", ns_a, "sysctl", "-n",
                "net.ipv4.conf.all.promote_secondaries", (char *)NULL);
    assert_non_null(promote);
    assert_string_equal(promote, "1\n");
    free(promote);

    /* The switch: a bridge in a namespace of its own. */
    RUN_OK("ip", "netns", "add", ns_sw);
    RUN_OK("ip", "link", "set", "dev", peer_a0, "netns", ns_sw);
    RUN_OK("ip", "link", "set", "dev", peer_b0, "netns", ns_sw);
    RUN_OK("ip", "-n", ns_sw, "link", "add", "br0", "type", "bridge");
    RUN_OK("ip", "-n", ns_sw, "link", "set", "dev", "br0", "up");
    RUN_OK("ip", "-n", ns_sw, "link", "set", "dev", peer_a0, "master", "br0",
           "up");
    RUN_OK("ip", "-n", ns_sw, "link", "set", "dev", peer_b0, "master", "br0",
           "up");

    assert_int_equal(ping(ns_a, "172.16.0.2"), 0);
    assert_int_equal(ping(ns_b, "172.16.0.1"), 0);
    assert_int_equal(ping(ns_a, "fd00:16::2"), 0);

    /* netns_exec() gives the command's exit status. */
    char *exit7[] = {"sh", "-c", "exit 7", NULL};
    assert_int_equal(netns_exec(ns_a, exit7), 7);
}

static void
test_ensure_again(void **state)
{
    if (!can_run) {
        skip();
    }
    json_t *before = read_link(ns_a, "eth0");
    char *log = ensure_logged(guest_a("172.16.0.1/24"));
    assert_string_equal(log, "");
    free(log);
    log = ensure_logged(guest_b());
    assert_string_equal(log, "");
    free(log);
    json_t *after = read_link(ns_a, "eth0");
    assert_int_equal(json_integer_value(json_object_get(before, "ifindex")),
                     json_integer_value(json_object_get(after, "ifindex")));
    json_decref(before);
    json_decref(after);
}

static void
test_change_address(void **state)
{
    if (!can_run) {
        skip();
    }
    char *log = ensure_logged(guest_a("172.16.0.11/24"));
    char *expected;
    assert_true(asprintf(&expected,
                         "ip -n %s address add 172.16.0.11/24 dev eth0\n"
                         "ip -n %s address del 172.16.0.1/24 dev eth0\n",
                         ns_a, ns_a) > 0);
    assert_string_equal(log, expected);
    free(expected);
    free(log);

    json_t *obj = read_link(ns_a, "eth0");
    assert_true(has_address(obj, "172.16.0.11", 24));
    assert_false(has_address(obj, "172.16.0.1", 24));
    json_decref(obj);
    assert_true(has_route(ns_a, "-4", "default", "172.16.0.254"));
    assert_true(has_route(ns_a, "-4", "10.0.0.0/8", "172.16.0.253"));
    assert_int_equal(ping(ns_b, "172.16.0.11"), 0);

    log = ensure_logged(guest_a("172.16.0.11/24"));
    assert_string_equal(log, "");
    free(log);
}

static void
test_repair(void **state)
{
    if (!can_run) {
        skip();
    }
    /* Break A in every way an administrator might. */
    RUN_OK("ip", "-n", ns_a, "link", "set", "dev", "eth1", "down", "mtu",
           "1300");
    RUN_OK("ip", "netns", "exec", ns_a, "ethtool", "-K", "eth1", "tx", "on");
    RUN_OK("ip", "-n", ns_a, "address", "add", "192.168.9.99/24", "dev",
           "eth1");
    RUN_OK("ip", "-n", ns_a, "route", "add", "192.0.2.0/24", "via",
           "172.16.0.253");
    RUN_OK("ip", "-n", ns_a, "route", "del", "10.0.0.0/8");
    RUN_OK("ip", "-n", ns_a, "link", "add", "eth7", "type", "veth", "peer",
           "name", "eth8");
    RUN_OK("ip", "-n", ns_a, "link", "set", "dev", "lo", "down");

    char *log = ensure_logged(guest_a("172.16.0.11/24"));
    /* One deletion takes the pair. */
    bool del7 = strstr(log, "link del dev eth7\n") != NULL;
    bool del8 = strstr(log, "link del dev eth8\n") != NULL;
    if (del7 == del8) {
        fail_msg("Expected one deletion of the stray pair:\n%s", log);
    }
    free(log);

    check_link(ns_a, "eth1", "02:fa:00:00:0a:02", 1500);
    json_t *obj = read_link(ns_a, "eth1");
    assert_true(has_address(obj, "192.168.9.1", 24));
    assert_false(has_address(obj, "192.168.9.99", 24));
    json_decref(obj);
    obj = read_link(ns_a, "lo");
    assert_true(link_up(obj));
    json_decref(obj);
    assert_true(has_route(ns_a, "-4", "10.0.0.0/8", "172.16.0.253"));
    assert_false(has_route(ns_a, "-4", "192.0.2.0/24", "172.16.0.253"));
    char *links =
        run_out("ip", "-n", ns_a, "-o", "link", "show", (char *)NULL);
    assert_null(strstr(links, "eth7"));
    assert_null(strstr(links, "eth8"));
    free(links);

    log = ensure_logged(guest_a("172.16.0.11/24"));
    assert_string_equal(log, "");
    free(log);
    assert_int_equal(ping(ns_b, "172.16.0.11"), 0);
}

static bool
netns_exists(const char *name)
{
    char **names = NULL;
    size_t n = 0;
    assert_int_equal(netns_list(name, &names, &n, NULL), 0);
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        found |= !strcmp(names[i], name);
        free(names[i]);
    }
    free(names);
    return found;
}

static void
test_list_and_remove(void **state)
{
    if (!can_run) {
        skip();
    }
    char **names = NULL;
    size_t n = 0;
    assert_int_equal(netns_list(prefix, &names, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], ns_a);
    assert_string_equal(names[1], ns_b);
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);

    /* A's eth0 peer is in the switch namespace, its eth1 peer here: both
     * go. */
    char *peers_a[] = {peer_a0, peer_a1};
    struct ovsdb_error *error = NULL;
    if (netns_guest_remove(ns_a, peers_a, 2, &error)) {
        fail_msg("%s", error->msg);
    }
    assert_false(netns_exists(ns_a));
    char *links = run_out("ip", "-o", "link", "show", (char *)NULL);
    assert_null(strstr(links, peer_a1));
    free(links);
    links = run_out("ip", "-n", ns_sw, "-o", "link", "show", (char *)NULL);
    assert_null(strstr(links, peer_a0));
    assert_non_null(strstr(links, peer_b0));
    free(links);

    char *peers_b[] = {peer_b0};
    assert_int_equal(netns_guest_remove(ns_b, peers_b, 1, NULL), 0);
    assert_int_equal(netns_guest_remove(ns_b, peers_b, 1, NULL), 0);
    assert_int_equal(netns_list(prefix, &names, &n, NULL), 0);
    assert_int_equal(n, 0);
    free(names);

    /* The switch is not a guest of ours: still there. */
    assert_true(netns_exists(ns_sw));
    links = run_out("ip", "-n", ns_sw, "-o", "link", "show", (char *)NULL);
    assert_null(strstr(links, peer_b0));
    assert_non_null(strstr(links, "br0"));
    free(links);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ensure_and_ping),
        cmocka_unit_test(test_ensure_again),
        cmocka_unit_test(test_change_address),
        cmocka_unit_test(test_repair),
        cmocka_unit_test(test_list_and_remove),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
