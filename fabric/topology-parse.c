/* topology-parse: the tree of a topology file -> 'struct ld_topology' (see
 * topology-private.h).
 *
 * Each object is read on its own: its keys are checked (strings, known,
 * not repeated), each field is typed, ranged and, for addresses and MACs,
 * parsed.  A field with a problem is reported and left at its default, so
 * that reading goes on and later stages see as much of the file as
 * possible.  A null value (an empty value, "~" or "null") counts as an
 * absent field. */
#include "topology-private.h"
#include "xstring.h"

#include <stdlib.h>
#include <string.h>

static const char *const top_fields[] = {
    "name", "hosts", "networks", "routers", "guests", NULL,
};
static const char *const host_fields[] = {
    "name", "underlay", "encap", "underlay_mtu", "external_ids", NULL,
};
static const char *const network_fields[] = {
    "name", "subnet",  "mode",     "vlan",    "vni",          "mtu",
    "dhcp", "host_ip", "forwards", "uplinks", "external_ids", NULL,
};
static const char *const uplink_fields[] = {
    "host",
    "interface",
    "vlan",
    NULL,
};
static const char *const forward_fields[] = {
    "host_port", "guest", "port", "proto", NULL,
};
static const char *const router_fields[] = {
    "name",    "kind",       "host",         "vcpus",   "memory",
    "image",   "kernel",     "initrd",       "cmdline", "user_data",
    "restart", "interfaces", "external_ids", NULL,
};
static const char *const port_fields[] = {"network", "ip", "mac", NULL};
static const char *const guest_fields[] = {
    "name",    "host",       "kind",         "vcpus",   "memory",
    "image",   "kernel",     "initrd",       "cmdline", "user_data",
    "restart", "interfaces", "external_ids", NULL,
};
static const char *const iface_fields[] = {
    "name",    "network",  "ip",        "ips",    "mac",
    "gateway", "routes",   "vlan_mode", "trunks", "port_security",
    "mtu",     "iface_id", NULL,
};
static const char *const route_fields[] = {"to", "via", NULL};

static const char *const encap_names[] = {"geneve", NULL};
static const char *const mode_names[] = {"isolated", "routed", "nat", NULL};
static const char *const router_kind_names[] = {"flows", "vm", NULL};
/* In the order of enum fabric_guest_kind. */
static const char *const guest_kind_names[] = {"netns", "vm", "port", NULL};
/* In the order of enum fabric_restart. */
static const char *const restart_names[] = {"on-failure", "always", "never",
                                            NULL};
static const char *const vlan_mode_names[] = {"access", "trunk", NULL};
/* In the order of enum fabric_proto. */
static const char *const proto_names[] = {"tcp", "udp", NULL};

/* Parses the interface address 'node' ("A.B.C.D" or "A.B.C.D/N") into
 * 'addr'. */
static void
parse_ifaddr(struct topo_obj *o, const struct topo_node *node,
             struct ld_addr *addr)
{
    addr->text = node->scalar;
    addr->pos = node->pos;
    addr->ok = topo_parse_ipv4_prefix(node->scalar, &addr->ip, &addr->plen);
    if (!addr->ok) {
        topo_msg_bad_ifaddr(o->ctx, node->pos, o->what, node->scalar);
    }
}

