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

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* One mapping being read. */
struct obj {
    struct topo_ctx *ctx;
    const struct topo_node *map;
    const char *what;
    const struct ld_topology *topo;
};

static const char *const top_fields[] = {
    "name", "hosts", "networks", "routers", "guests", NULL,
};
static const char *const host_fields[] = {
    "name", "underlay", "encap", "underlay_mtu", "external_ids", NULL,
};
static const char *const network_fields[] = {
    "name", "subnet", "mode", "vlan", "vni", "mtu", "dhcp", "external_ids",
    NULL,
};
static const char *const router_fields[] = {
    "name", "kind", "host", "interfaces", "external_ids", NULL,
};
static const char *const port_fields[] = {"network", "ip", "mac", NULL};
static const char *const guest_fields[] = {
    "name", "host", "kind", "vcpus", "memory", "image", "kernel", "initrd",
    "cmdline", "user_data", "interfaces", "external_ids", NULL,
};
static const char *const iface_fields[] = {
    "name", "network", "ip", "ips", "mac", "gateway", "routes",
    "vlan_mode", "trunks", "port_security", "mtu", NULL,
};
static const char *const route_fields[] = {"to", "via", NULL};

static const char *const encap_names[] = {"geneve", NULL};
static const char *const mode_names[] = {"isolated", "routed", "nat", NULL};
static const char *const router_kind_names[] = {"flows", "vm", NULL};
static const char *const guest_kind_names[] = {"netns", "vm", NULL};
static const char *const vlan_mode_names[] = {"access", "trunk", NULL};

static bool
is_key(const struct topo_node *key)
{
    return key->type == TOPO_SCALAR && !topo_node_is_null(key);
}

static bool
in_list(const char *s, const char *const *list)
{
    for (; *list; list++) {
        if (!strcmp(s, *list)) {
            return true;
        }
    }
    return false;
}

/* Checks that the keys of 'o->map' are strings, appear once, and, if
 * 'valid' is nonnull, are among 'valid'. */
static void
check_keys(struct obj *o, const char *const *valid)
{
    struct topo_index seen = {0};

    for (size_t i = 0; i + 1 < o->map->n_kids; i += 2) {
        const struct topo_node *key = o->map->kids[i];
        size_t first;

        if (!is_key(key)) {
            topo_msg_key_type(o->ctx, o->what, key);
        } else if (valid && !in_list(key->scalar, valid)) {
            topo_msg_unknown_field(o->ctx, o->what, key, valid);
        } else if (topo_index_find_str(&seen, key->scalar, &first)) {
            topo_msg_duplicate_key(o->ctx, o->what, key,
                                   o->map->kids[first]);
        } else {
            topo_index_add_str(&seen, key->scalar, i);
        }
    }
    topo_index_destroy(&seen);
}

/* Returns the index in o->map->kids of the key 'field' (its first
 * occurrence), or -1. */
static long
find_key(const struct obj *o, const char *field)
{
    for (size_t i = 0; i + 1 < o->map->n_kids; i += 2) {
        const struct topo_node *key = o->map->kids[i];
        if (is_key(key) && !strcmp(key->scalar, field)) {
            return (long) i;
        }
    }
    return -1;
}

/* Returns the value of 'field', or NULL if it is absent or null. */
static const struct topo_node *
find(const struct obj *o, const char *field)
{
    long i = find_key(o, field);
    const struct topo_node *value = i < 0 ? NULL : o->map->kids[i + 1];
    return topo_node_is_null(value) ? NULL : value;
}

/* Returns the position of the key 'field', which must be present. */
static struct topo_pos
key_pos(const struct obj *o, const char *field)
{
    return o->map->kids[find_key(o, field)]->pos;
}

static void
require(struct obj *o, const char *field)
{
    if (!find(o, field)) {
        topo_msg_missing(o->ctx, o->map->pos, o->what, field);
    }
}

static bool
get_string(struct obj *o, const char *field, const char **valuep,
           struct topo_pos *posp)
{
    const struct topo_node *value = find(o, field);

    if (!value) {
        return false;
    } else if (value->type != TOPO_SCALAR) {
        topo_msg_type(o->ctx, o->what, field, "a string", value);
        return false;
    }
    *valuep = value->scalar;
    if (posp) {
        *posp = value->pos;
    }
    return true;
}

