/* bench-apply: "fabricctl topology apply" of generated labs, end to end and
 * phase by phase, against two baselines, in one run.
 *
 *   bench-apply [--sizes N,N,...] [--repeat N] [--fabricctl PATH]
 *               [--schema PATH]
 *   bench-apply --print-lab N
 *
 * For each size (guests: 10, 100, 1,000 and 5,000 by default) a topology
 * file is generated: 3 hosts with underlay addresses, one /24 network per
 * 200 guests, one flows router with a port in every network, and netns
 * guests with one interface each, spread over the hosts.  Then, each on a
 * fresh fabric DB (ovsdb-server with ovsdb/fabric.ovsschema):
 *
 * 1. End to end: "fabricctl --db=unix:SOCK topology apply FILE", then the
 *    same again (a re-apply, which must change nothing), as child
 *    processes: wall time from spawn to exit, fabricctl's CPU time and the
 *    server's meanwhile, and peak RSS (ru_maxrss from wait4()).  This is
 *    the figure the goal is about.
 * 2. In process, phase by phase, as fabricctl does it: topology_load_file()
 *    (read and validate); connecting a client that monitors every table of
 *    dbmodel_tables until its replica is synced; dbmodel_read() and
 *    plan_compute(); dbmodel_build_apply(); the transaction's round trip.
 *    Then the same again as a re-apply.
 * 3. Baselines: a bare libyaml parse of the same file (reading it and
 *    pulling every event, no validation), and the round trip alone of the
 *    same transaction (built beforehand, untimed) sent by our client,
 *    which monitors nothing then.  ovsdb-client cannot be the baseline: it
 *    takes a transaction only on its command line, which Linux caps at
 *    128 KiB per argument.  The commit of part 2 and the baseline's are
 *    also split into the client's and the server's CPU time (the server's
 *    from /proc/PID/schedstat), which shows what the monitor costs: a
 *    client that monitors every table, as fabricctl's does, gets all the
 *    rows it wrote back as an update before the reply.
 *
 * Rules of the benchmark:
 * - Each figure is the median of --repeat runs (default 3).
 * - The in-process runs (parts 2 and 3) happen in forked children, each a
 *   fresh process like fabricctl, which report their figures through a
 *   pipe.  The measuring process thus stays small: a child's ru_maxrss
 *   starts from its parent's peak RSS (the kernel carries the high-water
 *   mark of the old address space over exec), and the "spawn floor" line
 *   (the peak RSS /bin/true shows when spawned the same way) proves it.
 * - Children run with posix_spawn(); fabricctl's stdout (the plan, one
 *   line per object) goes to /dev/null, its stderr to a log shown when it
 *   fails.
 * - Every apply is checked: fabricctl must exit 0, and the re-apply must
 *   find nothing to change, which proves the first one wrote the whole
 *   lab.
 * - The sandbox (tests/lib/sandbox.h) stops the servers and removes the
 *   temporary directory at exit, also on failure.
 *
 * --print-lab only writes the topology of a lab to stdout, for profiling
 * fabricctl by hand (see BENCHMARKS.md).
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
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>
#include <yaml.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "client.h"
#include "dbmodel.h"
#include "model.h"
#include "ovsdb-error.h"
#include "plan.h"
#include "sandbox.h"
#include "topology.h"
#include "txn.h"

#define MAX_REPEAT 15
#define MAX_SIZES 16
#define MAX_GUESTS 1000000
#define N_HOSTS 3
#define GUESTS_PER_NETWORK 200
#define WAIT_MS 300000
/* The goal: 1,000 guests in under 200 ms end to end. */
#define GOAL_GUESTS 1000
#define GOAL_MS 200.0

extern char **environ;

/* Where children's stderr goes, to be shown when one fails. */
static char *child_log;

