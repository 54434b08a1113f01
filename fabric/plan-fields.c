/* plan-fields: the objects of a model as lists of text fields, for plan.c
 * to compare.  See plan.h for the rules of values and order. */
#include "plan.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "plan-private.h"
#include "xstring.h"

/* Memory. */

static char *
xstrdup(const char *s)
{
    char *copy = strdup(s);
    if (!copy) {
        abort();
    }
    return copy;
}

static const char *
nz(const char *s)
{
    return s ? s : "";
}

/* A growing string. */

struct buf {
    char *s;
    size_t len, cap;
};

static void
buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = 2 * (b->len + n + 1);
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void
buf_puts(struct buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

/* Returns the string (never NULL) and empties 'b'. */
static char *
buf_steal(struct buf *b)
{
    char *s = b->s ? b->s : xstrdup("");
    memset(b, 0, sizeof *b);
    return s;
}

/* Appends 's' as a quoted string: '"' and '\' escaped with '\', control
 * characters (and, with 'ascii', every byte above 127) as \n, \t or
 * \xHH. */
static void
buf_quoted(struct buf *b, const char *s, bool ascii)
{
    buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            snprintf(esc, sizeof esc, "\\%c", *p);
        } else if (*p == '\n') {
            snprintf(esc, sizeof esc, "\\n");
        } else if (*p == '\t') {
            snprintf(esc, sizeof esc, "\\t");
        } else if (*p < 0x20 || *p == 0x7f || (ascii && *p > 0x7f)) {
            snprintf(esc, sizeof esc, "\\x%02x", *p);
        } else {
            esc[0] = *p;
            esc[1] = '\0';
        }
        buf_puts(b, esc);
    }
    buf_puts(b, "\"");
}

char *
plan_quote(const char *s, bool ascii)
{
    struct buf b = {0};
    buf_quoted(&b, s, ascii);
    return buf_steal(&b);
}

/* Appends set or map element 's': as is when it is made of "plain"
 * characters only, else quoted, so that joined elements stay distinct. */
static void
buf_element(struct buf *b, const char *s)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789._:/@+-";
    if (*s && strspn(s, plain) == strlen(s)) {
        buf_puts(b, s);
    } else {
        buf_quoted(b, s, false);
    }
}

/* Values. */

static char *
v_opt(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static char *
v_int(long long value)
{
    return xasprintf("%lld", value);
}

static char *
v_bool(bool value)
{
    return xstrdup(value ? "true" : "false");
}

/* Returns set 'elems' (of 'n') as sorted, joined text, or NULL if empty. */
static char *
v_set(const char *const *elems, size_t n)
{
    if (!n) {
        return NULL;
    }
    const char **sorted = xrealloc(NULL, n * sizeof *sorted);
    memcpy(sorted, elems, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, strptr_compare);
    struct buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i) {
            buf_puts(&b, ",");
        }
        buf_element(&b, nz(sorted[i]));
    }
    free(sorted);
    return buf_steal(&b);
}

struct pair {
    const char *key, *value;
};

static int
pair_compare(const void *a_, const void *b_)
{
    const struct pair *a = a_;
    const struct pair *b = b_;
    int cmp = strcmp(a->key, b->key);
    return cmp ? cmp : strcmp(a->value, b->value);
}

/* Returns the map of 'n' 'pairs' (sorted here) as "k=v,k2=v2", or NULL if
 * empty. */
static char *
v_pairs(struct pair *pairs, size_t n)
{
    if (!n) {
        return NULL;
    }
    qsort(pairs, n, sizeof *pairs, pair_compare);
    struct buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i) {
            buf_puts(&b, ",");
        }
        buf_element(&b, pairs[i].key);
        buf_puts(&b, "=");
        buf_element(&b, pairs[i].value);
    }
    return buf_steal(&b);
}

static char *
v_smap(const struct fabric_smap *smap)
{
    struct pair *pairs = xrealloc(NULL, smap->n * sizeof *pairs);
    for (size_t i = 0; i < smap->n; i++) {
        pairs[i] = (struct pair){nz(smap->keys[i]), nz(smap->values[i])};
    }
    char *s = v_pairs(pairs, smap->n);
    free(pairs);
    return s;
}

static const char *
network_name(const struct fabric_model *m, size_t i)
{
    return i < m->n_networks ? nz(m->networks[i].name) : "?";
}

