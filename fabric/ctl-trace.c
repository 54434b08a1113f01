/* ctl-trace: fabricctl trace — why a packet goes where it goes.
 *
 *   fabricctl trace GUEST DEST_IP [--icmp | --tcp=PORT | --udp=PORT]
 *                   [--bridge=br-int] [--ovs-ctl=TARGET]
 *
 * Builds the packet guest GUEST would send to DEST_IP (its own MAC and
 * address; to the destination's MAC when DEST_IP is in the interface's
 * network, else to its gateway's), runs `ovs-appctl ofproto/trace` on
 * this machine's bridge (TARGET: --ovs-ctl, default "ovs-vswitchd", which
 * ovs-appctl finds through $OVS_RUNDIR), and prints the path: each table
 * by name with the object of the lab whose flow matched, then the verdict.
 * A packet that leaves through a tunnel is traced on this host only: the
 * receiving host delivers it in its L2 table (docs/pipeline.md).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-desired.h"
#include "cmd.h"
#include "ctl.h"
#include "dbmodel.h"
#include "model.h"
#include "ovsdb-error.h"
#include "pipeline.h"
#include "print.h"

/* Address 'cidr' ("a.b.c.d/n" or "a.b.c.d") into '*addr' and '*plen'. */
static bool
parse_cidr(const char *cidr, uint32_t *addr, int *plen)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", cidr);
    char *slash = strchr(buf, '/');
    *plen = 32;
    if (slash) {
        *slash = '\0';
        *plen = atoi(slash + 1);
    }
    struct in_addr in;
    if (inet_pton(AF_INET, buf, &in) != 1) {
        return false;
    }
    *addr = ntohl(in.s_addr);
    return true;
}

static bool
in_subnet(const char *subnet, const char *ip)
{
    uint32_t net, a;
    int plen, ignore;
    if (!parse_cidr(subnet, &net, &plen) || !parse_cidr(ip, &a, &ignore)) {
        return false;
    }
    uint32_t mask = plen ? 0xffffffffu << (32 - plen) : 0;
    return (net & mask) == (a & mask);
}

/* The MAC that owns 'ip' in network 'net', or NULL. */
static const char *
mac_of(const struct fabric_model *m, size_t net, const char *ip)
{
    uint32_t want, a;
    int plen;
    parse_cidr(ip, &want, &plen);
    for (size_t i = 0; i < m->n_guests; i++) {
        for (size_t j = 0; j < m->guests[i].n_interfaces; j++) {
            const struct fabric_interface *f = &m->guests[i].interfaces[j];
            for (size_t k = 0; f->network == net && k < f->n_addresses;
                 k++) {
                if (parse_cidr(f->addresses[k], &a, &plen) && a == want) {
                    return f->mac;
                }
            }
        }
    }
    for (size_t i = 0; i < m->n_routers; i++) {
        for (size_t j = 0; j < m->routers[i].n_ports; j++) {
            const struct fabric_router_port *p = &m->routers[i].ports[j];
            if (p->network == net && parse_cidr(p->ip, &a, &plen)
                && a == want) {
                return p->mac;
            }
        }
    }
    return NULL;
}

