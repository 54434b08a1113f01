/* ovs-bridge: see ovs-bridge.h for the rules.
 *
 * Notes on this implementation:
 * - A build first indexes the replica (bridges, ports and interfaces by
 *   name, and each port's bridge and each interface's port by UUID, in
 *   sorted arrays searched by bisection), then checks the desired bridge
 *   and every conflict before it adds any operation, so that an error
 *   leaves 'txn' as it was.
 * - Desired column values are built as JSON objects and compared with the
 *   row's datums by ovsdb_datum_equal(); an "update" carries exactly the
 *   columns that compared unequal.
 * - Maps are written with their keys sorted (a later duplicate key of a
 *   'struct fabric_smap' replaces an earlier one), so that the JSON of a
 *   transaction does not depend on the order the caller added keys in.
 */
#include "ovs-bridge.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "datum.h"
#include "ovsdb-error.h"
#include "replica.h"
#include "txn.h"

#define OVSB_NAME_MAX 15 /* IFNAMSIZ - 1. */

const char *const ovsb_tables[] = {"Open_vSwitch", "Bridge", "Port",
                                   "Interface", NULL};

/* Memory. */

static void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        abort();
    }
    return p;
}

static void *
xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        abort();
    }
    return p;
}

static char *
xstrdup(const char *s)
{
    return s ? strcpy(xmalloc(strlen(s) + 1), s) : NULL;
}

/* Returns 'json' (a new reference) and aborts if jansson ran out of
 * memory. */
static json_t *
checked(json_t *json)
{
    if (!json) {
        abort();
    }
    return json;
}

/* Desired bridges. */

struct ovsb_bridge *
ovsb_bridge_create(const char *name, const char *datapath_type,
                   const char *fail_mode)
{
    struct ovsb_bridge *bridge = xmalloc(sizeof *bridge);
    memset(bridge, 0, sizeof *bridge);
    bridge->name = xstrdup(name);
    bridge->datapath_type = xstrdup(datapath_type);
    bridge->fail_mode = xstrdup(fail_mode);
    return bridge;
}

struct ovsb_port *
ovsb_bridge_add_port(struct ovsb_bridge *bridge, const char *name,
                     const char *type, int tag)
{
    bridge->ports = xrealloc(bridge->ports,
                             (bridge->n_ports + 1) * sizeof *bridge->ports);
    struct ovsb_port *port = &bridge->ports[bridge->n_ports++];
    memset(port, 0, sizeof *port);
    port->name = xstrdup(name);
    port->type = xstrdup(type);
    port->tag = tag;
    return port;
}

void
ovsb_bridge_free(struct ovsb_bridge *bridge)
{
    if (!bridge) {
        return;
    }
    for (size_t i = 0; i < bridge->n_ports; i++) {
        struct ovsb_port *port = &bridge->ports[i];
        free(port->name);
        free(port->type);
        fabric_smap_clear(&port->options);
        fabric_smap_clear(&port->external_ids);
    }
    free(bridge->ports);
    free(bridge->name);
    free(bridge->datapath_type);
    free(bridge->fail_mode);
    free(bridge);
}

/* Reading rows. */

/* String column 'column' of 'row', or "" when absent. */
static const char *
row_string(const struct replica_row *row, const char *column)
{
    const char *s = json_string_value(replica_row_get(row, column));
    return s ? s : "";
}

/* Value of 'key' in map column 'column' of 'row', or NULL. */
static const char *
row_map_get(const struct replica_row *row, const char *column,
            const char *key)
{
    return json_string_value(ovsdb_map_get(replica_row_get(row, column),
                                           key));
}

static bool
row_owned(const struct replica_row *row, const char *owner)
{
    const char *value = row ? row_map_get(row, "external_ids",
                                          OVSB_OWNER_KEY)
                            : NULL;
    return value && !strcmp(value, owner);
}

/* The only element of optional column 'column' of 'row' ('*valuep'),
 * or false when the column is empty or absent. */
static bool
row_optional(const struct replica_row *row, const char *column,
             const json_t **valuep)
{
    const json_t *datum = replica_row_get(row, column);
    if (!datum) {
        return false;
    }
    json_t *elems = checked(ovsdb_set_elements(datum));
    bool found = json_array_size(elems) == 1;
    if (found) {
        /* The element is held by 'datum' too, which 'row' keeps. */
        *valuep = json_array_get(elems, 0);
    }
    json_decref(elems);
    return found;
}

/* A sorted index of rows. */

struct entry {
    const char *key;                  /* Name or UUID (borrowed). */
    const struct replica_row *row;
    const struct replica_row *parent; /* Bridge of a port, port of an
                                       * interface, or NULL. */
};

struct index {
    struct entry *v;
    size_t n, allocated;
};

static void
index_add(struct index *index, const char *key,
          const struct replica_row *row, const struct replica_row *parent)
{
    if (index->n == index->allocated) {
        index->allocated = index->allocated ? 2 * index->allocated : 16;
        index->v = xrealloc(index->v, index->allocated * sizeof *index->v);
    }
    index->v[index->n++] = (struct entry){key, row, parent};
}

