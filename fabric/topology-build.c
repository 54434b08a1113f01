/* topology-build: a checked 'struct ld_topology' -> a 'struct
 * fabric_model' (see topology-private.h and docs/topology.md).
 *
 * Everything the file leaves out is derived here, from names only:
 * - VLANs: networks without one, in order of name, start at
 *   100 + FNV-1a(name) % 3995 and probe upwards (wrapping to 100) past the
 *   VLANs already taken, explicit ones first.
 * - VNIs: 10000 + VLAN, probing upwards past VNIs already taken.
 * - MACs: 02:fa followed by FNV-1a("router/network") for router ports and
 *   FNV-1a("guest/interface") for guest interfaces, probing upwards past
 *   MACs already taken, explicit ones first; routers before guests, each
 *   in order of name.
 * - MTUs: the smallest underlay MTU minus the encapsulation overhead for
 *   networks, the network's MTU for interfaces.
 * - Gateways: when no interface of a guest sets one, the first interface
 *   whose network has a router port gets that port's address, or, in a
 *   network of mode nat or routed without a router port, the hosts'
 *   address (host_ip).
 * - Host addresses: a nat or routed network without host_ip takes the
 *   first address of its subnet.
 * - Port forwards: sorted by protocol, then host port; a forward without
 *   'port' goes to the same port on the guest.
 * - Uplinks: sorted by host, interface and VLAN; an uplink without 'host'
 *   is on the only host.
 * The model's arrays are sorted by name; router ports by network; guest
 * interfaces, addresses, routes and trunks stay in the order of the
 * file. */
#include "topology-private.h"
#include "xstring.h"

#include <stdlib.h>
#include <string.h>

struct named {
    const char *name;
    size_t index;
};

static int
compare_named(const void *a_, const void *b_)
{
    const struct named *a = a_, *b = b_;
    int cmp = strcmp(a->name, b->name);
    return cmp ? cmp : (a->index > b->index) - (a->index < b->index);
}

/* Returns a new array of 'n' indexes ordered by the names that 'name_of'
 * gives them, and fills 'rank' (if nonnull, 'n' elements) with each
 * index's place in that order. */
static size_t *
sort_by_name(size_t n, const char *(*name_of)(const void *, size_t),
             const void *array, size_t *rank)
{
    struct named *named = topo_xrealloc(NULL, n, sizeof *named);
    size_t *order = topo_xrealloc(NULL, n, sizeof *order);

    for (size_t i = 0; i < n; i++) {
        named[i] = (struct named){name_of(array, i), i};
    }
    qsort(named, n, sizeof *named, compare_named);
    for (size_t i = 0; i < n; i++) {
        order[i] = named[i].index;
        if (rank) {
            rank[named[i].index] = i;
        }
    }
    free(named);
    return order;
}

static const char *
host_name(const void *a, size_t i)
{
    return ((const struct ld_host *)a)[i].name;
}

static const char *
network_name(const void *a, size_t i)
{
    return ((const struct ld_network *)a)[i].name;
}

static const char *
router_name(const void *a, size_t i)
{
    return ((const struct ld_router *)a)[i].name;
}

static const char *
guest_name(const void *a, size_t i)
{
    return ((const struct ld_guest *)a)[i].name;
}

struct builder {
    struct topo_ctx *ctx;
    const struct ld_topology *t;
    size_t *host_order, *host_rank;
    size_t *net_order, *net_rank;
    size_t *router_order, *guest_order, *guest_rank;
    int *vlans, *vnis;     /* Per network, in the order of 't'. */
    uint64_t **port_macs;  /* Per router, per port. */
    uint64_t **iface_macs; /* Per guest, per interface. */
};

