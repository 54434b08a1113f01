/* ovs-bridge: see ovs-bridge.h for the rules.
 *
 * Notes on this implementation:
 * - A build first indexes the replica (ovs-bridge-read.c), then checks
 *   the desired bridge and every conflict before it adds any operation,
 *   so that an error leaves 'txn' as it was.
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
#include "ovs-bridge-private.h"
#include "ovsdb-error.h"
#include "replica.h"
#include "txn.h"

#define OVSB_NAME_MAX 15 /* IFNAMSIZ - 1. */

/* Desired bridges. */

struct ovsb_bridge *
ovsb_bridge_create(const char *name, const char *datapath_type,
                   const char *fail_mode)
{
    struct ovsb_bridge *bridge = ovsb_xmalloc(sizeof *bridge);
    memset(bridge, 0, sizeof *bridge);
    bridge->name = ovsb_xstrdup(name);
    bridge->datapath_type = ovsb_xstrdup(datapath_type);
    bridge->fail_mode = ovsb_xstrdup(fail_mode);
    return bridge;
}

struct ovsb_port *
ovsb_bridge_add_port(struct ovsb_bridge *bridge, const char *name,
                     const char *type, int tag)
{
    bridge->ports = ovsb_xrealloc(bridge->ports, (bridge->n_ports + 1) *
                                                     sizeof *bridge->ports);
    struct ovsb_port *port = &bridge->ports[bridge->n_ports++];
    memset(port, 0, sizeof *port);
    port->name = ovsb_xstrdup(name);
    port->type = ovsb_xstrdup(type);
    port->tag = tag;
    return port;
}

void
ovsb_bridge_truncate_ports(struct ovsb_bridge *bridge, size_t n)
{
    for (size_t i = n; i < bridge->n_ports; i++) {
        struct ovsb_port *port = &bridge->ports[i];
        free(port->name);
        free(port->type);
        fabric_smap_clear(&port->options);
        fabric_smap_clear(&port->external_ids);
    }
    if (n < bridge->n_ports) {
        bridge->n_ports = n;
    }
}

void
ovsb_bridge_free(struct ovsb_bridge *bridge)
{
    if (!bridge) {
        return;
    }
    ovsb_bridge_truncate_ports(bridge, 0);
    free(bridge->ports);
    free(bridge->name);
    free(bridge->datapath_type);
    free(bridge->fail_mode);
    free(bridge);
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
    struct pair *pairs = ovsb_xmalloc((n + 1) * sizeof *pairs);
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
    json_t *array = ovsb_checked(json_array());
    for (size_t i = 0; i < k; i++) {
        if (i + 1 < k && !strcmp(pairs[i].key, pairs[i + 1].key)) {
            continue;
        }
        json_array_append_new(
            array,
            ovsb_checked(json_pack("[s s]", pairs[i].key, pairs[i].value)));
    }
    free(pairs);
    return ovsb_checked(ovsdb_map(array));
}

/* Returns a new datum for an optional integer: empty when 'value' is 0. */
static json_t *
optional_int(int value)
{
    return value ? ovsb_checked(json_integer(value))
                 : ovsb_checked(ovsdb_set(ovsb_checked(json_array())));
}

/* Returns a new datum for an optional string: empty when 'value' is
 * NULL. */
