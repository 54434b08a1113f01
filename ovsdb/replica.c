/* replica: see replica.h for the rules.
 *
 * Notes on this implementation:
 * - Each table keeps its rows in an open-addressing hash table (linear
 *   probing, backward-shift deletion, no tombstones) of pointers to rows,
 *   keyed by the row's UUID in lowercase text.  A row is one allocation:
 *   the public struct replica_row, the UUID text, its hash and a "seen"
 *   flag for resync.  Its columns are one JSON object that shares its
 *   datums with the update they came from (reference counts, no copies).
 * - Default values are made once per column, when the replica is created,
 *   and shared by every row that holds them, so that a row costs little
 *   more than the JSON object that lists its columns.  (Measured: an
 *   Interface row of the Open_vSwitch schema with a handful of columns
 *   set takes about 5.5 kB, about 4 kB of which is the jansson object of
 *   its 36 columns.)
 * - The replica does not know which columns a monitor covers, so when a
 *   row arrives by "initial" or "insert" it gets every column of its
 *   table's schema: the ones the server sent, and the default value for
 *   each other one except "_uuid" and "_version" (OVS omits columns that
 *   hold their default).  "_version" is kept only when the server sends
 *   it; "_uuid" never arrives (the row's key is its UUID).
 * - replica_apply_update2() works in three steps: (1) check every row
 *   update and compute every new row, touching nothing; (2) put all of
 *   them in place; (3) run the callbacks, then free what was replaced.  An
 *   error in step 1 leaves the replica as it was.
 * - A "modify" whose diffs change nothing, and an "initial" during resync
 *   that brings back an identical row, change nothing and are not
 *   reported.  During a resync, a row that arrives by "modify" counts as
 *   seen too.
 * - "delete" may carry null (as ovsdb-server sends it) or anything else,
 *   which is ignored.
 * - An error about a bad datum names the row, table and column in its
 *   message and keeps the datum module's explanation in its "details".
 * - Callbacks must not change the replica (apply, clear, resync); they may
 *   read it and register more callbacks.
 */
#include "replica.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datum.h"
#include "ovsdb-error.h"
#include "schema.h"

#define UUID_LEN 36

struct rrow {
    struct replica_row pub; /* pub.uuid points to 'uuid'. */
    uint32_t hash;          /* uuid_hash(uuid). */
    bool seen;              /* Arrived again during the current resync. */
    char uuid[UUID_LEN + 1];
};

struct rcb {
    replica_change_cb *cb;
    void *aux;
};

struct rtable {
    const struct ovsdb_table *schema;
    struct rrow **slots; /* NULL or a row; 'n_slots' entries. */
    size_t n_slots;      /* 0 or a power of 2. */
    size_t n_rows;
    json_t **defaults; /* One default datum per schema column. */
    struct rcb *cbs;
    size_t n_cbs;
};

struct replica {
    const struct ovsdb_schema *schema;
    struct rtable *tables; /* Parallel to schema->tables. */
    bool resyncing;
};

/* One row change of a batch. */
struct change {
    struct rtable *table;
    struct rrow *row;    /* NULL for an insert until step 2. */
    json_t *old_columns; /* Modify: the columns replaced (owned). */
    json_t *new_columns; /* Insert, modify: the new columns (owned). */
    enum replica_change kind;
    bool noop; /* Changes nothing: not applied nor reported. */
    char uuid[UUID_LEN + 1];
};

struct changes {
    struct change *v;
    size_t n, allocated;
};

static void *
xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

static void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        abort();
    }
    return p;
}

static void *
xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

/* UUIDs and hashing. */

/* Copies 'uuid' in lowercase to 'out' and returns true if it is a UUID in
 * 36-character text form, else returns false. */
static bool
uuid_normalize(const char *uuid, char out[UUID_LEN + 1])
{
    for (int i = 0; i < UUID_LEN; i++) {
        char c = uuid[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return false;
            }
        } else if (c >= 'A' && c <= 'F') {
            c += 'a' - 'A';
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
        out[i] = c;
    }
    out[UUID_LEN] = '\0';
    return uuid[UUID_LEN] == '\0';
}

/* FNV-1a, then a final mix so that the low bits depend on every byte. */
static uint32_t
uuid_hash(const char *uuid)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < UUID_LEN; i++) {
        h = (h ^ (unsigned char)uuid[i]) * 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (uint32_t)h;
}

