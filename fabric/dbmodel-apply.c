/* dbmodel-apply: building the transaction that applies a model to the
 * fabric DB.  See dbmodel.h for the rules. */
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
#include "replica.h"
#include "txn.h"

static void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

static json_t *
checked(json_t *json)
{
    if (!json) {
        abort();
    }
    return json;
}

/* The apply transaction being built. */
struct builder {
    const struct dbmodel_view *view;
    const struct fabric_model *desired; /* NULL: destroy. */
    struct ovsdb_txn *txn;
    json_t **host_refs;    /* Per desired host: ["uuid", U] for a host in
                            * the database, ["named-uuid", N] for a new
                            * one (new references). */
    json_t **network_refs; /* The same per desired network. */
    char **host_names;     /* Per desired host: its "uuid-name", or NULL
                            * when it already has a row. */
    char **network_names;  /* The same per desired network. */
    unsigned int n_names;  /* Makes every "uuid-name" unique. */
    bool bad_string;       /* A string was not valid UTF-8. */
};

/* Returns a new JSON string for 's' ("" for NULL).  A string that is not
 * valid UTF-8 is replaced by "" and marks the builder as failed. */
static json_t *
jstr(struct builder *b, const char *s)
{
    json_t *json = json_string(s ? s : "");
    if (!json) {
        b->bad_string = true;
        json = checked(json_string(""));
    }
    return json;
}

/* Returns a new datum for optional string 's' (an empty set for NULL). */
static json_t *
jopt(struct builder *b, const char *s)
{
    return s ? jstr(b, s) : ovsdb_set(checked(json_array()));
}

static json_t *
jsmap(struct builder *b, const struct fabric_smap *smap)
{
    json_t *pairs = checked(json_array());
    for (size_t i = 0; i < smap->n; i++) {
        json_t *pair = checked(json_array());
        json_array_append_new(pair, jstr(b, smap->keys[i]));
        json_array_append_new(pair, jstr(b, smap->values[i]));
        json_array_append_new(pairs, pair);
    }
    return ovsdb_map(pairs);
}

/* Sets 'column' of 'row' to 'value' (stolen). */
static void
put(json_t *row, const char *column, json_t *value)
{
    json_object_set_new(row, column, value);
}

/* The columns of a VM's settings (Guest and Router). */
static void
put_vm(struct builder *b, json_t *want, const struct fabric_vm *vm)
{
    put(want, "vcpus", json_integer(vm->vcpus));
    put(want, "memory_mb", json_integer(vm->memory_mb));
    put(want, "image", jopt(b, vm->image));
    put(want, "kernel", jopt(b, vm->kernel));
    put(want, "initrd", jopt(b, vm->initrd));
    put(want, "cmdline", jopt(b, vm->cmdline));
    put(want, "user_data", jopt(b, vm->user_data));
    put(want, "restart", jstr(b, fabric_restart_name(vm->restart)));
}

/* Returns a new "uuid-name" for a new row (the caller frees it). */
static char *
builder_name(struct builder *b, const char *prefix)
{
    char *name;
    if (asprintf(&name, "%s%u", prefix, b->n_names++) < 0) {
        abort();
    }
    return name;
}

/* Inserts 'want' (stolen) into 'table' when 'row' is NULL, or updates the
 * columns of 'row' that differ from 'want'.  Returns true if it added an
 * operation. */
static bool
put_row(struct builder *b, const char *table, const struct replica_row *row,
        json_t *want, const char *uuid_name)
{
    if (!row) {
        ovsdb_txn_insert(b->txn, table, want, uuid_name);
        return true;
    }
    json_t *diff = checked(json_object());
    const char *column;
    json_t *value;
    json_object_foreach(want, column, value)
    {
        if (!ovsdb_datum_equal(replica_row_get(row, column), value)) {
            json_object_set(diff, column, value);
        }
    }
    json_decref(want);
    if (!json_object_size(diff)) {
        json_decref(diff);
        return false;
    }
    ovsdb_txn_update(b->txn, table, ovsdb_where_uuid(row->uuid), diff);
    return true;
}

static void
delete_row(struct builder *b, const char *table, const char *uuid)
{
    ovsdb_txn_delete(b->txn, table, ovsdb_where_uuid(uuid));
}