static bool
derive_vlans(struct builder *b)
{
    const struct ld_topology *t = b->t;
    const int range = TOPO_VLAN_MAX - TOPO_VLAN_AUTO_MIN + 1;
    bool taken[TOPO_VLAN_MAX + 1] = {false};
    bool ok = true;

    for (size_t i = 0; i < t->n_networks; i++) {
        b->vlans[i] = t->networks[i].vlan;
        taken[b->vlans[i]] = true;
    }
    for (size_t k = 0; k < t->n_networks; k++) {
        size_t i = b->net_order[k];
        if (b->vlans[i]) {
            continue;
        }
        int start = (int)(topo_hash32(t->networks[i].name, NULL) % range);
        for (int probe = 0; probe < range; probe++) {
            int vlan = TOPO_VLAN_AUTO_MIN + (start + probe) % range;
            if (!taken[vlan]) {
                taken[vlan] = true;
                b->vlans[i] = vlan;
                break;
            }
        }
        if (!b->vlans[i]) {
            topo_msg_no_free(b->ctx, t->networks[i].pos, t->networks[i].what,
                             "VLAN", TOPO_VLAN_AUTO_MIN, TOPO_VLAN_MAX);
            ok = false;
        }
    }
    return ok;
}

static void
derive_vnis(struct builder *b)
{
    const struct ld_topology *t = b->t;
    struct topo_index taken = {0};

    for (size_t i = 0; i < t->n_networks; i++) {
        b->vnis[i] = t->networks[i].vni;
        if (b->vnis[i]) {
            topo_index_add_u64(&taken, (uint64_t)b->vnis[i], i);
        }
    }
    for (size_t k = 0; k < t->n_networks; k++) {
        size_t i = b->net_order[k];
        if (b->vnis[i]) {
            continue;
        }
        /* There are far fewer networks than VNIs, so this ends. */
        int vni = TOPO_VNI_BASE + b->vlans[i];
        while (topo_index_find_u64(&taken, (uint64_t)vni, NULL)) {
            vni = vni == TOPO_VNI_MAX ? 1 : vni + 1;
        }
        topo_index_add_u64(&taken, (uint64_t)vni, i);
        b->vnis[i] = vni;
    }
    topo_index_destroy(&taken);
}

struct ranked {
    size_t rank;
    size_t index;
};

static int
compare_ranked(const void *a_, const void *b_)
{
    const struct ranked *a = a_, *b = b_;
    return (a->rank > b->rank) - (a->rank < b->rank);
}

/* Returns a new array of the indexes of the ports of 'r', in order of
 * their networks' names.  (A router has one port per network.) */
static size_t *
port_order(const struct builder *b, const struct ld_router *r)
{
    struct ranked *ranked = topo_xrealloc(NULL, r->n_ports, sizeof *ranked);
    size_t *order = topo_xrealloc(NULL, r->n_ports, sizeof *order);

    for (size_t j = 0; j < r->n_ports; j++) {
        ranked[j] = (struct ranked){b->net_rank[r->ports[j].net], j};
    }
    qsort(ranked, r->n_ports, sizeof *ranked, compare_ranked);
    for (size_t m = 0; m < r->n_ports; m++) {
        order[m] = ranked[m].index;
    }
    free(ranked);
    return order;
}

static uint64_t
derive_mac(struct topo_index *taken, const char *a, const char *b)
{
    uint32_t h = topo_hash32(a, b);
    while (topo_index_find_u64(taken, TOPO_MAC_PREFIX | h, NULL)) {
        h++;
    }
    topo_index_add_u64(taken, TOPO_MAC_PREFIX | h, 0);
    return TOPO_MAC_PREFIX | h;
}

