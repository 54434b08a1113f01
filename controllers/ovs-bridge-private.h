/* ovs-bridge-private: what the two halves of the ovs-bridge module share.
 *
 * ovs-bridge-read.c reads the replica of the Open_vSwitch DB (rows, an
 * index of bridges, ports and interfaces, status); ovs-bridge.c builds
 * transactions from what it reads.  Nothing outside controllers/ovs-bridge*
 * includes this header.  The rules of the module are in ovs-bridge.h.
 */
#ifndef CONTROLLERS_OVS_BRIDGE_PRIVATE_H
#define CONTROLLERS_OVS_BRIDGE_PRIVATE_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "ovs-bridge.h"

struct replica;
struct replica_row;
struct ovsdb_txn;

/* Memory: these abort when memory runs out. */
void *ovsb_xmalloc(size_t n);
void *ovsb_xrealloc(void *p, size_t n);
char *ovsb_xstrdup(const char *s); /* NULL gives NULL. */
/* Returns 'json' (a new reference, passed through) and aborts if it is
 * NULL, that is, if jansson ran out of memory. */
json_t *ovsb_checked(json_t *json);

/* Reading rows (all borrowed from the replica). */

/* String column 'column' of 'row', or "" when absent. */
const char *ovsb_row_string(const struct replica_row *row,
                            const char *column);
/* Value of 'key' in map column 'column' of 'row', or NULL. */
const char *ovsb_row_map_get(const struct replica_row *row,
                             const char *column, const char *key);
/* True if external_ids:fabric-owner of 'row' (may be NULL) is 'owner'. */
bool ovsb_row_owned(const struct replica_row *row, const char *owner);
/* Stores in '*valuep' the only element of optional column 'column' of
 * 'row' and returns true, or returns false when it is empty or absent. */
bool ovsb_row_optional(const struct replica_row *row, const char *column,
                       const json_t **valuep);

/* A sorted index of rows. */
struct ovsb_entry {
    const char *key;                  /* Name or UUID (borrowed). */
    const struct replica_row *row;
    const struct replica_row *parent; /* Bridge of a port, port of an
                                       * interface, or NULL. */
};

struct ovsb_index {
    struct ovsb_entry *v;
    size_t n, allocated;
};

/* The entry for 'key' in 'index', or NULL. */
const struct ovsb_entry *ovsb_index_find(const struct ovsb_index *index,
                                         const char *key);

/* What a build or a status report knows of the replica. */
struct ovsb_ctx {
    const struct replica *ovs;
    const char *owner;
    struct ovsdb_txn *txn;          /* NULL when only reading. */
    const struct replica_row *root; /* The Open_vSwitch row, or NULL. */
    struct ovsb_index bridges;      /* By name. */
    struct ovsb_index ports;        /* By name, parent = bridge. */
    struct ovsb_index ifaces;       /* By name, parent = port. */
    struct ovsb_index port_bridge;  /* By port UUID, parent = bridge. */
    struct ovsb_index iface_port;   /* By interface UUID, parent = port. */
};

/* Indexes 'ovs' into 'ctx'; 'owner' and 'txn' are kept for the build. */
void ovsb_ctx_init(struct ovsb_ctx *ctx, const struct replica *ovs,
                   const char *owner, struct ovsdb_txn *txn);
void ovsb_ctx_destroy(struct ovsb_ctx *ctx);

/* The bridge named 'name', or NULL. */
const struct replica_row *ovsb_ctx_bridge(const struct ovsb_ctx *ctx,
                                          const char *name);

/* Returns a new array of the rows of 'table' that UUID set column
 * 'column' of 'row' references (dangling references skipped), sorted by
 * name, and their number in '*np'. */
const struct replica_row **ovsb_child_rows(const struct ovsb_ctx *ctx,
                                           const struct replica_row *row,
                                           const char *column,
                                           const char *table, size_t *np);

/* True if some port on 'bridge' is not owned by ctx->owner. */
bool ovsb_bridge_has_foreign(const struct ovsb_ctx *ctx,
                             const struct replica_row *bridge);

#endif /* ovs-bridge-private.h */