static json_t *
optional_string(const char *value)
{
    return value ? ovsb_checked(json_string(value))
                 : ovsb_checked(ovsdb_set(ovsb_checked(json_array())));
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
    return ovsb_checked(json_pack(
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
    return ovsb_checked(json_pack("{s:o, s:b, s:o}", "tag",
                                  optional_int(port->tag), "protected",
                                  port->protected_, "external_ids",
                                  smap_datum(NULL, OVSB_OWNER_KEY, owner)));
}

/* The Bridge columns this module manages, as a new object. */
static json_t *
want_bridge(const struct ovsb_bridge *bridge, const char *owner)
{
    return ovsb_checked(
        json_pack("{s:s, s:o, s:o}", "datapath_type",
                  bridge->datapath_type ? bridge->datapath_type : "",
                  "fail_mode", optional_string(bridge->fail_mode),
                  "external_ids", smap_datum(NULL, OVSB_OWNER_KEY, owner)));
}

/* Operations. */

/* Adds an "update" of 'row' in 'table' with the columns of 'want' (stolen)
 * whose value differs from the row's, if any. */
static void
update_diff(struct ovsb_ctx *ctx, const char *table,
            const struct replica_row *row, json_t *want)
{
    json_t *diff = ovsb_checked(json_object());
    const char *column;
    json_t *value;
    json_object_foreach(want, column, value)
    {
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
delete_row(struct ovsb_ctx *ctx, const char *table,
           const struct replica_row *row)
{
    ovsdb_txn_delete(ctx->txn, table, ovsdb_where_uuid(row->uuid));
}

/* Adds an insertion (or, with 'insert' false, a deletion) of the pair
 * 'key'='value' in the external_ids of Port 'row'. */
static void
mutate_port_key(struct ovsb_ctx *ctx, const struct replica_row *row,
                const char *key, const char *value, bool insert)
{
    json_t *pair = ovsb_checked(json_pack("[[s s]]", key, value));
    ovsdb_txn_mutate(
        ctx->txn, "Port", ovsdb_where_uuid(row->uuid),
        ovsb_checked(json_pack(
            "[o]", ovsdb_mutation("external_ids", insert ? "insert" : "delete",
                                  ovsdb_map(pair)))));
}

/* True if Port 'row' was adopted by this owner. */
static bool
port_adopted(const struct ovsb_ctx *ctx, const struct replica_row *row)
{
    const char *bound = ovsb_row_map_get(row, "external_ids", OVSB_BOUND_KEY);
    return bound && !strcmp(bound, ctx->owner) &&
           !ovsb_row_map_get(row, "external_ids", OVSB_OWNER_KEY);
}

/* Gives adopted Port 'row' back: no tag, no fabric-bound. */
static void
release_port(struct ovsb_ctx *ctx, const struct replica_row *row)
{
    update_diff(ctx, "Port", row,
                ovsb_checked(json_pack("{s:o}", "tag", optional_int(0))));
    mutate_port_key(ctx, row, OVSB_BOUND_KEY, ctx->owner, false);
}

/* Deletes 'port' and its owned interfaces (the others go with the port by
 * garbage collection); the caller removes the reference to it. */
static void
delete_port(struct ovsb_ctx *ctx, const struct replica_row *port)
{
    size_t n;
    const struct replica_row **ifaces =
        ovsb_child_rows(ctx, port, "interfaces", "Interface", &n);
    for (size_t i = 0; i < n; i++) {
        if (ovsb_row_owned(ifaces[i], ctx->owner)) {
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
    json_object_foreach_safe(row, tmp, column, value)
    {
        bool empty;
        if (json_is_string(value)) {
            empty = !json_string_length(value);
        } else {
            json_t *elems = ovsb_checked(ovsdb_set_elements(value));
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
insert_port(struct ovsb_ctx *ctx, const char *name,
            const struct ovsb_port *port, const char *suffix, json_t *refs)
{
    char port_id[32], iface_id[32];
    snprintf(port_id, sizeof port_id, "port%s", suffix);
    snprintf(iface_id, sizeof iface_id, "iface%s", suffix);

    json_t *iface_row = want_iface(port, ctx->owner);
    json_object_set_new(iface_row, "name", ovsb_checked(json_string(name)));
    ovsdb_txn_insert(ctx->txn, "Interface", drop_empty(iface_row), iface_id);

    json_t *port_row = want_port(port, ctx->owner);
    json_object_set_new(port_row, "name", ovsb_checked(json_string(name)));
    json_object_set_new(port_row, "interfaces",
                        ovsb_checked(ovsdb_named_uuid(iface_id)));
    ovsdb_txn_insert(ctx->txn, "Port", drop_empty(port_row), port_id);
    json_array_append_new(refs, ovsb_checked(ovsdb_named_uuid(port_id)));
}

/* Adds a "mutate" of 'row' in 'table' that inserts the references in
 * 'insert' into its set column 'column' and deletes those in 'delete'
 * (both arrays of UUID atoms, stolen), unless both are empty. */
static void
mutate_refs(struct ovsb_ctx *ctx, const char *table,
            const struct replica_row *row, const char *column, json_t *insert,
            json_t *delete)
{
    json_t *mutations = ovsb_checked(json_array());
    if (json_array_size(insert)) {
        json_array_append_new(
            mutations,
            ovsb_checked(ovsdb_mutation(column, "insert", ovsdb_set(insert))));
    } else {
        json_decref(insert);
    }
    if (json_array_size(delete)) {
        json_array_append_new(
            mutations,
            ovsb_checked(ovsdb_mutation(column, "delete", ovsdb_set(delete))));
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
remove_bridge(struct ovsb_ctx *ctx, const struct replica_row *bridge,
              json_t *root_delete)
{
    const char *name = ovsb_row_string(bridge, "name");
    bool keep = ovsb_bridge_has_foreign(ctx, bridge);
    size_t n;
    const struct replica_row **ports =
        ovsb_child_rows(ctx, bridge, "ports", "Port", &n);
    json_t *refs = ovsb_checked(json_array());
    for (size_t i = 0; i < n; i++) {
        if (ovsb_row_owned(ports[i], ctx->owner) &&
            !(keep && !strcmp(ovsb_row_string(ports[i], "name"), name))) {
            delete_port(ctx, ports[i]);
            json_array_append_new(refs,
                                  ovsb_checked(ovsdb_uuid(ports[i]->uuid)));
        } else if (port_adopted(ctx, ports[i])) {
            release_port(ctx, ports[i]);
        }
    }
    free(ports);
    if (keep) {
        mutate_refs(ctx, "Bridge", bridge, "ports", ovsb_checked(json_array()),
                    refs);
    } else {
        json_decref(refs);
        delete_row(ctx, "Bridge", bridge);
        json_array_append_new(root_delete,
                              ovsb_checked(ovsdb_uuid(bridge->uuid)));
    }
}

/* Creates the desired bridge with its ports; appends its named UUID to
 * 'root_insert'. */
static void
create_bridge(struct ovsb_ctx *ctx, const struct ovsb_bridge *desired,
              json_t *root_insert)
{
    json_t *refs = ovsb_checked(json_array());
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
    json_object_set_new(row, "name", ovsb_checked(json_string(desired->name)));
    json_object_set_new(row, "ports", ovsb_checked(ovsdb_set(refs)));
    ovsdb_txn_insert(ctx->txn, "Bridge", drop_empty(row), "bridge");
    json_array_append_new(root_insert,
                          ovsb_checked(ovsdb_named_uuid("bridge")));
}

/* The ports on the bridge being synchronized, sorted by name, each with a
 * flag that says whether a desired port claimed it, and the iface-ids of
 * their interfaces, sorted, for binding. */
struct bridge_ports {
    const struct replica_row **rows;
    const char **names; /* Name of each row (borrowed). */
    bool *claimed;
    size_t n;
    struct bound_id *ids;
    size_t n_ids;
};

/* An iface-id on an interface of bridge_ports.rows['port']. */
struct bound_id {
    const char *iface_id;
    size_t port;
};

static int
bound_id_compare(const void *a_, const void *b_)
{
    const struct bound_id *a = a_, *b = b_;
    int cmp = strcmp(a->iface_id, b->iface_id);
    return cmp ? cmp : (a->port < b->port ? -1 : a->port > b->port);
}

static void
bridge_ports_init(struct bridge_ports *bp, const struct ovsb_ctx *ctx,
                  const struct replica_row *bridge, bool with_ids)
{
    memset(bp, 0, sizeof *bp);
    bp->rows = ovsb_child_rows(ctx, bridge, "ports", "Port", &bp->n);
    bp->names = ovsb_xmalloc(bp->n * sizeof *bp->names);
    bp->claimed = ovsb_xmalloc(bp->n * sizeof *bp->claimed);
    for (size_t i = 0; i < bp->n; i++) {
        bp->names[i] = ovsb_row_string(bp->rows[i], "name");
        bp->claimed[i] = false;
    }
    if (!with_ids) {
        return;
    }
    size_t allocated = 0;
    for (size_t i = 0; i < bp->n; i++) {
        size_t n_ifaces;
        const struct replica_row **ifaces = ovsb_child_rows(
            ctx, bp->rows[i], "interfaces", "Interface", &n_ifaces);
        for (size_t j = 0; j < n_ifaces; j++) {
            const char *id =
                ovsb_row_map_get(ifaces[j], "external_ids", "iface-id");
            const char *owner =
                ovsb_row_map_get(ifaces[j], "external_ids", OVSB_OWNER_KEY);
            if (!id || (owner && !strcmp(owner, ctx->owner))) {
                /* An interface we made by name is never another
                 * program's port (a guest that became a VM leaves its
                 * namespace's port, with the same iface-id, to delete). */
                continue;
            }
            if (bp->n_ids == allocated) {
                allocated = allocated ? 2 * allocated : 16;
                bp->ids = ovsb_xrealloc(bp->ids, allocated * sizeof *bp->ids);
            }
            bp->ids[bp->n_ids++] = (struct bound_id){id, i};
        }
        free(ifaces);
    }
    if (bp->n_ids) {
        qsort(bp->ids, bp->n_ids, sizeof *bp->ids, bound_id_compare);
    }
}

static void
bridge_ports_destroy(struct bridge_ports *bp)
{
    free(bp->rows);
    free(bp->names);
    free(bp->claimed);
    free(bp->ids);
}

/* Marks 'port' (a port on the bridge) as claimed. */
static void
bridge_ports_claim(struct bridge_ports *bp, const struct replica_row *port)
{
    const char *name = ovsb_row_string(port, "name");
    size_t lo = 0, hi = bp->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(bp->names[mid], name);
        if (!cmp) {
            bp->claimed[mid] = true;
            return;
        } else if (cmp < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
}

/* The index in bp->rows of the first port by name, not claimed yet, with
 * an interface whose external_ids:iface-id is 'iface_id', or SIZE_MAX. */
static size_t
bridge_ports_find_id(const struct bridge_ports *bp, const char *iface_id)
{
    size_t lo = 0, hi = bp->n_ids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(bp->ids[mid].iface_id, iface_id) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (; lo < bp->n_ids && !strcmp(bp->ids[lo].iface_id, iface_id); lo++) {
        if (!bp->claimed[bp->ids[lo].port]) {
            return bp->ids[lo].port;
        }
    }
    return SIZE_MAX;
}

/* True if owned 'port' is exactly what "add-port" would make: one owned
 * interface of the port's own name. */
static bool
port_is_whole(const struct ovsb_ctx *ctx, const struct replica_row *port,
              const struct replica_row **ifacep)
{
    size_t n;
    const struct replica_row **ifaces =
        ovsb_child_rows(ctx, port, "interfaces", "Interface", &n);
    bool whole = n == 1 && ovsb_row_owned(ifaces[0], ctx->owner) &&
                 !strcmp(ovsb_row_string(ifaces[0], "name"),
                         ovsb_row_string(port, "name"));
    if (whole) {
        *ifacep = ifaces[0];
    }
    free(ifaces);
    return whole;
}

/* Makes named desired port 'port' (index 'i', SIZE_MAX for the bridge's
 * own) right on existing owned bridge 'bridge'. */
static void
sync_named_port(struct ovsb_ctx *ctx, const struct replica_row *bridge,
                const char *name, const struct ovsb_port *port, size_t i,
                struct bridge_ports *bp, json_t *refs_insert,
                json_t *refs_delete)
{
    char suffix[32];
    port_suffix(i, suffix, sizeof suffix);

    const struct ovsb_entry *e = ovsb_index_find(&ctx->ports, name);
    if (!e || e->parent != bridge) {
        insert_port(ctx, name, port, suffix, refs_insert);
        return;
    }
    /* The conflict check made sure that this port is owned. */
    bridge_ports_claim(bp, e->row);
    const struct replica_row *iface;
    if (port_is_whole(ctx, e->row, &iface)) {
        update_diff(ctx, "Interface", iface, want_iface(port, ctx->owner));
        update_diff(ctx, "Port", e->row, want_port(port, ctx->owner));
    } else {
        delete_port(ctx, e->row);
        json_array_append_new(refs_delete,
                              ovsb_checked(ovsdb_uuid(e->row->uuid)));
        insert_port(ctx, name, port, suffix, refs_insert);
    }
}

/* Binds desired port 'port' (without a name) on the bridge to the port
 * carrying its iface-id, if there is one. */
static void
sync_bound_port(struct ovsb_ctx *ctx, const struct ovsb_port *port,
                struct bridge_ports *bp)
{
    const char *iface_id = fabric_smap_get(&port->external_ids, "iface-id");
    size_t i = bridge_ports_find_id(bp, iface_id);
    if (i == SIZE_MAX) {
        return;
    }
    const struct replica_row *row = bp->rows[i];
    const char *owner = ovsb_row_map_get(row, "external_ids", OVSB_OWNER_KEY);
    const char *bound = ovsb_row_map_get(row, "external_ids", OVSB_BOUND_KEY);
    if ((owner && strcmp(owner, ctx->owner)) ||
        (bound && strcmp(bound, ctx->owner))) {
        return;
    }
    bp->claimed[i] = true;
    if (port->tag == OVSB_TAG_LATER) {
        return;
    }
    update_diff(
        ctx, "Port", row,
        ovsb_checked(json_pack("{s:o}", "tag", optional_int(port->tag))));
    if (port->adopt && !owner && !bound) {
        mutate_port_key(ctx, row, OVSB_BOUND_KEY, ctx->owner, true);
    } else if (!port->adopt && !owner) {
        mutate_port_key(ctx, row, OVSB_OWNER_KEY, ctx->owner, true);
    }
}

/* Makes existing owned bridge 'bridge' match 'desired'. */
static void
sync_bridge(struct ovsb_ctx *ctx, const struct replica_row *bridge,
            const struct ovsb_bridge *desired)
{
    update_diff(ctx, "Bridge", bridge, want_bridge(desired, ctx->owner));

    bool binds = false;
    for (size_t i = 0; i < desired->n_ports && !binds; i++) {
        binds = !desired->ports[i].name;
    }
    struct bridge_ports bp;
    bridge_ports_init(&bp, ctx, bridge, binds);
    json_t *refs_insert = ovsb_checked(json_array());
    json_t *refs_delete = ovsb_checked(json_array());

    sync_named_port(ctx, bridge, desired->name, &bridge_port, SIZE_MAX, &bp,
                    refs_insert, refs_delete);
    for (size_t i = 0; i < desired->n_ports; i++) {
        const struct ovsb_port *port = &desired->ports[i];
        if (port->name) {
            sync_named_port(ctx, bridge, port->name, port, i, &bp, refs_insert,
                            refs_delete);
        }
    }
    for (size_t i = 0; i < desired->n_ports; i++) {
        const struct ovsb_port *port = &desired->ports[i];
        if (!port->name) {
            sync_bound_port(ctx, port, &bp);
        }
    }

    /* Owned ports that no desired port claimed go; adopted ones are
     * given back. */
    for (size_t i = 0; i < bp.n; i++) {
        if (!bp.claimed[i] && ovsb_row_owned(bp.rows[i], ctx->owner)) {
            delete_port(ctx, bp.rows[i]);
            json_array_append_new(refs_delete,
                                  ovsb_checked(ovsdb_uuid(bp.rows[i]->uuid)));
        } else if (!bp.claimed[i] && port_adopted(ctx, bp.rows[i])) {
            release_port(ctx, bp.rows[i]);
        }
    }
    bridge_ports_destroy(&bp);
    mutate_refs(ctx, "Bridge", bridge, "ports", refs_insert, refs_delete);
}

/* Checks. */

static bool
name_ok(const char *name)
{
    return name && name[0] && strlen(name) <= OVSB_NAME_MAX;
}

/* A desired port's key for finding duplicates: its name, or (kind 1) its
 * iface-id. */
struct port_key {
    int kind;
    const char *key;
};

static int
port_key_compare(const void *a_, const void *b_)
{
    const struct port_key *a = a_, *b = b_;
    return a->kind != b->kind ? a->kind - b->kind : strcmp(a->key, b->key);
}

/* Checks that no two ports of 'desired' have one name, or one iface-id
 * when they bind by iface-id. */
static int
check_duplicates(const struct ovsb_bridge *desired,
                 struct ovsdb_error **errorp)
{
    size_t n = desired->n_ports;
    struct port_key *keys = ovsb_xmalloc(n * sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        const struct ovsb_port *p = &desired->ports[i];
        keys[i] = p->name
                      ? (struct port_key){0, p->name}
                      : (struct port_key){
                            1, fabric_smap_get(&p->external_ids, "iface-id")};
    }
    if (n) {
        qsort(keys, n, sizeof *keys, port_key_compare);
    }
    int error = 0;
    for (size_t i = 1; i < n && !error; i++) {
        if (!port_key_compare(&keys[i - 1], &keys[i])) {
            error = ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EINVAL, NULL, "Bridge %s has two ports %s.",
                                desired->name, keys[i].key));
        }
    }
    free(keys);
    return error;
}

/* Checks that 'desired' is valid. */
static int
check_desired(const struct ovsb_bridge *desired, const char *owner,
              struct ovsdb_error **errorp)
{
    if (!owner || !owner[0]) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-EINVAL, NULL,
                            "The owner of an integration bridge must not be "
                            "empty."));
    }
    if (!desired) {
        return 0;
    }
    if (!name_ok(desired->name)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(
                        -EINVAL, NULL,
                        "Bridge name \"%s\" is empty or longer than %d "
                        "bytes.",
                        desired->name ? desired->name : "", OVSB_NAME_MAX));
    }
    for (size_t i = 0; i < desired->n_ports; i++) {
        const struct ovsb_port *p = &desired->ports[i];
        const char *id = fabric_smap_get(&p->external_ids, "iface-id");
        const char *label = p->name ? p->name : id ? id : "";
        if (p->name && !name_ok(p->name)) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EINVAL, NULL,
                                "Port name \"%s\" on bridge %s is empty or "
                                "longer than %d bytes.",
                                p->name, desired->name, OVSB_NAME_MAX));
        }
        if (!p->name && !id) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EINVAL, NULL,
                                "Port %zu of bridge %s has neither a name "
                                "nor an iface-id.",
                                i, desired->name));
        }
        if ((p->tag < 0 || p->tag > 4095) &&
            !(p->adopt && p->tag == OVSB_TAG_LATER)) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EINVAL, NULL,
                                "Port %s on bridge %s has VLAN tag %d, "
                                "outside 0 to 4095.",
                                label, desired->name, p->tag));
        }
        if (p->mtu_request < 0) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EINVAL, NULL,
                                "Port %s on bridge %s has a negative MTU.",
                                label, desired->name));
        }
        if (p->name && !strcmp(p->name, desired->name)) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EINVAL, NULL,
                                "Port %s has the name of its bridge, which "
                                "is the bridge's own internal port.",
                                p->name));
        }
    }
    return check_duplicates(desired, errorp);
}

