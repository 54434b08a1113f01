/* netns: see netns.h for the rules of this module.
 *
 * An ensure runs in four steps over a snapshot of the system: the
 * namespace, the veth pairs (reading ethtool features only for the
 * interfaces it keeps), lo and the addresses, then the routes, read
 * again after the address changes because removing an address can take
 * routes with it. */
#include "netns.h"
#include "netns-private.h"

#include <errno.h>
#include <jansson.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "cmd.h"
#include "ovsdb-error.h"

extern char **environ;

static FILE *change_log;
static netns_reader_func *reader_func;
static void *reader_aux;

void
netns_set_log(FILE *log)
{
    change_log = log;
}

void
netns_set_reader(netns_reader_func *reader, void *aux)
{
    reader_func = reader;
    reader_aux = aux;
}

/* Building and freeing guests. */

static char *
nullable_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

struct netns_guest *
netns_guest_create(const char *netns)
{
    struct netns_guest *guest = calloc(1, sizeof *guest);
    guest->netns = nullable_strdup(netns);
    return guest;
}

struct netns_iface *
netns_guest_add_iface(struct netns_guest *guest, const char *name,
                      const char *peer, const char *mac, int mtu,
                      const char *gateway)
{
    guest->ifaces = realloc(guest->ifaces,
                            (guest->n_ifaces + 1) * sizeof *guest->ifaces);
    struct netns_iface *iface = &guest->ifaces[guest->n_ifaces++];
    *iface = (struct netns_iface) {
        .name = nullable_strdup(name),
        .peer = nullable_strdup(peer),
        .mac = nullable_strdup(mac),
        .mtu = mtu,
        .gateway = nullable_strdup(gateway),
    };
    return iface;
}

void
netns_iface_add_address(struct netns_iface *iface, const char *address)
{
    iface->addresses = realloc(iface->addresses, (iface->n_addresses + 1)
                               * sizeof *iface->addresses);
    iface->addresses[iface->n_addresses++] = nullable_strdup(address);
}

void
netns_iface_add_route(struct netns_iface *iface, const char *prefix,
                      const char *via)
{
    iface->routes = realloc(iface->routes,
                            (iface->n_routes + 1) * sizeof *iface->routes);
    iface->routes[iface->n_routes++] = (struct netns_route) {
        .prefix = nullable_strdup(prefix),
        .via = nullable_strdup(via),
    };
}

void
netns_guest_free(struct netns_guest *guest)
{
    if (!guest) {
        return;
    }
    for (size_t i = 0; i < guest->n_ifaces; i++) {
        struct netns_iface *iface = &guest->ifaces[i];
        free(iface->name);
        free(iface->peer);
        free(iface->mac);
        free(iface->gateway);
        for (size_t j = 0; j < iface->n_addresses; j++) {
            free(iface->addresses[j]);
        }
        free(iface->addresses);
        for (size_t j = 0; j < iface->n_routes; j++) {
            free(iface->routes[j].prefix);
            free(iface->routes[j].via);
        }
        free(iface->routes);
    }
    free(guest->ifaces);
    free(guest->netns);
    free(guest);
}

/* Errors and commands. */

enum op { OP_ENSURE, OP_REMOVE, OP_LIST };

/* What an operation is doing, for its error messages. */
struct ctx {
    enum op op;
    const char *netns;
    struct ovsdb_error **errorp;
};

/* Stores into 'ctx->errorp' an error that names the operation and the
 * guest, around 'inner' (freed).  Returns the error's code. */
static int
fail(const struct ctx *ctx, struct ovsdb_error *inner)
{
    struct ovsdb_error *error;
    switch (ctx->op) {
    case OP_ENSURE:
        error = ovsdb_error_new(inner->code, NULL,
                                "Cannot set up netns guest %s: %s",
                                ctx->netns, inner->msg);
        break;
    case OP_REMOVE:
        error = ovsdb_error_new(inner->code, NULL,
                                "Cannot remove netns guest %s: %s",
                                ctx->netns, inner->msg);
        break;
    case OP_LIST:
    default:
        error = ovsdb_error_new(inner->code, NULL,
                                "Cannot list network namespaces: %s",
                                inner->msg);
        break;
    }
    ovsdb_error_free(inner);
    return ovsdb_error_set(ctx->errorp, error);
}

