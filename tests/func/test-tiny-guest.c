/* Functional test of the tiny guest (scripts/build-tiny-guest) and of
 * fabric/vm-console.h on real QEMU guests (needs root and QEMU; skipped
 * otherwise).
 *
 * The guest is built into a sandbox directory, each VM gets a NoCloud
 * seed ISO written here by hand in fabric's formats, and two VMs boot at
 * once under libvirt's embedded QEMU driver (qemu:///embed?root=DIR: no
 * daemon; its event loop runs in a thread of this test).  TCG only, user
 * mode networking, so nothing touches the host's network:
 * - "a", a router: two NICs, the first with an MTU and two routes (one the
 *   default), the second renamed by set-name, with IPv4 and IPv6
 *   addresses and routes (one on-link); user-data that turns forwarding
 *   on.  It pings its gateway (slirp's
 *   10.0.2.2).
 * - "b", a plain guest: one NIC without MTU or routes, user-data that
 *   does not ask for forwarding.
 * Every check runs a command on the serial console with vmcon_run().
 *
 * The embedded driver's QEMU would use virtlogd for the console log; the
 * driver's qemu.conf says stdio_handler = "file" instead.  The domains
 * are destroyed and undefined in the group teardown; the sandbox kills
 * the QEMU processes (by their pidfiles' PIDs) and removes the directory
 * at exit and on signals, so a failed run leaves nothing behind. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "ovsdb-error.h"
#include "sandbox.h"
#include "vm-console.h"

#define BOOT_TIMEOUT_MS 180000
#define CMD_TIMEOUT_MS 30000

struct vm {
    const char *name; /* "a" or "b". */
    const char *nics; /* "MAC ..." of its user-mode NICs. */
    const char *meta_data;
    const char *network_config;
    const char *user_data;
    char *dir; /* DIR/NAME. */
    char *sock, *log, *iso;
    virDomainPtr dom;
    long long started_ms;
};

static struct vm vms[] = {
    {
        .name = "a",
        .nics = "52:54:00:fa:00:01 52:54:00:fa:00:02",
        .meta_data = "instance-id: tiny-a-0000000a\n"
                     "local-hostname: tiny-a\n",
        .network_config = "version: 2\n"
                          "ethernets:\n"
                          "  eth0:\n"
                          "    match:\n"
                          "      macaddress: \"52:54:00:fa:00:01\"\n"
                          "    set-name: eth0\n"
                          "    mtu: 1442\n"
                          "    addresses:\n"
                          "      - 10.0.2.15/24\n"
                          "    routes:\n"
                          "      - to: 0.0.0.0/0\n"
                          "        via: 10.0.2.2\n"
                          "      - to: 10.9.0.0/16\n"
                          "        via: 10.0.2.3\n"
                          "  eth1:\n"
                          "    match:\n"
                          "      macaddress: \"52:54:00:fa:00:02\"\n"
                          "    set-name: lan1\n"
                          "    addresses:\n"
                          "      - 192.168.50.1/24\n"
                          "      - 192.168.51.1/24\n"
                          "      - fd00:0:0:1::1/64\n"
                          "    routes:\n"
                          "      - to: 192.168.8.0/24\n"
                          "        via: 192.168.50.254\n"
                          "      - to: fd00:99::/48\n"
                          "        via: fd00:0:0:1::fe\n"
                          "      - to: 192.168.9.0/24\n"
                          "        scope: link\n",
        .user_data = "#cloud-config\n"
                     "write_files:\n"
                     "  - path: /etc/sysctl.d/90-fabric-router.conf\n"
                     "    content: |\n"
                     "      net.ipv4.ip_forward=1\n"
                     "runcmd:\n"
                     "  - [sysctl, -w, net.ipv4.ip_forward=1]\n",
    },
    {
        .name = "b",
        .nics = "52:54:00:fb:00:01",
        .meta_data = "instance-id: tiny-b-0000000b\n"
                     "local-hostname: tiny-b\n",
        .network_config = "version: 2\n"
                          "ethernets:\n"
                          "  eth0:\n"
                          "    match:\n"
                          "      macaddress: \"52:54:00:fb:00:01\"\n"
                          "    set-name: eth0\n"
                          "    addresses:\n"
                          "      - 10.0.2.16/24\n",
        .user_data = "#cloud-config\n"
                     "runcmd:\n"
                     "  - [sysctl, -w, net.ipv4.ip_forward=0]\n",
    },
};
enum { N_VMS = sizeof vms / sizeof *vms };