static void
parse_host(struct topo_obj *parent, const struct topo_node *map, size_t index,
           void *topo_)
{
    struct ld_topology *topo = topo_;
    struct topo_obj o = {parent->ctx, map, "host", parent->topo};
    struct ld_host *h;

    topo->hosts = topo_grow(topo->hosts, topo->n_hosts, sizeof *topo->hosts);
    h = &topo->hosts[topo->n_hosts++];
    memset(h, 0, sizeof *h);
    h->pos = map->pos;
    h->underlay_mtu = FABRIC_DEFAULT_UNDERLAY_MTU;
    h->what =
        topo_obj_name(&o, "host", index, &h->name, &h->name_ok, &h->name_pos);
    topo_obj_check_keys(&o, host_fields);

    h->underlay_given = topo_obj_find(&o, "underlay") != NULL;
    if (topo_obj_string(&o, "underlay", &h->underlay.text, &h->underlay.pos)) {
        h->underlay.plen = -1;
        h->underlay.ok = topo_parse_ipv4(h->underlay.text, &h->underlay.ip);
        if (!h->underlay.ok) {
            topo_msg_bad_ipv4(o.ctx, h->underlay.pos, o.what, "underlay",
                              h->underlay.text);
        }
    }
    int encap;
    topo_obj_enum(&o, "encap", encap_names, &encap);
    topo_obj_int(&o, "underlay_mtu", TOPO_MIN_UNDERLAY_MTU,
                 TOPO_MAX_UNDERLAY_MTU, &h->underlay_mtu, NULL);
    topo_obj_smap(&o, "external_ids", &h->external_ids);
}

static void
parse_forward(struct topo_obj *parent, const struct topo_node *map,
              size_t index, void *network_)
{
    struct ld_network *n = network_;
    struct topo_obj o = {parent->ctx, map, parent->what, parent->topo};
    struct ld_forward *f;
    int proto = FABRIC_PROTO_TCP;

    n->forwards = topo_grow(n->forwards, n->n_forwards, sizeof *n->forwards);
    f = &n->forwards[n->n_forwards++];
    memset(f, 0, sizeof *f);
    f->pos = map->pos;
    f->guest_idx = -1;
    f->what = xasprintf("%s forward #%zu", parent->what, index + 1);
    o.what = f->what;
    topo_obj_check_keys(&o, forward_fields);
    topo_obj_require(&o, "host_port");
    topo_obj_require(&o, "guest");
    topo_obj_int(&o, "host_port", 1, 65535, &f->host_port, &f->host_port_pos);
    topo_obj_string(&o, "guest", &f->guest, &f->guest_pos);
    topo_obj_int(&o, "port", 1, 65535, &f->port, NULL);
    topo_obj_enum(&o, "proto", proto_names, &proto);
    f->proto = proto;
}

static void
parse_uplink(struct topo_obj *parent, const struct topo_node *map,
             size_t index, void *network_)
{
    struct ld_network *n = network_;
    struct topo_obj o = {parent->ctx, map, parent->what, parent->topo};
    struct ld_uplink *u;

    n->uplinks = topo_grow(n->uplinks, n->n_uplinks, sizeof *n->uplinks);
    u = &n->uplinks[n->n_uplinks++];
    memset(u, 0, sizeof *u);
    u->pos = map->pos;
    u->host_idx = -1;
    u->what = xasprintf("%s uplink #%zu", parent->what, index + 1);
    o.what = u->what;
    topo_obj_check_keys(&o, uplink_fields);
    topo_obj_require(&o, "interface");
    u->host_given = topo_obj_find(&o, "host") != NULL;
    topo_obj_string(&o, "host", &u->host, &u->host_pos);
    const char *iface;
    if (topo_obj_string(&o, "interface", &iface, &u->interface_pos)) {
        if (topo_valid_name(iface, TOPO_IFNAME_MAX)) {
            u->interface = iface;
        } else {
            topo_msg_bad_name(o.ctx, u->interface_pos, o.what, iface,
                              TOPO_IFNAME_MAX);
        }
    }
    topo_obj_int(&o, "vlan", 1, TOPO_VLAN_MAX, &u->vlan, NULL);
}

