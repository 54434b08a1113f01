/* Functional tests of ovsdb/jsonrpc-session against a real ovsdb-server
 * (over unix:, tcp: and ssl:) and against small fake servers written
 * here, which misbehave on purpose: silence, garbage, oversize messages,
 * replies to unknown ids, their own requests. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>

#include "jsonrpc-session.h"
#include "ovsdb-error.h"
#include "sandbox.h"

#define SCHEMA "/usr/share/openvswitch/vswitch.ovsschema"

/* Everything the tests share: one sandbox, its certificates, and one
 * ovsdb-server listening on unix:, tcp: and ssl:. */
struct env {
    char *dir;
    struct sbx_ca ca, rogue_ca;
    struct sbx_cert server, client, rogue_client;
    struct sbx_ovsdb db;
    struct sbx_ovsdb_config db_config;
};
static struct env *env;

/* A fake server on a Unix socket in the sandbox: accepts one connection at
 * a time, records what it receives, sends what the test tells it to. */
struct fake {
    char *path;
    char *remote;
    int listen_fd;
    struct event *accept_ev;
    int conn_fd;
    struct event *read_ev;
    char *greeting; /* Sent on each accepted connection, or NULL. */
    int n_accepted;
    char rx[65536];
    size_t rx_len;
};

/* What one request saw: its reply callback's arguments. */
struct reply {
    struct client *c;
    int n_calls;
    json_t *result;
    struct ovsdb_error *error;
    bool destroy_session; /* Destroy the session from the callback. */
};

enum action { ACT_NONE, ACT_DESTROY, ACT_RECONNECT };

/* One test's client: a session on its own event base, and what its
 * callbacks saw. */
struct client {
    struct event_base *base;
    struct jsonrpc_session *session;
    bool in_user_call; /* A callback while this is set is a bug. */
    bool reentered;

    int n_connected;
    char *connected_remote;
    long long t_connected;

    int n_disconnected;
    struct ovsdb_error *last_error;
    long long t_disconnected[64];

    int n_messages;
    char *last_method;
    json_t *last_params;
    json_t *last_id;
    bool answer_requests; /* Reply to requests with their params. */

    enum action on_connect, on_disconnect, on_message;

    char *log;
    size_t log_len;

    struct fake *fake;
};

/* Sandbox setup, once for all tests. */

static int
group_setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    env = calloc(1, sizeof *env);
    env->dir = sbx_mkdtemp("jsonrpc-session");
    if (!env->dir) {
        return -1;
    }
    if (sbx_ca_create(env->dir, "ca", &env->ca) ||
        sbx_ca_create(env->dir, "rogue", &env->rogue_ca) ||
        sbx_cert_create(&env->ca, env->dir, "server", &env->server) ||
        sbx_cert_create(&env->ca, env->dir, "client", &env->client) ||
        sbx_cert_create(&env->rogue_ca, env->dir, "rogue-client",
                        &env->rogue_client)) {
        return -1;
    }
    sbx_ovsdb_init(&env->db, env->dir, "db");
    if (sbx_ovsdb_create_db(&env->db, SCHEMA)) {
        return -1;
    }
    env->db_config = (struct sbx_ovsdb_config){
        .tcp = true,
        .ssl = true,
        .private_key = env->server.key,
        .certificate = env->server.cert,
        .ca_cert = env->ca.cert,
    };
    return sbx_ovsdb_start(&env->db, &env->db_config) ? -1 : 0;
}

static int
group_teardown(void **state)
{
    if (env) {
        sbx_ovsdb_clear(&env->db);
        sbx_cert_clear(&env->server);
        sbx_cert_clear(&env->client);
        sbx_cert_clear(&env->rogue_client);
        sbx_ca_clear(&env->ca);
        sbx_ca_clear(&env->rogue_ca);
        if (env->dir) {
            sbx_rmtree(env->dir);
            free(env->dir);
        }
        free(env);
        env = NULL;
    }
    return 0;
}

/* Fake servers. */

static void
fake_read_cb(evutil_socket_t fd, short what, void *f_)
{
    struct fake *f = f_;
    ssize_t n = read(fd, f->rx + f->rx_len, sizeof f->rx - 1 - f->rx_len);
    if (n > 0) {
        f->rx_len += n;
        f->rx[f->rx_len] = '\0';
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        event_free(f->read_ev);
        f->read_ev = NULL;
        close(f->conn_fd);
        f->conn_fd = -1;
    }
}

/* Writes 'text' to the fake's client. */
static void
fake_send(struct fake *f, const char *text)
{
    assert_true(f->conn_fd >= 0);
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t n = write(f->conn_fd, text, len);
        assert_true(n > 0);
        text += n;
        len -= n;
    }
}

static void
fake_accept_cb(evutil_socket_t fd, short what, void *f_)
{
    struct fake *f = f_;
    int conn = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (conn < 0) {
        return;
    }
    if (f->conn_fd >= 0) {
        event_free(f->read_ev);
        close(f->conn_fd);
    }
    f->n_accepted++;
    f->conn_fd = conn;
    f->rx_len = 0;
    f->rx[0] = '\0';
    f->read_ev = event_new(event_get_base(f->accept_ev), conn,
                           EV_READ | EV_PERSIST, fake_read_cb, f);
    event_add(f->read_ev, NULL);
    if (f->greeting) {
        fake_send(f, f->greeting);
    }
}

