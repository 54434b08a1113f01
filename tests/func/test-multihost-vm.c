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

#include "bed.h"
#include "libvirtd.h"
#include "ovsdb-error.h"
#include "sandbox.h"
#include "vm-console.h"
#include "vmtest.h"
#include "xstring.h"

#define FABRICCTL FABRIC_BINARY_DIR "/fabricctl"
#define BUILD_TINY FABRIC_SOURCE_DIR "/scripts/build-tiny-guest"

#define N_HOSTS 2
#define UNDERLAY_MTU 1500
/* GENEVE's overhead as fabric counts it: outer IPv4 20, UDP 8, GENEVE 8
 * plus an 8-byte option, inner Ethernet 14. */
#define GENEVE_OVERHEAD 58

/* What the test adds to its bed (tests/lib/bed.h) on each host. */
struct host {
    char rundir_opt[600]; /* --rundir=BED/hvN: its fabricd's socket. */
    char *vm_dir;
    struct sbx_libvirtd lv;
};

static struct {
    char *dir;  /* The tiny guest, VMs and libvirtds, readable by QEMU. */
    char *tiny; /* The tiny guest's kernel and initrd. */
    struct host hosts[N_HOSTS];
} vmbed;

/* Host hvN's fabricd and namespace prefix: "RUN-hvN-". */
static char *
host_prefix(const struct bed *b, int n)
{
    return xasprintf("%shv%d-", b->prefix, n);
}

static char *
host_netns(const struct bed *b, int n)
{
    return xasprintf("%shv%d", b->prefix, n);
}

/* Starts host hvN's libvirtd in its namespace with its OVS_RUNDIR, and
 * points its fabricd at it. */
static int
prepare_host(struct bed *b, int n)
{
    struct host *h = &vmbed.hosts[n - 1];
    snprintf(h->rundir_opt, sizeof h->rundir_opt, "--rundir=%s/hv%d",
             b->bed_dir, n);
    h->vm_dir = xasprintf("%s/vms%d", vmbed.dir, n);
    char *lvdir = xasprintf("%s/libvirt%d", vmbed.dir, n);
    char *ovs_rundir = xasprintf("%s/hv%d", b->bed_dir, n);
    char *netns = host_netns(b, n);
    long long t0 = sbx_now_ms();
    int rc = sbx_libvirtd_start_in(&h->lv, lvdir, ovs_rundir, netns);
    fprintf(stderr, "libvirtd of hv%d in %s: %s after %lld ms\n", n, netns,
            rc ? "failed" : "up", sbx_now_ms() - t0);
    if (!rc) {
        bed_agent_option(b, n, "--ovs-rundir=%s", ovs_rundir);
        bed_agent_option(b, n, "--libvirt=%s", h->lv.uri);
        bed_agent_option(b, n, "--vm-dir=%s", h->vm_dir);
    }
    free(lvdir);
    free(ovs_rundir);
    free(netns);
    return rc;
}

/* After the agents stopped: the domains (their fabricd should have
 * removed them; after a failure it may not have), then the libvirtds and
 * their QEMUs. */
static void
stop_libvirtds(struct bed *b)
{
    for (int n = 1; n <= N_HOSTS; n++) {
        char *prefix = host_prefix(b, n);
        sbx_libvirtd_remove_domains(&vmbed.hosts[n - 1].lv, prefix);
        free(prefix);
        sbx_libvirtd_stop(&vmbed.hosts[n - 1].lv);
    }
}

static int
setup(void **state)
{
    vmbed.dir = sbx_mkdtemp("mhvm");
    chmod(vmbed.dir, 0755); /* QEMU runs as libvirt-qemu. */
    vmbed.tiny = sbx_path(vmbed.dir, "tiny");
    int rc = sbx_runl(NULL, "bash", BUILD_TINY, vmbed.tiny, NULL);
    if (rc) {
        fprintf(stderr, "build-tiny-guest failed (%d)\n", rc);
        return -1;
    }
    char mtu[16];
    snprintf(mtu, sizeof mtu, "%d", UNDERLAY_MTU);
    const struct bed_options options = {
        .up_args = {"--underlay-mtu", mtu},
        .prepare = prepare_host,
        .before_down = stop_libvirtds,
    };
    struct bed *b;
    rc = bed_setup(&b, "mv", N_HOSTS, N_HOSTS, &options);
    *state = b;
    return rc;
}

