/* Functional tests of the OVSDB client (ovsdb/client.h) against real
 * ovsdb-server processes: transactions of every kind through the client,
 * the monitor_cond replica with a second writer and condition changes,
 * resync after kill -9, locks, optimistic retries, and a 3-member Raft
 * cluster that loses its leader. */
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
#include "cluster.h"
#include "datum.h"
#include "ovsdb-error.h"
#include "replica.h"
#include "sandbox.h"
#include "txn.h"
#include "xstring.h"

#define VSWITCH_SCHEMA "/usr/share/openvswitch/vswitch.ovsschema"
#define TEST_SCHEMA FABRIC_SOURCE_DIR "/tests/data/test.ovsschema"
#define WAIT_MS 10000

/* What one client saw. */
struct seen {
    int inserts, modifies, deletes;
    char last_delete[64];
    int synced;
    int disconnects;
    char log[8192]; /* Errors and warnings the client logged. */
};

/* One test's world: a sandbox directory, a server, a loop, clients. */
struct world {
    char *dir;
    struct sbx_ovsdb server;
    struct event_base *base;
};

/* A transaction's outcome. */
struct outcome {
    bool done;
    int code;       /* 0 or the error's code. */
    char tag[64];   /* The error's tag. */
    json_t *result; /* New reference on success. */
};

static void
log_to_seen(void *seen_, enum jsonrpc_log_level level, const char *msg)
{
    struct seen *seen = seen_;
    if (level >= JSONRPC_LOG_WARN) {
        size_t len = strlen(seen->log);
        snprintf(seen->log + len, sizeof seen->log - len, "%s\n", msg);
    }
}

static void
count_change(void *seen_, enum replica_change change,
             const struct replica_row *old, const struct replica_row *new)
{
    struct seen *seen = seen_;
    switch (change) {
    case REPLICA_INSERT:
        seen->inserts++;
        break;
    case REPLICA_MODIFY:
        seen->modifies++;
        break;
    case REPLICA_DELETE:
        seen->deletes++;
        snprintf(seen->last_delete, sizeof seen->last_delete, "%s", old->uuid);
        break;
    }
}

static void
on_synced(void *seen_)
{
    ((struct seen *)seen_)->synced++;
}

static void
on_disconnected(void *seen_, const struct ovsdb_error *error)
{
    ((struct seen *)seen_)->disconnects++;
}

static struct ovsdb_client *
make_client(struct world *w, const char *remotes, const char *db,
            struct seen *seen, const char *const *tables)
{
    struct ovsdb_client_options options = {
        .remotes = remotes,
        .db = db,
        .min_backoff_ms = 50,
        .max_backoff_ms = 400,
        .log = log_to_seen,
        .log_aux = seen,
    };
    struct ovsdb_client_callbacks cbs = {
        .synced = on_synced,
        .disconnected = on_disconnected,
        .aux = seen,
    };
    struct ovsdb_client *client;
    struct ovsdb_error *error = NULL;
    int rc = ovsdb_client_create(w->base, &options, &cbs, &client, &error);
    if (rc) {
        fail_msg("ovsdb_client_create: %s", error->msg);
    }
    for (const char *const *t = tables; t && *t; t++) {
        ovsdb_client_monitor(client, *t, NULL);
        ovsdb_client_on_change(client, *t, count_change, seen);
    }
    return client;
}

static bool
client_synced(void *client)
{
    return ovsdb_client_is_synced(client);
}

static void
wait_synced(struct world *w, struct ovsdb_client *client)
{
    assert_true(sbx_loop_until(w->base, client_synced, client, WAIT_MS));
}

static void
txn_done(void *outcome_, const json_t *result, const struct ovsdb_error *error)
{
    struct outcome *o = outcome_;
    o->done = true;
    if (error) {
        o->code = error->code;
        snprintf(o->tag, sizeof o->tag, "%s", error->tag ? error->tag : "");
    } else {
        o->result = json_incref((json_t *)result);
    }
}

static bool
outcome_done(void *o)
{
    return ((struct outcome *)o)->done;
}

/* Sends 'txn' through 'client' and waits for its outcome. */
static struct outcome
transact(struct world *w, struct ovsdb_client *client, struct ovsdb_txn *txn)
{
    struct outcome o = {0};
    assert_int_equal(ovsdb_client_transact(client, txn, txn_done, &o), 0);
    assert_true(sbx_loop_until(w->base, outcome_done, &o, WAIT_MS));
    return o;
}

static int
setup_world(void **state, const char *schema)
{
    struct world *w = calloc(1, sizeof *w);
    w->dir = sbx_mkdtemp("client");
    if (!w->dir) {
        return -1;
    }
    sbx_ovsdb_init(&w->server, w->dir, "db");
    if (sbx_ovsdb_create_db(&w->server, schema) ||
        sbx_ovsdb_start(&w->server, NULL)) {
        return -1;
    }
    w->base = event_base_new();
    *state = w;
    return 0;
}

