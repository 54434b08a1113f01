/* Unit tests of controllers/underlay.h: the commands that move a host's
 * underlay address and routes from its NIC onto the underlay bridge, and
 * back, compared to golden files (tests/golden/underlay-*.txt), with the
 * reads answered from canned `ip -j` output and the commands captured by
 * the dry run; and what becomes of the state file.  Set
 * FABRIC_REGEN_GOLDEN=1 to rewrite the golden files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cmd.h"
#include "golden.h"
#include "ovs-bridge.h"
#include "ovsdb-error.h"
#include "underlay-private.h"
#include "underlay.h"

/* The canned answer to one read. */
struct canned {
    const char *line;
    const char *output; /* JSON with ' for ", or NULL for "no device". */
};

/* What a test captures: every read and every command, in order. */
struct capture {
    char *buf;
    size_t len;
    FILE *log;
    const struct canned *canned; /* Terminated by a NULL 'line'. */
};

static int
read_canned(const char *line, char **outputp, void *capture_)
{
    struct capture *c = capture_;
    fprintf(c->log, "%s\n", line);
    for (const struct canned *k = c->canned; k && k->line; k++) {
        if (!strcmp(k->line, line)) {
            if (!k->output) {
                return -ENODEV;
            }
            char *out = strdup(k->output);
            for (char *p = out; *p; p++) {
                if (*p == '\'') {
                    *p = '"';
                }
            }
            *outputp = out;
            return 0;
        }
    }
    fprintf(c->log, "# (no canned output)\n");
    *outputp = strdup("");
    return 0;
}

static void
capture_start(struct capture *c, const struct canned *canned)
{
    memset(c, 0, sizeof *c);
    c->log = open_memstream(&c->buf, &c->len);
    c->canned = canned;
    cmd_set_dry_run(c->log);
    underlay_set_reader(read_canned, c);
}

/* Stops capturing and returns what was captured (owned by 'c'). */
static const char *
capture_stop(struct capture *c)
{
    cmd_set_dry_run(NULL);
    underlay_set_reader(NULL, NULL);
    fclose(c->log);
    return c->buf;
}

/* Each test's own folder for the state file. */
struct fixture {
    char dir[64];
    char state[128];
    struct underlay_config config;
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test-underlay-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->state, sizeof f->state, "%s/%s", f->dir, UNDERLAY_STATE_FILE);
    f->config = (struct underlay_config){
        .dev = "ul0",
        .bridge = "br-underlay",
        .datapath_type = "netdev",
        .state_path = f->state,
    };
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->state);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", f->state);
    unlink(tmp);
    rmdir(f->dir);
    free(f);
    return 0;
}

static char *
slurp(const char *path)
{
    FILE *file = fopen(path, "r");
    if (!file) {
        return NULL;
    }
    char *text = NULL;
    size_t cap = 0;
    if (getdelim(&text, &cap, '\0', file) < 0) {
        free(text);
        text = NULL;
    }
    fclose(file);
    return text;
}

static void
write_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

/* Canned state.  The NIC before the move: two addresses (the second with
 * a broadcast address), an IPv6 link-local one, MTU 1600. */
#define DEV_LINK(ADDRS)                                                       \
    "[{'ifindex':2,'ifname':'ul0','flags':['BROADCAST',"                      \
    "'MULTICAST','UP','LOWER_UP'],'mtu':1600,'operstate':'UP',"               \
    "'addr_info':[" ADDRS "{'family':'inet6','local':'fe80::1',"              \
    "'prefixlen':64,'scope':'link'}]}]"
#define ADDR1                                                                 \
    "{'family':'inet','local':'10.99.0.1','prefixlen':24,"                    \
    "'scope':'global','label':'ul0'},"
#define ADDR2                                                                 \
    "{'family':'inet','local':'10.98.0.1','prefixlen':16,"                    \
    "'broadcast':'10.98.255.255','scope':'global','label':'ul0'},"
#define DEV_FULL DEV_LINK(ADDR1 ADDR2)
#define DEV_EMPTY DEV_LINK("")
/* The bridge's interface as ovs-vswitchd makes it: down, MTU 1500. */
#define BR_NEW                                                                \
    "[{'ifindex':9,'ifname':'br-underlay','flags':['BROADCAST',"              \
    "'MULTICAST'],'mtu':1500,'operstate':'DOWN','addr_info':[]}]"
