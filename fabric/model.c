/* model: see model.h. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
fabric_net_mode_name(enum fabric_net_mode mode)
{
    switch (mode) {
    case FABRIC_NET_ISOLATED:
        return "isolated";
    case FABRIC_NET_ROUTED:
        return "routed";
    case FABRIC_NET_NAT:
        return "nat";
    }
    return "?";
}

const char *
fabric_router_kind_name(enum fabric_router_kind kind)
{
    return kind == FABRIC_ROUTER_VM ? "vm" : "flows";
}

const char *
fabric_guest_kind_name(enum fabric_guest_kind kind)
{
    return kind == FABRIC_GUEST_VM     ? "vm"
           : kind == FABRIC_GUEST_PORT ? "port"
                                       : "netns";
}

const char *
fabric_vlan_mode_name(enum fabric_vlan_mode mode)
{
    return mode == FABRIC_VLAN_TRUNK ? "trunk" : "access";
}

const char *
fabric_restart_name(enum fabric_restart restart)
{
    return (restart == FABRIC_RESTART_ALWAYS  ? "always"
            : restart == FABRIC_RESTART_NEVER ? "never"
                                              : "on-failure");
}

const char *
fabric_proto_name(enum fabric_proto proto)
{
    return proto == FABRIC_PROTO_UDP ? "udp" : "tcp";
}

char *
fabric_forward_format(const struct fabric_model *model,
                      const struct fabric_forward *f)
{
    char *s;
    if (asprintf(&s, "%s:%d:%s:%d", fabric_proto_name(f->proto), f->host_port,
                 f->guest < model->n_guests ? model->guests[f->guest].name
                                            : "",
                 f->port) < 0) {
        abort();
    }
    return s;
}

char *
fabric_uplink_format(const struct fabric_model *model,
                     const struct fabric_uplink *u)
{
    const char *host =
        u->host < model->n_hosts ? model->hosts[u->host].name : "";
    char *s;
    int n = u->vlan ? asprintf(&s, "%s:%s:%d", host, u->interface, u->vlan)
                    : asprintf(&s, "%s:%s", host, u->interface);
    if (n < 0) {
        abort();
    }
    return s;
}

int
fabric_uplink_compare(const void *a_, const void *b_)
{
    const struct fabric_uplink *a = a_, *b = b_;
    if (a->host != b->host) {
        return a->host < b->host ? -1 : 1;
    }
    int c = strcmp(a->interface, b->interface);
    return c ? c : (a->vlan > b->vlan) - (a->vlan < b->vlan);
}

void
fabric_vm_clear(struct fabric_vm *vm)
{
    free(vm->image);
    free(vm->kernel);
    free(vm->initrd);
    free(vm->cmdline);
    free(vm->user_data);
    memset(vm, 0, sizeof *vm);
}

void
fabric_smap_add(struct fabric_smap *smap, const char *key, const char *value)
{
    smap->keys = realloc(smap->keys, (smap->n + 1) * sizeof *smap->keys);
    smap->values = realloc(smap->values, (smap->n + 1) * sizeof *smap->values);
    smap->keys[smap->n] = strdup(key);
    smap->values[smap->n] = strdup(value);
    smap->n++;
}

const char *
fabric_smap_get(const struct fabric_smap *smap, const char *key)
{
    for (size_t i = 0; i < smap->n; i++) {
        if (!strcmp(smap->keys[i], key)) {
            return smap->values[i];
        }
    }
    return NULL;
}

void
fabric_smap_clear(struct fabric_smap *smap)
{
    for (size_t i = 0; i < smap->n; i++) {
        free(smap->keys[i]);
        free(smap->values[i]);
    }
    free(smap->keys);
    free(smap->values);
    memset(smap, 0, sizeof *smap);
}

static void
interface_clear(struct fabric_interface *iface)
{
    free(iface->name);
    free(iface->mac);
    for (size_t i = 0; i < iface->n_addresses; i++) {
        free(iface->addresses[i]);
    }
    free(iface->addresses);
    free(iface->gateway);
    free(iface->iface_id);
    for (size_t i = 0; i < iface->n_routes; i++) {
        free(iface->routes[i].prefix);
        free(iface->routes[i].via);
    }
    free(iface->routes);
    free(iface->trunks);
}

void
fabric_model_destroy(struct fabric_model *model)
{
    if (!model) {
        return;
    }
    for (size_t i = 0; i < model->n_hosts; i++) {
        struct fabric_host *h = &model->hosts[i];
        free(h->name);
        free(h->underlay_ip);
        free(h->encap);
        fabric_smap_clear(&h->external_ids);
    }
    free(model->hosts);
    for (size_t i = 0; i < model->n_networks; i++) {
        struct fabric_network *n = &model->networks[i];
        free(n->name);
        free(n->subnet);
        free(n->gateway);
        free(n->host_ip);
        free(n->forwards);
        for (size_t j = 0; j < n->n_uplinks; j++) {
            free(n->uplinks[j].interface);
        }
        free(n->uplinks);
        fabric_smap_clear(&n->external_ids);
    }
    free(model->networks);
    for (size_t i = 0; i < model->n_routers; i++) {
        struct fabric_router *r = &model->routers[i];
        free(r->name);
        for (size_t j = 0; j < r->n_ports; j++) {
            free(r->ports[j].ip);
            free(r->ports[j].mac);
        }
        free(r->ports);
        fabric_vm_clear(&r->vm);
        fabric_smap_clear(&r->external_ids);
    }
    free(model->routers);
    for (size_t i = 0; i < model->n_guests; i++) {
        struct fabric_guest *g = &model->guests[i];
        free(g->name);
        fabric_vm_clear(&g->vm);
        for (size_t j = 0; j < g->n_interfaces; j++) {
            interface_clear(&g->interfaces[j]);
        }
        free(g->interfaces);
        fabric_smap_clear(&g->external_ids);
    }
    free(model->guests);
    free(model->name);
    free(model);
}

long
fabric_model_find_host(const struct fabric_model *model, const char *name)
{
    for (size_t i = 0; i < model->n_hosts; i++) {
        if (!strcmp(model->hosts[i].name, name)) {
            return i;
        }
    }
    return -1;
}

long
fabric_model_find_network(const struct fabric_model *model, const char *name)
{
    for (size_t i = 0; i < model->n_networks; i++) {
        if (!strcmp(model->networks[i].name, name)) {
            return i;
        }
    }
    return -1;
}
