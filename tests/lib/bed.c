/* bed: see bed.h for the rules. */
#include "bed.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nstcp.h"

#define FABRICCTL FABRIC_BINARY_DIR "/fabricctl"
#define FABRICD FABRIC_BINARY_DIR "/fabricd"
#define TESTBED FABRIC_SOURCE_DIR "/scripts/testbed"
#define SCHEMA FABRIC_SOURCE_DIR "/ovsdb/fabric.ovsschema"

static struct bed *the_bed;

static void
bed_down(const char *run, const char *bed_dir)
{
    sbx_runl(NULL, "bash", TESTBED, "down", "--name", run, "--dir", bed_dir,
             NULL);
}

static void
cleanup_at_exit(void)
{
    if (the_bed) {
        for (int i = 0; i < the_bed->n_servers; i++) {
            kill(the_bed->servers[i], SIGKILL);
        }
        bed_down(the_bed->run, the_bed->bed_dir);
    }
}

void
bed_ns_name(const struct bed *b, const char *what, char *ns, size_t size)
{
    snprintf(ns, size, "%s%s", b->prefix, what);
}

void
bed_guest_ns(const struct bed *b, int host, const char *guest, char *ns,
             size_t size)
{
    snprintf(ns, size, "%shv%d-%s", b->prefix, host, guest);
}

int
bed_ns_run(char **outp, const char *ns, ...)
{
    char *argv[32] = {"ip", "netns", "exec", (char *)ns};
    int n = 4;
    va_list args;
    va_start(args, ns);
    const char *a;
    while ((a = va_arg(args, const char *)) && n < 31) {
        argv[n++] = (char *)a;
    }
    va_end(args);
    argv[n] = NULL;
    return sbx_run(argv, outp);
}

pid_t
bed_start_server(struct bed *b, const char *ns, int port)
{
    pid_t pid = nstcp_server_start(ns, port);
    if (pid > 0 && b->n_servers < BED_MAX_SERVERS) {
        b->servers[b->n_servers++] = pid;
    }
    return pid;
}

void
bed_stop_servers(struct bed *b)
{
    for (int i = 0; i < b->n_servers; i++) {
        nstcp_server_stop(b->servers[i]);
    }
    b->n_servers = 0;
}

bool
bed_connects(const char *ns, const char *ip, int port, char *reply,
             size_t size)
{
    for (int i = 0; i < 3; i++) {
        if (nstcp_connect(ns, ip, port, 2000, reply, size)) {
            return true;
        }
    }
    return false;
}

static int
start_agent(struct bed *b, int n)
{
    char db[600], ovsdb[600], host[32], rundir[600], pidfile[600];
    char logfile[600], prefix[64], hv[16];
    snprintf(hv, sizeof hv, "hv%d", n);
    snprintf(db, sizeof db, "--db=%s", b->fabric.unix_remote);
    snprintf(ovsdb, sizeof ovsdb, "--ovsdb=unix:%s/hv%d/db.sock", b->bed_dir,
             n);
    snprintf(host, sizeof host, "--host=hv%d", n);
    snprintf(rundir, sizeof rundir, "--rundir=%s/hv%d", b->bed_dir, n);
    snprintf(pidfile, sizeof pidfile, "--pidfile=%s/hv%d/fabricd.pid",
             b->bed_dir, n);
    snprintf(logfile, sizeof logfile, "--log-file=%s/hv%d/fabricd.log",
             b->bed_dir, n);
    snprintf(prefix, sizeof prefix, "--netns-prefix=%shv%d-", b->prefix, n);
    char *argv[] = {
        "bash",     TESTBED, "exec",  "--name", b->run, "--dir",
        b->bed_dir, hv,      "--",    FABRICD,  db,     ovsdb,
        host,       rundir,  pidfile, logfile,  prefix, "--datapath=netdev",
        "--detach", NULL,    NULL};
    if (n >= 1 && n <= 8 && b->agent_option[n - 1][0]) {
        argv[sizeof argv / sizeof *argv - 2] = b->agent_option[n - 1];
    }
    return sbx_run(argv, NULL);
}

static int
agent_pid(struct bed *b, int n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/hv%d/fabricd.pid", b->bed_dir, n);
    return sbx_read_pidfile(path);
}

