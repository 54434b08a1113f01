/* bench-ovsdb: the OVSDB client library (ovsdb/) against Open vSwitch's own
 * ovsdb-client, side by side, in one run.
 *
 *   bench-ovsdb [--rows N] [--batch N] [--txn-rows N] [--repeat N]
 *               [--replica PATH]
 *   bench-ovsdb --serve [--rows N] [--batch N]
 *
 * 1. Full replica.  An Open_vSwitch database (vswitch.ovsschema, served by
 *    a lone ovsdb-server) is filled with N Interface rows, each with its
 *    Port, all on one Bridge.  Then fabric-replica (ours) and "ovsdb-client
 *    dump" (baseline) each fetch the whole Interface table, as child
 *    processes: wall time from spawn to exit, CPU time and peak RSS
 *    (ru_maxrss), from wait4().  The table's size as JSON is measured
 *    three ways: ovsdb-client's select output (every column), the bytes
 *    of the monitor_cond reply, and fabric-replica's --json output.
 * 2. A 10,000-row transaction.  ovsdb-client takes a transaction only on
 *    its command line, and Linux caps one argument at 128 KiB, so the
 *    single transaction is checked to fail with E2BIG; the baseline is the
 *    same rows split into transactions that fit, run one after the other,
 *    and our client runs both that split and the single transaction, in
 *    process.  Every run gets a fresh database.
 *
 * --serve only fills the database of part 1 and serves it until
 * interrupted, for profiling fabric-replica by hand.
 *
 * Rules of the benchmark:
 * - Each figure is the median of --repeat runs (default 3), printed with
 *   its ratio to the baseline.
 * - A child's ru_maxrss starts from its parent's peak RSS (the kernel
 *   carries the high-water mark of the old address space over exec), so
 *   the measuring process must stay small until the memory figures are
 *   taken: the database is filled by a forked child, and the in-process
 *   work of part 2 comes after part 1.  The "spawn floor" line (the peak
 *   RSS /bin/true shows when spawned the same way) proves it.
 * - Children are started with posix_spawn(), which does not copy the
 *   parent's page tables, so the parent's size does not bend wall times.
 * - The sandbox (tests/lib/sandbox.h) stops the server and removes the
 *   temporary directory at exit, also on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "client.h"
#include "json-framer.h"
#include "ovsdb-error.h"
#include "sandbox.h"
#include "txn.h"

#define VSWITCH_SCHEMA "/usr/share/openvswitch/vswitch.ovsschema"
#define DB_NAME "Open_vSwitch"
#define BRIDGE "br-int"
#define MAX_REPEAT 15
#define WAIT_MS 300000
/* Linux's MAX_ARG_STRLEN: 32 pages, the longest single argv string. */
#define ARG_STRLEN_MAX (32 * 4096)

extern char **environ;

/* Where children's stderr goes (ovsdb-client logs its CPU use there), to
 * be shown when one fails; NULL: our stderr. */
static char *child_log;

struct bench_options {
    long rows;         /* Part 1: Interface rows in the database. */
    long batch;        /* Part 1: rows per filling transaction. */
    long txn_rows;     /* Part 2: rows of the big transaction. */
    int repeat;        /* Runs per figure. */
    char *replica_bin; /* Path of fabric-replica. */
};

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
tv_ms(const struct timeval *tv)
{
    return tv->tv_sec * 1e3 + tv->tv_usec / 1e3;
}

/* User + system CPU time of this process so far. */
static double
self_cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
}

static int
cmp_double(const void *a_, const void *b_)
{
    double a = *(const double *)a_, b = *(const double *)b_;
    return a < b ? -1 : a > b;
}

/* Median of the 'n' values of 'v' (reorders 'v'). */
static double
median(double *v, int n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *
goal_text(bool met)
{
    return met ? "met" : "NOT met";
}

/* Child processes, measured. */

struct measure {
    int status;       /* Exit status (128 + N for signal N). */
    double wall_ms;   /* From spawn to the end of wait4(). */
    double cpu_ms;    /* User + system CPU time of the child. */
    long maxrss_kib;  /* ru_maxrss of the child. */
    size_t out_bytes; /* Bytes the child wrote to stdout, if counted. */
    char head[512];   /* Start of its stdout, if counted. */
};

/* Runs 'argv' (argv[0] looked up in PATH) with stdin and, unless
 * 'count_output', stdout on /dev/null; stderr in 'child_log'.  Fills 'm' and
 * returns 0, or returns a positive errno when the program could not be
 * started (E2BIG for an argument over MAX_ARG_STRLEN). */
static int
run_measured(char *const argv[], bool count_output, struct measure *m)
{
    int fds[2] = {-1, -1};
    posix_spawn_file_actions_t actions;

    memset(m, 0, sizeof *m);
    if (count_output && pipe2(fds, O_CLOEXEC) < 0) {
        return errno;
    }
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (child_log) {
        posix_spawn_file_actions_addopen(&actions, 2, child_log,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    if (count_output) {
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY,
                                         0);
    }

    double start = now_ms();
    pid_t pid;
    int error = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (count_output) {
        close(fds[1]);
    }
    if (error) {
        if (count_output) {
            close(fds[0]);
        }
        return error;
    }
    sbx_track_pid(pid);

    if (count_output) {
        char buf[65536];
        ssize_t n;
        while ((n = read(fds[0], buf, sizeof buf)) != 0) {
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                break;
            }
            if (m->out_bytes < sizeof m->head - 1) {
                size_t room = sizeof m->head - 1 - m->out_bytes;
                memcpy(m->head + m->out_bytes, buf,
                       (size_t)n < room ? (size_t)n : room);
            }
            m->out_bytes += n;
        }
        close(fds[0]);
    }

    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            error = errno;
            sbx_untrack_pid(pid);
            return error;
        }
    }
    m->wall_ms = now_ms() - start;
    sbx_untrack_pid(pid);
    m->maxrss_kib = ru.ru_maxrss;
    m->cpu_ms = tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
    m->status =
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return 0;
}

