/* Functional tests of fabricctl against a real fabric DB (ovsdb-server with
 * ovsdb/fabric.ovsschema): plan, apply, re-apply, export round trip,
 * destroy, bad files that write nothing, refused modes, --wait without
 * agents, --json, and an unreachable DB. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sandbox.h"

#define FABRICCTL FABRIC_BINARY_DIR "/fabricctl"
#define SCHEMA FABRIC_SOURCE_DIR "/ovsdb/fabric.ovsschema"
#define TOPO(NAME) FABRIC_SOURCE_DIR "/topologies/" NAME

struct world {
    char *dir;
    struct sbx_ovsdb db;
    char db_opt[512];
};

static int
setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    w->dir = sbx_mkdtemp("fabricctl");
    sbx_ovsdb_init(&w->db, w->dir, "fabric");
    if (sbx_ovsdb_create_db(&w->db, SCHEMA) || sbx_ovsdb_start(&w->db, NULL)) {
        return -1;
    }
    snprintf(w->db_opt, sizeof w->db_opt, "--db=%s", w->db.unix_remote);
    *state = w;
    return 0;
}

static int
teardown(void **state)
{
    struct world *w = *state;
    sbx_ovsdb_clear(&w->db);
    sbx_rmtree(w->dir);
    free(w->dir);
    free(w);
    return 0;
}

/* Runs fabricctl with the world's --db and the given arguments; returns
 * its exit status and stores its stdout+stderr in '*outp'. */
static int
ctl(struct world *w, char **outp, ...)
{
    va_list args;
    va_start(args, outp);
    int rc = sbx_run_va(outp, false, FABRICCTL, w->db_opt, args);
    va_end(args);
    return rc;
}

static long long
generation(struct world *w)
{
    char *out = NULL;
    assert_int_equal(ctl(w, &out, "--json", "status", NULL), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    long long g = json_integer_value(json_object_get(j, "generation"));
    json_decref(j);
    free(out);
    return g;
}

static void
test_apply_plan_reapply(void **state)
{
    struct world *w = *state;
    char *out = NULL;
    assert_int_equal(
        ctl(w, &out, "topology", "plan", TOPO("classic-lab.yaml"), NULL), 2);
    assert_non_null(strstr(out, "+ guest host01"));
    free(out);
    assert_int_equal(generation(w), 0);

    assert_int_equal(
        ctl(w, &out, "topology", "apply", TOPO("classic-lab.yaml"), NULL), 0);
    assert_non_null(strstr(out, "Applied"));
    free(out);
    assert_int_equal(generation(w), 1);

    /* Re-applying changes nothing: plan exits 0 and no generation bump. */
    assert_int_equal(
        ctl(w, &out, "topology", "plan", TOPO("classic-lab.yaml"), NULL), 0);
    assert_non_null(strstr(out, "No changes"));
    free(out);
    assert_int_equal(
        ctl(w, NULL, "topology", "apply", TOPO("classic-lab.yaml"), NULL), 0);
    assert_int_equal(generation(w), 1);

    /* The same lab in JSON is the same lab. */
    assert_int_equal(
        ctl(w, NULL, "topology", "plan", TOPO("classic-lab.json"), NULL), 0);

    /* --dry-run writes nothing. */
    assert_int_equal(ctl(w, &out, "topology", "apply", "--dry-run",
                         TOPO("two-hosts.yaml"), NULL),
                     0);
    free(out);
    assert_int_equal(generation(w), 1);

    /* The show output lists what was applied. */
    assert_int_equal(ctl(w, &out, "topology", "show", NULL), 0);
    assert_non_null(strstr(out, "network network1"));
    assert_non_null(strstr(out, "172.17.0.0/24"));
    assert_non_null(strstr(out, "guest   host04"));
    free(out);
}

static void
test_export_round_trip_and_multi_host(void **state)
{
    struct world *w = *state;
    assert_int_equal(
        ctl(w, NULL, "topology", "apply", TOPO("two-hosts.yaml"), NULL), 0);
    char *path = sbx_path(w->dir, "exported.yaml");
    assert_int_equal(ctl(w, NULL, "topology", "export", "-o", path, NULL), 0);
    /* The export applies to no change. */
    char *out = NULL;
    assert_int_equal(ctl(w, &out, "topology", "plan", path, NULL), 0);
    free(out);

    /* Moving a guest to the other host is one change. */
    assert_int_equal(
        ctl(w, &out, "topology", "plan", TOPO("classic-lab.yaml"), NULL), 2);
    assert_non_null(strstr(out, "- host hv1"));
    free(out);
    free(path);

    /* Multi-host status lists both hosts, and --json is valid JSON. */
    assert_int_equal(ctl(w, &out, "--json", "status", NULL), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "hosts")), 2);
    assert_int_equal(json_array_size(json_object_get(j, "guests")), 4);
    json_decref(j);
    free(out);
}

