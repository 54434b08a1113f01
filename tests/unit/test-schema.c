/* Unit tests of ovsdb/schema: parsing the real Open_vSwitch schema, the
 * forms of a column's "type", the implicit columns, "isRoot", and the
 * errors of malformed schemas. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ovsdb-error.h"
#include "schema.h"

#define VSWITCH_SCHEMA "/usr/share/openvswitch/vswitch.ovsschema"

/* Parses 'text', which the test itself wrote, and returns a new
 * reference. */
static json_t *
parse(const char *text)
{
    json_error_t jerr;
    json_t *json = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!json) {
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    }
    return json;
}

/* Parses schema 'text', which must be valid, and returns it. */
static struct ovsdb_schema *
schema_parse(const char *text)
{
    json_t *json = parse(text);
    struct ovsdb_schema *schema = NULL;
    struct ovsdb_error *error = NULL;
    int retval = ovsdb_schema_from_json(json, &schema, &error);
    json_decref(json);
    if (retval) {
        fail_msg("schema %s: %s", text, error->msg);
    }
    assert_non_null(schema);
    return schema;
}

static const struct ovsdb_column *
column(const struct ovsdb_schema *schema, const char *table, const char *name)
{
    const struct ovsdb_table *t = ovsdb_schema_table(schema, table);
    assert_non_null(t);
    const struct ovsdb_column *c = ovsdb_table_column(t, name);
    if (!c) {
        fail_msg("no column %s in table %s", name, table);
    }
    assert_string_equal(c->name, name);
    return c;
}

static void
assert_column(const struct ovsdb_column *c, enum ovsdb_atomic_type key,
              enum ovsdb_atomic_type value, unsigned int min, unsigned int max)
{
    assert_int_equal(c->key_type, key);
    assert_int_equal(c->value_type, value);
    assert_int_equal(c->min, min);
    assert_int_equal(c->max, max);
}