/* Row hash tables. */

/* Returns the slot of 'uuid' (normalized) with 'hash' in 't': the slot
 * holding it, or the empty slot where it would go.  't' must have
 * slots. */
static size_t
rtable_slot(const struct rtable *t, const char *uuid, uint32_t hash)
{
    size_t mask = t->n_slots - 1;
    size_t i = hash & mask;
    while (t->slots[i] &&
           (t->slots[i]->hash != hash || strcmp(t->slots[i]->uuid, uuid))) {
        i = (i + 1) & mask;
    }
    return i;
}

static struct rrow *
rtable_find(const struct rtable *t, const char *uuid)
{
    if (!t->n_slots) {
        return NULL;
    }
    return t->slots[rtable_slot(t, uuid, uuid_hash(uuid))];
}

static void
rtable_resize(struct rtable *t, size_t n_slots)
{
    struct rrow **old = t->slots;
    size_t n_old = t->n_slots;

    t->slots = xcalloc(n_slots, sizeof *t->slots);
    t->n_slots = n_slots;
    for (size_t i = 0; i < n_old; i++) {
        if (old[i]) {
            t->slots[rtable_slot(t, old[i]->uuid, old[i]->hash)] = old[i];
        }
    }
    free(old);
}

/* Inserts 'row', which 't' must not hold yet. */
static void
rtable_insert(struct rtable *t, struct rrow *row)
{
    /* Keep the load factor at most 3/4. */
    if ((t->n_rows + 1) * 4 > t->n_slots * 3) {
        rtable_resize(t, t->n_slots ? t->n_slots * 2 : 16);
    }
    t->slots[rtable_slot(t, row->uuid, row->hash)] = row;
    t->n_rows++;
}

/* Removes 'row', which 't' must hold. */
static void
rtable_remove(struct rtable *t, struct rrow *row)
{
    size_t mask = t->n_slots - 1;
    size_t i = rtable_slot(t, row->uuid, row->hash);

    /* Backward-shift deletion: move back every following row of the
     * cluster whose home slot is not in the cyclic range (i, j]. */
    t->slots[i] = NULL;
    for (size_t j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
        size_t home = t->slots[j]->hash & mask;
        bool stays =
            i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            t->slots[j] = NULL;
            i = j;
        }
    }
    t->n_rows--;

    if (t->n_slots > 16 && t->n_rows * 8 < t->n_slots) {
        rtable_resize(t, t->n_slots / 2);
    }
}

static void
rrow_free(struct rrow *row)
{
    if (row) {
        json_decref(row->pub.columns);
        free(row);
    }
}

/* Creation and lookup. */

struct replica *
replica_create(const struct ovsdb_schema *schema)
{
    struct replica *r = xcalloc(1, sizeof *r);
    r->schema = schema;
    r->tables = xcalloc(schema->n_tables, sizeof *r->tables);
    for (size_t i = 0; i < schema->n_tables; i++) {
        struct rtable *t = &r->tables[i];
        t->schema = &schema->tables[i];
        t->defaults = xcalloc(t->schema->n_columns, sizeof *t->defaults);
        for (size_t j = 0; j < t->schema->n_columns; j++) {
            t->defaults[j] = ovsdb_datum_default(&t->schema->columns[j]);
        }
    }
    return r;
}

void
replica_destroy(struct replica *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->schema->n_tables; i++) {
        struct rtable *t = &r->tables[i];
        for (size_t j = 0; j < t->n_slots; j++) {
            rrow_free(t->slots[j]);
        }
        free(t->slots);
        for (size_t j = 0; j < t->schema->n_columns; j++) {
            json_decref(t->defaults[j]);
        }
        free(t->defaults);
        free(t->cbs);
    }
    free(r->tables);
    free(r);
}

static struct rtable *
replica_table(const struct replica *r, const char *name)
{
    const struct ovsdb_table *table = ovsdb_schema_table(r->schema, name);
    return table ? &r->tables[table - r->schema->tables] : NULL;
}

/* Registering a callback for a table that the schema lacks does nothing:
 * no change can ever be reported for it. */
