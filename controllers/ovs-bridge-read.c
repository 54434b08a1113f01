/* ovs-bridge-read: reading the replica of the Open_vSwitch DB for the
 * ovs-bridge module (ovs-bridge.h has the rules, ovs-bridge-private.h the
 * functions shared with ovs-bridge.c): rows, an index of bridges, ports
 * and interfaces, lookups by iface-id, and status.
 *
 * Notes on this implementation:
 * - The index keeps bridges, ports and interfaces by name, and each
 *   port's bridge and each interface's port by UUID, in sorted arrays
 *   searched by bisection, so that a build over 1,000 ports does not scan
 *   the replica once per port.
 * - Keys and rows in the index are borrowed from the replica, which must
 *   not change while a context lives.
 */
#include "ovs-bridge-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "datum.h"
#include "replica.h"

const char *const ovsb_tables[] = {"Open_vSwitch", "Bridge", "Port",
                                   "Interface", NULL};

/* Memory. */

void *
ovsb_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        abort();
    }
    return p;
}

void *
ovsb_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        abort();
    }
    return p;
}

char *
ovsb_xstrdup(const char *s)
{
    return s ? strcpy(ovsb_xmalloc(strlen(s) + 1), s) : NULL;
}

/* Returns 'json' (a new reference) and aborts if jansson ran out of
 * memory. */
json_t *
ovsb_checked(json_t *json)
{
    if (!json) {
        abort();
    }
    return json;
}

/* Reading rows. */

/* String column 'column' of 'row', or "" when absent. */
const char *
ovsb_row_string(const struct replica_row *row, const char *column)
{
    const char *s = json_string_value(replica_row_get(row, column));
    return s ? s : "";
}

/* Value of 'key' in map column 'column' of 'row', or NULL. */
const char *
ovsb_row_map_get(const struct replica_row *row, const char *column,
                 const char *key)
{
    return json_string_value(ovsdb_map_get(replica_row_get(row, column), key));
}

bool
ovsb_row_owned(const struct replica_row *row, const char *owner)
{
    const char *value =
        row ? ovsb_row_map_get(row, "external_ids", OVSB_OWNER_KEY) : NULL;
    return value && !strcmp(value, owner);
}

/* The only element of optional column 'column' of 'row' ('*valuep'),
 * or false when the column is empty or absent. */
bool
ovsb_row_optional(const struct replica_row *row, const char *column,
                  const json_t **valuep)
{
    const json_t *datum = replica_row_get(row, column);
    if (!datum) {
        return false;
    }
    json_t *elems = ovsb_checked(ovsdb_set_elements(datum));
    bool found = json_array_size(elems) == 1;
    if (found) {
        /* The element is held by 'datum' too, which 'row' keeps. */
        *valuep = json_array_get(elems, 0);
    }
    json_decref(elems);
    return found;
}

/* A sorted index of rows. */

static void
index_add(struct ovsb_index *index, const char *key,
          const struct replica_row *row, const struct replica_row *parent)
{
    if (index->n == index->allocated) {
        index->allocated = index->allocated ? 2 * index->allocated : 16;
        index->v =
            ovsb_xrealloc(index->v, index->allocated * sizeof *index->v);
    }
    index->v[index->n++] = (struct ovsb_entry){key, row, parent};
}

static int
entry_compare(const void *a_, const void *b_)
{
    const struct ovsb_entry *a = a_, *b = b_;
    return strcmp(a->key, b->key);
}

static void
index_sort(struct ovsb_index *index)
{
    if (index->n) {
        qsort(index->v, index->n, sizeof *index->v, entry_compare);
    }
}

const struct ovsb_entry *
ovsb_index_find(const struct ovsb_index *index, const char *key)
{
    if (!index->n || !key) {
        return NULL;
    }
    struct ovsb_entry probe = {key, NULL, NULL};
    return bsearch(&probe, index->v, index->n, sizeof *index->v,
                   entry_compare);
}

