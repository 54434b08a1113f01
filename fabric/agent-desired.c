/* agent-desired: see agent-desired.h. */
#include "agent-desired.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datum.h"
#include "gateway-names.h"
#include "model.h"
#include "replica.h"
#include "xstring.h"

static uint32_t
fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    return h;
}

void
agent_iface_port_name(const char *uuid, char name[16])
{
    snprintf(name, 16, "fv%.8s", uuid);
}

void
agent_tunnel_port_name(const char *remote, char name[16])
{
    snprintf(name, 16, "gnv%08x", fnv1a(remote));
}

/* The Guest_Interface row that 'ref' (a UUID atom) names, with its name
 * in '*namep', or NULL. */
static const struct replica_row *
iface_row(const struct replica *fabric, const json_t *ref, const char **namep)
{
    const char *uuid = ovsdb_atom_uuid(ref);
    const struct replica_row *row =
        uuid ? replica_get(fabric, "Guest_Interface", uuid) : NULL;
    *namep = row ? json_string_value(replica_row_get(row, "name")) : NULL;
    return *namep ? row : NULL;
}

const char *
agent_iface_uuid(const struct replica *fabric, const char *guest,
                 const char *iface)
{
    size_t iter = 0;
    const struct replica_row *g;
    while ((g = replica_next(fabric, "Guest", &iter))) {
        const char *name = json_string_value(replica_row_get(g, "name"));
        if (!name || strcmp(name, guest)) {
            continue;
        }
        json_t *refs = ovsdb_set_elements(replica_row_get(g, "interfaces"));
        const char *found = NULL;
        size_t i;
        json_t *ref;
        json_array_foreach(refs, i, ref)
        {
            const char *n;
            const struct replica_row *row = iface_row(fabric, ref, &n);
            if (row && !strcmp(n, iface)) {
                found = row->uuid;
                break;
            }
        }
        json_decref(refs);
        return found;
    }
    return NULL;
}

/* One guest interface: names and UUID borrowed from the replica. */
struct iface_entry {
    const char *guest, *iface, *uuid;
};

struct agent_iface_index {
    struct iface_entry *v;
    size_t n;
};

static int
compare_entries(const void *a_, const void *b_)
{
    const struct iface_entry *a = a_, *b = b_;
    int c = strcmp(a->guest, b->guest);
    return c ? c : strcmp(a->iface, b->iface);
}

struct agent_iface_index *
agent_iface_index_create(const struct replica *fabric)
{
    struct agent_iface_index *x = calloc(1, sizeof *x);
    size_t cap = 0, iter = 0;
    const struct replica_row *g;
    while ((g = replica_next(fabric, "Guest", &iter))) {
        const char *name = json_string_value(replica_row_get(g, "name"));
        const json_t *refs = name ? replica_row_get(g, "interfaces") : NULL;
        json_t *set = refs ? ovsdb_set_elements(refs) : NULL;
        size_t i;
        json_t *ref;
        json_array_foreach(set, i, ref)
        {
            const char *n;
            const struct replica_row *row = iface_row(fabric, ref, &n);
            if (!row) {
                continue;
            }
            if (x->n == cap) {
                cap = cap ? cap * 2 : 64;
                x->v = realloc(x->v, cap * sizeof *x->v);
            }
            x->v[x->n++] = (struct iface_entry){name, n, row->uuid};
        }
        json_decref(set);
    }
    if (x->n) {
        qsort(x->v, x->n, sizeof *x->v, compare_entries);
    }
    return x;
}

void
agent_iface_index_destroy(struct agent_iface_index *x)
{
    if (x) {
        free(x->v);
        free(x);
    }
}

const char *
agent_iface_index_find(const struct agent_iface_index *x, const char *guest,
                       const char *iface)
{
    struct iface_entry key = {guest, iface, NULL};
    const struct iface_entry *e =
        x->n ? bsearch(&key, x->v, x->n, sizeof *x->v, compare_entries) : NULL;
    return e ? e->uuid : NULL;
}

