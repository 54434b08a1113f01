/* Multi-host tests of VM guests: two simulated hosts from scripts/testbed
 * (each a network namespace with its own ovsdb-server and ovs-vswitchd on
 * the userspace datapath, GENEVE between them over a veth underlay), and
 * on each host its own fabricd and its own private libvirtd
 * (tests/lib/libvirtd.h), started inside that host's network namespace
 * with that host's OVS_RUNDIR.  So the QEMU processes of a host, and the
 * taps libvirt makes for them, live in that host's namespace and plug into
 * that host's ovs-vswitchd, as on real machines.
 *
 * The lab: network1 with a tiny VM on each host and a namespace guest on
 * hv2, network2 with a tiny VM on hv1, and a flows router between them.
 * The test checks that a VM on hv1 reaches a VM and a namespace guest on
 * hv2 through the GENEVE tunnel, that routed traffic crosses hosts both
 * ways, and that the MTU the guests got leaves room for GENEVE: the
 * underlay MTU is 1500 (what the topology's hosts say), so a full-size
 * guest packet only passes if the guest MTU took the tunnel's overhead
 * off.  The tiny guest's busybox ping has no -M (don't fragment); a ping of
 * MTU - 28 bytes of data, a full-size IPv4 packet, must answer, and the
 * namespace guest's iputils ping checks the same with -M do.
 *
 * Commands run in the VMs through `fabricctl guest console`, asking the
 * fabricd of the VM's host (--rundir of that host).  Every domain,
 * libvirtd, QEMU, fabricd and namespace of the run goes at the end, also
 * when a check fails (the teardown), and on exit or a fatal signal (a
 * sandbox cleanup hook). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "libvirtd.h"
#include "ovsdb-error.h"
#include "sandbox.h"
#include "vm-console.h"
#include "vmtest.h"
#include "xstring.h"

#define FABRICCTL FABRIC_BINARY_DIR "/fabricctl"
#define FABRICD FABRIC_BINARY_DIR "/fabricd"
#define TESTBED FABRIC_SOURCE_DIR "/scripts/testbed"
#define SCHEMA FABRIC_SOURCE_DIR "/ovsdb/fabric.ovsschema"
#define BUILD_TINY FABRIC_SOURCE_DIR "/scripts/build-tiny-guest"

#define N_HOSTS 2
#define UNDERLAY_MTU 1500
/* GENEVE's overhead as fabric counts it: outer IPv4 20, UDP 8, GENEVE 8
 * plus an 8-byte option, inner Ethernet 14. */
#define GENEVE_OVERHEAD 58

struct host {
    char name[8];         /* "hvN". */
    char rundir_opt[600]; /* --rundir=BED/hvN: its fabricd's socket. */
    char *vm_dir;
    struct sbx_libvirtd lv;
};

struct bed {
    char run[16]; /* Test bed run name. */
    char bed_dir[256];
    char *dir;  /* Our sandbox: fabric DB, VMs, libvirtds. */
    char *tiny; /* The tiny guest's kernel and initrd. */
    struct sbx_ovsdb fabric;
    char db_opt[512];
    bool bed_up;
    struct host hosts[N_HOSTS];
};

static struct bed *the_bed;

/* Host hvN's fabricd and namespace prefix: "RUN-hvN-". */
static char *
host_prefix(const struct bed *b, int n)
{
    return xasprintf("%s-hv%d-", b->run, n);
}

static char *
host_netns(const struct bed *b, int n)
{
    return xasprintf("%s-hv%d", b->run, n);
}