static void
parse_network(struct topo_obj *parent, const struct topo_node *map,
              size_t index, void *topo_)
{
    struct ld_topology *topo = topo_;
    struct topo_obj o = {parent->ctx, map, "network", parent->topo};
    struct ld_network *n;
    int mode = FABRIC_NET_ISOLATED;

    topo->networks =
        topo_grow(topo->networks, topo->n_networks, sizeof *topo->networks);
    n = &topo->networks[topo->n_networks++];
    memset(n, 0, sizeof *n);
    n->pos = map->pos;
    n->router = -1;
    n->port = -1;
    n->what = topo_obj_name(&o, "network", index, &n->name, &n->name_ok,
                            &n->name_pos);
    topo_obj_check_keys(&o, network_fields);

    topo_obj_require(&o, "subnet");
    struct ld_addr *s = &n->subnet;
    if (topo_obj_string(&o, "subnet", &s->text, &s->pos)) {
        if (!topo_parse_ipv4_prefix(s->text, &s->ip, &s->plen) ||
            s->plen < 0) {
            topo_msg_bad_prefix(o.ctx, s->pos, o.what, "subnet", s->text);
        } else if (s->ip & ~topo_mask(s->plen)) {
            topo_msg_host_bits(o.ctx, s->pos, o.what, "subnet", s->text, s->ip,
                               s->plen);
        } else if (s->plen < TOPO_MIN_PLEN || s->plen > TOPO_MAX_PLEN) {
            topo_msg_subnet_length(o.ctx, s->pos, o.what, s->text, s->plen);
        } else {
            s->ok = true;
        }
    }
    topo_obj_enum(&o, "mode", mode_names, &mode);
    n->mode = mode;
    topo_obj_int(&o, "vlan", 1, TOPO_VLAN_MAX, &n->vlan, &n->vlan_pos);
    topo_obj_int(&o, "vni", 1, TOPO_VNI_MAX, &n->vni, &n->vni_pos);
    topo_obj_mtu(&o, "mtu", &n->mtu, &n->mtu_pos);
    topo_obj_bool(&o, "dhcp", &n->dhcp);
    n->host_ip_what = xasprintf("%s host_ip", n->what);
    const struct topo_node *host_ip = topo_obj_find(&o, "host_ip");
    if (host_ip && host_ip->type != TOPO_SCALAR) {
        topo_msg_type(o.ctx, o.what, "host_ip", "a string", host_ip);
    } else if (host_ip) {
        parse_ifaddr(&o, host_ip, &n->host_ip);
    }
    n->forwards_given = topo_obj_find(&o, "forwards") != NULL;
    if (n->forwards_given) {
        n->forwards_pos = topo_obj_key_pos(&o, "forwards");
    }
    topo_obj_for_each_map(&o, "forwards", parse_forward, n);
    topo_obj_for_each_map(&o, "uplinks", parse_uplink, n);
    topo_obj_smap(&o, "external_ids", &n->external_ids);
}

static void
parse_port(struct topo_obj *parent, const struct topo_node *map, size_t index,
           void *router_)
{
    struct ld_router *r = router_;
    struct topo_obj o = {parent->ctx, map, parent->what, parent->topo};
    struct ld_port *p;

    r->ports = topo_grow(r->ports, r->n_ports, sizeof *r->ports);
    p = &r->ports[r->n_ports++];
    memset(p, 0, sizeof *p);
    p->pos = map->pos;
    p->net = -1;

    topo_obj_string(&o, "network", &p->network, &p->network_pos);
    p->what = (p->network && topo_valid_name(p->network, TOPO_NAME_MAX)
                   ? xasprintf("%s interface %s", r->what, p->network)
                   : xasprintf("%s interface #%zu", r->what, index + 1));
    o.what = p->what;
    topo_obj_check_keys(&o, port_fields);
    topo_obj_require(&o, "network");
    topo_obj_require(&o, "ip");

    const struct topo_node *ip = topo_obj_find(&o, "ip");
    if (ip && ip->type != TOPO_SCALAR) {
        topo_msg_type(o.ctx, o.what, "ip", "a string", ip);
    } else if (ip) {
        parse_ifaddr(&o, ip, &p->ip);
    }
    topo_obj_mac(&o, "mac", &p->has_mac, &p->mac, &p->mac_pos);
}

/* The VM fields of a guest or router 'o' ("guests" or "routers" in
 * 'kinds'): parsed into 'vm' when 'is_vm', an error each otherwise. */
