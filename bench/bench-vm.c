/* bench-vm: the classic lab as VMs, from `fabricctl topology apply --wait`
 * to every VM reachable, against the same VMs started by hand, in one run.
 *
 *   bench-vm [--router=vm|flows|both] [--repeat N] [--keep]
 *            [--bin-dir DIR] [--source-dir DIR]
 *
 * The lab: network1 and network2, guests host01..host04 as tiny VMs
 * (scripts/build-tiny-guest, 128 MiB, direct kernel boot, TCG, with
 * no_timer_check: a guest starved of CPU on a loaded host otherwise may
 * panic with "IO-APIC + timer doesn't work!"), and
 * router host00, a VM too (--router=vm, the default) or fabric's flows
 * router (--router=flows).  One private ovsdb-server + ovs-vswitchd in a
 * network namespace of this process, one private libvirtd
 * (tests/lib/libvirtd.h), and fabricd with --libvirt and --vm-dir, as
 * tests/func/test-vm-lab.c runs them.
 *
 * What is measured, per VM, on one wall clock (fabricd logs in UTC with
 * milliseconds; ports and flows come from `ovsdb-client monitor` and
 * `ovs-ofctl monitor`, read as they print; files are looked at every
 * 20 ms; BENCH_VM_DEBUG=1 shows the monitors' lines):
 *   seed    the first file of its cloud-init seed written (fabricd's work
 *           for this VM starts);
 *   define  fabricd logs "defining VM" (seed ISO built; libvirt's define
 *           and start follow, one VM after the other);
 *   qemu    libvirt's pidfile of its QEMU (the process is up);
 *   port    its OVS interface has an ofport (the latest of its NICs);
 *   flows   a flow for in_port=OFPORT is added (the latest of its NICs);
 *   ready   the guest printed `fabric-tiny: ready` on its console log;
 *   reach   it first answered a ping from another guest of its network
 *           (`ping -c 1 -W 1` on the peer's serial console, repeated; the
 *           peer must be ready itself).
 * and `apply --wait` returning.  The breakdown:
 *   fabric's own = apply to the first VM's seed (control plane) + each
 *     VM's seed and overlay (seed to define) + last port plugged to flows
 *     in; libvirt = define to the next VM's seed (define and start, port
 *     plugging included; for the last VM, to fabricd's next log line);
 *     boot = qemu to ready.  Goal: fabric's own under 5% of the total
 *     (apply to every VM reachable).  Also shown: each port's wait from
 *     plugged to flows in, which includes the libvirt starts of the VMs
 *     after it (fabricd installs flows once every port is bound).
 * Baseline, in the same run: the same domains (fabric's XML from `virsh
 * dumpxml --inactive`, without fabric's metadata and UUID, with the seed
 * ISOs fabric built, VLAN tags per network added) defined and started by
 * hand, `virsh define` + `virsh start` one VM after the other, on a
 * bridge with NORMAL switching, the way a person does it; the same
 * polling and pings.  Repeats alternate which goes first.
 * Memory, once every VM is reachable: each QEMU's VmRSS, fabricd's VmRSS
 * and VmHWM, and libvirtd's VmRSS, divided per VM.
 *
 * Rules of the benchmark:
 * - Every figure is printed with its ratio to the baseline of the same run.
 * - Domains are named "bvPID-GUEST" (fabricd's prefix) and "bhPID-GUEST"
 *   (by hand); everything lives in this run's sandbox folder.  An atexit()
 *   handler and handlers for SIGINT, SIGTERM and SIGHUP remove the domains
 *   and stop libvirtd, QEMU and the daemons, even when a run fails.
 * - Forked children (pings, the by-hand driver) leave with _exit(), never
 *   running the sandbox's exit handlers.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libvirtd.h"
#include "sandbox.h"
#include "vm-console.h"
#include "vswitchd.h"
#include "xstring.h"

#define MAX_VMS 5
#define MAX_PORTS 16
#define MAX_OFPORT 1024
#define MAX_REPEAT 10
#define POLL_MS 20
#define RUN_DEADLINE_MS 420000
#define PING_DEADLINE_MS 120000
#define GOAL_SHARE 0.05

struct options {
    bool router_vm, router_flows;
    int repeat;
    bool keep;
    char *bin_dir, *source_dir;
};

/* One VM of the lab as a run saw it; times in ms since the epoch, 0 when
 * not seen. */
struct vm {
    const char *name;
    char domain[48];
    int n_nics;
    int nets[2];       /* 1 or 2. */
    char ports[2][24]; /* OVS interface names (XML <target dev>). */
    double t_seed, t_define, t_started, t_qemu, t_port, t_flows, t_ready,
        t_reach;
    long rss_kib;
};

struct port_seen {
    char name[24];
    long ofport;
    double t_port, t_flows;
};

/* One run: fabricd's or the one by hand. */
struct run {
    bool ok, by_hand, router_vm;
    int n;
    struct vm vms[MAX_VMS];
    double t0, t_apply, t_cross;
    long fabricd_rss_kib, fabricd_hwm_kib, libvirtd_rss_kib;
    double destroy_ms;
    struct port_seen ports[MAX_PORTS]; /* Every OVS port seen. */
    int n_ports;
};

struct bench {
    char *dir, *tiny, *vm_dir, *hand_dir, *xml_dir;
    char *fabricd, *fabricctl, *schema, *build_tiny;
    char prefix[16], hand_prefix[16];
    struct sbx_ovsdb fabric, ovs;
    struct vswitchd vs;
    struct sbx_libvirtd lv;
    pid_t agent;
    char db_opt[600];
    bool have_xml;   /* xml_dir holds the lab's domains for the baseline. */
    bool xml_router; /* ... with the router VM. */
};

static struct bench *the_bench;

static double
wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
mtime_ms(const struct stat *st)
{
    return st->st_mtim.tv_sec * 1e3 + st->st_mtim.tv_nsec / 1e6;
}

static char *
read_file(const char *path)
{
    char *out = NULL;
    FILE *f = fopen(path, "r");
    if (f) {
        size_t len = 0;
        FILE *m = open_memstream(&out, &len);
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            fwrite(buf, 1, n, m);
        }
        fclose(m);
        fclose(f);
    }
    return out;
}

static bool
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        return false;
    }
    fputs(text, f);
    return fclose(f) == 0;
}

/* The lab. */

static const struct {
    const char *name, *ip, *peer, *router_ip;
    int net;
} lab_guests[] = {
    {"host01", "172.16.0.1", "host02", "172.16.0.254", 1},
    {"host02", "172.16.0.2", "host01", "172.16.0.254", 1},
    {"host03", "172.17.0.1", "host04", "172.17.0.254", 2},
    {"host04", "172.17.0.2", "host03", "172.17.0.254", 2},
};

/* Fills 'r' with the VMs of the lab: the router first when it is a VM. */
static void
run_init(struct run *r, const struct bench *b, bool router_vm, bool by_hand)
{
    memset(r, 0, sizeof *r);
    r->router_vm = router_vm;
    r->by_hand = by_hand;
    const char *prefix = by_hand ? b->hand_prefix : b->prefix;
    if (router_vm) {
        struct vm *v = &r->vms[r->n++];
        v->name = "host00";
        v->n_nics = 2;
        v->nets[0] = 1;
        v->nets[1] = 2;
    }
    for (size_t i = 0; i < 4; i++) {
        struct vm *v = &r->vms[r->n++];
        v->name = lab_guests[i].name;
        v->n_nics = 1;
        v->nets[0] = lab_guests[i].net;
    }
    for (int i = 0; i < r->n; i++) {
        snprintf(r->vms[i].domain, sizeof r->vms[i].domain, "%s%s", prefix,
                 r->vms[i].name);
    }
}

