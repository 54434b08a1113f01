/* lab-services: see lab-services.h. */
#include "lab-services.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "gateway-names.h"
#include "model.h"
#include "pipeline.h"
#include "xstring.h"

static char *
lower_dup(const char *s)
{
    char *d = xrealloc(NULL, strlen(s) + 1);
    size_t i = 0;
    for (; s[i]; i++) {
        d[i] = (char)tolower((unsigned char)s[i]);
    }
    d[i] = '\0';
    return d;
}

/* True if some interface, router port or gateway of 'm' has 'ip'. */
static bool
address_used(const struct fabric_model *m, uint32_t ip)
{
    uint32_t a;
    for (size_t i = 0; i < m->n_guests; i++) {
        const struct fabric_guest *g = &m->guests[i];
        for (size_t j = 0; j < g->n_interfaces; j++) {
            const struct fabric_interface *f = &g->interfaces[j];
            for (size_t k = 0; k < f->n_addresses; k++) {
                if (!frame_parse_ipv4(f->addresses[k], &a, NULL) && a == ip) {
                    return true;
                }
            }
        }
    }
    for (size_t i = 0; i < m->n_routers; i++) {
        const struct fabric_router *r = &m->routers[i];
        for (size_t j = 0; j < r->n_ports; j++) {
            if (!frame_parse_ipv4(r->ports[j].ip, &a, NULL) && a == ip) {
                return true;
            }
        }
    }
    for (size_t i = 0; i < m->n_networks; i++) {
        if (!frame_parse_ipv4(m->networks[i].host_ip, &a, NULL) && a == ip) {
            return true;
        }
    }
    return false;
}

uint32_t
lab_service_address(const struct fabric_model *m, size_t net)
{
    const struct fabric_network *n = &m->networks[net];
    uint32_t ip;
    if (!frame_parse_ipv4(n->gateway, &ip, NULL) ||
        !frame_parse_ipv4(n->host_ip, &ip, NULL)) {
        return ip;
    }
    int prefix;
    if (frame_parse_ipv4(n->subnet, &ip, &prefix) || prefix > 30) {
        return 0;
    }
    uint32_t hostmask = 0xffffffffu >> prefix;
    uint32_t base = ip & ~hostmask;
    for (uint32_t h = hostmask - 1; h >= 1 && hostmask - h <= 1024; h--) {
        if (!address_used(m, base | h)) {
            return base | h;
        }
    }
    return 0;
}

static void
fill_lease(const struct fabric_model *m, const struct fabric_guest *g,
           const struct fabric_interface *f, uint32_t service,
           struct dhcp_lease *l)
{
    const struct fabric_network *n = &m->networks[f->network];
    uint32_t subnet, ip;
    int net_prefix, prefix;
    frame_parse_mac(f->mac, l->mac);
    l->lease_time = LAB_SERVICES_LEASE_TIME;
    l->server_ip = service;
    char smac[18];
    service_mac(n->name, smac);
    frame_parse_mac(smac, l->server_mac);
    if (service) {
        l->dns[l->n_dns++] = service;
    }
    l->mtu = f->mtu ? f->mtu : n->mtu;
    snprintf(l->hostname, sizeof l->hostname, "%s", g->name);
    snprintf(l->domain, sizeof l->domain, "%s", m->name ? m->name : "");
    for (size_t i = 0; i < sizeof l->domain && l->domain[i]; i++) {
        l->domain[i] = (char)tolower((unsigned char)l->domain[i]);
    }
    frame_parse_ipv4(f->gateway, &l->router, NULL);
    for (size_t i = 0; i < f->n_routes && l->n_routes < DHCP_MAX_ROUTES; i++) {
        struct dhcp_route *r = &l->routes[l->n_routes];
        if (!frame_parse_ipv4(f->routes[i].prefix, &r->dst, &r->prefix) &&
            !frame_parse_ipv4(f->routes[i].via, &r->via, NULL)) {
            l->n_routes++;
        }
    }
    if (frame_parse_ipv4(n->subnet, &subnet, &net_prefix)) {
        return;
    }
    uint32_t mask = net_prefix ? 0xffffffffu << (32 - net_prefix) : 0;
    for (size_t i = 0; i < f->n_addresses; i++) {
        if (!frame_parse_ipv4(f->addresses[i], &ip, &prefix) &&
            (ip & mask) == (subnet & mask)) {
            l->ip = ip;
            l->prefix = net_prefix;
            return;
        }
    }
}

/* The entry of 'name' (a router's, which may also be a guest's), in
 * s->names, which has room for it. */
static struct lab_service_name *
name_entry(struct lab_services *s, const char *name)
{
    char *lower = lower_dup(name);
    for (size_t i = 0; i < s->n_names; i++) {
        if (!strcmp(s->names[i].name, lower)) {
            free(lower);
            return &s->names[i];
        }
    }
    struct lab_service_name *e = &s->names[s->n_names++];
    memset(e, 0, sizeof *e);
    e->name = lower;
    return e;
}