static const char *
host_name(const struct fabric_model *m, size_t i)
{
    return i < m->n_hosts ? nz(m->hosts[i].name) : "?";
}

/* Field lists: an object's fields as text, in a fixed order. */

/* Adds field 'key' with 'value' (stolen, may be NULL). */
static void
flist_add(struct plan_flist *fl, const char *key, char *value)
{
    if (fl->n >= fl->cap) {
        fl->cap = fl->cap ? 2 * fl->cap : 16;
        fl->keys = xrealloc(fl->keys, fl->cap * sizeof *fl->keys);
        fl->values = xrealloc(fl->values, fl->cap * sizeof *fl->values);
    }
    fl->keys[fl->n] = xasprintf("%s%s", nz(fl->prefix), key);
    fl->values[fl->n] = value;
    fl->n++;
}

void
plan_flist_clear(struct plan_flist *fl)
{
    for (size_t i = 0; i < fl->n; i++) {
        free(fl->keys[i]);
        free(fl->values[i]);
    }
    free(fl->keys);
    free(fl->values);
    memset(fl, 0, sizeof *fl);
}

static void
host_fields(const struct fabric_model *m, size_t i, struct plan_flist *fl)
{
    const struct fabric_host *h = &m->hosts[i];
    flist_add(fl, "underlay_ip", v_opt(h->underlay_ip));
    flist_add(fl, "encap", xstrdup(nz(h->encap)));
    flist_add(fl, "underlay_mtu", v_int(h->underlay_mtu));
    flist_add(fl, "external_ids", v_smap(&h->external_ids));
}

static void
network_fields(const struct fabric_model *m, size_t i, struct plan_flist *fl)
{
    const struct fabric_network *n = &m->networks[i];
    flist_add(fl, "subnet", xstrdup(nz(n->subnet)));
    flist_add(fl, "mode", xstrdup(fabric_net_mode_name(n->mode)));
    flist_add(fl, "vlan", v_int(n->vlan));
    flist_add(fl, "vni", v_int(n->vni));
    flist_add(fl, "mtu", v_int(n->mtu));
    flist_add(fl, "gateway", v_opt(n->gateway));
    flist_add(fl, "dhcp", v_bool(n->dhcp));
    flist_add(fl, "host_ip", v_opt(n->host_ip));
    char **forwards = xrealloc(NULL, (n->n_forwards + 1) * sizeof *forwards);
    for (size_t k = 0; k < n->n_forwards; k++) {
        forwards[k] = fabric_forward_format(m, &n->forwards[k]);
    }
    flist_add(fl, "forwards",
              v_set((const char *const *)forwards, n->n_forwards));
    for (size_t k = 0; k < n->n_forwards; k++) {
        free(forwards[k]);
    }
    free(forwards);
    char **uplinks = xrealloc(NULL, (n->n_uplinks + 1) * sizeof *uplinks);
    for (size_t k = 0; k < n->n_uplinks; k++) {
        uplinks[k] = fabric_uplink_format(m, &n->uplinks[k]);
    }
    flist_add(fl, "uplinks",
              v_set((const char *const *)uplinks, n->n_uplinks));
    for (size_t k = 0; k < n->n_uplinks; k++) {
        free(uplinks[k]);
    }
    free(uplinks);
    flist_add(fl, "external_ids", v_smap(&n->external_ids));
}

/* The settings of a VM (guests and routers of kind vm). */
static void
vm_fields(struct plan_flist *fl, const struct fabric_vm *vm)
{
    flist_add(fl, "vcpus", v_int(vm->vcpus));
    flist_add(fl, "memory_mb", v_int(vm->memory_mb));
    flist_add(fl, "image", v_opt(vm->image));
    flist_add(fl, "kernel", v_opt(vm->kernel));
    flist_add(fl, "initrd", v_opt(vm->initrd));
    flist_add(fl, "cmdline", v_opt(vm->cmdline));
    flist_add(fl, "user_data", v_opt(vm->user_data));
    flist_add(fl, "restart", xstrdup(fabric_restart_name(vm->restart)));
}

static void
router_fields(const struct fabric_model *m, size_t i, struct plan_flist *fl)
{
    const struct fabric_router *r = &m->routers[i];
    flist_add(fl, "kind", xstrdup(fabric_router_kind_name(r->kind)));
    flist_add(fl, "host", r->has_host ? xstrdup(host_name(m, r->host)) : NULL);
    vm_fields(fl, &r->vm);
    flist_add(fl, "external_ids", v_smap(&r->external_ids));
}

