/* client-txn: transactions and locks of the OVSDB client (client.h).
 *
 * Plain transactions go out at once and finish with their reply.
 * Optimistic ones (ovsdb_client_transact_retry()) are built from the
 * replica; when a "wait" fails or the connection drops they move to the
 * retry queue, which runs (deferred to the event loop, so callbacks never
 * nest) once the replica has applied a newer batch.  Every unfinished
 * transaction is also on 'all_txns', so destroying the client frees them
 * even though the session drops their reply callbacks.
 */
#include "client-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ovsdb-error.h"
#include "txn.h"

/* Transactions. */

static void retry_queue_kick(struct ovsdb_client *client);


static struct pending_txn *
pending_txn_new(struct ovsdb_client *client)
{
    struct pending_txn *p = calloc(1, sizeof *p);
    p->client = client;
    p->all_next = client->all_txns;
    if (p->all_next) {
        p->all_next->all_prev = p;
    }
    client->all_txns = p;
    return p;
}

/* Frees 'p', which must not be in the retry queue. */
static void
pending_txn_free(struct pending_txn *p)
{
    if (p) {
        if (p->all_prev) {
            p->all_prev->all_next = p->all_next;
        } else {
            p->client->all_txns = p->all_next;
        }
        if (p->all_next) {
            p->all_next->all_prev = p->all_prev;
        }
        ovsdb_txn_destroy(p->txn);
        free(p);
    }
}

static int send_pending(struct pending_txn *p);

/* Finishes 'p': runs its callback once and frees it. */
static void
pending_txn_finish(struct pending_txn *p, const json_t *result,
                   const struct ovsdb_error *error)
{
    if (p->cb) {
        p->cb(p->aux, result, error);
    }
    pending_txn_free(p);
}

static void
retry_later(struct pending_txn *p)
{
    struct ovsdb_client *client = p->client;
    p->next = client->retry_queue;
    client->retry_queue = p;
    if (client->state == CONN_SYNCED && client->batches != p->built_at) {
        retry_queue_kick(client);
    }
}

static void
transact_reply(void *p_, json_t *result, const struct ovsdb_error *error)
{
    struct pending_txn *p = p_;
    struct ovsdb_error *err = NULL;
    if (!error) {
        ovsdb_txn_check_result(p->txn, result, &err);
        error = err;
    }
    bool retriable = error && p->build && p->attempts_left > 0
                     && (error->code == -ETIMEDOUT
                         || error->code == -ECONNRESET);
    if (retriable) {
        ovsdb_error_free(err);
        ovsdb_txn_destroy(p->txn);
        p->txn = NULL;
        retry_later(p);
        return;
    }
    pending_txn_finish(p, error ? NULL : result, error);
    ovsdb_error_free(err);
}

/* Builds (optimistic transactions) and sends 'p'.  On failure finishes
 * 'p' with the error and returns it. */
static int
send_pending(struct pending_txn *p)
{
    struct ovsdb_client *client = p->client;
    if (p->build) {
        if (client->state != CONN_SYNCED) {
            retry_later(p);
            return 0;
        }
        p->attempts_left--;
        p->built_at = client->batches;
        p->txn = ovsdb_txn_create(client->db);
        int error = p->build(p->aux, client->replica, p->txn);
        if (error) {
            struct ovsdb_error *e = ovsdb_error_new(
                error, NULL, "Transaction builder gave up (%s).",
                strerror(-error));
            pending_txn_finish(p, NULL, e);
            ovsdb_error_free(e);
            return error;
        }
    }
    json_t *params = ovsdb_txn_params(p->txn);
    int error = jsonrpc_session_request(client->session, "transact", params,
                                        transact_reply, p);
    if (error && p->build) {
        retry_later(p);
        return 0;
    }
    return error;
}

static void
retry_queue_run(evutil_socket_t fd, short what, void *client_)
{
    struct ovsdb_client *client = client_;
    struct pending_txn *queue = client->retry_queue;
    client->retry_queue = NULL;
    /* Take the ones whose replica moved on; keep the others queued. */
    while (queue) {
        struct pending_txn *p = queue;
        queue = p->next;
        p->next = NULL;
        if (client->state == CONN_SYNCED && p->built_at != client->batches) {
            send_pending(p);
        } else {
            p->next = client->retry_queue;
            client->retry_queue = p;
        }
    }
}

static void
retry_queue_kick(struct ovsdb_client *client)
{
    /* Deferred to the event loop so that callbacks never nest. */
    event_assign(client->retry_event, event_get_base(client->retry_event),
                 -1, 0, retry_queue_run, client);
    event_active(client->retry_event, 0, 0);
}

int
ovsdb_client_transact(struct ovsdb_client *client, struct ovsdb_txn *txn,
                      ovsdb_client_txn_cb *cb, void *aux)
{
    if (!jsonrpc_session_is_connected(client->session)) {
        ovsdb_txn_destroy(txn);
        return -ENOTCONN;
    }
    struct pending_txn *p = pending_txn_new(client);
    p->txn = txn;
    p->cb = cb;
    p->aux = aux;
    int error = send_pending(p);
    if (error) {
        p->cb = NULL;
        pending_txn_free(p);
    }
    return error;
}