static char *skip_reason; /* Why the tests skip, or NULL. */
static char *setup_error; /* Why the VMs are not there, or NULL. */
static char *dir;         /* The sandbox directory. */
static virConnectPtr conn;
static pthread_t event_thread;
static bool event_thread_started;
static volatile bool event_stop;
static int wake_timer = -1;

/* libvirt's event loop. */

static void
wake_up(int timer, void *aux)
{
}

static void *
event_main(void *aux)
{
    while (!event_stop) {
        virEventRunDefaultImpl();
    }
    return NULL;
}

static int
events_start(void)
{
    if (virEventRegisterDefaultImpl() < 0) {
        return -1;
    }
    /* A periodic timer wakes the loop so that it sees 'event_stop'. */
    wake_timer = virEventAddTimeout(100, wake_up, NULL, NULL);
    if (pthread_create(&event_thread, NULL, event_main, NULL)) {
        return -1;
    }
    event_thread_started = true;
    return 0;
}

static void
events_stop(void)
{
    if (event_thread_started) {
        event_stop = true;
        pthread_join(event_thread, NULL);
        event_thread_started = false;
    }
    if (wake_timer >= 0) {
        virEventRemoveTimeout(wake_timer);
        wake_timer = -1;
    }
}

/* Setting up. */

static void
set_error(char **where, const char *fmt, ...)
{
    if (*where) {
        return;
    }
    va_list args;
    va_start(args, fmt);
    if (vasprintf(where, fmt, args) < 0) {
        abort();
    }
    va_end(args);
}

static int
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        set_error(&setup_error, "Cannot write %s.", path);
        return -1;
    }
    fputs(text, f);
    return fclose(f) ? -1 : 0;
}

static char *
domain_xml(const struct vm *vm)
{
    char *nics = strdup("");
    char *macs = strdup(vm->nics);
    for (char *save = NULL, *mac = strtok_r(macs, " ", &save); mac;
         mac = strtok_r(NULL, " ", &save)) {
        char *more = NULL;
        if (asprintf(&more,
                     "%s    <interface type='user'>\n"
                     "      <mac address='%s'/>\n"
                     "      <model type='virtio'/>\n"
                     "    </interface>\n",
                     nics, mac) < 0) {
            abort();
        }
        free(nics);
        nics = more;
    }
    free(macs);

    char *xml = NULL;
    if (asprintf(&xml,
                 "<domain type='qemu'>\n"
                 "  <name>fabt%ld-%s</name>\n"
                 "  <memory unit='MiB'>128</memory>\n"
                 "  <vcpu>1</vcpu>\n"
                 "  <os>\n"
                 "    <type arch='x86_64'>hvm</type>\n"
                 "    <kernel>%s/guest/vmlinuz</kernel>\n"
                 "    <initrd>%s/guest/initrd.img</initrd>\n"
                 "    <cmdline>console=ttyS0 quiet no_timer_check</cmdline>\n"
                 "  </os>\n"
                 "  <on_crash>destroy</on_crash>\n"
                 "  <devices>\n"
                 "    <disk type='file' device='disk'>\n"
                 "      <driver name='qemu' type='raw'/>\n"
                 "      <source file='%s'/>\n"
                 "      <target dev='vda' bus='virtio'/>\n"
                 "      <readonly/>\n"
                 "    </disk>\n"
                 "%s"
                 "    <serial type='unix'>\n"
                 "      <source mode='bind' path='%s'/>\n"
                 "      <log file='%s' append='on'/>\n"
                 "      <target port='0'/>\n"
                 "    </serial>\n"
                 "    <memballoon model='none'/>\n"
                 "    <rng model='virtio'>\n"
                 "      <backend model='random'>/dev/urandom</backend>\n"
                 "    </rng>\n"
                 "  </devices>\n"
                 "</domain>\n",
                 (long)getpid(), vm->name, dir, dir, vm->iso, nics, vm->sock,
                 vm->log) < 0) {
        abort();
    }
    free(nics);
    return xml;
}

