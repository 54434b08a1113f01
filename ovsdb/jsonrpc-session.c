/* jsonrpc-session: see jsonrpc-session.h for the rules.
 *
 * How it works:
 * - The session is always in one of three states.  BACKOFF: no
 *   connection; 'timer' fires when the next attempt is due.  CONNECTING: a
 *   stream (stream.h) is being opened; 'timer' bounds how long that may
 *   take.  ACTIVE: the stream is up; 'timer' drives the inactivity probe.
 * - Every end of a connection or of an attempt goes through conn_down(),
 *   which closes the stream at once, moves the pending requests to the
 *   'orphans' list, keeps the error for the 'disconnected' callback, and
 *   activates 'deferred'.  The callbacks themselves run from 'deferred' (or
 *   at the latest just before the next attempt), so force_reconnect() and
 *   a failure seen inside any call run no callback from inside that call.
 *   A failed attempt is reported through 'disconnected' too, so that the
 *   user sees why nothing connects (a refused TLS certificate, say).
 * - Each entry point from the event loop holds a reference on the session
 *   and checks 'destroyed' after every user callback, so the user may
 *   destroy the session or force a reconnection from inside any callback.
 * - Requests get consecutive integer ids; the pending ones wait in a
 *   jsonrpc-pending.h list.
 * - The library writes to sockets, so a closed peer could raise SIGPIPE;
 *   jsonrpc_session_create() sets SIGPIPE to "ignore" when it is still at
 *   its default (which would kill the process).
 */
#include "jsonrpc-session.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "json-framer.h"
#include "jsonrpc-pending.h"
#include "jsonrpc-msg.h"
#include "ovsdb-error.h"
#include "remote.h"
#include "stream.h"

enum session_state { S_BACKOFF, S_CONNECTING, S_ACTIVE };

struct jsonrpc_session {
    struct event_base *base;
    struct ovsdb_remote_list remotes;
    size_t cur; /* Index in 'remotes' of the remote used or tried. */
    SSL_CTX *ssl_ctx;
    int min_backoff_ms, max_backoff_ms, probe_interval_ms, connect_timeout_ms;
    size_t max_msg_size;
    void (*log)(void *aux, enum jsonrpc_log_level, const char *msg);
    void *log_aux;
    struct jsonrpc_session_callbacks cbs;

    enum session_state state;
    struct bufferevent *bev;    /* CONNECTING and ACTIVE. */
    bool tls_started;           /* 'bev' is the TLS stream. */
    struct json_framer *framer; /* ACTIVE. */
    bool received;              /* A message came on this connection. */
    bool probe_sent;            /* Echo sent, nothing received since. */
    long long last_rx_ms;       /* When bytes last came in. */
    int backoff_ms;             /* Wait after the last failure. */

    struct event *timer;    /* Next attempt, connect timeout, or probe. */
    struct event *deferred; /* Runs the queued callbacks. */

    struct jsonrpc_pending_list pending; /* On the current connection. */
    struct jsonrpc_pending_list orphans; /* Their connection was lost. */
    struct ovsdb_error *down_error;      /* For the 'disconnected' callback. */

    json_int_t next_id;
    unsigned int seqno;
    int refcount;
    bool destroyed;
};

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
arm_timer(struct jsonrpc_session *s, long long ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000};
    evtimer_add(s->timer, &tv);
}

static void __attribute__((format(printf, 3, 4)))
session_log(struct jsonrpc_session *s, enum jsonrpc_log_level level,
            const char *fmt, ...)
{
    if (s->log) {
        char *msg;
        va_list args;
        va_start(args, fmt);
        int n = vasprintf(&msg, fmt, args);
        va_end(args);
        if (n >= 0) {
            s->log(s->log_aux, level, msg);
            free(msg);
        }
    }
}

static const char *
cur_name(const struct jsonrpc_session *s)
{
    return s->remotes.remotes[s->cur].name;
}

