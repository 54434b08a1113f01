/* Unit tests of ovsdb/replica: update2 batches (initial, insert, modify,
 * delete), callbacks with their old and new rows and their timing, all or
 * nothing on errors, resync, clear, iteration, and 100,000 rows. */
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
#include "ovsdb-error.h"
#include "replica.h"
#include "schema.h"

#define VSWITCH_SCHEMA "/usr/share/openvswitch/vswitch.ovsschema"

#define B1 "b0000000-0000-0000-0000-000000000001"
#define B2 "b0000000-0000-0000-0000-000000000002"
#define P1 "c0000000-0000-0000-0000-000000000001"
#define P2 "c0000000-0000-0000-0000-000000000002"
#define P3 "c0000000-0000-0000-0000-000000000003"
#define NOPE "d0000000-0000-0000-0000-000000000000"

static const char test_schema[] =
    "{\"name\": \"Test\", \"version\": \"1.0.0\", \"tables\": {"
    " \"Bridge\": {\"isRoot\": true, \"columns\": {"
    "  \"name\": {\"type\": \"string\"},"
    "  \"ports\": {\"type\": {\"key\": {\"type\": \"uuid\","
    "                                  \"refTable\": \"Port\"},"
    "                         \"min\": 0, \"max\": \"unlimited\"}},"
    "  \"external_ids\": {\"type\": {\"key\": \"string\","
    "                                \"value\": \"string\","
    "                                \"min\": 0, \"max\": \"unlimited\"}},"
    "  \"datapath_id\": {\"type\": {\"key\": \"string\","
    "                               \"min\": 0, \"max\": 1}}}},"
    " \"Port\": {\"columns\": {"
    "  \"name\": {\"type\": \"string\"},"
    "  \"bridge\": {\"type\": {\"key\": \"uuid\", \"min\": 0, \"max\": 1}},"
    "  \"tag\": {\"type\": {\"key\": \"integer\", \"min\": 0, \"max\": 1}},"
    "  \"trunks\": {\"type\": {\"key\": \"integer\","
    "                          \"min\": 0, \"max\": 4096}}}}}}";

/* Parses 'text', which the test itself wrote, and returns a new
 * reference. */
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

/* Fails unless 'actual' (borrowed, may be NULL) is the datum written in
 * 'expected', compared as datums (sets and maps in any order). */
static void
assert_datum(const json_t *actual, const char *expected)
{
    json_t *want = parse(expected);
    if (!ovsdb_datum_equal(actual, want)) {
        char *got = actual ? json_dumps(actual, JSON_ENCODE_ANY) : NULL;
        print_error("expected: %s\n     got: %s\n", expected,
                    got ? got : "NULL");
        free(got);
        json_decref(want);
        fail();
    }
    json_decref(want);
}

/* One change reported to a callback. */
struct event {
    char table[32];
    char uuid[37];
    enum replica_change change;
    json_t *old;      /* Columns of the old row, or NULL. */
    json_t *new;      /* Columns of the new row, or NULL. */
    bool found_other; /* What the lookup hook found, if any. */
};

struct fixture {
    struct ovsdb_schema *schema;
    struct replica *replica;
    struct event events[16];
    size_t n_events;

    /* When set, each callback looks up this row and records in
     * 'found_other' whether the replica holds it. */
    const char *other_table;
    const char *other_uuid;

    /* When true, instead, a Bridge callback looks up Port P1 and a Port
     * callback Bridge B1. */
    bool cross;
};

/* Every column of 'row' through replica_row_get(), as a new object. */
static json_t *
full_row(const struct fixture *f, const struct replica_row *row)
{
    const struct ovsdb_table *t = ovsdb_schema_table(f->schema, row->table);
    json_t *all = json_object();
    for (size_t i = 0; i < t->n_columns; i++) {
        const json_t *v = replica_row_get(row, t->columns[i].name);
        if (v) {
            json_object_set_new(all, t->columns[i].name, json_deep_copy(v));
        }
    }
    return all;
}