static int
entry_compare(const void *a_, const void *b_)
{
    const struct entry *a = a_, *b = b_;
    return strcmp(a->key, b->key);
}

static void
index_sort(struct index *index)
{
    if (index->n) {
        qsort(index->v, index->n, sizeof *index->v, entry_compare);
    }
}

static const struct entry *
index_find(const struct index *index, const char *key)
{
    if (!index->n || !key) {
        return NULL;
    }
    struct entry probe = {key, NULL, NULL};
    return bsearch(&probe, index->v, index->n, sizeof *index->v,
                   entry_compare);
}

static void
index_destroy(struct index *index)
{
    free(index->v);
    memset(index, 0, sizeof *index);
}

/* Rows of 'table' referenced by UUID set column 'column' of 'row', in
 * 'index' (by UUID, with 'row' as parent).  Dangling references are
 * skipped. */
static void
index_refs(struct index *index, const struct replica *ovs,
           const struct replica_row *row, const char *column,
           const char *table)
{
    const json_t *datum = replica_row_get(row, column);
    if (!datum) {
        return;
    }
    json_t *elems = checked(ovsdb_set_elements(datum));
    size_t i;
    json_t *atom;
    json_array_foreach (elems, i, atom) {
        const struct replica_row *child =
            replica_get(ovs, table, ovsdb_atom_uuid(atom));
        if (child) {
            index_add(index, child->uuid, child, row);
        }
    }
    json_decref(elems);
}

/* The build context. */

struct ctx {
    const struct replica *ovs;
    const char *owner;
    struct ovsdb_txn *txn;
    const struct replica_row *root; /* The Open_vSwitch row, or NULL. */
    struct index bridges;           /* By name. */
    struct index ports;             /* By name, parent = bridge. */
    struct index ifaces;            /* By name, parent = port. */
    struct index port_bridge;       /* By port UUID, parent = bridge. */
    struct index iface_port;        /* By interface UUID, parent = port. */
};

static void
ctx_init(struct ctx *ctx, const struct replica *ovs, const char *owner,
         struct ovsdb_txn *txn)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->ovs = ovs;
    ctx->owner = owner;
    ctx->txn = txn;

    size_t iter = 0;
    ctx->root = replica_next(ovs, "Open_vSwitch", &iter);

    const struct replica_row *row;
    iter = 0;
    while ((row = replica_next(ovs, "Bridge", &iter))) {
        index_add(&ctx->bridges, row_string(row, "name"), row, NULL);
        index_refs(&ctx->port_bridge, ovs, row, "ports", "Port");
    }
    index_sort(&ctx->bridges);
    index_sort(&ctx->port_bridge);

    iter = 0;
    while ((row = replica_next(ovs, "Port", &iter))) {
        const struct entry *b = index_find(&ctx->port_bridge, row->uuid);
        index_add(&ctx->ports, row_string(row, "name"), row,
                  b ? b->parent : NULL);
        index_refs(&ctx->iface_port, ovs, row, "interfaces", "Interface");
    }
    index_sort(&ctx->ports);
    index_sort(&ctx->iface_port);

    iter = 0;
    while ((row = replica_next(ovs, "Interface", &iter))) {
        const struct entry *p = index_find(&ctx->iface_port, row->uuid);
        index_add(&ctx->ifaces, row_string(row, "name"), row,
                  p ? p->parent : NULL);
    }
    index_sort(&ctx->ifaces);
}

static void
ctx_destroy(struct ctx *ctx)
{
    index_destroy(&ctx->bridges);
    index_destroy(&ctx->ports);
    index_destroy(&ctx->ifaces);
    index_destroy(&ctx->port_bridge);
    index_destroy(&ctx->iface_port);
}

static const struct replica_row *
ctx_bridge(const struct ctx *ctx, const char *name)
{
    const struct entry *e = index_find(&ctx->bridges, name);
    return e ? e->row : NULL;
}

static int
row_name_compare(const void *a_, const void *b_)
{
    const struct replica_row *const *a = a_, *const *b = b_;
    return strcmp(row_string(*a, "name"), row_string(*b, "name"));
}

/* Returns a new array of the rows of 'table' that set column 'column' of
 * 'row' references, sorted by name, and their number in '*np'. */
static const struct replica_row **
child_rows(const struct ctx *ctx, const struct replica_row *row,
           const char *column, const char *table, size_t *np)
{
    struct index refs = {NULL, 0, 0};
    index_refs(&refs, ctx->ovs, row, column, table);
    const struct replica_row **rows = xmalloc(refs.n * sizeof *rows);
    for (size_t i = 0; i < refs.n; i++) {
        rows[i] = refs.v[i].row;
    }
    if (refs.n) {
        qsort(rows, refs.n, sizeof *rows, row_name_compare);
    }
    *np = refs.n;
    index_destroy(&refs);
    return rows;
}