/* True if port 'e' (owned, on owned bridge 'e->parent') goes away or is
 * taken over by the desired bridge 'ours' (NULL when none). */
static bool
port_yields(const struct ovsb_ctx *ctx, const struct ovsb_entry *e,
            const struct replica_row *ours)
{
    const struct replica_row *bridge = e->parent;
    if (!ovsb_row_owned(e->row, ctx->owner) ||
        !ovsb_row_owned(bridge, ctx->owner)) {
        return false;
    }
    /* An owned bridge that is not desired keeps its own port while a
     * foreign port sits on it. */
    return bridge == ours || strcmp(e->key, ovsb_row_string(bridge, "name")) ||
           !ovsb_bridge_has_foreign(ctx, bridge);
}

/* Checks that no row that is not owned holds the name of port 'name' of
 * the desired bridge 'ours' (NULL when it is to be created). */
static int
check_port_name(const struct ovsb_ctx *ctx, const char *name,
                const struct replica_row *ours, struct ovsdb_error **errorp)
{
    const struct ovsb_entry *e = ovsb_index_find(&ctx->ports, name);
    if (e && (!e->parent || !port_yields(ctx, e, ours))) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-EEXIST, NULL,
                            "Port %s already exists on bridge %s and is not "
                            "owned by %s.",
                            name,
                            e->parent ? ovsb_row_string(e->parent, "name")
                                      : "(none)",
                            ctx->owner));
    }
    e = ovsb_index_find(&ctx->ifaces, name);
    if (e) {
        const struct ovsb_entry *port =
            e->parent ? ovsb_index_find(&ctx->ports,
                                        ovsb_row_string(e->parent, "name"))
                      : NULL;
        if (!port || !port->parent || !ovsb_row_owned(port->row, ctx->owner) ||
            !ovsb_row_owned(port->parent, ctx->owner)) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EEXIST, NULL,
                                "Interface %s already exists and is not "
                                "owned by %s.",
                                name, ctx->owner));
        }
    }
    return 0;
}

