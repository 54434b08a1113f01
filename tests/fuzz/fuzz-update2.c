/* fuzz-update2: libFuzzer harness for replica (update2 batches).
 *
 * A replica over a fixed schema (the tables of tests/data/test.ovsschema
 * plus a table "Misc" with a column of every other shape) is fed a script:
 *
 *   { ... } or [ ... ]   one JSON value, applied as an update2 batch
 *   B                    replica_resync_begin() (when not in a resync)
 *   E                    replica_resync_end() (when in a resync)
 *   X                    replica_clear() of every table
 *   x                    replica_clear() of table "Child"
 *
 * Other bytes are skipped.  Before every operation the harness takes a
 * snapshot of the replica as JSON; afterwards it checks the promises of
 * replica.h against it:
 * - a batch that fails returns -EPROTO with a message, reports nothing,
 *   and leaves the replica exactly as it was;
 * - every change is reported once, after the whole batch is in place: an
 *   insert (old NULL) of a row the snapshot lacked and replica_get() finds,
 *   a modify (both rows) whose old row is the snapshot's and whose new row
 *   is what replica_get() finds, a delete (new NULL) of a row of the
 *   snapshot that replica_get() no longer finds;
 * - a row is reported if and only if it was inserted, deleted or changed;
 * - replica_count() is the number of rows replica_next() visits, each row
 *   once, each found by replica_get(); every row holds a valid datum for
 *   each column of its table (defaults filled in);
 * - replica_resync_end() deletes exactly the rows that did not arrive
 *   ("initial", "insert" or "modify") since replica_resync_begin().
 * Any broken promise aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datum.h"
#include "ovsdb-error.h"
#include "replica.h"
#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* At most this many operations (and JSON parse attempts) per input. */
#define MAX_STEPS 64

static const char schema_text[] =
    "{\"name\": \"Test\", \"version\": \"1.0.0\", \"tables\": {"
    " \"Parent\": {\"columns\": {"
    "  \"name\": {\"type\": \"string\"},"
    "  \"count\": {\"type\": \"integer\"},"
    "  \"child\": {\"type\": {\"key\": {\"type\": \"uuid\","
    "                                 \"refTable\": \"Child\"},"
    "                       \"min\": 0, \"max\": 1}},"
    "  \"tags\": {\"type\": {\"key\": \"string\","
    "                      \"min\": 0, \"max\": \"unlimited\"}},"
    "  \"options\": {\"type\": {\"key\": \"string\", \"value\": \"string\","
    "                         \"min\": 0, \"max\": \"unlimited\"}}},"
    "  \"indexes\": [[\"name\"]], \"isRoot\": true},"
    " \"Child\": {\"columns\": {"
    "  \"name\": {\"type\": \"string\"},"
    "  \"size\": {\"type\": \"integer\"}},"
    "  \"isRoot\": false},"
    " \"Misc\": {\"columns\": {"
    "  \"flag\": {\"type\": \"boolean\"},"
    "  \"ratio\": {\"type\": \"real\"},"
    "  \"maybe\": {\"type\": {\"key\": \"boolean\", \"min\": 0, \"max\": 1}},"
    "  \"refs\": {\"type\": {\"key\": {\"type\": \"uuid\","
    "                                \"refTable\": \"Child\","
    "                                \"refType\": \"weak\"},"
    "                      \"min\": 0, \"max\": \"unlimited\"}},"
    "  \"weights\": {\"type\": {\"key\": \"integer\", \"value\": \"real\","
    "                         \"min\": 0, \"max\": \"unlimited\"}},"
    "  \"few\": {\"type\": {\"key\": \"integer\", \"min\": 1, \"max\": 3}},"
    "  \"pair\": {\"type\": {\"key\": \"string\", \"value\": \"uuid\","
    "                      \"min\": 0, \"max\": 1}},"
    "  \"one\": {\"type\": {\"key\": \"string\", \"value\": \"boolean\","
    "                     \"min\": 1, \"max\": 2}},"
    "  \"state\": {\"type\": \"string\", \"ephemeral\": true}},"
    "  \"isRoot\": true}}}";