static struct vm *
find_vm(struct run *r, const char *name)
{
    for (int i = 0; i < r->n; i++) {
        if (!strcmp(r->vms[i].name, name)) {
            return &r->vms[i];
        }
    }
    return NULL;
}

/* The folder of VM 'v''s files (seed, console) in run 'r'. */
static char *
vm_files_dir(const struct bench *b, const struct run *r, const struct vm *v)
{
    return r->by_hand ? xasprintf("%s/%s", b->hand_dir, v->name)
                      : xasprintf("%s/%s", b->vm_dir, v->domain);
}

static char *
write_lab(const struct bench *b, bool router_vm)
{
    char *path = sbx_path(b->dir, "vm-lab.yaml");
    FILE *f = fopen(path, "w");
    char *vm = xasprintf("kind: vm\n    memory: 128\n"
                         "    kernel: %s/vmlinuz\n"
                         "    initrd: %s/initrd.img\n"
                         "    cmdline: console=ttyS0 quiet no_timer_check\n",
                         b->tiny, b->tiny);
    fprintf(f, "name: classic-vm-lab\n"
               "networks:\n"
               "  - {name: network1, subnet: 172.16.0.0/24}\n"
               "  - {name: network2, subnet: 172.17.0.0/24}\n"
               "routers:\n"
               "  - name: host00\n");
    if (router_vm) {
        fprintf(f, "    host: local\n    %s", vm);
    } else {
        fprintf(f, "    kind: flows\n");
    }
    fprintf(f, "    interfaces:\n"
               "      - {network: network1, ip: 172.16.0.254}\n"
               "      - {network: network2, ip: 172.17.0.254}\n"
               "guests:\n");
    for (size_t i = 0; i < 4; i++) {
        fprintf(f,
                "  - name: %s\n    %s"
                "    interfaces:\n"
                "      - {network: network%d, ip: %s/24, gateway: %s}\n",
                lab_guests[i].name, vm, lab_guests[i].net, lab_guests[i].ip,
                lab_guests[i].router_ip);
    }
    fclose(f);
    free(vm);
    return path;
}

/* Daemons and clean-up. */

static int
virsh(const struct bench *b, char **outp, const char *a0, const char *a1,
      const char *a2)
{
    return sbx_runl(outp, "virsh", "-q", "-c", b->lv.uri, a0, a1, a2, NULL);
}

/* Destroys and undefines every domain of this run. */
static void
remove_domains(const struct bench *b)
{
    char *out = NULL;
    if (!b->lv.uri || virsh(b, &out, "list", "--all", "--name") != 0 || !out) {
        free(out);
        return;
    }
    for (char *save, *line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (!strncmp(line, b->prefix, strlen(b->prefix)) ||
            !strncmp(line, b->hand_prefix, strlen(b->hand_prefix))) {
            virsh(b, NULL, "destroy", line, NULL);
            virsh(b, NULL, "undefine", line, NULL);
        }
    }
    free(out);
}

static void
bench_down(struct bench *b)
{
    if (b->agent > 0) {
        sbx_kill(b->agent, SIGTERM, 5000);
        sbx_untrack_pid(b->agent);
        b->agent = 0;
    }
    remove_domains(b);
    sbx_libvirtd_stop(&b->lv);
    vswitchd_clear(&b->vs);
    sbx_ovsdb_clear(&b->ovs);
    sbx_ovsdb_clear(&b->fabric);
}

static void
cleanup_at_exit(void)
{
    if (the_bench) {
        struct bench *b = the_bench;
        the_bench = NULL;
        bench_down(b);
    }
}

static void (*next_handler[NSIG])(int);