/* Starts listening on 'f''s socket, already created and bound. */
static struct fake *
fake_listen(struct fake *f, struct event_base *base, const char *greeting)
{
    f->greeting = greeting ? strdup(greeting) : NULL;
    f->conn_fd = -1;
    assert_int_equal(listen(f->listen_fd, 8), 0);
    f->accept_ev =
        event_new(base, f->listen_fd, EV_READ | EV_PERSIST, fake_accept_cb, f);
    event_add(f->accept_ev, NULL);
    return f;
}

/* Returns a fake server on Unix socket DIR/'name'.sock. */
static struct fake *
fake_create(struct event_base *base, const char *name, const char *greeting)
{
    struct fake *f = calloc(1, sizeof *f);
    char *file = NULL;
    assert_true(asprintf(&file, "%s.sock", name) > 0);
    f->path = sbx_path(env->dir, file);
    free(file);
    assert_true(asprintf(&f->remote, "unix:%s", f->path) > 0);

    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    assert_true(strlen(f->path) < sizeof sun.sun_path);
    strcpy(sun.sun_path, f->path);
    unlink(f->path);
    f->listen_fd =
        socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(f->listen_fd >= 0);
    assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sun, sizeof sun),
                     0);
    return fake_listen(f, base, greeting);
}

/* Returns a fake server on a TCP port of 127.0.0.1, named as a remote of
 * type 'type' ("tcp" or "ssl"). */
static struct fake *
fake_create_tcp(struct event_base *base, const char *type,
                const char *greeting)
{
    struct fake *f = calloc(1, sizeof *f);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof sin;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->listen_fd =
        socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(f->listen_fd >= 0);
    assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sin, sizeof sin),
                     0);
    assert_int_equal(getsockname(f->listen_fd, (struct sockaddr *)&sin, &len),
                     0);
    assert_true(asprintf(&f->remote, "%s:127.0.0.1:%d", type,
                         ntohs(sin.sin_port)) > 0);
    return fake_listen(f, base, greeting);
}

static void
fake_destroy(struct fake *f)
{
    if (f) {
        if (f->read_ev) {
            event_free(f->read_ev);
        }
        if (f->conn_fd >= 0) {
            close(f->conn_fd);
        }
        event_free(f->accept_ev);
        close(f->listen_fd);
        if (f->path) {
            unlink(f->path);
        }
        free(f->path);
        free(f->remote);
        free(f->greeting);
        free(f);
    }
}

/* Client callbacks. */

static void
log_cb(void *c_, enum jsonrpc_log_level level, const char *msg)
{
    static const char *names[] = {"DBG", "INFO", "WARN", "ERR"};
    struct client *c = c_;
    char *line = NULL;
    int n = asprintf(&line, "%s %s\n", names[level], msg);
    assert_true(n > 0);
    c->log = realloc(c->log, c->log_len + n + 1);
    memcpy(c->log + c->log_len, line, n + 1);
    c->log_len += n;
    if (getenv("FABRIC_TEST_VERBOSE")) {
        fputs(line, stderr);
    }
    free(line);
}

static void
check_reentry(struct client *c)
{
    if (c->in_user_call) {
        c->reentered = true;
    }
}

static void
act(struct client *c, enum action action)
{
    if (action == ACT_DESTROY) {
        jsonrpc_session_destroy(c->session);
        c->session = NULL;
    } else if (action == ACT_RECONNECT) {
        jsonrpc_session_force_reconnect(c->session);
    }
}

static void
connected_cb(void *c_, const char *remote)
{
    struct client *c = c_;
    check_reentry(c);
    c->n_connected++;
    c->t_connected = sbx_now_ms();
    free(c->connected_remote);
    c->connected_remote = strdup(remote);
    act(c, c->on_connect);
}

static void
disconnected_cb(void *c_, const struct ovsdb_error *error)
{
    struct client *c = c_;
    check_reentry(c);
    if (c->n_disconnected < 64) {
        c->t_disconnected[c->n_disconnected] = sbx_now_ms();
    }
    c->n_disconnected++;
    ovsdb_error_free(c->last_error);
    c->last_error = ovsdb_error_clone(error);
    act(c, c->on_disconnect);
}

static void
message_cb(void *c_, const char *method, json_t *params, const json_t *id)
{
    struct client *c = c_;
    check_reentry(c);
    c->n_messages++;
    free(c->last_method);
    c->last_method = strdup(method);
    json_decref(c->last_params);
    c->last_params = json_incref(params);
    json_decref(c->last_id);
    c->last_id = id ? json_deep_copy(id) : NULL;
    if (id && c->answer_requests) {
        jsonrpc_session_reply(c->session, json_incref(params), id);
    }
    act(c, c->on_message);
}

static void
reply_cb(void *r_, json_t *result, const struct ovsdb_error *error)
{
    struct reply *r = r_;
    check_reentry(r->c);
    assert_true((result != NULL) != (error != NULL));
    r->n_calls++;
    json_decref(r->result);
    r->result = result ? json_incref(result) : NULL;
    ovsdb_error_free(r->error);
    r->error = error ? ovsdb_error_clone(error) : NULL;
    if (r->destroy_session) {
        jsonrpc_session_destroy(r->c->session);
        r->c->session = NULL;
    }
}

static void
reply_clear(struct reply *r)
{
    json_decref(r->result);
    ovsdb_error_free(r->error);
    memset(r, 0, sizeof *r);
}

