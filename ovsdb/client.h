/* client: a monitoring, transacting OVSDB client with a local replica.
 *
 * One client talks to one database (by name) through a jsonrpc-session:
 * it keeps a replica (replica.h) of the tables it monitors, in step with
 * the server through "monitor_cond" and "update2" notifications, and
 * sends transactions (txn.h).
 *
 * On every new connection the client:
 *   1. monitors the "_Server" database's row for its database, and when
 *      the database is clustered and the server is not the Raft leader
 *      (with 'leader_only', the default) or is not connected to its
 *      cluster, moves on to the next remote; it does the same later if
 *      the server loses leadership or its cluster;
 *   2. fetches the schema ("get_schema") and checks that every monitored
 *      table and column exists (a mismatch ends the connection with a
 *      logged error naming the table or column);
 *   3. sends "monitor_cond" with each table's columns and condition, and
 *      resyncs the replica from the initial contents: rows deleted while
 *      disconnected are reported to change callbacks as deletes;
 *   4. takes again the locks the user asked for.
 *
 * Rules of this module:
 * - Callbacks run from the event loop.  The replica is consistent whenever
 *   a callback runs: each update batch is applied whole before any change
 *   callback, and the 'synced' callback runs after each batch.
 * - Transactions need a connection: ovsdb_client_transact() fails at once
 *   with -ENOTCONN rather than queueing behind a reconnection, so callers
 *   decide from fresh state (reconcile, don't script).
 * - ovsdb_client_transact_retry() is optimistic concurrency: the caller's
 *   builder reads the replica and adds "wait" operations for what it read;
 *   when a wait fails because the data changed, the client waits until its
 *   replica has caught up and builds the transaction again.
 */
#ifndef OVSDB_CLIENT_H
#define OVSDB_CLIENT_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "jsonrpc-session.h"
#include "replica.h"
#include "tls.h"

struct event_base;
struct ovsdb_error;
struct ovsdb_schema;
struct ovsdb_txn;
struct ovsdb_client;

struct ovsdb_client_options {
    const char *remotes;         /* Comma-separated remote list. */
    const char *db;              /* Database name, e.g. "Open_vSwitch". */
    struct ovsdb_tls_config tls; /* For ssl: remotes. */
    bool any_member;             /* Accept a Raft follower (default: leader
                                  * only). */
    int min_backoff_ms;          /* See jsonrpc-session.h. */
    int max_backoff_ms;
    int probe_interval_ms;
    size_t max_msg_size;
    void (*log)(void *aux, enum jsonrpc_log_level, const char *msg);
    void *log_aux;
};

struct ovsdb_client_callbacks {
    /* A usable server is connected (after the leader check). */
    void (*connected)(void *aux, const char *remote);
    /* The replica is consistent with the server: after the initial
     * contents of each connection and after each later update batch. */
    void (*synced)(void *aux);
    /* The connection was lost ('error' borrowed). */
    void (*disconnected)(void *aux, const struct ovsdb_error *error);
    /* Lock 'name' was granted (true) or lost/stolen (false). */
    void (*lock_changed)(void *aux, const char *name, bool locked);
    void *aux;
};

/* Creates a client and starts connecting.  Returns 0 and stores the client
 * in '*clientp', or -EINVAL with '*errorp' set. */
int ovsdb_client_create(struct event_base *base,
                        const struct ovsdb_client_options *options,
                        const struct ovsdb_client_callbacks *callbacks,
                        struct ovsdb_client **clientp,
                        struct ovsdb_error **errorp);

/* Frees 'client' without running callbacks.  Accepts NULL. */
void ovsdb_client_destroy(struct ovsdb_client *client);

/* Adds 'table' to the monitored tables, with 'columns' (NULL-terminated
 * array, or NULL for every column).  Takes effect at the next connection;
 * call it before the event loop runs, or call ovsdb_client_reconnect(). */
void ovsdb_client_monitor(struct ovsdb_client *client, const char *table,
                          const char *const *columns);

/* Adds 'table' to the monitored tables with every column its schema has
 * but 'except' (NULL-terminated): for columns the server rewrites often
 * that the caller never reads (ovs-vswitchd's statistics every 5 s).
 * Takes effect like ovsdb_client_monitor(). */
