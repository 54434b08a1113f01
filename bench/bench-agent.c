/* bench-agent: fabricd's convergence on simulated hosts (scripts/testbed),
 * against the same work done by hand, in one run.
 *
 *   bench-agent [--sizes N,N,...] [--guests N] [--repeat N] [--limit S]
 *               [--profile-guests N] [--ping-jobs N] [--parts LIST]
 *               [--bin-dir DIR] [--source-dir DIR]
 *
 * Part 1, apply to reachable.  The time from the start of `fabricctl
 * topology apply --wait` to every sampled pair of guests answering a ping:
 *   a. the classic lab over two hosts (topologies/two-hosts.yaml): four
 *      guests, every guest pings every other guest of its network;
 *   b. --guests netns guests (100) over three hosts, in four networks
 *      (generated): all pairs would be 4,950 pings, so every guest pings
 *      three others of its network, one on each host.
 *   Baseline: the same guests made by hand on the same hosts, one shell
 *   script per host run in parallel (as the agents run): `ip netns add`, a
 *   veth pair, its address, `ovs-vsctl add-port` with the VLAN tag, on a
 *   bridge with the same GENEVE tunnels (key=flow, BFD, protected) as the
 *   agent's; then the same pings.
 * Part 2, scale.  With 100, 500 and 1,000 netns guests (--sizes) over two
 *   hosts in four networks, for fresh agents: the time to converged (apply
 *   --wait), the time for one more guest (apply of a file with N + 1
 *   guests, --wait), the agents' CPU time (their own and that of the
 *   programs they ran, from /proc/PID/stat), their CPU and reconcile runs
 *   while idle, how long their control socket keeps a status request
 *   waiting, their peak RSS (VmHWM), the flows per bridge (`ovs-ofctl
 *   dump-flows`), and how long the host-wide reads the agent makes once
 *   per pass over its guests take at that size.  A size that does not converge
 * within
 *   --limit seconds ends the part, after what the agents left is removed.
 *   Baseline: `ovs-vsctl add-port` of the same number of internal ports
 *   into a scratch bridge, one ovs-vsctl call per host with that host's
 *   share, both hosts in parallel; then one more port.
 * Part 3, where the time goes.  With --profile-guests guests (30), the
 *   programs one agent runs (strace -f -e trace=execve), counted by
 *   command line, per phase: converging, one more guest, 5 s idle,
 *   destroy.  strace slows every program start down, so only the counts
 *   mean something, not the times.
 * Part 4, bound ports.  With as many guests of kind port (--sizes) over
 *   two hosts, plus one: the lab applied first (nothing plugged), then
 *   `ovs-vsctl add-port` of an internal port with its iface-id for each
 *   interface, one call per host with its share, both in parallel (what a
 *   container runtime or a VM manager would do), and the time until both
 *   agents report every port bound (tagged, flows installed: their
 *   control socket's port_guests.bound, asked every 2 ms); then one more
 *   port, plugged for the last guest.  Baseline: the same ovs-vsctl
 *   calls into a scratch bridge without fabricd, as in part 2.  This is
 *   the shape of the work OVN's figures measure (ports bound by
 *   iface-id), which the goals are about.
 *
 * Rules of the benchmark:
 * - Every figure is printed with its ratio to its baseline, measured in
 *   the same run on the same simulated hosts; the figures OVN 23.03 gave
 *   on a machine of this kind and the goals are printed next to ours.
 * - One test bed (three hosts) for the whole run, named after this
 *   process ("b" and the PID in base 36), in this run's sandbox folder.
 *   An atexit() handler and a handler for SIGINT, SIGTERM and SIGHUP take
 *   it down (agents, daemons, every namespace of the run), so a run that
 *   fails half-way leaves nothing behind.  Guest namespaces all start with
 *   the run's name: the agents' prefix is "RUN-hvN-", the guests made by
 *   hand are "RUN-x-GUEST".
 * - Timed commands in a host run through nsenter, as `testbed exec` does,
 *   but without its bash, so that a shell's start-up is not in the figure.
 * - Before each measurement the userspace datapath's tunnel neighbour
 *   cache is flushed on every host, so that neither side profits from
 *   ARP resolutions of the other.
 * - Pings: `ping -c 1 -i 0.05 -w 5` in the guest's namespace, which sends
 *   until the first reply; a ping that fails is run again until a 60 s
 *   deadline; up to --ping-jobs at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
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

#include <jansson.h>

#include "agent-ctl.h"
#include "model.h"
#include "sandbox.h"
#include "stats.h"
#include "topology.h"

#define MAX_HOSTS 3
#define MAX_SIZES 8
#define MAX_REPEAT 15
#define PING_DEADLINE_MS 60000
#define IDLE_MS 5000
#define N_NETS 4

/* What OVN 23.03 measured, and our goals (issue 4). */
#define OVN_FOUR_S 0.25
#define GOAL_FOUR_S 0.2
#define OVN_1000_S 2.3
#define GOAL_1000_S 1.2
#define OVN_ONE_S 0.14
#define GOAL_ONE_S 0.07
#define OVN_RSS_MIB 40.0
#define GOAL_RSS_MIB 20.0
#define OVN_FLOWS 8260

extern char **environ;

struct options {
    long sizes[MAX_SIZES];
    int n_sizes;
    int guests;         /* Part 1b. */
    int repeat;         /* Part 1a runs. */
    int limit_s;        /* Convergence limit per apply. */
    int profile_guests; /* Part 3; 0 skips it. */
    int ping_jobs;
    bool parts[5]; /* Parts 1 to 4. */
    char *bin_dir, *source_dir;
};

/* The run: the test bed, the fabric DB and the agents. */
struct bed {
    char run[8];
    char *dir;     /* This run's sandbox folder. */
    char *bed_dir; /* The test bed's folder, DIR/bed. */
    char *fabricd, *fabricctl, *testbed;
    bool up;
    int n_hosts;
    struct sbx_ovsdb fabric;
    char db_opt[600];
    pid_t agents[MAX_HOSTS + 1];
};

static struct bed *the_bed;

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        continue;
    }
}

static const char *
goal_text(bool met)
{
    return met ? "met" : "NOT met";
}

/* A goal for 1,000 ports, judged at the largest size that converged:
 * "(met)" when that size is smaller, since it says nothing of 1,000. */
static const char *
goal_at_text(bool met, bool at_1000)
{
    return !met ? "NOT met" : at_1000 ? "met" : "(met)";
}

/* Argument lists. */

struct args {
    char **v;
    size_t n;
};

static void args_add(struct args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
args_add(struct args *a, const char *fmt, ...)
{
    a->v = realloc(a->v, (a->n + 2) * sizeof *a->v);
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&a->v[a->n], fmt, ap) < 0) {
        abort();
    }
    va_end(ap);
    a->v[++a->n] = NULL;
}

static void
args_free(struct args *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i]);
    }
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

/* Starts 'a' with what runs a command in host hvN's namespace with the
 * host's OVS folders in its environment ("nsenter --net=... env
 * OVS_RUNDIR=... "); the caller appends the command.  'host' 0 adds
 * nothing: the command runs in this namespace. */
static void
args_host(struct args *a, const struct bed *b, int host)
{
    if (!host) {
        return;
    }
    args_add(a, "nsenter");
    args_add(a, "--net=/run/netns/%s-hv%d", b->run, host);
    args_add(a, "env");
    args_add(a, "OVS_RUNDIR=%s/hv%d", b->bed_dir, host);
    args_add(a, "OVS_DBDIR=%s/hv%d", b->bed_dir, host);
    args_add(a, "OVS_LOGDIR=%s/hv%d", b->bed_dir, host);
}

/* Child processes. */

struct measure {
    int status;      /* Exit status (128 + N for signal N). */
    double wall_ms;  /* From spawn to the end of wait4(). */
    double cpu_ms;   /* User + system CPU time of the child. */
    long maxrss_kib; /* ru_maxrss of the child. */
};

/* Starts 'argv' with stdin on /dev/null and stdout and stderr on 'log'
 * (NULL: /dev/null).  Returns its PID or a negative errno. */
static pid_t
spawn_bg(char *const argv[], const char *log)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log ? log : "/dev/null",
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int error = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (error) {
        fprintf(stderr, "bench-agent: cannot run %s: %s\n", argv[0],
                strerror(error));
        return -error;
    }
    return pid;
}

/* Waits for child 'pid' and fills 'm' (wall time from 'start'). */
static void
wait_measured(pid_t pid, double start, struct measure *m)
{
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
        continue;
    }
    m->wall_ms = now_ms() - start;
    m->cpu_ms = ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
                ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
    m->maxrss_kib = ru.ru_maxrss;
    m->status =
        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs the commands of 'argvs' in parallel, output to 'log', and waits
 * for all of them; fills 'm[i]' for each and returns the wall time from
 * the first start to the last end, or -1 if one could not start or
 * failed. */
static double
run_parallel(struct args *argvs, size_t n, const char *log, struct measure *m)
{
    pid_t pids[MAX_HOSTS + 1];
    double start = now_ms();
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        pids[i] = spawn_bg(argvs[i].v, log);
    }
    for (size_t i = 0; i < n; i++) {
        memset(&m[i], 0, sizeof m[i]);
        if (pids[i] < 0) {
            ok = false;
            continue;
        }
        wait_measured(pids[i], start, &m[i]);
        if (m[i].status) {
            fprintf(stderr,
                    "bench-agent: %s ... exited with status %d "
                    "(see %s)\n",
                    argvs[i].v[0], m[i].status, log ? log : "no log");
            ok = false;
        }
    }
    return ok ? now_ms() - start : -1;
}

/* Runs 'argv' and waits; returns its exit status (or a negative errno)
 * and stores its output in '*outp' when 'outp' is not NULL. */
static int
run_args(struct args *a, char **outp)
{
    return sbx_run(a->v, outp);
}

/* The test bed. */

static int
bed_testbed(struct bed *b, char **outp, const char *cmd, const char *extra,
            const char *value)
{
    return sbx_runl(outp, "bash", b->testbed, cmd, "--name", b->run, "--dir",
                    b->bed_dir, extra, value, NULL);
}

static char *
agent_file(const struct bed *b, int host, const char *name)
{
    char *path;
    if (asprintf(&path, "%s/hv%d/%s", b->bed_dir, host, name) < 0) {
        abort();
    }
    return path;
}

/* Starts fabricd for host hvN through `testbed exec` and waits until its
 * control socket reports both databases in step. */