struct harness {
    const struct ovsdb_schema *schema;
    struct replica *replica;
    json_t *before;   /* Snapshot: {table: {uuid: columns}}. */
    json_t *reports;  /* This operation's: {table: {uuid: kind}}. */
    size_t n_reports; /* Counted by a second callback. */
    json_t *seen;     /* Since resync began: {table: {uuid: true}}. */
    bool resyncing;
};

static void
check(int condition)
{
    if (!condition) {
        abort();
    }
}

/* Returns the member 'key' of object 'obj' (borrowed), creating it as an
 * empty object if needed. */
static json_t *
sub_object(json_t *obj, const char *key)
{
    json_t *sub = json_object_get(obj, key);
    if (!sub) {
        sub = json_object();
        check(sub && !json_object_set_new(obj, key, sub));
    }
    return sub;
}

/* Checks 'row', found in 'table' by replica_next(). */
static void
check_row(const struct harness *h, const struct ovsdb_table *table,
          const struct replica_row *row)
{
    check(row->table && !strcmp(row->table, table->name));
    check(row->uuid && strlen(row->uuid) == 36);
    check(replica_get(h->replica, table->name, row->uuid) == row);
    check(json_is_object(row->columns));

    for (size_t i = 0; i < table->n_columns; i++) {
        const struct ovsdb_column *column = &table->columns[i];
        const json_t *value = replica_row_get(row, column->name);
        const json_t *held = json_object_get(row->columns, column->name);
        if (column->name[0] == '_') {
            /* _uuid and _version: as sent, never a default. */
            check(value == held);
            continue;
        }
        check(value != NULL);
        check(ovsdb_datum_check(column, value, NULL) == 0);
        /* Rows are sparse: what a row holds is never the default, and
         * what it does not hold reads as the default. */
        json_t *def = ovsdb_datum_default(column);
        if (held) {
            check(value == held);
            check(!ovsdb_datum_equal(held, def));
        } else {
            check(ovsdb_datum_equal(value, def));
        }
        json_decref(def);
    }
    for (void *it = json_object_iter(row->columns); it;
         it = json_object_iter_next(row->columns, it)) {
        check(ovsdb_table_column(table, json_object_iter_key(it)) != NULL);
    }
}

/* Returns a new snapshot of the replica, checking every row and the count
 * of every table on the way. */
static json_t *
snapshot(const struct harness *h)
{
    json_t *snap = json_object();
    check(snap != NULL);
    for (size_t i = 0; i < h->schema->n_tables; i++) {
        const struct ovsdb_table *table = &h->schema->tables[i];
        json_t *rows = sub_object(snap, table->name);
        size_t iter = 0, n = 0;
        const struct replica_row *row;
        while ((row = replica_next(h->replica, table->name, &iter))) {
            check_row(h, table, row);
            check(!json_object_get(rows, row->uuid));
            json_t *copy = json_deep_copy(row->columns);
            check(copy && !json_object_set_new(rows, row->uuid, copy));
            n++;
        }
        check(replica_next(h->replica, table->name, &iter) == NULL);
        check(replica_count(h->replica, table->name) == n);
        check(!replica_get(h->replica, table->name, "not-a-uuid"));
    }

    /* A table the schema lacks is empty. */
    size_t iter = 0;
    check(replica_count(h->replica, "NoSuchTable") == 0);
    check(!replica_next(h->replica, "NoSuchTable", &iter));
    check(!replica_get(h->replica, "NoSuchTable",
                       "11111111-1111-1111-1111-111111111111"));
    return snap;
}

static void
on_change(void *aux, enum replica_change change,
          const struct replica_row *old_row, const struct replica_row *new_row)
{
    struct harness *h = aux;
    const struct replica_row *row = new_row ? new_row : old_row;
    check(row != NULL && row->table && row->uuid);

    const json_t *before =
        json_object_get(json_object_get(h->before, row->table), row->uuid);
    const struct replica_row *now =
        replica_get(h->replica, row->table, row->uuid);
    switch (change) {
    case REPLICA_INSERT:
        check(!old_row && new_row && now == new_row);
        check(!before);
        break;
    case REPLICA_MODIFY:
        check(old_row && new_row && now == new_row);
        check(!strcmp(old_row->table, new_row->table));
        check(!strcmp(old_row->uuid, new_row->uuid));
        check(before && json_equal((json_t *)before, old_row->columns));
        check(!json_equal(old_row->columns, new_row->columns));
        break;
    case REPLICA_DELETE:
        check(old_row && !new_row && !now);
        check(before && json_equal((json_t *)before, old_row->columns));
        break;
    default:
        abort();
    }

    json_t *reports = sub_object(h->reports, row->table);
    check(!json_object_get(reports, row->uuid));
    check(!json_object_set_new(reports, row->uuid, json_integer(change)));
}

