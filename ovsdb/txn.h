/* txn: building RFC 7047 "transact" requests and reading their results.
 *
 *   struct ovsdb_txn *txn = ovsdb_txn_create("Open_vSwitch");
 *   ovsdb_txn_insert(txn, "Bridge", row, "br");
 *   ovsdb_txn_mutate(txn, "Open_vSwitch", json_array(), mutations);
 *   json_t *params = ovsdb_txn_params(txn);
 *
 * Rules of this module:
 * - Pure: builds JSON and checks results; sending is the client's job.
 * - Every builder call steals the json_t arguments it is given (also on
 *   error) and returns the index of the new operation in the transaction.
 * - ovsdb_txn_check_result() turns a result array into one error object:
 *   the first failed operation's "error" and "details", with the
 *   operation's index and name in the message, or a missing/extra result.
 */
#ifndef OVSDB_TXN_H
#define OVSDB_TXN_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct ovsdb_error;
struct ovsdb_txn;

struct ovsdb_txn *ovsdb_txn_create(const char *db);
void ovsdb_txn_destroy(struct ovsdb_txn *txn);

/* Number of operations so far. */
size_t ovsdb_txn_n_ops(const struct ovsdb_txn *txn);

/* Conditions: returns a new [column, function, value]; 'value' stolen. */
json_t *ovsdb_cond(const char *column, const char *function, json_t *value);
/* Returns a new where-clause [["_uuid", "==", ["uuid", UUID]]]. */
json_t *ovsdb_where_uuid(const char *uuid);
/* Mutations: returns a new [column, mutator, value]; 'value' stolen. */
json_t *ovsdb_mutation(const char *column, const char *mutator,
                       json_t *value);

/* 'row' (object of column -> datum), 'where' (array of conditions),
 * 'columns' (array of names or NULL for all), 'mutations' and 'rows' are
 * all stolen. */
size_t ovsdb_txn_insert(struct ovsdb_txn *, const char *table, json_t *row,
                        const char *uuid_name);
size_t ovsdb_txn_select(struct ovsdb_txn *, const char *table, json_t *where,
                        json_t *columns);
size_t ovsdb_txn_update(struct ovsdb_txn *, const char *table, json_t *where,
                        json_t *row);
size_t ovsdb_txn_mutate(struct ovsdb_txn *, const char *table, json_t *where,
                        json_t *mutations);
size_t ovsdb_txn_delete(struct ovsdb_txn *, const char *table, json_t *where);
/* 'until' is "==" or "!="; 'timeout_ms' < 0 means no "timeout" member. */
size_t ovsdb_txn_wait(struct ovsdb_txn *, const char *table, json_t *where,
                      json_t *columns, const char *until, json_t *rows,
                      int timeout_ms);
size_t ovsdb_txn_commit(struct ovsdb_txn *, bool durable);
size_t ovsdb_txn_abort(struct ovsdb_txn *);
size_t ovsdb_txn_comment(struct ovsdb_txn *, const char *comment);
size_t ovsdb_txn_assert(struct ovsdb_txn *, const char *lock);

/* Returns a new reference to the "transact" params: [db, op, …]. */
json_t *ovsdb_txn_params(const struct ovsdb_txn *txn);

/* Checks 'result' (borrowed), the reply to the transaction built by 'txn'.
 * Returns 0 when every operation succeeded, else a negative errno with
 * '*errorp' set: -EPROTO for a malformed result, -ECANCELED for an
 * "aborted" transaction, -ETIMEDOUT for a failed "wait" ("timed out"),
 * -EPERM for "not owner" (assert), -EINVAL for other operation errors.
 * error->tag is the server's "error" string. */
int ovsdb_txn_check_result(const struct ovsdb_txn *txn, const json_t *result,
                           struct ovsdb_error **errorp);

/* For an "insert" at 'op_index' that succeeded in 'result' (borrowed),
 * returns its new UUID (borrowed from 'result'), else NULL. */
const char *ovsdb_txn_inserted_uuid(const json_t *result, size_t op_index);

/* Rows selected by the "select" at 'op_index' in 'result' (borrowed), or
 * NULL. */
const json_t *ovsdb_txn_selected_rows(const json_t *result, size_t op_index);

#endif /* txn.h */
