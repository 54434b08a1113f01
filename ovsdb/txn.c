/* txn: see txn.h for the rules.
 *
 * Notes on this implementation:
 * - Each operation is kept twice: as the JSON object sent to the server,
 *   and as a short record of its kind and table, so that an error found in
 *   the result can name the operation that caused it.
 * - A builder given an argument it cannot use (a NULL table, a "where"
 *   that is not an array, an "until" other than "==" or "!=", ...) adds
 *   nothing, frees what it was given, returns SIZE_MAX, and marks the
 *   transaction as broken: ovsdb_txn_params() then returns NULL, so a
 *   transaction missing one of its operations can never be sent.
 * - A NULL 'where', 'mutations' or 'rows' means [], a NULL 'row' means {},
 *   and a NULL 'columns' means all columns ("columns" is omitted from a
 *   "select"; a "wait" requires it, so it is sent as []).
 * - Results are read as RFC 7047 section 5.2 describes them: one entry per
 *   operation; a failed operation's entry is {"error": ..., "details": ...}
 *   and the entries after it may be null or missing; when every operation
 *   succeeded but the transaction could not be committed, one extra entry
 *   after the last operation holds the error.
 */
#include "txn.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-error.h"

struct txn_op {
    const char *kind; /* "insert", "select", ... (a string literal). */
    char *table;      /* Table name, or NULL for operations without one. */
};

struct ovsdb_txn {
    char *db;          /* Database name. */
    json_t *ops;       /* Array of operation objects (owned). */
    struct txn_op *op; /* One record per element of 'ops'. */
    size_t n_ops;      /* Number of elements of 'op' in use. */
    size_t allocated;  /* Number of elements 'op' has room for. */
    bool broken;       /* A builder was given an unusable argument. */
};

static void *
xrealloc(void *p, size_t size)
{
    p = realloc(p, size);
    if (!p) {
        abort();
    }
    return p;
}

static char *
xstrdup(const char *s)
{
    char *copy = strdup(s);
    if (!copy) {
        abort();
    }
    return copy;
}

struct ovsdb_txn *
ovsdb_txn_create(const char *db)
{
    struct ovsdb_txn *txn = calloc(1, sizeof *txn);
    if (!txn) {
        abort();
    }
    txn->db = xstrdup(db);
    txn->ops = json_array();
    if (!txn->ops) {
        abort();
    }
    return txn;
}

void
ovsdb_txn_destroy(struct ovsdb_txn *txn)
{
    if (!txn) {
        return;
    }
    for (size_t i = 0; i < txn->n_ops; i++) {
        free(txn->op[i].table);
    }
    free(txn->op);
    json_decref(txn->ops);
    free(txn->db);
    free(txn);
}

size_t
ovsdb_txn_n_ops(const struct ovsdb_txn *txn)
{
    return txn->n_ops;
}

json_t *
ovsdb_cond(const char *column, const char *function, json_t *value)
{
    /* "O" takes a new reference, so 'value' is released here whether or
     * not json_pack() succeeds.  A NULL 'value' makes it fail. */
    json_t *cond = json_pack("[ssO]", column, function, value);
    json_decref(value);
    return cond;
}

json_t *
ovsdb_where_uuid(const char *uuid)
{
    return json_pack("[[ss[ss]]]", "_uuid", "==", "uuid", uuid);
}

json_t *
ovsdb_mutation(const char *column, const char *mutator, json_t *value)
{
    return ovsdb_cond(column, mutator, value);
}

/* Appends operation 'op' (stolen) of 'kind' on 'table' (may be NULL) to
 * 'txn'.  Returns its index, or SIZE_MAX (with 'txn' marked broken) when
 * 'op' is NULL. */
static size_t
txn_add(struct ovsdb_txn *txn, const char *kind, const char *table, json_t *op)
{
    if (!op) {
        txn->broken = true;
        return SIZE_MAX;
    }
    if (txn->n_ops == txn->allocated) {
        txn->allocated = txn->allocated ? 2 * txn->allocated : 8;
        txn->op = xrealloc(txn->op, txn->allocated * sizeof *txn->op);
    }
    if (json_array_append_new(txn->ops, op) < 0) {
        abort();
    }
    struct txn_op *rec = &txn->op[txn->n_ops];
    rec->kind = kind;
    rec->table = table ? xstrdup(table) : NULL;
    return txn->n_ops++;
}