static int
start_agent(struct bed *b, int n)
{
    struct host *h = &b->hosts[n - 1];
    char *prefix = host_prefix(b, n);
    char *db = xasprintf("--db=%s", b->fabric.unix_remote);
    char *ovsdb = xasprintf("--ovsdb=unix:%s/hv%d/db.sock", b->bed_dir, n);
    char *host = xasprintf("--host=hv%d", n);
    char *pidfile = xasprintf("--pidfile=%s/hv%d/fabricd.pid", b->bed_dir, n);
    char *logfile = xasprintf("--log-file=%s/hv%d/fabricd.log", b->bed_dir, n);
    char *nsp = xasprintf("--netns-prefix=%s", prefix);
    char *ovs_rundir = xasprintf("--ovs-rundir=%s/hv%d", b->bed_dir, n);
    char *libvirt = xasprintf("--libvirt=%s", h->lv.uri);
    char *vm_dir = xasprintf("--vm-dir=%s", h->vm_dir);
    char *argv[] = {"bash",
                    TESTBED,
                    "exec",
                    "--name",
                    b->run,
                    "--dir",
                    b->bed_dir,
                    h->name,
                    "--",
                    FABRICD,
                    db,
                    ovsdb,
                    host,
                    h->rundir_opt,
                    pidfile,
                    logfile,
                    nsp,
                    ovs_rundir,
                    libvirt,
                    vm_dir,
                    "--datapath=netdev",
                    "--detach",
                    NULL};
    char *owned[] = {prefix,  db,  ovsdb,      host,    pidfile,
                     logfile, nsp, ovs_rundir, libvirt, vm_dir};
    int rc = sbx_run(argv, NULL);
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++) {
        free(owned[i]);
    }
    return rc ? -EIO : 0;
}

static pid_t
agent_pid(const struct bed *b, int n)
{
    char *path = xasprintf("%s/hv%d/fabricd.pid", b->bed_dir, n);
    pid_t pid = sbx_read_pidfile(path);
    free(path);
    return pid;
}

/* Stops everything of the bed: agents, domains, libvirtds (and their
 * QEMUs), then the test bed's daemons and namespaces.  Idempotent. */
static void
bed_down(struct bed *b)
{
    for (int n = 1; n <= N_HOSTS; n++) {
        pid_t pid = agent_pid(b, n);
        if (pid > 0 && sbx_pid_alive(pid)) {
            sbx_kill(pid, SIGTERM, 5000);
        }
    }
    for (int n = 1; n <= N_HOSTS; n++) {
        /* Its fabricd should have removed them; after a failure it may
         * not have. */
        char *prefix = host_prefix(b, n);
        sbx_libvirtd_remove_domains(&b->hosts[n - 1].lv, prefix);
        free(prefix);
        sbx_libvirtd_stop(&b->hosts[n - 1].lv);
    }
    if (b->bed_up) {
        sbx_runl(NULL, "bash", TESTBED, "down", "--name", b->run, "--dir",
                 b->bed_dir, NULL);
        b->bed_up = false;
    }
}

static void
cleanup_at_exit(void)
{
    if (the_bed) {
        bed_down(the_bed);
    }
}

static int
setup(void **state)
{
    struct bed *b = calloc(1, sizeof *b);
    the_bed = b;
    snprintf(b->run, sizeof b->run, "v%d", (int)(getpid() % 100000));
    b->dir = sbx_mkdtemp("mhvm");
    chmod(b->dir, 0755); /* QEMU runs as libvirt-qemu. */
    snprintf(b->bed_dir, sizeof b->bed_dir, "%s/bed", b->dir);
    b->tiny = sbx_path(b->dir, "tiny");
    int rc = sbx_runl(NULL, "bash", BUILD_TINY, b->tiny, NULL);
    if (rc) {
        fprintf(stderr, "build-tiny-guest failed (%d)\n", rc);
        return -1;
    }

    char mtu[16];
    snprintf(mtu, sizeof mtu, "%d", UNDERLAY_MTU);
    char *out = NULL;
    b->bed_up = true; /* Even a half-made bed must go. */
    rc = sbx_runl(&out, "bash", TESTBED, "up", "--name", b->run, "--hosts",
                  "2", "--dir", b->bed_dir, "--underlay-mtu", mtu, NULL);
    if (rc) {
        fprintf(stderr, "testbed up failed:\n%s\n", out ? out : "");
        free(out);
        return -1;
    }
    free(out);
    sbx_ovsdb_init(&b->fabric, b->dir, "fabric");
    if (sbx_ovsdb_create_db(&b->fabric, SCHEMA) ||
        sbx_ovsdb_start(&b->fabric, NULL)) {
        return -1;
    }
    snprintf(b->db_opt, sizeof b->db_opt, "--db=%s", b->fabric.unix_remote);

    for (int n = 1; n <= N_HOSTS; n++) {
        struct host *h = &b->hosts[n - 1];
        snprintf(h->name, sizeof h->name, "hv%d", n);
        snprintf(h->rundir_opt, sizeof h->rundir_opt, "--rundir=%s/hv%d",
                 b->bed_dir, n);
        h->vm_dir = xasprintf("%s/vms%d", b->dir, n);
        char *lvdir = xasprintf("%s/libvirt%d", b->dir, n);
        char *ovs_rundir = xasprintf("%s/hv%d", b->bed_dir, n);
        char *netns = host_netns(b, n);
        long long t0 = sbx_now_ms();
        rc = sbx_libvirtd_start_in(&h->lv, lvdir, ovs_rundir, netns);
        fprintf(stderr, "libvirtd of hv%d in %s: %s after %lld ms\n", n, netns,
                rc ? "failed" : "up", sbx_now_ms() - t0);
        free(lvdir);
        free(ovs_rundir);
        free(netns);
        if (rc || start_agent(b, n)) {
            return -1;
        }
    }
    *state = b;
    return 0;
}