#define BR_LINK(ADDRS)                                                        \
    "[{'ifindex':9,'ifname':'br-underlay','flags':["                          \
    "'BROADCAST','MULTICAST','UP','LOWER_UP'],'mtu':1600,'addr_info':[" ADDRS \
    "{'family':'inet6','local':'fe80::2','prefixlen':64,"                     \
    "'scope':'link'}]}]"
#define BR_FULL BR_LINK(ADDR1 ADDR2)
/* The routes through one device (as `ip -j -4 route show table main`
 * prints them): the kernel's for each address, a default route, a static
 * route with a metric, an onlink route with a source address, and
 * routes the module leaves alone. */
#define ROUTES_ON(D)                                                          \
    "{'dst':'default','gateway':'10.99.0.254','dev':'" D                      \
    "','flags':[]},{'dst':'10.99.0.0/24','dev':'" D "','protocol':'kernel',"  \
    "'scope':'link','prefsrc':'10.99.0.1','flags':[]},{'dst':'10.98.0.0/16'," \
    "'dev':'" D "','protocol':'kernel','scope':'link','prefsrc':'10.98.0.1'," \
    "'flags':[]},{'dst':'10.7.0.0/16','dev':'" D "','protocol':'static',"     \
    "'scope':'link','metric':50,'flags':[]},{'dst':'10.8.0.0/16',"            \
    "'gateway':'10.98.0.9','dev':'" D "','prefsrc':'10.98.0.1','flags':["     \
    "'onlink']},{'type':'blackhole','dst':'10.66.0.0/16','flags':[]}"
#define OTHER_ROUTE                                                           \
    "{'dst':'192.168.1.0/24','dev':'eth9','protocol':"                        \
    "'kernel','scope':'link','prefsrc':'192.168.1.5','flags':[]}"
#define ROUTES_DEV "[" ROUTES_ON("ul0") "," OTHER_ROUTE "]"
#define ROUTES_BR "[" ROUTES_ON("br-underlay") "," OTHER_ROUTE "]"
#define ROUTES_NONE "[" OTHER_ROUTE "]"

#define R_DEV "ip -j address show dev ul0"
#define R_BR "ip -j address show dev br-underlay"
#define R_ROUTES "ip -j -4 route show table main"

/* A state file as the move of DEV_FULL and ROUTES_DEV writes it. */
static const char moved_state[] =
    "{\"device\": \"ul0\", \"bridge\": \"br-underlay\", \"addresses\": ["
    "{\"local\": \"10.99.0.1\", \"prefixlen\": 24}, {\"local\": "
    "\"10.98.0.1\", \"prefixlen\": 16, \"broadcast\": \"10.98.255.255\"}], "
    "\"routes\": [{\"dst\": \"default\", \"gateway\": \"10.99.0.254\", "
    "\"flags\": []}, {\"dst\": \"10.7.0.0/16\", \"protocol\": \"static\", "
    "\"scope\": \"link\", \"metric\": 50, \"flags\": []}, {\"dst\": "
    "\"10.8.0.0/16\", \"gateway\": \"10.98.0.9\", \"prefsrc\": "
    "\"10.98.0.1\", \"flags\": [\"onlink\"]}]}\n";

/* Runs one reconcile against 'canned'; returns its status and stores what
 * it read and ran (new string) in '*logp'. */
static int
reconcile(struct fixture *f, const struct canned *canned, bool wanted,
          const char *ip, struct underlay_result *result, char **logp,
          struct ovsdb_error **errorp)
{
    struct capture c;
    capture_start(&c, canned);
    int rc = underlay_reconcile(&f->config, wanted, ip, result, errorp);
    *logp = strdup(capture_stop(&c));
    free(c.buf);
    return rc;
}

/* The first move: the bridge's interface is new; everything on the NIC
 * goes onto it, after the state file records it. */
static void
test_move(void **state)
{
    struct fixture *f = *state;
    static const struct canned canned[] = {
        {R_DEV, DEV_FULL},
        {R_BR, BR_NEW},
        {R_ROUTES, ROUTES_DEV},
        {NULL, NULL},
    };
    struct underlay_result result;
    char *log;
    assert_int_equal(
        reconcile(f, canned, true, "10.99.0.1", &result, &log, NULL), 0);
    golden_check("underlay-move.txt", log);
    free(log);
    assert_true(result.bridge);
    assert_false(result.pending);
    assert_int_equal(result.changes, 9);

    /* The state file holds exactly what moved. */
    char *text = slurp(f->state);
    assert_non_null(text);
    json_t *written = json_loads(text, 0, NULL);
    json_t *expected = json_loads(moved_state, 0, NULL);
    assert_non_null(written);
    assert_true(json_equal(written, expected));
    json_decref(written);
    json_decref(expected);
    free(text);
}