static int
setup_vswitch(void **state)
{
    return setup_world(state, VSWITCH_SCHEMA);
}

static int
setup_test_schema(void **state)
{
    return setup_world(state, TEST_SCHEMA);
}

static int
teardown_world(void **state)
{
    struct world *w = *state;
    if (w) {
        sbx_ovsdb_clear(&w->server);
        if (w->base) {
            event_base_free(w->base);
        }
        sbx_rmtree(w->dir);
        free(w->dir);
        free(w);
    }
    return 0;
}

/* Returns the row of 'table' whose 'name' column is 'name', or NULL. */
static const struct replica_row *
find_by_name(const struct replica *replica, const char *table,
             const char *name)
{
    size_t iter = 0;
    const struct replica_row *row;
    while ((row = replica_next(replica, table, &iter))) {
        const char *n = json_string_value(replica_row_get(row, "name"));
        if (n && !strcmp(n, name)) {
            return row;
        }
    }
    return NULL;
}

static json_t *
where_name(const char *name)
{
    return json_pack("[o]", ovsdb_cond("name", "==", json_string(name)));
}

/* Every transact operation, through the client, on the test schema. */
static void
test_every_operation(void **state)
{
    struct world *w = *state;
    static const char *const tables[] = {"Parent", "Child", NULL};
    struct seen seen = {0};
    struct ovsdb_client *client =
        make_client(w, w->server.unix_remote, "Test", &seen, tables);
    wait_synced(w, client);

    /* insert with a named-uuid reference, comment, commit. */
    struct ovsdb_txn *txn = ovsdb_txn_create("Test");
    ovsdb_txn_insert(txn, "Child",
                     json_pack("{s:s, s:i}", "name", "c1", "size", 7), "c1");
    size_t ins = ovsdb_txn_insert(
        txn, "Parent",
        json_pack("{s:s, s:i, s:o, s:o, s:o}", "name", "p1", "count", 1,
                  "child", ovsdb_named_uuid("c1"), "tags",
                  ovsdb_set(json_pack("[s s]", "a", "b")), "options",
                  ovsdb_map(json_pack("[[s s]]", "k", "v"))),
        NULL);
    ovsdb_txn_comment(txn, "every operation: insert");
    ovsdb_txn_commit(txn, false);
    struct outcome o = transact(w, client, txn);
    assert_int_equal(o.code, 0);
    const char *p1_uuid = ovsdb_txn_inserted_uuid(o.result, ins);
    assert_non_null(p1_uuid);
    char p1[37];
    snprintf(p1, sizeof p1, "%s", p1_uuid);
    json_decref(o.result);

    /* The replica has both rows, the reference resolved to the child. */
    assert_true(sbx_loop_until(w->base, client_synced, client, WAIT_MS));
    const struct replica *r = ovsdb_client_replica(client);
    const struct replica_row *child = find_by_name(r, "Child", "c1");
    const struct replica_row *parent = replica_get(r, "Parent", p1);
    assert_non_null(child);
    assert_non_null(parent);
    json_t *child_elems = ovsdb_set_elements(replica_row_get(parent, "child"));
    assert_string_equal(ovsdb_atom_uuid(json_array_get(child_elems, 0)),
                        child->uuid);
    json_decref(child_elems);

    /* select, update, mutate, wait (succeeds). */
    txn = ovsdb_txn_create("Test");
    ovsdb_txn_wait(txn, "Parent", where_name("p1"), json_pack("[s]", "count"),
                   "==", json_pack("[{s:i}]", "count", 1), 0);
    ovsdb_txn_update(txn, "Parent", where_name("p1"),
                     json_pack("{s:i}", "count", 10));
    ovsdb_txn_mutate(
        txn, "Parent", where_name("p1"),
        json_pack("[o o o]", ovsdb_mutation("count", "+=", json_integer(5)),
                  ovsdb_mutation("tags", "insert", json_string("c")),
                  ovsdb_mutation("options", "delete",
                                 json_pack("[s [s]]", "set", "k"))));
    size_t sel = ovsdb_txn_select(txn, "Parent", where_name("p1"),
                                  json_pack("[s s]", "count", "tags"));
    o = transact(w, client, txn);
    assert_int_equal(o.code, 0);
    const json_t *rows = ovsdb_txn_selected_rows(o.result, sel);
    assert_int_equal(json_array_size(rows), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(rows, 0), "count")),
        15);
    json_decref(o.result);

    /* The replica follows: count 15, three tags, empty options. */
    assert_true(sbx_loop_until(w->base, client_synced, client, WAIT_MS));
    parent = replica_get(ovsdb_client_replica(client), "Parent", p1);
    assert_int_equal(json_integer_value(replica_row_get(parent, "count")), 15);
    json_t *tags = ovsdb_set_elements(replica_row_get(parent, "tags"));
    assert_int_equal(json_array_size(tags), 3);
    json_decref(tags);
    assert_null(ovsdb_map_get(replica_row_get(parent, "options"), "k"));

    /* A wait that fails: -ETIMEDOUT, nothing changes. */
    txn = ovsdb_txn_create("Test");
    ovsdb_txn_wait(txn, "Parent", where_name("p1"), json_pack("[s]", "count"),
                   "==", json_pack("[{s:i}]", "count", 99), 0);
    ovsdb_txn_update(txn, "Parent", where_name("p1"),
                     json_pack("{s:i}", "count", 0));
    o = transact(w, client, txn);
    assert_int_equal(o.code, -ETIMEDOUT);
    assert_string_equal(o.tag, "timed out");

    /* abort: -ECANCELED and the insert before it is not applied. */
    txn = ovsdb_txn_create("Test");
    ovsdb_txn_insert(txn, "Child", json_pack("{s:s}", "name", "ghost"), NULL);
    ovsdb_txn_abort(txn);
    o = transact(w, client, txn);
    assert_int_equal(o.code, -ECANCELED);

    /* assert of a lock we do not hold: -EPERM. */
    txn = ovsdb_txn_create("Test");
    ovsdb_txn_assert(txn, "fabric_test_lock");
    o = transact(w, client, txn);
    assert_int_equal(o.code, -EPERM);

    /* A constraint violation (the unique index on Parent name). */
    txn = ovsdb_txn_create("Test");
    ovsdb_txn_insert(txn, "Parent", json_pack("{s:s}", "name", "p1"), NULL);
    o = transact(w, client, txn);
    assert_int_equal(o.code, -EINVAL);
    assert_string_equal(o.tag, "constraint violation");

    /* delete: the parent goes, and the replica reports it. */
    int deletes = seen.deletes;
    txn = ovsdb_txn_create("Test");
    ovsdb_txn_delete(txn, "Parent", where_name("p1"));
    o = transact(w, client, txn);
    assert_int_equal(o.code, 0);
    json_decref(o.result);
    assert_true(sbx_loop_until(w->base, client_synced, client, WAIT_MS));
    sbx_loop_for(w->base, 100);
    assert_null(replica_get(ovsdb_client_replica(client), "Parent", p1));
    /* Parent and its now unreferenced child (Child is not a root table)
     * are both deleted. */
    assert_true(seen.deletes >= deletes + 1);
    assert_null(find_by_name(ovsdb_client_replica(client), "Child", "c1"));
    assert_string_equal(seen.log, "");

    ovsdb_client_destroy(client);
}

