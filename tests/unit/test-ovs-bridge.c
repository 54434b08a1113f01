/* Unit tests of controllers/ovs-bridge: transactions built from a replica
 * of the Open_vSwitch DB (filled from hand-written update2 batches over
 * vswitch.ovsschema) and a desired bridge, compared with golden files
 * under tests/golden/ (FABRIC_REGEN_GOLDEN=1 rewrites them); no change,
 * one changed tag, a port gone, foreign ports and bridges, destroy,
 * binding by iface-id, conflicts, and status. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "datum.h"
#include "ovs-bridge.h"
#include "ovsdb-error.h"
#include "replica.h"
#include "schema.h"
#include "txn.h"
#include "xstring.h"

#define VSWITCH_SCHEMA "/usr/share/openvswitch/vswitch.ovsschema"
#define GOLDEN_DIR FABRIC_SOURCE_DIR "/tests/golden"
#define OWNER "fabricd"

/* Rows of the matching state: the root, br-int and its five ports. */
#define ROOT "a0000000-0000-0000-0000-000000000001"
#define BR "b0000000-0000-0000-0000-000000000001"
#define P_BR "c0000000-0000-0000-0000-000000000000"
#define P_VM1 "c0000000-0000-0000-0000-000000000001"
#define P_VM2 "c0000000-0000-0000-0000-000000000002"
#define P_TRUNK "c0000000-0000-0000-0000-000000000003"
#define P_TUN "c0000000-0000-0000-0000-000000000004"
#define I_BR "d0000000-0000-0000-0000-000000000000"
#define I_VM1 "d0000000-0000-0000-0000-000000000001"
#define I_VM2 "d0000000-0000-0000-0000-000000000002"
#define I_TRUNK "d0000000-0000-0000-0000-000000000003"
#define I_TUN "d0000000-0000-0000-0000-000000000004"
/* Rows that are not owned. */
#define BR_EX "b0000000-0000-0000-0000-0000000000e0"
#define P_EX "c0000000-0000-0000-0000-0000000000e0"
#define I_EX "d0000000-0000-0000-0000-0000000000e0"
#define P_FOREIGN "c0000000-0000-0000-0000-0000000000f0"
#define I_FOREIGN "d0000000-0000-0000-0000-0000000000f0"
#define P_VNET "c0000000-0000-0000-0000-0000000000a0"
#define I_VNET "d0000000-0000-0000-0000-0000000000a0"

#define REF(u) "[\"uuid\", \"" u "\"]"
#define OWNED                                                                 \
    "\"external_ids\": [\"map\", [[\"fabric-owner\", \"" OWNER "\"]]]"

struct fixture {
    struct ovsdb_schema *schema;
    struct replica *replica;
    json_t *updates; /* The initial batch being written. */
};

/* Parses 'text', which the test itself wrote; returns a new reference. */
static json_t *
parse(const char *text)
{
    json_error_t jerr;
    json_t *json = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!json) {
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    }
    return json;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct ovsdb_error *error = NULL;
    if (ovsdb_schema_from_file(VSWITCH_SCHEMA, &f->schema, &error)) {
        fprintf(stderr, "%s\n", error->msg);
        ovsdb_error_free(error);
        free(f);
        return -1;
    }
    f->replica = replica_create(f->schema);
    f->updates = json_object();
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    json_decref(f->updates);
    replica_destroy(f->replica);
    ovsdb_schema_destroy(f->schema);
    free(f);
    return 0;
}

/* Adds row 'uuid' of 'table' with the columns in JSON object text
 * 'columns' to the initial batch. */
static void
row(struct fixture *f, const char *table, const char *uuid,
    const char *columns)
{
    json_t *t = json_object_get(f->updates, table);
    if (!t) {
        t = json_object();
        json_object_set_new(f->updates, table, t);
    }
    json_object_set_new(t, uuid,
                        json_pack("{s:o}", "initial", parse(columns)));
}

/* Sets 'column' of a row already added to the batch to JSON text
 * 'value'. */
static void
edit(struct fixture *f, const char *table, const char *uuid,
     const char *column, const char *value)
{
    json_t *r = json_object_get(
        json_object_get(json_object_get(f->updates, table), uuid), "initial");
    assert_non_null(r);
    json_object_set_new(r, column, parse(value));
}

/* Applies the batch to the replica. */
static void
load(struct fixture *f)
{
    struct ovsdb_error *error = NULL;
    int rc = replica_apply_update2(f->replica, f->updates, &error);
    if (rc) {
        fail_msg("replica_apply_update2: %s", error->msg);
    }
}

/* The root row alone, as "ovs-vsctl init" leaves the DB. */
static void
add_root(struct fixture *f, const char *bridges)
{
    char text[512];
    snprintf(text, sizeof text, "{\"bridges\": %s, \"cur_cfg\": 1}", bridges);
    row(f, "Open_vSwitch", ROOT, text);
}