/* Returns a new `ip` command, run inside 'netns' unless it is NULL. */
static struct cmd *
ip_cmd(const char *netns)
{
    struct cmd *cmd = cmd_new("ip");
    if (netns) {
        cmd_addl(cmd, "-n", netns, NULL);
    }
    return cmd;
}

/* Returns a new `ethtool` command, run inside 'netns' unless it is
 * NULL. */
static struct cmd *
ethtool_cmd(const char *netns)
{
    struct cmd *cmd;
    if (netns) {
        cmd = cmd_new("ip");
        cmd_addl(cmd, "netns", "exec", netns, "ethtool", NULL);
    } else {
        cmd = cmd_new("ethtool");
    }
    return cmd;
}

/* Runs 'cmd' (freed), a command that changes the system. */
static int
run_change(const struct ctx *ctx, struct cmd *cmd)
{
    if (change_log) {
        char *line = cmd_to_string(cmd);
        fprintf(change_log, "%s\n", line);
        fflush(change_log);
        free(line);
    }
    struct ovsdb_error *error = NULL;
    int rc = cmd_run(cmd, NULL, &error);
    cmd_free(cmd);
    return rc ? fail(ctx, error) : 0;
}

/* Runs 'cmd' (freed), a read that prints a JSON array, and stores the
 * array in '*arrayp' (new reference).  Output that is empty or only
 * white space is an empty array. */
static int
run_read(const struct ctx *ctx, struct cmd *cmd, json_t **arrayp)
{
    char *line = cmd_to_string(cmd);
    char *output = NULL;
    struct ovsdb_error *error = NULL;
    int rc = 0;
    if (reader_func) {
        output = reader_func(line, reader_aux);
        if (!output) {
            rc = -EIO;
            error = ovsdb_error_new(rc, NULL, "`%s` failed.", line);
        }
    } else {
        rc = cmd_run(cmd, &output, &error);
    }
    cmd_free(cmd);

    json_t *array = NULL;
    if (!rc) {
        const char *p = output + strspn(output, " \t\r\n");
        json_error_t jerr;
        array = *p ? json_loads(p, 0, &jerr) : json_array();
        if (!json_is_array(array)) {
            json_decref(array);
            array = NULL;
            rc = -EPROTO;
            error = ovsdb_error_new(rc, NULL, "`%s` did not print a JSON "
                                    "array.", line);
        }
    }
    free(output);
    free(line);
    if (rc) {
        return fail(ctx, error);
    }
    *arrayp = array;
    return 0;
}