static void
parse_vm(struct topo_obj *o, bool is_vm, const char *kinds, struct ld_vm *vm)
{
    static const char *const vm_fields[] = {
        "vcpus",   "memory",    "image",   "kernel", "initrd",
        "cmdline", "user_data", "restart", NULL,
    };
    if (!is_vm) {
        for (size_t i = 0; vm_fields[i]; i++) {
            const char *field = vm_fields[i];
            if (topo_obj_find(o, field)) {
                topo_msg_vm_only(o->ctx, topo_obj_key_pos(o, field), o->what,
                                 field, kinds);
            }
        }
        return;
    }
    topo_obj_int(o, "vcpus", 1, TOPO_MAX_VCPUS, &vm->vcpus, NULL);
    topo_obj_int(o, "memory", 1, TOPO_MAX_MEMORY_MB, &vm->memory_mb, NULL);
    topo_obj_string(o, "image", &vm->image, NULL);
    topo_obj_string(o, "kernel", &vm->kernel, NULL);
    topo_obj_string(o, "initrd", &vm->initrd, NULL);
    topo_obj_string(o, "cmdline", &vm->cmdline, NULL);
    topo_obj_string(o, "user_data", &vm->user_data, NULL);
    vm->restart = FABRIC_RESTART_ON_FAILURE;
    topo_obj_enum(o, "restart", restart_names, &vm->restart);
    static const char *const kernel_fields[] = {"initrd", "cmdline"};
    for (size_t i = 0; i < 2 && !topo_obj_find(o, "kernel"); i++) {
        const char *field = kernel_fields[i];
        if (topo_obj_find(o, field)) {
            topo_msg_needs_kernel(o->ctx, topo_obj_key_pos(o, field), o->what,
                                  field);
        }
    }
}

static void
parse_router(struct topo_obj *parent, const struct topo_node *map,
             size_t index, void *topo_)
{
    struct ld_topology *topo = topo_;
    struct topo_obj o = {parent->ctx, map, "router", parent->topo};
    struct ld_router *r;
    int kind = FABRIC_ROUTER_FLOWS;

    topo->routers =
        topo_grow(topo->routers, topo->n_routers, sizeof *topo->routers);
    r = &topo->routers[topo->n_routers++];
    memset(r, 0, sizeof *r);
    r->pos = map->pos;
    r->host_idx = -1;
    r->what = topo_obj_name(&o, "router", index, &r->name, &r->name_ok,
                            &r->name_pos);
    topo_obj_check_keys(&o, router_fields);

    topo_obj_enum(&o, "kind", router_kind_names, &kind);
    r->kind = kind;
    r->host_given = topo_obj_find(&o, "host") != NULL;
    if (topo_obj_string(&o, "host", &r->host, &r->host_pos) &&
        r->kind != FABRIC_ROUTER_VM) {
        topo_msg_vm_only(o.ctx, topo_obj_key_pos(&o, "host"), o.what, "host",
                         "routers");
        r->host = NULL;
    }
    parse_vm(&o, r->kind == FABRIC_ROUTER_VM, "routers", &r->vm);
    topo_obj_for_each_map(&o, "interfaces", parse_port, r);
    topo_obj_smap(&o, "external_ids", &r->external_ids);
}

static void
parse_route(struct topo_obj *parent, const struct topo_node *map, size_t index,
            void *iface_)
{
    struct ld_iface *iface = iface_;
    struct topo_obj o = {parent->ctx, map, parent->what, parent->topo};
    struct ld_route *route;
    const char *s;

    iface->routes =
        topo_grow(iface->routes, iface->n_routes, sizeof *iface->routes);
    route = &iface->routes[iface->n_routes++];
    memset(route, 0, sizeof *route);
    route->pos = map->pos;
    topo_obj_check_keys(&o, route_fields);
    topo_obj_require(&o, "to");
    topo_obj_require(&o, "via");

    struct ld_addr *to = &route->to;
    if (topo_obj_string(&o, "to", &s, &to->pos)) {
        to->text = s;
        if (!strcmp(s, "default")) {
            to->ip = 0;
            to->plen = 0;
            to->ok = true;
        } else if (!topo_parse_ipv4_prefix(s, &to->ip, &to->plen)) {
            topo_msg_bad_prefix(o.ctx, to->pos, o.what, "route destination",
                                s);
        } else {
            if (to->plen < 0) {
                to->plen = 32;
            }
            if (to->ip & ~topo_mask(to->plen)) {
                topo_msg_host_bits(o.ctx, to->pos, o.what, "route destination",
                                   s, to->ip, to->plen);
            } else {
                to->ok = true;
            }
        }
    }

    struct ld_addr *via = &route->via;
    if (topo_obj_string(&o, "via", &s, &via->pos)) {
        via->text = s;
        via->plen = -1;
        via->ok = topo_parse_ipv4(s, &via->ip);
        if (!via->ok) {
            topo_msg_bad_ipv4(o.ctx, via->pos, o.what, "next hop", s);
        }
    }
}