/* True if some port on 'bridge' is not owned. */
static bool
bridge_has_foreign(const struct ctx *ctx, const struct replica_row *bridge)
{
    size_t n;
    const struct replica_row **ports = child_rows(ctx, bridge, "ports",
                                                  "Port", &n);
    bool foreign = false;
    for (size_t i = 0; i < n && !foreign; i++) {
        foreign = !row_owned(ports[i], ctx->owner);
    }
    free(ports);
    return foreign;
}

/* Desired values. */

struct pair {
    const char *key, *value;
    size_t order;
};

static int
pair_compare(const void *a_, const void *b_)
{
    const struct pair *a = a_, *b = b_;
    int cmp = strcmp(a->key, b->key);
    return cmp ? cmp : (a->order < b->order ? -1 : a->order > b->order);
}

/* Returns a new map datum of 'smap' (may be NULL) with its keys sorted, a
 * later duplicate key replacing an earlier one, plus 'owner_key' =
 * 'owner' when 'owner' is nonnull (replacing any such key of 'smap'). */
static json_t *
smap_datum(const struct fabric_smap *smap, const char *owner_key,
           const char *owner)
{
    size_t n = smap ? smap->n : 0;
    struct pair *pairs = xmalloc((n + 1) * sizeof *pairs);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!owner || strcmp(smap->keys[i], owner_key)) {
            pairs[k] = (struct pair){smap->keys[i], smap->values[i], i};
            k++;
        }
    }
    if (owner) {
        pairs[k] = (struct pair){owner_key, owner, n};
        k++;
    }
    if (k) {
        qsort(pairs, k, sizeof *pairs, pair_compare);
    }
    json_t *array = checked(json_array());
    for (size_t i = 0; i < k; i++) {
        if (i + 1 < k && !strcmp(pairs[i].key, pairs[i + 1].key)) {
            continue;
        }
        json_array_append_new(array, checked(json_pack("[s s]", pairs[i].key,
                                                       pairs[i].value)));
    }
    free(pairs);
    return checked(ovsdb_map(array));
}

/* Returns a new datum for an optional integer: empty when 'value' is 0. */
static json_t *
optional_int(int value)
{
    return value ? checked(json_integer(value))
                 : checked(ovsdb_set(checked(json_array())));
}

/* Returns a new datum for an optional string: empty when 'value' is
 * NULL. */
static json_t *
optional_string(const char *value)
{
    return value ? checked(json_string(value))
                 : checked(ovsdb_set(checked(json_array())));
}

/* The Interface columns this module manages, as a new object. */
static json_t *
want_iface(const struct ovsb_port *port, const char *owner)
{
    struct fabric_smap bfd = {NULL, NULL, 0};
    char *enable_key = "enable", *enable_value = "true";
    if (port->bfd) {
        bfd = (struct fabric_smap){&enable_key, &enable_value, 1};
    }
    return checked(json_pack(
        "{s:s, s:o, s:o, s:o, s:o}", "type", port->type ? port->type : "",
        "options", smap_datum(&port->options, NULL, NULL), "external_ids",
        smap_datum(&port->external_ids, OVSB_OWNER_KEY, owner), "bfd",
        smap_datum(&bfd, NULL, NULL), "mtu_request",
        optional_int(port->mtu_request)));
}

/* The Port columns this module manages, as a new object. */
static json_t *
want_port(const struct ovsb_port *port, const char *owner)
{
    return checked(json_pack("{s:o, s:o}", "tag", optional_int(port->tag),
                             "external_ids",
                             smap_datum(NULL, OVSB_OWNER_KEY, owner)));
}

/* The Bridge columns this module manages, as a new object. */
static json_t *
want_bridge(const struct ovsb_bridge *bridge, const char *owner)
{
    return checked(json_pack(
        "{s:s, s:o, s:o}", "datapath_type",
        bridge->datapath_type ? bridge->datapath_type : "", "fail_mode",
        optional_string(bridge->fail_mode), "external_ids",
        smap_datum(NULL, OVSB_OWNER_KEY, owner)));
}

/* Operations. */

/* Adds an "update" of 'row' in 'table' with the columns of 'want' (stolen)
 * whose value differs from the row's, if any. */
static void
update_diff(struct ctx *ctx, const char *table, const struct replica_row *row,
            json_t *want)
{
    json_t *diff = checked(json_object());
    const char *column;
    json_t *value;
    json_object_foreach (want, column, value) {
        if (!ovsdb_datum_equal(replica_row_get(row, column), value)) {
            json_object_set(diff, column, value);
        }
    }
    json_decref(want);
    if (json_object_size(diff)) {
        ovsdb_txn_update(ctx->txn, table, ovsdb_where_uuid(row->uuid), diff);
    } else {
        json_decref(diff);
    }
}