void
replica_on_change(struct replica *r, const char *table, replica_change_cb *cb,
                  void *aux)
{
    struct rtable *t = replica_table(r, table);
    if (t) {
        t->cbs = xrealloc(t->cbs, (t->n_cbs + 1) * sizeof *t->cbs);
        t->cbs[t->n_cbs++] = (struct rcb){cb, aux};
    }
}

const struct replica_row *
replica_get(const struct replica *r, const char *table, const char *uuid)
{
    const struct rtable *t = replica_table(r, table);
    char key[UUID_LEN + 1];
    if (!t || !uuid_normalize(uuid, key)) {
        return NULL;
    }
    const struct rrow *row = rtable_find(t, key);
    return row ? &row->pub : NULL;
}

size_t
replica_count(const struct replica *r, const char *table)
{
    const struct rtable *t = replica_table(r, table);
    return t ? t->n_rows : 0;
}

const struct replica_row *
replica_next(const struct replica *r, const char *table, size_t *iter)
{
    const struct rtable *t = replica_table(r, table);
    if (!t) {
        return NULL;
    }
    for (size_t i = *iter; i < t->n_slots; i++) {
        if (t->slots[i]) {
            *iter = i + 1;
            return &t->slots[i]->pub;
        }
    }
    *iter = t->n_slots;
    return NULL;
}

const json_t *
replica_row_get(const struct replica_row *row, const char *column)
{
    const json_t *value = json_object_get(row->columns, column);
    const struct rtable *t = row->table_priv;
    if (value || !t || column[0] == '_') {
        return value;
    }
    const struct ovsdb_column *c = ovsdb_table_column(t->schema, column);
    return c ? t->defaults[c - t->schema->columns] : NULL;
}

/* Batches of changes. */

static struct change *
changes_add(struct changes *cs, struct rtable *t, enum replica_change kind,
            const char *uuid)
{
    if (cs->n == cs->allocated) {
        cs->allocated = cs->allocated ? cs->allocated * 2 : 16;
        cs->v = xrealloc(cs->v, cs->allocated * sizeof *cs->v);
    }
    struct change *c = &cs->v[cs->n++];
    memset(c, 0, sizeof *c);
    c->table = t;
    c->kind = kind;
    memcpy(c->uuid, uuid, sizeof c->uuid);
    return c;
}

/* Frees what step 1 computed, for a batch that is not applied. */
static void
changes_discard(struct changes *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        json_decref(cs->v[i].new_columns);
    }
    free(cs->v);
}

/* Step 2: puts every change of 'cs' in place. */
static void
changes_apply(struct changes *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        struct change *c = &cs->v[i];
        if (c->noop) {
            json_decref(c->new_columns);
            c->new_columns = NULL;
            if (c->row) {
                c->row->seen = true;
            }
            continue;
        }
        switch (c->kind) {
        case REPLICA_INSERT: {
            struct rrow *row = xmalloc(sizeof *row);
            memcpy(row->uuid, c->uuid, sizeof row->uuid);
            row->hash = uuid_hash(row->uuid);
            row->seen = true;
            row->pub.table = c->table->schema->name;
            row->pub.uuid = row->uuid;
            row->pub.columns = c->new_columns;
            row->pub.table_priv = c->table;
            c->new_columns = NULL;
            rtable_insert(c->table, row);
            c->row = row;
            break;
        }
        case REPLICA_MODIFY:
            c->old_columns = c->row->pub.columns;
            c->row->pub.columns = c->new_columns;
            c->new_columns = NULL;
            c->row->seen = true;
            break;
        case REPLICA_DELETE:
            rtable_remove(c->table, c->row);
            break;
        }
    }
}

/* Step 3: reports every change of 'cs' to the callbacks, then frees 'cs'
 * and what the changes replaced. */