void ovsdb_client_monitor_except(struct ovsdb_client *client,
                                 const char *table, const char *const *except);

/* Stops monitoring 'table': its rows leave the replica (reported as
 * deletes).  When connected, sends "monitor_cancel" for the current
 * monitor and "monitor_cond" for the remaining tables, whose initial
 * contents resync the replica.  Returns 0, or -ENOENT when 'table' is not
 * monitored. */
int ovsdb_client_unmonitor(struct ovsdb_client *client, const char *table);

/* Sets the condition of monitored 'table' to 'where' (stolen; an array of
 * RFC 7047 conditions, all of which a row must meet; NULL for every row).
 * When connected, sends "monitor_cond_change": rows that leave the
 * condition are reported as deletes and rows that enter it as inserts. */
int ovsdb_client_set_condition(struct ovsdb_client *client, const char *table,
                               json_t *where);

/* Registers 'cb' for changes to 'table' in the replica. */
void ovsdb_client_on_change(struct ovsdb_client *client, const char *table,
                            replica_change_cb *cb, void *aux);

/* The replica, or NULL before the first schema arrived. */
const struct replica *ovsdb_client_replica(const struct ovsdb_client *);
/* The server's schema, or NULL before it arrived. */
const struct ovsdb_schema *ovsdb_client_schema(const struct ovsdb_client *);

/* True when connected and the replica holds the server's current
 * contents. */
bool ovsdb_client_is_synced(const struct ovsdb_client *client);
bool ovsdb_client_is_connected(const struct ovsdb_client *client);
/* Name of the remote in use. */
const char *ovsdb_client_remote(const struct ovsdb_client *client);
/* Number of update batches applied to the replica so far. */
unsigned long long ovsdb_client_batches(const struct ovsdb_client *client);

/* Drops the connection and connects to the next remote. */
void ovsdb_client_reconnect(struct ovsdb_client *client);

/* Completion of a transaction: 'result' (borrowed) on success, else
 * 'error' (borrowed), as ovsdb_txn_check_result() reports it. */
typedef void ovsdb_client_txn_cb(void *aux, const json_t *result,
                                 const struct ovsdb_error *error);

/* Sends 'txn' (stolen).  Returns 0 and later runs 'cb' exactly once, or
 * returns -ENOTCONN at once (and 'cb' never runs). */
int ovsdb_client_transact(struct ovsdb_client *client, struct ovsdb_txn *txn,
                          ovsdb_client_txn_cb *cb, void *aux);

/* Builder for optimistic transactions: fills 'txn' from 'replica' and
 * returns 0, or returns a negative errno to give up (then the completion
 * callback gets that error). */
typedef int ovsdb_client_txn_builder(void *aux, const struct replica *replica,
                                     struct ovsdb_txn *txn);

/* Builds a transaction with 'build' and sends it; when it fails with
 * -ETIMEDOUT (a "wait" saw other data), rebuilds it once the replica has
 * moved on, up to 'max_attempts' times in all.  Lost connections are also
 * retried after resync.  'cb' runs exactly once.  Returns 0 or
 * -ENOTCONN when not synced. */
int ovsdb_client_transact_retry(struct ovsdb_client *client,
                                ovsdb_client_txn_builder *build,
                                ovsdb_client_txn_cb *cb, void *aux,
                                int max_attempts);

/* Sends any other request ("list_dbs", "get_schema", ...): see
 * jsonrpc_session_request().  'params' is stolen. */
int ovsdb_client_request(struct ovsdb_client *client, const char *method,
                         json_t *params, jsonrpc_reply_cb *cb, void *aux);

/* Asks for lock 'name' now and after every reconnection; the
 * 'lock_changed' callback says when it is held. */
int ovsdb_client_lock(struct ovsdb_client *client, const char *name);
/* Releases lock 'name' and stops asking for it. */
int ovsdb_client_unlock(struct ovsdb_client *client, const char *name);
bool ovsdb_client_has_lock(const struct ovsdb_client *client,
                           const char *name);

#endif /* client.h */
