/* ctl-trace: fabricctl trace — why a packet goes where it goes.
 *
 *   fabricctl trace GUEST DEST_IP [--icmp | --tcp=PORT | --udp=PORT]
 *                   [--bridge=br-int] [--ovs-ctl=TARGET]
 *                   [--host-ctl=HOST=TARGET ...]
 *
 * Builds the packet guest GUEST would send to DEST_IP (its own MAC and
 * address; to the destination's MAC when DEST_IP is in the interface's
 * network, else to its gateway's), runs `ovs-appctl ofproto/trace` on the
 * guest's host (TARGET: --host-ctl for that host, else --ovs-ctl, default
 * "ovs-vswitchd", which ovs-appctl finds through $OVS_RUNDIR), and prints
 * the path: each table by name with the object of the lab whose flow
 * matched, then the verdict.
 *
 * A packet that leaves for an endpoint on another host goes through the
 * GENEVE tunnel: with a --host-ctl for that host, the trace goes on
 * there, with the packet as it left ("Final flow" of the first trace:
 * rewritten MACs, decremented TTL) arriving on the tunnel port from the
 * sending host with the network's VNI, and the verdict is the receiving
 * host's.  Without one, the output says where the packet went and which
 * option would follow it.
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
    if (!parse_cidr(ip, &want, &plen)) {
        return NULL;
    }
    for (size_t i = 0; i < m->n_guests; i++) {
        for (size_t j = 0; j < m->guests[i].n_interfaces; j++) {
            const struct fabric_interface *f = &m->guests[i].interfaces[j];
            for (size_t k = 0; f->network == net && k < f->n_addresses; k++) {
                if (parse_cidr(f->addresses[k], &a, &plen) && a == want) {
                    return f->mac;
                }
            }
        }
    }
    for (size_t i = 0; i < m->n_routers; i++) {
        for (size_t j = 0; j < m->routers[i].n_ports; j++) {
            const struct fabric_router_port *p = &m->routers[i].ports[j];
            if (p->network == net && parse_cidr(p->ip, &a, &plen) &&
                a == want) {
                return p->mac;
            }
        }
    }
    return NULL;
}

/* One host's part of a trace. */
struct hop {
    char *out;     /* ofproto/trace's output. */
    char **tables; /* Per matched flow: "table N NAME OBJECT". */
    int *table_ids;
    char **objects;
    size_t n;
    char *last;        /* The object of the last flow (points into
                        * 'objects'), or NULL. */
    char verdict[256]; /* Datapath actions. */
    bool dropped;
    char *final_flow; /* "Final flow: ..." without the label, or NULL. */
    long tun_id;      /* The last set_field:N->tun_id, or -1. */
};

static void
hop_clear(struct hop *h)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->objects[i]);
    }
    free(h->objects);
    free(h->table_ids);
    free(h->tables);
    free(h->final_flow);
    free(h->out);
}

/* The --host-ctl target for 'host', else 'fallback'. */
static const char *
host_target(const char *(*host_ctl)[2], size_t n, const char *host,
            const char *fallback)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(host_ctl[i][0], host)) {
            return host_ctl[i][1];
        }
    }
    return fallback;
}

/* Runs ofproto/trace of 'flow' on 'bridge' of ovs-vswitchd 'target' and
 * reads it into '*h'. */