/* The DB as the desired bridge of desired() makes it, with what
 * ovs-vswitchd adds (ofport, link_state, bfd_status), which is never
 * written. */
static void
add_matching(struct fixture *f)
{
    add_root(f, REF(BR));
    row(f, "Bridge", BR,
        "{\"name\": \"br-int\", \"datapath_type\": \"netdev\","
        " \"fail_mode\": \"secure\", " OWNED
        ", \"ports\": [\"set\", [" REF(P_BR) ", " REF(P_VM1) ", " REF(
            P_VM2) ", " REF(P_TRUNK) ", " REF(P_TUN) "]], \"datapath_id\": "
                                                     "\"0000aabbccddeeff\"}");
    row(f, "Port", P_BR,
        "{\"name\": \"br-int\", \"interfaces\": " REF(I_BR) ", " OWNED "}");
    row(f, "Port", P_VM1,
        "{\"name\": \"vm1\", \"tag\": 101, "
        "\"interfaces\": " REF(I_VM1) ", " OWNED "}");
    row(f, "Port", P_VM2,
        "{\"name\": \"vm2\", \"tag\": 102, "
        "\"interfaces\": " REF(I_VM2) ", " OWNED "}");
    row(f, "Port", P_TRUNK,
        "{\"name\": \"trunk0\", \"interfaces\": " REF(I_TRUNK) ", " OWNED "}");
    row(f, "Port", P_TUN,
        "{\"name\": \"tun-h2\", \"interfaces\": " REF(I_TUN) ", " OWNED "}");
    row(f, "Interface", I_BR,
        "{\"name\": \"br-int\", \"type\": "
        "\"internal\", \"ofport\": 65534, \"link_state\": \"up\", " OWNED "}");
    row(f, "Interface", I_VM1,
        "{\"name\": \"vm1\", \"ofport\": 1, \"link_state\": \"up\","
        " \"external_ids\": [\"map\", [[\"iface-id\", \"g1-eth0\"],"
        " [\"attached-mac\", \"02:00:00:00:00:01\"],"
        " [\"fabric-owner\", \"" OWNER "\"]]]}");
    row(f, "Interface", I_VM2,
        "{\"name\": \"vm2\", \"type\": \"internal\", \"ofport\": 2,"
        " \"mtu_request\": 1442, \"external_ids\": [\"map\", ["
        "[\"fabric-owner\", \"" OWNER "\"], [\"iface-id\", \"g2-eth0\"]]]}");
    row(f, "Interface", I_TRUNK,
        "{\"name\": \"trunk0\", \"type\": "
        "\"internal\", \"ofport\": 3, \"error\": \"could not open network "
        "device trunk0 (No such device)\", " OWNED "}");
    row(f, "Interface", I_TUN,
        "{\"name\": \"tun-h2\", \"type\": \"geneve\", \"ofport\": 4,"
        " \"options\": [\"map\", [[\"key\", \"flow\"],"
        " [\"local_ip\", \"192.0.2.1\"], [\"remote_ip\", \"192.0.2.2\"]]],"
        " \"bfd\": [\"map\", [[\"enable\", \"true\"]]],"
        " \"bfd_status\": [\"map\", [[\"state\", \"down\"],"
        " [\"diagnostic\", \"Control Detection Time Expired\"]]], " OWNED "}");
}

/* A port that is not owned on br-int. */
static void
add_foreign_port(struct fixture *f, const char *bridge_ports)
{
    edit(f, "Bridge", BR, "ports", bridge_ports);
    row(f, "Port", P_FOREIGN,
        "{\"name\": \"eth9\", \"interfaces\": " REF(I_FOREIGN) "}");
    row(f, "Interface", I_FOREIGN, "{\"name\": \"eth9\", \"ofport\": 9}");
}

#define ALL_PORTS                                                             \
    REF(P_BR) ", " REF(P_VM1) ", " REF(P_VM2) ", " REF(P_TRUNK) ", " REF(P_TUN)

/* A bridge that is not owned, br-ex, with a port of its own. */
static void
add_foreign_bridge(struct fixture *f, const char *root_bridges)
{
    edit(f, "Open_vSwitch", ROOT, "bridges", root_bridges);
    row(f, "Bridge", BR_EX, "{\"name\": \"br-ex\", \"ports\": " REF(P_EX) "}");
    row(f, "Port", P_EX,
        "{\"name\": \"br-ex\", \"interfaces\": " REF(I_EX) "}");
    row(f, "Interface", I_EX,
        "{\"name\": \"br-ex\", \"type\": "
        "\"internal\"}");
}

