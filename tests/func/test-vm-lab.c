/* End-to-end tests of VM guests: the classic lab with `kind: vm` guests
 * and a `kind: vm` router, made by fabricd through a real libvirtd and
 * QEMU (TCG here), from tiny guests (scripts/build-tiny-guest) that read
 * the cloud-init seed fabricd writes.
 *
 * The test runs in a network namespace of its own with its own
 * ovsdb-server and ovs-vswitchd, and its own libvirtd in a private mount
 * namespace (tests/lib/libvirtd.h), so a system libvirtd, if any, is never
 * touched.  Domains and namespaces carry a prefix unique to the run.
 * Commands run in the VMs through `fabricctl guest console GUEST --
 * COMMAND`, the serial console fabricd gives each VM. */
#include <dirent.h>
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
#include <jansson.h>

#include "libvirtd.h"
#include "ovsdb-error.h"
#include "sandbox.h"
#include "vm-console.h"
#include "vmtest.h"
#include "vswitchd.h"
#include "xstring.h"

#define FABRICCTL FABRIC_BINARY_DIR "/fabricctl"
#define FABRICD FABRIC_BINARY_DIR "/fabricd"
#define SCHEMA FABRIC_SOURCE_DIR "/ovsdb/fabric.ovsschema"
#define VSWITCH_SCHEMA "/usr/share/openvswitch/vswitch.ovsschema"
#define BUILD_TINY FABRIC_SOURCE_DIR "/scripts/build-tiny-guest"

struct world {
    char *dir;
    struct sbx_ovsdb fabric; /* The fabric DB. */
    struct sbx_ovsdb ovs;    /* This host's Open_vSwitch DB. */
    struct vswitchd vs;
    struct sbx_libvirtd lv;
    pid_t agent;
    char prefix[16]; /* Domain and namespace prefix. */
    char db_opt[512], rundir_opt[512];
    char *tiny; /* The tiny guest's directory. */
    char *vm_dir;
};

static struct world *the_world;

static int
start_agent(struct world *w)
{
    char *db = xasprintf("--db=%s", w->fabric.unix_remote);
    char *ovsdb = xasprintf("--ovsdb=%s", w->ovs.unix_remote);
    char *rundir = xasprintf("--rundir=%s", w->dir);
    char *pidfile = xasprintf("--pidfile=%s/fabricd.pid", w->dir);
    char *logfile = xasprintf("--log-file=%s/fabricd.log", w->dir);
    char *prefix = xasprintf("--netns-prefix=%s", w->prefix);
    char *ovs_rundir = xasprintf("--ovs-rundir=%s", w->dir);
    char *libvirt = xasprintf("--libvirt=%s", w->lv.uri);
    char *vm_dir = xasprintf("--vm-dir=%s", w->vm_dir);
    char *argv[] = {FABRICD,    db,      ovsdb,   "--host=local",
                    rundir,     pidfile, logfile, prefix,
                    ovs_rundir, libvirt, vm_dir,  "--datapath=netdev",
                    "--detach", NULL};
    char *owned[] = {db,     ovsdb,      rundir,  pidfile, logfile,
                     prefix, ovs_rundir, libvirt, vm_dir};
    char *path = sbx_path(w->dir, "fabricd.pid");
    unlink(path);
    int rc = sbx_run(argv, NULL);
    pid_t pid = -1;
    for (int i = 0; !rc && i < 100 && pid < 0; i++) {
        pid = sbx_read_pidfile(path);
        if (pid < 0) {
            usleep(10000);
        }
    }
    free(path);
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++) {
        free(owned[i]);
    }
    if (rc || pid < 0) {
        return rc ? -EIO : pid;
    }
    w->agent = pid;
    sbx_track_pid(pid);
    return 0;
}

/* Destroys and undefines every domain of this run (the agent should
 * have; this is the safety net when a test failed half-way). */
static void
remove_domains(struct world *w)
{
    if (w->lv.uri) {
        sbx_libvirtd_remove_domains(&w->lv, w->prefix);
    }
}

static void
cleanup_at_exit(void)
{
    if (the_world) {
        remove_domains(the_world);
        sbx_libvirtd_stop(&the_world->lv);
    }
}