int
ovsdb_client_transact_retry(struct ovsdb_client *client,
                            ovsdb_client_txn_builder *build,
                            ovsdb_client_txn_cb *cb, void *aux,
                            int max_attempts)
{
    if (client->state != CONN_SYNCED) {
        return -ENOTCONN;
    }
    struct pending_txn *p = pending_txn_new(client);
    p->cb = cb;
    p->aux = aux;
    p->build = build;
    p->attempts_left = max_attempts > 0 ? max_attempts : 1;
    send_pending(p);
    return 0;
}

int
ovsdb_client_request(struct ovsdb_client *client, const char *method,
                     json_t *params, jsonrpc_reply_cb *cb, void *aux)
{
    return jsonrpc_session_request(client->session, method, params, cb, aux);
}

/* Locks. */

static struct held_lock *
find_lock(const struct ovsdb_client *client, const char *name)
{
    for (size_t i = 0; i < client->n_locks; i++) {
        if (!strcmp(client->locks[i].name, name)) {
            return &client->locks[i];
        }
    }
    return NULL;
}

void
client_lock_state_set(struct ovsdb_client *client, const char *name, bool locked)
{
    struct held_lock *lock = find_lock(client, name);
    if (lock && lock->locked != locked) {
        lock->locked = locked;
        if (client->cbs.lock_changed) {
            client->cbs.lock_changed(client->cbs.aux, name, locked);
        }
    }
}


struct lock_request {
    struct ovsdb_client *client;
    unsigned int seqno;
    char *name; /* NULL for an "unlock". */
    struct lock_request *prev, *next; /* In client->lock_requests. */
};

static void
lock_request_free(struct lock_request *req)
{
    if (req->prev) {
        req->prev->next = req->next;
    } else {
        req->client->lock_requests = req->next;
    }
    if (req->next) {
        req->next->prev = req->prev;
    }
    free(req->name);
    free(req);
}

static void
lock_reply(void *req_, json_t *result, const struct ovsdb_error *error)
{
    struct lock_request *req = req_;
    struct ovsdb_client *client = req->client;
    if (req->name && !error
        && req->seqno == jsonrpc_session_seqno(client->session)
        && json_is_true(json_object_get(result, "locked"))) {
        client_lock_state_set(client, req->name, true);
    }
    lock_request_free(req);
}

/* Sends "lock" or "unlock" for 'name'. */
static void
send_lock_request(struct ovsdb_client *client, const char *method,
                  const char *name)
{
    struct lock_request *req = calloc(1, sizeof *req);
    req->client = client;
    req->seqno = jsonrpc_session_seqno(client->session);
    req->name = strcmp(method, "lock") ? NULL : strdup(name);
    req->next = client->lock_requests;
    if (req->next) {
        req->next->prev = req;
    }
    client->lock_requests = req;
    if (jsonrpc_session_request(client->session, method,
                                json_pack("[s]", name), lock_reply,
                                req) < 0) {
        lock_request_free(req);
    }
}

static void
send_lock(struct ovsdb_client *client, const char *name)
{
    send_lock_request(client, "lock", name);
}

void
client_locks_resend(struct ovsdb_client *client)
{
    for (size_t i = 0; i < client->n_locks; i++) {
        send_lock(client, client->locks[i].name);
    }
}

int
ovsdb_client_lock(struct ovsdb_client *client, const char *name)
{
    if (find_lock(client, name)) {
        return 0;
    }
    client->locks = realloc(client->locks,
                            (client->n_locks + 1) * sizeof *client->locks);
    client->locks[client->n_locks++] = (struct held_lock){
        .name = strdup(name), .locked = false};
    if (client->state == CONN_SYNCED) {
        send_lock(client, name);
    }
    return 0;
}

int
ovsdb_client_unlock(struct ovsdb_client *client, const char *name)
{
    struct held_lock *lock = find_lock(client, name);
    if (!lock) {
        return -ENOENT;
    }
    bool was_locked = lock->locked;
    char *lock_name = lock->name;
    *lock = client->locks[--client->n_locks];
    if (jsonrpc_session_is_connected(client->session)) {
        send_lock_request(client, "unlock", lock_name);
    }
    if (was_locked && client->cbs.lock_changed) {
        client->cbs.lock_changed(client->cbs.aux, lock_name, false);
    }
    free(lock_name);
    return 0;
}

bool
ovsdb_client_has_lock(const struct ovsdb_client *client, const char *name)
{
    const struct held_lock *lock = find_lock(client, name);
    return lock && lock->locked;
}

/* Runs after each update batch: optimistic transactions waiting for a
 * newer replica may go. */
void
client_txn_batch_applied(struct ovsdb_client *client)
{
    if (client->retry_queue) {
        retry_queue_kick(client);
    }
}

/* Frees every unfinished transaction and lock request, without callbacks
 * (the client is being destroyed). */
void
client_txn_destroy_all(struct ovsdb_client *client)
{
    client->retry_queue = NULL;
    while (client->all_txns) {
        pending_txn_free(client->all_txns);
    }
    while (client->lock_requests) {
        lock_request_free(client->lock_requests);
    }
}
