/* client: see client.h for what it does and the rules it keeps.
 *
 * Connection states, in order; a failure at any step ends the connection
 * and the session reconnects (to the next remote) after its backoff:
 *
 *   CONN_DOWN -> CONN_SERVER (waiting for the _Server monitor reply)
 *             -> CONN_SCHEMA (waiting for get_schema)
 *             -> CONN_MONITOR (waiting for the monitor_cond reply)
 *             -> CONN_SYNCED
 *
 * Replies carry the connection's sequence number: a reply from an older
 * connection is ignored.
 */
#include "client-private.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "datum.h"
#include "ovsdb-error.h"
#include "replica.h"
#include "schema.h"
#include "txn.h"

static void client_conn_fail(struct ovsdb_client *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void
client_log(struct ovsdb_client *client, enum jsonrpc_log_level level,
           const char *fmt, ...)
{
    if (!client->log) {
        return;
    }
    char *msg;
    va_list args;
    va_start(args, fmt);
    int n = vasprintf(&msg, fmt, args);
    va_end(args);
    if (n >= 0) {
        client->log(client->log_aux, level, msg);
        free(msg);
    }
}

/* Ends the current connection after a protocol-level problem: logs the
 * reason and lets the session reconnect to the next remote. */
static void
client_conn_fail(struct ovsdb_client *client, const char *fmt, ...)
{
    char *msg = NULL;
    va_list args;
    va_start(args, fmt);
    if (vasprintf(&msg, fmt, args) < 0) {
        msg = NULL;
    }
    va_end(args);
    client_log(client, JSONRPC_LOG_ERR, "%s: %s; reconnecting",
               jsonrpc_session_remote(client->session),
               msg ? msg : "connection failed");
    free(msg);
    client->state = CONN_DOWN;
    jsonrpc_session_force_reconnect(client->session);
}

/* Monitor requests and their replies. */

static bool
names_have(const json_t *names, const char *name)
{
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        if (!strcmp(json_string_value(n), name)) {
            return true;
        }
    }
    return false;
}

/* The columns of monitored table 't' in 'schema' but those of t->except
 * and the two every row has (_uuid, _version). */
static json_t *
columns_except(const struct ovsdb_schema *schema,
               const struct monitored_table *t)
{
    json_t *columns = json_array();
    const struct ovsdb_table *table = ovsdb_schema_table(schema, t->name);
    for (size_t i = 0; table && i < table->n_columns; i++) {
        const char *name = table->columns[i].name;
        if (name[0] != '_' && !names_have(t->except, name)) {
            json_array_append_new(columns, json_string(name));
        }
    }
    return columns;
}

static json_t *
client_monitor_requests(const struct ovsdb_client *client, bool with_columns)
{
    json_t *requests = json_object();
    for (size_t i = 0; i < client->n_tables; i++) {
        const struct monitored_table *t = &client->tables[i];
        json_t *req = json_object();
        if (with_columns && t->columns) {
            json_object_set(req, "columns", t->columns);
        } else if (with_columns && t->except && client->schema) {
            json_object_set_new(req, "columns",
                                columns_except(client->schema, t));
        }
        if (t->where) {
            json_object_set(req, "where", t->where);
        } else if (!with_columns) {
            json_object_set_new(req, "where", json_array());
        }
        json_object_set_new(requests, t->name, json_pack("[o]", req));
    }
    return requests;
}

/* Checks that the schema has every monitored table and column. */
static int
client_check_schema(struct ovsdb_client *client)
{
    for (size_t i = 0; i < client->n_tables; i++) {
        const struct monitored_table *t = &client->tables[i];
        const struct ovsdb_table *table =
            ovsdb_schema_table(client->schema, t->name);
        if (!table) {
            client_conn_fail(client,
                             "database %s has no table %s (schema "
                             "mismatch)",
                             client->db, t->name);
            return -EPROTO;
        }
        size_t j;
        json_t *col;
        json_array_foreach(t->columns, j, col)
        {
            if (!ovsdb_table_column(table, json_string_value(col))) {
                client_conn_fail(client,
                                 "table %s of database %s has no column "
                                 "%s (schema mismatch)",
                                 t->name, client->db, json_string_value(col));
                return -EPROTO;
            }
        }
    }
    return 0;
}

static void
client_after_batch(struct ovsdb_client *client)
{
    client->batches++;
    client_txn_batch_applied(client);
    if (client->cbs.synced) {
        client->cbs.synced(client->cbs.aux);
    }
}

