/* pipeline: see pipeline.h for the rules and docs/pipeline.md for the
 * table map.
 *
 * Notes on this implementation:
 * - The model is first flattened into "endpoints": every MAC that sits
 *   behind a port of some host (guest interfaces, and the interfaces of
 *   routers of kind vm), with the networks it is in (its own network, and
 *   for a trunk the networks it carries tagged), its addresses and its
 *   port security.  Routers of kind flows have no port: they exist as
 *   flows on every host that needs them.
 * - Three sets of networks decide what a host needs.  Local: networks in
 *   which this host has an endpoint; only frames of these enter the
 *   pipeline, from local ports or tunnels.  Routed into: networks that a
 *   flows router reaches from a local network; the router on this host
 *   delivers into them.  Reached: the union of both; the delivery table
 *   knows every MAC of these.
 * - Gateway ports (networks of mode nat and routed) are not endpoints:
 *   their MAC is the same on every host, so they are never reached
 *   through a tunnel and never make a host "local" to a network; a host
 *   has one for each local network of those modes.
 * - Uplinks are endpoints without a MAC or addresses and without port
 *   security, carrying their network untagged or tagged with the uplink's
 *   VLAN ('tag'), like a trunk: their host is local to their network like
 *   any other endpoint's, but a gateway port comes only with a guest or
 *   VM router port ('gw_local').  Several networks' uplinks may share a
 *   port (one interface, several VLANs).
 * - Flows are collected as (table, priority, cookie, match, actions),
 *   sorted, and written once.
 * - Cookies and table names come from pipeline-cookie.c.
 */
#include "pipeline.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway-names.h"
#include "lab-services.h"
#include "model.h"
#include "pipeline-private.h"
#include "xstring.h"

/* Priorities. */
#define PRIO_DOUBLE_TAG 120 /* Classify: a double-tagged frame, dropped. */
#define PRIO_SERVICE 115    /* Classify: DHCP and DNS, to fabricd. */
#define PRIO_ALLOW 110      /* Classify: what a port may send. */
#define PRIO_PORT_DROP 100  /* Classify: anything else from that port. */
#define PRIO_TUNNEL 100     /* Classify: a known VNI from a tunnel. */
#define PRIO_TUNNEL_DROP 90 /* Classify: any other frame from a tunnel. */
#define PRIO_ARP_SELF 110   /* ARP: an interface asking for itself. */
#define PRIO_ARP 100        /* ARP: a known address, answered. */
#define PRIO_PING 200       /* Router: echo request to a router address. */
#define PRIO_ROUTE 100      /* Router: plus the prefix length. */
#define PRIO_ROUTER_DROP 50 /* Router: anything else sent to its MAC. */
#define PRIO_NEXTHOP 100    /* Nexthop: a known address. */
#define PRIO_UNICAST 100    /* L2: a known MAC. */
#define PRIO_FLOOD 50       /* L2: broadcast and multicast. */
#define PRIO_GW_FLOOD 60    /* L2: the same from a gateway port. */
#define PRIO_UPLINK 10      /* L2: unknown unicast, to the uplink. */

#define BCAST_MATCH "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00"

/* Memory. */

static void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        abort();
    }
    return p;
}

/* A growing string. */
struct pl_ds {
    char *s;
    size_t len;
    size_t cap;
};