static int
cmd_trace(struct ctl *ctl, int argc, char *argv[])
{
    static const struct option options[] = {
        {"icmp", no_argument, NULL, 'i'},
        {"tcp", required_argument, NULL, 't'},
        {"udp", required_argument, NULL, 'u'},
        {"bridge", required_argument, NULL, 'b'},
        {"ovs-ctl", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    const char *proto = "icmp", *bridge = "br-int", *target = "ovs-vswitchd";
    int port = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'i': proto = "icmp"; break;
        case 't': proto = "tcp"; port = atoi(optarg); break;
        case 'u': proto = "udp"; port = atoi(optarg); break;
        case 'b': bridge = optarg; break;
        case 'c': target = optarg; break;
        default: optind = argc + 1; break;
        }
    }
    if (argc - optind != 2) {
        ctl_error("usage: fabricctl trace GUEST DEST_IP [--icmp | --tcp=PORT "
                  "| --udp=PORT] [--bridge=B] [--ovs-ctl=TARGET]");
        return 1;
    }
    const char *name = argv[optind], *dest = argv[optind + 1];
    struct fabric_model *m = NULL;
    struct ovsdb_error *error = NULL;
    if (ctl_connect(ctl)) {
        return 1;
    }
    if (dbmodel_read(ctl_replica(ctl), &m, &error) < 0) {
        ctl_error("the fabric DB holds an inconsistent lab: %s", error->msg);
        ovsdb_error_free(error);
        return 1;
    }
    int status = 1;
    const struct fabric_guest *g = NULL;
    for (size_t i = 0; i < m->n_guests; i++) {
        if (!strcmp(m->guests[i].name, name)) {
            g = &m->guests[i];
        }
    }
    if (!g || !g->n_interfaces || !g->interfaces[0].n_addresses) {
        ctl_error("the lab has no guest %s with an address", name);
        goto out;
    }
    /* The interface facing 'dest', else the one with the gateway. */
    const struct fabric_interface *f = NULL;
    for (size_t j = 0; j < g->n_interfaces && !f; j++) {
        if (in_subnet(m->networks[g->interfaces[j].network].subnet, dest)) {
            f = &g->interfaces[j];
        }
    }
    for (size_t j = 0; j < g->n_interfaces && !f; j++) {
        if (g->interfaces[j].gateway) {
            f = &g->interfaces[j];
        }
    }
    f = f ? f : &g->interfaces[0];
    bool local = in_subnet(m->networks[f->network].subnet, dest);
    const char *dl_dst = local ? mac_of(m, f->network, dest)
                         : f->gateway ? mac_of(m, f->network, f->gateway)
                                      : NULL;
    const char *uuid = agent_iface_uuid(ctl_replica(ctl), g->name, f->name);
    char in_port[16];
    agent_iface_port_name(uuid ? uuid : "", in_port);
    char src[64];
    snprintf(src, sizeof src, "%s", f->addresses[0]);
    src[strcspn(src, "/")] = '\0';

    char l4[32];
    if (!strcmp(proto, "icmp")) {
        snprintf(l4, sizeof l4, ",icmp_type=8");
    } else {
        snprintf(l4, sizeof l4, ",tp_dst=%d", port);
    }
    char *flow;
    if (asprintf(&flow,
                 "in_port=%s,%s,dl_src=%s,dl_dst=%s,nw_src=%s,nw_dst=%s,"
                 "nw_ttl=64%s", in_port, proto, f->mac,
                 dl_dst ? dl_dst : "00:00:00:00:00:00", src, dest, l4) < 0) {
        abort();
    }
    struct cmd *trace = cmd_new("ovs-appctl");
    cmd_addl(trace, "-t", target, "ofproto/trace", bridge, flow, NULL);
    char *out = NULL;
    int rc = cmd_run(trace, &out, &error);
    cmd_free(trace);
    if (rc) {
        ctl_error("ofproto/trace failed: %s", error->msg);
        ovsdb_error_free(error);
        free(flow);
        goto out;
    }

    /* The verdict, before the lines are cut up below. */
    char verdict[256] = "?";
    const char *dp = strstr(out, "Datapath actions: ");
    if (dp) {
        dp += strlen("Datapath actions: ");
        snprintf(verdict, sizeof verdict, "%.*s", (int) strcspn(dp, "\n"),
                 dp);
    }

    print_begin(ctl->json, stdout);
    print_string("guest", "%s", g->name);
    print_string("destination", " -> %s", dest);
    print_string("packet", ": %s\n", flow);
    if (!dl_dst) {
        print_text("(no MAC for %s in the lab: the packet goes to "
                   "00:00:00:00:00:00)\n", dest);
    }
    print_open_list("path");
    char *last = NULL;
    for (char *save, *line = strtok_r(out, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        int table;
        char *cookie = strstr(line, "cookie ");
        if (sscanf(line, " %d.", &table) != 1 || !cookie) {
            continue;
        }
        char *object = pipeline_cookie_describe(
            m, strtoull(cookie + strlen("cookie "), NULL, 16));
        const char *tname = pipeline_table_name(table);
        print_open_object(NULL);
        print_int("table", "  table %-3lld", table);
        print_string("table_name", "%-9s", tname ? tname : "?");
        print_string("object", "%s\n", object ? object : "(not fabric's)");
        print_close();
        free(last);
        last = object;
    }
    print_close();
    bool dropped = !strcmp(verdict, "drop");
    print_string("verdict", "verdict: %s", dropped ? "dropped" : "delivered");
    print_string("by", dropped ? " by %s" : " by %s", last ? last : "?");
    print_string("datapath_actions", " (datapath actions: %s)\n", verdict);
    print_end();
    status = 0;
    free(last);
    free(flow);
    free(out);
out:
    fabric_model_destroy(m);
    return status;
}

const struct ctl_command ctl_trace_commands[] = {
    {"trace", "GUEST DEST_IP [--icmp | --tcp=PORT | --udp=PORT]",
     "trace the packet GUEST would send to DEST_IP through this machine's "
     "pipeline", cmd_trace},
    {NULL, NULL, NULL, NULL},
};