/* References, so that the user may destroy the session from a callback. */

static void
session_ref(struct jsonrpc_session *s)
{
    s->refcount++;
}

static void
session_unref(struct jsonrpc_session *s)
{
    if (--s->refcount == 0) {
        event_free(s->timer);
        event_free(s->deferred);
        SSL_CTX_free(s->ssl_ctx);
        ovsdb_remote_list_clear(&s->remotes);
        free(s);
    }
}

/* Connections. */

static void
conn_close_stream(struct jsonrpc_session *s)
{
    if (s->bev) {
        bufferevent_free(s->bev);
        s->bev = NULL;
    }
    json_framer_destroy(s->framer);
    s->framer = NULL;
}

/* Ends the connection or attempt in progress because of 'error' (stolen),
 * logged at 'level'.  Runs no callback: they are queued for 'deferred'.
 * With 'forced' the next attempt starts at once, otherwise after the
 * backoff. */
static void
conn_down(struct jsonrpc_session *s, struct ovsdb_error *error,
          enum jsonrpc_log_level level, bool forced)
{
    if (s->state == S_ACTIVE) {
        s->seqno++;
    }
    session_log(s, level, "%s", error->msg);
    conn_close_stream(s);
    jsonrpc_pending_move_all(&s->orphans, &s->pending);
    ovsdb_error_free(s->down_error);
    s->down_error = error;

    if (!forced) {
        if (s->received || !s->backoff_ms) {
            s->backoff_ms = s->min_backoff_ms;
        } else {
            s->backoff_ms *= 2;
            if (s->backoff_ms > s->max_backoff_ms) {
                s->backoff_ms = s->max_backoff_ms;
            }
        }
    }
    s->received = false;
    s->state = S_BACKOFF;
    s->cur = (s->cur + 1) % s->remotes.n;
    int delay = forced ? 0 : s->backoff_ms;
    session_log(s, JSONRPC_LOG_INFO, "%s: next connection attempt in %d ms.",
                cur_name(s), delay);
    arm_timer(s, delay);
    event_active(s->deferred, 0, 0);
}

/* Runs the callbacks that conn_down() queued.  Returns false if a callback
 * destroyed the session. */
static bool
deliver_queued(struct jsonrpc_session *s)
{
    struct jsonrpc_pending *p;
    while ((p = jsonrpc_pending_pop(&s->orphans))) {
        if (p->cb) {
            struct ovsdb_error *e = ovsdb_error_new(
                -ECONNRESET, NULL,
                "%s The connection ended before the reply came.",
                s->down_error ? s->down_error->msg : "Connection lost.");
            p->cb(p->aux, NULL, e);
            ovsdb_error_free(e);
        }
        free(p);
        if (s->destroyed) {
            return false;
        }
    }
    if (s->down_error) {
        struct ovsdb_error *e = s->down_error;
        s->down_error = NULL;
        if (s->cbs.disconnected) {
            s->cbs.disconnected(s->cbs.aux, e);
        }
        ovsdb_error_free(e);
    }
    return !s->destroyed;
}

static void
free_text(const void *data, size_t len, void *aux)
{
    free((void *)data);
}

/* Serializes and queues 'msg' (always taken) on the connection.  Like
 * every allocation failure here, running out of memory aborts. */
static void
send_msg(struct jsonrpc_session *s, struct jsonrpc_msg *msg)
{
    json_t *json = jsonrpc_msg_to_json(msg);
    jsonrpc_msg_free(msg);
    char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
    json_decref(json);
    /* The buffer takes the string as it is and frees it once sent. */
    struct evbuffer *out = bufferevent_get_output(s->bev);
    if (!text ||
        evbuffer_add_reference(out, text, strlen(text), free_text, NULL)) {
        abort();
    }
}