static void
cleanup_on_signal(int sig)
{
    /* Not async-signal-safe, like the sandbox's own handler: a benchmark
     * interrupted by hand must not leave QEMU processes behind. */
    cleanup_at_exit();
    if (next_handler[sig] && next_handler[sig] != SIG_DFL &&
        next_handler[sig] != SIG_IGN) {
        next_handler[sig](sig);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int
start_agent(struct bench *b)
{
    char *db = xasprintf("--db=%s", b->fabric.unix_remote);
    char *ovsdb = xasprintf("--ovsdb=%s", b->ovs.unix_remote);
    char *rundir = xasprintf("--rundir=%s", b->dir);
    char *pidfile = xasprintf("--pidfile=%s/fabricd.pid", b->dir);
    char *logfile = xasprintf("--log-file=%s/fabricd.log", b->dir);
    char *prefix = xasprintf("--netns-prefix=%s", b->prefix);
    char *ovs_rundir = xasprintf("--ovs-rundir=%s", b->dir);
    char *libvirt = xasprintf("--libvirt=%s", b->lv.uri);
    char *vm_dir = xasprintf("--vm-dir=%s", b->vm_dir);
    char *argv[] = {b->fabricd, db,      ovsdb,   "--host=local",
                    rundir,     pidfile, logfile, prefix,
                    ovs_rundir, libvirt, vm_dir,  "--datapath=netdev",
                    "--detach", NULL};
    char *owned[] = {db,     ovsdb,      rundir,  pidfile, logfile,
                     prefix, ovs_rundir, libvirt, vm_dir};
    char *path = sbx_path(b->dir, "fabricd.pid");
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
        fprintf(stderr, "bench-vm: fabricd did not start\n");
        return -EIO;
    }
    b->agent = pid;
    sbx_track_pid(pid);
    return 0;
}

static int
bench_up(struct bench *b)
{
    char *lvdir = sbx_path(b->dir, "libvirt");
    int rc = sbx_runl(NULL, "bash", b->build_tiny, b->tiny, NULL);
    if (rc) {
        fprintf(stderr, "bench-vm: build-tiny-guest failed (%d)\n", rc);
        free(lvdir);
        return -1;
    }
    sbx_ovsdb_init(&b->fabric, b->dir, "fabric");
    /* "db": libvirt's ovs-vsctl finds OVS_RUNDIR/db.sock. */
    sbx_ovsdb_init(&b->ovs, b->dir, "db");
    vswitchd_init(&b->vs, b->dir, b->ovs.unix_remote);
    rc = (sbx_ovsdb_create_db(&b->fabric, b->schema) ||
          sbx_ovsdb_start(&b->fabric, NULL) ||
          sbx_ovsdb_create_db(&b->ovs,
                              "/usr/share/openvswitch/vswitch.ovsschema") ||
          sbx_ovsdb_start(&b->ovs, NULL) || vswitchd_db_init(&b->vs) ||
          vswitchd_start(&b->vs) ||
          sbx_libvirtd_start(&b->lv, lvdir, b->dir) || start_agent(b))
             ? -1
             : 0;
    free(lvdir);
    snprintf(b->db_opt, sizeof b->db_opt, "--db=%s", b->fabric.unix_remote);
    return rc;
}

/* Polling. */

#define MAX_PINGS 8

/* One ping from a VM to an address, for the first answer of 'to' (a VM
 * of the run, or "cross" for the other network across host00). */
struct ping {
    const char *from, *to, *ip;
};

struct watch {
    struct port_seen *ports; /* The run's. */
    int n_ports;
    struct ping pings[MAX_PINGS];
    int n_pings;
    pid_t pids[MAX_PINGS]; /* Ping children. */
    bool started[MAX_PINGS];
    int pings_left;
    double flows_at[MAX_OFPORT]; /* First flow seen for in_port=N. */
};

static struct port_seen *
port_find(struct watch *w, const char *name, bool create)
{
    for (int i = 0; i < w->n_ports; i++) {
        if (!strcmp(w->ports[i].name, name)) {
            return &w->ports[i];
        }
    }
    if (!create || w->n_ports >= MAX_PORTS) {
        return NULL;
    }
    struct port_seen *p = &w->ports[w->n_ports++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    return p;
}

/* A monitor: a child that prints what changes, one line at a time
 * (`ovsdb-client monitor` for the ports, `ovs-ofctl monitor` for the
 * flows), read as it comes, so that nothing is polled by starting
 * programs every few milliseconds, which would slow down what is
 * measured. */
struct monitor {
    pid_t pid;
    int fd;
    char buf[65536];
    size_t len;
};

static bool
monitor_start(struct monitor *m, char *const argv[], const char *rundir)
{
    int fds[2];
    memset(m, 0, sizeof *m);
    m->fd = -1;
    if (pipe(fds) < 0) {
        return false;
    }
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        setenv("OVS_RUNDIR", rundir, 1); /* ovs-ofctl's control socket. */
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return false;
    }
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    m->pid = pid;
    m->fd = fds[0];
    return true;
}

static void
monitor_stop(struct monitor *m)
{
    if (m->pid > 0) {
        kill(m->pid, SIGTERM);
        waitpid(m->pid, NULL, 0);
    }
    if (m->fd >= 0) {
        close(m->fd);
    }
    memset(m, 0, sizeof *m);
    m->fd = -1;
}

/* Calls 'line_cb' for every whole line the monitor printed so far. */
static void
monitor_read(struct monitor *m, struct watch *w, double now,
             void (*line_cb)(struct watch *, char *, double))
{
    for (;;) {
        if (m->fd < 0 || m->len >= sizeof m->buf - 1) {
            m->len = 0; /* A line too long for us: not one we want. */
        }
        ssize_t n = m->fd < 0 ? 0
                              : read(m->fd, m->buf + m->len,
                                     sizeof m->buf - 1 - m->len);
        if (n <= 0) {
            return;
        }
        m->len += n;
        m->buf[m->len] = '\0';
        char *start = m->buf, *nl;
        while ((nl = strchr(start, '\n'))) {
            *nl = '\0';
            if (getenv("BENCH_VM_DEBUG")) {
                fprintf(stderr, "monitor %d: %s\n", (int)m->pid, start);
            }
            line_cb(w, start, now);
            start = nl + 1;
        }
        m->len -= start - m->buf;
        memmove(m->buf, start, m->len);
    }
}

/* A line of `ovsdb-client --format=csv --data=bare monitor ... Interface
 * name,ofport`: "UUID,ACTION,NAME,OFPORT". */
static void
port_line(struct watch *w, char *line, double now)
{
    char *fields[4];
    int n = 0;
    for (char *p = line; n < 4; n++) {
        fields[n] = p;
        p = strchr(p, ',');
        if (!p) {
            n++;
            break;
        }
        *p++ = '\0';
    }
    if (n < 4 || !fields[2][0]) {
        return;
    }
    long ofport = atol(fields[3]);
    if (ofport > 0 && ofport < 65279) {
        struct port_seen *p = port_find(w, fields[2], true);
        if (p && !p->t_port) {
            p->t_port = now;
            p->ofport = ofport;
        }
    }
}

/* A line of `ovs-ofctl monitor BRIDGE watch:`: a flow added (or there at
 * the start) that matches in_port=N. */
static void
flow_line(struct watch *w, char *line, double now)
{
    if (!strstr(line, "event=ADDED") && !strstr(line, "event=INITIAL") &&
        !strstr(line, "event=MODIFIED")) {
        return;
    }
    const char *p = strstr(line, "in_port=");
    long ofport = p ? atol(p + strlen("in_port=")) : 0;
    if (ofport > 0 && ofport < MAX_OFPORT && !w->flows_at[ofport]) {
        w->flows_at[ofport] = now;
    }
}

static bool
file_has(const char *path, const char *text)
{
    char *s = read_file(path);
    bool found = s && strstr(s, text);
    free(s);
    return found;
}

/* The earliest mtime of the files in 'dir', or 0. */
static double
earliest_mtime(const char *dir)
{
    static const char *const names[] = {"user-data", "meta-data",
                                        "network-config"};
    double t = 0;
    for (size_t i = 0; i < 3; i++) {
        char *path = xasprintf("%s/%s", dir, names[i]);
        struct stat st;
        if (!stat(path, &st) && (!t || mtime_ms(&st) < t)) {
            t = mtime_ms(&st);
        }
        free(path);
    }
    return t;
}

/* Pings. */

/* The pings of run 'r': each guest from its peer, host00 from host02,
 * and host01 to host04 across host00 when something routes. */
static int
run_pings(const struct run *r, struct ping pings[MAX_PINGS])
{
    int n = 0;
    for (size_t i = 0; i < 4; i++) {
        pings[n++] = (struct ping){lab_guests[i].peer, lab_guests[i].name,
                                   lab_guests[i].ip};
    }
    if (r->router_vm) {
        pings[n++] = (struct ping){"host02", "host00", "172.16.0.254"};
    }
    if (r->router_vm || !r->by_hand) {
        pings[n++] = (struct ping){"host01", "cross", "172.17.0.2"};
    }
    return n;
}

/* Returns true if ping 'p' can start: both ends are ready. */
static bool
ping_ready(struct run *r, const struct ping *p)
{
    struct vm *from = find_vm(r, p->from);
    struct vm *to = find_vm(r, strcmp(p->to, "cross") ? p->to : "host04");
    struct vm *router = find_vm(r, "host00");
    if (!strcmp(p->to, "cross") && router && !router->t_ready) {
        return false;
    }
    return from && to && from->t_ready && to->t_ready;
}

/* In a child: pings 'ip' on the serial console 'sock' until it answers,
 * and writes the time of the first answer to 'out' ("0" when it never
 * did).  QEMU serves one console client at a time: two of these on one
 * console take turns. */
static void
ping_child(const char *sock, const char *ip, const char *out)
{
    char *cmd = xasprintf("ping -c 1 -W 1 %s", ip);
    double deadline = wall_ms() + PING_DEADLINE_MS, t = 0;
    while (!t && wall_ms() < deadline) {
        int status = -1;
        if (vmcon_run(sock, cmd, 5000, NULL, &status, NULL) == 0 &&
            status == 0) {
            t = wall_ms();
        }
    }
    free(cmd);
    FILE *f = fopen(out, "w");
    if (f) {
        fprintf(f, "%.3f\n", t);
        fclose(f);
    }
}

static char *
ping_out(const struct bench *b, int idx)
{
    return xasprintf("%s/ping-%d", b->dir, idx);
}

static pid_t
start_ping(struct bench *b, struct run *r, const struct ping *p, int idx)
{
    char *dir = vm_files_dir(b, r, find_vm(r, p->from));
    char *sock = xasprintf("%s/console.sock", dir);
    char *out = ping_out(b, idx);
    unlink(out);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        ping_child(sock, p->ip, out);
        _exit(0);
    }
    free(dir);
    free(sock);
    free(out);
    return pid;
}

