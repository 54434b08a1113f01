/* fabricd: the fabric agent, one per host.
 *
 *   fabricd --db=REMOTE --ovsdb=REMOTE --host=NAME [--rundir=DIR]
 *           [--bridge=br-int] [--datapath=auto|system|netdev]
 *           [--netns-prefix=PREFIX] [--underlay-interface=DEV
 *           [--underlay-bridge=NAME]] [--libvirt=URI] [--vm-dir=DIR]
 *           [--domain-type=auto|kvm|qemu] [--dns-upstream=IP[:PORT]]
 *           [--detach] [--pidfile=FILE]
 *           [--log-file=FILE] [--verbose] [TLS options]
 *
 * The main parses options, daemonizes, and runs the event loop; the agent
 * itself is agent.c and its control socket agent-ctl.c.  Leaving does not
 * tear anything down: guests, ports and the underlay bridge stay as they
 * are, and the next fabricd converges from there.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent-ctl.h"
#include "agent.h"
#include "log.h"

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: fabricd --db=REMOTE --ovsdb=REMOTE --host=NAME "
            "[OPTIONS]\n"
            "  --db=REMOTE            fabric DB (or $FABRIC_DB)\n"
            "  --ovsdb=REMOTE         this host's Open_vSwitch DB "
            "(default unix:$OVS_RUNDIR/db.sock)\n"
            "  --host=NAME            this host's name in the lab\n"
            "  --rundir=DIR           control socket and state "
            "(default $FABRIC_RUNDIR or /run/fabric)\n"
            "  --bridge=NAME          integration bridge (default br-int)\n"
            "  --datapath=TYPE        auto, system or netdev (default auto)\n"
            "  --netns-prefix=PREFIX  guest namespace prefix (default fab-)\n"
            "  --pipeline=flows|normal  fabric's OpenFlow pipeline (default)"
            " or NORMAL\n"
            "  --ovs-rundir=DIR       where BRIDGE.mgmt is (default "
            "$OVS_RUNDIR)\n"
            "  --underlay-interface=DEV\n"
            "                         put DEV on an OVS bridge and move its "
            "IPv4\n"
            "                         addresses and routes onto the bridge\n"
            "  --underlay-bridge=NAME that bridge (default br-underlay)\n"
            "  --libvirt=URI          libvirt for VMs (default "
            "qemu:///system)\n"
            "  --vm-dir=DIR           VMs' disks, seeds and consoles "
            "(default\n"
            "                         /var/lib/fabric/vms)\n"
            "  --domain-type=TYPE     auto, kvm or qemu (default auto: kvm "
            "when it works)\n"
            "  --dns-upstream=IP[:PORT]  resolver for names outside the lab"
            "\n"
            "                         (default: /etc/resolv.conf's first)\n"
            "  --detach --pidfile=FILE --log-file=FILE --verbose\n"
            "  --private-key=FILE --certificate=FILE --ca-cert=FILE\n");
}

static void
on_signal(evutil_socket_t sig, short what, void *base)
{
    if (sig == SIGHUP) {
        log_reopen();
    } else {
        log_info("exiting on signal %d", (int)sig);
        event_base_loopbreak(base);
    }
}

static int
write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        return -errno;
    }
    fprintf(f, "%ld\n", (long)getpid());
    return fclose(f) ? -errno : 0;
}

int
main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"ovsdb", required_argument, NULL, 'o'},
        {"host", required_argument, NULL, 'H'},
        {"rundir", required_argument, NULL, 'r'},
        {"bridge", required_argument, NULL, 'b'},
        {"datapath", required_argument, NULL, 'D'},
        {"netns-prefix", required_argument, NULL, 'n'},
        {"underlay-interface", required_argument, NULL, 'u'},
        {"underlay-bridge", required_argument, NULL, 'U'},
        {"detach", no_argument, NULL, 'x'},
        {"pidfile", required_argument, NULL, 'p'},
        {"log-file", required_argument, NULL, 'l'},
        {"verbose", no_argument, NULL, 'v'},
        {"private-key", required_argument, NULL, 'K'},
        {"certificate", required_argument, NULL, 'c'},
        {"ca-cert", required_argument, NULL, 'C'},
        {"pipeline", required_argument, NULL, 'P'},
        {"ovs-rundir", required_argument, NULL, 'R'},
        {"libvirt", required_argument, NULL, 'L'},
        {"vm-dir", required_argument, NULL, 'M'},
        {"domain-type", required_argument, NULL, 'T'},
        {"dns-upstream", required_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct agent_options o = {.db = getenv("FABRIC_DB"), .datapath = "auto"};
    const char *pidfile = NULL, *logfile = NULL;
    bool detach = false;
    char *default_ovsdb = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            o.db = optarg;
            break;
        case 'o':
            o.ovsdb = optarg;
            break;
        case 'H':
            o.host = optarg;
            break;
        case 'r':
            o.rundir = optarg;
            break;
        case 'b':
            o.bridge = optarg;
            break;
        case 'D':
            o.datapath = optarg;
            break;
        case 'n':
            o.netns_prefix = optarg;
            break;
        case 'u':
            o.underlay_interface = optarg;
            break;
        case 'U':
            o.underlay_bridge = optarg;
            break;
        case 'x':
            detach = true;
            break;
        case 'p':
            pidfile = optarg;
            break;
        case 'l':
            logfile = optarg;
            break;
        case 'v':
            log_set_debug(true);
            break;
        case 'K':
            o.tls.private_key = optarg;
            break;
        case 'c':
            o.tls.certificate = optarg;
            break;
        case 'C':
            o.tls.ca_cert = optarg;
            break;
        case 'P':
            o.pipeline = optarg;
            break;
        case 'R':
            o.ovs_rundir = optarg;
            break;
        case 'L':
            o.libvirt = optarg;
            break;
        case 'M':
            o.vm_dir = optarg;
            break;
        case 'T':
            o.domain_type = optarg;
            break;
        case 'N':
            o.dns_upstream = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (!o.rundir) {
        o.rundir =
            getenv("FABRIC_RUNDIR") ? getenv("FABRIC_RUNDIR") : "/run/fabric";
    }
    if (!o.ovsdb) {
        const char *ovs_rundir = getenv("OVS_RUNDIR");
        if (asprintf(&default_ovsdb, "unix:%s/db.sock",
                     ovs_rundir ? ovs_rundir : "/var/run/openvswitch") < 0) {
            return 1;
        }
        o.ovsdb = default_ovsdb;
    }
    if (!o.db || !o.host) {
        fprintf(stderr, "fabricd: --db and --host are required\n");
        usage(stderr);
        return 1;
    }
    if (o.underlay_bridge && !o.underlay_interface) {
        fprintf(stderr, "fabricd: --underlay-bridge needs "
                        "--underlay-interface\n");
        return 1;
    }
    if (o.domain_type && strcmp(o.domain_type, "auto") &&
        strcmp(o.domain_type, "kvm") && strcmp(o.domain_type, "qemu")) {
        fprintf(stderr,
                "fabricd: --domain-type must be auto, kvm or qemu, "
                "not '%s'\n",
                o.domain_type);
        return 1;
    }
    if (o.pipeline && strcmp(o.pipeline, "flows") &&
        strcmp(o.pipeline, "normal")) {
        fprintf(stderr,
                "fabricd: --pipeline must be flows or normal, not "
                "'%s'\n",
                o.pipeline);
        return 1;
    }
    if (strcmp(o.datapath, "auto") && strcmp(o.datapath, "system") &&
        strcmp(o.datapath, "netdev")) {
        fprintf(stderr,
                "fabricd: --datapath must be auto, system or "
                "netdev, not '%s'\n",
                o.datapath);
        return 1;
    }
    if (mkdir(o.rundir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "fabricd: cannot create %s: %s\n", o.rundir,
                strerror(errno));
        return 1;
    }
    if (logfile && log_open(logfile) < 0) {
        fprintf(stderr, "fabricd: cannot open %s: %s\n", logfile,
                strerror(errno));
        return 1;
    }
    if (detach && daemon(1, logfile ? 0 : 1) < 0) {
        fprintf(stderr, "fabricd: cannot detach: %s\n", strerror(errno));
        return 1;
    }
    if (pidfile && write_pidfile(pidfile) < 0) {
        log_err("cannot write %s: %s", pidfile, strerror(errno));
        return 1;
    }

    /* A peer that goes away (a client of the control socket, libvirtd)
     * is an error to handle where it happens, not a reason to die. */
    signal(SIGPIPE, SIG_IGN);
    struct event_base *base = event_base_new();
    struct agent *agent;
    if (agent_create(base, &o, &agent) < 0) {
        return 1;
    }
    char *ctl_path;
    if (asprintf(&ctl_path, "%s/fabricd.ctl", o.rundir) < 0) {
        return 1;
    }
    struct agent_ctl *ctl = NULL;
    int error = agent_ctl_create(base, ctl_path, agent, &ctl);
    if (error) {
        log_err("cannot listen on %s: %s", ctl_path, strerror(-error));
        return 1;
    }
    struct event *sigs[] = {
        evsignal_new(base, SIGTERM, on_signal, base),
        evsignal_new(base, SIGINT, on_signal, base),
        evsignal_new(base, SIGHUP, on_signal, base),
    };
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        event_add(sigs[i], NULL);
    }
    log_info("fabricd started: fabric DB %s, Open_vSwitch DB %s, "
             "control socket %s",
             o.db, o.ovsdb, ctl_path);

    event_base_dispatch(base);

    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        event_free(sigs[i]);
    }
    agent_ctl_destroy(ctl);
    agent_destroy(agent);
    event_base_free(base);
    if (pidfile) {
        unlink(pidfile);
    }
    free(ctl_path);
    free(default_ovsdb);
    log_close();
    return 0;
}
