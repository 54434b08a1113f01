/* Functional tests of controllers/ovs-bridge against a real ovsdb-server
 * and ovs-vswitchd (userspace datapath) in a network namespace of the
 * test's own: the integration bridge with VLAN access ports, a trunk and
 * a GENEVE port is built through our OVSDB client and checked with
 * ovs-vsctl and ovs-ofctl; re-apply changes nothing; a foreign bridge and
 * a foreign port are left alone, also by destroy; kill -9 of
 * ovs-vswitchd and of ovsdb-server, with rows changed while the server
 * was down: the agent's next apply converges. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "client.h"
#include "datum.h"
#include "ovs-bridge.h"
#include "ovsdb-error.h"
#include "replica.h"
#include "sandbox.h"
#include "txn.h"
#include "vswitchd.h"

#define VSWITCH_SCHEMA "/usr/share/openvswitch/vswitch.ovsschema"
#define OWNER "fabricd-test"
#define WAIT_MS 15000

/* False when the test cannot have a network namespace of its own. */
static bool have_netns;

/* What the client saw. */
struct seen {
    int synced;
    int disconnects;
};

struct world {
    char *dir;
    struct sbx_ovsdb db;
    struct vswitchd vs;
    struct event_base *base;
    struct seen seen;
    struct ovsdb_client *client;
};

/* A transaction's outcome. */
struct outcome {
    bool done;
    int code;
    char msg[512];
};

static void
on_synced(void *seen_)
{
    ((struct seen *) seen_)->synced++;
}

static void
on_disconnected(void *seen_, const struct ovsdb_error *error)
{
    ((struct seen *) seen_)->disconnects++;
}

static struct ovsdb_client *
make_client(struct world *w, struct seen *seen)
{
    struct ovsdb_client_options options = {
        .remotes = w->db.unix_remote, .db = OVSB_DB, .min_backoff_ms = 50,
        .max_backoff_ms = 400,
    };
    struct ovsdb_client_callbacks cbs = {
        .synced = on_synced, .disconnected = on_disconnected, .aux = seen,
    };
    struct ovsdb_client *client;
    struct ovsdb_error *error = NULL;
    if (ovsdb_client_create(w->base, &options, &cbs, &client, &error)) {
        fail_msg("ovsdb_client_create: %s", error->msg);
    }
    for (const char *const *t = ovsb_tables; *t; t++) {
        ovsdb_client_monitor(client, *t, NULL);
    }
    return client;
}

static bool
client_synced(void *client)
{
    return ovsdb_client_is_synced(client);
}

static const struct replica *
replica(const struct world *w)
{
    return ovsdb_client_replica(w->client);
}