/* Client helpers. */

static int
client_setup(void **state)
{
    struct client *c = calloc(1, sizeof *c);
    c->base = event_base_new();
    *state = c;
    /* A test that killed the server may have failed before restarting
     * it. */
    if (!env->db.pid && sbx_ovsdb_start(&env->db, &env->db_config)) {
        return -1;
    }
    return 0;
}

static int
client_teardown(void **state)
{
    struct client *c = *state;
    jsonrpc_session_destroy(c->session);
    fake_destroy(c->fake);
    event_base_free(c->base);
    free(c->connected_remote);
    ovsdb_error_free(c->last_error);
    free(c->last_method);
    json_decref(c->last_params);
    json_decref(c->last_id);
    free(c->log);
    free(c);
    return 0;
}

static struct jsonrpc_session_options
default_options(struct client *c, const char *remotes)
{
    return (struct jsonrpc_session_options){
        .remotes = remotes,
        .min_backoff_ms = 50,
        .max_backoff_ms = 400,
        .probe_interval_ms = -1,
        .log = log_cb,
        .log_aux = c,
    };
}

static void
client_start_opts(struct client *c,
                  const struct jsonrpc_session_options *options)
{
    struct jsonrpc_session_callbacks cbs = {
        .connected = connected_cb,
        .disconnected = disconnected_cb,
        .message = message_cb,
        .aux = c,
    };
    struct ovsdb_error *error = NULL;
    c->in_user_call = true;
    int rc =
        jsonrpc_session_create(c->base, options, &cbs, &c->session, &error);
    c->in_user_call = false;
    if (rc) {
        fail_msg("session create failed: %s", error ? error->msg : "?");
    }
    assert_null(error);
}

static void
client_start(struct client *c, const char *remotes)
{
    struct jsonrpc_session_options options = default_options(c, remotes);
    client_start_opts(c, &options);
}

static bool
is_connected(void *c_)
{
    struct client *c = c_;
    return c->session && jsonrpc_session_is_connected(c->session);
}

/* Runs the loop until the session is connected. */
static void
wait_connected(struct client *c)
{
    if (!sbx_loop_until(c->base, is_connected, c, 10000)) {
        fail_msg("no connection; log:\n%s", c->log ? c->log : "");
    }
}

struct count_wait {
    int *counter;
    int target;
};

static bool
count_reached(void *w_)
{
    struct count_wait *w = w_;
    return *w->counter >= w->target;
}

/* Runs the loop until '*counter' reaches 'target' or 'ms' pass. */
static void
wait_count(struct client *c, int *counter, int target, int ms)
{
    struct count_wait w = {counter, target};
    if (!sbx_loop_until(c->base, count_reached, &w, ms)) {
        fail_msg("waited %d ms for a count of %d, have %d; log:\n%s", ms,
                 target, *counter, c->log ? c->log : "");
    }
}

/* Sends 'method' with 'params' (stolen) and records the reply in 'r'. */
static int
client_request(struct client *c, const char *method, json_t *params,
               struct reply *r)
{
    r->c = c;
    c->in_user_call = true;
    int rc = jsonrpc_session_request(c->session, method, params, reply_cb, r);
    c->in_user_call = false;
    return rc;
}

/* Sends a request and waits for its reply. */
static void
call(struct client *c, const char *method, json_t *params, struct reply *r)
{
    assert_int_equal(client_request(c, method, params, r), 0);
    assert_int_equal(r->n_calls, 0);
    wait_count(c, &r->n_calls, 1, 10000);
    assert_int_equal(r->n_calls, 1);
}

/* Checks that list_dbs answers with the Open_vSwitch database. */
static void
check_list_dbs(struct client *c)
{
    struct reply r = {0};
    call(c, "list_dbs", json_array(), &r);
    assert_null(r.error);
    assert_true(json_is_array(r.result));
    bool found = false;
    for (size_t i = 0; i < json_array_size(r.result); i++) {
        const char *name = json_string_value(json_array_get(r.result, i));
        found |= name && !strcmp(name, "Open_vSwitch");
    }
    assert_true(found);
    reply_clear(&r);
}

static bool
log_has(const struct client *c, const char *needle)
{
    return c->log && strstr(c->log, needle);
}

/* Tests against ovsdb-server. */

static void
test_list_dbs_unix(void **state)
{
    struct client *c = *state;
    client_start(c, env->db.unix_remote);
    assert_false(jsonrpc_session_is_connected(c->session));
    assert_string_equal(jsonrpc_session_remote(c->session),
                        env->db.unix_remote);
    assert_int_equal(c->n_connected, 0); /* Not from inside create. */
    wait_connected(c);
    assert_int_equal(c->n_connected, 1);
    assert_string_equal(c->connected_remote, env->db.unix_remote);
    assert_int_equal(jsonrpc_session_seqno(c->session), 1);
    check_list_dbs(c);
    check_list_dbs(c);
    assert_int_equal(c->n_disconnected, 0);
    assert_false(c->reentered);
}

static void
test_list_dbs_tcp(void **state)
{
    struct client *c = *state;
    client_start(c, env->db.tcp_remote);
    wait_connected(c);
    assert_string_equal(c->connected_remote, env->db.tcp_remote);
    check_list_dbs(c);
    assert_false(c->reentered);
}

