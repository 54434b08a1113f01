/* Unit tests of dbmodel (fabric/dbmodel.h) on a replica fed by hand, with
 * no server: reading every column into a model (order, defaults,
 * references, registered hosts), references to missing rows, and the exact
 * operations of apply transactions (only the columns that differ, the
 * wait, the generation, destroy). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "dbmodel.h"
#include "model.h"
#include "ovsdb-error.h"
#include "plan.h"
#include "replica.h"
#include "schema.h"
#include "testmodel.h"
#include "txn.h"

#define FABRIC_SCHEMA FABRIC_SOURCE_DIR "/ovsdb/fabric.ovsschema"

#define U(N) "00000000-0000-0000-0000-0000000000" #N
#define F U(0f)
#define H1 U(01)
#define H2 U(02)
#define N1 U(11)
#define N2 U(12)
#define R1 U(21)
#define P1 U(31)
#define P2 U(32)
#define G1 U(41)
#define I1 U(51)
#define I2 U(52)
#define I3 U(53)

/* A lab in update2 form, written with ' for ". */
static const char lab_update[] =
    "{'Fabric': {'" F "': {'initial': {'name': 'lab', 'generation': 5}}},"
    " 'Host': {"
    "  '" H1 "': {'initial': {'name': 'hv1', 'underlay_ip': '10.99.0.1',"
    "   'encap': 'geneve', 'underlay_mtu': 1500, 'heartbeat': 123}},"
    "  '" H2 "': {'initial': {'name': 'hv0', 'encap': 'geneve',"
    "   'underlay_mtu': 9000}}},"
    " 'Network': {"
    "  '" N1 "': {'initial': {'name': 'net-b', 'subnet': '10.2.0.0/24',"
    "   'mode': 'routed', 'vlan': 12, 'vni': 1012, 'mtu': 1442,"
    "   'gateway': '10.2.0.254', 'dhcp': true,"
    "   'uplinks': ['set', ['hv1:eth1:100', 'hv0:eno2']],"
    "   'external_ids': ['map', [['z', '1'], ['a', '2']]]}},"
    "  '" N2 "': {'initial': {'name': 'net-a', 'subnet': '10.1.0.0/24',"
    "   'mode': 'isolated', 'vlan': 11, 'vni': 1011, 'mtu': 1442}}},"
    " 'Router': {"
    "  '" R1 "': {'initial': {'name': 'r', 'kind': 'vm',"
    "   'vcpus': 1, 'memory_mb': 512, 'restart': 'on-failure',"
    "   'host': ['uuid', '" H1 "'],"
    "   'ports': ['set', [['uuid', '" P1 "'], ['uuid', '" P2 "']]]}}},"
    " 'Router_Port': {"
    "  '" P1 "': {'initial': {'network': ['uuid', '" N1 "'],"
    "   'ip': '10.2.0.254/24', 'mac': '02:00:00:00:00:01'}},"
    "  '" P2 "': {'initial': {'network': ['uuid', '" N2 "'],"
    "   'ip': '10.1.0.254/24', 'mac': '02:00:00:00:00:02'}}},"
    " 'Guest': {"
    "  '" G1 "': {'initial': {'name': 'g', 'host': ['uuid', '" H2 "'],"
    "   'kind': 'vm', 'vcpus': 2, 'memory_mb': 1024, 'image': 'img',"
    "   'restart': 'on-failure',"
    "   'state': 'running', 'interfaces': ['set', [['uuid', '" I1 "'],"
    "   ['uuid', '" I2 "'], ['uuid', '" I3 "']]]}}},"
    " 'Guest_Interface': {"
    "  '" I1 "': {'initial': {'name': 'eth10',"
    "   'network': ['uuid', '" N1 "'], 'mac': '02:00:00:00:01:10',"
    "   'addresses': ['set', ['10.2.0.5/24', '10.2.0.4/24']],"
    "   'routes': ['map', [['10.0.0.0/8', '10.2.0.254'],"
    "   ['0.0.0.0/0', '10.2.0.1']]], 'vlan_mode': 'access',"
    "   'port_security': true, 'mtu': 1442, 'ofport': 3}},"
    "  '" I2 "': {'initial': {'name': 'eth2',"
    "   'network': ['uuid', '" N2 "'], 'mac': '02:00:00:00:01:02',"
    "   'vlan_mode': 'trunk', 'port_security': false, 'mtu': 1442,"
    "   'trunks': ['set', [['uuid', '" N1 "'], ['uuid', '" N2 "']]]}},"
    "  '" I3 "': {'initial': {'name': 'eth1',"
    "   'network': ['uuid', '" N2 "'], 'mac': '02:00:00:00:01:01',"
    "   'addresses': '10.1.0.5/24', 'gateway': '10.1.0.1',"
    "   'vlan_mode': 'access', 'port_security': true, 'mtu': 1442}}}}";