/* The row of table 'table' named 'name', or NULL. */
static const struct replica_row *
row_by_name(const struct replica *fabric, const char *table, const char *name)
{
    size_t iter = 0;
    const struct replica_row *row;
    while ((row = replica_next(fabric, table, &iter))) {
        const char *n = json_string_value(replica_row_get(row, "name"));
        if (n && !strcmp(n, name)) {
            return row;
        }
    }
    return NULL;
}

const char *
agent_router_port_uuid(const struct replica *fabric, const char *router,
                       const char *network)
{
    const struct replica_row *r = row_by_name(fabric, "Router", router);
    const struct replica_row *net = row_by_name(fabric, "Network", network);
    if (!r || !net) {
        return NULL;
    }
    json_t *refs = ovsdb_set_elements(replica_row_get(r, "ports"));
    const char *found = NULL;
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        const char *uuid = ovsdb_atom_uuid(ref);
        const struct replica_row *row =
            uuid ? replica_get(fabric, "Router_Port", uuid) : NULL;
        const char *n =
            row ? ovsdb_atom_uuid(replica_row_get(row, "network")) : NULL;
        if (n && !strcmp(n, net->uuid)) {
            found = row->uuid;
            break;
        }
    }
    json_decref(refs);
    return found;
}

/* Returns true if host 'h' has a guest interface or router port in
 * network 'net'. */
static bool
host_in_network(const struct fabric_model *m, size_t h, size_t net)
{
    for (size_t i = 0; i < m->n_guests; i++) {
        const struct fabric_guest *g = &m->guests[i];
        if (g->host != h) {
            continue;
        }
        for (size_t j = 0; j < g->n_interfaces; j++) {
            if (g->interfaces[j].network == net) {
                return true;
            }
        }
    }
    for (size_t i = 0; i < m->n_routers; i++) {
        const struct fabric_router *r = &m->routers[i];
        if (r->kind != FABRIC_ROUTER_VM || !r->has_host || r->host != h) {
            continue;
        }
        for (size_t j = 0; j < r->n_ports; j++) {
            if (r->ports[j].network == net) {
                return true;
            }
        }
    }
    return false;
}

/* Returns true if network 'a' and network 'b' are the same or joined by a
 * router of kind flows: a frame from one may reach the other. */
static bool
networks_joined(const struct fabric_model *m, size_t a, size_t b)
{
    if (a == b) {
        return true;
    }
    for (size_t i = 0; i < m->n_routers; i++) {
        const struct fabric_router *r = &m->routers[i];
        bool has_a = false, has_b = false;
        for (size_t j = 0; r->kind == FABRIC_ROUTER_FLOWS && j < r->n_ports;
             j++) {
            has_a |= r->ports[j].network == a;
            has_b |= r->ports[j].network == b;
        }
        if (has_a && has_b) {
            return true;
        }
    }
    return false;
}

/* Returns true if network 'net' has an uplink on host 'h'. */
static bool
host_has_uplink(const struct fabric_model *m, size_t h, size_t net)
{
    const struct fabric_network *n = &m->networks[net];
    for (size_t j = 0; j < n->n_uplinks; j++) {
        if (n->uplinks[j].host == h) {
            return true;
        }
    }
    return false;
}

/* Returns true if host 'h' carries network 'net': a guest interface,
 * router port or uplink in it. */
static bool
host_carries(const struct fabric_model *m, size_t h, size_t net)
{
    return host_in_network(m, h, net) || host_has_uplink(m, h, net);
}

/* Returns true if host 'a' may send to host 'b': 'b' has a port in a
 * network that one of 'a''s networks is, or is routed to (the router is
 * distributed: it routes on 'a' and the frame goes straight to 'b'). */
static bool
hosts_share_network(const struct fabric_model *m, size_t a, size_t b)
{
    for (size_t n = 0; n < m->n_networks; n++) {
        if (!host_carries(m, a, n)) {
            continue;
        }
        for (size_t k = 0; k < m->n_networks; k++) {
            if (networks_joined(m, n, k) && host_carries(m, b, k)) {
                return true;
            }
        }
    }
    return false;
}

