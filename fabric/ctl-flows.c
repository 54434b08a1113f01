/* ctl-flows: fabricctl flows — the flows on this machine's integration
 * bridge, each with the object of the lab that made it.
 *
 *   fabricctl flows [--bridge=br-int] [--ovs-rundir=DIR]
 *                   [--host=H [--host-rundir=H=DIR ...]]
 *                   [--network=N | --guest=G | --router=R]
 *
 * The flows are read with `ovs-ofctl -O OpenFlow15 --no-stats dump-flows`
 * from unix:DIR/BRIDGE.mgmt (DIR: --ovs-rundir, else $OVS_RUNDIR, else
 * /var/run/openvswitch) and annotated through their cookies
 * (controllers/pipeline.h).  On a simulated host, run it through
 * `scripts/testbed exec`, which sets OVS_RUNDIR, or name the host with
 * --host and its Open vSwitch run directory with --host-rundir (several
 * may be given, one per host: a test bed keeps every host's on this
 * machine).  A filter keeps the flows of one object: --network also keeps
 * its router ports' and its uplink's flows.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ctl.h"
#include "dbmodel.h"
#include "model.h"
#include "ovsdb-error.h"
#include "pipeline.h"
#include "print.h"

/* Returns true if the flow made by 'object' ("network N", "guest G I",
 * "router R N", "tunnel H", "pipeline T") passes the filter. */
static bool
keep(const char *object, const char *network, const char *guest,
     const char *router)
{
    char a[128] = "", b[128] = "", c[128] = "";
    sscanf(object, "%127s %127s %127s", a, b, c);
    if (network) {
        return ((!strcmp(a, "network") || !strcmp(a, "uplink")) &&
                !strcmp(b, network)) ||
               (!strcmp(a, "router") && !strcmp(c, network));
    }
    if (guest) {
        return !strcmp(a, "guest") && !strcmp(b, guest);
    }
    if (router) {
        return !strcmp(a, "router") && !strcmp(b, router);
    }
    return true;
}

static int
cmd_flows(struct ctl *ctl, int argc, char *argv[])
{
    static const struct option options[] = {
        {"bridge", required_argument, NULL, 'b'},
        {"ovs-rundir", required_argument, NULL, 'R'},
        {"network", required_argument, NULL, 'n'},
        {"guest", required_argument, NULL, 'g'},
        {"router", required_argument, NULL, 'r'},
        {"host", required_argument, NULL, 'H'},
        {"host-rundir", required_argument, NULL, 'D'},
        {NULL, 0, NULL, 0},
    };
    const char *host = NULL, *host_rundir = NULL;
    char *host_rundirs[16];
    size_t n_host_rundirs = 0;
    const char *bridge = "br-int", *network = NULL, *guest = NULL;
    const char *router = NULL;
    const char *rundir =
        getenv("OVS_RUNDIR") ? getenv("OVS_RUNDIR") : "/var/run/openvswitch";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'b':
            bridge = optarg;
            break;
        case 'R':
            rundir = optarg;
            break;
        case 'n':
            network = optarg;
            break;
        case 'g':
            guest = optarg;
            break;
        case 'r':
            router = optarg;
            break;
        case 'H':
            host = optarg;
            break;
        case 'D':
            if (n_host_rundirs < 16 && strchr(optarg, '=')) {
                host_rundirs[n_host_rundirs++] = optarg;
                break;
            }
            /* Fall through. */
        default:
            ctl_error("usage: fabricctl flows [--bridge=B] [--ovs-rundir=D] "
                      "[--host=H [--host-rundir=H=DIR ...]] "
                      "[--network=N | --guest=G | --router=R]");
            return 1;
        }
    }
    for (size_t i = 0; host && i < n_host_rundirs; i++) {
        size_t len = strcspn(host_rundirs[i], "=");
        if (strlen(host) == len && !strncmp(host_rundirs[i], host, len)) {
            host_rundir = host_rundirs[i] + len + 1;
        }
    }
    if (host && !host_rundir) {
        ctl_error("host %s: give --host-rundir=%s=DIR (its Open vSwitch run "
                  "directory, reachable from this machine) to read its "
                  "flows",
                  host, host);
        return 1;
    }
    if (host_rundir) {
        rundir = host_rundir;
    }
    struct fabric_model *model = NULL;
    struct ovsdb_error *error = NULL;
    if (ctl_connect(ctl)) {
        return 1;
    }
    if (dbmodel_read(ctl_replica(ctl), &model, &error) < 0) {
        ctl_error("the fabric DB holds an inconsistent lab: %s", error->msg);
        ovsdb_error_free(error);
        return 1;
    }
    if (host && fabric_model_find_host(model, host) < 0) {
        ctl_error("the lab has no host %s", host);
        fabric_model_destroy(model);
        return 1;
    }
    struct cmd *dump = cmd_new("ovs-ofctl");
    cmd_addl(dump, "-O", "OpenFlow15", "--no-stats", "dump-flows", NULL);
    cmd_addf(dump, "unix:%s/%s.mgmt", rundir, bridge);
    char *out = NULL;
    int rc = cmd_run(dump, &out, &error);
    cmd_free(dump);
    if (rc) {
        ctl_error("cannot read the flows of %s: %s", bridge, error->msg);
        ovsdb_error_free(error);
        fabric_model_destroy(model);
        return 1;
    }

    print_begin(ctl->json, stdout);
    if (host) {
        print_string("host", "host %s:\n", host);
    }
    print_open_list("flows");
    int shown = 0;
    for (char *save, *line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ') {
            line++;
        }
        const char *cookie = strstr(line, "cookie=");
        if (!cookie) {
            continue;
        }
        unsigned long long value = strtoull(cookie + 7, NULL, 0);
        char *object = pipeline_cookie_describe(model, value);
        if (!object) {
            object = strdup("(not fabric's)");
        }
        if (keep(object, network, guest, router)) {
            print_open_object(NULL);
            print_string("object", "%-28s ", object);
            print_string("flow", "%s\n", line);
            print_close();
            shown++;
        }
        free(object);
    }
    print_close();
    print_int("count", NULL, shown);
    print_end();
    free(out);
    fabric_model_destroy(model);
    return 0;
}

const struct ctl_command ctl_flows_commands[] = {
    {"flows",
     "[--network=N | --guest=G | --router=R] [--bridge=B] "
     "[--host=H --host-rundir=H=DIR]",
     "the flows on a host's bridge, with the object each belongs to",
     cmd_flows},
    {NULL, NULL, NULL, NULL},
};