/* Like run_measured(), but a program that cannot start or fails is an
 * error: prints why and returns -1. */
static int
run_checked(char *const argv[], bool count_output, struct measure *m)
{
    int error = run_measured(argv, count_output, m);
    if (error) {
        fprintf(stderr, "bench-ovsdb: cannot run %s: %s\n", argv[0],
                strerror(error));
        return -1;
    }
    if (m->status) {
        char *log = NULL;
        if (child_log) {
            sbx_runl(&log, "tail", "-n", "20", child_log, NULL);
        }
        fprintf(stderr, "bench-ovsdb: %s %s exited with status %d\n%s",
                argv[0], argv[1] ? argv[1] : "", m->status, log ? log : "");
        free(log);
        return -1;
    }
    return 0;
}

/* Our client, in process. */

struct bench_client {
    struct event_base *base;
    struct ovsdb_client *client;
};

/* A transaction's completion. */
struct txn_wait {
    bool done;
    int code;       /* 0 or the error's code. */
    char msg[256];  /* The error's message. */
    json_t *result; /* New reference on success, if wanted. */
    bool want_result;
};

static void
log_stderr(void *aux, enum jsonrpc_log_level level, const char *msg)
{
    if (level >= JSONRPC_LOG_WARN) {
        fprintf(stderr, "bench-ovsdb: client: %s\n", msg);
    }
}

static bool
client_synced(void *client)
{
    return ovsdb_client_is_synced(client);
}

/* Connects a client that monitors nothing to 'remote' and waits until it
 * can transact.  Returns 0 or -1; either way, bench_client_close() frees
 * what it made. */
static int
bench_client_open(struct bench_client *bc, const char *remote)
{
    struct ovsdb_client_options options = {
        .remotes = remote,
        .db = DB_NAME,
        .log = log_stderr,
        .probe_interval_ms = -1,
    };
    struct ovsdb_error *error = NULL;
    memset(bc, 0, sizeof *bc);
    bc->base = event_base_new();
    if (ovsdb_client_create(bc->base, &options, NULL, &bc->client, &error) <
        0) {
        fprintf(stderr, "bench-ovsdb: %s\n", error->msg);
        ovsdb_error_free(error);
        bc->client = NULL;
        return -1;
    }
    if (!sbx_loop_until(bc->base, client_synced, bc->client, 10000)) {
        fprintf(stderr, "bench-ovsdb: cannot connect to %s\n", remote);
        return -1;
    }
    return 0;
}

static void
bench_client_close(struct bench_client *bc)
{
    ovsdb_client_destroy(bc->client);
    if (bc->base) {
        event_base_free(bc->base);
    }
    memset(bc, 0, sizeof *bc);
}

static void
txn_done(void *w_, const json_t *result, const struct ovsdb_error *error)
{
    struct txn_wait *w = w_;
    w->done = true;
    if (error) {
        w->code = error->code ? error->code : -EIO;
        snprintf(w->msg, sizeof w->msg, "%s", error->msg);
    } else if (w->want_result) {
        w->result = json_incref((json_t *)result);
    }
}

static void
tick(evutil_socket_t fd, short what, void *aux)
{
    /* Only wakes the loop up so that the deadline is checked. */
}

/* Runs the client's loop until '*flag' is set, returning as soon as it is
 * (sbx_loop_until() checks only every 10 ms, which would blur timings).
 * Returns false after 'timeout_ms'. */
