/* netns-parse: checking guests and parsing `ip -j` output for the netns
 * module.  See netns-private.h; the rules are in netns.h. */
#include "netns-private.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns.h"
#include "ovsdb-error.h"

static char *
nullable_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static const char *
json_str(const json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

/* Names, MACs and addresses. */

/* An interface name the kernel and `ip` take as such. */
bool
netns_valid_ifname(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (!len || len > 15 || s[0] == '-' || !strcmp(s, ".")
        || !strcmp(s, "..")) {
        return false;
    }
    for (; *s; s++) {
        if (*s == '/' || *s == ':' || !isgraph((unsigned char) *s)) {
            return false;
        }
    }
    return true;
}

/* A namespace name `ip netns` takes as such. */
bool
netns_valid_name(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (!len || len > 255 || s[0] == '-' || !strcmp(s, ".")
        || !strcmp(s, "..")) {
        return false;
    }
    for (; *s; s++) {
        if (*s == '/' || !isgraph((unsigned char) *s)) {
            return false;
        }
    }
    return true;
}

/* Stores a unicast MAC 'text' in lower case into 'mac'. */
bool
netns_canon_mac(const char *text, char mac[18])
{
    if (strlen(text) != 17) {
        return false;
    }
    for (int i = 0; i < 17; i++) {
        char c = text[i];
        if (i % 3 == 2 ? c != ':' : !isxdigit((unsigned char) c)) {
            return false;
        }
        mac[i] = tolower((unsigned char) c);
    }
    mac[17] = '\0';
    return !(strtol((char[3]) {mac[0], mac[1], '\0'}, NULL, 16) & 1);
}

/* The peer's MAC for a guest MAC: see the rules in netns.h. */
void
netns_peer_mac(const char mac[18], char peer[18])
{
    memcpy(peer, mac, 18);
    memcpy(peer, strncmp(mac, "fe", 2) ? "fe" : "fa", 2);
}

/* Parses 'text', an address with a prefix length ("10.0.0.1/8") or, when
 * 'host_ok', without one (then the full length), or "default" when
 * 'family' is nonzero.  With 'mask', clears the bits past the prefix
 * (a route's destination).  Stores the canonical text into '*canonp'
 * (new string; "default" for a length of 0) and returns the family, or
 * returns 0 if 'text' is not valid. */
int
netns_canon_prefix(const char *text, bool host_ok, bool mask, int family,
                   char **canonp)
{
    if (family && !strcmp(text, "default")) {
        *canonp = strdup("default");
        return family;
    }
    char addr[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t) (slash - text) : strlen(text);
    if (len >= sizeof addr || (!slash && !host_ok)) {
        return 0;
    }
    memcpy(addr, text, len);
    addr[len] = '\0';

    unsigned char bytes[16];
    int af = strchr(addr, ':') ? AF_INET6 : AF_INET;
    int max = af == AF_INET ? 32 : 128;
    if (inet_pton(af, addr, bytes) != 1 || (family && af != family)) {
        return 0;
    }
    long plen = max;
    if (slash) {
        char *end;
        plen = strtol(slash + 1, &end, 10);
        if (!isdigit((unsigned char) slash[1]) || *end || plen > max) {
            return 0;
        }
    }
    if (mask) {
        for (int bit = plen; bit < max; bit++) {
            bytes[bit / 8] &= ~(0x80 >> (bit % 8));
        }
    }
    if (!plen && mask) {
        *canonp = strdup("default");
    } else {
        inet_ntop(af, bytes, addr, sizeof addr);
        if (asprintf(canonp, "%s/%ld", addr, plen) < 0) {
            abort();
        }
    }
    return af;
}

/* Parses a single address 'text' into '*canonp' (new string) and returns
 * its family, or 0 if it is not valid. */
int
netns_canon_addr(const char *text, char **canonp)
{
    unsigned char bytes[16];
    char buf[INET6_ADDRSTRLEN];
    int af = strchr(text, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(af, text, bytes) != 1) {
        return 0;
    }
    *canonp = strdup(inet_ntop(af, bytes, buf, sizeof buf));
    return af;
}

static bool
streq_null(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

void
netns_want_destroy(struct netns_want *want)
{
    for (size_t i = 0; i < want->n_addrs; i++) {
        free(want->addrs[i].text);
    }
    for (size_t i = 0; i < want->n_routes; i++) {
        free(want->routes[i].dst);
        free(want->routes[i].gw);
    }
    free(want->ifaces);
    free(want->addrs);
    free(want->routes);
}

int
netns_invalid(struct ovsdb_error **errorp, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *msg;
    if (vasprintf(&msg, fmt, args) < 0) {
        abort();
    }
    va_end(args);
    struct ovsdb_error *error = ovsdb_error_new(-EINVAL, NULL, "%s", msg);
    free(msg);
    return ovsdb_error_set(errorp, error);
}

const char *
netns_str_or_null(const char *s)
{
    return s ? s : "(null)";
}

/* Appends to 'want' the route to 'prefix' (which may be "default") via
 * 'via' (or NULL) through interface 'iface' of guest 'netns'. */
static int
want_route(const char *netns, struct netns_want *want,
           const struct netns_iface *iface, const char *prefix,
           const char *via, struct ovsdb_error **errorp)
{
    struct netns_route_entry r = {.dev = iface->name, .managed = true};
    if (!strcmp(prefix, "default")) {
        r.family = via && strchr(via, ':') ? AF_INET6 : AF_INET;
        r.dst = strdup("default");
    } else {
        r.family = netns_canon_prefix(prefix, true, true, 0, &r.dst);
    }
    if (!r.family) {
        return netns_invalid(errorp, "Netns guest %s has a route to an "
                             "invalid prefix \"%s\".", netns, prefix);
    }
    int error = 0;
    if (via && netns_canon_addr(via, &r.gw) != r.family) {
        error = netns_invalid(errorp, "Netns guest %s has a route to %s "
                              "via an invalid gateway \"%s\".", netns,
                              prefix, via);
    }
    for (size_t i = 0; !error && i < want->n_routes; i++) {
        if (want->routes[i].family == r.family
            && !strcmp(want->routes[i].dst, r.dst)) {
            error = netns_invalid(errorp, "Netns guest %s has two routes "
                                  "to %s.", netns, r.dst);
        }
    }
    if (error) {
        free(r.dst);
        free(r.gw);
        return error;
    }
    want->routes = realloc(want->routes,
                           (want->n_routes + 1) * sizeof *want->routes);
    want->routes[want->n_routes++] = r;
    return 0;
}

/* Checks interface 'i' of 'guest' and adds it to 'want'. */
static int
want_iface(const struct netns_guest *guest, size_t i,
           struct netns_want *want, struct ovsdb_error **errorp)
{
    const char *netns = guest->netns;
    const struct netns_iface *iface = &guest->ifaces[i];
    struct netns_want_iface *w = &want->ifaces[i];
    if (!netns_valid_ifname(iface->name) || !strcmp(iface->name, "lo")) {
        return netns_invalid(errorp, "Netns guest %s has an invalid "
                             "interface name \"%s\".", netns,
                             netns_str_or_null(iface->name));
    }
    if (!netns_valid_ifname(iface->peer)) {
        return netns_invalid(errorp, "Netns guest %s has an invalid peer "
                             "name \"%s\".", netns,
                             netns_str_or_null(iface->peer));
    }
    for (size_t j = 0; j < i; j++) {
        if (!strcmp(guest->ifaces[j].name, iface->name)) {
            return netns_invalid(errorp, "Netns guest %s has two "
                                 "interfaces named %s.", netns,
                                 iface->name);
        }
        if (!strcmp(guest->ifaces[j].peer, iface->peer)) {
            return netns_invalid(errorp, "Netns guest %s has two "
                                 "interfaces with the peer %s.", netns,
                                 iface->peer);
        }
    }
    if (iface->mac) {
        if (!netns_canon_mac(iface->mac, w->mac)) {
            return netns_invalid(errorp, "Netns guest %s has an invalid "
                                 "MAC \"%s\".", netns, iface->mac);
        }
        netns_peer_mac(w->mac, w->peer_mac);
    }
    if (iface->mtu && (iface->mtu < 68 || iface->mtu > 65535)) {
        return netns_invalid(errorp, "Netns guest %s has an invalid MTU "
                             "%d.", netns, iface->mtu);
    }
    for (size_t j = 0; j < iface->n_addresses; j++) {
        struct netns_addr a = {.iface = i, .dev = iface->name,
                               .managed = true};
        const char *text = iface->addresses[j];
        if (text) {
            a.family = netns_canon_prefix(text, false, false, 0, &a.text);
        }
        if (!a.family) {
            return netns_invalid(errorp, "Netns guest %s has an invalid "
                                 "address \"%s\" (an address with a "
                                 "prefix length is needed).", netns,
                                 netns_str_or_null(text));
        }
        for (size_t k = 0; k < want->n_addrs; k++) {
            if (!strcmp(want->addrs[k].text, a.text)
                && !strcmp(want->addrs[k].dev, a.dev)) {
                free(a.text);
                return netns_invalid(errorp, "Netns guest %s has the "
                                     "address %s twice.", netns, text);
            }
        }
        want->addrs = realloc(want->addrs,
                              (want->n_addrs + 1) * sizeof *want->addrs);
        want->addrs[want->n_addrs++] = a;
    }
    int error = 0;
    if (iface->gateway) {
        error = want_route(netns, want, iface, "default", iface->gateway,
                           errorp);
    }
    for (size_t j = 0; !error && j < iface->n_routes; j++) {
        const struct netns_route *r = &iface->routes[j];
        if (!r->prefix) {
            return netns_invalid(errorp, "Netns guest %s has a route "
                                 "without a prefix.", netns);
        }
        error = want_route(netns, want, iface, r->prefix, r->via, errorp);
    }
    return error;
}

int
netns_want_init(const struct netns_guest *guest, struct netns_want *want,
                struct ovsdb_error **errorp)
{
    *want = (struct netns_want) {NULL, NULL, 0, NULL, 0};
    if (!netns_valid_name(guest->netns)) {
        return netns_invalid(errorp, "Netns guest has an invalid namespace "
                             "name \"%s\".",
                             netns_str_or_null(guest->netns));
    }
    want->ifaces = calloc(guest->n_ifaces + 1, sizeof *want->ifaces);
    for (size_t i = 0; i < guest->n_ifaces; i++) {
        int error = want_iface(guest, i, want, errorp);
        if (error) {
            return error;
        }
    }
    return 0;
}

void
netns_links_destroy(struct netns_links *links)
{
    for (size_t i = 0; i < links->n; i++) {
        free(links->links[i].name);
    }
    free(links->links);
    links->links = NULL;
    links->n = 0;
}

/* Fills 'links' from 'array' (borrowed), the output of `ip -j -d link
 * show` or `ip -j -d address show`. */
void
netns_links_parse(struct netns_links *links, const json_t *array)
{
    size_t i;
    json_t *obj;
    links->links = calloc(json_array_size(array) + 1, sizeof *links->links);
    json_array_foreach (array, i, obj) {
        const char *name = json_str(obj, "ifname");
        if (!name) {
            continue;
        }
        struct netns_link *l = &links->links[links->n++];
        l->name = strdup(name);
        l->ifindex = json_integer_value(json_object_get(obj, "ifindex"));
        l->peer_ifindex = json_integer_value(json_object_get(obj,
                                                             "link_index"));
        l->peer_elsewhere = json_object_get(obj, "link_netnsid") != NULL;
        const char *kind = json_str(json_object_get(obj, "linkinfo"),
                                    "info_kind");
        l->veth = kind && !strcmp(kind, "veth");
        size_t j;
        json_t *flag;
        json_array_foreach (json_object_get(obj, "flags"), j, flag) {
            const char *s = json_string_value(flag);
            if (s && !strcmp(s, "UP")) {
                l->up = true;
            }
        }
        l->mtu = json_integer_value(json_object_get(obj, "mtu"));
        const char *mac = json_str(obj, "address");
        if (!mac || !netns_canon_mac(mac, l->mac)) {
            l->mac[0] = '\0';
        }
    }

    /* `ip` names the peer of a veth whose two ends are in the same
     * namespace instead of giving its index. */
    json_array_foreach (array, i, obj) {
        const char *name = json_str(obj, "ifname");
        const char *peer = json_str(obj, "link");
        struct netns_link *l = name ? netns_links_find(links, name) : NULL;
        struct netns_link *p = peer ? netns_links_find(links, peer) : NULL;
        if (l && p && !l->peer_elsewhere) {
            l->peer_ifindex = p->ifindex;
        }
    }
}

struct netns_link *
netns_links_find(const struct netns_links *links, const char *name)
{
    for (size_t i = 0; i < links->n; i++) {
        if (!links->links[i].gone && !strcmp(links->links[i].name, name)) {
            return &links->links[i];
        }
    }
    return NULL;
}

/* The veth in 'links' that is the peer of 'l', a veth in another
 * namespace, or NULL. */
struct netns_link *
netns_links_find_peer(const struct netns_links *links,
                      const struct netns_link *l)
{
    for (size_t i = 0; i < links->n; i++) {
        struct netns_link *p = &links->links[i];
        if (!p->gone && p->veth && l->peer_elsewhere && p->peer_elsewhere
            && p->ifindex == l->peer_ifindex
            && p->peer_ifindex == l->ifindex) {
            return p;
        }
    }
    return NULL;
}

/* Marks link 'l' of 'links' as gone, with its peer, found in 'others'
 * (the other namespace) or in 'links'. */
void
netns_links_mark_gone(struct netns_links *links, struct netns_link *l,
                      struct netns_links *others)
{
    struct netns_link *p = NULL;
    if (l->peer_elsewhere) {
        p = others ? netns_links_find_peer(others, l) : NULL;
    } else if (l->peer_ifindex) {
        for (size_t i = 0; i < links->n; i++) {
            if (links->links[i].ifindex == l->peer_ifindex) {
                p = &links->links[i];
            }
        }
    }
    l->gone = true;
    if (p) {
        p->gone = true;
    }
}

void
netns_addrs_destroy(struct netns_addrs *addrs)
{
    for (size_t i = 0; i < addrs->n; i++) {
        free(addrs->addrs[i].dev);
        free(addrs->addrs[i].text);
    }
    free(addrs->addrs);
}

/* Fills 'addrs' from 'array' (borrowed), the output of `ip -j address
 * show`. */
void
netns_addrs_parse(struct netns_addrs *addrs, const json_t *array)
{
    size_t i;
    json_t *obj;
    json_array_foreach (array, i, obj) {
        const char *dev = json_str(obj, "ifname");
        size_t j;
        json_t *ai;
        json_array_foreach (json_object_get(obj, "addr_info"), j, ai) {
            const char *local = json_str(ai, "local");
            const char *scope = json_str(ai, "scope");
            json_t *plen = json_object_get(ai, "prefixlen");
            char *text, *canon;
            if (!dev || !local || !json_is_integer(plen)
                || asprintf(&text, "%s/%" JSON_INTEGER_FORMAT, local,
                            json_integer_value(plen)) < 0) {
                continue;
            }
            int family = netns_canon_prefix(text, false, false, 0, &canon);
            free(text);
            if (!family) {
                continue;
            }
            addrs->addrs = realloc(addrs->addrs, (addrs->n + 1)
                                   * sizeof *addrs->addrs);
            addrs->addrs[addrs->n++] = (struct netns_addr) {
                .dev = strdup(dev),
                .family = family,
                .text = canon,
                .managed = !json_is_true(json_object_get(ai, "dynamic"))
                           && !(scope && (!strcmp(scope, "link")
                                          || !strcmp(scope, "host"))),
            };
        }
    }
}

void
netns_routes_destroy(struct netns_route_list *routes)
{
    for (size_t i = 0; i < routes->n; i++) {
        free(routes->routes[i].dst);
        free(routes->routes[i].gw);
        free(routes->routes[i].dev);
    }
    free(routes->routes);
}

/* Adds to 'routes' those of 'array' (borrowed), the output of `ip -j
 * route show` for 'family'. */
void
netns_routes_parse(struct netns_route_list *routes, const json_t *array,
                   int family)
{
    size_t i;
    json_t *obj;
    json_array_foreach (array, i, obj) {
        const char *dst = json_str(obj, "dst");
        const char *gw = json_str(obj, "gateway");
        const char *dev = json_str(obj, "dev");
        const char *proto = json_str(obj, "protocol");
        struct netns_route_entry r = {.family = family};
        if (!dst || !netns_canon_prefix(dst, true, true, family, &r.dst)) {
            continue;
        }
        if (gw && netns_canon_addr(gw, &r.gw) != family) {
            free(r.gw);
            r.gw = strdup(gw);
        }
        r.dev = nullable_strdup(dev);
        r.managed = !proto || (strcmp(proto, "kernel")
                               && strcmp(proto, "ra")
                               && strcmp(proto, "dhcp"));
        routes->routes = realloc(routes->routes, (routes->n + 1)
                                 * sizeof *routes->routes);
        routes->routes[routes->n++] = r;
    }
}

bool
netns_route_equal(const struct netns_route_entry *a,
                  const struct netns_route_entry *b)
{
    return a->family == b->family && !strcmp(a->dst, b->dst)
           && streq_null(a->gw, b->gw) && streq_null(a->dev, b->dev);
}