static void
test_echo_and_server_error(void **state)
{
    struct client *c = *state;
    struct reply r = {0};
    client_start(c, env->db.unix_remote);
    wait_connected(c);

    json_t *params = json_pack("[s, i, {s: b}]", "hello", 42, "x", 1);
    call(c, "echo", json_incref(params), &r);
    assert_null(r.error);
    assert_true(json_equal(r.result, params));
    json_decref(params);
    reply_clear(&r);

    /* A server error reply: its "error" member becomes the tag. */
    call(c, "transact", json_pack("[s]", "no_such_db"), &r);
    assert_null(r.result);
    assert_non_null(r.error);
    assert_int_equal(r.error->code, -EPROTO);
    assert_string_equal(r.error->tag, "unknown database");
    assert_non_null(r.error->details);
    assert_non_null(strstr(r.error->msg, "unknown database"));
    reply_clear(&r);

    /* The connection is still fine after an error reply. */
    check_list_dbs(c);

    /* Several requests in flight at once are matched one by one. */
    struct reply rs[5] = {{0}};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(
            client_request(c, "echo", json_pack("[i]", i), &rs[i]), 0);
    }
    for (int i = 0; i < 5; i++) {
        wait_count(c, &rs[i].n_calls, 1, 5000);
        assert_int_equal(json_integer_value(json_array_get(rs[i].result, 0)),
                         i);
        reply_clear(&rs[i]);
    }
    assert_false(c->reentered);
}

static void
test_not_connected(void **state)
{
    struct client *c = *state;
    char *dead = sbx_path(env->dir, "nobody-here.sock");
    char *remote = NULL;
    assert_true(asprintf(&remote, "unix:%s", dead) > 0);
    client_start(c, remote);

    struct reply r = {0};
    /* Before the first attempt, and after failed ones. */
    assert_int_equal(client_request(c, "list_dbs", json_array(), &r),
                     -ENOTCONN);
    wait_count(c, &c->n_disconnected, 2, 5000);
    assert_int_equal(client_request(c, "list_dbs", json_array(), &r),
                     -ENOTCONN);
    assert_int_equal(jsonrpc_session_notify(c->session, "x", json_array()),
                     -ENOTCONN);
    json_t *id = json_integer(1);
    assert_int_equal(jsonrpc_session_reply(c->session, json_array(), id),
                     -ENOTCONN);
    json_decref(id);
    sbx_loop_for(c->base, 100);
    assert_int_equal(r.n_calls, 0);
    assert_int_equal(c->n_connected, 0);
    assert_int_equal(jsonrpc_session_seqno(c->session), 0);

    /* The failure says which remote and why. */
    assert_non_null(c->last_error);
    assert_int_equal(c->last_error->code, -ENOENT);
    assert_non_null(strstr(c->last_error->msg, remote));
    assert_true(log_has(c, remote));
    assert_false(c->reentered);
    free(remote);
    free(dead);
}

static void
test_server_killed_and_restarted(void **state)
{
    struct client *c = *state;
    struct reply r = {0};
    client_start(c, env->db.unix_remote);
    wait_connected(c);
    check_list_dbs(c);

    assert_int_equal(sbx_ovsdb_kill(&env->db, SIGKILL), 0);
    /* The session has not noticed yet: the request goes out and then
     * fails with the connection. */
    assert_int_equal(client_request(c, "list_dbs", json_array(), &r), 0);
    wait_count(c, &c->n_disconnected, 1, 5000);
    assert_int_equal(r.n_calls, 1);
    assert_null(r.result);
    assert_int_equal(r.error->code, -ECONNRESET);
    assert_false(jsonrpc_session_is_connected(c->session));
    assert_int_equal(jsonrpc_session_seqno(c->session), 2);
    assert_non_null(strstr(c->last_error->msg, env->db.unix_remote));
    reply_clear(&r);

    /* While it is down, requests are refused. */
    assert_int_equal(client_request(c, "list_dbs", json_array(), &r),
                     -ENOTCONN);
    sbx_loop_for(c->base, 200);
    assert_int_equal(c->n_connected, 1);

    /* Back up: the session reconnects by itself. */
    assert_int_equal(sbx_ovsdb_start(&env->db, &env->db_config), 0);
    wait_count(c, &c->n_connected, 2, 5000);
    check_list_dbs(c);
    assert_int_equal(jsonrpc_session_seqno(c->session), 3);
    assert_false(c->reentered);
}

static void
test_remote_list_failover(void **state)
{
    struct client *c = *state;
    char *dead = sbx_path(env->dir, "dead.sock");
    char *remotes = NULL;
    assert_true(asprintf(&remotes, "unix:%s , %s", dead, env->db.tcp_remote) >
                0);
    client_start(c, remotes);
    wait_count(c, &c->n_connected, 1, 5000);
    assert_string_equal(c->connected_remote, env->db.tcp_remote);
    assert_string_equal(jsonrpc_session_remote(c->session),
                        env->db.tcp_remote);
    assert_int_equal(c->n_disconnected, 1);
    assert_non_null(strstr(c->last_error->msg, dead));
    check_list_dbs(c);
    free(remotes);
    free(dead);
}