static int
setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    snprintf(w->prefix, sizeof w->prefix, "fv%d-", (int)getpid() % 100000);
    the_world = w;
    w->dir = sbx_mkdtemp("vmlab");
    chmod(w->dir, 0755); /* QEMU runs as libvirt-qemu. */
    w->tiny = sbx_path(w->dir, "tiny");
    w->vm_dir = sbx_path(w->dir, "vms");
    char *lvdir = sbx_path(w->dir, "libvirt");
    int rc = sbx_runl(NULL, "bash", BUILD_TINY, w->tiny, NULL);
    if (rc) {
        fprintf(stderr, "build-tiny-guest failed (%d)\n", rc);
        return -1;
    }
    sbx_ovsdb_init(&w->fabric, w->dir, "fabric");
    /* "db": libvirt's ovs-vsctl finds OVS_RUNDIR/db.sock. */
    sbx_ovsdb_init(&w->ovs, w->dir, "db");
    if (sbx_ovsdb_create_db(&w->fabric, SCHEMA) ||
        sbx_ovsdb_start(&w->fabric, NULL) ||
        sbx_ovsdb_create_db(&w->ovs, VSWITCH_SCHEMA) ||
        sbx_ovsdb_start(&w->ovs, NULL)) {
        return -1;
    }
    vswitchd_init(&w->vs, w->dir, w->ovs.unix_remote);
    if (vswitchd_db_init(&w->vs) || vswitchd_start(&w->vs) ||
        sbx_libvirtd_start(&w->lv, lvdir, w->dir) || start_agent(w)) {
        free(lvdir);
        return -1;
    }
    free(lvdir);
    snprintf(w->db_opt, sizeof w->db_opt, "--db=%s", w->fabric.unix_remote);
    snprintf(w->rundir_opt, sizeof w->rundir_opt, "--rundir=%s", w->dir);
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
    if (getenv("FABRIC_TEST_HOLD")) {
        /* For a person to look at the lab before it goes. */
        fprintf(stderr, "holding %s for %s s\n", w->dir,
                getenv("FABRIC_TEST_HOLD"));
        sleep(atoi(getenv("FABRIC_TEST_HOLD")));
    }
    if (w->agent) {
        sbx_kill(w->agent, SIGTERM, 5000);
        sbx_untrack_pid(w->agent);
    }
    remove_domains(w);
    sbx_libvirtd_stop(&w->lv);
    vswitchd_clear(&w->vs);
    sbx_ovsdb_clear(&w->ovs);
    sbx_ovsdb_clear(&w->fabric);
    sbx_rmtree(w->dir);
    free(w->dir);
    free(w->tiny);
    free(w->vm_dir);
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

static int
virsh(struct world *w, char **outp, const char *a0, const char *a1)
{
    return sbx_runl(outp, "virsh", "-q", "-c", w->lv.uri, a0, a1, NULL);
}

/* Writes the classic lab with VMs: host00 is a router of kind
 * 'router_kind', host01..host04 tiny VM guests; host04 restarts always.
 * 'image' gives host02 a disk (an overlay of that base). */
static char *
write_lab(struct world *w, const char *router_kind, const char *image)
{
    char *path = sbx_path(w->dir, "vm-lab.yaml");
    FILE *f = fopen(path, "w");
    char *vm = xasprintf("kind: vm\n    memory: 128\n"
                         "    kernel: %s/vmlinuz\n"
                         "    initrd: %s/initrd.img\n"
                         "    cmdline: console=ttyS0 quiet no_timer_check\n",
                         w->tiny, w->tiny);
    fprintf(f, "name: classic-vm-lab\n"
               "networks:\n"
               "  - {name: network1, subnet: 172.16.0.0/24}\n"
               "  - {name: network2, subnet: 172.17.0.0/24, dhcp: true}\n"
               "routers:\n"
               "  - name: host00\n");
    if (!strcmp(router_kind, "vm")) {
        fprintf(f, "    host: local\n    %s", vm);
    } else {
        fprintf(f, "    kind: flows\n");
    }
    fprintf(f, "    interfaces:\n"
               "      - {network: network1, ip: 172.16.0.254}\n"
               "      - {network: network2, ip: 172.17.0.254}\n"
               "guests:\n");
    static const char *const guests[][3] = {
        {"host01", "network1", "172.16.0.1"},
        {"host02", "network1", "172.16.0.2"},
        {"host03", "network2", "172.17.0.1"},
        {"host04", "network2", "172.17.0.2"},
    };
    for (size_t i = 0; i < 4; i++) {
        const char *gw =
            guests[i][1][7] == '1' ? "172.16.0.254" : "172.17.0.254";
        fprintf(f, "  - name: %s\n    %s", guests[i][0], vm);
        if (i == 1 && image) {
            fprintf(f, "    image: %s\n", image);
        }
        if (i == 3) {
            fprintf(f, "    restart: always\n");
        }
        fprintf(f,
                "    interfaces:\n"
                "      - {network: %s, ip: %s/24, gateway: %s}\n",
                guests[i][1], guests[i][2], gw);
    }
    fclose(f);
    free(vm);
    return path;
}