/* Deletes the rows of 'table' referenced by set 'column' of 'row'. */
static void
delete_children(struct builder *b, const struct replica_row *row,
                const char *column, const char *table)
{
    const json_t *refs = replica_row_get(row, column);
    for (size_t i = 0; i < dbmodel_datum_n(refs); i++) {
        const char *uuid = ovsdb_atom_uuid(dbmodel_datum_at(refs, i));
        if (uuid) {
            delete_row(b, table, uuid);
        }
    }
}

static bool
sync_host(struct builder *b, size_t i, const struct replica_row *row)
{
    const struct fabric_host *h = &b->desired->hosts[i];
    json_t *want = checked(json_object());
    put(want, "name", jstr(b, h->name));
    put(want, "underlay_ip", jopt(b, h->underlay_ip));
    put(want, "encap", jstr(b, h->encap));
    put(want, "underlay_mtu", json_integer(h->underlay_mtu));
    put(want, "external_ids", jsmap(b, &h->external_ids));
    return put_row(b, "Host", row, want, b->host_names[i]);
}

static bool
sync_network(struct builder *b, size_t i, const struct replica_row *row)
{
    const struct fabric_network *n = &b->desired->networks[i];
    json_t *want = checked(json_object());
    put(want, "name", jstr(b, n->name));
    put(want, "subnet", jstr(b, n->subnet));
    put(want, "mode", jstr(b, fabric_net_mode_name(n->mode)));
    put(want, "vlan", json_integer(n->vlan));
    put(want, "vni", json_integer(n->vni));
    put(want, "mtu", json_integer(n->mtu));
    put(want, "gateway", jopt(b, n->gateway));
    put(want, "dhcp", json_boolean(n->dhcp));
    put(want, "host_ip", jopt(b, n->host_ip));
    json_t *forwards = checked(json_array());
    for (size_t k = 0; k < n->n_forwards; k++) {
        char *text = fabric_forward_format(b->desired, &n->forwards[k]);
        json_array_append_new(forwards, jstr(b, text));
        free(text);
    }
    put(want, "forwards", ovsdb_set(forwards));
    json_t *uplinks = checked(json_array());
    for (size_t k = 0; k < n->n_uplinks; k++) {
        char *text = fabric_uplink_format(b->desired, &n->uplinks[k]);
        json_array_append_new(uplinks, jstr(b, text));
        free(text);
    }
    put(want, "uplinks", ovsdb_set(uplinks));
    put(want, "external_ids", jsmap(b, &n->external_ids));
    return put_row(b, "Network", row, want, b->network_names[i]);
}

/* True if the ports of router 'row' are exactly those of 'r'. */
static bool
router_ports_equal(struct builder *b, const struct replica_row *row,
                   const struct fabric_router *r)
{
    const json_t *refs = replica_row_get(row, "ports");
    size_t n = dbmodel_datum_n(refs);
    if (n != r->n_ports) {
        return false;
    }
    bool *used = xcalloc(n, sizeof *used);
    bool equal = true;
    for (size_t i = 0; equal && i < r->n_ports; i++) {
        const struct fabric_router_port *p = &r->ports[i];
        const json_t *network = b->network_refs[p->network];
        equal = false;
        for (size_t j = 0; !equal && j < n; j++) {
            const char *uuid = ovsdb_atom_uuid(dbmodel_datum_at(refs, j));
            const struct replica_row *prow =
                (uuid && !used[j]
                     ? replica_get(b->view->replica, "Router_Port", uuid)
                     : NULL);
            if (prow &&
                ovsdb_datum_equal(replica_row_get(prow, "network"), network) &&
                !strcmp(dbmodel_row_string(prow, "ip"), p->ip ? p->ip : "") &&
                !strcmp(dbmodel_row_string(prow, "mac"),
                        p->mac ? p->mac : "")) {
                used[j] = equal = true;
            }
        }
    }
    free(used);
    return equal;
}