static bool
loop_until_set(struct event_base *base, const bool *flag, int timeout_ms)
{
    struct event *ticker = event_new(base, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = {0, 100 * 1000};
    event_add(ticker, &tv);
    double deadline = now_ms() + timeout_ms;
    while (!*flag && now_ms() < deadline) {
        event_base_loop(base, EVLOOP_ONCE);
    }
    event_free(ticker);
    return *flag;
}

/* Sends 'txn' (stolen) and waits for its reply.  With 'resultp', stores
 * the result there (new reference).  Returns 0 or -1; after a timeout the
 * transaction is still pending, so the caller must close the client
 * before running its loop again. */
static int
bench_transact(struct bench_client *bc, struct ovsdb_txn *txn,
               json_t **resultp)
{
    struct txn_wait w = {.want_result = resultp != NULL};
    int error = ovsdb_client_transact(bc->client, txn, txn_done, &w);
    if (error) {
        fprintf(stderr, "bench-ovsdb: transact: %s\n", strerror(-error));
        return -1;
    }
    if (!loop_until_set(bc->base, &w.done, WAIT_MS)) {
        fprintf(stderr, "bench-ovsdb: transaction timed out\n");
        return -1;
    }
    if (w.code) {
        fprintf(stderr, "bench-ovsdb: transaction failed: %s\n", w.msg);
        return -1;
    }
    if (resultp) {
        *resultp = w.result;
    }
    return 0;
}

/* Rows. */

static unsigned long long
mix64(unsigned long long x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Adds to 'txn' the Interface of VIF number 'i', as a hypervisor's
 * integration would create it, and its Port.  Returns the Port's named
 * UUID (new reference) for the Bridge's "ports". */
static json_t *
add_vif(struct ovsdb_txn *txn, long i)
{
    unsigned long long h = mix64(i), g = mix64(~(unsigned long long)i);
    char name[32], iname[32], pname[32], iface_id[40], mac[18], tap[18];

    snprintf(name, sizeof name, "vif%06ld", i);
    snprintf(iname, sizeof iname, "i%ld", i);
    snprintf(pname, sizeof pname, "p%ld", i);
    snprintf(iface_id, sizeof iface_id, "%08x-%04x-4%03x-a%03x-%012llx",
             (unsigned)(h >> 32), (unsigned)(h >> 16) & 0xffff,
             (unsigned)h & 0xfff, (unsigned)(g >> 52), g & 0xffffffffffffULL);
    snprintf(mac, sizeof mac, "02:%02x:%02x:%02x:%02x:%02x",
             (unsigned)(i >> 32) & 0xff, (unsigned)(i >> 24) & 0xff,
             (unsigned)(i >> 16) & 0xff, (unsigned)(i >> 8) & 0xff,
             (unsigned)i & 0xff);
    snprintf(tap, sizeof tap, "fe:%s", mac + 3);

    json_t *iface = json_pack(
        "{s:s, s:s, s:[s,[[s,s],[s,s]]], s:s, s:I}", "name", name, "type",
        i % 10 ? "" : "internal", "external_ids", "map", "iface-id", iface_id,
        "attached-mac", mac, "mac_in_use", tap, "ofport", (json_int_t)(i + 1));
    ovsdb_txn_insert(txn, "Interface", iface, iname);
    json_t *port = json_pack("{s:s, s:[s,s]}", "name", name, "interfaces",
                             "named-uuid", iname);
    ovsdb_txn_insert(txn, "Port", port, pname);
    return json_pack("[s,s]", "named-uuid", pname);
}

/* Returns a new transaction that adds VIFs 'first' to 'first' + 'n' - 1
 * and attaches their Ports to the bridge. */
static struct ovsdb_txn *
vifs_txn(long first, long n)
{
    struct ovsdb_txn *txn = ovsdb_txn_create(DB_NAME);
    json_t *ports = json_array();
    for (long i = first; i < first + n; i++) {
        json_array_append_new(ports, add_vif(txn, i));
    }
    json_t *where =
        json_pack("[o]", ovsdb_cond("name", "==", json_string(BRIDGE)));
    json_t *mutations =
        json_pack("[o]", ovsdb_mutation("ports", "insert",
                                        json_pack("[s,o]", "set", ports)));
    ovsdb_txn_mutate(txn, "Bridge", where, mutations);
    return txn;
}

/* Creates the Open_vSwitch row and the bridge. */
static int
add_bridge(struct bench_client *bc)
{
    struct ovsdb_txn *txn = ovsdb_txn_create(DB_NAME);
    ovsdb_txn_insert(txn, "Bridge", json_pack("{s:s}", "name", BRIDGE), "br");
    ovsdb_txn_insert(
        txn, "Open_vSwitch",
        json_pack("{s:[s,[[s,s]]]}", "bridges", "set", "named-uuid", "br"),
        NULL);
    return bench_transact(bc, txn, NULL);
}

/* Counts the Interface rows through 'bc', or returns -1. */
static long
count_interfaces(struct bench_client *bc)
{
    struct ovsdb_txn *txn = ovsdb_txn_create(DB_NAME);
    ovsdb_txn_select(txn, "Interface", json_array(),
                     json_pack("[s]", "_uuid"));
    json_t *result;
    if (bench_transact(bc, txn, &result) < 0) {
        return -1;
    }
    const json_t *rows = ovsdb_txn_selected_rows(result, 0);
    long n = rows ? (long)json_array_size(rows) : -1;
    json_decref(result);
    return n;
}

/* Fills the database at 'remote' with 'rows' VIFs in transactions of
 * 'batch' rows.  Runs in a child process (see the rules above) and
 * returns its exit code. */
static int
fill_database(const char *remote, long rows, long batch)
{
    struct bench_client bc;
    int rc = 1;
    if (bench_client_open(&bc, remote) < 0 || add_bridge(&bc) < 0) {
        goto cleanup;
    }
    for (long i = 0; i < rows; i += batch) {
        long n = rows - i < batch ? rows - i : batch;
        if (bench_transact(&bc, vifs_txn(i, n), NULL) < 0) {
            goto cleanup;
        }
    }
    rc = count_interfaces(&bc) == rows ? 0 : 1;
    if (rc) {
        fprintf(stderr, "bench-ovsdb: database does not hold %ld rows\n",
                rows);
    }
cleanup:
    bench_client_close(&bc);
    return rc;
}

/* Byte size of the monitor_cond reply for every column of Interface, as
 * the server sends it: reads one reply from a plain connection to 'sock'.
 * Returns it, or -1. */
static long long
monitor_reply_size(const char *sock)
{
    static const char request[] =
        "{\"id\":1,\"method\":\"monitor_cond\",\"params\":[\"" DB_NAME
        "\",\"bench\",{\"Interface\":[{}]}]}";
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    long long total = -1, got = 0;
    struct json_framer *framer = json_framer_create(SIZE_MAX / 2);
    struct ovsdb_error *error = NULL;

    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
        write(fd, request, sizeof request - 1) !=
            (ssize_t)sizeof request - 1) {
        perror("bench-ovsdb: monitor_cond");
        goto cleanup;
    }
    for (;;) {
        char buf[65536];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) {
            fprintf(stderr, "bench-ovsdb: monitor_cond: no reply\n");
            goto cleanup;
        }
        got += n;
        json_t *msg = NULL;
        if (json_framer_push(framer, buf, n, &error) < 0 ||
            json_framer_pop(framer, &msg, &error) < 0) {
            fprintf(stderr, "bench-ovsdb: monitor_cond: %s\n", error->msg);
            goto cleanup;
        }
        if (msg) {
            bool ok = json_is_object(json_object_get(msg, "result"));
            json_decref(msg);
            if (!ok) {
                fprintf(stderr, "bench-ovsdb: monitor_cond failed\n");
                goto cleanup;
            }
            total = got - (long long)json_framer_pending(framer);
            break;
        }
    }
cleanup:
    ovsdb_error_free(error);
    json_framer_destroy(framer);
    if (fd >= 0) {
        close(fd);
    }
    return total;
}