static char *
console_log(struct world *w, const char *guest)
{
    return xasprintf("%s/%s%s/console.log", w->vm_dir, w->prefix, guest);
}

/* Waits until 'guest' printed that it is ready, since 'offset' of its
 * console log. */
static bool
wait_ready(struct world *w, const char *guest, long long offset,
           int timeout_ms)
{
    char *log = console_log(w, guest);
    bool ready = vmt_wait_ready(log, offset, timeout_ms);
    free(log);
    return ready;
}

/* Runs 'command' in VM 'guest' through fabricctl guest console; returns
 * its exit status, with its output in '*outp' if not NULL. */
static int
in_guest(struct world *w, const char *guest, char **outp, const char *command)
{
    return vmt_console(FABRICCTL, w->db_opt, w->rundir_opt, guest, command,
                       outp);
}

/* Pings 'ip' from 'guest', three tries. */
static bool
ping(struct world *w, const char *guest, const char *ip)
{
    char *cmd = xasprintf("ping -c 1 -W 2 %s", ip);
    bool ok = false;
    for (int i = 0; i < 3 && !ok; i++) {
        ok = in_guest(w, guest, NULL, cmd) == 0;
    }
    free(cmd);
    return ok;
}

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

/* The PID of the QEMU process of domain 'guest', or -1. */
static pid_t
qemu_pid(struct world *w, const char *guest)
{
    char *path =
        xasprintf("%s/run/qemu/%s%s.pid", w->lv.dir, w->prefix, guest);
    pid_t pid = sbx_read_pidfile(path);
    free(path);
    return pid;
}

/* The guest's state as `fabricctl --json status` shows it. */
static char *
guest_state(struct world *w, const char *list, const char *guest)
{
    char *out = NULL;
    if (fabricctl(w, &out, "--json", "status", NULL)) {
        free(out);
        return NULL;
    }
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    char *state = NULL;
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(j, list), i, g)
    {
        if (!strcmp(json_string_value(json_object_get(g, "name")), guest)) {
            state = xasprintf("%s (%s)",
                              json_string_value(json_object_get(g, "state")),
                              json_string_value(json_object_get(g, "reason")));
        }
    }
    json_decref(j);
    return state;
}

/* Waits up to 'timeout_ms' for the state of 'guest' to be 'want'. */
static bool
wait_state(struct world *w, const char *list, const char *guest,
           const char *want, int timeout_ms)
{
    long long deadline = sbx_now_ms() + timeout_ms;
    char *state = NULL;
    do {
        free(state);
        state = guest_state(w, list, guest);
        if (state && !strcmp(state, want)) {
            free(state);
            return true;
        }
        usleep(200 * 1000);
    } while (sbx_now_ms() < deadline);
    fprintf(stderr, "%s: state is '%s', not '%s'\n", guest,
            state ? state : "(none)", want);
    free(state);
    return false;
}

static const char *const all_guests[] = {"host01", "host02", "host03",
                                         "host04"};
static const char *const all_ips[] = {"172.16.0.1", "172.16.0.2", "172.17.0.1",
                                      "172.17.0.2"};