static void
test_destroy(void **state)
{
    struct world *w = *state;
    assert_int_equal(
        ctl(w, NULL, "topology", "apply", TOPO("classic-lab.yaml"), NULL), 0);
    char *out = NULL;
    assert_int_equal(ctl(w, &out, "topology", "destroy", NULL), 0);
    free(out);
    assert_int_equal(generation(w), 2);
    /* Nothing of the lab remains in the DB. */
    out = NULL;
    int rc = sbx_runl(&out, "ovsdb-client", "dump", w->db.unix_remote,
                      "Fabric", NULL);
    assert_int_equal(rc, 0);
    assert_null(strstr(out, "network1"));
    assert_null(strstr(out, "host01"));
    assert_null(strstr(out, "172.16.0.1"));
    free(out);
    assert_int_equal(ctl(w, &out, "--json", "topology", "show", NULL), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "networks")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "guests")), 0);
    json_decref(j);
    free(out);
}

static void
test_bad_file_writes_nothing(void **state)
{
    struct world *w = *state;
    char *path = sbx_path(w->dir, "bad.yaml");
    FILE *f = fopen(path, "w");
    fputs("name: bad\n"
          "networks:\n"
          "  - {name: n1, subnet: 172.16.0.0/24}\n"
          "guests:\n"
          "  - name: g1\n"
          "    interfaces:\n"
          "      - {network: n1, ip: 172.17.0.5/24}\n"
          "      - {network: nope, ip: 172.16.0.9/24}\n",
          f);
    fclose(f);
    char *out = NULL;
    assert_int_equal(ctl(w, &out, "topology", "apply", path, NULL), 1);
    /* Both problems are reported, each with file, line and column. */
    assert_non_null(strstr(out, "bad.yaml:7:"));
    assert_non_null(strstr(out, "bad.yaml:8:"));
    assert_non_null(strstr(out, "nothing was changed"));
    free(out);
    assert_int_equal(generation(w), 0);
    free(path);
}

/* Modes nat and routed are applied like any other, with the hosts'
 * address and the port forwards, and export back. */
static void
test_nat_mode_applied(void **state)
{
    struct world *w = *state;
    char *path = sbx_path(w->dir, "nat.yaml");
    FILE *f = fopen(path, "w");
    fputs("name: natlab\n"
          "networks:\n"
          "  - {name: n1, subnet: 172.16.0.0/24, mode: nat,\n"
          "     forwards: [{host_port: 8080, guest: web, port: 80}]}\n"
          "  - {name: n2, subnet: 172.17.0.0/24, mode: routed}\n"
          "guests:\n"
          "  - {name: web, interfaces: [{network: n1, ip: 172.16.0.5}]}\n",
          f);
    fclose(f);
    char *out = NULL;
    assert_int_equal(ctl(w, &out, "topology", "apply", path, NULL), 0);
    free(out);
    assert_int_equal(generation(w), 1);
    assert_int_equal(ctl(w, &out, "topology", "export", NULL), 0);
    assert_non_null(strstr(out, "host_ip: 172.16.0.1\n"));
    assert_non_null(strstr(out, "host_ip: 172.17.0.1\n"));
    assert_non_null(strstr(out, "host_port: 8080\n"));
    assert_non_null(strstr(out, "gateway: 172.16.0.1\n"));
    free(out);
    free(path);
}

static void
test_wait_names_hosts(void **state)
{
    struct world *w = *state;
    char *out = NULL;
    /* No agent runs here: --wait must fail and name both hosts. */
    assert_int_equal(ctl(w, &out, "topology", "apply", "--wait=1",
                         TOPO("two-hosts.yaml"), NULL),
                     1);
    assert_non_null(strstr(out, "hv1 (no agent has reported)"));
    assert_non_null(strstr(out, "hv2 (no agent has reported)"));
    free(out);
}

static void
test_unreachable_db(void **state)
{
    struct world *w = *state;
    char *path = sbx_path(w->dir, "nothing-here.sock");
    char opt[600];
    snprintf(opt, sizeof opt, "--db=unix:%s", path);
    char *argv[] = {FABRICCTL, opt, "--timeout=500", "status", NULL};
    char *out = NULL;
    assert_int_equal(sbx_run(argv, &out), 1);
    assert_non_null(strstr(out, "cannot reach the fabric DB"));
    assert_non_null(strstr(out, path));
    free(out);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apply_plan_reapply, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_export_round_trip_and_multi_host,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_file_writes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nat_mode_applied, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wait_names_hosts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_db, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
