/* Unit tests of the plan (fabric/plan.h): model pairs built in C, each kind
 * of change, no change, destroy, value formatting and order, with golden
 * text in tests/golden/plan-*.txt (FABRIC_UPDATE_GOLDEN=1 rewrites
 * them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "model.h"
#include "plan.h"
#include "testmodel.h"

#define GOLDEN_DIR FABRIC_SOURCE_DIR "/tests/golden/"

static char *
plan_text(const struct fabric_plan *plan)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    plan_print_text(plan, out);
    fclose(out);
    return text;
}

static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        fwrite(chunk, 1, n, out);
    }
    fclose(out);
    fclose(f);
    return text;
}

/* Compares 'actual' with golden file 'name'. */
static void
check_golden(const char *name, const char *actual)
{
    char *path;
    assert_true(asprintf(&path, "%s%s", GOLDEN_DIR, name) > 0);
    if (getenv("FABRIC_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(actual, f);
        fclose(f);
    }
    char *expected = read_file(path);
    if (!expected) {
        fail_msg("missing golden file %s", path);
    }
    if (strcmp(expected, actual)) {
        fprintf(stderr, "--- expected (%s)\n%s--- actual\n%s", path, expected,
                actual);
        fail_msg("plan text differs from %s", path);
    }
    free(expected);
    free(path);
}

/* The change of 'kind' and 'name', or NULL. */
static const struct plan_change *
find_change(const struct fabric_plan *plan, const char *kind, const char *name)
{
    for (size_t i = 0; i < plan->n; i++) {
        const struct plan_change *c = &plan->changes[i];
        if (!strcmp(c->kind, kind) && !strcmp(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

/* Index of 'field' in 'c', or -1. */
static long
find_field(const struct plan_change *c, const char *field)
{
    for (size_t i = 0; i < c->n_fields; i++) {
        if (!strcmp(c->fields[i], field)) {
            return i;
        }
    }
    return -1;
}

static void
assert_field(const struct plan_change *c, const char *field, const char *old,
             const char *new)
{
    long i = find_field(c, field);
    if (i < 0) {
        fail_msg("%s %s has no field %s", c->kind, c->name, field);
    }
    if (old) {
        assert_string_equal(c->old_values[i], old);
    } else {
        assert_null(c->old_values[i]);
    }
    if (new) {
        assert_string_equal(c->new_values[i], new);
    } else {
        assert_null(c->new_values[i]);
    }
}

/* The classic lab built in another order: networks, ports and external
 * IDs reversed, addresses in another order. */
static struct fabric_model *
classic_reordered(void)
{
    struct fabric_model *m = tm_new("classic-lab");
    size_t hv1 = tm_host(m, "hv1", "10.99.0.1");
    size_t n2 = tm_network(m, "network2", "172.17.0.0/24", 102);
    size_t n1 = tm_network(m, "network1", "172.16.0.0/24", 101);
    tm_set(&m->networks[n1].gateway, "172.16.0.254");
    tm_set(&m->networks[n2].gateway, "172.17.0.254");
    fabric_smap_add(&m->networks[n1].external_ids, "z", "1");
    fabric_smap_add(&m->networks[n1].external_ids, "a", "2");
    size_t r = tm_router(m, "host00", FABRIC_ROUTER_FLOWS);
    tm_port(m, r, n2, "172.17.0.254/24");
    tm_port(m, r, n1, "172.16.0.254/24");
    size_t g = tm_guest(m, "host01", hv1, FABRIC_GUEST_NETNS);
    struct fabric_interface *iface =
        tm_interface(m, g, "eth0", n1, "fd00::1/64", "172.16.0.254");
    tm_add_address(iface, "172.16.0.1/24");
    return m;
}

static void
test_no_change(void **state)
{
    struct fabric_model *a = tm_classic_lab();
    struct fabric_model *b = tm_classic_lab();
    struct fabric_plan *plan = plan_compute(a, b);
    assert_int_equal(plan->n, 0);
    char *text = plan_text(plan);
    assert_string_equal(text, "");
    free(text);
    json_t *json = plan_to_json(plan);
    assert_int_equal(json_array_size(json_object_get(json, "changes")), 0);
    json_decref(json);
    plan_destroy(plan);

    /* Order does not matter: the same lab written in another order. */
    fabric_smap_add(&a->networks[0].external_ids, "a", "2");
    fabric_smap_add(&a->networks[0].external_ids, "z", "1");
    tm_add_address(&a->guests[0].interfaces[0], "fd00::1/64");
    struct fabric_model *c = classic_reordered();
    plan = plan_compute(a, c);
    assert_int_equal(plan->n, 0);
    plan_destroy(plan);
    plan = plan_compute(c, a);
    assert_int_equal(plan->n, 0);
    plan_destroy(plan);

    fabric_model_destroy(a);
    fabric_model_destroy(b);
    fabric_model_destroy(c);
}

static void
test_create(void **state)
{
    struct fabric_model *empty = tm_new("");
    struct fabric_model *lab = tm_classic_lab();
    struct fabric_plan *plan = plan_compute(empty, lab);
    assert_int_equal(plan->n, 6);
    for (size_t i = 0; i < plan->n; i++) {
        assert_int_equal(plan->changes[i].op, '+');
    }
    /* Kind order, then name order. */
    static const char *const order[][2] = {
        {"lab", "classic-lab"},  {"host", "hv1"},      {"network", "network1"},
        {"network", "network2"}, {"router", "host00"}, {"guest", "host01"},
    };
    for (size_t i = 0; i < plan->n; i++) {
        assert_string_equal(plan->changes[i].kind, order[i][0]);
        assert_string_equal(plan->changes[i].name, order[i][1]);
    }
    const struct plan_change *c = find_change(plan, "network", "network1");
    assert_string_equal(c->summary, "(172.16.0.0/24, isolated, vlan 101)");
    assert_field(c, "vlan", NULL, "101");
    assert_field(c, "gateway", NULL, "172.16.0.254");
    assert_field(c, "external_ids", NULL, NULL);
    c = find_change(plan, "guest", "host01");
    assert_field(c, "interfaces[eth0].addresses", NULL, "172.16.0.1/24");
    assert_field(c, "interfaces[eth0].network", NULL, "network1");
    c = find_change(plan, "router", "host00");
    assert_field(c, "ports[network2].ip", NULL, "172.17.0.254/24");

    char *text = plan_text(plan);
    check_golden("plan-create.txt", text);
    free(text);
    plan_destroy(plan);
    fabric_model_destroy(empty);
    fabric_model_destroy(lab);
}

/* A current lab and a desired one that differ in every way. */
static void
make_change_pair(struct fabric_model **curp, struct fabric_model **desp)
{
    struct fabric_model *cur = tm_classic_lab();
    size_t g2 = tm_guest(cur, "host02", 0, FABRIC_GUEST_NETNS);
    tm_interface(cur, g2, "eth0", 1, "172.17.0.2/24", "172.17.0.254");
    size_t g3 = tm_guest(cur, "host03", 0, FABRIC_GUEST_VM);
    struct fabric_interface *i3 =
        tm_interface(cur, g3, "eth0", 0, "172.16.0.3/24", NULL);
    tm_add_route(i3, "10.0.0.0/8", "172.16.0.254");
    tm_set(&cur->guests[g3].vm.cmdline, "console=ttyS0");

    struct fabric_model *des = tm_classic_lab();
    tm_set(&des->name, "classic-lab-2");
    tm_set(&des->hosts[0].underlay_ip, "10.99.0.11");
    size_t hv2 = tm_host(des, "hv2", "10.99.0.2");
    des->networks[0].vlan = 111;
    size_t n3 = tm_network(des, "network3", "172.18.0.0/24", 103);
    struct fabric_router *r = &des->routers[0];
    r->kind = FABRIC_ROUTER_VM;
    r->has_host = true;
    r->host = hv2;
    r->n_ports = 1; /* Drops the network2 port. */
    free(r->ports[1].ip);
    free(r->ports[1].mac);
    tm_port(des, 0, n3, "172.18.0.254/24");
    struct fabric_guest *g1 = &des->guests[0];
    tm_set(&g1->interfaces[0].addresses[0], "172.16.0.9/24");
    fabric_smap_add(&g1->external_ids, "owner", "alice smith");
    tm_interface(des, 0, "eth1", n3, "172.18.0.1/24", NULL);
    /* host02 goes; host03 changes its interface and boot. */
    g3 = tm_guest(des, "host03", 0, FABRIC_GUEST_VM);
    i3 = tm_interface(des, g3, "eth0", 0, "172.16.0.3/24", NULL);
    tm_add_route(i3, "10.0.0.0/8", "172.16.0.1");
    tm_add_route(i3, "192.168.0.0/16", "172.16.0.254");
    i3->vlan_mode = FABRIC_VLAN_TRUNK;
    tm_add_trunk(i3, 1);
    tm_add_trunk(i3, 0);
    tm_set(&i3->mac, "02:00:00:00:00:03");
    des->guests[g3].vm.memory_mb = 2048;
    tm_set(&des->guests[g3].vm.cmdline, "console=ttyS0 root=/dev/vda1");
    tm_set(&des->guests[g3].vm.user_data,
           "#cloud-config\npackages:\n  - tcpdump\n  - iperf3\n"
           "runcmd:\n  - echo hello from the lab\n");
    *curp = cur;
    *desp = des;
}

static void
test_changes(void **state)
{
    struct fabric_model *cur, *des;
    make_change_pair(&cur, &des);
    struct fabric_plan *plan = plan_compute(cur, des);

    const struct plan_change *c = find_change(plan, "lab", "classic-lab-2");
    assert_int_equal(c->op, '~');
    assert_field(c, "name", "classic-lab", "classic-lab-2");

    c = find_change(plan, "host", "hv1");
    assert_int_equal(c->op, '~');
    assert_int_equal(c->n_fields, 1);
    assert_field(c, "underlay_ip", "10.99.0.1", "10.99.0.11");
    assert_int_equal(find_change(plan, "host", "hv2")->op, '+');

    c = find_change(plan, "network", "network1");
    assert_int_equal(c->n_fields, 1);
    assert_field(c, "vlan", "101", "111");
    assert_null(find_change(plan, "network", "network2"));
    assert_int_equal(find_change(plan, "network", "network3")->op, '+');

    c = find_change(plan, "router", "host00");
    assert_field(c, "kind", "flows", "vm");
    assert_field(c, "host", NULL, "hv2");
    assert_field(c, "ports[network2]", "172.17.0.254/24", NULL);
    assert_field(c, "ports[network3]", NULL, "172.18.0.254/24");
    assert_int_equal(find_field(c, "ports[network1].ip"), -1);

    c = find_change(plan, "guest", "host01");
    assert_field(c, "interfaces[eth0].addresses", "172.16.0.1/24",
                 "172.16.0.9/24");
    assert_field(c, "interfaces[eth1]", NULL, "network3 172.18.0.1/24");
    assert_field(c, "external_ids", NULL, "owner=\"alice smith\"");
    assert_int_equal(c->n_fields, 3);

    assert_int_equal(find_change(plan, "guest", "host02")->op, '-');
    c = find_change(plan, "guest", "host03");
    assert_field(c, "interfaces[eth0].routes", "10.0.0.0/8=172.16.0.254",
                 "10.0.0.0/8=172.16.0.1,192.168.0.0/16=172.16.0.254");
    assert_field(c, "interfaces[eth0].trunks", NULL, "network1,network2");
    assert_field(c, "interfaces[eth0].vlan_mode", "access", "trunk");
    assert_field(c, "memory_mb", "512", "2048");

    char *text = plan_text(plan);
    check_golden("plan-changes.txt", text);
    free(text);

    /* The reverse plan undoes each change. */
    struct fabric_plan *back = plan_compute(des, cur);
    c = find_change(back, "network", "network1");
    assert_field(c, "vlan", "111", "101");
    assert_int_equal(find_change(back, "guest", "host02")->op, '+');
    assert_int_equal(find_change(back, "network", "network3")->op, '-');
    plan_destroy(back);

    plan_destroy(plan);
    fabric_model_destroy(cur);
    fabric_model_destroy(des);
}

static void
test_destroy(void **state)
{
    struct fabric_model *cur = tm_classic_lab();
    cur->hosts[0].registered = true;
    tm_host(cur, "hv2", "10.99.0.2");
    struct fabric_plan *plan = plan_compute(cur, NULL);
    assert_int_equal(plan->n, 6);
    for (size_t i = 0; i < plan->n; i++) {
        assert_int_equal(plan->changes[i].op, '-');
    }
    assert_null(find_change(plan, "host", "hv1"));
    assert_non_null(find_change(plan, "host", "hv2"));
    const struct plan_change *c = find_change(plan, "lab", "classic-lab");
    assert_field(c, "name", "classic-lab", NULL);
    c = find_change(plan, "guest", "host01");
    assert_field(c, "interfaces[eth0].addresses", "172.16.0.1/24", NULL);
    char *text = plan_text(plan);
    check_golden("plan-destroy.txt", text);
    free(text);
    plan_destroy(plan);

    /* An apply keeps a registered host it no longer names, and deletes
     * the others. */
    struct fabric_model *des = tm_classic_lab();
    tm_set(&des->hosts[0].name, "hv9");
    plan = plan_compute(cur, des);
    assert_null(find_change(plan, "host", "hv1"));
    assert_int_equal(find_change(plan, "host", "hv2")->op, '-');
    assert_int_equal(find_change(plan, "host", "hv9")->op, '+');
    assert_field(find_change(plan, "guest", "host01"), "host", "hv1", "hv9");
    plan_destroy(plan);
    fabric_model_destroy(des);

    /* Nothing left to destroy: only a registered host and no name. */
    struct fabric_model *rest = tm_new("");
    tm_host(rest, "hv1", NULL);
    rest->hosts[0].registered = true;
    plan = plan_compute(rest, NULL);
    assert_int_equal(plan->n, 0);
    plan_destroy(plan);
    plan = plan_compute(NULL, NULL);
    assert_int_equal(plan->n, 0);
    plan_destroy(plan);
    fabric_model_destroy(rest);
    fabric_model_destroy(cur);
}

static void
test_json(void **state)
{
    struct fabric_model *cur = tm_classic_lab();
    struct fabric_model *des = tm_classic_lab();
    des->networks[1].vlan = 202;
    tm_set(&des->guests[0].interfaces[0].gateway, NULL);
    tm_network(des, "network3", "172.18.0.0/24", 103);
    struct fabric_plan *plan = plan_compute(cur, des);
    json_t *json = plan_to_json(plan);
    char *dump = json_dumps(json, JSON_COMPACT);
    json_t *changes = json_object_get(json, "changes");
    assert_int_equal(json_array_size(changes), 3);

    json_t *n2 = json_array_get(changes, 0);
    assert_string_equal(json_string_value(json_object_get(n2, "op")), "~");
    assert_string_equal(json_string_value(json_object_get(n2, "kind")),
                        "network");
    assert_string_equal(json_string_value(json_object_get(n2, "name")),
                        "network2");
    assert_null(json_object_get(n2, "summary"));
    json_t *f = json_array_get(json_object_get(n2, "fields"), 0);
    assert_string_equal(json_string_value(json_object_get(f, "field")),
                        "vlan");
    assert_string_equal(json_string_value(json_object_get(f, "old")), "102");
    assert_string_equal(json_string_value(json_object_get(f, "new")), "202");

    json_t *n3 = json_array_get(changes, 1);
    assert_string_equal(json_string_value(json_object_get(n3, "op")), "+");
    assert_string_equal(json_string_value(json_object_get(n3, "summary")),
                        "(172.18.0.0/24, isolated, vlan 103)");
    f = json_array_get(json_object_get(n3, "fields"), 0);
    assert_true(json_is_null(json_object_get(f, "old")));

    json_t *g = json_array_get(changes, 2);
    f = json_array_get(json_object_get(g, "fields"), 0);
    assert_string_equal(json_string_value(json_object_get(f, "field")),
                        "interfaces[eth0].gateway");
    assert_string_equal(json_string_value(json_object_get(f, "old")),
                        "172.16.0.254");
    assert_true(json_is_null(json_object_get(f, "new")));
    free(dump);
    json_decref(json);
    plan_destroy(plan);
    fabric_model_destroy(cur);
    fabric_model_destroy(des);
}

/* Values: set elements that hold separators are quoted, so that a set of
 * one "a,b" differs from a set of "a" and "b"; empty and absent differ
 * for optional strings; long values are shortened in text only. */
static void
test_values(void **state)
{
    struct fabric_model *a = tm_classic_lab();
    struct fabric_model *b = tm_classic_lab();
    struct fabric_interface *ia = &a->guests[0].interfaces[0];
    struct fabric_interface *ib = &b->guests[0].interfaces[0];
    tm_set(&ia->addresses[0], "x,y");
    tm_set(&ib->addresses[0], "x");
    tm_add_address(ib, "y");
    fabric_smap_add(&a->hosts[0].external_ids, "k", "v=w");
    fabric_smap_add(&b->hosts[0].external_ids, "k=v", "w");
    tm_set(&b->guests[0].vm.image, "");
    char long_value[200];
    memset(long_value, 'x', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    tm_set(&b->guests[0].vm.kernel, long_value);

    struct fabric_plan *plan = plan_compute(a, b);
    const struct plan_change *c = find_change(plan, "guest", "host01");
    assert_field(c, "interfaces[eth0].addresses", "\"x,y\"", "x,y");
    assert_field(c, "image", NULL, "");
    assert_field(c, "kernel", NULL, long_value);
    c = find_change(plan, "host", "hv1");
    assert_field(c, "external_ids", "k=\"v=w\"", "\"k=v\"=w");

    char *text = plan_text(plan);
    assert_non_null(strstr(text, "~ guest host01: image (none) -> \"\"\n"));
    assert_non_null(strstr(text, "... (199 bytes)\n"));
    assert_null(strstr(text, long_value));
    free(text);
    plan_destroy(plan);
    fabric_model_destroy(a);
    fabric_model_destroy(b);
}

/* Children in natural order (eth2 before eth10), objects by name whatever
 * the order of the arrays. */
static void
test_order(void **state)
{
    struct fabric_model *empty = tm_new("");
    struct fabric_model *m = tm_new("");
    size_t h = tm_host(m, "hv1", NULL);
    size_t n = tm_network(m, "n", "10.0.0.0/24", 10);
    tm_guest(m, "zz", h, FABRIC_GUEST_NETNS);
    size_t g = tm_guest(m, "aa", h, FABRIC_GUEST_NETNS);
    tm_interface(m, g, "eth10", n, NULL, NULL);
    tm_interface(m, g, "eth2", n, "10.0.0.2/24", NULL);
    tm_interface(m, g, "eth1", n, NULL, NULL);
    struct fabric_plan *plan = plan_compute(empty, m);
    assert_int_equal(plan->n, 4);
    assert_string_equal(plan->changes[2].name, "aa");
    assert_string_equal(plan->changes[3].name, "zz");
    const struct plan_change *c = &plan->changes[2];
    assert_string_equal(c->summary, "(netns on hv1, eth1 n, eth2 n "
                                    "10.0.0.2/24, eth10 n)");
    long i1 = find_field(c, "interfaces[eth1].mac");
    long i2 = find_field(c, "interfaces[eth2].mac");
    long i10 = find_field(c, "interfaces[eth10].mac");
    assert_true(i1 >= 0 && i1 < i2 && i2 < i10);
    plan_destroy(plan);

    /* Removing eth2 alone. */
    struct fabric_model *m2 = tm_new("");
    tm_host(m2, "hv1", NULL);
    tm_network(m2, "n", "10.0.0.0/24", 10);
    tm_guest(m2, "zz", h, FABRIC_GUEST_NETNS);
    g = tm_guest(m2, "aa", h, FABRIC_GUEST_NETNS);
    tm_interface(m2, g, "eth1", n, NULL, NULL);
    tm_interface(m2, g, "eth10", n, NULL, NULL);
    plan = plan_compute(m, m2);
    assert_int_equal(plan->n, 1);
    assert_int_equal(plan->changes[0].n_fields, 1);
    assert_field(&plan->changes[0], "interfaces[eth2]", "n 10.0.0.2/24", NULL);
    char *text = plan_text(plan);
    assert_string_equal(text, "~ guest aa: interfaces[eth2] "
                              "\"n 10.0.0.2/24\" -> (none)\n");
    free(text);
    plan_destroy(plan);
    fabric_model_destroy(empty);
    fabric_model_destroy(m);
    fabric_model_destroy(m2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_change), cmocka_unit_test(test_create),
        cmocka_unit_test(test_changes),   cmocka_unit_test(test_destroy),
        cmocka_unit_test(test_json),      cmocka_unit_test(test_values),
        cmocka_unit_test(test_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