/* Marks 'txn' broken and frees the up to three arguments 'a', 'b', 'c'
 * (stolen, each may be NULL).  Returns SIZE_MAX. */
static size_t
txn_reject(struct ovsdb_txn *txn, json_t *a, json_t *b, json_t *c)
{
    json_decref(a);
    json_decref(b);
    json_decref(c);
    if (txn) {
        txn->broken = true;
    }
    return SIZE_MAX;
}

/* Returns 'json' (stolen) if it is an array, a new empty array if it is
 * NULL, or NULL (after freeing 'json') if it is anything else. */
static json_t *
array_or_empty(json_t *json)
{
    if (!json) {
        return json_array();
    } else if (!json_is_array(json)) {
        json_decref(json);
        return NULL;
    }
    return json;
}

/* Same as array_or_empty() for objects. */
static json_t *
object_or_empty(json_t *json)
{
    if (!json) {
        return json_object();
    } else if (!json_is_object(json)) {
        json_decref(json);
        return NULL;
    }
    return json;
}

/* Returns true if 'columns' (borrowed) is NULL or an array of strings. */
static bool
columns_valid(const json_t *columns)
{
    if (!columns) {
        return true;
    } else if (!json_is_array(columns)) {
        return false;
    }
    for (size_t i = 0; i < json_array_size(columns); i++) {
        if (!json_is_string(json_array_get(columns, i))) {
            return false;
        }
    }
    return true;
}

size_t
ovsdb_txn_insert(struct ovsdb_txn *txn, const char *table, json_t *row,
                 const char *uuid_name)
{
    if (!txn || !table) {
        return txn_reject(txn, row, NULL, NULL);
    }
    row = object_or_empty(row);
    if (!row) {
        return txn_reject(txn, NULL, NULL, NULL);
    }
    json_t *op =
        json_pack("{sssssO}", "op", "insert", "table", table, "row", row);
    json_decref(row);
    if (op && uuid_name &&
        json_object_set_new(op, "uuid-name", json_string(uuid_name))) {
        json_decref(op);
        op = NULL;
    }
    return txn_add(txn, "insert", table, op);
}

size_t
ovsdb_txn_select(struct ovsdb_txn *txn, const char *table, json_t *where,
                 json_t *columns)
{
    if (!txn || !table || !columns_valid(columns)) {
        return txn_reject(txn, where, columns, NULL);
    }
    where = array_or_empty(where);
    if (!where) {
        return txn_reject(txn, columns, NULL, NULL);
    }
    json_t *op =
        json_pack("{sssssO}", "op", "select", "table", table, "where", where);
    json_decref(where);
    if (op && columns && json_object_set(op, "columns", columns)) {
        json_decref(op);
        op = NULL;
    }
    json_decref(columns);
    return txn_add(txn, "select", table, op);
}

/* Builds an operation of kind 'kind' on 'table' with "where" 'where' and,
 * if 'name' is non-NULL, member 'name' set to 'value'.  'where' and
 * 'value' are stolen; both have already been checked. */
static size_t
txn_add_where(struct ovsdb_txn *txn, const char *kind, const char *table,
              json_t *where, const char *name, json_t *value)
{
    json_t *op =
        json_pack("{sssssO}", "op", kind, "table", table, "where", where);
    json_decref(where);
    if (op && name && json_object_set(op, name, value)) {
        json_decref(op);
        op = NULL;
    }
    json_decref(value);
    return txn_add(txn, kind, table, op);
}

size_t
ovsdb_txn_update(struct ovsdb_txn *txn, const char *table, json_t *where,
                 json_t *row)
{
    if (!txn || !table) {
        return txn_reject(txn, where, row, NULL);
    }
    where = array_or_empty(where);
    row = object_or_empty(row);
    if (!where || !row) {
        return txn_reject(txn, where, row, NULL);
    }
    return txn_add_where(txn, "update", table, where, "row", row);
}

