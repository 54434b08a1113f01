/* agent-desired: see agent-desired.h. */
#include "agent-desired.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datum.h"
#include "model.h"
#include "replica.h"

static uint32_t
fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h = (h ^ (unsigned char) *s) * 16777619u;
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
        json_array_foreach (refs, i, ref) {
            const char *uuid = ovsdb_atom_uuid(ref);
            const struct replica_row *row
                = uuid ? replica_get(fabric, "Guest_Interface", uuid) : NULL;
            const char *n = row ? json_string_value(replica_row_get(row,
                                                                    "name"))
                                : NULL;
            if (n && !strcmp(n, iface)) {
                found = row->uuid;
                break;
            }
        }
        json_decref(refs);
        return found;
    }
    return NULL;
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

/* Returns true if host 'a' may send to host 'b': 'b' has a port in a
 * network that one of 'a''s networks is, or is routed to (the router is
 * distributed: it routes on 'a' and the frame goes straight to 'b'). */
static bool
hosts_share_network(const struct fabric_model *m, size_t a, size_t b)
{
    for (size_t n = 0; n < m->n_networks; n++) {
        if (!host_in_network(m, a, n)) {
            continue;
        }
        for (size_t k = 0; k < m->n_networks; k++) {
            if (networks_joined(m, n, k) && host_in_network(m, b, k)) {
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
                const struct fabric_guest *g, const struct replica *fabric,
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
        const char *uuid = agent_iface_uuid(fabric, g->name, f->name);
        if (!uuid) {
            /* The replica lags the model: skip until it catches up. */
            continue;
        }
        char peer[16];
        agent_iface_port_name(uuid, peer);
        struct netns_iface *ni = netns_guest_add_iface(ng, f->name, peer,
                                                       f->mac, f->mtu,
                                                       f->gateway);
        for (size_t k = 0; k < f->n_addresses; k++) {
            netns_iface_add_address(ni, f->addresses[k]);
        }
        for (size_t k = 0; k < f->n_routes; k++) {
            netns_iface_add_route(ni, f->routes[k].prefix,
                                  f->routes[k].via);
        }
        int tag = f->vlan_mode == FABRIC_VLAN_ACCESS
                      ? m->networks[f->network].vlan : 0;
        struct ovsb_port *p = ovsb_bridge_add_port(d->bridge, peer, "",
                                                   tag);
        p->mtu_request = f->mtu;
        fabric_smap_add(&p->external_ids, "iface-id", uuid);
        fabric_smap_add(&p->external_ids, "attached-mac", f->mac);
    }
}

int
agent_desired_compute(const struct fabric_model *m,
                      const struct replica *fabric,
                      const struct agent_settings *s,
                      struct agent_desired *d)
{
    memset(d, 0, sizeof *d);
    d->bridge = ovsb_bridge_create(s->bridge, s->datapath_type,
                                   "standalone");

    long self = fabric_model_find_host(m, s->host);
    if (self < 0) {
        return -ENOENT;
    }
    for (size_t i = 0; i < m->n_guests; i++) {
        const struct fabric_guest *g = &m->guests[i];
        if (g->host == (size_t) self && g->kind == FABRIC_GUEST_NETNS) {
            add_netns_guest(d, m, g, fabric, s);
        }
    }
    for (size_t h = 0; h < m->n_hosts; h++) {
        const struct fabric_host *host = &m->hosts[h];
        if (h == (size_t) self || !host->underlay_ip
            || !hosts_share_network(m, self, h)) {
            continue;
        }
        char name[16];
        agent_tunnel_port_name(host->name, name);
        struct ovsb_port *p = ovsb_bridge_add_port(d->bridge, name, "geneve",
                                                   0);
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
        d->tunnel_hosts = strv_append(d->tunnel_hosts, d->n_tunnels,
                                      host->name);
        d->tunnel_ports = strv_append(d->tunnel_ports, d->n_tunnels, name);
        d->n_tunnels++;
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
    for (size_t i = 0; i < d->n_tunnels; i++) {
        free(d->tunnel_hosts[i]);
        free(d->tunnel_ports[i]);
    }
    free(d->tunnel_hosts);
    free(d->tunnel_ports);
    memset(d, 0, sizeof *d);
}
