/* schema: see schema.h for the rules.
 *
 * Notes on this implementation:
 * - The schema is read as RFC 7047 section 3.2 and ovsdb-server(7)
 *   describe it.  Only what a client needs is kept: table and column
 *   names, atomic key and value types, "min", "max", "isRoot" and
 *   "ephemeral".  Constraints on atoms ("enum", "minInteger", "refTable",
 *   ...) are checked for their JSON type where cheap and otherwise ignored;
 *   members this module does not know are ignored, so that a newer server's
 *   schema still parses.
 * - Every table gets the two implicit columns "_uuid" and "_version", both
 *   of type uuid; a schema may not declare a name starting with "_".
 * - Tables and columns are sorted by name (strcmp order), so that lookups
 *   by name are binary searches.  Nothing else depends on that order.
 * - "isRoot" defaults to false.  As ovsdb-server does, a schema in which
 *   no table has "isRoot": true is read as one in which every table is a
 *   root table ("isRoot" did not exist before garbage collection did).
 * - "version", when present, must have the form x.y.z; when absent, the
 *   version is the empty string.
 */
#include "schema.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-error.h"

static void *
xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
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

/* Returns true if 's' is an RFC 7047 <id>: a letter or "_", then letters,
 * digits and "_". */
static bool
is_id(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) {
        return false;
    }
    for (s++; *s; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_')) {
            return false;
        }
    }
    return true;
}

/* Returns true if 's' is an RFC 7047 <version>: "x.y.z", three decimal
 * numbers without leading zeros. */
static bool
is_version(const char *s)
{
    for (int part = 0; part < 3; part++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
        if (*s == '0' && s[1] >= '0' && s[1] <= '9') {
            return false;
        }
        while (*s >= '0' && *s <= '9') {
            s++;
        }
        if (part < 2 && *s++ != '.') {
            return false;
        }
    }
    return *s == '\0';
}

static int
atomic_type_from_string(const char *s, enum ovsdb_atomic_type *typep)
{
    static const struct {
        const char *name;
        enum ovsdb_atomic_type type;
    } types[] = {
        {"integer", OVSDB_TYPE_INTEGER}, {"real", OVSDB_TYPE_REAL},
        {"boolean", OVSDB_TYPE_BOOLEAN}, {"string", OVSDB_TYPE_STRING},
        {"uuid", OVSDB_TYPE_UUID},
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        if (!strcmp(s, types[i].name)) {
            *typep = types[i].type;
            return 0;
        }
    }
    return -EINVAL;
}

/* Parses a <base-type> 'json' (borrowed): an atomic type name or an object
 * with a "type" member.  'which' is "key" or "value", for messages. */
static int
base_type_from_json(const json_t *json, const char *table, const char *column,
                    const char *which, enum ovsdb_atomic_type *typep,
                    struct ovsdb_error **errorp)
{
    const json_t *name = json;
    if (json_is_object(json)) {
        name = json_object_get(json, "type");
        if (!name) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EINVAL, NULL,
                                        "The %s type of column \"%s\" of "
                                        "table \"%s\" has no \"type\".",
                                        which, column, table));
        }
        const json_t *ref_type = json_object_get(json, "refType");
        if (ref_type && !(json_is_string(ref_type) &&
                          (!strcmp(json_string_value(ref_type), "strong") ||
                           !strcmp(json_string_value(ref_type), "weak")))) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EINVAL, NULL,
                                        "The %s type of column \"%s\" of "
                                        "table \"%s\" has a \"refType\" "
                                        "other than \"strong\" or \"weak\".",
                                        which, column, table));
        }
    }
    if (!json_is_string(name)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The %s type of column \"%s\" of table "
                                    "\"%s\" is not a type name.",
                                    which, column, table));
    }
    if (atomic_type_from_string(json_string_value(name), typep)) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-EINVAL, NULL,
                            "The %s type of column \"%s\" of table "
                            "\"%s\" is the unknown type \"%s\".",
                            which, column, table, json_string_value(name)));
    }
    return 0;
}