static void
record(void *aux, enum replica_change change, const struct replica_row *old,
       const struct replica_row *new)
{
    struct fixture *f = aux;
    assert_true(f->n_events < 16);
    struct event *e = &f->events[f->n_events++];
    const struct replica_row *row = new ? new : old;
    if (old && new) {
        assert_string_equal(old->uuid, new->uuid);
        assert_string_equal(old->table, new->table);
    }
    snprintf(e->table, sizeof e->table, "%s", row->table);
    snprintf(e->uuid, sizeof e->uuid, "%s", row->uuid);
    e->change = change;
    assert_int_equal(change == REPLICA_INSERT, old == NULL);
    assert_int_equal(change == REPLICA_DELETE, new == NULL);
    /* Full copies (defaults included), so that the test can look at them
     * after the batch. */
    e->old = old ? full_row(f, old) : NULL;
    e->new = new ? full_row(f, new) : NULL;
    if (f->cross) {
        bool bridge = !strcmp(row->table, "Bridge");
        e->found_other = replica_get(f->replica, bridge ? "Port" : "Bridge",
                                     bridge ? P1 : B1) != NULL;
    } else {
        e->found_other =
            (f->other_table &&
             replica_get(f->replica, f->other_table, f->other_uuid));
    }
}

static void
events_clear(struct fixture *f)
{
    for (size_t i = 0; i < f->n_events; i++) {
        json_decref(f->events[i].old);
        json_decref(f->events[i].new);
    }
    f->n_events = 0;
}

/* Finds the event about 'uuid', which must be there once. */
static const struct event *
event_for(const struct fixture *f, const char *uuid)
{
    const struct event *found = NULL;
    for (size_t i = 0; i < f->n_events; i++) {
        if (!strcmp(f->events[i].uuid, uuid)) {
            assert_null(found);
            found = &f->events[i];
        }
    }
    if (!found) {
        fail_msg("no event for %s", uuid);
    }
    return found;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    json_t *json = parse(test_schema);
    struct ovsdb_error *error = NULL;
    if (ovsdb_schema_from_json(json, &f->schema, &error)) {
        fail_msg("%s", error->msg);
    }
    json_decref(json);
    f->replica = replica_create(f->schema);
    replica_on_change(f->replica, "Bridge", record, f);
    replica_on_change(f->replica, "Port", record, f);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    events_clear(f);
    replica_destroy(f->replica);
    ovsdb_schema_destroy(f->schema);
    free(f);
    return 0;
}

/* Applies update 'text', which must succeed. */
static void
apply(struct fixture *f, const char *text)
{
    json_t *json = parse(text);
    struct ovsdb_error *error = NULL;
    if (replica_apply_update2(f->replica, json, &error)) {
        fail_msg("update %s: %s", text, error->msg);
    }
    json_decref(json);
}

/* Applies update 'text', which must fail with -EPROTO and a message equal
 * to 'msg'. */
static void
apply_error(struct fixture *f, const char *text, const char *msg)
{
    json_t *json = parse(text);
    struct ovsdb_error *error = NULL;
    assert_int_equal(replica_apply_update2(f->replica, json, &error), -EPROTO);
    json_decref(json);
    assert_non_null(error);
    assert_int_equal(error->code, -EPROTO);
    assert_string_equal(error->msg, msg);
    ovsdb_error_free(error);
}

static const json_t *
get(struct fixture *f, const char *table, const char *uuid, const char *column)
{
    const struct replica_row *row = replica_get(f->replica, table, uuid);
    if (!row) {
        fail_msg("no row %s in %s", uuid, table);
    }
    return replica_row_get(row, column);
}

/* Two bridges and three ports, as a monitor_cond reply brings them. */
static const char initial[] =
    "{\"Bridge\": {"
    "  \"" B1 "\": {\"initial\": {\"name\": \"br0\","
    "     \"ports\": [\"set\", [[\"uuid\", \"" P1 "\"],"
    "                           [\"uuid\", \"" P2 "\"]]],"
    "     \"external_ids\": [\"map\", [[\"a\", \"1\"]]]}},"
    "  \"" B2 "\": {\"initial\": {\"name\": \"br1\","
    "     \"ports\": [\"uuid\", \"" P3 "\"]}}},"
    " \"Port\": {"
    "  \"" P1 "\": {\"initial\": {\"name\": \"p1\", \"tag\": 10}},"
    "  \"" P2 "\": {\"initial\": {\"name\": \"p2\","
    "     \"trunks\": [\"set\", [1, 2]]}},"
    "  \"" P3 "\": {\"initial\": {\"name\": \"p3\"}}}}";

