/* bed: see bed.h for the rules. */
#include "bed.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Stops what runs in the bed (servers, agents, the test's own) and takes
 * the hosts down. */
static void
bed_stop(struct bed *b)
{
    bed_stop_servers(b);
    for (int i = 1; i <= b->n_agents; i++) {
        bed_stop_agent(b, i);
    }
    if (b->before_down) {
        b->before_down(b);
    }
    /* testbed down deletes every namespace of the run, guests
     * included. */
    bed_down(b->run, b->bed_dir);
}

static void
cleanup_at_exit(void)
{
    if (the_bed) {
        bed_stop(the_bed);
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

/* Runs 'prefix' (n_prefix words) followed by the arguments in 'args' (up
 * to a NULL); returns its exit status, its output in '*outp' if
 * nonnull. */
static int
run_va(char **outp, char **prefix, int n_prefix, va_list args)
{
    char *argv[48];
    int n = 0;
    while (n < n_prefix) {
        argv[n] = prefix[n];
        n++;
    }
    const char *a;
    while ((a = va_arg(args, const char *)) && n < 47) {
        argv[n++] = (char *)a;
    }
    argv[n] = NULL;
    return sbx_run(argv, outp);
}

int
bed_ns_run(char **outp, const char *ns, ...)
{
    char *prefix[] = {"ip", "netns", "exec", (char *)ns};
    va_list args;
    va_start(args, ns);
    int rc = run_va(outp, prefix, 4, args);
    va_end(args);
    return rc;
}

bool
bed_ping(const char *ns, const char *ip)
{
    return !bed_ns_run(NULL, ns, "ping", "-c", "1", "-W", "1", ip, NULL);
}

bool
bed_reaches(const char *ns, const char *ip)
{
    for (int i = 0; i < 3; i++) {
        if (bed_ping(ns, ip)) {
            return true;
        }
    }
    return false;
}

bool
bed_pings(const char *ns, const char *ip, int ms)
{
    long long end = sbx_now_ms() + ms;
    do {
        if (bed_ping(ns, ip)) {
            return true;
        }
    } while (sbx_now_ms() < end);
    return false;
}

char *
bed_dhcp_lease(struct bed *b, const char *ns)
{
    char *script = sbx_path(b->dir, "udhcpc.script");
    FILE *f = fopen(script, "w");
    if (!f) {
        free(script);
        return strdup("");
    }
    fputs("#!/bin/sh\n"
          "[ \"$1\" = bound ] || exit 0\n"
          "for v in ip subnet router dns mtu staticroutes hostname domain "
          "serverid lease; do\n"
          "  eval echo \"lease.$v=\\$$v\"\n"
          "done\n",
          f);
    fclose(f);
    chmod(script, 0755);
    char *out = NULL;
    int rc =
        bed_ns_run(&out, ns, "busybox", "udhcpc", "-i", "eth0", "-f", "-q",
                   "-n", "-t", "3", "-T", "1", "-s", script, "-O", "mtu", "-O",
                   "staticroutes", "-O", "domain", "-O", "hostname", NULL);
    free(script);
    if (rc) {
        fprintf(stderr, "udhcpc in %s: exit %d:\n%s\n", ns, rc,
                out ? out : "");
        free(out);
        return strdup("");
    }
    return out;
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

void
bed_agent_option(struct bed *b, int host, const char *format, ...)
{
    int i = 0;
    while (host >= 1 && host <= BED_MAX_AGENTS && i < BED_MAX_AGENT_OPTIONS &&
           b->agent_options[host - 1][i]) {
        i++;
    }
    if (host < 1 || host > BED_MAX_AGENTS || i == BED_MAX_AGENT_OPTIONS) {
        fprintf(stderr, "bed: no room for another option of hv%d\n", host);
        abort();
    }
    char **options = b->agent_options[host - 1];
    va_list args;
    va_start(args, format);
    if (vasprintf(&options[i], format, args) < 0) {
        abort();
    }
    va_end(args);
}

int
bed_start_agent(struct bed *b, int n)
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
    char *argv[19 + BED_MAX_AGENT_OPTIONS + 2] = {
        "bash",     TESTBED, "exec",  "--name", b->run, "--dir",
        b->bed_dir, hv,      "--",    FABRICD,  db,     ovsdb,
        host,       rundir,  pidfile, logfile,  prefix, "--datapath=netdev",
        "--detach"};
    int argc = 19;
    for (int i = 0; n >= 1 && n <= BED_MAX_AGENTS &&
                    i < BED_MAX_AGENT_OPTIONS && b->agent_options[n - 1][i];
         i++) {
        argv[argc++] = b->agent_options[n - 1][i];
    }
    argv[argc] = NULL;
    return sbx_run(argv, NULL);
}

pid_t
bed_agent_pid(const struct bed *b, int n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/hv%d/fabricd.pid", b->bed_dir, n);
    return sbx_read_pidfile(path);
}

int
bed_stop_agent(struct bed *b, int n)
{
    pid_t pid = bed_agent_pid(b, n);
    if (pid > 0 && sbx_pid_alive(pid)) {
        return sbx_kill(pid, SIGTERM, 5000);
    }
    return 0;
}

int
bed_host_run(struct bed *b, int host, char **outp, ...)
{
    char hv[16];
    snprintf(hv, sizeof hv, "hv%d", host);
    char *prefix[] = {"bash",  TESTBED,    "exec", "--name", b->run,
                      "--dir", b->bed_dir, hv,     "--"};
    va_list args;
    va_start(args, outp);
    int rc = run_va(outp, prefix, 9, args);
    va_end(args);
    return rc;
}

char *
bed_vsctl(struct bed *b, int host, ...)
{
    char hv[16], db[600];
    snprintf(hv, sizeof hv, "hv%d", host);
    snprintf(db, sizeof db, "--db=unix:%s/hv%d/db.sock", b->bed_dir, host);
    char *prefix[] = {"bash", TESTBED,     "exec",     "--name",
                      b->run, "--dir",     b->bed_dir, hv,
                      "--",   "ovs-vsctl", db};
    char *out = NULL;
    va_list args;
    va_start(args, host);
    run_va(&out, prefix, 11, args);
    va_end(args);
    return out;
}

int
bed_setup(struct bed **bp, const char *tag, int n_hosts, int n_agents,
          const struct bed_options *options)
{
    static const struct bed_options no_options;
    const struct bed_options *o = options ? options : &no_options;
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
    b->before_down = o->before_down;
    snprintf(b->run, sizeof b->run, "%.2s%d", tag, (int)(getpid() % 10000));
    snprintf(b->prefix, sizeof b->prefix, "%s-", b->run);
    b->dir = sbx_mkdtemp(tag);
    snprintf(b->bed_dir, sizeof b->bed_dir, "%s/bed", b->dir);
    char hosts[8];
    snprintf(hosts, sizeof hosts, "%d", n_hosts);
    char *argv[10 + 4 + 1] = {"bash",    TESTBED, "up",    "--name",  b->run,
                              "--hosts", hosts,   "--dir", b->bed_dir};
    int argc = 9;
    for (int i = 0; i < 4 && o->up_args[i]; i++) {
        argv[argc++] = (char *)o->up_args[i];
    }
    argv[argc] = NULL;
    char *out = NULL;
    if (sbx_run(argv, &out)) {
        fprintf(stderr, "testbed up failed:\n%s\n", out ? out : "");
        free(out);
        goto fail;
    }
    free(out);
    for (int i = 1; o->prepare && i <= n_hosts; i++) {
        if (o->prepare(b, i)) {
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
        if (bed_start_agent(b, i)) {
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
    bed_stop(b);
    sbx_ovsdb_clear(&b->fabric);
    sbx_rmtree(b->dir);
    for (int i = 0; i < BED_MAX_AGENTS; i++) {
        for (int j = 0; j < BED_MAX_AGENT_OPTIONS; j++) {
            free(b->agent_options[i][j]);
        }
    }
    free(b->dir);
    free(b);
    the_bed = NULL;
}

int
bed_teardown_state(void **state)
{
    bed_teardown(*state);
    return 0;
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