static void
count_change(void *aux, enum replica_change change,
             const struct replica_row *old_row,
             const struct replica_row *new_row)
{
    struct harness *h = aux;
    h->n_reports++;
}

/* Returns the kind of change reported for 'uuid' of 'table', or -1. */
static int
reported(const struct harness *h, const char *table, const char *uuid)
{
    const json_t *kind =
        json_object_get(json_object_get(h->reports, table), uuid);
    return kind ? (int)json_integer_value(kind) : -1;
}

/* Checks that the reports of the last operation are exactly the difference
 * between snapshots 'h->before' and 'after'. */
static void
check_reports(const struct harness *h, const json_t *after)
{
    size_t n_changes = 0;
    for (size_t i = 0; i < h->schema->n_tables; i++) {
        const char *table = h->schema->tables[i].name;
        json_t *old_rows = json_object_get(h->before, table);
        json_t *new_rows = json_object_get(after, table);

        for (void *it = json_object_iter(old_rows); it;
             it = json_object_iter_next(old_rows, it)) {
            const char *uuid = json_object_iter_key(it);
            json_t *old_row = json_object_iter_value(it);
            json_t *new_row = json_object_get(new_rows, uuid);
            int kind = reported(h, table, uuid);
            if (!new_row) {
                check(kind == REPLICA_DELETE);
                n_changes++;
            } else if (!json_equal(old_row, new_row)) {
                check(kind == REPLICA_MODIFY);
                n_changes++;
            } else {
                check(kind == -1);
            }
        }
        for (void *it = json_object_iter(new_rows); it;
             it = json_object_iter_next(new_rows, it)) {
            const char *uuid = json_object_iter_key(it);
            if (!json_object_get(old_rows, uuid)) {
                check(reported(h, table, uuid) == REPLICA_INSERT);
                n_changes++;
            }
        }
    }

    size_t n_reports = 0;
    for (void *it = json_object_iter(h->reports); it;
         it = json_object_iter_next(h->reports, it)) {
        n_reports += json_object_size(json_object_iter_value(it));
    }
    check(n_reports == n_changes);
    check(h->n_reports == n_changes);
}

/* Starts an operation: takes the snapshot and forgets old reports. */
static void
op_begin(struct harness *h)
{
    json_decref(h->before);
    h->before = snapshot(h);
    json_object_clear(h->reports);
    h->n_reports = 0;
}

/* Ends an operation: checks the reports against the new state.  Returns
 * the new snapshot. */
static json_t *
op_end(struct harness *h)
{
    json_t *after = snapshot(h);
    check_reports(h, after);
    return after;
}

/* Copies 'uuid' into 'out' in lowercase, as the replica keys rows. */
static void
lowercase_uuid(const char *uuid, char out[37])
{
    size_t i;
    for (i = 0; i < 36 && uuid[i]; i++) {
        char c = uuid[i];
        out[i] = c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
    }
    out[i] = '\0';
}

/* Records the rows of the applied 'batch' (borrowed) that count as
 * arrived again during a resync. */
static void
note_seen(struct harness *h, const json_t *batch)
{
    json_t *tables = (json_t *)batch;
    for (void *it = json_object_iter(tables); it;
         it = json_object_iter_next(tables, it)) {
        const char *table = json_object_iter_key(it);
        json_t *rows = json_object_iter_value(it);
        for (void *rit = json_object_iter(rows); rit;
             rit = json_object_iter_next(rows, rit)) {
            const char *uuid = json_object_iter_key(rit);
            json_t *ru = json_object_iter_value(rit);
            if (json_object_get(ru, "initial") ||
                json_object_get(ru, "insert") ||
                json_object_get(ru, "modify")) {
                char key[37];
                lowercase_uuid(uuid, key);
                check(!json_object_set_new(sub_object(h->seen, table), key,
                                           json_true()));
            }
        }
    }
}

