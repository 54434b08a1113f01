/* underlay-plan: the pure half of the underlay module (see underlay.h for
 * the rules and underlay-private.h for the shapes): parsing what `ip -j`
 * prints and the state file, and computing the commands of one run. */
#include "underlay-private.h"
#include "underlay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ovsdb-error.h"

static char *
nullable_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static bool
str_equal(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static const char *
json_str(const json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

bool
underlay_valid_ifname(const char *name)
{
    if (!name || !name[0] || strlen(name) > 15 || name[0] == '-') {
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (*p <= ' ' || *p >= 127 || *p == '/' || *p == ':') {
            return false;
        }
    }
    return true;
}

/* Addresses and routes. */

static void
addr_clear(struct underlay_addr *a)
{
    free(a->local);
    free(a->broadcast);
}

static void
addr_copy(struct underlay_addr *dst, const struct underlay_addr *src)
{
    dst->local = nullable_strdup(src->local);
    dst->prefixlen = src->prefixlen;
    dst->broadcast = nullable_strdup(src->broadcast);
}

static void
route_clear(struct underlay_route *r)
{
    free(r->dst);
    free(r->gateway);
    free(r->protocol);
    free(r->scope);
    free(r->prefsrc);
}

static void
route_copy(struct underlay_route *dst, const struct underlay_route *src)
{
    dst->dst = nullable_strdup(src->dst);
    dst->gateway = nullable_strdup(src->gateway);
    dst->protocol = nullable_strdup(src->protocol);
    dst->scope = nullable_strdup(src->scope);
    dst->prefsrc = nullable_strdup(src->prefsrc);
    dst->metric = src->metric;
    dst->onlink = src->onlink;
}

/* Two addresses are one when their address and prefix length are; the
 * broadcast address does not make another address. */
bool
underlay_addr_equal(const struct underlay_addr *a,
                    const struct underlay_addr *b)
{
    return str_equal(a->local, b->local) && a->prefixlen == b->prefixlen;
}

bool
underlay_route_equal(const struct underlay_route *a,
                     const struct underlay_route *b)
{
    return str_equal(a->dst, b->dst) && str_equal(a->gateway, b->gateway) &&
           str_equal(a->protocol, b->protocol) &&
           str_equal(a->scope, b->scope) &&
           str_equal(a->prefsrc, b->prefsrc) && a->metric == b->metric &&
           a->onlink == b->onlink;
}

static bool
has_addr(const struct underlay_addr *v, size_t n,
         const struct underlay_addr *a)
{
    for (size_t i = 0; i < n; i++) {
        if (underlay_addr_equal(&v[i], a)) {
            return true;
        }
    }
    return false;
}

static bool
has_route(const struct underlay_route *v, size_t n,
          const struct underlay_route *r)
{
    for (size_t i = 0; i < n; i++) {
        if (underlay_route_equal(&v[i], r)) {
            return true;
        }
    }
    return false;
}

static void
append_addr(struct underlay_addr **v, size_t *n, const struct underlay_addr *a)
{
    *v = realloc(*v, (*n + 1) * sizeof **v);
    addr_copy(&(*v)[(*n)++], a);
}

static void
append_route(struct underlay_route **v, size_t *n,
             const struct underlay_route *r)
{
    *v = realloc(*v, (*n + 1) * sizeof **v);
    route_copy(&(*v)[(*n)++], r);
}

static bool
valid_ipv4(const char *s)
{
    struct in_addr in;
    return s && inet_pton(AF_INET, s, &in) == 1;
}

/* Parses an address object as `ip -j address show` prints one (and as the
 * state file holds one) into 'a'.  Returns false for one that is not a
 * valid IPv4 address with a prefix length. */
static bool
parse_addr(const json_t *o, struct underlay_addr *a)
{
    const char *local = json_str(o, "local");
    json_t *len = json_object_get(o, "prefixlen");
    const char *brd = json_str(o, "broadcast");
    if (!valid_ipv4(local) || !json_is_integer(len) ||
        json_integer_value(len) < 0 || json_integer_value(len) > 32 ||
        (brd && !valid_ipv4(brd))) {
        return false;
    }
    a->local = strdup(local);
    a->prefixlen = (int)json_integer_value(len);
    a->broadcast = nullable_strdup(brd);
    return true;
}

static json_t *
addr_to_json(const struct underlay_addr *a)
{
    json_t *o =
        json_pack("{s:s, s:i}", "local", a->local, "prefixlen", a->prefixlen);
    if (a->broadcast) {
        json_object_set_new(o, "broadcast", json_string(a->broadcast));
    }
    return o;
}

/* True if 'flags' (a JSON array of strings) holds 'flag'. */
static bool
has_flag(const json_t *flags, const char *flag)
{
    size_t i;
    json_t *f;
    json_array_foreach(flags, i, f)
    {
        if (str_equal(json_string_value(f), flag)) {
            return true;
        }
    }
    return false;
}

/* Text that goes into a command line as one argument and that `ip` reads
 * as a word: printable, no white space. */
static bool
word_ok(const char *s)
{
    if (!s) {
        return true;
    }
    if (!s[0] || s[0] == '-') {
        return false;
    }
    for (; *s; s++) {
        if (*s <= ' ' || *s >= 127) {
            return false;
        }
    }
    return true;
}

/* Parses a route object as `ip -j -4 route show` prints one (and as the
 * state file holds one) into 'r'.  Returns false for a route this module
 * leaves alone: of protocol "kernel", not unicast, multipath, with a TOS
 * or outside the main table, or not understood. */
static bool
parse_route(const json_t *o, struct underlay_route *r)
{
    const char *dst = json_str(o, "dst");
    const char *type = json_str(o, "type");
    const char *protocol = json_str(o, "protocol");
    const char *gateway = json_str(o, "gateway");
    const char *prefsrc = json_str(o, "prefsrc");
    const char *scope = json_str(o, "scope");
    json_t *metric = json_object_get(o, "metric");
    if (!dst || !word_ok(dst) || (type && strcmp(type, "unicast")) ||
        str_equal(protocol, "kernel") || json_object_get(o, "nexthops") ||
        json_object_get(o, "tos") || json_object_get(o, "table") ||
        (gateway && !valid_ipv4(gateway)) ||
        (prefsrc && !valid_ipv4(prefsrc)) || !word_ok(protocol) ||
        !word_ok(scope) ||
        (metric &&
         (!json_is_integer(metric) || json_integer_value(metric) < 0))) {
        return false;
    }
    *r = (struct underlay_route){
        .dst = strdup(dst),
        .gateway = nullable_strdup(gateway),
        /* "boot" is what `ip route` gives a route made without "proto",
         * and what it shows as no protocol at all. */
        .protocol =
            str_equal(protocol, "boot") ? NULL : nullable_strdup(protocol),
        .scope = str_equal(scope, "global") || str_equal(scope, "universe")
                     ? NULL
                     : nullable_strdup(scope),
        .prefsrc = nullable_strdup(prefsrc),
        .metric = metric ? json_integer_value(metric) : 0,
        .onlink = has_flag(json_object_get(o, "flags"), "onlink"),
    };
    return true;
}

static json_t *
route_to_json(const struct underlay_route *r)
{
    json_t *o = json_pack("{s:s}", "dst", r->dst);
    if (r->gateway) {
        json_object_set_new(o, "gateway", json_string(r->gateway));
    }
    if (r->protocol) {
        json_object_set_new(o, "protocol", json_string(r->protocol));
    }
    if (r->scope) {
        json_object_set_new(o, "scope", json_string(r->scope));
    }
    if (r->metric) {
        json_object_set_new(o, "metric", json_integer(r->metric));
    }
    if (r->prefsrc) {
        json_object_set_new(o, "prefsrc", json_string(r->prefsrc));
    }
    json_object_set_new(o, "flags",
                        r->onlink ? json_pack("[s]", "onlink") : json_array());
    return o;
}

/* Links. */

int
underlay_link_parse(struct underlay_link *link, const json_t *array,
                    const char *name, struct ovsdb_error **errorp)
{
    if (!json_is_array(array)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EPROTO, NULL,
                                    "`ip -j address show dev %s` did not "
                                    "print a JSON array.",
                                    name));
    }
    size_t i;
    json_t *o;
    json_array_foreach(array, i, o)
    {
        if (!str_equal(json_str(o, "ifname"), name)) {
            continue;
        }
        link->exists = true;
        link->up = has_flag(json_object_get(o, "flags"), "UP");
        link->mtu = (int)json_integer_value(json_object_get(o, "mtu"));
        size_t j;
        json_t *a;
        json_array_foreach(json_object_get(o, "addr_info"), j, a)
        {
            struct underlay_addr addr;
            if (str_equal(json_str(a, "family"), "inet") &&
                parse_addr(a, &addr)) {
                if (!has_addr(link->addrs, link->n_addrs, &addr)) {
                    append_addr(&link->addrs, &link->n_addrs, &addr);
                }
                addr_clear(&addr);
            }
        }
    }
    return 0;
}