/* Everything in place (a restart of the agent): only the reads run and
 * the state file is not written again. */
static void
test_moved_changes_nothing(void **state)
{
    struct fixture *f = *state;
    write_file(f->state, moved_state);
    static const struct canned canned[] = {
        {R_DEV, DEV_EMPTY},
        {R_BR, BR_FULL},
        {R_ROUTES, ROUTES_BR},
        {NULL, NULL},
    };
    struct underlay_result result;
    char *log;
    assert_int_equal(
        reconcile(f, canned, true, "10.99.0.1", &result, &log, NULL), 0);
    assert_string_equal(log, R_DEV "\n" R_BR "\n" R_ROUTES "\n");
    free(log);
    assert_true(result.bridge);
    assert_false(result.pending);
    assert_int_equal(result.changes, 0);
    char *text = slurp(f->state);
    assert_string_equal(text, moved_state);
    free(text);
}

/* The host leaves the lab: the recorded addresses and routes go back onto
 * the NIC before they leave the bridge, the state file goes, and the
 * bridge is no longer wanted. */
static void
test_restore(void **state)
{
    struct fixture *f = *state;
    write_file(f->state, moved_state);
    static const struct canned canned[] = {
        {R_DEV, DEV_EMPTY},
        {R_BR, BR_FULL},
        {R_ROUTES, ROUTES_BR},
        {NULL, NULL},
    };
    struct underlay_result result;
    char *log;
    assert_int_equal(
        reconcile(f, canned, false, "10.99.0.1", &result, &log, NULL), 0);
    golden_check("underlay-restore.txt", log);
    free(log);
    assert_false(result.bridge);
    assert_false(result.pending);
    assert_int_equal(result.changes, 8);
    assert_int_equal(access(f->state, F_OK), -1);
}

/* Someone removed the bridge (its interface took the addresses): putting
 * back works from the state file alone. */
static void
test_restore_bridge_gone(void **state)
{
    struct fixture *f = *state;
    write_file(f->state, moved_state);
    static const struct canned canned[] = {
        {R_DEV, DEV_EMPTY},
        {R_BR, NULL},
        {R_ROUTES, ROUTES_NONE},
        {NULL, NULL},
    };
    struct underlay_result result;
    char *log;
    assert_int_equal(reconcile(f, canned, false, NULL, &result, &log, NULL),
                     0);
    golden_check("underlay-restore-bridge-gone.txt", log);
    free(log);
    assert_false(result.bridge);
    assert_int_equal(access(f->state, F_OK), -1);
}

/* A restore that already happened but could not remove the state file
 * (or is run twice): nothing to do but the reads. */
static void
test_restore_twice(void **state)
{
    struct fixture *f = *state;
    write_file(f->state, moved_state);
    static const struct canned canned[] = {
        {R_DEV, DEV_FULL},
        {R_BR, NULL},
        {R_ROUTES, ROUTES_DEV},
        {NULL, NULL},
    };
    struct underlay_result result;
    char *log;
    assert_int_equal(reconcile(f, canned, false, NULL, &result, &log, NULL),
                     0);
    assert_string_equal(log, R_DEV "\n" R_BR "\n" R_ROUTES "\n");
    free(log);
    assert_int_equal(result.changes, 0);
    assert_int_equal(access(f->state, F_OK), -1);
}

/* Not wanted and no state file: nothing read, nothing run. */
static void
test_not_wanted_nothing_recorded(void **state)
{
    struct fixture *f = *state;
    struct underlay_result result;
    char *log;
    assert_int_equal(
        reconcile(f, NULL, false, "10.99.0.1", &result, &log, NULL), 0);
    assert_string_equal(log, "");
    free(log);
    assert_false(result.bridge);
    assert_int_equal(result.changes, 0);
}

/* The bridge was removed and made again, and the address is back on the
 * NIC: the move is done again, and the routes come back from the state
 * file. */
