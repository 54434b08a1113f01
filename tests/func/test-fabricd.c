/* Functional tests of fabricd on one host: a real fabric DB, a real
 * ovsdb-server and ovs-vswitchd (userspace datapath), the agent, and
 * namespace guests that ping each other.  The test runs in a network
 * namespace of its own (vswitchd_private_netns()), and its guests'
 * namespaces carry a prefix unique to the run. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "sandbox.h"
#include "vswitchd.h"

#define FABRICCTL FABRIC_BINARY_DIR "/fabricctl"
#define FABRICD FABRIC_BINARY_DIR "/fabricd"
#define SCHEMA FABRIC_SOURCE_DIR "/ovsdb/fabric.ovsschema"
#define VSWITCH_SCHEMA "/usr/share/openvswitch/vswitch.ovsschema"
#define CLASSIC FABRIC_SOURCE_DIR "/topologies/classic-lab.yaml"

struct world {
    char *dir;
    struct sbx_ovsdb fabric; /* The fabric DB. */
    struct sbx_ovsdb ovs;    /* This host's Open_vSwitch DB. */
    struct vswitchd vs;
    pid_t agent;
    char prefix[16]; /* Guest namespace prefix. */
    char db_opt[512];
};

static struct world *the_world;

static int
start_agent(struct world *w)
{
    char db[600], ovsdb[600], host[] = "--host=local", rundir[600];
    char pidfile[600], logfile[600], prefix[64], ovs_rundir[600];
    snprintf(db, sizeof db, "--db=%s", w->fabric.unix_remote);
    snprintf(ovsdb, sizeof ovsdb, "--ovsdb=%s", w->ovs.unix_remote);
    snprintf(rundir, sizeof rundir, "--rundir=%s", w->dir);
    snprintf(pidfile, sizeof pidfile, "--pidfile=%s/fabricd.pid", w->dir);
    snprintf(logfile, sizeof logfile, "--log-file=%s/fabricd.log", w->dir);
    snprintf(prefix, sizeof prefix, "--netns-prefix=%s", w->prefix);
    snprintf(ovs_rundir, sizeof ovs_rundir, "--ovs-rundir=%s", w->dir);
    char *argv[] = {
        FABRICD,    db,      ovsdb,  host,       rundir,
        pidfile,    logfile, prefix, ovs_rundir, "--datapath=netdev",
        "--detach", NULL};
    /* A killed agent leaves its pidfile: without this the PID read
     * below could be the dead agent's, and the new one would leak. */
    char *path = sbx_path(w->dir, "fabricd.pid");
    unlink(path);
    int rc = sbx_run(argv, NULL);
    if (rc) {
        free(path);
        return rc < 0 ? rc : -EIO;
    }
    pid_t pid = -1;
    for (int i = 0; i < 100 && pid < 0; i++) {
        pid = sbx_read_pidfile(path);
        if (pid < 0) {
            usleep(10000);
        }
    }
    free(path);
    if (pid < 0) {
        return pid;
    }
    w->agent = pid;
    sbx_track_pid(pid);
    return 0;
}

static void
stop_agent(struct world *w, int sig)
{
    if (w->agent) {
        sbx_kill(w->agent, sig, 5000);
        sbx_untrack_pid(w->agent);
        w->agent = 0;
    }
}

/* Deletes every namespace with this run's prefix (the agent should have;
 * this is the safety net when a test failed half-way). */
