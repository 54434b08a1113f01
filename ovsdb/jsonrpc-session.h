/* jsonrpc-session: a reconnecting JSON-RPC connection to an OVSDB server.
 *
 * A session owns one connection at a time to one of its remotes (see
 * remote.h), on a libevent base.  It frames and decodes messages
 * (json-framer, jsonrpc-msg), matches replies to requests by id, answers
 * the server's "echo" requests itself, and probes an idle connection with
 * its own "echo".  When a connection fails or closes it moves to the next
 * remote of the list after an exponential backoff (min_backoff_ms doubling
 * up to max_backoff_ms; reset once a connection has been up).
 *
 * Rules of this module:
 * - Callbacks run from the event loop, never from inside a call the user
 *   made (except jsonrpc_session_destroy(), which runs none).
 * - Every request made on a connection gets exactly one reply callback:
 *   with the result, with the server's error, or with a local error
 *   (-ECONNRESET) when the connection is lost first.
 * - Bad input from the server (malformed JSON, oversize message, a reply
 *   to an unknown id, an unknown request method, a malformed message) ends
 *   that connection with a logged error naming what was wrong; the session
 *   then reconnects as after any other failure.
 * - Logging goes through the log hook of the options (library code does
 *   not print by itself).
 */
#ifndef JSONRPC_SESSION_H
#define JSONRPC_SESSION_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "tls.h"

struct event_base;
struct ovsdb_error;
struct jsonrpc_session;

enum jsonrpc_log_level { JSONRPC_LOG_DEBUG, JSONRPC_LOG_INFO, JSONRPC_LOG_WARN,
                         JSONRPC_LOG_ERR };

struct jsonrpc_session_options {
    const char *remotes;           /* Comma-separated remote list. */
    struct ovsdb_tls_config tls;   /* Needed when any remote is ssl:. */
    int min_backoff_ms;            /* 0: default 100. */
    int max_backoff_ms;            /* 0: default 8000. */
    int probe_interval_ms;         /* 0: default 5000; <0: no probing. */
    size_t max_msg_size;           /* 0: default 64 MiB. */
    /* Log hook, may be NULL (then nothing is logged). */
    void (*log)(void *aux, enum jsonrpc_log_level, const char *msg);
    void *log_aux;
};

struct jsonrpc_session_callbacks {
    /* A new connection is up ('remote' is its name). */
    void (*connected)(void *aux, const char *remote);
    /* The connection went down; 'error' says why (borrowed). */
    void (*disconnected)(void *aux, const struct ovsdb_error *error);
    /* A notification, or a request other than "echo" (for which the
     * session itself replies).  'params' is borrowed.  For a request, 'id'
     * is non-NULL (borrowed) and the user answers with
     * jsonrpc_session_reply(); for a notification 'id' is NULL. */
    void (*message)(void *aux, const char *method, json_t *params,
                    const json_t *id);
    void *aux;
};

/* Reply callback: exactly one of 'result' (borrowed) and 'error' (borrowed)
 * is non-NULL.  For a server error reply, error->tag is the server's
 * "error" string when the error is an object with one, and error->code is
 * -EPROTO; for a lost connection error->code is -ECONNRESET. */
typedef void jsonrpc_reply_cb(void *aux, json_t *result,
                              const struct ovsdb_error *error);

/* Creates a session and starts connecting.  Returns 0 and stores it in
 * '*sessionp', or -EINVAL with '*errorp' set for a bad remote list or TLS
 * configuration. */
int jsonrpc_session_create(struct event_base *base,
                           const struct jsonrpc_session_options *options,
                           const struct jsonrpc_session_callbacks *callbacks,
                           struct jsonrpc_session **sessionp,
                           struct ovsdb_error **errorp);

/* Closes the connection and frees 'session' without running callbacks
 * (pending reply callbacks are dropped).  Accepts NULL. */
void jsonrpc_session_destroy(struct jsonrpc_session *session);

/* Sends a request.  'params' is stolen.  Returns 0, or -ENOTCONN when
 * there is no connection (then 'cb' will not run). */
int jsonrpc_session_request(struct jsonrpc_session *session,
                            const char *method, json_t *params,
                            jsonrpc_reply_cb *cb, void *aux);

/* Sends a notification (no reply expected).  'params' is stolen.  Returns
 * 0 or -ENOTCONN. */
int jsonrpc_session_notify(struct jsonrpc_session *session,
                           const char *method, json_t *params);

/* Replies to a request received through the 'message' callback.  'result'
 * is stolen, 'id' borrowed. */
int jsonrpc_session_reply(struct jsonrpc_session *session, json_t *result,
                          const json_t *id);

/* Drops the current connection (if any) and connects to the next remote
 * of the list without backoff.  Pending replies fail with -ECONNRESET. */
void jsonrpc_session_force_reconnect(struct jsonrpc_session *session);

bool jsonrpc_session_is_connected(const struct jsonrpc_session *session);

/* Name of the remote connected or being tried. */
const char *jsonrpc_session_remote(const struct jsonrpc_session *session);

/* Increases each time a connection comes up or goes down. */
unsigned int jsonrpc_session_seqno(const struct jsonrpc_session *session);

#endif /* jsonrpc-session.h */