static void
test_initial(void **state)
{
    struct fixture *f = *state;
    apply(f, initial);

    assert_int_equal(replica_count(f->replica, "Bridge"), 2);
    assert_int_equal(replica_count(f->replica, "Port"), 3);
    assert_int_equal(replica_count(f->replica, "Nope"), 0);
    assert_int_equal(f->n_events, 5);
    for (size_t i = 0; i < f->n_events; i++) {
        assert_int_equal(f->events[i].change, REPLICA_INSERT);
        assert_null(f->events[i].old);
    }

    /* The row the callback saw is the row the replica holds. */
    const struct event *e = event_for(f, P1);
    assert_string_equal(e->table, "Port");
    const struct replica_row *row = replica_get(f->replica, "Port", P1);
    assert_non_null(row);
    assert_string_equal(row->table, "Port");
    assert_string_equal(row->uuid, P1);
    json_t *full = full_row(f, row);
    assert_true(json_equal(e->new, full));
    json_decref(full);

    /* Sent columns as sent, defaults for the others, no _uuid or
     * _version; the row itself holds only what is not a default. */
    assert_datum(get(f, "Port", P1, "name"), "\"p1\"");
    assert_datum(get(f, "Port", P1, "tag"), "10");
    assert_datum(get(f, "Port", P1, "trunks"), "[\"set\", []]");
    assert_datum(get(f, "Port", P1, "bridge"), "[\"set\", []]");
    assert_int_equal(json_object_size(row->columns), 2);
    assert_null(replica_row_get(row, "_uuid"));
    assert_null(replica_row_get(row, "_version"));
    assert_datum(get(f, "Port", P2, "trunks"), "[\"set\", [2, 1]]");
    assert_datum(get(f, "Port", P3, "tag"), "[\"set\", []]");
    assert_datum(get(f, "Bridge", B1, "ports"),
                 "[\"set\", [[\"uuid\", \"" P2 "\"],"
                 " [\"uuid\", \"" P1 "\"]]]");
    assert_datum(get(f, "Bridge", B1, "external_ids"),
                 "[\"map\", [[\"a\", \"1\"]]]");
    assert_datum(get(f, "Bridge", B1, "datapath_id"), "[\"set\", []]");
    assert_datum(get(f, "Bridge", B2, "external_ids"), "[\"map\", []]");
    assert_datum(get(f, "Bridge", B2, "ports"), "[\"uuid\", \"" P3 "\"]");

    /* Lookups: by UUID in any case; unknown rows and tables. */
    assert_ptr_equal(replica_get(f->replica, "Port",
                                 "C0000000-0000-0000-0000-000000000001"),
                     row);
    assert_null(replica_get(f->replica, "Port", NOPE));
    assert_null(replica_get(f->replica, "Bridge", P1));
    assert_null(replica_get(f->replica, "Nope", P1));
    assert_null(replica_get(f->replica, "Port", "p1"));
}