/* Sends 'method' with 'params' (stolen) and records the reply callback. */
static void
send_request(struct jsonrpc_session *s, const char *method, json_t *params,
             jsonrpc_reply_cb *cb, void *aux)
{
    json_int_t id = s->next_id++;
    send_msg(s, jsonrpc_msg_request(method, params, id));
    jsonrpc_pending_add(&s->pending, id, cb, aux);
}

/* Ends the connection because the server sent bad input: 'error' (stolen)
 * says what. */
static void
conn_protocol_error(struct jsonrpc_session *s, struct ovsdb_error *error)
{
    struct ovsdb_error *e =
        ovsdb_error_new(error->code, NULL, "%s: bad input from the server: %s",
                        cur_name(s), error->msg);
    ovsdb_error_free(error);
    conn_down(s, e, JSONRPC_LOG_ERR, false);
}

/* Returns a new error for a server's error reply 'error' (borrowed). */
static struct ovsdb_error *
server_error(const json_t *error)
{
    const char *tag = json_string_value(json_object_get(error, "error"));
    const char *details = json_string_value(json_object_get(error, "details"));
    if (tag) {
        return ovsdb_error_new_details(
            -EPROTO, tag, details, "Server error: %s%s%s", tag,
            details ? ": " : "", details ? details : "");
    }
    char *text = json_dumps(error, JSON_COMPACT | JSON_ENCODE_ANY);
    struct ovsdb_error *e = ovsdb_error_new(-EPROTO, NULL, "Server error: %s",
                                            text ? text : "(unprintable)");
    free(text);
    return e;
}

/* Acts on one message 'msg' from the server. */
static void
handle_message(struct jsonrpc_session *s, struct jsonrpc_msg *msg)
{
    struct jsonrpc_pending *p = NULL;

    switch (msg->type) {
    case JSONRPC_REQUEST:
        if (!strcmp(msg->method, "echo")) {
            send_msg(s, jsonrpc_msg_reply(json_incref(msg->params), msg->id));
        } else if (s->cbs.message) {
            s->cbs.message(s->cbs.aux, msg->method, msg->params, msg->id);
        } else {
            conn_protocol_error(s,
                                ovsdb_error_new(-EPROTO, NULL,
                                                "unknown request method '%s'.",
                                                msg->method));
        }
        break;

    case JSONRPC_NOTIFY:
        if (s->cbs.message) {
            s->cbs.message(s->cbs.aux, msg->method, msg->params, NULL);
        } else {
            session_log(s, JSONRPC_LOG_DEBUG, "%s: ignored notification %s.",
                        cur_name(s), msg->method);
        }
        break;

    case JSONRPC_REPLY:
    case JSONRPC_ERROR:
        if (json_is_integer(msg->id)) {
            p = jsonrpc_pending_take(&s->pending, json_integer_value(msg->id));
        }
        if (!p) {
            char *id = json_dumps(msg->id, JSON_COMPACT | JSON_ENCODE_ANY);
            conn_protocol_error(
                s, ovsdb_error_new(
                       -EPROTO, NULL, "%s to unknown request id %s.",
                       jsonrpc_msg_type_name(msg->type), id ? id : "?"));
            free(id);
            break;
        }
        if (p->cb && msg->type == JSONRPC_REPLY) {
            p->cb(p->aux, msg->result, NULL);
        } else if (p->cb) {
            struct ovsdb_error *e = server_error(msg->error);
            p->cb(p->aux, NULL, e);
            ovsdb_error_free(e);
        }
        free(p);
        break;
    }
}

/* Takes complete messages out of the framer and acts on them.  Returns
 * false if the connection or the session is gone. */
static bool
process_messages(struct jsonrpc_session *s)
{
    struct bufferevent *bev = s->bev;
    for (;;) {
        struct ovsdb_error *error = NULL;
        json_t *json = NULL;
        int n = json_framer_pop(s->framer, &json, &error);
        if (n == 0) {
            return true;
        } else if (n < 0) {
            conn_protocol_error(s, error);
            return false;
        }

        struct jsonrpc_msg *msg;
        n = jsonrpc_msg_from_json(json, &msg, &error);
        json_decref(json);
        if (n < 0) {
            conn_protocol_error(s, error);
            return false;
        }
        s->received = true;
        handle_message(s, msg);
        jsonrpc_msg_free(msg);
        if (s->destroyed || s->bev != bev || s->state != S_ACTIVE) {
            return false;
        }
    }
}