static void
test_force_reconnect(void **state)
{
    struct client *c = *state;
    struct reply r = {0};
    client_start(c, env->db.unix_remote);
    wait_connected(c);

    /* "wait" with a condition that never holds and no timeout stays
     * pending at the server. */
    json_t *params = json_pack(
        "[s, {s: s, s: s, s: [], s: [s], s: s, s: [{s: s}]}]", "Open_vSwitch",
        "op", "wait", "table", "Open_vSwitch", "where", "columns",
        "ovs_version", "until", "==", "rows", "ovs_version", "never");
    assert_int_equal(client_request(c, "transact", params, &r), 0);
    sbx_loop_for(c->base, 100);
    assert_int_equal(r.n_calls, 0);

    c->in_user_call = true;
    jsonrpc_session_force_reconnect(c->session);
    c->in_user_call = false;
    /* Nothing runs from inside the call. */
    assert_int_equal(r.n_calls, 0);
    assert_int_equal(c->n_disconnected, 0);
    assert_false(jsonrpc_session_is_connected(c->session));

    wait_count(c, &c->n_connected, 2, 5000);
    assert_int_equal(r.n_calls, 1);
    assert_int_equal(r.error->code, -ECONNRESET);
    assert_int_equal(c->n_disconnected, 1);
    assert_int_equal(c->last_error->code, -ECONNABORTED);
    check_list_dbs(c);
    assert_false(c->reentered);
    reply_clear(&r);
}

static void
test_destroy_from_callbacks(void **state)
{
    struct client *c = *state;

    /* From a reply callback, with another request still pending. */
    struct reply r1 = {0}, r2 = {0};
    client_start(c, env->db.unix_remote);
    wait_connected(c);
    r1.destroy_session = true;
    assert_int_equal(client_request(c, "list_dbs", json_array(), &r1), 0);
    assert_int_equal(client_request(c, "list_dbs", json_array(), &r2), 0);
    wait_count(c, &r1.n_calls, 1, 5000);
    assert_null(c->session);
    sbx_loop_for(c->base, 100);
    assert_int_equal(r2.n_calls, 0); /* Dropped without a callback. */
    reply_clear(&r1);
    reply_clear(&r2);

    /* From the connected callback. */
    c->on_connect = ACT_DESTROY;
    client_start(c, env->db.unix_remote);
    wait_count(c, &c->n_connected, 2, 5000);
    assert_null(c->session);
    sbx_loop_for(c->base, 50);

    /* From the disconnected callback, with a pending request failing
     * first. */
    c->on_connect = ACT_NONE;
    c->on_disconnect = ACT_DESTROY;
    client_start(c, env->db.unix_remote);
    wait_count(c, &c->n_connected, 3, 5000);
    assert_int_equal(client_request(c, "list_dbs", json_array(), &r1), 0);
    jsonrpc_session_force_reconnect(c->session);
    wait_count(c, &c->n_disconnected, 1, 5000);
    assert_null(c->session);
    assert_int_equal(r1.n_calls, 1);
    sbx_loop_for(c->base, 100);
    assert_int_equal(c->n_connected, 3);
    reply_clear(&r1);

    /* Destroying with requests pending runs no callback. */
    c->on_disconnect = ACT_NONE;
    client_start(c, env->db.unix_remote);
    wait_count(c, &c->n_connected, 4, 5000);
    assert_int_equal(client_request(c, "list_dbs", json_array(), &r1), 0);
    jsonrpc_session_destroy(c->session);
    c->session = NULL;
    sbx_loop_for(c->base, 100);
    assert_int_equal(r1.n_calls, 0);
    jsonrpc_session_destroy(NULL);
}

static void
test_reconnect_from_connected_callback(void **state)
{
    struct client *c = *state;
    /* Each connection is dropped as soon as it is up; the session keeps
     * reconnecting and stays consistent. */
    c->on_connect = ACT_RECONNECT;
    client_start(c, env->db.unix_remote);
    wait_count(c, &c->n_connected, 3, 5000);
    c->on_connect = ACT_NONE;
    wait_connected(c);
    check_list_dbs(c);
    assert_int_equal(jsonrpc_session_seqno(c->session),
                     2 * c->n_connected - 1);
}

/* Tests against fake servers. */

static void
test_inactivity_probe(void **state)
{
    struct client *c = *state;
    c->fake = fake_create(c->base, "silent", NULL);
    struct jsonrpc_session_options options =
        default_options(c, c->fake->remote);
    options.probe_interval_ms = 200;
    options.min_backoff_ms = 5000;
    client_start_opts(c, &options);
    wait_connected(c);
    long long t0 = c->t_connected;
    wait_count(c, &c->n_disconnected, 1, 5000);
    long long elapsed = c->t_disconnected[0] - t0;

    /* One interval of silence, a probe, another interval, gone. */
    assert_true(elapsed >= 350);
    assert_true(elapsed < 2000);
    assert_non_null(strstr(c->fake->rx, "\"echo\""));
    assert_int_equal(c->last_error->code, -ETIMEDOUT);
    assert_non_null(strstr(c->last_error->msg,
                           "no response to inactivity probe after 200 ms"));
    assert_non_null(strstr(c->last_error->msg, c->fake->remote));
    assert_true(log_has(c, "no response to inactivity probe"));
}

static void
test_probe_answered(void **state)
{
    struct client *c = *state;
    /* A real server answers the probes: the connection stays up through
     * several idle intervals. */
    struct jsonrpc_session_options options =
        default_options(c, env->db.unix_remote);
    options.probe_interval_ms = 100;
    client_start_opts(c, &options);
    wait_connected(c);
    sbx_loop_for(c->base, 700);
    assert_int_equal(c->n_disconnected, 0);
    assert_int_equal(c->n_connected, 1);
    check_list_dbs(c);
}