static void
monitor_reply(void *client_, json_t *result, const struct ovsdb_error *error)
{
    struct ovsdb_client *client = client_;
    if (client->state != CONN_MONITOR) {
        return;
    }
    if (error) {
        client_conn_fail(client, "monitor_cond on %s failed: %s", client->db,
                         error->msg);
        return;
    }
    struct ovsdb_error *err = NULL;
    replica_resync_begin(client->replica);
    if (replica_apply_update2(client->replica, result, &err) < 0) {
        replica_resync_end(client->replica);
        client_conn_fail(client, "bad initial contents of %s: %s", client->db,
                         err->msg);
        ovsdb_error_free(err);
        return;
    }
    replica_resync_end(client->replica);
    client->state = CONN_SYNCED;
    client_log(client, JSONRPC_LOG_INFO, "%s: %s synchronized",
               jsonrpc_session_remote(client->session), client->db);
    client_locks_resend(client);
    client_after_batch(client);
}

static void
send_monitor(struct ovsdb_client *client)
{
    client->state = CONN_MONITOR;
    snprintf(client->monitor_id, sizeof client->monitor_id, "fabric-%u",
             ++client->monitor_seq);
    json_t *params = json_pack("[s s o]", client->db, client->monitor_id,
                               client_monitor_requests(client, true));
    if (jsonrpc_session_request(client->session, "monitor_cond", params,
                                monitor_reply, client) < 0) {
        client->state = CONN_DOWN;
    }
}

static int
schema_same(const struct ovsdb_schema *a, const struct ovsdb_schema *b)
{
    return !strcmp(a->name, b->name) &&
           !strcmp(a->version ? a->version : "", b->version ? b->version : "");
}

static void
install_replica(struct ovsdb_client *client, struct ovsdb_schema *schema)
{
    if (client->replica) {
        /* A new schema: everything the old replica held is gone. */
        replica_clear(client->replica, NULL);
        replica_destroy(client->replica);
    }
    ovsdb_schema_destroy(client->schema);
    client->schema = schema;
    client->replica = replica_create(schema);
    for (size_t i = 0; i < client->n_hooks; i++) {
        replica_on_change(client->replica, client->hooks[i].table,
                          client->hooks[i].cb, client->hooks[i].aux);
    }
}

static void
schema_reply(void *client_, json_t *result, const struct ovsdb_error *error)
{
    struct ovsdb_client *client = client_;
    if (client->state != CONN_SCHEMA) {
        return;
    }
    if (error) {
        client_conn_fail(client, "get_schema %s failed: %s", client->db,
                         error->msg);
        return;
    }
    struct ovsdb_schema *schema;
    struct ovsdb_error *err = NULL;
    if (ovsdb_schema_from_json(result, &schema, &err) < 0) {
        client_conn_fail(client, "bad schema for %s: %s", client->db,
                         err->msg);
        ovsdb_error_free(err);
        return;
    }
    if (client->schema && schema_same(client->schema, schema)) {
        ovsdb_schema_destroy(schema);
    } else {
        install_replica(client, schema);
    }
    if (client_check_schema(client) < 0) {
        return;
    }
    send_monitor(client);
}

static void
send_get_schema(struct ovsdb_client *client)
{
    client->state = CONN_SCHEMA;
    if (jsonrpc_session_request(client->session, "get_schema",
                                json_pack("[s]", client->db), schema_reply,
                                client) < 0) {
        client->state = CONN_DOWN;
    }
}

/* The _Server database.  'client->server_row' holds the columns of the
 * server's row for 'client->db'; update2 leaves out columns with default
 * values ("initial", "insert") and columns that did not change ("modify"),
 * so the row starts from the defaults and each update is merged into it.
 * 'row' (borrowed) is the update; 'initial' starts afresh. */
static void
server_row_merge(struct ovsdb_client *client, const json_t *row, bool initial)
{
    if (initial || !client->server_row) {
        json_decref(client->server_row);
        client->server_row = json_pack("{s:s, s:b, s:b}", "model", "",
                                       "connected", 0, "leader", 0);
    }
    json_object_update_existing(client->server_row, (json_t *)row);
}

/* Returns true when the server is good to use for 'client->db' according
 * to 'client->server_row', logging why not otherwise. */