static char **
strv_append(char **v, size_t n, const char *s)
{
    v = realloc(v, (n + 1) * sizeof *v);
    v[n] = strdup(s);
    return v;
}

/* Adds the namespace guest 'g' and its access ports. */
static void
add_netns_guest(struct agent_desired *d, const struct fabric_model *m,
                const struct fabric_guest *g,
                const struct agent_iface_index *ifaces,
                const struct agent_settings *s)
{
    char *netns;
    if (asprintf(&netns, "%s%s", s->netns_prefix, g->name) < 0) {
        abort();
    }
    struct netns_guest *ng = netns_guest_create(netns);
    free(netns);
    d->guests = realloc(d->guests, (d->n_guests + 1) * sizeof *d->guests);
    d->guests[d->n_guests] = ng;
    d->guest_names = strv_append(d->guest_names, d->n_guests, g->name);
    d->n_guests++;
    for (size_t j = 0; j < g->n_interfaces; j++) {
        const struct fabric_interface *f = &g->interfaces[j];
        const char *uuid = agent_iface_index_find(ifaces, g->name, f->name);
        if (!uuid) {
            /* The replica lags the model: skip until it catches up. */
            continue;
        }
        char peer[16];
        agent_iface_port_name(uuid, peer);
        struct netns_iface *ni = netns_guest_add_iface(
            ng, f->name, peer, f->mac, f->mtu, f->gateway);
        for (size_t k = 0; k < f->n_addresses; k++) {
            netns_iface_add_address(ni, f->addresses[k]);
        }
        for (size_t k = 0; k < f->n_routes; k++) {
            netns_iface_add_route(ni, f->routes[k].prefix, f->routes[k].via);
        }
        int tag = f->vlan_mode == FABRIC_VLAN_ACCESS
                      ? m->networks[f->network].vlan
                      : 0;
        struct ovsb_port *p = ovsb_bridge_add_port(d->bridge, peer, "", tag);
        p->mtu_request = f->mtu;
        fabric_smap_add(&p->external_ids, "iface-id", uuid);
        fabric_smap_add(&p->external_ids, "attached-mac", f->mac);
    }
}

int
agent_port_iface_compare(const void *a_, const void *b_)
{
    const struct agent_port_iface *a = a_, *b = b_;
    int cmp = strcmp(a->guest, b->guest);
    return cmp ? cmp : strcmp(a->iface_id, b->iface_id);
}

const char *
agent_port_iface_id(const struct fabric_interface *f, const char *uuid)
{
    return f->iface_id ? f->iface_id : uuid;
}

/* Adds guest 'g' of kind port: a port bound by iface-id and adopted for
 * each interface. */
static void
add_port_guest(struct agent_desired *d, const struct fabric_model *m,
               const struct fabric_guest *g,
               const struct agent_iface_index *ifaces)
{
    for (size_t j = 0; j < g->n_interfaces; j++) {
        const struct fabric_interface *f = &g->interfaces[j];
        const char *uuid = agent_iface_index_find(ifaces, g->name, f->name);
        if (!uuid) {
            continue; /* The replica lags the model. */
        }
        const char *id = agent_port_iface_id(f, uuid);
        int tag = f->vlan_mode == FABRIC_VLAN_ACCESS
                      ? m->networks[f->network].vlan
                      : 0;
        struct ovsb_port *p = ovsb_bridge_add_port(d->bridge, NULL, "", tag);
        p->adopt = true;
        fabric_smap_add(&p->external_ids, "iface-id", id);
        d->port_ifaces = xrealloc(d->port_ifaces, (d->n_port_ifaces + 1) *
                                                      sizeof *d->port_ifaces);
        d->port_ifaces[d->n_port_ifaces++] = (struct agent_port_iface){
            .guest = strdup(g->name),
            .iface_id = strdup(id),
        };
    }
}

/* A new VM spec for 'name' (a guest or router with settings 'vm' and row
 * 'uuid'), without NICs. */