/* Connects a client to a fake server that sends 'greeting' on accept and
 * waits for the connection to end with 'code' and a logged error that
 * contains 'needle'. */
static void
expect_bad_input(struct client *c, const char *greeting, size_t max_size,
                 int code, const char *needle)
{
    c->fake = fake_create(c->base, "bad", greeting);
    struct jsonrpc_session_options options =
        default_options(c, c->fake->remote);
    options.max_msg_size = max_size;
    options.min_backoff_ms = 5000;
    client_start_opts(c, &options);
    wait_count(c, &c->n_disconnected, 1, 5000);
    assert_int_equal(c->n_connected, 1);
    if (c->last_error->code != code || !strstr(c->last_error->msg, needle) ||
        !strstr(c->last_error->msg, c->fake->remote)) {
        fail_msg("error %d '%s', expected %d '%s'", c->last_error->code,
                 c->last_error->msg, code, needle);
    }
    /* Logged as an error, naming the remote. */
    char *line = NULL;
    assert_true(asprintf(&line, "ERR %s: bad input", c->fake->remote) > 0);
    assert_true(log_has(c, line));
    free(line);
    assert_false(jsonrpc_session_is_connected(c->session));
}

static void
test_garbage(void **state)
{
    expect_bad_input(*state, "{]", 0, -EPROTO, "");
}

static void
test_not_an_object(void **state)
{
    expect_bad_input(*state, "[1, 2]", 0, -EPROTO, "");
}

static void
test_oversize(void **state)
{
    static const char head[] = "{\"id\": 1, \"result\": \"";
    char big[3000];
    memset(big, 'x', sizeof big);
    memcpy(big, head, strlen(head));
    big[sizeof big - 1] = '\0';
    expect_bad_input(*state, big, 1024, -EMSGSIZE, "");
}

static void
test_reply_to_unknown_id(void **state)
{
    expect_bad_input(*state, "{\"id\": 99, \"result\": [], \"error\": null}",
                     0, -EPROTO, "unknown request id 99");
}

static void
test_bad_message(void **state)
{
    expect_bad_input(*state, "{\"id\": 1}", 0, -EPROTO, "");
}

static void
test_unknown_method_without_handler(void **state)
{
    struct client *c = *state;
    c->fake = fake_create(c->base, "asker",
                          "{\"method\":\"foo\",\"params\":[],\"id\":7}");
    struct jsonrpc_session_options options =
        default_options(c, c->fake->remote);
    struct jsonrpc_session_callbacks cbs = {
        .connected = connected_cb,
        .disconnected = disconnected_cb,
        .aux = c,
    };
    assert_int_equal(
        jsonrpc_session_create(c->base, &options, &cbs, &c->session, NULL), 0);
    wait_count(c, &c->n_disconnected, 1, 5000);
    assert_int_equal(c->last_error->code, -EPROTO);
    assert_non_null(
        strstr(c->last_error->msg, "unknown request method 'foo'"));
}

static void
test_server_requests(void **state)
{
    struct client *c = *state;
    /* The session answers "echo" by itself; other requests and
     * notifications go to the user, who answers requests. */
    c->fake = fake_create(
        c->base, "asker",
        "{\"method\":\"echo\",\"params\":[\"ping\",1],\"id\":\"e1\"}"
        "{\"method\":\"update\",\"params\":[null,{}],\"id\":null}"
        "{\"method\":\"lock\",\"params\":[\"l\"],\"id\":[1,2]}");
    c->answer_requests = true;
    client_start(c, c->fake->remote);
    wait_count(c, &c->n_messages, 2, 5000);
    sbx_loop_for(c->base, 100);
    assert_int_equal(c->n_messages, 2);
    assert_string_equal(c->last_method, "lock");
    json_t *want_id = json_pack("[i, i]", 1, 2);
    assert_true(json_equal(c->last_id, want_id));
    json_decref(want_id);

    /* Both replies reached the server, in order. */
    json_error_t jerr;
    size_t off = 0;
    const char *want[] = {
        "{\"id\":\"e1\",\"result\":[\"ping\",1],\"error\":null}",
        "{\"id\":[1,2],\"result\":[\"l\"],\"error\":null}",
    };
    for (int i = 0; i < 2; i++) {
        json_t *got = json_loadb(c->fake->rx + off, c->fake->rx_len - off,
                                 JSON_DISABLE_EOF_CHECK, &jerr);
        assert_non_null(got);
        off += jerr.position;
        json_t *exp = json_loads(want[i], 0, NULL);
        assert_true(json_equal(got, exp));
        json_decref(got);
        json_decref(exp);
    }
    assert_int_equal(c->n_disconnected, 0);
    assert_false(c->reentered);
}

static bool
fake_has_two_requests(void *f_)
{
    struct fake *f = f_;
    return strstr(f->rx, "\"id\":1") && strstr(f->rx, "\"id\":2");
}