static void
read_cb(struct bufferevent *bev, void *s_)
{
    struct jsonrpc_session *s = s_;
    struct evbuffer *in = bufferevent_get_input(bev);

    if (!s->framer) {
        return;
    }
    session_ref(s);
    s->last_rx_ms = now_ms();
    s->probe_sent = false;
    while (evbuffer_get_length(in) > 0) {
        /* Feed the buffer's own chunks to the framer, without copying. */
        struct evbuffer_iovec vec[16];
        int n = evbuffer_peek(in, -1, NULL, vec, 16);
        size_t total = 0;
        for (int i = 0; i < n && i < 16; i++) {
            struct ovsdb_error *error = NULL;
            if (json_framer_push(s->framer, vec[i].iov_base, vec[i].iov_len,
                                 &error) < 0) {
                conn_protocol_error(s, error);
                goto out;
            }
            total += vec[i].iov_len;
        }
        evbuffer_drain(in, total);
        if (!process_messages(s)) {
            goto out;
        }
    }
out:
    session_unref(s);
}

static void
conn_up(struct jsonrpc_session *s)
{
    s->state = S_ACTIVE;
    s->seqno++;
    s->received = false;
    s->probe_sent = false;
    s->last_rx_ms = now_ms();
    s->framer = json_framer_create(s->max_msg_size);
    session_log(s, JSONRPC_LOG_INFO, "%s: connected.", cur_name(s));
    if (s->probe_interval_ms > 0) {
        arm_timer(s, s->probe_interval_ms);
    } else {
        evtimer_del(s->timer);
    }

    /* Reading starts after the 'connected' callback, so that no message
     * comes before it. */
    struct bufferevent *bev = s->bev;
    bufferevent_enable(bev, EV_WRITE);
    if (s->cbs.connected) {
        s->cbs.connected(s->cbs.aux, cur_name(s));
    }
    if (!s->destroyed && s->bev == bev) {
        bufferevent_enable(bev, EV_READ);
    }
}

static void
event_cb(struct bufferevent *bev, short events, void *s_)
{
    struct jsonrpc_session *s = s_;
    int sys_errno = errno;

    session_ref(s);
    const struct ovsdb_remote *remote = &s->remotes.remotes[s->cur];
    if (events & BEV_EVENT_CONNECTED && s->state == S_CONNECTING) {
        struct ovsdb_error *error = NULL;
        if (remote->kind != OVSDB_REMOTE_SSL || s->tls_started) {
            conn_up(s);
        } else if (ovsdb_stream_start_tls(&s->bev, remote, s->ssl_ctx,
                                          &error) < 0) {
            conn_down(s, error, JSONRPC_LOG_WARN, false);
        } else {
            /* Connected again once the handshake is done. */
            s->tls_started = true;
            bufferevent_setcb(s->bev, read_cb, NULL, event_cb, s);
        }
    } else if (events & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
        struct ovsdb_error *error = ovsdb_stream_error(
            bev, remote, events, sys_errno, s->state == S_ACTIVE);
        conn_down(s, error, JSONRPC_LOG_WARN, false);
    }
    session_unref(s);
}

/* Starts an attempt to connect to the current remote. */
static void
conn_start(struct jsonrpc_session *s)
{
    struct ovsdb_error *error = NULL;
    struct bufferevent *bev;

    session_log(s, JSONRPC_LOG_DEBUG, "%s: connecting...", cur_name(s));
    s->state = S_CONNECTING;
    s->tls_started = false;
    if (ovsdb_stream_open(s->base, &s->remotes.remotes[s->cur], &bev, &error) <
        0) {
        conn_down(s, error, JSONRPC_LOG_WARN, false);
        return;
    }
    s->bev = bev;
    bufferevent_setcb(bev, read_cb, NULL, event_cb, s);
    arm_timer(s, s->connect_timeout_ms);
}