static void
parse_iface(struct topo_obj *parent, const struct topo_node *map, size_t index,
            void *guest_)
{
    struct ld_guest *g = guest_;
    struct topo_obj o = {parent->ctx, map, parent->what, parent->topo};
    struct ld_iface *iface;
    const char *s;

    g->ifaces = topo_grow(g->ifaces, g->n_ifaces, sizeof *g->ifaces);
    iface = &g->ifaces[g->n_ifaces++];
    memset(iface, 0, sizeof *iface);
    iface->pos = map->pos;
    iface->net = -1;
    iface->port_security = true;

    if (topo_obj_string(&o, "name", &s, &iface->name_pos)) {
        iface->has_name = true;
        if (topo_valid_name(s, TOPO_IFNAME_MAX)) {
            iface->name = topo_xstrdup(s);
        }
    } else {
        iface->name = xasprintf("eth%zu", index);
        iface->name_pos = map->pos;
    }
    iface->what =
        (iface->name ? xasprintf("%s interface %s", g->what, iface->name)
                     : xasprintf("%s interface #%zu", g->what, index + 1));
    o.what = iface->what;
    if (iface->has_name && !iface->name) {
        topo_msg_bad_name(o.ctx, iface->name_pos, o.what, s, TOPO_IFNAME_MAX);
    }
    topo_obj_check_keys(&o, iface_fields);

    topo_obj_require(&o, "network");
    topo_obj_string(&o, "network", &iface->network, &iface->network_pos);

    const struct topo_node *ip = topo_obj_find(&o, "ip");
    const struct topo_node *ips = topo_obj_string_list(&o, "ips");
    if (ip && topo_obj_find(&o, "ips")) {
        topo_msg_ip_and_ips(o.ctx, topo_obj_key_pos(&o, "ips"), o.what);
    } else if (ip && ip->type != TOPO_SCALAR) {
        topo_msg_type(o.ctx, o.what, "ip", "a string", ip);
    } else if (ip) {
        iface->addrs = topo_xrealloc(NULL, 1, sizeof *iface->addrs);
        memset(iface->addrs, 0, sizeof *iface->addrs);
        parse_ifaddr(&o, ip, &iface->addrs[0]);
        iface->n_addrs = 1;
    } else if (ips) {
        iface->addrs = topo_xrealloc(NULL, ips->n_kids, sizeof *iface->addrs);
        memset(iface->addrs, 0, ips->n_kids * sizeof *iface->addrs);
        for (size_t i = 0; i < ips->n_kids; i++) {
            parse_ifaddr(&o, ips->kids[i], &iface->addrs[i]);
        }
        iface->n_addrs = ips->n_kids;
    }

    topo_obj_mac(&o, "mac", &iface->has_mac, &iface->mac, &iface->mac_pos);

    struct ld_addr *gw = &iface->gateway;
    if (topo_obj_string(&o, "gateway", &gw->text, &gw->pos)) {
        gw->plen = -1;
        if (!strcmp(gw->text, "none")) {
            iface->gw = LD_GW_NONE;
        } else {
            iface->gw = LD_GW_ADDR;
            gw->ok = topo_parse_ipv4(gw->text, &gw->ip);
            if (!gw->ok) {
                topo_msg_bad_ipv4(o.ctx, gw->pos, o.what, "gateway", gw->text);
            }
        }
    }

    topo_obj_for_each_map(&o, "routes", parse_route, iface);

    int vlan_mode = FABRIC_VLAN_ACCESS;
    topo_obj_enum(&o, "vlan_mode", vlan_mode_names, &vlan_mode);
    iface->vlan_mode = vlan_mode;
    const struct topo_node *trunks = topo_obj_string_list(&o, "trunks");
    if (topo_obj_find(&o, "trunks") && iface->vlan_mode != FABRIC_VLAN_TRUNK) {
        topo_msg_trunks_on_access(o.ctx, topo_obj_key_pos(&o, "trunks"),
                                  o.what);
    } else if (iface->vlan_mode == FABRIC_VLAN_TRUNK &&
               !topo_obj_find(&o, "trunks")) {
        topo_msg_trunks_empty(o.ctx, map->pos, o.what);
    } else if (iface->vlan_mode == FABRIC_VLAN_TRUNK && trunks &&
               !trunks->n_kids) {
        topo_msg_trunks_empty(o.ctx, trunks->pos, o.what);
    } else if (trunks) {
        iface->trunks =
            topo_xrealloc(NULL, trunks->n_kids, sizeof *iface->trunks);
        for (size_t i = 0; i < trunks->n_kids; i++) {
            iface->trunks[i] = (struct ld_trunk){
                .network = trunks->kids[i]->scalar,
                .pos = trunks->kids[i]->pos,
                .net = -1,
            };
        }
        iface->n_trunks = trunks->n_kids;
    }

    topo_obj_bool(&o, "port_security", &iface->port_security);
    topo_obj_mtu(&o, "mtu", &iface->mtu, &iface->mtu_pos);

    /* fabricd names the ports of the other kinds itself. */
    if (topo_obj_string(&o, "iface_id", &iface->iface_id,
                        &iface->iface_id_pos)) {
        if (g->kind != FABRIC_GUEST_PORT) {
            topo_msg_iface_id_kind(o.ctx, iface->iface_id_pos, o.what);
        } else if (!topo_valid_iface_id(iface->iface_id)) {
            topo_msg_bad_iface_id(o.ctx, iface->iface_id_pos, o.what,
                                  iface->iface_id);
        }
    }
}