/* Parses the "type" of a column, 'json' (borrowed), into 'column'. */
static int
column_type_from_json(const json_t *json, const char *table,
                      struct ovsdb_column *column, struct ovsdb_error **errorp)
{
    column->value_type = OVSDB_TYPE_VOID;
    column->min = 1;
    column->max = 1;
    if (json_is_string(json)) {
        return base_type_from_json(json, table, column->name, "key",
                                   &column->key_type, errorp);
    }
    if (!json_is_object(json)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The type of column \"%s\" of table "
                                    "\"%s\" is neither a type name nor an "
                                    "object.",
                                    column->name, table));
    }

    const json_t *key = json_object_get(json, "key");
    if (!key) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The type of column \"%s\" of table "
                                    "\"%s\" has no \"key\".",
                                    column->name, table));
    }
    int error = base_type_from_json(key, table, column->name, "key",
                                    &column->key_type, errorp);
    if (error) {
        return error;
    }
    const json_t *value = json_object_get(json, "value");
    if (value) {
        error = base_type_from_json(value, table, column->name, "value",
                                    &column->value_type, errorp);
        if (error) {
            return error;
        }
    }

    const json_t *min = json_object_get(json, "min");
    if (min) {
        if (!json_is_integer(min) ||
            (json_integer_value(min) != 0 && json_integer_value(min) != 1)) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EINVAL, NULL,
                                        "The \"min\" of column \"%s\" of "
                                        "table \"%s\" is neither 0 nor 1.",
                                        column->name, table));
        }
        column->min = json_integer_value(min);
    }

    const json_t *max = json_object_get(json, "max");
    if (max) {
        if (json_is_string(max) &&
            !strcmp(json_string_value(max), "unlimited")) {
            column->max = UINT_MAX;
        } else if (json_is_integer(max) && json_integer_value(max) >= 1 &&
                   json_integer_value(max) < UINT_MAX) {
            column->max = json_integer_value(max);
        } else {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EINVAL, NULL,
                                        "The \"max\" of column \"%s\" of "
                                        "table \"%s\" is neither a positive "
                                        "integer nor \"unlimited\".",
                                        column->name, table));
        }
    }
    return 0;
}

/* Parses column 'name' of 'table' from 'json' (borrowed) into 'column'. */
static int
column_from_json(const json_t *json, const char *table, const char *name,
                 struct ovsdb_column *column, struct ovsdb_error **errorp)
{
    column->name = xstrdup(name);
    if (name[0] == '_') {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "Column \"%s\" of table \"%s\" has a "
                                    "reserved name: names beginning with "
                                    "\"_\" are reserved.",
                                    name, table));
    }
    if (!is_id(name)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "Column name \"%s\" of table \"%s\" is "
                                    "not a valid identifier.",
                                    name, table));
    }
    if (!json_is_object(json)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "Column \"%s\" of table \"%s\" is not "
                                    "a JSON object.",
                                    name, table));
    }
    const json_t *type = json_object_get(json, "type");
    if (!type) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "Column \"%s\" of table \"%s\" has no "
                                    "\"type\".",
                                    name, table));
    }
    int error = column_type_from_json(type, table, column, errorp);
    if (error) {
        return error;
    }
    if (column->min > column->max) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "Column \"%s\" of table \"%s\" has a "
                                    "\"min\" greater than its \"max\".",
                                    name, table));
    }

    const json_t *ephemeral = json_object_get(json, "ephemeral");
    if (ephemeral && !json_is_boolean(ephemeral)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The \"ephemeral\" of column \"%s\" of "
                                    "table \"%s\" is not a boolean.",
                                    name, table));
    }
    column->ephemeral = json_is_true(ephemeral);

    const json_t *mut = json_object_get(json, "mutable");
    if (mut && !json_is_boolean(mut)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The \"mutable\" of column \"%s\" of "
                                    "table \"%s\" is not a boolean.",
                                    name, table));
    }
    return 0;
}

static int
compare_columns(const void *a_, const void *b_)
{
    const struct ovsdb_column *a = a_;
    const struct ovsdb_column *b = b_;
    return strcmp(a->name, b->name);
}