static void
changes_report(struct changes *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        struct change *c = &cs->v[i];
        if (c->noop) {
            continue;
        }
        struct replica_row old_view = {
            .table = c->table->schema->name,
            .uuid = c->row->uuid,
            .columns = c->old_columns,
            .table_priv = c->table,
        };
        const struct replica_row *old = NULL;
        const struct replica_row *new = NULL;
        if (c->kind == REPLICA_INSERT) {
            new = &c->row->pub;
        } else if (c->kind == REPLICA_MODIFY) {
            old = &old_view;
            new = &c->row->pub;
        } else {
            old = &c->row->pub;
        }
        /* Index each time: a callback may register more callbacks. */
        for (size_t j = 0; j < c->table->n_cbs; j++) {
            struct rcb cb = c->table->cbs[j];
            cb.cb(cb.aux, c->kind, old, new);
        }
    }
    for (size_t i = 0; i < cs->n; i++) {
        struct change *c = &cs->v[i];
        json_decref(c->old_columns);
        if (c->kind == REPLICA_DELETE) {
            rrow_free(c->row);
        }
    }
    free(cs->v);
}

/* Step 1: reading one update2. */

static int
bad_value_error(const struct rtable *t, const char *uuid, const char *column,
                struct ovsdb_error *why, struct ovsdb_error **errorp)
{
    struct ovsdb_error *e = ovsdb_error_new_details(
        -EPROTO, NULL, why->msg,
        "Update for row %s of table \"%s\" has a bad value for column "
        "\"%s\".",
        uuid, t->schema->name, column);
    ovsdb_error_free(why);
    return ovsdb_error_set(errorp, e);
}

static int
unknown_column_error(const struct rtable *t, const char *uuid,
                     const char *column, struct ovsdb_error **errorp)
{
    return ovsdb_error_set(
        errorp, ovsdb_error_new(-EPROTO, NULL,
                                "Update for row %s of table \"%s\" names "
                                "column \"%s\", which the table does not "
                                "have.",
                                uuid, t->schema->name, column));
}

/* Builds the columns of a row that arrives whole ("initial", "insert")
 * from 'row' (borrowed) into '*columnsp' (new). */
static int
build_row(const struct rtable *t, const char *uuid, const json_t *row,
          json_t **columnsp, struct ovsdb_error **errorp)
{
    if (!json_is_object(row)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EPROTO, NULL,
                                    "Update for row %s of table \"%s\" "
                                    "holds a row that is not a JSON "
                                    "object.",
                                    uuid, t->schema->name));
    }

    json_t *columns = json_object();
    if (!columns) {
        abort();
    }
    size_t n_used = 0;
    for (size_t i = 0; i < t->schema->n_columns; i++) {
        const struct ovsdb_column *column = &t->schema->columns[i];
        json_t *value = json_object_get(row, column->name);
        if (value) {
            struct ovsdb_error *why = NULL;
            if (ovsdb_datum_check(column, value, &why)) {
                json_decref(columns);
                return bad_value_error(t, uuid, column->name, why, errorp);
            }
            n_used++;
            if (ovsdb_datum_equal(value, t->defaults[i])) {
                /* Rows keep only what differs from the defaults. */
                continue;
            }
        }
        if (value && json_object_set_nocheck(columns, column->name, value)) {
            abort();
        }
    }

    if (n_used < json_object_size(row)) {
        for (void *it = json_object_iter((json_t *)row); it;
             it = json_object_iter_next((json_t *)row, it)) {
            const char *name = json_object_iter_key(it);
            if (!ovsdb_table_column(t->schema, name)) {
                json_decref(columns);
                return unknown_column_error(t, uuid, name, errorp);
            }
        }
    }
    *columnsp = columns;
    return 0;
}

/* Computes in '*columnsp' (new) the columns of row 'old' once 'diffs'
 * (borrowed) are applied, and whether anything changed. */
static int
modify_row(const struct rtable *t, const struct rrow *old, const json_t *diffs,
           json_t **columnsp, bool *changedp, struct ovsdb_error **errorp)
{
    if (!json_is_object(diffs)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EPROTO, NULL,
                                    "Update for row %s of table \"%s\" "
                                    "holds a modification that is not a "
                                    "JSON object.",
                                    old->uuid, t->schema->name));
    }

    json_t *columns = json_copy(old->pub.columns);
    if (!columns) {
        abort();
    }
    bool changed = false;
    for (void *it = json_object_iter((json_t *)diffs); it;
         it = json_object_iter_next((json_t *)diffs, it)) {
        const char *name = json_object_iter_key(it);
        const json_t *diff = json_object_iter_value(it);
        const struct ovsdb_column *column =
            ovsdb_table_column(t->schema, name);
        if (!column) {
            json_decref(columns);
            return unknown_column_error(t, old->uuid, name, errorp);
        }
        const json_t *before = json_object_get(old->pub.columns, name);
        if (!before) {
            before = t->defaults[column - t->schema->columns];
        }
        struct ovsdb_error *why = NULL;
        json_t *after;
        if (ovsdb_datum_apply_diff(column, before, diff, &after, &why)) {
            json_decref(columns);
            return bad_value_error(t, old->uuid, name, why, errorp);
        }
        changed = changed || !ovsdb_datum_equal(before, after);
        if (ovsdb_datum_equal(after,
                              t->defaults[column - t->schema->columns])) {
            json_object_del(columns, column->name);
            json_decref(after);
        } else if (json_object_set_new_nocheck(columns, column->name, after)) {
            abort();
        }
    }
    *columnsp = columns;
    *changedp = changed;
    return 0;
}