static void
parse_guest(struct topo_obj *parent, const struct topo_node *map, size_t index,
            void *topo_)
{
    struct ld_topology *topo = topo_;
    struct topo_obj o = {parent->ctx, map, "guest", parent->topo};
    struct ld_guest *g;
    int kind = FABRIC_GUEST_NETNS;

    topo->guests =
        topo_grow(topo->guests, topo->n_guests, sizeof *topo->guests);
    g = &topo->guests[topo->n_guests++];
    memset(g, 0, sizeof *g);
    g->pos = map->pos;
    g->host_idx = -1;
    g->what =
        topo_obj_name(&o, "guest", index, &g->name, &g->name_ok, &g->name_pos);
    topo_obj_check_keys(&o, guest_fields);

    g->host_given = topo_obj_find(&o, "host") != NULL;
    topo_obj_string(&o, "host", &g->host, &g->host_pos);
    topo_obj_enum(&o, "kind", guest_kind_names, &kind);
    g->kind = kind;
    parse_vm(&o, g->kind == FABRIC_GUEST_VM, "guests", &g->vm);
    topo_obj_for_each_map(&o, "interfaces", parse_iface, g);
    topo_obj_smap(&o, "external_ids", &g->external_ids);
}

void
topo_parse(struct topo_ctx *ctx, const struct topo_node *root,
           struct ld_topology *topo)
{
    struct topo_obj o = {ctx, root, "topology", topo};
    const struct topo_node *hosts;

    memset(topo, 0, sizeof *topo);
    topo->pos = root->pos;
    topo_obj_check_keys(&o, top_fields);