void
underlay_link_parse_routes(struct underlay_link *link, const json_t *array,
                           const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(array, i, o)
    {
        struct underlay_route r;
        if (str_equal(json_str(o, "dev"), name) && parse_route(o, &r)) {
            if (!has_route(link->routes, link->n_routes, &r)) {
                append_route(&link->routes, &link->n_routes, &r);
            }
            route_clear(&r);
        }
    }
}

static void
addrs_free(struct underlay_addr *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        addr_clear(&v[i]);
    }
    free(v);
}

static void
routes_free(struct underlay_route *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        route_clear(&v[i]);
    }
    free(v);
}

void
underlay_link_destroy(struct underlay_link *link)
{
    addrs_free(link->addrs, link->n_addrs);
    routes_free(link->routes, link->n_routes);
    memset(link, 0, sizeof *link);
}

/* The state file. */

int
underlay_record_parse(struct underlay_record *rec, const json_t *json,
                      struct ovsdb_error **errorp)
{
    const char *dev = json_str(json, "device");
    const char *bridge = json_str(json, "bridge");
    json_t *addrs = json_object_get(json, "addresses");
    json_t *routes = json_object_get(json, "routes");
    if (!underlay_valid_ifname(dev) || !underlay_valid_ifname(bridge) ||
        !json_is_array(addrs) || !json_is_array(routes)) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-EPROTO, NULL,
                            "The underlay state file does not name a "
                            "device, a bridge, addresses and routes."));
    }
    rec->dev = strdup(dev);
    rec->bridge = strdup(bridge);
    size_t i;
    json_t *o;
    json_array_foreach(addrs, i, o)
    {
        struct underlay_addr a;
        if (!parse_addr(o, &a)) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "The underlay state file holds an "
                                        "address that is not valid."));
        }
        if (!has_addr(rec->addrs, rec->n_addrs, &a)) {
            append_addr(&rec->addrs, &rec->n_addrs, &a);
        }
        addr_clear(&a);
    }
    json_array_foreach(routes, i, o)
    {
        struct underlay_route r;
        if (!parse_route(o, &r)) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "The underlay state file holds a "
                                        "route that is not valid."));
        }
        if (!has_route(rec->routes, rec->n_routes, &r)) {
            append_route(&rec->routes, &rec->n_routes, &r);
        }
        route_clear(&r);
    }
    return 0;
}

