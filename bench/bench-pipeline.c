/* bench-pipeline: fabric's OpenFlow pipeline against plain NORMAL
 * switching, and the cost of generating its flows, in one run.
 *
 *   bench-pipeline [--ports N] [--repeat N] [--time S] [--runs N]
 *                  [--no-iperf] [--fabricd PATH] [--fabricctl PATH]
 *                  [--source DIR]
 *
 * 1. Flow generation, in process: a generated lab with --ports guest
 *    interfaces (default 1,000) on host hv1, one /24 network per 200 of
 *    them, a flows router with a port in every network, and one guest per
 *    network on hv2 (so that hv1 has a tunnel and remote MACs, as in a
 *    real lab).  pipeline_flows() for hv1 with every port bound (fake port
 *    numbers) is timed --repeat times (default 20), median reported, and
 *    compared with the baseline: topology_load_buffer() of the same lab,
 *    timed the same way.  The flows are counted per guest port: all of
 *    hv1's flows, and those whose cookie names a guest interface.
 * 2. TCP throughput: a test bed of two simulated hosts (scripts/testbed
 *    up --hosts 2), one fabric DB, one fabricd per host, the lab
 *    topologies/two-hosts.yaml.  iperf3 from host01 (hv1) to host02 (hv2),
 *    both in network1, --time seconds (default 5), --runs times (default
 *    3), median reported; first with fabricd --pipeline=flows (fabric's
 *    pipeline), then, after "topology destroy" and a restart of both
 *    agents, with --pipeline=normal (VLAN-tagged NORMAL bridges joined by
 *    the same GENEVE tunnel).  Each half also records the TTL of a ping
 *    from host01 to host02 (64: no routing hop in between) and the number
 *    of flows on hv1's integration bridge, which shows which pipeline ran.
 *
 * Rules of the benchmark:
 * - The two halves of part 2 run on the same test bed, the same guests
 *   and the same tunnel, one after the other; the ratio compares them.
 * - Cleanup always: an atexit() handler stops the agents (by PID, from
 *   their pidfiles) and takes the test bed down; the sandbox
 *   (tests/lib/sandbox.h) stops the fabric DB and removes the temporary
 *   directory.  iperf3 servers run with -1 (one test, then exit) and are
 *   killed by PID; `testbed down` also ends anything left in the run's
 *   namespaces.
 * - Paths: fabricd and fabricctl next to this program, the source tree
 *   (scripts/testbed, the lab and the schema) from the build directory's
 *   CMakeCache.txt; options override them.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "model.h"
#include "pipeline.h"
#include "sandbox.h"
#include "topology.h"

#define MAX_REPEAT 101
#define GUESTS_PER_NETWORK 200
/* The goals. */
#define GOAL_GEN_MS 50.0
#define GOAL_RATIO 0.9

struct bench_options {
    long ports; /* Guest ports on hv1 in part 1. */
    int repeat; /* Runs of each timing in part 1. */
    int time_s; /* Seconds per iperf3 run. */
    int runs;   /* iperf3 runs per pipeline. */
    bool iperf; /* Run part 2. */
    char *fabricd;
    char *fabricctl;
    char *source; /* The source tree. */
};

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
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

/* Part 1: flow generation. */

/* Writes "10.A.B" of network 'i' to 'buf'. */
static void
network_prefix(char *buf, size_t size, size_t i)
{
    snprintf(buf, size, "10.%zu.%zu", 1 + i / 256, i % 256);
}

/* Returns the YAML of the lab of part 1 with 'ports' guests on hv1 (a new
 * string). */