static bool
is_integer(const struct topo_node *node)
{
    const char *s = node->scalar;

    if (node->type != TOPO_SCALAR || !node->plain) {
        return false;
    }
    if (*s == '-' || *s == '+') {
        s++;
    }
    if (!*s || (s[0] == '0' && s[1])) {
        return false;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
    }
    return true;
}

/* Reads the integer 'field'.  Returns true with its value in '*valuep',
 * which the caller still has to range-check; a value too large even for
 * that is reported as outside 'min'-'max'. */
static bool
get_integer(struct obj *o, const char *field, long long min, long long max,
            long long *valuep, struct topo_pos *posp)
{
    const struct topo_node *value = find(o, field);

    if (!value) {
        return false;
    } else if (!is_integer(value)) {
        topo_msg_type(o->ctx, o->what, field, "an integer", value);
        return false;
    }
    errno = 0;
    long long n = strtoll(value->scalar, NULL, 10);
    if (errno == ERANGE) {
        topo_msg_range(o->ctx, value->pos, o->what, field, value->scalar,
                       min, max);
        return false;
    }
    *valuep = n;
    if (posp) {
        *posp = value->pos;
    }
    return true;
}

/* Reads the integer 'field', which must lie in 'min'...'max'. */
static bool
get_int(struct obj *o, const char *field, int min, int max, int *valuep,
        struct topo_pos *posp)
{
    struct topo_pos pos;
    long long n;

    if (!get_integer(o, field, min, max, &n, &pos)) {
        return false;
    } else if (n < min || n > max) {
        topo_msg_range(o->ctx, pos, o->what, field, find(o, field)->scalar,
                       min, max);
        return false;
    }
    *valuep = (int) n;
    if (posp) {
        *posp = pos;
    }
    return true;
}

/* Reads an MTU field: at least TOPO_MIN_MTU, at most what the
 * encapsulation leaves of the smallest underlay MTU. */
static bool
get_mtu(struct obj *o, const char *field, int *valuep,
        struct topo_pos *posp)
{
    int limit = o->topo->mtu_limit;
    struct topo_pos pos;
    long long n;

    if (!get_integer(o, field, TOPO_MIN_MTU, limit, &n, &pos)) {
        return false;
    } else if (n < TOPO_MIN_MTU) {
        topo_msg_range(o->ctx, pos, o->what, field, find(o, field)->scalar,
                       TOPO_MIN_MTU, limit);
        return false;
    } else if (n > limit) {
        topo_msg_mtu_limit(o->ctx, pos, o->what, n > INT_MAX ? INT_MAX
                           : (int) n, limit, o->topo->min_underlay_mtu);
        return false;
    }
    *valuep = (int) n;
    *posp = pos;
    return true;
}

static bool
get_bool(struct obj *o, const char *field, bool *valuep)
{
    const struct topo_node *value = find(o, field);
    const char *s = value ? value->scalar : NULL;

    if (!value) {
        return false;
    } else if (value->type == TOPO_SCALAR && value->plain
               && (!strcmp(s, "true") || !strcmp(s, "True")
                   || !strcmp(s, "TRUE"))) {
        *valuep = true;
    } else if (value->type == TOPO_SCALAR && value->plain
               && (!strcmp(s, "false") || !strcmp(s, "False")
                   || !strcmp(s, "FALSE"))) {
        *valuep = false;
    } else {
        topo_msg_type(o->ctx, o->what, field, "a boolean (true or false)",
                      value);
        return false;
    }
    return true;
}

/* Reads the field 'field', whose value must be one of 'names', and
 * stores its index in 'names' into '*valuep'. */
static bool
get_enum(struct obj *o, const char *field, const char *const *names,
         int *valuep)
{
    struct topo_pos pos;
    const char *s;

    if (!get_string(o, field, &s, &pos)) {
        return false;
    }
    for (int i = 0; names[i]; i++) {
        if (!strcmp(s, names[i])) {
            *valuep = i;
            return true;
        }
    }
    topo_msg_enum(o->ctx, pos, o->what, field, s, names);
    return false;
}

static const struct topo_node *
get_list(struct obj *o, const char *field)
{
    const struct topo_node *value = find(o, field);

    if (value && value->type != TOPO_SEQ) {
        topo_msg_type(o->ctx, o->what, field, "a list", value);
        return NULL;
    }
    return value;
}