static void
test_insert_modify_delete(void **state)
{
    struct fixture *f = *state;
    apply(f, initial);
    events_clear(f);

    /* Insert, with _version as a server sends it. */
    apply(f, "{\"Port\": {\"" NOPE "\": {\"insert\": {\"name\": \"p9\","
             " \"_version\": [\"uuid\", \"" B1 "\"]}}}}");
    assert_int_equal(f->n_events, 1);
    assert_int_equal(f->events[0].change, REPLICA_INSERT);
    assert_int_equal(replica_count(f->replica, "Port"), 4);
    assert_datum(get(f, "Port", NOPE, "_version"), "[\"uuid\", \"" B1 "\"]");
    events_clear(f);

    /* Modify: a scalar, an optional scalar (new value), a set (toggle),
     * a map (merge), all in one row; another row in the same batch. */
    apply(f, "{\"Port\": {\"" P1 "\": {\"modify\": {\"name\": \"p1x\","
             "   \"tag\": 20, \"trunks\": [\"set\", [5, 6]]}},"
             " \"" P2 "\": {\"modify\": {\"trunks\": 1}}},"
             " \"Bridge\": {\"" B1 "\": {\"modify\": {"
             "   \"external_ids\": [\"map\", [[\"a\", \"1\"],"
             "                               [\"b\", \"2\"]]],"
             "   \"ports\": [\"uuid\", \"" P1 "\"]}}}}");
    assert_int_equal(f->n_events, 3);
    const struct event *e = event_for(f, P1);
    assert_int_equal(e->change, REPLICA_MODIFY);
    assert_datum(json_object_get(e->old, "name"), "\"p1\"");
    assert_datum(json_object_get(e->new, "name"), "\"p1x\"");
    assert_datum(json_object_get(e->old, "tag"), "10");
    assert_datum(json_object_get(e->new, "tag"), "20");
    assert_datum(json_object_get(e->old, "trunks"), "[\"set\", []]");
    assert_datum(json_object_get(e->new, "trunks"), "[\"set\", [5, 6]]");
    e = event_for(f, P2);
    assert_datum(json_object_get(e->old, "trunks"), "[\"set\", [1, 2]]");
    assert_datum(json_object_get(e->new, "trunks"), "2");
    assert_datum(get(f, "Port", P2, "trunks"), "2");
    e = event_for(f, B1);
    assert_datum(json_object_get(e->new, "external_ids"),
                 "[\"map\", [[\"b\", \"2\"]]]");
    assert_datum(json_object_get(e->new, "ports"), "[\"uuid\", \"" P2 "\"]");
    assert_datum(json_object_get(e->old, "ports"),
                 "[\"set\", [[\"uuid\", \"" P2 "\"],"
                 " [\"uuid\", \"" P1 "\"]]]");
    assert_datum(get(f, "Bridge", B1, "name"), "\"br0\"");
    events_clear(f);

    /* Clearing an optional scalar. */
    apply(f, "{\"Port\": {\"" P1 "\": {\"modify\": "
             "{\"tag\": [\"set\", []]}}}}");
    assert_datum(get(f, "Port", P1, "tag"), "[\"set\", []]");
    assert_datum(json_object_get(f->events[0].old, "tag"), "20");
    events_clear(f);

    /* A modify that changes nothing is not reported. */
    apply(f, "{\"Port\": {\"" P1 "\": {\"modify\": {\"name\": \"p1x\"}}}}");
    assert_int_equal(f->n_events, 0);

    /* Delete: the callback gets the old row; the row is gone. */
    apply(f, "{\"Port\": {\"" P3 "\": {\"delete\": null}}}");
    assert_int_equal(f->n_events, 1);
    e = &f->events[0];
    assert_int_equal(e->change, REPLICA_DELETE);
    assert_string_equal(e->uuid, P3);
    assert_null(e->new);
    assert_datum(json_object_get(e->old, "name"), "\"p3\"");
    assert_null(replica_get(f->replica, "Port", P3));
    assert_int_equal(replica_count(f->replica, "Port"), 3);
    events_clear(f);

    /* A deleted row may come back. */
    apply(f, "{\"Port\": {\"" P3 "\": {\"insert\": {\"name\": \"p3b\"}}}}");
    assert_datum(get(f, "Port", P3, "name"), "\"p3b\"");
}

static void
test_callbacks_after_batch(void **state)
{
    struct fixture *f = *state;

    /* Each callback looks up the other row of the batch (a Bridge's
     * callback the Port, a Port's the Bridge): it must find it, whichever
     * of the two the replica reports first. */
    f->cross = true;
    apply(f, "{\"Bridge\": {\"" B1 "\": {\"insert\": {\"name\": \"br0\","
             "   \"ports\": [\"uuid\", \"" P1 "\"]}}},"
             " \"Port\": {\"" P1 "\": {\"insert\": {\"name\": \"p1\","
             "   \"bridge\": [\"uuid\", \"" B1 "\"]}}}}");
    assert_int_equal(f->n_events, 2);
    assert_true(event_for(f, B1)->found_other);
    assert_true(event_for(f, P1)->found_other);
    events_clear(f);

    /* The same, in the other order in the update. */
    apply(f, "{\"Port\": {\"" P1 "\": {\"modify\": {\"name\": \"p1x\"}}},"
             " \"Bridge\": {\"" B1 "\": {\"modify\": {\"name\": \"b\"}}}}");
    assert_int_equal(f->n_events, 2);
    assert_true(event_for(f, B1)->found_other);
    assert_true(event_for(f, P1)->found_other);
    events_clear(f);

    /* Deleting both at once: neither callback finds the other row. */
    apply(f, "{\"Bridge\": {\"" B1 "\": {\"delete\": null}},"
             " \"Port\": {\"" P1 "\": {\"delete\": null}}}");
    assert_int_equal(f->n_events, 2);
    assert_false(event_for(f, B1)->found_other);
    assert_false(event_for(f, P1)->found_other);
}

