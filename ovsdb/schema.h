/* schema: what the client needs to know of an OVSDB schema (RFC 7047
 * section 3.2): tables, columns, and each column's type.
 *
 * Rules of this module: pure; parsed from the JSON that "get_schema"
 * returns (or a .ovsschema file).  Errors name the table and column.
 */
#ifndef OVSDB_SCHEMA_H
#define OVSDB_SCHEMA_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct ovsdb_error;

enum ovsdb_atomic_type {
    OVSDB_TYPE_VOID, /* No value: the column is not a map. */
    OVSDB_TYPE_INTEGER,
    OVSDB_TYPE_REAL,
    OVSDB_TYPE_BOOLEAN,
    OVSDB_TYPE_STRING,
    OVSDB_TYPE_UUID,
};

struct ovsdb_column {
    char *name;
    enum ovsdb_atomic_type key_type;
    enum ovsdb_atomic_type value_type; /* VOID unless a map. */
    unsigned int min;                  /* 0 or 1. */
    unsigned int max;                  /* UINT_MAX for "unlimited". */
    bool ephemeral;
};

struct ovsdb_table {
    char *name;
    struct ovsdb_column *columns; /* Includes _uuid and _version. */
    size_t n_columns;
    bool is_root;
};

struct ovsdb_schema {
    char *name;
    char *version;
    struct ovsdb_table *tables;
    size_t n_tables;
};

/* Parses 'json' (borrowed).  Returns 0 and a new schema in '*schemap', or
 * -EINVAL with '*errorp' set. */
int ovsdb_schema_from_json(const json_t *json, struct ovsdb_schema **schemap,
                           struct ovsdb_error **errorp);

/* Reads and parses a schema file. */
int ovsdb_schema_from_file(const char *path, struct ovsdb_schema **schemap,
                           struct ovsdb_error **errorp);

void ovsdb_schema_destroy(struct ovsdb_schema *schema);

const struct ovsdb_table *ovsdb_schema_table(const struct ovsdb_schema *,
                                             const char *name);
const struct ovsdb_column *ovsdb_table_column(const struct ovsdb_table *,
                                              const char *name);

/* A map column: has a value type. */
bool ovsdb_column_is_map(const struct ovsdb_column *column);
/* A set column: no value type, and max > 1 or min == 0 (an optional
 * scalar is a set of 0 or 1 elements). */
bool ovsdb_column_is_set(const struct ovsdb_column *column);

#endif /* schema.h */