/* Reads the mapping of strings 'field' into 'smap', sorted by key. */
static void
get_smap(struct obj *o, const char *field, struct fabric_smap *smap)
{
    const struct topo_node *value = find(o, field);

    if (!value) {
        return;
    } else if (value->type != TOPO_MAP) {
        topo_msg_type(o->ctx, o->what, field, "a mapping", value);
        return;
    }

    struct obj m = {o->ctx, value, o->what, o->topo};
    check_keys(&m, NULL);
    for (size_t i = 0; i + 1 < value->n_kids; i += 2) {
        const struct topo_node *k = value->kids[i], *v = value->kids[i + 1];
        if (!is_key(k) || fabric_smap_get(smap, k->scalar)) {
            continue;
        }
        if (v->type != TOPO_SCALAR || topo_node_is_null(v)) {
            char *name = topo_xasprintf("%s.%s", field, k->scalar);
            topo_msg_type(o->ctx, o->what, name, "a string", v);
            free(name);
            continue;
        }

        /* Insert in order of keys. */
        size_t j = smap->n;
        fabric_smap_add(smap, k->scalar, v->scalar);
        for (; j > 0 && strcmp(smap->keys[j - 1], k->scalar) > 0; j--) {
            char *key = smap->keys[j], *val = smap->values[j];
            smap->keys[j] = smap->keys[j - 1];
            smap->values[j] = smap->values[j - 1];
            smap->keys[j - 1] = key;
            smap->values[j - 1] = val;
        }
    }
}

/* Reads the required name of an object, which names it in messages:
 * "KIND NAME", or "KIND #INDEX" when it has no valid name. */
static char *
get_name(struct obj *o, const char *kind, size_t index, const char **namep,
         bool *okp, struct topo_pos *posp)
{
    const char *name = NULL;
    char *what;

    *okp = false;
    if (get_string(o, "name", &name, posp)) {
        *okp = topo_valid_name(name, TOPO_NAME_MAX);
    }
    what = (*okp ? topo_xasprintf("%s %s", kind, name)
            : topo_xasprintf("%s #%zu", kind, index + 1));
    o->what = what;
    require(o, "name");
    if (name && !*okp) {
        topo_msg_bad_name(o->ctx, *posp, what, name, TOPO_NAME_MAX);
    }
    *namep = name;
    return what;
}

/* Reads the optional MAC 'field'. */
static void
get_mac(struct obj *o, const char *field, bool *hasp, uint64_t *macp,
        struct topo_pos *posp)
{
    const char *s;

    if (!get_string(o, field, &s, posp)) {
        return;
    } else if (!topo_parse_mac(s, macp)) {
        topo_msg_bad_mac(o->ctx, *posp, o->what, s);
    } else if (!*macp) {
        topo_msg_zero_mac(o->ctx, *posp, o->what);
    } else if (*macp & (1ULL << 40)) {
        char *mac = topo_format_mac(*macp);
        topo_msg_multicast_mac(o->ctx, *posp, o->what, mac);
        free(mac);
    } else {
        *hasp = true;
    }
}

/* Parses the interface address 'node' ("A.B.C.D" or "A.B.C.D/N") into
 * 'addr'. */
static void
parse_ifaddr(struct obj *o, const struct topo_node *node,
             struct ld_addr *addr)
{
    addr->text = node->scalar;
    addr->pos = node->pos;
    addr->ok = topo_parse_ipv4_prefix(node->scalar, &addr->ip, &addr->plen);
    if (!addr->ok) {
        topo_msg_bad_ifaddr(o->ctx, node->pos, o->what, node->scalar);
    }
}

/* Reads the list of strings 'field'; returns its items, or NULL. */
static const struct topo_node *
get_string_list(struct obj *o, const char *field)
{
    const struct topo_node *list = get_list(o, field);
    bool ok = true;

    for (size_t i = 0; list && i < list->n_kids; i++) {
        const struct topo_node *item = list->kids[i];
        if (item->type != TOPO_SCALAR || topo_node_is_null(item)) {
            topo_msg_item_type(o->ctx, o->what, field, i, "a string", item);
            ok = false;
        }
    }
    return ok ? list : NULL;
}