struct bench_options {
    size_t sizes[MAX_SIZES]; /* Guests per lab. */
    int n_sizes;
    int repeat;      /* Runs per figure. */
    char *fabricctl; /* Path of fabricctl. */
    char *schema;    /* Path of fabric.ovsschema. */
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

/* CPU time this process has used so far. */
static double
self_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time process 'pid' has used so far, from /proc/PID/schedstat
 * (nanoseconds on a CPU), or -1. */
static double
proc_cpu_ms(pid_t pid)
{
    char path[64];
    unsigned long long ns;
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
    FILE *f = fopen(path, "r");
    int n = f ? fscanf(f, "%llu", &ns) : 0;
    if (f) {
        fclose(f);
    }
    return n == 1 ? ns / 1e6 : -1;
}

static int
cmp_double(const void *a_, const void *b_)
{
    double a = *(const double *)a_, b = *(const double *)b_;
    return a < b ? -1 : a > b;
}

/* Median of the 'n' values of 'v' (does not reorder 'v'). */
static double
median(const double *v, int n)
{
    double s[MAX_REPEAT];
    memcpy(s, v, n * sizeof *v);
    qsort(s, n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static const char *
goal_text(bool met)
{
    return met ? "met" : "NOT met";
}

/* The generated labs. */

static size_t
lab_networks(size_t guests)
{
    return guests ? (guests + GUESTS_PER_NETWORK - 1) / GUESTS_PER_NETWORK : 1;
}

/* Writes "10.A.B" of network 'i' to 'buf'. */
static void
network_prefix(char *buf, size_t size, size_t i)
{
    snprintf(buf, size, "10.%zu.%zu", 1 + i / 256, i % 256);
}

/* Writes the topology of a lab with 'guests' guests to 'f' (see the top
 * of this file). */
static void
write_lab(FILE *f, size_t guests)
{
    size_t n_networks = lab_networks(guests);
    char prefix[32];

    fprintf(f,
            "# Generated by bench-apply: %zu guests.\n"
            "name: bench-%zu\nhosts:\n",
            guests, guests);
    for (size_t i = 0; i < N_HOSTS; i++) {
        fprintf(f, "  - {name: hv%zu, underlay: 10.99.0.%zu}\n", i + 1, i + 1);
    }
    fprintf(f, "networks:\n");
    for (size_t i = 0; i < n_networks; i++) {
        network_prefix(prefix, sizeof prefix, i);
        fprintf(f, "  - {name: net%03zu, subnet: %s.0/24, mode: isolated}\n",
                i, prefix);
    }
    fprintf(f, "routers:\n  - name: r0\n    kind: flows\n"
               "    interfaces:\n");
    for (size_t i = 0; i < n_networks; i++) {
        network_prefix(prefix, sizeof prefix, i);
        fprintf(f, "      - {network: net%03zu, ip: %s.254}\n", i, prefix);
    }
    fprintf(f, "guests:\n");
    for (size_t i = 0; i < guests; i++) {
        size_t net = i / GUESTS_PER_NETWORK;
        network_prefix(prefix, sizeof prefix, net);
        fprintf(f,
                "  - name: g%05zu\n"
                "    host: hv%zu\n"
                "    kind: netns\n"
                "    interfaces:\n"
                "      - {network: net%03zu, ip: %s.%zu/24, "
                "gateway: %s.254}\n",
                i + 1, 1 + i % N_HOSTS, net, prefix,
                1 + i % GUESTS_PER_NETWORK, prefix);
    }
}

/* Writes the topology of a lab with 'guests' guests to 'path'.  Returns 0
 * or -1. */
static int
write_lab_file(const char *path, size_t guests)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench-apply: %s: %s\n", path, strerror(errno));
        return -1;
    }
    write_lab(f, guests);
    if (fclose(f)) {
        fprintf(stderr, "bench-apply: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static long long
file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) ? -1 : (long long)st.st_size;
}

/* Fresh fabric DBs. */

/* Starts a server on a new fabric DB named 'name' in 'dir'.  Returns 0 or
 * -1. */
static int
fresh_db_start(struct sbx_ovsdb *db, const char *dir, const char *schema,
               const char *name)
{
    sbx_ovsdb_init(db, dir, name);
    if (sbx_ovsdb_create_db(db, schema) < 0 || sbx_ovsdb_start(db, NULL) < 0) {
        return -1;
    }
    return 0;
}

/* Stops the server, removes its files and frees 'db'. */
static void
fresh_db_finish(struct sbx_ovsdb *db)
{
    if (db->pid) {
        sbx_ovsdb_kill(db, SIGTERM);
    }
    if (db->db_path) {
        unlink(db->db_path);
        unlink(db->log_path);
    }
    sbx_ovsdb_clear(db);
    memset(db, 0, sizeof *db);
}

/* Child processes, measured. */

struct measure {
    int status;      /* Exit status (128 + N for signal N). */
    double wall_ms;  /* From spawn to the end of wait4(). */
    double cpu_ms;   /* User + system CPU time of the child. */
    long maxrss_kib; /* ru_maxrss of the child. */
    char head[256];  /* Start of its stdout, if captured. */
};

/* Runs 'argv' with stdin on /dev/null, stderr in 'child_log' and stdout
 * on /dev/null or, with 'capture', in a pipe whose beginning goes to
 * m->head.  Fills 'm' and returns 0, or returns -1 after saying why. */
static int
run_measured(char *const argv[], bool capture, struct measure *m)
{
    int fds[2] = {-1, -1};
    posix_spawn_file_actions_t actions;

    memset(m, 0, sizeof *m);
    if (capture && pipe2(fds, O_CLOEXEC) < 0) {
        perror("bench-apply: pipe");
        return -1;
    }
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (child_log) {
        posix_spawn_file_actions_addopen(&actions, 2, child_log,
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    if (capture) {
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY,
                                         0);
    }

    double start = now_ms();
    pid_t pid;
    int error = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (capture) {
        close(fds[1]);
    }
    if (error) {
        if (capture) {
            close(fds[0]);
        }
        fprintf(stderr, "bench-apply: cannot run %s: %s\n", argv[0],
                strerror(error));
        return -1;
    }
    sbx_track_pid(pid);

    if (capture) {
        char buf[65536];
        size_t got = 0;
        ssize_t n;
        while ((n = read(fds[0], buf, sizeof buf)) != 0) {
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                break;
            }
            if (got < sizeof m->head - 1) {
                size_t room = sizeof m->head - 1 - got;
                memcpy(m->head + got, buf,
                       (size_t)n < room ? (size_t)n : room);
            }
            got += n;
        }
        close(fds[0]);
    }

    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("bench-apply: wait4");
            sbx_untrack_pid(pid);
            return -1;
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

/* Like run_measured(), but a program that fails is an error: prints why
 * (with the end of its stderr) and returns -1. */
static int
run_checked(char *const argv[], bool capture, struct measure *m)
{
    if (run_measured(argv, capture, m) < 0) {
        return -1;
    }
    if (m->status) {
        char *log = NULL;
        if (child_log) {
            sbx_runl(&log, "tail", "-n", "20", child_log, NULL);
        }
        fprintf(stderr, "bench-apply: %s exited with status %d\n%s", argv[0],
                m->status, log ? log : "");
        free(log);
        return -1;
    }
    return 0;
}

/* Our client, in process. */

static void
log_stderr(void *aux, enum jsonrpc_log_level level, const char *msg)
{
    if (level >= JSONRPC_LOG_WARN) {
        fprintf(stderr, "bench-apply: client: %s\n", msg);
    }
}

static void
tick(evutil_socket_t fd, short what, void *aux)
{
    /* Only wakes the loop up so that the deadline is checked. */
}

/* Runs 'base' until 'done'('aux') returns true, returning as soon as it
 * does (sbx_loop_until() checks only every 10 ms, which would blur the
 * timings).  Returns false after 'timeout_ms'. */
static bool
loop_until(struct event_base *base, bool (*done)(void *), void *aux,
           int timeout_ms)
{
    struct event *ticker = event_new(base, -1, EV_PERSIST, tick, NULL);
    struct timeval tv = {0, 100 * 1000};
    event_add(ticker, &tv);
    double deadline = now_ms() + timeout_ms;
    bool ok;
    while (!(ok = done(aux)) && now_ms() < deadline) {
        event_base_loop(base, EVLOOP_ONCE);
    }
    event_free(ticker);
    return ok;
}

static bool
client_synced(void *client)
{
    return ovsdb_client_is_synced(client);
}

/* A client of the fabric DB. */
struct fabric_client {
    struct event_base *base;
    struct ovsdb_client *client;
};

/* Connects 'fc' to 'remote', monitoring every table of dbmodel_tables as
 * fabricctl does if 'monitor' (else nothing), and waits until its replica
 * is synced.  Returns 0 or -1. */
static int
fabric_client_open(struct fabric_client *fc, const char *remote, bool monitor)
{
    struct ovsdb_client_options options = {
        .remotes = remote,
        .db = DBMODEL_DB,
        .log = log_stderr,
        .min_backoff_ms = 100,
        .max_backoff_ms = 1000,
    };
    struct ovsdb_error *error = NULL;

    memset(fc, 0, sizeof *fc);
    fc->base = event_base_new();
    if (ovsdb_client_create(fc->base, &options, NULL, &fc->client, &error) <
        0) {
        fprintf(stderr, "bench-apply: %s\n", error->msg);
        ovsdb_error_free(error);
        return -1;
    }
    for (const char *const *t = dbmodel_tables; monitor && *t; t++) {
        ovsdb_client_monitor(fc->client, *t, NULL);
    }
    if (!loop_until(fc->base, client_synced, fc->client, 10000)) {
        fprintf(stderr, "bench-apply: cannot sync with %s\n", remote);
        return -1;
    }
    return 0;
}

static void
fabric_client_close(struct fabric_client *fc)
{
    ovsdb_client_destroy(fc->client);
    if (fc->base) {
        event_base_free(fc->base);
    }
    memset(fc, 0, sizeof *fc);
}

/* A transaction's completion. */
struct txn_wait {
    bool done;
    int code;      /* 0 or the error's code. */
    char msg[256]; /* The error's message. */
};

static void
txn_done(void *w_, const json_t *result, const struct ovsdb_error *error)
{
    struct txn_wait *w = w_;
    w->done = true;
    if (error) {
        w->code = error->code ? error->code : -EIO;
        snprintf(w->msg, sizeof w->msg, "%s", error->msg);
    }
}

static bool
txn_finished(void *w)
{
    return ((struct txn_wait *)w)->done;
}

/* Sends 'txn' (stolen) and waits for its reply.  Returns 0 or -1. */
static int
transact(struct fabric_client *fc, struct ovsdb_txn *txn)
{
    struct txn_wait w = {.done = false};
    int error = ovsdb_client_transact(fc->client, txn, txn_done, &w);
    if (error) {
        fprintf(stderr, "bench-apply: transact: %s\n", strerror(-error));
        return -1;
    }
    if (!loop_until(fc->base, txn_finished, &w, WAIT_MS)) {
        fprintf(stderr, "bench-apply: transaction timed out\n");
        return -1;
    }
    if (w.code) {
        fprintf(stderr, "bench-apply: transaction failed: %s\n", w.msg);
        return -1;
    }
    return 0;
}

/* Loads 'path', printing its errors.  Returns the model or NULL. */
static struct fabric_model *
load_lab(const char *path)
{
    struct fabric_model *model = NULL;
    struct topology_errors errors = {0};
    if (topology_load_file(path, &model, &errors) < 0) {
        for (size_t i = 0; i < errors.n && i < 10; i++) {
            fprintf(stderr, "%s\n", errors.lines[i]);
        }
        topology_errors_clear(&errors);
        return NULL;
    }
    return model;
}

/* Part 2: an apply in process, phase by phase. */

enum phase {
    PH_LOAD,    /* topology_load_file(). */
    PH_CONNECT, /* Connect and sync the replica. */
    PH_PLAN,    /* dbmodel_read() + plan_compute(). */
    PH_BUILD,   /* dbmodel_build_apply(). */
    PH_COMMIT,  /* The transaction's round trip. */
    PH_TOTAL,   /* The above. */
    PH_FREE,    /* Then freeing the plan, models and client, which
                 * fabricctl also does before it exits. */
    N_PHASES
};

static const char *const phase_names[N_PHASES] = {
    "load", "connect", "read+plan", "build", "commit", "total", "free",
};

/* What a child reports through its pipe. */
struct child_report {
    int ok;
    double apply[N_PHASES];   /* Part 2: the first apply. */
    double apply_cpu[2];      /* Part 2: client and server CPU during its
                               * commit. */
    double reapply[N_PHASES]; /* Part 2: the re-apply. */
    size_t changes;           /* Part 2: the first apply's plan. */
    double parse_ms;          /* Part 3: bare libyaml parse. */
    size_t yaml_events;       /* Part 3: events the parse pulled. */
    double commit_ms;         /* Part 3: round trip alone. */
    double commit_cpu[2];     /* Part 3: client and server CPU
                               * meanwhile. */
    size_t txn_bytes;         /* Part 3: the transaction as JSON. */
    size_t txn_ops;           /* Part 3: its operations. */
};

/* Applies 'path' to the fabric DB at 'remote' (served by 'server') as
 * fabricctl does, timing each phase into 'ph' and storing this process's
 * and the server's CPU time during the commit in 'cpu[0]' and 'cpu[1]'.
 * The apply must change something when 'first' and nothing otherwise.
 * Stores the plan's number of changes in '*changesp'.  Returns 0 or -1. */
static int
apply_in_process(const char *path, const char *remote, pid_t server,
                 bool first, double ph[N_PHASES], double cpu[2],
                 size_t *changesp)
{
    struct fabric_client fc = {NULL, NULL};
    struct fabric_model *desired = NULL, *current = NULL;
    struct fabric_plan *plan = NULL;
    struct ovsdb_error *error = NULL;
    int rc = -1;

    double t0 = now_ms();
    desired = load_lab(path);
    if (!desired) {
        goto cleanup;
    }
    double t1 = now_ms();
    if (fabric_client_open(&fc, remote, true) < 0) {
        goto cleanup;
    }
    double t2 = now_ms();
    const struct replica *replica = ovsdb_client_replica(fc.client);
    if (dbmodel_read(replica, &current, &error) < 0) {
        fprintf(stderr, "bench-apply: %s\n", error->msg);
        goto cleanup;
    }
    plan = plan_compute(current, desired);
    double t3 = now_ms();
    struct ovsdb_txn *txn = ovsdb_txn_create(DBMODEL_DB);
    long long generation;
    int n = dbmodel_build_apply(replica, desired, txn, &generation);
    double client_ms = self_cpu_ms(), server_ms = proc_cpu_ms(server);
    double t4 = now_ms();
    if (n > 0) {
        if (transact(&fc, txn) < 0) {
            goto cleanup;
        }
    } else {
        ovsdb_txn_destroy(txn);
    }
    double t5 = now_ms();
    cpu[0] = self_cpu_ms() - client_ms;
    cpu[1] = proc_cpu_ms(server) - server_ms;
    ph[PH_FREE] = 0;

    ph[PH_LOAD] = t1 - t0;
    ph[PH_CONNECT] = t2 - t1;
    ph[PH_PLAN] = t3 - t2;
    ph[PH_BUILD] = t4 - t3;
    ph[PH_COMMIT] = t5 - t4;
    ph[PH_TOTAL] = t5 - t0;
    *changesp = plan->n;
    if (first ? n <= 0 || !plan->n : n != 0 || plan->n) {
        fprintf(stderr,
                "bench-apply: %s: %s apply changed %d objects "
                "(plan: %zu changes)\n",
                path, first ? "first" : "re-", n, plan->n);
        goto cleanup;
    }
    rc = 0;

cleanup:
    t0 = now_ms();
    ovsdb_error_free(error);
    plan_destroy(plan);
    fabric_model_destroy(current);
    fabric_model_destroy(desired);
    fabric_client_close(&fc);
    if (!rc) {
        ph[PH_FREE] = now_ms() - t0;
    }
    return rc;
}

/* Part 3: the baselines. */

/* Reads 'path' and pulls every libyaml event from it, as
 * topology_load_file() reads it but without building or checking
 * anything.  Returns the number of events, or -1. */
static long
yaml_parse_only(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return -1;
    }
    size_t len = 0, allocated = 65536;
    char *data = malloc(allocated);
    size_t n;
    while ((n = fread(data + len, 1, allocated - len, f)) > 0) {
        len += n;
        if (len == allocated) {
            allocated *= 2;
            data = realloc(data, allocated);
        }
    }
    fclose(f);

    yaml_parser_t parser;
    yaml_event_t event;
    long events = 0;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    for (;;) {
        if (!yaml_parser_parse(&parser, &event)) {
            fprintf(stderr, "bench-apply: %s: %s\n", path,
                    parser.problem ? parser.problem : "YAML error");
            events = -1;
            break;
        }
        yaml_event_type_t type = event.type;
        yaml_event_delete(&event);
        events++;
        if (type == YAML_STREAM_END_EVENT) {
            break;
        }
    }
    yaml_parser_delete(&parser);
    free(data);
    return events;
}

/* Times the parse baseline, then sends to the empty fabric DB at 'remote'
 * (served by 'server') the transaction an apply of 'path' sends, built
 * beforehand, and times its round trip alone.  The transaction is sent by
 * a client that monitors nothing (the one that built it is gone by then),
 * so that the server only commits and replies.  Returns 0 or -1. */
static int
baselines(const char *path, const char *remote, pid_t server,
          struct child_report *r)
{
    double t0 = now_ms();
    long events = yaml_parse_only(path);
    r->parse_ms = now_ms() - t0;
    if (events < 0) {
        return -1;
    }
    r->yaml_events = events;

    struct fabric_model *desired = load_lab(path);
    struct fabric_client fc = {NULL, NULL};
    struct ovsdb_txn *txn = NULL;
    int rc = -1;
    if (!desired || fabric_client_open(&fc, remote, true) < 0) {
        goto cleanup;
    }
    txn = ovsdb_txn_create(DBMODEL_DB);
    long long generation;
    if (dbmodel_build_apply(ovsdb_client_replica(fc.client), desired, txn,
                            &generation) <= 0) {
        fprintf(stderr, "bench-apply: %s: nothing to apply\n", path);
        goto cleanup;
    }
    json_t *params = ovsdb_txn_params(txn);
    char *text = json_dumps(params, JSON_COMPACT);
    r->txn_bytes = text ? strlen(text) : 0;
    r->txn_ops = ovsdb_txn_n_ops(txn);
    free(text);
    json_decref(params);
    fabric_client_close(&fc);

    if (fabric_client_open(&fc, remote, false) < 0) {
        goto cleanup;
    }
    double client_ms = self_cpu_ms(), server_ms = proc_cpu_ms(server);
    t0 = now_ms();
    int error = transact(&fc, txn);
    txn = NULL;
    if (error < 0) {
        goto cleanup;
    }
    r->commit_ms = now_ms() - t0;
    r->commit_cpu[0] = self_cpu_ms() - client_ms;
    r->commit_cpu[1] = proc_cpu_ms(server) - server_ms;
    rc = 0;

cleanup:
    ovsdb_txn_destroy(txn);
    fabric_model_destroy(desired);
    fabric_client_close(&fc);
    return rc;
}

/* Runs part 2, or part 3 if 'baseline', in a forked child against the
 * fabric DB 'db' and stores its report in 'r'.  Returns 0 or -1. */
static int
run_in_child(const char *path, const struct sbx_ovsdb *db, bool baseline,
             struct child_report *r)
{
    int fds[2];
    if (pipe(fds) < 0) {
        perror("bench-apply: pipe");
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench-apply: fork");
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (!pid) {
        struct child_report cr;
        memset(&cr, 0, sizeof cr);
        close(fds[0]);
        if (baseline) {
            cr.ok = baselines(path, db->unix_remote, db->pid, &cr) == 0;
        } else {
            cr.ok =
                apply_in_process(path, db->unix_remote, db->pid, true,
                                 cr.apply, cr.apply_cpu, &cr.changes) == 0 &&
                apply_in_process(path, db->unix_remote, db->pid, false,
                                 cr.reapply, (double[2]){0},
                                 &(size_t){0}) == 0;
        }
#ifdef __SANITIZE_ADDRESS__
        /* _exit() skips LeakSanitizer's check at exit: run it here. */
        if (__lsan_do_recoverable_leak_check()) {
            cr.ok = 0;
        }
#endif
        ssize_t n = write(fds[1], &cr, sizeof cr);
        /* _exit(): the sandbox's exit handler belongs to the parent. */
        _exit(n == (ssize_t)sizeof cr && cr.ok ? 0 : 1);
    }
    close(fds[1]);
    memset(r, 0, sizeof *r);
    size_t got = 0;
    while (got < sizeof *r) {
        ssize_t n = read(fds[0], (char *)r + got, sizeof *r - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += n;
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        continue;
    }
    if (got != sizeof *r || !r->ok || !WIFEXITED(status) ||
        WEXITSTATUS(status)) {
        fprintf(stderr, "bench-apply: the in-process %s of %s failed\n",
                baseline ? "baselines" : "apply", path);
        return -1;
    }
    return 0;
}

/* One size. */

struct size_result {
    size_t guests, networks;
    long long file_bytes;
    size_t yaml_events, txn_bytes, txn_ops, changes;
    /* Medians. */
    double cli_ms, cli_cpu, cli_srv, cli_kib, cli_re_ms, cli_re_kib;
    double apply[N_PHASES], apply_cpu[2], reapply[N_PHASES];
    double parse_ms, commit_ms, commit_cpu[2];
};

static int
bench_size(const struct bench_options *o, const char *dir, size_t guests,
           struct size_result *res)
{
    char name[64];
    struct sbx_ovsdb db;
    int rc = -1;

    memset(&db, 0, sizeof db);
    memset(res, 0, sizeof *res);
    res->guests = guests;
    res->networks = lab_networks(guests);
    snprintf(name, sizeof name, "lab-%zu.yaml", guests);
    char *path = sbx_path(dir, name);
    if (write_lab_file(path, guests) < 0) {
        goto cleanup;
    }
    res->file_bytes = file_size(path);

    double cli[MAX_REPEAT], cli_cpu[MAX_REPEAT], cli_srv[MAX_REPEAT];
    double cli_kib[MAX_REPEAT], cli_re[MAX_REPEAT], cli_re_kib[MAX_REPEAT];
    double apply[N_PHASES][MAX_REPEAT], apply_cpu[2][MAX_REPEAT];
    double reapply[N_PHASES][MAX_REPEAT];
    double parse[MAX_REPEAT], commit[MAX_REPEAT], commit_cpu[2][MAX_REPEAT];
    for (int r = 0; r < o->repeat; r++) {
        struct child_report cr;
        struct measure m;

        /* Baselines. */
        if (fresh_db_start(&db, dir, o->schema, "base") < 0 ||
            run_in_child(path, &db, true, &cr) < 0) {
            goto cleanup;
        }
        fresh_db_finish(&db);
        parse[r] = cr.parse_ms;
        commit[r] = cr.commit_ms;
        commit_cpu[0][r] = cr.commit_cpu[0];
        commit_cpu[1][r] = cr.commit_cpu[1];
        res->yaml_events = cr.yaml_events;
        res->txn_bytes = cr.txn_bytes;
        res->txn_ops = cr.txn_ops;

        /* fabricctl, end to end, then again. */
        if (fresh_db_start(&db, dir, o->schema, "cli") < 0) {
            goto cleanup;
        }
        char *db_arg = NULL;
        if (asprintf(&db_arg, "--db=%s", db.unix_remote) < 0) {
            goto cleanup;
        }
        char *argv[] = {o->fabricctl, db_arg, "topology", "apply", path, NULL};
        double server_ms = proc_cpu_ms(db.pid);
        int error = run_checked(argv, false, &m);
        cli[r] = m.wall_ms;
        cli_cpu[r] = m.cpu_ms;
        cli_srv[r] = proc_cpu_ms(db.pid) - server_ms;
        cli_kib[r] = m.maxrss_kib;
        if (!error) {
            error = run_checked(argv, true, &m);
            cli_re[r] = m.wall_ms;
            cli_re_kib[r] = m.maxrss_kib;
            if (!error && strncmp(m.head, "No changes", 10)) {
                fprintf(stderr,
                        "bench-apply: re-apply of %s printed "
                        "\"%.60s\", not \"No changes\"\n",
                        path, m.head);
                error = -1;
            }
        }
        free(db_arg);
        fresh_db_finish(&db);
        if (error) {
            goto cleanup;
        }

        /* In process, phase by phase, then again. */
        if (fresh_db_start(&db, dir, o->schema, "ours") < 0 ||
            run_in_child(path, &db, false, &cr) < 0) {
            goto cleanup;
        }
        fresh_db_finish(&db);
        for (int p = 0; p < N_PHASES; p++) {
            apply[p][r] = cr.apply[p];
            reapply[p][r] = cr.reapply[p];
        }
        apply_cpu[0][r] = cr.apply_cpu[0];
        apply_cpu[1][r] = cr.apply_cpu[1];
        res->changes = cr.changes;

        printf("%6zu guests, run %d: fabricctl %.1f ms (%.1f MiB), "
               "re-apply %.1f ms; in process %.1f ms, re-apply %.1f ms; "
               "parse %.1f ms; commit %.1f ms\n",
               guests, r + 1, cli[r], cli_kib[r] / 1024, cli_re[r],
               apply[PH_TOTAL][r], reapply[PH_TOTAL][r], parse[r], commit[r]);
    }

    res->cli_ms = median(cli, o->repeat);
    res->cli_cpu = median(cli_cpu, o->repeat);
    res->cli_srv = median(cli_srv, o->repeat);
    for (int i = 0; i < 2; i++) {
        res->apply_cpu[i] = median(apply_cpu[i], o->repeat);
        res->commit_cpu[i] = median(commit_cpu[i], o->repeat);
    }
    res->cli_kib = median(cli_kib, o->repeat);
    res->cli_re_ms = median(cli_re, o->repeat);
    res->cli_re_kib = median(cli_re_kib, o->repeat);
    for (int p = 0; p < N_PHASES; p++) {
        res->apply[p] = median(apply[p], o->repeat);
        res->reapply[p] = median(reapply[p], o->repeat);
    }
    res->parse_ms = median(parse, o->repeat);
    res->commit_ms = median(commit, o->repeat);
    rc = 0;

cleanup:
    fresh_db_finish(&db);
    if (path) {
        unlink(path);
    }
    free(path);
    return rc;
}

/* Report. */

static void
print_tables(const struct size_result *res, int n)
{
    printf("\nLabs (3 hosts, 1 flows router, 1 network per %d guests):\n",
           GUESTS_PER_NETWORK);
    printf("%7s %8s %10s %11s %11s %9s\n", "guests", "networks", "file KiB",
           "YAML events", "txn KiB", "txn ops");
    for (int i = 0; i < n; i++) {
        const struct size_result *r = &res[i];
        printf("%7zu %8zu %10.1f %11zu %11.1f %9zu\n", r->guests, r->networks,
               r->file_bytes / 1024.0, r->yaml_events, r->txn_bytes / 1024.0,
               r->txn_ops);
    }

    printf("\n1. End to end: fabricctl topology apply (wall time from spawn "
           "to exit)\n");
    printf("%7s %9s %9s %9s %9s %9s %9s %9s\n", "guests", "apply", "CLI CPU",
           "srv CPU", "peak RSS", "per guest", "re-apply", "peak RSS");
    for (int i = 0; i < n; i++) {
        const struct size_result *r = &res[i];
        printf("%7zu %6.1f ms %6.1f ms %6.1f ms %5.1f MiB %6.1f us "
               "%6.1f ms %5.1f MiB\n",
               r->guests, r->cli_ms, r->cli_cpu, r->cli_srv, r->cli_kib / 1024,
               r->cli_ms * 1e3 / r->guests, r->cli_re_ms,
               r->cli_re_kib / 1024);
    }
    printf("CLI CPU: fabricctl's user + system time; srv CPU: "
           "ovsdb-server's meanwhile.\n");

    printf("\n2. In process, by phase (ms)\n%7s", "guests");
    for (int p = 0; p < N_PHASES; p++) {
        printf(" %9s", phase_names[p]);
    }
    printf("\n");
    for (int i = 0; i < n; i++) {
        const struct size_result *r = &res[i];
        printf("%7zu", r->guests);
        for (int p = 0; p < N_PHASES; p++) {
            printf(" %9.1f", r->apply[p]);
        }
        printf("\n");
    }
    printf("re-apply, by phase (ms)\n");
    for (int i = 0; i < n; i++) {
        const struct size_result *r = &res[i];
        printf("%7zu", r->guests);
        for (int p = 0; p < N_PHASES; p++) {
            printf(" %9.1f", r->reapply[p]);
        }
        printf("\n");
    }

    printf("\n3. Baselines: bare libyaml parse of the file; round trip "
           "alone of the same\n   transaction (built beforehand, sent by "
           "a client that monitors nothing)\n");
    printf("%7s %9s %10s %9s %9s %10s %9s\n", "guests", "parse", "commit",
           "/ parse", "/ commit", "ours", "/ commit");
    for (int i = 0; i < n; i++) {
        const struct size_result *r = &res[i];
        printf("%7zu %6.2f ms %7.1f ms %8.1fx %8.2fx %7.1f ms %8.2fx\n",
               r->guests, r->parse_ms, r->commit_ms, r->cli_ms / r->parse_ms,
               r->cli_ms / r->commit_ms, r->apply[PH_TOTAL],
               r->apply[PH_TOTAL] / r->commit_ms);
    }
    printf("/ parse, / commit: fabricctl apply (end to end) over the "
           "baseline; ours: the\nin-process total (part 2) and its ratio "
           "to the commit baseline.\n");
    printf("\nWhere a commit's time goes: the commit phase of part 2 "
           "(its client monitors\nevery table, so the committed rows come "
           "back as an update before the reply)\nand the commit baseline "
           "(no monitor); CPU: the client's and the server's\n");
    printf("%7s %28s   %28s\n", "", "part 2 commit (monitored)",
           "commit baseline (no monitor)");
    printf("%7s %9s %9s %9s   %9s %9s %9s\n", "guests", "wall", "client",
           "server", "wall", "client", "server");
    for (int i = 0; i < n; i++) {
        const struct size_result *r = &res[i];
        printf("%7zu %6.1f ms %6.1f ms %6.1f ms   %6.1f ms %6.1f ms "
               "%6.1f ms\n",
               r->guests, r->apply[PH_COMMIT], r->apply_cpu[0],
               r->apply_cpu[1], r->commit_ms, r->commit_cpu[0],
               r->commit_cpu[1]);
    }
}

/* Growth and goals. */

/* Per-guest time of fabricctl apply at the largest size over that at the
 * smallest size of at least 100 guests (or the smallest size), which
 * 'lop' and 'hip' receive. */
static double
growth_ratio(const struct size_result *res, int n, int *lop, int *hip)
{
    int lo = 0, hi = 0;
    for (int i = 0; i < n; i++) {
        if (res[i].guests > res[hi].guests) {
            hi = i;
        }
        if ((res[lo].guests < 100 && res[i].guests >= 100) ||
            (res[i].guests >= 100 && res[i].guests < res[lo].guests)) {
            lo = i;
        }
    }
    *lop = lo;
    *hip = hi;
    return (res[hi].cli_ms / res[hi].guests) /
           (res[lo].cli_ms / res[lo].guests);
}

static void
print_growth(const struct size_result *res, int n)
{
    int lo, hi;
    double cli_ratio = growth_ratio(res, n, &lo, &hi);
    if (lo == hi) {
        return;
    }
    const struct size_result *a = &res[lo], *b = &res[hi];
    printf("\nGrowth: per-guest time at %zu guests / per-guest time at %zu "
           "guests (1.00 = linear)\n",
           b->guests, a->guests);
    printf("  fabricctl apply %.2fx, re-apply %.2fx; in process %.2fx, "
           "re-apply %.2fx\n",
           cli_ratio, (b->cli_re_ms / b->guests) / (a->cli_re_ms / a->guests),
           (b->apply[PH_TOTAL] / b->guests) / (a->apply[PH_TOTAL] / a->guests),
           (b->reapply[PH_TOTAL] / b->guests) /
               (a->reapply[PH_TOTAL] / a->guests));
    /* Marginal cost: the slope between successive sizes, without the
     * fixed costs that flatter large sizes in per-guest figures. */
    printf("  marginal cost per added guest, fabricctl apply:");
    for (int i = 1; i < n; i++) {
        double dg = (double)res[i].guests - res[i - 1].guests;
        if (dg > 0) {
            printf(" %zu->%zu %.0f us;", res[i - 1].guests, res[i].guests,
                   (res[i].cli_ms - res[i - 1].cli_ms) * 1e3 / dg);
        }
    }
    printf("\n");
}

static void
print_goals(const struct size_result *res, int n)
{
    printf("\n");
    for (int i = 0; i < n; i++) {
        if (res[i].guests == GOAL_GUESTS) {
            printf("goal: %d guests in under %.0f ms end to end: %s "
                   "(%.1f ms)\n",
                   GOAL_GUESTS, GOAL_MS, goal_text(res[i].cli_ms < GOAL_MS),
                   res[i].cli_ms);
        }
    }
    int lo, hi;
    double ratio = growth_ratio(res, n, &lo, &hi);
    if (lo != hi) {
        printf("goal: growth no worse than linear (per-guest time at %zu "
               "/ at %zu <= 1): %s (%.2fx)\n",
               res[hi].guests, res[lo].guests, goal_text(ratio <= 1.0), ratio);
    }
}

/* The machine. */

static void
print_header(const struct bench_options *o)
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
    char load[64] = "unknown";
    f = fopen("/proc/loadavg", "r");
    if (f && fgets(load, sizeof load, f)) {
        /* The three load averages only. */
        char *p = load;
        for (int i = 0; i < 3 && p; i++) {
            p = strchr(p + 1, ' ');
        }
        if (p) {
            *p = '\0';
        }
    }
    if (f) {
        fclose(f);
    }

    printf("bench-apply: fabricctl topology apply of generated labs\n");
    printf("date:    %s\n", date);
    printf("machine: %ld CPUs (nproc), %s, Linux %s\n",
           sysconf(_SC_NPROCESSORS_ONLN), cpu, u.release);
    printf("load:    %s (1, 5, 15 min) at the start\n", load);
    printf("server:  %s\n", version ? version : "ovsdb-server: unknown");
    printf("program: %s\n", o->fabricctl);
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
    printf("build:   optimized\n");
#else
    printf("build:   NOT optimized or with sanitizers: figures are "
           "pessimistic\n         (use -DCMAKE_BUILD_TYPE=RelWithDebInfo "
           "-DFABRIC_SANITIZE=OFF)\n");
#endif
    free(version);
}

/* Returns the directory of this program (free()). */
static char *
self_dir(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        return strdup(".");
    }
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    return strdup(self);
}

/* Returns the path of ovsdb/fabric.ovsschema in the source tree this
 * program was built from, found through the build directory's
 * CMakeCache.txt (free()). */
static char *
default_schema(const char *build_dir)
{
    char *cache = sbx_path(build_dir, "CMakeCache.txt");
    FILE *f = fopen(cache, "r");
    char line[PATH_MAX + 64], *schema = NULL;
    static const char key[] = "fabric_SOURCE_DIR:STATIC=";
    while (f && !schema && fgets(line, sizeof line, f)) {
        if (!strncmp(line, key, sizeof key - 1)) {
            line[strcspn(line, "\n")] = '\0';
            char *src = line + sizeof key - 1;
            if (asprintf(&schema, "%s/ovsdb/fabric.ovsschema", src) < 0) {
                schema = NULL;
            }
        }
    }
    if (f) {
        fclose(f);
    }
    free(cache);
    return schema ? schema : strdup("ovsdb/fabric.ovsschema");
}

/* Parses "N,N,..." into o->sizes.  Returns 0 or -1. */
static int
parse_sizes(const char *arg, struct bench_options *o)
{
    char *copy = strdup(arg), *save;
    int rc = 0;
    o->n_sizes = 0;
    for (char *w = strtok_r(copy, ",", &save); w;
         w = strtok_r(NULL, ",", &save)) {
        char *end;
        long v = strtol(w, &end, 10);
        if (*end || v < 1 || v > MAX_GUESTS || o->n_sizes >= MAX_SIZES) {
            rc = -1;
            break;
        }
        o->sizes[o->n_sizes++] = v;
    }
    free(copy);
    return rc || !o->n_sizes ? -1 : 0;
}

static void
usage(void)
{
    printf("usage: bench-apply [--sizes N,N,...] [--repeat N] "
           "[--fabricctl PATH]\n"
           "                   [--schema PATH]\n"
           "       bench-apply --print-lab N\n"
           "  --sizes N,...     guests per lab (10,100,1000,5000)\n"
           "  --repeat N        runs per figure, median reported (3)\n"
           "  --fabricctl PATH  fabricctl program (next to this one)\n"
           "  --schema PATH     fabric.ovsschema (the source tree's)\n"
           "  --print-lab N     only write the lab of N guests to stdout, "
           "for profiling\n"
           "                    by hand\n");
}

int
main(int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"sizes", required_argument, NULL, 's'},
        {"repeat", required_argument, NULL, 'n'},
        {"fabricctl", required_argument, NULL, 'f'},
        {"schema", required_argument, NULL, 'S'},
        {"print-lab", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct bench_options o = {
        .sizes = {10, 100, 1000, 5000},
        .n_sizes = 4,
        .repeat = 3,
    };
    long print_lab = 0;
    int c;

    /* Lines in order with stderr's when both go to one file. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case 's':
            if (parse_sizes(optarg, &o) < 0) {
                usage();
                return 2;
            }
            break;
        case 'n':
            o.repeat = atoi(optarg);
            break;
        case 'f':
            free(o.fabricctl);
            o.fabricctl = strdup(optarg);
            break;
        case 'S':
            free(o.schema);
            o.schema = strdup(optarg);
            break;
        case 'p':
            print_lab = atol(optarg);
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc || o.repeat < 1 || o.repeat > MAX_REPEAT ||
        print_lab < 0 || print_lab > MAX_GUESTS) {
        usage();
        return 2;
    }
    if (print_lab) {
        write_lab(stdout, print_lab);
        free(o.fabricctl);
        free(o.schema);
        return fflush(stdout) ? 1 : 0;
    }
    char *build_dir = self_dir();
    if (!o.fabricctl) {
        o.fabricctl = sbx_path(build_dir, "fabricctl");
    }
    if (!o.schema) {
        o.schema = default_schema(build_dir);
    }
    free(build_dir);
    int rc = 1;
    if (access(o.fabricctl, X_OK) < 0) {
        fprintf(stderr,
                "bench-apply: %s: %s (build target fabricctl or "
                "use --fabricctl)\n",
                o.fabricctl, strerror(errno));
        goto out;
    }
    if (access(o.schema, R_OK) < 0) {
        fprintf(stderr, "bench-apply: %s: %s (use --schema)\n", o.schema,
                strerror(errno));
        goto out;
    }

    char *dir = sbx_mkdtemp("bench");
    if (!dir) {
        goto out;
    }
    child_log = sbx_path(dir, "children.log");
    print_header(&o);

    struct measure m;
    char *true_argv[] = {"true", NULL};
    if (run_checked(true_argv, false, &m) == 0) {
        printf("spawn floor: /bin/true shows a peak RSS of %.1f MiB when "
               "spawned by this process\n",
               m.maxrss_kib / 1024.0);
    }
    printf("\n== Validate + plan + apply (no agent), median of %d ==\n",
           o.repeat);

    struct size_result res[MAX_SIZES];
    int n = 0;
    for (; n < o.n_sizes; n++) {
        if (bench_size(&o, dir, o.sizes[n], &res[n]) < 0) {
            break;
        }
    }
    if (n == o.n_sizes) {
        print_tables(res, n);
        print_growth(res, n);
        print_goals(res, n);
        rc = 0;
    }
    sbx_rmtree(dir);
    free(dir);

out:
    free(child_log);
    free(o.fabricctl);
    free(o.schema);
    return rc;
}