/* Sends an inactivity probe or gives up on a silent server. */
static void
run_probe(struct jsonrpc_session *s)
{
    long long idle = now_ms() - s->last_rx_ms;
    if (idle < s->probe_interval_ms) {
        arm_timer(s, s->probe_interval_ms - idle);
    } else if (!s->probe_sent) {
        session_log(s, JSONRPC_LOG_DEBUG,
                    "%s: idle for %lld ms, sending inactivity probe.",
                    cur_name(s), idle);
        send_request(s, "echo", json_array(), NULL, NULL);
        s->probe_sent = true;
        arm_timer(s, s->probe_interval_ms);
    } else {
        conn_down(s,
                  ovsdb_error_new(-ETIMEDOUT, NULL,
                                  "%s: no response to inactivity probe "
                                  "after %d ms, disconnecting.",
                                  cur_name(s), s->probe_interval_ms),
                  JSONRPC_LOG_WARN, false);
    }
}

static void
timer_cb(evutil_socket_t fd, short what, void *s_)
{
    struct jsonrpc_session *s = s_;

    session_ref(s);
    switch (s->state) {
    case S_BACKOFF:
        /* The callbacks of the last failure run before the next attempt;
         * one of them may have rescheduled it. */
        if (deliver_queued(s) && s->state == S_BACKOFF &&
            !evtimer_pending(s->timer, NULL)) {
            conn_start(s);
        }
        break;
    case S_CONNECTING:
        conn_down(s,
                  ovsdb_error_new(-ETIMEDOUT, NULL,
                                  "%s: connection timed out after %d ms.",
                                  cur_name(s), s->connect_timeout_ms),
                  JSONRPC_LOG_WARN, false);
        break;
    case S_ACTIVE:
        run_probe(s);
        break;
    }
    session_unref(s);
}

static void
deferred_cb(evutil_socket_t fd, short what, void *s_)
{
    struct jsonrpc_session *s = s_;
    session_ref(s);
    deliver_queued(s);
    session_unref(s);
}

/* Public functions. */

int
jsonrpc_session_create(struct event_base *base,
                       const struct jsonrpc_session_options *options,
                       const struct jsonrpc_session_callbacks *callbacks,
                       struct jsonrpc_session **sessionp,
                       struct ovsdb_error **errorp)
{
    struct ovsdb_remote_list remotes;
    struct ovsdb_error *error = NULL;
    SSL_CTX *ssl_ctx = NULL;

    if (!options->remotes) {
        return ovsdb_error_set(errorp, ovsdb_error_new(-EINVAL, NULL,
                                                       "No remote to connect "
                                                       "to."));
    }
    if (ovsdb_remote_list_parse(options->remotes, &remotes, errorp) < 0) {
        return -EINVAL;
    }
    for (size_t i = 0; i < remotes.n; i++) {
        if (remotes.remotes[i].kind == OVSDB_REMOTE_SSL) {
            if (ovsdb_tls_ctx_create(&options->tls, &ssl_ctx, &error) < 0) {
                ovsdb_remote_list_clear(&remotes);
                error->code = -EINVAL;
                return ovsdb_error_set(errorp, error);
            }
            break;
        }
    }

    struct sigaction sa;
    if (!sigaction(SIGPIPE, NULL, &sa) && sa.sa_handler == SIG_DFL &&
        !(sa.sa_flags & SA_SIGINFO)) {
        signal(SIGPIPE, SIG_IGN);
    }