static void
read_pings(struct bench *b, struct run *r)
{
    struct ping pings[MAX_PINGS];
    int n = run_pings(r, pings);
    for (int i = 0; i < n; i++) {
        char *path = ping_out(b, i);
        FILE *f = fopen(path, "r");
        double t = 0;
        if (f && fscanf(f, "%lf", &t) == 1) {
            struct vm *to = find_vm(r, pings[i].to);
            if (to) {
                to->t_reach = t;
            } else {
                r->t_cross = t;
            }
        }
        if (f) {
            fclose(f);
        }
        unlink(path);
        free(path);
    }
}

/* Watches run 'r' while 'driver' (fabricctl apply, or the script by
 * hand) runs, until every VM answered its pings.  Returns true if they
 * all did. */
static bool
watch_run(struct bench *b, struct run *r, pid_t driver, const char *bridge)
{
    struct watch w;
    memset(&w, 0, sizeof w);
    w.ports = r->ports;
    w.n_pings = run_pings(r, w.pings);
    char *lvqemu = xasprintf("%s/run/qemu", b->lv.dir);
    char *mgmt_path = xasprintf("%s/%s.mgmt", b->dir, bridge);
    char *mgmt = xasprintf("unix:%s", mgmt_path);
    char *ports_argv[] = {"ovsdb-client", "--format=csv",
                          "--data=bare",  "--no-headings",
                          "monitor",      b->ovs.unix_remote,
                          "Open_vSwitch", "Interface",
                          "name,ofport",  NULL};
    char *flows_argv[] = {"ovs-ofctl", "monitor", mgmt, "watch:", NULL};
    struct monitor ports_mon, flows_mon;
    monitor_start(&ports_mon, ports_argv, b->dir);
    memset(&flows_mon, 0, sizeof flows_mon);
    flows_mon.fd = -1;
    double deadline = wall_ms() + RUN_DEADLINE_MS;
    bool driver_ok = true;
    bool done = false;
    while (!done && wall_ms() < deadline) {
        double now = wall_ms();
        int status;
        if (driver > 0 && waitpid(driver, &status, WNOHANG) == driver) {
            r->t_apply = now;
            driver_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            driver = 0;
            if (!driver_ok) {
                fprintf(stderr, "bench-vm: %s failed (status %d)\n",
                        r->by_hand ? "virsh define/start" : "apply", status);
                break;
            }
        }
        if (!r->by_hand && !flows_mon.pid && !access(mgmt_path, F_OK)) {
            monitor_start(&flows_mon, flows_argv, b->dir);
        }
        monitor_read(&ports_mon, &w, now, port_line);
        monitor_read(&flows_mon, &w, now, flow_line);
        for (int i = 0; i < r->n; i++) {
            struct vm *v = &r->vms[i];
            char *dir = vm_files_dir(b, r, v);
            if (!v->t_seed && !r->by_hand) {
                char *seed = xasprintf("%s/seed", dir);
                v->t_seed = earliest_mtime(seed);
                free(seed);
            }
            if (!v->t_qemu) {
                char *pidfile = xasprintf("%s/%s.pid", lvqemu, v->domain);
                struct stat st;
                if (!stat(pidfile, &st) && st.st_size > 0) {
                    v->t_qemu = mtime_ms(&st);
                }
                free(pidfile);
            }
            if (!v->t_ready) {
                char *log = xasprintf("%s/console.log", dir);
                if (file_has(log, "fabric-tiny: ready")) {
                    v->t_ready = now;
                }
                free(log);
            }
            free(dir);
        }
        bool all_pinged = true;
        for (int i = 0; i < w.n_pings; i++) {
            if (!w.started[i] && ping_ready(r, &w.pings[i])) {
                w.started[i] = true;
                w.pids[i] = start_ping(b, r, &w.pings[i], i);
                w.pings_left += w.pids[i] > 0;
            }
            if (w.pids[i] > 0 &&
                waitpid(w.pids[i], &status, WNOHANG) == w.pids[i]) {
                w.pids[i] = 0;
                w.pings_left--;
            }
            all_pinged &= w.started[i];
        }
        done = all_pinged && !w.pings_left && !driver;
        if (!done) {
            /* Wakes up for a monitor's line at once, else every
             * POLL_MS for the files. */
            struct pollfd pfds[2] = {{.fd = ports_mon.fd, .events = POLLIN},
                                     {.fd = flows_mon.fd, .events = POLLIN}};
            poll(pfds, 2, POLL_MS);
        }
    }
    for (int i = 0; i < w.n_pings; i++) {
        if (w.pids[i] > 0) {
            kill(w.pids[i], SIGKILL);
            waitpid(w.pids[i], NULL, 0);
        }
    }
    if (driver > 0) {
        kill(driver, SIGKILL);
        waitpid(driver, NULL, 0);
        fprintf(stderr, "bench-vm: the run did not end within %d s\n",
                RUN_DEADLINE_MS / 1000);
        driver_ok = false;
    }
    monitor_read(&ports_mon, &w, wall_ms(), port_line);
    monitor_read(&flows_mon, &w, wall_ms(), flow_line);
    monitor_stop(&ports_mon);
    monitor_stop(&flows_mon);
    /* With NORMAL switching a port forwards once it has an ofport. */
    for (int i = 0; i < w.n_ports; i++) {
        struct port_seen *p = &w.ports[i];
        p->t_flows = r->by_hand               ? p->t_port
                     : p->ofport < MAX_OFPORT ? w.flows_at[p->ofport]
                                              : 0;
        if (p->t_flows && p->t_flows < p->t_port) {
            p->t_flows = p->t_port; /* Both in one read. */
        }
    }
    free(lvqemu);
    free(mgmt_path);
    free(mgmt);
    read_pings(b, r);

    r->n_ports = w.n_ports;
    return driver_ok && done;
}

/* Gives each VM of 'r' the times of its ports (the latest of its NICs)
 * and checks that each was seen through to the end.  Returns true if
 * so. */
static bool
finish_run(struct run *r)
{
    struct watch w;
    memset(&w, 0, sizeof w);
    w.ports = r->ports;
    w.n_ports = r->n_ports;
    bool ok = true;
    /* Each VM's ports: the latest to get an ofport, and to get flows. */
    for (int i = 0; i < r->n; i++) {
        struct vm *v = &r->vms[i];
        for (int j = 0; j < v->n_nics; j++) {
            struct port_seen *p = port_find(&w, v->ports[j], false);
            if (p && p->t_port > v->t_port) {
                v->t_port = p->t_port;
            }
            if (p && p->t_flows > v->t_flows) {
                v->t_flows = p->t_flows;
            }
            if (!p || !p->t_flows) {
                v->t_flows = 0;
                break;
            }
        }
        if (!v->t_ready || !v->t_reach || !v->t_flows || !v->t_qemu) {
            fprintf(stderr, "bench-vm: %s: %s\n", v->domain,
                    !v->t_qemu    ? "no QEMU"
                    : !v->t_flows ? "no flows"
                    : !v->t_ready ? "never ready"
                                  : "never answered a ping");
            ok = false;
        }
    }
    return ok;
}