/* A second writer (ovsdb-client transact) is seen by the replica, with a
 * modify carrying old and new values. */
struct modify_seen {
    char old_type[64], new_type[64];
    json_int_t old_ofport, new_ofport;
    int modifies;
};

static void
record_modify(void *ms_, enum replica_change change,
              const struct replica_row *old, const struct replica_row *new)
{
    struct modify_seen *ms = ms_;
    if (change != REPLICA_MODIFY) {
        return;
    }
    ms->modifies++;
    snprintf(ms->old_type, sizeof ms->old_type, "%s",
             json_string_value(replica_row_get(old, "type")));
    snprintf(ms->new_type, sizeof ms->new_type, "%s",
             json_string_value(replica_row_get(new, "type")));
    json_t *o = ovsdb_set_elements(replica_row_get(old, "ofport"));
    json_t *n = ovsdb_set_elements(replica_row_get(new, "ofport"));
    ms->old_ofport =
        json_array_size(o) ? json_integer_value(json_array_get(o, 0)) : -1;
    ms->new_ofport =
        json_array_size(n) ? json_integer_value(json_array_get(n, 0)) : -1;
    json_decref(o);
    json_decref(n);
}

static int
ovsdb_client_cli(struct world *w, const char *json)
{
    char *out = NULL;
    int rc = sbx_runl(&out, "ovsdb-client", "transact", w->server.unix_remote,
                      json, NULL);
    if (rc || !out || strstr(out, "\"error\"")) {
        fprintf(stderr, "ovsdb-client transact %s: %s\n", json,
                out ? out : "");
        rc = rc ? rc : -EIO;
    }
    free(out);
    return rc;
}

static bool
has_modifies(void *ms)
{
    return ((struct modify_seen *)ms)->modifies > 0;
}

struct count_wait {
    const struct ovsdb_client *client;
    const char *table;
    size_t n;
};

static bool
count_is(void *cw_)
{
    struct count_wait *cw = cw_;
    const struct replica *r = ovsdb_client_replica(cw->client);
    return r && ovsdb_client_is_synced(cw->client) &&
           replica_count(r, cw->table) == cw->n;
}

static void
wait_count(struct world *w, struct ovsdb_client *client, const char *table,
           size_t n)
{
    struct count_wait cw = {client, table, n};
    assert_true(sbx_loop_until(w->base, count_is, &cw, WAIT_MS));
}