static int
agent_start(struct bed *b, int host)
{
    /* A killed agent leaves its pidfile behind. */
    char *pidfile = agent_file(b, host, "fabricd.pid");
    unlink(pidfile);

    struct args a = {0};
    args_add(&a, "bash");
    args_add(&a, "%s", b->testbed);
    args_add(&a, "exec");
    args_add(&a, "--name");
    args_add(&a, "%s", b->run);
    args_add(&a, "--dir");
    args_add(&a, "%s", b->bed_dir);
    args_add(&a, "hv%d", host);
    args_add(&a, "--");
    args_add(&a, "%s", b->fabricd);
    args_add(&a, "%s", b->db_opt);
    args_add(&a, "--ovsdb=unix:%s/hv%d/db.sock", b->bed_dir, host);
    args_add(&a, "--host=hv%d", host);
    args_add(&a, "--rundir=%s/hv%d", b->bed_dir, host);
    args_add(&a, "--pidfile=%s/hv%d/fabricd.pid", b->bed_dir, host);
    args_add(&a, "--log-file=%s/hv%d/fabricd.log", b->bed_dir, host);
    args_add(&a, "--netns-prefix=%s-hv%d-", b->run, host);
    args_add(&a, "--datapath=netdev");
    args_add(&a, "--detach");
    char *out = NULL;
    int rc = run_args(&a, &out);
    args_free(&a);
    if (rc) {
        fprintf(stderr, "bench-agent: fabricd for hv%d: %s\n", host,
                out ? out : "");
        free(out);
        free(pidfile);
        return -1;
    }
    free(out);

    char *ctl = agent_file(b, host, "fabricd.ctl");
    double deadline = now_ms() + 10000;
    bool synced = false;
    while (!synced && now_ms() < deadline) {
        if (b->agents[host] <= 0) {
            b->agents[host] = sbx_read_pidfile(pidfile);
            if (b->agents[host] > 0) {
                sbx_track_pid(b->agents[host]);
            }
        }
        char *reply = NULL;
        if (b->agents[host] > 0 && !agent_ctl_call(ctl, "status", &reply)) {
            json_t *j = json_loads(reply, 0, NULL);
            synced = json_is_true(json_object_get(j, "fabric_db_synced")) &&
                     json_is_true(json_object_get(j, "ovsdb_synced"));
            json_decref(j);
        }
        free(reply);
        if (!synced) {
            sleep_ms(20);
        }
    }
    free(pidfile);
    free(ctl);
    if (!synced) {
        fprintf(stderr, "bench-agent: fabricd for hv%d did not start\n", host);
        return -1;
    }
    return 0;
}

static void
agent_stop(struct bed *b, int host)
{
    if (b->agents[host] > 0) {
        /* The agent handles signals between reconcile runs only. */
        if (sbx_kill(b->agents[host], SIGTERM, 10000) < 0) {
            fprintf(stderr,
                    "bench-agent: fabricd of hv%d still runs 10 s "
                    "after SIGTERM; killing it\n",
                    host);
            sbx_kill(b->agents[host], SIGKILL, 5000);
        }
        sbx_untrack_pid(b->agents[host]);
        b->agents[host] = 0;
    }
}

/* Starts fresh agents on hosts hv1 to hv'n', and starts those of the
 * other hosts unless they run.  Every host keeps an agent: a host that
 * was once in a lab stays in the fabric DB (registered hosts are never
 * deleted), and `--wait` waits for every host of the lab. */
static int
agents_start(struct bed *b, int n)
{
    for (int i = 1; i <= b->n_hosts; i++) {
        if (i <= n || b->agents[i] <= 0 || !sbx_pid_alive(b->agents[i])) {
            agent_stop(b, i);
            if (agent_start(b, i) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* The agent's own status (new reference), or NULL. */
static json_t *
agent_status(const struct bed *b, int host)
{
    char *ctl = agent_file(b, host, "fabricd.ctl");
    char *reply = NULL;
    json_t *j = NULL;
    if (!agent_ctl_call(ctl, "status", &reply)) {
        j = json_loads(reply, 0, NULL);
    }
    free(reply);
    free(ctl);
    return j;
}

static long long
agent_runs(const struct bed *b, int host)
{
    json_t *j = agent_status(b, host);
    long long runs = json_integer_value(json_object_get(j, "runs"));
    json_decref(j);
    return runs;
}

/* Takes everything of the run down: agents, daemons, namespaces.  Safe to
 * call twice. */
static void
bed_down(struct bed *b)
{
    for (int i = 1; i <= MAX_HOSTS; i++) {
        if (b->agents[i] > 0) {
            kill(b->agents[i], SIGKILL);
            b->agents[i] = 0;
        }
    }
    if (b->up) {
        char *out = NULL;
        if (bed_testbed(b, &out, "down", NULL, NULL)) {
            fprintf(stderr, "bench-agent: testbed down: %s\n", out ? out : "");
        }
        free(out);
        b->up = false;
    }
}

static void
cleanup_at_exit(void)
{
    if (the_bed) {
        bed_down(the_bed);
    }
}

/* The sandbox's signal handlers, which ours call after taking the test
 * bed down. */
static void (*next_handler[NSIG])(int);

static void
cleanup_on_signal(int sig)
{
    /* Not async-signal-safe, like the sandbox's own handler: the process
     * mostly waits for children when a signal comes, and a benchmark
     * interrupted by hand must not leave namespaces behind. */
    cleanup_at_exit();
    if (next_handler[sig] && next_handler[sig] != SIG_DFL &&
        next_handler[sig] != SIG_IGN) {
        next_handler[sig](sig);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int
bed_up(struct bed *b, int n_hosts)
{
    char hosts[8];
    snprintf(hosts, sizeof hosts, "%d", n_hosts);
    char *out = NULL;
    b->up = true; /* A half-made bed is taken down too. */
    int rc = bed_testbed(b, &out, "up", "--hosts", hosts);
    if (rc) {
        fprintf(stderr, "bench-agent: testbed up failed:\n%s\n",
                out ? out : "");
    }
    free(out);
    b->n_hosts = n_hosts;
    return rc ? -1 : 0;
}

/* Runs "fabricctl --db=... ARGS" (NULL-terminated); with 'ms', stores its
 * wall time there.  Returns its exit status. */
static int
fabricctl(struct bed *b, double *ms, ...)
{
    struct args a = {0};
    args_add(&a, "%s", b->fabricctl);
    args_add(&a, "%s", b->db_opt);
    va_list ap;
    va_start(ap, ms);
    const char *arg;
    while ((arg = va_arg(ap, const char *))) {
        args_add(&a, "%s", arg);
    }
    va_end(ap);
    char *out = NULL;
    double start = now_ms();
    int rc = run_args(&a, &out);
    if (ms) {
        *ms = now_ms() - start;
    }
    if (rc) {
        /* Only the end: an apply lists every change first. */
        const char *text = out ? out : "";
        const char *tail = text + strlen(text);
        for (int lines = 0; tail > text && lines < 4; lines++) {
            for (tail--; tail > text && tail[-1] != '\n'; tail--) {
                continue;
            }
        }
        fprintf(stderr, "bench-agent: fabricctl %s %s failed (%d):\n%s%s\n",
                a.v[2], a.n > 3 ? a.v[3] : "", rc, tail > text ? "...\n" : "",
                tail);
    }
    free(out);
    args_free(&a);
    return rc;
}

static int
apply_wait(struct bed *b, const char *file, int limit_s, double *ms)
{
    char wait[32];
    snprintf(wait, sizeof wait, "--wait=%d", limit_s);
    return fabricctl(b, ms, "topology", "apply", wait, file, NULL);
}

static int
destroy_wait(struct bed *b, int limit_s, double *ms)
{
    char wait[32];
    snprintf(wait, sizeof wait, "--wait=%d", limit_s);
    return fabricctl(b, ms, "topology", "destroy", wait, NULL);
}

/* Runs "COMMAND ARGS..." (NULL-terminated) in host hvN; returns its exit
 * status and its output in '*outp' if not NULL. */
static int
host_run(const struct bed *b, int host, char **outp, ...)
{
    struct args a = {0};
    args_host(&a, b, host);
    va_list ap;
    va_start(ap, outp);
    const char *arg;
    while ((arg = va_arg(ap, const char *))) {
        args_add(&a, "%s", arg);
    }
    va_end(ap);
    int rc = run_args(&a, outp);
    args_free(&a);
    return rc;
}

/* Forgets the userspace datapath's tunnel neighbours on every host. */
static void
flush_tunnel_neighbours(const struct bed *b)
{
    for (int i = 1; i <= b->n_hosts; i++) {
        host_run(b, i, NULL, "ovs-appctl", "tnl/neigh/flush", NULL);
    }
}

/* /proc figures of a process. */

struct proc_cpu {
    double self_ms;     /* utime + stime. */
    double children_ms; /* cutime + cstime: programs it ran and waited. */
};

static int
proc_cpu(pid_t pid, struct proc_cpu *c)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) {
        fclose(f);
    }
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p) {
        return -1;
    }
    /* Field 3 (state) follows ')'; utime is field 14. */
    unsigned long long v[4];
    char state;
    if (sscanf(p + 2,
               "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu "
               "%llu %llu %llu",
               &state, &v[0], &v[1], &v[2], &v[3]) != 5) {
        return -1;
    }
    double tick = 1e3 / sysconf(_SC_CLK_TCK);
    c->self_ms = (v[0] + v[1]) * tick;
    c->children_ms = (v[2] + v[3]) * tick;
    return 0;
}

/* The number on line 'key' of /proc/PID/status (in KiB for the "Vm..."
 * lines), or -1. */
static long
proc_status_kib(pid_t pid, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    size_t len = strlen(key);
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, key, len) && line[len] == ':') {
            kib = atol(line + len + 1);
        }
    }
    if (f) {
        fclose(f);
    }
    return kib;
}

/* The sum of the CPU figures of the agents of hv1 to hv'n'. */
static void
agents_cpu(const struct bed *b, int n, struct proc_cpu *sum)
{
    memset(sum, 0, sizeof *sum);
    for (int i = 1; i <= n; i++) {
        struct proc_cpu c;
        if (b->agents[i] > 0 && !proc_cpu(b->agents[i], &c)) {
            sum->self_ms += c.self_ms;
            sum->children_ms += c.children_ms;
        }
    }
}

/* OpenFlow flows of 'bridge' on host hvN (lines of dump-flows with
 * actions), or -1. */
static long
count_flows(const struct bed *b, int host, const char *bridge)
{
    char *out = NULL;
    long n = -1;
    if (!host_run(b, host, &out, "ovs-ofctl", "dump-flows", bridge, NULL) &&
        out) {
        n = 0;
        for (char *p = out; (p = strstr(p, "actions=")); p++) {
            n++;
        }
    }
    free(out);
    return n;
}