/* Calls 'parse' for each item of the list of mappings 'field' of 'o'. */
static void
for_each_map(struct obj *o, const char *field,
             void (*parse)(struct obj *, const struct topo_node *, size_t,
                           void *), void *aux)
{
    const struct topo_node *list = get_list(o, field);

    for (size_t i = 0; list && i < list->n_kids; i++) {
        const struct topo_node *item = list->kids[i];
        if (item->type != TOPO_MAP) {
            topo_msg_item_type(o->ctx, o->what, field, i, "a mapping",
                               item);
        } else {
            parse(o, item, i, aux);
        }
    }
}

static void
parse_host(struct obj *parent, const struct topo_node *map, size_t index,
           void *topo_)
{
    struct ld_topology *topo = topo_;
    struct obj o = {parent->ctx, map, "host", parent->topo};
    struct ld_host *h;

    topo->hosts = topo_xrealloc(topo->hosts, topo->n_hosts + 1,
                                sizeof *topo->hosts);
    h = &topo->hosts[topo->n_hosts++];
    memset(h, 0, sizeof *h);
    h->pos = map->pos;
    h->underlay_mtu = FABRIC_DEFAULT_UNDERLAY_MTU;
    h->what = get_name(&o, "host", index, &h->name, &h->name_ok,
                       &h->name_pos);
    check_keys(&o, host_fields);

    if (get_string(&o, "underlay", &h->underlay.text, &h->underlay.pos)) {
        h->underlay.plen = -1;
        h->underlay.ok = topo_parse_ipv4(h->underlay.text, &h->underlay.ip);
        if (!h->underlay.ok) {
            topo_msg_bad_ipv4(o.ctx, h->underlay.pos, o.what, "underlay",
                              h->underlay.text);
        }
    }
    int encap;
    get_enum(&o, "encap", encap_names, &encap);
    get_int(&o, "underlay_mtu", TOPO_MIN_UNDERLAY_MTU,
            TOPO_MAX_UNDERLAY_MTU, &h->underlay_mtu, NULL);
    get_smap(&o, "external_ids", &h->external_ids);
}

static void
parse_network(struct obj *parent, const struct topo_node *map,
              size_t index, void *topo_)
{
    struct ld_topology *topo = topo_;
    struct obj o = {parent->ctx, map, "network", parent->topo};
    struct ld_network *n;
    int mode = FABRIC_NET_ISOLATED;

    topo->networks = topo_xrealloc(topo->networks, topo->n_networks + 1,
                                   sizeof *topo->networks);
    n = &topo->networks[topo->n_networks++];
    memset(n, 0, sizeof *n);
    n->pos = map->pos;
    n->router = -1;
    n->port = -1;
    n->what = get_name(&o, "network", index, &n->name, &n->name_ok,
                       &n->name_pos);
    check_keys(&o, network_fields);

    require(&o, "subnet");
    struct ld_addr *s = &n->subnet;
    if (get_string(&o, "subnet", &s->text, &s->pos)) {
        if (!topo_parse_ipv4_prefix(s->text, &s->ip, &s->plen)
            || s->plen < 0) {
            topo_msg_bad_prefix(o.ctx, s->pos, o.what, "subnet", s->text);
        } else if (s->ip & ~topo_mask(s->plen)) {
            topo_msg_host_bits(o.ctx, s->pos, o.what, "subnet", s->text,
                               s->ip, s->plen);
        } else if (s->plen < TOPO_MIN_PLEN || s->plen > TOPO_MAX_PLEN) {
            topo_msg_subnet_length(o.ctx, s->pos, o.what, s->text,
                                   s->plen);
        } else {
            s->ok = true;
        }
    }
    get_enum(&o, "mode", mode_names, &mode);
    n->mode = mode;
    get_int(&o, "vlan", 1, TOPO_VLAN_MAX, &n->vlan, &n->vlan_pos);
    get_int(&o, "vni", 1, TOPO_VNI_MAX, &n->vni, &n->vni_pos);
    get_mtu(&o, "mtu", &n->mtu, &n->mtu_pos);
    get_bool(&o, "dhcp", &n->dhcp);
    get_smap(&o, "external_ids", &n->external_ids);
}