static int
setup(void **state)
{
    if (!have_netns) {
        *state = NULL;
        return 0;
    }
    struct world *w = calloc(1, sizeof *w);
    *state = w;
    w->dir = sbx_mkdtemp("ovsb");
    if (!w->dir) {
        return -1;
    }
    sbx_ovsdb_init(&w->db, w->dir, "conf");
    vswitchd_init(&w->vs, w->dir, w->db.unix_remote);
    if (sbx_ovsdb_create_db(&w->db, VSWITCH_SCHEMA)
        || sbx_ovsdb_start(&w->db, NULL) || vswitchd_db_init(&w->vs)
        || vswitchd_start(&w->vs)) {
        return -1;
    }
    w->base = event_base_new();
    w->client = make_client(w, &w->seen);
    if (!sbx_loop_until(w->base, client_synced, w->client, WAIT_MS)) {
        fprintf(stderr, "the client did not sync\n");
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    struct world *w = *state;
    if (w) {
        ovsdb_client_destroy(w->client);
        vswitchd_clear(&w->vs);
        sbx_ovsdb_clear(&w->db);
        if (w->base) {
            event_base_free(w->base);
        }
        if (w->dir) {
            sbx_rmtree(w->dir);
        }
        free(w->dir);
        free(w);
    }
    return 0;
}

static void
txn_done(void *o_, const json_t *result, const struct ovsdb_error *error)
{
    struct outcome *o = o_;
    o->done = true;
    if (error) {
        o->code = error->code;
        snprintf(o->msg, sizeof o->msg, "%s", error->msg);
    }
}

static bool
outcome_done(void *o)
{
    return ((struct outcome *) o)->done;
}

struct converged {
    struct world *w;
    const struct ovsb_bridge *want;
};

static bool
converged(void *c_)
{
    struct converged *c = c_;
    struct ovsdb_txn *txn = ovsdb_txn_create(OVSB_DB);
    int n = ovsb_build_txn(ovsdb_client_replica(c->w->client), c->want,
                           OWNER, txn, NULL);
    ovsdb_txn_destroy(txn);
    return n == 0;
}

/* Builds the transaction that makes the DB match 'want' (NULL: destroy)
 * from the client's replica, sends it when it is not empty, and waits
 * until the replica holds its result (fails the test if it does not
 * converge).  Returns the number of operations
 * (or the build's error code, with the error in '*errorp' when
 * nonnull). */
static int
apply(struct world *w, const struct ovsb_bridge *want,
      struct ovsdb_error **errorp)
{
    assert_true(sbx_loop_until(w->base, client_synced, w->client, WAIT_MS));
    struct ovsdb_txn *txn = ovsdb_txn_create(OVSB_DB);
    struct ovsdb_error *error = NULL;
    int n = ovsb_build_txn(replica(w), want, OWNER, txn, &error);
    if (n <= 0) {
        ovsdb_txn_destroy(txn);
        if (errorp) {
            *errorp = error;
        } else {
            ovsdb_error_free(error);
        }
        return n;
    }
    struct outcome o = {0};
    assert_int_equal(ovsdb_client_transact(w->client, txn, txn_done, &o), 0);
    assert_true(sbx_loop_until(w->base, outcome_done, &o, WAIT_MS));
    if (o.code) {
        fail_msg("transaction failed: %s", o.msg);
    }
    /* The update that carries the transaction's rows may come before or
     * after its reply: wait until the replica holds them, that is, until
     * the same build has nothing more to do. */
    struct converged c = {w, want};
    if (!sbx_loop_until(w->base, converged, &c, WAIT_MS)) {
        fail_msg("the replica did not converge after a transaction of %d "
                 "operations", n);
    }
    return n;
}

/* The agent's bridge: three internal access ports (tags 101, 102, and a
 * trunk) and a GENEVE tunnel with BFD.  No traffic is generated. */
static struct ovsb_bridge *
desired(void)
{
    struct ovsb_bridge *b = ovsb_bridge_create("br-int", "netdev", "secure");
    struct ovsb_port *p = ovsb_bridge_add_port(b, "p1", "internal", 101);
    fabric_smap_add(&p->external_ids, "iface-id", "p1-id");
    fabric_smap_add(&p->external_ids, "attached-mac", "02:00:00:00:01:01");
    p = ovsb_bridge_add_port(b, "p2", "internal", 102);
    fabric_smap_add(&p->external_ids, "iface-id", "p2-id");
    p->mtu_request = 1400;
    p = ovsb_bridge_add_port(b, "p3", "internal", 0);
    fabric_smap_add(&p->external_ids, "iface-id", "p3-id");
    p = ovsb_bridge_add_port(b, "tun0", "geneve", 0);
    fabric_smap_add(&p->options, "remote_ip", "127.0.0.2");
    fabric_smap_add(&p->options, "key", "flow");
    p->bfd = true;
    return b;
}

/* Removes port 'name' from 'b'. */
static void
remove_port(struct ovsb_bridge *b, const char *name)
{
    for (size_t i = 0; i < b->n_ports; i++) {
        struct ovsb_port *p = &b->ports[i];
        if (p->name && !strcmp(p->name, name)) {
            free(p->name);
            free(p->type);
            fabric_smap_clear(&p->options);
            fabric_smap_clear(&p->external_ids);
            memmove(p, p + 1, (b->n_ports - i - 1) * sizeof *p);
            b->n_ports--;
            return;
        }
    }
    fail_msg("no port %s", name);
}

/* Runs ovs-vsctl with the arguments after 'w' (NULL-terminated) and
 * returns its output with the final new-line removed (a new string);
 * fails the test if ovs-vsctl fails. */
static char *
vsctl(struct world *w, const char *arg0, ...) __attribute__((sentinel));

static char *
vsctl(struct world *w, const char *arg0, ...)
{
    const char *argv[32];
    int n = 0;
    argv[n++] = "ovs-vsctl";
    char *db = NULL;
    if (asprintf(&db, "--db=%s", w->db.unix_remote) < 0) {
        abort();
    }
    argv[n++] = db;
    argv[n++] = "--timeout=10";
    va_list args;
    va_start(args, arg0);
    for (const char *a = arg0; a && n < 31; a = va_arg(args, const char *)) {
        argv[n++] = a;
    }
    va_end(args);
    argv[n] = NULL;
    char *out = NULL;
    int rc = sbx_run((char *const *)argv, &out);
    free(db);
    if (rc) {
        fail_msg("ovs-vsctl %s failed (%d): %s", arg0, rc, out ? out : "");
    }
    size_t len = strlen(out);
    if (len && out[len - 1] == '\n') {
        out[len - 1] = '\0';
    }
    return out;
}

/* Fails unless "ovs-vsctl get 'table' 'record' 'column'" prints
 * 'expected' (a string value with or without the double quotes that
 * ovs-vsctl puts around some strings). */
static void
assert_get(struct world *w, const char *table, const char *record,
           const char *column, const char *expected)
{
    char *out = vsctl(w, "get", table, record, column, NULL);
    size_t len = strlen(out);
    if (len >= 2 && out[0] == '"' && out[len - 1] == '"') {
        memmove(out, out + 1, len - 2);
        out[len - 2] = '\0';
    }
    if (strcmp(out, expected)) {
        fail_msg("%s %s %s: expected %s, got %s", table, record, column,
                 expected, out);
    }
    free(out);
}

struct bound {
    struct world *w;
    size_t n;  /* Interfaces expected on br-int. */
};

static bool
all_bound(void *b_)
{
    struct bound *b = b_;
    struct ovsb_iface_status *s;
    size_t n;
    if (ovsb_status(replica(b->w), "br-int", &s, &n)) {
        return false;
    }
    bool ok = n == b->n;
    for (size_t i = 0; ok && i < n; i++) {
        ok = s[i].ofport > 0;
    }
    ovsb_status_free(s, n);
    return ok;
}

/* Waits until ovs-vswitchd gave an OpenFlow port to each of the 'n'
 * interfaces on br-int, as the replica shows. */
static void
wait_bound(struct world *w, size_t n)
{
    struct bound b = {w, n};
    if (!sbx_loop_until(w->base, all_bound, &b, WAIT_MS)) {
        char *log = vswitchd_log(&w->vs);
        fail_msg("ports were not bound; ovs-vswitchd log:\n%s",
                 log ? log : "");
    }
}

/* The _version of the row named 'name' in 'table', or "" when the
 * server does not send it. */
static void
row_version(struct world *w, const char *table, const char *name,
            char *buf, size_t size)
{
    size_t iter = 0;
    const struct replica_row *row;
    while ((row = replica_next(replica(w), table, &iter))) {
        const char *n = json_string_value(replica_row_get(row, "name"));
        if (n && !strcmp(n, name)) {
            const char *v = ovsdb_atom_uuid(replica_row_get(row,
                                                            "_version"));
            snprintf(buf, size, "%s", v ? v : "");
            return;
        }
    }
    fail_msg("no %s %s", table, name);
}

static bool
contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle)) {
        print_error("'%s' not found in:\n%s\n", needle, haystack);
        return false;
    }
    return true;
}