static void
name_add(struct lab_service_name *e, const char *addr, size_t net)
{
    uint32_t ip;
    if (frame_parse_ipv4(addr, &ip, NULL)) {
        return;
    }
    e->addrs = xrealloc(e->addrs, (e->n_addrs + 1) * sizeof *e->addrs);
    e->networks =
        xrealloc(e->networks, (e->n_addrs + 1) * sizeof *e->networks);
    e->addrs[e->n_addrs] = ip;
    e->networks[e->n_addrs++] = net;
}

struct lab_services *
lab_services_build(const struct fabric_model *m, const char *host)
{
    struct lab_services *s = xrealloc(NULL, sizeof *s);
    memset(s, 0, sizeof *s);
    s->domain = lower_dup(m->name ? m->name : "");
    long self = fabric_model_find_host(m, host);
    uint32_t *service = xrealloc(NULL, m->n_networks * sizeof *service);
    for (size_t i = 0; i < m->n_networks; i++) {
        service[i] = m->networks[i].dhcp ? lab_service_address(m, i) : 0;
    }
    /* Guests have unique names: no search (quadratic at 1,000). */
    s->names = xrealloc(NULL, (m->n_guests + m->n_routers) * sizeof *s->names);
    for (size_t i = 0; i < m->n_guests; i++) {
        const struct fabric_guest *g = &m->guests[i];
        struct lab_service_name *e = &s->names[s->n_names++];
        memset(e, 0, sizeof *e);
        e->name = lower_dup(g->name);
        for (size_t j = 0; j < g->n_interfaces; j++) {
            const struct fabric_interface *f = &g->interfaces[j];
            for (size_t k = 0; k < f->n_addresses; k++) {
                name_add(e, f->addresses[k], f->network);
            }
            const struct fabric_network *n = &m->networks[f->network];
            if (self < 0 || g->host != (size_t)self || !n->dhcp) {
                continue;
            }
            s->ifaces =
                xrealloc(s->ifaces, (s->n_ifaces + 1) * sizeof *s->ifaces);
            struct lab_service_iface *si = &s->ifaces[s->n_ifaces++];
            memset(si, 0, sizeof *si);
            si->cookie =
                pipeline_cookie_pair(PIPELINE_COOKIE_IFACE, g->name, f->name);
            si->network = f->network;
            si->outside = n->mode != FABRIC_NET_ISOLATED;
            fill_lease(m, g, f, service[f->network], &si->lease);
            si->leased = si->lease.ip != 0 && si->lease.server_ip != 0;
        }
    }
    for (size_t i = 0; i < m->n_routers; i++) {
        const struct fabric_router *r = &m->routers[i];
        struct lab_service_name *e = name_entry(s, r->name);
        for (size_t j = 0; j < r->n_ports; j++) {
            name_add(e, r->ports[j].ip, r->ports[j].network);
        }
    }
    free(service);
    return s;
}

void
lab_services_destroy(struct lab_services *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->n_names; i++) {
        free(s->names[i].name);
        free(s->names[i].addrs);
        free(s->names[i].networks);
    }
    free(s->names);
    free(s->ifaces);
    free(s->domain);
    free(s);
}

const struct lab_service_iface *
lab_services_find(const struct lab_services *s, uint64_t cookie,
                  const uint8_t mac[6])
{
    for (size_t i = 0; s && i < s->n_ifaces; i++) {
        if (s->ifaces[i].cookie == cookie &&
            !memcmp(s->ifaces[i].lease.mac, mac, 6)) {
            return &s->ifaces[i];
        }
    }
    return NULL;
}

enum lab_dns_result
lab_services_resolve(const struct lab_services *s, const char *name,
                     size_t net, uint32_t *addrs, size_t max, size_t *n)
{
    *n = 0;
    size_t len = strlen(name), dlen = strlen(s->domain);
    char short_name[256];
    bool in_domain = false;
    if (dlen && len == dlen && !strcmp(name, s->domain)) {
        return LAB_DNS_NXDOMAIN; /* The domain itself has no address. */
    }
    if (dlen && len > dlen + 1 && name[len - dlen - 1] == '.' &&
        !strcmp(name + len - dlen, s->domain)) {
        in_domain = true;
        len -= dlen + 1;
    }
    if (len >= sizeof short_name) {
        return in_domain ? LAB_DNS_NXDOMAIN : LAB_DNS_OUTSIDE;
    }
    memcpy(short_name, name, len);
    short_name[len] = '\0';
    for (size_t i = 0; i < s->n_names; i++) {
        const struct lab_service_name *e = &s->names[i];
        if (strcmp(e->name, short_name)) {
            continue;
        }
        /* The asker's network first, then the others, in model order. */
        for (int pass = 0; pass < 2; pass++) {
            for (size_t k = 0; k < e->n_addrs && *n < max; k++) {
                if ((e->networks[k] == net) == (pass == 0)) {
                    addrs[(*n)++] = e->addrs[k];
                }
            }
        }
        return LAB_DNS_FOUND;
    }
    return in_domain ? LAB_DNS_NXDOMAIN : LAB_DNS_OUTSIDE;
}