static char *
make_lab(long ports, size_t *lenp)
{
    size_t n_networks = (ports + GUESTS_PER_NETWORK - 1) / GUESTS_PER_NETWORK;
    char prefix[32];
    char *buf = NULL;
    FILE *f = open_memstream(&buf, lenp);
    if (!f) {
        abort();
    }
    fprintf(f, "name: bench-pipeline\nhosts:\n"
               "  - {name: hv1, underlay: 10.99.0.1}\n"
               "  - {name: hv2, underlay: 10.99.0.2}\n"
               "networks:\n");
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
    for (long i = 0; i < ports; i++) {
        size_t net = i / GUESTS_PER_NETWORK;
        network_prefix(prefix, sizeof prefix, net);
        fprintf(f,
                "  - name: g%05ld\n    host: hv1\n    kind: netns\n"
                "    interfaces:\n"
                "      - {network: net%03zu, ip: %s.%ld/24, "
                "gateway: %s.254}\n",
                i + 1, net, prefix, 1 + i % GUESTS_PER_NETWORK, prefix);
    }
    /* One guest per network on hv2, at .250. */
    for (size_t i = 0; i < n_networks; i++) {
        network_prefix(prefix, sizeof prefix, i);
        fprintf(f,
                "  - name: r%03zu\n    host: hv2\n    kind: netns\n"
                "    interfaces:\n"
                "      - {network: net%03zu, ip: %s.250/24, "
                "gateway: %s.254}\n",
                i, i, prefix, prefix);
    }
    if (fclose(f)) {
        abort();
    }
    return buf;
}

/* Fake port numbers: guest gNNNNN has port NNNNN, the tunnel 60000. */
static long
fake_iface_port(const char *guest, const char *iface, void *aux)
{
    (void)iface;
    (void)aux;
    return guest[0] == 'g' ? strtol(guest + 1, NULL, 10) : 0;
}

static long
fake_router_port(const char *router, const char *network, void *aux)
{
    (void)router;
    (void)network;
    (void)aux;
    return 0;
}

static long
fake_tunnel_port(const char *remote, void *aux)
{
    (void)remote;
    (void)aux;
    return 60000;
}

struct gen_result {
    double load_ms;   /* Median topology_load_buffer(). */
    double gen_ms;    /* Median pipeline_flows(). */
    long flows;       /* hv1's flows. */
    long iface_flows; /* Those whose cookie names a guest interface. */
    size_t bytes;     /* Their text. */
};

static int
bench_generation(const struct bench_options *o, struct gen_result *r)
{
    size_t len;
    char *lab = make_lab(o->ports, &len);
    double load[MAX_REPEAT], gen[MAX_REPEAT];
    struct fabric_model *model = NULL;
    const struct pipeline_ports ports = {
        .iface = fake_iface_port,
        .router_port = fake_router_port,
        .tunnel = fake_tunnel_port,
        .aux = NULL,
    };
    int rc = -1;

    memset(r, 0, sizeof *r);
    for (int i = 0; i < o->repeat; i++) {
        struct fabric_model *m = NULL;
        struct topology_errors errors = {NULL, 0};
        double t0 = now_ms();
        int error =
            topology_load_buffer("bench-pipeline.yaml", lab, len, &m, &errors);
        load[i] = now_ms() - t0;
        if (error) {
            fprintf(stderr, "bench-pipeline: the generated lab does not "
                            "load:\n");
            for (size_t j = 0; j < errors.n && j < 10; j++) {
                fprintf(stderr, "  %s\n", errors.lines[j]);
            }
            topology_errors_clear(&errors);
            goto out;
        }
        if (model) {
            fabric_model_destroy(m);
        } else {
            model = m;
        }
    }
    for (int i = 0; i < o->repeat; i++) {
        double t0 = now_ms();
        char *text = pipeline_flows(model, "hv1", &ports);
        gen[i] = now_ms() - t0;
        if (i == 0) {
            r->bytes = strlen(text);
            for (char *p = text; *p; p = strchr(p, '\n') + 1) {
                r->flows++;
                char *c = strstr(p, "cookie=0x");
                if (c && c < strchr(p, '\n') && !strncmp(c + 9, "02", 2)) {
                    r->iface_flows++;
                }
            }
        }
        free(text);
    }
    r->load_ms = median(load, o->repeat);
    r->gen_ms = median(gen, o->repeat);
    rc = 0;
out:
    fabric_model_destroy(model);
    free(lab);
    return rc;
}

/* Part 2: throughput on a test bed. */

struct bed {
    const struct bench_options *o;
    char run[8]; /* Test bed run name. */
    char *dir;   /* Sandbox: the fabric DB and the bed. */
    char *bed_dir;
    char *testbed; /* scripts/testbed. */
    char *lab;     /* topologies/two-hosts.yaml. */
    char *db_opt;  /* "--db=unix:SOCK". */
    struct sbx_ovsdb fabric;
    bool up; /* The test bed is up. */
};

static struct bed *the_bed;