static void
delete_row(struct ctx *ctx, const char *table, const struct replica_row *row)
{
    ovsdb_txn_delete(ctx->txn, table, ovsdb_where_uuid(row->uuid));
}

/* Deletes 'port' and its owned interfaces (the others go with the port by
 * garbage collection); the caller removes the reference to it. */
static void
delete_port(struct ctx *ctx, const struct replica_row *port)
{
    size_t n;
    const struct replica_row **ifaces = child_rows(ctx, port, "interfaces",
                                                   "Interface", &n);
    for (size_t i = 0; i < n; i++) {
        if (row_owned(ifaces[i], ctx->owner)) {
            delete_row(ctx, "Interface", ifaces[i]);
        }
    }
    free(ifaces);
    delete_row(ctx, "Port", port);
}

/* Removes from 'row' (an object of column -> datum about to be inserted)
 * the columns that hold an empty string, set or map, which is what a
 * column the insert leaves out gets anyway. */
static json_t *
drop_empty(json_t *row)
{
    const char *column;
    json_t *value, *tmp;
    json_object_foreach_safe (row, tmp, column, value) {
        bool empty;
        if (json_is_string(value)) {
            empty = !json_string_length(value);
        } else {
            json_t *elems = checked(ovsdb_set_elements(value));
            empty = !json_array_size(elems);
            json_decref(elems);
        }
        if (empty) {
            json_object_del(row, column);
        }
    }
    return row;
}

/* Inserts a Port and an Interface named 'name' as 'port' describes them,
 * with named UUIDs "port<suffix>" and "iface<suffix>"; appends the Port's
 * named UUID to 'refs'. */
static void
insert_port(struct ctx *ctx, const char *name, const struct ovsb_port *port,
            const char *suffix, json_t *refs)
{
    char port_id[32], iface_id[32];
    snprintf(port_id, sizeof port_id, "port%s", suffix);
    snprintf(iface_id, sizeof iface_id, "iface%s", suffix);

    json_t *iface_row = want_iface(port, ctx->owner);
    json_object_set_new(iface_row, "name", checked(json_string(name)));
    ovsdb_txn_insert(ctx->txn, "Interface", drop_empty(iface_row),
                     iface_id);

    json_t *port_row = want_port(port, ctx->owner);
    json_object_set_new(port_row, "name", checked(json_string(name)));
    json_object_set_new(port_row, "interfaces",
                        checked(ovsdb_named_uuid(iface_id)));
    ovsdb_txn_insert(ctx->txn, "Port", drop_empty(port_row), port_id);
    json_array_append_new(refs, checked(ovsdb_named_uuid(port_id)));
}

/* Adds a "mutate" of 'row' in 'table' that inserts the references in
 * 'insert' into its set column 'column' and deletes those in 'delete'
 * (both arrays of UUID atoms, stolen), unless both are empty. */
static void
mutate_refs(struct ctx *ctx, const char *table, const struct replica_row *row,
            const char *column, json_t *insert, json_t *delete)
{
    json_t *mutations = checked(json_array());
    if (json_array_size(insert)) {
        json_array_append_new(mutations,
                              checked(ovsdb_mutation(column, "insert",
                                                     ovsdb_set(insert))));
    } else {
        json_decref(insert);
    }
    if (json_array_size(delete)) {
        json_array_append_new(mutations,
                              checked(ovsdb_mutation(column, "delete",
                                                     ovsdb_set(delete))));
    } else {
        json_decref(delete);
    }
    if (json_array_size(mutations)) {
        ovsdb_txn_mutate(ctx->txn, table, ovsdb_where_uuid(row->uuid),
                         mutations);
    } else {
        json_decref(mutations);
    }
}

/* The desired bridge's own internal port. */
static const struct ovsb_port bridge_port = {.type = "internal"};

/* Named UUID suffix of desired port 'i', or "br" for the bridge's own
 * port (i == SIZE_MAX). */
static void
port_suffix(size_t i, char *buf, size_t size)
{
    if (i == SIZE_MAX) {
        snprintf(buf, size, "br");
    } else {
        snprintf(buf, size, "%zu", i);
    }
}

/* Removes owned bridge 'bridge', which is not desired: all of it when
 * every port on it is owned, else its owned ports but its own.  Appends
 * the bridge's UUID to 'root_delete' when it goes. */
static void
remove_bridge(struct ctx *ctx, const struct replica_row *bridge,
              json_t *root_delete)
{
    const char *name = row_string(bridge, "name");
    bool keep = bridge_has_foreign(ctx, bridge);
    size_t n;
    const struct replica_row **ports = child_rows(ctx, bridge, "ports",
                                                  "Port", &n);
    json_t *refs = checked(json_array());
    for (size_t i = 0; i < n; i++) {
        if (row_owned(ports[i], ctx->owner)
            && !(keep && !strcmp(row_string(ports[i], "name"), name))) {
            delete_port(ctx, ports[i]);
            json_array_append_new(refs, checked(ovsdb_uuid(ports[i]->uuid)));
        }
    }
    free(ports);
    if (keep) {
        mutate_refs(ctx, "Bridge", bridge, "ports", checked(json_array()),
                    refs);
    } else {
        json_decref(refs);
        delete_row(ctx, "Bridge", bridge);
        json_array_append_new(root_delete, checked(ovsdb_uuid(bridge->uuid)));
    }
}