struct fixture {
    struct ovsdb_schema *schema;
    struct replica *replica;
};

/* Parses 'text' with ' standing for ". */
static json_t *
parse(const char *text)
{
    char *copy = strdup(text);
    for (char *p = copy; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }
    json_error_t error;
    json_t *json = json_loads(copy, 0, &error);
    if (!json) {
        fail_msg("bad test JSON: %s: %s", error.text, copy);
    }
    free(copy);
    return json;
}

static void
feed(struct fixture *f, const char *text)
{
    json_t *json = parse(text);
    struct ovsdb_error *error = NULL;
    if (replica_apply_update2(f->replica, json, &error)) {
        fail_msg("update: %s", error->msg);
    }
    json_decref(json);
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct ovsdb_error *error = NULL;
    if (ovsdb_schema_from_file(FABRIC_SCHEMA, &f->schema, &error)) {
        fprintf(stderr, "%s\n", error->msg);
        ovsdb_error_free(error);
        return -1;
    }
    f->replica = replica_create(f->schema);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    replica_destroy(f->replica);
    ovsdb_schema_destroy(f->schema);
    free(f);
    return 0;
}

static struct fabric_model *
read_ok(struct fixture *f)
{
    struct fabric_model *m = NULL;
    struct ovsdb_error *error = NULL;
    if (dbmodel_read(f->replica, &m, &error)) {
        fail_msg("dbmodel_read: %s", error->msg);
    }
    return m;
}

/* Builds the apply of 'desired' and returns its operations (a new
 * reference to the "transact" params without the database name), with
 * the change count in '*np'. */
static json_t *
build(struct fixture *f, const struct fabric_model *desired, int *np,
      long long *generationp)
{
    struct ovsdb_txn *txn = ovsdb_txn_create(DBMODEL_DB);
    *np = dbmodel_build_apply(f->replica, desired, txn, generationp);
    json_t *params = ovsdb_txn_params(txn);
    ovsdb_txn_destroy(txn);
    assert_string_equal(json_string_value(json_array_get(params, 0)),
                        "Fabric");
    json_array_remove(params, 0);
    return params;
}

/* Asserts that 'op' is 'what' on 'table' (and, for updates and deletes,
 * on row 'uuid'). */
static void
assert_op(const json_t *op, const char *what, const char *table,
          const char *uuid)
{
    assert_string_equal(json_string_value(json_object_get(op, "op")), what);
    assert_string_equal(json_string_value(json_object_get(op, "table")),
                        table);
    if (uuid) {
        json_t *where =
            json_pack("[[s s [s s]]]", "_uuid", "==", "uuid", uuid);
        assert_true(json_equal(json_object_get(op, "where"), where));
        json_decref(where);
    }
}

