/* Functional test of scripts/testbed, the multi-host test bed: two
 * simulated hosts come up, reach each other on the underlay, and carry
 * guest traffic (ping, a full-size frame, TCP with iperf3) through GENEVE
 * between bridges the test builds by hand through `testbed exec`; `down`
 * then leaves no namespace and no daemon behind, also after an `up` that
 * failed half-way.
 *
 * The beds' names are unique to this process ("b" and "f" followed by the
 * PID in five base-36 digits), so parallel runs do not collide.
 * Everything the test makes is named with the run's prefix, so `testbed
 * down` removes it; the group teardown, an atexit() handler and a handler
 * for SIGTERM, SIGINT and SIGHUP all run it, so a failed or interrupted
 * test leaves nothing.  They only take down a run that did not exist
 * before this process built it.
 *
 * Needs root (network namespaces); skips otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "sandbox.h"

#define TESTBED FABRIC_SOURCE_DIR "/scripts/testbed"
#define MAX_ARGS 64

/* The two runs this process uses: the main one (default folder) and one
 * whose `up` is made to fail half-way (folder 'fail_dir').  Plain arrays
 * so that the signal handler can use them. */
static char run_name[8];
static char fail_name[8];
static char fail_dir[128];

/* Whether this process built (part of) each run, so that it may take it
 * down. */
static volatile sig_atomic_t run_owned;
static volatile sig_atomic_t fail_owned;

/* A sandbox folder for the whole test (removed at exit). */
static char *work_dir;

/* Whether the environment lets the test run at all. */
static bool can_run;

/* Runs "bash scripts/testbed down --name 'name' [--dir 'dir']" without a
 * shell and waits for it, using only async-signal-safe calls. */
static void
testbed_down_quietly(const char *name, const char *dir)
{
    if (!name[0]) {
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        char *const argv[] = {"bash",       TESTBED,
                              "down",       "--name",
                              (char *)name, dir[0] ? "--dir" : NULL,
                              (char *)dir,  NULL};
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
        }
        execvp(argv[0], argv);
        _exit(127);
    } else if (pid > 0) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            continue;
        }
    }
}

static void
down_all(void)
{
    if (run_owned) {
        testbed_down_quietly(run_name, "");
    }
    if (fail_owned) {
        testbed_down_quietly(fail_name, fail_dir);
    }
}

static struct sigaction old_actions[NSIG];

static void
down_on_signal(int sig)
{
    down_all();
    sigaction(sig, &old_actions[sig], NULL);
    raise(sig);
}

/* Runs scripts/testbed with 'cmd' and the NULL-terminated arguments that
 * follow.  Returns its exit status; stores its output in '*outputp' (a new
 * string) when 'outputp' is nonnull. */
static int testbed(char **outputp, const char *cmd, ...)
    __attribute__((sentinel));

static int
testbed(char **outputp, const char *cmd, ...)
{
    const char *argv[MAX_ARGS];
    int n = 0;
    va_list args;

    argv[n++] = "bash";
    argv[n++] = TESTBED;
    argv[n++] = cmd;
    va_start(args, cmd);
    while (n < MAX_ARGS - 1 &&
           (argv[n] = va_arg(args, const char *)) != NULL) {
        n++;
    }
    va_end(args);
    argv[n] = NULL;
    return sbx_run((char *const *)argv, outputp);
}

/* Runs the NULL-terminated command that follows 'host' in that host of the
 * main run, through `testbed exec`.  Returns and stores like testbed(). */
static int on_host(char **outputp, const char *host, ...)
    __attribute__((sentinel));

static int
on_host(char **outputp, const char *host, ...)
{
    const char *argv[MAX_ARGS];
    int n = 0;
    va_list args;

    argv[n++] = "bash";
    argv[n++] = TESTBED;
    argv[n++] = "exec";
    argv[n++] = "--name";
    argv[n++] = run_name;
    argv[n++] = host;
    argv[n++] = "--";
    va_start(args, host);
    while (n < MAX_ARGS - 1 &&
           (argv[n] = va_arg(args, const char *)) != NULL) {
        n++;
    }
    va_end(args);
    argv[n] = NULL;
    return sbx_run((char *const *)argv, outputp);
}