size_t
ovsdb_txn_mutate(struct ovsdb_txn *txn, const char *table, json_t *where,
                 json_t *mutations)
{
    if (!txn || !table) {
        return txn_reject(txn, where, mutations, NULL);
    }
    where = array_or_empty(where);
    mutations = array_or_empty(mutations);
    if (!where || !mutations) {
        return txn_reject(txn, where, mutations, NULL);
    }
    return txn_add_where(txn, "mutate", table, where, "mutations", mutations);
}

size_t
ovsdb_txn_delete(struct ovsdb_txn *txn, const char *table, json_t *where)
{
    if (!txn || !table) {
        return txn_reject(txn, where, NULL, NULL);
    }
    where = array_or_empty(where);
    if (!where) {
        return txn_reject(txn, NULL, NULL, NULL);
    }
    return txn_add_where(txn, "delete", table, where, NULL, NULL);
}

size_t
ovsdb_txn_wait(struct ovsdb_txn *txn, const char *table, json_t *where,
               json_t *columns, const char *until, json_t *rows,
               int timeout_ms)
{
    if (!txn || !table || !until ||
        (strcmp(until, "==") && strcmp(until, "!=")) ||
        !columns_valid(columns)) {
        return txn_reject(txn, where, columns, rows);
    }
    where = array_or_empty(where);
    columns = array_or_empty(columns);
    rows = array_or_empty(rows);
    if (!where || !columns || !rows) {
        return txn_reject(txn, where, columns, rows);
    }
    json_t *op =
        json_pack("{sssssOsOsssO}", "op", "wait", "table", table, "where",
                  where, "columns", columns, "until", until, "rows", rows);
    json_decref(where);
    json_decref(columns);
    json_decref(rows);
    if (op && timeout_ms >= 0 &&
        json_object_set_new(op, "timeout", json_integer(timeout_ms))) {
        json_decref(op);
        op = NULL;
    }
    return txn_add(txn, "wait", table, op);
}

size_t
ovsdb_txn_commit(struct ovsdb_txn *txn, bool durable)
{
    if (!txn) {
        return txn_reject(txn, NULL, NULL, NULL);
    }
    json_t *op = json_pack("{sssb}", "op", "commit", "durable", durable);
    return txn_add(txn, "commit", NULL, op);
}

size_t
ovsdb_txn_abort(struct ovsdb_txn *txn)
{
    if (!txn) {
        return txn_reject(txn, NULL, NULL, NULL);
    }
    return txn_add(txn, "abort", NULL, json_pack("{ss}", "op", "abort"));
}

size_t
ovsdb_txn_comment(struct ovsdb_txn *txn, const char *comment)
{
    if (!txn || !comment) {
        return txn_reject(txn, NULL, NULL, NULL);
    }
    json_t *op = json_pack("{ssss}", "op", "comment", "comment", comment);
    return txn_add(txn, "comment", NULL, op);
}

size_t
ovsdb_txn_assert(struct ovsdb_txn *txn, const char *lock)
{
    if (!txn || !lock) {
        return txn_reject(txn, NULL, NULL, NULL);
    }
    json_t *op = json_pack("{ssss}", "op", "assert", "lock", lock);
    return txn_add(txn, "assert", NULL, op);
}

json_t *
ovsdb_txn_params(const struct ovsdb_txn *txn)
{
    if (txn->broken) {
        return NULL;
    }
    /* The operations are copied, so that the caller may change 'params'
     * without changing 'txn'. */
    json_t *params = json_pack("[s]", txn->db);
    json_t *ops = json_deep_copy(txn->ops);
    if (!params || !ops || json_array_extend(params, ops)) {
        json_decref(params);
        params = NULL;
    }
    json_decref(ops);
    return params;
}

/* Writes into 'buf' a short description of the operation at 'i' of 'txn',
 * such as "insert into Bridge" or "commit". */