static void
parse_port(struct obj *parent, const struct topo_node *map, size_t index,
           void *router_)
{
    struct ld_router *r = router_;
    struct obj o = {parent->ctx, map, parent->what, parent->topo};
    struct ld_port *p;

    r->ports = topo_xrealloc(r->ports, r->n_ports + 1, sizeof *r->ports);
    p = &r->ports[r->n_ports++];
    memset(p, 0, sizeof *p);
    p->pos = map->pos;
    p->net = -1;

    get_string(&o, "network", &p->network, &p->network_pos);
    p->what = (p->network && topo_valid_name(p->network, TOPO_NAME_MAX)
               ? topo_xasprintf("%s interface %s", r->what, p->network)
               : topo_xasprintf("%s interface #%zu", r->what, index + 1));
    o.what = p->what;
    check_keys(&o, port_fields);
    require(&o, "network");
    require(&o, "ip");

    const struct topo_node *ip = find(&o, "ip");
    if (ip && ip->type != TOPO_SCALAR) {
        topo_msg_type(o.ctx, o.what, "ip", "a string", ip);
    } else if (ip) {
        parse_ifaddr(&o, ip, &p->ip);
    }
    get_mac(&o, "mac", &p->has_mac, &p->mac, &p->mac_pos);
}

static void
parse_router(struct obj *parent, const struct topo_node *map, size_t index,
             void *topo_)
{
    struct ld_topology *topo = topo_;
    struct obj o = {parent->ctx, map, "router", parent->topo};
    struct ld_router *r;
    int kind = FABRIC_ROUTER_FLOWS;

    topo->routers = topo_xrealloc(topo->routers, topo->n_routers + 1,
                                  sizeof *topo->routers);
    r = &topo->routers[topo->n_routers++];
    memset(r, 0, sizeof *r);
    r->pos = map->pos;
    r->host_idx = -1;
    r->what = get_name(&o, "router", index, &r->name, &r->name_ok,
                       &r->name_pos);
    check_keys(&o, router_fields);

    get_enum(&o, "kind", router_kind_names, &kind);
    r->kind = kind;
    if (get_string(&o, "host", &r->host, &r->host_pos)
        && r->kind != FABRIC_ROUTER_VM) {
        topo_msg_vm_only(o.ctx, key_pos(&o, "host"), o.what, "host",
                         "routers");
        r->host = NULL;
    }
    for_each_map(&o, "interfaces", parse_port, r);
    get_smap(&o, "external_ids", &r->external_ids);
}

static void
parse_route(struct obj *parent, const struct topo_node *map, size_t index,
            void *iface_)
{
    struct ld_iface *iface = iface_;
    struct obj o = {parent->ctx, map, parent->what, parent->topo};
    struct ld_route *route;
    const char *s;

    iface->routes = topo_xrealloc(iface->routes, iface->n_routes + 1,
                                  sizeof *iface->routes);
    route = &iface->routes[iface->n_routes++];
    memset(route, 0, sizeof *route);
    route->pos = map->pos;
    check_keys(&o, route_fields);
    require(&o, "to");
    require(&o, "via");

    struct ld_addr *to = &route->to;
    if (get_string(&o, "to", &s, &to->pos)) {
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
                topo_msg_host_bits(o.ctx, to->pos, o.what,
                                   "route destination", s, to->ip,
                                   to->plen);
            } else {
                to->ok = true;
            }
        }
    }

    struct ld_addr *via = &route->via;
    if (get_string(&o, "via", &s, &via->pos)) {
        via->text = s;
        via->plen = -1;
        via->ok = topo_parse_ipv4(s, &via->ip);
        if (!via->ok) {
            topo_msg_bad_ipv4(o.ctx, via->pos, o.what, "next hop", s);
        }
    }
}