static void
remove_guest_namespaces(const char *prefix)
{
    char *out = NULL;
    if (sbx_runl(&out, "ip", "netns", "list", NULL) == 0 && out) {
        for (char *save, *line = strtok_r(out, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            line[strcspn(line, " ")] = '\0';
            if (!strncmp(line, prefix, strlen(prefix))) {
                sbx_runl(NULL, "ip", "netns", "delete", line, NULL);
            }
        }
    }
    free(out);
}

static void
cleanup_at_exit(void)
{
    if (the_world) {
        remove_guest_namespaces(the_world->prefix);
    }
}

static int
setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    snprintf(w->prefix, sizeof w->prefix, "ft%d-", (int)getpid() % 100000);
    the_world = w;
    w->dir = sbx_mkdtemp("fabricd");
    sbx_ovsdb_init(&w->fabric, w->dir, "fabric");
    sbx_ovsdb_init(&w->ovs, w->dir, "conf");
    if (sbx_ovsdb_create_db(&w->fabric, SCHEMA) ||
        sbx_ovsdb_start(&w->fabric, NULL) ||
        sbx_ovsdb_create_db(&w->ovs, VSWITCH_SCHEMA) ||
        sbx_ovsdb_start(&w->ovs, NULL)) {
        return -1;
    }
    vswitchd_init(&w->vs, w->dir, w->ovs.unix_remote);
    if (vswitchd_db_init(&w->vs) || vswitchd_start(&w->vs) || start_agent(w)) {
        return -1;
    }
    snprintf(w->db_opt, sizeof w->db_opt, "--db=%s", w->fabric.unix_remote);
    *state = w;
    return 0;
}

static int
teardown(void **state)
{
    struct world *w = *state;
    if (!w) {
        return 0;
    }
    stop_agent(w, SIGTERM);
    vswitchd_clear(&w->vs);
    sbx_ovsdb_clear(&w->ovs);
    sbx_ovsdb_clear(&w->fabric);
    remove_guest_namespaces(w->prefix);
    sbx_rmtree(w->dir);
    free(w->dir);
    free(w);
    the_world = NULL;
    return 0;
}

static int
fabricctl(struct world *w, char **outp, ...)
{
    va_list args;
    va_start(args, outp);
    int rc = sbx_run_va(outp, true, FABRICCTL, w->db_opt, args);
    va_end(args);
    return rc;
}

/* Pings 'ip' once from guest 'guest'; returns true if it answered. */
static bool
ping(struct world *w, const char *guest, const char *ip)
{
    char ns[64];
    snprintf(ns, sizeof ns, "%s%s", w->prefix, guest);
    return sbx_runl(NULL, "ip", "netns", "exec", ns, "ping", "-c", "1", "-W",
                    "1", ip, NULL) == 0;
}

/* Prints what a failing test needs to be understood: the agent's log and
 * the bridge as OVS sees it. */
static void
dump_diagnostics(struct world *w)
{
    char *path = sbx_path(w->dir, "fabricd.log");
    char *out = NULL;
    sbx_runl(&out, "tail", "-n", "40", path, NULL);
    fprintf(stderr, "--- fabricd.log:\n%s\n", out ? out : "");
    free(out);
    free(path);
    out = NULL;
    vswitchd_vsctl(&w->vs, &out, "show", NULL);
    fprintf(stderr, "--- ovs-vsctl show:\n%s\n", out ? out : "");
    free(out);
}

/* Like ping(), but allows a loaded machine up to three tries; on failure
 * prints diagnostics. */
static bool
reachable(struct world *w, const char *guest, const char *ip)
{
    for (int i = 0; i < 3; i++) {
        if (ping(w, guest, ip)) {
            return true;
        }
    }
    dump_diagnostics(w);
    return false;
}

static char *
vsctl(struct world *w, const char *a0, const char *a1, const char *a2)
{
    char *out = NULL;
    vswitchd_vsctl(&w->vs, &out, a0, a1, a2, NULL);
    return out;
}

/* "ifindex name mac" of every link in 'guest' (a new string). */
static char *
guest_links(struct world *w, const char *guest)
{
    char ns[64];
    snprintf(ns, sizeof ns, "%s%s", w->prefix, guest);
    char *out = NULL;
    sbx_runl(&out, "ip", "-n", ns, "-o", "link", "show", NULL);
    return out;
}

static bool
namespace_exists(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "/run/netns/%s", name);
    return access(path, F_OK) == 0;
}