int
bed_host_run(struct bed *b, int host, ...)
{
    char hv[16];
    snprintf(hv, sizeof hv, "hv%d", host);
    char *argv[40] = {"bash",  TESTBED,    "exec", "--name", b->run,
                      "--dir", b->bed_dir, hv,     "--"};
    int n = 9;
    va_list args;
    va_start(args, host);
    const char *a;
    while ((a = va_arg(args, const char *)) && n < 39) {
        argv[n++] = (char *)a;
    }
    va_end(args);
    argv[n] = NULL;
    return sbx_run(argv, NULL);
}

int
bed_setup(struct bed **bp, const char *tag, int n_hosts, int n_agents,
          int (*prepare)(struct bed *, int host))
{
    static bool hooked;
    if (!hooked) {
        sbx_at_cleanup(cleanup_at_exit);
        hooked = true;
    }
    struct bed *b = calloc(1, sizeof *b);
    the_bed = b;
    *bp = b;
    b->n_hosts = n_hosts;
    b->n_agents = n_agents;
    snprintf(b->run, sizeof b->run, "%.2s%d", tag, (int)(getpid() % 10000));
    snprintf(b->prefix, sizeof b->prefix, "%s-", b->run);
    b->dir = sbx_mkdtemp(tag);
    snprintf(b->bed_dir, sizeof b->bed_dir, "%s/bed", b->dir);
    char hosts[8];
    snprintf(hosts, sizeof hosts, "%d", n_hosts);
    char *out = NULL;
    if (sbx_runl(&out, "bash", TESTBED, "up", "--name", b->run, "--hosts",
                 hosts, "--dir", b->bed_dir, NULL)) {
        fprintf(stderr, "testbed up failed:\n%s\n", out ? out : "");
        free(out);
        goto fail;
    }
    free(out);
    for (int i = 1; prepare && i <= n_hosts; i++) {
        if (prepare(b, i)) {
            goto fail;
        }
    }
    sbx_ovsdb_init(&b->fabric, b->dir, "fabric");
    if (sbx_ovsdb_create_db(&b->fabric, SCHEMA) ||
        sbx_ovsdb_start(&b->fabric, NULL)) {
        goto fail;
    }
    snprintf(b->db_opt, sizeof b->db_opt, "--db=%s", b->fabric.unix_remote);
    for (int i = 1; i <= n_agents; i++) {
        if (start_agent(b, i)) {
            goto fail;
        }
    }
    return 0;

fail:
    /* cmocka runs no teardown after a failed setup. */
    bed_teardown(b);
    *bp = NULL;
    return -1;
}

void
bed_teardown(struct bed *b)
{
    if (!b) {
        return;
    }
    bed_stop_servers(b);
    for (int i = 1; i <= b->n_agents; i++) {
        int pid = agent_pid(b, i);
        if (pid > 0) {
            sbx_kill(pid, SIGTERM, 5000);
        }
    }
    /* testbed down deletes every namespace of the run, guests
     * included. */
    bed_down(b->run, b->bed_dir);
    sbx_ovsdb_clear(&b->fabric);
    sbx_rmtree(b->dir);
    free(b->dir);
    free(b);
    the_bed = NULL;
}

int
bed_fabricctl(struct bed *b, char **outp, ...)
{
    va_list args;
    va_start(args, outp);
    int rc = sbx_run_va(outp, true, FABRICCTL, b->db_opt, args);
    va_end(args);
    return rc;
}

int
bed_apply_text(struct bed *b, const char *text)
{
    char *path = sbx_path(b->dir, "lab.yaml");
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    char *out = NULL;
    int rc =
        bed_fabricctl(b, &out, "topology", "apply", "--wait=60", path, NULL);
    if (rc) {
        fprintf(stderr, "apply failed:\n%s\n", out ? out : "");
        for (int i = 1; i <= b->n_agents; i++) {
            char log[600];
            snprintf(log, sizeof log, "%s/hv%d/fabricd.log", b->bed_dir, i);
            char *tail = NULL;
            sbx_runl(&tail, "tail", "-n", "15", log, NULL);
            fprintf(stderr, "--- %s (end)\n%s", log, tail ? tail : "");
            free(tail);
        }
    }
    free(out);
    free(path);
    return rc;
}
