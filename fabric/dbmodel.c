/* dbmodel: reading the fabric DB into a model, and what both halves of
 * the module share (dbmodel-private.h).  See dbmodel.h for the rules;
 * dbmodel-apply.c builds the apply transaction. */
#include "dbmodel.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "datum.h"
#include "dbmodel-private.h"
#include "model.h"
#include "ovsdb-error.h"
#include "replica.h"
#include "xstring.h"

const char *const dbmodel_tables[] = {
    "Fabric",      "Host",  "Network",         "Router",
    "Router_Port", "Guest", "Guest_Interface", NULL,
};

const char *const dbmodel_root_tables[DBMODEL_N_ROOTS] = {
    "Host",
    "Network",
    "Router",
    "Guest",
};

/* Memory. */

static void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

static char *
xstrdup(const char *s)
{
    char *copy = strdup(s);
    if (!copy) {
        abort();
    }
    return copy;
}

/* Keyed rows: a sorted array for lookups by name or by UUID. */

static int
keyed_compare(const void *a_, const void *b_)
{
    const struct dbmodel_keyed *a = a_;
    const struct dbmodel_keyed *b = b_;
    return strcmp(a->key, b->key);
}

void
dbmodel_keyed_sort(struct dbmodel_keyed_array *array)
{
    qsort(array->v, array->n, sizeof *array->v, keyed_compare);
}

const struct dbmodel_keyed *
dbmodel_keyed_find(const struct dbmodel_keyed_array *array, const char *key)
{
    struct dbmodel_keyed needle = {.key = key};
    return array->n ? bsearch(&needle, array->v, array->n, sizeof *array->v,
                              keyed_compare)
                    : NULL;
}

void
dbmodel_keyed_clear(struct dbmodel_keyed_array *array)
{
    free(array->v);
    array->v = NULL;
    array->n = 0;
}

/* Datums (datum.h): sets and maps in their JSON form. */

/* If 'datum' is ["set", [...]] or ["map", [...]], returns the inner array
 * (borrowed), else NULL. */
static const json_t *
datum_inner(const json_t *datum)
{
    if (json_is_array(datum) && json_array_size(datum) == 2) {
        const char *tag = json_string_value(json_array_get(datum, 0));
        if (tag && (!strcmp(tag, "set") || !strcmp(tag, "map"))) {
            return json_array_get(datum, 1);
        }
    }
    return NULL;
}

/* Number of elements of set or map 'datum' (an atom is a set of one). */
size_t
dbmodel_datum_n(const json_t *datum)
{
    const json_t *inner = datum_inner(datum);
    return inner ? json_array_size(inner) : datum ? 1 : 0;
}

/* Element 'i' of set or map 'datum' (borrowed; a pair for a map). */
const json_t *
dbmodel_datum_at(const json_t *datum, size_t i)
{
    const json_t *inner = datum_inner(datum);
    return inner ? json_array_get(inner, i) : i ? NULL : datum;
}

/* Reading rows. */

const char *
dbmodel_row_string(const struct replica_row *row, const char *column)
{
    const char *s = json_string_value(replica_row_get(row, column));
    return s ? s : "";
}

/* The value of optional string 'column' as a new string, or NULL. */
static char *
row_opt_string(const struct replica_row *row, const char *column)
{
    const json_t *datum = replica_row_get(row, column);
    const char *s = json_string_value(dbmodel_datum_at(datum, 0));
    return dbmodel_datum_n(datum) == 1 && s ? xstrdup(s) : NULL;
}

long long
dbmodel_row_int(const struct replica_row *row, const char *column)
{
    return json_integer_value(replica_row_get(row, column));
}