/* Part 1: the full replica. */

static void
print_size(const char *what, double bytes)
{
    printf("  %-58s %7.1f MiB (%.0f bytes)\n", what, bytes / (1024.0 * 1024.0),
           bytes);
}

/* Starts a server on a new database 'db' in 'dir' and fills it with
 * o->rows VIFs, from a child process so that this one stays small.
 * Returns 0 or -1. */
static int
start_filled_server(const struct bench_options *o, const char *dir,
                    struct sbx_ovsdb *db)
{
    sbx_ovsdb_init(db, dir, "replica");
    if (sbx_ovsdb_create_db(db, VSWITCH_SCHEMA) < 0 ||
        sbx_ovsdb_start(db, NULL) < 0) {
        return -1;
    }

    fflush(stdout);
    fflush(stderr);
    double start = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        /* _exit(): the sandbox's exit handler belongs to the parent. */
        _exit(fill_database(db->unix_remote, o->rows, o->batch));
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status)) {
        fprintf(stderr, "bench-ovsdb: filling the database failed\n");
        return -1;
    }
    printf("filled with our client in %.1f s (%ld Interface + %ld Port "
           "rows, %ld rows per transaction)\n",
           (now_ms() - start) / 1e3, o->rows, o->rows, o->batch);
    return 0;
}