/* Creates the desired bridge with its ports; appends its named UUID to
 * 'root_insert'. */
static void
create_bridge(struct ctx *ctx, const struct ovsb_bridge *desired,
              json_t *root_insert)
{
    json_t *refs = checked(json_array());
    insert_port(ctx, desired->name, &bridge_port, "br", refs);
    for (size_t i = 0; i < desired->n_ports; i++) {
        const struct ovsb_port *port = &desired->ports[i];
        if (port->name) {
            char suffix[32];
            port_suffix(i, suffix, sizeof suffix);
            insert_port(ctx, port->name, port, suffix, refs);
        }
    }
    json_t *row = want_bridge(desired, ctx->owner);
    json_object_set_new(row, "name", checked(json_string(desired->name)));
    json_object_set_new(row, "ports", checked(ovsdb_set(refs)));
    ovsdb_txn_insert(ctx->txn, "Bridge", drop_empty(row), "bridge");
    json_array_append_new(root_insert, checked(ovsdb_named_uuid("bridge")));
}

/* Port UUIDs already matched to a desired port. */
struct claimed {
    const char **uuids;
    size_t n;
};

static bool
is_claimed(const struct claimed *claimed, const struct replica_row *port)
{
    for (size_t i = 0; i < claimed->n; i++) {
        if (!strcmp(claimed->uuids[i], port->uuid)) {
            return true;
        }
    }
    return false;
}

/* True if owned 'port' is exactly what "add-port" would make: one owned
 * interface of the port's own name. */
static bool
port_is_whole(const struct ctx *ctx, const struct replica_row *port,
              const struct replica_row **ifacep)
{
    size_t n;
    const struct replica_row **ifaces = child_rows(ctx, port, "interfaces",
                                                   "Interface", &n);
    bool whole = n == 1 && row_owned(ifaces[0], ctx->owner)
                 && !strcmp(row_string(ifaces[0], "name"),
                            row_string(port, "name"));
    if (whole) {
        *ifacep = ifaces[0];
    }
    free(ifaces);
    return whole;
}

/* Makes named desired port 'port' (index 'i', SIZE_MAX for the bridge's
 * own) right on existing owned bridge 'bridge'. */
static void
sync_named_port(struct ctx *ctx, const struct replica_row *bridge,
                const char *name, const struct ovsb_port *port, size_t i,
                struct claimed *claimed, json_t *refs_insert,
                json_t *refs_delete)
{
    char suffix[32];
    port_suffix(i, suffix, sizeof suffix);

    const struct entry *e = index_find(&ctx->ports, name);
    if (!e || e->parent != bridge) {
        insert_port(ctx, name, port, suffix, refs_insert);
        return;
    }
    /* The conflict check made sure that this port is owned. */
    claimed->uuids[claimed->n++] = e->row->uuid;
    const struct replica_row *iface;
    if (port_is_whole(ctx, e->row, &iface)) {
        update_diff(ctx, "Interface", iface, want_iface(port, ctx->owner));
        update_diff(ctx, "Port", e->row, want_port(port, ctx->owner));
    } else {
        delete_port(ctx, e->row);
        json_array_append_new(refs_delete, checked(ovsdb_uuid(e->row->uuid)));
        insert_port(ctx, name, port, suffix, refs_insert);
    }
}

/* The port on 'bridge' that is not claimed yet and has an interface with
 * external_ids:iface-id 'iface_id', the first by name, or NULL. */
static const struct replica_row *
find_bound_port(const struct ctx *ctx, const struct replica_row *bridge,
                const char *iface_id, const struct claimed *claimed)
{
    size_t n;
    const struct replica_row **ports = child_rows(ctx, bridge, "ports",
                                                  "Port", &n);
    const struct replica_row *found = NULL;
    for (size_t i = 0; i < n && !found; i++) {
        if (is_claimed(claimed, ports[i])) {
            continue;
        }
        size_t n_ifaces;
        const struct replica_row **ifaces =
            child_rows(ctx, ports[i], "interfaces", "Interface", &n_ifaces);
        for (size_t j = 0; j < n_ifaces && !found; j++) {
            const char *id = row_map_get(ifaces[j], "external_ids",
                                         "iface-id");
            if (id && !strcmp(id, iface_id)) {
                found = ports[i];
            }
        }
        free(ifaces);
    }
    free(ports);
    return found;
}

/* Binds desired port 'port' (without a name) on existing owned bridge
 * 'bridge' to the port carrying its iface-id, if there is one. */