/* The agents' guest namespaces that exist now ("RUN-hvN-GUEST"). */
static long
count_guest_netns(const struct bed *b)
{
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s-hv", b->run);
    DIR *d = opendir("/run/netns");
    struct dirent *e;
    long n = 0;
    while (d && (e = readdir(d))) {
        if (!strncmp(e->d_name, prefix, strlen(prefix)) &&
            strchr(e->d_name + strlen(prefix), '-')) {
            n++;
        }
    }
    if (d) {
        closedir(d);
    }
    return n;
}

/* Takes away what agents of hv1 to hv'n' left behind when a destroy did
 * not finish: stops them, deletes their guest namespaces and br-int, and
 * forgets the namespaces they recorded, so that the next measurement
 * starts from empty hosts. */
static void
remove_leftovers(struct bed *b, int n)
{
    double start = now_ms();
    long removed = 0;
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s-hv", b->run);
    for (int h = 1; h <= n; h++) {
        agent_stop(b, h);
    }
    DIR *d = opendir("/run/netns");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strncmp(e->d_name, prefix, strlen(prefix)) &&
            strchr(e->d_name + strlen(prefix), '-') &&
            !sbx_runl(NULL, "ip", "netns", "del", e->d_name, NULL)) {
            removed++;
        }
    }
    if (d) {
        closedir(d);
    }
    for (int h = 1; h <= n; h++) {
        host_run(b, h, NULL, "ovs-vsctl", "--timeout=120", "--if-exists",
                 "del-br", "br-int", NULL);
        char *owned = agent_file(b, h, "namespaces");
        unlink(owned);
        free(owned);
    }
    printf("  removed what the agents left: %ld namespaces and br-int, in "
           "%.1f s\n",
           removed, (now_ms() - start) / 1e3);
}

/* Labs. */

/* Writes to 'path' a lab of 'n_guests' netns guests (with 'ports', guests
 * of kind port, interface i bound by iface-id "bpI") over 'n_hosts' hosts
 * (hv1...) in N_NETS networks: guest i is on host i % n_hosts + 1, in
 * network i % N_NETS (10.100.4K.0/22 for network K), with the next free
 * address of its network. */
static int
write_lab_kind(const char *path, long n_guests, int n_hosts, bool ports)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench-agent: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "# Generated by bench-agent.\nname: bench\nhosts:\n");
    for (int h = 1; h <= n_hosts; h++) {
        fprintf(f, "  - {name: hv%d, underlay: 10.99.0.%d}\n", h, h);
    }
    fprintf(f, "networks:\n");
    for (int k = 0; k < N_NETS; k++) {
        fprintf(f, "  - {name: net%d, subnet: 10.100.%d.0/22}\n", k, 4 * k);
    }
    fprintf(f, "guests:\n");
    for (long i = 0; i < n_guests; i++) {
        int k = i % N_NETS;
        long j = i / N_NETS + 1;
        char kind[64] = "";
        if (ports) {
            snprintf(kind, sizeof kind, ", iface_id: bp%ld", i);
        }
        fprintf(f,
                "  - {name: g%04ld, host: hv%ld,%s interfaces: "
                "[{network: net%d, ip: 10.100.%ld.%ld/22%s}]}\n",
                i, i % n_hosts + 1, ports ? " kind: port," : "", k,
                4 * k + j / 256, j % 256, kind);
    }
    return fclose(f) ? -1 : 0;
}

static int
write_lab(const char *path, long n_guests, int n_hosts)
{
    return write_lab_kind(path, n_guests, n_hosts, false);
}

static struct fabric_model *
load_lab(const char *path)
{
    struct fabric_model *model = NULL;
    struct topology_errors errors = {0};
    if (topology_load_file(path, &model, &errors) < 0) {
        for (size_t i = 0; i < errors.n; i++) {
            fprintf(stderr, "%s\n", errors.lines[i]);
        }
        topology_errors_clear(&errors);
        return NULL;
    }
    return model;
}

/* Host number N of host "hvN" of 'm'. */
static int
host_number(const struct fabric_model *m, size_t host)
{
    return atoi(m->hosts[host].name + 2);
}

/* The address of guest 'g''s first interface, without its prefix. */
static void
guest_ip(const struct fabric_guest *g, char *ip, size_t size)
{
    snprintf(ip, size, "%s", g->interfaces[0].addresses[0]);
    ip[strcspn(ip, "/")] = '\0';
}

/* Namespace of guest 'g': the agent's ("RUN-hvN-GUEST") or, 'by_hand',
 * the script's ("RUN-x-GUEST"). */
static void
guest_netns(const struct bed *b, const struct fabric_model *m,
            const struct fabric_guest *g, bool by_hand, char *ns, size_t size)
{
    if (by_hand) {
        snprintf(ns, size, "%s-x-%s", b->run, g->name);
    } else {
        snprintf(ns, size, "%s-%s-%s", b->run, m->hosts[g->host].name,
                 g->name);
    }
}

/* Pings. */

struct ping {
    size_t from, to; /* Guest indexes. */
    char ns[96];
    char ip[48];
    int tries;
    bool ok;
    pid_t pid;
};

/* The pairs of 'm' to ping: with 'all', every guest to every other guest
 * of its network; otherwise every guest to one other guest of its
 * network on each host (the next one after it on that host, in the
 * order of the model).  Returns an array (free()) and its size. */
static struct ping *
make_pings(const struct fabric_model *m, bool all, size_t *np)
{
    struct ping *p =
        calloc(m->n_guests * (all ? m->n_guests : m->n_hosts) + 1, sizeof *p);
    size_t n = 0;
    for (size_t i = 0; i < m->n_guests; i++) {
        size_t net = m->guests[i].interfaces[0].network;
        for (size_t h = 0; h < m->n_hosts; h++) {
            bool found = false;
            for (size_t d = 1; d < m->n_guests && (all || !found); d++) {
                size_t j = (i + d) % m->n_guests;
                const struct fabric_guest *g = &m->guests[j];
                if (g->host == h && g->interfaces[0].network == net) {
                    p[n].from = i;
                    p[n].to = j;
                    n++;
                    found = true;
                }
            }
        }
    }
    *np = n;
    return p;
}

/* Runs the pings of 'p' from the agent's or the script's namespaces,
 * 'jobs' at a time, each again until it succeeds or the deadline passes.
 * Returns the time until every one succeeded, or -1. */
static double
ping_all(const struct bed *b, const struct fabric_model *m, struct ping *p,
         size_t n, bool by_hand, int jobs)
{
    double start = now_ms(), deadline = start + PING_DEADLINE_MS;
    size_t *queue = calloc(n + 1, sizeof *queue);
    size_t head = 0, tail = 0, queued = n, running = 0, done = 0;
    for (size_t i = 0; i < n; i++) {
        guest_netns(b, m, &m->guests[p[i].from], by_hand, p[i].ns,
                    sizeof p[i].ns);
        guest_ip(&m->guests[p[i].to], p[i].ip, sizeof p[i].ip);
        p[i].tries = 0;
        p[i].ok = false;
        queue[tail++] = i;
    }
    tail %= n + 1;
    while (done < n) {
        while (running < (size_t)jobs && queued && now_ms() < deadline) {
            struct ping *q = &p[queue[head]];
            head = (head + 1) % (n + 1);
            queued--;
            char net[128];
            snprintf(net, sizeof net, "--net=/run/netns/%s", q->ns);
            char *argv[] = {"nsenter", net,    "ping", "-n", "-q",  "-c", "1",
                            "-i",      "0.05", "-w",   "5",  q->ip, NULL};
            q->pid = spawn_bg(argv, NULL);
            q->tries++;
            if (q->pid < 0) {
                break;
            }
            running++;
        }
        if (!running) {
            break;
        }
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (p[i].pid == pid && !p[i].ok) {
                running--;
                p[i].pid = 0;
                if (WIFEXITED(status) && !WEXITSTATUS(status)) {
                    p[i].ok = true;
                    done++;
                } else {
                    queue[tail] = i;
                    tail = (tail + 1) % (n + 1);
                    queued++;
                }
                break;
            }
        }
    }
    double elapsed = now_ms() - start;
    free(queue);
    if (done < n) {
        int shown = 0;
        for (size_t i = 0; i < n && shown < 5; i++) {
            if (!p[i].ok) {
                fprintf(stderr,
                        "bench-agent: %s cannot reach %s (%s) after "
                        "%d tries\n",
                        p[i].ns, p[i].ip, m->guests[p[i].to].name, p[i].tries);
                shown++;
            }
        }
        return -1;
    }
    return elapsed;
}

/* Guests made by hand. */

/* Writes to 'path' the script that makes by hand, in host hvN, the guests
 * of 'm' placed there, on bridge br-hand with tunnels to the lab's other
 * hosts; with 'remove', the script that takes them away. */
static int
write_hand_script(const struct bed *b, const struct fabric_model *m, int host,
                  bool remove, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench-agent: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "set -e\n");
    if (remove) {
        fprintf(f, "ovs-vsctl --timeout=60 --if-exists del-br br-hand\n");
    } else {
        fprintf(f, "ovs-vsctl --timeout=60 add-br br-hand -- set bridge "
                   "br-hand datapath_type=netdev\n");
        const char *local = NULL;
        for (size_t h = 0; h < m->n_hosts; h++) {
            if (host_number(m, h) == host) {
                local = m->hosts[h].underlay_ip;
            }
        }
        for (size_t h = 0; h < m->n_hosts; h++) {
            int other = host_number(m, h);
            if (other == host) {
                continue;
            }
            fprintf(f,
                    "ovs-vsctl --timeout=60 add-port br-hand xg%d -- set "
                    "interface xg%d type=geneve options:remote_ip=%s "
                    "options:local_ip=%s options:key=flow bfd:enable=true "
                    "-- set port xg%d protected=true\n",
                    other, other, m->hosts[h].underlay_ip, local, other);
        }
    }
    for (size_t i = 0; i < m->n_guests; i++) {
        const struct fabric_guest *g = &m->guests[i];
        if (host_number(m, g->host) != host) {
            continue;
        }
        char ns[96];
        guest_netns(b, m, g, true, ns, sizeof ns);
        if (remove) {
            fprintf(f, "ip netns del %s\n", ns);
            continue;
        }
        const struct fabric_interface *fi = &g->interfaces[0];
        char peer[24];
        snprintf(peer, sizeof peer, "xv%04zu", i % 10000);
        fprintf(f, "ip netns add %s\n", ns);
        fprintf(f,
                "ip link add %s mtu %d type veth peer name %s netns %s "
                "address %s mtu %d\n",
                peer, fi->mtu, fi->name, ns, fi->mac, fi->mtu);
        fprintf(f, "ip -n %s address add %s dev %s\n", ns, fi->addresses[0],
                fi->name);
        fprintf(f, "ip -n %s link set dev %s up\n", ns, fi->name);
        if (fi->gateway) {
            fprintf(f, "ip -n %s route add default via %s\n", ns, fi->gateway);
        }
        fprintf(f, "ip link set dev %s up\n", peer);
        fprintf(f, "ovs-vsctl --timeout=60 add-port br-hand %s tag=%d\n", peer,
                m->networks[fi->network].vlan);
    }
    return fclose(f) ? -1 : 0;
}