static void
derive_macs(struct builder *b)
{
    const struct ld_topology *t = b->t;
    struct topo_index taken = {0};

    b->port_macs = topo_xrealloc(NULL, t->n_routers, sizeof *b->port_macs);
    for (size_t i = 0; i < t->n_routers; i++) {
        const struct ld_router *r = &t->routers[i];
        b->port_macs[i] = topo_xrealloc(NULL, r->n_ports, sizeof(uint64_t));
        for (size_t j = 0; j < r->n_ports; j++) {
            b->port_macs[i][j] = r->ports[j].has_mac ? r->ports[j].mac : 0;
            if (r->ports[j].has_mac) {
                topo_index_add_u64(&taken, r->ports[j].mac, 0);
            }
        }
    }
    b->iface_macs = topo_xrealloc(NULL, t->n_guests, sizeof *b->iface_macs);
    for (size_t i = 0; i < t->n_guests; i++) {
        const struct ld_guest *g = &t->guests[i];
        b->iface_macs[i] = topo_xrealloc(NULL, g->n_ifaces, sizeof(uint64_t));
        for (size_t j = 0; j < g->n_ifaces; j++) {
            b->iface_macs[i][j] = g->ifaces[j].has_mac ? g->ifaces[j].mac : 0;
            if (g->ifaces[j].has_mac) {
                topo_index_add_u64(&taken, g->ifaces[j].mac, 0);
            }
        }
    }

    /* Router ports in order of router, then of network name. */
    for (size_t k = 0; k < t->n_routers; k++) {
        size_t i = b->router_order[k];
        const struct ld_router *r = &t->routers[i];
        size_t *order = port_order(b, r);
        for (size_t m = 0; m < r->n_ports; m++) {
            size_t j = order[m];
            if (!b->port_macs[i][j]) {
                b->port_macs[i][j] =
                    derive_mac(&taken, r->name, r->ports[j].network);
            }
        }
        free(order);
    }
    for (size_t k = 0; k < t->n_guests; k++) {
        size_t i = b->guest_order[k];
        const struct ld_guest *g = &t->guests[i];
        for (size_t j = 0; j < g->n_ifaces; j++) {
            if (!b->iface_macs[i][j]) {
                b->iface_macs[i][j] =
                    derive_mac(&taken, g->name, g->ifaces[j].name);
            }
        }
    }
    topo_index_destroy(&taken);
}

static void
copy_smap(struct fabric_smap *dst, const struct fabric_smap *src)
{
    for (size_t i = 0; i < src->n; i++) {
        fabric_smap_add(dst, src->keys[i], src->values[i]);
    }
}

/* The model's VM settings from 'vm' as written, defaults filled in; all
 * zero when the object is not a VM. */
static void
build_vm(const struct ld_vm *vm, bool is_vm, struct fabric_vm *out)
{
    memset(out, 0, sizeof *out);
    if (!is_vm) {
        return;
    }
    out->vcpus = vm->vcpus ? vm->vcpus : TOPO_DEFAULT_VCPUS;
    out->memory_mb = vm->memory_mb ? vm->memory_mb : TOPO_DEFAULT_MEMORY_MB;
    out->image = xstrdup_or_null(vm->image);
    out->kernel = xstrdup_or_null(vm->kernel);
    out->initrd = xstrdup_or_null(vm->initrd);
    out->cmdline = xstrdup_or_null(vm->cmdline);
    out->user_data = xstrdup_or_null(vm->user_data);
    out->restart = vm->restart;
}

/* The address, without prefix, of the router port in network 'net' of
 * 't', as a new string, or NULL if it has none. */
static char *
router_address(const struct ld_topology *t, long net)
{
    const struct ld_network *n = &t->networks[net];
    return (n->router < 0 ? NULL
                          : topo_format_ipv4(
                                t->routers[n->router].ports[n->port].ip.ip));
}

/* The hosts' address, without prefix, in network 'net' of 't' (modes nat
 * and routed), as a new string, or NULL for an isolated network. */
static char *
host_address(const struct ld_topology *t, long net)
{
    const struct ld_network *n = &t->networks[net];
    return (n->mode == FABRIC_NET_ISOLATED
                ? NULL
                : topo_format_ipv4(n->host_ip.text ? n->host_ip.ip
                                                   : n->subnet.ip + 1));
}