static int
bench_replica(const struct bench_options *o, const char *dir)
{
    struct sbx_ovsdb db;
    char rows_text[32];
    int rc = -1;

    snprintf(rows_text, sizeof rows_text, "%ld rows", o->rows);
    printf("\n== 1. Full replica of Interface (%ld rows), median of %d ==\n",
           o->rows, o->repeat);
    if (start_filled_server(o, dir, &db) < 0) {
        goto cleanup;
    }

    char *ours_argv[] = {o->replica_bin, db.unix_remote, DB_NAME, "Interface",
                         NULL};
    char *ours_json_argv[] = {o->replica_bin, "--json",    db.unix_remote,
                              DB_NAME,        "Interface", NULL};
    char *dump_argv[] = {
        "ovsdb-client", "dump", "--format=json", db.unix_remote, DB_NAME,
        "Interface",    NULL};
    char *query_argv[] = {"ovsdb-client", "query", db.unix_remote,
                          "[\"" DB_NAME "\",{\"op\":\"select\",\"table\":"
                          "\"Interface\",\"where\":[]}]",
                          NULL};
    char *true_argv[] = {"true", NULL};
    struct measure m;

    if (run_checked(true_argv, false, &m) < 0) {
        goto cleanup;
    }
    long floor_kib = m.maxrss_kib;

    double ours_ms[MAX_REPEAT], ours_cpu[MAX_REPEAT], ours_kib[MAX_REPEAT];
    double base_ms[MAX_REPEAT], base_cpu[MAX_REPEAT], base_kib[MAX_REPEAT];
    for (int r = 0; r < o->repeat; r++) {
        /* Ours and the baseline alternate, so that drift hits both. */
        if (run_checked(ours_argv, true, &m) < 0) {
            goto cleanup;
        }
        long n = 0;
        char table[64];
        if (sscanf(m.head, "%63s %ld rows", table, &n) != 2 || n != o->rows) {
            fprintf(stderr,
                    "bench-ovsdb: fabric-replica printed \"%s\", "
                    "not %s\n",
                    m.head, rows_text);
            goto cleanup;
        }
        ours_ms[r] = m.wall_ms;
        ours_cpu[r] = m.cpu_ms;
        ours_kib[r] = m.maxrss_kib;
        if (run_checked(dump_argv, false, &m) < 0) {
            goto cleanup;
        }
        base_ms[r] = m.wall_ms;
        base_cpu[r] = m.cpu_ms;
        base_kib[r] = m.maxrss_kib;
        printf("run %d: fabric-replica %.0f ms (CPU %.0f ms) %.0f KiB; "
               "ovsdb-client dump %.0f ms (CPU %.0f ms) %.0f KiB\n",
               r + 1, ours_ms[r], ours_cpu[r], ours_kib[r], base_ms[r],
               base_cpu[r], base_kib[r]);
    }

    /* Sizes come after the memory figures: reading the monitor reply
     * here makes this process grow. */
    if (run_checked(query_argv, true, &m) < 0) {
        goto cleanup;
    }
    double raw_bytes = m.out_bytes;
    if (run_checked(ours_json_argv, true, &m) < 0) {
        goto cleanup;
    }
    double replica_json_bytes = m.out_bytes;
    long long monitor_bytes = monitor_reply_size(db.sock_path);
    if (monitor_bytes < 0) {
        goto cleanup;
    }

    double t_ours = median(ours_ms, o->repeat);
    double t_base = median(base_ms, o->repeat);
    double c_ours = median(ours_cpu, o->repeat);
    double c_base = median(base_cpu, o->repeat);
    double k_ours = median(ours_kib, o->repeat);
    double k_base = median(base_kib, o->repeat);
    double rss_ratio = k_ours * 1024 / raw_bytes;

    printf("\n%-30s %12s %12s %14s\n", "", "wall time", "client CPU",
           "peak RSS");
    printf("%-30s %9.0f ms %9.0f ms %10.1f MiB\n",
           "ovsdb-client dump (baseline)", t_base, c_base, k_base / 1024);
    printf("%-30s %9.0f ms %9.0f ms %10.1f MiB\n", "fabric-replica (ours)",
           t_ours, c_ours, k_ours / 1024);
    printf("%-30s %11.2fx %11.2fx %13.2fx\n", "ours / baseline",
           t_ours / t_base, c_ours / c_base, k_ours / k_base);
    printf("spawn floor: /bin/true shows a peak RSS of %.1f MiB when "
           "spawned by this process\n",
           floor_kib / 1024.0);

    printf("\nInterface table as JSON:\n");
    print_size("raw JSON: ovsdb-client query select output", raw_bytes);
    print_size("monitor_cond reply on the wire (update2 \"initial\")",
               monitor_bytes);
    print_size("fabric-replica --json output (replica, defaults filled in)",
               replica_json_bytes);
    printf("  %-58s %7.2fx\n", "our peak RSS / raw JSON size", rss_ratio);
    printf("  %-58s %7.2fx\n", "our peak RSS / monitor_cond reply size",
           k_ours * 1024 / monitor_bytes);

    printf("\ngoal: our time <= ovsdb-client's: %s (%.2fx)\n",
           goal_text(t_ours <= t_base), t_ours / t_base);
    printf("goal: our memory < 2x raw JSON size: %s (%.2fx)\n",
           goal_text(rss_ratio < 2), rss_ratio);
    rc = 0;

cleanup:
    fflush(stdout);
    sbx_ovsdb_clear(&db);
    return rc;
}

/* Part 2: a 10,000-row transaction. */

/* A fresh database for one run of part 2: its own server with the bridge
 * in place and a client connected to it. */
struct fresh_db {
    struct sbx_ovsdb db;
    struct bench_client bc;
};