json_t *
underlay_record_to_json(const struct underlay_record *rec)
{
    json_t *addrs = json_array();
    for (size_t i = 0; i < rec->n_addrs; i++) {
        json_array_append_new(addrs, addr_to_json(&rec->addrs[i]));
    }
    json_t *routes = json_array();
    for (size_t i = 0; i < rec->n_routes; i++) {
        json_array_append_new(routes, route_to_json(&rec->routes[i]));
    }
    return json_pack("{s:s, s:s, s:o, s:o}", "device", rec->dev, "bridge",
                     rec->bridge, "addresses", addrs, "routes", routes);
}

void
underlay_record_destroy(struct underlay_record *rec)
{
    free(rec->dev);
    free(rec->bridge);
    addrs_free(rec->addrs, rec->n_addrs);
    routes_free(rec->routes, rec->n_routes);
    memset(rec, 0, sizeof *rec);
}

static bool
record_equal(const struct underlay_record *a, const struct underlay_record *b)
{
    if (!str_equal(a->dev, b->dev) || !str_equal(a->bridge, b->bridge) ||
        a->n_addrs != b->n_addrs || a->n_routes != b->n_routes) {
        return false;
    }
    for (size_t i = 0; i < a->n_addrs; i++) {
        if (!underlay_addr_equal(&a->addrs[i], &b->addrs[i]) ||
            !str_equal(a->addrs[i].broadcast, b->addrs[i].broadcast)) {
            return false;
        }
    }
    for (size_t i = 0; i < a->n_routes; i++) {
        if (!underlay_route_equal(&a->routes[i], &b->routes[i])) {
            return false;
        }
    }
    return true;
}