/* Runs the by-hand script ('remove' or not) of every host of 'm' in
 * parallel.  Returns the wall time, or -1. */
static double
run_hand(struct bed *b, const struct fabric_model *m, bool remove)
{
    struct args argvs[MAX_HOSTS + 1];
    struct measure ms[MAX_HOSTS + 1];
    size_t n = 0;
    double t = -1;
    char *log = sbx_path(b->dir, "hand.log");
    for (size_t h = 0; h < m->n_hosts; h++) {
        int host = host_number(m, h);
        char name[32];
        snprintf(name, sizeof name, "hand-hv%d-%s.sh", host,
                 remove ? "remove" : "make");
        char *path = sbx_path(b->dir, name);
        if (write_hand_script(b, m, host, remove, path) < 0) {
            free(path);
            goto cleanup;
        }
        memset(&argvs[n], 0, sizeof argvs[n]);
        args_host(&argvs[n], b, host);
        args_add(&argvs[n], "bash");
        args_add(&argvs[n], "%s", path);
        n++;
        free(path);
    }
    t = run_parallel(argvs, n, log, ms);

cleanup:
    for (size_t i = 0; i < n; i++) {
        args_free(&argvs[i]);
    }
    free(log);
    return t;
}

/* Part 1. */

struct reach {
    double total_ms; /* From the first command to every ping answered. */
    double made_ms;  /* apply --wait, or the scripts. */
};

/* One measurement of the agent: apply 'file' and ping; then destroy. */
static int
reach_ours(struct bed *b, const char *file, const struct fabric_model *m,
           struct ping *p, size_t n, const struct options *o, struct reach *r)
{
    flush_tunnel_neighbours(b);
    double start = now_ms();
    if (apply_wait(b, file, o->limit_s, &r->made_ms)) {
        return -1;
    }
    double ping_ms = ping_all(b, m, p, n, false, o->ping_jobs);
    r->total_ms = now_ms() - start;
    if (ping_ms < 0 || destroy_wait(b, o->limit_s, NULL)) {
        return -1;
    }
    return 0;
}

/* One measurement of the guests made by hand; then their removal. */
static int
reach_hand(struct bed *b, const struct fabric_model *m, struct ping *p,
           size_t n, const struct options *o, struct reach *r)
{
    flush_tunnel_neighbours(b);
    double start = now_ms();
    r->made_ms = run_hand(b, m, false);
    double ping_ms =
        r->made_ms < 0 ? -1 : ping_all(b, m, p, n, true, o->ping_jobs);
    r->total_ms = now_ms() - start;
    if (run_hand(b, m, true) < 0 || ping_ms < 0) {
        return -1;
    }
    return 0;
}

struct lab_result {
    bool ok;
    double ours_s, base_s;      /* Medians: apply to reachable. */
    double made_s, hand_made_s; /* Medians: converged / scripts done. */
};

/* Measures the lab in 'file' 'repeat' times, the baseline first each
 * time. */
static int
bench_lab(struct bed *b, const char *label, const char *file, bool all,
          int n_hosts, int repeat, const struct options *o,
          struct lab_result *res)
{
    struct fabric_model *m = load_lab(file);
    if (!m) {
        return -1;
    }
    size_t n;
    struct ping *p = make_pings(m, all, &n);
    double ours[MAX_REPEAT], base[MAX_REPEAT], made[MAX_REPEAT];
    double hand_made[MAX_REPEAT];
    int rc = -1;

    printf("\n%s: %zu guests over %d hosts, %zu pings (%s)\n", label,
           m->n_guests, n_hosts, n,
           all ? "every guest to every other guest of its network"
               : "every guest to one other guest of its network on each "
                 "host");
    if (agents_start(b, n_hosts) < 0) {
        goto cleanup;
    }
    for (int r = 0; r < repeat; r++) {
        struct reach h, us;
        if (reach_hand(b, m, p, n, o, &h) < 0 ||
            reach_ours(b, file, m, p, n, o, &us) < 0) {
            goto cleanup;
        }
        base[r] = h.total_ms / 1e3;
        hand_made[r] = h.made_ms / 1e3;
        ours[r] = us.total_ms / 1e3;
        made[r] = us.made_ms / 1e3;
        printf("  run %d: by hand %.2f s (made in %.2f s); fabricd %.2f s "
               "(apply --wait %.2f s)\n",
               r + 1, base[r], hand_made[r], ours[r], made[r]);
    }
    res->ours_s = stats_median(ours, repeat);
    res->base_s = stats_median(base, repeat);
    res->made_s = stats_median(made, repeat);
    res->hand_made_s = stats_median(hand_made, repeat);
    res->ok = true;
    printf("  %-34s %8s %8s\n", "median of the runs", "time", "/ base");
    printf("  %-34s %7.2fs %8.2f\n", "by hand: made", res->hand_made_s,
           res->hand_made_s / res->base_s);
    printf("  %-34s %7.2fs %8.2f\n", "by hand: all pings answered",
           res->base_s, 1.0);
    printf("  %-34s %7.2fs %8.2f\n", "fabricd: apply --wait returned",
           res->made_s, res->made_s / res->base_s);
    printf("  %-34s %7.2fs %8.2f\n", "fabricd: all pings answered",
           res->ours_s, res->ours_s / res->base_s);
    rc = 0;

cleanup:
    free(p);
    fabric_model_destroy(m);
    return rc;
}

/* Part 2. */

struct scale_result {
    long size;
    bool ok;
    bool converged;            /* The first apply converged. */
    char why[256];             /* Why the size failed. */
    double conv_s, one_s;      /* apply --wait of N, then of N + 1; part 4:
                                * from the plug to every port bound. */
    double plug_s, plug_one_s; /* Part 4: the ovs-vsctl calls alone. */
    double declare_s;          /* Part 4: apply --wait, nothing plugged. */
    double destroy_s;
    struct proc_cpu conv_cpu;  /* Agents' CPU until converged. */
    struct proc_cpu one_cpu;   /* ... for the one more guest. */
    struct proc_cpu idle_cpu;  /* ... for IDLE_MS doing nothing. */
    double idle_ms;            /* The idle window. */
    double idle_runs;          /* Reconcile runs per second while idle. */
    double ctl_ms;             /* Longest wait for a status reply. */
    double links_ms, netns_ms; /* time_host_reads(). */
    long links_bytes, netns_bytes;
    long hwm_kib, rss_kib; /* Largest of the agents. */
    long flows[MAX_HOSTS + 1];
    /* Baseline. */
    double base_s, base_one_s;
    double base_cpu_ms, base_one_cpu_ms;
    long base_rss_kib;
    long base_flows;
};

static void
cpu_sub(struct proc_cpu *d, const struct proc_cpu *a, const struct proc_cpu *b)
{
    d->self_ms = a->self_ms - b->self_ms;
    d->children_ms = a->children_ms - b->children_ms;
}

/* Runs 'argv' 5 times; returns the median wall time and stores the size
 * of its output in '*bytes'. */
static double
time_read(char *const argv[], long *bytes)
{
    double t[5];
    *bytes = 0;
    for (int i = 0; i < 5; i++) {
        char *out = NULL;
        double start = now_ms();
        sbx_run(argv, &out);
        t[i] = now_ms() - start;
        *bytes = out ? (long)strlen(out) : 0;
        free(out);
    }
    return stats_median(t, 5);
}

/* The host-wide reads an agent makes once per pass over its guests,
 * timed as they are now on host hv1: its links, and every namespace of
 * the machine. */
static void
time_host_reads(const struct bed *b, struct scale_result *r)
{
    char ns[32];
    snprintf(ns, sizeof ns, "%s-hv1", b->run);
    char *links[] = {"ip", "-n", ns, "-j", "-d", "link", "show", NULL};
    char *netns[] = {"ip", "-j", "netns", "list", NULL};
    r->links_ms = time_read(links, &r->links_bytes);
    r->netns_ms = time_read(netns, &r->netns_bytes);
}

/* The baseline of part 2: 'size' internal ports on a scratch bridge, one
 * ovs-vsctl call per host with its share, then one more port. */
static int
scale_baseline(struct bed *b, int n_hosts, long size, struct scale_result *r)
{
    struct args argvs[MAX_HOSTS + 1];
    struct measure ms[MAX_HOSTS + 1];
    char *log = sbx_path(b->dir, "scratch.log");
    int rc = -1;
    for (int h = 1; h <= n_hosts; h++) {
        if (host_run(b, h, NULL, "ovs-vsctl", "--timeout=60", "add-br",
                     "br-scratch", "--", "set", "bridge", "br-scratch",
                     "datapath_type=netdev", NULL)) {
            fprintf(stderr, "bench-agent: cannot add br-scratch\n");
            goto cleanup;
        }
    }
    for (int h = 1; h <= n_hosts; h++) {
        struct args *a = &argvs[h - 1];
        memset(a, 0, sizeof *a);
        args_host(a, b, h);
        args_add(a, "ovs-vsctl");
        args_add(a, "--timeout=%d", 600);
        for (long i = h - 1; i < size; i += n_hosts) {
            args_add(a, "--");
            args_add(a, "add-port");
            args_add(a, "br-scratch");
            args_add(a, "sp%ld", i);
            args_add(a, "--");
            args_add(a, "set");
            args_add(a, "interface");
            args_add(a, "sp%ld", i);
            args_add(a, "type=internal");
        }
    }
    double t = run_parallel(argvs, n_hosts, log, ms);
    for (int h = 0; h < n_hosts; h++) {
        args_free(&argvs[h]);
    }
    if (t < 0) {
        goto cleanup;
    }
    r->base_s = t / 1e3;
    r->base_cpu_ms = 0;
    r->base_rss_kib = 0;
    for (int h = 0; h < n_hosts; h++) {
        r->base_cpu_ms += ms[h].cpu_ms;
        if (ms[h].maxrss_kib > r->base_rss_kib) {
            r->base_rss_kib = ms[h].maxrss_kib;
        }
    }

    /* One more, on the host that gets guest number 'size'. */
    struct args a = {0};
    int h = size % n_hosts + 1;
    args_host(&a, b, h);
    args_add(&a, "ovs-vsctl");
    args_add(&a, "--timeout=60");
    args_add(&a, "add-port");
    args_add(&a, "br-scratch");
    args_add(&a, "sp%ld", size);
    args_add(&a, "--");
    args_add(&a, "set");
    args_add(&a, "interface");
    args_add(&a, "sp%ld", size);
    args_add(&a, "type=internal");
    t = run_parallel(&a, 1, log, ms);
    args_free(&a);
    if (t < 0) {
        goto cleanup;
    }
    r->base_one_s = t / 1e3;
    r->base_one_cpu_ms = ms[0].cpu_ms;
    r->base_flows = count_flows(b, 1, "br-scratch");
    rc = 0;

cleanup:
    for (int i = 1; i <= n_hosts; i++) {
        host_run(b, i, NULL, "ovs-vsctl", "--timeout=120", "--if-exists",
                 "del-br", "br-scratch", NULL);
    }
    free(log);
    return rc;
}

