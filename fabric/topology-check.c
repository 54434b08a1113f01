/* topology-check: the checks between the objects of a topology (see
 * topology-private.h): unique names, references, addresses against their
 * networks, unique addresses, MACs, VLANs and VNIs, overlapping subnets,
 * router ports, gateways, routes, trunks and MTUs.
 *
 * Objects or fields that already failed their own checks are skipped
 * silently here, so that one mistake gives one message: a reference to a
 * network whose name is invalid is neither resolved nor reported, an
 * address in a network whose subnet is invalid is not checked against it.
 * When the same value is used twice, the later use in the file is reported
 * and the message points back at the first. */
#include "topology-private.h"
#include "xstring.h"

#include <stdlib.h>
#include <string.h>

/* A value some object claims for itself: an address, a MAC, a VLAN... */
struct claim {
    uint64_t key;
    const char *what; /* The object claiming it. */
    struct topo_pos pos;
    char *text; /* The value as shown in messages (owned). */
    size_t seq;
};

struct claims {
    struct claim *items;
    size_t n;
};

static void
claims_add(struct claims *c, uint64_t key, const char *what,
           struct topo_pos pos, char *text)
{
    c->items = topo_grow(c->items, c->n, sizeof *c->items);
    c->items[c->n] = (struct claim){key, what, pos, text, c->n};
    c->n++;
}

static int
compare_claims(const void *a_, const void *b_)
{
    const struct claim *a = a_, *b = b_;

    if (a->pos.line != b->pos.line) {
        return a->pos.line < b->pos.line ? -1 : 1;
    }
    if (a->pos.column != b->pos.column) {
        return a->pos.column < b->pos.column ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Reports every claim on a key already claimed earlier in the file, and
 * frees 'c'. */
static void
claims_check(struct topo_ctx *ctx, struct claims *c, const char *label)
{
    struct topo_index seen = {0};

    if (c->n) {
        qsort(c->items, c->n, sizeof *c->items, compare_claims);
    }
    for (size_t i = 0; i < c->n; i++) {
        const struct claim *cl = &c->items[i];
        size_t first;
        if (topo_index_find_u64(&seen, cl->key, &first)) {
            topo_msg_taken(ctx, cl->pos, cl->what, label, cl->text,
                           c->items[first].what, c->items[first].pos);
        } else {
            topo_index_add_u64(&seen, cl->key, i);
        }
    }
    topo_index_destroy(&seen);
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].text);
    }
    free(c->items);
    memset(c, 0, sizeof *c);
}

/* The names of one kind of object, to resolve references. */
struct names {
    const char *kind;
    struct topo_index valid;  /* Valid name -> index. */
    struct topo_index broken; /* Invalid name -> index. */
    const char **sorted;      /* Valid names, sorted, for messages. */
    size_t n_sorted;
    bool all_broken; /* The whole list is broken. */
};

/* Adds the object 'index' named 'name' (NULL if it has none) to 'names'
 * and reports it if the name is taken. */
static void
names_add(struct topo_ctx *ctx, struct names *names, const char *name, bool ok,
          struct topo_pos pos, size_t index, const struct topo_pos *positions,
          const char *owner)
{
    size_t first;

    if (!name) {
        return;
    } else if (!ok) {
        topo_index_add_str(&names->broken, name, index);
    } else if (topo_index_find_str(&names->valid, name, &first)) {
        topo_msg_duplicate_name(ctx, pos, owner, names->kind, name,
                                positions[first]);
    } else {
        topo_index_add_str(&names->valid, name, index);
        names->sorted =
            topo_grow(names->sorted, names->n_sorted, sizeof *names->sorted);
        names->sorted[names->n_sorted++] = name;
    }
}

static void
names_done(struct names *names)
{
    if (names->n_sorted) {
        qsort(names->sorted, names->n_sorted, sizeof *names->sorted,
              strptr_compare);
    }
}

static void
names_destroy(struct names *names)
{
    topo_index_destroy(&names->valid);
    topo_index_destroy(&names->broken);
    free(names->sorted);
}

/* Resolves the reference 'name' at 'pos' from 'what'.  Returns the index of
 * the object, or -1, having reported an unknown name unless the object
 * exists with an invalid name. */