/* The VM settings of a Guest or Router row. */
static void
read_vm(const struct replica_row *row, struct fabric_vm *vm)
{
    vm->vcpus = dbmodel_row_int(row, "vcpus");
    vm->memory_mb = dbmodel_row_int(row, "memory_mb");
    vm->image = row_opt_string(row, "image");
    vm->kernel = row_opt_string(row, "kernel");
    vm->initrd = row_opt_string(row, "initrd");
    vm->cmdline = row_opt_string(row, "cmdline");
    vm->user_data = row_opt_string(row, "user_data");
    const char *restart = dbmodel_row_string(row, "restart");
    vm->restart = (!strcmp(restart, "always")  ? FABRIC_RESTART_ALWAYS
                   : !strcmp(restart, "never") ? FABRIC_RESTART_NEVER
                                               : FABRIC_RESTART_ON_FAILURE);
}

/* The UUID in reference column 'column' (borrowed), or NULL when empty. */
static const char *
row_ref(const struct replica_row *row, const char *column)
{
    const json_t *datum = replica_row_get(row, column);
    return (dbmodel_datum_n(datum) == 1
                ? ovsdb_atom_uuid(dbmodel_datum_at(datum, 0))
                : NULL);
}

struct string_pair {
    const char *key;
    const char *value;
};

static int
string_pair_compare(const void *a_, const void *b_)
{
    const struct string_pair *a = a_;
    const struct string_pair *b = b_;
    return strcmp(a->key, b->key);
}

/* Reads string map 'column' into 'smap', sorted by key. */
static void
row_smap(const struct replica_row *row, const char *column,
         struct fabric_smap *smap)
{
    const json_t *datum = replica_row_get(row, column);
    size_t n = dbmodel_datum_n(datum);
    struct string_pair *pairs = xcalloc(n, sizeof *pairs);
    size_t n_pairs = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *pair = dbmodel_datum_at(datum, i);
        const char *k = json_string_value(json_array_get(pair, 0));
        const char *v = json_string_value(json_array_get(pair, 1));
        if (k && v) {
            pairs[n_pairs++] = (struct string_pair){k, v};
        }
    }
    qsort(pairs, n_pairs, sizeof *pairs, string_pair_compare);
    for (size_t i = 0; i < n_pairs; i++) {
        fabric_smap_add(smap, pairs[i].key, pairs[i].value);
    }
    free(pairs);
}

/* Reads string set 'column' into a new sorted array stored in '*arrayp'
 * with its size in '*np'. */
static void
row_string_set(const struct replica_row *row, const char *column,
               char ***arrayp, size_t *np)
{
    const json_t *datum = replica_row_get(row, column);
    size_t n = dbmodel_datum_n(datum);
    char **array = xcalloc(n, sizeof *array);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(dbmodel_datum_at(datum, i));
        if (s) {
            array[k++] = xstrdup(s);
        }
    }
    qsort(array, k, sizeof *array, strptr_compare);
    *arrayp = array;
    *np = k;
}

/* The view of the replica. */

void
dbmodel_view_init(struct dbmodel_view *view, const struct replica *replica)
{
    memset(view, 0, sizeof *view);
    view->replica = replica;
    size_t iter = 0;
    view->fabric = replica_next(replica, "Fabric", &iter);
    for (int t = 0; t < DBMODEL_N_ROOTS; t++) {
        struct dbmodel_keyed_array *array = &view->by_name[t];
        array->v = xcalloc(replica_count(replica, dbmodel_root_tables[t]),
                           sizeof *array->v);
        const struct replica_row *row;
        iter = 0;
        while ((row = replica_next(replica, dbmodel_root_tables[t], &iter))) {
            array->v[array->n++] = (struct dbmodel_keyed){
                dbmodel_row_string(row, "name"),
                0,
                row,
            };
        }
        dbmodel_keyed_sort(array);
        for (size_t i = 0; i < array->n; i++) {
            array->v[i].index = i;
        }
    }
}

void
dbmodel_view_destroy(struct dbmodel_view *view)
{
    for (int t = 0; t < DBMODEL_N_ROOTS; t++) {
        dbmodel_keyed_clear(&view->by_name[t]);
    }
}

/* Fills 'array' with the rows of 'by_name' keyed by UUID, each with its
 * index in 'by_name'. */