static int finish_size(struct bed *, const struct options *, int n_hosts,
                       long size, struct scale_result *,
                       const struct proc_cpu *c0, const struct proc_cpu *c1,
                       const struct proc_cpu *c2,
                       void (*before_baseline)(struct bed *, int n_hosts));

static int
bench_scale_size(struct bed *b, long size, const struct options *o,
                 struct scale_result *r)
{
    const int n_hosts = 2;
    char name[64];
    snprintf(name, sizeof name, "scale-%ld.yaml", size);
    char *file = sbx_path(b->dir, name);
    snprintf(name, sizeof name, "scale-%ld.yaml", size + 1);
    char *file_one = sbx_path(b->dir, name);
    int rc = -1;
    r->size = size;

    if (write_lab(file, size, n_hosts) < 0 ||
        write_lab(file_one, size + 1, n_hosts) < 0 ||
        agents_start(b, n_hosts) < 0) {
        snprintf(r->why, sizeof r->why, "could not set up");
        goto cleanup;
    }
    struct proc_cpu c0, c1, c2;
    agents_cpu(b, n_hosts, &c0);
    flush_tunnel_neighbours(b);
    double ms;
    if (apply_wait(b, file, o->limit_s, &ms)) {
        snprintf(r->why, sizeof r->why,
                 "did not converge within %d s: "
                 "%ld of %ld guest namespaces existed then",
                 o->limit_s, count_guest_netns(b), size);
        agents_cpu(b, n_hosts, &c1);
        cpu_sub(&r->conv_cpu, &c1, &c0);
        r->conv_s = ms / 1e3;
        for (int h = 1; h <= n_hosts; h++) {
            long hwm = proc_status_kib(b->agents[h], "VmHWM");
            r->hwm_kib = hwm > r->hwm_kib ? hwm : r->hwm_kib;
        }
        destroy_wait(b, o->limit_s, NULL);
        goto cleanup;
    }
    r->conv_s = ms / 1e3;
    r->converged = true;
    agents_cpu(b, n_hosts, &c1);
    time_host_reads(b, r);
    if (apply_wait(b, file_one, o->limit_s, &ms)) {
        snprintf(r->why, sizeof r->why,
                 "one more guest did not converge "
                 "within %d s",
                 o->limit_s);
        destroy_wait(b, o->limit_s, NULL);
        goto cleanup;
    }
    r->one_s = ms / 1e3;
    agents_cpu(b, n_hosts, &c2);
    if (finish_size(b, o, n_hosts, size, r, &c0, &c1, &c2, NULL) == 0) {
        rc = 0;
    }

cleanup:
    if (!r->ok) {
        remove_leftovers(b, n_hosts);
        /* The baseline still says what the size costs Open vSwitch. */
        if (!r->base_s) {
            scale_baseline(b, n_hosts, size, r);
        }
    }
    for (int h = 1; h <= n_hosts; h++) {
        agent_stop(b, h);
    }
    free(file);
    free(file_one);
    return rc;
}

/* What parts 2 and 4 measure the same way once the agents converged
 * (CPU 'c0' at the start, 'c1' once converged, 'c2' after one more): the
 * CPU, runs and control-socket waits while idle, RSS, flows; then the
 * destroy, with 'before_baseline' run after it; then the baseline. */
static int
finish_size(struct bed *b, const struct options *o, int n_hosts, long size,
            struct scale_result *r, const struct proc_cpu *c0,
            const struct proc_cpu *c1, const struct proc_cpu *c2,
            void (*before_baseline)(struct bed *, int n_hosts))
{
    struct proc_cpu c3;
    double ms;

    /* Idle: CPU over IDLE_MS, then reconcile runs over another IDLE_MS
     * (asking an agent for its status waits until its current run is
     * over, which is how long its control socket stays unanswered). */
    double t2 = now_ms();
    sleep_ms(IDLE_MS);
    agents_cpu(b, n_hosts, &c3);
    r->idle_ms = now_ms() - t2;
    long long runs[2] = {0, 0};
    double span[2];
    for (int k = 0; k < 2; k++) {
        if (k) {
            sleep_ms(IDLE_MS);
        }
        for (int h = 1; h <= n_hosts; h++) {
            double start = now_ms();
            runs[k] += agent_runs(b, h);
            double latency = now_ms() - start;
            r->ctl_ms = latency > r->ctl_ms ? latency : r->ctl_ms;
        }
        span[k] = now_ms();
    }
    cpu_sub(&r->conv_cpu, c1, c0);
    cpu_sub(&r->one_cpu, c2, c1);
    cpu_sub(&r->idle_cpu, &c3, c2);
    r->idle_runs = (runs[1] - runs[0]) / ((span[1] - span[0]) / 1e3);
    for (int h = 1; h <= n_hosts; h++) {
        long hwm = proc_status_kib(b->agents[h], "VmHWM");
        long rss = proc_status_kib(b->agents[h], "VmRSS");
        r->hwm_kib = hwm > r->hwm_kib ? hwm : r->hwm_kib;
        r->rss_kib = rss > r->rss_kib ? rss : r->rss_kib;
        r->flows[h] = count_flows(b, h, "br-int");
    }
    if (destroy_wait(b, o->limit_s, &ms)) {
        snprintf(r->why, sizeof r->why, "destroy did not finish within %d s",
                 o->limit_s);
        return -1;
    }
    r->destroy_s = ms / 1e3;
    for (int h = 1; h <= n_hosts; h++) {
        agent_stop(b, h);
    }
    if (before_baseline) {
        before_baseline(b, n_hosts);
    }
    if (scale_baseline(b, n_hosts, size, r) < 0) {
        snprintf(r->why, sizeof r->why, "the baseline failed");
        return -1;
    }
    r->ok = true;
    return 0;
}

/* The lines parts 2 and 4 print alike: RSS, flows, destroy. */
static void
print_size_tail(const struct scale_result *r)
{
    printf("  %-40s %7.1fMiB %7.1fMiB %10.1f\n",
           "peak RSS, largest agent (VmHWM)", r->hwm_kib / 1024.0,
           r->base_rss_kib / 1024.0, (double)r->hwm_kib / r->base_rss_kib);
    printf("  %-40s %10ld %10ld %10.1f\n", "flows per bridge (br-int, hv1)",
           r->flows[1], r->base_flows,
           r->base_flows > 0 ? (double)r->flows[1] / r->base_flows : 0);
    printf("  %-40s %9.2fs\n", "destroy (apply of nothing, --wait)",
           r->destroy_s);
}

/* Part 4: ports plugged by another program, bound by iface-id. */

/* The interfaces of guests of kind port that hvN's agent had bound at its
 * last run with nothing left to do, or -1. */
static long long
agent_ports_bound(const struct bed *b, int host)
{
    json_t *j = agent_status(b, host);
    json_t *pg = json_object_get(j, "port_guests");
    long long n = pg ? json_integer_value(json_object_get(pg, "bound")) : -1;
    json_decref(j);
    return n;
}

/* Waits until every host hvH (1 to 'n_hosts') reports 'want[H]' bound
 * ports, for up to 'limit_s' from 'start' (a now_ms() time).  Returns the
 * time from 'start', or -1. */
static double
wait_bound(const struct bed *b, int n_hosts, const long *want, double start,
           int limit_s)
{
    for (;;) {
        bool all = true;
        for (int h = 1; h <= n_hosts && all; h++) {
            all = agent_ports_bound(b, h) >= want[h];
        }
        double t = now_ms();
        if (all) {
            return t - start;
        } else if (t - start > limit_s * 1e3) {
            return -1;
        }
        sleep_ms(2);
    }
}

/* Fills 'a' with the ovs-vsctl call that plugs into hvH's br-int the
 * internal ports bpI of interfaces I in ['from', 'to') placed on it (I %
 * n_hosts == H - 1), each with external_ids:iface-id=bpI. */
static void
plug_args(struct args *a, const struct bed *b, int h, int n_hosts, long from,
          long to)
{
    memset(a, 0, sizeof *a);
    args_host(a, b, h);
    args_add(a, "ovs-vsctl");
    args_add(a, "--timeout=600");
    for (long i = from; i < to; i++) {
        if (i % n_hosts != h - 1) {
            continue;
        }
        args_add(a, "--");
        args_add(a, "add-port");
        args_add(a, "br-int");
        args_add(a, "bp%ld", i);
        args_add(a, "--");
        args_add(a, "set");
        args_add(a, "interface");
        args_add(a, "bp%ld", i);
        args_add(a, "type=internal");
        args_add(a, "external_ids:iface-id=bp%ld", i);
    }
}

/* Plugs the ports of interfaces ['from', 'to') on their hosts, in
 * parallel, and waits until the agents bound 'want' ports.  Stores the
 * time of the ovs-vsctl calls in '*plug_s' and returns the time to bound
 * in seconds, or -1. */
static double
plug_and_bind(struct bed *b, int n_hosts, long from, long to, const long *want,
              int limit_s, double *plug_s)
{
    struct args argvs[MAX_HOSTS + 1];
    struct measure ms[MAX_HOSTS + 1];
    int n = 0;
    for (int h = 1; h <= n_hosts; h++) {
        if (to - from >= n_hosts || (from % n_hosts) == h - 1) {
            plug_args(&argvs[n++], b, h, n_hosts, from, to);
        }
    }
    char *log = sbx_path(b->dir, "plug.log");
    double start = now_ms();
    double t = run_parallel(argvs, n, log, ms);
    free(log);
    for (int i = 0; i < n; i++) {
        args_free(&argvs[i]);
    }
    if (t < 0) {
        return -1;
    }
    *plug_s = t / 1e3;
    double bound = wait_bound(b, n_hosts, want, start, limit_s);
    return bound < 0 ? -1 : bound / 1e3;
}