static void
test_redo_move(void **state)
{
    struct fixture *f = *state;
    write_file(f->state, moved_state);
    static const struct canned canned[] = {
        {R_DEV, DEV_LINK(ADDR1)},
        {R_BR, BR_NEW},
        {R_ROUTES, ROUTES_NONE},
        {NULL, NULL},
    };
    struct underlay_result result;
    char *log;
    assert_int_equal(
        reconcile(f, canned, true, "10.99.0.1", &result, &log, NULL), 0);
    golden_check("underlay-redo.txt", log);
    free(log);
    assert_true(result.bridge);
    /* What was recorded stays recorded. */
    char *text = slurp(f->state);
    assert_string_equal(text, moved_state);
    free(text);
}

/* ovs-vswitchd has not made the bridge's interface yet: nothing moves,
 * nothing is recorded, and the bridge is wanted. */
static void
test_pending(void **state)
{
    struct fixture *f = *state;
    static const struct canned canned[] = {
        {R_DEV, DEV_FULL},
        {R_BR, NULL},
        {R_ROUTES, ROUTES_DEV},
        {NULL, NULL},
    };
    struct underlay_result result;
    char *log;
    assert_int_equal(
        reconcile(f, canned, true, "10.99.0.1", &result, &log, NULL), 0);
    assert_string_equal(log, R_DEV "\n" R_BR "\n" R_ROUTES "\n");
    free(log);
    assert_true(result.bridge);
    assert_true(result.pending);
    assert_int_equal(access(f->state, F_OK), -1);
}

/* The Host row's underlay IP is not on the NIC: an error that says so,
 * and nothing changes (no bridge either). */
static void
test_wrong_ip(void **state)
{
    struct fixture *f = *state;
    static const struct canned canned[] = {
        {R_DEV, DEV_FULL},
        {R_BR, NULL},
        {R_ROUTES, ROUTES_DEV},
        {NULL, NULL},
    };
    struct underlay_result result;
    struct ovsdb_error *error = NULL;
    char *log;
    assert_int_equal(
        reconcile(f, canned, true, "10.99.0.7", &result, &log, &error),
        -EADDRNOTAVAIL);
    assert_string_equal(error->msg, "underlay IP 10.99.0.7 is not on ul0");
    ovsdb_error_free(error);
    assert_string_equal(log, R_DEV "\n" R_BR "\n" R_ROUTES "\n");
    free(log);
    assert_false(result.bridge);
    assert_int_equal(result.changes, 0);
    assert_int_equal(access(f->state, F_OK), -1);
}

/* The NIC does not exist. */
static void
test_no_device(void **state)
{
    struct fixture *f = *state;
    static const struct canned canned[] = {
        {R_DEV, NULL},
        {R_BR, NULL},
        {R_ROUTES, ROUTES_NONE},
        {NULL, NULL},
    };
    struct underlay_result result;
    struct ovsdb_error *error = NULL;
    char *log;
    assert_int_equal(
        reconcile(f, canned, true, "10.99.0.1", &result, &log, &error),
        -ENODEV);
    assert_string_equal(error->msg, "The underlay device ul0 does not exist.");
    ovsdb_error_free(error);
    free(log);
}

/* A state file from an agent with other options (device eth7, bridge
 * br-old) is put back first; then the move of ul0 proceeds. */
static void
test_other_record_first(void **state)
{
    struct fixture *f = *state;
    write_file(f->state,
               "{\"device\": \"eth7\", \"bridge\": \"br-old\", "
               "\"addresses\": [{\"local\": \"10.99.0.1\", \"prefixlen\": "
               "24}], \"routes\": []}");
    static const struct canned canned[] = {
        {"ip -j address show dev eth7", "[{'ifname':'eth7','mtu':1500,"
                                        "'flags':['UP'],'addr_info':[]}]"},
        {"ip -j address show dev br-old", NULL},
        {R_DEV, DEV_LINK(ADDR1)},
        {R_BR, BR_LINK(ADDR1)},
        {R_ROUTES, ROUTES_NONE},
        {NULL, NULL},
    };
    struct underlay_result result;
    char *log;
    assert_int_equal(
        reconcile(f, canned, true, "10.99.0.1", &result, &log, NULL), 0);
    golden_check("underlay-other-record.txt", log);
    free(log);
    char *text = slurp(f->state);
    assert_non_null(strstr(text, "\"device\": \"ul0\""));
    free(text);
}