static int
compare_tables(const void *a_, const void *b_)
{
    const struct ovsdb_table *a = a_;
    const struct ovsdb_table *b = b_;
    return strcmp(a->name, b->name);
}

/* Checks the "indexes" of 'table', 'json' (borrowed, may be NULL): an array
 * of arrays of names of columns of the table. */
static int
indexes_check(const json_t *json, const struct ovsdb_table *table,
              struct ovsdb_error **errorp)
{
    if (!json) {
        return 0;
    }
    if (!json_is_array(json)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The \"indexes\" of table \"%s\" is "
                                    "not an array.",
                                    table->name));
    }
    for (size_t i = 0; i < json_array_size(json); i++) {
        const json_t *index = json_array_get(json, i);
        if (!json_is_array(index) || !json_array_size(index)) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EINVAL, NULL,
                                        "An index of table \"%s\" is not "
                                        "a non-empty array of column "
                                        "names.",
                                        table->name));
        }
        for (size_t j = 0; j < json_array_size(index); j++) {
            const json_t *name = json_array_get(index, j);
            if (!json_is_string(name)) {
                return ovsdb_error_set(
                    errorp, ovsdb_error_new(-EINVAL, NULL,
                                            "An index of table \"%s\" "
                                            "holds something other than a "
                                            "column name.",
                                            table->name));
            }
            if (!ovsdb_table_column(table, json_string_value(name))) {
                return ovsdb_error_set(
                    errorp,
                    ovsdb_error_new(-EINVAL, NULL,
                                    "An index of table \"%s\" "
                                    "names column \"%s\", which "
                                    "the table does not have.",
                                    table->name, json_string_value(name)));
            }
        }
    }
    return 0;
}

static void
implicit_column(struct ovsdb_column *column, const char *name)
{
    column->name = xstrdup(name);
    column->key_type = OVSDB_TYPE_UUID;
    column->value_type = OVSDB_TYPE_VOID;
    column->min = 1;
    column->max = 1;
    column->ephemeral = false;
}

/* Parses table 'name' from 'json' (borrowed) into 'table'.  On error,
 * 'table' still holds what was allocated, for the caller to free. */
static int
table_from_json(const json_t *json, const char *name,
                struct ovsdb_table *table, struct ovsdb_error **errorp)
{
    table->name = xstrdup(name);
    if (!is_id(name)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "Table name \"%s\" is not a valid "
                                    "identifier.",
                                    name));
    }
    if (!json_is_object(json)) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-EINVAL, NULL,
                            "Table \"%s\" is not a JSON object.", name));
    }
    const json_t *columns = json_object_get(json, "columns");
    if (!json_is_object(columns)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "Table \"%s\" has no \"columns\" "
                                    "object.",
                                    name));
    }

    const json_t *is_root = json_object_get(json, "isRoot");
    if (is_root && !json_is_boolean(is_root)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The \"isRoot\" of table \"%s\" is not "
                                    "a boolean.",
                                    name));
    }
    table->is_root = json_is_true(is_root);

    const json_t *max_rows = json_object_get(json, "maxRows");
    if (max_rows &&
        !(json_is_integer(max_rows) && json_integer_value(max_rows) > 0)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The \"maxRows\" of table \"%s\" is "
                                    "not a positive integer.",
                                    name));
    }

    table->columns =
        xcalloc(json_object_size(columns) + 2, sizeof *table->columns);
    implicit_column(&table->columns[table->n_columns++], "_uuid");
    implicit_column(&table->columns[table->n_columns++], "_version");

    for (void *it = json_object_iter((json_t *)columns); it;
         it = json_object_iter_next((json_t *)columns, it)) {
        const char *column_name = json_object_iter_key(it);
        const json_t *column_json = json_object_iter_value(it);
        struct ovsdb_column *column = &table->columns[table->n_columns++];
        int error =
            column_from_json(column_json, name, column_name, column, errorp);
        if (error) {
            return error;
        }
    }
    qsort(table->columns, table->n_columns, sizeof *table->columns,
          compare_columns);

    return indexes_check(json_object_get(json, "indexes"), table, errorp);
}