/* The desired bridge that add_matching() matches. */
static struct ovsb_bridge *
desired(void)
{
    struct ovsb_bridge *b = ovsb_bridge_create("br-int", "netdev", "secure");
    struct ovsb_port *p = ovsb_bridge_add_port(b, "vm1", "", 101);
    /* Keys in another order than the DB's: maps compare as maps. */
    fabric_smap_add(&p->external_ids, "iface-id", "g1-eth0");
    fabric_smap_add(&p->external_ids, "attached-mac", "02:00:00:00:00:01");
    p = ovsb_bridge_add_port(b, "vm2", "internal", 102);
    fabric_smap_add(&p->external_ids, "iface-id", "g2-eth0");
    p->mtu_request = 1442;
    ovsb_bridge_add_port(b, "trunk0", "internal", 0);
    p = ovsb_bridge_add_port(b, "tun-h2", "geneve", 0);
    fabric_smap_add(&p->options, "remote_ip", "192.0.2.2");
    fabric_smap_add(&p->options, "local_ip", "192.0.2.1");
    fabric_smap_add(&p->options, "key", "flow");
    p->bfd = true;
    return b;
}

/* Removes port 'i' of 'b'. */
static void
remove_port(struct ovsb_bridge *b, size_t i)
{
    struct ovsb_port *p = &b->ports[i];
    free(p->name);
    free(p->type);
    fabric_smap_clear(&p->options);
    fabric_smap_clear(&p->external_ids);
    memmove(p, p + 1, (b->n_ports - i - 1) * sizeof *p);
    b->n_ports--;
}

/* Builds the transaction for 'want' and returns its number of operations
 * (or the error code); stores the transaction in '*txnp' when nonnull. */
static int
build(struct fixture *f, const struct ovsb_bridge *want,
      struct ovsdb_txn **txnp, struct ovsdb_error **errorp)
{
    struct ovsdb_txn *txn = ovsdb_txn_create(OVSB_DB);
    int rc = ovsb_build_txn(f->replica, want, OWNER, txn, errorp);
    if (rc < 0) {
        /* Nothing was added on error. */
        assert_int_equal(ovsdb_txn_n_ops(txn), 0);
    } else {
        assert_int_equal(ovsdb_txn_n_ops(txn), rc);
    }
    if (txnp) {
        *txnp = txn;
    } else {
        ovsdb_txn_destroy(txn);
    }
    return rc;
}

/* Compares the params of 'txn' with tests/golden/ovs-bridge-'name'.json,
 * or writes that file when FABRIC_REGEN_GOLDEN is set.  Destroys
 * 'txn'. */