static void
guest_fields(const struct fabric_model *m, size_t i, struct plan_flist *fl)
{
    const struct fabric_guest *g = &m->guests[i];
    flist_add(fl, "host", xstrdup(host_name(m, g->host)));
    flist_add(fl, "kind", xstrdup(fabric_guest_kind_name(g->kind)));
    vm_fields(fl, &g->vm);
    flist_add(fl, "external_ids", v_smap(&g->external_ids));
}

/* Children: router ports (keyed by network) and guest interfaces (keyed
 * by name). */

static size_t
port_count(const struct fabric_model *m, size_t obj)
{
    return m->routers[obj].n_ports;
}

static const char *
port_key(const struct fabric_model *m, size_t obj, size_t i)
{
    return network_name(m, m->routers[obj].ports[i].network);
}

static void
port_fields(const struct fabric_model *m, size_t obj, size_t i,
            struct plan_flist *fl)
{
    const struct fabric_router_port *p = &m->routers[obj].ports[i];
    flist_add(fl, "ip", xstrdup(nz(p->ip)));
    flist_add(fl, "mac", xstrdup(nz(p->mac)));
}

static char *
port_summary(const struct fabric_model *m, size_t obj, size_t i)
{
    return xstrdup(nz(m->routers[obj].ports[i].ip));
}

static size_t
interface_count(const struct fabric_model *m, size_t obj)
{
    return m->guests[obj].n_interfaces;
}

static const char *
interface_key(const struct fabric_model *m, size_t obj, size_t i)
{
    return nz(m->guests[obj].interfaces[i].name);
}

static void
interface_fields(const struct fabric_model *m, size_t obj, size_t i,
                 struct plan_flist *fl)
{
    const struct fabric_interface *iface = &m->guests[obj].interfaces[i];
    flist_add(fl, "network", xstrdup(network_name(m, iface->network)));
    flist_add(fl, "mac", xstrdup(nz(iface->mac)));
    flist_add(
        fl, "addresses",
        v_set((const char *const *)iface->addresses, iface->n_addresses));
    flist_add(fl, "gateway", v_opt(iface->gateway));
    struct pair *routes = xrealloc(NULL, iface->n_routes * sizeof *routes);
    for (size_t j = 0; j < iface->n_routes; j++) {
        routes[j] = (struct pair){nz(iface->routes[j].prefix),
                                  nz(iface->routes[j].via)};
    }
    flist_add(fl, "routes", v_pairs(routes, iface->n_routes));
    free(routes);
    flist_add(fl, "vlan_mode",
              xstrdup(fabric_vlan_mode_name(iface->vlan_mode)));
    const char **trunks = xrealloc(NULL, iface->n_trunks * sizeof *trunks);
    for (size_t j = 0; j < iface->n_trunks; j++) {
        trunks[j] = network_name(m, iface->trunks[j]);
    }
    flist_add(fl, "trunks", v_set(trunks, iface->n_trunks));
    free(trunks);
    flist_add(fl, "iface_id", v_opt(iface->iface_id));
    flist_add(fl, "port_security", v_bool(iface->port_security));
    flist_add(fl, "mtu", v_int(iface->mtu));
}

static char *
interface_summary(const struct fabric_model *m, size_t obj, size_t i)
{
    const struct fabric_interface *iface = &m->guests[obj].interfaces[i];
    struct buf b = {0};
    buf_puts(&b, network_name(m, iface->network));
    for (size_t j = 0; j < iface->n_addresses; j++) {
        buf_puts(&b, " ");
        buf_puts(&b, nz(iface->addresses[j]));
    }
    return buf_steal(&b);
}

static const struct plan_child_kind router_ports = {
    "ports", port_count, port_key, port_fields, port_summary,
};

static const struct plan_child_kind guest_interfaces = {
    "interfaces",     interface_count,   interface_key,
    interface_fields, interface_summary,
};

/* Sorted keys: the objects or children of one side, by name. */

int
plan_key_compare(const void *a_, const void *b_)
{
    const struct plan_key *a = a_;
    const struct plan_key *b = b_;
    int cmp = strcmp(a->name, b->name);
    return cmp ? cmp : (a->index > b->index) - (a->index < b->index);
}