/* The seed ISO of 'vm', in fabric's NoCloud format. */
static int
make_seed(struct vm *vm)
{
    const char *names[] = {"meta-data", "user-data", "network-config"};
    const char *texts[] = {vm->meta_data, vm->user_data, vm->network_config};
    char *paths[3];
    int rc = 0;
    for (int i = 0; i < 3; i++) {
        paths[i] = sbx_path(vm->dir, names[i]);
        rc |= write_file(paths[i], texts[i]);
    }
    if (!rc) {
        char *output = NULL;
        rc = sbx_runl(&output, "xorriso", "-as", "genisoimage", "-output",
                      vm->iso, "-volid", "cidata", "-joliet", "-rock",
                      paths[0], paths[1], paths[2], (char *)NULL);
        if (rc) {
            set_error(&setup_error, "xorriso failed: %s", output);
        }
        free(output);
    }
    for (int i = 0; i < 3; i++) {
        free(paths[i]);
    }
    return rc;
}

static int
start_vm(struct vm *vm)
{
    vm->dir = sbx_path(dir, vm->name);
    vm->sock = sbx_path(vm->dir, "console.sock");
    vm->log = sbx_path(vm->dir, "console.log");
    vm->iso = sbx_path(vm->dir, "seed.iso");
    if (mkdir(vm->dir, 0755) || make_seed(vm)) {
        set_error(&setup_error, "Cannot make the seed of VM %s.", vm->name);
        return -1;
    }

    char *xml = domain_xml(vm);
    vm->dom = virDomainDefineXML(conn, xml);
    free(xml);
    vm->started_ms = sbx_now_ms();
    if (!vm->dom || virDomainCreate(vm->dom) < 0) {
        set_error(&setup_error, "Cannot start VM %s: %s", vm->name,
                  virGetLastErrorMessage());
        return -1;
    }

    /* The embedded driver's pidfile, for the sandbox to kill QEMU should
     * this test die before its teardown. */
    char *pidfile = NULL;
    if (asprintf(&pidfile, "%s/libvirt/run/qemu/%s.pid", dir,
                 virDomainGetName(vm->dom)) < 0) {
        abort();
    }
    pid_t pid = sbx_read_pidfile(pidfile);
    if (pid > 0) {
        sbx_track_pid(pid);
    }
    free(pidfile);
    return 0;
}