static int
teardown(void **state)
{
    struct bed *b = *state;
    if (!b) {
        return 0;
    }
    if (getenv("FABRIC_TEST_HOLD")) {
        fprintf(stderr, "holding %s for %s s\n", b->dir,
                getenv("FABRIC_TEST_HOLD"));
        sleep(atoi(getenv("FABRIC_TEST_HOLD")));
    }
    bed_down(b);
    sbx_ovsdb_clear(&b->fabric);
    sbx_rmtree(b->dir);
    for (int n = 1; n <= N_HOSTS; n++) {
        free(b->hosts[n - 1].vm_dir);
    }
    free(b->dir);
    free(b->tiny);
    free(b);
    the_bed = NULL;
    return 0;
}

static int
fabricctl(struct bed *b, char **outp, ...)
{
    va_list args;
    va_start(args, outp);
    int rc = sbx_run_va(outp, true, FABRICCTL, b->db_opt, args);
    va_end(args);
    return rc;
}

/* The lab, written to the sandbox; returns its path. */
static char *
write_lab(struct bed *b)
{
    char *path = sbx_path(b->dir, "mh-vm.yaml");
    FILE *f = fopen(path, "w");
    char *vm = xasprintf("    kind: vm\n    memory: 128\n"
                         "    kernel: %s/vmlinuz\n"
                         "    initrd: %s/initrd.img\n"
                         "    cmdline: console=ttyS0 quiet no_timer_check\n",
                         b->tiny, b->tiny);
    fprintf(f,
            "name: multihost-vm\n"
            "hosts:\n"
            "  - {name: hv1, underlay: 10.99.0.1, underlay_mtu: %d}\n"
            "  - {name: hv2, underlay: 10.99.0.2, underlay_mtu: %d}\n"
            "networks:\n"
            "  - {name: network1, subnet: 172.16.0.0/24}\n"
            "  - {name: network2, subnet: 172.17.0.0/24}\n"
            "routers:\n"
            "  - name: r0\n"
            "    kind: flows\n"
            "    interfaces:\n"
            "      - {network: network1, ip: 172.16.0.254}\n"
            "      - {network: network2, ip: 172.17.0.254}\n"
            "guests:\n"
            "  - name: vm1\n    host: hv1\n%s"
            "    interfaces:\n"
            "      - {network: network1, ip: 172.16.0.1/24, "
            "gateway: 172.16.0.254}\n"
            "  - name: vm2\n    host: hv2\n%s"
            "    interfaces:\n"
            "      - {network: network1, ip: 172.16.0.2/24, "
            "gateway: 172.16.0.254}\n"
            "  - name: ns2\n    host: hv2\n"
            "    interfaces:\n"
            "      - {network: network1, ip: 172.16.0.3/24, "
            "gateway: 172.16.0.254}\n"
            "  - name: vm3\n    host: hv1\n%s"
            "    interfaces:\n"
            "      - {network: network2, ip: 172.17.0.1/24, "
            "gateway: 172.17.0.254}\n",
            UNDERLAY_MTU, UNDERLAY_MTU, vm, vm, vm);
    fclose(f);
    free(vm);
    return path;
}