static void
agent_pidfile(const struct bed *b, int n, char *buf, size_t size)
{
    snprintf(buf, size, "%s/hv%d/fabricd.pid", b->bed_dir, n);
}

static void
stop_agents(struct bed *b)
{
    for (int n = 1; n <= 2; n++) {
        char path[PATH_MAX];
        agent_pidfile(b, n, path, sizeof path);
        pid_t pid = sbx_read_pidfile(path);
        if (pid > 0) {
            sbx_kill(pid, SIGTERM, 5000);
            unlink(path);
        }
    }
}

static void
cleanup_at_exit(void)
{
    struct bed *b = the_bed;
    if (b && b->up) {
        stop_agents(b);
        sbx_runl(NULL, "bash", b->testbed, "down", "--name", b->run, "--dir",
                 b->bed_dir, NULL);
        b->up = false;
    }
}

/* Starts fabricd for host hvN with pipeline 'mode'. */
static int
start_agent(struct bed *b, int n, const char *mode)
{
    char db[PATH_MAX], ovsdb[PATH_MAX], host[32], rundir[PATH_MAX];
    char pidfile[PATH_MAX], logfile[PATH_MAX], prefix[64], hv[16];
    char pipeline[64];
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
    snprintf(prefix, sizeof prefix, "--netns-prefix=%s-hv%d-", b->run, n);
    snprintf(pipeline, sizeof pipeline, "--pipeline=%s", mode);
    char *argv[] = {"bash",        b->testbed, "exec",
                    "--name",      b->run,     "--dir",
                    b->bed_dir,    hv,         "--",
                    b->o->fabricd, db,         ovsdb,
                    host,          rundir,     pidfile,
                    logfile,       prefix,     "--datapath=netdev",
                    pipeline,      "--detach", NULL};
    char *out = NULL;
    int rc = sbx_run(argv, &out);
    if (rc) {
        fprintf(stderr, "bench-pipeline: fabricd on %s failed: %s\n", hv,
                out ? out : "");
    }
    free(out);
    return rc ? -1 : 0;
}

/* Runs "fabricctl --db=... A0 A1 A2 [A3]" ('a3' may be NULL). */
static int
fabricctl(struct bed *b, const char *a0, const char *a1, const char *a2,
          const char *a3)
{
    char *out = NULL;
    int rc = sbx_runl(&out, b->o->fabricctl, b->db_opt, a0, a1, a2, a3, NULL);
    if (rc) {
        fprintf(stderr, "bench-pipeline: fabricctl %s %s failed:\n%s\n", a0,
                a1, out ? out : "");
    }
    free(out);
    return rc ? -1 : 0;
}

/* The namespace of 'guest' on hvN. */
static void
guest_ns(const struct bed *b, int n, const char *guest, char *buf, size_t size)
{
    snprintf(buf, size, "%s-hv%d-%s", b->run, n, guest);
}

/* Pings 'ip' once from host01; returns the reply's TTL or -1. */
static int
ping_ttl(struct bed *b, const char *ip)
{
    char ns[64], *out = NULL;
    guest_ns(b, 1, "host01", ns, sizeof ns);
    int rc = sbx_runl(&out, "ip", "netns", "exec", ns, "ping", "-c", "1", "-W",
                      "1", ip, NULL);
    const char *t = out ? strstr(out, "ttl=") : NULL;
    int ttl = rc == 0 && t ? atoi(t + 4) : -1;
    free(out);
    return ttl;
}

/* The number of flows on hvN's integration bridge, or -1. */
static int
count_flows(struct bed *b, int n)
{
    char hv[16], *out = NULL;
    snprintf(hv, sizeof hv, "hv%d", n);
    char *argv[] = {"bash",  b->testbed,   "exec",       "--name", b->run,
                    "--dir", b->bed_dir,   hv,           "--",     "ovs-ofctl",
                    "-O",    "OpenFlow15", "dump-flows", "br-int", NULL};
    int rc = sbx_run(argv, &out);
    int flows = -1;
    if (rc == 0 && out) {
        flows = 0;
        for (const char *p = out; (p = strstr(p, "priority=")); p++) {
            flows++;
        }
    }
    free(out);
    return flows;
}

/* iperf3 from host01 to host02 (172.16.0.2) for --time seconds; returns
 * the received Mbit/s, or -1. */