static void
assert_json(const json_t *actual, const char *expected_text)
{
    json_t *expected = parse(expected_text);
    if (!json_equal((json_t *)actual, expected)) {
        char *a = json_dumps(actual, JSON_COMPACT | JSON_SORT_KEYS);
        char *e = json_dumps(expected, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("got %s, expected %s", a, e);
    }
    json_decref(expected);
}

static void
test_read(void **state)
{
    struct fixture *f = *state;
    feed(f, lab_update);
    assert_int_equal(dbmodel_generation(f->replica), 5);
    struct fabric_model *m = read_ok(f);
    assert_string_equal(m->name, "lab");

    assert_int_equal(m->n_hosts, 2);
    assert_string_equal(m->hosts[0].name, "hv0");
    assert_null(m->hosts[0].underlay_ip);
    assert_int_equal(m->hosts[0].underlay_mtu, 9000);
    assert_false(m->hosts[0].registered);
    assert_string_equal(m->hosts[1].name, "hv1");
    assert_string_equal(m->hosts[1].underlay_ip, "10.99.0.1");
    assert_true(m->hosts[1].registered);

    assert_int_equal(m->n_networks, 2);
    const struct fabric_network *nb = &m->networks[1];
    assert_string_equal(m->networks[0].name, "net-a");
    assert_null(m->networks[0].gateway);
    assert_false(m->networks[0].dhcp);
    assert_string_equal(nb->name, "net-b");
    assert_int_equal(nb->mode, FABRIC_NET_ROUTED);
    assert_int_equal(nb->vlan, 12);
    assert_int_equal(nb->vni, 1012);
    assert_string_equal(nb->gateway, "10.2.0.254");
    assert_true(nb->dhcp);
    assert_int_equal(nb->external_ids.n, 2);
    assert_string_equal(nb->external_ids.keys[0], "a");
    assert_string_equal(nb->external_ids.values[1], "1");
    assert_int_equal(nb->n_uplinks, 2);
    assert_int_equal(nb->uplinks[0].host, 0);
    assert_string_equal(nb->uplinks[0].interface, "eno2");
    assert_int_equal(nb->uplinks[0].vlan, 0);
    assert_int_equal(nb->uplinks[1].host, 1);
    assert_string_equal(nb->uplinks[1].interface, "eth1");
    assert_int_equal(nb->uplinks[1].vlan, 100);
    assert_int_equal(m->networks[0].n_uplinks, 0);

    const struct fabric_router *r = &m->routers[0];
    assert_int_equal(r->kind, FABRIC_ROUTER_VM);
    assert_true(r->has_host);
    assert_int_equal(r->host, 1);
    assert_int_equal(r->n_ports, 2);
    assert_int_equal(r->ports[0].network, 0);
    assert_string_equal(r->ports[0].ip, "10.1.0.254/24");
    assert_string_equal(r->ports[1].mac, "02:00:00:00:00:01");

    const struct fabric_guest *g = &m->guests[0];
    assert_int_equal(g->host, 0);
    assert_int_equal(g->kind, FABRIC_GUEST_VM);
    assert_int_equal(g->vm.vcpus, 2);
    assert_int_equal(g->vm.memory_mb, 1024);
    assert_string_equal(g->vm.image, "img");
    assert_null(g->vm.kernel);
    assert_null(g->vm.user_data);
    assert_int_equal(g->n_interfaces, 3);
    assert_string_equal(g->interfaces[0].name, "eth1");
    assert_string_equal(g->interfaces[1].name, "eth2");
    assert_string_equal(g->interfaces[2].name, "eth10");
    const struct fabric_interface *eth1 = &g->interfaces[0];
    assert_int_equal(eth1->n_addresses, 1);
    assert_string_equal(eth1->addresses[0], "10.1.0.5/24");
    assert_string_equal(eth1->gateway, "10.1.0.1");
    const struct fabric_interface *eth2 = &g->interfaces[1];
    assert_int_equal(eth2->vlan_mode, FABRIC_VLAN_TRUNK);
    assert_false(eth2->port_security);
    assert_int_equal(eth2->n_trunks, 2);
    assert_int_equal(eth2->trunks[0], 0);
    assert_int_equal(eth2->trunks[1], 1);
    assert_int_equal(eth2->n_addresses, 0);
    const struct fabric_interface *eth10 = &g->interfaces[2];
    assert_int_equal(eth10->network, 1);
    assert_string_equal(eth10->addresses[0], "10.2.0.4/24");
    assert_string_equal(eth10->addresses[1], "10.2.0.5/24");
    assert_int_equal(eth10->n_routes, 2);
    assert_string_equal(eth10->routes[0].prefix, "0.0.0.0/0");
    assert_string_equal(eth10->routes[0].via, "10.2.0.1");
    assert_int_equal(eth10->mtu, 1442);
    fabric_model_destroy(m);
}

static void
test_read_empty(void **state)
{
    struct fixture *f = *state;
    struct fabric_model *m = read_ok(f);
    assert_string_equal(m->name, "");
    assert_int_equal(m->n_hosts + m->n_networks + m->n_routers + m->n_guests,
                     0);
    fabric_model_destroy(m);
    assert_int_equal(dbmodel_generation(f->replica), 0);

    /* Every table is listed for monitoring. */
    size_t n = 0;
    for (const char *const *t = dbmodel_tables; *t; t++) {
        assert_non_null(ovsdb_schema_table(f->schema, *t));
        n++;
    }
    assert_int_equal(n, f->schema->n_tables);
}

/* References to rows the replica does not hold are errors that name the
 * object. */
static void
test_read_missing_rows(void **state)
{
    static const struct {
        const char *update;
        const char *message;
    } cases[] = {
        {"{'Guest': {'" G1 "': {'initial': {'name': 'g',"
         " 'host': ['uuid', '" H1 "']}}}}",
         "Guest \"g\" refers to a host"},
        {"{'Router': {'" R1 "': {'initial': {'name': 'r',"
         " 'host': ['uuid', '" H1 "']}}}}",
         "Router \"r\" refers to host"},
        {"{'Router': {'" R1 "': {'initial': {'name': 'r',"
         " 'ports': ['uuid', '" P1 "']}}}}",
         "A port of router \"r\""},
        {"{'Router': {'" R1 "': {'initial': {'name': 'r',"
         " 'ports': ['uuid', '" P1 "']}}},"
         " 'Router_Port': {'" P1 "': {'initial': {'network':"
         " ['uuid', '" N1 "']}}}}",
         "A port of router \"r\""},
        {"{'Host': {'" H1 "': {'initial': {'name': 'hv1'}}},"
         " 'Guest': {'" G1 "': {'initial': {'name': 'g',"
         " 'host': ['uuid', '" H1 "'],"
         " 'interfaces': ['uuid', '" I1 "']}}}}",
         "An interface of guest \"g\""},
        {"{'Host': {'" H1 "': {'initial': {'name': 'hv1'}}},"
         " 'Network': {'" N2 "': {'initial': {'name': 'n', 'vlan': 1,"
         " 'vni': 1}}},"
         " 'Guest': {'" G1 "': {'initial': {'name': 'g',"
         " 'host': ['uuid', '" H1 "'],"
         " 'interfaces': ['uuid', '" I1 "']}}},"
         " 'Guest_Interface': {'" I1 "': {'initial': {'name': 'eth0',"
         " 'network': ['uuid', '" N2 "'],"
         " 'trunks': ['uuid', '" N1 "']}}}}",
         "Interface \"eth0\" of guest \"g\" refers to a network"},
        {"{'Host': {'" H1 "': {'initial': {'name': 'hv1'}}},"
         " 'Network': {'" N2 "': {'initial': {'name': 'n', 'vlan': 1,"
         " 'vni': 1, 'uplinks': 'hv2:eth1:100'}}}}",
         "Network \"n\" has an uplink \"hv2:eth1:100\" that names no host"},
        {"{'Host': {'" H1 "': {'initial': {'name': 'hv1'}}},"
         " 'Network': {'" N2 "': {'initial': {'name': 'n', 'vlan': 1,"
         " 'vni': 1, 'uplinks': 'hv1:eth1:0'}}}}",
         "Network \"n\" has an uplink \"hv1:eth1:0\""},
        {"{'Host': {'" H1 "': {'initial': {'name': 'hv1'}}},"
         " 'Network': {'" N2 "': {'initial': {'name': 'n', 'vlan': 1,"
         " 'vni': 1, 'uplinks': 'hv1:eth1:7:8'}}}}",
         "Network \"n\" has an uplink \"hv1:eth1:7:8\""},
    };
    struct fixture *f = *state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        replica_clear(f->replica, NULL);
        feed(f, cases[i].update);
        struct fabric_model *m = NULL;
        struct ovsdb_error *error = NULL;
        assert_int_equal(dbmodel_read(f->replica, &m, &error), -EPROTO);
        assert_null(m);
        assert_non_null(error);
        if (!strstr(error->msg, cases[i].message)) {
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, error->msg,
                     cases[i].message);
        }
        ovsdb_error_free(error);
    }
}