/* Natural order for children: "eth2" before "eth10". */
static int
key_compare_natural(const void *a_, const void *b_)
{
    const struct plan_key *a = a_;
    const struct plan_key *b = b_;
    int cmp = strverscmp(a->name, b->name);
    return cmp ? cmp : plan_key_compare(a_, b_);
}

int
plan_name_cmp(const char *a, const char *b, bool natural)
{
    int cmp = natural ? strverscmp(a, b) : 0;
    return cmp ? cmp : strcmp(a, b);
}

struct plan_key *
plan_child_keys(const struct plan_child_kind *ck, const struct fabric_model *m,
                size_t obj, size_t *np)
{
    size_t n = ck->count(m, obj);
    struct plan_key *keys = xrealloc(NULL, n * sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        keys[i] = (struct plan_key){ck->key(m, obj, i), i};
    }
    qsort(keys, n, sizeof *keys, key_compare_natural);
    *np = n;
    return keys;
}

/* Summaries of new objects. */

static char *
host_summary(const struct fabric_model *m, size_t i)
{
    const struct fabric_host *h = &m->hosts[i];
    return xasprintf("(%s, %s)", h->underlay_ip ? h->underlay_ip : "local",
                     nz(h->encap));
}

static char *
network_summary(const struct fabric_model *m, size_t i)
{
    const struct fabric_network *n = &m->networks[i];
    return xasprintf("(%s, %s, vlan %d)", nz(n->subnet),
                     fabric_net_mode_name(n->mode), n->vlan);
}

/* Appends ", KEY SUMMARY" for each child of object 'obj'. */
static void
buf_children(struct buf *b, const struct plan_child_kind *ck,
             const struct fabric_model *m, size_t obj)
{
    size_t n;
    struct plan_key *keys = plan_child_keys(ck, m, obj, &n);
    for (size_t i = 0; i < n; i++) {
        char *s = ck->summary(m, obj, keys[i].index);
        buf_puts(b, ", ");
        buf_puts(b, keys[i].name);
        buf_puts(b, " ");
        buf_puts(b, s);
        free(s);
    }
    free(keys);
}

static char *
router_summary(const struct fabric_model *m, size_t i)
{
    const struct fabric_router *r = &m->routers[i];
    struct buf b = {0};
    buf_puts(&b, "(");
    buf_puts(&b, fabric_router_kind_name(r->kind));
    if (r->has_host) {
        buf_puts(&b, " on ");
        buf_puts(&b, host_name(m, r->host));
    }
    buf_children(&b, &router_ports, m, i);
    buf_puts(&b, ")");
    return buf_steal(&b);
}

static char *
guest_summary(const struct fabric_model *m, size_t i)
{
    const struct fabric_guest *g = &m->guests[i];
    struct buf b = {0};
    buf_puts(&b, "(");
    buf_puts(&b, fabric_guest_kind_name(g->kind));
    buf_puts(&b, " on ");
    buf_puts(&b, host_name(m, g->host));
    buf_children(&b, &guest_interfaces, m, i);
    buf_puts(&b, ")");
    return buf_steal(&b);
}

static size_t
count_hosts(const struct fabric_model *m)
{
    return m->n_hosts;
}

static const char *
name_host(const struct fabric_model *m, size_t i)
{
    return m->hosts[i].name;
}

static size_t
count_networks(const struct fabric_model *m)
{
    return m->n_networks;
}

static const char *
name_network(const struct fabric_model *m, size_t i)
{
    return m->networks[i].name;
}

static size_t
count_routers(const struct fabric_model *m)
{
    return m->n_routers;
}

static const char *
name_router(const struct fabric_model *m, size_t i)
{
    return m->routers[i].name;
}

static size_t
count_guests(const struct fabric_model *m)
{
    return m->n_guests;
}

static const char *
name_guest(const struct fabric_model *m, size_t i)
{
    return m->guests[i].name;
}

const struct plan_kind plan_kinds[PLAN_N_KINDS] = {
    {"host", count_hosts, name_host, host_fields, NULL, host_summary},
    {"network", count_networks, name_network, network_fields, NULL,
     network_summary},
    {"router", count_routers, name_router, router_fields, &router_ports,
     router_summary},
    {"guest", count_guests, name_guest, guest_fields, &guest_interfaces,
     guest_summary},
};