static double
iperf_once(struct bed *b)
{
    char sns[64], cns[64], secs[16], pidfile[PATH_MAX];
    guest_ns(b, 2, "host02", sns, sizeof sns);
    guest_ns(b, 1, "host01", cns, sizeof cns);
    snprintf(secs, sizeof secs, "%d", b->o->time_s);
    snprintf(pidfile, sizeof pidfile, "%s/iperf3.pid", b->dir);
    unlink(pidfile);
    if (sbx_runl(NULL, "ip", "netns", "exec", sns, "iperf3", "-s", "-1", "-D",
                 "-I", pidfile, NULL)) {
        fprintf(stderr, "bench-pipeline: iperf3 server did not start\n");
        return -1;
    }
    pid_t server = -1;
    for (int i = 0; i < 50 && server <= 0; i++) {
        usleep(100 * 1000);
        server = sbx_read_pidfile(pidfile);
    }
    if (server > 0) {
        sbx_track_pid(server);
    }
    usleep(200 * 1000);
    char *out = NULL;
    int rc = sbx_runl(&out, "ip", "netns", "exec", cns, "iperf3", "-c",
                      "172.16.0.2", "-t", secs, "-J", NULL);
    double mbps = -1;
    json_t *j = rc == 0 && out ? json_loads(out, 0, NULL) : NULL;
    json_t *sum = json_object_get(json_object_get(j, "end"), "sum_received");
    if (json_is_number(json_object_get(sum, "bits_per_second"))) {
        mbps =
            json_number_value(json_object_get(sum, "bits_per_second")) / 1e6;
    } else {
        fprintf(stderr, "bench-pipeline: iperf3 failed: %s\n", out ? out : "");
    }
    json_decref(j);
    free(out);
    if (server > 0) {
        sbx_kill(server, SIGTERM, 2000);
        sbx_untrack_pid(server);
    }
    return mbps;
}

struct half_result {
    double mbps; /* Median. */
    double runs[MAX_REPEAT];
    int ttl;         /* Of a ping host01 -> host02. */
    int flows_hv1;   /* Flows on hv1's br-int. */
    double ready_ms; /* From agents' start to the first ping reply. */
};

/* One half: agents with pipeline 'mode', the lab applied, measured, the
 * lab destroyed and the agents stopped. */
static int
bench_half(struct bed *b, const char *mode, struct half_result *r)
{
    memset(r, 0, sizeof *r);
    double t0 = now_ms();
    if (start_agent(b, 1, mode) || start_agent(b, 2, mode) ||
        fabricctl(b, "topology", "apply", "--wait=60", b->lab) < 0) {
        return -1;
    }
    r->ttl = -1;
    while (now_ms() - t0 < 60000 && r->ttl < 0) {
        r->ttl = ping_ttl(b, "172.16.0.2");
    }
    r->ready_ms = now_ms() - t0;
    if (r->ttl < 0) {
        fprintf(stderr,
                "bench-pipeline: host01 never reached host02 with "
                "--pipeline=%s\n",
                mode);
        return -1;
    }
    r->flows_hv1 = count_flows(b, 1);
    for (int i = 0; i < b->o->runs; i++) {
        r->runs[i] = iperf_once(b);
        if (r->runs[i] < 0) {
            return -1;
        }
        printf("  --pipeline=%-6s run %d: %8.0f Mbit/s\n", mode, i + 1,
               r->runs[i]);
    }
    double sorted[MAX_REPEAT];
    memcpy(sorted, r->runs, b->o->runs * sizeof *sorted);
    r->mbps = median(sorted, b->o->runs);
    if (fabricctl(b, "topology", "destroy", "--wait=30", NULL) < 0) {
        return -1;
    }
    stop_agents(b);
    return 0;
}

static int
bench_throughput(const struct bench_options *o, struct half_result *flows,
                 struct half_result *normal)
{
    static struct bed bed;
    struct bed *b = &bed;
    int rc = -1;

    b->o = o;
    snprintf(b->run, sizeof b->run, "p%d", (int)(getpid() % 100000));
    b->dir = sbx_mkdtemp("bench-pipeline");
    if (!b->dir) {
        return -1;
    }
    b->bed_dir = sbx_path(b->dir, "bed");
    if (asprintf(&b->testbed, "%s/scripts/testbed", o->source) < 0 ||
        asprintf(&b->lab, "%s/topologies/two-hosts.yaml", o->source) < 0) {
        abort();
    }
    char *schema;
    if (asprintf(&schema, "%s/ovsdb/fabric.ovsschema", o->source) < 0) {
        abort();
    }
    the_bed = b;
    atexit(cleanup_at_exit);