/* The default gateway an interface in network 'net' gets, as a new
 * string, or NULL: the router port's address, else the hosts'. */
static char *
default_gateway(const struct ld_topology *t, long net)
{
    char *gw = router_address(t, net);
    return gw ? gw : host_address(t, net);
}

static int
compare_forwards(const void *a_, const void *b_)
{
    const struct fabric_forward *a = a_, *b = b_;
    if (a->proto != b->proto) {
        return a->proto < b->proto ? -1 : 1;
    }
    return (a->host_port > b->host_port) - (a->host_port < b->host_port);
}

static void
build_forwards(const struct builder *b, const struct ld_network *n,
               struct fabric_network *mn)
{
    mn->forwards = topo_xrealloc(NULL, n->n_forwards, sizeof *mn->forwards);
    for (size_t j = 0; n->mode == FABRIC_NET_NAT && j < n->n_forwards; j++) {
        const struct ld_forward *f = &n->forwards[j];
        mn->forwards[mn->n_forwards++] = (struct fabric_forward){
            .proto = f->proto,
            .host_port = f->host_port,
            .guest = b->guest_rank[f->guest_idx],
            .port = f->port ? f->port : f->host_port,
        };
    }
    if (mn->n_forwards) {
        qsort(mn->forwards, mn->n_forwards, sizeof *mn->forwards,
              compare_forwards);
    }
}

static void
build_uplinks(const struct builder *b, const struct ld_network *n,
              struct fabric_network *mn)
{
    mn->uplinks = topo_xrealloc(NULL, n->n_uplinks, sizeof *mn->uplinks);
    for (size_t j = 0; j < n->n_uplinks; j++) {
        const struct ld_uplink *u = &n->uplinks[j];
        mn->uplinks[mn->n_uplinks++] = (struct fabric_uplink){
            .host = b->host_rank[u->host_idx],
            .interface = topo_xstrdup(u->interface),
            .vlan = u->vlan,
        };
    }
    if (mn->n_uplinks) {
        qsort(mn->uplinks, mn->n_uplinks, sizeof *mn->uplinks,
              fabric_uplink_compare);
    }
}

static void
build_hosts(const struct builder *b, struct fabric_model *m)
{
    const struct ld_topology *t = b->t;

    m->hosts = topo_xrealloc(NULL, t->n_hosts, sizeof *m->hosts);
    memset(m->hosts, 0, t->n_hosts * sizeof *m->hosts);
    for (size_t k = 0; k < t->n_hosts; k++) {
        const struct ld_host *h = &t->hosts[b->host_order[k]];
        struct fabric_host *mh = &m->hosts[k];
        mh->name = topo_xstrdup(h->name);
        mh->underlay_ip =
            (h->underlay.text ? topo_format_ipv4(h->underlay.ip) : NULL);
        mh->encap = topo_xstrdup("geneve");
        mh->underlay_mtu = h->underlay_mtu;
        copy_smap(&mh->external_ids, &h->external_ids);
    }
    m->n_hosts = t->n_hosts;
}

static void
build_networks(const struct builder *b, struct fabric_model *m)
{
    const struct ld_topology *t = b->t;

    m->networks = topo_xrealloc(NULL, t->n_networks, sizeof *m->networks);
    memset(m->networks, 0, t->n_networks * sizeof *m->networks);
    for (size_t k = 0; k < t->n_networks; k++) {
        size_t i = b->net_order[k];
        const struct ld_network *n = &t->networks[i];
        struct fabric_network *mn = &m->networks[k];
        mn->name = topo_xstrdup(n->name);
        mn->subnet = topo_format_prefix(n->subnet.ip, n->subnet.plen);
        mn->mode = n->mode;
        mn->vlan = b->vlans[i];
        mn->vni = b->vnis[i];
        mn->mtu = n->mtu ? n->mtu : t->mtu_limit;
        mn->gateway = router_address(t, (long)i);
        mn->dhcp = n->dhcp;
        mn->host_ip = host_address(t, (long)i);
        build_forwards(b, n, mn);
        build_uplinks(b, n, mn);
        copy_smap(&mn->external_ids, &n->external_ids);
    }
    m->n_networks = t->n_networks;
}