    topo_obj_require(&o, "name");
    if (topo_obj_string(&o, "name", &topo->name, NULL) &&
        !topo_valid_name(topo->name, TOPO_NAME_MAX)) {
        topo_msg_bad_name(ctx, topo_obj_find(&o, "name")->pos, o.what,
                          topo->name, TOPO_NAME_MAX);
    }

    /* Hosts come first: the MTU limit of networks depends on them. */
    hosts = topo_obj_list(&o, "hosts");
    topo->hosts_broken = topo_obj_find(&o, "hosts") && !hosts;
    const struct topo_node *networks = topo_obj_find(&o, "networks");
    topo->networks_broken = networks && networks->type != TOPO_SEQ;
    if (hosts && hosts->n_kids) {
        topo_obj_for_each_map(&o, "hosts", parse_host, topo);
    } else if (!topo_obj_find(&o, "hosts") || hosts) {
        /* No hosts, or an empty list: one host, this machine. */
        topo->default_host = true;
        topo->hosts = topo_xrealloc(NULL, 1, sizeof *topo->hosts);
        memset(topo->hosts, 0, sizeof *topo->hosts);
        topo->hosts[0].what = topo_xstrdup("host " TOPO_DEFAULT_HOST);
        topo->hosts[0].pos = root->pos;
        topo->hosts[0].name = TOPO_DEFAULT_HOST;
        topo->hosts[0].name_ok = true;
        topo->hosts[0].name_pos = root->pos;
        topo->hosts[0].underlay_mtu = FABRIC_DEFAULT_UNDERLAY_MTU;
        topo->n_hosts = 1;
    }
    topo->min_underlay_mtu = FABRIC_DEFAULT_UNDERLAY_MTU;
    for (size_t i = 0; i < topo->n_hosts; i++) {
        if (!i || topo->hosts[i].underlay_mtu < topo->min_underlay_mtu) {
            topo->min_underlay_mtu = topo->hosts[i].underlay_mtu;
        }
    }
    topo->mtu_limit = topo->min_underlay_mtu - FABRIC_ENCAP_OVERHEAD;

    topo_obj_require(&o, "networks");
    topo_obj_for_each_map(&o, "networks", parse_network, topo);
    topo_obj_for_each_map(&o, "routers", parse_router, topo);
    topo_obj_for_each_map(&o, "guests", parse_guest, topo);
}

static void
ld_iface_destroy(struct ld_iface *iface)
{
    free(iface->what);
    free(iface->name);
    free(iface->addrs);
    free(iface->routes);
    free(iface->trunks);
}

void
topo_ld_destroy(struct ld_topology *topo)
{
    for (size_t i = 0; i < topo->n_hosts; i++) {
        free(topo->hosts[i].what);
        fabric_smap_clear(&topo->hosts[i].external_ids);
    }
    free(topo->hosts);
    for (size_t i = 0; i < topo->n_networks; i++) {
        struct ld_network *n = &topo->networks[i];
        for (size_t j = 0; j < n->n_forwards; j++) {
            free(n->forwards[j].what);
        }
        free(n->forwards);
        for (size_t j = 0; j < n->n_uplinks; j++) {
            free(n->uplinks[j].what);
        }
        free(n->uplinks);
        free(n->host_ip_what);
        free(n->what);
        fabric_smap_clear(&n->external_ids);
    }
    free(topo->networks);
    for (size_t i = 0; i < topo->n_routers; i++) {
        struct ld_router *r = &topo->routers[i];
        for (size_t j = 0; j < r->n_ports; j++) {
            free(r->ports[j].what);
        }
        free(r->ports);
        free(r->what);
        fabric_smap_clear(&r->external_ids);
    }
    free(topo->routers);
    for (size_t i = 0; i < topo->n_guests; i++) {
        struct ld_guest *g = &topo->guests[i];
        for (size_t j = 0; j < g->n_ifaces; j++) {
            ld_iface_destroy(&g->ifaces[j]);
        }
        free(g->ifaces);
        free(g->what);
        fabric_smap_clear(&g->external_ids);
    }
    free(topo->guests);
    memset(topo, 0, sizeof *topo);
}