static void
keyed_by_uuid(const struct dbmodel_keyed_array *by_name,
              struct dbmodel_keyed_array *array)
{
    array->v = xcalloc(by_name->n, sizeof *array->v);
    array->n = by_name->n;
    for (size_t i = 0; i < by_name->n; i++) {
        array->v[i] = (struct dbmodel_keyed){
            by_name->v[i].row->uuid,
            i,
            by_name->v[i].row,
        };
    }
    dbmodel_keyed_sort(array);
}

long long
dbmodel_generation(const struct replica *replica)
{
    size_t iter = 0;
    const struct replica_row *row = replica_next(replica, "Fabric", &iter);
    return row ? dbmodel_row_int(row, "generation") : 0;
}

/* Reading the model. */

struct reader {
    const struct replica *replica;
    struct dbmodel_keyed_array hosts;    /* By UUID: model->hosts index. */
    struct dbmodel_keyed_array networks; /* By UUID: model->networks
                                          * index. */
};

static int
reader_ref(const struct dbmodel_keyed_array *array, const char *uuid,
           size_t *indexp)
{
    const struct dbmodel_keyed *k =
        (uuid ? dbmodel_keyed_find(array, uuid) : NULL);
    if (!k) {
        return -EPROTO;
    }
    *indexp = k->index;
    return 0;
}

static void
read_host(const struct replica_row *row, struct fabric_host *h)
{
    h->name = xstrdup(dbmodel_row_string(row, "name"));
    h->underlay_ip = row_opt_string(row, "underlay_ip");
    h->encap = xstrdup(dbmodel_row_string(row, "encap"));
    h->underlay_mtu = dbmodel_row_int(row, "underlay_mtu");
    row_smap(row, "external_ids", &h->external_ids);
    h->registered = dbmodel_row_int(row, "heartbeat") != 0;
}

static void
read_network(const struct replica_row *row, struct fabric_network *n)
{
    n->name = xstrdup(dbmodel_row_string(row, "name"));
    n->subnet = xstrdup(dbmodel_row_string(row, "subnet"));
    const char *mode = dbmodel_row_string(row, "mode");
    n->mode = (!strcmp(mode, "routed") ? FABRIC_NET_ROUTED
               : !strcmp(mode, "nat")  ? FABRIC_NET_NAT
                                       : FABRIC_NET_ISOLATED);
    n->vlan = dbmodel_row_int(row, "vlan");
    n->vni = dbmodel_row_int(row, "vni");
    n->mtu = dbmodel_row_int(row, "mtu");
    n->gateway = row_opt_string(row, "gateway");
    n->dhcp = json_is_true(replica_row_get(row, "dhcp"));
    n->host_ip = row_opt_string(row, "host_ip");
    row_smap(row, "external_ids", &n->external_ids);
}

static int
forward_compare(const void *a_, const void *b_)
{
    const struct fabric_forward *a = a_, *b = b_;
    if (a->proto != b->proto) {
        return a->proto < b->proto ? -1 : 1;
    }
    return (a->host_port > b->host_port) - (a->host_port < b->host_port);
}

/* Reads the port forwards of network 'n' from its 'row' into 'm', whose
 * guests are read ("PROTO:HOST_PORT:GUEST:PORT", see
 * fabric_forward_format()). */