static void
build_routers(const struct builder *b, struct fabric_model *m)
{
    const struct ld_topology *t = b->t;

    m->routers = topo_xrealloc(NULL, t->n_routers, sizeof *m->routers);
    memset(m->routers, 0, t->n_routers * sizeof *m->routers);
    for (size_t k = 0; k < t->n_routers; k++) {
        size_t i = b->router_order[k];
        const struct ld_router *r = &t->routers[i];
        struct fabric_router *mr = &m->routers[k];
        mr->name = topo_xstrdup(r->name);
        mr->kind = r->kind;
        mr->has_host = r->kind == FABRIC_ROUTER_VM;
        mr->host = mr->has_host ? b->host_rank[r->host_idx] : 0;
        mr->ports = topo_xrealloc(NULL, r->n_ports, sizeof *mr->ports);
        size_t *order = port_order(b, r);
        for (size_t m_ = 0; m_ < r->n_ports; m_++) {
            size_t j = order[m_];
            const struct ld_port *p = &r->ports[j];
            int plen = t->networks[p->net].subnet.plen;
            mr->ports[m_] = (struct fabric_router_port){
                .network = b->net_rank[p->net],
                .ip = topo_format_prefix(p->ip.ip, plen),
                .mac = topo_format_mac(b->port_macs[i][j]),
            };
        }
        free(order);
        mr->n_ports = r->n_ports;
        build_vm(&r->vm, r->kind == FABRIC_ROUTER_VM, &mr->vm);
        copy_smap(&mr->external_ids, &r->external_ids);
    }
    m->n_routers = t->n_routers;
}

static void
build_iface(const struct builder *b, const struct ld_iface *iface,
            uint64_t mac, bool default_gw, struct fabric_interface *mi)
{
    const struct ld_topology *t = b->t;
    const struct ld_network *n = &t->networks[iface->net];

    memset(mi, 0, sizeof *mi);
    mi->name = topo_xstrdup(iface->name);
    mi->network = b->net_rank[iface->net];
    mi->mac = topo_format_mac(mac);
    mi->addresses = topo_xrealloc(NULL, iface->n_addrs, sizeof *mi->addresses);
    for (size_t i = 0; i < iface->n_addrs; i++) {
        mi->addresses[i] =
            topo_format_prefix(iface->addrs[i].ip, n->subnet.plen);
    }
    mi->n_addresses = iface->n_addrs;
    mi->gateway =
        (iface->gw == LD_GW_ADDR ? topo_format_ipv4(iface->gateway.ip)
         : default_gw            ? default_gateway(t, iface->net)
                                 : NULL);
    mi->routes = topo_xrealloc(NULL, iface->n_routes, sizeof *mi->routes);
    for (size_t i = 0; i < iface->n_routes; i++) {
        const struct ld_route *r = &iface->routes[i];
        mi->routes[i].prefix = topo_format_prefix(r->to.ip, r->to.plen);
        mi->routes[i].via = topo_format_ipv4(r->via.ip);
    }
    mi->n_routes = iface->n_routes;
    mi->vlan_mode = iface->vlan_mode;
    mi->trunks = topo_xrealloc(NULL, iface->n_trunks, sizeof *mi->trunks);
    for (size_t i = 0; i < iface->n_trunks; i++) {
        mi->trunks[i] = b->net_rank[iface->trunks[i].net];
    }
    mi->n_trunks = iface->n_trunks;
    mi->port_security = iface->port_security;
    mi->mtu = iface->mtu ? iface->mtu : n->mtu ? n->mtu : t->mtu_limit;
    mi->iface_id = iface->iface_id ? topo_xstrdup(iface->iface_id) : NULL;
}