static void
test_callbacks_see_whole_batch(void **state)
{
    struct fixture *f = *state;
    apply(f, initial);
    events_clear(f);

    /* Deleting a bridge and inserting a port in one batch: while the
     * bridge's delete is reported, the new port is already there. */
    f->other_table = "Port";
    f->other_uuid = NOPE;
    apply(f, "{\"Bridge\": {\"" B2 "\": {\"delete\": null}},"
             " \"Port\": {\"" NOPE "\": {\"insert\": {\"name\": \"n\"}}}}");
    assert_int_equal(f->n_events, 2);
    assert_true(event_for(f, B2)->found_other);
    assert_true(event_for(f, NOPE)->found_other);
    events_clear(f);

    /* And while the port's insert is reported, the bridge is gone. */
    f->other_table = "Bridge";
    f->other_uuid = B1;
    apply(f, "{\"Port\": {\"" P3 "\": {\"delete\": null}},"
             " \"Bridge\": {\"" B1 "\": {\"delete\": null}}}");
    assert_int_equal(f->n_events, 2);
    assert_false(event_for(f, P3)->found_other);
    assert_false(event_for(f, B1)->found_other);
}

static void
test_bad_batch(void **state)
{
    struct fixture *f = *state;
    apply(f, initial);
    events_clear(f);
    json_t *before_p1 =
        json_deep_copy(replica_get(f->replica, "Port", P1)->columns);

    /* A good insert and modify, then a modify of an unknown row: nothing
     * happens. */
    apply_error(f,
                "{\"Port\": {\"" P1 "\": {\"modify\": {\"tag\": 99}},"
                " \"" NOPE "\": {\"insert\": {\"name\": \"x\"}},"
                " \"" B1 "\": {\"modify\": {\"tag\": 1}}}}",
                "Update modifies row " B1 " of table \"Port\", which does "
                "not hold it.");
    assert_int_equal(f->n_events, 0);
    assert_int_equal(replica_count(f->replica, "Port"), 3);
    assert_null(replica_get(f->replica, "Port", NOPE));
    assert_true(
        json_equal(replica_get(f->replica, "Port", P1)->columns, before_p1));
    json_decref(before_p1);

    apply_error(f, "{\"Port\": {\"" NOPE "\": {\"delete\": null}}}",
                "Update deletes row " NOPE " of table \"Port\", which "
                "does not hold it.");
    apply_error(f, "{\"Port\": {\"" P1 "\": {\"insert\": {}}}}",
                "Update inserts row " P1 " into table \"Port\", which "
                "already holds it.");
    apply_error(f, "{\"Port\": {\"" P1 "\": {\"initial\": {}}}}",
                "Update inserts row " P1 " into table \"Port\", which "
                "already holds it.");
    apply_error(f, "{\"Interface\": {}}",
                "Update names table \"Interface\", which the schema does "
                "not have.");
    apply_error(f, "{\"Port\": {\"" NOPE "\": {\"insert\": {\"mtu\": 1}}}}",
                "Update for row " NOPE " of table \"Port\" names column "
                "\"mtu\", which the table does not have.");
    apply_error(f, "{\"Port\": {\"" P1 "\": {\"modify\": {\"mtu\": 1}}}}",
                "Update for row " P1 " of table \"Port\" names column "
                "\"mtu\", which the table does not have.");
    apply_error(f, "{\"Port\": {\"x\": {\"delete\": null}}}",
                "Update for table \"Port\" names row \"x\", which is not a "
                "UUID.");
    apply_error(f,
                "{\"Port\": {\"" P1 "\": {\"delete\": null, "
                "\"insert\": {}}}}",
                "Update for row " P1 " of table \"Port\" is not an object "
                "with one member \"initial\", \"insert\", \"modify\" or "
                "\"delete\".");
    apply_error(f, "{\"Port\": {\"" P1 "\": {\"remove\": null}}}",
                "Update for row " P1 " of table \"Port\" is not an object "
                "with one member \"initial\", \"insert\", \"modify\" or "
                "\"delete\".");
    apply_error(f, "{\"Port\": []}",
                "Update for table \"Port\" is not a JSON object.");
    apply_error(f, "[]", "Update is not a JSON object.");

    /* A bad value: the message names row, table and column, the details
     * say what is wrong. */
    json_t *json = parse("{\"Port\": {\"" P1 "\": {\"modify\": "
                         "{\"tag\": \"ten\"}}}}");
    struct ovsdb_error *error = NULL;
    assert_int_equal(replica_apply_update2(f->replica, json, &error), -EPROTO);
    assert_string_equal(error->msg, "Update for row " P1 " of table "
                                    "\"Port\" has a bad value for column "
                                    "\"tag\".");
    assert_non_null(error->details);
    assert_non_null(strstr(error->details, "not of type integer"));
    ovsdb_error_free(error);
    json_decref(json);

    apply_error(f,
                "{\"Port\": {\"" NOPE "\": {\"insert\": "
                "{\"trunks\": [\"set\", [1, 1]]}}}}",
                "Update for row " NOPE " of table \"Port\" has a bad value "
                "for column \"trunks\".");

    /* Without an error out-parameter. */
    json = parse("[]");
    assert_int_equal(replica_apply_update2(f->replica, json, NULL), -EPROTO);
    json_decref(json);

    assert_int_equal(f->n_events, 0);
    assert_int_equal(replica_count(f->replica, "Port"), 3);
    assert_int_equal(replica_count(f->replica, "Bridge"), 2);
    assert_datum(get(f, "Port", P1, "tag"), "10");
}