static int
read_forwards(const struct replica_row *row, struct fabric_model *m,
              struct fabric_network *n, struct ovsdb_error **errorp)
{
    const json_t *datum = replica_row_get(row, "forwards");
    size_t count = dbmodel_datum_n(datum);
    n->forwards = xcalloc(count, sizeof *n->forwards);
    for (size_t i = 0; i < count; i++) {
        const char *text = json_string_value(dbmodel_datum_at(datum, i));
        char proto[8], guest[64];
        int host_port, port;
        long g = -1;
        if (text &&
            sscanf(text, "%7[a-z]:%d:%63[^:]:%d", proto, &host_port, guest,
                   &port) == 4 &&
            (!strcmp(proto, "tcp") || !strcmp(proto, "udp"))) {
            for (size_t k = 0; k < m->n_guests && g < 0; k++) {
                if (!strcmp(m->guests[k].name, guest)) {
                    g = (long)k;
                }
            }
        }
        if (g < 0) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "Network \"%s\" has a port forward "
                                        "\"%s\" to no guest of the fabric "
                                        "DB.",
                                        n->name, text ? text : ""));
        }
        n->forwards[n->n_forwards++] = (struct fabric_forward){
            .proto =
                !strcmp(proto, "udp") ? FABRIC_PROTO_UDP : FABRIC_PROTO_TCP,
            .host_port = host_port,
            .guest = (size_t)g,
            .port = port,
        };
    }
    if (n->n_forwards) {
        qsort(n->forwards, n->n_forwards, sizeof *n->forwards,
              forward_compare);
    }
    return 0;
}

/* Reads the uplinks of network 'n' from its 'row' into 'm', whose hosts
 * are read ("HOST:INTERFACE[:VLAN]", see fabric_uplink_format()). */
static int
read_uplinks(const struct replica_row *row, struct fabric_model *m,
             struct fabric_network *n, struct ovsdb_error **errorp)
{
    const json_t *datum = replica_row_get(row, "uplinks");
    size_t count = dbmodel_datum_n(datum);
    n->uplinks = xcalloc(count, sizeof *n->uplinks);
    for (size_t i = 0; i < count; i++) {
        const char *text = json_string_value(dbmodel_datum_at(datum, i));
        char host[64], iface[16];
        int vlan = 0, end = 0;
        long h = -1;
        int rc = text ? sscanf(text, "%63[^:]:%15[^:]%n:%d%n", host, iface,
                               &end, &vlan, &end)
                      : 0;
        if ((rc == 2 || (rc == 3 && vlan >= 1 && vlan <= 4094)) &&
            !text[end]) {
            vlan = rc == 3 ? vlan : 0;
            h = fabric_model_find_host(m, host);
        }
        if (h < 0) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "Network \"%s\" has an uplink \"%s\" "
                                        "that names no host of the fabric "
                                        "DB.",
                                        n->name, text ? text : ""));
        }
        n->uplinks[n->n_uplinks++] = (struct fabric_uplink){
            .host = (size_t)h,
            .interface = xstrdup(iface),
            .vlan = vlan,
        };
    }
    if (n->n_uplinks) {
        qsort(n->uplinks, n->n_uplinks, sizeof *n->uplinks,
              fabric_uplink_compare);
    }
    return 0;
}

static int
port_compare(const void *a_, const void *b_)
{
    const struct fabric_router_port *a = a_;
    const struct fabric_router_port *b = b_;
    return (a->network < b->network   ? -1
            : a->network > b->network ? 1
                                      : strcmp(a->ip, b->ip));
}

static int
read_router(const struct reader *rd, const struct replica_row *row,
            struct fabric_router *r, struct ovsdb_error **errorp)
{
    r->name = xstrdup(dbmodel_row_string(row, "name"));
    r->kind =
        (!strcmp(dbmodel_row_string(row, "kind"), "vm") ? FABRIC_ROUTER_VM
                                                        : FABRIC_ROUTER_FLOWS);
    read_vm(row, &r->vm);
    row_smap(row, "external_ids", &r->external_ids);
    const char *host = row_ref(row, "host");
    if (host) {
        if (reader_ref(&rd->hosts, host, &r->host)) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "Router \"%s\" refers to host %s, "
                                        "which is not in the fabric DB.",
                                        r->name, host));
        }
        r->has_host = true;
    }

    const json_t *ports = replica_row_get(row, "ports");
    size_t n = dbmodel_datum_n(ports);
    r->ports = xcalloc(n, sizeof *r->ports);
    for (size_t i = 0; i < n; i++) {
        const char *uuid = ovsdb_atom_uuid(dbmodel_datum_at(ports, i));
        const struct replica_row *prow =
            uuid ? replica_get(rd->replica, "Router_Port", uuid) : NULL;
        struct fabric_router_port *p = &r->ports[r->n_ports];
        if (!prow ||
            reader_ref(&rd->networks, row_ref(prow, "network"), &p->network)) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "A port of router \"%s\" or its "
                                        "network is not in the fabric DB.",
                                        r->name));
        }
        p->ip = xstrdup(dbmodel_row_string(prow, "ip"));
        p->mac = xstrdup(dbmodel_row_string(prow, "mac"));
        r->n_ports++;
    }
    qsort(r->ports, r->n_ports, sizeof *r->ports, port_compare);
    return 0;
}

