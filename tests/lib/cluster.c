/* cluster: see cluster.h. */
#include "cluster.h"

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *
xasprintf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
xasprintf_(const char *fmt, ...)
{
    char *s;
    va_list args;
    va_start(args, fmt);
    if (vasprintf(&s, fmt, args) < 0) {
        abort();
    }
    va_end(args);
    return s;
}

/* Returns true if member 'i' reports 'what' (e.g. "Role: leader") in its
 * cluster/status. */
static bool
member_status_has(struct sbx_cluster *c, int i, const char *what)
{
    if (!c->members[i].pid) {
        return false;
    }
    char *out = NULL;
    int rc = sbx_ovsdb_appctl(&c->members[i], &out, "cluster/status",
                              c->db_name, NULL);
    bool found = rc == 0 && out && strstr(out, what);
    free(out);
    return found;
}

int
sbx_cluster_start(struct sbx_cluster *c, const char *dir, const char *schema,
                  const char *db_name, int n)
{
    memset(c, 0, sizeof *c);
    if (n < 1 || n > SBX_CLUSTER_MAX) {
        return -EINVAL;
    }
    c->dir = strdup(dir);
    c->db_name = strdup(db_name);
    c->n = n;
    for (int i = 0; i < n; i++) {
        int port = sbx_free_tcp_port();
        if (port < 0) {
            return port;
        }
        c->raft_ports[i] = port;
        char name[16];
        snprintf(name, sizeof name, "s%d", i + 1);
        sbx_ovsdb_init(&c->members[i], dir, name);
    }

    struct sbx_ovsdb_config config = {.tcp = true};
    for (int i = 0; i < n; i++) {
        char *local = xasprintf_("tcp:127.0.0.1:%d", c->raft_ports[i]);
        char *first = xasprintf_("tcp:127.0.0.1:%d", c->raft_ports[0]);
        int rc = i == 0
                     ? sbx_runl(NULL, "ovsdb-tool", "create-cluster",
                                c->members[i].db_path, schema, local, NULL)
                     : sbx_runl(NULL, "ovsdb-tool", "join-cluster",
                                c->members[i].db_path, db_name, local,
                                first, NULL);
        free(local);
        free(first);
        if (rc) {
            fprintf(stderr, "cluster: ovsdb-tool failed for member %d\n",
                    i + 1);
            return rc < 0 ? rc : -EIO;
        }
        rc = sbx_ovsdb_start(&c->members[i], &config);
        if (rc) {
            return rc;
        }
    }

    /* Client remotes, and wait until every member has joined. */
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        len += strlen(c->members[i].tcp_remote) + 1;
    }
    c->remotes = calloc(1, len + 1);
    for (int i = 0; i < n; i++) {
        if (i) {
            strcat(c->remotes, ",");
        }
        strcat(c->remotes, c->members[i].tcp_remote);
    }
    long long deadline = sbx_now_ms() + 20000;
    for (int i = 0; i < n; i++) {
        while (!member_status_has(c, i, "Status: cluster member")) {
            if (sbx_now_ms() > deadline) {
                fprintf(stderr, "cluster: member %d did not join\n", i + 1);
                return -ETIMEDOUT;
            }
            usleep(50 * 1000);
        }
    }
    return sbx_cluster_wait_leader(c, 10000) >= 0 ? 0 : -ETIMEDOUT;
}

int
sbx_cluster_leader(struct sbx_cluster *c)
{
    for (int i = 0; i < c->n; i++) {
        if (member_status_has(c, i, "Role: leader")) {
            return i;
        }
    }
    return -1;
}

int
sbx_cluster_wait_leader(struct sbx_cluster *c, int timeout_ms)
{
    long long deadline = sbx_now_ms() + timeout_ms;
    for (;;) {
        int leader = sbx_cluster_leader(c);
        if (leader >= 0 || sbx_now_ms() > deadline) {
            return leader;
        }
        usleep(50 * 1000);
    }
}

void
sbx_cluster_clear(struct sbx_cluster *c)
{
    for (int i = 0; i < c->n; i++) {
        sbx_ovsdb_clear(&c->members[i]);
    }
    free(c->dir);
    free(c->db_name);
    free(c->remotes);
    memset(c, 0, sizeof *c);
}