static void
describe_op(const struct ovsdb_txn *txn, size_t i, char *buf, size_t size)
{
    const struct txn_op *op = &txn->op[i];
    const char *prep = "";
    if (!strcmp(op->kind, "insert")) {
        prep = " into";
    } else if (!strcmp(op->kind, "select") || !strcmp(op->kind, "delete")) {
        prep = " from";
    } else if (!strcmp(op->kind, "wait")) {
        prep = " on";
    }
    if (op->table) {
        snprintf(buf, size, "%s%s %s", op->kind, prep, op->table);
    } else {
        snprintf(buf, size, "%s", op->kind);
    }
}

/* Returns the negative errno for RFC 7047 error string 'tag'. */
static int
error_code(const char *tag)
{
    if (!strcmp(tag, "aborted")) {
        return -ECANCELED;
    } else if (!strcmp(tag, "timed out")) {
        return -ETIMEDOUT;
    } else if (!strcmp(tag, "not owner")) {
        return -EPERM;
    }
    return -EINVAL;
}

/* If 'entry' (borrowed) is an RFC 7047 <error> object, sets '*tagp' and
 * '*detailsp' to its "error" and "details" strings (borrowed; 'details'
 * may be NULL) and returns 1.  Returns 0 for any other object, and -1 for
 * an object whose "error" or "details" is not a string. */
static int
parse_error(const json_t *entry, const char **tagp, const char **detailsp)
{
    const json_t *tag = json_object_get(entry, "error");
    if (!tag) {
        return 0;
    }
    const json_t *details = json_object_get(entry, "details");
    if (!json_is_string(tag) || (details && !json_is_string(details))) {
        return -1;
    }
    *tagp = json_string_value(tag);
    *detailsp = details ? json_string_value(details) : NULL;
    return 1;
}

int
ovsdb_txn_check_result(const struct ovsdb_txn *txn, const json_t *result,
                       struct ovsdb_error **errorp)
{
    if (!json_is_array(result)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EPROTO, NULL,
                                    "transaction result is not an array"));
    }

    size_t n = json_array_size(result);
    for (size_t i = 0; i < n && i < txn->n_ops; i++) {
        const json_t *entry = json_array_get(result, i);
        char desc[256];
        describe_op(txn, i, desc, sizeof desc);

        const char *tag, *details;
        int r =
            json_is_object(entry) ? parse_error(entry, &tag, &details) : -1;
        if (r < 0) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EPROTO, NULL,
                                "result of transaction operation %zu (%s) "
                                "is malformed",
                                i, desc));
        } else if (r > 0) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new_details(
                    error_code(tag), tag, details,
                    "transaction operation %zu (%s) failed: %s%s%s", i, desc,
                    tag, details ? ": " : "", details ? details : ""));
        }
    }

    if (n < txn->n_ops) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EPROTO, NULL,
                                    "transaction result has %zu entries "
                                    "for %zu operations",
                                    n, txn->n_ops));
    } else if (n > txn->n_ops) {
        const json_t *extra = json_array_get(result, txn->n_ops);
        const char *tag, *details;
        if (n > txn->n_ops + 1 || !json_is_object(extra) ||
            parse_error(extra, &tag, &details) <= 0) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "transaction result has %zu entries "
                                        "for %zu operations and does not "
                                        "end in an error",
                                        n, txn->n_ops));
        }
        return ovsdb_error_set(
            errorp, ovsdb_error_new_details(
                        error_code(tag), tag, details,
                        "transaction failed to commit: %s%s%s", tag,
                        details ? ": " : "", details ? details : ""));
    }
    return 0;
}

const char *
ovsdb_txn_inserted_uuid(const json_t *result, size_t op_index)
{
    const json_t *uuid =
        json_object_get(json_array_get(result, op_index), "uuid");
    const char *type = json_string_value(json_array_get(uuid, 0));
    if (json_array_size(uuid) != 2 || !type || strcmp(type, "uuid")) {
        return NULL;
    }
    return json_string_value(json_array_get(uuid, 1));
}

const json_t *
ovsdb_txn_selected_rows(const json_t *result, size_t op_index)
{
    const json_t *rows =
        json_object_get(json_array_get(result, op_index), "rows");
    return json_is_array(rows) ? rows : NULL;
}