static int
size_compare(const void *a_, const void *b_)
{
    size_t a = *(const size_t *)a_;
    size_t b = *(const size_t *)b_;
    return a < b ? -1 : a > b;
}

static int
route_compare(const void *a_, const void *b_)
{
    const struct fabric_route *a = a_;
    const struct fabric_route *b = b_;
    return strcmp(a->prefix, b->prefix);
}

static int
read_interface(const struct reader *rd, const char *guest,
               const struct replica_row *row, struct fabric_interface *iface,
               struct ovsdb_error **errorp)
{
    iface->name = xstrdup(dbmodel_row_string(row, "name"));
    iface->mac = xstrdup(dbmodel_row_string(row, "mac"));
    row_string_set(row, "addresses", &iface->addresses, &iface->n_addresses);
    iface->gateway = row_opt_string(row, "gateway");
    iface->vlan_mode = (!strcmp(dbmodel_row_string(row, "vlan_mode"), "trunk")
                            ? FABRIC_VLAN_TRUNK
                            : FABRIC_VLAN_ACCESS);
    iface->port_security = json_is_true(replica_row_get(row, "port_security"));
    iface->mtu = dbmodel_row_int(row, "mtu");
    iface->iface_id = row_opt_string(row, "iface_id");

    const json_t *routes = replica_row_get(row, "routes");
    size_t n = dbmodel_datum_n(routes);
    iface->routes = xcalloc(n, sizeof *iface->routes);
    for (size_t i = 0; i < n; i++) {
        const json_t *pair = dbmodel_datum_at(routes, i);
        const char *prefix = json_string_value(json_array_get(pair, 0));
        const char *via = json_string_value(json_array_get(pair, 1));
        if (prefix && via) {
            struct fabric_route *route = &iface->routes[iface->n_routes++];
            route->prefix = xstrdup(prefix);
            route->via = xstrdup(via);
        }
    }
    qsort(iface->routes, iface->n_routes, sizeof *iface->routes,
          route_compare);

    if (reader_ref(&rd->networks, row_ref(row, "network"), &iface->network)) {
        goto bad_network;
    }
    const json_t *trunks = replica_row_get(row, "trunks");
    n = dbmodel_datum_n(trunks);
    iface->trunks = xcalloc(n, sizeof *iface->trunks);
    for (size_t i = 0; i < n; i++) {
        const char *uuid = ovsdb_atom_uuid(dbmodel_datum_at(trunks, i));
        if (reader_ref(&rd->networks, uuid, &iface->trunks[iface->n_trunks])) {
            goto bad_network;
        }
        iface->n_trunks++;
    }
    qsort(iface->trunks, iface->n_trunks, sizeof *iface->trunks, size_compare);
    return 0;

bad_network:
    return ovsdb_error_set(
        errorp, ovsdb_error_new(-EPROTO, NULL,
                                "Interface \"%s\" of guest \"%s\" refers to "
                                "a network that is not in the fabric DB.",
                                iface->name, guest));
}

static int
interface_compare(const void *a_, const void *b_)
{
    const struct fabric_interface *a = a_;
    const struct fabric_interface *b = b_;
    return strverscmp(a->name, b->name);
}