static int
fresh_db_start(struct fresh_db *f, const char *dir, int seq)
{
    char name[32];
    snprintf(name, sizeof name, "txn%d", seq);
    memset(f, 0, sizeof *f);
    sbx_ovsdb_init(&f->db, dir, name);
    if (sbx_ovsdb_create_db(&f->db, VSWITCH_SCHEMA) < 0 ||
        sbx_ovsdb_start(&f->db, NULL) < 0 ||
        bench_client_open(&f->bc, f->db.unix_remote) < 0 ||
        add_bridge(&f->bc) < 0) {
        return -1;
    }
    return 0;
}

/* Checks that the run left 'rows' Interface rows (unless 'rows' < 0), then
 * stops the server and removes its files.  Returns 0 or -1. */
static int
fresh_db_finish(struct fresh_db *f, long rows)
{
    int rc = 0;
    if (f->bc.client && rows >= 0) {
        long n = count_interfaces(&f->bc);
        if (n != rows) {
            fprintf(stderr, "bench-ovsdb: %ld Interface rows, not %ld\n", n,
                    rows);
            rc = -1;
        }
    }
    bench_client_close(&f->bc);
    sbx_ovsdb_kill(&f->db, SIGTERM);
    unlink(f->db.db_path);
    unlink(f->db.log_path);
    sbx_ovsdb_clear(&f->db);
    return rc;
}

/* Sends the transactions 'txns[0..n-1]' (stolen) one after the other,
 * each once the previous one's reply is in.  Returns the time from the
 * first send to the last reply in ms, or -1, and stores in '*cpu_ms' the
 * CPU time this process spent meanwhile. */
static double
ours_sequential(struct bench_client *bc, struct ovsdb_txn **txns, int n,
                double *cpu_ms)
{
    double cpu_start = self_cpu_ms();
    double start = now_ms();
    int sent = 0;
    bool ok = true;
    while (ok && sent < n) {
        ok = bench_transact(bc, txns[sent++], NULL) == 0;
    }
    double elapsed = now_ms() - start;
    *cpu_ms = self_cpu_ms() - cpu_start;
    while (sent < n) {
        ovsdb_txn_destroy(txns[sent++]);
    }
    return ok ? elapsed : -1;
}

/* Returns the transaction of VIFs 'first'.. as a string of JSON
 * (free()), the way ovsdb-client takes it. */
static char *
vifs_txn_text(long first, long n)
{
    struct ovsdb_txn *txn = vifs_txn(first, n);
    json_t *params = ovsdb_txn_params(txn);
    char *text = json_dumps(params, JSON_COMPACT);
    json_decref(params);
    ovsdb_txn_destroy(txn);
    return text;
}

static void
print_txn_line(const char *label, double ms, double base_ms, double cpu_ms,
               double base_cpu_ms)
{
    printf("%-38s %7.0f ms %9.2fx %8.0f ms %9.2fx\n", label, ms, ms / base_ms,
           cpu_ms, cpu_ms / base_cpu_ms);
}