static void
parse_iface(struct obj *parent, const struct topo_node *map, size_t index,
            void *guest_)
{
    struct ld_guest *g = guest_;
    struct obj o = {parent->ctx, map, parent->what, parent->topo};
    struct ld_iface *iface;
    const char *s;

    g->ifaces = topo_xrealloc(g->ifaces, g->n_ifaces + 1,
                              sizeof *g->ifaces);
    iface = &g->ifaces[g->n_ifaces++];
    memset(iface, 0, sizeof *iface);
    iface->pos = map->pos;
    iface->net = -1;
    iface->port_security = true;

    if (get_string(&o, "name", &s, &iface->name_pos)) {
        iface->has_name = true;
        if (topo_valid_name(s, TOPO_IFNAME_MAX)) {
            iface->name = topo_xstrdup(s);
        }
    } else {
        iface->name = topo_xasprintf("eth%zu", index);
        iface->name_pos = map->pos;
    }
    iface->what = (iface->name
                   ? topo_xasprintf("%s interface %s", g->what, iface->name)
                   : topo_xasprintf("%s interface #%zu", g->what,
                                    index + 1));
    o.what = iface->what;
    if (iface->has_name && !iface->name) {
        topo_msg_bad_name(o.ctx, iface->name_pos, o.what, s,
                          TOPO_IFNAME_MAX);
    }
    check_keys(&o, iface_fields);

    require(&o, "network");
    get_string(&o, "network", &iface->network, &iface->network_pos);

    const struct topo_node *ip = find(&o, "ip");
    const struct topo_node *ips = get_string_list(&o, "ips");
    if (ip && find(&o, "ips")) {
        topo_msg_ip_and_ips(o.ctx, key_pos(&o, "ips"), o.what);
    } else if (ip && ip->type != TOPO_SCALAR) {
        topo_msg_type(o.ctx, o.what, "ip", "a string", ip);
    } else if (ip) {
        iface->addrs = topo_xrealloc(NULL, 1, sizeof *iface->addrs);
        memset(iface->addrs, 0, sizeof *iface->addrs);
        parse_ifaddr(&o, ip, &iface->addrs[0]);
        iface->n_addrs = 1;
    } else if (ips) {
        iface->addrs = topo_xrealloc(NULL, ips->n_kids,
                                     sizeof *iface->addrs);
        memset(iface->addrs, 0, ips->n_kids * sizeof *iface->addrs);
        for (size_t i = 0; i < ips->n_kids; i++) {
            parse_ifaddr(&o, ips->kids[i], &iface->addrs[i]);
        }
        iface->n_addrs = ips->n_kids;
    }

    get_mac(&o, "mac", &iface->has_mac, &iface->mac, &iface->mac_pos);

    struct ld_addr *gw = &iface->gateway;
    if (get_string(&o, "gateway", &gw->text, &gw->pos)) {
        gw->plen = -1;
        if (!strcmp(gw->text, "none")) {
            iface->gw = LD_GW_NONE;
        } else {
            iface->gw = LD_GW_ADDR;
            gw->ok = topo_parse_ipv4(gw->text, &gw->ip);
            if (!gw->ok) {
                topo_msg_bad_ipv4(o.ctx, gw->pos, o.what, "gateway",
                                  gw->text);
            }
        }
    }

    for_each_map(&o, "routes", parse_route, iface);

    int vlan_mode = FABRIC_VLAN_ACCESS;
    get_enum(&o, "vlan_mode", vlan_mode_names, &vlan_mode);
    iface->vlan_mode = vlan_mode;
    const struct topo_node *trunks = get_string_list(&o, "trunks");
    if (find(&o, "trunks") && iface->vlan_mode != FABRIC_VLAN_TRUNK) {
        topo_msg_trunks_on_access(o.ctx, key_pos(&o, "trunks"), o.what);
    } else if (iface->vlan_mode == FABRIC_VLAN_TRUNK
               && !find(&o, "trunks")) {
        topo_msg_trunks_empty(o.ctx, map->pos, o.what);
    } else if (iface->vlan_mode == FABRIC_VLAN_TRUNK && trunks
               && !trunks->n_kids) {
        topo_msg_trunks_empty(o.ctx, trunks->pos, o.what);
    } else if (trunks) {
        iface->trunks = topo_xrealloc(NULL, trunks->n_kids,
                                      sizeof *iface->trunks);
        for (size_t i = 0; i < trunks->n_kids; i++) {
            iface->trunks[i] = (struct ld_trunk) {
                .network = trunks->kids[i]->scalar,
                .pos = trunks->kids[i]->pos,
                .net = -1,
            };
        }
        iface->n_trunks = trunks->n_kids;
    }

    get_bool(&o, "port_security", &iface->port_security);
    get_mtu(&o, "mtu", &iface->mtu, &iface->mtu_pos);
}

