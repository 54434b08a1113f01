/* Functional tests of the fabric DB schema (ovsdb/fabric.ovsschema) and of
 * dbmodel (fabric/dbmodel.h) against a real ovsdb-server: models built in
 * C are applied through the OVSDB client and read back; every apply also
 * checks that plan_compute() (fabric/plan.h) on the model read back from
 * the database lists exactly the objects the transaction changes, and that
 * the database then plans and builds to no change.  The example topologies
 * (topologies/) apply the same way and export back to themselves. */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "client.h"
#include "datum.h"
#include "dbmodel.h"
#include "model.h"
#include "ovsdb-error.h"
#include "plan.h"
#include "replica.h"
#include "sandbox.h"
#include "testmodel.h"
#include "topology.h"
#include "txn.h"

#define FABRIC_SCHEMA FABRIC_SOURCE_DIR "/ovsdb/fabric.ovsschema"
#define WAIT_MS 30000

struct world {
    char *dir;
    struct sbx_ovsdb server;
    struct event_base *base;
    struct ovsdb_client *client;
    char log[4096]; /* Warnings and errors the client logged. */
};

struct outcome {
    bool done;
    int code;
    char tag[64];
    char msg[512];
    json_t *result; /* New reference on success. */
};

static void
log_warnings(void *w_, enum jsonrpc_log_level level, const char *msg)
{
    struct world *w = w_;
    if (level >= JSONRPC_LOG_WARN) {
        size_t len = strlen(w->log);
        snprintf(w->log + len, sizeof w->log - len, "%s\n", msg);
    }
}

static bool
client_synced(void *client)
{
    return ovsdb_client_is_synced(client);
}

static int
setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    w->dir = sbx_mkdtemp("dbmodel");
    if (!w->dir) {
        return -1;
    }
    sbx_ovsdb_init(&w->server, w->dir, "fabric");
    if (sbx_ovsdb_create_db(&w->server, FABRIC_SCHEMA) ||
        sbx_ovsdb_start(&w->server, NULL)) {
        return -1;
    }
    w->base = event_base_new();
    struct ovsdb_client_options options = {
        .remotes = w->server.unix_remote,
        .db = DBMODEL_DB,
        .min_backoff_ms = 50,
        .max_backoff_ms = 400,
        .log = log_warnings,
        .log_aux = w,
    };
    struct ovsdb_client_callbacks cbs = {.aux = w};
    struct ovsdb_error *error = NULL;
    if (ovsdb_client_create(w->base, &options, &cbs, &w->client, &error)) {
        fprintf(stderr, "ovsdb_client_create: %s\n", error->msg);
        ovsdb_error_free(error);
        return -1;
    }
    for (const char *const *t = dbmodel_tables; *t; t++) {
        ovsdb_client_monitor(w->client, *t, NULL);
    }
    if (!sbx_loop_until(w->base, client_synced, w->client, WAIT_MS)) {
        return -1;
    }
    *state = w;
    return 0;
}

static int
teardown(void **state)
{
    struct world *w = *state;
    int rc = 0;
    if (w) {
        if (w->log[0]) {
            fprintf(stderr, "the client logged:\n%s", w->log);
            rc = -1;
        }
        ovsdb_client_destroy(w->client);
        sbx_ovsdb_clear(&w->server);
        if (w->base) {
            event_base_free(w->base);
        }
        sbx_rmtree(w->dir);
        free(w->dir);
        free(w);
    }
    return rc;
}

static const struct replica *
replica(struct world *w)
{
    return ovsdb_client_replica(w->client);
}

static void
txn_done(void *o_, const json_t *result, const struct ovsdb_error *error)
{
    struct outcome *o = o_;
    o->done = true;
    if (error) {
        o->code = error->code;
        snprintf(o->tag, sizeof o->tag, "%s", error->tag ? error->tag : "");
        snprintf(o->msg, sizeof o->msg, "%s", error->msg);
    } else {
        o->result = json_incref((json_t *)result);
    }
}