/* Fills the port names of 'v' from its domain XML: the <target dev>
 * of each <interface>. */
static void
xml_ports(struct vm *v, const char *xml)
{
    const char *p = xml;
    for (int j = 0; p && j < v->n_nics; j++) {
        p = strstr(p, "<interface");
        p = p ? strstr(p, "<target dev='") : NULL;
        if (p) {
            p += strlen("<target dev='");
            snprintf(v->ports[j], sizeof v->ports[j], "%.*s",
                     (int)strcspn(p, "'"), p);
        }
    }
}

/* The port names of each VM, from its domain XML. */
static void
read_ports(struct bench *b, struct run *r)
{
    for (int i = 0; i < r->n; i++) {
        struct vm *v = &r->vms[i];
        char *xml = NULL;
        if (virsh(b, &xml, "dumpxml", "--inactive", v->domain) == 0 && xml) {
            xml_ports(v, xml);
        }
        free(xml);
    }
}

/* fabricd's log: "defining VM" of each VM, and the line after the last
 * one (libvirt's start of the last VM has returned by then). */
static void
read_agent_log(struct bench *b, struct run *r)
{
    char *path = sbx_path(b->dir, "fabricd.log");
    char *log = read_file(path);
    free(path);
    struct vm *last = NULL;
    for (char *save, *line = log ? strtok_r(log, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        char *rest = strptime(line, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!rest || *rest != '.') {
            continue;
        }
        double t = timegm(&tm) * 1e3 + atoi(rest + 1);
        if (t < r->t0 - 1) {
            continue;
        }
        if (last) {
            last->t_started = t;
            last = NULL;
        }
        for (int i = 0; i < r->n; i++) {
            struct vm *v = &r->vms[i];
            char *want = xasprintf("defining VM %s", v->domain);
            char *at = strstr(line, want);
            size_t len = strlen(want);
            free(want);
            if (at && (at[len] == '\0' || at[len] == ' ') && !v->t_define) {
                v->t_define = t;
                last = v;
            }
        }
    }
    free(log);
    /* Each VM's start ends where the next VM's seed begins. */
    for (int i = 0; i < r->n; i++) {
        struct vm *v = &r->vms[i], *next = NULL;
        for (int j = 0; j < r->n; j++) {
            struct vm *u = &r->vms[j];
            if (u->t_seed >= v->t_define &&
                (!next || u->t_seed < next->t_seed) && u != v) {
                next = u;
            }
        }
        if (next && v->t_define) {
            v->t_started = next->t_seed;
        }
    }
}

static long
proc_status_kib(pid_t pid, const char *field)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    char line[256];
    long kib = 0;
    size_t len = strlen(field);
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, field, len) && line[len] == ':') {
            kib = atol(line + len + 1);
        }
    }
    if (f) {
        fclose(f);
    }
    return kib;
}

static void
read_memory(struct bench *b, struct run *r)
{
    for (int i = 0; i < r->n; i++) {
        char *path =
            xasprintf("%s/run/qemu/%s.pid", b->lv.dir, r->vms[i].domain);
        pid_t pid = sbx_read_pidfile(path);
        r->vms[i].rss_kib = pid > 0 ? proc_status_kib(pid, "VmRSS") : 0;
        free(path);
    }
    if (!r->by_hand && b->agent > 0) {
        r->fabricd_rss_kib = proc_status_kib(b->agent, "VmRSS");
        r->fabricd_hwm_kib = proc_status_kib(b->agent, "VmHWM");
    }
    char *path = xasprintf("%s/libvirtd.pid", b->lv.dir);
    pid_t pid = sbx_read_pidfile(path);
    r->libvirtd_rss_kib = pid > 0 ? proc_status_kib(pid, "VmRSS") : 0;
    free(path);
}

/* The baseline's domain XML: fabric's, without its UUID and metadata,
 * renamed, with the files in the by-hand folder, on 'bridge', with a VLAN
 * tag per network. */
static char *
hand_xml(const struct bench *b, const struct vm *v, const char *xml,
         const char *fabric_domain, const char *bridge)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    char *old_dir = xasprintf("%s/%s/", b->vm_dir, fabric_domain);
    char *new_dir = xasprintf("%s/%s/", b->hand_dir, v->name);
    int nic = 0;
    bool in_meta = false;
    char *copy = strdup(xml);
    for (char *save, *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strstr(line, "<metadata>")) {
            in_meta = true;
        }
        if (in_meta) {
            in_meta = !strstr(line, "</metadata>");
            continue;
        }
        if (strstr(line, "<uuid>")) {
            continue;
        }
        if (strstr(line, "<name>")) {
            fprintf(f, "  <name>%s</name>\n", v->domain);
            continue;
        }
        if (strstr(line, "<source bridge=")) {
            fprintf(f, "      <source bridge='%s'/>\n", bridge);
            if (!strstr(xml, "<vlan") && nic < v->n_nics) {
                fprintf(f,
                        "      <vlan>\n        <tag id='%d'/>\n"
                        "      </vlan>\n",
                        v->nets[nic]);
            }
            nic++;
            continue;
        }
        for (char *p = line; *p;) {
            if (!strncmp(p, old_dir, strlen(old_dir))) {
                fputs(new_dir, f);
                p += strlen(old_dir);
            } else {
                fputc(*p++, f);
            }
        }
        fputc('\n', f);
    }
    fclose(f);
    free(copy);
    free(old_dir);
    free(new_dir);
    return out;
}

/* Keeps what the baseline needs of fabric's lab: each domain's XML and
 * seed ISO. */
static void
save_for_baseline(struct bench *b, struct run *r)
{
    mkdir(b->xml_dir, 0755);
    mkdir(b->hand_dir, 0755);
    for (int i = 0; i < r->n; i++) {
        struct vm *v = &r->vms[i];
        char *xml = NULL;
        char *path = xasprintf("%s/%s.xml", b->xml_dir, v->name);
        char *src = xasprintf("%s/%s/seed.iso", b->vm_dir, v->domain);
        char *dst = xasprintf("%s/%s.iso", b->xml_dir, v->name);
        if (virsh(b, &xml, "dumpxml", "--inactive", v->domain) == 0 && xml) {
            struct vm hv = *v;
            snprintf(hv.domain, sizeof hv.domain, "%s%s", b->hand_prefix,
                     v->name);
            char *text = hand_xml(b, &hv, xml, v->domain, "br-hand");
            write_text(path, text);
            free(text);
        }
        sbx_runl(NULL, "cp", src, dst, NULL);
        free(xml);
        free(path);
        free(src);
        free(dst);
    }
    b->have_xml = true;
    b->xml_router = r->router_vm;
}

/* The runs. */