static void
build_guests(const struct builder *b, struct fabric_model *m)
{
    const struct ld_topology *t = b->t;

    m->guests = topo_xrealloc(NULL, t->n_guests, sizeof *m->guests);
    memset(m->guests, 0, t->n_guests * sizeof *m->guests);
    for (size_t k = 0; k < t->n_guests; k++) {
        size_t i = b->guest_order[k];
        const struct ld_guest *g = &t->guests[i];
        struct fabric_guest *mg = &m->guests[k];
        bool vm = g->kind == FABRIC_GUEST_VM;

        mg->name = topo_xstrdup(g->name);
        mg->host = b->host_rank[g->host_idx];
        mg->kind = g->kind;
        build_vm(&g->vm, vm, &mg->vm);

        /* The default gateway goes to the first interface with a router
         * port or the hosts' address in its network, if no interface
         * says otherwise. */
        long default_gw = -1;
        for (size_t j = 0; j < g->n_ifaces; j++) {
            if (g->ifaces[j].gw != LD_GW_DEFAULT) {
                default_gw = -1;
                break;
            }
            const struct ld_network *n = &t->networks[g->ifaces[j].net];
            if (default_gw < 0 &&
                (n->router >= 0 || n->mode != FABRIC_NET_ISOLATED)) {
                default_gw = (long)j;
            }
        }

        mg->interfaces =
            topo_xrealloc(NULL, g->n_ifaces, sizeof *mg->interfaces);
        for (size_t j = 0; j < g->n_ifaces; j++) {
            build_iface(b, &g->ifaces[j], b->iface_macs[i][j],
                        (long)j == default_gw, &mg->interfaces[j]);
        }
        mg->n_interfaces = g->n_ifaces;
        copy_smap(&mg->external_ids, &g->external_ids);
    }
    m->n_guests = t->n_guests;
}

struct fabric_model *
topo_build(struct topo_ctx *ctx, const struct ld_topology *t)
{
    struct builder b = {.ctx = ctx, .t = t};
    struct fabric_model *m = NULL;

    b.host_rank = topo_xrealloc(NULL, t->n_hosts, sizeof *b.host_rank);
    b.host_order = sort_by_name(t->n_hosts, host_name, t->hosts, b.host_rank);
    b.net_rank = topo_xrealloc(NULL, t->n_networks, sizeof *b.net_rank);
    b.net_order =
        sort_by_name(t->n_networks, network_name, t->networks, b.net_rank);
    b.router_order = sort_by_name(t->n_routers, router_name, t->routers, NULL);
    b.guest_rank = topo_xrealloc(NULL, t->n_guests, sizeof *b.guest_rank);
    b.guest_order =
        sort_by_name(t->n_guests, guest_name, t->guests, b.guest_rank);
    b.vlans = topo_xrealloc(NULL, t->n_networks, sizeof *b.vlans);
    b.vnis = topo_xrealloc(NULL, t->n_networks, sizeof *b.vnis);

    if (derive_vlans(&b)) {
        derive_vnis(&b);
        derive_macs(&b);

        m = topo_xrealloc(NULL, 1, sizeof *m);
        memset(m, 0, sizeof *m);
        m->name = topo_xstrdup(t->name);
        build_hosts(&b, m);
        build_networks(&b, m);
        build_routers(&b, m);
        build_guests(&b, m);

        for (size_t i = 0; i < t->n_routers; i++) {
            free(b.port_macs[i]);
        }
        for (size_t i = 0; i < t->n_guests; i++) {
            free(b.iface_macs[i]);
        }
        free(b.port_macs);
        free(b.iface_macs);
    }

    free(b.host_order);
    free(b.host_rank);
    free(b.net_order);
    free(b.net_rank);
    free(b.router_order);
    free(b.guest_order);
    free(b.guest_rank);
    free(b.vlans);
    free(b.vnis);
    return m;
}
