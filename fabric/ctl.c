/* ctl: see ctl.h. */
#include "ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "client.h"
#include "dbmodel.h"
#include "ovsdb-error.h"

void
ctl_error(const char *fmt, ...)
{
    va_list args;
    fputs("fabricctl: ", stderr);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
}

static void
ctl_log(void *ctl_, enum jsonrpc_log_level level, const char *msg)
{
    struct ctl *ctl = ctl_;
    if (level >= JSONRPC_LOG_WARN) {
        snprintf(ctl->last_error, sizeof ctl->last_error, "%s", msg);
    }
    if (getenv("FABRIC_DEBUG")) {
        fprintf(stderr, "fabricctl: debug: %s\n", msg);
    }
}

static void
ctl_disconnected(void *ctl_, const struct ovsdb_error *error)
{
    struct ctl *ctl = ctl_;
    if (error) {
        snprintf(ctl->last_error, sizeof ctl->last_error, "%s", error->msg);
    }
}

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
tick(evutil_socket_t fd, short what, void *aux)
{
}

bool
ctl_run_until(struct ctl *ctl, bool (*done)(void *aux), void *aux,
              int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    struct event *timer = event_new(ctl->base, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = {0, 20 * 1000};
    event_add(timer, &tv);
    bool ok;
    while (!(ok = done(aux)) && now_ms() < deadline) {
        event_base_loop(ctl->base, EVLOOP_ONCE);
    }
    event_free(timer);
    return ok;
}

static bool
is_synced(void *client)
{
    return ovsdb_client_is_synced(client);
}

int
ctl_connect(struct ctl *ctl)
{
    ctl->base = event_base_new();
    struct ovsdb_client_options options = {
        .remotes = ctl->db,
        .db = "Fabric",
        .tls = ctl->tls,
        .min_backoff_ms = 100,
        .max_backoff_ms = 1000,
        .log = ctl_log,
        .log_aux = ctl,
    };
    struct ovsdb_client_callbacks cbs = {
        .disconnected = ctl_disconnected,
        .aux = ctl,
    };
    struct ovsdb_error *error = NULL;
    if (ovsdb_client_create(ctl->base, &options, &cbs, &ctl->client,
                            &error) < 0) {
        ctl_error("%s", error->msg);
        ovsdb_error_free(error);
        return 1;
    }
    for (const char *const *t = dbmodel_tables; *t; t++) {
        ovsdb_client_monitor(ctl->client, *t, NULL);
    }
    if (!ctl_run_until(ctl, is_synced, ctl->client, ctl->timeout_ms)) {
        ctl_error("cannot reach the fabric DB at %s within %d ms: %s",
                  ctl->db, ctl->timeout_ms,
                  ctl->last_error[0] ? ctl->last_error
                                     : "no answer from the server");
        return 1;
    }
    return 0;
}

const struct replica *
ctl_replica(const struct ctl *ctl)
{
    return ovsdb_client_replica(ctl->client);
}

void
ctl_close(struct ctl *ctl)
{
    ovsdb_client_destroy(ctl->client);
    ctl->client = NULL;
    if (ctl->base) {
        event_base_free(ctl->base);
        ctl->base = NULL;
    }
}