static bool
outcome_done(void *o)
{
    return ((struct outcome *)o)->done;
}

/* Sends 'txn' (stolen) and returns its outcome. */
static struct outcome
transact(struct world *w, struct ovsdb_txn *txn)
{
    struct outcome o = {0};
    assert_int_equal(ovsdb_client_transact(w->client, txn, txn_done, &o), 0);
    assert_true(sbx_loop_until(w->base, outcome_done, &o, WAIT_MS));
    return o;
}

/* Sends 'txn' (stolen) and asserts that it succeeds. */
static void
transact_ok(struct world *w, struct ovsdb_txn *txn)
{
    struct outcome o = transact(w, txn);
    if (o.code) {
        fail_msg("transaction failed: %s", o.msg);
    }
    json_decref(o.result);
}

struct gen_wait {
    struct world *w;
    long long generation;
};

static bool
generation_reached(void *gw_)
{
    struct gen_wait *gw = gw_;
    return (ovsdb_client_is_synced(gw->w->client) &&
            dbmodel_generation(replica(gw->w)) == gw->generation);
}

static void
wait_generation(struct world *w, long long generation)
{
    struct gen_wait gw = {w, generation};
    assert_true(sbx_loop_until(w->base, generation_reached, &gw, WAIT_MS));
}

/* Lets the replica catch up with anything already committed. */
static void
settle(struct world *w)
{
    sbx_loop_for(w->base, 50);
    assert_true(sbx_loop_until(w->base, client_synced, w->client, WAIT_MS));
}

static struct fabric_model *
read_model(struct world *w)
{
    struct fabric_model *m = NULL;
    struct ovsdb_error *error = NULL;
    int rc = dbmodel_read(replica(w), &m, &error);
    if (rc) {
        fail_msg("dbmodel_read: %s", error->msg);
    }
    return m;
}

/* Number of changes plan_compute() finds from the database to 'desired'
 * (NULL: destroy). */
static size_t
plan_size(struct world *w, const struct fabric_model *desired)
{
    struct fabric_model *current = read_model(w);
    struct fabric_plan *plan = plan_compute(current, desired);
    size_t n = plan->n;
    plan_destroy(plan);
    fabric_model_destroy(current);
    return n;
}

/* Applies 'desired' (NULL: destroy) and returns the number of objects
 * changed, checking that the plan predicted it and that the database then
 * holds 'desired': it plans and builds to no change. */
static int
apply(struct world *w, const struct fabric_model *desired)
{
    size_t planned = plan_size(w, desired);
    long long generation = dbmodel_generation(replica(w));
    struct ovsdb_txn *txn = ovsdb_txn_create(DBMODEL_DB);
    long long new_generation = -1;
    int n = dbmodel_build_apply(replica(w), desired, txn, &new_generation);
    assert_true(n >= 0);
    assert_int_equal(n, planned);
    if (!n) {
        assert_int_equal(new_generation, generation);
        assert_int_equal(ovsdb_txn_n_ops(txn), 1);
        ovsdb_txn_destroy(txn);
        return 0;
    }
    assert_int_equal(new_generation, generation + 1);
    transact_ok(w, txn);
    wait_generation(w, new_generation);

    assert_int_equal(plan_size(w, desired), 0);
    txn = ovsdb_txn_create(DBMODEL_DB);
    assert_int_equal(
        dbmodel_build_apply(replica(w), desired, txn, &new_generation), 0);
    ovsdb_txn_destroy(txn);
    return n;
}

/* Returns a new object mapping the UUID of every row of 'table' to its
 * _version. */