static int
bench_big_txn(const struct bench_options *o, const char *dir)
{
    long rows = o->txn_rows;
    int rc = -1, seq = 0;
    struct fresh_db f;
    memset(&f, 0, sizeof f);
    struct measure m;
    char **texts = NULL;
    long chunk = 1000;
    int n_chunks = 0;

    printf("\n== 2. Inserting %ld Interface (+ Port) rows, median of %d "
           "==\n",
           rows, o->repeat);

    /* ovsdb-client cannot take the single transaction: check it. */
    char *big = vifs_txn_text(0, rows);
    size_t big_len = strlen(big);
    if (fresh_db_start(&f, dir, seq++) < 0) {
        free(big);
        goto cleanup;
    }
    char *big_argv[] = {"ovsdb-client", "transact", f.db.unix_remote, big,
                        NULL};
    int error = run_measured(big_argv, false, &m);
    free(big);
    if (error) {
        printf("ovsdb-client transact of the %ld-row transaction (%.2f MB "
               "in one argument): %s (%s); Linux limits one argument to "
               "%d bytes (MAX_ARG_STRLEN)\n",
               rows, big_len / 1e6, strerror(error),
               error == E2BIG ? "E2BIG" : "unexpected", ARG_STRLEN_MAX);
    } else {
        printf("ovsdb-client transact of the %ld-row transaction (%.2f MB "
               "in one argument) unexpectedly ran: status %d, %.0f ms\n",
               rows, big_len / 1e6, m.status, m.wall_ms);
    }
    if (fresh_db_finish(&f, error ? 0 : rows) < 0) {
        goto cleanup;
    }

    /* The largest split whose transactions each fit in one argument. */
    for (;;) {
        n_chunks = (int)((rows + chunk - 1) / chunk);
        texts = calloc(n_chunks, sizeof *texts);
        bool fits = true;
        for (int i = 0; i < n_chunks; i++) {
            long first = i * chunk;
            texts[i] = vifs_txn_text(first, rows - first < chunk ? rows - first
                                                                 : chunk);
            fits = fits && strlen(texts[i]) < ARG_STRLEN_MAX;
        }
        if (fits || chunk == 1) {
            break;
        }
        for (int i = 0; i < n_chunks; i++) {
            free(texts[i]);
        }
        free(texts);
        texts = NULL;
        chunk /= 2;
    }
    printf("split that fits: %d transactions of %ld rows (largest %.0f "
           "KiB of JSON)\n",
           n_chunks, chunk, strlen(texts[n_chunks - 1]) / 1024.0);

    double base_ms[MAX_REPEAT], floor_ms[MAX_REPEAT];
    double split_ms[MAX_REPEAT], single_ms[MAX_REPEAT];
    double base_cpu[MAX_REPEAT], split_cpu[MAX_REPEAT];
    double single_cpu[MAX_REPEAT];
    for (int r = 0; r < o->repeat; r++) {
        /* Baseline: one ovsdb-client per transaction. */
        if (fresh_db_start(&f, dir, seq++) < 0) {
            goto cleanup;
        }
        char *empty_argv[] = {"ovsdb-client", "transact", f.db.unix_remote,
                              "[\"" DB_NAME "\"]", NULL};
        if (run_checked(empty_argv, false, &m) < 0) {
            goto cleanup;
        }
        floor_ms[r] = m.wall_ms;
        base_ms[r] = base_cpu[r] = 0;
        for (int i = 0; i < n_chunks; i++) {
            char *argv[] = {"ovsdb-client", "transact", f.db.unix_remote,
                            texts[i], NULL};
            if (run_checked(argv, false, &m) < 0) {
                goto cleanup;
            }
            base_ms[r] += m.wall_ms;
            base_cpu[r] += m.cpu_ms;
        }
        if (fresh_db_finish(&f, rows) < 0) {
            goto cleanup;
        }

        /* Ours, the same split. */
        if (fresh_db_start(&f, dir, seq++) < 0) {
            goto cleanup;
        }
        struct ovsdb_txn **txns = calloc(n_chunks, sizeof *txns);
        for (int i = 0; i < n_chunks; i++) {
            long first = i * chunk;
            txns[i] =
                vifs_txn(first, rows - first < chunk ? rows - first : chunk);
        }
        split_ms[r] = ours_sequential(&f.bc, txns, n_chunks, &split_cpu[r]);
        free(txns);
        if (split_ms[r] < 0 || fresh_db_finish(&f, rows) < 0) {
            goto cleanup;
        }

        /* Ours, one transaction. */
        if (fresh_db_start(&f, dir, seq++) < 0) {
            goto cleanup;
        }
        struct ovsdb_txn *single = vifs_txn(0, rows);
        single_ms[r] = ours_sequential(&f.bc, &single, 1, &single_cpu[r]);
        if (single_ms[r] < 0 || fresh_db_finish(&f, rows) < 0) {
            goto cleanup;
        }
        printf("run %d: ovsdb-client %.0f ms (CPU %.0f ms); ours split "
               "%.0f ms (CPU %.0f ms); ours single %.0f ms (CPU %.0f ms)\n",
               r + 1, base_ms[r], base_cpu[r], split_ms[r], split_cpu[r],
               single_ms[r], single_cpu[r]);
    }

    double t_base = median(base_ms, o->repeat);
    double t_split = median(split_ms, o->repeat);
    double t_single = median(single_ms, o->repeat);
    double t_floor = median(floor_ms, o->repeat);
    double c_base = median(base_cpu, o->repeat);
    double c_split = median(split_cpu, o->repeat);
    double c_single = median(single_cpu, o->repeat);
    char label[64];

    printf("\n%-38s %10s %10s %11s %10s\n", "", "time", "/ base", "client CPU",
           "/ base");
    snprintf(label, sizeof label, "ovsdb-client transact, %d x %ld rows",
             n_chunks, chunk);
    print_txn_line(label, t_base, t_base, c_base, c_base);
    snprintf(label, sizeof label, "ours, %d x %ld rows, sequential", n_chunks,
             chunk);
    print_txn_line(label, t_split, t_base, c_split, c_base);
    snprintf(label, sizeof label, "ours, 1 x %ld rows", rows);
    print_txn_line(label, t_single, t_base, c_single, c_base);
    printf("ovsdb-client's figures include starting a process and "
           "connecting for each\ntransaction: an empty transaction takes "
           "it %.1f ms (x %d = %.0f ms).\nOurs are measured in process, "
           "from sending the first transaction to the last\nreply (CPU: "
           "this process's user + system time meanwhile).\n",
           t_floor, n_chunks, t_floor * n_chunks);
    rc = 0;

cleanup:
    if (f.db.dir) {
        fresh_db_finish(&f, -1);
    }
    for (int i = 0; texts && i < n_chunks; i++) {
        free(texts[i]);
    }
    free(texts);
    fflush(stdout);
    return rc;
}