static void
test_classic_lab_single_host(void **state)
{
    struct world *w = *state;
    /* A foreign bridge and port the agent must never touch. */
    assert_int_equal(vswitchd_vsctl(&w->vs, NULL, "add-br", "br-foreign", "--",
                                    "set", "bridge", "br-foreign",
                                    "datapath_type=netdev", NULL),
                     0);
    assert_int_equal(vswitchd_vsctl(&w->vs, NULL, "add-port", "br-foreign",
                                    "fport", "--", "set", "interface", "fport",
                                    "type=internal", NULL),
                     0);

    char *out = NULL;
    assert_int_equal(
        fabricctl(w, &out, "topology", "apply", "--wait=30", CLASSIC, NULL),
        0);
    assert_non_null(strstr(out, "Every host applied generation 1"));
    free(out);

    /* Same network: reachable.  The gateways answer, and host00 (a
     * distributed router in flows) routes between the networks, one hop:
     * the TTL arrives decremented. */
    assert_true(reachable(w, "host01", "172.16.0.2"));
    assert_true(reachable(w, "host03", "172.17.0.2"));
    assert_true(reachable(w, "host01", "172.16.0.254"));
    assert_true(reachable(w, "host04", "172.17.0.254"));
    assert_true(reachable(w, "host01", "172.17.0.1"));
    assert_true(reachable(w, "host04", "172.16.0.2"));
    char ns01[64];
    snprintf(ns01, sizeof ns01, "%shost01", w->prefix);
    out = NULL;
    assert_int_equal(sbx_runl(&out, "ip", "netns", "exec", ns01, "ping", "-c",
                              "1", "-W", "2", "172.17.0.2", NULL),
                     0);
    assert_non_null(strstr(out, "ttl=63"));
    free(out);

    /* traceroute shows the router hop: the TTL-1 probes reach fabricd as
     * packet-ins and host00's port answers with time exceeded.  (The
     * first probe to miss the datapath's flow cache gets no packet-in
     * from the userspace datapath; later ones do: three probes a hop,
     * one at a time.) */
    out = NULL;
    assert_int_equal(sbx_runl(&out, "ip", "netns", "exec", ns01, "traceroute",
                              "-n", "-N", "1", "-w", "2", "-q", "3", "-m", "3",
                              "172.17.0.2", NULL),
                     0);
    char *hop1 = strstr(out, "\n 1  ");
    if (!hop1 ||
        strncmp(strstr(hop1, "172.") ? strstr(hop1, "172.") : "",
                "172.16.0.254 ", 13) ||
        !strstr(out, " 2  172.17.0.2 ")) {
        dump_diagnostics(w);
        char rundir[600], *st = NULL;
        snprintf(rundir, sizeof rundir, "--rundir=%s", w->dir);
        fabricctl(w, &st, rundir, "agent", "status", NULL);
        char *vlog = vswitchd_log(&w->vs);
        fprintf(stderr, "--- ovs-vswitchd's connections:\n");
        for (char *save, *l = strtok_r(vlog, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            if (strstr(l, "unix#") || strstr(l, "WARN")) {
                fprintf(stderr, "%s\n", l);
            }
        }
        char *dp = NULL;
        vswitchd_appctl(&w->vs, &dp, "dpctl/dump-flows", NULL);
        fprintf(stderr, "--- datapath flows:\n%s\n", dp ? dp : "");
        fail_msg("traceroute:\n%s\nagent status:\n%s", out, st);
    }
    free(out);

    /* fabricctl flows: every flow on the bridge belongs to an object of
     * the lab, and a filter keeps one object's flows. */
    char ovs_rundir_opt[600];
    snprintf(ovs_rundir_opt, sizeof ovs_rundir_opt, "--ovs-rundir=%s", w->dir);
    assert_int_equal(
        fabricctl(w, &out, "--json", "flows", ovs_rundir_opt, NULL), 0);
    json_t *flows = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(flows);
    size_t n_flows = json_integer_value(json_object_get(flows, "count"));
    assert_true(n_flows > 20);
    size_t fi;
    json_t *flow;
    json_array_foreach(json_object_get(flows, "flows"), fi, flow)
    {
        const char *object =
            json_string_value(json_object_get(flow, "object"));
        assert_string_not_equal(object, "(not fabric's)");
    }
    json_decref(flows);
    assert_int_equal(
        fabricctl(w, &out, "flows", ovs_rundir_opt, "--guest=host01", NULL),
        0);
    assert_non_null(strstr(out, "guest host01 eth0"));
    assert_null(strstr(out, "host02"));
    assert_non_null(strstr(out, "dl_src=02:fa:6f:95:73:b0"));
    free(out);

    /* fabricctl trace agrees with ping: delivered across the router to
     * host04, and dropped for an address no guest has. */
    char ovs_ctl_opt[600];
    snprintf(ovs_ctl_opt, sizeof ovs_ctl_opt, "--ovs-ctl=%s", w->vs.ctl_path);
    assert_int_equal(
        fabricctl(w, &out, "trace", "host01", "172.17.0.2", ovs_ctl_opt, NULL),
        0);
    assert_non_null(strstr(out, "router host00 network2"));
    assert_non_null(strstr(out, "verdict: delivered by guest host04 eth0"));
    free(out);
    assert_int_equal(fabricctl(w, &out, "trace", "host01", "172.17.0.77",
                               "--tcp=22", ovs_ctl_opt, NULL),
                     0);
    assert_non_null(strstr(out, "verdict: dropped"));
    free(out);
    assert_false(ping(w, "host01", "172.17.0.77"));

    /* Layer 2 stays isolated: with an address in network2's subnet,
     * host01 still reaches nobody there directly (port security drops
     * the ARP from an address that is not its own). */
    assert_int_equal(sbx_runl(NULL, "ip", "-n", ns01, "address", "add",
                              "172.17.0.99/24", "dev", "eth0", NULL),
                     0);
    assert_false(ping(w, "host01", "172.17.0.1"));
    assert_int_equal(sbx_runl(NULL, "ip", "-n", ns01, "address", "del",
                              "172.17.0.99/24", "dev", "eth0", NULL),
                     0);

    /* Spoofing: a guest that takes another MAC is cut off; a reconcile
     * asked through the control socket puts its own MAC back. */
    char rundir_opt[600];
    snprintf(rundir_opt, sizeof rundir_opt, "--rundir=%s", w->dir);
    assert_int_equal(sbx_runl(NULL, "ip", "-n", ns01, "link", "set", "eth0",
                              "address", "02:fa:00:00:00:99", NULL),
                     0);
    assert_false(ping(w, "host01", "172.16.0.2"));
    assert_int_equal(
        fabricctl(w, NULL, rundir_opt, "agent", "reconcile", NULL), 0);
    bool repaired = false;
    for (int i = 0; i < 20 && !repaired; i++) {
        repaired = ping(w, "host01", "172.16.0.2");
    }
    assert_true(repaired);

    /* ovs-vsctl shows the VLAN tags and the iface-id of each port. */
    out = vsctl(w, "--columns=name,tag", "list", "port");
    assert_non_null(strstr(out, "tag                 : 4016"));
    assert_non_null(strstr(out, "tag                 : 3868"));
    free(out);
    out = vsctl(w, "--columns=external_ids", "list", "interface");
    assert_non_null(strstr(out, "iface-id="));
    assert_non_null(strstr(out, "attached-mac="));
    assert_non_null(strstr(out, "fabric-owner="));
    free(out);

    /* guest exec runs in the guest with the command's exit status. */
    char prefix_opt[64];
    snprintf(prefix_opt, sizeof prefix_opt, "--netns-prefix=%s", w->prefix);
    assert_int_equal(fabricctl(w, NULL, prefix_opt, "guest", "exec", "host02",
                               "--", "ping", "-c", "1", "-W", "1",
                               "172.16.0.1", NULL),
                     0);
    char *exec_argv[] = {FABRICCTL, w->db_opt, prefix_opt, "guest",
                         "exec",    "host02",  "--",       "sh",
                         "-c",      "exit 7",  NULL};
    assert_int_equal(sbx_run(exec_argv, NULL), 7);

    /* The agent's control socket tells what it owns. */
    assert_int_equal(fabricctl(w, &out, rundir_opt, "agent", "status", NULL),
                     0);
    json_t *st = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(st);
    assert_int_equal(
        json_integer_value(json_object_get(st, "applied_generation")), 1);
    assert_int_equal(json_array_size(json_object_get(st, "guests")), 4);
    assert_int_equal(json_array_size(json_object_get(st, "ports")), 4);
    json_decref(st);

    /* fabricctl status: the host is up at generation 1, guests run. */
    assert_int_equal(fabricctl(w, &out, "status", NULL), 0);
    assert_non_null(strstr(out, "local        up       1/1"));
    assert_non_null(strstr(out, "running"));
    free(out);

    /* Re-applying changes nothing: the ports' rows keep their version,
     * and the guests' interfaces are the same devices (same ifindex). */
    char *links_before = guest_links(w, "host01");
    char *before = vsctl(w, "--columns=_version", "list", "interface");
    assert_int_equal(
        fabricctl(w, &out, "topology", "apply", "--wait=10", CLASSIC, NULL),
        0);
    assert_non_null(strstr(out, "No changes"));
    free(out);
    sleep(1);
    char *after = vsctl(w, "--columns=_version", "list", "interface");
    assert_string_equal(before, after);
    free(before);
    free(after);
    char *links_after = guest_links(w, "host01");
    assert_string_equal(links_before, links_after);
    free(links_before);
    free(links_after);

    /* Destroy: namespaces, ports and bridge go; the foreign bridge stays. */
    assert_int_equal(
        fabricctl(w, &out, "topology", "destroy", "--wait=30", NULL), 0);
    free(out);
    char ns[64];
    snprintf(ns, sizeof ns, "%shost01", w->prefix);
    assert_false(namespace_exists(ns));
    out = vsctl(w, "list-br", NULL, NULL);
    assert_string_equal(out, "br-foreign\n");
    free(out);
    out = vsctl(w, "list-ports", "br-foreign", NULL);
    assert_string_equal(out, "fport\n");
    free(out);
}

static long long
agent_applied(struct world *w)
{
    char *out = NULL;
    if (fabricctl(w, &out, "--json", "status", NULL)) {
        free(out);
        return -1;
    }
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    json_t *host = json_array_get(json_object_get(j, "hosts"), 0);
    long long applied =
        json_integer_value(json_object_get(host, "applied_generation"));
    json_decref(j);
    return applied;
}

static void
test_faults(void **state)
{
    struct world *w = *state;
    char *out = NULL;

    /* kill -9 the agent right after an apply; a new agent converges. */
    assert_int_equal(fabricctl(w, NULL, "topology", "apply", CLASSIC, NULL),
                     0);
    stop_agent(w, SIGKILL);
    assert_int_equal(start_agent(w), 0);
    assert_int_equal(
        fabricctl(w, NULL, "topology", "apply", "--wait=30", CLASSIC, NULL),
        0);
    assert_true(reachable(w, "host01", "172.16.0.2"));

    /* Restart ovs-vswitchd and ovsdb-server: the agent rebuilds. */
    assert_int_equal(vswitchd_kill(&w->vs, SIGKILL), 0);
    assert_int_equal(sbx_ovsdb_kill(&w->ovs, SIGKILL), 0);
    /* A fresh Open_vSwitch DB: everything the agent made is gone. */
    assert_int_equal(unlink(w->ovs.db_path), 0);
    assert_int_equal(sbx_ovsdb_create_db(&w->ovs, VSWITCH_SCHEMA), 0);
    assert_int_equal(sbx_ovsdb_start(&w->ovs, NULL), 0);
    assert_int_equal(vswitchd_db_init(&w->vs), 0);
    assert_int_equal(vswitchd_start(&w->vs), 0);
    bool ok = false;
    for (int i = 0; i < 100 && !ok; i++) {
        usleep(100 * 1000);
        ok = ping(w, "host01", "172.16.0.2");
    }
    assert_true(ok);

    /* Stop the fabric DB: traffic keeps flowing. */
    assert_int_equal(sbx_ovsdb_kill(&w->fabric, SIGTERM), 0);
    sleep(1);
    assert_true(reachable(w, "host01", "172.16.0.2"));
    assert_true(reachable(w, "host04", "172.17.0.1"));
    /* Start it again: the agent resyncs and a later apply works. */
    assert_int_equal(sbx_ovsdb_start(&w->fabric, NULL), 0);
    assert_int_equal(
        fabricctl(w, &out, "topology", "destroy", "--wait=30", NULL), 0);
    free(out);
    assert_true(agent_applied(w) >= 2);
    char ns[64];
    snprintf(ns, sizeof ns, "%shost01", w->prefix);
    assert_false(namespace_exists(ns));
}

/* The agent's status through its control socket (a new reference), or
 * NULL. */
static json_t *
agent_status(struct world *w)
{
    char rundir_opt[600], *out = NULL;
    snprintf(rundir_opt, sizeof rundir_opt, "--rundir=%s", w->dir);
    json_t *st = NULL;
    if (!fabricctl(w, &out, rundir_opt, "agent", "status", NULL)) {
        st = json_loads(out, 0, NULL);
    }
    free(out);
    return st;
}

/* The agent's counter 'name' in its status, or in its object 'object'
 * (NULL for none), or -1. */
static long long
agent_counter(struct world *w, const char *object, const char *name)
{
    json_t *st = agent_status(w);
    json_t *o = object ? json_object_get(st, object) : st;
    json_t *v = json_object_get(o, name);
    long long n = v ? json_integer_value(v) : -1;
    json_decref(st);
    return n;
}

/* The agent's flow counter 'name' ("count", "installs", "updates",
 * "changes"), or -1. */
static long long
agent_flows_counter(struct world *w, const char *name)
{
    return agent_counter(w, "flows", name);
}

/* `ovs-ofctl dump-flows` of br-int (a new string), stats included. */
static char *
dump_flows(struct world *w)
{
    char mgmt[600], *out = NULL;
    snprintf(mgmt, sizeof mgmt, "unix:%s/br-int.mgmt", w->dir);
    sbx_runl(&out, "ovs-ofctl", "-O", "OpenFlow15", "--no-names", "dump-flows",
             mgmt, NULL);
    return out;
}

/* The number of flows in a dump. */
static int
count_flows(const char *dump)
{
    int n = 0;
    for (const char *p = dump; p && (p = strstr(p, " cookie=")); p++) {
        n++;
    }
    return n;
}

/* The value of field 'field' ("duration=", "n_packets=") of the flow of
 * 'dump' that contains 'match', or -1. */
static double
flow_field(const char *dump, const char *match, const char *field)
{
    const char *hit = dump ? strstr(dump, match) : NULL;
    if (!hit) {
        return -1;
    }
    const char *line = hit;
    while (line > dump && line[-1] != '\n') {
        line--;
    }
    const char *f = strstr(line, field);
    return f && f < hit ? atof(f + strlen(field)) : -1;
}

/* Writes the classic lab with one more guest in network2, host05. */
static char *
write_lab_with_host05(struct world *w)
{
    char *path = sbx_path(w->dir, "classic-plus.yaml"), *text = NULL;
    assert_int_equal(sbx_runl(&text, "cat", CLASSIC, NULL), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "%s  - name: host05\n"
            "    kind: netns\n"
            "    interfaces:\n"
            "      - {network: network2, ip: 172.17.0.3/24, "
            "gateway: 172.17.0.254}\n",
            text);
    assert_int_equal(fclose(f), 0);
    free(text);
    return path;
}

/* Applies the topology 'file' and waits until it is applied. */
static void
apply_wait(struct world *w, const char *file)
{
    char *out = NULL;
    assert_int_equal(
        fabricctl(w, &out, "topology", "apply", "--wait=30", file, NULL), 0);
    free(out);
}

/* Idle, the agent's own heartbeats come back as updates of the fabric
 * DB, and it checks its flows: it neither runs nor reads the lab again.
 * A change of the lab is read at once. */
static void
test_idle(void **state)
{
    struct world *w = *state;
    char *out = NULL;
    apply_wait(w, CLASSIC);
    long long reads = agent_counter(w, NULL, "lab_reads");
    long long runs = agent_counter(w, NULL, "runs");
    assert_true(reads >= 1);
    sleep(5);
    assert_int_equal(agent_counter(w, NULL, "lab_reads"), reads);
    assert_true(agent_counter(w, NULL, "runs") <= runs + 2);
    /* ...though its heartbeats went on. */
    char *out_status = NULL;
    assert_int_equal(fabricctl(w, &out_status, "--json", "status", NULL), 0);
    json_t *j = json_loads(out_status, 0, NULL);
    free(out_status);
    json_t *host = json_array_get(json_object_get(j, "hosts"), 0);
    long long age =
        json_integer_value(json_object_get(host, "heartbeat_age_ms"));
    assert_true(age >= 0 && age < 3000);
    json_decref(j);
    assert_int_equal(
        fabricctl(w, &out, "topology", "destroy", "--wait=30", NULL), 0);
    free(out);
    assert_true(agent_counter(w, NULL, "lab_reads") > reads);
    assert_true(agent_applied(w) >= 2);
}

/* An ovs-vswitchd that cannot make the bridge (here: the userspace
 * datapath's "ovs-netdev" tap, whose name a device of somebody else's
 * already has) never numbers the guests' ports; the host says so in its
 * status instead of applying forever in silence. */
static void
test_bridge_not_made(void **state)
{
    struct world *w = *state;
    /* The ovs-vswitchd of an earlier test (in this test's namespace) may
     * have left its tap behind; this one has not made its own yet. */
    sbx_runl(NULL, "ip", "link", "del", "ovs-netdev", NULL);
    assert_int_equal(sbx_runl(NULL, "ip", "link", "add", "ovs-netdev", "type",
                              "veth", "peer", "name", "ovs-netdev-p", NULL),
                     0);
    char *out = NULL;
    assert_int_equal(fabricctl(w, &out, "topology", "apply", CLASSIC, NULL),
                     0);
    free(out);
    char *error = NULL;
    for (long long end = sbx_now_ms() + 25000; !error && sbx_now_ms() < end;
         usleep(250 * 1000)) {
        json_t *st = agent_status(w);
        const char *e = json_string_value(json_object_get(st, "error"));
        if (e && strstr(e, "has not numbered")) {
            error = strdup(e);
        }
        json_decref(st);
    }
    /* The fabric DB has it too, for `fabricctl status` (written with the
     * next heartbeat). */
    bool in_db = false;
    for (long long end = sbx_now_ms() + 10000;
         error && !in_db && sbx_now_ms() < end; usleep(250 * 1000)) {
        out = NULL;
        fabricctl(w, &out, "status", NULL);
        in_db = out && strstr(out, "has not numbered");
        free(out);
    }
    sbx_runl(NULL, "ip", "link", "del", "ovs-netdev", NULL);
    if (!error) {
        fail_msg("no error in the agent's status after 25 s");
    }
    assert_true(in_db);
    /* It names the bridge and the ports it waits for. */
    assert_non_null(strstr(error, "ports of br-int after 10 s: "));
    assert_non_null(strstr(error, "fv"));
    free(error);
}

/* The pipeline goes in whole once, then a change of the lab sends only
 * the flows that differ: the others keep their age and counters.  A flow
 * deleted by hand comes back with the periodic check. */
static void
test_incremental_flows(void **state)
{
    struct world *w = *state;
    char *out = NULL;
    apply_wait(w, CLASSIC);
    assert_true(reachable(w, "host01", "172.16.0.2"));
    long long installs = agent_flows_counter(w, "installs");
    long long updates = agent_flows_counter(w, "updates");
    long long changes = agent_flows_counter(w, "changes");
    long long count = agent_flows_counter(w, "count");
    assert_int_equal(installs, 1);
    assert_true(count > 20);

    /* host01's ingress flow for IPv4 has counted the pings. */
    const char *ip01 = "dl_src=02:fa:6f:95:73:b0,nw_src=172.16.0.1";
    char *before = dump_flows(w);
    assert_int_equal(count_flows(before), count);
    double packets = flow_field(before, ip01, "n_packets=");
    double age = flow_field(before, ip01, "duration=");
    assert_true(packets >= 1);
    assert_true(age >= 0);
    free(before);

    /* One more guest: its flows are added, nothing is installed again. */
    char *plus = write_lab_with_host05(w);
    sleep(1);
    apply_wait(w, plus);
    assert_true(reachable(w, "host05", "172.17.0.1"));
    assert_true(reachable(w, "host01", "172.17.0.3"));
    assert_int_equal(agent_flows_counter(w, "installs"), installs);
    assert_true(agent_flows_counter(w, "updates") > updates);
    long long added = agent_flows_counter(w, "changes") - changes;
    long long count_plus = agent_flows_counter(w, "count");
    assert_true(count_plus > count);
    assert_true(added >= count_plus - count);
    assert_true(added < count);
    char *after = dump_flows(w);
    assert_int_equal(count_flows(after), count_plus);
    assert_true(flow_field(after, ip01, "n_packets=") >= packets);
    assert_true(flow_field(after, ip01, "duration=") >= age + 1);
    assert_non_null(strstr(after, "nw_src=172.17.0.3"));
    free(after);

    /* Without it again: its flows are deleted, the others stay. */
    updates = agent_flows_counter(w, "updates");
    apply_wait(w, CLASSIC);
    assert_int_equal(agent_flows_counter(w, "installs"), installs);
    assert_true(agent_flows_counter(w, "updates") > updates);
    assert_int_equal(agent_flows_counter(w, "count"), count);
    after = dump_flows(w);
    assert_int_equal(count_flows(after), count);
    assert_null(strstr(after, "nw_src=172.17.0.3"));
    assert_true(flow_field(after, ip01, "duration=") >= age + 1);
    free(after);

    /* A flow deleted by hand: the periodic check installs every flow
     * again, and host01 is reachable again. */
    char mgmt[600];
    snprintf(mgmt, sizeof mgmt, "unix:%s/br-int.mgmt", w->dir);
    assert_int_equal(sbx_runl(NULL, "ovs-ofctl", "-O", "OpenFlow15",
                              "del-flows", mgmt,
                              "table=0,ip,dl_src=02:fa:6f:95:73:b0", NULL),
                     0);
    after = dump_flows(w);
    assert_int_equal(count_flows(after), count - 1);
    free(after);
    bool restored = false;
    for (int i = 0; i < 100 && !restored; i++) {
        usleep(100 * 1000);
        after = dump_flows(w);
        restored = count_flows(after) == count && strstr(after, ip01) != NULL;
        free(after);
    }
    assert_true(restored);
    assert_int_equal(agent_flows_counter(w, "installs"), installs + 1);
    assert_true(reachable(w, "host01", "172.16.0.2"));

    /* A flow changed by hand keeps the count: a reconcile asked through
     * the control socket installs every flow again. */
    assert_int_equal(sbx_runl(NULL, "ovs-ofctl", "-O", "OpenFlow15",
                              "mod-flows", mgmt,
                              "table=0,ip,dl_src=02:fa:6f:95:73:b0,"
                              "actions=drop",
                              NULL),
                     0);
    assert_false(ping(w, "host01", "172.16.0.2"));
    char rundir_opt[600];
    snprintf(rundir_opt, sizeof rundir_opt, "--rundir=%s", w->dir);
    assert_int_equal(
        fabricctl(w, NULL, rundir_opt, "agent", "reconcile", NULL), 0);
    assert_true(reachable(w, "host01", "172.16.0.2"));
    assert_int_equal(agent_flows_counter(w, "installs"), installs + 2);

    /* Destroyed and applied again: the bridge is a new one, with no flow,
     * and the same ports and numbers as before; every flow is there when
     * apply --wait returns. */
    assert_int_equal(
        fabricctl(w, &out, "topology", "destroy", "--wait=30", NULL), 0);
    free(out);
    apply_wait(w, CLASSIC);
    after = dump_flows(w);
    assert_int_equal(count_flows(after), count);
    free(after);
    assert_int_equal(agent_flows_counter(w, "installs"), installs + 3);

    assert_int_equal(
        fabricctl(w, &out, "topology", "destroy", "--wait=30", NULL), 0);
    free(out);
    unlink(plus);
    free(plus);
}

int
main(void)
{
    if (vswitchd_private_netns() < 0) {
        fprintf(stderr, "test-fabricd: needs root to make namespaces\n");
        return 1;
    }
    atexit(cleanup_at_exit);
    if (getenv("FABRIC_TEST_FILTER")) {
        cmocka_set_test_filter(getenv("FABRIC_TEST_FILTER"));
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_classic_lab_single_host, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bridge_not_made, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incremental_flows, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
