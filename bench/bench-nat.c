/* bench-nat: what a nat network costs (BENCHMARKS.md, "Network modes").
 *
 * One simulated host (scripts/testbed) with fabricd, an outside world
 * (namespace RUN-out, a veth to the host), and a lab with a guest on a
 * nat network and a guest on a routed network.  For each of three
 * clients, the host itself, the nat guest and the routed guest, against a
 * server in the outside world: TCP throughput (iperf3, -t SECONDS) and new
 * TCP connections per second (tests/lib/nstcp.h: connect, read one line,
 * close, one after the other).  Ratios: nat against the host's own figure
 * (the goal, 0.8) and nat against routed (the same path through OVS and
 * the gateway port, without translation: the cost of NAT alone).  The
 * three clients take turns for ROUNDS rounds, and the medians are
 * compared.
 *
 *   bench-nat [SECONDS [SOURCE_DIR [ROUNDS]]]   (5 s, 3 rounds; as root;
 *                                                SOURCE_DIR "" for the
 *                                                default)
 *
 * fabricd and fabricctl are taken from the folder of bench-nat itself,
 * scripts/testbed and the schema from SOURCE_DIR (default: the source
 * folder that the build folder's CMakeCache.txt names).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "nstcp.h"
#include "sandbox.h"
#include "stats.h"

static char run[16], bed_dir[300];
static char *FABRICCTL, *FABRICD, *TESTBED, *SCHEMA;

/* Finds the programs and the source folder. */
static int
find_paths(const char *source_arg)
{
    char self[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        return -1;
    }
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    FABRICD = sbx_path(self, "fabricd");
    FABRICCTL = sbx_path(self, "fabricctl");
    char source[1024] = "";
    if (source_arg) {
        snprintf(source, sizeof source, "%s", source_arg);
    } else {
        char *cache = sbx_path(self, "CMakeCache.txt");
        FILE *f = fopen(cache, "r");
        free(cache);
        char line[1024];
        static const char key[] = "CMAKE_HOME_DIRECTORY:INTERNAL=";
        while (f && fgets(line, sizeof line, f)) {
            if (!strncmp(line, key, strlen(key))) {
                line[strcspn(line, "\n")] = '\0';
                snprintf(source, sizeof source, "%s", line + strlen(key));
            }
        }
        if (f) {
            fclose(f);
        }
    }
    if (!source[0]) {
        return -1;
    }
    TESTBED = sbx_path(source, "scripts/testbed");
    SCHEMA = sbx_path(source, "ovsdb/fabric.ovsschema");
    return access(TESTBED, R_OK);
}

static void
bed_down(void)
{
    if (run[0]) {
        sbx_runl(NULL, "bash", TESTBED, "down", "--name", run, "--dir",
                 bed_dir, NULL);
    }
}

static const char lab[] =
    "name: natbench\n"
    "hosts: [{name: hv1}]\n"
    "networks:\n"
    "  - {name: lan, subnet: 192.168.50.0/24, mode: nat}\n"
    "  - {name: dmz, subnet: 10.50.0.0/24, mode: routed}\n"
    "guests:\n"
    "  - {name: web, interfaces: [{network: lan, ip: 192.168.50.10}]}\n"
    "  - {name: pub, interfaces: [{network: dmz, ip: 10.50.0.10}]}\n";

/* iperf3 from namespace 'ns' to the outside for 'seconds'; Mbit/s or -1. */
static double
iperf(const char *ns, const char *out_ns, const char *dir, int seconds)
{
    char pidfile[400], secs[16];
    snprintf(pidfile, sizeof pidfile, "%s/iperf3.pid", dir);
    snprintf(secs, sizeof secs, "%d", seconds);
    unlink(pidfile);
    if (sbx_runl(NULL, "ip", "netns", "exec", out_ns, "iperf3", "-s", "-1",
                 "-D", "-I", pidfile, NULL)) {
        return -1;
    }
    usleep(300 * 1000);
    pid_t pid = sbx_read_pidfile(pidfile);
    char *out = NULL;
    sbx_runl(&out, "ip", "netns", "exec", ns, "iperf3", "-c", "203.0.113.2",
             "-t", secs, "-J", NULL);
    json_t *j = out ? json_loads(out, 0, NULL) : NULL;
    double mbps = -1;
    if (j) {
        mbps = json_number_value(json_object_get(
                   json_object_get(json_object_get(j, "end"), "sum_received"),
                   "bits_per_second")) /
               1e6;
    }
    json_decref(j);
    free(out);
    if (pid > 0) {
        sbx_kill(pid, SIGTERM, 2000);
    }
    return mbps;
}