static json_t *
versions(struct world *w, const char *table)
{
    struct ovsdb_txn *txn = ovsdb_txn_create(DBMODEL_DB);
    size_t op = ovsdb_txn_select(txn, table, json_array(),
                                 json_pack("[s s]", "_uuid", "_version"));
    struct outcome o = transact(w, txn);
    assert_int_equal(o.code, 0);
    const json_t *rows = ovsdb_txn_selected_rows(o.result, op);
    json_t *map = json_object();
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const json_t *row = json_array_get(rows, i);
        json_object_set(map, ovsdb_atom_uuid(json_object_get(row, "_uuid")),
                        json_array_get(json_object_get(row, "_version"), 1));
    }
    json_decref(o.result);
    return map;
}

/* Returns a new object: table name -> versions(). */
static json_t *
all_versions(struct world *w)
{
    json_t *all = json_object();
    for (const char *const *t = dbmodel_tables; *t; t++) {
        json_object_set_new(all, *t, versions(w, *t));
    }
    return all;
}

/* Number of rows whose _version differs between 'a' and 'b' in 'table'
 * (new and deleted rows count). */
static size_t
n_changed(const json_t *a, const json_t *b, const char *table)
{
    const json_t *ta = json_object_get(a, table);
    const json_t *tb = json_object_get(b, table);
    size_t n = 0;
    const char *uuid;
    const json_t *version;
    json_object_foreach((json_t *)ta, uuid, version)
    {
        n += !json_equal(version, json_object_get(tb, uuid));
    }
    json_object_foreach((json_t *)tb, uuid, version)
    {
        n += !json_object_get(ta, uuid);
    }
    return n;
}

static const struct replica_row *
find_by_name(struct world *w, const char *table, const char *name)
{
    size_t iter = 0;
    const struct replica_row *row;
    while ((row = replica_next(replica(w), table, &iter))) {
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

/* Writes the status an agent would write: on host 'host' a heartbeat and
 * applied generation, on every guest a state, on every interface an
 * ofport. */
static void
write_agent_status(struct world *w, const char *host)
{
    struct ovsdb_txn *txn = ovsdb_txn_create(DBMODEL_DB);
    ovsdb_txn_update(txn, "Host", where_name(host),
                     json_pack("{s:I, s:I, s:s, s:s, s:o}", "heartbeat",
                               (json_int_t)1700000000000LL,
                               "applied_generation", (json_int_t)1, "version",
                               "0.1", "datapath_type", "netdev",
                               "tunnel_status",
                               ovsdb_map(json_pack("[[s s]]", "hv2", "up"))));
    ovsdb_txn_update(txn, "Guest", json_array(),
                     json_pack("{s:s}", "state", "running"));
    ovsdb_txn_update(txn, "Guest_Interface", json_array(),
                     json_pack("{s:i}", "ofport", 7));
    transact_ok(w, txn);
    settle(w);
}

/* POSIX cksum(1) of 'n' bytes at 'data'. */
static uint32_t
posix_cksum(const char *data, size_t n)
{
    uint32_t crc = 0;
    size_t len = n;
    for (size_t i = 0;; i++) {
        unsigned char c;
        if (i < n) {
            c = data[i];
        } else if (len) {
            c = len & 0xff;
            len >>= 8;
        } else {
            break;
        }
        crc ^= (uint32_t)c << 24;
        for (int bit = 0; bit < 8; bit++) {
            crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
        }
    }
    return ~crc;
}

/* ovsdb-tool accepts the schema, and its "cksum" is up to date (computed
 * as Open vSwitch does: cksum(1) of the file without the cksum line). */
static void
test_schema(void **state)
{
    char *dir = sbx_mkdtemp("schema");
    assert_non_null(dir);
    char *db = sbx_path(dir, "fabric.db");
    char *out = NULL;
    assert_int_equal(
        sbx_runl(&out, "ovsdb-tool", "create", db, FABRIC_SCHEMA, NULL), 0);
    free(out);
    assert_int_equal(sbx_runl(&out, "ovsdb-tool", "db-name", db, NULL), 0);
    assert_string_equal(out, "Fabric\n");
    free(out);
    assert_int_equal(
        sbx_runl(&out, "ovsdb-tool", "schema-version", FABRIC_SCHEMA, NULL),
        0);
    assert_string_equal(out, "1.4.0\n");
    free(out);
    char *cksum = NULL;
    assert_int_equal(
        sbx_runl(&cksum, "ovsdb-tool", "schema-cksum", FABRIC_SCHEMA, NULL),
        0);

    FILE *f = fopen(FABRIC_SCHEMA, "r");
    assert_non_null(f);
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, "\"cksum\":")) {
            fputs(line, mem);
        }
    }
    fclose(mem);
    fclose(f);
    char *expected;
    assert_true(asprintf(&expected, "%u %zu\n", posix_cksum(text, len), len) >
                0);
    if (strcmp(cksum, expected)) {
        fail_msg("ovsdb/fabric.ovsschema has \"cksum\": \"%.*s\" but its "
                 "contents give \"%.*s\": update the cksum line",
                 (int)strlen(cksum) - 1, cksum, (int)strlen(expected) - 1,
                 expected);
    }
    free(expected);
    free(text);
    free(cksum);
    free(db);
    sbx_rmtree(dir);
    free(dir);
}