static void
index_destroy(struct ovsb_index *index)
{
    free(index->v);
    memset(index, 0, sizeof *index);
}

/* Rows of 'table' referenced by UUID set column 'column' of 'row', in
 * 'index' (by UUID, with 'row' as parent).  Dangling references are
 * skipped. */
static void
index_refs(struct ovsb_index *index, const struct replica *ovs,
           const struct replica_row *row, const char *column,
           const char *table)
{
    const json_t *datum = replica_row_get(row, column);
    if (!datum) {
        return;
    }
    json_t *elems = ovsb_checked(ovsdb_set_elements(datum));
    size_t i;
    json_t *atom;
    json_array_foreach(elems, i, atom)
    {
        const struct replica_row *child =
            replica_get(ovs, table, ovsdb_atom_uuid(atom));
        if (child) {
            index_add(index, child->uuid, child, row);
        }
    }
    json_decref(elems);
}

/* The build context. */

void
ovsb_ctx_init(struct ovsb_ctx *ctx, const struct replica *ovs,
              const char *owner, struct ovsdb_txn *txn)
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
        index_add(&ctx->bridges, ovsb_row_string(row, "name"), row, NULL);
        index_refs(&ctx->port_bridge, ovs, row, "ports", "Port");
    }
    index_sort(&ctx->bridges);
    index_sort(&ctx->port_bridge);

    iter = 0;
    while ((row = replica_next(ovs, "Port", &iter))) {
        const struct ovsb_entry *b =
            ovsb_index_find(&ctx->port_bridge, row->uuid);
        index_add(&ctx->ports, ovsb_row_string(row, "name"), row,
                  b ? b->parent : NULL);
        index_refs(&ctx->iface_port, ovs, row, "interfaces", "Interface");
    }
    index_sort(&ctx->ports);
    index_sort(&ctx->iface_port);

    iter = 0;
    while ((row = replica_next(ovs, "Interface", &iter))) {
        const struct ovsb_entry *p =
            ovsb_index_find(&ctx->iface_port, row->uuid);
        index_add(&ctx->ifaces, ovsb_row_string(row, "name"), row,
                  p ? p->parent : NULL);
    }
    index_sort(&ctx->ifaces);
}

void
ovsb_ctx_destroy(struct ovsb_ctx *ctx)
{
    index_destroy(&ctx->bridges);
    index_destroy(&ctx->ports);
    index_destroy(&ctx->ifaces);
    index_destroy(&ctx->port_bridge);
    index_destroy(&ctx->iface_port);
}

const struct replica_row *
ovsb_ctx_bridge(const struct ovsb_ctx *ctx, const char *name)
{
    const struct ovsb_entry *e = ovsb_index_find(&ctx->bridges, name);
    return e ? e->row : NULL;
}

/* Returns a new array of the rows of 'table' that set column 'column' of
 * 'row' references, sorted by name, and their number in '*np'. */
const struct replica_row **
ovsb_child_rows(const struct ovsb_ctx *ctx, const struct replica_row *row,
                const char *column, const char *table, size_t *np)
{
    struct ovsb_index refs = {NULL, 0, 0};
    index_refs(&refs, ctx->ovs, row, column, table);
    /* Sort by name, each name read once. */
    for (size_t i = 0; i < refs.n; i++) {
        refs.v[i].key = ovsb_row_string(refs.v[i].row, "name");
    }
    index_sort(&refs);
    const struct replica_row **rows = ovsb_xmalloc(refs.n * sizeof *rows);
    for (size_t i = 0; i < refs.n; i++) {
        rows[i] = refs.v[i].row;
    }
    *np = refs.n;
    index_destroy(&refs);
    return rows;
}

/* True if some port on 'bridge' is not owned. */
bool
ovsb_bridge_has_foreign(const struct ovsb_ctx *ctx,
                        const struct replica_row *bridge)
{
    size_t n;
    const struct replica_row **ports =
        ovsb_child_rows(ctx, bridge, "ports", "Port", &n);
    bool foreign = false;
    for (size_t i = 0; i < n && !foreign; i++) {
        foreign = !ovsb_row_owned(ports[i], ctx->owner);
    }
    free(ports);
    return foreign;
}