static void
sync_bound_port(struct ctx *ctx, const struct replica_row *bridge,
                const struct ovsb_port *port, struct claimed *claimed)
{
    const char *iface_id = fabric_smap_get(&port->external_ids, "iface-id");
    const struct replica_row *row = find_bound_port(ctx, bridge, iface_id,
                                                    claimed);
    if (!row) {
        return;
    }
    const char *owner = row_map_get(row, "external_ids", OVSB_OWNER_KEY);
    if (owner && strcmp(owner, ctx->owner)) {
        return;
    }
    claimed->uuids[claimed->n++] = row->uuid;
    update_diff(ctx, "Port", row,
                checked(json_pack("{s:o}", "tag", optional_int(port->tag))));
    if (!owner) {
        json_t *mark = checked(json_pack("[[s s]]", OVSB_OWNER_KEY,
                                         ctx->owner));
        ovsdb_txn_mutate(ctx->txn, "Port", ovsdb_where_uuid(row->uuid),
                         checked(json_pack("[o]",
                                           ovsdb_mutation("external_ids",
                                                          "insert",
                                                          ovsdb_map(mark)))));
    }
}

/* Makes existing owned bridge 'bridge' match 'desired'. */
static void
sync_bridge(struct ctx *ctx, const struct replica_row *bridge,
            const struct ovsb_bridge *desired)
{
    update_diff(ctx, "Bridge", bridge, want_bridge(desired, ctx->owner));

    struct claimed claimed;
    claimed.uuids = xmalloc((desired->n_ports + 1) * sizeof *claimed.uuids);
    claimed.n = 0;
    json_t *refs_insert = checked(json_array());
    json_t *refs_delete = checked(json_array());

    sync_named_port(ctx, bridge, desired->name, &bridge_port, SIZE_MAX,
                    &claimed, refs_insert, refs_delete);
    for (size_t i = 0; i < desired->n_ports; i++) {
        const struct ovsb_port *port = &desired->ports[i];
        if (port->name) {
            sync_named_port(ctx, bridge, port->name, port, i, &claimed,
                            refs_insert, refs_delete);
        }
    }
    for (size_t i = 0; i < desired->n_ports; i++) {
        const struct ovsb_port *port = &desired->ports[i];
        if (!port->name) {
            sync_bound_port(ctx, bridge, port, &claimed);
        }
    }

    /* Owned ports that no desired port claimed go. */
    size_t n;
    const struct replica_row **ports = child_rows(ctx, bridge, "ports",
                                                  "Port", &n);
    for (size_t i = 0; i < n; i++) {
        if (row_owned(ports[i], ctx->owner)
            && !is_claimed(&claimed, ports[i])) {
            delete_port(ctx, ports[i]);
            json_array_append_new(refs_delete,
                                  checked(ovsdb_uuid(ports[i]->uuid)));
        }
    }
    free(ports);
    free(claimed.uuids);
    mutate_refs(ctx, "Bridge", bridge, "ports", refs_insert, refs_delete);
}

/* Checks. */

static bool
name_ok(const char *name)
{
    return name && name[0] && strlen(name) <= OVSB_NAME_MAX;
}

/* Checks that 'desired' is valid. */
static int
check_desired(const struct ovsb_bridge *desired, const char *owner,
              struct ovsdb_error **errorp)
{
    if (!owner || !owner[0]) {
        return ovsdb_error_set(errorp, ovsdb_error_new(
            -EINVAL, NULL, "The owner of an integration bridge must not be "
            "empty."));
    }
    if (!desired) {
        return 0;
    }
    if (!name_ok(desired->name)) {
        return ovsdb_error_set(errorp, ovsdb_error_new(
            -EINVAL, NULL, "Bridge name \"%s\" is empty or longer than %d "
            "bytes.", desired->name ? desired->name : "", OVSB_NAME_MAX));
    }
    for (size_t i = 0; i < desired->n_ports; i++) {
        const struct ovsb_port *p = &desired->ports[i];
        const char *id = fabric_smap_get(&p->external_ids, "iface-id");
        const char *label = p->name ? p->name : id ? id : "";
        if (p->name && !name_ok(p->name)) {
            return ovsdb_error_set(errorp, ovsdb_error_new(
                -EINVAL, NULL, "Port name \"%s\" on bridge %s is empty or "
                "longer than %d bytes.", p->name, desired->name,
                OVSB_NAME_MAX));
        }
        if (!p->name && !id) {
            return ovsdb_error_set(errorp, ovsdb_error_new(
                -EINVAL, NULL, "Port %zu of bridge %s has neither a name "
                "nor an iface-id.", i, desired->name));
        }
        if (p->tag < 0 || p->tag > 4095) {
            return ovsdb_error_set(errorp, ovsdb_error_new(
                -EINVAL, NULL, "Port %s on bridge %s has VLAN tag %d, "
                "outside 0 to 4095.", label, desired->name, p->tag));
        }
        if (p->mtu_request < 0) {
            return ovsdb_error_set(errorp, ovsdb_error_new(
                -EINVAL, NULL, "Port %s on bridge %s has a negative MTU.",
                label, desired->name));
        }
        if (p->name && !strcmp(p->name, desired->name)) {
            return ovsdb_error_set(errorp, ovsdb_error_new(
                -EINVAL, NULL, "Port %s has the name of its bridge, which "
                "is the bridge's own internal port.", p->name));
        }
        for (size_t j = 0; j < i; j++) {
            const struct ovsb_port *q = &desired->ports[j];
            const char *qid = fabric_smap_get(&q->external_ids, "iface-id");
            if ((p->name && q->name && !strcmp(p->name, q->name))
                || (!p->name && !q->name && !strcmp(id, qid))) {
                return ovsdb_error_set(errorp, ovsdb_error_new(
                    -EINVAL, NULL, "Bridge %s has two ports %s.",
                    desired->name, label));
            }
        }
    }
    return 0;
}