static void ds_put(struct pl_ds *ds, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void
ds_put(struct pl_ds *ds, const char *format, ...)
{
    for (;;) {
        va_list args;
        va_start(args, format);
        size_t room = ds->cap - ds->len;
        int n = vsnprintf(ds->s ? ds->s + ds->len : NULL, room, format, args);
        va_end(args);
        if (n < 0) {
            abort();
        }
        if ((size_t)n < room) {
            ds->len += n;
            return;
        }
        ds->cap = 2 * ds->cap + n + 64;
        ds->s = xrealloc(ds->s, ds->cap);
    }
}

/* Returns the string held by 'ds' (owned by the caller), never NULL. */
static char *
ds_steal(struct pl_ds *ds)
{
    char *s = ds->s ? ds->s : xcalloc(1, 1);
    memset(ds, 0, sizeof *ds);
    return s;
}

/* The generator's state. */

/* A MAC behind a port of some host. */
struct endpoint {
    uint64_t cookie;
    size_t host;     /* Index into model->hosts. */
    const char *mac; /* NULL for an uplink. */
    char **addrs;    /* IPv4 addresses without prefix (owned). */
    size_t n_addrs;
    bool port_security;   /* Only its MAC (and addresses) may leave. */
    bool ip_security;     /* Port security checks source addresses
                           * (not on a router, which forwards). */
    size_t network;       /* Its own network, untagged but for 'tag'. */
    int tag;              /* An uplink's VLAN on its port, or 0. */
    const size_t *trunks; /* Networks carried tagged. */
    size_t n_trunks;
    long ofport; /* On this host: its port, or 0. */
};

struct pl_flow {
    int table;
    int priority;
    uint64_t cookie;
    char *match; /* Without a trailing comma; "" for none. */
    char *actions;
};

struct gen {
    const struct fabric_model *m;
    size_t self;
    struct endpoint *eps;
    size_t n_eps;
    bool *host_net;    /* [host * n_networks + net]: an endpoint there. */
    bool *routed_into; /* [net]: a flows router here delivers into it. */
    long *tunnels;     /* [host]: the tunnel's port, or 0. */
    long *gateways;    /* [net]: this host's gateway port, or 0. */
    uint32_t *service; /* [net]: the DHCP and DNS service address of a
                        * network with dhcp and a local port, or 0. */
    bool *gw_local;    /* [net]: a guest or VM router port here. */
    struct pl_flow *flows;
    size_t n_flows;
    size_t cap_flows;
};

static bool
host_in_net(const struct gen *g, size_t host, size_t net)
{
    return g->host_net[host * g->m->n_networks + net];
}

static bool
is_local(const struct gen *g, size_t net)
{
    return host_in_net(g, g->self, net);
}

static bool
is_reached(const struct gen *g, size_t net)
{
    return is_local(g, net) || g->routed_into[net];
}

static int
vni(const struct gen *g, size_t net)
{
    return g->m->networks[net].vni;
}

/* True if network 'net' has a gateway on this host: its mode is nat or
 * routed and the host has an endpoint in it. */
static bool
has_gateway(const struct gen *g, size_t net)
{
    const struct fabric_network *n = &g->m->networks[net];
    return n->mode != FABRIC_NET_ISOLATED && n->host_ip && g->gw_local[net];
}

/* Returns 0 when 'e' is in 'net' untagged, the VLAN it carries 'net' with
 * when tagged (on a trunk, or an uplink on a VLAN), or -1 when 'e' is not
 * in 'net'. */
static int
ep_vlan(const struct gen *g, const struct endpoint *e, size_t net)
{
    if (e->network == net) {
        return e->tag;
    }
    for (size_t i = 0; i < e->n_trunks; i++) {
        if (e->trunks[i] == net) {
            return g->m->networks[net].vlan;
        }
    }
    return -1;
}

/* Adds a flow; takes ownership of 'match' and 'actions'. */
static void
add_flow(struct gen *g, int table, int priority, uint64_t cookie, char *match,
         char *actions)
{
    if (g->n_flows == g->cap_flows) {
        g->cap_flows = 2 * g->cap_flows + 64;
        g->flows = xrealloc(g->flows, g->cap_flows * sizeof *g->flows);
    }
    g->flows[g->n_flows++] = (struct pl_flow){
        .table = table,
        .priority = priority,
        .cookie = cookie,
        .match = match,
        .actions = actions,
    };
}

/* Returns 'addr' ("172.16.0.1/24") without its prefix, as a new string. */
static char *
strip_prefix(const char *addr)
{
    char *s = strndup(addr, strcspn(addr, "/"));
    if (!s) {
        abort();
    }
    return s;
}

/* The prefix length of 'subnet' ("172.16.0.0/24"); 32 without one. */
static int
prefix_len(const char *subnet)
{
    const char *slash = strchr(subnet, '/');
    return slash ? atoi(slash + 1) : 32;
}

static long
lookup(long ofport)
{
    return ofport > 0 ? ofport : 0;
}

static struct endpoint *
new_endpoint(struct gen *g)
{
    g->eps = xrealloc(g->eps, (g->n_eps + 1) * sizeof *g->eps);
    struct endpoint *e = &g->eps[g->n_eps++];
    memset(e, 0, sizeof *e);
    return e;
}

static void
collect_endpoints(struct gen *g, const struct pipeline_ports *ports)
{
    const struct fabric_model *m = g->m;
    for (size_t i = 0; i < m->n_guests; i++) {
        const struct fabric_guest *guest = &m->guests[i];
        for (size_t j = 0; j < guest->n_interfaces; j++) {
            const struct fabric_interface *f = &guest->interfaces[j];
            struct endpoint *e = new_endpoint(g);
            e->cookie = pipeline_cookie_pair(PIPELINE_COOKIE_IFACE,
                                             guest->name, f->name);
            e->host = guest->host;
            e->mac = f->mac;
            e->addrs = xcalloc(f->n_addresses, sizeof *e->addrs);
            for (size_t k = 0; k < f->n_addresses; k++) {
                e->addrs[e->n_addrs++] = strip_prefix(f->addresses[k]);
            }
            e->port_security = f->port_security;
            e->ip_security = true;
            e->network = f->network;
            if (f->vlan_mode == FABRIC_VLAN_TRUNK) {
                e->trunks = f->trunks;
                e->n_trunks = f->n_trunks;
            }
            if (e->host == g->self && ports->iface) {
                e->ofport =
                    lookup(ports->iface(guest->name, f->name, ports->aux));
            }
        }
    }
    for (size_t i = 0; i < m->n_routers; i++) {
        const struct fabric_router *r = &m->routers[i];
        if (r->kind != FABRIC_ROUTER_VM || !r->has_host) {
            continue;
        }
        for (size_t j = 0; j < r->n_ports; j++) {
            const struct fabric_router_port *p = &r->ports[j];
            const char *net = m->networks[p->network].name;
            struct endpoint *e = new_endpoint(g);
            e->cookie =
                pipeline_cookie_pair(PIPELINE_COOKIE_ROUTER, r->name, net);
            e->host = r->host;
            e->mac = p->mac;
            e->addrs = xcalloc(1, sizeof *e->addrs);
            e->addrs[e->n_addrs++] = strip_prefix(p->ip);
            e->port_security = true;
            e->ip_security = false;
            e->network = p->network;
            if (e->host == g->self && ports->router_port) {
                e->ofport =
                    lookup(ports->router_port(r->name, net, ports->aux));
            }
        }
    }
}

/* Adds the uplink of every network that has one, as an endpoint. */
static void
collect_uplinks(struct gen *g, const struct pipeline_ports *ports)
{
    const struct fabric_model *m = g->m;
    for (size_t net = 0; net < m->n_networks; net++) {
        const struct fabric_network *n = &m->networks[net];
        for (size_t j = 0; j < n->n_uplinks; j++) {
            struct endpoint *e = new_endpoint(g);
            e->cookie = pipeline_cookie(PIPELINE_COOKIE_UPLINK, n->name);
            e->host = n->uplinks[j].host;
            e->network = net;
            e->tag = n->uplinks[j].vlan;
            if (e->host == g->self && ports->uplink) {
                e->ofport = lookup(ports->uplink(n->name, ports->aux));
            }
        }
    }
}

/* Fills in the sets of networks and the tunnels. */
static void
index_model(struct gen *g, const struct pipeline_ports *ports)
{
    const struct fabric_model *m = g->m;
    size_t n_nets = m->n_networks;
    g->host_net = xcalloc(m->n_hosts * n_nets, sizeof *g->host_net);
    g->gw_local = xcalloc(n_nets, sizeof *g->gw_local);
    for (size_t i = 0; i < g->n_eps; i++) {
        const struct endpoint *e = &g->eps[i];
        if (e->host == g->self && e->mac) {
            g->gw_local[e->network] = true;
            for (size_t k = 0; k < e->n_trunks; k++) {
                g->gw_local[e->trunks[k]] = true;
            }
        }
        g->host_net[e->host * n_nets + e->network] = true;
        for (size_t k = 0; k < e->n_trunks; k++) {
            g->host_net[e->host * n_nets + e->trunks[k]] = true;
        }
    }

    g->routed_into = xcalloc(n_nets, sizeof *g->routed_into);
    for (size_t i = 0; i < m->n_routers; i++) {
        const struct fabric_router *r = &m->routers[i];
        if (r->kind != FABRIC_ROUTER_FLOWS) {
            continue;
        }
        size_t n_local = 0;
        for (size_t j = 0; j < r->n_ports; j++) {
            n_local += is_local(g, r->ports[j].network);
        }
        for (size_t j = 0; j < r->n_ports; j++) {
            size_t net = r->ports[j].network;
            if (n_local > (is_local(g, net) ? 1 : 0)) {
                g->routed_into[net] = true;
            }
        }
    }

    g->gateways = xcalloc(n_nets, sizeof *g->gateways);
    for (size_t net = 0; net < n_nets; net++) {
        if (has_gateway(g, net) && ports->gateway) {
            g->gateways[net] =
                lookup(ports->gateway(m->networks[net].name, ports->aux));
        }
    }

    g->service = xcalloc(n_nets, sizeof *g->service);
    for (size_t net = 0; net < n_nets; net++) {
        if (m->networks[net].dhcp && is_local(g, net)) {
            g->service[net] = lab_service_address(m, net);
        }
    }

    g->tunnels = xcalloc(m->n_hosts, sizeof *g->tunnels);
    for (size_t h = 0; h < m->n_hosts; h++) {
        if (h != g->self && ports->tunnel) {
            g->tunnels[h] =
                lookup(ports->tunnel(m->hosts[h].name, ports->aux));
        }
    }
}

/* Table classify. */

/* Adds what endpoint 'e' may send in network 'net' through its port:
 * frames matching 'in' ("in_port=P,..."), to which 'pre' (actions, ""
 * or ending in a comma) is applied before the frame is marked as coming
 * from network 'net' on a local port. */
static void
classify_allow(struct gen *g, const struct endpoint *e, size_t net,
               const char *in, const char *pre)
{
    char *next =
        xasprintf("%sset_field:%d->%s,set_field:%#x->%s,"
                  "goto_table:%d",
                  pre, vni(g, net), PIPELINE_REG_NET, PIPELINE_FLAG_LOCAL,
                  PIPELINE_REG_FLAGS, PIPELINE_TABLE_ARP);
    int t = PIPELINE_TABLE_CLASSIFY;
    if (!e->port_security) {
        add_flow(g, t, PRIO_ALLOW, e->cookie, xasprintf("%s", in),
                 xasprintf("%s", next));
    } else if (net == e->network && e->ip_security && e->n_addrs) {
        for (size_t i = 0; i < e->n_addrs; i++) {
            add_flow(g, t, PRIO_ALLOW, e->cookie,
                     xasprintf("%s,arp,dl_src=%s,arp_sha=%s,arp_spa=%s", in,
                               e->mac, e->mac, e->addrs[i]),
                     xasprintf("%s", next));
            add_flow(g, t, PRIO_ALLOW, e->cookie,
                     xasprintf("%s,ip,dl_src=%s,nw_src=%s", in, e->mac,
                               e->addrs[i]),
                     xasprintf("%s", next));
        }
    } else {
        add_flow(g, t, PRIO_ALLOW, e->cookie,
                 xasprintf("%s,arp,dl_src=%s,arp_sha=%s", in, e->mac, e->mac),
                 xasprintf("%s", next));
        add_flow(g, t, PRIO_ALLOW, e->cookie,
                 xasprintf("%s,ip,dl_src=%s", in, e->mac),
                 xasprintf("%s", next));
    }
    free(next);
}

/* On a network with `dhcp: true`, a guest's DHCP requests, and its DNS
 * queries (UDP) to the service address, from its own MAC go to fabricd,
 * which answers them (lab-services.h); they never reach the network.
 * DNS to any other address is the guest's business (a DNS server in the
 * lab). */
static void
classify_services(struct gen *g, const struct endpoint *e, const char *in)
{
    uint32_t a = g->service[e->network];
    if (!e->ip_security || !a) {
        return;
    }
    int t = PIPELINE_TABLE_CLASSIFY;
    add_flow(g, t, PRIO_SERVICE, e->cookie,
             xasprintf("%s,udp,dl_src=%s,tp_src=68,tp_dst=67", in, e->mac),
             xasprintf("controller"));
    add_flow(g, t, PRIO_SERVICE, e->cookie,
             xasprintf("%s,udp,dl_src=%s,nw_dst=%u.%u.%u.%u,tp_dst=53", in,
                       e->mac, a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
                       a & 0xff),
             xasprintf("controller"));
}

/* Drops a second tag inside a frame that matched 'in' (with a tag). */
static void
drop_double_tags(struct gen *g, const struct endpoint *e, const char *in)
{
    int t = PIPELINE_TABLE_CLASSIFY;
    add_flow(g, t, PRIO_DOUBLE_TAG, e->cookie,
             xasprintf("%s,dl_type=0x8100", in), xasprintf("drop"));
    add_flow(g, t, PRIO_DOUBLE_TAG, e->cookie,
             xasprintf("%s,dl_type=0x88a8", in), xasprintf("drop"));
}

static void
classify_endpoint(struct gen *g, const struct endpoint *e)
{
    int t = PIPELINE_TABLE_CLASSIFY;
    char *in =
        e->tag ? xasprintf("in_port=%ld,dl_vlan=%d", e->ofport, e->tag)
               : xasprintf("in_port=%ld,vlan_tci=0x0000/0x1000", e->ofport);
    classify_services(g, e, in);
    classify_allow(g, e, e->network, in, e->tag ? "strip_vlan," : "");
    if (e->tag) {
        drop_double_tags(g, e, in);
    }
    free(in);
    for (size_t i = 0; i < e->n_trunks; i++) {
        size_t net = e->trunks[i];
        int vlan = g->m->networks[net].vlan;
        in = xasprintf("in_port=%ld,dl_vlan=%d", e->ofport, vlan);
        classify_allow(g, e, net, in, "strip_vlan,");
        if (!e->port_security) {
            /* With port security, only IPv4 and ARP pass, so a second
             * tag never does. */
            drop_double_tags(g, e, in);
        }
        free(in);
    }
    add_flow(g, t, PRIO_PORT_DROP, e->cookie,
             xasprintf("in_port=%ld", e->ofport), xasprintf("drop"));
}

static void
classify_tunnels(struct gen *g)
{
    const struct fabric_model *m = g->m;
    int t = PIPELINE_TABLE_CLASSIFY;
    for (size_t h = 0; h < m->n_hosts; h++) {
        long port = g->tunnels[h];
        if (!port) {
            continue;
        }
        uint64_t cookie =
            pipeline_cookie(PIPELINE_COOKIE_TUNNEL, m->hosts[h].name);
        for (size_t net = 0; net < m->n_networks; net++) {
            if (!is_local(g, net)) {
                continue;
            }
            add_flow(g, t, PRIO_TUNNEL, cookie,
                     xasprintf("in_port=%ld,tun_id=%d,"
                               "vlan_tci=0x0000/0x1000",
                               port, vni(g, net)),
                     xasprintf("set_field:%d->%s,set_field:%#x->%s,"
                               "goto_table:%d",
                               vni(g, net), PIPELINE_REG_NET,
                               PIPELINE_FLAG_TUNNEL, PIPELINE_REG_FLAGS,
                               PIPELINE_TABLE_L2));
        }
        add_flow(g, t, PRIO_TUNNEL_DROP, cookie,
                 xasprintf("in_port=%ld", port), xasprintf("drop"));
    }
}

/* What the host kernel may send through gateway port of network 'net':
 * ARP and IPv4 from the port's MAC, marked as local and from a gateway.
 * No address check: the host routes for others. */
static void
classify_gateways(struct gen *g)
{
    const struct fabric_model *m = g->m;
    int t = PIPELINE_TABLE_CLASSIFY;
    for (size_t net = 0; net < m->n_networks; net++) {
        long port = g->gateways[net];
        if (!port) {
            continue;
        }
        const char *name = m->networks[net].name;
        uint64_t cookie = pipeline_cookie(PIPELINE_COOKIE_GATEWAY, name);
        char mac[18];
        gateway_mac(name, mac);
        char *next = xasprintf("set_field:%d->%s,set_field:%#x->%s,"
                               "goto_table:%d",
                               vni(g, net), PIPELINE_REG_NET,
                               PIPELINE_FLAG_LOCAL | PIPELINE_FLAG_GATEWAY,
                               PIPELINE_REG_FLAGS, PIPELINE_TABLE_ARP);
        add_flow(g, t, PRIO_ALLOW, cookie,
                 xasprintf("in_port=%ld,vlan_tci=0x0000/0x1000,arp,"
                           "dl_src=%s,arp_sha=%s",
                           port, mac, mac),
                 xasprintf("%s", next));
        add_flow(g, t, PRIO_ALLOW, cookie,
                 xasprintf("in_port=%ld,vlan_tci=0x0000/0x1000,ip,"
                           "dl_src=%s",
                           port, mac),
                 xasprintf("%s", next));
        add_flow(g, t, PRIO_PORT_DROP, cookie, xasprintf("in_port=%ld", port),
                 xasprintf("drop"));
        free(next);
    }
}

/* Table arp. */

/* The actions that turn an ARP request into the reply "'ip' is at 'mac'"
 * and deliver it to the asker (a new string).  The reply goes through the
 * delivery table, which tags it for a trunk; in_port is cleared so that
 * it may leave by the port it came in. */
static char *
arp_reply(const char *mac, const char *ip)
{
    return xasprintf("move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                     "set_field:%s->eth_src,set_field:2->arp_op,"
                     "move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
                     "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],"
                     "set_field:%s->arp_sha,set_field:%s->arp_spa,"
                     "set_field:0->in_port,goto_table:%d",
                     mac, mac, ip, PIPELINE_TABLE_L2);
}

static void
arp_responder(struct gen *g)
{
    const struct fabric_model *m = g->m;
    int t = PIPELINE_TABLE_ARP;
    for (size_t i = 0; i < g->n_eps; i++) {
        const struct endpoint *e = &g->eps[i];
        if (!is_local(g, e->network)) {
            continue;
        }
        int v = vni(g, e->network);
        for (size_t k = 0; k < e->n_addrs; k++) {
            const char *a = e->addrs[k];
            add_flow(g, t, PRIO_ARP, e->cookie,
                     xasprintf("%s=%d,arp,arp_op=1,arp_tpa=%s",
                               PIPELINE_REG_NET, v, a),
                     arp_reply(e->mac, a));
            /* An interface that asks for its own address (a gratuitous
             * ARP, a duplicate address probe) must not get a reply. */
            add_flow(g, t, PRIO_ARP_SELF, e->cookie,
                     xasprintf("%s=%d,arp,arp_op=1,arp_tpa=%s,dl_src=%s",
                               PIPELINE_REG_NET, v, a, e->mac),
                     xasprintf("goto_table:%d", PIPELINE_TABLE_L2));
        }
    }
    for (size_t net = 0; net < m->n_networks; net++) {
        if (!has_gateway(g, net)) {
            continue;
        }
        /* The hosts' address: this host's gateway port answers, on
         * every host alike. */
        const struct fabric_network *n = &m->networks[net];
        uint64_t cookie = pipeline_cookie(PIPELINE_COOKIE_GATEWAY, n->name);
        char mac[18];
        gateway_mac(n->name, mac);
        add_flow(g, t, PRIO_ARP, cookie,
                 xasprintf("%s=%d,arp,arp_op=1,arp_tpa=%s", PIPELINE_REG_NET,
                           n->vni, n->host_ip),
                 arp_reply(mac, n->host_ip));
        add_flow(g, t, PRIO_ARP_SELF, cookie,
                 xasprintf("%s=%d,arp,arp_op=1,arp_tpa=%s,dl_src=%s",
                           PIPELINE_REG_NET, n->vni, n->host_ip, mac),
                 xasprintf("goto_table:%d", PIPELINE_TABLE_L2));
    }
    for (size_t net = 0; net < m->n_networks; net++) {
        const struct fabric_network *n = &m->networks[net];
        uint32_t a = g->service[net];
        if (!a || n->gateway || n->host_ip) {
            continue;
        }
        /* The service address is nobody's: the DHCP and DNS service
         * answers for it, so that guests can send to it. */
        char mac[18], ip[16];
        service_mac(n->name, mac);
        snprintf(ip, sizeof ip, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
                 (a >> 8) & 0xff, a & 0xff);
        add_flow(g, t, PRIO_ARP,
                 pipeline_cookie(PIPELINE_COOKIE_NETWORK, n->name),
                 xasprintf("%s=%d,arp,arp_op=1,arp_tpa=%s", PIPELINE_REG_NET,
                           n->vni, ip),
                 arp_reply(mac, ip));
    }
    for (size_t i = 0; i < m->n_routers; i++) {
        const struct fabric_router *r = &m->routers[i];
        if (r->kind != FABRIC_ROUTER_FLOWS) {
            continue;
        }
        for (size_t j = 0; j < r->n_ports; j++) {
            const struct fabric_router_port *p = &r->ports[j];
            if (!is_local(g, p->network)) {
                continue;
            }
            char *ip = strip_prefix(p->ip);
            add_flow(g, t, PRIO_ARP,
                     pipeline_cookie_pair(PIPELINE_COOKIE_ROUTER, r->name,
                                          m->networks[p->network].name),
                     xasprintf("%s=%d,arp,arp_op=1,arp_tpa=%s",
                               PIPELINE_REG_NET, vni(g, p->network), ip),
                     arp_reply(p->mac, ip));
            free(ip);
        }
    }
}

/* Table router. */

static void
router_flows(struct gen *g, const struct fabric_router *r)
{
    const struct fabric_model *m = g->m;
    int t = PIPELINE_TABLE_ROUTER;
    for (size_t j = 0; j < r->n_ports; j++) {
        const struct fabric_router_port *in = &r->ports[j];
        if (!is_local(g, in->network)) {
            continue;
        }
        uint64_t in_cookie = pipeline_cookie_pair(
            PIPELINE_COOKIE_ROUTER, r->name, m->networks[in->network].name);
        int in_vni = vni(g, in->network);
        for (size_t k = 0; k < r->n_ports; k++) {
            const struct fabric_router_port *to = &r->ports[k];
            char *ip = strip_prefix(to->ip);
            add_flow(g, t, PRIO_PING, in_cookie,
                     xasprintf("%s=%d,dl_dst=%s,icmp,icmp_type=8,"
                               "icmp_code=0,nw_dst=%s",
                               PIPELINE_REG_NET, in_vni, in->mac, ip),
                     xasprintf("move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                               "set_field:%s->eth_src,"
                               "move:NXM_OF_IP_SRC[]->NXM_OF_IP_DST[],"
                               "set_field:%s->ip_src,set_field:0->icmp_type,"
                               "mod_nw_ttl:64,set_field:0->in_port,"
                               "goto_table:%d",
                               in->mac, ip, PIPELINE_TABLE_L2));
            free(ip);
            if (k == j) {
                continue;
            }
            const char *subnet = m->networks[to->network].subnet;
            add_flow(g, t, PRIO_ROUTE + prefix_len(subnet),
                     pipeline_cookie_pair(PIPELINE_COOKIE_ROUTER, r->name,
                                          m->networks[to->network].name),
                     xasprintf("%s=%d,dl_dst=%s,ip,nw_dst=%s",
                               PIPELINE_REG_NET, in_vni, in->mac, subnet),
                     xasprintf("dec_ttl,set_field:%s->eth_src,"
                               "set_field:%d->%s,set_field:0->in_port,"
                               "goto_table:%d",
                               to->mac, vni(g, to->network), PIPELINE_REG_NET,
                               PIPELINE_TABLE_NEXTHOP));
        }
        add_flow(
            g, t, PRIO_ROUTER_DROP, in_cookie,
            xasprintf("%s=%d,dl_dst=%s", PIPELINE_REG_NET, in_vni, in->mac),
            xasprintf("drop"));
    }
}

/* Table nexthop. */

static void
nexthop_flows(struct gen *g)
{
    for (size_t i = 0; i < g->n_eps; i++) {
        const struct endpoint *e = &g->eps[i];
        if (!g->routed_into[e->network]) {
            continue;
        }
        for (size_t k = 0; k < e->n_addrs; k++) {
            add_flow(g, PIPELINE_TABLE_NEXTHOP, PRIO_NEXTHOP, e->cookie,
                     xasprintf("%s=%d,ip,nw_dst=%s", PIPELINE_REG_NET,
                               vni(g, e->network), e->addrs[k]),
                     xasprintf("set_field:%s->eth_dst,goto_table:%d", e->mac,
                               PIPELINE_TABLE_L2));
        }
    }
}

/* Table l2. */

/* Appends to 'ds' the output of a frame to local port 'port', tagged with
 * 'vlan' unless it is 0; 'restore' pops the tag again afterwards, for
 * outputs that other outputs follow. */
static void
put_output(struct pl_ds *ds, long port, int vlan, bool restore)
{
    if (vlan) {
        ds_put(ds, "%smod_vlan_vid:%d,output:%ld%s", ds->len ? "," : "", vlan,
               port, restore ? ",strip_vlan" : "");
    } else {
        ds_put(ds, "%soutput:%ld", ds->len ? "," : "", port);
    }
}

static void
unicast_flows(struct gen *g)
{
    int t = PIPELINE_TABLE_L2;
    size_t n_nets = g->m->n_networks;
    for (size_t i = 0; i < g->n_eps; i++) {
        const struct endpoint *e = &g->eps[i];
        for (size_t net = 0; e->mac && net < n_nets; net++) {
            int vlan = ep_vlan(g, e, net);
            if (vlan < 0 || !is_reached(g, net)) {
                continue;
            }
            int v = vni(g, net);
            if (e->host == g->self && e->ofport) {
                struct pl_ds out = {0};
                put_output(&out, e->ofport, vlan, false);
                add_flow(
                    g, t, PRIO_UNICAST, e->cookie,
                    xasprintf("%s=%d,dl_dst=%s", PIPELINE_REG_NET, v, e->mac),
                    ds_steal(&out));
            } else if (e->host != g->self && g->tunnels[e->host]) {
                /* Only what came from a local port enters a tunnel. */
                add_flow(g, t, PRIO_UNICAST, e->cookie,
                         xasprintf("%s=%d,%s=%#x/%#x,dl_dst=%s",
                                   PIPELINE_REG_NET, v, PIPELINE_REG_FLAGS,
                                   PIPELINE_FLAG_LOCAL, PIPELINE_FLAG_LOCAL,
                                   e->mac),
                         xasprintf("set_field:%d->tun_id,output:%ld", v,
                                   g->tunnels[e->host]));
            }
        }
    }
}

/* Frames for a gateway port's MAC go to this host's port, never to a
 * tunnel: every host has its own. */
static void
gateway_unicast_flows(struct gen *g)
{
    const struct fabric_model *m = g->m;
    for (size_t net = 0; net < m->n_networks; net++) {
        if (!g->gateways[net]) {
            continue;
        }
        const char *name = m->networks[net].name;
        char mac[18];
        gateway_mac(name, mac);
        add_flow(
            g, PIPELINE_TABLE_L2, PRIO_UNICAST,
            pipeline_cookie(PIPELINE_COOKIE_GATEWAY, name),
            xasprintf("%s=%d,dl_dst=%s", PIPELINE_REG_NET, vni(g, net), mac),
            xasprintf("output:%ld", g->gateways[net]));
    }
}

/* Unknown unicast in a network with an uplink: to the uplink's port on its
 * host; from a local port on the other hosts, through the tunnel to the
 * uplink's host. */
static void
uplink_flows(struct gen *g)
{
    for (size_t i = 0; i < g->n_eps; i++) {
        const struct endpoint *e = &g->eps[i];
        if (e->mac || !is_local(g, e->network)) {
            continue;
        }
        int v = vni(g, e->network);
        if (e->host == g->self && e->ofport) {
            struct pl_ds out = {0};
            put_output(&out, e->ofport, e->tag, false);
            add_flow(g, PIPELINE_TABLE_L2, PRIO_UPLINK, e->cookie,
                     xasprintf("%s=%d", PIPELINE_REG_NET, v), ds_steal(&out));
        } else if (e->host != g->self && g->tunnels[e->host]) {
            add_flow(g, PIPELINE_TABLE_L2, PRIO_UPLINK, e->cookie,
                     xasprintf("%s=%d,%s=%#x/%#x", PIPELINE_REG_NET, v,
                               PIPELINE_REG_FLAGS, PIPELINE_FLAG_LOCAL,
                               PIPELINE_FLAG_LOCAL),
                     xasprintf("set_field:%d->tun_id,output:%ld", v,
                               g->tunnels[e->host]));
        }
    }
}

/* Adds the flood of network 'net' for frames whose flags match 'flag', at
 * 'priority': to every local port in 'net', the gateway port with
 * 'gateway' and, with 'tunnels', to every host that has an endpoint in
 * 'net'.  OpenFlow never outputs to the in_port, so the frame does not go
 * back where it came from. */
static void
flood_flow(struct gen *g, size_t net, unsigned int flag, int priority,
           bool tunnels, bool gateway)
{
    const struct fabric_model *m = g->m;
    struct pl_ds out = {0};
    for (size_t i = 0; i < g->n_eps; i++) {
        const struct endpoint *e = &g->eps[i];
        if (e->host == g->self && e->ofport && ep_vlan(g, e, net) == 0) {
            put_output(&out, e->ofport, 0, false);
        }
    }
    if (gateway && g->gateways[net]) {
        put_output(&out, g->gateways[net], 0, false);
    }
    bool tun_id_set = false;
    for (size_t h = 0; tunnels && h < m->n_hosts; h++) {
        if (h == g->self || !g->tunnels[h] || !host_in_net(g, h, net)) {
            continue;
        }
        if (!tun_id_set) {
            ds_put(&out, "%sset_field:%d->tun_id", out.len ? "," : "",
                   vni(g, net));
            tun_id_set = true;
        }
        ds_put(&out, ",output:%ld", g->tunnels[h]);
    }
    for (size_t i = 0; i < g->n_eps; i++) {
        const struct endpoint *e = &g->eps[i];
        int vlan = ep_vlan(g, e, net);
        if (e->host == g->self && e->ofport && vlan > 0) {
            put_output(&out, e->ofport, vlan, true);
        }
    }
    if (!out.len) {
        ds_put(&out, "drop");
    }
    add_flow(g, PIPELINE_TABLE_L2, priority,
             pipeline_cookie(PIPELINE_COOKIE_NETWORK, m->networks[net].name),
             xasprintf("%s=%d,%s=%#x/%#x," BCAST_MATCH, PIPELINE_REG_NET,
                       vni(g, net), PIPELINE_REG_FLAGS, flag, flag),
             ds_steal(&out));
}

/* Defaults and output. */

static void
default_flows(struct gen *g)
{
    static const struct {
        int table;
        int next; /* -1 to drop. */
    } defaults[] = {
        {PIPELINE_TABLE_CLASSIFY, -1},
        {PIPELINE_TABLE_ARP, PIPELINE_TABLE_ROUTER},
        {PIPELINE_TABLE_ROUTER, PIPELINE_TABLE_L2},
        {PIPELINE_TABLE_NEXTHOP, -1},
        {PIPELINE_TABLE_L2, -1},
    };
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        int t = defaults[i].table;
        add_flow(
            g, t, 0,
            pipeline_cookie(PIPELINE_COOKIE_DEFAULT, pipeline_table_name(t)),
            xasprintf("%s", ""),
            defaults[i].next < 0
                ? xasprintf("drop")
                : xasprintf("goto_table:%d", defaults[i].next));
    }
}