/* Lookups. */

const struct replica_row *
ovsb_find_iface_by_id(const struct replica *ovs, const char *iface_id)
{
    const struct replica_row *found = NULL, *row;
    size_t iter = 0;
    while ((row = replica_next(ovs, "Interface", &iter))) {
        const char *id = ovsb_row_map_get(row, "external_ids", "iface-id");
        if (id && !strcmp(id, iface_id) &&
            (!found || strcmp(ovsb_row_string(row, "name"),
                              ovsb_row_string(found, "name")) < 0)) {
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
    return ovsb_xstrdup(ovsb_row_map_get(row, column, key));
}

/* A new copy of optional string column 'column' of 'row', or NULL. */
static char *
optional_dup(const struct replica_row *row, const char *column)
{
    const json_t *value;
    return ovsb_row_optional(row, column, &value)
               ? ovsb_xstrdup(json_string_value(value))
               : NULL;
}

static int
status_compare(const void *a_, const void *b_)
{
    const struct ovsb_iface_status *a = a_, *b = b_;
    return strcmp(a->name, b->name);
}

/* The Bridge row named 'name' in 'ovs', or NULL: a scan, cheaper than
 * ovsb_ctx_init()'s index of every bridge, port and interface for a
 * reader that needs one bridge's rows only. */
static const struct replica_row *
find_bridge(const struct replica *ovs, const char *name)
{
    size_t iter = 0;
    const struct replica_row *row;
    while ((row = replica_next(ovs, "Bridge", &iter))) {
        if (!strcmp(ovsb_row_string(row, "name"), name)) {
            return row;
        }
    }
    return NULL;
}

int
ovsb_status(const struct replica *ovs, const char *bridge,
            struct ovsb_iface_status **statusp, size_t *np)
{
    /* ovsb_child_rows() needs nothing else. */
    struct ovsb_ctx ctx = {.ovs = ovs};
    const struct replica_row *br = find_bridge(ovs, bridge);
    if (!br) {
        return -ENOENT;
    }

    struct ovsb_iface_status *status = NULL;
    size_t n = 0;
    size_t n_ports;
    const struct replica_row **ports =
        ovsb_child_rows(&ctx, br, "ports", "Port", &n_ports);
    for (size_t i = 0; i < n_ports; i++) {
        size_t n_ifaces;
        const struct replica_row **ifaces = ovsb_child_rows(
            &ctx, ports[i], "interfaces", "Interface", &n_ifaces);
        status = ovsb_xrealloc(status, (n + n_ifaces) * sizeof *status);
        for (size_t j = 0; j < n_ifaces; j++) {
            const struct replica_row *iface = ifaces[j];
            struct ovsb_iface_status *s = &status[n++];
            const json_t *ofport;
            s->name = ovsb_xstrdup(ovsb_row_string(iface, "name"));
            s->ofport = ovsb_row_optional(iface, "ofport", &ofport)
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
    struct ovsb_ctx ctx;
    ovsb_ctx_init(&ctx, ovs, owner, NULL);
    const struct replica_row *br = ovsb_ctx_bridge(&ctx, bridge);
    if (!br) {
        ovsb_ctx_destroy(&ctx);
        return -ENOENT;
    }
    size_t n_ports, n = 0;
    const struct replica_row **ports =
        ovsb_child_rows(&ctx, br, "ports", "Port", &n_ports);
    char **names = ovsb_xmalloc(n_ports * sizeof *names);
    for (size_t i = 0; i < n_ports; i++) {
        if (!ovsb_row_owned(ports[i], owner)) {
            names[n++] = ovsb_xstrdup(ovsb_row_string(ports[i], "name"));
        }
    }
    free(ports);
    ovsb_ctx_destroy(&ctx);
    *namesp = names;
    *np = n;
    return 0;
}