static struct vm_spec *
new_vm(const struct fabric_model *m, const char *name, const char *uuid,
       const struct fabric_vm *vm, const struct agent_settings *s)
{
    struct vm_spec *v = calloc(1, sizeof *v);
    v->domain = xasprintf("%s%s", s->netns_prefix, name);
    v->uuid = strdup(uuid);
    v->lab = strdup(m->name ? m->name : "");
    v->guest = strdup(name);
    v->host = strdup(s->host);
    v->hostname = strdup(name);
    v->domain_type = strdup(s->domain_type ? s->domain_type : "qemu");
    v->vcpus = vm->vcpus;
    v->memory_mb = vm->memory_mb;
    v->image = xstrdup_or_null(vm->image);
    if (vm->image) {
        v->overlay = xasprintf("%s/%s/overlay.qcow2", s->vm_dir, v->domain);
    }
    v->kernel = xstrdup_or_null(vm->kernel);
    v->initrd = xstrdup_or_null(vm->initrd);
    v->cmdline = xstrdup_or_null(vm->cmdline);
    v->seed = xasprintf("%s/%s/seed.iso", s->vm_dir, v->domain);
    v->console = xasprintf("%s/%s/console.sock", s->vm_dir, v->domain);
    v->console_log = xasprintf("%s/%s/console.log", s->vm_dir, v->domain);
    v->bridge = strdup(s->bridge);
    v->user_data = xstrdup_or_null(vm->user_data);
    return v;
}

/* Adds a NIC to 'v' and its port, bound by iface-id, to the bridge. */
static struct vm_nic *
add_vm_nic(struct agent_desired *d, struct vm_spec *v, const char *name,
           const char *uuid, const char *mac, int mtu, int vlan)
{
    v->nics = realloc(v->nics, (v->n_nics + 1) * sizeof *v->nics);
    struct vm_nic *n = &v->nics[v->n_nics++];
    memset(n, 0, sizeof *n);
    char port[16];
    agent_iface_port_name(uuid, port);
    n->name = strdup(name);
    n->mac = strdup(mac);
    n->mtu = mtu;
    n->port = strdup(port);
    n->iface_id = strdup(uuid);
    n->vlan = vlan;
    struct ovsb_port *p = ovsb_bridge_add_port(d->bridge, NULL, "", vlan);
    fabric_smap_add(&p->external_ids, "iface-id", uuid);
    return n;
}

static void
add_vm(struct agent_desired *d, struct vm_spec *v, enum fabric_restart r)
{
    d->vms = realloc(d->vms, (d->n_vms + 1) * sizeof *d->vms);
    d->vm_restart =
        realloc(d->vm_restart, (d->n_vms + 1) * sizeof *d->vm_restart);
    d->vms[d->n_vms] = v;
    d->vm_restart[d->n_vms] = r;
    d->n_vms++;
}

/* Adds the VM guest 'g'. */
static void
add_vm_guest(struct agent_desired *d, const struct fabric_model *m,
             const struct fabric_guest *g, const struct replica *fabric,
             const struct agent_iface_index *ifaces,
             const struct agent_settings *s)
{
    const struct replica_row *row = row_by_name(fabric, "Guest", g->name);
    if (!row) {
        return; /* The replica lags the model. */
    }
    struct vm_spec *v = new_vm(m, g->name, row->uuid, &g->vm, s);
    for (size_t j = 0; j < g->n_interfaces; j++) {
        const struct fabric_interface *f = &g->interfaces[j];
        const char *uuid = agent_iface_index_find(ifaces, g->name, f->name);
        if (!uuid) {
            continue;
        }
        int tag = f->vlan_mode == FABRIC_VLAN_ACCESS
                      ? m->networks[f->network].vlan
                      : 0;
        struct vm_nic *n =
            add_vm_nic(d, v, f->name, uuid, f->mac, f->mtu, tag);
        n->addresses = calloc(f->n_addresses + 1, sizeof *n->addresses);
        for (size_t k = 0; k < f->n_addresses; k++) {
            n->addresses[n->n_addresses++] = strdup(f->addresses[k]);
        }
        n->gateway = xstrdup_or_null(f->gateway);
        n->dhcp = f->vlan_mode == FABRIC_VLAN_ACCESS &&
                  m->networks[f->network].dhcp && f->n_addresses;
        n->routes = calloc(f->n_routes + 1, sizeof *n->routes);
        for (size_t k = 0; k < f->n_routes; k++) {
            n->routes[n->n_routes].to = strdup(f->routes[k].prefix);
            n->routes[n->n_routes].via = strdup(f->routes[k].via);
            n->n_routes++;
        }
    }
    add_vm(d, v, g->vm.restart);
}