/* Inserts Interface 'row' (JSON) with a Port and a Bridge (br0) to hold
 * it, since Interface is not a root table; returns ovsdb-client's
 * status. */
static int
insert_eth7(struct world *w, const char *row)
{
    char *txn = xasprintf(
        "[\"Open_vSwitch\",{\"op\":\"insert\",\"table\":\"Interface\","
        "\"row\":%s,\"uuid-name\":\"i\"},"
        "{\"op\":\"insert\",\"table\":\"Port\",\"row\":{\"name\":\"eth7\","
        "\"interfaces\":[\"named-uuid\",\"i\"]},\"uuid-name\":\"p\"},"
        "{\"op\":\"insert\",\"table\":\"Bridge\",\"row\":{\"name\":\"br0\","
        "\"ports\":[\"named-uuid\",\"p\"]},\"uuid-name\":\"b\"},"
        "{\"op\":\"insert\",\"table\":\"Open_vSwitch\",\"row\":{"
        "\"bridges\":[\"named-uuid\",\"b\"]}}]",
        row);
    int rc = ovsdb_client_cli(w, txn);
    free(txn);
    return rc;
}

static void
test_second_writer(void **state)
{
    struct world *w = *state;
    static const char *const tables[] = {"Interface", NULL};
    struct seen seen = {0};
    struct modify_seen ms = {0};
    struct ovsdb_client *client =
        make_client(w, w->server.unix_remote, "Open_vSwitch", &seen, tables);
    ovsdb_client_on_change(client, "Interface", record_modify, &ms);
    wait_synced(w, client);
    assert_int_equal(replica_count(ovsdb_client_replica(client), "Interface"),
                     0);

    assert_int_equal(insert_eth7(w, "{\"name\":\"eth7\"}"), 0);
    wait_count(w, client, "Interface", 1);
    assert_int_equal(seen.inserts, 1);

    assert_int_equal(
        ovsdb_client_cli(w, "[\"Open_vSwitch\",{\"op\":\"update\",\"table\":"
                            "\"Interface\",\"where\":[[\"name\",\"==\","
                            "\"eth7\"]],\"row\":{\"type\":\"internal\","
                            "\"ofport\":42}}]"),
        0);
    assert_true(sbx_loop_until(w->base, has_modifies, &ms, WAIT_MS));
    assert_string_equal(ms.old_type, "");
    assert_string_equal(ms.new_type, "internal");
    assert_int_equal(ms.old_ofport, -1);
    assert_int_equal(ms.new_ofport, 42);
    assert_string_equal(seen.log, "");
    ovsdb_client_destroy(client);
}

/* For sbx_loop_until(): 'target' is {&seen, N}: N modifies seen. */
struct modifies_wait {
    const struct seen *seen;
    int n;
};

static bool
modifies_reach(void *mw_)
{
    const struct modifies_wait *mw = mw_;
    return mw->seen->modifies >= mw->n;
}

/* A table monitored but for some columns: the replica never holds them,
 * and a change of those alone sends nothing. */
static void
test_monitor_except(void **state)
{
    struct world *w = *state;
    struct seen seen = {0};
    struct ovsdb_client *client =
        make_client(w, w->server.unix_remote, "Open_vSwitch", &seen, NULL);
    static const char *const unread[] = {"statistics", "ofport", NULL};
    ovsdb_client_monitor_except(client, "Interface", unread);
    ovsdb_client_on_change(client, "Interface", count_change, &seen);
    wait_synced(w, client);
    assert_int_equal(insert_eth7(w,
                                 "{\"name\":\"eth7\",\"ofport\":42,\"type\":"
                                 "\"internal\",\"statistics\":[\"map\","
                                 "[[\"rx_packets\",5]]]}"),
                     0);
    wait_count(w, client, "Interface", 1);
    size_t iter = 0;
    const struct replica_row *row =
        replica_next(ovsdb_client_replica(client), "Interface", &iter);
    assert_non_null(row);
    assert_string_equal(
        json_string_value(json_object_get(row->columns, "type")), "internal");
    assert_null(json_object_get(row->columns, "statistics"));
    assert_null(json_object_get(row->columns, "ofport"));

    /* Statistics alone: no update; then the type: one. */
    int modifies = seen.modifies;
    assert_int_equal(
        ovsdb_client_cli(w,
                         "[\"Open_vSwitch\",{\"op\":\"update\",\"table\":"
                         "\"Interface\",\"where\":[],\"row\":{\"statistics\":"
                         "[\"map\",[[\"rx_packets\",9]]]}}]"),
        0);
    assert_int_equal(
        ovsdb_client_cli(w, "[\"Open_vSwitch\",{\"op\":\"update\",\"table\":"
                            "\"Interface\",\"where\":[],\"row\":{\"type\":"
                            "\"\"}}]"),
        0);
    /* The notifications come in order: the type's is the first. */
    struct modifies_wait mw = {&seen, modifies + 1};
    assert_true(sbx_loop_until(w->base, modifies_reach, &mw, WAIT_MS));
    iter = 0;
    row = replica_next(ovsdb_client_replica(client), "Interface", &iter);
    const json_t *type = json_object_get(row->columns, "type");
    assert_true(!type || !strcmp(json_string_value(type), ""));
    assert_int_equal(seen.modifies, modifies + 1);
    assert_string_equal(seen.log, "");
    ovsdb_client_destroy(client);
}