static int
teardown(void **state)
{
    struct bed *b = *state;
    if (getenv("FABRIC_TEST_HOLD")) {
        fprintf(stderr, "holding %s and %s for %s s\n", b->dir, vmbed.dir,
                getenv("FABRIC_TEST_HOLD"));
        sleep(atoi(getenv("FABRIC_TEST_HOLD")));
    }
    bed_teardown(b);
    sbx_rmtree(vmbed.dir);
    for (int n = 1; n <= N_HOSTS; n++) {
        free(vmbed.hosts[n - 1].vm_dir);
    }
    free(vmbed.dir);
    free(vmbed.tiny);
    memset(&vmbed, 0, sizeof vmbed);
    return 0;
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
                         vmbed.tiny, vmbed.tiny);
    fprintf(f,
            "name: multihost-vm\n"
            "hosts:\n"
            "  - {name: hv1, underlay: 10.99.0.1, underlay_mtu: %d}\n"
            "  - {name: hv2, underlay: 10.99.0.2, underlay_mtu: %d}\n"
            "networks:\n"
            "  - {name: network1, subnet: 172.16.0.0/24, dhcp: true}\n"
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
    char *log = xasprintf("%s/%s%s/console.log", vmbed.hosts[n - 1].vm_dir,
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
    struct host *h = &vmbed.hosts[vm_host(guest) - 1];
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
    char ns[64];
    bed_guest_ns(b, 2, "ns2", ns, sizeof ns);
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
    free(s);
    return ok;
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
        out = bed_vsctl(b, n, "show", NULL);
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
    char *pidfile = xasprintf("%s/run/qemu/%s%s.pid",
                              vmbed.hosts[n - 1].lv.dir, prefix, guest);
    pid_t pid = sbx_read_pidfile(pidfile);
    char *proc = xasprintf("/proc/%d/ns/net", (int)pid);
    char *netns = xasprintf("/run/netns/%shv%d", b->prefix, n);
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
    if (bed_fabricctl(b, &out, "topology", "apply", "--wait=120", lab, NULL)) {
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

    /* network1 serves DHCP: vm1 and vm2 took their leases from their own
     * host's agent (the lease alone writes resolv.conf in the tiny
     * guest), and the lab's names resolve across hosts and networks. */
    for (size_t i = 0; i < 2; i++) {
        const char *vm = i ? "vm2" : "vm1";
        assert_int_equal(in_guest(b, vm, &out, "cat /etc/resolv.conf"), 0);
        assert_contains(out, "search multihost-vm");
        assert_contains(out, "nameserver 172.16.0.254");
        free(out);
    }
    assert_int_equal(in_guest(b, "vm2", &out, "ip -4 addr show eth0"), 0);
    assert_contains(out, "172.16.0.2/24");
    free(out);
    assert_int_equal(in_guest(b, "vm2", &out, "nslookup vm3"), 0);
    assert_contains(out, "172.17.0.1");
    free(out);

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
    char ns2[64];
    bed_guest_ns(b, 2, "ns2", ns2, sizeof ns2);
    char *want = xasprintf(" mtu %d ", mtu);
    assert_int_equal(
        sbx_runl(&out, "ip", "-n", ns2, "link", "show", "eth0", NULL), 0);
    assert_contains(out, want);
    free(out);
    free(want);
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
        out = bed_vsctl(b, n, "show", NULL);
        assert_contains(out, "type: geneve");
        free(out);
        out = bed_vsctl(b, n, "--columns=external_ids", "list", "interface",
                        NULL);
        assert_contains(out, "vm-id=");
        free(out);
    }

    /* Destroy: no domains left on either host. */
    assert_int_equal(
        bed_fabricctl(b, &out, "topology", "destroy", "--wait=60", NULL), 0);
    free(out);
    for (int n = 1; n <= N_HOSTS; n++) {
        assert_int_equal(sbx_runl(&out, "virsh", "-q", "-c",
                                  vmbed.hosts[n - 1].lv.uri, "list", "--all",
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
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_vms_across_hosts, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