static int
compare_flows(const void *a_, const void *b_)
{
    const struct pl_flow *a = a_, *b = b_;
    if (a->table != b->table) {
        return a->table < b->table ? -1 : 1;
    }
    if (a->priority != b->priority) {
        return a->priority > b->priority ? -1 : 1;
    }
    int c = strcmp(a->match, b->match);
    return c ? c : strcmp(a->actions, b->actions);
}

static char *
write_flows(struct gen *g)
{
    qsort(g->flows, g->n_flows, sizeof *g->flows, compare_flows);
    struct pl_ds ds = {0};
    const struct pl_flow *prev = NULL;
    for (size_t i = 0; i < g->n_flows; i++) {
        const struct pl_flow *f = &g->flows[i];
        if (prev && prev->table == f->table && prev->priority == f->priority &&
            !strcmp(prev->match, f->match)) {
            continue;
        }
        ds_put(&ds,
               "table=%d,priority=%d,cookie=0x%016" PRIx64 ",%s%s"
               "actions=%s\n",
               f->table, f->priority, f->cookie, f->match,
               *f->match ? "," : "", f->actions);
        prev = f;
    }
    return ds_steal(&ds);
}

static void
gen_clear(struct gen *g)
{
    for (size_t i = 0; i < g->n_eps; i++) {
        for (size_t k = 0; k < g->eps[i].n_addrs; k++) {
            free(g->eps[i].addrs[k]);
        }
        free(g->eps[i].addrs);
    }
    free(g->eps);
    free(g->host_net);
    free(g->routed_into);
    free(g->tunnels);
    free(g->gateways);
    free(g->service);
    free(g->gw_local);
    for (size_t i = 0; i < g->n_flows; i++) {
        free(g->flows[i].match);
        free(g->flows[i].actions);
    }
    free(g->flows);
}