static int
read_guest(const struct reader *rd, const struct replica_row *row,
           struct fabric_guest *g, struct ovsdb_error **errorp)
{
    g->name = xstrdup(dbmodel_row_string(row, "name"));
    const char *kind = dbmodel_row_string(row, "kind");
    g->kind = !strcmp(kind, "vm")     ? FABRIC_GUEST_VM
              : !strcmp(kind, "port") ? FABRIC_GUEST_PORT
                                      : FABRIC_GUEST_NETNS;
    read_vm(row, &g->vm);
    row_smap(row, "external_ids", &g->external_ids);
    const char *host = row_ref(row, "host");
    if (reader_ref(&rd->hosts, host, &g->host)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EPROTO, NULL,
                                    "Guest \"%s\" refers to a host that is "
                                    "not in the fabric DB.",
                                    g->name));
    }

    const json_t *ifaces = replica_row_get(row, "interfaces");
    size_t n = dbmodel_datum_n(ifaces);
    g->interfaces = xcalloc(n, sizeof *g->interfaces);
    for (size_t i = 0; i < n; i++) {
        const char *uuid = ovsdb_atom_uuid(dbmodel_datum_at(ifaces, i));
        const struct replica_row *irow =
            uuid ? replica_get(rd->replica, "Guest_Interface", uuid) : NULL;
        if (!irow) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "An interface of guest \"%s\" is "
                                        "not in the fabric DB.",
                                        g->name));
        }
        int error = read_interface(rd, g->name, irow,
                                   &g->interfaces[g->n_interfaces++], errorp);
        if (error) {
            return error;
        }
    }
    qsort(g->interfaces, g->n_interfaces, sizeof *g->interfaces,
          interface_compare);
    return 0;
}

int
dbmodel_read(const struct replica *replica, struct fabric_model **modelp,
             struct ovsdb_error **errorp)
{
    struct dbmodel_view view;
    dbmodel_view_init(&view, replica);
    struct reader rd = {.replica = replica};
    keyed_by_uuid(&view.by_name[DBMODEL_HOST], &rd.hosts);
    keyed_by_uuid(&view.by_name[DBMODEL_NETWORK], &rd.networks);

    struct fabric_model *m = xcalloc(1, sizeof *m);
    m->name =
        xstrdup(view.fabric ? dbmodel_row_string(view.fabric, "name") : "");

    const struct dbmodel_keyed_array *rows = &view.by_name[DBMODEL_HOST];
    m->hosts = xcalloc(rows->n, sizeof *m->hosts);
    for (; m->n_hosts < rows->n; m->n_hosts++) {
        read_host(rows->v[m->n_hosts].row, &m->hosts[m->n_hosts]);
    }

    rows = &view.by_name[DBMODEL_NETWORK];
    m->networks = xcalloc(rows->n, sizeof *m->networks);
    for (; m->n_networks < rows->n; m->n_networks++) {
        read_network(rows->v[m->n_networks].row, &m->networks[m->n_networks]);
    }

    int error = 0;
    rows = &view.by_name[DBMODEL_ROUTER];
    m->routers = xcalloc(rows->n, sizeof *m->routers);
    while (!error && m->n_routers < rows->n) {
        size_t i = m->n_routers++;
        error = read_router(&rd, rows->v[i].row, &m->routers[i], errorp);
    }

    rows = &view.by_name[DBMODEL_GUEST];
    m->guests = xcalloc(rows->n, sizeof *m->guests);
    while (!error && m->n_guests < rows->n) {
        size_t i = m->n_guests++;
        error = read_guest(&rd, rows->v[i].row, &m->guests[i], errorp);
    }

    rows = &view.by_name[DBMODEL_NETWORK];
    for (size_t i = 0; !error && i < m->n_networks; i++) {
        error = read_forwards(rows->v[i].row, m, &m->networks[i], errorp);
        if (!error) {
            error = read_uplinks(rows->v[i].row, m, &m->networks[i], errorp);
        }
    }

    dbmodel_keyed_clear(&rd.hosts);
    dbmodel_keyed_clear(&rd.networks);
    dbmodel_view_destroy(&view);
    if (error) {
        fabric_model_destroy(m);
        return error;
    }
    *modelp = m;
    return 0;
}