static void
test_resync(void **state)
{
    struct fixture *f = *state;
    apply(f, initial);
    events_clear(f);

    /* The server comes back: P1 is the same, P2 changed, P3 and B2 are
     * gone, P4 is new. */
    replica_resync_begin(f->replica);
    apply(f, "{\"Bridge\": {"
             "  \"" B1 "\": {\"initial\": {\"name\": \"br0\","
             "     \"ports\": [\"set\", [[\"uuid\", \"" P1 "\"],"
             "                           [\"uuid\", \"" P2 "\"]]],"
             "     \"external_ids\": [\"map\", [[\"a\", \"1\"]]]}}},"
             " \"Port\": {"
             "  \"" P1 "\": {\"initial\": {\"name\": \"p1\", \"tag\": 10}},"
             "  \"" P2 "\": {\"initial\": {\"name\": \"p2\","
             "     \"trunks\": [\"set\", [2, 3]]}},"
             "  \"" NOPE "\": {\"initial\": {\"name\": \"p4\"}}}}");
    assert_int_equal(f->n_events, 2);
    const struct event *e = event_for(f, P2);
    assert_int_equal(e->change, REPLICA_MODIFY);
    assert_datum(json_object_get(e->old, "trunks"), "[\"set\", [1, 2]]");
    assert_datum(json_object_get(e->new, "trunks"), "[\"set\", [2, 3]]");
    assert_int_equal(event_for(f, NOPE)->change, REPLICA_INSERT);
    events_clear(f);

    /* Rows not seen stay until the end of the resync. */
    assert_int_equal(replica_count(f->replica, "Port"), 4);
    replica_resync_end(f->replica);
    assert_int_equal(f->n_events, 2);
    e = event_for(f, P3);
    assert_int_equal(e->change, REPLICA_DELETE);
    assert_string_equal(e->table, "Port");
    assert_datum(json_object_get(e->old, "name"), "\"p3\"");
    e = event_for(f, B2);
    assert_int_equal(e->change, REPLICA_DELETE);
    assert_string_equal(e->table, "Bridge");
    assert_int_equal(replica_count(f->replica, "Port"), 3);
    assert_int_equal(replica_count(f->replica, "Bridge"), 1);
    assert_null(replica_get(f->replica, "Port", P3));
    assert_non_null(replica_get(f->replica, "Port", P1));
    events_clear(f);

    /* Out of resync, "initial" of a row held is an error again. */
    apply_error(f, "{\"Port\": {\"" P1 "\": {\"initial\": {}}}}",
                "Update inserts row " P1 " into table \"Port\", which "
                "already holds it.");

    /* A resync with nothing coming back empties the replica. */
    replica_resync_begin(f->replica);
    replica_resync_end(f->replica);
    assert_int_equal(f->n_events, 4);
    assert_int_equal(replica_count(f->replica, "Port"), 0);
    assert_int_equal(replica_count(f->replica, "Bridge"), 0);
}