static long
names_resolve(struct topo_ctx *ctx, const struct names *names,
              const char *name, struct topo_pos pos, const char *what)
{
    size_t index;

    if (topo_index_find_str(&names->valid, name, &index)) {
        return (long)index;
    }
    if (!names->all_broken &&
        !topo_index_find_str(&names->broken, name, NULL)) {
        topo_msg_unknown_ref(ctx, pos, what, names->kind, name, names->sorted,
                             names->n_sorted);
    }
    return -1;
}

struct checker {
    struct topo_ctx *ctx;
    struct ld_topology *topo;
    struct names hosts, networks, guests;
    struct claims ips, macs;
};

static void
check_names(struct checker *c)
{
    struct ld_topology *t = c->topo;
    struct topo_pos *pos;
    struct names routers = {.kind = "router"};
    struct names *guests = &c->guests;
    guests->kind = "guest";

    c->hosts.kind = "host";
    c->hosts.all_broken = t->hosts_broken;
    pos = topo_xrealloc(NULL, t->n_hosts, sizeof *pos);
    for (size_t i = 0; i < t->n_hosts; i++) {
        pos[i] = t->hosts[i].name_pos;
        names_add(c->ctx, &c->hosts, t->hosts[i].name, t->hosts[i].name_ok,
                  pos[i], i, pos, NULL);
    }
    free(pos);
    names_done(&c->hosts);

    c->networks.kind = "network";
    c->networks.all_broken = t->networks_broken;
    pos = topo_xrealloc(NULL, t->n_networks, sizeof *pos);
    for (size_t i = 0; i < t->n_networks; i++) {
        pos[i] = t->networks[i].name_pos;
        names_add(c->ctx, &c->networks, t->networks[i].name,
                  t->networks[i].name_ok, pos[i], i, pos, NULL);
    }
    free(pos);
    names_done(&c->networks);

    pos = topo_xrealloc(NULL, t->n_routers, sizeof *pos);
    for (size_t i = 0; i < t->n_routers; i++) {
        pos[i] = t->routers[i].name_pos;
        names_add(c->ctx, &routers, t->routers[i].name, t->routers[i].name_ok,
                  pos[i], i, pos, NULL);
    }
    free(pos);
    names_destroy(&routers);

    pos = topo_xrealloc(NULL, t->n_guests, sizeof *pos);
    for (size_t i = 0; i < t->n_guests; i++) {
        const struct ld_guest *g = &t->guests[i];
        pos[i] = g->name_pos;
        names_add(c->ctx, guests, g->name, g->name_ok, pos[i], i, pos, NULL);

        struct names ifaces = {.kind = "interface"};
        struct topo_pos *ipos = topo_xrealloc(NULL, g->n_ifaces, sizeof *ipos);
        for (size_t j = 0; j < g->n_ifaces; j++) {
            ipos[j] = g->ifaces[j].name_pos;
            names_add(c->ctx, &ifaces, g->ifaces[j].name, true, ipos[j], j,
                      ipos, g->what);
        }
        free(ipos);
        names_destroy(&ifaces);
    }
    free(pos);
    names_done(guests);
}

static void
check_hosts(struct checker *c)
{
    struct ld_topology *t = c->topo;
    struct claims underlays = {0};

    for (size_t i = 0; i < t->n_hosts; i++) {
        const struct ld_host *h = &t->hosts[i];
        if (t->n_hosts > 1 && !h->underlay_given) {
            topo_msg_missing_multihost(c->ctx, h->pos, h->what, "underlay",
                                       t->n_hosts);
        }
        if (h->underlay.ok) {
            claims_add(&underlays, h->underlay.ip, h->what, h->underlay.pos,
                       topo_format_ipv4(h->underlay.ip));
        }
    }
    claims_check(c->ctx, &underlays, "underlay address");
}

/* Resolves the host of a guest or VM router.  'given' is true if the
 * 'host' field is present, even if it is not a valid string. */
static long
resolve_host(struct checker *c, const char *host, bool given,
             struct topo_pos host_pos, struct topo_pos pos, const char *what)
{
    size_t n_hosts = c->topo->n_hosts;

    if (host) {
        return names_resolve(c->ctx, &c->hosts, host, host_pos, what);
    } else if (given) {
        return -1;
    } else if (n_hosts == 1) {
        return 0;
    } else if (n_hosts > 1) {
        topo_msg_missing_multihost(c->ctx, pos, what, "host", n_hosts);
    }
    return -1;
}