static bool
sync_router(struct builder *b, size_t i, const struct replica_row *row)
{
    const struct fabric_router *r = &b->desired->routers[i];
    json_t *want = checked(json_object());
    put(want, "name", jstr(b, r->name));
    put(want, "kind", jstr(b, fabric_router_kind_name(r->kind)));
    put(want, "host",
        (r->has_host ? json_incref(b->host_refs[r->host])
                     : ovsdb_set(checked(json_array()))));
    put_vm(b, want, &r->vm);
    put(want, "external_ids", jsmap(b, &r->external_ids));

    bool ports_changed = !row || !router_ports_equal(b, row, r);
    if (ports_changed) {
        json_t *refs = checked(json_array());
        for (size_t j = 0; j < r->n_ports; j++) {
            const struct fabric_router_port *p = &r->ports[j];
            json_t *port = checked(json_object());
            put(port, "network", json_incref(b->network_refs[p->network]));
            put(port, "ip", jstr(b, p->ip));
            put(port, "mac", jstr(b, p->mac));
            char *name = builder_name(b, "port");
            ovsdb_txn_insert(b->txn, "Router_Port", port, name);
            json_array_append_new(refs, ovsdb_named_uuid(name));
            free(name);
        }
        put(want, "ports", ovsdb_set(refs));
        if (row) {
            delete_children(b, row, "ports", "Router_Port");
        }
    }
    return put_row(b, "Router", row, want, NULL) || ports_changed;
}

/* Returns a new row for interface 'iface'. */
static json_t *
interface_row(struct builder *b, const struct fabric_interface *iface)
{
    json_t *row = checked(json_object());
    put(row, "name", jstr(b, iface->name));
    put(row, "network", json_incref(b->network_refs[iface->network]));
    put(row, "mac", jstr(b, iface->mac));
    json_t *addresses = checked(json_array());
    for (size_t i = 0; i < iface->n_addresses; i++) {
        json_array_append_new(addresses, jstr(b, iface->addresses[i]));
    }
    put(row, "addresses", ovsdb_set(addresses));
    put(row, "gateway", jopt(b, iface->gateway));
    put(row, "iface_id", jopt(b, iface->iface_id));
    json_t *routes = checked(json_array());
    for (size_t i = 0; i < iface->n_routes; i++) {
        json_t *pair = checked(json_array());
        json_array_append_new(pair, jstr(b, iface->routes[i].prefix));
        json_array_append_new(pair, jstr(b, iface->routes[i].via));
        json_array_append_new(routes, pair);
    }
    put(row, "routes", ovsdb_map(routes));
    put(row, "vlan_mode", jstr(b, fabric_vlan_mode_name(iface->vlan_mode)));
    json_t *trunks = checked(json_array());
    for (size_t i = 0; i < iface->n_trunks; i++) {
        json_array_append(trunks, b->network_refs[iface->trunks[i]]);
    }
    put(row, "trunks", ovsdb_set(trunks));
    put(row, "port_security", json_boolean(iface->port_security));
    put(row, "mtu", json_integer(iface->mtu));
    return row;
}

/* The interface rows of a guest row, for matching by name. */
struct current_interfaces {
    const struct replica_row **rows;
    bool *used;
    size_t n;
};

static void
current_interfaces_init(struct current_interfaces *ci, struct builder *b,
                        const struct replica_row *row)
{
    const json_t *refs = row ? replica_row_get(row, "interfaces") : NULL;
    size_t n = dbmodel_datum_n(refs);
    ci->rows = xcalloc(n, sizeof *ci->rows);
    ci->used = xcalloc(n, sizeof *ci->used);
    ci->n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *uuid = ovsdb_atom_uuid(dbmodel_datum_at(refs, i));
        const struct replica_row *irow =
            (uuid ? replica_get(b->view->replica, "Guest_Interface", uuid)
                  : NULL);
        if (irow) {
            ci->rows[ci->n++] = irow;
        }
    }
}

/* Takes the first unused interface row named 'name', or returns NULL. */
static const struct replica_row *
current_interfaces_take(struct current_interfaces *ci, const char *name)
{
    for (size_t i = 0; i < ci->n; i++) {
        if (!ci->used[i] && !strcmp(dbmodel_row_string(ci->rows[i], "name"),
                                    name ? name : "")) {
            ci->used[i] = true;
            return ci->rows[i];
        }
    }
    return NULL;
}

static void
current_interfaces_destroy(struct current_interfaces *ci)
{
    free(ci->rows);
    free(ci->used);
}