/* The classic lab applies, reads back as the same lab, and re-applies to
 * no change. */
static void
test_apply_classic(void **state)
{
    struct world *w = *state;
    struct fabric_model *empty = read_model(w);
    assert_string_equal(empty->name, "");
    assert_int_equal(empty->n_hosts + empty->n_networks + empty->n_routers +
                         empty->n_guests,
                     0);
    fabric_model_destroy(empty);
    assert_int_equal(dbmodel_generation(replica(w)), 0);

    struct fabric_model *lab = tm_classic_lab();
    assert_int_equal(apply(w, lab), 6);
    assert_int_equal(dbmodel_generation(replica(w)), 1);

    struct fabric_model *m = read_model(w);
    assert_string_equal(m->name, "classic-lab");
    assert_int_equal(m->n_hosts, 1);
    assert_string_equal(m->hosts[0].underlay_ip, "10.99.0.1");
    assert_false(m->hosts[0].registered);
    assert_int_equal(m->n_networks, 2);
    assert_string_equal(m->networks[1].name, "network2");
    assert_int_equal(m->networks[1].vlan, 102);
    assert_int_equal(m->networks[1].mtu, 1442);
    assert_string_equal(m->networks[1].gateway, "172.17.0.254");
    assert_int_equal(m->n_routers, 1);
    assert_int_equal(m->routers[0].n_ports, 2);
    assert_int_equal(m->routers[0].ports[1].network, 1);
    assert_string_equal(m->routers[0].ports[1].ip, "172.17.0.254/24");
    assert_false(m->routers[0].has_host);
    const struct fabric_interface *iface = &m->guests[0].interfaces[0];
    assert_string_equal(iface->addresses[0], "172.16.0.1/24");
    assert_string_equal(iface->gateway, "172.16.0.254");
    assert_int_equal(iface->network, 0);
    assert_true(iface->port_security);
    fabric_model_destroy(m);

    assert_int_equal(apply(w, lab), 0);
    assert_int_equal(dbmodel_generation(replica(w)), 1);
    fabric_model_destroy(lab);
}

/* Changing one guest changes exactly its rows, and the status agents
 * wrote stays. */