    struct jsonrpc_session *s = calloc(1, sizeof *s);
    if (!s) {
        abort();
    }
    s->base = base;
    s->remotes = remotes;
    s->ssl_ctx = ssl_ctx;
    s->min_backoff_ms =
        options->min_backoff_ms > 0 ? options->min_backoff_ms : 100;
    s->max_backoff_ms =
        options->max_backoff_ms > 0 ? options->max_backoff_ms : 8000;
    if (s->max_backoff_ms < s->min_backoff_ms) {
        s->max_backoff_ms = s->min_backoff_ms;
    }
    s->probe_interval_ms =
        options->probe_interval_ms == 0 ? 5000 : options->probe_interval_ms;
    /* A connection or handshake that hangs is given up after one probe
     * interval, but never less than a second. */
    s->connect_timeout_ms = s->probe_interval_ms > 1000 ? s->probe_interval_ms
                            : s->probe_interval_ms > 0  ? 1000
                                                        : 5000;
    s->max_msg_size = options->max_msg_size;
    s->log = options->log;
    s->log_aux = options->log_aux;
    if (callbacks) {
        s->cbs = *callbacks;
    }
    s->state = S_BACKOFF;
    s->next_id = 1;
    s->refcount = 1;
    s->timer = evtimer_new(base, timer_cb, s);
    s->deferred = event_new(base, -1, 0, deferred_cb, s);
    if (!s->timer || !s->deferred) {
        abort();
    }
    /* The first attempt starts from the event loop. */
    arm_timer(s, 0);
    *sessionp = s;
    return 0;
}

void
jsonrpc_session_destroy(struct jsonrpc_session *s)
{
    if (!s || s->destroyed) {
        return;
    }
    s->destroyed = true;
    conn_close_stream(s);
    jsonrpc_pending_clear(&s->pending);
    jsonrpc_pending_clear(&s->orphans);
    ovsdb_error_free(s->down_error);
    s->down_error = NULL;
    evtimer_del(s->timer);
    event_del(s->deferred);
    session_unref(s);
}

/* Returns true if 's' has a connection to send on; otherwise drops 'json'
 * (stolen). */
static bool
can_send(struct jsonrpc_session *s, json_t *json)
{
    if (s->state != S_ACTIVE || s->destroyed) {
        json_decref(json);
        return false;
    }
    return true;
}

int
jsonrpc_session_request(struct jsonrpc_session *s, const char *method,
                        json_t *params, jsonrpc_reply_cb *cb, void *aux)
{
    if (!can_send(s, params)) {
        return -ENOTCONN;
    }
    send_request(s, method, params, cb, aux);
    return 0;
}

int
jsonrpc_session_notify(struct jsonrpc_session *s, const char *method,
                       json_t *params)
{
    if (!can_send(s, params)) {
        return -ENOTCONN;
    }
    send_msg(s, jsonrpc_msg_notify(method, params));
    return 0;
}

int
jsonrpc_session_reply(struct jsonrpc_session *s, json_t *result,
                      const json_t *id)
{
    if (!can_send(s, result)) {
        return -ENOTCONN;
    }
    send_msg(s, jsonrpc_msg_reply(result, id));
    return 0;
}

void
jsonrpc_session_force_reconnect(struct jsonrpc_session *s)
{
    if (s->destroyed) {
        return;
    }
    if (s->state == S_BACKOFF) {
        arm_timer(s, 0);
    } else {
        conn_down(s,
                  ovsdb_error_new(-ECONNABORTED, NULL,
                                  "%s: connection dropped to reconnect.",
                                  cur_name(s)),
                  JSONRPC_LOG_INFO, true);
    }
}

bool
jsonrpc_session_is_connected(const struct jsonrpc_session *s)
{
    return s->state == S_ACTIVE && !s->destroyed;
}

const char *
jsonrpc_session_remote(const struct jsonrpc_session *s)
{
    return cur_name(s);
}

unsigned int
jsonrpc_session_seqno(const struct jsonrpc_session *s)
{
    return s->seqno;
}