/* Returns true if 'output' holds 'text'. */
static bool
contains(const char *output, const char *text)
{
    return output && strstr(output, text);
}

/* Fails the test, showing 'output', unless 'status' is 'expected'.  Frees
 * 'output'. */
static void
check_status(int status, int expected, char *output, const char *what)
{
    if (status != expected) {
        fprintf(stderr, "%s: exit status %d, expected %d; output:\n%s\n", what,
                status, expected, output ? output : "");
    }
    free(output);
    assert_int_equal(status, expected);
}

/* Returns how many network namespaces are named 'name'-something. */
static int
count_namespaces(const char *name)
{
    char *out = NULL;
    int status = sbx_runl(&out, "ip", "netns", "list", NULL);
    assert_int_equal(status, 0);

    char prefix[16];
    snprintf(prefix, sizeof prefix, "%s-", name);
    int count = 0;
    for (char *line = out; line && *line;) {
        if (!strncmp(line, prefix, strlen(prefix))) {
            count++;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    free(out);
    return count;
}

/* Reads the PIDs in every pidfile of hosts hv1..hv'n_hosts' of the run
 * with folder 'dir' into 'pids' (up to 'max').  Returns how many. */
static int
read_daemon_pids(const char *dir, int n_hosts, pid_t *pids, int max)
{
    static const char *const daemons[] = {"ovsdb-server", "ovs-vswitchd"};
    int n = 0;
    for (int host = 1; host <= n_hosts; host++) {
        for (size_t i = 0; i < 2 && n < max; i++) {
            char path[256];
            snprintf(path, sizeof path, "%s/hv%d/%s.pid", dir, host,
                     daemons[i]);
            pid_t pid = sbx_read_pidfile(path);
            if (pid > 0) {
                pids[n++] = pid;
            }
        }
    }
    return n;
}

static bool
path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Returns the value of 'key' in "KEY=VALUE" lines 'text', as a new
 * string, or NULL. */
static char *
env_value(const char *text, const char *key)
{
    size_t len = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *end = strchrnul(line, '\n');
        if (!strncmp(line, key, len) && line[len] == '=') {
            return strndup(line + len + 1, end - line - len - 1);
        }
        line = *end ? end + 1 : NULL;
    }
    return NULL;
}

/* Setup and teardown. */

static int
group_setup(void **state)
{
    char pid36[6];
    unsigned long pid = getpid();
    for (int i = 4; i >= 0; i--, pid /= 36) {
        pid36[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[pid % 36];
    }
    pid36[5] = '\0';
    snprintf(run_name, sizeof run_name, "b%s", pid36);
    snprintf(fail_name, sizeof fail_name, "f%s", pid36);

    can_run = geteuid() == 0;
    char *out = NULL;
    if (can_run && sbx_runl(&out, "sh", "-c",
                            "command -v ovs-vswitchd && command -v iperf3 "
                            "&& command -v ethtool && command -v nsenter",
                            NULL) != 0) {
        fprintf(stderr, "test-testbed: missing programs "
                        "(run scripts/setup-deps)\n");
        can_run = false;
    }
    free(out);

    /* The sandbox folder first: the sandbox installs its own cleanup
     * handlers then, and ours below run before them. */
    work_dir = sbx_mkdtemp("tbtest");
    if (!work_dir) {
        return -1;
    }
    snprintf(fail_dir, sizeof fail_dir, "%s/bed", work_dir);

    /* Clean up after ourselves however this process ends. */
    atexit(down_all);
    static const int signals[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof signals / sizeof *signals; i++) {
        struct sigaction sa = {.sa_handler = down_on_signal};
        sigemptyset(&sa.sa_mask);
        sigaction(signals[i], &sa, &old_actions[signals[i]]);
    }
    return 0;
}

static int
group_teardown(void **state)
{
    down_all();
    sbx_rmtree(work_dir);
    free(work_dir);
    work_dir = NULL;
    return 0;
}

/* Tests. */

/* A bad run name or a missing --hosts is a usage error that makes
 * nothing. */
static void
test_usage_errors(void **state)
{
    if (!can_run) {
        skip();
    }
    char *out = NULL;
    int status =
        testbed(&out, "up", "--name", "toolongname", "--hosts", "2", NULL);
    assert_true(contains(out, "1 to 6 characters"));
    check_status(status, 2, out, "up with a long name");

    status = testbed(&out, "up", "--name", "Bad-1", "--hosts", "2", NULL);
    check_status(status, 2, out, "up with a dash in the name");

    status = testbed(&out, "up", "--name", run_name, NULL);
    check_status(status, 2, out, "up without --hosts");

    status = testbed(&out, "up", "--name", run_name, "--hosts", "2",
                     "--underlay-mtu", "99", NULL);
    check_status(status, 2, out, "up with a tiny MTU");

    assert_int_equal(count_namespaces(run_name), 0);
    assert_false(path_exists("/tmp/fabric-testbed-toolongname"));
}

/* `up` that fails after the second host's ovsdb-server started leaves a
 * half-built run; `down` removes all of it, twice without complaint. */
static void
test_down_after_failed_up(void **state)
{
    if (!can_run) {
        skip();
    }
    const char *dir = fail_dir;

    assert_int_equal(count_namespaces(fail_name), 0);
    fail_owned = true;
    setenv("TESTBED_FAIL_AT", "hv2-ovsdb", 1);
    char *out = NULL;
    int status = testbed(&out, "up", "--name", fail_name, "--hosts", "3",
                         "--dir", dir, NULL);
    unsetenv("TESTBED_FAIL_AT");
    assert_true(contains(out, "hv2-ovsdb"));
    check_status(status, 1, out, "up made to fail");

    /* hv1 complete, hv2 with its ovsdb-server only, hv3 never made. */
    assert_int_equal(count_namespaces(fail_name), 3);
    pid_t pids[8];
    int n_pids = read_daemon_pids(dir, 3, pids, 8);
    assert_int_equal(n_pids, 3);
    for (int i = 0; i < n_pids; i++) {
        assert_true(sbx_pid_alive(pids[i]));
    }
    status = testbed(&out, "status", "--name", fail_name, "--dir", dir, NULL);
    check_status(status, 1, out, "status of a half-built run");

    /* A second `up` refuses to build over it. */
    status = testbed(&out, "up", "--name", fail_name, "--hosts", "2", "--dir",
                     dir, NULL);
    assert_true(contains(out, "already has namespaces"));
    check_status(status, 1, out, "up over an existing run");

    status = testbed(&out, "down", "--name", fail_name, "--dir", dir, NULL);
    check_status(status, 0, out, "down after a failed up");
    assert_int_equal(count_namespaces(fail_name), 0);
    for (int i = 0; i < n_pids; i++) {
        assert_false(sbx_pid_alive(pids[i]));
    }
    assert_false(path_exists(dir));

    status = testbed(&out, "down", "--name", fail_name, "--dir", dir, NULL);
    check_status(status, 0, out, "second down");
    fail_owned = false;
}

/* Two hosts come up and reach each other on the underlay. */
static void
test_up_two_hosts(void **state)
{
    if (!can_run) {
        skip();
    }
    assert_int_equal(count_namespaces(run_name), 0);
    run_owned = true;
    char *out = NULL;
    long long start = sbx_now_ms();
    int status = testbed(&out, "up", "--name", run_name, "--hosts", "2", NULL);
    long long elapsed = sbx_now_ms() - start;
    check_status(status, 0, out, "up --hosts 2");
    printf("testbed: 'up --hosts 2' took %lld ms\n", elapsed);
    assert_int_equal(count_namespaces(run_name), 3);

    status = testbed(&out, "status", "--name", run_name, NULL);
    check_status(status, 0, out, "status");

    /* status --json: both hosts healthy, each with its br-phy. */
    status = testbed(&out, "status", "--name", run_name, "--json", NULL);
    json_error_t error;
    json_t *report = json_loads(out ? out : "", 0, &error);
    if (!report) {
        fprintf(stderr, "status --json: %s\n", error.text);
    }
    check_status(status, 0, out, "status --json");
    assert_non_null(report);
    assert_true(json_is_true(json_object_get(report, "healthy")));
    json_t *hosts = json_object_get(report, "hosts");
    assert_int_equal(json_array_size(hosts), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *host = json_array_get(hosts, i);
        json_t *bridges = json_object_get(host, "bridges");
        assert_int_equal(json_array_size(bridges), 1);
        assert_string_equal(json_string_value(json_array_get(bridges, 0)),
                            "br-phy");
        assert_true(json_integer_value(json_object_get(host, "ovs_vswitchd")) >
                    0);
    }
    json_decref(report);

    /* The environment of hv2 names its folder, socket and address. */
    status = testbed(&out, "env", "--name", run_name, "hv2", NULL);
    assert_int_equal(status, 0);
    char *ip = env_value(out, "UNDERLAY_IP");
    char *rundir = env_value(out, "OVS_RUNDIR");
    char *remote = env_value(out, "OVSDB_REMOTE");
    char *netns = env_value(out, "NETNS");
    free(out);
    assert_string_equal(ip, "10.99.0.2");
    char expected[128];
    snprintf(expected, sizeof expected, "/tmp/fabric-testbed-%s/hv2",
             run_name);
    assert_string_equal(rundir, expected);
    snprintf(expected, sizeof expected,
             "unix:/tmp/fabric-testbed-%s/hv2/db.sock", run_name);
    assert_string_equal(remote, expected);
    snprintf(expected, sizeof expected, "%s-hv2", run_name);
    assert_string_equal(netns, expected);
    free(ip);
    free(rundir);
    free(remote);
    free(netns);

    /* `exec` runs with that host's OVS: its own ovs-vswitchd answers. */
    status = on_host(&out, "hv1", "ovs-appctl", "-t", "ovs-vswitchd",
                     "version", NULL);
    check_status(status, 0, out, "ovs-appctl in hv1");
    status = on_host(&out, "hv1", "ovs-vsctl", "get", "Open_vSwitch", ".",
                     "external_ids:system-id", NULL);
    assert_true(contains(out, "hv1"));
    check_status(status, 0, out, "system-id of hv1");

    /* Underlay: hv1 pings hv2's address on hv2's br-phy. */
    status = on_host(&out, "hv1", "ping", "-c", "3", "-i", "0.2", "-W", "2",
                     "10.99.0.2", NULL);
    check_status(status, 0, out, "underlay ping hv1 -> hv2");
}

/* Builds by hand, on host 'n' of 2: br-int, and a guest namespace RUN-gN
 * with a veth into br-int (VLAN 10), 192.168.50.N/24, MTU 1500, TX
 * checksum offload off on both ends. */
static void
make_guest(int n)
{
    char host[8], guest[16], veth[8], addr[24];
    snprintf(host, sizeof host, "hv%d", n);
    snprintf(guest, sizeof guest, "%s-g%d", run_name, n);
    snprintf(veth, sizeof veth, "vg%d", n);
    snprintf(addr, sizeof addr, "192.168.50.%d/24", n);
    char *out = NULL;
    int status;

    status =
        on_host(&out, host, "ovs-vsctl", "--timeout=10", "add-br", "br-int",
                "--", "set", "Bridge", "br-int", "datapath_type=netdev", NULL);
    check_status(status, 0, out, "add br-int");
    status = sbx_runl(&out, "ip", "netns", "add", guest, NULL);
    check_status(status, 0, out, "create guest namespace");
    status = on_host(&out, host, "ip", "link", "add", veth, "mtu", "1500",
                     "type", "veth", "peer", "name", "eth0", "netns", guest,
                     "mtu", "1500", NULL);
    check_status(status, 0, out, "create guest veth");
    status = on_host(&out, host, "ethtool", "-K", veth, "tx", "off", NULL);
    check_status(status, 0, out, "offload off, host end");
    status = sbx_runl(&out, "ip", "netns", "exec", guest, "ethtool", "-K",
                      "eth0", "tx", "off", NULL);
    check_status(status, 0, out, "offload off, guest end");
    status = on_host(&out, host, "ip", "link", "set", veth, "up", NULL);
    check_status(status, 0, out, "host end up");
    status =
        sbx_runl(&out, "ip", "-n", guest, "link", "set", "lo", "up", NULL);
    check_status(status, 0, out, "guest lo up");
    status = sbx_runl(&out, "ip", "-n", guest, "addr", "add", addr, "dev",
                      "eth0", NULL);
    check_status(status, 0, out, "guest address");
    status =
        sbx_runl(&out, "ip", "-n", guest, "link", "set", "eth0", "up", NULL);
    check_status(status, 0, out, "guest eth0 up");
    status = on_host(&out, host, "ovs-vsctl", "--timeout=10", "add-port",
                     "br-int", veth, "tag=10", NULL);
    check_status(status, 0, out, "add guest port");
}

/* Adds to host 'n' of 2 a GENEVE port "gnv0" towards the other host. */
static void
make_tunnel(int n)
{
    char host[8], remote[40];
    snprintf(host, sizeof host, "hv%d", n);
    snprintf(remote, sizeof remote, "options:remote_ip=10.99.0.%d", 3 - n);
    char *out = NULL;
    int status = on_host(&out, host, "ovs-vsctl", "--timeout=10", "add-port",
                         "br-int", "gnv0", "--", "set", "Interface", "gnv0",
                         "type=geneve", remote, "options:key=5000", NULL);
    check_status(status, 0, out, "add GENEVE port");
}

/* Starts "iperf3 -s -1" in guest namespace 'guest', bound to 'addr'.
 * Returns its PID. */
static pid_t
start_iperf_server(const char *guest, const char *addr)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *const argv[] = {"ip",      "netns", "exec",       (char *)guest,
                              "timeout", "30",    "iperf3",     "-s",
                              "-1",      "-B",    (char *)addr, NULL};
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    sbx_track_pid(pid);
    return pid;
}

/* Runs "iperf3 -c 'addr' -t 2 -J" in guest namespace 'guest', again
 * while the server does not listen yet (iperf3 -J reports that in its JSON
 * and still exits 0).  Returns the client's JSON report (new reference);
 * fails the test if the client fails otherwise. */
static json_t *
run_iperf_client(const char *guest, const char *addr)
{
    char log[256];
    snprintf(log, sizeof log, "%s/iperf3.json", work_dir);
    for (int try = 0;; try++) {
        char *out = NULL;
        unlink(log); /* --logfile appends. */
        int status =
            sbx_runl(&out, "ip", "netns", "exec", guest, "iperf3", "-c", addr,
                     "-t", "2", "-J", "--logfile", log, NULL);
        json_error_t error;
        json_t *result = json_load_file(log, 0, &error);
        if (!result) {
            fprintf(stderr, "%s: %s\n", log, error.text);
        }
        const char *failure =
            json_string_value(json_object_get(result, "error"));
        if (failure && strstr(failure, "Connection refused") && try < 50) {
            json_decref(result);
            free(out);
            usleep(100 * 1000);
            continue;
        }
        if (failure) {
            fprintf(stderr, "iperf3 client: %s\n", failure);
        }
        check_status(status, 0, out, "iperf3 client");
        assert_non_null(result);
        assert_null(failure);
        return result;
    }
}

/* Guests on the two hosts ping each other and carry TCP through GENEVE,
 * and only through it. */
static void
test_guests_through_geneve(void **state)
{
    if (!can_run) {
        skip();
    }
    char guest1[16], guest2[16];
    snprintf(guest1, sizeof guest1, "%s-g1", run_name);
    snprintf(guest2, sizeof guest2, "%s-g2", run_name);
    make_guest(1);
    make_guest(2);

    /* Without tunnels the guests cannot reach each other. */
    char *out = NULL;
    int status = sbx_runl(&out, "ip", "netns", "exec", guest1, "ping", "-c",
                          "2", "-i", "0.2", "-W", "1", "192.168.50.2", NULL);
    check_status(status, 1, out, "ping without tunnels");

    make_tunnel(1);
    make_tunnel(2);
    /* The first packets into a new tunnel wait for its underlay neighbour
     * (ARP on the underlay): on a loaded machine that can take longer
     * than one ping's deadline, so try for up to 15 s. */
    out = NULL; /* check_status() freed it. */
    for (int i = 0; i < 10; i++) {
        free(out);
        out = NULL;
        status = sbx_runl(&out, "ip", "netns", "exec", guest1, "ping", "-c",
                          "5", "-i", "0.2", "-W", "2", "192.168.50.2", NULL);
        if (!status) {
            break;
        }
    }
    check_status(status, 0, out, "guest ping g1 -> g2 through GENEVE");

    /* A full 1500-byte IP packet, not fragmented, fits the underlay. */
    status = sbx_runl(&out, "ip", "netns", "exec", guest2, "ping", "-c", "3",
                      "-i", "0.2", "-W", "2", "-M", "do", "-s", "1472",
                      "192.168.50.1", NULL);
    check_status(status, 0, out, "full-size ping g2 -> g1");

    /* `ovs-vsctl show` tells the truth about tags and tunnels. */
    status = on_host(&out, "hv1", "ovs-vsctl", "show", NULL);
    assert_true(contains(out, "tag: 10"));
    assert_true(contains(out, "type: geneve"));
    assert_true(contains(out, "remote_ip=\"10.99.0.2\""));
    check_status(status, 0, out, "ovs-vsctl show on hv1");

    /* TCP for 2 s, server in g2, client in g1. */
    pid_t server = start_iperf_server(guest2, "192.168.50.2");
    json_t *result = run_iperf_client(guest1, "192.168.50.2");
    json_t *end = json_object_get(result, "end");
    json_t *received = json_object_get(end, "sum_received");
    json_t *sent = json_object_get(end, "sum_sent");
    double bytes = json_number_value(json_object_get(received, "bytes"));
    double bps =
        json_number_value(json_object_get(received, "bits_per_second"));
    long long retransmits =
        json_integer_value(json_object_get(sent, "retransmits"));
    printf("testbed: iperf3 TCP guest g1 (hv1) -> g2 (hv2) through GENEVE: "
           "%.0f Mbit/s, %.1f MB in 2 s, %lld retransmits\n",
           bps / 1e6, bytes / 1e6, retransmits);
    json_decref(result);
    /* Far below what it carries, far above what a stalled TCP carries. */
    assert_true(bytes > 1e6);

    int wstatus;
    for (int i = 0; i < 50 && waitpid(server, &wstatus, WNOHANG) == 0; i++) {
        usleep(100 * 1000);
    }
    if (sbx_pid_alive(server)) {
        sbx_kill(server, SIGTERM, 2000);
        waitpid(server, &wstatus, 0);
    }
    sbx_untrack_pid(server);
}

/* `down` stops every daemon, deletes every namespace of the run (the
 * guests' too) and the folder; a second `down` is harmless. */
static void
test_down(void **state)
{
    if (!can_run) {
        skip();
    }
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/fabric-testbed-%s", run_name);
    pid_t pids[8];
    int n_pids = read_daemon_pids(dir, 2, pids, 8);
    assert_int_equal(n_pids, 4);

    char *out = NULL;
    long long start = sbx_now_ms();
    int status = testbed(&out, "down", "--name", run_name, NULL);
    long long elapsed = sbx_now_ms() - start;
    check_status(status, 0, out, "down");
    printf("testbed: 'down' took %lld ms\n", elapsed);

    assert_int_equal(count_namespaces(run_name), 0);
    for (int i = 0; i < n_pids; i++) {
        assert_false(sbx_pid_alive(pids[i]));
    }
    assert_false(path_exists(dir));

    status = testbed(&out, "down", "--name", run_name, NULL);
    check_status(status, 0, out, "second down");
    run_owned = false;
    status = testbed(&out, "status", "--name", run_name, NULL);
    check_status(status, 1, out, "status after down");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_down_after_failed_up),
        cmocka_unit_test(test_up_two_hosts),
        cmocka_unit_test(test_guests_through_geneve),
        cmocka_unit_test(test_down),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