static void
apply_batch(struct harness *h, const json_t *batch)
{
    op_begin(h);
    struct ovsdb_error *error = NULL;
    int retval = replica_apply_update2(h->replica, batch, &error);
    json_t *after = op_end(h);
    if (retval) {
        check(retval == -EPROTO);
        check(error && error->code == -EPROTO);
        check(error->msg && error->msg[0]);
        check(json_equal(h->before, after));
        check(h->n_reports == 0);
        ovsdb_error_free(error);
    } else {
        check(error == NULL);
        if (h->resyncing) {
            note_seen(h, batch);
        }
    }
    json_decref(after);
}

static void
resync_end(struct harness *h)
{
    op_begin(h);
    replica_resync_end(h->replica);
    json_t *after = op_end(h);

    /* Exactly the rows that did not arrive again are gone. */
    for (void *it = json_object_iter(h->before); it;
         it = json_object_iter_next(h->before, it)) {
        const char *table = json_object_iter_key(it);
        json_t *rows = json_object_iter_value(it);
        const json_t *seen = json_object_get(h->seen, table);
        for (void *rit = json_object_iter(rows); rit;
             rit = json_object_iter_next(rows, rit)) {
            const char *uuid = json_object_iter_key(rit);
            check(!json_object_get(seen, uuid) ==
                  !json_object_get(json_object_get(after, table), uuid));
        }
    }
    json_decref(after);
    json_object_clear(h->seen);
    h->resyncing = false;
}

static void
clear(struct harness *h, const char *only)
{
    op_begin(h);
    replica_clear(h->replica, only);
    json_t *after = op_end(h);
    for (size_t i = 0; i < h->schema->n_tables; i++) {
        const char *table = h->schema->tables[i].name;
        if (!only || !strcmp(only, table)) {
            check(replica_count(h->replica, table) == 0);
        }
    }
    json_decref(after);
}

static const struct ovsdb_schema *
get_schema(void)
{
    static struct ovsdb_schema *schema;
    if (!schema) {
        json_t *json = json_loads(schema_text, 0, NULL);
        check(json != NULL);
        check(ovsdb_schema_from_json(json, &schema, NULL) == 0);
        json_decref(json);
    }
    return schema;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct harness h = {
        .schema = get_schema(),
        .reports = json_object(),
        .seen = json_object(),
    };
    check(h.reports && h.seen);
    h.replica = replica_create(h.schema);
    check(h.replica != NULL);
    for (size_t i = 0; i < h.schema->n_tables; i++) {
        replica_on_change(h.replica, h.schema->tables[i].name, on_change, &h);
        replica_on_change(h.replica, h.schema->tables[i].name, count_change,
                          &h);
    }
    replica_on_change(h.replica, "NoSuchTable", on_change, &h);

    size_t pos = 0;
    for (int steps = 0; pos < size && steps < MAX_STEPS;) {
        uint8_t c = data[pos];
        if (c == '{' || c == '[') {
            json_error_t jerror;
            json_t *batch = json_loadb((const char *)data + pos, size - pos,
                                       JSON_DISABLE_EOF_CHECK, &jerror);
            steps++;
            if (!batch) {
                pos++;
                continue;
            }
            check(jerror.position > 0 &&
                  (size_t)jerror.position <= size - pos);
            pos += jerror.position;
            apply_batch(&h, batch);
            json_decref(batch);
            continue;
        }
        pos++;
        if (c == 'B' && !h.resyncing) {
            replica_resync_begin(h.replica);
            h.resyncing = true;
            steps++;
        } else if (c == 'E' && h.resyncing) {
            resync_end(&h);
            steps++;
        } else if (c == 'X' || c == 'x') {
            clear(&h, c == 'X' ? NULL : "Child");
            steps++;
        }
    }
    if (h.resyncing) {
        resync_end(&h);
    }

    replica_destroy(h.replica);
    json_decref(h.before);
    json_decref(h.reports);
    json_decref(h.seen);
    return 0;
}