static void
test_classic_lab_vms(void **state)
{
    struct world *w = *state;

    /* A domain fabric did not make, with the run's prefix even: it must
     * stay untouched through apply and destroy. */
    char *foreign = xasprintf("%sforeign", w->prefix);
    char *foreign_xml = xasprintf(
        "<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64'>hvm</type></os></domain>",
        foreign);
    char *foreign_path = sbx_path(w->dir, "foreign.xml");
    FILE *f = fopen(foreign_path, "w");
    fputs(foreign_xml, f);
    fclose(f);
    assert_int_equal(virsh(w, NULL, "define", foreign_path), 0);

    /* A base image for host02's disk. */
    char *base = sbx_path(w->dir, "base.qcow2");
    assert_int_equal(sbx_runl(NULL, "qemu-img", "create", "-q", "-f", "qcow2",
                              base, "16M", NULL),
                     0);
    chmod(base, 0644);

    char *lab = write_lab(w, "vm", base);
    long long t0 = sbx_now_ms();
    char *out = NULL;
    if (fabricctl(w, &out, "topology", "apply", "--wait=120", lab, NULL)) {
        dump_diagnostics(w);
        fail_msg("apply failed");
    }
    free(out);
    long long t_applied = sbx_now_ms();
    for (size_t i = 0; i < 4; i++) {
        assert_true(wait_ready(w, all_guests[i], 0, 180000));
    }
    assert_true(wait_ready(w, "host00", 0, 180000));
    long long t_ready = sbx_now_ms();
    fprintf(stderr,
            "classic lab of 5 VMs: applied in %lld ms, every VM "
            "ready after %lld ms\n",
            t_applied - t0, t_ready - t0);

    /* The seed configured each guest: hostname, address, MTU, route. */
    assert_int_equal(in_guest(w, "host03", &out, "hostname"), 0);
    assert_contains(out, "host03");
    free(out);
    assert_int_equal(in_guest(w, "host03", &out, "ip -4 addr show eth0"), 0);
    assert_contains(out, "172.17.0.1/24");
    assert_contains(out, "mtu 1442");
    free(out);
    assert_int_equal(in_guest(w, "host03", &out, "ip route"), 0);
    assert_contains(out, "default via 172.17.0.254");
    free(out);
    /* network2 has dhcp: host03 asked fabricd for all of it, and its
     * DNS server (the router's address) answers the lab's names. */
    assert_int_equal(in_guest(w, "host03", &out, "cat /etc/resolv.conf"), 0);
    assert_contains(out, "search classic-vm-lab");
    assert_contains(out, "nameserver 172.17.0.254");
    free(out);
    char *log = console_log(w, "host03");
    assert_int_equal(sbx_runl(&out, "cat", log, NULL), 0);
    assert_contains(out, "dhcp eth0: 172.17.0.1/24 mtu 1442 router "
                         "172.17.0.254");
    free(out);
    free(log);
    assert_int_equal(in_guest(w, "host03", &out, "nslookup host01"), 0);
    assert_contains(out, "172.16.0.1");
    free(out);
    assert_int_equal(
        in_guest(w, "host00", &out, "cat /proc/sys/net/ipv4/ip_forward"), 0);
    assert_contains(out, "1");
    free(out);

    /* Every guest reaches every other guest, across host00 for the
     * other network. */
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 4; j++) {
            if (i != j && !ping(w, all_guests[i], all_ips[j])) {
                dump_diagnostics(w);
                fail_msg("%s cannot reach %s", all_guests[i], all_ips[j]);
            }
        }
    }
    /* traceroute shows host00 as the one hop between. */
    assert_int_equal(
        in_guest(w, "host01", &out, "traceroute -n -w 2 -q 1 172.17.0.2"), 0);
    assert_contains(out, " 1  172.16.0.254");
    assert_contains(out, " 2  172.17.0.2");
    free(out);

    /* VLAN isolation: host01 with an address of network2 still reaches
     * nobody there directly. */
    assert_int_equal(
        in_guest(w, "host01", NULL, "ip addr add 172.17.0.99/24 dev eth0"), 0);
    assert_int_not_equal(in_guest(w, "host01", NULL,
                                  "ping -c 1 -W 1 -I 172.17.0.99 "
                                  "172.17.0.1"),
                         0);
    assert_int_equal(
        in_guest(w, "host01", NULL, "ip addr del 172.17.0.99/24 dev eth0"), 0);

    /* What libvirt wrote on the VM ports. */
    out = NULL;
    vswitchd_vsctl(&w->vs, &out, "--columns=name,external_ids", "list",
                   "interface", NULL);
    assert_contains(out, "iface-id=");
    assert_contains(out, "attached-mac=");
    assert_contains(out, "vm-id=");
    free(out);

    /* host02's disk is an overlay of the base image. */
    char *overlay =
        xasprintf("%s/%shost02/overlay.qcow2", w->vm_dir, w->prefix);
    assert_int_equal(sbx_runl(&out, "qemu-img", "info", "-U", overlay, NULL),
                     0);
    assert_contains(out, base);
    free(out);

    /* Status: every VM runs. */
    for (size_t i = 0; i < 4; i++) {
        assert_true(
            wait_state(w, "guests", all_guests[i], "running (booted)", 10000));
    }
    assert_true(
        wait_state(w, "router_vms", "host00", "running (booted)", 10000));

    /* Re-apply changes nothing: the same QEMU processes run on. */
    pid_t pids[4];
    for (size_t i = 0; i < 4; i++) {
        pids[i] = qemu_pid(w, all_guests[i]);
        assert_true(pids[i] > 0);
    }
    assert_int_equal(
        fabricctl(w, &out, "topology", "apply", "--wait=60", lab, NULL), 0);
    assert_contains(out, "No changes");
    free(out);
    assert_int_equal(
        fabricctl(w, NULL, w->rundir_opt, "agent", "reconcile", NULL), 0);
    sleep(2);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(qemu_pid(w, all_guests[i]), pids[i]);
    }

    /* Killed from outside: host02 (restart on failure) stays off and
     * says so; host04 (restart always) comes back. */
    long long off04 = 0;
    char *log04 = console_log(w, "host04");
    off04 = vmcon_log_size(log04);
    free(log04);
    char *dom = xasprintf("%shost02", w->prefix);
    assert_int_equal(virsh(w, NULL, "destroy", dom), 0);
    free(dom);
    dom = xasprintf("%shost04", w->prefix);
    assert_int_equal(virsh(w, NULL, "destroy", dom), 0);
    free(dom);
    assert_true(
        wait_state(w, "guests", "host02", "shut off (destroyed)", 20000));
    assert_int_equal(fabricctl(w, &out, "status", NULL), 0);
    assert_contains(out, "shut off (destroyed)");
    free(out);
    assert_true(wait_state(w, "guests", "host04", "running (booted)", 20000));
    assert_true(qemu_pid(w, "host04") != pids[3]);
    assert_true(wait_ready(w, "host04", off04, 180000));
    assert_true(ping(w, "host04", "172.17.0.1"));

    /* The same lab with a flows router: the router VM goes, guests keep
     * running and still reach across host00. */
    free(lab);
    lab = write_lab(w, "flows", base);
    assert_int_equal(
        fabricctl(w, &out, "topology", "apply", "--wait=60", lab, NULL), 0);
    free(out);
    dom = xasprintf("%shost00", w->prefix);
    assert_int_not_equal(virsh(w, &out, "domstate", dom), 0);
    free(out);
    free(dom);
    if (!ping(w, "host01", "172.17.0.2") || !ping(w, "host03", "172.16.0.1")) {
        dump_diagnostics(w);
        fail_msg("no route through the flows router");
    }

    /* Destroy: domains, overlays, seeds and ports go; the base image and
     * the foreign domain stay. */
    assert_int_equal(
        fabricctl(w, &out, "topology", "destroy", "--wait=60", NULL), 0);
    free(out);
    assert_int_equal(virsh(w, &out, "list", "--all"), 0);
    char *own = xasprintf("%shost0", w->prefix);
    bool left = strstr(out, own) != NULL;
    free(own);
    if (left) {
        dump_diagnostics(w);
        fail_msg("domains left after destroy:\n%s", out);
    }
    assert_contains(out, foreign);
    free(out);
    assert_int_not_equal(access(overlay, F_OK), 0);
    assert_int_equal(access(base, F_OK), 0);
    DIR *d = opendir(w->vm_dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        assert_true(e->d_name[0] == '.');
    }
    if (d) {
        closedir(d);
    }
    out = NULL;
    vswitchd_vsctl(&w->vs, &out, "list-br", NULL);
    assert_string_equal(out, "");
    free(out);

    virsh(w, NULL, "undefine", foreign);
    free(overlay);
    free(base);
    free(lab);
    free(foreign);
    free(foreign_xml);
    free(foreign_path);
}

int
main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test-vm-lab: needs root (namespaces, libvirtd)\n");
        return 1;
    }
    if (vswitchd_private_netns() < 0) {
        fprintf(stderr, "test-vm-lab: cannot make a network namespace\n");
        return 1;
    }
    atexit(cleanup_at_exit);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_classic_lab_vms, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