static int
setup(void **state)
{
    if (geteuid()) {
        skip_reason = "needs root";
        return 0;
    }
    if (access("/usr/bin/qemu-system-x86_64", X_OK) ||
        access("/usr/bin/xorriso", X_OK)) {
        skip_reason = "needs qemu-system-x86 and xorriso";
        return 0;
    }

    umask(022);
    dir = sbx_mkdtemp("tiny");
    if (!dir) {
        set_error(&setup_error, "Cannot make a sandbox directory.");
        return 0;
    }
    /* libvirt's QEMU may run as another user: it must reach every file. */
    chmod(dir, 0755);

    char *script = sbx_path(FABRIC_SOURCE_DIR, "scripts/build-tiny-guest");
    char *guest = sbx_path(dir, "guest");
    char *output = NULL;
    long long t0 = sbx_now_ms();
    int rc = sbx_runl(&output, script, guest, (char *)NULL);
    if (rc) {
        set_error(&setup_error, "build-tiny-guest failed: %s", output);
    } else {
        printf("%s(%lld ms)\n", output, sbx_now_ms() - t0);
    }
    free(output);
    free(script);
    free(guest);
    if (rc) {
        return 0;
    }

    char *conf = NULL;
    if (asprintf(&conf, "%s/libvirt/etc", dir) < 0) {
        abort();
    }
    sbx_runl(NULL, "mkdir", "-p", conf, (char *)NULL);
    char *conf_file = sbx_path(conf, "qemu.conf");
    rc = write_file(conf_file, "stdio_handler = \"file\"\n");
    free(conf_file);
    free(conf);
    if (rc) {
        return 0;
    }

    if (events_start()) {
        set_error(&setup_error, "Cannot start libvirt's event loop.");
        return 0;
    }
    char *uri = NULL;
    if (asprintf(&uri, "qemu:///embed?root=%s/libvirt", dir) < 0) {
        abort();
    }
    t0 = sbx_now_ms();
    conn = virConnectOpen(uri);
    if (!conn) {
        set_error(&setup_error, "Cannot open %s: %s", uri,
                  virGetLastErrorMessage());
    } else {
        printf("%s opened in %lld ms\n", uri, sbx_now_ms() - t0);
    }
    free(uri);
    for (size_t i = 0; conn && i < N_VMS; i++) {
        if (start_vm(&vms[i])) {
            break;
        }
    }
    return 0;
}

static int
teardown(void **state)
{
    for (size_t i = 0; i < N_VMS; i++) {
        struct vm *vm = &vms[i];
        if (vm->dom) {
            virDomainDestroy(vm->dom);
            virDomainUndefine(vm->dom);
            virDomainFree(vm->dom);
            vm->dom = NULL;
        }
        free(vm->dir);
        free(vm->sock);
        free(vm->log);
        free(vm->iso);
    }
    if (conn) {
        virConnectClose(conn);
        conn = NULL;
    }
    events_stop();
    if (dir) {
        sbx_rmtree(dir);
        free(dir);
        dir = NULL;
    }
    free(setup_error);
    return 0;
}

/* Checks. */

static void
need_vms(void)
{
    if (skip_reason) {
        printf("skipped: %s\n", skip_reason);
        skip();
    }
    if (setup_error) {
        fail_msg("%s", setup_error);
    }
}

/* Runs 'command' on 'vm' and returns its output (new string); fails the
 * test unless it exits with 'want_status'. */
static char *
run(const struct vm *vm, const char *command, int want_status)
{
    char *output = NULL;
    int status = -1;
    struct ovsdb_error *error = NULL;
    if (vmcon_run(vm->sock, command, CMD_TIMEOUT_MS, &output, &status,
                  &error)) {
        fail_msg("VM %s: %s", vm->name, error->msg);
    }
    if (status != want_status) {
        fail_msg("VM %s: `%s` exited with %d, not %d: %s", vm->name, command,
                 status, want_status, output);
    }
    return output;
}

static void
check_contains(const struct vm *vm, const char *command, const char *want)
{
    char *output = run(vm, command, 0);
    if (!strstr(output, want)) {
        fail_msg("VM %s: `%s` printed no \"%s\":\n%s", vm->name, command, want,
                 output);
    }
    free(output);
}

static void
check_output(const struct vm *vm, const char *command, const char *want)
{
    char *output = run(vm, command, 0);
    assert_string_equal(output, want);
    free(output);
}

