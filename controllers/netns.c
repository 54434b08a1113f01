/* netns: see netns.h for the rules of this module.
 *
 * An ensure runs in four steps over what exists (the host-wide snapshot
 * and what it reads inside the namespace): the namespace, the veth pairs
 * (reading ethtool features only for the interfaces it keeps), lo and the
 * addresses, then the routes, read again after the address changes
 * because removing an address can take routes with it.  A new guest
 * costs three processes: `ip netns add`, `ip link add` (the pair) and
 * one `ip -n NETNS -batch -` (the guest end and lo up, addresses,
 * routes). */
#include "netns.h"
#include "netns-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "netns-dump.h"
#include "ovsdb-error.h"
#include "xstring.h"

/* Where `ip netns` keeps its namespaces (iproute2's NETNS_RUN_DIR). */
#define NETNS_RUN_DIR "/var/run/netns"

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
    guest->ifaces =
        realloc(guest->ifaces, (guest->n_ifaces + 1) * sizeof *guest->ifaces);
    struct netns_iface *iface = &guest->ifaces[guest->n_ifaces++];
    *iface = (struct netns_iface){
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
    iface->addresses = realloc(iface->addresses, (iface->n_addresses + 1) *
                                                     sizeof *iface->addresses);
    iface->addresses[iface->n_addresses++] = nullable_strdup(address);
}