static void
test_vswitch_schema(void **state)
{
    (void)state;
    struct ovsdb_schema *schema = NULL;
    struct ovsdb_error *error = NULL;
    int retval = ovsdb_schema_from_file(VSWITCH_SCHEMA, &schema, &error);
    if (retval) {
        fail_msg("%s", error->msg);
    }

    json_t *json = json_load_file(VSWITCH_SCHEMA, 0, NULL);
    assert_non_null(json);
    assert_string_equal(schema->name, "Open_vSwitch");
    assert_string_equal(schema->version,
                        json_string_value(json_object_get(json, "version")));
    const json_t *tables = json_object_get(json, "tables");
    assert_int_equal(schema->n_tables, json_object_size(tables));

    /* Every table and column of the file is there, plus _uuid and
     * _version, and nothing else. */
    for (void *it = json_object_iter((json_t *)tables); it;
         it = json_object_iter_next((json_t *)tables, it)) {
        const char *table_name = json_object_iter_key(it);
        const json_t *table_json = json_object_iter_value(it);
        const struct ovsdb_table *t = ovsdb_schema_table(schema, table_name);
        assert_non_null(t);
        assert_string_equal(t->name, table_name);
        const json_t *columns = json_object_get(table_json, "columns");
        assert_int_equal(t->n_columns, json_object_size(columns) + 2);
        for (void *cit = json_object_iter((json_t *)columns); cit;
             cit = json_object_iter_next((json_t *)columns, cit)) {
            const char *column_name = json_object_iter_key(cit);
            const json_t *column_json = json_object_iter_value(cit);
            const struct ovsdb_column *c =
                column(schema, table_name, column_name);
            assert_int_equal(c->ephemeral, json_is_true(json_object_get(
                                               column_json, "ephemeral")));
        }
        assert_column(column(schema, table_name, "_uuid"), OVSDB_TYPE_UUID,
                      OVSDB_TYPE_VOID, 1, 1);
        assert_column(column(schema, table_name, "_version"), OVSDB_TYPE_UUID,
                      OVSDB_TYPE_VOID, 1, 1);
        assert_int_equal(t->is_root,
                         json_is_true(json_object_get(table_json, "isRoot")));
    }
    json_decref(json);

    /* Interface: a scalar, an optional scalar, maps, an ephemeral
     * column. */
    const struct ovsdb_column *c = column(schema, "Interface", "name");
    assert_column(c, OVSDB_TYPE_STRING, OVSDB_TYPE_VOID, 1, 1);
    assert_false(ovsdb_column_is_set(c));
    assert_false(ovsdb_column_is_map(c));
    assert_false(c->ephemeral);

    c = column(schema, "Interface", "ofport");
    assert_column(c, OVSDB_TYPE_INTEGER, OVSDB_TYPE_VOID, 0, 1);
    assert_true(ovsdb_column_is_set(c));
    assert_false(ovsdb_column_is_map(c));

    c = column(schema, "Interface", "external_ids");
    assert_column(c, OVSDB_TYPE_STRING, OVSDB_TYPE_STRING, 0, UINT_MAX);
    assert_true(ovsdb_column_is_map(c));
    assert_false(ovsdb_column_is_set(c));

    c = column(schema, "Interface", "statistics");
    assert_column(c, OVSDB_TYPE_STRING, OVSDB_TYPE_INTEGER, 0, UINT_MAX);
    assert_true(c->ephemeral);

    c = column(schema, "Interface", "ingress_policing_rate");
    assert_column(c, OVSDB_TYPE_INTEGER, OVSDB_TYPE_VOID, 1, 1);

    c = column(schema, "Interface", "ifindex");
    assert_column(c, OVSDB_TYPE_INTEGER, OVSDB_TYPE_VOID, 0, 1);
    assert_true(c->ephemeral);

    c = column(schema, "Interface", "cfm_fault");
    assert_column(c, OVSDB_TYPE_BOOLEAN, OVSDB_TYPE_VOID, 0, 1);

    c = column(schema, "Port", "interfaces");
    assert_column(c, OVSDB_TYPE_UUID, OVSDB_TYPE_VOID, 1, UINT_MAX);
    assert_true(ovsdb_column_is_set(c));

    c = column(schema, "Queue", "dscp");
    assert_column(c, OVSDB_TYPE_INTEGER, OVSDB_TYPE_VOID, 0, 1);

    assert_true(ovsdb_schema_table(schema, "Open_vSwitch")->is_root);
    assert_false(ovsdb_schema_table(schema, "Interface")->is_root);
    assert_null(ovsdb_schema_table(schema, "interface"));
    assert_null(ovsdb_schema_table(schema, "Nope"));
    assert_null(
        ovsdb_table_column(ovsdb_schema_table(schema, "Interface"), "nope"));

    ovsdb_schema_destroy(schema);
}

static void
test_type_forms(void **state)
{
    (void)state;
    struct ovsdb_schema *schema = schema_parse(
        "{\"name\": \"T\", \"version\": \"1.2.3\", \"tables\": {"
        " \"A\": {\"isRoot\": true, \"columns\": {"
        "  \"i\": {\"type\": \"integer\"},"
        "  \"r\": {\"type\": {\"key\": \"real\"}},"
        "  \"b\": {\"type\": {\"key\": {\"type\": \"boolean\"}}},"
        "  \"u\": {\"type\": {\"key\": {\"type\": \"uuid\","
        "                               \"refTable\": \"B\","
        "                               \"refType\": \"weak\"},"
        "                     \"min\": 0, \"max\": \"unlimited\"}},"
        "  \"m\": {\"type\": {\"key\": \"string\","
        "                     \"value\": {\"type\": \"integer\","
        "                                 \"minInteger\": 0},"
        "                     \"min\": 0, \"max\": 5},"
        "         \"ephemeral\": true, \"mutable\": false},"
        "  \"s\": {\"type\": {\"key\": {\"type\": \"string\","
        "                               \"enum\": [\"set\", [\"x\"]]},"
        "                     \"min\": 1, \"max\": 3}}}},"
        " \"B\": {\"columns\": {}, \"maxRows\": 2,"
        "        \"indexes\": [[\"_uuid\"]]}}}");
    assert_string_equal(schema->name, "T");
    assert_string_equal(schema->version, "1.2.3");
    assert_int_equal(schema->n_tables, 2);

    assert_column(column(schema, "A", "i"), OVSDB_TYPE_INTEGER,
                  OVSDB_TYPE_VOID, 1, 1);
    assert_column(column(schema, "A", "r"), OVSDB_TYPE_REAL, OVSDB_TYPE_VOID,
                  1, 1);
    assert_column(column(schema, "A", "b"), OVSDB_TYPE_BOOLEAN,
                  OVSDB_TYPE_VOID, 1, 1);
    assert_column(column(schema, "A", "u"), OVSDB_TYPE_UUID, OVSDB_TYPE_VOID,
                  0, UINT_MAX);
    assert_column(column(schema, "A", "m"), OVSDB_TYPE_STRING,
                  OVSDB_TYPE_INTEGER, 0, 5);
    assert_true(column(schema, "A", "m")->ephemeral);
    assert_false(column(schema, "A", "i")->ephemeral);
    assert_column(column(schema, "A", "s"), OVSDB_TYPE_STRING, OVSDB_TYPE_VOID,
                  1, 3);
    assert_true(ovsdb_column_is_set(column(schema, "A", "s")));

    /* "isRoot" defaults to false once some table is a root. */
    assert_true(ovsdb_schema_table(schema, "A")->is_root);
    assert_false(ovsdb_schema_table(schema, "B")->is_root);
    assert_int_equal(ovsdb_schema_table(schema, "B")->n_columns, 2);
    ovsdb_schema_destroy(schema);

    /* With no root table at all, every table is a root (as ovsdb-server
     * reads schemas older than "isRoot"); no version is allowed. */
    schema = schema_parse("{\"name\": \"T\", \"tables\": {"
                          " \"A\": {\"columns\": {}},"
                          " \"B\": {\"columns\": {}, \"isRoot\": false}}}");
    assert_string_equal(schema->version, "");
    assert_true(ovsdb_schema_table(schema, "A")->is_root);
    assert_true(ovsdb_schema_table(schema, "B")->is_root);
    ovsdb_schema_destroy(schema);

    ovsdb_schema_destroy(NULL);
}