/* Condition changes: rows that leave the condition are deleted from the
 * replica, rows that enter it are inserted. */
static void
test_condition_change(void **state)
{
    struct world *w = *state;
    static const char *const tables[] = {"Child", NULL};
    struct seen seen = {0};
    struct ovsdb_client *client =
        make_client(w, w->server.unix_remote, "Test", &seen, tables);
    ovsdb_client_set_condition(client, "Child", where_name("a"));
    wait_synced(w, client);

    struct ovsdb_txn *txn = ovsdb_txn_create("Test");
    /* Child rows need a referrer to survive: Parent is the root. */
    ovsdb_txn_insert(txn, "Child", json_pack("{s:s}", "name", "a"), "a");
    ovsdb_txn_insert(txn, "Child", json_pack("{s:s}", "name", "b"), "b");
    ovsdb_txn_insert(
        txn, "Parent",
        json_pack("{s:s, s:o}", "name", "pa", "child", ovsdb_named_uuid("a")),
        NULL);
    ovsdb_txn_insert(
        txn, "Parent",
        json_pack("{s:s, s:o}", "name", "pb", "child", ovsdb_named_uuid("b")),
        NULL);
    struct outcome o = transact(w, client, txn);
    assert_int_equal(o.code, 0);
    json_decref(o.result);

    wait_count(w, client, "Child", 1);
    const struct replica *r = ovsdb_client_replica(client);
    assert_non_null(find_by_name(r, "Child", "a"));
    assert_null(find_by_name(r, "Child", "b"));

    int inserts = seen.inserts, deletes = seen.deletes;
    assert_int_equal(
        ovsdb_client_set_condition(client, "Child", where_name("b")), 0);
    struct {
        struct seen *s;
        int i, d;
    } want = {&seen, inserts, deletes};
    bool changed = false;
    long long deadline = sbx_now_ms() + WAIT_MS;
    while (!changed && sbx_now_ms() < deadline) {
        sbx_loop_for(w->base, 20);
        changed =
            want.s->inserts == want.i + 1 && want.s->deletes == want.d + 1;
    }
    assert_true(changed);
    r = ovsdb_client_replica(client);
    assert_int_equal(replica_count(r, "Child"), 1);
    assert_non_null(find_by_name(r, "Child", "b"));
    assert_null(find_by_name(r, "Child", "a"));

    /* Every row again. */
    assert_int_equal(ovsdb_client_set_condition(client, "Child", NULL), 0);
    wait_count(w, client, "Child", 2);
    assert_string_equal(seen.log, "");
    ovsdb_client_destroy(client);
}

static bool
has_disconnected(void *seen)
{
    return ((struct seen *)seen)->disconnects > 0;
}

/* kill -9 of the server, rows changed while it is down (with ovsdb-tool on
 * the file), restart: the replica resyncs with no stale rows and reports
 * what was deleted. */