/* Only serves the database of part 1, for profiling fabric-replica by
 * hand (see BENCHMARKS.md), until a signal ends this process; the
 * sandbox's signal handler then stops the server and removes 'dir'.  (A
 * copy of the database file would not do: Interface's "mac_in_use" is an
 * ephemeral column, which ovsdb-server does not write to disk.)  Returns
 * -1 on failure. */
static int
serve(const struct bench_options *o, const char *dir)
{
    struct sbx_ovsdb db;
    if (start_filled_server(o, dir, &db) < 0) {
        sbx_ovsdb_clear(&db);
        return -1;
    }
    printf("serving %s (pid %d); interrupt to stop\n", db.unix_remote,
           (int)db.pid);
    fflush(stdout);
    for (;;) {
        pause();
    }
}

/* The machine. */

static void
print_load(const char *when)
{
    double load[3];
    if (getloadavg(load, 3) == 3) {
        printf("load:    %.2f %.2f %.2f %s\n", load[0], load[1], load[2],
               when);
    }
}

static void
print_header(void)
{
    char date[64], *version = NULL, cpu[128] = "unknown";
    time_t t = time(NULL);
    struct utsname u;

    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
    uname(&u);
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(cpu, sizeof cpu, "%s", strchr(line, ':') + 2);
            cpu[strcspn(cpu, "\n")] = '\0';
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    sbx_runl(&version, "ovsdb-server", "--version", NULL);
    if (version) {
        version[strcspn(version, "\n")] = '\0';
    }

    printf("bench-ovsdb: fabric's OVSDB client vs. Open vSwitch's "
           "ovsdb-client\n");
    printf("date:    %s\n", date);
    printf("machine: %ld CPUs (nproc), %s, Linux %s\n",
           sysconf(_SC_NPROCESSORS_ONLN), cpu, u.release);
    printf("server:  %s\n", version ? version : "ovsdb-server: unknown");
    print_load("at start (other work on the machine bends wall times)");
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
    printf("build:   optimized\n");
#else
    printf("build:   NOT optimized or with sanitizers: figures are "
           "pessimistic\n         (use -DCMAKE_BUILD_TYPE=Release "
           "-DFABRIC_SANITIZE=OFF)\n");
#endif
    free(version);
}

/* Returns the path of fabric-replica next to this program (free()). */
static char *
default_replica_bin(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        return strdup("fabric-replica");
    }
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    return sbx_path(self, "fabric-replica");
}

static void
usage(void)
{
    printf("usage: bench-ovsdb [--rows N] [--batch N] [--txn-rows N] "
           "[--repeat N]\n"
           "                   [--replica PATH] [--serve]\n"
           "  --rows N       Interface rows for the replica (100000)\n"
           "  --batch N      rows per transaction filling them (5000)\n"
           "  --txn-rows N   rows of the big transaction (10000)\n"
           "  --repeat N     runs per figure, median reported (3)\n"
           "  --replica PATH fabric-replica program (next to this one)\n"
           "  --serve        only serve the filled database of part 1, "
           "until interrupted\n");
}

int
main(int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"rows", required_argument, NULL, 'r'},
        {"batch", required_argument, NULL, 'b'},
        {"txn-rows", required_argument, NULL, 't'},
        {"repeat", required_argument, NULL, 'n'},
        {"replica", required_argument, NULL, 'R'},
        {"serve", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct bench_options o = {
        .rows = 100000, .batch = 5000, .txn_rows = 10000, .repeat = 3};
    bool serve_only = false;
    int c;

    /* Lines in order with stderr's when both go to one file. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case 'r':
            o.rows = atol(optarg);
            break;
        case 'b':
            o.batch = atol(optarg);
            break;
        case 't':
            o.txn_rows = atol(optarg);
            break;
        case 'n':
            o.repeat = atoi(optarg);
            break;
        case 'R':
            free(o.replica_bin);
            o.replica_bin = strdup(optarg);
            break;
        case 's':
            serve_only = true;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc || o.rows < 1 || o.batch < 1 || o.txn_rows < 1 ||
        o.repeat < 1 || o.repeat > MAX_REPEAT) {
        usage();
        return 2;
    }
    if (!o.replica_bin) {
        o.replica_bin = default_replica_bin();
    }
    if (access(o.replica_bin, X_OK) < 0) {
        fprintf(stderr,
                "bench-ovsdb: %s: %s (build target fabric-replica "
                "or use --replica)\n",
                o.replica_bin, strerror(errno));
        free(o.replica_bin);
        return 1;
    }

    char *dir = sbx_mkdtemp("bench");
    int rc = 1;
    if (dir) {
        child_log = sbx_path(dir, "children.log");
    }
    if (serve_only) {
        if (dir) {
            serve(&o, dir);
        }
    } else {
        print_header();
        if (dir && bench_replica(&o, dir) == 0 &&
            bench_big_txn(&o, dir) == 0) {
            rc = 0;
        }
        printf("\n");
        print_load("at the end");
    }
    if (dir) {
        sbx_rmtree(dir);
    }
    free(dir);
    free(child_log);
    free(o.replica_bin);
    return rc;
}