static bool
run_fabric(struct bench *b, struct run *r, bool router_vm)
{
    run_init(r, b, router_vm, false);
    char *lab = write_lab(b, router_vm);
    char *wait = xasprintf("--wait=%d", RUN_DEADLINE_MS / 1000);
    char *out = sbx_path(b->dir, "apply.out");
    r->t0 = wall_ms();
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(b->fabricctl, b->fabricctl, b->db_opt, "topology", "apply", wait,
              lab, (char *)NULL);
        _exit(127);
    }
    /* watch_run() records OVS ports by name, whatever they are; the
     * domains' port names are read afterwards. */
    bool ok = pid > 0;
    ok = ok && watch_run(b, r, pid, "br-int");
    read_ports(b, r);
    ok = finish_run(r) && ok;
    read_agent_log(b, r);
    if (!ok) {
        char *text = read_file(out);
        fprintf(stderr, "bench-vm: apply said:\n%s\n", text ? text : "");
        free(text);
    }
    free(lab);
    free(wait);
    free(out);
    return ok;
}

/* Removes fabric's lab (fabricctl topology destroy --wait). */
static bool
destroy_fabric(struct bench *b, struct run *r)
{
    double t = wall_ms();
    char *out = NULL;
    int rc = sbx_runl(&out, b->fabricctl, b->db_opt, "topology", "destroy",
                      "--wait=120", NULL);
    r->destroy_ms = wall_ms() - t;
    if (rc) {
        fprintf(stderr, "bench-vm: destroy failed:\n%s\n", out ? out : "");
    }
    free(out);
    return rc == 0;
}

/* In a child: defines and starts each VM with virsh, one after the
 * other, and writes when each define began and each start returned. */
static void
hand_driver(struct bench *b, struct run *r)
{
    char *times = sbx_path(b->dir, "hand-times");
    FILE *f = fopen(times, "w");
    int rc = 0;
    for (int i = 0; i < r->n && !rc; i++) {
        char *xml = xasprintf("%s/%s.xml", b->xml_dir, r->vms[i].name);
        double t_define = wall_ms();
        rc = virsh(b, NULL, "define", xml, NULL);
        rc = rc ? rc : virsh(b, NULL, "start", r->vms[i].domain, NULL);
        fprintf(f, "%s %.3f %.3f\n", r->vms[i].name, t_define, wall_ms());
        free(xml);
    }
    fclose(f);
    free(times);
    _exit(rc ? 1 : 0);
}

static bool
run_hand(struct bench *b, struct run *r, bool router_vm)
{
    run_init(r, b, router_vm, true);
    for (int i = 0; i < r->n; i++) {
        struct vm *v = &r->vms[i];
        char *dir = vm_files_dir(b, r, v);
        char *log = xasprintf("%s/console.log", dir);
        char *src = xasprintf("%s/%s.iso", b->xml_dir, v->name);
        char *dst = xasprintf("%s/seed.iso", dir);
        mkdir(dir, 0755);
        unlink(log);
        sbx_runl(NULL, "cp", src, dst, NULL);
        free(dir);
        free(log);
        free(src);
        free(dst);
    }
    vswitchd_vsctl(&b->vs, NULL, "--may-exist", "add-br", "br-hand", "--",
                   "set", "bridge", "br-hand", "datapath_type=netdev", NULL);
    for (int i = 0; i < r->n; i++) {
        char *path = xasprintf("%s/%s.xml", b->xml_dir, r->vms[i].name);
        char *xml = read_file(path);
        if (xml) {
            xml_ports(&r->vms[i], xml);
        }
        free(xml);
        free(path);
    }
    r->t0 = wall_ms();
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        hand_driver(b, r);
    }
    bool ok = pid > 0 && watch_run(b, r, pid, "br-hand");
    ok = finish_run(r) && ok;
    char *times = sbx_path(b->dir, "hand-times");
    FILE *f = fopen(times, "r");
    char name[16];
    double t_define, t_started;
    while (f && fscanf(f, "%15s %lf %lf", name, &t_define, &t_started) == 3) {
        struct vm *v = find_vm(r, name);
        if (v) {
            v->t_define = v->t_seed = t_define;
            v->t_started = t_started;
        }
    }
    if (f) {
        fclose(f);
    }
    free(times);
    read_memory(b, r);
    for (int i = 0; i < r->n; i++) {
        virsh(b, NULL, "destroy", r->vms[i].domain, NULL);
        virsh(b, NULL, "undefine", r->vms[i].domain, NULL);
    }
    vswitchd_vsctl(&b->vs, NULL, "--if-exists", "del-br", "br-hand", NULL);
    return ok;
}

/* Output. */

static double
secs(double t, double t0)
{
    return t > 0 ? (t - t0) / 1e3 : 0;
}

static double
last_reach(const struct run *r)
{
    double t = 0;
    for (int i = 0; i < r->n; i++) {
        t = r->vms[i].t_reach > t ? r->vms[i].t_reach : t;
    }
    return t;
}

static double
last_ready(const struct run *r)
{
    double t = 0;
    for (int i = 0; i < r->n; i++) {
        t = r->vms[i].t_ready > t ? r->vms[i].t_ready : t;
    }
    return t;
}

/* The breakdown of a run on its critical path, in seconds. */
struct breakdown {
    double control;   /* Apply to the first VM's seed. */
    double prep;      /* Seeds and overlays, every VM. */
    double libvirt;   /* Define and start, every VM. */
    double flows;     /* Last port plugged to the last flows in. */
    double own;       /* control + prep + flows. */
    double boot_max;  /* Slowest QEMU start to ready. */
    double port_wait; /* Longest port plugged to its flows in. */
    double total;     /* Apply to every VM reachable. */
};

static struct breakdown
run_breakdown(const struct run *r)
{
    struct breakdown k;
    memset(&k, 0, sizeof k);
    double first_seed = 0, last_port = 0, last_flows = 0, last_start = 0;
    for (int i = 0; i < r->n; i++) {
        const struct vm *v = &r->vms[i];
        if (v->t_seed && (!first_seed || v->t_seed < first_seed)) {
            first_seed = v->t_seed;
        }
        k.prep +=
            v->t_define && v->t_seed ? (v->t_define - v->t_seed) / 1e3 : 0;
        k.libvirt += v->t_started && v->t_define
                         ? (v->t_started - v->t_define) / 1e3
                         : 0;
        last_port = v->t_port > last_port ? v->t_port : last_port;
        last_flows = v->t_flows > last_flows ? v->t_flows : last_flows;
        last_start = v->t_started > last_start ? v->t_started : last_start;
        double boot = (v->t_ready - v->t_qemu) / 1e3;
        k.boot_max = boot > k.boot_max ? boot : k.boot_max;
        double wait = (v->t_flows - v->t_port) / 1e3;
        k.port_wait = wait > k.port_wait ? wait : k.port_wait;
    }
    k.control = first_seed ? (first_seed - r->t0) / 1e3 : 0;
    double plugged = last_port > last_start ? last_port : last_start;
    k.flows = last_flows > plugged ? (last_flows - plugged) / 1e3 : 0;
    k.own = r->by_hand ? 0 : k.control + k.prep + k.flows;
    k.total = secs(last_reach(r), r->t0);
    return k;
}