static bool
sync_guest(struct builder *b, size_t i, const struct replica_row *row)
{
    const struct fabric_guest *g = &b->desired->guests[i];
    json_t *want = checked(json_object());
    put(want, "name", jstr(b, g->name));
    put(want, "host", json_incref(b->host_refs[g->host]));
    put(want, "kind", jstr(b, fabric_guest_kind_name(g->kind)));
    put_vm(b, want, &g->vm);
    put(want, "external_ids", jsmap(b, &g->external_ids));

    /* Interfaces: matched by name, updated in place, so that the status
     * the agent wrote on an unchanged interface stays. */
    struct current_interfaces ci;
    current_interfaces_init(&ci, b, row);
    bool set_changed = !row;
    bool interfaces_changed = false;
    json_t *refs = checked(json_array());
    for (size_t j = 0; j < g->n_interfaces; j++) {
        const struct fabric_interface *iface = &g->interfaces[j];
        const struct replica_row *irow =
            current_interfaces_take(&ci, iface->name);
        if (irow) {
            interfaces_changed |= put_row(b, "Guest_Interface", irow,
                                          interface_row(b, iface), NULL);
            json_array_append_new(refs, ovsdb_uuid(irow->uuid));
        } else {
            char *name = builder_name(b, "iface");
            ovsdb_txn_insert(b->txn, "Guest_Interface",
                             interface_row(b, iface), name);
            json_array_append_new(refs, ovsdb_named_uuid(name));
            free(name);
            set_changed = true;
        }
    }
    for (size_t j = 0; j < ci.n; j++) {
        if (!ci.used[j]) {
            delete_row(b, "Guest_Interface", ci.rows[j]->uuid);
            set_changed = true;
        }
    }
    current_interfaces_destroy(&ci);
    if (set_changed) {
        put(want, "interfaces", ovsdb_set(refs));
    } else {
        json_decref(refs);
    }

    return put_row(b, "Guest", row, want, NULL) || interfaces_changed;
}

static void
delete_object(struct builder *b, enum dbmodel_root root,
              const struct replica_row *row)
{
    if (root == DBMODEL_ROUTER) {
        delete_children(b, row, "ports", "Router_Port");
    } else if (root == DBMODEL_GUEST) {
        delete_children(b, row, "interfaces", "Guest_Interface");
    }
    delete_row(b, dbmodel_root_tables[root], row->uuid);
}

/* The desired objects of one kind, and how to write one. */
struct kind {
    enum dbmodel_root root;
    size_t (*count)(const struct fabric_model *);
    const char *(*name)(const struct fabric_model *, size_t i);
    bool (*sync)(struct builder *, size_t i, const struct replica_row *);
};

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

static const struct kind kinds[DBMODEL_N_ROOTS] = {
    {DBMODEL_HOST, count_hosts, name_host, sync_host},
    {DBMODEL_NETWORK, count_networks, name_network, sync_network},
    {DBMODEL_ROUTER, count_routers, name_router, sync_router},
    {DBMODEL_GUEST, count_guests, name_guest, sync_guest},
};

/* Writes every object of 'kind' and deletes the rows without a desired
 * object.  Returns the number of objects changed. */
static size_t
sync_kind(struct builder *b, const struct kind *kind)
{
    const struct dbmodel_keyed_array *rows = &b->view->by_name[kind->root];
    size_t n = b->desired ? kind->count(b->desired) : 0;
    struct dbmodel_keyed_array wanted = {xcalloc(n, sizeof *wanted.v), n};
    size_t changed = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = kind->name(b->desired, i);
        wanted.v[i] = (struct dbmodel_keyed){name ? name : "", i, NULL};
        const struct dbmodel_keyed *k =
            dbmodel_keyed_find(rows, wanted.v[i].key);
        changed += kind->sync(b, i, k ? k->row : NULL);
    }
    dbmodel_keyed_sort(&wanted);
    for (size_t i = 0; i < rows->n; i++) {
        const struct replica_row *row = rows->v[i].row;
        bool keep = ((kind->root == DBMODEL_HOST &&
                      dbmodel_row_int(row, "heartbeat") != 0) ||
                     dbmodel_keyed_find(&wanted, rows->v[i].key));
        if (!keep) {
            delete_object(b, kind->root, row);
            changed++;
        }
    }
    dbmodel_keyed_clear(&wanted);
    return changed;
}