static void
test_resync_after_kill(void **state)
{
    struct world *w = *state;
    static const char *const tables[] = {"Parent", "Child", NULL};
    struct seen seen = {0};
    struct ovsdb_client *client =
        make_client(w, w->server.unix_remote, "Test", &seen, tables);
    wait_synced(w, client);

    struct ovsdb_txn *txn = ovsdb_txn_create("Test");
    size_t keep = ovsdb_txn_insert(txn, "Parent",
                                   json_pack("{s:s}", "name", "keep"), NULL);
    size_t gone = ovsdb_txn_insert(txn, "Parent",
                                   json_pack("{s:s}", "name", "gone"), NULL);
    struct outcome o = transact(w, client, txn);
    assert_int_equal(o.code, 0);
    char keep_uuid[37], gone_uuid[37];
    snprintf(keep_uuid, sizeof keep_uuid, "%s",
             ovsdb_txn_inserted_uuid(o.result, keep));
    snprintf(gone_uuid, sizeof gone_uuid, "%s",
             ovsdb_txn_inserted_uuid(o.result, gone));
    json_decref(o.result);
    wait_count(w, client, "Parent", 2);

    assert_int_equal(sbx_ovsdb_kill(&w->server, SIGKILL), 0);
    assert_true(sbx_loop_until(w->base, has_disconnected, &seen, WAIT_MS));
    /* Offline changes: delete "gone", rename "keep", add "new". */
    char *out = NULL;
    int rc = sbx_runl(&out, "ovsdb-tool", "transact", w->server.db_path,
                      "[\"Test\","
                      "{\"op\":\"delete\",\"table\":\"Parent\","
                      "\"where\":[[\"name\",\"==\",\"gone\"]]},"
                      "{\"op\":\"update\",\"table\":\"Parent\","
                      "\"where\":[[\"name\",\"==\",\"keep\"]],"
                      "\"row\":{\"count\":3}},"
                      "{\"op\":\"insert\",\"table\":\"Parent\","
                      "\"row\":{\"name\":\"new\"}}]",
                      NULL);
    assert_int_equal(rc, 0);
    assert_null(strstr(out, "error"));
    free(out);

    int synced = seen.synced, deletes = seen.deletes;
    int modifies = seen.modifies, inserts = seen.inserts;
    assert_int_equal(sbx_ovsdb_start(&w->server, NULL), 0);
    long long deadline = sbx_now_ms() + WAIT_MS;
    while (seen.synced == synced && sbx_now_ms() < deadline) {
        sbx_loop_for(w->base, 20);
    }
    assert_true(seen.synced > synced);
    assert_true(seen.disconnects >= 1);

    const struct replica *r = ovsdb_client_replica(client);
    assert_int_equal(replica_count(r, "Parent"), 2);
    assert_null(replica_get(r, "Parent", gone_uuid));
    const struct replica_row *k = replica_get(r, "Parent", keep_uuid);
    assert_non_null(k);
    assert_int_equal(json_integer_value(replica_row_get(k, "count")), 3);
    assert_non_null(find_by_name(r, "Parent", "new"));
    assert_int_equal(seen.deletes, deletes + 1);
    assert_string_equal(seen.last_delete, gone_uuid);
    assert_int_equal(seen.modifies, modifies + 1);
    assert_int_equal(seen.inserts, inserts + 1);
    ovsdb_client_destroy(client);
}

/* Locks: the first client holds it; the second gets it when the first
 * lets go. */
struct lock_seen {
    bool locked;
    int changes;
};

static void
on_lock(void *ls_, const char *name, bool locked)
{
    struct lock_seen *ls = ls_;
    ls->locked = locked;
    ls->changes++;
}

static bool
is_locked(void *ls)
{
    return ((struct lock_seen *)ls)->locked;
}

static struct ovsdb_client *
make_lock_client(struct world *w, struct lock_seen *ls)
{
    struct ovsdb_client_options options = {
        .remotes = w->server.unix_remote,
        .db = "Test",
        .min_backoff_ms = 50,
        .max_backoff_ms = 400,
    };
    struct ovsdb_client_callbacks cbs = {.lock_changed = on_lock, .aux = ls};
    struct ovsdb_client *client;
    assert_int_equal(
        ovsdb_client_create(w->base, &options, &cbs, &client, NULL), 0);
    ovsdb_client_monitor(client, "Parent", NULL);
    return client;
}

static void
test_locks(void **state)
{
    struct world *w = *state;
    struct lock_seen ls1 = {0}, ls2 = {0};
    struct ovsdb_client *c1 = make_lock_client(w, &ls1);
    struct ovsdb_client *c2 = make_lock_client(w, &ls2);
    wait_synced(w, c1);
    wait_synced(w, c2);

    ovsdb_client_lock(c1, "fabric_host_hv1");
    assert_true(sbx_loop_until(w->base, is_locked, &ls1, WAIT_MS));
    ovsdb_client_lock(c2, "fabric_host_hv1");
    sbx_loop_for(w->base, 200);
    assert_false(ls2.locked);
    assert_false(ovsdb_client_has_lock(c2, "fabric_host_hv1"));

    /* An assert of the lock succeeds for its owner only. */
    struct ovsdb_txn *txn = ovsdb_txn_create("Test");
    ovsdb_txn_assert(txn, "fabric_host_hv1");
    struct outcome o = transact(w, c1, txn);
    assert_int_equal(o.code, 0);
    json_decref(o.result);
    txn = ovsdb_txn_create("Test");
    ovsdb_txn_assert(txn, "fabric_host_hv1");
    o = transact(w, c2, txn);
    assert_int_equal(o.code, -EPERM);

    ovsdb_client_unlock(c1, "fabric_host_hv1");
    assert_false(ls1.locked);
    assert_true(sbx_loop_until(w->base, is_locked, &ls2, WAIT_MS));
    assert_true(ovsdb_client_has_lock(c2, "fabric_host_hv1"));
    ovsdb_client_destroy(c1);
    ovsdb_client_destroy(c2);
}

/* Optimistic concurrency: two clients increment the same counter with a
 * wait on the value they read; both succeed, one after a retry. */
struct incr {
    const char *name;
    int builds;
    struct outcome outcome;
};