/* Adds the router VM 'r': one NIC per port, "eth0", "eth1", ... in the
 * order of its ports, IP forwarding on. */
static void
add_vm_router(struct agent_desired *d, const struct fabric_model *m,
              const struct fabric_router *r, const struct replica *fabric,
              const struct agent_settings *s)
{
    const struct replica_row *row = row_by_name(fabric, "Router", r->name);
    if (!row) {
        return;
    }
    struct vm_spec *v = new_vm(m, r->name, row->uuid, &r->vm, s);
    v->router = true;
    for (size_t j = 0; j < r->n_ports; j++) {
        const struct fabric_router_port *p = &r->ports[j];
        const struct fabric_network *net = &m->networks[p->network];
        const char *uuid = agent_router_port_uuid(fabric, r->name, net->name);
        if (!uuid) {
            continue;
        }
        char name[32];
        snprintf(name, sizeof name, "eth%zu", j);
        struct vm_nic *n =
            add_vm_nic(d, v, name, uuid, p->mac, net->mtu, net->vlan);
        n->addresses = calloc(1, sizeof *n->addresses);
        n->addresses[n->n_addresses++] = strdup(p->ip);
    }
    add_vm(d, v, r->vm.restart);
}

/* Returns true if host 'h' has a guest interface (untagged or carried by a
 * trunk) or a VM router port in network 'net': the pipeline's "local"
 * networks. */
static bool
host_has_endpoint(const struct fabric_model *m, size_t h, size_t net)
{
    if (host_in_network(m, h, net)) {
        return true;
    }
    for (size_t i = 0; i < m->n_guests; i++) {
        const struct fabric_guest *g = &m->guests[i];
        for (size_t j = 0; g->host == h && j < g->n_interfaces; j++) {
            const struct fabric_interface *f = &g->interfaces[j];
            for (size_t k = 0; k < f->n_trunks; k++) {
                if (f->trunks[k] == net) {
                    return true;
                }
            }
        }
    }
    return false;
}

/* The first address, without prefix, of guest 'g' in network 'net' (a new
 * string), or NULL. */
static char *
guest_address(const struct fabric_guest *g, size_t net)
{
    for (size_t j = 0; j < g->n_interfaces; j++) {
        const struct fabric_interface *f = &g->interfaces[j];
        if (f->network == net && f->n_addresses) {
            return strndup(f->addresses[0], strcspn(f->addresses[0], "/"));
        }
    }
    return NULL;
}

/* Adds the gateway port of network 'net' (mode nat or routed) and, for a
 * nat network, its rules with the forwards to guests of host 'self'. */
static void
add_gateway(struct agent_desired *d, const struct fabric_model *m, size_t net,
            size_t self)
{
    const struct fabric_network *n = &m->networks[net];
    char port[16], mac[18];
    gateway_port_name(n->name, port);
    gateway_mac(n->name, mac);
    struct ovsb_port *p =
        ovsb_bridge_add_port(d->bridge, port, "internal", n->vlan);
    p->mtu_request = n->mtu;
    fabric_smap_add(&p->external_ids, "fabric-network", n->name);

    d->gateways =
        realloc(d->gateways, (d->n_gateways + 1) * sizeof *d->gateways);
    struct gateway_port *gw = &d->gateways[d->n_gateways++];
    gw->network = strdup(n->name);
    gw->port = strdup(port);
    gw->mac = strdup(mac);
    gw->address =
        xasprintf("%s/%s", n->host_ip,
                  strchr(n->subnet, '/') ? strchr(n->subnet, '/') + 1 : "32");
    if (n->mode != FABRIC_NET_NAT) {
        return;
    }
    d->nats = realloc(d->nats, (d->n_nats + 1) * sizeof *d->nats);
    struct nat_network *nat = &d->nats[d->n_nats++];
    memset(nat, 0, sizeof *nat);
    nat->name = strdup(n->name);
    nat->subnet = strdup(n->subnet);
    nat->port = strdup(port);
    nat->forwards = calloc(n->n_forwards + 1, sizeof *nat->forwards);
    for (size_t i = 0; i < n->n_forwards; i++) {
        const struct fabric_forward *f = &n->forwards[i];
        const struct fabric_guest *g = &m->guests[f->guest];
        char *ip = g->host == self ? guest_address(g, net) : NULL;
        if (ip) {
            nat->forwards[nat->n_forwards++] = (struct nat_forward){
                .proto = f->proto,
                .host_port = f->host_port,
                .guest_ip = ip,
                .port = f->port,
            };
        }
    }
}