static const char *
json_str(const json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

/* Stores what `ip -j netns list` prints into '*arrayp' (a new
 * reference): objects with a "name". */
static int
read_netns_list(const struct ctx *ctx, json_t **arrayp)
{
    struct cmd *cmd = ip_cmd(NULL);
    cmd_addl(cmd, "-j", "netns", "list", NULL);
    return run_read(ctx, cmd, arrayp);
}

static bool
netns_in_list(const json_t *array, const char *netns)
{
    size_t i;
    json_t *obj;
    json_array_foreach (array, i, obj) {
        const char *name = json_str(obj, "name");
        if (name && !strcmp(name, netns)) {
            return true;
        }
    }
    return false;
}

/* Reads the links of 'netns' (NULL for the calling namespace) into
 * 'links', with their addresses into 'addrs' when it is not NULL. */
static int
read_links(const struct ctx *ctx, const char *netns, struct netns_links *links,
           struct netns_addrs *addrs)
{
    struct cmd *cmd = ip_cmd(netns);
    cmd_addl(cmd, "-j", "-d", addrs ? "address" : "link", "show", NULL);
    json_t *array;
    int error = run_read(ctx, cmd, &array);
    if (!error) {
        netns_links_parse(links, array);
        if (addrs) {
            netns_addrs_parse(addrs, array);
        }
        json_decref(array);
    }
    return error;
}

static int
read_routes(const struct ctx *ctx, const char *netns,
            struct netns_route_list *routes)
{
    for (int i = 0; i < 2; i++) {
        struct cmd *cmd = ip_cmd(netns);
        cmd_addl(cmd, "-j", i ? "-6" : "-4", "route", "show", NULL);
        json_t *array;
        int error = run_read(ctx, cmd, &array);
        if (error) {
            return error;
        }
        netns_routes_parse(routes, array, i ? AF_INET6 : AF_INET);
        json_decref(array);
    }
    return 0;
}

/* Deletes link 'name' in 'netns' (NULL for the calling namespace). */
static int
del_link(const struct ctx *ctx, const char *netns, const char *name)
{
    struct cmd *cmd = ip_cmd(netns);
    cmd_addl(cmd, "link", "del", "dev", name, NULL);
    return run_change(ctx, cmd);
}

/* Turns TX checksum offload off on 'dev' in 'netns' (NULL for the
 * calling namespace); with 'check', only after reading that it is on. */
static int
tx_offload_off(const struct ctx *ctx, const char *netns, const char *dev,
               bool check)
{
    struct cmd *cmd;
    if (check) {
        cmd = ethtool_cmd(netns);
        cmd_addl(cmd, "--json", "-k", dev, NULL);
        json_t *array;
        int error = run_read(ctx, cmd, &array);
        if (error) {
            return error;
        }
        json_t *tx = json_object_get(json_array_get(array, 0),
                                     "tx-checksumming");
        bool off = json_is_false(json_object_get(tx, "active"));
        json_decref(array);
        if (off) {
            return 0;
        }
    }
    cmd = ethtool_cmd(netns);
    cmd_addl(cmd, "-K", dev, "tx", "off", NULL);
    return run_change(ctx, cmd);
}

/* Makes existing link 'l' in 'netns' have 'mac' (unless empty) and 'mtu'
 * (unless 0), up, with TX checksum offload off. */
static int
update_link(const struct ctx *ctx, const char *netns,
            const struct netns_link *l, const char *mac, int mtu)
{
    struct cmd *cmd = ip_cmd(netns);
    cmd_addl(cmd, "link", "set", "dev", l->name, NULL);
    bool change = false;
    if (*mac && strcmp(mac, l->mac)) {
        cmd_addl(cmd, "address", mac, NULL);
        change = true;
    }
    if (mtu && mtu != l->mtu) {
        cmd_add(cmd, "mtu");
        cmd_addf(cmd, "%d", mtu);
        change = true;
    }
    if (!l->up) {
        cmd_add(cmd, "up");
        change = true;
    }
    int error = change ? run_change(ctx, cmd) : (cmd_free(cmd), 0);
    return error ? error : tx_offload_off(ctx, netns, l->name, true);
}

/* Makes the veth pair of 'iface'. */
static int
create_pair(const struct ctx *ctx, const char *netns,
            const struct netns_iface *iface, const struct netns_want_iface *w)
{
    struct cmd *cmd = ip_cmd(NULL);
    for (int end = 0; end < 2; end++) {
        const char *mac = end ? w->mac : w->peer_mac;
        if (end) {
            cmd_addl(cmd, "type", "veth", "peer", "name", iface->name,
                     "netns", netns, NULL);
        } else {
            cmd_addl(cmd, "link", "add", "name", iface->peer, NULL);
        }
        if (*mac) {
            cmd_addl(cmd, "address", mac, NULL);
        }
        if (iface->mtu) {
            cmd_add(cmd, "mtu");
            cmd_addf(cmd, "%d", iface->mtu);
        }
    }
    int error = run_change(ctx, cmd);
    for (int end = 0; !error && end < 2; end++) {
        cmd = ip_cmd(end ? netns : NULL);
        cmd_addl(cmd, "link", "set", "dev", end ? iface->name : iface->peer,
                 "up", NULL);
        error = run_change(ctx, cmd);
    }
    for (int end = 0; !error && end < 2; end++) {
        error = tx_offload_off(ctx, end ? netns : NULL,
                               end ? iface->name : iface->peer, false);
    }
    return error;
}

/* Makes every veth pair of 'guest' as wanted, given what is inside the
 * namespace ('in') and outside ('out'); sets 'created[i]' for each pair
 * it made anew. */
static int
ensure_pairs(const struct ctx *ctx, const struct netns_guest *guest,
             const struct netns_want *want, struct netns_links *in,
             struct netns_links *out, bool *created)
{
    const char *netns = guest->netns;
    for (size_t i = 0; i < in->n; i++) {
        struct netns_link *l = &in->links[i];
        bool wanted = false;
        for (size_t j = 0; j < guest->n_ifaces; j++) {
            wanted |= !strcmp(guest->ifaces[j].name, l->name);
        }
        if (l->veth && !l->gone && !wanted) {
            int error = del_link(ctx, netns, l->name);
            if (error) {
                return error;
            }
            netns_links_mark_gone(in, l, out);
        }
    }

    for (size_t i = 0; i < guest->n_ifaces; i++) {
        const struct netns_iface *iface = &guest->ifaces[i];
        struct netns_link *g = netns_links_find(in, iface->name);
        struct netns_link *p = netns_links_find(out, iface->peer);
        bool intact = g && g->veth && g->peer_elsewhere;
        if (intact && p) {
            intact = netns_links_find_peer(out, g) == p;
        } else if (intact) {
            /* The peer is not in the calling namespace under its name:
             * the pair is intact if the peer is not here at all. */
            intact = !netns_links_find_peer(out, g);
        }

        int error = 0;
        if (intact) {
            error = update_link(ctx, netns, g, want->ifaces[i].mac,
                                iface->mtu);
            if (!error && p) {
                error = update_link(ctx, NULL, p, want->ifaces[i].peer_mac,
                                    iface->mtu);
            }
        } else {
            if (g) {
                error = del_link(ctx, netns, g->name);
                netns_links_mark_gone(in, g, out);
            }
            if (!error && p && !p->gone) {
                error = del_link(ctx, NULL, p->name);
                netns_links_mark_gone(out, p, in);
            }
            if (!error) {
                error = create_pair(ctx, netns, iface, &want->ifaces[i]);
                created[i] = true;
            }
        }
        if (error) {
            return error;
        }
    }
    return 0;
}

/* Adds the wanted addresses of 'guest' that are missing from 'have'
 * (ignoring those on interfaces just 'created'), then removes those
 * not wanted. */
static int
ensure_addrs(const struct ctx *ctx, const struct netns_guest *guest,
             const struct netns_want *want, const struct netns_addrs *have,
             const bool *created)
{
    for (size_t i = 0; i < want->n_addrs; i++) {
        const struct netns_addr *a = &want->addrs[i];
        bool present = false;
        for (size_t j = 0; !created[a->iface] && j < have->n; j++) {
            present |= (!strcmp(have->addrs[j].dev, a->dev)
                        && !strcmp(have->addrs[j].text, a->text));
        }
        if (!present) {
            struct cmd *cmd = ip_cmd(guest->netns);
            cmd_addl(cmd, "address", "add", a->text, "dev", a->dev, NULL);
            if (a->family == AF_INET6) {
                cmd_add(cmd, "nodad");
            }
            int error = run_change(ctx, cmd);
            if (error) {
                return error;
            }
        }
    }
    for (size_t i = 0; i < guest->n_ifaces; i++) {
        const char *dev = guest->ifaces[i].name;
        for (size_t j = 0; !created[i] && j < have->n; j++) {
            const struct netns_addr *h = &have->addrs[j];
            bool wanted = !h->managed || strcmp(h->dev, dev);
            for (size_t k = 0; !wanted && k < want->n_addrs; k++) {
                wanted = (!strcmp(want->addrs[k].dev, dev)
                          && !strcmp(want->addrs[k].text, h->text));
            }
            if (!wanted) {
                struct cmd *cmd = ip_cmd(guest->netns);
                cmd_addl(cmd, "address", "del", h->text, "dev", dev, NULL);
                int error = run_change(ctx, cmd);
                if (error) {
                    return error;
                }
            }
        }
    }
    return 0;
}

/* Adds or deletes route 'r' in 'netns'. */
static int
change_route(const struct ctx *ctx, const char *netns, const char *verb,
             const struct netns_route_entry *r)
{
    struct cmd *cmd = ip_cmd(netns);
    if (r->family == AF_INET6) {
        cmd_add(cmd, "-6");
    }
    cmd_addl(cmd, "route", verb, r->dst, NULL);
    if (r->gw) {
        cmd_addl(cmd, "via", r->gw, NULL);
    }
    if (r->dev) {
        cmd_addl(cmd, "dev", r->dev, NULL);
    }
    return run_change(ctx, cmd);
}

/* Removes the managed routes of 'have' not wanted, then adds the wanted
 * ones missing. */
static int
ensure_routes(const struct ctx *ctx, const char *netns,
              const struct netns_want *want,
              const struct netns_route_list *have)
{
    for (size_t i = 0; i < have->n; i++) {
        const struct netns_route_entry *h = &have->routes[i];
        bool wanted = !h->managed;
        for (size_t j = 0; !wanted && j < want->n_routes; j++) {
            wanted = netns_route_equal(h, &want->routes[j]);
        }
        int error = wanted ? 0 : change_route(ctx, netns, "del", h);
        if (error) {
            return error;
        }
    }
    for (size_t i = 0; i < want->n_routes; i++) {
        bool present = false;
        for (size_t j = 0; !present && j < have->n; j++) {
            present = netns_route_equal(&have->routes[j], &want->routes[i]);
        }
        int error = present ? 0 : change_route(ctx, netns, "add",
                                               &want->routes[i]);
        if (error) {
            return error;
        }
    }
    return 0;
}

int
netns_guest_ensure(const struct netns_guest *guest,
                   struct ovsdb_error **errorp)
{
    struct ctx ctx = {OP_ENSURE, guest->netns, errorp};
    const char *netns = guest->netns;
    struct netns_want want;
    struct netns_links in = {NULL, 0}, out = {NULL, 0};
    struct netns_addrs addrs = {NULL, 0};
    struct netns_route_list routes = {NULL, 0};
    bool *created = calloc(guest->n_ifaces + 1, sizeof *created);
    json_t *list = NULL;

    int error = netns_want_init(guest, &want, errorp);
    if (!error) {
        error = read_netns_list(&ctx, &list);
    }
    if (error) {
        goto cleanup;
    }
    bool exists = netns_in_list(list, netns);
    if (!exists) {
        struct cmd *cmd = ip_cmd(NULL);
        cmd_addl(cmd, "netns", "add", netns, NULL);
        error = run_change(&ctx, cmd);
        if (!error) {
            cmd = cmd_new("ip");
            cmd_addl(cmd, "netns", "exec", netns, "sysctl", "-q", "-w",
                     "net.ipv4.conf.all.promote_secondaries=1", NULL);
            error = run_change(&ctx, cmd);
        }
    } else {
        error = read_links(&ctx, netns, &in, &addrs);
    }
    if (!error) {
        error = read_links(&ctx, NULL, &out, NULL);
    }
    if (!error) {
        error = ensure_pairs(&ctx, guest, &want, &in, &out, created);
    }
    if (error) {
        goto cleanup;
    }

    /* A new namespace has lo, down. */
    const struct netns_link *lo = netns_links_find(&in, "lo");
    if (!lo || !lo->up) {
        struct cmd *cmd = ip_cmd(netns);
        cmd_addl(cmd, "link", "set", "dev", "lo", "up", NULL);
        error = run_change(&ctx, cmd);
    }
    if (!error) {
        error = ensure_addrs(&ctx, guest, &want, &addrs, created);
    }
    if (!error && exists) {
        error = read_routes(&ctx, netns, &routes);
    }
    if (!error) {
        error = ensure_routes(&ctx, netns, &want, &routes);
    }

cleanup:
    json_decref(list);
    netns_routes_destroy(&routes);
    netns_addrs_destroy(&addrs);
    netns_links_destroy(&in);
    netns_links_destroy(&out);
    netns_want_destroy(&want);
    free(created);
    return error;
}

int
netns_guest_remove(const char *netns, char *const *peers, size_t n_peers,
                   struct ovsdb_error **errorp)
{
    struct ctx ctx = {OP_REMOVE, netns, errorp};
    if (!netns_valid_name(netns)) {
        return netns_invalid(errorp, "Netns guest has an invalid namespace "
                             "name \"%s\".", netns_str_or_null(netns));
    }
    for (size_t i = 0; i < n_peers; i++) {
        if (!netns_valid_ifname(peers[i])) {
            return netns_invalid(errorp, "Netns guest %s has an invalid "
                                 "peer name \"%s\".", netns,
                                 netns_str_or_null(peers[i]));
        }
    }

    json_t *list;
    int error = read_netns_list(&ctx, &list);
    if (error) {
        return error;
    }
    struct netns_links links = {NULL, 0};
    if (netns_in_list(list, netns)) {
        /* Deleting each veth first takes its peer away at once; a
         * namespace's devices otherwise go some time after it is
         * deleted. */
        error = read_links(&ctx, netns, &links, NULL);
        for (size_t i = 0; !error && i < links.n; i++) {
            struct netns_link *l = &links.links[i];
            if (l->veth && !l->gone) {
                error = del_link(&ctx, netns, l->name);
                netns_links_mark_gone(&links, l, NULL);
            }
        }
        if (!error) {
            struct cmd *cmd = ip_cmd(NULL);
            cmd_addl(cmd, "netns", "del", netns, NULL);
            error = run_change(&ctx, cmd);
        }
        netns_links_destroy(&links);
    }
    json_decref(list);

    if (!error && n_peers) {
        error = read_links(&ctx, NULL, &links, NULL);
        for (size_t i = 0; !error && i < n_peers; i++) {
            if (netns_links_find(&links, peers[i])) {
                error = del_link(&ctx, NULL, peers[i]);
            }
        }
        netns_links_destroy(&links);
    }
    return error;
}

static int
compare_strings(const void *a_, const void *b_)
{
    const char *const *a = a_;
    const char *const *b = b_;
    return strcmp(*a, *b);
}

int
netns_list(const char *prefix, char ***namesp, size_t *np,
           struct ovsdb_error **errorp)
{
    struct ctx ctx = {OP_LIST, NULL, errorp};
    json_t *list;
    int error = read_netns_list(&ctx, &list);
    if (error) {
        return error;
    }
    char **names = calloc(json_array_size(list) + 1, sizeof *names);
    size_t n = 0;
    size_t i;
    json_t *obj;
    size_t prefix_len = prefix ? strlen(prefix) : 0;
    json_array_foreach (list, i, obj) {
        const char *name = json_str(obj, "name");
        if (name && !strncmp(name, prefix ? prefix : "", prefix_len)) {
            names[n++] = strdup(name);
        }
    }
    json_decref(list);
    qsort(names, n, sizeof *names, compare_strings);
    *namesp = names;
    *np = n;
    return 0;
}

int
netns_exec(const char *netns, char *const argv[])
{
    if (!netns_valid_name(netns) || !argv || !argv[0]) {
        return -EINVAL;
    }
    size_t n = 0;
    while (argv[n]) {
        n++;
    }
    char **args = calloc(n + 5, sizeof *args);
    args[0] = "ip";
    args[1] = "netns";
    args[2] = "exec";
    args[3] = (char *) netns;
    memcpy(&args[4], argv, n * sizeof *argv);

    pid_t pid;
    int rc = posix_spawnp(&pid, "ip", NULL, NULL, args, environ);
    free(args);
    if (rc) {
        return -rc;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -errno;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status)
                             : 128 + WTERMSIG(status);
}