int
ovsdb_schema_from_json(const json_t *json, struct ovsdb_schema **schemap,
                       struct ovsdb_error **errorp)
{
    if (!json_is_object(json)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The schema is not a JSON object."));
    }
    const json_t *name = json_object_get(json, "name");
    if (!json_is_string(name)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The schema has no \"name\" string."));
    }
    if (!is_id(json_string_value(name))) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The schema name \"%s\" is not a valid "
                                    "identifier.",
                                    json_string_value(name)));
    }
    const json_t *version = json_object_get(json, "version");
    if (version &&
        !(json_is_string(version) && is_version(json_string_value(version)))) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The version of schema \"%s\" is not a "
                                    "string of the form x.y.z.",
                                    json_string_value(name)));
    }
    const json_t *tables = json_object_get(json, "tables");
    if (!json_is_object(tables)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "Schema \"%s\" has no \"tables\" "
                                    "object.",
                                    json_string_value(name)));
    }

    struct ovsdb_schema *schema = xcalloc(1, sizeof *schema);
    schema->name = xstrdup(json_string_value(name));
    schema->version = xstrdup(version ? json_string_value(version) : "");
    schema->tables = xcalloc(json_object_size(tables), sizeof *schema->tables);

    for (void *it = json_object_iter((json_t *)tables); it;
         it = json_object_iter_next((json_t *)tables, it)) {
        const char *table_name = json_object_iter_key(it);
        const json_t *table_json = json_object_iter_value(it);
        struct ovsdb_table *table = &schema->tables[schema->n_tables++];
        int error = table_from_json(table_json, table_name, table, errorp);
        if (error) {
            ovsdb_schema_destroy(schema);
            return error;
        }
    }
    qsort(schema->tables, schema->n_tables, sizeof *schema->tables,
          compare_tables);

    bool any_root = false;
    for (size_t i = 0; i < schema->n_tables; i++) {
        any_root = any_root || schema->tables[i].is_root;
    }
    if (!any_root) {
        for (size_t i = 0; i < schema->n_tables; i++) {
            schema->tables[i].is_root = true;
        }
    }

    *schemap = schema;
    return 0;
}

int
ovsdb_schema_from_file(const char *path, struct ovsdb_schema **schemap,
                       struct ovsdb_error **errorp)
{
    FILE *file = fopen(path, "r");
    if (!file) {
        int error = -errno;
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(error, NULL, "Cannot open schema file %s: %s.",
                            path, strerror(-error)));
    }

    json_error_t jerr;
    json_t *json = json_loadf(file, 0, &jerr);
    fclose(file);
    if (!json) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "Schema file %s is not valid JSON "
                                    "(line %d: %s).",
                                    path, jerr.line, jerr.text));
    }
    int error = ovsdb_schema_from_json(json, schemap, errorp);
    json_decref(json);
    return error;
}

void
ovsdb_schema_destroy(struct ovsdb_schema *schema)
{
    if (!schema) {
        return;
    }
    for (size_t i = 0; i < schema->n_tables; i++) {
        struct ovsdb_table *table = &schema->tables[i];
        for (size_t j = 0; j < table->n_columns; j++) {
            free(table->columns[j].name);
        }
        free(table->columns);
        free(table->name);
    }
    free(schema->tables);
    free(schema->name);
    free(schema->version);
    free(schema);
}

const struct ovsdb_table *
ovsdb_schema_table(const struct ovsdb_schema *schema, const char *name)
{
    struct ovsdb_table key = {.name = (char *)name};
    return bsearch(&key, schema->tables, schema->n_tables,
                   sizeof *schema->tables, compare_tables);
}

const struct ovsdb_column *
ovsdb_table_column(const struct ovsdb_table *table, const char *name)
{
    struct ovsdb_column key = {.name = (char *)name};
    return bsearch(&key, table->columns, table->n_columns,
                   sizeof *table->columns, compare_columns);
}

bool
ovsdb_column_is_map(const struct ovsdb_column *column)
{
    return column->value_type != OVSDB_TYPE_VOID;
}

bool
ovsdb_column_is_set(const struct ovsdb_column *column)
{
    return (column->value_type == OVSDB_TYPE_VOID &&
            (column->max > 1 || column->min == 0));
}