static void
check_networks(struct checker *c)
{
    struct ld_topology *t = c->topo;
    struct claims vlans = {0}, vnis = {0};

    for (size_t i = 0; i < t->n_networks; i++) {
        const struct ld_network *n = &t->networks[i];
        if (n->vlan) {
            claims_add(&vlans, n->vlan, n->what, n->vlan_pos,
                       xasprintf("%d", n->vlan));
        }
        if (n->vni) {
            claims_add(&vnis, n->vni, n->what, n->vni_pos,
                       xasprintf("%d", n->vni));
        }
    }
    claims_check(c->ctx, &vlans, "VLAN");
    claims_check(c->ctx, &vnis, "VNI");

    /* Each subnet against the subnets before it in the file (the array is
     * in the order of the file). */
    for (size_t j = 0; j < t->n_networks; j++) {
        const struct ld_network *b = &t->networks[j];
        for (size_t i = 0; b->subnet.ok && i < j; i++) {
            const struct ld_network *a = &t->networks[i];
            uint32_t mask =
                topo_mask(a->subnet.plen < b->subnet.plen ? a->subnet.plen
                                                          : b->subnet.plen);
            if (a->subnet.ok &&
                (a->subnet.ip & mask) == (b->subnet.ip & mask)) {
                topo_msg_overlap(c->ctx, b->subnet.pos, b->what,
                                 b->subnet.text, a->subnet.text, a->what,
                                 a->subnet.pos);
                break;
            }
        }
    }
}

/* Checks that the address 'a' of 'what', whose syntax is valid, is a usable
 * address of network 'n', whose subnet is valid.  'field' names it in
 * messages.  Returns true if it is. */
static bool
check_address(struct checker *c, const char *what, const char *field,
              const struct ld_addr *a, const struct ld_network *n)
{
    uint32_t mask = topo_mask(n->subnet.plen);

    if ((a->ip & mask) != n->subnet.ip) {
        topo_msg_outside(c->ctx, a->pos, what, field, a->text, n->name,
                         n->subnet.text);
    } else if (a->plen >= 0 && a->plen != n->subnet.plen) {
        topo_msg_prefix_mismatch(c->ctx, a->pos, what, a->text, n->name,
                                 n->subnet.text);
    } else if (a->ip == n->subnet.ip) {
        topo_msg_network_address(c->ctx, a->pos, what, field, a->text, n->name,
                                 n->subnet.text);
    } else if (a->ip == (n->subnet.ip | ~mask)) {
        topo_msg_broadcast_address(c->ctx, a->pos, what, field, a->text,
                                   n->name, n->subnet.text);
    } else {
        return true;
    }
    return false;
}

/* Claims the address 'a' in network 'net'. */
static void
claim_address(struct checker *c, long net, const struct ld_addr *a,
              const char *what)
{
    claims_add(&c->ips, ((uint64_t)net << 32) | a->ip, what, a->pos,
               topo_format_ipv4(a->ip));
}

/* The hosts' address in network 'net': only in modes nat and routed,
 * where it defaults to the first address of the subnet; claimed like a
 * guest's address. */
static void
check_host_ip(struct checker *c, long net)
{
    struct ld_network *n = &c->topo->networks[net];
    const char *mode = fabric_net_mode_name(n->mode);

    if (n->host_ip.text && n->mode == FABRIC_NET_ISOLATED) {
        topo_msg_needs_mode(c->ctx, n->host_ip.pos, n->what, "host_ip",
                            "nat or routed", mode);
    } else if (n->host_ip.text) {
        if (n->subnet.ok && n->host_ip.ok &&
            check_address(c, n->what, "host_ip", &n->host_ip, n)) {
            claim_address(c, net, &n->host_ip, n->host_ip_what);
        }
    } else if (n->mode != FABRIC_NET_ISOLATED && n->subnet.ok) {
        struct ld_addr first = {
            .text = "",
            .pos = n->subnet.pos,
            .ip = n->subnet.ip + 1,
            .plen = -1,
            .ok = true,
        };
        claim_address(c, net, &first, n->host_ip_what);
    }
    if (n->forwards_given && n->mode != FABRIC_NET_NAT) {
        topo_msg_needs_mode(c->ctx, n->forwards_pos, n->what, "forwards",
                            "nat", mode);
    }
}