#define MAX_ROUNDS 9

int
main(int argc, char *argv[])
{
    int seconds = argc > 1 ? atoi(argv[1]) : 5;
    int rounds = argc > 3 ? atoi(argv[3]) : 3;
    if (geteuid() != 0 || seconds <= 0 || rounds <= 0 || rounds > MAX_ROUNDS ||
        argc > 4) {
        fprintf(stderr, "usage: bench-nat [SECONDS [SOURCE_DIR [ROUNDS]]] "
                        "(as root)\n");
        return 2;
    }
    if (find_paths(argc > 2 && *argv[2] ? argv[2] : NULL)) {
        fprintf(stderr, "bench-nat: cannot find scripts/testbed; give the "
                        "source folder\n");
        return 2;
    }
    atexit(bed_down);
    snprintf(run, sizeof run, "bn%d", (int)(getpid() % 10000));
    char *dir = sbx_mkdtemp("bench-nat");
    snprintf(bed_dir, sizeof bed_dir, "%s/bed", dir);
    char host[32], out_ns[32], web[48], pub[48];
    snprintf(host, sizeof host, "%s-hv1", run);
    snprintf(out_ns, sizeof out_ns, "%s-out", run);
    snprintf(web, sizeof web, "%s-hv1-web", run);
    snprintf(pub, sizeof pub, "%s-hv1-pub", run);

    struct sbx_ovsdb fabric;
    sbx_ovsdb_init(&fabric, dir, "fabric");
    char db[600], ovsdb[600], rundir[600], pidfile[600], logfile[600];
    char prefix[64], db_opt[600];
    int rc = sbx_runl(NULL, "bash", TESTBED, "up", "--name", run, "--hosts",
                      "1", "--dir", bed_dir, NULL);
    rc = rc ? rc : sbx_runl(NULL, "ip", "netns", "add", out_ns, NULL);
    rc =
        rc ? rc
           : sbx_runl(NULL, "ip", "link", "add", "ext0", "netns", host, "type",
                      "veth", "peer", "name", "eth0", "netns", out_ns, NULL);
    rc = rc ? rc
            : sbx_runl(NULL, "ip", "-n", host, "address", "add",
                       "203.0.113.1/24", "dev", "ext0", NULL);
    rc = rc ? rc
            : sbx_runl(NULL, "ip", "-n", out_ns, "address", "add",
                       "203.0.113.2/24", "dev", "eth0", NULL);
    rc = rc ? rc
            : sbx_runl(NULL, "ip", "-n", host, "link", "set", "ext0", "up",
                       NULL);
    rc = rc ? rc
            : sbx_runl(NULL, "ip", "-n", out_ns, "link", "set", "eth0", "up",
                       NULL);
    rc = rc ? rc
            : sbx_runl(NULL, "ip", "-n", out_ns, "route", "add",
                       "10.50.0.0/24", "via", "203.0.113.1", NULL);
    rc = rc ? rc
            : (sbx_ovsdb_create_db(&fabric, SCHEMA) ||
               sbx_ovsdb_start(&fabric, NULL));
    if (rc) {
        fprintf(stderr, "bench-nat: setting up the test bed failed\n");
        return 1;
    }
    snprintf(db, sizeof db, "--db=%s", fabric.unix_remote);
    snprintf(db_opt, sizeof db_opt, "--db=%s", fabric.unix_remote);
    snprintf(ovsdb, sizeof ovsdb, "--ovsdb=unix:%s/hv1/db.sock", bed_dir);
    snprintf(rundir, sizeof rundir, "--rundir=%s/hv1", bed_dir);
    snprintf(pidfile, sizeof pidfile, "--pidfile=%s/hv1/fabricd.pid", bed_dir);
    snprintf(logfile, sizeof logfile, "--log-file=%s/hv1/fabricd.log",
             bed_dir);
    snprintf(prefix, sizeof prefix, "--netns-prefix=%s-hv1-", run);
    char *agent[] = {
        "bash",       TESTBED, "exec",  "--name", run,    "--dir",
        bed_dir,      "hv1",   "--",    FABRICD,  db,     ovsdb,
        "--host=hv1", rundir,  pidfile, logfile,  prefix, "--datapath=netdev",
        "--detach",   NULL};
    char *lab_path = sbx_path(dir, "lab.yaml");
    FILE *f = fopen(lab_path, "w");
    fputs(lab, f);
    fclose(f);
    if (sbx_run(agent, NULL) ||
        sbx_runl(NULL, FABRICCTL, db_opt, "topology", "apply", "--wait=60",
                 lab_path, NULL)) {
        fprintf(stderr, "bench-nat: fabricd did not apply the lab\n");
        return 1;
    }

    pid_t server = nstcp_server_start(out_ns, 7000);
    char reply[64] = "";
    bool ok = false;
    for (int i = 0; server > 0 && !ok && i < 5; i++) {
        ok = nstcp_connect(web, "203.0.113.2", 7000, 2000, reply,
                           sizeof reply) &&
             !strcmp(reply, "203.0.113.1");
    }
    if (!ok) {
        fprintf(stderr,
                "bench-nat: the nat guest does not reach out "
                "(%s)\n",
                reply);
        return 1;
    }

    static const char *const names[] = {"host", "nat guest", "routed guest"};
    const char *const nss[] = {host, web, pub};
    /* The clients take turns, round after round, so that a change in the
     * machine's load hits all three alike; the medians are compared. */
    double runs_mbps[3][MAX_ROUNDS], runs_cps[3][MAX_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < 3; i++) {
            runs_mbps[i][r] = iperf(nss[i], out_ns, dir, seconds);
            /* A server port of its own for each measurement: the host's
             * conntrack keeps every connection's tuple for 2 minutes
             * (TIME_WAIT), and masquerade must not reuse one; with one
             * port for all, each measurement would find the ports of the
             * ones before it taken. */
            int port = 7100 + r * 3 + i;
            pid_t s = nstcp_server_start(out_ns, port);
            long n = s > 0 ? nstcp_connect_rate(nss[i], "203.0.113.2", port,
                                                seconds * 1000)
                           : -1;
            nstcp_server_stop(s);
            runs_cps[i][r] = n < 0 ? -1 : (double)n / seconds;
            sleep(1);
        }
    }
    double mbps[3], cps[3];
    printf("%d rounds of %d s: median (each round, sorted)\n", rounds,
           seconds);
    printf("%-13s %12s %14s\n", "client", "TCP Mbit/s", "connections/s");
    for (int i = 0; i < 3; i++) {
        mbps[i] = stats_median(runs_mbps[i], rounds);
        cps[i] = stats_median(runs_cps[i], rounds);
        printf("%-13s %12.0f %14.0f   (", names[i], mbps[i], cps[i]);
        for (int r = 0; r < rounds; r++) {
            printf("%s%.0f/%.0f", r ? ", " : "", runs_mbps[i][r],
                   runs_cps[i][r]);
        }
        printf(")\n");
    }
    printf("nat / host:   throughput %.2f, connections %.2f\n",
           mbps[1] / mbps[0], cps[1] / cps[0]);
    printf("nat / routed: throughput %.2f, connections %.2f\n",
           mbps[1] / mbps[2], cps[1] / cps[2]);

    nstcp_server_stop(server);
    int pid = 0;
    char path[600];
    snprintf(path, sizeof path, "%s/hv1/fabricd.pid", bed_dir);
    pid = sbx_read_pidfile(path);
    if (pid > 0) {
        sbx_kill(pid, SIGTERM, 5000);
    }
    bed_down();
    run[0] = '\0';
    sbx_ovsdb_clear(&fabric);
    sbx_rmtree(dir);
    free(dir);
    free(lab_path);
    free(FABRICD);
    free(FABRICCTL);
    free(TESTBED);
    free(SCHEMA);
    return 0;
}