static bool
server_row_ok(struct ovsdb_client *client)
{
    const json_t *row = client->server_row;
    const char *model = json_string_value(json_object_get(row, "model"));
    if (!model || strcmp(model, "clustered")) {
        return true;
    }
    json_t *connected = json_object_get(row, "connected");
    json_t *leader = json_object_get(row, "leader");
    if (!json_is_true(connected)) {
        client_log(client, JSONRPC_LOG_INFO,
                   "%s: server is not connected to the cluster of %s",
                   jsonrpc_session_remote(client->session), client->db);
        return false;
    }
    if (!client->any_member && !json_is_true(leader)) {
        client_log(client, JSONRPC_LOG_INFO,
                   "%s: server is not the leader of %s",
                   jsonrpc_session_remote(client->session), client->db);
        return false;
    }
    return true;
}

/* Finds the _Server.Database row in an update2 'updates' (borrowed) and
 * returns its new contents (borrowed), or NULL when it has none. */
static const json_t *
server_row_from_update(const json_t *updates)
{
    const json_t *rows = json_object_get(updates, "Database");
    const char *uuid;
    json_t *change;
    json_object_foreach((json_t *)rows, uuid, change)
    {
        const char *kind;
        json_t *row;
        json_object_foreach(change, kind, row)
        {
            if (json_is_object(row) && strcmp(kind, "delete")) {
                return row;
            }
        }
    }
    return NULL;
}

/* Continues after the server's row for 'client->db' arrived: on to the
 * schema when the server is good to use, else to the next remote. */
static void
server_row_ready(struct ovsdb_client *client, const json_t *row)
{
    server_row_merge(client, row, true);
    if (!server_row_ok(client)) {
        client->state = CONN_DOWN;
        jsonrpc_session_force_reconnect(client->session);
        return;
    }
    send_get_schema(client);
}

static void
server_reply(void *client_, json_t *result, const struct ovsdb_error *error)
{
    struct ovsdb_client *client = client_;
    if (client->state != CONN_SERVER) {
        return;
    }
    if (error) {
        /* A server without _Server (very old) is standalone. */
        client_log(client, JSONRPC_LOG_DEBUG, "no _Server database: %s",
                   error->msg);
        send_get_schema(client);
        return;
    }
    const json_t *row = server_row_from_update(result);
    if (row) {
        server_row_ready(client, row);
    } else {
        /* ovsdb-server fills _Server from its main loop, so a client
         * quick after its start finds no row yet: the monitor brings the
         * row when it comes. */
        client_log(client, JSONRPC_LOG_INFO,
                   "%s: server has no database %s yet; waiting for it",
                   jsonrpc_session_remote(client->session), client->db);
    }
}

static void
send_server_monitor(struct ovsdb_client *client)
{
    client->state = CONN_SERVER;
    json_t *params =
        json_pack("[s s {s:[{s:[s s s s], s:[[s s s]]}]}]", "_Server",
                  "fabric-server", "Database", "columns", "name", "model",
                  "connected", "leader", "where", "name", "==", client->db);
    if (jsonrpc_session_request(client->session, "monitor_cond", params,
                                server_reply, client) < 0) {
        client->state = CONN_DOWN;
    }
}

/* Session callbacks. */

static void
session_connected(void *client_, const char *remote)
{
    struct ovsdb_client *client = client_;
    client->conn_seqno = jsonrpc_session_seqno(client->session);
    for (size_t i = 0; i < client->n_locks; i++) {
        client->locks[i].locked = false;
    }
    if (client->cbs.connected) {
        client->cbs.connected(client->cbs.aux, remote);
    }
    send_server_monitor(client);
}

static void
session_disconnected(void *client_, const struct ovsdb_error *error)
{
    struct ovsdb_client *client = client_;
    client->state = CONN_DOWN;
    for (size_t i = 0; i < client->n_locks; i++) {
        if (client->locks[i].locked) {
            client->locks[i].locked = false;
            if (client->cbs.lock_changed) {
                client->cbs.lock_changed(client->cbs.aux,
                                         client->locks[i].name, false);
            }
        }
    }
    if (client->cbs.disconnected) {
        client->cbs.disconnected(client->cbs.aux, error);
    }
}

static void
handle_update2(struct ovsdb_client *client, json_t *params)
{
    const char *id = json_string_value(json_array_get(params, 0));
    json_t *updates = json_array_get(params, 1);
    if (id && !strcmp(id, "fabric-server")) {
        const json_t *row = server_row_from_update(updates);
        if (row && client->state == CONN_SERVER) {
            server_row_ready(client, row);
        } else if (row) {
            server_row_merge(client, row, false);
            if (!server_row_ok(client)) {
                client->state = CONN_DOWN;
                jsonrpc_session_force_reconnect(client->session);
            }
        }
        return;
    }
    if (id && client->cancelled_id[0] && !strcmp(id, client->cancelled_id)) {
        /* A monitor being replaced: the new one's initial contents
         * supersede whatever this update says. */
        return;
    }
    if (client->state != CONN_SYNCED || !id || strncmp(id, "fabric-", 7)) {
        client_conn_fail(client, "unexpected update2 for monitor %s",
                         id ? id : "(none)");
        return;
    }
    struct ovsdb_error *err = NULL;
    if (replica_apply_update2(client->replica, updates, &err) < 0) {
        client_conn_fail(client, "bad update of %s: %s", client->db, err->msg);
        ovsdb_error_free(err);
        return;
    }
    client_after_batch(client);
}