static void
test_modify_one_guest(void **state)
{
    struct world *w = *state;
    struct fabric_model *lab = tm_generated_lab(3, 4, 20);
    assert_int_equal(apply(w, lab), 1 + 3 + 4 + 1 + 20);
    write_agent_status(w, "hv1");
    json_t *before = all_versions(w);

    /* g0005 gets another address: only its interface row changes. */
    struct fabric_interface *iface = &lab->guests[4].interfaces[0];
    tm_set(&iface->addresses[0], "10.1.0.99/24");
    struct fabric_model *cur = read_model(w);
    struct fabric_plan *plan = plan_compute(cur, lab);
    assert_int_equal(plan->n, 1);
    assert_string_equal(plan->changes[0].name, "g0005");
    assert_int_equal(plan->changes[0].n_fields, 1);
    assert_string_equal(plan->changes[0].fields[0],
                        "interfaces[eth0].addresses");
    plan_destroy(plan);
    fabric_model_destroy(cur);
    assert_int_equal(apply(w, lab), 1);

    json_t *after = all_versions(w);
    assert_int_equal(n_changed(before, after, "Fabric"), 1);
    assert_int_equal(n_changed(before, after, "Guest_Interface"), 1);
    for (const char *const *t = dbmodel_tables; *t; t++) {
        if (strcmp(*t, "Fabric") && strcmp(*t, "Guest_Interface")) {
            assert_int_equal(n_changed(before, after, *t), 0);
        }
    }

    /* The agents' status is untouched, also on the changed interface. */
    const struct replica_row *hv1 = find_by_name(w, "Host", "hv1");
    assert_int_equal(json_integer_value(replica_row_get(hv1, "heartbeat")),
                     1700000000000LL);
    assert_string_equal(
        json_string_value(replica_row_get(hv1, "datapath_type")), "netdev");
    const struct replica_row *g5 = find_by_name(w, "Guest", "g0005");
    assert_string_equal(json_string_value(replica_row_get(g5, "state")),
                        "running");
    json_t *refs = ovsdb_set_elements(replica_row_get(g5, "interfaces"));
    const struct replica_row *i5 =
        replica_get(replica(w), "Guest_Interface",
                    ovsdb_atom_uuid(json_array_get(refs, 0)));
    json_decref(refs);
    assert_int_equal(json_integer_value(replica_row_get(i5, "ofport")), 7);
    struct fabric_model *m = read_model(w);
    assert_true(m->hosts[0].registered);
    assert_false(m->hosts[1].registered);
    fabric_model_destroy(m);

    /* g0006 gets a second interface: its guest row and one new interface
     * row. */
    json_decref(before);
    before = after;
    tm_interface(lab, 5, "eth1", 0, "10.1.0.200/24", NULL);
    assert_int_equal(apply(w, lab), 1);
    after = all_versions(w);
    assert_int_equal(n_changed(before, after, "Guest"), 1);
    assert_int_equal(n_changed(before, after, "Guest_Interface"), 1);
    assert_int_equal(n_changed(before, after, "Network"), 0);
    assert_int_equal(n_changed(before, after, "Router_Port"), 0);
    json_decref(before);
    json_decref(after);
    fabric_model_destroy(lab);
}

/* A sequence of labs that exercises every kind of change, including
 * deleting and renaming networks that interfaces and router ports use,
 * moving guests between hosts and removing hosts. */
