/* fuzz-schema: libFuzzer harness for schema (and the defaults of datum).
 *
 * The input is JSON text, parsed by jansson and then as an OVSDB schema.
 * Parsing must succeed, or fail with -EINVAL and a message while leaving
 * the out-parameter alone.  A schema that parses must keep the promises of
 * schema.h: tables and columns sorted by name, without duplicates, each
 * found again by name; every table has the implicit "_uuid" and "_version";
 * every column has a known key type, a "min" of 0 or 1, a "max" not less
 * than "min".  For every column, the default value of datum.h must be a
 * value of the column's type (ovsdb_datum_check), equal to itself, and
 * left as it is by an empty update2 diff.  Any broken promise aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datum.h"
#include "ovsdb-error.h"
#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int condition)
{
    if (!condition) {
        abort();
    }
}

static int
is_atomic_type(enum ovsdb_atomic_type type)
{
    return (type == OVSDB_TYPE_INTEGER || type == OVSDB_TYPE_REAL ||
            type == OVSDB_TYPE_BOOLEAN || type == OVSDB_TYPE_STRING ||
            type == OVSDB_TYPE_UUID);
}

/* Returns true if 's' has the form x.y.z. */
static int
is_version(const char *s)
{
    for (int part = 0; part < 3; part++) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
        while (*s >= '0' && *s <= '9') {
            s++;
        }
        if (part < 2 && *s++ != '.') {
            return 0;
        }
    }
    return *s == '\0';
}

/* Checks the default value of 'column' against the column's type. */
static void
check_default(const struct ovsdb_column *column)
{
    json_t *def = ovsdb_datum_default(column);
    check(def != NULL);

    struct ovsdb_error *error = NULL;
    check(ovsdb_datum_check(column, def, &error) == 0);
    check(error == NULL);

    json_t *copy = json_deep_copy(def);
    check(copy != NULL);
    check(ovsdb_datum_equal(def, copy));
    check(ovsdb_datum_equal(copy, def));

    /* A diff that changes nothing: the default itself for a column whose
     * "max" is 1 (the diff is the new value), an empty set or map for any
     * other column (nothing to toggle).  Applied to the default, given
     * explicitly or as NULL, it must give the default back. */
    json_t *diff;
    if (column->max <= 1) {
        diff = json_incref(def);
    } else if (ovsdb_column_is_map(column)) {
        diff = ovsdb_map(json_array());
    } else {
        diff = ovsdb_set(json_array());
    }
    check(diff != NULL);
    for (int explicit_old = 0; explicit_old < 2; explicit_old++) {
        json_t *result = NULL;
        check(ovsdb_datum_apply_diff(column, explicit_old ? copy : NULL, diff,
                                     &result, &error) == 0);
        check(error == NULL && result != NULL);
        check(ovsdb_datum_equal(result, def));
        check(ovsdb_datum_check(column, result, NULL) == 0);
        json_decref(result);
    }

    json_decref(diff);
    json_decref(copy);
    json_decref(def);
}

static void
check_column(const struct ovsdb_table *table,
             const struct ovsdb_column *column)
{
    check(column->name != NULL && column->name[0] != '\0');
    check(ovsdb_table_column(table, column->name) == column);
    check(is_atomic_type(column->key_type));
    check(column->value_type == OVSDB_TYPE_VOID ||
          is_atomic_type(column->value_type));
    check(column->min <= 1);
    check(column->max >= 1 && column->min <= column->max);

    int is_map = column->value_type != OVSDB_TYPE_VOID;
    check(ovsdb_column_is_map(column) == is_map);
    check(ovsdb_column_is_set(column) ==
          (!is_map && (column->max > 1 || column->min == 0)));

    check_default(column);
}

static void
check_table(const struct ovsdb_schema *schema, const struct ovsdb_table *table)
{
    check(table->name != NULL && table->name[0] != '\0');
    check(ovsdb_schema_table(schema, table->name) == table);
    check(table->n_columns >= 2 && table->columns != NULL);

    static const char *const implicit[] = {"_uuid", "_version"};
    for (size_t i = 0; i < 2; i++) {
        const struct ovsdb_column *column =
            ovsdb_table_column(table, implicit[i]);
        check(column != NULL);
        check(column->key_type == OVSDB_TYPE_UUID);
        check(column->value_type == OVSDB_TYPE_VOID);
        check(column->min == 1 && column->max == 1);
    }

    for (size_t i = 0; i < table->n_columns; i++) {
        if (i > 0) {
            check(strcmp(table->columns[i - 1].name, table->columns[i].name) <
                  0);
        }
        check_column(table, &table->columns[i]);
    }
    check(ovsdb_table_column(table, "") == NULL);
}

static void
check_schema(const struct ovsdb_schema *schema)
{
    check(schema->name != NULL && schema->name[0] != '\0');
    check(schema->version != NULL);
    check(schema->version[0] == '\0' || is_version(schema->version));
    check(schema->n_tables == 0 || schema->tables != NULL);

    int any_root = 0;
    for (size_t i = 0; i < schema->n_tables; i++) {
        if (i > 0) {
            check(strcmp(schema->tables[i - 1].name, schema->tables[i].name) <
                  0);
        }
        check_table(schema, &schema->tables[i]);
        any_root = any_root || schema->tables[i].is_root;
    }
    /* A schema without any root table is read as all roots. */
    check(schema->n_tables == 0 || any_root);
    check(ovsdb_schema_table(schema, "") == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerror;
    json_t *json =
        json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerror);
    if (!json) {
        return 0;
    }

    /* Stands for a pointer that parsing must leave as it is on error. */
    static struct ovsdb_schema sentinel;
    struct ovsdb_schema *const untouched = &sentinel;
    struct ovsdb_schema *schema = untouched;
    struct ovsdb_error *error = NULL;
    int retval = ovsdb_schema_from_json(json, &schema, &error);
    if (retval == 0) {
        check(error == NULL && schema != NULL && schema != untouched);
        check_schema(schema);
        ovsdb_schema_destroy(schema);

        /* Parsing is a pure function of the JSON: a second parse, without
         * an error out-parameter, succeeds too. */
        schema = NULL;
        check(ovsdb_schema_from_json(json, &schema, NULL) == 0);
        check(schema != NULL);
        ovsdb_schema_destroy(schema);
    } else {
        check(retval == -EINVAL);
        check(schema == untouched);
        check(error != NULL && error->code == -EINVAL);
        check(error->msg != NULL && error->msg[0] != '\0');
        ovsdb_error_free(error);

        check(ovsdb_schema_from_json(json, &schema, NULL) == -EINVAL);
        check(schema == untouched);
    }

    json_decref(json);
    return 0;
}
