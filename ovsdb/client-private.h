/* client-private: the parts of the OVSDB client shared by client.c
 * (connection, monitoring, replica) and client-txn.c (transactions and
 * locks).  Not for users of the library: see client.h. */
#ifndef OVSDB_CLIENT_PRIVATE_H
#define OVSDB_CLIENT_PRIVATE_H 1

#include <jansson.h>
#include <stdbool.h>

#include "client.h"

struct event;

enum conn_state {
    CONN_DOWN,
    CONN_SERVER,
    CONN_SCHEMA,
    CONN_MONITOR,
    CONN_SYNCED
};

struct monitored_table {
    char *name;
    json_t *columns; /* Array of names, or NULL for every column. */
    json_t *except;  /* With 'columns' NULL: array of names of columns
                      * left out, or NULL. */
    json_t *where;   /* Array of conditions, or NULL for every row. */
};

struct change_hook {
    char *table;
    replica_change_cb *cb;
    void *aux;
};

struct held_lock {
    char *name;
    bool locked;
};

/* A transaction waiting for its reply, or an optimistic transaction
 * waiting for the replica to move on before it is rebuilt. */
struct pending_txn {
    struct ovsdb_client *client;
    struct ovsdb_txn *txn;
    ovsdb_client_txn_cb *cb;
    void *aux;
    /* Optimistic transactions only. */
    ovsdb_client_txn_builder *build;
    int attempts_left;
    unsigned long long built_at; /* Batch count when built. */
    struct pending_txn *next;    /* In client->retry_queue. */
    /* In client->all_txns, so that destroying the client frees it. */
    struct pending_txn *all_prev, *all_next;
};

struct lock_request;

struct ovsdb_client {
    struct jsonrpc_session *session;
    char *db;
    bool any_member;
    struct ovsdb_client_callbacks cbs;
    void (*log)(void *aux, enum jsonrpc_log_level, const char *msg);
    void *log_aux;

    enum conn_state state;
    unsigned int conn_seqno;  /* Session seqno of the current connection. */
    unsigned int monitor_seq; /* For monitor ids. */
    char monitor_id[32];
    char cancelled_id[32]; /* Monitor being cancelled, or "". */

    struct monitored_table *tables;
    size_t n_tables;
    struct change_hook *hooks;
    size_t n_hooks;
    struct held_lock *locks;
    size_t n_locks;

    json_t *server_row; /* _Server.Database row of 'db', see below. */
    struct ovsdb_schema *schema;
    struct replica *replica;
    unsigned long long batches;

    struct pending_txn *all_txns;       /* Every unfinished transaction. */
    struct pending_txn *retry_queue;    /* Waiting for a newer replica. */
    struct lock_request *lock_requests; /* Lock requests in flight. */
    struct event *retry_event;          /* Runs the retry queue. */
};

/* client.c */
void client_log(struct ovsdb_client *, enum jsonrpc_log_level, const char *fmt,
                ...) __attribute__((format(printf, 3, 4)));

/* client-txn.c */
void client_txn_batch_applied(struct ovsdb_client *);
void client_txn_destroy_all(struct ovsdb_client *);
void client_locks_resend(struct ovsdb_client *);
void client_lock_state_set(struct ovsdb_client *, const char *name,
                           bool locked);

#endif /* client-private.h */