/* Expects schema 'text' to fail with a message equal to 'msg'. */
static void
assert_schema_error(const char *text, const char *msg)
{
    json_t *json = parse(text);
    struct ovsdb_schema *schema = NULL;
    struct ovsdb_error *error = NULL;
    int retval = ovsdb_schema_from_json(json, &schema, &error);
    assert_int_equal(retval, -EINVAL);
    assert_null(schema);
    assert_non_null(error);
    assert_int_equal(error->code, -EINVAL);
    assert_null(error->tag);
    assert_string_equal(error->msg, msg);
    ovsdb_error_free(error);

    /* Without an error out-parameter, nothing leaks. */
    assert_int_equal(ovsdb_schema_from_json(json, &schema, NULL), -EINVAL);
    json_decref(json);
}

#define TABLE(COLUMNS)                                                        \
    "{\"name\": \"T\", \"version\": \"1.0.0\", \"tables\": {\"Tab\": "        \
    "{\"columns\": {" COLUMNS "}}}}"

static void
test_malformed(void **state)
{
    (void)state;
    assert_schema_error("[]", "The schema is not a JSON object.");
    assert_schema_error("{\"tables\": {}}",
                        "The schema has no \"name\" string.");
    assert_schema_error("{\"name\": \"1x\", \"tables\": {}}",
                        "The schema name \"1x\" is not a valid identifier.");
    assert_schema_error("{\"name\": \"T\", \"version\": \"1.2\", "
                        "\"tables\": {}}",
                        "The version of schema \"T\" is not a string of "
                        "the form x.y.z.");
    assert_schema_error("{\"name\": \"T\"}",
                        "Schema \"T\" has no \"tables\" object.");
    assert_schema_error("{\"name\": \"T\", \"tables\": {\"A-B\": {}}}",
                        "Table name \"A-B\" is not a valid identifier.");
    assert_schema_error("{\"name\": \"T\", \"tables\": {\"A\": 1}}",
                        "Table \"A\" is not a JSON object.");
    assert_schema_error("{\"name\": \"T\", \"tables\": {\"A\": {}}}",
                        "Table \"A\" has no \"columns\" object.");
    assert_schema_error("{\"name\": \"T\", \"tables\": {\"A\": "
                        "{\"columns\": {}, \"isRoot\": \"yes\"}}}",
                        "The \"isRoot\" of table \"A\" is not a boolean.");
    assert_schema_error("{\"name\": \"T\", \"tables\": {\"A\": "
                        "{\"columns\": {}, \"maxRows\": 0}}}",
                        "The \"maxRows\" of table \"A\" is not a positive "
                        "integer.");
    assert_schema_error("{\"name\": \"T\", \"tables\": {\"A\": "
                        "{\"columns\": {}, \"indexes\": [[\"x\"]]}}}",
                        "An index of table \"A\" names column \"x\", which "
                        "the table does not have.");
    assert_schema_error(TABLE("\"_x\": {\"type\": \"integer\"}"),
                        "Column \"_x\" of table \"Tab\" has a reserved "
                        "name: names beginning with \"_\" are reserved.");
    assert_schema_error(TABLE("\"a b\": {\"type\": \"integer\"}"),
                        "Column name \"a b\" of table \"Tab\" is not a "
                        "valid identifier.");
    assert_schema_error(TABLE("\"c\": \"integer\""),
                        "Column \"c\" of table \"Tab\" is not a JSON "
                        "object.");
    assert_schema_error(TABLE("\"c\": {\"ephemeral\": true}"),
                        "Column \"c\" of table \"Tab\" has no \"type\".");
    assert_schema_error(TABLE("\"c\": {\"type\": \"int\"}"),
                        "The key type of column \"c\" of table \"Tab\" is "
                        "the unknown type \"int\".");
    assert_schema_error(TABLE("\"c\": {\"type\": 5}"),
                        "The type of column \"c\" of table \"Tab\" is "
                        "neither a type name nor an object.");
    assert_schema_error(TABLE("\"c\": {\"type\": {\"value\": \"string\"}}"),
                        "The type of column \"c\" of table \"Tab\" has no "
                        "\"key\".");
    assert_schema_error(TABLE("\"c\": {\"type\": {\"key\": {}}}"),
                        "The key type of column \"c\" of table \"Tab\" has "
                        "no \"type\".");
    assert_schema_error(TABLE("\"c\": {\"type\": {\"key\": \"string\", "
                              "\"value\": \"map\"}}"),
                        "The value type of column \"c\" of table \"Tab\" is "
                        "the unknown type \"map\".");
    assert_schema_error(TABLE("\"c\": {\"type\": {\"key\": {\"type\": "
                              "\"uuid\", \"refType\": \"soft\"}}}"),
                        "The key type of column \"c\" of table \"Tab\" has "
                        "a \"refType\" other than \"strong\" or \"weak\".");
    assert_schema_error(TABLE("\"c\": {\"type\": {\"key\": \"string\", "
                              "\"min\": 2}}"),
                        "The \"min\" of column \"c\" of table \"Tab\" is "
                        "neither 0 nor 1.");
    assert_schema_error(TABLE("\"c\": {\"type\": {\"key\": \"string\", "
                              "\"max\": 0}}"),
                        "The \"max\" of column \"c\" of table \"Tab\" is "
                        "neither a positive integer nor \"unlimited\".");
    assert_schema_error(TABLE("\"c\": {\"type\": {\"key\": \"string\", "
                              "\"max\": \"lots\"}}"),
                        "The \"max\" of column \"c\" of table \"Tab\" is "
                        "neither a positive integer nor \"unlimited\".");
    assert_schema_error(TABLE("\"c\": {\"type\": \"string\", "
                              "\"ephemeral\": 1}"),
                        "The \"ephemeral\" of column \"c\" of table \"Tab\" "
                        "is not a boolean.");
}

static void
test_files(void **state)
{
    (void)state;
    struct ovsdb_schema *schema = NULL;
    struct ovsdb_error *error = NULL;

    assert_int_equal(
        ovsdb_schema_from_file("/nonexistent/x.ovsschema", &schema, &error),
        -ENOENT);
    assert_null(schema);
    assert_non_null(strstr(error->msg, "/nonexistent/x.ovsschema"));
    ovsdb_error_free(error);
    error = NULL;

    char path[] = "/tmp/test-schema-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "{\"name\": \"T\", \"tables\": ";
    assert_int_equal(write(fd, text, sizeof text - 1), sizeof text - 1);
    close(fd);
    assert_int_equal(ovsdb_schema_from_file(path, &schema, &error), -EINVAL);
    assert_null(schema);
    assert_non_null(strstr(error->msg, "is not valid JSON"));
    ovsdb_error_free(error);
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vswitch_schema),
        cmocka_unit_test(test_type_forms),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