    char *out = NULL;
    b->up = true;
    if (sbx_runl(&out, "bash", b->testbed, "up", "--name", b->run, "--hosts",
                 "2", "--dir", b->bed_dir, NULL)) {
        fprintf(stderr, "bench-pipeline: testbed up failed:\n%s\n",
                out ? out : "");
        free(out);
        goto out;
    }
    free(out);
    sbx_ovsdb_init(&b->fabric, b->dir, "fabric");
    if (sbx_ovsdb_create_db(&b->fabric, schema) < 0 ||
        sbx_ovsdb_start(&b->fabric, NULL) < 0) {
        goto out;
    }
    if (asprintf(&b->db_opt, "--db=%s", b->fabric.unix_remote) < 0) {
        abort();
    }
    if (bench_half(b, "flows", flows) < 0 ||
        bench_half(b, "normal", normal) < 0) {
        goto out;
    }
    rc = 0;
out:
    free(schema);
    cleanup_at_exit();
    if (b->fabric.pid) {
        sbx_ovsdb_kill(&b->fabric, SIGTERM);
    }
    sbx_ovsdb_clear(&b->fabric);
    sbx_rmtree(b->dir);
    free(b->dir);
    free(b->bed_dir);
    free(b->testbed);
    free(b->lab);
    free(b->db_opt);
    the_bed = NULL;
    return rc;
}

/* Main. */

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

/* Returns the source tree this program was built from, found through the
 * build directory's CMakeCache.txt, or "." (free()). */
static char *
default_source(const char *build_dir)
{
    char *cache = sbx_path(build_dir, "CMakeCache.txt");
    FILE *f = fopen(cache, "r");
    char line[PATH_MAX + 64], *source = NULL;
    static const char key[] = "fabric_SOURCE_DIR:STATIC=";
    while (f && !source && fgets(line, sizeof line, f)) {
        if (!strncmp(line, key, sizeof key - 1)) {
            line[strcspn(line, "\n")] = '\0';
            source = strdup(line + sizeof key - 1);
        }
    }
    if (f) {
        fclose(f);
    }
    free(cache);
    return source ? source : strdup(".");
}

static void
print_header(const struct bench_options *o)
{
    printf("bench-pipeline: %ld guest ports (generation, median of %d); "
           "iperf3 %d s x %d runs\n",
           o->ports, o->repeat, o->time_s, o->runs);
    printf("cpus:    %ld online\n", sysconf(_SC_NPROCESSORS_ONLN));
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
    printf("build:   optimized\n");
#else
    printf("build:   NOT optimized or with sanitizers: figures are "
           "pessimistic\n         (use -DCMAKE_BUILD_TYPE=RelWithDebInfo "
           "-DFABRIC_SANITIZE=OFF)\n");
#endif
}

static void
usage(void)
{
    printf("usage: bench-pipeline [--ports N] [--repeat N] [--time S] "
           "[--runs N] [--no-iperf]\n"
           "                      [--fabricd PATH] [--fabricctl PATH] "
           "[--source DIR]\n"
           "  --ports N         guest ports on one host for generation "
           "(1000)\n"
           "  --repeat N        generation runs, median reported (20)\n"
           "  --time S          seconds per iperf3 run (5)\n"
           "  --runs N          iperf3 runs per pipeline, median reported "
           "(3)\n"
           "  --no-iperf        only the generation part (no root needed)\n"
           "  --fabricd PATH    fabricd program (next to this one)\n"
           "  --fabricctl PATH  fabricctl program (next to this one)\n"
           "  --source DIR      source tree (from CMakeCache.txt)\n");
}

