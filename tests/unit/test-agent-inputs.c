/* Unit tests of fabric/agent-inputs.h, on a replica of the fabric schema:
 * inserts and deletes are inputs; modifies of agents' status columns
 * (Host's heartbeat, applied generation, tunnel status..., a guest's or
 * router's state) are not, but any other column is; a heartbeat counts
 * only when it goes from or to 0. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "agent-inputs.h"
#include "ovsdb-error.h"
#include "replica.h"
#include "schema.h"

#define FABRIC_SCHEMA FABRIC_SOURCE_DIR "/ovsdb/fabric.ovsschema"
#define H1 "11111111-0000-0000-0000-000000000001"
#define G1 "22222222-0000-0000-0000-000000000001"

struct fixture {
    struct replica *replica;
    int changes; /* Changes reported. */
    int inputs;  /* ...of which inputs. */
};

static void
on_change(void *f_, enum replica_change change, const struct replica_row *old,
          const struct replica_row *new)
{
    struct fixture *f = f_;
    f->changes++;
    f->inputs += agent_inputs_changed(old, new);
}

/* Applies the update2 'text' (' for ") and returns whether its one change
 * was an input. */
static bool
changed(struct fixture *f, const char *text)
{
    char *copy = strdup(text);
    for (char *p = copy; *p; p++) {
        *p = *p == '\'' ? '"' : *p;
    }
    json_error_t jerr;
    json_t *json = json_loads(copy, 0, &jerr);
    if (!json) {
        fail_msg("bad test JSON: %s: %s", jerr.text, copy);
    }
    free(copy);
    struct ovsdb_error *error = NULL;
    f->changes = f->inputs = 0;
    if (replica_apply_update2(f->replica, json, &error)) {
        fail_msg("update: %s", error->msg);
    }
    json_decref(json);
    assert_int_equal(f->changes, 1);
    return f->inputs == 1;
}

/* The fabric schema, for every test. */
static struct ovsdb_schema *schema;

static int
load_schema(void **state)
{
    struct ovsdb_error *error = NULL;
    int rc = ovsdb_schema_from_file(FABRIC_SCHEMA, &schema, &error);
    ovsdb_error_free(error);
    return rc;
}

static int
free_schema(void **state)
{
    ovsdb_schema_destroy(schema);
    return 0;
}

/* A replica whose every change goes to on_change(). */
static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->replica = replica_create(schema);
    for (size_t i = 0; i < schema->n_tables; i++) {
        replica_on_change(f->replica, schema->tables[i].name, on_change, f);
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    replica_destroy(f->replica);
    free(f);
    return 0;
}

#define HOST(OP, COLS) "{'Host': {'" H1 "': {'" OP "': {" COLS "}}}}"
#define GUEST(OP, COLS) "{'Guest': {'" G1 "': {'" OP "': {" COLS "}}}}"

static void
test_host(void **state)
{
    struct fixture *f = *state;
    assert_true(changed(f, HOST("insert", "'name': 'hv1', "
                                          "'underlay_ip': '10.0.0.1'")));
    /* An agent registers: its first heartbeat is an input. */
    assert_true(changed(f, HOST("modify", "'heartbeat': 1000")));
    /* Its status, again and again, is not. */
    assert_false(changed(f, HOST("modify", "'heartbeat': 2000")));
    assert_false(changed(f, HOST("modify", "'heartbeat': 2500, '_version': "
                                           "['uuid', '" G1 "']")));
    assert_false(changed(f, HOST("modify", "'applied_generation': 3, "
                                           "'heartbeat': 3000")));
    assert_false(changed(f, HOST("modify", "'version': '0.1', "
                                           "'datapath_type': 'netdev', "
                                           "'error': 'oops'")));
    assert_false(changed(
        f, HOST("modify", "'tunnel_status': ['map', [['hv2', 'up']]]")));
    /* What the lab says of the host is. */
    assert_true(changed(f, HOST("modify", "'underlay_ip': '10.0.0.9'")));
    assert_true(changed(f, HOST("modify", "'underlay_mtu': 9000, "
                                          "'heartbeat': 4000")));
    assert_true(
        changed(f, HOST("modify", "'external_ids': ['map', [['k', 'v']]]")));
    /* Back to no heartbeat. */
    assert_true(changed(f, HOST("modify", "'heartbeat': 0")));
    assert_true(changed(f, "{'Host': {'" H1 "': {'delete': null}}}"));
}

static void
test_guest(void **state)
{
    struct fixture *f = *state;
    assert_true(changed(f, GUEST("insert", "'name': 'g1', 'kind': 'netns'")));
    assert_false(changed(f, GUEST("modify", "'state': 'running'")));
    assert_false(changed(f, GUEST("modify", "'state': 'error', "
                                            "'state_reason': 'no'")));
    assert_true(changed(f, GUEST("modify", "'name': 'g2'")));
    assert_true(changed(f, GUEST("modify", "'name': 'g3', "
                                           "'state': 'pending'")));
    /* The same status columns in another table are inputs. */
    assert_true(changed(f, "{'Network': {'" H1 "': {'insert': "
                           "{'name': 'n1', 'subnet': '10.0.0.0/24'}}}}"));
    assert_true(changed(f, "{'Network': {'" H1 "': {'modify': "
                           "{'mtu': 1400}}}}"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_guest, setup, teardown),
    };
    return cmocka_run_group_tests(tests, load_schema, free_schema);
}