/* Adds the uplinks of network 'net' on host 'self'. */
static void
add_uplinks(struct agent_desired *d, const struct fabric_model *m, size_t net,
            size_t self)
{
    const struct fabric_network *n = &m->networks[net];
    for (size_t j = 0; j < n->n_uplinks; j++) {
        const struct fabric_uplink *u = &n->uplinks[j];
        if (u->host != self) {
            continue;
        }
        d->uplinks =
            realloc(d->uplinks, (d->n_uplinks + 1) * sizeof *d->uplinks);
        d->uplink_tags = realloc(d->uplink_tags,
                                 (d->n_uplinks + 1) * sizeof *d->uplink_tags);
        d->uplinks[d->n_uplinks] = (struct uplink_dev){
            .network = strdup(n->name),
            .interface = strdup(u->interface),
            .vlan = u->vlan,
        };
        /* An untagged uplink's port is an access port of the network; a
         * tagged one's may carry several networks. */
        d->uplink_tags[d->n_uplinks++] = u->vlan ? 0 : n->vlan;
    }
}

void
agent_desired_add_uplink_ports(struct agent_desired *d)
{
    if (d->uplink_ports_added) {
        ovsb_bridge_truncate_ports(d->bridge, d->n_base_ports);
    }
    d->n_base_ports = d->bridge->n_ports;
    d->uplink_ports_added = true;
    for (size_t i = 0; i < d->n_uplinks; i++) {
        const struct uplink_dev *u = &d->uplinks[i];
        bool first = true;
        for (size_t k = 0; k < i && first; k++) {
            first = strcmp(d->uplinks[k].interface, u->interface) != 0;
        }
        if (!u->ready || !first) {
            continue;
        }
        struct ovsb_port *p = ovsb_bridge_add_port(d->bridge, u->interface, "",
                                                   d->uplink_tags[i]);
        char *networks = xasprintf("%s", u->network);
        for (size_t k = i + 1; k < d->n_uplinks; k++) {
            if (!strcmp(d->uplinks[k].interface, u->interface)) {
                char *more =
                    xasprintf("%s,%s", networks, d->uplinks[k].network);
                free(networks);
                networks = more;
            }
        }
        fabric_smap_add(&p->external_ids, "fabric-uplink", networks);
        free(networks);
    }
}

void
agent_desired_keep_uplinks_ready(struct agent_desired *d,
                                 const struct agent_desired *prev)
{
    for (size_t i = 0; i < d->n_uplinks; i++) {
        struct uplink_dev *u = &d->uplinks[i];
        for (size_t k = 0; k < prev->n_uplinks; k++) {
            const struct uplink_dev *p = &prev->uplinks[k];
            if (!strcmp(p->interface, u->interface) && p->vlan == u->vlan) {
                u->ready = p->ready;
                break;
            }
        }
    }
}