/* An empty database: a wait for an empty Fabric table, the inserts, and
 * the Fabric row with generation 1. */
static void
test_build_create(void **state)
{
    struct fixture *f = *state;
    struct fabric_model *lab = tm_classic_lab();
    int n;
    long long generation;
    json_t *ops = build(f, lab, &n, &generation);
    assert_int_equal(n, 6);
    assert_int_equal(generation, 1);
    /* wait, hv1, network1, network2, 2 ports, router, interface, guest,
     * Fabric. */
    assert_int_equal(json_array_size(ops), 10);
    assert_json(json_array_get(ops, 0),
                "{'op': 'wait', 'table': 'Fabric', 'where': [],"
                " 'columns': ['generation'], 'until': '==', 'rows': [],"
                " 'timeout': 0}");
    assert_json(json_array_get(ops, 9),
                "{'op': 'insert', 'table': 'Fabric',"
                " 'row': {'name': 'classic-lab', 'generation': 1}}");
    const json_t *guest = json_array_get(ops, 8);
    assert_op(guest, "insert", "Guest", NULL);
    const json_t *row = json_object_get(guest, "row");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(row, "host"), 0)),
        "named-uuid");
    json_decref(ops);
    fabric_model_destroy(lab);
}

/* Only the columns that differ are written; status columns never are. */
static void
test_build_update(void **state)
{
    struct fixture *f = *state;
    feed(f, lab_update);
    struct fabric_model *m = read_ok(f);
    int n;
    long long generation;

    /* The model read back changes nothing. */
    json_t *ops = build(f, m, &n, &generation);
    assert_int_equal(n, 0);
    assert_int_equal(generation, 5);
    assert_int_equal(json_array_size(ops), 1);
    assert_json(json_array_get(ops, 0),
                "{'op': 'wait', 'table': 'Fabric', 'where': [],"
                " 'columns': ['generation'], 'until': '==',"
                " 'rows': [{'generation': 5}], 'timeout': 0}");
    json_decref(ops);

    /* One network's VLAN. */
    m->networks[1].vlan = 13;
    ops = build(f, m, &n, &generation);
    assert_int_equal(n, 1);
    assert_int_equal(generation, 6);
    assert_int_equal(json_array_size(ops), 3);
    assert_op(json_array_get(ops, 1), "update", "Network", N1);
    assert_json(json_object_get(json_array_get(ops, 1), "row"),
                "{'vlan': 13}");
    assert_op(json_array_get(ops, 2), "update", "Fabric", F);
    assert_json(json_object_get(json_array_get(ops, 2), "row"),
                "{'generation': 6}");
    json_decref(ops);
    m->networks[1].vlan = 12;

    /* One interface's addresses: the interface row alone. */
    tm_set(&m->guests[0].interfaces[2].addresses[0], "10.2.0.9/24");
    ops = build(f, m, &n, &generation);
    assert_int_equal(n, 1);
    assert_int_equal(json_array_size(ops), 3);
    assert_op(json_array_get(ops, 1), "update", "Guest_Interface", I1);
    assert_json(json_object_get(json_array_get(ops, 1), "row"),
                "{'addresses': ['set', ['10.2.0.9/24', '10.2.0.5/24']]}");
    json_decref(ops);
    tm_set(&m->guests[0].interfaces[2].addresses[0], "10.2.0.4/24");

    /* An interface goes: it is deleted and the guest's set shrinks. */
    struct fabric_guest *g = &m->guests[0];
    struct fabric_interface eth2 = g->interfaces[1];
    g->interfaces[1] = g->interfaces[2];
    g->n_interfaces = 2;
    ops = build(f, m, &n, &generation);
    assert_int_equal(n, 1);
    assert_int_equal(json_array_size(ops), 4);
    assert_op(json_array_get(ops, 1), "delete", "Guest_Interface", I2);
    assert_op(json_array_get(ops, 2), "update", "Guest", G1);
    assert_json(json_object_get(json_array_get(ops, 2), "row"),
                "{'interfaces': ['set', [['uuid', '" I3 "'],"
                " ['uuid', '" I1 "']]]}");
    json_decref(ops);
    g->interfaces[2] = g->interfaces[1];
    g->interfaces[1] = eth2;
    g->n_interfaces = 3;

    /* A router port's MAC: the ports are replaced, the old ones deleted. */
    tm_set(&m->routers[0].ports[0].mac, "02:00:00:00:00:99");
    ops = build(f, m, &n, &generation);
    assert_int_equal(n, 1);
    /* wait, 2 port inserts, 2 port deletes, router update, Fabric. */
    assert_int_equal(json_array_size(ops), 7);
    assert_op(json_array_get(ops, 1), "insert", "Router_Port", NULL);
    assert_op(json_array_get(ops, 3), "delete", "Router_Port", P1);
    assert_op(json_array_get(ops, 4), "delete", "Router_Port", P2);
    assert_op(json_array_get(ops, 5), "update", "Router", R1);
    assert_int_equal(
        json_object_size(json_object_get(json_array_get(ops, 5), "row")), 1);
    json_decref(ops);
    tm_set(&m->routers[0].ports[0].mac, "02:00:00:00:00:02");

    /* Back to the model read: no change again. */
    ops = build(f, m, &n, &generation);
    assert_int_equal(n, 0);
    json_decref(ops);

    /* A model that is not UTF-8 is refused. */
    tm_set(&m->guests[0].vm.cmdline, "console=\xff");
    ops = build(f, m, &n, &generation);
    assert_int_equal(n, -EINVAL);
    json_decref(ops);
    fabric_model_destroy(m);
}