static void
test_replies_out_of_order(void **state)
{
    struct client *c = *state;
    c->fake = fake_create(c->base, "shuffler", NULL);
    client_start(c, c->fake->remote);
    wait_connected(c);

    struct reply r1 = {0}, r2 = {0};
    assert_int_equal(client_request(c, "a", json_array(), &r1), 0);
    assert_int_equal(client_request(c, "b", json_array(), &r2), 0);
    assert_true(sbx_loop_until(c->base, fake_has_two_requests, c->fake, 5000));
    fake_send(c->fake, "{\"id\":2,\"result\":\"two\",\"error\":null}");
    wait_count(c, &r2.n_calls, 1, 5000);
    assert_int_equal(r1.n_calls, 0);
    assert_string_equal(json_string_value(r2.result), "two");
    fake_send(c->fake,
              "{\"id\":1,\"result\":null,\"error\":{\"error\":\"nope\"}}");
    wait_count(c, &r1.n_calls, 1, 5000);
    assert_string_equal(r1.error->tag, "nope");
    assert_int_equal(r1.error->code, -EPROTO);

    /* A second reply to the same id is a protocol error. */
    fake_send(c->fake, "{\"id\":1,\"result\":1,\"error\":null}");
    wait_count(c, &c->n_disconnected, 1, 5000);
    assert_non_null(strstr(c->last_error->msg, "unknown request id 1"));
    reply_clear(&r1);
    reply_clear(&r2);
}

static void
test_backoff(void **state)
{
    struct client *c = *state;
    char *dead = sbx_path(env->dir, "backoff.sock");
    char *remote = NULL;
    assert_true(asprintf(&remote, "unix:%s", dead) > 0);
    struct jsonrpc_session_options options = default_options(c, remote);
    options.min_backoff_ms = 50;
    options.max_backoff_ms = 200;
    client_start_opts(c, &options);
    sbx_loop_for(c->base, 1300);

    /* Attempts at about 0, 50, 150, 350, 550, 750, ... */
    int n = c->n_disconnected;
    assert_true(n >= 6);
    assert_true(n <= 10);
    long long *t = c->t_disconnected;
    assert_true(t[1] - t[0] >= 45);
    assert_true(t[2] - t[1] >= 90);
    assert_true(t[3] - t[2] >= 180);
    for (int i = 4; i < n; i++) {
        assert_true(t[i] - t[i - 1] >= 180);
        assert_true(t[i] - t[i - 1] < 400);
    }
    free(remote);
    free(dead);
}

/* TLS. */

static void
test_tls_good(void **state)
{
    struct client *c = *state;
    struct jsonrpc_session_options options =
        default_options(c, env->db.ssl_remote);
    options.tls = (struct ovsdb_tls_config){
        .private_key = env->client.key,
        .certificate = env->client.cert,
        .ca_cert = env->ca.cert,
    };
    client_start_opts(c, &options);
    wait_connected(c);
    assert_string_equal(c->connected_remote, env->db.ssl_remote);
    check_list_dbs(c);

    /* The server going away is an end of stream, then a reconnection. */
    assert_int_equal(sbx_ovsdb_kill(&env->db, SIGKILL), 0);
    wait_count(c, &c->n_disconnected, 1, 5000);
    assert_int_equal(c->last_error->code, -ECONNRESET);
    assert_int_equal(sbx_ovsdb_start(&env->db, &env->db_config), 0);
    wait_count(c, &c->n_connected, 2, 5000);
    check_list_dbs(c);
}

static void
test_tls_rogue_ca(void **state)
{
    struct client *c = *state;
    struct jsonrpc_session_options options =
        default_options(c, env->db.ssl_remote);
    options.tls = (struct ovsdb_tls_config){
        .private_key = env->rogue_client.key,
        .certificate = env->rogue_client.cert,
        .ca_cert = env->rogue_ca.cert,
    };
    client_start_opts(c, &options);
    wait_count(c, &c->n_disconnected, 2, 5000);
    assert_int_equal(c->n_connected, 0);
    const char *msg = c->last_error->msg;
    if (!strstr(msg, env->db.ssl_remote) ||
        !strstr(msg, "TLS handshake failed") ||
        !strstr(msg, "certificate verify failed")) {
        fail_msg("unexpected error: %s", msg);
    }
    assert_true(log_has(c, "certificate verify failed"));
}

static void
test_tls_server_refuses_client(void **state)
{
    struct client *c = *state;
    /* The client trusts the server, but the server does not trust the
     * client's certificate. */
    struct jsonrpc_session_options options =
        default_options(c, env->db.ssl_remote);
    options.tls = (struct ovsdb_tls_config){
        .private_key = env->rogue_client.key,
        .certificate = env->rogue_client.cert,
        .ca_cert = env->ca.cert,
    };
    client_start_opts(c, &options);
    wait_count(c, &c->n_disconnected, 2, 5000);
    /* With TLS 1.3 the client's handshake ends before the server checks
     * the client's certificate, so the refusal may come as an alert just
     * after 'connected'; either way it is a TLS error naming the alert. */
    const char *msg = c->last_error->msg;
    if (c->last_error->code != -EPROTO || !strstr(msg, env->db.ssl_remote) ||
        !strstr(msg, "TLS") || !strstr(msg, "alert unknown ca")) {
        fail_msg("unexpected error %d: %s", c->last_error->code, msg);
    }
}