int
agent_desired_compute(const struct fabric_model *m,
                      const struct replica *fabric,
                      const struct agent_settings *s, struct agent_desired *d)
{
    memset(d, 0, sizeof *d);
    d->bridge = ovsb_bridge_create(s->bridge, s->datapath_type, "standalone");

    long self = fabric_model_find_host(m, s->host);
    if (self < 0) {
        return -ENOENT;
    }
    struct agent_iface_index *ifaces = agent_iface_index_create(fabric);
    for (size_t i = 0; i < m->n_guests; i++) {
        const struct fabric_guest *g = &m->guests[i];
        if (g->host != (size_t)self) {
            continue;
        } else if (g->kind == FABRIC_GUEST_NETNS) {
            add_netns_guest(d, m, g, ifaces, s);
        } else if (g->kind == FABRIC_GUEST_PORT) {
            add_port_guest(d, m, g, ifaces);
        } else if (s->vm_dir) {
            add_vm_guest(d, m, g, fabric, ifaces, s);
        }
    }
    agent_iface_index_destroy(ifaces);
    if (d->n_port_ifaces) {
        qsort(d->port_ifaces, d->n_port_ifaces, sizeof *d->port_ifaces,
              agent_port_iface_compare);
    }
    for (size_t i = 0; i < m->n_routers; i++) {
        const struct fabric_router *r = &m->routers[i];
        if (r->kind == FABRIC_ROUTER_VM && r->has_host &&
            r->host == (size_t)self && s->vm_dir) {
            add_vm_router(d, m, r, fabric, s);
        }
    }
    for (size_t h = 0; h < m->n_hosts; h++) {
        const struct fabric_host *host = &m->hosts[h];
        if (h == (size_t)self || !host->underlay_ip ||
            !hosts_share_network(m, self, h)) {
            continue;
        }
        char name[16];
        agent_tunnel_port_name(host->name, name);
        struct ovsb_port *p =
            ovsb_bridge_add_port(d->bridge, name, "geneve", 0);
        p->bfd = true;
        /* Split horizon: a frame that came from one host is never sent
         * on to another, or a full mesh of tunnels would loop. */
        p->protected_ = true;
        fabric_smap_add(&p->options, "remote_ip", host->underlay_ip);
        fabric_smap_add(&p->options, "key", "flow");
        const char *local = m->hosts[self].underlay_ip;
        if (local) {
            fabric_smap_add(&p->options, "local_ip", local);
        }
        d->tunnel_hosts =
            strv_append(d->tunnel_hosts, d->n_tunnels, host->name);
        d->tunnel_ports = strv_append(d->tunnel_ports, d->n_tunnels, name);
        d->n_tunnels++;
    }
    for (size_t net = 0; net < m->n_networks; net++) {
        const struct fabric_network *n = &m->networks[net];
        if (n->mode != FABRIC_NET_ISOLATED && n->host_ip &&
            host_has_endpoint(m, self, net)) {
            add_gateway(d, m, net, self);
        }
        add_uplinks(d, m, net, self);
    }
    return 0;
}

void
agent_desired_clear(struct agent_desired *d)
{
    ovsb_bridge_free(d->bridge);
    for (size_t i = 0; i < d->n_guests; i++) {
        netns_guest_free(d->guests[i]);
        free(d->guest_names[i]);
    }
    free(d->guests);
    free(d->guest_names);
    for (size_t i = 0; i < d->n_vms; i++) {
        vm_spec_free(d->vms[i]);
    }
    free(d->vms);
    free(d->vm_restart);
    for (size_t i = 0; i < d->n_tunnels; i++) {
        free(d->tunnel_hosts[i]);
        free(d->tunnel_ports[i]);
    }
    free(d->tunnel_hosts);
    free(d->tunnel_ports);
    for (size_t i = 0; i < d->n_gateways; i++) {
        gateway_port_clear(&d->gateways[i]);
    }
    free(d->gateways);
    for (size_t i = 0; i < d->n_nats; i++) {
        nat_network_clear(&d->nats[i]);
    }
    free(d->nats);
    for (size_t i = 0; i < d->n_uplinks; i++) {
        uplink_dev_clear(&d->uplinks[i]);
    }
    free(d->uplinks);
    free(d->uplink_tags);
    for (size_t i = 0; i < d->n_port_ifaces; i++) {
        free(d->port_ifaces[i].guest);
        free(d->port_ifaces[i].iface_id);
    }
    free(d->port_ifaces);
    memset(d, 0, sizeof *d);
}