/* True when ovs-vswitchd reports a BFD state on tun0 (not "up"). */
static bool
tun0_bfd_reported(void *w_)
{
    struct world *w = w_;
    struct ovsb_iface_status *s;
    size_t n;
    bool reported = false;
    if (!ovsb_status(replica(w), "br-int", &s, &n)) {
        for (size_t i = 0; i < n; i++) {
            if (!strcmp(s[i].name, "tun0") && s[i].bfd_state) {
                assert_string_not_equal(s[i].bfd_state, "up");
                assert_non_null(s[i].bfd_diagnostic);
                reported = true;
            }
        }
        ovsb_status_free(s, n);
    }
    return reported;
}

/* Build, check with ovs-vsctl and ovs-ofctl, re-apply (nothing), change a
 * tag and remove a port (only those rows change). */
static void
test_apply_reapply(void **state)
{
    struct world *w = *state;
    if (!w) {
        skip();
    }
    struct ovsb_bridge *want = desired();
    int n = apply(w, want, NULL);
    /* 5 interfaces, 5 ports, the bridge, the root's mutation. */
    assert_int_equal(n, 12);

    char *show = vsctl(w, "show", NULL);
    assert_true(contains(show, "Bridge br-int"));
    assert_true(contains(show, "fail_mode: secure"));
    assert_true(contains(show, "datapath_type: netdev"));
    assert_true(contains(show, "tag: 101"));
    assert_true(contains(show, "tag: 102"));
    assert_true(contains(show, "type: geneve"));
    assert_true(contains(show, "remote_ip=\"127.0.0.2\""));
    free(show);
    assert_get(w, "interface", "tun0", "bfd:enable", "true");
    assert_get(w, "port", "p3", "tag", "[]");
    assert_get(w, "port", "p1", "external_ids:fabric-owner",
               OWNER);
    assert_get(w, "interface", "p1", "external_ids:iface-id", "p1-id");
    assert_get(w, "interface", "p1", "external_ids:fabric-owner",
               OWNER);
    assert_get(w, "interface", "p2", "mtu_request", "1400");
    assert_get(w, "bridge", "br-int", "external_ids:fabric-owner",
               OWNER);
    assert_get(w, "interface", "br-int", "type", "internal");

    /* ovs-vswitchd runs: every interface gets an OpenFlow port, and the
     * management socket is in the sandbox (OVS_RUNDIR). */
    wait_bound(w, 5);
    struct ovsb_iface_status *s;
    size_t n_status;
    assert_int_equal(ovsb_status(replica(w), "br-int", &s, &n_status), 0);
    assert_string_equal(s[0].name, "br-int");
    assert_int_equal(s[0].ofport, 65534);
    assert_string_equal(s[1].name, "p1");
    assert_string_equal(s[1].iface_id, "p1-id");
    assert_null(s[1].error);
    char ofport[32];
    snprintf(ofport, sizeof ofport, "%lld", s[1].ofport);
    assert_get(w, "interface", "p1", "ofport", ofport);
    assert_string_equal(s[4].name, "tun0");
    ovsb_status_free(s, n_status);
    /* BFD runs on the tunnel; nobody answers, so it is not up. */
    assert_true(sbx_loop_until(w->base, tun0_bfd_reported, w, WAIT_MS));
    char *mgmt = vswitchd_mgmt(&w->vs, "br-int");
    char *out = NULL;
    assert_int_equal(sbx_runl(&out, "ovs-ofctl", "show", mgmt, NULL), 0);
    assert_true(contains(out, "(p1)"));
    assert_true(contains(out, "(tun0)"));
    free(out);
    free(mgmt);

    /* Re-apply: nothing to send, from this replica or a fresh one. */
    char v_bridge[64], v_p3[64], v_p1[64];
    row_version(w, "Bridge", "br-int", v_bridge, sizeof v_bridge);
    row_version(w, "Port", "p3", v_p3, sizeof v_p3);
    row_version(w, "Port", "p1", v_p1, sizeof v_p1);
    assert_int_equal(apply(w, want, NULL), 0);
    struct seen seen2 = {0};
    struct ovsdb_client *fresh = make_client(w, &seen2);
    assert_true(sbx_loop_until(w->base, client_synced, fresh, WAIT_MS));
    struct ovsdb_txn *txn = ovsdb_txn_create(OVSB_DB);
    assert_int_equal(ovsb_build_txn(ovsdb_client_replica(fresh), want,
                                    OWNER, txn, NULL), 0);
    ovsdb_txn_destroy(txn);
    ovsdb_client_destroy(fresh);

    /* A changed tag and a port gone: the Port of p1 is updated, p2 goes,
     * and the Port of p3 is not written. */
    want->ports[0].tag = 201;
    remove_port(want, "p2");
    assert_int_equal(apply(w, want, NULL), 4);
    assert_get(w, "port", "p1", "tag", "201");
    char *ports = vsctl(w, "list-ports", "br-int", NULL);
    assert_string_equal(ports, "p1\np3\ntun0");
    free(ports);
    char v2[64];
    row_version(w, "Port", "p3", v2, sizeof v2);
    assert_string_equal(v2, v_p3);
    row_version(w, "Port", "p1", v2, sizeof v2);
    if (v_p1[0]) {
        assert_string_not_equal(v2, v_p1);
    }
    row_version(w, "Bridge", "br-int", v2, sizeof v2);
    if (v_bridge[0]) {
        /* Bridge.ports lost p2. */
        assert_string_not_equal(v2, v_bridge);
    }
    assert_int_equal(apply(w, want, NULL), 0);

    /* Destroy: nothing left. */
    assert_true(apply(w, NULL, NULL) > 0);
    char *bridges = vsctl(w, "list-br", NULL);
    assert_string_equal(bridges, "");
    free(bridges);
    assert_int_equal(replica_count(replica(w), "Port"), 0);
    assert_int_equal(replica_count(replica(w), "Interface"), 0);
    assert_int_equal(apply(w, NULL, NULL), 0);
    ovsb_bridge_free(want);
}