void
netns_iface_add_route(struct netns_iface *iface, const char *prefix,
                      const char *via)
{
    iface->routes =
        realloc(iface->routes, (iface->n_routes + 1) * sizeof *iface->routes);
    iface->routes[iface->n_routes++] = (struct netns_route){
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

/* The changes inside one guest namespace waiting to run together in one
 * `ip -n NETNS -batch -`. */
struct batch {
    char *text; /* One command a line, without "ip -n NETNS". */
    size_t len;
    FILE *stream; /* Writes to 'text'; NULL while empty. */
};

/* What an operation is doing, for its error messages, with its pending
 * batch and its socket in the guest's namespace. */
struct ctx {
    enum op op;
    const char *netns;
    struct ovsdb_error **errorp;
    struct batch batch; /* For 'netns'. */
    int sock;           /* In 'netns', or -1 before the first ioctl. */
};

static void
ctx_init(struct ctx *ctx, enum op op, const char *netns,
         struct ovsdb_error **errorp)
{
    *ctx = (struct ctx){op, netns, errorp, {NULL, 0, NULL}, -1};
}

static void
ctx_destroy(struct ctx *ctx)
{
    if (ctx->batch.stream) {
        fclose(ctx->batch.stream);
    }
    free(ctx->batch.text);
    if (ctx->sock >= 0) {
        close(ctx->sock);
    }
}

/* Stores into 'ctx->errorp' an error that names the operation and the
 * guest, around 'inner' (freed).  Returns the error's code. */
static int
fail(const struct ctx *ctx, struct ovsdb_error *inner)
{
    struct ovsdb_error *error;
    switch (ctx->op) {
    case OP_ENSURE:
        error = ovsdb_error_new(inner->code, NULL,
                                "Cannot set up netns guest %s: %s", ctx->netns,
                                inner->msg);
        break;
    case OP_REMOVE:
        error = ovsdb_error_new(inner->code, NULL,
                                "Cannot remove netns guest %s: %s", ctx->netns,
                                inner->msg);
        break;
    case OP_LIST:
    default:
        error =
            ovsdb_error_new(inner->code, NULL,
                            "Cannot list network namespaces: %s", inner->msg);
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

static void
log_change(const char *line)
{
    if (change_log) {
        fprintf(change_log, "%s\n", line);
        fflush(change_log);
    }
}

/* Runs the commands waiting in 'ctx''s batch, if any. */
static int
flush_batch(struct ctx *ctx)
{
    struct batch *b = &ctx->batch;
    if (!b->stream) {
        return 0;
    }
    fclose(b->stream);
    b->stream = NULL;
    struct cmd *cmd = ip_cmd(ctx->netns);
    cmd_addl(cmd, "-batch", "-", NULL);
    cmd_set_input(cmd, b->text, b->len);
    cmd_dry_run_shows_input(cmd);
    free(b->text);
    b->text = NULL;
    b->len = 0;
    struct ovsdb_error *error = NULL;
    int rc = cmd_run(cmd, NULL, &error);
    cmd_free(cmd);
    return rc ? fail(ctx, error) : 0;
}

/* Runs 'cmd' (freed), a command that changes the system.  An `ip -n
 * NETNS` command for the namespace of 'ctx' waits in its batch, unless it
 * has options (a line of `ip -batch` takes none) or an argument that
 * would need quotes (`ip -batch` splits lines at spaces and drops what
 * follows a '#'); any other command first runs the batch, so that the
 * commands run in the order they were given. */
static int
run_change(struct ctx *ctx, struct cmd *cmd)
{
    char *line = cmd_to_string(cmd);
    log_change(line);
    char *prefix = NULL;
    if (ctx->netns && asprintf(&prefix, "ip -n %s ", ctx->netns) < 0) {
        abort();
    }
    size_t plen = prefix ? strlen(prefix) : 0;
    if (prefix && !strncmp(line, prefix, plen) && line[plen] != '-' &&
        !strchr(line, '\'')) {
        struct batch *b = &ctx->batch;
        if (!b->stream) {
            b->stream = open_memstream(&b->text, &b->len);
        }
        fprintf(b->stream, "%s\n", line + plen);
        fflush(b->stream);
        free(prefix);
        free(line);
        cmd_free(cmd);
        return 0;
    }
    free(prefix);
    free(line);

    int rc = flush_batch(ctx);
    if (!rc) {
        struct ovsdb_error *error = NULL;
        rc = cmd_run(cmd, NULL, &error);
        if (rc) {
            rc = fail(ctx, error);
        }
    }
    cmd_free(cmd);
    return rc;
}

/* Runs 'cmd' (freed), a read that prints a JSON array, and stores the
 * array in '*arrayp' (new reference).  Output that is empty or only
 * white space is an empty array. */
static int
read_json(struct ctx *ctx, struct cmd *cmd, json_t **arrayp)
{
    int rc = 0;
    char *line = cmd_to_string(cmd);
    char *output = NULL;
    struct ovsdb_error *error = NULL;
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
            error = ovsdb_error_new(rc, NULL,
                                    "`%s` did not print a JSON "
                                    "array.",
                                    line);
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

/* Like read_json(), after the batch ran: a read sees what was done
 * before it. */
static int
run_read(struct ctx *ctx, struct cmd *cmd, json_t **arrayp)
{
    int rc = flush_batch(ctx);
    if (rc) {
        cmd_free(cmd);
        return rc;
    }
    return read_json(ctx, cmd, arrayp);
}

static const char *
json_str(const json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

/* In process: what `ethtool` and `sysctl` would do. */

/* Calls fn('aux') with the calling thread in the network namespace
 * 'netns' (NULL for the calling namespace), then moves it back.  A
 * socket or a /proc/sys/net file opened by 'fn' stays in 'netns'.
 * Returns what 'fn' returns, or a negative errno. */
static int
in_netns(const char *netns, int (*fn)(void *aux), void *aux)
{
    if (!netns) {
        return fn(aux);
    }
    char *path;
    if (asprintf(&path, "%s/%s", NETNS_RUN_DIR, netns) < 0) {
        abort();
    }
    int target = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (target < 0) {
        return -errno;
    }
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) {
        int error = -errno;
        close(target);
        return error;
    }
    int rc = setns(target, CLONE_NEWNET) ? -errno : fn(aux);
    if (setns(self, CLONE_NEWNET)) {
        /* Going on in the wrong namespace would change what is not
         * ours. */
        abort();
    }
    close(self);
    close(target);
    return rc;
}

static int
open_socket(void *sockp_)
{
    int *sockp = sockp_;
    *sockp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    return *sockp < 0 ? -errno : 0;
}

/* Stores in '*sockp' a socket in 'netns' (NULL for the calling
 * namespace): 'ctx''s for its own namespace, made at the first call. */
static int
ctx_socket(struct ctx *ctx, const char *netns, int *sockp)
{
    static int own = -1;
    int *slot = netns ? &ctx->sock : &own;
    if (*slot < 0) {
        int error = in_netns(netns, open_socket, slot);
        if (error) {
            return error;
        }
    }
    *sockp = *slot;
    return 0;
}

/* Runs ethtool command 'ecmd' (ETHTOOL_GTXCSUM, ETHTOOL_STXCSUM) with
 * '*data' on 'dev' in 'netns' through the SIOCETHTOOL ioctl. */
static int
ethtool_ioctl(struct ctx *ctx, const char *netns, const char *dev,
              uint32_t ecmd, uint32_t *data)
{
    int sock;
    int error = ctx_socket(ctx, netns, &sock);
    if (error) {
        return error;
    }
    struct ethtool_value ev = {.cmd = ecmd, .data = *data};
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", dev);
    ifr.ifr_data = (void *)&ev;
    if (ioctl(sock, SIOCETHTOOL, &ifr) < 0) {
        return -errno;
    }
    *data = ev.data;
    return 0;
}

/* Frees 'cmd', whose in-process equivalent ended with 'error' (0 or a
 * negative errno), and returns 'error', after storing an error naming
 * 'cmd' into 'ctx->errorp' if it is not 0. */
static int
end_builtin(struct ctx *ctx, struct cmd *cmd, int error)
{
    if (!error) {
        cmd_free(cmd);
        return 0;
    }
    char *line = cmd_to_string(cmd);
    cmd_free(cmd);
    struct ovsdb_error *inner = ovsdb_error_new(error, NULL,
                                                "`%s` failed: "
                                                "%s",
                                                line, strerror(-error));
    free(line);
    return fail(ctx, inner);
}

/* Writes 'cmd', a change done in process, to the change log.  In a dry
 * run, also writes it to the dry run's log, frees it and returns true:
 * then nothing is to be done. */
static bool
log_builtin(struct cmd *cmd)
{
    char *line = cmd_to_string(cmd);
    log_change(line);
    free(line);
    if (cmd_is_dry_run()) {
        cmd_run(cmd, NULL, NULL);
        cmd_free(cmd);
        return true;
    }
    return false;
}

/* Reads whether TX checksum offload is on for 'dev' in 'netns' (NULL for
 * the calling namespace) into '*onp'. */
static int
tx_offload_read(struct ctx *ctx, const char *netns, const char *dev, bool *onp)
{
    struct cmd *cmd = ethtool_cmd(netns);
    cmd_addl(cmd, "--json", "-k", dev, NULL);
    if (reader_func || cmd_is_dry_run()) {
        json_t *array;
        int error = read_json(ctx, cmd, &array);
        if (error) {
            return error;
        }
        json_t *tx =
            json_object_get(json_array_get(array, 0), "tx-checksumming");
        *onp = !json_is_false(json_object_get(tx, "active"));
        json_decref(array);
        return 0;
    }
    uint32_t data = 0;
    int error = ethtool_ioctl(ctx, netns, dev, ETHTOOL_GTXCSUM, &data);
    if (!error) {
        *onp = data != 0;
    }
    return end_builtin(ctx, cmd, error);
}

/* Turns TX checksum offload off on 'dev' in 'netns' (NULL for the
 * calling namespace), as `ethtool -K DEV tx off` does, in process.  It
 * does not wait for the batch: offloads do not depend on what waits
 * there. */
static int
tx_offload_set_off(struct ctx *ctx, const char *netns, const char *dev)
{
    struct cmd *cmd = ethtool_cmd(netns);
    cmd_addl(cmd, "-K", dev, "tx", "off", NULL);
    if (log_builtin(cmd)) {
        return 0;
    }
    uint32_t data = 0;
    return end_builtin(ctx, cmd,
                       ethtool_ioctl(ctx, netns, dev, ETHTOOL_STXCSUM, &data));
}

/* Turns TX checksum offload off on 'dev' in 'netns' (NULL for the
 * calling namespace); with 'check', only after reading that it is on. */
static int
tx_offload_off(struct ctx *ctx, const char *netns, const char *dev, bool check)
{
    bool on = true;
    int error = check ? tx_offload_read(ctx, netns, dev, &on) : 0;
    return error || !on ? error : tx_offload_set_off(ctx, netns, dev);
}

static int
open_promote_secondaries(void *fdp_)
{
    int *fdp = fdp_;
    *fdp = open("/proc/sys/net/ipv4/conf/all/promote_secondaries",
                O_WRONLY | O_CLOEXEC);
    return *fdp < 0 ? -errno : 0;
}

/* Sets net.ipv4.conf.all.promote_secondaries in 'netns', as `sysctl`
 * would, in process. */
static int
promote_secondaries(struct ctx *ctx, const char *netns)
{
    struct cmd *cmd = cmd_new("ip");
    cmd_addl(cmd, "netns", "exec", netns, "sysctl", "-q", "-w",
             "net.ipv4.conf.all.promote_secondaries=1", NULL);
    if (log_builtin(cmd)) {
        return 0;
    }
    int fd = -1;
    int error = in_netns(netns, open_promote_secondaries, &fd);
    if (!error && write(fd, "1\n", 2) != 2) {
        error = -errno;
    }
    if (fd >= 0) {
        close(fd);
    }
    return end_builtin(ctx, cmd, error);
}

/* The host-wide state. */

struct netns_snapshot {
    bool valid;             /* Read since created or made stale. */
    json_t *list;           /* What `ip -j netns list` printed. */
    struct netns_links out; /* The links of the calling namespace. */
    char **touched;         /* Namespaces changed since it was read. */
    size_t n_touched;
    size_t reads; /* Times it was read. */
};

struct netns_snapshot *
netns_snapshot_create(void)
{
    return calloc(1, sizeof(struct netns_snapshot));
}

static void
snapshot_clear(struct netns_snapshot *snap)
{
    json_decref(snap->list);
    snap->list = NULL;
    netns_links_destroy(&snap->out);
    for (size_t i = 0; i < snap->n_touched; i++) {
        free(snap->touched[i]);
    }
    free(snap->touched);
    snap->touched = NULL;
    snap->n_touched = 0;
    snap->valid = false;
}

void
netns_snapshot_free(struct netns_snapshot *snap)
{
    if (snap) {
        snapshot_clear(snap);
        free(snap);
    }
}

/* Stores what `ip -j netns list` prints into '*arrayp' (a new
 * reference): objects with a "name".  In process, but under a dry run or
 * a reader: the entries of NETNS_RUN_DIR, where `ip netns` keeps them
 * (a process that lists them costs tens of milliseconds at a thousand
 * namespaces). */
static int
read_netns_list(struct ctx *ctx, json_t **arrayp)
{
    struct cmd *cmd = ip_cmd(NULL);
    cmd_addl(cmd, "-j", "netns", "list", NULL);
    if (reader_func || cmd_is_dry_run()) {
        return run_read(ctx, cmd, arrayp);
    }
    int error = flush_batch(ctx);
    if (error) {
        cmd_free(cmd);
        return error;
    }
    json_t *array = json_array();
    DIR *dir = opendir(NETNS_RUN_DIR);
    if (!dir) {
        /* No namespace made yet. */
        error = errno == ENOENT ? 0 : -errno;
    }
    for (struct dirent *e; dir && (e = readdir(dir));) {
        if (e->d_name[0] != '.') {
            json_array_append_new(array,
                                  json_pack("{s:s}", "name", e->d_name));
        }
    }
    if (dir) {
        closedir(dir);
    }
    if (error) {
        json_decref(array);
    } else {
        *arrayp = array;
    }
    return end_builtin(ctx, cmd, error);
}

static bool
netns_in_list(const json_t *array, const char *netns)
{
    size_t i;
    json_t *obj;
    json_array_foreach(array, i, obj)
    {
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
read_links(struct ctx *ctx, const char *netns, struct netns_links *links,
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

/* Reads the links of the calling namespace into 'links': what `ip -j -d
 * link show` prints, from a netlink dump in process but under a dry run
 * or a reader. */
static int
read_host_links(struct ctx *ctx, struct netns_links *links)
{
    if (reader_func || cmd_is_dry_run()) {
        return read_links(ctx, NULL, links, NULL);
    }
    int error = flush_batch(ctx);
    if (error) {
        return error;
    }
    struct cmd *cmd = ip_cmd(NULL);
    cmd_addl(cmd, "-j", "-d", "link", "show", NULL);
    return end_builtin(ctx, cmd, netns_links_dump(links));
}

/* Makes 'snap' ready for an operation on 'netns': reads it when it has
 * not been read yet or when 'netns' was changed since (then what it holds
 * of that namespace and its peers may be wrong), and marks 'netns' as
 * changed. */
static int
snapshot_use(struct ctx *ctx, struct netns_snapshot *snap, const char *netns)
{
    for (size_t i = 0; snap->valid && i < snap->n_touched; i++) {
        if (!strcmp(snap->touched[i], netns)) {
            snapshot_clear(snap);
        }
    }
    if (!snap->valid) {
        json_t *list;
        int error = read_netns_list(ctx, &list);
        if (error) {
            return error;
        }
        struct netns_links out = {NULL, 0};
        error = read_host_links(ctx, &out);
        if (error) {
            json_decref(list);
            return error;
        }
        snap->list = list;
        snap->out = out;
        snap->valid = true;
        snap->reads++;
    }
    snap->touched =
        realloc(snap->touched, (snap->n_touched + 1) * sizeof *snap->touched);
    snap->touched[snap->n_touched++] = strdup(netns);
    return 0;
}

size_t
netns_snapshot_reads(const struct netns_snapshot *snap)
{
    return snap->reads;
}

static int
read_routes(struct ctx *ctx, const char *netns,
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
del_link(struct ctx *ctx, const char *netns, const char *name)
{
    struct cmd *cmd = ip_cmd(netns);
    cmd_addl(cmd, "link", "del", "dev", name, NULL);
    return run_change(ctx, cmd);
}

/* Makes existing link 'l' in 'netns' have 'mac' (unless empty) and 'mtu'
 * (unless 0), up, with TX checksum offload off. */
static int
update_link(struct ctx *ctx, const char *netns, const struct netns_link *l,
            const char *mac, int mtu)
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

/* Makes the veth pair of 'iface': one command makes both ends, the peer
 * up (the caller brings the guest end up). */
static int
create_pair(struct ctx *ctx, const char *netns,
            const struct netns_iface *iface, const struct netns_want_iface *w)
{
    struct cmd *cmd = ip_cmd(NULL);
    for (int end = 0; end < 2; end++) {
        const char *mac = end ? w->mac : w->peer_mac;
        if (end) {
            cmd_addl(cmd, "type", "veth", "peer", "name", iface->name, "netns",
                     netns, NULL);
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
        if (!end) {
            /* `ip` cannot bring the end in another namespace up. */
            cmd_add(cmd, "up");
        }
    }
    int error = run_change(ctx, cmd);
    for (int end = 0; !error && end < 2; end++) {
        error = tx_offload_off(ctx, end ? netns : NULL,
                               end ? iface->name : iface->peer, false);
    }
    return error;
}

/* Makes every veth pair of 'guest' as wanted, given what is inside the
 * namespace ('in') and outside ('out'); sets 'created[i]' for each pair
 * it made anew.  The guest ends of new pairs go up last, so that the
 * batch does not have to run before each `ip link add`. */
static int
ensure_pairs(struct ctx *ctx, const struct netns_guest *guest,
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
            error =
                update_link(ctx, netns, g, want->ifaces[i].mac, iface->mtu);
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
    for (size_t i = 0; i < guest->n_ifaces; i++) {
        if (created[i]) {
            struct cmd *cmd = ip_cmd(netns);
            cmd_addl(cmd, "link", "set", "dev", guest->ifaces[i].name, "up",
                     NULL);
            int error = run_change(ctx, cmd);
            if (error) {
                return error;
            }
        }
    }
    return 0;
}

/* Adds the wanted addresses of 'guest' that are missing from 'have'
 * (ignoring those on interfaces just 'created'), then removes those
 * not wanted. */
static int
ensure_addrs(struct ctx *ctx, const struct netns_guest *guest,
             const struct netns_want *want, const struct netns_addrs *have,
             const bool *created)
{
    for (size_t i = 0; i < want->n_addrs; i++) {
        const struct netns_addr *a = &want->addrs[i];
        bool present = false;
        for (size_t j = 0; !created[a->iface] && j < have->n; j++) {
            present |= (!strcmp(have->addrs[j].dev, a->dev) &&
                        !strcmp(have->addrs[j].text, a->text));
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
                wanted = (!strcmp(want->addrs[k].dev, dev) &&
                          !strcmp(want->addrs[k].text, h->text));
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

/* Adds or deletes route 'r' in 'netns'.  `ip` takes the family from the
 * destination or the gateway; only an IPv6 default route without a
 * gateway needs "-6" (and then cannot wait in the batch). */
static int
change_route(struct ctx *ctx, const char *netns, const char *verb,
             const struct netns_route_entry *r)
{
    struct cmd *cmd = ip_cmd(netns);
    if (r->family == AF_INET6 && !strcmp(r->dst, "default") && !r->gw) {
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
ensure_routes(struct ctx *ctx, const char *netns,
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
        int error =
            present ? 0 : change_route(ctx, netns, "add", &want->routes[i]);
        if (error) {
            return error;
        }
    }
    return 0;
}

int
netns_snapshot_ensure(struct netns_snapshot *snap,
                      const struct netns_guest *guest,
                      struct ovsdb_error **errorp)
{
    struct ctx ctx;
    ctx_init(&ctx, OP_ENSURE, guest->netns, errorp);
    const char *netns = guest->netns;
    struct netns_want want;
    struct netns_links in = {NULL, 0};
    struct netns_addrs addrs = {NULL, 0};
    struct netns_route_list routes = {NULL, 0};
    bool *created = calloc(guest->n_ifaces + 1, sizeof *created);

    int error = netns_want_init(guest, &want, errorp);
    if (!error) {
        error = snapshot_use(&ctx, snap, netns);
    }
    if (error) {
        goto cleanup;
    }
    bool exists = netns_in_list(snap->list, netns);
    if (!exists) {
        struct cmd *cmd = ip_cmd(NULL);
        cmd_addl(cmd, "netns", "add", netns, NULL);
        error = run_change(&ctx, cmd);
        if (!error) {
            error = promote_secondaries(&ctx, netns);
        }
    } else {
        error = read_links(&ctx, netns, &in, &addrs);
    }
    if (!error) {
        error = ensure_pairs(&ctx, guest, &want, &in, &snap->out, created);
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
    if (!error) {
        error = flush_batch(&ctx);
    }

cleanup:
    ctx_destroy(&ctx);
    netns_routes_destroy(&routes);
    netns_addrs_destroy(&addrs);
    netns_links_destroy(&in);
    netns_want_destroy(&want);
    free(created);
    return error;
}

int
netns_guest_ensure(const struct netns_guest *guest,
                   struct ovsdb_error **errorp)
{
    struct netns_snapshot *snap = netns_snapshot_create();
    int error = netns_snapshot_ensure(snap, guest, errorp);
    netns_snapshot_free(snap);
    return error;
}

int
netns_snapshot_remove(struct netns_snapshot *snap, const char *netns,
                      char *const *peers, size_t n_peers,
                      struct ovsdb_error **errorp)
{
    if (!netns_valid_name(netns)) {
        return netns_invalid(errorp,
                             "Netns guest has an invalid namespace "
                             "name \"%s\".",
                             netns_str_or_null(netns));
    }
    for (size_t i = 0; i < n_peers; i++) {
        if (!netns_valid_ifname(peers[i])) {
            return netns_invalid(errorp,
                                 "Netns guest %s has an invalid "
                                 "peer name \"%s\".",
                                 netns, netns_str_or_null(peers[i]));
        }
    }

    struct ctx ctx;
    ctx_init(&ctx, OP_REMOVE, netns, errorp);
    int error = snapshot_use(&ctx, snap, netns);
    if (!error && netns_in_list(snap->list, netns)) {
        /* Deleting each veth first takes its peer away at once; a
         * namespace's devices otherwise go some time after it is
         * deleted. */
        struct netns_links links = {NULL, 0};
        error = read_links(&ctx, netns, &links, NULL);
        for (size_t i = 0; !error && i < links.n; i++) {
            struct netns_link *l = &links.links[i];
            if (l->veth && !l->gone) {
                error = del_link(&ctx, netns, l->name);
                netns_links_mark_gone(&links, l, &snap->out);
            }
        }
        if (!error) {
            struct cmd *cmd = ip_cmd(NULL);
            cmd_addl(cmd, "netns", "del", netns, NULL);
            error = run_change(&ctx, cmd);
        }
        netns_links_destroy(&links);
    }
    for (size_t i = 0; !error && i < n_peers; i++) {
        struct netns_link *p = netns_links_find(&snap->out, peers[i]);
        if (p) {
            error = del_link(&ctx, NULL, peers[i]);
            netns_links_mark_gone(&snap->out, p, NULL);
        }
    }
    if (!error) {
        error = flush_batch(&ctx);
    }
    ctx_destroy(&ctx);
    return error;
}

int
netns_guest_remove(const char *netns, char *const *peers, size_t n_peers,
                   struct ovsdb_error **errorp)
{
    struct netns_snapshot *snap = netns_snapshot_create();
    int error = netns_snapshot_remove(snap, netns, peers, n_peers, errorp);
    netns_snapshot_free(snap);
    return error;
}

int
netns_list(const char *prefix, char ***namesp, size_t *np,
           struct ovsdb_error **errorp)
{
    struct ctx ctx;
    ctx_init(&ctx, OP_LIST, NULL, errorp);
    json_t *list;
    int error = read_netns_list(&ctx, &list);
    ctx_destroy(&ctx);
    if (error) {
        return error;
    }
    char **names = calloc(json_array_size(list) + 1, sizeof *names);
    size_t n = 0;
    size_t i;
    json_t *obj;
    size_t prefix_len = prefix ? strlen(prefix) : 0;
    json_array_foreach(list, i, obj)
    {
        const char *name = json_str(obj, "name");
        if (name && !strncmp(name, prefix ? prefix : "", prefix_len)) {
            names[n++] = strdup(name);
        }
    }
    json_decref(list);
    qsort(names, n, sizeof *names, strptr_compare);
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
    args[3] = (char *)netns;
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
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
