/* dbmodel-private: what the two halves of the dbmodel module share.
 *
 * dbmodel.c reads the fabric DB into a model and dbmodel-apply.c builds
 * the apply transaction; both look at the replica through the view
 * below.  Nothing outside the dbmodel module includes this header.
 */
#ifndef FABRIC_DBMODEL_PRIVATE_H
#define FABRIC_DBMODEL_PRIVATE_H 1

#include <jansson.h>
#include <stddef.h>

struct replica;
struct replica_row;

/* The root tables whose rows are objects matched by name. */
enum dbmodel_root {
    DBMODEL_HOST,
    DBMODEL_NETWORK,
    DBMODEL_ROUTER,
    DBMODEL_GUEST,
    DBMODEL_N_ROOTS
};

extern const char *const dbmodel_root_tables[DBMODEL_N_ROOTS];

/* A row under a key (its name or its UUID), in a sorted array. */
struct dbmodel_keyed {
    const char *key;               /* Borrowed. */
    size_t index;                  /* Position in the array sorted by
                                    * name, or in a model's array. */
    const struct replica_row *row; /* Borrowed; NULL for model objects. */
};

struct dbmodel_keyed_array {
    struct dbmodel_keyed *v;
    size_t n;
};

/* Sorts 'array' by key (strcmp), then finds 'key' in it (or NULL). */
void dbmodel_keyed_sort(struct dbmodel_keyed_array *array);
const struct dbmodel_keyed *dbmodel_keyed_find(
    const struct dbmodel_keyed_array *array, const char *key);
void dbmodel_keyed_clear(struct dbmodel_keyed_array *array);

/* Number of elements of set or map 'datum' (borrowed; an atom is a set of
 * one), and element 'i' (borrowed; a [key, value] pair for a map). */
size_t dbmodel_datum_n(const json_t *datum);
const json_t *dbmodel_datum_at(const json_t *datum, size_t i);

/* String column 'column' of 'row' (borrowed; "" when absent), integer
 * column 'column' (0 when absent). */
const char *dbmodel_row_string(const struct replica_row *row,
                               const char *column);
long long dbmodel_row_int(const struct replica_row *row, const char *column);

/* The replica seen as a lab: the Fabric row and the objects of each root
 * table sorted by name.  Valid while the replica does not change. */
struct dbmodel_view {
    const struct replica *replica;
    const struct replica_row *fabric; /* NULL if none. */
    struct dbmodel_keyed_array by_name[DBMODEL_N_ROOTS];
};

void dbmodel_view_init(struct dbmodel_view *view,
                       const struct replica *replica);
void dbmodel_view_destroy(struct dbmodel_view *view);

#endif /* dbmodel-private.h */