/* A state file that cannot be read stops everything. */
static void
test_bad_state_file(void **state)
{
    struct fixture *f = *state;
    write_file(f->state, "{\"device\": \"ul0\"}");
    struct underlay_result result;
    struct ovsdb_error *error = NULL;
    char *log;
    assert_int_equal(reconcile(f, NULL, false, NULL, &result, &log, &error),
                     -EPROTO);
    assert_non_null(strstr(error->msg, "underlay state file"));
    ovsdb_error_free(error);
    assert_string_equal(log, "");
    free(log);

    write_file(f->state, "not json");
    assert_int_equal(reconcile(f, NULL, false, NULL, &result, &log, &error),
                     -EPROTO);
    assert_non_null(strstr(error->msg, "Cannot read the underlay state"));
    ovsdb_error_free(error);
    free(log);
}

static void
test_bad_config(void **state)
{
    struct fixture *f = *state;
    struct underlay_result result;
    struct ovsdb_error *error = NULL;
    char *log;
    f->config.bridge = "ul0";
    assert_int_equal(reconcile(f, NULL, true, NULL, &result, &log, &error),
                     -EINVAL);
    ovsdb_error_free(error);
    free(log);
    f->config.bridge = "a-name-longer-than-15";
    assert_int_equal(reconcile(f, NULL, true, NULL, &result, &log, &error),
                     -EINVAL);
    ovsdb_error_free(error);
    free(log);
}

/* The OVS side: the bridge with the NIC as its one port. */
static void
test_bridge(void **state)
{
    struct fixture *f = *state;
    struct ovsb_bridge *b = underlay_bridge(&f->config);
    assert_string_equal(b->name, "br-underlay");
    assert_string_equal(b->datapath_type, "netdev");
    assert_string_equal(b->fail_mode, "standalone");
    assert_int_equal(b->n_ports, 1);
    assert_string_equal(b->ports[0].name, "ul0");
    assert_string_equal(b->ports[0].type, "");
    assert_int_equal(b->ports[0].tag, 0);
    ovsb_bridge_free(b);
}

/* The pure half directly: routes the module leaves alone, and a record
 * that survives a round trip through JSON. */
static void
test_parse(void **state)
{
    json_t *routes = json_loads(
        "[{\"dst\":\"10.1.0.0/16\",\"dev\":\"ul0\",\"nexthops\":[]},"
        "{\"dst\":\"10.2.0.0/16\",\"dev\":\"ul0\",\"tos\":\"0x10\"},"
        "{\"dst\":\"10.3.0.0/16\",\"dev\":\"ul0\",\"protocol\":\"boot\","
        "\"scope\":\"global\",\"metric\":0},"
        "{\"dst\":\"10.3.0.0/16\",\"dev\":\"ul0\"},"
        "{\"dst\":\"10.4.0.0/16\",\"dev\":\"ul0\",\"gateway\":\"x\"}]",
        0, NULL);
    struct underlay_link link = {0};
    underlay_link_parse_routes(&link, routes, "ul0");
    json_decref(routes);
    /* Only 10.3.0.0/16, once: "boot", "global" and metric 0 are what a
     * route without them is. */
    assert_int_equal(link.n_routes, 1);
    assert_string_equal(link.routes[0].dst, "10.3.0.0/16");
    assert_null(link.routes[0].protocol);
    assert_null(link.routes[0].scope);
    underlay_link_destroy(&link);

    json_t *json = json_loads(moved_state, 0, NULL);
    struct underlay_record rec = {0};
    assert_int_equal(underlay_record_parse(&rec, json, NULL), 0);
    json_t *again = underlay_record_to_json(&rec);
    assert_true(json_equal(json, again));
    json_decref(again);
    json_decref(json);
    underlay_record_destroy(&rec);

    assert_true(underlay_valid_ifname("br-underlay"));
    assert_false(underlay_valid_ifname("br/x"));
    assert_false(underlay_valid_ifname("-x"));
    assert_false(underlay_valid_ifname(""));
    assert_false(underlay_valid_ifname("0123456789abcdef"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(NAME) cmocka_unit_test_setup_teardown(NAME, setup, teardown)
        T(test_move),
        T(test_moved_changes_nothing),
        T(test_restore),
        T(test_restore_bridge_gone),
        T(test_restore_twice),
        T(test_not_wanted_nothing_recorded),
        T(test_redo_move),
        T(test_pending),
        T(test_wrong_ip),
        T(test_no_device),
        T(test_other_record_first),
        T(test_bad_state_file),
        T(test_bad_config),
        T(test_bridge),
        T(test_parse),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