static int
build_incr(void *incr_, const struct replica *replica, struct ovsdb_txn *txn)
{
    struct incr *incr = incr_;
    incr->builds++;
    const struct replica_row *row =
        find_by_name(replica, "Parent", incr->name);
    if (!row) {
        return -ENOENT;
    }
    json_int_t count = json_integer_value(replica_row_get(row, "count"));
    ovsdb_txn_wait(txn, "Parent", where_name(incr->name),
                   json_pack("[s]", "count"),
                   "==", json_pack("[{s:I}]", "count", count), 0);
    ovsdb_txn_update(txn, "Parent", where_name(incr->name),
                     json_pack("{s:I}", "count", count + 1));
    return 0;
}

static void
incr_done(void *incr_, const json_t *result, const struct ovsdb_error *error)
{
    struct incr *incr = incr_;
    txn_done(&incr->outcome, result, error);
}

static bool
both_done(void *incrs_)
{
    struct incr *incrs = incrs_;
    return incrs[0].outcome.done && incrs[1].outcome.done;
}

static void
test_optimistic_retry(void **state)
{
    struct world *w = *state;
    static const char *const tables[] = {"Parent", NULL};
    struct seen s1 = {0}, s2 = {0};
    struct ovsdb_client *c1 =
        make_client(w, w->server.unix_remote, "Test", &s1, tables);
    struct ovsdb_client *c2 =
        make_client(w, w->server.unix_remote, "Test", &s2, tables);
    wait_synced(w, c1);
    wait_synced(w, c2);
    struct ovsdb_txn *txn = ovsdb_txn_create("Test");
    ovsdb_txn_insert(txn, "Parent",
                     json_pack("{s:s, s:i}", "name", "ctr", "count", 0), NULL);
    struct outcome o = transact(w, c1, txn);
    assert_int_equal(o.code, 0);
    json_decref(o.result);
    wait_count(w, c1, "Parent", 1);
    wait_count(w, c2, "Parent", 1);

    /* Both read count 0 before either writes. */
    struct incr incrs[2] = {{.name = "ctr"}, {.name = "ctr"}};
    assert_int_equal(
        ovsdb_client_transact_retry(c1, build_incr, incr_done, &incrs[0], 5),
        0);
    assert_int_equal(
        ovsdb_client_transact_retry(c2, build_incr, incr_done, &incrs[1], 5),
        0);
    assert_true(sbx_loop_until(w->base, both_done, incrs, WAIT_MS));
    assert_int_equal(incrs[0].outcome.code, 0);
    assert_int_equal(incrs[1].outcome.code, 0);
    json_decref(incrs[0].outcome.result);
    json_decref(incrs[1].outcome.result);
    /* Exactly one of them had to build again. */
    assert_int_equal(incrs[0].builds + incrs[1].builds, 3);

    sbx_loop_for(w->base, 100);
    const struct replica_row *row =
        find_by_name(ovsdb_client_replica(c1), "Parent", "ctr");
    assert_int_equal(json_integer_value(replica_row_get(row, "count")), 2);
    ovsdb_client_destroy(c1);
    ovsdb_client_destroy(c2);
}

/* monitor_cancel: a table that stops being monitored leaves the replica
 * (reported as deletes) and later changes to it are not seen, while the
 * other tables go on. */
static void
test_unmonitor(void **state)
{
    struct world *w = *state;
    static const char *const tables[] = {"Parent", "Child", NULL};
    struct seen seen = {0};
    struct ovsdb_client *client =
        make_client(w, w->server.unix_remote, "Test", &seen, tables);
    wait_synced(w, client);
    struct ovsdb_txn *txn = ovsdb_txn_create("Test");
    ovsdb_txn_insert(txn, "Child", json_pack("{s:s}", "name", "c"), "c");
    ovsdb_txn_insert(
        txn, "Parent",
        json_pack("{s:s, s:o}", "name", "p", "child", ovsdb_named_uuid("c")),
        NULL);
    struct outcome o = transact(w, client, txn);
    assert_int_equal(o.code, 0);
    json_decref(o.result);
    wait_count(w, client, "Child", 1);

    int deletes = seen.deletes;
    assert_int_equal(ovsdb_client_unmonitor(client, "Child"), 0);
    assert_int_equal(ovsdb_client_unmonitor(client, "Child"), -ENOENT);
    assert_int_equal(seen.deletes, deletes + 1);
    wait_synced(w, client);
    assert_int_equal(replica_count(ovsdb_client_replica(client), "Child"), 0);

    /* A new child is not seen; a change to Parent is. */
    int inserts = seen.inserts, modifies = seen.modifies;
    txn = ovsdb_txn_create("Test");
    ovsdb_txn_insert(txn, "Child", json_pack("{s:s}", "name", "c2"), "c2");
    ovsdb_txn_update(
        txn, "Parent", where_name("p"),
        json_pack("{s:i, s:o}", "count", 5, "child", ovsdb_named_uuid("c2")));
    o = transact(w, client, txn);
    assert_int_equal(o.code, 0);
    json_decref(o.result);
    long long deadline = sbx_now_ms() + WAIT_MS;
    while (seen.modifies == modifies && sbx_now_ms() < deadline) {
        sbx_loop_for(w->base, 20);
    }
    assert_int_equal(seen.modifies, modifies + 1);
    assert_int_equal(seen.inserts, inserts);
    assert_int_equal(replica_count(ovsdb_client_replica(client), "Child"), 0);
    assert_string_equal(seen.log, "");
    ovsdb_client_destroy(client);
}