static void
print_run(const struct run *r, int repeat)
{
    const char *who =
        r->by_hand ? "by hand (virsh, NORMAL switching)" : "fabricd";
    printf("\n%s, router %s, run %d: %s in %.2f s%s\n", who,
           r->router_vm ? "VM" : "flows", repeat,
           r->by_hand ? "virsh define + start of every VM"
                      : "apply --wait returned",
           secs(r->t_apply, r->t0), r->ok ? "" : " (FAILED)");
    printf("  s since %-9s %6s %6s %6s %6s %6s %6s %6s %6s | %6s %6s "
           "%6s %6s %6s\n",
           r->by_hand ? "start" : "apply", "seed", "define", "start'd", "qemu",
           "port", "flows", "ready", "reach", "prep", "libvrt", "wait", "boot",
           "net");
    for (int i = 0; i < r->n; i++) {
        const struct vm *v = &r->vms[i];
        printf("  %-17s %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f %6.2f | "
               "%6.2f %6.2f %6.2f %6.2f %6.2f\n",
               v->name, secs(v->t_seed, r->t0), secs(v->t_define, r->t0),
               secs(v->t_started, r->t0), secs(v->t_qemu, r->t0),
               secs(v->t_port, r->t0), secs(v->t_flows, r->t0),
               secs(v->t_ready, r->t0), secs(v->t_reach, r->t0),
               secs(v->t_define, v->t_seed), secs(v->t_started, v->t_define),
               secs(v->t_flows, v->t_port), secs(v->t_ready, v->t_qemu),
               secs(v->t_reach, v->t_ready));
    }
    printf("  prep: seed to define (fabricd's seed ISO); libvrt: define to "
           "start returned;\n  wait: port plugged to its flows in; boot: "
           "QEMU up to ready; net: ready to reached\n");
    if (r->t_cross) {
        printf("  host01 reached host04 across host00 at %.2f s\n",
               secs(r->t_cross, r->t0));
    }
    if (!r->by_hand) {
        printf("  topology destroy --wait: %.2f s\n", r->destroy_ms / 1e3);
    }
}

static double
median(double *v, int n)
{
    for (int i = 1; i < n; i++) {
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    }
    return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}

static void
print_summary(struct run *fab, struct run *hand, int n, bool router_vm)
{
    double total[MAX_REPEAT], own[MAX_REPEAT], control[MAX_REPEAT],
        prep[MAX_REPEAT], lv[MAX_REPEAT], flows[MAX_REPEAT], boot[MAX_REPEAT],
        wait[MAX_REPEAT], htotal[MAX_REPEAT], hlv[MAX_REPEAT],
        hboot[MAX_REPEAT], ready[MAX_REPEAT], hready[MAX_REPEAT];
    int nf = 0, nh = 0;
    for (int i = 0; i < n; i++) {
        if (fab[i].ok) {
            struct breakdown k = run_breakdown(&fab[i]);
            total[nf] = k.total;
            own[nf] = k.own;
            control[nf] = k.control;
            prep[nf] = k.prep;
            lv[nf] = k.libvirt;
            flows[nf] = k.flows;
            boot[nf] = k.boot_max;
            wait[nf] = k.port_wait;
            ready[nf++] = secs(last_ready(&fab[i]), fab[i].t0);
        }
        if (hand[i].ok) {
            struct breakdown k = run_breakdown(&hand[i]);
            htotal[nh] = k.total;
            hlv[nh] = k.libvirt;
            hboot[nh] = k.boot_max;
            hready[nh++] = secs(last_ready(&hand[i]), hand[i].t0);
        }
    }
    int vms = router_vm ? 5 : 4;
    printf("\nSummary, router %s (%d VMs), median of %d fabricd and %d "
           "by-hand runs\n",
           router_vm ? "VM" : "flows", vms, nf, nh);
    if (!nf) {
        printf("  no fabricd run succeeded\n");
        return;
    }
    double t = median(total, nf), o = median(own, nf);
    printf("  %-48s %8.2f s\n", "apply to every VM reachable", t);
    printf("  %-48s %8.2f s\n", "apply to every VM ready", median(ready, nf));
    printf("  %-48s %8.3f s  fabric\n", "  apply to the first VM's seed",
           median(control, nf));
    printf("  %-48s %8.3f s  fabric\n", "  seeds and overlays (every VM)",
           median(prep, nf));
    printf("  %-48s %8.3f s  fabric\n", "  last port plugged to flows in",
           median(flows, nf));
    printf("  %-48s %8.3f s  libvirt\n", "  define + start (every VM)",
           median(lv, nf));
    printf("  %-48s %8.2f s  guest\n", "  boot, QEMU up to ready (slowest)",
           median(boot, nf));
    printf("  %-48s %8.2f s\n", "  longest wait of a port for its flows",
           median(wait, nf));
    printf("  fabric's own: %.3f s = %.2f%% of the total (goal < %.0f%%: "
           "%s)\n",
           o, 100 * o / t, GOAL_SHARE * 100,
           o / t < GOAL_SHARE ? "met" : "NOT met");
    if (nh) {
        double h = median(htotal, nh);
        printf("  by hand: every VM reachable after %.2f s (ready %.2f s; "
               "define + start %.3f s; slowest boot %.2f s)\n",
               h, median(hready, nh), median(hlv, nh), median(hboot, nh));
        printf("  fabricd / by hand: %.2fx (%+.2f s); define + start, "
               "fabricd / by hand: %.2fx\n",
               t / h, t - h,
               median(hlv, nh) ? median(lv, nf) / median(hlv, nh) : 0);
    }
    long qemu = 0, qemu_hand = 0;
    int nq = 0, nqh = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < fab[i].n && fab[i].ok; j++) {
            qemu += fab[i].vms[j].rss_kib;
            nq++;
        }
        for (int j = 0; j < hand[i].n && hand[i].ok; j++) {
            qemu_hand += hand[i].vms[j].rss_kib;
            nqh++;
        }
    }
    const struct run *last = &fab[n - 1];
    printf("  memory per VM: QEMU VmRSS %.1f MiB (by hand %.1f MiB, %.2fx); "
           "fabricd VmRSS %.1f MiB in all\n  (%.2f MiB per VM, VmHWM %.1f "
           "MiB); libvirtd VmRSS %.1f MiB (%.2f MiB per VM)\n",
           nq ? qemu / 1024.0 / nq : 0, nqh ? qemu_hand / 1024.0 / nqh : 0,
           nqh && qemu_hand ? (double)qemu * nqh / qemu_hand / nq : 0,
           last->fabricd_rss_kib / 1024.0,
           last->fabricd_rss_kib / 1024.0 / vms,
           last->fabricd_hwm_kib / 1024.0, last->libvirtd_rss_kib / 1024.0,
           last->libvirtd_rss_kib / 1024.0 / vms);
}

static void
print_header(const char *source_dir)
{
    char date[64], cpu[128] = "unknown";
    char *commit = NULL, *qemu = NULL;
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
    sbx_runl(&qemu, "qemu-system-x86_64", "--version", NULL);
    if (qemu) {
        qemu[strcspn(qemu, "\n")] = '\0';
    }
    if (sbx_runl(&commit, "git", "-C", source_dir, "log", "-1",
                 "--format=%h %ad", "--date=iso", NULL)) {
        free(commit);
        commit = strdup("unknown");
    }
    commit[strcspn(commit, "\n")] = '\0';
    printf("bench-vm: the classic lab as VMs, apply to reachable, against "
           "the same VMs by hand\n");
    printf("date:    %s\n", date);
    printf("machine: %ld CPUs, %s, Linux %s\n", sysconf(_SC_NPROCESSORS_ONLN),
           cpu, u.release);
    printf("load:    %.2f %.2f %.2f before the run\n", load[0], load[1],
           load[2]);
    printf("qemu:    %s, TCG, tiny guests of 128 MiB\n",
           qemu ? qemu : "unknown");
    printf("source:  %s\n", commit);
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
    printf("build:   optimized\n");
#else
    printf("build:   NOT optimized or with sanitizers\n");
#endif
    free(qemu);
    free(commit);
}