/* The ports given back after the destroy go with their bridge. */
static void
remove_plugged(struct bed *b, int n_hosts)
{
    for (int h = 1; h <= n_hosts; h++) {
        host_run(b, h, NULL, "ovs-vsctl", "--timeout=120", "--if-exists",
                 "del-br", "br-int", NULL);
    }
}

static int
bench_ports_size(struct bed *b, long size, const struct options *o,
                 struct scale_result *r)
{
    const int n_hosts = 2;
    char name[64];
    snprintf(name, sizeof name, "ports-%ld.yaml", size + 1);
    char *file = sbx_path(b->dir, name);
    int rc = -1;
    r->size = size;

    /* The lab holds one more guest than is plugged at first. */
    if (write_lab_kind(file, size + 1, n_hosts, true) < 0 ||
        agents_start(b, n_hosts) < 0) {
        snprintf(r->why, sizeof r->why, "could not set up");
        goto cleanup;
    }
    double ms;
    if (apply_wait(b, file, o->limit_s, &ms)) {
        snprintf(r->why, sizeof r->why, "apply did not converge within %d s",
                 o->limit_s);
        goto cleanup;
    }
    r->declare_s = ms / 1e3;

    struct proc_cpu c0, c1, c2;
    long want[MAX_HOSTS + 1] = {0};
    for (long i = 0; i < size; i++) {
        want[i % n_hosts + 1]++;
    }
    agents_cpu(b, n_hosts, &c0);
    r->conv_s =
        plug_and_bind(b, n_hosts, 0, size, want, o->limit_s, &r->plug_s);
    if (r->conv_s < 0) {
        snprintf(r->why, sizeof r->why,
                 "the ports were not all bound within %d s", o->limit_s);
        goto cleanup;
    }
    r->converged = true;
    agents_cpu(b, n_hosts, &c1);
    want[size % n_hosts + 1]++;
    r->one_s = plug_and_bind(b, n_hosts, size, size + 1, want, o->limit_s,
                             &r->plug_one_s);
    if (r->one_s < 0) {
        snprintf(r->why, sizeof r->why,
                 "one more port was not bound within %d s", o->limit_s);
        goto cleanup;
    }
    agents_cpu(b, n_hosts, &c2);
    if (finish_size(b, o, n_hosts, size, r, &c0, &c1, &c2, remove_plugged) ==
        0) {
        rc = 0;
    }

cleanup:
    if (!r->ok) {
        destroy_wait(b, o->limit_s, NULL);
        remove_plugged(b, n_hosts);
        remove_leftovers(b, n_hosts);
    }
    for (int h = 1; h <= n_hosts; h++) {
        agent_stop(b, h);
    }
    free(file);
    return rc;
}

static void
print_ports(const struct scale_result *r)
{
    printf("\n%ld ports over 2 hosts (%ld per host)%s\n", r->size,
           (r->size + 1) / 2, r->ok ? "" : ": FAILED");
    if (!r->ok) {
        printf("  %s\n", r->why);
        return;
    }
    printf("  %-40s %10s %10s %10s\n", "", "fabricd", "baseline", "ratio");
    printf("  %-40s %9.2fs %10s %10s\n", "apply --wait, nothing plugged",
           r->declare_s, "-", "-");
    printf("  %-40s %9.2fs %9.2fs %10.1f\n", "plug to every port bound",
           r->conv_s, r->base_s, r->conv_s / r->base_s);
    printf("  %-40s %9.2fs %9.2fs %10.1f\n", "  of which ovs-vsctl plugging",
           r->plug_s, r->base_s, r->plug_s / r->base_s);
    printf("  %-40s %9.3fs %9.3fs %10.1f\n", "one more port: plug to bound",
           r->one_s, r->base_one_s, r->one_s / r->base_one_s);
    printf("  %-40s %9.3fs %9.3fs %10.1f\n", "  of which ovs-vsctl plugging",
           r->plug_one_s, r->base_one_s, r->plug_one_s / r->base_one_s);
    double conv_cpu = r->conv_cpu.self_ms + r->conv_cpu.children_ms;
    printf("  %-40s %9.2fs %10s %10s\n", "CPU of the agents to bind them",
           conv_cpu / 1e3, "-", "-");
    printf("  %-40s %9.2fs %9s\n", "  of which the agents themselves",
           r->conv_cpu.self_ms / 1e3, "");
    double one_cpu = r->one_cpu.self_ms + r->one_cpu.children_ms;
    printf("  %-40s %9.3fs %10s %10s\n", "CPU of the agents for one more",
           one_cpu / 1e3, "-", "-");
    double idle = r->idle_cpu.self_ms + r->idle_cpu.children_ms;
    printf("  %-40s %8.0f%% %10s %10s\n", "CPU while idle (of one core)",
           idle / r->idle_ms * 100, "0%", "-");
    printf("  %-40s %9.1f %10s %10s\n", "  reconcile runs per second",
           r->idle_runs, "0", "-");
    print_size_tail(r);
}

static void
print_scale(const struct scale_result *r)
{
    long guests_per_host = (r->size + 1) / 2;
    printf("\n%ld guests over 2 hosts (%ld per host)%s\n", r->size,
           guests_per_host, r->ok ? "" : ": FAILED");
    if (!r->ok && !r->converged) {
        printf("  %s\n  (apply gave up after %.1f s; meanwhile the agents "
               "used %.1f s of CPU themselves\n  and %.1f s in the "
               "programs they ran; largest agent's peak RSS %.1f MiB)\n",
               r->why, r->conv_s, r->conv_cpu.self_ms / 1e3,
               r->conv_cpu.children_ms / 1e3, r->hwm_kib / 1024.0);
        if (r->base_s > 0) {
            printf("  baseline: %ld internal ports in %.2f s, one more in "
                   "%.3f s\n",
                   r->size, r->base_s, r->base_one_s);
        }
        return;
    } else if (!r->ok) {
        printf("  converged in %.2f s, then: %s\n", r->conv_s, r->why);
        return;
    }
    printf("  %-40s %10s %10s %10s\n", "", "fabricd", "baseline", "ratio");
    printf("  %-40s %9.2fs %9.2fs %10.1f\n", "converged (apply --wait)",
           r->conv_s, r->base_s, r->conv_s / r->base_s);
    printf("  %-40s %9.3fs %9.3fs %10.1f\n", "one more guest (apply --wait)",
           r->one_s, r->base_one_s, r->one_s / r->base_one_s);
    double conv_cpu = r->conv_cpu.self_ms + r->conv_cpu.children_ms;
    printf("  %-40s %9.2fs %9.2fs %10.1f\n",
           "CPU to converge (agents + programs)", conv_cpu / 1e3,
           r->base_cpu_ms / 1e3, conv_cpu / r->base_cpu_ms);
    printf("  %-40s %9.2fs %9s\n", "  of which the agents themselves",
           r->conv_cpu.self_ms / 1e3, "");
    double one_cpu = r->one_cpu.self_ms + r->one_cpu.children_ms;
    printf("  %-40s %9.3fs %9.3fs %10.1f\n", "CPU for one more guest",
           one_cpu / 1e3, r->base_one_cpu_ms / 1e3,
           one_cpu / r->base_one_cpu_ms);
    printf("  %-40s %9.3fs %9s\n", "  of which the agents themselves",
           r->one_cpu.self_ms / 1e3, "");
    double idle = r->idle_cpu.self_ms + r->idle_cpu.children_ms;
    printf("  %-40s %8.0f%% %10s %10s\n", "CPU while idle (of one core)",
           idle / r->idle_ms * 100, "0%", "-");
    printf("  %-40s %8.0f%% %10s %10s\n", "  of which the agents themselves",
           r->idle_cpu.self_ms / r->idle_ms * 100, "", "");
    printf("  %-40s %9.1f %10s %10s\n", "  reconcile runs per second",
           r->idle_runs, "0", "-");
    printf("  %-40s %9.2fs %10s %10s\n", "  longest wait for a status reply",
           r->ctl_ms / 1e3, "-", "-");
    print_size_tail(r);
    printf("  per guest: %.1f ms of wall time per host, %.1f ms of CPU\n",
           r->conv_s * 1e3 / guests_per_host, conv_cpu / r->size);
    printf("  host-wide reads the agent makes once per pass (median of "
           "5):\n    `ip -j -d link show` in hv1 %.1f ms "
           "(%.0f KiB), `ip -j netns list` %.1f ms (%.0f KiB)\n",
           r->links_ms, r->links_bytes / 1024.0, r->netns_ms,
           r->netns_bytes / 1024.0);
}

/* Part 3: the programs one agent runs. */

#define N_PHASES 4

struct exec_count {
    char *key;
    long n[N_PHASES];
};

/* Appends to 'key' the word 'w' of a command line, with names of this
 * run and words made of digits, hex digits, ':', '.' and '/' (addresses,
 * MACs, MTUs) replaced by "*". */
static void
key_word(char *key, size_t size, const char *run, const char *w)
{
    bool generic = !strncmp(w, run, strlen(run)) || !strncmp(w, "fv", 2) ||
                   (strspn(w, "0123456789abcdef:./") == strlen(w) &&
                    strpbrk(w, "0123456789"));
    size_t len = strlen(key);
    snprintf(key + len, size - len, "%s%s", len ? " " : "",
             generic && *w ? "*" : w);
}

/* The command line of an execve() line of strace, as a key for
 * key_word(), into 'key'. */
static void
exec_key(char *line, const char *run, char *key, size_t size)
{
    char *p = strstr(line, "execve(\"");
    char *end_of_argv = p ? strstr(p, "], ") : NULL;
    key[0] = '\0';
    if (!end_of_argv || !(p = strchr(p, '['))) {
        return;
    }
    *end_of_argv = '\0';
    for (int words = 0; words < 8 && (p = strchr(p, '"')); words++) {
        char *end = strchr(p + 1, '"');
        if (!end) {
            break;
        }
        *end = '\0';
        const char *w = p + 1;
        if (words == 0) {
            const char *slash = strrchr(w, '/');
            w = slash ? slash + 1 : w;
        }
        key_word(key, size, run, w);
        p = end + 1;
    }
}

/* Reads a `strace -f -z -ttt -e trace=execve` log and counts each
 * execve() in 'counts' under the phase that 'bounds' (N_PHASES + 1
 * increasing wall-clock times, in seconds) puts it in. */
