/* replica: an in-memory copy of monitored OVSDB tables.
 *
 * The replica holds rows by UUID, per table, each row a JSON object from
 * column name to datum (datum.h).  It is fed the "update2" form of
 * monitor_cond replies and notifications (RFC 7047 as extended by OVS:
 * "initial", "insert", "modify", "delete" per row) and reports every
 * change to per-table callbacks with the old and new row.
 *
 * Rules of this module:
 * - Pure: no I/O.  One update2 object is applied as a batch: callbacks run
 *   after the whole batch is applied, so each callback sees the replica
 *   in a consistent state (every row of the batch in place).
 * - Rows are sparse: 'columns' holds only the columns whose value is
 *   not the column's default (OVS omits defaults in "initial"/"insert",
 *   and a "modify" back to the default removes the column).  Read columns
 *   with replica_row_get(), which returns the column's shared default for
 *   an absent column, so every column of the schema but _uuid and
 *   _version always has a value.
 * - Resync: between replica_resync_begin() and replica_resync_end(), rows
 *   that arrive as "initial" replace what was there (reported as modify
 *   if they changed, insert if new); replica_resync_end() deletes every
 *   row that did not arrive again and reports each as a delete.
 * - Rows returned are borrowed and valid until the next change of the
 *   replica.
 */
#ifndef OVSDB_REPLICA_H
#define OVSDB_REPLICA_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct ovsdb_error;
struct ovsdb_schema;
struct replica;

struct replica_row {
    const char *table; /* Table name. */
    const char *uuid;  /* 36-character UUID. */
    json_t *columns;   /* Object: column name -> datum, non-defaults only. */
    const void *table_priv; /* The replica's table (for defaults). */
};

enum replica_change { REPLICA_INSERT, REPLICA_MODIFY, REPLICA_DELETE };

/* Change callback.  'old' is NULL for an insert, 'new' NULL for a delete
 * (both borrowed, valid during the callback). */
typedef void replica_change_cb(void *aux, enum replica_change change,
                               const struct replica_row *old,
                               const struct replica_row *new);

/* Creates an empty replica for 'schema' (borrowed: it must outlive the
 * replica). */
struct replica *replica_create(const struct ovsdb_schema *schema);
void replica_destroy(struct replica *replica);

/* Registers 'cb' for changes to 'table' (several allowed per table). */
void replica_on_change(struct replica *replica, const char *table,
                       replica_change_cb *cb, void *aux);

/* Applies 'updates' (borrowed): {"Table": {"uuid": {"initial"|"insert"|
 * "modify"|"delete": row-or-null}, …}, …}.  On error (-EPROTO, with
 * '*errorp' set) the replica is unchanged. */
int replica_apply_update2(struct replica *replica, const json_t *updates,
                          struct ovsdb_error **errorp);

void replica_resync_begin(struct replica *replica);
void replica_resync_end(struct replica *replica);

/* Empties 'table' (or every table when NULL), reporting deletes. */
void replica_clear(struct replica *replica, const char *table);

/* Row of 'table' with 'uuid', or NULL. */
const struct replica_row *replica_get(const struct replica *replica,
                                      const char *table, const char *uuid);

/* Number of rows in 'table'. */
size_t replica_count(const struct replica *replica, const char *table);

/* Iterates over the rows of 'table' in no particular order: start with
 * '*iter' = 0; returns NULL at the end.  The replica must not change
 * during the iteration. */
const struct replica_row *replica_next(const struct replica *replica,
                                       const char *table, size_t *iter);

/* Borrowed datum of 'column' in 'row': its value, or the column's default
 * when the row does not hold it; NULL for a column the table does not have
 * and for _uuid and _version. */
const json_t *replica_row_get(const struct replica_row *row,
                              const char *column);

#endif /* replica.h */