static bool
has_foreign_eth9(void *w_)
{
    struct world *w = w_;
    char **names;
    size_t n;
    bool found = false;
    if (!ovsb_foreign_ports(replica(w), "br-int", OWNER, &names, &n)) {
        found = n == 1 && !strcmp(names[0], "eth9");
        for (size_t i = 0; i < n; i++) {
            free(names[i]);
        }
        free(names);
    }
    return found;
}

static bool
no_foreign(void *w_)
{
    struct world *w = w_;
    char **names;
    size_t n;
    if (ovsb_foreign_ports(replica(w), "br-int", OWNER, &names, &n)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    return n == 0;
}

/* A foreign bridge and a foreign port on our bridge: never touched; the
 * bridge is kept by destroy while the foreign port is on it. */
static void
test_foreign(void **state)
{
    struct world *w = *state;
    if (!w) {
        skip();
    }
    free(vsctl(w, "add-br", "br-ex", "--", "set", "bridge", "br-ex",
               "datapath_type=netdev", NULL));
    struct ovsb_bridge *want = desired();
    assert_true(apply(w, want, NULL) > 0);

    /* A bridge of the name of a foreign one: refused. */
    struct ovsb_bridge *ex = ovsb_bridge_create("br-ex", "netdev", NULL);
    struct ovsdb_error *error = NULL;
    assert_int_equal(apply(w, ex, &error), -EEXIST);
    assert_string_equal(error->msg, "Bridge br-ex already exists and is "
                        "not owned by " OWNER ".");
    ovsdb_error_free(error);
    ovsb_bridge_free(ex);

    free(vsctl(w, "add-port", "br-int", "eth9", "--", "set", "interface",
               "eth9", "type=internal", NULL));
    assert_true(sbx_loop_until(w->base, has_foreign_eth9, w, WAIT_MS));
    assert_int_equal(apply(w, want, NULL), 0);

    remove_port(want, "p3");
    assert_int_equal(apply(w, want, NULL), 3);
    char *ports = vsctl(w, "list-ports", "br-int", NULL);
    assert_string_equal(ports, "eth9\np1\np2\ntun0");
    free(ports);
    assert_get(w, "interface", "eth9", "type", "internal");

    /* Destroy: our ports go, the bridge stays for eth9, br-ex stays. */
    assert_int_equal(apply(w, NULL, NULL), 7);
    char *bridges = vsctl(w, "list-br", NULL);
    assert_string_equal(bridges, "br-ex\nbr-int");
    free(bridges);
    ports = vsctl(w, "list-ports", "br-int", NULL);
    assert_string_equal(ports, "eth9");
    free(ports);
    assert_int_equal(apply(w, NULL, NULL), 0);

    /* Once the foreign port is gone, destroy removes the bridge. */
    free(vsctl(w, "del-port", "br-int", "eth9", NULL));
    assert_true(sbx_loop_until(w->base, no_foreign, w, WAIT_MS));
    assert_int_equal(apply(w, NULL, NULL), 4);
    bridges = vsctl(w, "list-br", NULL);
    assert_string_equal(bridges, "br-ex");
    free(bridges);
    assert_get(w, "interface", "br-ex", "type", "internal");
    assert_int_equal(apply(w, NULL, NULL), 0);
    ovsb_bridge_free(want);
}

static bool
ofctl_sees_all(void *w_)
{
    struct world *w = w_;
    char *mgmt = vswitchd_mgmt(&w->vs, "br-int");
    char *out = NULL;
    int rc = sbx_runl(&out, "ovs-ofctl", "show", mgmt, NULL);
    bool ok = !rc && strstr(out, "(p1)") && strstr(out, "(p2)")
              && strstr(out, "(p3)") && strstr(out, "(tun0)");
    free(out);
    free(mgmt);
    return ok;
}

/* kill -9 of ovs-vswitchd and a restart: the DB still matches, and the
 * restarted daemon takes the next change. */
static void
test_vswitchd_restart(void **state)
{
    struct world *w = *state;
    if (!w) {
        skip();
    }
    struct ovsb_bridge *want = desired();
    assert_true(apply(w, want, NULL) > 0);
    wait_bound(w, 5);

    assert_int_equal(vswitchd_kill(&w->vs, SIGKILL), 0);
    assert_int_equal(vswitchd_start(&w->vs), 0);
    long long deadline = sbx_now_ms() + WAIT_MS;
    while (!ofctl_sees_all(w) && sbx_now_ms() < deadline) {
        sbx_loop_for(w->base, 50);
    }
    assert_true(ofctl_sees_all(w));
    assert_int_equal(apply(w, want, NULL), 0);
    char *show = vsctl(w, "show", NULL);
    assert_true(contains(show, "tag: 101"));
    assert_true(contains(show, "tag: 102"));
    free(show);

    struct ovsb_port *p = ovsb_bridge_add_port(want, "p4", "internal", 104);
    fabric_smap_add(&p->external_ids, "iface-id", "p4-id");
    assert_int_equal(apply(w, want, NULL), 3);
    wait_bound(w, 6);
    assert_get(w, "port", "p4", "tag", "104");
    ovsb_bridge_free(want);
}

static bool
has_disconnected(void *seen)
{
    return ((struct seen *) seen)->disconnects > 0;
}

struct resynced {
    struct world *w;
    int synced;
};

/* The client synced again and its replica lost port p2. */
static bool
resynced_without_p2(void *r_)
{
    struct resynced *r = r_;
    if (r->w->seen.synced <= r->synced
        || !ovsdb_client_is_synced(r->w->client)) {
        return false;
    }
    size_t iter = 0;
    const struct replica_row *row;
    while ((row = replica_next(replica(r->w), "Port", &iter))) {
        if (!strcmp(json_string_value(replica_row_get(row, "name")), "p2")) {
            return false;
        }
    }
    return true;
}

/* kill -9 of ovsdb-server; while it is down, p2 is deleted and the tag of
 * p1 changed in its file; after the restart the client resyncs and the
 * next apply puts back exactly what is missing. */
static void
test_ovsdb_restart(void **state)
{
    struct world *w = *state;
    if (!w) {
        skip();
    }
    struct ovsb_bridge *want = desired();
    assert_true(apply(w, want, NULL) > 0);
    wait_bound(w, 5);

    char p2_uuid[64] = "";
    size_t iter = 0;
    const struct replica_row *row;
    while ((row = replica_next(replica(w), "Port", &iter))) {
        if (!strcmp(json_string_value(replica_row_get(row, "name")), "p2")) {
            snprintf(p2_uuid, sizeof p2_uuid, "%s", row->uuid);
        }
    }
    assert_true(p2_uuid[0]);

    assert_int_equal(sbx_ovsdb_kill(&w->db, SIGKILL), 0);
    assert_true(sbx_loop_until(w->base, has_disconnected, &w->seen,
                               WAIT_MS));
    char *txn = NULL;
    if (asprintf(&txn,
                 "[\"Open_vSwitch\","
                 "{\"op\":\"mutate\",\"table\":\"Bridge\","
                 "\"where\":[[\"name\",\"==\",\"br-int\"]],"
                 "\"mutations\":[[\"ports\",\"delete\","
                 "[\"uuid\",\"%s\"]]]},"
                 "{\"op\":\"delete\",\"table\":\"Port\","
                 "\"where\":[[\"name\",\"==\",\"p2\"]]},"
                 "{\"op\":\"update\",\"table\":\"Port\","
                 "\"where\":[[\"name\",\"==\",\"p1\"]],"
                 "\"row\":{\"tag\":999}}]", p2_uuid) < 0) {
        abort();
    }
    char *out = NULL;
    assert_int_equal(sbx_runl(&out, "ovsdb-tool", "transact", w->db.db_path,
                              txn, NULL), 0);
    assert_null(strstr(out, "error"));
    free(out);
    free(txn);

    struct resynced r = {w, w->seen.synced};
    assert_int_equal(sbx_ovsdb_start(&w->db, NULL), 0);
    assert_true(sbx_loop_until(w->base, resynced_without_p2, &r, WAIT_MS));

    /* Insert p2's Interface and Port, mutate Bridge.ports, update p1. */
    assert_int_equal(apply(w, want, NULL), 4);
    assert_get(w, "port", "p1", "tag", "101");
    assert_get(w, "port", "p2", "tag", "102");
    assert_get(w, "interface", "p2", "external_ids:iface-id", "p2-id");
    assert_int_equal(apply(w, want, NULL), 0);
    /* ovs-vswitchd reconnected too and binds the new p2. */
    wait_bound(w, 5);
    ovsb_bridge_free(want);
}

int
main(void)
{
    have_netns = !vswitchd_private_netns();
    if (!have_netns) {
        fprintf(stderr, "no network namespace of our own: skipping\n");
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apply_reapply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vswitchd_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ovsdb_restart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