/* True if port 'e' (owned, on owned bridge 'e->parent') goes away or is
 * taken over by the desired bridge 'ours' (NULL when none). */
static bool
port_yields(const struct ctx *ctx, const struct entry *e,
            const struct replica_row *ours)
{
    const struct replica_row *bridge = e->parent;
    if (!row_owned(e->row, ctx->owner) || !row_owned(bridge, ctx->owner)) {
        return false;
    }
    /* An owned bridge that is not desired keeps its own port while a
     * foreign port sits on it. */
    return bridge == ours || strcmp(e->key, row_string(bridge, "name"))
           || !bridge_has_foreign(ctx, bridge);
}

/* Checks that no row that is not owned holds the name of port 'name' of
 * the desired bridge 'ours' (NULL when it is to be created). */
static int
check_port_name(const struct ctx *ctx, const char *name,
                const struct replica_row *ours, struct ovsdb_error **errorp)
{
    const struct entry *e = index_find(&ctx->ports, name);
    if (e && (!e->parent || !port_yields(ctx, e, ours))) {
        return ovsdb_error_set(errorp, ovsdb_error_new(
            -EEXIST, NULL, "Port %s already exists on bridge %s and is not "
            "owned by %s.", name,
            e->parent ? row_string(e->parent, "name") : "(none)",
            ctx->owner));
    }
    e = index_find(&ctx->ifaces, name);
    if (e) {
        const struct entry *port = e->parent
            ? index_find(&ctx->ports, row_string(e->parent, "name"))
            : NULL;
        if (!port || !port->parent || !row_owned(port->row, ctx->owner)
            || !row_owned(port->parent, ctx->owner)) {
            return ovsdb_error_set(errorp, ovsdb_error_new(
                -EEXIST, NULL, "Interface %s already exists and is not "
                "owned by %s.", name, ctx->owner));
        }
    }
    return 0;
}

/* Checks that 'desired' can be built without touching rows that are not
 * owned. */
static int
check_conflicts(const struct ctx *ctx, const struct ovsb_bridge *desired,
                struct ovsdb_error **errorp)
{
    if (!desired) {
        return 0;
    }
    const struct replica_row *ours = ctx_bridge(ctx, desired->name);
    if (ours && !row_owned(ours, ctx->owner)) {
        return ovsdb_error_set(errorp, ovsdb_error_new(
            -EEXIST, NULL, "Bridge %s already exists and is not owned by "
            "%s.", desired->name, ctx->owner));
    }
    int error = check_port_name(ctx, desired->name, ours, errorp);
    for (size_t i = 0; !error && i < desired->n_ports; i++) {
        if (desired->ports[i].name) {
            error = check_port_name(ctx, desired->ports[i].name, ours,
                                    errorp);
        }
    }
    return error;
}

/* The build. */

int
ovsb_build_txn(const struct replica *ovs, const struct ovsb_bridge *desired,
               const char *owner, struct ovsdb_txn *txn,
               struct ovsdb_error **errorp)
{
    int error = check_desired(desired, owner, errorp);
    if (error) {
        return error;
    }

    struct ctx ctx;
    ctx_init(&ctx, ovs, owner, txn);
    error = check_conflicts(&ctx, desired, errorp);
    if (error) {
        ctx_destroy(&ctx);
        return error;
    }

    size_t n_before = ovsdb_txn_n_ops(txn);
    json_t *root_insert = checked(json_array());
    json_t *root_delete = checked(json_array());

    /* Owned bridges that are not desired, by name. */
    for (size_t i = 0; i < ctx.bridges.n; i++) {
        const struct entry *e = &ctx.bridges.v[i];
        if (row_owned(e->row, owner)
            && (!desired || strcmp(e->key, desired->name))) {
            remove_bridge(&ctx, e->row, root_delete);
        }
    }

    if (desired) {
        const struct replica_row *bridge = ctx_bridge(&ctx, desired->name);
        if (bridge) {
            sync_bridge(&ctx, bridge, desired);
        } else {
            create_bridge(&ctx, desired, root_insert);
        }
    }