/* Main. */

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

/* The source folder named in 'bin_dir''s CMakeCache.txt, or NULL. */
static char *
source_from_cache(const char *bin_dir)
{
    char *path = xasprintf("%s/CMakeCache.txt", bin_dir);
    char *text = read_file(path);
    free(path);
    char *dir = NULL;
    const char *key = "fabric_SOURCE_DIR:STATIC=";
    char *p = text ? strstr(text, key) : NULL;
    if (p) {
        p += strlen(key);
        dir = strndup(p, strcspn(p, "\n"));
    }
    free(text);
    return dir;
}

static void
usage(void)
{
    printf("usage: bench-vm [--router=vm|flows|both] [--repeat N] [--keep]\n"
           "                [--bin-dir DIR] [--source-dir DIR]\n"
           "The classic lab as tiny VMs: time from topology apply --wait to\n"
           "every VM reachable, fabric's share of it, and the same VMs\n"
           "started by hand.  --keep leaves fabric's lab running at the\n"
           "end until Enter is pressed.  Needs root.\n");
}

int
main(int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"router", required_argument, NULL, 'r'},
        {"repeat", required_argument, NULL, 'n'},
        {"keep", no_argument, NULL, 'k'},
        {"bin-dir", required_argument, NULL, 'b'},
        {"source-dir", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct options o = {.router_vm = true, .repeat = 1};
    int c;
    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case 'r':
            o.router_vm = !strcmp(optarg, "vm") || !strcmp(optarg, "both");
            o.router_flows =
                !strcmp(optarg, "flows") || !strcmp(optarg, "both");
            if (!o.router_vm && !o.router_flows) {
                usage();
                return 2;
            }
            break;
        case 'n':
            o.repeat = atoi(optarg);
            break;
        case 'k':
            o.keep = true;
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
    if (optind != argc || o.repeat < 1 || o.repeat > MAX_REPEAT) {
        usage();
        return 2;
    }
    if (geteuid() != 0) {
        fprintf(stderr, "bench-vm: needs root (namespaces, libvirtd)\n");
        return 1;
    }
    if (!o.bin_dir) {
        o.bin_dir = self_dir();
    }
    if (!o.source_dir) {
        o.source_dir = source_from_cache(o.bin_dir);
    }
    if (!o.source_dir && asprintf(&o.source_dir, "%s/..", o.bin_dir) < 0) {
        abort();
    }

    struct bench b;
    memset(&b, 0, sizeof b);
    b.fabricd = sbx_path(o.bin_dir, "fabricd");
    b.fabricctl = sbx_path(o.bin_dir, "fabricctl");
    b.schema = sbx_path(o.source_dir, "ovsdb/fabric.ovsschema");
    b.build_tiny = sbx_path(o.source_dir, "scripts/build-tiny-guest");
    if (access(b.fabricd, X_OK) || access(b.fabricctl, X_OK) ||
        access(b.schema, R_OK) || access(b.build_tiny, R_OK)) {
        fprintf(stderr, "bench-vm: build fabricd and fabricctl, or use "
                        "--bin-dir and --source-dir\n");
        return 1;
    }
    if (vswitchd_private_netns() < 0) {
        fprintf(stderr, "bench-vm: cannot make a network namespace\n");
        return 1;
    }
    snprintf(b.prefix, sizeof b.prefix, "bv%d-", (int)getpid() % 100000);
    snprintf(b.hand_prefix, sizeof b.hand_prefix, "bh%d-",
             (int)getpid() % 100000);
    b.dir = sbx_mkdtemp("vmbench");
    if (!b.dir) {
        return 1;
    }
    chmod(b.dir, 0755); /* QEMU runs as libvirt-qemu. */
    b.tiny = sbx_path(b.dir, "tiny");
    b.vm_dir = sbx_path(b.dir, "vms");
    b.hand_dir = sbx_path(b.dir, "hand");
    b.xml_dir = sbx_path(b.dir, "xml");
    the_bench = &b;
    atexit(cleanup_at_exit);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        next_handler[sigs[i]] = signal(sigs[i], cleanup_on_signal);
    }

    print_header(o.source_dir);
    int rc = 1;
    if (bench_up(&b)) {
        goto out;
    }
    printf("sandbox: %s\n", b.dir);
    bool all_ok = true;
    for (int mode = 0; mode < 2; mode++) {
        bool router_vm = mode == 0;
        if (router_vm ? !o.router_vm : !o.router_flows) {
            continue;
        }
        struct run fab[MAX_REPEAT], hand[MAX_REPEAT];
        memset(fab, 0, sizeof fab);
        memset(hand, 0, sizeof hand);
        b.have_xml = false;
        for (int i = 0; i < o.repeat; i++) {
            /* Odd runs go by hand first (once fabric's XML is known). */
            bool hand_first = i % 2 == 1 && b.have_xml;
            if (hand_first) {
                hand[i].ok = run_hand(&b, &hand[i], router_vm);
                print_run(&hand[i], i + 1);
            }
            fab[i].ok = run_fabric(&b, &fab[i], router_vm);
            if (fab[i].ok) {
                read_memory(&b, &fab[i]);
            }
            if (fab[i].ok && !b.have_xml) {
                save_for_baseline(&b, &fab[i]);
            }
            bool destroyed = destroy_fabric(&b, &fab[i]);
            print_run(&fab[i], i + 1);
            if (!destroyed) {
                all_ok = false;
                break;
            }
            if (!hand_first && b.have_xml) {
                hand[i].ok = run_hand(&b, &hand[i], router_vm);
                print_run(&hand[i], i + 1);
            }
            all_ok &= fab[i].ok && hand[i].ok;
        }
        print_summary(fab, hand, o.repeat, router_vm);
        if (o.keep && (router_vm ? !o.router_flows : true)) {
            char *lab = write_lab(&b, router_vm);
            char *out = NULL;
            sbx_runl(&out, b.fabricctl, b.db_opt, "topology", "apply",
                     "--wait=120", lab, NULL);
            free(out);
            free(lab);
            printf("\nThe lab runs (--keep): sandbox %s, libvirt %s,\n"
                   "OVS --db=unix:%s/db.sock, fabricctl %s.\n"
                   "Press Enter to take it down.\n",
                   b.dir, b.lv.uri, b.dir, b.db_opt);
            getchar();
        }
    }
    rc = all_ok ? 0 : 1;

out:
    cleanup_at_exit();
    free(b.fabricd);
    free(b.fabricctl);
    free(b.schema);
    free(b.build_tiny);
    free(b.tiny);
    free(b.vm_dir);
    free(b.hand_dir);
    free(b.xml_dir);
    free(o.bin_dir);
    free(o.source_dir);
    return rc;
}
