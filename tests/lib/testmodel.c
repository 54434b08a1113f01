/* testmodel: see testmodel.h. */
#include "testmodel.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *
grow(void *array, size_t n, size_t size)
{
    array = realloc(array, (n + 1) * size);
    if (!array) {
        abort();
    }
    memset((char *)array + n * size, 0, size);
    return array;
}

static char *
dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void
tm_set(char **field, const char *value)
{
    free(*field);
    *field = dup_or_null(value);
}

/* Returns a new locally administered MAC derived from 'a' and 'b'. */
static char *
derive_mac(const char *a, const char *b)
{
    uint32_t h = 2166136261u;
    for (const char *s = a; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    h = (h ^ '/') * 16777619u;
    for (const char *s = b; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    char *mac;
    if (asprintf(&mac, "02:%02x:%02x:%02x:%02x:%02x", (h >> 24) & 0xff,
                 (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff,
                 (unsigned int)(strlen(a) + strlen(b)) & 0xff) < 0) {
        abort();
    }
    return mac;
}

struct fabric_model *
tm_new(const char *name)
{
    struct fabric_model *m = calloc(1, sizeof *m);
    m->name = strdup(name);
    return m;
}

size_t
tm_host(struct fabric_model *m, const char *name, const char *underlay_ip)
{
    m->hosts = grow(m->hosts, m->n_hosts, sizeof *m->hosts);
    struct fabric_host *h = &m->hosts[m->n_hosts];
    h->name = strdup(name);
    h->underlay_ip = dup_or_null(underlay_ip);
    h->encap = strdup("geneve");
    h->underlay_mtu = FABRIC_DEFAULT_UNDERLAY_MTU;
    return m->n_hosts++;
}

size_t
tm_network(struct fabric_model *m, const char *name, const char *subnet,
           int vlan)
{
    m->networks = grow(m->networks, m->n_networks, sizeof *m->networks);
    struct fabric_network *n = &m->networks[m->n_networks];
    n->name = strdup(name);
    n->subnet = strdup(subnet);
    n->mode = FABRIC_NET_ISOLATED;
    n->vlan = vlan;
    n->vni = vlan;
    n->mtu = FABRIC_DEFAULT_UNDERLAY_MTU - FABRIC_ENCAP_OVERHEAD;
    return m->n_networks++;
}

size_t
tm_router(struct fabric_model *m, const char *name,
          enum fabric_router_kind kind)
{
    m->routers = grow(m->routers, m->n_routers, sizeof *m->routers);
    struct fabric_router *r = &m->routers[m->n_routers];
    r->name = strdup(name);
    r->kind = kind;
    return m->n_routers++;
}

struct fabric_router_port *
tm_port(struct fabric_model *m, size_t router, size_t network, const char *ip)
{
    struct fabric_router *r = &m->routers[router];
    r->ports = grow(r->ports, r->n_ports, sizeof *r->ports);
    struct fabric_router_port *p = &r->ports[r->n_ports++];
    p->network = network;
    p->ip = strdup(ip);
    p->mac = derive_mac(r->name, m->networks[network].name);
    return p;
}

size_t
tm_guest(struct fabric_model *m, const char *name, size_t host,
         enum fabric_guest_kind kind)
{
    m->guests = grow(m->guests, m->n_guests, sizeof *m->guests);
    struct fabric_guest *g = &m->guests[m->n_guests];
    g->name = strdup(name);
    g->host = host;
    g->kind = kind;
    if (kind == FABRIC_GUEST_VM) {
        g->vm.vcpus = 1;
        g->vm.memory_mb = 512;
    }
    return m->n_guests++;
}

struct fabric_interface *
tm_interface(struct fabric_model *m, size_t guest, const char *name,
             size_t network, const char *address, const char *gateway)
{
    struct fabric_guest *g = &m->guests[guest];
    g->interfaces =
        grow(g->interfaces, g->n_interfaces, sizeof *g->interfaces);
    struct fabric_interface *iface = &g->interfaces[g->n_interfaces++];
    iface->name = strdup(name);
    iface->network = network;
    iface->mac = derive_mac(g->name, name);
    if (address) {
        tm_add_address(iface, address);
    }
    iface->gateway = dup_or_null(gateway);
    iface->vlan_mode = FABRIC_VLAN_ACCESS;
    iface->port_security = true;
    iface->mtu = m->networks[network].mtu;
    return iface;
}

void
tm_add_address(struct fabric_interface *iface, const char *address)
{
    iface->addresses =
        grow(iface->addresses, iface->n_addresses, sizeof *iface->addresses);
    iface->addresses[iface->n_addresses++] = strdup(address);
}

void
tm_add_route(struct fabric_interface *iface, const char *prefix,
             const char *via)
{
    iface->routes =
        grow(iface->routes, iface->n_routes, sizeof *iface->routes);
    struct fabric_route *route = &iface->routes[iface->n_routes++];
    route->prefix = strdup(prefix);
    route->via = strdup(via);
}

void
tm_add_trunk(struct fabric_interface *iface, size_t network)
{
    iface->trunks =
        grow(iface->trunks, iface->n_trunks, sizeof *iface->trunks);
    iface->trunks[iface->n_trunks++] = network;
}

struct fabric_model *
tm_classic_lab(void)
{
    struct fabric_model *m = tm_new("classic-lab");
    size_t hv1 = tm_host(m, "hv1", "10.99.0.1");
    size_t n1 = tm_network(m, "network1", "172.16.0.0/24", 101);
    size_t n2 = tm_network(m, "network2", "172.17.0.0/24", 102);
    tm_set(&m->networks[n1].gateway, "172.16.0.254");
    tm_set(&m->networks[n2].gateway, "172.17.0.254");
    size_t r = tm_router(m, "host00", FABRIC_ROUTER_FLOWS);
    tm_port(m, r, n1, "172.16.0.254/24");
    tm_port(m, r, n2, "172.17.0.254/24");
    size_t g = tm_guest(m, "host01", hv1, FABRIC_GUEST_NETNS);
    tm_interface(m, g, "eth0", n1, "172.16.0.1/24", "172.16.0.254");
    return m;
}

struct fabric_model *
tm_generated_lab(size_t n_hosts, size_t n_networks, size_t n_guests)
{
    struct fabric_model *m = tm_new("generated");
    char name[64], addr[64], gw[64];
    for (size_t i = 0; i < n_hosts; i++) {
        snprintf(name, sizeof name, "hv%zu", i + 1);
        snprintf(addr, sizeof addr, "10.99.%zu.%zu", (i + 1) / 256,
                 (i + 1) % 256);
        tm_host(m, name, addr);
    }
    size_t r = tm_router(m, "r0", FABRIC_ROUTER_FLOWS);
    for (size_t i = 0; i < n_networks; i++) {
        snprintf(name, sizeof name, "net%03zu", i);
        snprintf(addr, sizeof addr, "10.%zu.%zu.0/24", 1 + i / 256, i % 256);
        size_t n = tm_network(m, name, addr, 100 + (int)i);
        snprintf(addr, sizeof addr, "10.%zu.%zu.254/24", 1 + i / 256, i % 256);
        tm_port(m, r, n, addr);
    }
    for (size_t i = 0; i < n_guests; i++) {
        size_t net = i % n_networks;
        snprintf(name, sizeof name, "g%04zu", i + 1);
        size_t g = tm_guest(m, name, i % n_hosts, FABRIC_GUEST_NETNS);
        snprintf(addr, sizeof addr, "10.%zu.%zu.%zu/24", 1 + net / 256,
                 net % 256, 1 + i / n_networks);
        snprintf(gw, sizeof gw, "10.%zu.%zu.254", 1 + net / 256, net % 256);
        tm_interface(m, g, "eth0", net, addr, gw);
    }
    return m;
}