static void
test_change_sequence(void **state)
{
    struct world *w = *state;
    struct fabric_model *lab = tm_classic_lab();
    assert_int_equal(apply(w, lab), 6);
    fabric_model_destroy(lab);

    /* Step 1: a second host, a VM router on it, a trunk, routes, external
     * IDs, a third network, host01 moves to the new host. */
    lab = tm_classic_lab();
    size_t hv2 = tm_host(lab, "hv2", "10.99.0.2");
    size_t n3 = tm_network(lab, "network3", "172.18.0.0/24", 103);
    lab->routers[0].kind = FABRIC_ROUTER_VM;
    lab->routers[0].has_host = true;
    lab->routers[0].host = hv2;
    tm_port(lab, 0, n3, "172.18.0.254/24");
    fabric_smap_add(&lab->routers[0].external_ids, "owner", "lab team");
    lab->guests[0].host = hv2;
    size_t g2 = tm_guest(lab, "host02", 0, FABRIC_GUEST_VM);
    tm_set(&lab->guests[g2].vm.image, "/var/lib/fabric/debian.qcow2");
    tm_set(&lab->guests[g2].vm.user_data, "#cloud-config\n");
    struct fabric_interface *iface =
        tm_interface(lab, g2, "eth0", 1, "172.17.0.2/24", "172.17.0.254");
    tm_add_route(iface, "10.0.0.0/8", "172.17.0.254");
    tm_add_address(iface, "fd00:17::2/64");
    iface = tm_interface(lab, g2, "eth1", 0, NULL, NULL);
    iface->vlan_mode = FABRIC_VLAN_TRUNK;
    tm_add_trunk(iface, 0);
    tm_add_trunk(iface, n3);
    iface->port_security = false;
    /* hv2, network3, host00, host01, host02. */
    assert_int_equal(apply(w, lab), 5);
    fabric_model_destroy(lab);

    /* Step 2: network2 goes with the guest that used it; network3 is
     * renamed (delete and insert with the same VLAN and VNI); hv1 goes. */
    lab = tm_new("classic-lab");
    hv2 = tm_host(lab, "hv2", "10.99.0.2");
    size_t n1 = tm_network(lab, "network1", "172.16.0.0/24", 101);
    tm_set(&lab->networks[n1].gateway, "172.16.0.254");
    size_t n3b = tm_network(lab, "network3b", "172.18.0.0/24", 103);
    size_t r = tm_router(lab, "host00", FABRIC_ROUTER_VM);
    lab->routers[r].has_host = true;
    lab->routers[r].host = hv2;
    fabric_smap_add(&lab->routers[r].external_ids, "owner", "lab team");
    tm_port(lab, r, n1, "172.16.0.254/24");
    tm_port(lab, r, n3b, "172.18.0.254/24");
    size_t g = tm_guest(lab, "host01", hv2, FABRIC_GUEST_NETNS);
    tm_interface(lab, g, "eth0", n1, "172.16.0.1/24", "172.16.0.254");
    tm_interface(lab, g, "eth1", n3b, "172.18.0.1/24", NULL);
    struct fabric_model *cur = read_model(w);
    struct fabric_plan *plan = plan_compute(cur, lab);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    plan_print_text(plan, out);
    fclose(out);
    assert_non_null(strstr(text, "- host hv1\n"));
    assert_non_null(strstr(text, "- network network2\n"));
    assert_non_null(strstr(text, "+ network network3b "));
    assert_non_null(strstr(text, "- guest host02\n"));
    free(text);
    plan_destroy(plan);
    fabric_model_destroy(cur);
    /* hv1, network2, network3, network3b, host00, host01, host02. */
    assert_int_equal(apply(w, lab), 7);
    assert_int_equal(replica_count(replica(w), "Router_Port"), 2);
    assert_int_equal(replica_count(replica(w), "Guest_Interface"), 2);
    fabric_model_destroy(lab);

    /* Step 3: back to the classic lab. */
    lab = tm_classic_lab();
    assert_true(apply(w, lab) > 0);
    assert_int_equal(replica_count(replica(w), "Host"), 1);
    assert_int_equal(replica_count(replica(w), "Network"), 2);
    assert_int_equal(replica_count(replica(w), "Router_Port"), 2);
    assert_int_equal(replica_count(replica(w), "Guest_Interface"), 1);
    fabric_model_destroy(lab);
}

/* Destroy removes everything but the hosts agents registered, clears the
 * lab's name and bumps the generation. */