static void
test_tls_handshake_timeout(void **state)
{
    struct client *c = *state;
    /* A TCP server that accepts and never answers the TLS handshake: the
     * attempt is given up after the connection timeout. */
    c->fake = fake_create_tcp(c->base, "ssl", NULL);
    struct jsonrpc_session_options options =
        default_options(c, c->fake->remote);
    options.probe_interval_ms = 200; /* Timeout: 1 s at least. */
    options.min_backoff_ms = 5000;
    options.tls = (struct ovsdb_tls_config){
        .private_key = env->client.key,
        .certificate = env->client.cert,
        .ca_cert = env->ca.cert,
    };
    client_start_opts(c, &options);
    long long t0 = sbx_now_ms();
    wait_count(c, &c->n_disconnected, 1, 5000);
    long long elapsed = sbx_now_ms() - t0;
    assert_true(elapsed >= 900);
    assert_true(elapsed < 3000);
    assert_int_equal(c->fake->n_accepted, 1);
    assert_int_equal(c->n_connected, 0);
    assert_int_equal(c->last_error->code, -ETIMEDOUT);
    assert_non_null(strstr(c->last_error->msg, "connection timed out"));
    assert_non_null(strstr(c->last_error->msg, c->fake->remote));
}

/* Checks that connecting to 'type' ("tcp" or "ssl") on a port where
 * nobody listens fails with "connection refused". */
static void
check_refused(struct client *c, const char *type)
{
    int port = sbx_free_tcp_port();
    assert_true(port > 0);
    char *remote = NULL;
    assert_true(asprintf(&remote, "%s:127.0.0.1:%d", type, port) > 0);
    struct jsonrpc_session_options options = default_options(c, remote);
    options.tls = (struct ovsdb_tls_config){
        .private_key = env->client.key,
        .certificate = env->client.cert,
        .ca_cert = env->ca.cert,
    };
    client_start_opts(c, &options);
    wait_count(c, &c->n_disconnected, 1, 5000);
    if (c->last_error->code != -ECONNREFUSED ||
        !strstr(c->last_error->msg, remote) ||
        !strstr(c->last_error->msg, "Connection refused")) {
        fail_msg("unexpected error %d: %s", c->last_error->code,
                 c->last_error->msg);
    }
    jsonrpc_session_destroy(c->session);
    c->session = NULL;
    c->n_disconnected = 0;
    free(remote);
}

static void
test_refused(void **state)
{
    check_refused(*state, "tcp");
    check_refused(*state, "ssl");
}

static void
test_bad_configs(void **state)
{
    struct client *c = *state;
    struct jsonrpc_session_callbacks cbs = {.aux = c};
    struct jsonrpc_session_options options = default_options(c, "foo:bar");
    struct ovsdb_error *error = NULL;

    assert_int_equal(
        jsonrpc_session_create(c->base, &options, &cbs, &c->session, &error),
        -EINVAL);
    assert_null(c->session);
    assert_non_null(strstr(error->msg, "unknown remote type 'foo:'"));
    ovsdb_error_free(error);
    error = NULL;

    /* ssl: without keys. */
    options.remotes = env->db.ssl_remote;
    assert_int_equal(
        jsonrpc_session_create(c->base, &options, &cbs, &c->session, &error),
        -EINVAL);
    assert_non_null(strstr(error->msg, "private key"));
    ovsdb_error_free(error);
    error = NULL;

    /* A missing file is named. */
    char *missing = sbx_path(env->dir, "missing-key.pem");
    options.tls = (struct ovsdb_tls_config){
        .private_key = missing,
        .certificate = env->client.cert,
        .ca_cert = env->ca.cert,
    };
    assert_int_equal(
        jsonrpc_session_create(c->base, &options, &cbs, &c->session, &error),
        -EINVAL);
    assert_non_null(strstr(error->msg, missing));
    assert_non_null(strstr(error->msg, "No such file"));
    ovsdb_error_free(error);
    error = NULL;

    /* A key that does not go with the certificate. */
    options.tls.private_key = env->server.key;
    assert_int_equal(
        jsonrpc_session_create(c->base, &options, &cbs, &c->session, &error),
        -EINVAL);
    assert_non_null(strstr(error->msg, "does not match"));
    ovsdb_error_free(error);
    error = NULL;

    /* A file that is not PEM. */
    options.tls.private_key = env->client.key;
    options.tls.ca_cert = env->db.db_path;
    assert_int_equal(
        jsonrpc_session_create(c->base, &options, &cbs, &c->session, &error),
        -EINVAL);
    assert_non_null(strstr(error->msg, env->db.db_path));
    ovsdb_error_free(error);
    free(missing);
}

int
main(void)
{
#define T(name)                                                               \
    cmocka_unit_test_setup_teardown(name, client_setup, client_teardown)
    const struct CMUnitTest tests[] = {
        T(test_list_dbs_unix),
        T(test_list_dbs_tcp),
        T(test_echo_and_server_error),
        T(test_not_connected),
        T(test_server_killed_and_restarted),
        T(test_remote_list_failover),
        T(test_force_reconnect),
        T(test_destroy_from_callbacks),
        T(test_reconnect_from_connected_callback),
        T(test_inactivity_probe),
        T(test_probe_answered),
        T(test_garbage),
        T(test_not_an_object),
        T(test_oversize),
        T(test_reply_to_unknown_id),
        T(test_bad_message),
        T(test_unknown_method_without_handler),
        T(test_server_requests),
        T(test_replies_out_of_order),
        T(test_backoff),
        T(test_tls_good),
        T(test_tls_rogue_ca),
        T(test_tls_server_refuses_client),
        T(test_tls_handshake_timeout),
        T(test_refused),
        T(test_bad_configs),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