static int
run_trace(const struct fabric_model *m, const char *target, const char *bridge,
          const char *flow, struct hop *h, struct ovsdb_error **errorp)
{
    memset(h, 0, sizeof *h);
    h->tun_id = -1;
    snprintf(h->verdict, sizeof h->verdict, "?");
    struct cmd *trace = cmd_new("ovs-appctl");
    cmd_addl(trace, "-t", target, "ofproto/trace", bridge, flow, NULL);
    int rc = cmd_run(trace, &h->out, errorp);
    cmd_free(trace);
    if (rc) {
        return rc;
    }
    const char *dp = strstr(h->out, "Datapath actions: ");
    if (dp) {
        dp += strlen("Datapath actions: ");
        snprintf(h->verdict, sizeof h->verdict, "%.*s", (int)strcspn(dp, "\n"),
                 dp);
    }
    h->dropped = !strcmp(h->verdict, "drop");
    const char *ff = strstr(h->out, "Final flow: ");
    if (ff) {
        ff += strlen("Final flow: ");
        h->final_flow = strndup(ff, strcspn(ff, "\n"));
    }
    for (const char *p = h->out; (p = strstr(p, "->tun_id")); p++) {
        const char *q = p;
        while (q > h->out && q[-1] != ':') {
            q--;
        }
        h->tun_id = strtol(q, NULL, 0);
    }
    char *copy = strdup(h->out);
    for (char *save, *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        int table;
        char *cookie = strstr(line, "cookie ");
        if (sscanf(line, " %d.", &table) != 1 || !cookie) {
            continue;
        }
        h->objects = realloc(h->objects, (h->n + 1) * sizeof *h->objects);
        h->table_ids =
            realloc(h->table_ids, (h->n + 1) * sizeof *h->table_ids);
        h->table_ids[h->n] = table;
        h->objects[h->n] = pipeline_cookie_describe(
            m, strtoull(cookie + strlen("cookie "), NULL, 16));
        h->last = h->objects[h->n];
        h->n++;
    }
    free(copy);
    return 0;
}

static void
print_hop_path(const struct hop *h)
{
    print_open_list("path");
    for (size_t i = 0; i < h->n; i++) {
        const char *tname = pipeline_table_name(h->table_ids[i]);
        print_open_object(NULL);
        print_int("table", "  table %-3lld", h->table_ids[i]);
        print_string("table_name", "%-9s", tname ? tname : "?");
        print_string("object", "%s\n",
                     h->objects[i] ? h->objects[i] : "(not fabric's)");
        print_close();
    }
    print_close();
}

/* The host of the guest interface or router port named 'object' ("guest G
 * IFACE", "router R NETWORK" of a router VM), or -1. */
static long
endpoint_host(const struct fabric_model *m, const char *object)
{
    char kind[16], name[128];
    if (!object || sscanf(object, "%15s %127s", kind, name) != 2) {
        return -1;
    }
    if (!strcmp(kind, "guest")) {
        for (size_t i = 0; i < m->n_guests; i++) {
            if (!strcmp(m->guests[i].name, name)) {
                return (long)m->guests[i].host;
            }
        }
    } else if (!strcmp(kind, "router")) {
        for (size_t i = 0; i < m->n_routers; i++) {
            if (!strcmp(m->routers[i].name, name) && m->routers[i].has_host) {
                return (long)m->routers[i].host;
            }
        }
    }
    return -1;
}

/* The packet of 'h' as it arrives on the receiving host: on the tunnel
 * port from 'from_host', with the VNI as tun_id, and the inner fields of
 * the first trace's final flow (a new string), or NULL. */