/* Checks that 'desired' can be built without touching rows that are not
 * owned. */
static int
check_conflicts(const struct ovsb_ctx *ctx, const struct ovsb_bridge *desired,
                struct ovsdb_error **errorp)
{
    if (!desired) {
        return 0;
    }
    const struct replica_row *ours = ovsb_ctx_bridge(ctx, desired->name);
    if (ours && !ovsb_row_owned(ours, ctx->owner)) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-EEXIST, NULL,
                            "Bridge %s already exists and is not owned by "
                            "%s.",
                            desired->name, ctx->owner));
    }
    int error = check_port_name(ctx, desired->name, ours, errorp);
    for (size_t i = 0; !error && i < desired->n_ports; i++) {
        if (desired->ports[i].name) {
            error = check_port_name(ctx, desired->ports[i].name, ours, errorp);
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

    struct ovsb_ctx ctx;
    ovsb_ctx_init(&ctx, ovs, owner, txn);
    error = check_conflicts(&ctx, desired, errorp);
    if (error) {
        ovsb_ctx_destroy(&ctx);
        return error;
    }

    size_t n_before = ovsdb_txn_n_ops(txn);
    json_t *root_insert = ovsb_checked(json_array());
    json_t *root_delete = ovsb_checked(json_array());

    /* Owned bridges that are not desired, by name. */
    for (size_t i = 0; i < ctx.bridges.n; i++) {
        const struct ovsb_entry *e = &ctx.bridges.v[i];
        if (ovsb_row_owned(e->row, owner) &&
            (!desired || strcmp(e->key, desired->name))) {
            remove_bridge(&ctx, e->row, root_delete);
        }
    }

    if (desired) {
        const struct replica_row *bridge =
            ovsb_ctx_bridge(&ctx, desired->name);
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
                             ovsb_checked(json_pack("{s:o}", "bridges",
                                                    ovsdb_set(root_insert))),
                             NULL);
        } else {
            json_decref(root_insert);
        }
        json_decref(root_delete);
    }

    ovsb_ctx_destroy(&ctx);
    return (int)(ovsdb_txn_n_ops(txn) - n_before);
}