static void
test_boot(void **state)
{
    need_vms();
    for (size_t i = 0; i < N_VMS; i++) {
        struct vm *vm = &vms[i];
        struct ovsdb_error *error = NULL;
        if (vmcon_wait_log(vm->log, "fabric-tiny: ready", BOOT_TIMEOUT_MS,
                           &error)) {
            fail_msg("VM %s: %s", vm->name, error->msg);
        }
        printf("VM %s: fabric-tiny: ready %.1f s after start\n", vm->name,
               (sbx_now_ms() - vm->started_ms) / 1000.0);
    }

    /* Nothing went wrong while the network was configured. */
    for (size_t i = 0; i < N_VMS; i++) {
        char *output = run(&vms[i], "cat /proc/cmdline", 0);
        assert_non_null(strstr(output, "console=ttyS0"));
        free(output);
        FILE *f = fopen(vms[i].log, "r");
        assert_non_null(f);
        char line[512];
        while (fgets(line, sizeof line, f)) {
            bool ours = !strncmp(line, "fabric-tiny: ", 13);
            if (!strncmp(line, "ip: ", 4) ||
                (ours && (strstr(line, "cannot") || strstr(line, " no ") ||
                          strstr(line, " not ")))) {
                fail_msg("VM %s printed: %s", vms[i].name, line);
            }
        }
        fclose(f);
    }
}

static void
test_hostname(void **state)
{
    need_vms();
    check_output(&vms[0], "hostname", "tiny-a\n");
    check_output(&vms[1], "hostname", "tiny-b\n");
}

static void
test_addresses(void **state)
{
    need_vms();
    check_contains(&vms[0], "ip -4 addr show eth0", "mtu 1442");
    check_contains(&vms[0], "ip -4 addr show eth0", "inet 10.0.2.15/24");
    check_contains(&vms[0], "ip link show eth0", "52:54:00:fa:00:01");
    /* set-name renamed the second NIC. */
    check_contains(&vms[0], "ip link show lan1", "52:54:00:fa:00:02");
    check_contains(&vms[0], "ip -4 addr show lan1", "inet 192.168.50.1/24");
    check_contains(&vms[0], "ip -4 addr show lan1", "inet 192.168.51.1/24");
    check_contains(&vms[0], "ip -6 addr show lan1", "inet6 fd00:0:0:1::1/64");
    check_contains(&vms[0], "ip link show lan1", ",UP,");

    check_contains(&vms[1], "ip -4 addr show eth0", "mtu 1500");
    check_contains(&vms[1], "ip -4 addr show eth0", "inet 10.0.2.16/24");
}

static void
test_routes(void **state)
{
    need_vms();
    check_contains(&vms[0], "ip route", "default via 10.0.2.2 dev eth0");
    check_contains(&vms[0], "ip route", "10.9.0.0/16 via 10.0.2.3 dev eth0");
    check_contains(&vms[0], "ip route",
                   "192.168.8.0/24 via 192.168.50.254 dev lan1");
    /* A route without via: is on-link. */
    check_contains(&vms[0], "ip route", "192.168.9.0/24 dev lan1");
    check_contains(&vms[0], "ip -6 route",
                   "fd00:99::/48 via fd00:0:0:1::fe dev lan1");
    char *output = run(&vms[1], "ip route", 0);
    assert_null(strstr(output, "default"));
    assert_non_null(strstr(output, "10.0.2.0/24 dev eth0"));
    free(output);
}

static void
test_forwarding(void **state)
{
    need_vms();
    check_output(&vms[0], "cat /proc/sys/net/ipv4/ip_forward", "1\n");
    check_output(&vms[1], "cat /proc/sys/net/ipv4/ip_forward", "0\n");
}

static void
test_ping_and_status(void **state)
{
    need_vms();
    check_contains(&vms[0], "ping -c 1 -W 5 10.0.2.2", "1 packets received");
    /* vmcon_run() reports a failing command's status. */
    char *output = run(&vms[1], "ls /no-such-file", 1);
    assert_non_null(strstr(output, "No such file"));
    free(output);
    check_contains(&vms[1], "which traceroute", "traceroute");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boot),
        cmocka_unit_test(test_hostname),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_forwarding),
        cmocka_unit_test(test_ping_and_status),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