static void
count_execs(const char *path, const char *run, const double *bounds,
            struct exec_count **counts, size_t *n)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    while (f && getline(&line, &cap, f) > 0) {
        double ts;
        if (sscanf(line, "%*d %lf", &ts) != 1 || strstr(line, "= -1")) {
            continue;
        }
        int phase = -1;
        for (int k = 0; k < N_PHASES; k++) {
            if (ts >= bounds[k] && ts < bounds[k + 1]) {
                phase = k;
            }
        }
        char key[256];
        exec_key(line, run, key, sizeof key);
        if (phase < 0 || !key[0]) {
            continue;
        }
        size_t i;
        for (i = 0; i < *n && strcmp((*counts)[i].key, key); i++) {
            continue;
        }
        if (i == *n) {
            *counts = realloc(*counts, (*n + 1) * sizeof **counts);
            memset(&(*counts)[i], 0, sizeof **counts);
            (*counts)[i].key = strdup(key);
            (*n)++;
        }
        (*counts)[i].n[phase]++;
    }
    free(line);
    if (f) {
        fclose(f);
    }
}

static int
cmp_exec(const void *a_, const void *b_)
{
    const struct exec_count *a = a_, *b = b_;
    long ta = 0, tb = 0;
    for (int k = 0; k < N_PHASES; k++) {
        ta += a->n[k];
        tb += b->n[k];
    }
    return ta < tb ? 1 : ta > tb ? -1 : strcmp(a->key, b->key);
}

/* Wall-clock time in seconds, as strace -ttt prints it. */
static double
wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Starts strace on the agent of hv1 into 'path' and waits until it is
 * attached.  Returns its PID or -1.  strace is never detached from a
 * running agent (detaching while the agent is in posix_spawn() can leave
 * it stopped for good): it ends when the agent ends. */
static pid_t
strace_start(struct bed *b, const char *path)
{
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)b->agents[1]);
    char *argv[] = {"strace",       "-f", "-z",         "-ttt", "-qq", "-e",
                    "trace=execve", "-o", (char *)path, "-p",   pid,   NULL};
    pid_t st = spawn_bg(argv, NULL);
    if (st < 0) {
        return -1;
    }
    for (int i = 0; i < 500; i++) {
        if (proc_status_kib(b->agents[1], "TracerPid") == st) {
            return st;
        }
        sleep_ms(10);
    }
    kill(st, SIGKILL);
    waitpid(st, NULL, 0);
    return -1;
}

static void
print_profile(const struct exec_count *counts, size_t n_counts,
              const char *const *phases, long guests)
{
    long total[N_PHASES] = {0};
    printf("  %-46s %8s %9s %8s %8s %8s\n", "program run by the agent",
           phases[0], "per guest", phases[1], phases[2], phases[3]);
    for (size_t i = 0; i < n_counts; i++) {
        for (int k = 0; k < N_PHASES; k++) {
            total[k] += counts[i].n[k];
        }
        if (i < 25) {
            printf("  %-46.46s %8ld %9.1f %8ld %8ld %8ld\n", counts[i].key,
                   counts[i].n[0], (double)counts[i].n[0] / guests,
                   counts[i].n[1], counts[i].n[2], counts[i].n[3]);
        }
    }
    if (n_counts > 25) {
        printf("  (%zu more command lines)\n", n_counts - 25);
    }
    printf("  %-46s %8ld %9.1f %8ld %8ld %8ld\n", "total", total[0],
           (double)total[0] / guests, total[1], total[2], total[3]);
    printf("  (hv1 has %ld guests; `ip netns exec` counts twice: ip, then "
           "the program it runs;\n  * stands for names and numbers)\n",
           guests);
}

static int
bench_profile(struct bed *b, const struct options *o)
{
    const int n_hosts = 2;
    long size = o->profile_guests;
    char *file = sbx_path(b->dir, "profile.yaml");
    char *file_one = sbx_path(b->dir, "profile-one.yaml");
    char *log = sbx_path(b->dir, "strace.log");
    const char *const phases[N_PHASES] = {"converge", "one more", "idle 5 s",
                                          "destroy"};
    double bounds[N_PHASES + 1];
    struct exec_count *counts = NULL;
    size_t n_counts = 0;
    pid_t st = -1;
    int rc = -1;

    printf("\nPart 3: programs run by the agent of hv1 (strace -f -e "
           "trace=execve), %ld guests over 2 hosts\n",
           size);
    if (write_lab(file, size, n_hosts) < 0 ||
        write_lab(file_one, size + 1, n_hosts) < 0 ||
        agents_start(b, n_hosts) < 0) {
        goto cleanup;
    }
    st = strace_start(b, log);
    if (st < 0) {
        fprintf(stderr, "bench-agent: cannot attach strace\n");
        goto cleanup;
    }
    for (int phase = 0; phase < N_PHASES; phase++) {
        double start = now_ms();
        int error = 0;
        bounds[phase] = wall_s();
        if (phase == 0) {
            error = apply_wait(b, file, o->limit_s, NULL);
        } else if (phase == 1) {
            error = apply_wait(b, file_one, o->limit_s, NULL);
        } else if (phase == 2) {
            sleep_ms(IDLE_MS);
        } else {
            error = destroy_wait(b, o->limit_s, NULL);
        }
        bounds[phase + 1] = wall_s();
        if (error) {
            goto cleanup;
        }
        printf("  %-9s %6.2f s under strace\n", phases[phase],
               (now_ms() - start) / 1e3);
    }
    agent_stop(b, 1);
    waitpid(st, NULL, 0);
    st = -1;
    count_execs(log, b->run, bounds, &counts, &n_counts);
    qsort(counts, n_counts, sizeof *counts, cmp_exec);
    print_profile(counts, n_counts, phases, (size + 1) / 2);
    rc = 0;

cleanup:
    for (int h = 1; h <= n_hosts; h++) {
        agent_stop(b, h);
    }
    if (st > 0) {
        kill(st, SIGKILL);
        waitpid(st, NULL, 0);
    }
    for (size_t i = 0; i < n_counts; i++) {
        free(counts[i].key);
    }
    free(counts);
    free(log);
    free(file);
    free(file_one);
    return rc;
}

/* The machine. */

static void
print_header(const struct bed *b, const char *source_dir)
{
    char date[64], *version = NULL, cpu[128] = "unknown";
    char *commit = NULL, *changes = NULL;
    time_t t = time(NULL);
    struct utsname u;
    double load[3] = {0, 0, 0};

    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
    uname(&u);
    getloadavg(load, 3);
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
    sbx_runl(&version, "ovs-vswitchd", "--version", NULL);
    if (version) {
        version[strcspn(version, "\n")] = '\0';
    }
    printf("bench-agent: fabricd convergence on simulated hosts, against "
           "the same work by hand\n");
    printf("date:    %s\n", date);
    printf("machine: %ld CPUs (nproc), %s, Linux %s\n",
           sysconf(_SC_NPROCESSORS_ONLN), cpu, u.release);
    printf("load:    %.2f %.2f %.2f (1, 5, 15 min) before the run\n", load[0],
           load[1], load[2]);
    printf("switch:  %s, userspace datapath (netdev)\n",
           version ? version : "ovs-vswitchd: unknown");
    if (sbx_runl(&commit, "git", "-C", source_dir, "log", "-1",
                 "--format=%h %ad", "--date=iso", NULL) ||
        sbx_runl(&changes, "git", "-C", source_dir, "status", "--porcelain",
                 "--untracked-files=no", "--", "fabric", "controllers",
                 "ovsdb", NULL)) {
        free(commit);
        commit = strdup("unknown (not a git checkout)");
    }
    commit[strcspn(commit, "\n")] = '\0';
    printf("source:  %s%s\n", commit,
           changes && changes[0] ? ", with local changes to fabric/, "
                                   "controllers/ or ovsdb/"
                                 : "");
    printf("test bed: run %s in %s\n", b->run, b->bed_dir);
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
    printf("build:   optimized\n");
#else
    printf("build:   NOT optimized or with sanitizers: figures are "
           "pessimistic\n         (use -DCMAKE_BUILD_TYPE=RelWithDebInfo "
           "-DFABRIC_SANITIZE=OFF)\n");
#endif
    free(version);
    free(commit);
    free(changes);
}

static void
print_goals(const struct lab_result *four, const struct scale_result *sr,
            int n_sr, const char *what)
{
    const struct scale_result *big = NULL;
    for (int i = 0; i < n_sr; i++) {
        if (sr[i].ok && (!big || sr[i].size > big->size)) {
            big = &sr[i];
        }
    }
    printf("\nAgainst OVN 23.03 and the goals (%s)\n", what);
    printf("  %-36s %10s %10s %12s %10s %8s\n", "", "OVN 23.03", "goal",
           "fabricd", "baseline", "goal");
    if (four && four->ok) {
        printf("  %-36s %9.2fs %9.2fs %11.2fs %9.2fs %8s\n",
               "4 guests: apply to all pairs reach", OVN_FOUR_S, GOAL_FOUR_S,
               four->ours_s, four->base_s,
               goal_text(four->ours_s < GOAL_FOUR_S));
    } else {
        printf("  %-36s %9.2fs %9.2fs %12s\n",
               "4 guests: apply to all pairs reach", OVN_FOUR_S, GOAL_FOUR_S,
               "-");
    }
    if (!big) {
        printf("  (no size converged)\n");
        return;
    }
    bool at_1000 = big->size >= 1000;
    char label[64];
    snprintf(label, sizeof label, "%ld ports: converged", big->size);
    printf("  %-36s %9.2fs %9.2fs %11.2fs %9.2fs %8s\n", label, OVN_1000_S,
           GOAL_1000_S, big->conv_s, big->base_s,
           goal_at_text(big->conv_s < GOAL_1000_S, at_1000));
    snprintf(label, sizeof label, "%ld ports: one more port", big->size);
    printf("  %-36s %9.2fs %9.2fs %11.3fs %9.3fs %8s\n", label, OVN_ONE_S,
           GOAL_ONE_S, big->one_s, big->base_one_s,
           goal_at_text(big->one_s < GOAL_ONE_S, at_1000));
    snprintf(label, sizeof label, "%ld ports: agent peak RSS", big->size);
    printf("  %-36s %7.0fMiB %7.0fMiB %9.1fMiB %7.1fMiB %8s\n", label,
           OVN_RSS_MIB, GOAL_RSS_MIB, big->hwm_kib / 1024.0,
           big->base_rss_kib / 1024.0,
           goal_at_text(big->hwm_kib / 1024.0 < GOAL_RSS_MIB, at_1000));
    snprintf(label, sizeof label, "%ld ports: flows per bridge", big->size);
    printf("  %-36s %10d %10s %12ld %10ld %8s\n", label, OVN_FLOWS, "-",
           big->flows[1], big->base_flows, "-");
    if (!at_1000) {
        printf("  The largest size that converged is %ld: a goal in "
               "brackets is met there, which\n  says nothing of 1,000 "
               "ports.\n",
               big->size);
    }
}