/* Returns true if 'a' and 'b' hold the same columns with equal values. */
static bool
columns_equal(const json_t *a, const json_t *b)
{
    if (json_object_size(a) != json_object_size(b)) {
        return false;
    }
    for (void *it = json_object_iter((json_t *)a); it;
         it = json_object_iter_next((json_t *)a, it)) {
        if (!ovsdb_datum_equal(json_object_iter_value(it),
                               json_object_get(b, json_object_iter_key(it)))) {
            return false;
        }
    }
    return true;
}

/* Reads the <row-update2> 'ru' (borrowed) for row 'uuid' (normalized) of
 * 't' into a new change of 'cs'. */
static int
read_row_update(const struct replica *r, struct rtable *t, const char *uuid,
                const json_t *ru, struct changes *cs,
                struct ovsdb_error **errorp)
{
    const char *op = NULL;
    const json_t *row = NULL;
    if (json_is_object(ru) && json_object_size(ru) == 1) {
        op = json_object_iter_key(json_object_iter((json_t *)ru));
        row = json_object_iter_value(json_object_iter((json_t *)ru));
    }
    struct rrow *existing = rtable_find(t, uuid);
    const char *table = t->schema->name;

    if (op && (!strcmp(op, "initial") || !strcmp(op, "insert"))) {
        if (existing && (!r->resyncing || strcmp(op, "initial"))) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "Update inserts row %s into table "
                                        "\"%s\", which already holds it.",
                                        uuid, table));
        }
        json_t *columns = NULL;
        int error = build_row(t, uuid, row, &columns, errorp);
        if (error) {
            return error;
        }
        struct change *c = changes_add(
            cs, t, existing ? REPLICA_MODIFY : REPLICA_INSERT, uuid);
        c->row = existing;
        c->new_columns = columns;
        c->noop = existing && columns_equal(existing->pub.columns, columns);
        return 0;
    } else if (op && !strcmp(op, "modify")) {
        if (!existing) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "Update modifies row %s of table "
                                        "\"%s\", which does not hold it.",
                                        uuid, table));
        }
        json_t *columns = NULL;
        bool changed = false;
        int error = modify_row(t, existing, row, &columns, &changed, errorp);
        if (error) {
            return error;
        }
        struct change *c = changes_add(cs, t, REPLICA_MODIFY, uuid);
        c->row = existing;
        c->new_columns = columns;
        c->noop = !changed;
        return 0;
    } else if (op && !strcmp(op, "delete")) {
        if (!existing) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "Update deletes row %s of table "
                                        "\"%s\", which does not hold it.",
                                        uuid, table));
        }
        struct change *c = changes_add(cs, t, REPLICA_DELETE, uuid);
        c->row = existing;
        return 0;
    }
    return ovsdb_error_set(
        errorp, ovsdb_error_new(-EPROTO, NULL,
                                "Update for row %s of table \"%s\" is not "
                                "an object with one member \"initial\", "
                                "\"insert\", \"modify\" or \"delete\".",
                                uuid, table));
}

/* Returns true if a member of 'table_update' other than the one at 'self'
 * names the row 'key' (a normalized UUID) in another spelling.  OVS sends
 * lower-case UUIDs, so this runs only for the rare other spelling. */