static void
test_destroy(void **state)
{
    struct world *w = *state;
    struct fabric_model *lab = tm_classic_lab();
    tm_host(lab, "hv2", "10.99.0.2");
    assert_int_equal(apply(w, lab), 7);
    write_agent_status(w, "hv1");
    long long generation = dbmodel_generation(replica(w));

    /* lab, hv2, network1, network2, host00, host01. */
    assert_int_equal(apply(w, NULL), 6);
    assert_int_equal(dbmodel_generation(replica(w)), generation + 1);
    static const char *const empty[] = {
        "Network", "Router", "Router_Port", "Guest", "Guest_Interface",
    };
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
        assert_int_equal(replica_count(replica(w), empty[i]), 0);
    }
    assert_int_equal(replica_count(replica(w), "Fabric"), 1);
    assert_int_equal(replica_count(replica(w), "Host"), 1);
    const struct replica_row *hv1 = find_by_name(w, "Host", "hv1");
    assert_non_null(hv1);
    assert_int_equal(json_integer_value(replica_row_get(hv1, "heartbeat")),
                     1700000000000LL);
    assert_string_equal(json_string_value(replica_row_get(hv1, "underlay_ip")),
                        "10.99.0.1");
    struct fabric_model *m = read_model(w);
    assert_string_equal(m->name, "");
    fabric_model_destroy(m);

    /* Destroying again changes nothing; applying again reuses hv1. */
    char hv1_uuid[64];
    snprintf(hv1_uuid, sizeof hv1_uuid, "%s", hv1->uuid);
    assert_int_equal(apply(w, NULL), 0);
    assert_int_equal(apply(w, lab), 6);
    hv1 = find_by_name(w, "Host", "hv1");
    assert_string_equal(hv1->uuid, hv1_uuid);
    assert_int_equal(json_integer_value(replica_row_get(hv1, "heartbeat")),
                     1700000000000LL);
    fabric_model_destroy(lab);

    /* A lab that no longer names hv1 keeps it too: only the guest moves
     * to hv2, which loses no row either. */
    lab = tm_classic_lab();
    tm_set(&lab->hosts[0].name, "hv2");
    tm_set(&lab->hosts[0].underlay_ip, "10.99.0.2");
    assert_int_equal(apply(w, lab), 1);
    assert_int_equal(replica_count(replica(w), "Host"), 2);
    assert_non_null(find_by_name(w, "Host", "hv1"));
    fabric_model_destroy(lab);
}

/* Two applies built from the same state: the second one sent fails on its
 * wait with -ETIMEDOUT, on an empty database and on an existing lab. */
static void
test_concurrent_apply(void **state)
{
    struct world *w = *state;
    struct fabric_model *a = tm_classic_lab();
    struct fabric_model *b = tm_classic_lab();
    tm_set(&b->name, "other-lab");
    long long gen_a, gen_b;
    struct ovsdb_txn *ta = ovsdb_txn_create(DBMODEL_DB);
    struct ovsdb_txn *tb = ovsdb_txn_create(DBMODEL_DB);
    assert_int_equal(dbmodel_build_apply(replica(w), a, ta, &gen_a), 6);
    assert_int_equal(dbmodel_build_apply(replica(w), b, tb, &gen_b), 6);
    assert_int_equal(gen_a, 1);
    transact_ok(w, ta);
    struct outcome o = transact(w, tb);
    assert_int_equal(o.code, -ETIMEDOUT);
    assert_string_equal(o.tag, "timed out");
    wait_generation(w, 1);
    struct fabric_model *m = read_model(w);
    assert_string_equal(m->name, "classic-lab");
    fabric_model_destroy(m);

    /* On an existing lab: two changes to different objects. */
    a->networks[0].vlan = 201;
    fabric_model_destroy(b);
    b = tm_classic_lab();
    tm_set(&b->guests[0].interfaces[0].addresses[0], "172.16.0.7/24");
    ta = ovsdb_txn_create(DBMODEL_DB);
    tb = ovsdb_txn_create(DBMODEL_DB);
    assert_int_equal(dbmodel_build_apply(replica(w), a, ta, &gen_a), 1);
    assert_int_equal(dbmodel_build_apply(replica(w), b, tb, &gen_b), 1);
    transact_ok(w, ta);
    o = transact(w, tb);
    assert_int_equal(o.code, -ETIMEDOUT);
    wait_generation(w, 2);
    m = read_model(w);
    assert_int_equal(m->networks[0].vlan, 201);
    assert_string_equal(m->guests[0].interfaces[0].addresses[0],
                        "172.16.0.1/24");
    fabric_model_destroy(m);

    /* Built again from the new state, the second apply goes through (and
     * puts the VLAN back, as its lab says). */
    assert_int_equal(apply(w, b), 2);
    fabric_model_destroy(a);
    fabric_model_destroy(b);
}