static char *
remote_flow(const struct hop *h, const char *from_host)
{
    if (!h->final_flow || h->tun_id < 0) {
        return NULL;
    }
    static const char *const keep[] = {
        "dl_src",    "dl_dst",    "nw_src", "nw_dst", "nw_ttl", "nw_tos",
        "icmp_type", "icmp_code", "tp_src", "tp_dst", NULL,
    };
    char port[16];
    agent_tunnel_port_name(from_host, port);
    char *flow;
    if (asprintf(&flow, "in_port=%s,tun_id=%#lx", port, h->tun_id) < 0) {
        abort();
    }
    char *copy = strdup(h->final_flow);
    bool first = true;
    for (char *save, *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        bool take = first && !strchr(tok, '='); /* "icmp", "tcp", ... */
        for (size_t i = 0; !take && keep[i]; i++) {
            size_t len = strlen(keep[i]);
            take = !strncmp(tok, keep[i], len) && tok[len] == '=';
        }
        first = false;
        if (take) {
            char *next;
            if (asprintf(&next, "%s,%s", flow, tok) < 0) {
                abort();
            }
            free(flow);
            flow = next;
        }
    }
    free(copy);
    return flow;
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
        {"host-ctl", required_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    const char *host_ctl[16][2];
    size_t n_host_ctl = 0;
    const char *proto = "icmp", *bridge = "br-int", *target = "ovs-vswitchd";
    int port = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'i':
            proto = "icmp";
            break;
        case 't':
            proto = "tcp";
            port = atoi(optarg);
            break;
        case 'u':
            proto = "udp";
            port = atoi(optarg);
            break;
        case 'b':
            bridge = optarg;
            break;
        case 'c':
            target = optarg;
            break;
        case 'H': {
            char *eq = strchr(optarg, '=');
            if (!eq || n_host_ctl >= 16) {
                optind = argc + 1;
                break;
            }
            *eq = '\0';
            host_ctl[n_host_ctl][0] = optarg;
            host_ctl[n_host_ctl][1] = eq + 1;
            n_host_ctl++;
            break;
        }
        default:
            optind = argc + 1;
            break;
        }
    }
    if (argc - optind != 2) {
        ctl_error("usage: fabricctl trace GUEST DEST_IP [--icmp | --tcp=PORT "
                  "| --udp=PORT] [--bridge=B] [--ovs-ctl=TARGET] "
                  "[--host-ctl=HOST=TARGET ...]");
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
    const char *dl_dst = local        ? mac_of(m, f->network, dest)
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
                 "nw_ttl=64%s",
                 in_port, proto, f->mac, dl_dst ? dl_dst : "00:00:00:00:00:00",
                 src, dest, l4) < 0) {
        abort();
    }
    const char *host = m->hosts[g->host].name;
    const char *t = host_target(host_ctl, n_host_ctl, host, target);
    struct hop first;
    if (run_trace(m, t, bridge, flow, &first, &error)) {
        ctl_error("ofproto/trace on %s failed: %s", host, error->msg);
        ovsdb_error_free(error);
        free(flow);
        goto out;
    }

    print_begin(ctl->json, stdout);
    print_string("guest", "%s", g->name);
    print_string("destination", " -> %s", dest);
    print_string("packet", ": %s\n", flow);
    if (!dl_dst) {
        print_text("(no MAC for %s in the lab: the packet goes to "
                   "00:00:00:00:00:00)\n",
                   dest);
    }
    print_hop_path(&first);

    /* Into a tunnel: on to the receiving host. */
    long remote = first.dropped ? -1 : endpoint_host(m, first.last);
    struct hop second;
    bool followed = false;
    if (remote >= 0 && (size_t)remote != g->host) {
        const char *rhost = m->hosts[remote].name;
        const char *rt = host_target(host_ctl, n_host_ctl, rhost, NULL);
        char *rflow = rt ? remote_flow(&first, host) : NULL;
        if (!rt) {
            print_text("  -> through the tunnel to host %s (trace it there "
                       "with --host-ctl=%s=TARGET)\n",
                       rhost, rhost);
        } else if (!rflow) {
            print_text("  -> through the tunnel to host %s (the trace did "
                       "not show the packet as it left)\n",
                       rhost);
        } else if (run_trace(m, rt, bridge, rflow, &second, &error)) {
            ctl_error("ofproto/trace on %s failed: %s", rhost, error->msg);
            ovsdb_error_free(error);
            error = NULL;
        } else {
            print_text("  -> through the tunnel to host %s: %s\n", rhost,
                       rflow);
            print_open_object("remote");
            print_string("host", NULL, rhost);
            print_string("packet", NULL, rflow);
            print_hop_path(&second);
            print_close();
            followed = true;
        }
        free(rflow);
    }
    const struct hop *end = followed ? &second : &first;
    print_string("verdict", "verdict: %s",
                 end->dropped ? "dropped" : "delivered");
    print_string("by", " by %s", end->last ? end->last : "?");
    print_string("datapath_actions", " (datapath actions: %s)\n",
                 end->verdict);
    print_end();
    status = 0;
    hop_clear(&first);
    if (followed) {
        hop_clear(&second);
    }
    free(flow);
out:
    fabric_model_destroy(m);
    return status;
}

const struct ctl_command ctl_trace_commands[] = {
    {"trace", "GUEST DEST_IP [--icmp | --tcp=PORT | --udp=PORT]",
     "trace the packet GUEST would send to DEST_IP through this machine's "
     "pipeline",
     cmd_trace},
    {NULL, NULL, NULL, NULL},
};