/* Returns true if every reference in 'm' is in range. */
static bool
model_refs_valid(const struct fabric_model *m)
{
    for (size_t i = 0; i < m->n_routers; i++) {
        const struct fabric_router *r = &m->routers[i];
        if (r->has_host && r->host >= m->n_hosts) {
            return false;
        }
        for (size_t j = 0; j < r->n_ports; j++) {
            if (r->ports[j].network >= m->n_networks) {
                return false;
            }
        }
    }
    for (size_t i = 0; i < m->n_guests; i++) {
        const struct fabric_guest *g = &m->guests[i];
        if (g->host >= m->n_hosts) {
            return false;
        }
        for (size_t j = 0; j < g->n_interfaces; j++) {
            const struct fabric_interface *iface = &g->interfaces[j];
            if (iface->network >= m->n_networks) {
                return false;
            }
            for (size_t k = 0; k < iface->n_trunks; k++) {
                if (iface->trunks[k] >= m->n_networks) {
                    return false;
                }
            }
        }
    }
    return true;
}

/* Fills the references to the desired objects of 'root' ('n' of them,
 * named by 'name'). */
static void
make_refs(struct builder *b, enum dbmodel_root root, size_t n,
          const char *(*name)(const struct fabric_model *, size_t),
          json_t ***refsp, char ***namesp)
{
    json_t **refs = xcalloc(n, sizeof *refs);
    char **names = xcalloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++) {
        const char *s = name(b->desired, i);
        const struct dbmodel_keyed *k =
            dbmodel_keyed_find(&b->view->by_name[root], s ? s : "");
        if (k) {
            refs[i] = ovsdb_uuid(k->row->uuid);
        } else {
            names[i] =
                builder_name(b, (root == DBMODEL_HOST ? "host" : "net"));
            refs[i] = ovsdb_named_uuid(names[i]);
        }
    }
    *refsp = refs;
    *namesp = names;
}

static void
free_refs(json_t **refs, char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(refs[i]);
        free(names[i]);
    }
    free(refs);
    free(names);
}

int
dbmodel_build_apply(const struct replica *current,
                    const struct fabric_model *desired, struct ovsdb_txn *txn,
                    long long *new_generationp)
{
    if (desired && !model_refs_valid(desired)) {
        return -EINVAL;
    }

    struct dbmodel_view view;
    dbmodel_view_init(&view, current);
    long long generation =
        (view.fabric ? dbmodel_row_int(view.fabric, "generation") : 0);

    /* Wait until the Fabric table holds exactly what was read: one row
     * with 'generation', or no row at all.  "rows" is compared with the
     * result of selecting 'columns' of every row (empty "where"). */
    json_t *rows = checked(json_array());
    if (view.fabric) {
        json_array_append_new(
            rows, json_pack("{s:I}", "generation", (json_int_t)generation));
    }
    ovsdb_txn_wait(txn, "Fabric", checked(json_array()),
                   json_pack("[s]", "generation"), "==", rows, 0);

    struct builder b = {
        .view = &view,
        .desired = desired,
        .txn = txn,
    };
    size_t n_hosts = desired ? desired->n_hosts : 0;
    size_t n_networks = desired ? desired->n_networks : 0;
    make_refs(&b, DBMODEL_HOST, n_hosts, name_host, &b.host_refs,
              &b.host_names);
    make_refs(&b, DBMODEL_NETWORK, n_networks, name_network, &b.network_refs,
              &b.network_names);

    size_t changed = 0;
    for (int k = 0; k < DBMODEL_N_ROOTS; k++) {
        changed += sync_kind(&b, &kinds[k]);
    }

    /* The lab: its name, and the generation that every change bumps. */
    const char *name = desired && desired->name ? desired->name : "";
    const char *old_name =
        (view.fabric ? dbmodel_row_string(view.fabric, "name") : "");
    if (strcmp(name, old_name)) {
        changed++;
    }
    long long new_generation = generation;
    if (changed) {
        new_generation = generation + 1;
        json_t *row = checked(json_object());
        put(row, "generation", json_integer(new_generation));
        if (strcmp(name, old_name) || !view.fabric) {
            put(row, "name", jstr(&b, name));
        }
        if (view.fabric) {
            ovsdb_txn_update(txn, "Fabric",
                             ovsdb_where_uuid(view.fabric->uuid), row);
        } else {
            ovsdb_txn_insert(txn, "Fabric", row, NULL);
        }
    }

    free_refs(b.host_refs, b.host_names, n_hosts);
    free_refs(b.network_refs, b.network_names, n_networks);
    dbmodel_view_destroy(&view);
    if (b.bad_string) {
        return -EINVAL;
    }
    *new_generationp = new_generation;
    return changed;
}