/* Host number of each VM of the lab. */
static const struct {
    const char *name;
    int host;
} vms[] = {{"vm1", 1}, {"vm2", 2}, {"vm3", 1}};
#define N_VMS (sizeof vms / sizeof *vms)

static int
vm_host(const char *guest)
{
    for (size_t i = 0; i < N_VMS; i++) {
        if (!strcmp(vms[i].name, guest)) {
            return vms[i].host;
        }
    }
    abort();
}

/* Waits until VM 'guest' printed that it is ready. */
static bool
wait_ready(struct bed *b, const char *guest, int timeout_ms)
{
    int n = vm_host(guest);
    char *prefix = host_prefix(b, n);
    char *log = xasprintf("%s/%s%s/console.log", b->hosts[n - 1].vm_dir,
                          prefix, guest);
    bool ready = vmt_wait_ready(log, 0, timeout_ms);
    free(prefix);
    free(log);
    return ready;
}

/* Runs 'command' in VM 'guest' through the console its host's fabricd
 * gives it; returns its exit status, with its output in '*outp' if not
 * NULL. */
static int
in_guest(struct bed *b, const char *guest, char **outp, const char *command)
{
    struct host *h = &b->hosts[vm_host(guest) - 1];
    return vmt_console(FABRICCTL, b->db_opt, h->rundir_opt, guest, command,
                       outp);
}

/* Pings 'ip' from VM 'guest' with 'size' bytes of data (0: the default),
 * up to three tries; the last try's output goes to '*outp' if not NULL. */
static bool
vm_ping(struct bed *b, const char *guest, const char *ip, int size,
        char **outp)
{
    char *cmd = size ? xasprintf("ping -c 1 -W 2 -s %d %s", size, ip)
                     : xasprintf("ping -c 1 -W 2 %s", ip);
    bool ok = false;
    char *out = NULL;
    for (int i = 0; i < 3 && !ok; i++) {
        free(out);
        out = NULL;
        ok = in_guest(b, guest, &out, cmd) == 0;
    }
    if (outp) {
        *outp = out;
    } else {
        free(out);
    }
    free(cmd);
    return ok;
}

/* Pings 'ip' from namespace guest ns2 (on hv2) with iputils ping,
 * 'size' bytes of data and "-M do" (never fragment) when 'size' is not 0,
 * up to three tries; output as for vm_ping(). */
static bool
ns_ping(struct bed *b, const char *ip, int size, char **outp)
{
    char *prefix = host_prefix(b, 2);
    char *ns = xasprintf("%sns2", prefix);
    char *s = xasprintf("%d", size);
    char *argv[] = {"ip",
                    "netns",
                    "exec",
                    ns,
                    "ping",
                    "-c",
                    "1",
                    "-W",
                    "2",
                    (char *)ip,
                    size ? "-M" : NULL,
                    "do",
                    "-s",
                    s,
                    NULL};
    bool ok = false;
    char *out = NULL;
    for (int i = 0; i < 3 && !ok; i++) {
        free(out);
        out = NULL;
        ok = sbx_run(argv, &out) == 0;
    }
    if (outp) {
        *outp = out;
    } else {
        free(out);
    }
    free(prefix);
    free(ns);
    free(s);
    return ok;
}

/* Runs "ovs-vsctl ARGS" on host hvN; returns its output. */
static char *
vsctl(struct bed *b, int n, const char *a0, const char *a1, const char *a2)
{
    char *db = xasprintf("--db=unix:%s/hv%d/db.sock", b->bed_dir, n);
    char *argv[] = {"bash",     TESTBED,     "exec",     "--name",
                    b->run,     "--dir",     b->bed_dir, b->hosts[n - 1].name,
                    "--",       "ovs-vsctl", db,         (char *)a0,
                    (char *)a1, (char *)a2,  NULL};
    char *out = NULL;
    sbx_run(argv, &out);
    free(db);
    return out;
}