/* Commands. */

static void
add_cmd(struct underlay_plan *plan, struct cmd *cmd)
{
    plan->cmds = realloc(plan->cmds, (plan->n_cmds + 1) * sizeof *plan->cmds);
    plan->cmds[plan->n_cmds++] = cmd;
}

/* ip address add|del A/P [broadcast B] dev DEV */
static void
addr_cmd(struct underlay_plan *plan, const char *op,
         const struct underlay_addr *a, const char *dev)
{
    struct cmd *cmd = cmd_new("ip");
    cmd_addl(cmd, "address", op, NULL);
    cmd_addf(cmd, "%s/%d", a->local, a->prefixlen);
    if (a->broadcast && !strcmp(op, "add")) {
        cmd_addl(cmd, "broadcast", a->broadcast, NULL);
    }
    cmd_addl(cmd, "dev", dev, NULL);
    add_cmd(plan, cmd);
}

/* ip route replace DST [via GW] dev DEV [proto P] [scope S] [metric M]
 * [src S] [onlink] */
static void
route_cmd(struct underlay_plan *plan, const struct underlay_route *r,
          const char *dev)
{
    struct cmd *cmd = cmd_new("ip");
    cmd_addl(cmd, "route", "replace", r->dst, NULL);
    if (r->gateway) {
        cmd_addl(cmd, "via", r->gateway, NULL);
    }
    cmd_addl(cmd, "dev", dev, NULL);
    if (r->protocol) {
        cmd_addl(cmd, "proto", r->protocol, NULL);
    }
    if (r->scope) {
        cmd_addl(cmd, "scope", r->scope, NULL);
    }
    if (r->metric) {
        cmd_add(cmd, "metric");
        cmd_addf(cmd, "%lld", r->metric);
    }
    if (r->prefsrc) {
        cmd_addl(cmd, "src", r->prefsrc, NULL);
    }
    if (r->onlink) {
        cmd_add(cmd, "onlink");
    }
    add_cmd(plan, cmd);
}

/* The plan. */

static bool
ip_on(const char *ip, const struct underlay_addr *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(v[i].local, ip)) {
            return true;
        }
    }
    return false;
}

static int
plan_move(const struct underlay_config *cfg, const char *ip,
          const struct underlay_link *dev, const struct underlay_link *br,
          const struct underlay_record *rec, struct underlay_plan *plan,
          struct ovsdb_error **errorp)
{
    if (ip && !ip_on(ip, dev->addrs, dev->n_addrs) &&
        !ip_on(ip, br->addrs, br->n_addrs) &&
        !(rec && ip_on(ip, rec->addrs, rec->n_addrs))) {
        return ovsdb_error_set(errorp,
                               ovsdb_error_new(-EADDRNOTAVAIL, NULL,
                                               "underlay IP %s is not on %s",
                                               ip, cfg->dev));
    }
    plan->bridge = true;
    if (!br->exists) {
        /* ovs-vswitchd has not made the bridge's interface yet. */
        plan->pending = true;
        return 0;
    }

    /* What belongs on the bridge: what was moved before, and what is on
     * the device now. */
    struct underlay_record *want = &plan->record;
    want->dev = strdup(cfg->dev);
    want->bridge = strdup(cfg->bridge);
    for (size_t i = 0; rec && i < rec->n_addrs; i++) {
        append_addr(&want->addrs, &want->n_addrs, &rec->addrs[i]);
    }
    for (size_t i = 0; i < dev->n_addrs; i++) {
        if (!has_addr(want->addrs, want->n_addrs, &dev->addrs[i])) {
            append_addr(&want->addrs, &want->n_addrs, &dev->addrs[i]);
        }
    }
    for (size_t i = 0; rec && i < rec->n_routes; i++) {
        append_route(&want->routes, &want->n_routes, &rec->routes[i]);
    }
    for (size_t i = 0; i < dev->n_routes; i++) {
        if (!has_route(want->routes, want->n_routes, &dev->routes[i])) {
            append_route(&want->routes, &want->n_routes, &dev->routes[i]);
        }
    }
    if (!rec || !record_equal(rec, want)) {
        plan->record_op = UNDERLAY_RECORD_WRITE;
    } else {
        underlay_record_destroy(want);
    }
    const struct underlay_record *moved = rec && !want->dev ? rec : want;