/* Runs 'bench' for every size of 'o' into 'results', printing each with
 * 'print', until one fails.  Returns the number run. */
static int
run_sizes(struct bed *b, const struct options *o,
          int (*bench)(struct bed *, long, const struct options *,
                       struct scale_result *),
          void (*print)(const struct scale_result *),
          struct scale_result *results)
{
    int n = 0;
    for (int i = 0; i < o->n_sizes; i++) {
        bench(b, o->sizes[i], o, &results[n]);
        print(&results[n]);
        if (!results[n++].ok) {
            printf("  Larger sizes are not run.\n");
            break;
        }
    }
    return n;
}

/* Options and paths. */

static void
usage(void)
{
    printf("usage: bench-agent [--sizes N,N,...] [--guests N] [--repeat N] "
           "[--limit S]\n"
           "                   [--profile-guests N] [--ping-jobs N] "
           "[--parts LIST]\n"
           "                   [--bin-dir DIR] [--source-dir DIR]\n"
           "  --sizes LIST        part 2: guests over two hosts "
           "(100,500,1000)\n"
           "  --guests N          part 1b: guests over three hosts (100)\n"
           "  --repeat N          part 1: runs per lab, median reported "
           "(3)\n"
           "  --limit S           seconds one apply may take (180)\n"
           "  --profile-guests N  part 3: guests under strace (30)\n"
           "  --ping-jobs N       pings at once (64)\n"
           "  --parts LIST        parts to run, e.g. 1,3 (1,2,3,4)\n"
           "  --bin-dir DIR       where fabricd and fabricctl are (next to "
           "this program)\n"
           "  --source-dir DIR    the source tree, for scripts/testbed and "
           "topologies/\n"
           "                      (the parent of --bin-dir)\n"
           "Needs root: the test bed makes network namespaces.\n");
}

static int
parse_list(const char *s, long *v, int max)
{
    int n = 0;
    char *copy = strdup(s), *save;
    for (char *w = strtok_r(copy, ",", &save); w && n < max;
         w = strtok_r(NULL, ",", &save)) {
        v[n++] = atol(w);
    }
    free(copy);
    return n;
}

/* The folder this program is in (free()). */
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

static bool
file_ok(const char *path, int mode)
{
    if (access(path, mode) < 0) {
        fprintf(stderr, "bench-agent: %s: %s\n", path, strerror(errno));
        return false;
    }
    return true;
}

/* A run name for the test bed: "b" and this process's PID in base 36. */
static void
make_run_name(char *run, size_t size)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    char rev[8];
    int n = 0;
    unsigned long pid = getpid();
    do {
        rev[n++] = digits[pid % 36];
        pid /= 36;
    } while (pid && n < 5);
    size_t len = 0;
    run[len++] = 'b';
    while (n && len < size - 1) {
        run[len++] = rev[--n];
    }
    run[len] = '\0';
}

int
main(int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"sizes", required_argument, NULL, 's'},
        {"guests", required_argument, NULL, 'g'},
        {"repeat", required_argument, NULL, 'n'},
        {"limit", required_argument, NULL, 'l'},
        {"profile-guests", required_argument, NULL, 'p'},
        {"ping-jobs", required_argument, NULL, 'j'},
        {"parts", required_argument, NULL, 'P'},
        {"bin-dir", required_argument, NULL, 'b'},
        {"source-dir", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct options o = {.sizes = {100, 500, 1000},
                        .n_sizes = 3,
                        .guests = 100,
                        .repeat = 3,
                        .limit_s = 180,
                        .profile_guests = 30,
                        .ping_jobs = 64,
                        .parts = {false, true, true, true, true}};
    long parts[5];
    int n, c;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case 's':
            o.n_sizes = parse_list(optarg, o.sizes, MAX_SIZES);
            break;
        case 'g':
            o.guests = atoi(optarg);
            break;
        case 'n':
            o.repeat = atoi(optarg);
            break;
        case 'l':
            o.limit_s = atoi(optarg);
            break;
        case 'p':
            o.profile_guests = atoi(optarg);
            break;
        case 'j':
            o.ping_jobs = atoi(optarg);
            break;
        case 'P':
            n = parse_list(optarg, parts, 5);
            memset(o.parts, 0, sizeof o.parts);
            for (int i = 0; i < n; i++) {
                if (parts[i] >= 1 && parts[i] <= 4) {
                    o.parts[parts[i]] = true;
                }
            }
            break;
        case 'b':
            free(o.bin_dir);
            o.bin_dir = strdup(optarg);
            break;
        case 'S':
            free(o.source_dir);
            o.source_dir = strdup(optarg);
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    bool sizes_ok = o.n_sizes > 0;
    for (int i = 0; i < o.n_sizes; i++) {
        sizes_ok &= o.sizes[i] >= 2 && o.sizes[i] < 4000;
    }
    if (optind != argc || !sizes_ok || o.guests < 3 || o.guests >= 4000 ||
        o.repeat < 1 || o.repeat > MAX_REPEAT || o.limit_s < 1 ||
        o.profile_guests < 0 || o.profile_guests >= 4000 || o.ping_jobs < 1) {
        usage();
        return 2;
    }
    if (geteuid() != 0) {
        fprintf(stderr, "bench-agent: needs root (network namespaces)\n");
        return 1;
    }
    if (!o.bin_dir) {
        o.bin_dir = self_dir();
    }
    if (!o.source_dir && asprintf(&o.source_dir, "%s/..", o.bin_dir) < 0) {
        abort();
    }

    struct bed b = {0};
    b.fabricd = sbx_path(o.bin_dir, "fabricd");
    b.fabricctl = sbx_path(o.bin_dir, "fabricctl");
    b.testbed = sbx_path(o.source_dir, "scripts/testbed");
    char *schema = sbx_path(o.source_dir, "ovsdb/fabric.ovsschema");
    char *two_hosts = sbx_path(o.source_dir, "topologies/two-hosts.yaml");
    struct lab_result four = {0}, hundred = {0};
    struct scale_result sr[MAX_SIZES], pr[MAX_SIZES];
    int n_sr = 0, n_pr = 0, rc = 1;
    memset(sr, 0, sizeof sr);
    memset(pr, 0, sizeof pr);

    if (!file_ok(b.fabricd, X_OK) || !file_ok(b.fabricctl, X_OK) ||
        !file_ok(b.testbed, R_OK) || !file_ok(schema, R_OK) ||
        !file_ok(two_hosts, R_OK)) {
        fprintf(stderr, "bench-agent: build fabricd and fabricctl, or use "
                        "--bin-dir and --source-dir\n");
        goto out;
    }

    make_run_name(b.run, sizeof b.run);
    b.dir = sbx_mkdtemp("agentbench");
    if (!b.dir) {
        goto out;
    }
    b.bed_dir = sbx_path(b.dir, "bed");
    /* After the sandbox's: atexit() handlers run in reverse order, so the
     * test bed goes down before the sandbox removes its folder. */
    the_bed = &b;
    atexit(cleanup_at_exit);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        next_handler[sigs[i]] = signal(sigs[i], cleanup_on_signal);
    }

    print_header(&b, o.source_dir);
    sbx_ovsdb_init(&b.fabric, b.dir, "fabric");
    if (sbx_ovsdb_create_db(&b.fabric, schema) < 0 ||
        sbx_ovsdb_start(&b.fabric, NULL) < 0) {
        goto out;
    }
    snprintf(b.db_opt, sizeof b.db_opt, "--db=%s", b.fabric.unix_remote);
    double t0 = now_ms();
    if (bed_up(&b, MAX_HOSTS) < 0) {
        goto out;
    }
    printf("test bed up in %.1f s (3 hosts)\n", (now_ms() - t0) / 1e3);

    bool ok = true;
    if (o.parts[1]) {
        printf("\nPart 1: from the first command to every sampled pair of "
               "guests reachable\n");
        printf("baseline: the same guests made by hand (ip netns add, veth, "
               "address, ovs-vsctl add-port\nwith the VLAN tag; the same "
               "GENEVE tunnels), one script per host in parallel\n");
        char *lab = sbx_path(b.dir, "lab-guests.yaml");
        ok = bench_lab(&b, "1a. The classic lab (two-hosts.yaml)", two_hosts,
                       true, 2, o.repeat, &o, &four) == 0 &&
             write_lab(lab, o.guests, 3) == 0 &&
             bench_lab(&b, "1b. Generated lab", lab, false, 3, 1, &o,
                       &hundred) == 0;
        free(lab);
    }
    if (ok && o.parts[2]) {
        printf("\nPart 2: scale, netns guests over two hosts in %d networks"
               "\nbaseline: ovs-vsctl add-port of as many internal ports "
               "into a scratch bridge,\none call per host with its share, "
               "in parallel; then one more port\n",
               N_NETS);
        n_sr = run_sizes(&b, &o, bench_scale_size, print_scale, sr);
    }
    if (ok && o.parts[3] && o.profile_guests > 0) {
        ok = bench_profile(&b, &o) == 0;
    }
    if (ok && o.parts[4]) {
        printf("\nPart 4: ports plugged by another program (guests of kind "
               "port), over two hosts\nin %d networks: ovs-vsctl add-port "
               "of internal ports with their iface-ids into br-int,\none "
               "call per host in parallel, until both agents bound every "
               "port (tag, flows)\nbaseline: the same ovs-vsctl calls into "
               "a scratch bridge, without fabricd\n",
               N_NETS);
        n_pr = run_sizes(&b, &o, bench_ports_size, print_ports, pr);
    }
    if (n_pr) {
        print_goals(o.parts[1] ? &four : NULL, pr, n_pr, "part 4, ports");
    }
    if (n_sr || !n_pr) {
        print_goals(o.parts[1] ? &four : NULL, sr, n_sr,
                    "part 2, netns guests");
    }
    rc = ok ? 0 : 1;

out:
    bed_down(&b);
    sbx_ovsdb_clear(&b.fabric);
    if (b.dir) {
        sbx_rmtree(b.dir);
    }
    the_bed = NULL;
    free(b.dir);
    free(b.bed_dir);
    free(b.fabricd);
    free(b.fabricctl);
    free(b.testbed);
    free(schema);
    free(two_hosts);
    free(o.bin_dir);
    free(o.source_dir);
    return rc;
}