/* The port forwards of every nat network: a guest with an address in the
 * network, a host port used once per protocol in the lab. */
static void
check_forwards(struct checker *c)
{
    struct ld_topology *t = c->topo;
    struct claims ports = {0};

    for (size_t i = 0; i < t->n_networks; i++) {
        struct ld_network *n = &t->networks[i];
        for (size_t j = 0; n->mode == FABRIC_NET_NAT && j < n->n_forwards;
             j++) {
            struct ld_forward *f = &n->forwards[j];
            if (f->host_port) {
                claims_add(&ports, ((uint64_t)f->proto << 16) | f->host_port,
                           f->what, f->host_port_pos,
                           xasprintf("%d/%s", f->host_port,
                                     fabric_proto_name(f->proto)));
            }
            if (!f->guest) {
                continue;
            }
            f->guest_idx = names_resolve(c->ctx, &c->guests, f->guest,
                                         f->guest_pos, f->what);
            if (f->guest_idx < 0 || !n->name_ok) {
                continue;
            }
            const struct ld_guest *g = &t->guests[f->guest_idx];
            bool found = false, unsure = false;
            for (size_t k = 0; k < g->n_ifaces && !found; k++) {
                const struct ld_iface *iface = &g->ifaces[k];
                unsure |= iface->net < 0;
                found = iface->net == (long)i && iface->n_addrs &&
                        iface->addrs[0].ok;
            }
            if (!found && !unsure) {
                topo_msg_forward_no_address(c->ctx, f->guest_pos, f->what,
                                            f->guest, n->name);
                f->guest_idx = -1;
            }
        }
    }
    claims_check(c->ctx, &ports, "host port");
}

/* The uplinks of every network: a host of the lab, at most one per
 * network, and an interface of a host used untagged by one uplink only
 * or tagged by uplinks on different VLANs. */
static void
check_uplinks(struct checker *c)
{
    struct ld_topology *t = c->topo;
    const struct ld_uplink **seen = NULL;
    size_t n_seen = 0;

    for (size_t i = 0; i < t->n_networks; i++) {
        struct ld_network *n = &t->networks[i];
        for (size_t j = 0; j < n->n_uplinks; j++) {
            struct ld_uplink *u = &n->uplinks[j];
            u->host_idx = resolve_host(c, u->host, u->host_given, u->host_pos,
                                       u->pos, u->what);
            if (j) {
                topo_msg_second_uplink(c->ctx, u->pos, u->what,
                                       n->uplinks[0].pos);
            }
            if (u->host_idx < 0 || !u->interface) {
                continue;
            }
            seen = topo_grow(seen, n_seen, sizeof *seen);
            seen[n_seen++] = u;
        }
    }
    /* Later in the file is reported, pointing back at the first. */
    for (size_t a = 0; a < n_seen; a++) {
        for (size_t b = 0; b < n_seen; b++) {
            const struct ld_uplink *x = seen[a], *y = seen[b];
            bool later =
                y->pos.line > x->pos.line ||
                (y->pos.line == x->pos.line && y->pos.column > x->pos.column);
            if (!later || x->host_idx != y->host_idx ||
                strcmp(x->interface, y->interface) ||
                (x->vlan && y->vlan && x->vlan != y->vlan)) {
                continue;
            }
            char *text =
                x->vlan && y->vlan
                    ? xasprintf("%s of host %s on VLAN %d", y->interface,
                                t->hosts[y->host_idx].name, y->vlan)
                    : xasprintf("%s of host %s", y->interface,
                                t->hosts[y->host_idx].name);
            topo_msg_taken(c->ctx, y->interface_pos, y->what, "interface",
                           text, x->what, x->interface_pos);
            free(text);
            break;
        }
    }
    free(seen);
}

static void
claim_mac(struct checker *c, uint64_t mac, struct topo_pos pos,
          const char *what)
{
    claims_add(&c->macs, mac, what, pos, topo_format_mac(mac));
}

/* The network 'net' if it is resolved and has a valid subnet, else NULL. */
static struct ld_network *
usable_network(struct checker *c, long net)
{
    struct ld_network *n = net >= 0 ? &c->topo->networks[net] : NULL;
    return n && n->subnet.ok ? n : NULL;
}