    if (dev->mtu > 0 && br->mtu != dev->mtu) {
        struct cmd *cmd = cmd_new("ip");
        cmd_addl(cmd, "link", "set", "dev", cfg->bridge, "mtu", NULL);
        cmd_addf(cmd, "%d", dev->mtu);
        add_cmd(plan, cmd);
    }
    if (!br->up) {
        struct cmd *cmd = cmd_new("ip");
        cmd_addl(cmd, "link", "set", "dev", cfg->bridge, "up", NULL);
        add_cmd(plan, cmd);
    }
    /* Onto the bridge first, then off the device: the host keeps its
     * address throughout, and a gateway stays reachable for the routes. */
    for (size_t i = 0; i < moved->n_addrs; i++) {
        if (!has_addr(br->addrs, br->n_addrs, &moved->addrs[i])) {
            addr_cmd(plan, "add", &moved->addrs[i], cfg->bridge);
        }
    }
    for (size_t i = 0; i < moved->n_routes; i++) {
        if (!has_route(br->routes, br->n_routes, &moved->routes[i])) {
            route_cmd(plan, &moved->routes[i], cfg->bridge);
        }
    }
    /* Last first: removing a primary address can take its secondaries. */
    for (size_t i = dev->n_addrs; i-- > 0;) {
        addr_cmd(plan, "del", &dev->addrs[i], cfg->dev);
    }
    return 0;
}

static int
plan_restore(const struct underlay_config *cfg,
             const struct underlay_link *dev, const struct underlay_link *br,
             const struct underlay_record *rec, struct underlay_plan *plan,
             struct ovsdb_error **errorp)
{
    plan->bridge = false;
    if (!rec) {
        return 0;
    }
    if (!dev->exists) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-ENODEV, NULL,
                                    "Cannot put the underlay back on %s: "
                                    "the device does not exist.",
                                    cfg->dev));
    }
    for (size_t i = 0; i < rec->n_addrs; i++) {
        if (!has_addr(dev->addrs, dev->n_addrs, &rec->addrs[i])) {
            addr_cmd(plan, "add", &rec->addrs[i], cfg->dev);
        }
    }
    for (size_t i = 0; i < rec->n_routes; i++) {
        if (!has_route(dev->routes, dev->n_routes, &rec->routes[i])) {
            route_cmd(plan, &rec->routes[i], cfg->dev);
        }
    }
    for (size_t i = rec->n_addrs; br->exists && i-- > 0;) {
        if (has_addr(br->addrs, br->n_addrs, &rec->addrs[i])) {
            addr_cmd(plan, "del", &rec->addrs[i], cfg->bridge);
        }
    }
    if (plan->n_cmds) {
        /* While the device was a port of the bridge, its kernel side
         * answered ARP for the bridge's addresses and learned the peers
         * as they were then: entries that may name MACs gone since (a
         * peer's own underlay bridge).  Forget them. */
        struct cmd *cmd = cmd_new("ip");
        cmd_addl(cmd, "neigh", "flush", "dev", cfg->dev, NULL);
        add_cmd(plan, cmd);
    }
    plan->record_op = UNDERLAY_RECORD_REMOVE;
    return 0;
}

int
underlay_plan_compute(const struct underlay_config *cfg, bool wanted,
                      const char *underlay_ip, const struct underlay_link *dev,
                      const struct underlay_link *br,
                      const struct underlay_record *rec,
                      struct underlay_plan *plan, struct ovsdb_error **errorp)
{
    memset(plan, 0, sizeof *plan);
    if (!wanted) {
        return plan_restore(cfg, dev, br, rec, plan, errorp);
    }
    if (!dev->exists) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-ENODEV, NULL,
                                    "The underlay device %s does not "
                                    "exist.",
                                    cfg->dev));
    }
    int error = plan_move(cfg, underlay_ip, dev, br, rec, plan, errorp);
    if (error) {
        underlay_plan_destroy(plan);
    }
    return error;
}

void
underlay_plan_destroy(struct underlay_plan *plan)
{
    for (size_t i = 0; i < plan->n_cmds; i++) {
        cmd_free(plan->cmds[i]);
    }
    free(plan->cmds);
    underlay_record_destroy(&plan->record);
    memset(plan, 0, sizeof *plan);
}