static bool
names_row_twice(const json_t *table_update, void *self, const char *key)
{
    for (void *it = json_object_iter((json_t *)table_update); it;
         it = json_object_iter_next((json_t *)table_update, it)) {
        char other[UUID_LEN + 1];
        if (it != self && uuid_normalize(json_object_iter_key(it), other) &&
            !strcmp(other, key)) {
            return true;
        }
    }
    return false;
}

static int
read_updates(const struct replica *r, const json_t *updates,
             struct changes *cs, struct ovsdb_error **errorp)
{
    if (!json_is_object(updates)) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-EPROTO, NULL, "Update is not a JSON object."));
    }
    for (void *it = json_object_iter((json_t *)updates); it;
         it = json_object_iter_next((json_t *)updates, it)) {
        const char *table = json_object_iter_key(it);
        const json_t *table_update = json_object_iter_value(it);
        struct rtable *t = replica_table(r, table);
        if (!t) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "Update names table \"%s\", which "
                                        "the schema does not have.",
                                        table));
        }
        if (!json_is_object(table_update)) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "Update for table \"%s\" is not a "
                                        "JSON object.",
                                        table));
        }
        for (void *rit = json_object_iter((json_t *)table_update); rit;
             rit = json_object_iter_next((json_t *)table_update, rit)) {
            const char *uuid = json_object_iter_key(rit);
            const json_t *ru = json_object_iter_value(rit);
            char key[UUID_LEN + 1];
            if (!uuid_normalize(uuid, key)) {
                return ovsdb_error_set(
                    errorp, ovsdb_error_new(-EPROTO, NULL,
                                            "Update for table \"%s\" names "
                                            "row \"%s\", which is not a "
                                            "UUID.",
                                            table, uuid));
            }
            if (strcmp(uuid, key) && names_row_twice(table_update, rit, key)) {
                /* Two spellings of one UUID would make two changes to one
                 * row in one batch. */
                return ovsdb_error_set(
                    errorp, ovsdb_error_new(-EPROTO, NULL,
                                            "Update for table \"%s\" names "
                                            "row %s more than once.",
                                            table, key));
            }
            int error = read_row_update(r, t, key, ru, cs, errorp);
            if (error) {
                return error;
            }
        }
    }
    return 0;
}

int
replica_apply_update2(struct replica *r, const json_t *updates,
                      struct ovsdb_error **errorp)
{
    struct changes cs = {NULL, 0, 0};
    int error = read_updates(r, updates, &cs, errorp);
    if (error) {
        changes_discard(&cs);
        return error;
    }
    changes_apply(&cs);
    changes_report(&cs);
    return 0;
}

/* Resync and clear. */

void
replica_resync_begin(struct replica *r)
{
    for (size_t i = 0; i < r->schema->n_tables; i++) {
        struct rtable *t = &r->tables[i];
        for (size_t j = 0; j < t->n_slots; j++) {
            if (t->slots[j]) {
                t->slots[j]->seen = false;
            }
        }
    }
    r->resyncing = true;
}

/* Deletes from 't' every row, or only the rows not seen when 'unseen',
 * and adds a delete to 'cs' for each. */
static void
delete_rows(struct rtable *t, bool unseen, struct changes *cs)
{
    size_t first = cs->n;
    for (size_t i = 0; i < t->n_slots; i++) {
        struct rrow *row = t->slots[i];
        if (row && !(unseen && row->seen)) {
            changes_add(cs, t, REPLICA_DELETE, row->uuid)->row = row;
        }
    }
    if (!unseen) {
        free(t->slots);
        t->slots = NULL;
        t->n_slots = 0;
        t->n_rows = 0;
    } else {
        for (size_t i = first; i < cs->n; i++) {
            rtable_remove(t, cs->v[i].row);
        }
    }
}

void
replica_resync_end(struct replica *r)
{
    struct changes cs = {NULL, 0, 0};
    for (size_t i = 0; i < r->schema->n_tables; i++) {
        delete_rows(&r->tables[i], true, &cs);
    }
    r->resyncing = false;
    changes_report(&cs);
}

void
replica_clear(struct replica *r, const char *table)
{
    struct changes cs = {NULL, 0, 0};
    for (size_t i = 0; i < r->schema->n_tables; i++) {
        struct rtable *t = &r->tables[i];
        if (!table || !strcmp(table, t->schema->name)) {
            delete_rows(t, false, &cs);
        }
    }
    changes_report(&cs);
}