static void
check_routers(struct checker *c)
{
    struct ld_topology *t = c->topo;

    /* Routers and their ports are in the order of the file. */
    for (size_t i = 0; i < t->n_routers; i++) {
        struct ld_router *r = &t->routers[i];
        if (r->kind == FABRIC_ROUTER_VM) {
            r->host_idx = resolve_host(c, r->host, r->host_given, r->host_pos,
                                       r->pos, r->what);
        }
        for (size_t j = 0; j < r->n_ports; j++) {
            struct ld_port *p = &r->ports[j];
            if (p->network) {
                p->net = names_resolve(c->ctx, &c->networks, p->network,
                                       p->network_pos, p->what);
            }
            if (p->net >= 0) {
                struct ld_network *n = &t->networks[p->net];
                if (n->router < 0) {
                    n->router = (long)i;
                    n->port = (long)j;
                } else {
                    const struct ld_router *owner = &t->routers[n->router];
                    topo_msg_second_router_port(c->ctx, p->network_pos,
                                                p->what, n->name, owner->what,
                                                owner->ports[n->port].pos);
                }
            }
            struct ld_network *n = usable_network(c, p->net);
            if (n && p->ip.ok &&
                check_address(c, p->what, "address", &p->ip, n)) {
                claim_address(c, p->net, &p->ip, p->what);
            }
            if (p->has_mac) {
                claim_mac(c, p->mac, p->mac_pos, p->what);
            }
        }
    }
}

static void
check_iface(struct checker *c, struct ld_iface *iface)
{
    struct ld_topology *t = c->topo;

    if (iface->network) {
        iface->net = names_resolve(c->ctx, &c->networks, iface->network,
                                   iface->network_pos, iface->what);
    }
    struct ld_network *n = usable_network(c, iface->net);

    for (size_t i = 0; n && i < iface->n_addrs; i++) {
        const struct ld_addr *a = &iface->addrs[i];
        if (a->ok && check_address(c, iface->what, "address", a, n)) {
            claim_address(c, iface->net, a, iface->what);
        }
    }
    if (iface->has_mac) {
        claim_mac(c, iface->mac, iface->mac_pos, iface->what);
    }

    const struct ld_addr *gw = &iface->gateway;
    if (n && iface->gw == LD_GW_ADDR && gw->ok &&
        check_address(c, iface->what, "gateway", gw, n)) {
        for (size_t i = 0; i < iface->n_addrs; i++) {
            if (iface->addrs[i].ok && iface->addrs[i].ip == gw->ip) {
                topo_msg_gateway_self(c->ctx, gw->pos, iface->what, gw->text);
                break;
            }
        }
    }

    for (size_t i = 0; i < iface->n_trunks; i++) {
        struct ld_trunk *trunk = &iface->trunks[i];
        trunk->net = names_resolve(c->ctx, &c->networks, trunk->network,
                                   trunk->pos, iface->what);
        if (trunk->net < 0) {
            continue;
        } else if (trunk->net == iface->net) {
            topo_msg_trunk_native(c->ctx, trunk->pos, iface->what,
                                  trunk->network);
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (iface->trunks[j].net == trunk->net) {
                topo_msg_trunk_twice(c->ctx, trunk->pos, iface->what,
                                     trunk->network);
                break;
            }
        }
    }

    if (iface->mtu && iface->net >= 0) {
        const struct ld_network *net = &t->networks[iface->net];
        int net_mtu = net->mtu ? net->mtu : t->mtu_limit;
        if (iface->mtu > net_mtu) {
            topo_msg_iface_mtu(c->ctx, iface->mtu_pos, iface->what, iface->mtu,
                               net_mtu, net->name);
        }
    }
}