char *
pipeline_flows(const struct fabric_model *m, const char *host,
               const struct pipeline_ports *ports)
{
    static const struct pipeline_ports no_ports;
    struct gen g = {.m = m};
    if (!ports) {
        ports = &no_ports;
    }
    default_flows(&g);
    long self = fabric_model_find_host(m, host);
    if (self >= 0) {
        g.self = self;
        collect_endpoints(&g, ports);
        collect_uplinks(&g, ports);
        index_model(&g, ports);

        for (size_t i = 0; i < g.n_eps; i++) {
            const struct endpoint *e = &g.eps[i];
            if (e->host == g.self && e->ofport) {
                classify_endpoint(&g, e);
            }
        }
        classify_tunnels(&g);
        classify_gateways(&g);
        arp_responder(&g);
        for (size_t i = 0; i < m->n_routers; i++) {
            if (m->routers[i].kind == FABRIC_ROUTER_FLOWS) {
                router_flows(&g, &m->routers[i]);
            }
        }
        nexthop_flows(&g);
        unicast_flows(&g);
        gateway_unicast_flows(&g);
        uplink_flows(&g);
        for (size_t net = 0; net < m->n_networks; net++) {
            if (!is_local(&g, net)) {
                continue;
            }
            flood_flow(&g, net, PIPELINE_FLAG_LOCAL, PRIO_FLOOD, true, true);
            flood_flow(&g, net, PIPELINE_FLAG_TUNNEL, PRIO_FLOOD, false,
                       false);
            if (g.gateways[net]) {
                /* A gateway's broadcasts stay on its host. */
                flood_flow(&g, net, PIPELINE_FLAG_GATEWAY, PRIO_GW_FLOOD,
                           false, false);
            }
        }
    }
    char *text = write_flows(&g);
    gen_clear(&g);
    return text;
}