/* Destroy: every object but the registered host, children explicitly,
 * the lab's name cleared. */
static void
test_build_destroy(void **state)
{
    struct fixture *f = *state;
    feed(f, lab_update);
    int n;
    long long generation;
    json_t *ops = build(f, NULL, &n, &generation);
    /* hv0, net-a, net-b, r, g, the lab. */
    assert_int_equal(n, 6);
    assert_int_equal(generation, 6);
    struct fabric_model *m = read_ok(f);
    struct fabric_plan *plan = plan_compute(m, NULL);
    assert_int_equal(plan->n, 6);
    plan_destroy(plan);
    fabric_model_destroy(m);

    static const char *const expected[][2] = {
        {"Host", H2},
        {"Network", N2},
        {"Network", N1},
        {"Router_Port", P1},
        {"Router_Port", P2},
        {"Router", R1},
        {"Guest_Interface", I1},
        {"Guest_Interface", I2},
        {"Guest_Interface", I3},
        {"Guest", G1},
    };
    size_t n_expected = sizeof expected / sizeof *expected;
    assert_int_equal(json_array_size(ops), 1 + n_expected + 1);
    for (size_t i = 0; i < n_expected; i++) {
        assert_op(json_array_get(ops, 1 + i), "delete", expected[i][0],
                  expected[i][1]);
    }
    assert_op(json_array_get(ops, n_expected + 1), "update", "Fabric", F);
    assert_json(json_object_get(json_array_get(ops, n_expected + 1), "row"),
                "{'generation': 6, 'name': ''}");
    json_decref(ops);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_missing_rows, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_build_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_build_destroy, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