static void
dump_diagnostics(struct bed *b)
{
    for (int n = 1; n <= N_HOSTS; n++) {
        char *path = xasprintf("%s/hv%d/fabricd.log", b->bed_dir, n);
        char *out = NULL;
        sbx_runl(&out, "tail", "-n", "30", path, NULL);
        fprintf(stderr, "--- hv%d fabricd.log:\n%s\n", n, out ? out : "");
        free(out);
        free(path);
        out = vsctl(b, n, "show", NULL, NULL);
        fprintf(stderr, "--- hv%d ovs-vsctl show:\n%s\n", n, out ? out : "");
        free(out);
    }
}

/* True if the QEMU process of VM 'guest' lives in the network namespace
 * of its host. */
static bool
qemu_in_host_netns(struct bed *b, const char *guest)
{
    int n = vm_host(guest);
    char *prefix = host_prefix(b, n);
    char *pidfile = xasprintf("%s/run/qemu/%s%s.pid", b->hosts[n - 1].lv.dir,
                              prefix, guest);
    pid_t pid = sbx_read_pidfile(pidfile);
    char *proc = xasprintf("/proc/%d/ns/net", (int)pid);
    char *netns = xasprintf("/run/netns/%s-hv%d", b->run, n);
    struct stat a, c;
    bool same = pid > 0 && !stat(proc, &a) && !stat(netns, &c) &&
                a.st_dev == c.st_dev && a.st_ino == c.st_ino;
    if (!same) {
        fprintf(stderr, "QEMU of %s (pid %d) is not in %s\n", guest, (int)pid,
                netns);
    }
    free(prefix);
    free(pidfile);
    free(proc);
    free(netns);
    return same;
}