static void
parse_guest(struct obj *parent, const struct topo_node *map, size_t index,
            void *topo_)
{
    static const char *const vm_fields[] = {
        "vcpus", "memory", "image", "kernel", "initrd", "cmdline",
        "user_data", NULL,
    };
    struct ld_topology *topo = topo_;
    struct obj o = {parent->ctx, map, "guest", parent->topo};
    struct ld_guest *g;
    int kind = FABRIC_GUEST_NETNS;

    topo->guests = topo_xrealloc(topo->guests, topo->n_guests + 1,
                                 sizeof *topo->guests);
    g = &topo->guests[topo->n_guests++];
    memset(g, 0, sizeof *g);
    g->pos = map->pos;
    g->host_idx = -1;
    g->what = get_name(&o, "guest", index, &g->name, &g->name_ok,
                       &g->name_pos);
    check_keys(&o, guest_fields);

    get_string(&o, "host", &g->host, &g->host_pos);
    get_enum(&o, "kind", guest_kind_names, &kind);
    g->kind = kind;
    if (g->kind != FABRIC_GUEST_VM) {
        for (size_t i = 0; vm_fields[i]; i++) {
            if (find(&o, vm_fields[i])) {
                topo_msg_vm_only(o.ctx, key_pos(&o, vm_fields[i]), o.what,
                                 vm_fields[i], "guests");
            }
        }
    } else {
        get_int(&o, "vcpus", 1, TOPO_MAX_VCPUS, &g->vcpus, NULL);
        get_int(&o, "memory", 1, TOPO_MAX_MEMORY_MB, &g->memory_mb, NULL);
        get_string(&o, "image", &g->image, NULL);
        get_string(&o, "kernel", &g->kernel, NULL);
        get_string(&o, "initrd", &g->initrd, NULL);
        get_string(&o, "cmdline", &g->cmdline, NULL);
        get_string(&o, "user_data", &g->user_data, NULL);
        if (!find(&o, "kernel")) {
            if (find(&o, "initrd")) {
                topo_msg_needs_kernel(o.ctx, key_pos(&o, "initrd"), o.what,
                                      "initrd");
            }
            if (find(&o, "cmdline")) {
                topo_msg_needs_kernel(o.ctx, key_pos(&o, "cmdline"),
                                      o.what, "cmdline");
            }
        }
    }
    for_each_map(&o, "interfaces", parse_iface, g);
    get_smap(&o, "external_ids", &g->external_ids);
}

void
topo_parse(struct topo_ctx *ctx, const struct topo_node *root,
           struct ld_topology *topo)
{
    struct obj o = {ctx, root, "topology", topo};
    const struct topo_node *hosts;

    memset(topo, 0, sizeof *topo);
    topo->pos = root->pos;
    check_keys(&o, top_fields);

    require(&o, "name");
    if (get_string(&o, "name", &topo->name, NULL)
        && !topo_valid_name(topo->name, TOPO_NAME_MAX)) {
        topo_msg_bad_name(ctx, find(&o, "name")->pos, o.what, topo->name,
                          TOPO_NAME_MAX);
    }

    /* Hosts come first: the MTU limit of networks depends on them. */
    hosts = get_list(&o, "hosts");
    topo->hosts_broken = find(&o, "hosts") && !hosts;
    topo->networks_broken = (find(&o, "networks")
                             && find(&o, "networks")->type != TOPO_SEQ);
    if (hosts && hosts->n_kids) {
        for_each_map(&o, "hosts", parse_host, topo);
    } else if (!find(&o, "hosts") || hosts) {
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

    require(&o, "networks");
    for_each_map(&o, "networks", parse_network, topo);
    for_each_map(&o, "routers", parse_router, topo);
    for_each_map(&o, "guests", parse_guest, topo);
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
ld_topology_destroy(struct ld_topology *topo)
{
    for (size_t i = 0; i < topo->n_hosts; i++) {
        free(topo->hosts[i].what);
        fabric_smap_clear(&topo->hosts[i].external_ids);
    }
    free(topo->hosts);
    for (size_t i = 0; i < topo->n_networks; i++) {
        free(topo->networks[i].what);
        fabric_smap_clear(&topo->networks[i].external_ids);
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