/* A lab with 1,000 guests applies in one transaction and reads back to no
 * change. */
static void
test_thousand_guests(void **state)
{
    struct world *w = *state;
    struct fabric_model *lab = tm_generated_lab(10, 8, 1000);
    long long t0 = sbx_now_ms();
    assert_int_equal(apply(w, lab), 1 + 10 + 8 + 1 + 1000);
    printf("1,000 guests: applied and checked in %lld ms\n",
           sbx_now_ms() - t0);
    assert_int_equal(replica_count(replica(w), "Guest"), 1000);
    assert_int_equal(replica_count(replica(w), "Guest_Interface"), 1000);
    assert_int_equal(replica_count(replica(w), "Router_Port"), 8);

    /* The last guest renamed: one deleted, one inserted. */
    tm_set(&lab->guests[999].name, "extra");
    assert_int_equal(apply(w, lab), 2);
    fabric_model_destroy(lab);
}

static struct fabric_model *
load_topology(const char *path)
{
    struct fabric_model *m = NULL;
    struct topology_errors errors = {0};
    if (topology_load_file(path, &m, &errors)) {
        for (size_t i = 0; i < errors.n; i++) {
            fprintf(stderr, "%s\n", errors.lines[i]);
        }
        fail_msg("cannot load %s", path);
    }
    topology_errors_clear(&errors);
    return m;
}

/* Every example topology applies over the previous one, plans to no
 * change on re-apply, and exports (dbmodel_read() then
 * topology_write_yaml()) to a file that loads back to no change. */
static void
test_topology_files(void **state)
{
    struct world *w = *state;
    glob_t g;
    assert_int_equal(glob(FABRIC_SOURCE_DIR "/topologies/*.yaml", 0, NULL, &g),
                     0);
    assert_int_equal(
        glob(FABRIC_SOURCE_DIR "/topologies/*.json", GLOB_APPEND, NULL, &g),
        0);
    assert_true(g.gl_pathc >= 2);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct fabric_model *lab = load_topology(g.gl_pathv[i]);
        apply(w, lab);
        assert_int_equal(apply(w, lab), 0);

        struct fabric_model *cur = read_model(w);
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        assert_int_equal(topology_write_yaml(cur, out), 0);
        fclose(out);
        struct fabric_model *exported = NULL;
        struct topology_errors errors = {0};
        if (topology_load_buffer("export.yaml", text, len, &exported,
                                 &errors)) {
            for (size_t j = 0; j < errors.n; j++) {
                fprintf(stderr, "%s\n", errors.lines[j]);
            }
            fail_msg("the export of %s does not load:\n%s", g.gl_pathv[i],
                     text);
        }
        assert_int_equal(plan_size(w, exported), 0);
        fabric_model_destroy(exported);
        fabric_model_destroy(cur);
        free(text);
        fabric_model_destroy(lab);
    }
    globfree(&g);
}

/* A desired model with a reference out of range is refused before
 * anything is added to the transaction. */
static void
test_bad_reference(void **state)
{
    struct world *w = *state;
    struct fabric_model *lab = tm_classic_lab();
    lab->guests[0].interfaces[0].network = 7;
    struct ovsdb_txn *txn = ovsdb_txn_create(DBMODEL_DB);
    long long gen = -1;
    assert_int_equal(dbmodel_build_apply(replica(w), lab, txn, &gen), -EINVAL);
    assert_int_equal(ovsdb_txn_n_ops(txn), 0);
    assert_int_equal(gen, -1);
    ovsdb_txn_destroy(txn);
    fabric_model_destroy(lab);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema),
        cmocka_unit_test_setup_teardown(test_apply_classic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modify_one_guest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_change_sequence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_apply, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_thousand_guests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_topology_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_reference, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