static void
assert_golden(struct ovsdb_txn *txn, const char *name)
{
    json_t *params = ovsdb_txn_params(txn);
    ovsdb_txn_destroy(txn);
    char *text = json_dumps(params, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(params);
    assert_non_null(text);

    char path[512];
    snprintf(path, sizeof path, "%s/ovs-bridge-%s.json", GOLDEN_DIR, name);
    const char *regen = getenv("FABRIC_REGEN_GOLDEN");
    if (regen && regen[0] && strcmp(regen, "0")) {
        FILE *out = fopen(path, "w");
        assert_non_null(out);
        fprintf(out, "%s\n", text);
        fclose(out);
        free(text);
        return;
    }

    FILE *in = fopen(path, "r");
    if (!in) {
        free(text);
        fail_msg("cannot open %s (FABRIC_REGEN_GOLDEN=1 writes it)", path);
    }
    char *golden = calloc(1, 1 << 20);
    size_t n = fread(golden, 1, (1 << 20) - 1, in);
    fclose(in);
    golden[n] = '\0';
    if (n && golden[n - 1] == '\n') {
        golden[n - 1] = '\0';
    }
    if (strcmp(golden, text)) {
        print_error("%s differs; got:\n%s\n", path, text);
        free(golden);
        free(text);
        fail();
    }
    free(golden);
    free(text);
}

/* The operation 'i' of 'txn' (borrowed from 'params'). */
static const json_t *
op(const json_t *params, size_t i)
{
    return json_array_get(params, i + 1);
}

static const char *
op_name(const json_t *params, size_t i)
{
    return json_string_value(json_object_get(op(params, i), "op"));
}

/* An empty DB (only the root row): the bridge, its own port and four
 * more, and a mutation of Open_vSwitch.bridges. */
static void
test_empty_db(void **state)
{
    struct fixture *f = *state;
    add_root(f, "[\"set\", []]");
    load(f);
    struct ovsb_bridge *want = desired();
    struct ovsdb_txn *txn;
    /* 5 interfaces, 5 ports, the bridge, the root's mutation. */
    assert_int_equal(build(f, want, &txn, NULL), 12);
    json_t *params = ovsdb_txn_params(txn);
    assert_string_equal(op_name(params, 10), "insert");
    assert_string_equal(
        json_string_value(json_object_get(op(params, 10), "uuid-name")),
        "bridge");
    assert_string_equal(op_name(params, 11), "mutate");
    json_decref(params);
    assert_golden(txn, "empty");
    ovsb_bridge_free(want);
}

/* No root row at all: it is inserted with the bridge. */
static void
test_no_root(void **state)
{
    struct fixture *f = *state;
    load(f);
    struct ovsb_bridge *want = ovsb_bridge_create("br-int", "netdev", NULL);
    ovsb_bridge_add_port(want, "p1", "internal", 7);
    struct ovsdb_txn *txn;
    assert_int_equal(build(f, want, &txn, NULL), 6);
    assert_golden(txn, "no-root");
    ovsb_bridge_free(want);
    /* Nothing desired and nothing there: nothing to do. */
    assert_int_equal(build(f, NULL, NULL, NULL), 0);
}

/* The DB already matches: no operation. */
static void
test_no_change(void **state)
{
    struct fixture *f = *state;
    add_matching(f);
    load(f);
    struct ovsb_bridge *want = desired();
    assert_int_equal(build(f, want, NULL, NULL), 0);

    /* The order of map keys in the desired bridge does not matter, and a
     * later duplicate key replaces an earlier one. */
    fabric_smap_clear(&want->ports[3].options);
    fabric_smap_add(&want->ports[3].options, "key", "9");
    fabric_smap_add(&want->ports[3].options, "remote_ip", "192.0.2.2");
    fabric_smap_add(&want->ports[3].options, "key", "flow");
    fabric_smap_add(&want->ports[3].options, "local_ip", "192.0.2.1");
    assert_int_equal(build(f, want, NULL, NULL), 0);
    ovsb_bridge_free(want);
}

/* One changed tag: one update of one column of one Port. */
static void
test_tag_change(void **state)
{
    struct fixture *f = *state;
    add_matching(f);
    load(f);
    struct ovsb_bridge *want = desired();
    want->ports[0].tag = 201;
    struct ovsdb_txn *txn;
    assert_int_equal(build(f, want, &txn, NULL), 1);
    json_t *params = ovsdb_txn_params(txn);
    assert_string_equal(op_name(params, 0), "update");
    assert_string_equal(
        json_string_value(json_object_get(op(params, 0), "table")), "Port");
    assert_int_equal(json_object_size(json_object_get(op(params, 0), "row")),
                     1);
    json_decref(params);
    assert_golden(txn, "tag-change");

    /* Back to a trunk: the tag becomes the empty set. */
    want->ports[0].tag = 0;
    assert_int_equal(build(f, want, &txn, NULL), 1);
    params = ovsdb_txn_params(txn);
    const json_t *tag =
        json_object_get(json_object_get(op(params, 0), "row"), "tag");
    json_t *empty = parse("[\"set\", []]");
    assert_true(ovsdb_datum_equal(tag, empty));
    json_decref(empty);
    json_decref(params);
    ovsdb_txn_destroy(txn);

    /* A changed option, MTU and BFD: one update of the Interface with
     * exactly those columns. */
    want->ports[0].tag = 101;
    want->ports[1].mtu_request = 0;
    want->ports[3].bfd = false;
    fabric_smap_add(&want->ports[3].options, "csum", "true");
    assert_int_equal(build(f, want, &txn, NULL), 2);
    params = ovsdb_txn_params(txn);
    assert_string_equal(
        json_string_value(json_object_get(op(params, 0), "table")),
        "Interface");
    assert_int_equal(json_object_size(json_object_get(op(params, 0), "row")),
                     1);
    assert_int_equal(json_object_size(json_object_get(op(params, 1), "row")),
                     2);
    json_decref(params);
    ovsdb_txn_destroy(txn);
    ovsb_bridge_free(want);
}

/* A port no longer desired: its Interface and Port are deleted and
 * Bridge.ports loses it. */
static void
test_port_gone(void **state)
{
    struct fixture *f = *state;
    add_matching(f);
    load(f);
    struct ovsb_bridge *want = desired();
    remove_port(want, 1); /* vm2 */
    struct ovsdb_txn *txn;
    assert_int_equal(build(f, want, &txn, NULL), 3);
    json_t *params = ovsdb_txn_params(txn);
    assert_string_equal(op_name(params, 0), "delete");
    assert_string_equal(op_name(params, 1), "delete");
    assert_string_equal(op_name(params, 2), "mutate");
    json_decref(params);
    assert_golden(txn, "port-gone");
    ovsb_bridge_free(want);
}

/* A port that is not owned on our bridge is never touched: not when the
 * bridge matches, not when another port goes. */
static void
test_foreign_port(void **state)
{
    struct fixture *f = *state;
    add_matching(f);
    add_foreign_port(f, "[\"set\", [" ALL_PORTS ", " REF(P_FOREIGN) "]]");
    load(f);
    struct ovsb_bridge *want = desired();
    assert_int_equal(build(f, want, NULL, NULL), 0);

    /* With trunk0 gone, only trunk0's rows appear in the transaction. */
    remove_port(want, 2);
    struct ovsdb_txn *txn;
    assert_int_equal(build(f, want, &txn, NULL), 3);
    json_t *params = ovsdb_txn_params(txn);
    char *text = json_dumps(params, 0);
    assert_null(strstr(text, P_FOREIGN));
    assert_null(strstr(text, I_FOREIGN));
    assert_non_null(strstr(text, P_TRUNK));
    free(text);
    json_decref(params);
    ovsdb_txn_destroy(txn);

    /* A desired port of the foreign port's name is a conflict. */
    ovsb_bridge_add_port(want, "eth9", "", 5);
    struct ovsdb_error *error = NULL;
    assert_int_equal(build(f, want, NULL, &error), -EEXIST);
    assert_non_null(strstr(error->msg, "eth9"));
    ovsdb_error_free(error);
    ovsb_bridge_free(want);

    /* The foreign port names what keeps the bridge. */
    char **names;
    size_t n;
    assert_int_equal(
        ovsb_foreign_ports(f->replica, "br-int", OWNER, &names, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "eth9");
    free(names[0]);
    free(names);
    assert_int_equal(
        ovsb_foreign_ports(f->replica, "br-nope", OWNER, &names, &n), -ENOENT);
}

/* A bridge of the desired name that is not owned: -EEXIST, naming it;
 * a desired port whose name a foreign bridge uses: -EEXIST too. */
static void
test_foreign_bridge(void **state)
{
    struct fixture *f = *state;
    add_root(f, "[\"set\", [" REF(BR_EX) "]]");
    row(f, "Bridge", BR_EX,
        "{\"name\": \"br-int\", \"ports\": " REF(
            P_EX) ", \"external_ids\": [\"map\", [[\"fabric-owner\","
                  " \"someone-else\"]]]}");
    row(f, "Port", P_EX,
        "{\"name\": \"br-int\", \"interfaces\": " REF(I_EX) "}");
    row(f, "Interface", I_EX,
        "{\"name\": \"br-int\", \"type\": "
        "\"internal\"}");
    load(f);

    struct ovsb_bridge *want = desired();
    struct ovsdb_error *error = NULL;
    assert_int_equal(build(f, want, NULL, &error), -EEXIST);
    assert_string_equal(error->msg, "Bridge br-int already exists and is "
                                    "not owned by " OWNER ".");
    ovsdb_error_free(error);
    ovsb_bridge_free(want);

    /* Under another name, our bridge would take a port name of br-int. */
    want = ovsb_bridge_create("br-fab", "netdev", NULL);
    ovsb_bridge_add_port(want, "br-int", "internal", 0);
    error = NULL;
    assert_int_equal(build(f, want, NULL, &error), -EEXIST);
    assert_string_equal(error->msg, "Port br-int already exists on bridge "
                                    "br-int and is not owned by " OWNER ".");
    ovsdb_error_free(error);
    ovsb_bridge_free(want);

    /* Destroy never touches it. */
    assert_int_equal(build(f, NULL, NULL, NULL), 0);
}

/* Destroy removes every owned row and nothing else: br-ex stays. */
static void
test_destroy(void **state)
{
    struct fixture *f = *state;
    add_matching(f);
    add_foreign_bridge(f, "[\"set\", [" REF(BR) ", " REF(BR_EX) "]]");
    load(f);
    struct ovsdb_txn *txn;
    /* 5 interfaces, 5 ports, the bridge, the root's mutation. */
    assert_int_equal(build(f, NULL, &txn, NULL), 12);
    json_t *params = ovsdb_txn_params(txn);
    char *text = json_dumps(params, 0);
    assert_null(strstr(text, BR_EX));
    assert_null(strstr(text, P_EX));
    assert_null(strstr(text, I_EX));
    free(text);
    json_decref(params);
    assert_golden(txn, "destroy");
}

/* Destroy with a foreign port on the bridge: the bridge and its own port
 * stay, the other owned ports go. */
static void
test_destroy_keeps_bridge(void **state)
{
    struct fixture *f = *state;
    add_matching(f);
    add_foreign_port(f, "[\"set\", [" ALL_PORTS ", " REF(P_FOREIGN) "]]");
    load(f);
    struct ovsdb_txn *txn;
    /* 4 interfaces, 4 ports, the mutation of Bridge.ports. */
    assert_int_equal(build(f, NULL, &txn, NULL), 9);
    json_t *params = ovsdb_txn_params(txn);
    char *text = json_dumps(params, 0);
    assert_null(strstr(text, P_FOREIGN));
    assert_null(strstr(text, I_FOREIGN));
    assert_null(strstr(text, P_BR));
    assert_null(strstr(text, ROOT));
    free(text);
    for (size_t i = 0; i < 9; i++) {
        const char *table =
            json_string_value(json_object_get(op(params, i), "table"));
        assert_true(strcmp(table, "Bridge") ||
                    !strcmp(op_name(params, i), "mutate"));
    }
    json_decref(params);
    assert_golden(txn, "destroy-foreign-port");
}

/* Moving to another bridge name: the old owned bridge goes, the new one
 * comes, in one transaction, ports of the same names included. */
static void
test_rename_bridge(void **state)
{
    struct fixture *f = *state;
    add_matching(f);
    load(f);
    struct ovsb_bridge *want = desired();
    free(want->name);
    want->name = strdup("br-fab");
    struct ovsdb_txn *txn;
    /* 11 deletes, 11 inserts, the root's mutation. */
    assert_int_equal(build(f, want, &txn, NULL), 23);
    assert_golden(txn, "rename");
    ovsb_bridge_free(want);
}

/* An owned port whose interface is not its own is replaced. */
static void
test_replace_broken_port(void **state)
{
    struct fixture *f = *state;
    add_matching(f);
    /* The interface of vm1 lost its marker. */
    edit(f, "Interface", I_VM1, "external_ids",
         "[\"map\", [[\"iface-id\", \"g1-eth0\"]]]");
    load(f);
    struct ovsb_bridge *want = desired();
    struct ovsdb_txn *txn;
    /* Delete Port (the interface is not owned), insert both, mutate. */
    assert_int_equal(build(f, want, &txn, NULL), 4);
    json_t *params = ovsdb_txn_params(txn);
    assert_string_equal(op_name(params, 0), "delete");
    assert_string_equal(op_name(params, 1), "insert");
    assert_string_equal(op_name(params, 2), "insert");
    assert_string_equal(op_name(params, 3), "mutate");
    json_decref(params);
    ovsdb_txn_destroy(txn);
    ovsb_bridge_free(want);
}

/* Binding by iface-id: the port libvirt plugged gets the tag and the
 * owner; without it nothing happens; once bound it is kept, and removed
 * when no longer desired. */
static void
test_bind_by_iface_id(void **state)
{
    struct fixture *f = *state;
    add_matching(f);
    edit(f, "Bridge", BR, "ports",
         "[\"set\", [" ALL_PORTS ", " REF(P_VNET) "]]");
    row(f, "Port", P_VNET,
        "{\"name\": \"vnet0\", \"interfaces\": " REF(I_VNET) "}");
    row(f, "Interface", I_VNET,
        "{\"name\": \"vnet0\", \"ofport\": 7, "
        "\"external_ids\": [\"map\", [[\"iface-id\", \"vm3-id\"], "
        "[\"vm-id\", \"1234\"], [\"iface-status\", \"active\"]]]}");
    load(f);

    const struct replica_row *iface =
        ovsb_find_iface_by_id(f->replica, "vm3-id");
    assert_non_null(iface);
    assert_string_equal(iface->uuid, I_VNET);
    assert_null(ovsb_find_iface_by_id(f->replica, "nope"));

    struct ovsb_bridge *want = desired();
    struct ovsb_port *p = ovsb_bridge_add_port(want, NULL, NULL, 103);
    fabric_smap_add(&p->external_ids, "iface-id", "vm3-id");
    struct ovsdb_txn *txn;
    assert_int_equal(build(f, want, &txn, NULL), 2);
    assert_golden(txn, "bind");

    /* Not plugged: nothing to do, no error. */
    fabric_smap_clear(&want->ports[4].external_ids);
    fabric_smap_add(&want->ports[4].external_ids, "iface-id", "vm4-id");
    assert_int_equal(build(f, want, NULL, NULL), 0);
    ovsb_bridge_free(want);
}

static void
test_bound_port_kept_then_removed(void **state)
{
    struct fixture *f = *state;
    add_matching(f);
    edit(f, "Bridge", BR, "ports",
         "[\"set\", [" ALL_PORTS ", " REF(P_VNET) "]]");
    row(f, "Port", P_VNET,
        "{\"name\": \"vnet0\", \"tag\": 103, "
        "\"interfaces\": " REF(I_VNET) ", " OWNED "}");
    row(f, "Interface", I_VNET,
        "{\"name\": \"vnet0\", \"external_ids\": "
        "[\"map\", [[\"iface-id\", \"vm3-id\"]]]}");
    load(f);

    struct ovsb_bridge *want = desired();
    struct ovsb_port *p = ovsb_bridge_add_port(want, NULL, NULL, 103);
    fabric_smap_add(&p->external_ids, "iface-id", "vm3-id");
    assert_int_equal(build(f, want, NULL, NULL), 0);
    remove_port(want, 4);
    struct ovsdb_txn *txn;
    /* The Port goes (its Interface, not owned, by garbage collection). */
    assert_int_equal(build(f, want, &txn, NULL), 2);
    json_t *params = ovsdb_txn_params(txn);
    char *text = json_dumps(params, 0);
    assert_non_null(strstr(text, P_VNET));
    assert_null(strstr(text, I_VNET));
    free(text);
    json_decref(params);
    ovsdb_txn_destroy(txn);
    ovsb_bridge_free(want);
}

/* Adoption (guests of kind port): the plugged port vnet0 of iface-id
 * web-eth0, with its Port's external_ids 'port_ids'. */
static void
add_plugged(struct fixture *f, const char *port_ids)
{
    add_matching(f);
    edit(f, "Bridge", BR, "ports",
         "[\"set\", [" ALL_PORTS ", " REF(P_VNET) "]]");
    char *port =
        xasprintf("{\"name\": \"vnet0\", \"interfaces\": " REF(I_VNET) "%s%s}",
                  port_ids ? ", \"tag\": 103, \"external_ids\": " : "",
                  port_ids ? port_ids : "");
    row(f, "Port", P_VNET, port);
    free(port);
    row(f, "Interface", I_VNET,
        "{\"name\": \"vnet0\", \"ofport\": 7, "
        "\"external_ids\": [\"map\", [[\"iface-id\", \"web-eth0\"]]]}");
    load(f);
}

/* The desired bridge with the adopted port of web-eth0 on VLAN 'tag'. */
static struct ovsb_bridge *
desired_adopting(int tag)
{
    struct ovsb_bridge *want = desired();
    struct ovsb_port *p = ovsb_bridge_add_port(want, NULL, NULL, tag);
    p->adopt = true;
    fabric_smap_add(&p->external_ids, "iface-id", "web-eth0");
    return want;
}

/* Bound later, the port is claimed but left alone; bound, it gets the
 * tag and fabric-bound, never fabric-owner. */
static void
test_adopt(void **state)
{
    struct fixture *f = *state;
    add_plugged(f, NULL);
    struct ovsb_bridge *want = desired_adopting(OVSB_TAG_LATER);
    assert_int_equal(build(f, want, NULL, NULL), 0);
    want->ports[4].tag = 103;
    struct ovsdb_txn *txn;
    assert_int_equal(build(f, want, &txn, NULL), 2);
    assert_golden(txn, "adopt");
    ovsb_bridge_free(want);
}

/* Adopted: nothing more to do while desired; no longer desired, it is
 * given back (tag cleared, mark deleted), not deleted; it keeps an owned
 * bridge that is no longer desired. */
static void
test_adopted_released(void **state)
{
    struct fixture *f = *state;
    add_plugged(f, "[\"map\", [[\"fabric-bound\", \"" OWNER "\"]]]");
    struct ovsb_bridge *want = desired_adopting(103);
    assert_int_equal(build(f, want, NULL, NULL), 0);
    remove_port(want, 4);
    struct ovsdb_txn *txn;
    assert_int_equal(build(f, want, &txn, NULL), 2);
    assert_golden(txn, "release");
    ovsb_bridge_free(want);

    /* The bridge no longer desired: the adopted port is given back and
     * keeps it; the owned ports go. */
    assert_true(build(f, NULL, &txn, NULL) > 2);
    json_t *params = ovsdb_txn_params(txn);
    char *text = json_dumps(params, JSON_SORT_KEYS);
    /* Owned ports deleted, the bridge not. */
    assert_non_null(strstr(text, "\"op\": \"delete\", \"table\": \"Port\""));
    assert_null(strstr(text, "\"op\": \"delete\", \"table\": \"Bridge\""));
    assert_non_null(strstr(text, "fabric-bound"));
    free(text);
    json_decref(params);
    ovsdb_txn_destroy(txn);
}

/* A port another owner adopted is left alone. */
static void
test_adopted_by_other(void **state)
{
    struct fixture *f = *state;
    add_plugged(f, "[\"map\", [[\"fabric-bound\", \"other\"]]]");
    struct ovsb_bridge *want = desired_adopting(104);
    assert_int_equal(build(f, want, NULL, NULL), 0);
    ovsb_bridge_free(want);
}

/* A port of another owner is never bound. */
static void
test_bind_other_owner(void **state)
{
    struct fixture *f = *state;
    add_matching(f);
    edit(f, "Bridge", BR, "ports",
         "[\"set\", [" ALL_PORTS ", " REF(P_VNET) "]]");
    row(f, "Port", P_VNET,
        "{\"name\": \"vnet0\", \"interfaces\": " REF(
            I_VNET) ", \"external_ids\": [\"map\", [[\"fabric-owner\", "
                    "\"other\"]]]}");
    row(f, "Interface", I_VNET,
        "{\"name\": \"vnet0\", \"external_ids\": "
        "[\"map\", [[\"iface-id\", \"vm3-id\"]]]}");
    load(f);
    struct ovsb_bridge *want = desired();
    struct ovsb_port *p = ovsb_bridge_add_port(want, NULL, NULL, 103);
    fabric_smap_add(&p->external_ids, "iface-id", "vm3-id");
    assert_int_equal(build(f, want, NULL, NULL), 0);
    ovsb_bridge_free(want);
}

/* Desired bridges that are not valid. */
static void
test_invalid(void **state)
{
    struct fixture *f = *state;
    load(f);
    struct {
        const char *bridge, *port;
        int tag;
        const char *words;
    } cases[] = {
        {"", "p", 0, "empty or longer"},
        {"br-0123456789abc", "p", 0, "empty or longer"},
        {"br-int", "p0123456789abcde", 0, "empty or longer"},
        {"br-int", "p", 4096, "outside 0 to 4095"},
        {"br-int", "p", -1, "outside 0 to 4095"},
        {"br-int", "br-int", 0, "name of its bridge"},
        {"br-int", NULL, 0, "neither a name nor an iface-id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ovsb_bridge *want =
            ovsb_bridge_create(cases[i].bridge, "netdev", NULL);
        ovsb_bridge_add_port(want, cases[i].port, "", cases[i].tag);
        struct ovsdb_error *error = NULL;
        assert_int_equal(build(f, want, NULL, &error), -EINVAL);
        if (!strstr(error->msg, cases[i].words)) {
            fail_msg("case %zu: %s", i, error->msg);
        }
        ovsdb_error_free(error);
        ovsb_bridge_free(want);
    }

    struct ovsb_bridge *want = ovsb_bridge_create("br-int", "netdev", NULL);
    ovsb_bridge_add_port(want, "p", "", 1);
    ovsb_bridge_add_port(want, "p", "", 2);
    struct ovsdb_error *error = NULL;
    assert_int_equal(build(f, want, NULL, &error), -EINVAL);
    assert_string_equal(error->msg, "Bridge br-int has two ports p.");
    ovsdb_error_free(error);

    struct ovsdb_txn *txn = ovsdb_txn_create(OVSB_DB);
    error = NULL;
    assert_int_equal(ovsb_build_txn(f->replica, want, "", txn, &error),
                     -EINVAL);
    ovsdb_error_free(error);
    ovsdb_txn_destroy(txn);
    ovsb_bridge_free(want);
}

/* Status: what ovs-vswitchd reported, sorted by name. */
static void
test_status(void **state)
{
    struct fixture *f = *state;
    add_matching(f);
    load(f);
    struct ovsb_iface_status *s;
    size_t n;
    assert_int_equal(ovsb_status(f->replica, "br-int", &s, &n), 0);
    assert_int_equal(n, 5);
    assert_string_equal(s[0].name, "br-int");
    assert_int_equal(s[0].ofport, 65534);
    assert_string_equal(s[0].link_state, "up");
    assert_null(s[0].bfd_state);
    assert_string_equal(s[1].name, "trunk0");
    assert_non_null(strstr(s[1].error, "No such device"));
    assert_string_equal(s[2].name, "tun-h2");
    assert_string_equal(s[2].bfd_state, "down");
    assert_string_equal(s[2].bfd_diagnostic, "Control Detection Time Expired");
    assert_null(s[2].link_state);
    assert_string_equal(s[3].name, "vm1");
    assert_int_equal(s[3].ofport, 1);
    assert_string_equal(s[3].iface_id, "g1-eth0");
    assert_null(s[3].error);
    assert_string_equal(s[4].name, "vm2");
    ovsb_status_free(s, n);
    assert_int_equal(ovsb_status(f->replica, "br-nope", &s, &n), -ENOENT);
    ovsb_status_free(NULL, 0);
    ovsb_bridge_free(NULL);
}

/* The tables a client monitors. */
static void
test_tables(void **state)
{
    assert_string_equal(ovsb_tables[0], "Open_vSwitch");
    assert_string_equal(ovsb_tables[1], "Bridge");
    assert_string_equal(ovsb_tables[2], "Port");
    assert_string_equal(ovsb_tables[3], "Interface");
    assert_null(ovsb_tables[4]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_db, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tag_change, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_bridge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy_keeps_bridge, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rename_bridge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_broken_port, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bind_by_iface_id, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bound_port_kept_then_removed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_adopt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adopted_released, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_adopted_by_other, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bind_other_owner, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status, setup, teardown),
        cmocka_unit_test(test_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