int
main(int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"ports", required_argument, NULL, 'p'},
        {"repeat", required_argument, NULL, 'n'},
        {"time", required_argument, NULL, 't'},
        {"runs", required_argument, NULL, 'r'},
        {"no-iperf", no_argument, NULL, 'I'},
        {"fabricd", required_argument, NULL, 'd'},
        {"fabricctl", required_argument, NULL, 'c'},
        {"source", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct bench_options o = {
        .ports = 1000,
        .repeat = 20,
        .time_s = 5,
        .runs = 3,
        .iperf = true,
    };
    int c;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case 'p':
            o.ports = atol(optarg);
            break;
        case 'n':
            o.repeat = atoi(optarg);
            break;
        case 't':
            o.time_s = atoi(optarg);
            break;
        case 'r':
            o.runs = atoi(optarg);
            break;
        case 'I':
            o.iperf = false;
            break;
        case 'd':
            free(o.fabricd);
            o.fabricd = strdup(optarg);
            break;
        case 'c':
            free(o.fabricctl);
            o.fabricctl = strdup(optarg);
            break;
        case 's':
            free(o.source);
            o.source = strdup(optarg);
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    if (optind != argc || o.ports < 1 || o.ports > 50000 || o.repeat < 1 ||
        o.repeat > MAX_REPEAT || o.time_s < 1 || o.runs < 1 ||
        o.runs > MAX_REPEAT) {
        usage();
        return 2;
    }
    char *build_dir = self_dir();
    if (!o.fabricd) {
        o.fabricd = sbx_path(build_dir, "fabricd");
    }
    if (!o.fabricctl) {
        o.fabricctl = sbx_path(build_dir, "fabricctl");
    }
    if (!o.source) {
        o.source = default_source(build_dir);
    }
    free(build_dir);

    int rc = 1;
    print_header(&o);
    if (o.iperf && geteuid() != 0) {
        fprintf(stderr, "bench-pipeline: the throughput part needs root "
                        "(namespaces); use --no-iperf\n");
        goto out;
    }
    if (o.iperf && (access(o.fabricd, X_OK) || access(o.fabricctl, X_OK))) {
        fprintf(stderr,
                "bench-pipeline: %s or %s missing (build targets "
                "fabricd and fabricctl)\n",
                o.fabricd, o.fabricctl);
        goto out;
    }

    printf("\n== Flow generation: %ld guest ports on hv1, median of %d "
           "==\n",
           o.ports, o.repeat);
    struct gen_result g;
    if (bench_generation(&o, &g) < 0) {
        goto out;
    }
    printf("  topology_load_buffer (baseline) %8.2f ms\n", g.load_ms);
    printf("  pipeline_flows                  %8.2f ms  (%.2fx the load)\n",
           g.gen_ms, g.gen_ms / g.load_ms);
    printf("  flows on hv1: %ld (%.0f KiB of text), %.2f per guest port, "
           "of which %.2f\n  carry the port's guest-interface cookie\n",
           g.flows, g.bytes / 1024.0, (double)g.flows / o.ports,
           (double)g.iface_flows / o.ports);

    struct half_result flows, normal;
    if (o.iperf) {
        printf("\n== TCP throughput host01 (hv1) -> host02 (hv2), "
               "two-hosts.yaml, iperf3 %d s, median of %d ==\n",
               o.time_s, o.runs);
        if (bench_throughput(&o, &flows, &normal) < 0) {
            goto out;
        }
        printf("  --pipeline=flows  %8.0f Mbit/s  ttl=%d  %d flows on hv1's "
               "br-int\n",
               flows.mbps, flows.ttl, flows.flows_hv1);
        printf("  --pipeline=normal %8.0f Mbit/s  ttl=%d  %d flows on hv1's "
               "br-int  (baseline)\n",
               normal.mbps, normal.ttl, normal.flows_hv1);
        printf("  ratio flows/normal: %.2f\n", flows.mbps / normal.mbps);
    }

    printf("\n== Goals ==\n");
    printf("  flow generation for %ld ports under %.0f ms: %.2f ms, %s\n",
           o.ports, GOAL_GEN_MS, g.gen_ms, goal_text(g.gen_ms < GOAL_GEN_MS));
    if (o.iperf) {
        double ratio = flows.mbps / normal.mbps;
        printf("  throughput at least %.1f of NORMAL's: %.2f, %s\n",
               GOAL_RATIO, ratio, goal_text(ratio >= GOAL_RATIO));
        printf("  same hop count: ttl %d vs %d, %s\n", flows.ttl, normal.ttl,
               goal_text(flows.ttl == normal.ttl));
    }
    rc = 0;
out:
    free(o.fabricd);
    free(o.fabricctl);
    free(o.source);
    return rc;
}
