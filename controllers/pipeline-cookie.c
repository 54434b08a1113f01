/* pipeline-cookie: the names behind the pipeline's cookies and tables; see
 * pipeline.h for the rules. */
#include "pipeline.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "model.h"
#include "pipeline-private.h"
#include "xstring.h"

static const struct {
    int table;
    const char *name;
} tables[] = {
    {PIPELINE_TABLE_CLASSIFY, "classify"},
    {PIPELINE_TABLE_ARP, "arp"},
    {PIPELINE_TABLE_ROUTER, "router"},
    {PIPELINE_TABLE_NEXTHOP, "nexthop"},
    {PIPELINE_TABLE_L2, "l2"},
};
#define N_TABLES (sizeof tables / sizeof tables[0])

#define FNV_OFFSET UINT64_C(14695981039346656037)
#define FNV_PRIME UINT64_C(1099511628211)
#define COOKIE_HASH_MASK UINT64_C(0x00ffffffffffffff)

/* Continues the FNV-1a 64-bit hash 'h' over the bytes of 's'. */
static uint64_t
fnv1a64(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * FNV_PRIME;
    }
    return h;
}

static uint64_t
make_cookie(enum pipeline_cookie_kind kind, uint64_t hash)
{
    return ((uint64_t)kind << 56) | (hash & COOKIE_HASH_MASK);
}

uint64_t
pipeline_cookie(enum pipeline_cookie_kind kind, const char *name)
{
    return make_cookie(kind, fnv1a64(FNV_OFFSET, name));
}

uint64_t
pipeline_cookie_pair(enum pipeline_cookie_kind kind, const char *a,
                     const char *b)
{
    return make_cookie(kind, fnv1a64(fnv1a64(fnv1a64(FNV_OFFSET, a), "/"), b));
}

const char *
pipeline_table_name(int table)
{
    for (size_t i = 0; i < N_TABLES; i++) {
        if (tables[i].table == table) {
            return tables[i].name;
        }
    }
    return NULL;
}

char *
pipeline_cookie_describe(const struct fabric_model *m, uint64_t cookie)
{
    enum pipeline_cookie_kind kind = cookie >> 56;
    switch (kind) {
    case PIPELINE_COOKIE_NETWORK:
        for (size_t i = 0; i < m->n_networks; i++) {
            const char *name = m->networks[i].name;
            if (pipeline_cookie(kind, name) == cookie) {
                return xasprintf("network %s", name);
            }
        }
        break;
    case PIPELINE_COOKIE_IFACE:
        for (size_t i = 0; i < m->n_guests; i++) {
            const struct fabric_guest *g = &m->guests[i];
            for (size_t j = 0; j < g->n_interfaces; j++) {
                const char *iface = g->interfaces[j].name;
                if (pipeline_cookie_pair(kind, g->name, iface) == cookie) {
                    return xasprintf("guest %s %s", g->name, iface);
                }
            }
        }
        break;
    case PIPELINE_COOKIE_ROUTER:
        for (size_t i = 0; i < m->n_routers; i++) {
            const struct fabric_router *r = &m->routers[i];
            for (size_t j = 0; j < r->n_ports; j++) {
                const char *net = m->networks[r->ports[j].network].name;
                if (pipeline_cookie_pair(kind, r->name, net) == cookie) {
                    return xasprintf("router %s %s", r->name, net);
                }
            }
        }
        break;
    case PIPELINE_COOKIE_TUNNEL:
        for (size_t i = 0; i < m->n_hosts; i++) {
            const char *name = m->hosts[i].name;
            if (pipeline_cookie(kind, name) == cookie) {
                return xasprintf("tunnel %s", name);
            }
        }
        break;
    case PIPELINE_COOKIE_GATEWAY:
        for (size_t i = 0; i < m->n_networks; i++) {
            const char *name = m->networks[i].name;
            if (pipeline_cookie(kind, name) == cookie) {
                return xasprintf("gateway %s", name);
            }
        }
        break;
    case PIPELINE_COOKIE_UPLINK:
        for (size_t i = 0; i < m->n_networks; i++) {
            const struct fabric_network *n = &m->networks[i];
            if (n->n_uplinks && pipeline_cookie(kind, n->name) == cookie) {
                char *where = fabric_uplink_format(m, &n->uplinks[0]);
                char *text = xasprintf("uplink %s %s", n->name, where);
                free(where);
                return text;
            }
        }
        break;
    case PIPELINE_COOKIE_DEFAULT:
        for (size_t i = 0; i < N_TABLES; i++) {
            if (pipeline_cookie(kind, tables[i].name) == cookie) {
                return xasprintf("pipeline %s", tables[i].name);
            }
        }
        break;
    }
    return NULL;
}