/* A monitored table the server does not have ends the connection with an
 * error naming it, and no replica is ever synced. */
static void
test_schema_mismatch(void **state)
{
    struct world *w = *state;
    static const char *const tables[] = {"Parent", "NoSuchTable", NULL};
    struct seen seen = {0};
    struct ovsdb_client *client =
        make_client(w, w->server.unix_remote, "Test", &seen, tables);
    sbx_loop_for(w->base, 500);
    assert_false(ovsdb_client_is_synced(client));
    assert_int_equal(seen.synced, 0);
    assert_non_null(strstr(seen.log, "has no table NoSuchTable"));
    ovsdb_client_destroy(client);
}

/* Raft: three members on loopback TCP; the client finds the leader, the
 * leader is killed, the client follows the new leader with its replica
 * intact, and a write succeeds. */
static void
test_raft_leader_failover(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    *state = w;
    w->dir = sbx_mkdtemp("raft");
    assert_non_null(w->dir);
    w->base = event_base_new();
    struct sbx_cluster cluster;
    int rc = sbx_cluster_start(&cluster, w->dir, TEST_SCHEMA, "Test", 3);
    assert_int_equal(rc, 0);
    int leader = sbx_cluster_leader(&cluster);
    assert_true(leader >= 0);

    static const char *const tables[] = {"Parent", NULL};
    struct seen seen = {0};
    struct ovsdb_client *client =
        make_client(w, cluster.remotes, "Test", &seen, tables);
    wait_synced(w, client);
    assert_string_equal(ovsdb_client_remote(client),
                        cluster.members[leader].tcp_remote);

    struct ovsdb_txn *txn = ovsdb_txn_create("Test");
    ovsdb_txn_insert(txn, "Parent", json_pack("{s:s}", "name", "before"),
                     NULL);
    struct outcome o = transact(w, client, txn);
    assert_int_equal(o.code, 0);
    json_decref(o.result);
    wait_count(w, client, "Parent", 1);

    long long t0 = sbx_now_ms();
    assert_int_equal(sbx_ovsdb_kill(&cluster.members[leader], SIGKILL), 0);
    int new_leader = sbx_cluster_wait_leader(&cluster, WAIT_MS);
    assert_true(new_leader >= 0 && new_leader != leader);

    /* The client comes back synced to the new leader. */
    long long deadline = sbx_now_ms() + WAIT_MS;
    while (sbx_now_ms() < deadline &&
           !(ovsdb_client_is_synced(client) &&
             !strcmp(ovsdb_client_remote(client),
                     cluster.members[new_leader].tcp_remote))) {
        sbx_loop_for(w->base, 20);
    }
    assert_string_equal(ovsdb_client_remote(client),
                        cluster.members[new_leader].tcp_remote);
    assert_true(ovsdb_client_is_synced(client));
    printf("raft: client synced to the new leader %lld ms after the old "
           "leader was killed\n",
           sbx_now_ms() - t0);
    assert_int_equal(replica_count(ovsdb_client_replica(client), "Parent"), 1);
    assert_non_null(
        find_by_name(ovsdb_client_replica(client), "Parent", "before"));

    txn = ovsdb_txn_create("Test");
    ovsdb_txn_insert(txn, "Parent", json_pack("{s:s}", "name", "after"), NULL);
    o = transact(w, client, txn);
    assert_int_equal(o.code, 0);
    json_decref(o.result);
    wait_count(w, client, "Parent", 2);

    ovsdb_client_destroy(client);
    sbx_cluster_clear(&cluster);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_operation,
                                        setup_test_schema, teardown_world),
        cmocka_unit_test_setup_teardown(test_second_writer, setup_vswitch,
                                        teardown_world),
        cmocka_unit_test_setup_teardown(test_monitor_except, setup_vswitch,
                                        teardown_world),
        cmocka_unit_test_setup_teardown(test_condition_change,
                                        setup_test_schema, teardown_world),
        cmocka_unit_test_setup_teardown(test_resync_after_kill,
                                        setup_test_schema, teardown_world),
        cmocka_unit_test_setup_teardown(test_locks, setup_test_schema,
                                        teardown_world),
        cmocka_unit_test_setup_teardown(test_optimistic_retry,
                                        setup_test_schema, teardown_world),
        cmocka_unit_test_setup_teardown(test_unmonitor, setup_test_schema,
                                        teardown_world),
        cmocka_unit_test_setup_teardown(test_schema_mismatch,
                                        setup_test_schema, teardown_world),
        cmocka_unit_test_teardown(test_raft_leader_failover, teardown_world),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