static void
session_message(void *client_, const char *method, json_t *params,
                const json_t *id)
{
    struct ovsdb_client *client = client_;
    if (id) {
        client_conn_fail(client, "unexpected request \"%s\" from server",
                         method);
        return;
    }
    if (!strcmp(method, "update2") && json_array_size(params) == 2) {
        handle_update2(client, params);
    } else if (!strcmp(method, "locked") || !strcmp(method, "stolen")) {
        const char *name = json_string_value(json_array_get(params, 0));
        if (name) {
            client_lock_state_set(client, name, !strcmp(method, "locked"));
        }
    } else {
        client_log(client, JSONRPC_LOG_WARN,
                   "%s: ignoring notification \"%s\"",
                   jsonrpc_session_remote(client->session), method);
    }
}

/* Public functions. */

int
ovsdb_client_create(struct event_base *base,
                    const struct ovsdb_client_options *options,
                    const struct ovsdb_client_callbacks *callbacks,
                    struct ovsdb_client **clientp, struct ovsdb_error **errorp)
{
    if (!options->db || !options->db[0]) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL, "No database name given."));
    }
    struct ovsdb_client *client = calloc(1, sizeof *client);
    client->db = strdup(options->db);
    client->any_member = options->any_member;
    if (callbacks) {
        client->cbs = *callbacks;
    }
    client->log = options->log;
    client->log_aux = options->log_aux;
    client->retry_event = NULL;

    struct jsonrpc_session_options sopts = {
        .remotes = options->remotes,
        .tls = options->tls,
        .min_backoff_ms = options->min_backoff_ms,
        .max_backoff_ms = options->max_backoff_ms,
        .probe_interval_ms = options->probe_interval_ms,
        .max_msg_size = options->max_msg_size,
        .log = options->log,
        .log_aux = options->log_aux,
    };
    struct jsonrpc_session_callbacks scbs = {
        .connected = session_connected,
        .disconnected = session_disconnected,
        .message = session_message,
        .aux = client,
    };
    int error =
        jsonrpc_session_create(base, &sopts, &scbs, &client->session, errorp);
    if (error) {
        free(client->db);
        free(client);
        return error;
    }
    client->retry_event = event_new(base, -1, 0, NULL, NULL);
    *clientp = client;
    return 0;
}

void
ovsdb_client_destroy(struct ovsdb_client *client)
{
    if (!client) {
        return;
    }
    /* The session drops pending reply callbacks: free what they own. */
    jsonrpc_session_destroy(client->session);
    client_txn_destroy_all(client);
    if (client->retry_event) {
        event_free(client->retry_event);
    }
    for (size_t i = 0; i < client->n_tables; i++) {
        free(client->tables[i].name);
        json_decref(client->tables[i].columns);
        json_decref(client->tables[i].except);
        json_decref(client->tables[i].where);
    }
    free(client->tables);
    for (size_t i = 0; i < client->n_hooks; i++) {
        free(client->hooks[i].table);
    }
    free(client->hooks);
    for (size_t i = 0; i < client->n_locks; i++) {
        free(client->locks[i].name);
    }
    free(client->locks);
    replica_destroy(client->replica);
    ovsdb_schema_destroy(client->schema);
    json_decref(client->server_row);
    free(client->db);
    free(client);
}

static struct monitored_table *
find_table(struct ovsdb_client *client, const char *table)
{
    for (size_t i = 0; i < client->n_tables; i++) {
        if (!strcmp(client->tables[i].name, table)) {
            return &client->tables[i];
        }
    }
    return NULL;
}

void
ovsdb_client_monitor(struct ovsdb_client *client, const char *table,
                     const char *const *columns)
{
    struct monitored_table *t = find_table(client, table);
    if (!t) {
        client->tables = realloc(client->tables, (client->n_tables + 1) *
                                                     sizeof *client->tables);
        t = &client->tables[client->n_tables++];
        memset(t, 0, sizeof *t);
        t->name = strdup(table);
    }
    json_decref(t->columns);
    json_decref(t->except);
    t->columns = NULL;
    t->except = NULL;
    if (columns) {
        t->columns = json_array();
        for (const char *const *c = columns; *c; c++) {
            json_array_append_new(t->columns, json_string(*c));
        }
    }
}