static void
test_vms_across_hosts(void **state)
{
    struct bed *b = *state;
    char *lab = write_lab(b);
    char *out = NULL;
    long long t0 = sbx_now_ms();
    if (fabricctl(b, &out, "topology", "apply", "--wait=120", lab, NULL)) {
        dump_diagnostics(b);
        fail_msg("apply failed");
    }
    free(out);
    long long t_applied = sbx_now_ms();
    for (size_t i = 0; i < N_VMS; i++) {
        assert_true(wait_ready(b, vms[i].name, 180000));
    }
    long long t_ready = sbx_now_ms();

    /* Each host's libvirtd ran its QEMUs in that host's namespace. */
    for (size_t i = 0; i < N_VMS; i++) {
        assert_true(qemu_in_host_netns(b, vms[i].name));
    }

    /* Same network, VM to VM across the tunnel, both ways. */
    if (!vm_ping(b, "vm1", "172.16.0.2", 0, &out)) {
        dump_diagnostics(b);
        fail_msg("vm1 (hv1) cannot reach vm2 (hv2):\n%s", out);
    }
    free(out);
    long long t_ping = sbx_now_ms();
    fprintf(stderr,
            "two hosts, 3 VMs: applied in %lld ms, every VM ready "
            "after %lld ms, first VM-to-VM ping across GENEVE "
            "after %lld ms\n",
            t_applied - t0, t_ready - t0, t_ping - t0);
    assert_true(vm_ping(b, "vm2", "172.16.0.1", 0, NULL));

    /* A VM and a namespace guest on the other host, both ways. */
    assert_true(vm_ping(b, "vm1", "172.16.0.3", 0, NULL));
    assert_true(ns_ping(b, "172.16.0.1", 0, NULL));

    /* Routed between hosts: hv2's guests to vm3 on hv1, and back; one
     * hop, taken on the sending host before the tunnel. */
    assert_true(vm_ping(b, "vm2", "172.17.0.1", 0, &out));
    assert_contains(out, "ttl=63");
    free(out);
    assert_true(ns_ping(b, "172.17.0.1", 0, &out));
    assert_contains(out, "ttl=63");
    free(out);
    assert_true(vm_ping(b, "vm3", "172.16.0.2", 0, NULL));
    assert_true(vm_ping(b, "vm3", "172.16.0.3", 0, NULL));

    /* The MTU leaves room for GENEVE on a 1500-byte underlay, and a
     * full-size packet passes: VM to VM, namespace guest to VM with DF,
     * and routed across hosts. */
    assert_int_equal(in_guest(b, "vm1", &out, "cat /sys/class/net/eth0/mtu"),
                     0);
    int mtu = atoi(out);
    free(out);
    fprintf(stderr, "guest MTU %d on a %d-byte underlay\n", mtu, UNDERLAY_MTU);
    assert_true(mtu >= 1280);
    assert_true(mtu <= UNDERLAY_MTU - GENEVE_OVERHEAD);
    /* Every guest of the network got the same. */
    assert_int_equal(in_guest(b, "vm2", &out, "cat /sys/class/net/eth0/mtu"),
                     0);
    assert_int_equal(atoi(out), mtu);
    free(out);
    char *ns2 = xasprintf("%s-hv2-ns2", b->run);
    char *want = xasprintf(" mtu %d ", mtu);
    assert_int_equal(
        sbx_runl(&out, "ip", "-n", ns2, "link", "show", "eth0", NULL), 0);
    assert_contains(out, want);
    free(out);
    free(want);
    free(ns2);
    int size = mtu - 28; /* IPv4 20 + ICMP 8. */
    if (!vm_ping(b, "vm1", "172.16.0.2", size, &out)) {
        dump_diagnostics(b);
        fail_msg("a full-size ping (%d bytes) from vm1 to vm2 is lost:\n%s",
                 size, out);
    }
    free(out);
    assert_true(vm_ping(b, "vm2", "172.16.0.1", size, NULL));
    assert_true(ns_ping(b, "172.16.0.1", size, NULL));
    assert_true(vm_ping(b, "vm3", "172.16.0.2", size, NULL));

    /* The full-size packets did cross the underlay at full size: with 20
     * bytes less MTU on hv1's underlay link, the same ping is lost while a
     * small one still passes. */
    char *ns1 = host_netns(b, 1);
    assert_int_equal(sbx_runl(NULL, "ip", "-n", ns1, "link", "set", "ul0",
                              "mtu", "1480", NULL),
                     0);
    assert_true(vm_ping(b, "vm1", "172.16.0.2", 0, NULL));
    assert_false(vm_ping(b, "vm1", "172.16.0.2", size, NULL));
    assert_int_equal(sbx_runl(NULL, "ip", "-n", ns1, "link", "set", "ul0",
                              "mtu", "1500", NULL),
                     0);
    free(ns1);

    /* Each host's OVS has the GENEVE tunnel and the VM ports libvirt
     * plugged. */
    for (int n = 1; n <= N_HOSTS; n++) {
        out = vsctl(b, n, "show", NULL, NULL);
        assert_contains(out, "type: geneve");
        free(out);
        out = vsctl(b, n, "--columns=external_ids", "list", "interface");
        assert_contains(out, "vm-id=");
        free(out);
    }

    /* Destroy: no domains left on either host. */
    assert_int_equal(
        fabricctl(b, &out, "topology", "destroy", "--wait=60", NULL), 0);
    free(out);
    for (int n = 1; n <= N_HOSTS; n++) {
        assert_int_equal(sbx_runl(&out, "virsh", "-q", "-c",
                                  b->hosts[n - 1].lv.uri, "list", "--all",
                                  "--name", NULL),
                         0);
        assert_string_equal(out, "");
        free(out);
    }
    free(lab);
}

int
main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test-multihost-vm: needs root (namespaces, "
                        "libvirtd)\n");
        return 1;
    }
    /* Also on a fatal signal (a test runner's timeout), before the
     * sandbox kills the daemons it tracks. */
    sbx_at_cleanup(cleanup_at_exit);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vms_across_hosts, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