    if (ctx.root) {
        mutate_refs(&ctx, "Open_vSwitch", ctx.root, "bridges", root_insert,
                    root_delete);
    } else {
        if (json_array_size(root_insert)) {
            ovsdb_txn_insert(txn, "Open_vSwitch",
                             checked(json_pack("{s:o}", "bridges",
                                               ovsdb_set(root_insert))),
                             NULL);
        } else {
            json_decref(root_insert);
        }
        json_decref(root_delete);
    }

    ctx_destroy(&ctx);
    return (int)(ovsdb_txn_n_ops(txn) - n_before);
}

/* Lookups. */

const struct replica_row *
ovsb_find_iface_by_id(const struct replica *ovs, const char *iface_id)
{
    const struct replica_row *found = NULL, *row;
    size_t iter = 0;
    while ((row = replica_next(ovs, "Interface", &iter))) {
        const char *id = row_map_get(row, "external_ids", "iface-id");
        if (id && !strcmp(id, iface_id)
            && (!found || strcmp(row_string(row, "name"),
                                 row_string(found, "name")) < 0)) {
            found = row;
        }
    }
    return found;
}

/* Status. */

/* A new copy of the value of 'key' in map column 'column' of 'row', or
 * NULL. */
static char *
map_dup(const struct replica_row *row, const char *column, const char *key)
{
    return xstrdup(row_map_get(row, column, key));
}

/* A new copy of optional string column 'column' of 'row', or NULL. */
static char *
optional_dup(const struct replica_row *row, const char *column)
{
    const json_t *value;
    return row_optional(row, column, &value)
               ? xstrdup(json_string_value(value))
               : NULL;
}

static int
status_compare(const void *a_, const void *b_)
{
    const struct ovsb_iface_status *a = a_, *b = b_;
    return strcmp(a->name, b->name);
}

int
ovsb_status(const struct replica *ovs, const char *bridge,
            struct ovsb_iface_status **statusp, size_t *np)
{
    struct ctx ctx;
    ctx_init(&ctx, ovs, "", NULL);
    const struct replica_row *br = ctx_bridge(&ctx, bridge);
    if (!br) {
        ctx_destroy(&ctx);
        return -ENOENT;
    }

    struct ovsb_iface_status *status = NULL;
    size_t n = 0;
    size_t n_ports;
    const struct replica_row **ports = child_rows(&ctx, br, "ports", "Port",
                                                  &n_ports);
    for (size_t i = 0; i < n_ports; i++) {
        size_t n_ifaces;
        const struct replica_row **ifaces =
            child_rows(&ctx, ports[i], "interfaces", "Interface", &n_ifaces);
        status = xrealloc(status, (n + n_ifaces) * sizeof *status);
        for (size_t j = 0; j < n_ifaces; j++) {
            const struct replica_row *iface = ifaces[j];
            struct ovsb_iface_status *s = &status[n++];
            const json_t *ofport;
            s->name = xstrdup(row_string(iface, "name"));
            s->ofport = row_optional(iface, "ofport", &ofport)
                            ? json_integer_value(ofport)
                            : 0;
            s->link_state = optional_dup(iface, "link_state");
            s->bfd_state = map_dup(iface, "bfd_status", "state");
            s->bfd_diagnostic = map_dup(iface, "bfd_status", "diagnostic");
            s->error = optional_dup(iface, "error");
            s->iface_id = map_dup(iface, "external_ids", "iface-id");
        }
        free(ifaces);
    }
    free(ports);
    ctx_destroy(&ctx);

    if (n) {
        qsort(status, n, sizeof *status, status_compare);
    }
    *statusp = status;
    *np = n;
    return 0;
}

void
ovsb_status_free(struct ovsb_iface_status *status, size_t n)
{
    if (!status) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(status[i].name);
        free(status[i].link_state);
        free(status[i].bfd_state);
        free(status[i].bfd_diagnostic);
        free(status[i].error);
        free(status[i].iface_id);
    }
    free(status);
}

int
ovsb_foreign_ports(const struct replica *ovs, const char *bridge,
                   const char *owner, char ***namesp, size_t *np)
{
    struct ctx ctx;
    ctx_init(&ctx, ovs, owner, NULL);
    const struct replica_row *br = ctx_bridge(&ctx, bridge);
    if (!br) {
        ctx_destroy(&ctx);
        return -ENOENT;
    }
    size_t n_ports, n = 0;
    const struct replica_row **ports = child_rows(&ctx, br, "ports", "Port",
                                                  &n_ports);
    char **names = xmalloc(n_ports * sizeof *names);
    for (size_t i = 0; i < n_ports; i++) {
        if (!row_owned(ports[i], owner)) {
            names[n++] = xstrdup(row_string(ports[i], "name"));
        }
    }
    free(ports);
    ctx_destroy(&ctx);
    *namesp = names;
    *np = n;
    return 0;
}