void
ovsdb_client_monitor_except(struct ovsdb_client *client, const char *table,
                            const char *const *except)
{
    ovsdb_client_monitor(client, table, NULL);
    struct monitored_table *t = find_table(client, table);
    t->except = json_array();
    for (const char *const *c = except; *c; c++) {
        json_array_append_new(t->except, json_string(*c));
    }
}

static void
cancel_reply(void *client_, json_t *result, const struct ovsdb_error *error)
{
    struct ovsdb_client *client = client_;
    client->cancelled_id[0] = '\0';
    if (error && error->code != -ECONNRESET) {
        client_conn_fail(client, "monitor_cancel failed: %s", error->msg);
    }
}

int
ovsdb_client_unmonitor(struct ovsdb_client *client, const char *table)
{
    struct monitored_table *t = find_table(client, table);
    if (!t) {
        return -ENOENT;
    }
    free(t->name);
    json_decref(t->columns);
    json_decref(t->except);
    json_decref(t->where);
    *t = client->tables[--client->n_tables];
    if (client->replica) {
        replica_clear(client->replica, table);
    }
    if (client->state != CONN_SYNCED) {
        /* The next monitor_cond request leaves the table out. */
        return 0;
    }
    /* Cancel the monitor and monitor the remaining tables anew: the new
     * monitor's initial contents resync the replica. */
    snprintf(client->cancelled_id, sizeof client->cancelled_id, "%s",
             client->monitor_id);
    int error = jsonrpc_session_request(client->session, "monitor_cancel",
                                        json_pack("[s]", client->monitor_id),
                                        cancel_reply, client);
    if (!error) {
        send_monitor(client);
    }
    return error;
}

static void
cond_change_reply(void *client_, json_t *result,
                  const struct ovsdb_error *error)
{
    struct ovsdb_client *client = client_;
    if (error && error->code != -ECONNRESET) {
        client_conn_fail(client, "monitor_cond_change failed: %s", error->msg);
    }
}

int
ovsdb_client_set_condition(struct ovsdb_client *client, const char *table,
                           json_t *where)
{
    struct monitored_table *t = find_table(client, table);
    if (!t) {
        json_decref(where);
        return -ENOENT;
    }
    json_decref(t->where);
    t->where = where;
    if (client->state != CONN_SYNCED) {
        /* The next monitor_cond request carries the condition. */
        return 0;
    }
    char old_id[sizeof client->monitor_id];
    memcpy(old_id, client->monitor_id, sizeof old_id);
    snprintf(client->monitor_id, sizeof client->monitor_id, "fabric-%u",
             ++client->monitor_seq);
    json_t *change = json_object();
    json_object_set_new(change, t->name,
                        json_pack("[{s:o}]", "where",
                                  where ? json_incref(where) : json_array()));
    json_t *params = json_pack("[s s o]", old_id, client->monitor_id, change);
    return jsonrpc_session_request(client->session, "monitor_cond_change",
                                   params, cond_change_reply, client);
}

void
ovsdb_client_on_change(struct ovsdb_client *client, const char *table,
                       replica_change_cb *cb, void *aux)
{
    client->hooks =
        realloc(client->hooks, (client->n_hooks + 1) * sizeof *client->hooks);
    client->hooks[client->n_hooks++] =
        (struct change_hook){.table = strdup(table), .cb = cb, .aux = aux};
    if (client->replica) {
        replica_on_change(client->replica, table, cb, aux);
    }
}

const struct replica *
ovsdb_client_replica(const struct ovsdb_client *client)
{
    return client->replica;
}

const struct ovsdb_schema *
ovsdb_client_schema(const struct ovsdb_client *client)
{
    return client->schema;
}

bool
ovsdb_client_is_synced(const struct ovsdb_client *client)
{
    return client->state == CONN_SYNCED;
}

bool
ovsdb_client_is_connected(const struct ovsdb_client *client)
{
    return jsonrpc_session_is_connected(client->session);
}

const char *
ovsdb_client_remote(const struct ovsdb_client *client)
{
    return jsonrpc_session_remote(client->session);
}

unsigned long long
ovsdb_client_batches(const struct ovsdb_client *client)
{
    return client->batches;
}

void
ovsdb_client_reconnect(struct ovsdb_client *client)
{
    client->state = CONN_DOWN;
    jsonrpc_session_force_reconnect(client->session);
}