static void
test_clear_and_iterate(void **state)
{
    struct fixture *f = *state;
    apply(f, initial);
    events_clear(f);

    size_t iter = 0;
    const struct replica_row *row;
    size_t n = 0;
    bool seen[3] = {false, false, false};
    while ((row = replica_next(f->replica, "Port", &iter))) {
        assert_string_equal(row->table, "Port");
        int i = row->uuid[strlen(row->uuid) - 1] - '1';
        assert_true(i >= 0 && i < 3);
        assert_false(seen[i]);
        seen[i] = true;
        n++;
    }
    assert_int_equal(n, 3);
    assert_null(replica_next(f->replica, "Port", &iter));
    iter = 0;
    assert_null(replica_next(f->replica, "Nope", &iter));

    replica_clear(f->replica, "Port");
    assert_int_equal(f->n_events, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(f->events[i].change, REPLICA_DELETE);
        assert_string_equal(f->events[i].table, "Port");
    }
    assert_int_equal(replica_count(f->replica, "Port"), 0);
    assert_int_equal(replica_count(f->replica, "Bridge"), 2);
    iter = 0;
    assert_null(replica_next(f->replica, "Port", &iter));
    events_clear(f);

    replica_clear(f->replica, NULL);
    assert_int_equal(f->n_events, 2);
    assert_int_equal(replica_count(f->replica, "Bridge"), 0);
    events_clear(f);

    /* The cleared replica takes the same rows again. */
    apply(f, initial);
    assert_int_equal(f->n_events, 5);
}

/* Writes the UUID of Interface row 'i'. */
static void
iface_uuid(char out[37], unsigned int i)
{
    snprintf(out, 37, "%08x-%04x-4000-8000-%012x", i * 2654435761u, i & 0xffff,
             i);
}

static void
test_many_rows(void **state)
{
    (void)state;
    enum { N = 100000 };
    struct ovsdb_schema *schema = NULL;
    struct ovsdb_error *error = NULL;
    if (ovsdb_schema_from_file(VSWITCH_SCHEMA, &schema, &error)) {
        fail_msg("%s", error->msg);
    }
    struct replica *r = replica_create(schema);

    json_t *rows = json_object();
    for (unsigned int i = 0; i < N; i++) {
        char uuid[37];
        char name[32];
        iface_uuid(uuid, i);
        snprintf(name, sizeof name, "if%u", i);
        json_t *row =
            json_pack("{s:s, s:i, s:s, s:[s,[[s,s]]]}", "name", name, "ofport",
                      (json_int_t)i + 1, "type", "internal", "external_ids",
                      "map", "iface-id", name);
        json_object_set_new(rows, uuid, json_pack("{s:o}", "initial", row));
    }
    json_t *update = json_pack("{s:o}", "Interface", rows);
    assert_int_equal(replica_apply_update2(r, update, NULL), 0);
    json_decref(update);
    assert_int_equal(replica_count(r, "Interface"), N);

    for (unsigned int i = 0; i < N; i++) {
        char uuid[37];
        char name[32];
        iface_uuid(uuid, i);
        snprintf(name, sizeof name, "if%u", i);
        const struct replica_row *row = replica_get(r, "Interface", uuid);
        assert_non_null(row);
        assert_string_equal(json_string_value(replica_row_get(row, "name")),
                            name);
        assert_int_equal(json_integer_value(replica_row_get(row, "ofport")),
                         i + 1);
        assert_string_equal(
            json_string_value(ovsdb_map_get(
                replica_row_get(row, "external_ids"), "iface-id")),
            name);
    }
    size_t iter = 0;
    size_t n = 0;
    while (replica_next(r, "Interface", &iter)) {
        n++;
    }
    assert_int_equal(n, N);

    /* Delete the even rows in one batch. */
    rows = json_object();
    for (unsigned int i = 0; i < N; i += 2) {
        char uuid[37];
        iface_uuid(uuid, i);
        json_object_set_new(rows, uuid, json_pack("{s:n}", "delete"));
    }
    update = json_pack("{s:o}", "Interface", rows);
    assert_int_equal(replica_apply_update2(r, update, NULL), 0);
    json_decref(update);
    assert_int_equal(replica_count(r, "Interface"), N / 2);
    for (unsigned int i = 0; i < N; i++) {
        char uuid[37];
        iface_uuid(uuid, i);
        const struct replica_row *row = replica_get(r, "Interface", uuid);
        if (i % 2) {
            assert_non_null(row);
            assert_int_equal(
                json_integer_value(replica_row_get(row, "ofport")), i + 1);
        } else {
            assert_null(row);
        }
    }

    replica_destroy(r);
    ovsdb_schema_destroy(schema);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_initial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_modify_delete, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_callbacks_after_batch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_callbacks_see_whole_batch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clear_and_iterate, setup,
                                        teardown),
        cmocka_unit_test(test_many_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