/* Checks the routes of guest 'g', whose interfaces are resolved. */
static void
check_routes(struct checker *c, const struct ld_guest *g)
{
    bool all_usable = true;

    for (size_t i = 0; i < g->n_ifaces; i++) {
        if (!usable_network(c, g->ifaces[i].net)) {
            all_usable = false;
        }
    }

    struct claims tos = {0};
    for (size_t i = 0; i < g->n_ifaces; i++) {
        const struct ld_iface *iface = &g->ifaces[i];
        for (size_t j = 0; j < iface->n_routes; j++) {
            const struct ld_route *r = &iface->routes[j];
            if (r->to.ok) {
                /* A key unique to the prefix: address and length. */
                claims_add(&tos, ((uint64_t)r->to.plen << 32) | r->to.ip,
                           iface->what, r->to.pos, NULL);
            }
            if (!r->via.ok || !r->to.ok || !all_usable) {
                continue;
            }
            bool inside = false;
            for (size_t k = 0; k < g->n_ifaces && !inside; k++) {
                const struct ld_network *n =
                    usable_network(c, g->ifaces[k].net);
                inside =
                    (r->via.ip & topo_mask(n->subnet.plen)) == n->subnet.ip;
            }
            if (!inside) {
                topo_msg_route_via(c->ctx, r->via.pos, iface->what,
                                   r->via.text, r->to.text, g->what);
            }
        }
    }

    /* The same destination twice, reported at the later one. */
    struct topo_index seen = {0};
    if (tos.n) {
        qsort(tos.items, tos.n, sizeof *tos.items, compare_claims);
    }
    for (size_t i = 0; i < tos.n; i++) {
        size_t first;
        if (topo_index_find_u64(&seen, tos.items[i].key, &first)) {
            char *to = topo_format_prefix((uint32_t)tos.items[i].key,
                                          (int)(tos.items[i].key >> 32));
            topo_msg_route_duplicate(c->ctx, tos.items[i].pos,
                                     tos.items[i].what, to,
                                     tos.items[first].pos);
            free(to);
        } else {
            topo_index_add_u64(&seen, tos.items[i].key, i);
        }
    }
    topo_index_destroy(&seen);
    free(tos.items);
}

/* No two interfaces of guests of kind port bind one iface-id: it would
 * be ambiguous on a host, and a guest may move to another host. */
static void
check_iface_ids(struct checker *c)
{
    struct ld_topology *t = c->topo;
    struct topo_index seen = {0};
    const struct ld_iface **ifaces = NULL;
    size_t n = 0;

    for (size_t i = 0; i < t->n_guests; i++) {
        const struct ld_guest *g = &t->guests[i];
        for (size_t j = 0; g->kind == FABRIC_GUEST_PORT && j < g->n_ifaces;
             j++) {
            const struct ld_iface *iface = &g->ifaces[j];
            size_t first;
            if (!iface->iface_id) {
                continue;
            } else if (topo_index_find_str(&seen, iface->iface_id, &first)) {
                topo_msg_taken(c->ctx, iface->iface_id_pos, iface->what,
                               "iface_id", iface->iface_id,
                               ifaces[first]->what,
                               ifaces[first]->iface_id_pos);
            } else {
                ifaces = topo_grow(ifaces, n, sizeof *ifaces);
                ifaces[n] = iface;
                topo_index_add_str(&seen, iface->iface_id, n++);
            }
        }
    }
    topo_index_destroy(&seen);
    free(ifaces);
}

static void
check_guests(struct checker *c)
{
    struct ld_topology *t = c->topo;

    for (size_t i = 0; i < t->n_guests; i++) {
        struct ld_guest *g = &t->guests[i];
        const struct ld_iface *gw_iface = NULL;

        g->host_idx = resolve_host(c, g->host, g->host_given, g->host_pos,
                                   g->pos, g->what);
        for (size_t j = 0; j < g->n_ifaces; j++) {
            struct ld_iface *iface = &g->ifaces[j];
            check_iface(c, iface);
            if (iface->gw != LD_GW_ADDR) {
                continue;
            } else if (!gw_iface) {
                gw_iface = iface;
            } else {
                topo_msg_second_gateway(c->ctx, iface->gateway.pos,
                                        iface->what,
                                        gw_iface->name ? gw_iface->name : "?",
                                        gw_iface->gateway.pos);
            }
        }
        check_routes(c, g);
    }
    check_iface_ids(c);
}

void
topo_check(struct topo_ctx *ctx, struct ld_topology *topo)
{
    struct checker c = {.ctx = ctx, .topo = topo};

    check_names(&c);
    check_hosts(&c);
    check_networks(&c);
    for (size_t i = 0; i < topo->n_networks; i++) {
        check_host_ip(&c, (long)i);
    }
    check_routers(&c);
    check_guests(&c);
    check_forwards(&c);
    check_uplinks(&c);
    claims_check(ctx, &c.ips, "address");
    claims_check(ctx, &c.macs, "MAC");
    names_destroy(&c.hosts);
    names_destroy(&c.networks);
    names_destroy(&c.guests);
}
