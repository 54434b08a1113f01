/* Unit tests of ovsdb/datum: builders, equality without regard to order,
 * default values, value checks, and update2 diffs as ovsdb-server sends
 * them (element toggles for sets, key merges for maps, the new value for
 * columns whose "max" is 1). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "datum.h"
#include "ovsdb-error.h"
#include "schema.h"

#define U1 "11111111-1111-1111-1111-111111111111"
#define U2 "22222222-2222-2222-2222-222222222222"
#define U3 "33333333-3333-3333-3333-333333333333"

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

/* Fails the test unless 'actual' (stolen, may be NULL) is exactly the JSON
 * value written in 'expected' (same order, same number types). */
static void
assert_json(json_t *actual, const char *expected)
{
    json_t *want = parse(expected);
    if (!actual || !json_equal(actual, want)) {
        char *got = actual ? json_dumps(actual, JSON_ENCODE_ANY) : NULL;
        print_error("expected: %s\n     got: %s\n", expected,
                    got ? got : "NULL");
        free(got);
        json_decref(actual);
        json_decref(want);
        fail();
    }
    json_decref(actual);
    json_decref(want);
}

static struct ovsdb_column
col(enum ovsdb_atomic_type key, enum ovsdb_atomic_type value, unsigned int min,
    unsigned int max)
{
    struct ovsdb_column c = {
        .name = "c",
        .key_type = key,
        .value_type = value,
        .min = min,
        .max = max,
        .ephemeral = false,
    };
    return c;
}

/* Applies diff 'diff' to 'old' (NULL for the default) for 'c' and
 * checks that the result is exactly 'expected'. */
static void
assert_diff(const struct ovsdb_column *c, const char *old, const char *diff,
            const char *expected)
{
    json_t *o = old ? parse(old) : NULL;
    json_t *d = parse(diff);
    json_t *new = NULL;
    struct ovsdb_error *error = NULL;
    int retval = ovsdb_datum_apply_diff(c, o, d, &new, &error);
    if (retval) {
        fail_msg("diff %s to %s: %s", diff, old ? old : "default", error->msg);
    }
    assert_json(new, expected);
    json_decref(o);
    json_decref(d);
}

/* Applies 'diff' to 'old' for 'c', expects -EPROTO and a message that
 * contains 'msg'. */
static void
assert_diff_error(const struct ovsdb_column *c, const char *old,
                  const char *diff, const char *msg)
{
    json_t *o = old ? parse(old) : NULL;
    json_t *d = parse(diff);
    json_t *new = NULL;
    struct ovsdb_error *error = NULL;
    assert_int_equal(ovsdb_datum_apply_diff(c, o, d, &new, &error), -EPROTO);
    assert_null(new);
    assert_non_null(error);
    assert_int_equal(error->code, -EPROTO);
    if (!strstr(error->msg, msg)) {
        fail_msg("message \"%s\" lacks \"%s\"", error->msg, msg);
    }
    ovsdb_error_free(error);
    json_decref(o);
    json_decref(d);
}

static bool
equal(const char *a, const char *b)
{
    json_t *x = parse(a);
    json_t *y = parse(b);
    bool result = ovsdb_datum_equal(x, y);
    assert_int_equal(result, ovsdb_datum_equal(y, x));
    json_decref(x);
    json_decref(y);
    return result;
}

static void
test_builders(void **state)
{
    (void)state;
    assert_json(ovsdb_uuid(U1), "[\"uuid\", \"" U1 "\"]");
    assert_json(ovsdb_named_uuid("row1"), "[\"named-uuid\", \"row1\"]");

    json_t *atom = ovsdb_uuid(U2);
    assert_string_equal(ovsdb_atom_uuid(atom), U2);
    json_decref(atom);
    atom = ovsdb_named_uuid("x");
    assert_null(ovsdb_atom_uuid(atom));
    json_decref(atom);
    atom = parse("\"" U1 "\"");
    assert_null(ovsdb_atom_uuid(atom));
    json_decref(atom);

    assert_json(ovsdb_set(parse("[1, 2]")), "[\"set\", [1, 2]]");
    assert_json(ovsdb_set(NULL), "[\"set\", []]");
    assert_null(ovsdb_set(parse("{}")));
    assert_json(ovsdb_map(parse("[[\"a\", \"b\"]]")),
                "[\"map\", [[\"a\", \"b\"]]]");

    json_t *object = parse("{\"k1\": \"v1\", \"k2\": \"v2\"}");
    json_t *map = ovsdb_map_from_object(object);
    json_decref(object);
    assert_true(equal("[\"map\", [[\"k2\", \"v2\"], [\"k1\", \"v1\"]]]",
                      "[\"map\", [[\"k1\", \"v1\"], [\"k2\", \"v2\"]]]"));
    assert_string_equal(json_string_value(ovsdb_map_get(map, "k1")), "v1");
    assert_string_equal(json_string_value(ovsdb_map_get(map, "k2")), "v2");
    assert_null(ovsdb_map_get(map, "k3"));
    assert_json(map, "[\"map\", [[\"k1\", \"v1\"], [\"k2\", \"v2\"]]]");

    json_t *set = parse("[\"set\", [1, 2]]");
    assert_null(ovsdb_map_get(set, "1"));
    assert_json(ovsdb_set_elements(set), "[1, 2]");
    json_decref(set);
    set = parse("[\"uuid\", \"" U1 "\"]");
    assert_json(ovsdb_set_elements(set), "[[\"uuid\", \"" U1 "\"]]");
    json_decref(set);
    set = parse("7");
    assert_json(ovsdb_set_elements(set), "[7]");
    json_decref(set);
    assert_json(ovsdb_set_elements(NULL), "[]");
}

static void
test_equal(void **state)
{
    (void)state;
    /* Atoms. */
    assert_true(equal("1", "1"));
    assert_false(equal("1", "2"));
    assert_true(equal("1", "1.0"));
    assert_false(equal("\"a\"", "\"b\""));
    assert_false(equal("\"1\"", "1"));
    assert_false(equal("true", "false"));
    assert_true(equal("[\"uuid\", \"" U1 "\"]", "[\"uuid\", \"" U1 "\"]"));
    assert_false(equal("[\"uuid\", \"" U1 "\"]", "[\"uuid\", \"" U2 "\"]"));

    /* Sets, without regard to order; an atom is a set of one. */
    assert_true(equal("[\"set\", [1, 2, 3]]", "[\"set\", [3, 1, 2]]"));
    assert_false(equal("[\"set\", [1, 2, 3]]", "[\"set\", [1, 2]]"));
    assert_false(equal("[\"set\", [1, 2]]", "[\"set\", [1, 3]]"));
    assert_true(equal("[\"set\", [5]]", "5"));
    assert_true(equal("[\"set\", []]", "[\"set\", []]"));
    assert_false(equal("[\"set\", []]", "0"));
    assert_true(equal("[\"set\", [[\"uuid\", \"" U1 "\"], "
                      "[\"uuid\", \"" U2 "\"]]]",
                      "[\"set\", [[\"uuid\", \"" U2 "\"], "
                      "[\"uuid\", \"" U1 "\"]]]"));
    assert_false(equal("[\"set\", [[\"uuid\", \"" U1 "\"], "
                       "[\"uuid\", \"" U2 "\"]]]",
                       "[\"set\", [[\"uuid\", \"" U2 "\"], "
                       "[\"uuid\", \"" U3 "\"]]]"));

    /* Maps, without regard to order; values matter. */
    assert_true(equal("[\"map\", [[\"a\", \"1\"], [\"b\", \"2\"]]]",
                      "[\"map\", [[\"b\", \"2\"], [\"a\", \"1\"]]]"));
    assert_false(equal("[\"map\", [[\"a\", \"1\"], [\"b\", \"2\"]]]",
                       "[\"map\", [[\"a\", \"1\"], [\"b\", \"3\"]]]"));
    assert_false(equal("[\"map\", [[\"a\", \"1\"]]]",
                       "[\"map\", [[\"a\", \"1\"], [\"b\", \"3\"]]]"));
    assert_false(equal("[\"map\", []]", "[\"set\", []]"));
    assert_true(equal("[\"map\", []]", "[\"map\", []]"));

    assert_true(ovsdb_datum_equal(NULL, NULL));
    json_t *one = parse("1");
    assert_false(ovsdb_datum_equal(one, NULL));
    assert_false(ovsdb_datum_equal(NULL, one));
    json_decref(one);
}

static void
test_default(void **state)
{
    (void)state;
    struct ovsdb_column c = col(OVSDB_TYPE_INTEGER, OVSDB_TYPE_VOID, 1, 1);
    assert_json(ovsdb_datum_default(&c), "0");
    c = col(OVSDB_TYPE_REAL, OVSDB_TYPE_VOID, 1, 1);
    assert_json(ovsdb_datum_default(&c), "0.0");
    c = col(OVSDB_TYPE_BOOLEAN, OVSDB_TYPE_VOID, 1, 1);
    assert_json(ovsdb_datum_default(&c), "false");
    c = col(OVSDB_TYPE_STRING, OVSDB_TYPE_VOID, 1, 1);
    assert_json(ovsdb_datum_default(&c), "\"\"");
    c = col(OVSDB_TYPE_UUID, OVSDB_TYPE_VOID, 1, 1);
    assert_json(ovsdb_datum_default(&c),
                "[\"uuid\", \"00000000-0000-0000-0000-000000000000\"]");

    c = col(OVSDB_TYPE_INTEGER, OVSDB_TYPE_VOID, 0, 1);
    assert_json(ovsdb_datum_default(&c), "[\"set\", []]");
    c = col(OVSDB_TYPE_UUID, OVSDB_TYPE_VOID, 0, UINT_MAX);
    assert_json(ovsdb_datum_default(&c), "[\"set\", []]");
    c = col(OVSDB_TYPE_STRING, OVSDB_TYPE_STRING, 0, UINT_MAX);
    assert_json(ovsdb_datum_default(&c), "[\"map\", []]");

    /* A column with "min" 1 holds one default element, as in
     * ovsdb-server. */
    c = col(OVSDB_TYPE_STRING, OVSDB_TYPE_VOID, 1, UINT_MAX);
    assert_json(ovsdb_datum_default(&c), "\"\"");
    c = col(OVSDB_TYPE_STRING, OVSDB_TYPE_INTEGER, 1, 3);
    assert_json(ovsdb_datum_default(&c), "[\"map\", [[\"\", 0]]]");

    /* Every default passes its own check. */
    enum ovsdb_atomic_type types[] = {
        OVSDB_TYPE_INTEGER, OVSDB_TYPE_REAL, OVSDB_TYPE_BOOLEAN,
        OVSDB_TYPE_STRING,  OVSDB_TYPE_UUID,
    };
    for (size_t i = 0; i < 5; i++) {
        for (unsigned int min = 0; min <= 1; min++) {
            unsigned int maxes[] = {1, 2, UINT_MAX};
            for (size_t j = 0; j < 3; j++) {
                struct ovsdb_column cs =
                    col(types[i], OVSDB_TYPE_VOID, min, maxes[j]);
                struct ovsdb_column cm =
                    col(types[i], types[4 - i], min, maxes[j]);
                json_t *ds = ovsdb_datum_default(&cs);
                json_t *dm = ovsdb_datum_default(&cm);
                assert_int_equal(ovsdb_datum_check(&cs, ds, NULL), 0);
                assert_int_equal(ovsdb_datum_check(&cm, dm, NULL), 0);
                json_decref(ds);
                json_decref(dm);
            }
        }
    }
}

static void
assert_check(const struct ovsdb_column *c, const char *datum, int expected,
             const char *msg)
{
    json_t *d = parse(datum);
    struct ovsdb_error *error = NULL;
    int retval = ovsdb_datum_check(c, d, &error);
    json_decref(d);
    if (retval != expected) {
        fail_msg("check %s: %d (%s), expected %d", datum, retval,
                 error ? error->msg : "", expected);
    }
    if (expected) {
        assert_string_equal(error->msg, msg);
        ovsdb_error_free(error);
    }
}

static void
test_check(void **state)
{
    (void)state;
    struct ovsdb_column c = col(OVSDB_TYPE_INTEGER, OVSDB_TYPE_VOID, 1, 1);
    assert_check(&c, "3", 0, NULL);
    assert_check(&c, "[\"set\", [3]]", 0, NULL);
    assert_check(&c, "\"3\"", -EPROTO,
                 "The value for column \"c\" has an element that is not "
                 "of type integer.");
    assert_check(&c, "3.5", -EPROTO,
                 "The value for column \"c\" has an element that is not "
                 "of type integer.");
    assert_check(&c, "[\"set\", []]", -EPROTO,
                 "The value for column \"c\" has 0 elements, fewer than "
                 "the column's minimum of 1.");

    c = col(OVSDB_TYPE_REAL, OVSDB_TYPE_VOID, 1, 1);
    assert_check(&c, "3", 0, NULL);
    assert_check(&c, "3.5", 0, NULL);

    c = col(OVSDB_TYPE_UUID, OVSDB_TYPE_VOID, 0, 2);
    assert_check(&c, "[\"uuid\", \"" U1 "\"]", 0, NULL);
    assert_check(&c,
                 "[\"set\", [[\"uuid\", \"" U1 "\"], "
                 "[\"uuid\", \"" U2 "\"]]]",
                 0, NULL);
    assert_check(&c,
                 "[\"set\", [[\"uuid\", \"" U1 "\"], "
                 "[\"uuid\", \"" U2 "\"], [\"uuid\", \"" U3 "\"]]]",
                 -EPROTO,
                 "The value for column \"c\" has 3 elements, more than "
                 "the column's maximum of 2.");
    assert_check(&c,
                 "[\"set\", [[\"uuid\", \"" U1 "\"], "
                 "[\"uuid\", \"" U1 "\"]]]",
                 -EPROTO,
                 "The value for column \"c\" has a duplicate element.");
    assert_check(&c, "[\"uuid\", \"not-a-uuid\"]", -EPROTO,
                 "The value for column \"c\" has an element that is not "
                 "of type uuid.");
    assert_check(&c, "[\"named-uuid\", \"x\"]", -EPROTO,
                 "The value for column \"c\" has an element that is not "
                 "of type uuid.");

    c = col(OVSDB_TYPE_STRING, OVSDB_TYPE_INTEGER, 0, UINT_MAX);
    assert_check(&c, "[\"map\", [[\"a\", 1], [\"b\", 2]]]", 0, NULL);
    assert_check(&c, "[\"set\", []]", -EPROTO,
                 "The value for column \"c\" is not a map.");
    assert_check(&c, "[\"map\", [[\"a\", 1], [\"a\", 2]]]", -EPROTO,
                 "The value for column \"c\" has a duplicate map key.");
    assert_check(&c, "[\"map\", [[\"a\", \"1\"]]]", -EPROTO,
                 "The value for column \"c\" has a map value that is not "
                 "of type integer.");
    assert_check(&c, "[\"map\", [[1, 1]]]", -EPROTO,
                 "The value for column \"c\" has a map key that is not "
                 "of type string.");
    assert_check(&c, "[\"map\", [[\"a\"]]]", -EPROTO,
                 "The value for column \"c\" has a map entry that is not a "
                 "[key, value] pair.");
}

static void
test_diff_scalar(void **state)
{
    (void)state;
    /* A scalar takes the diff as its new value. */
    struct ovsdb_column c = col(OVSDB_TYPE_INTEGER, OVSDB_TYPE_VOID, 1, 1);
    assert_diff(&c, "1", "5", "5");
    assert_diff(&c, NULL, "5", "5");
    assert_diff(&c, "5", "5", "5");
    c = col(OVSDB_TYPE_STRING, OVSDB_TYPE_VOID, 1, 1);
    assert_diff(&c, "\"a\"", "\"b\"", "\"b\"");
    assert_diff_error(&c, "\"a\"", "5", "not of type string");
    c = col(OVSDB_TYPE_BOOLEAN, OVSDB_TYPE_VOID, 1, 1);
    assert_diff(&c, "false", "true", "true");
    c = col(OVSDB_TYPE_UUID, OVSDB_TYPE_VOID, 1, 1);
    assert_diff(&c, "[\"uuid\", \"" U1 "\"]", "[\"uuid\", \"" U2 "\"]",
                "[\"uuid\", \"" U2 "\"]");
}

static void
test_diff_optional(void **state)
{
    (void)state;
    /* An optional scalar ("min" 0, "max" 1) also takes the diff as its
     * new value: ovsdb-server sends 2 for 1 -> 2, and ["set", []] for
     * 2 -> empty. */
    struct ovsdb_column c = col(OVSDB_TYPE_INTEGER, OVSDB_TYPE_VOID, 0, 1);
    assert_diff(&c, "[\"set\", []]", "3", "3");
    assert_diff(&c, NULL, "3", "3");
    assert_diff(&c, "1", "2", "2");
    assert_diff(&c, "2", "[\"set\", []]", "[\"set\", []]");
    assert_diff_error(&c, "1", "[\"set\", [1, 2]]",
                      "has 2 elements, more than the column's maximum of "
                      "1.");
    assert_diff_error(&c, "1", "\"x\"", "not of type integer");

    c = col(OVSDB_TYPE_STRING, OVSDB_TYPE_VOID, 0, 1);
    assert_diff(&c, "\"a\"", "\"b\"", "\"b\"");
}

static void
test_diff_set(void **state)
{
    (void)state;
    struct ovsdb_column c =
        col(OVSDB_TYPE_STRING, OVSDB_TYPE_VOID, 0, UINT_MAX);
    /* Toggle: "b" goes, "c" comes. */
    assert_diff(&c, "[\"set\", [\"a\", \"b\"]]", "[\"set\", [\"b\", \"c\"]]",
                "[\"set\", [\"a\", \"c\"]]");
    /* A set of one, in the old value or the diff, is a bare atom; so is
     * a result of one element. */
    assert_diff(&c, "\"b\"", "\"c\"", "[\"set\", [\"b\", \"c\"]]");
    assert_diff(&c, "[\"set\", [\"a\", \"b\"]]", "\"a\"", "\"b\"");
    assert_diff(&c, "\"a\"", "\"a\"", "[\"set\", []]");
    assert_diff(&c, NULL, "[\"set\", [\"y\", \"x\"]]",
                "[\"set\", [\"x\", \"y\"]]");
    assert_diff(&c, "[\"set\", [\"a\"]]", "[\"set\", []]", "\"a\"");
    assert_diff_error(&c, "\"a\"", "[\"set\", [\"b\", \"b\"]]",
                      "The diff for column \"c\" has a duplicate element.");
    assert_diff_error(&c, "\"a\"", "[\"set\", [1]]",
                      "The diff for column \"c\" has an element that is "
                      "not of type string.");

    /* The same as ovsdb-server computed it (see datum.c). */
    assert_diff(&c, "[\"set\", [\"y\", \"z\"]]",
                "[\"set\", [\"q\", \"y\", "
                "\"z\"]]",
                "\"q\"");

    /* Sets of UUIDs. */
    c = col(OVSDB_TYPE_UUID, OVSDB_TYPE_VOID, 0, UINT_MAX);
    assert_diff(&c,
                "[\"set\", [[\"uuid\", \"" U1 "\"], [\"uuid\", \"" U2 "\"]]]",
                "[\"set\", [[\"uuid\", \"" U3 "\"], [\"uuid\", \"" U1 "\"]]]",
                "[\"set\", [[\"uuid\", \"" U2 "\"], [\"uuid\", \"" U3 "\"]]]");
    assert_diff(&c, "[\"uuid\", \"" U1 "\"]", "[\"uuid\", \"" U1 "\"]",
                "[\"set\", []]");

    /* Limits on the number of elements. */
    c = col(OVSDB_TYPE_INTEGER, OVSDB_TYPE_VOID, 0, 2);
    assert_diff(&c, "[\"set\", [1, 2]]", "[\"set\", [2, 3]]",
                "[\"set\", [1, 3]]");
    assert_diff_error(&c, "[\"set\", [1, 2]]", "3",
                      "has 3 elements, more than the column's maximum of "
                      "2.");
    c = col(OVSDB_TYPE_UUID, OVSDB_TYPE_VOID, 1, UINT_MAX);
    assert_diff_error(&c, "[\"uuid\", \"" U1 "\"]", "[\"uuid\", \"" U1 "\"]",
                      "has 0 elements, fewer than the column's minimum of "
                      "1.");
}

static void
test_diff_map(void **state)
{
    (void)state;
    struct ovsdb_column c =
        col(OVSDB_TYPE_STRING, OVSDB_TYPE_STRING, 0, UINT_MAX);
    /* "a" has the same value: removed; "b" another value: changed; "d" is
     * new: added; "c" is untouched. */
    assert_diff(&c,
                "[\"map\", [[\"a\", \"1\"], [\"b\", \"2\"], [\"c\", \"3\"]]]",
                "[\"map\", [[\"d\", \"4\"], [\"b\", \"9\"], [\"a\", \"1\"]]]",
                "[\"map\", [[\"b\", \"9\"], [\"c\", \"3\"], [\"d\", \"4\"]]]");
    assert_diff(&c, NULL, "[\"map\", [[\"k\", \"v\"]]]",
                "[\"map\", [[\"k\", \"v\"]]]");
    assert_diff(&c, "[\"map\", [[\"k\", \"v\"]]]",
                "[\"map\", [[\"k\", \"v\"]]]", "[\"map\", []]");

    /* What ovsdb-server sent for external_ids {k=v, k2=v2} ->
     * {k=v9, k2=v2, k3=v3}. */
    assert_diff(&c, "[\"map\", [[\"k\", \"v\"], [\"k2\", \"v2\"]]]",
                "[\"map\", [[\"k\", \"v9\"], [\"k3\", \"v3\"]]]",
                "[\"map\", [[\"k\", \"v9\"], [\"k2\", \"v2\"], "
                "[\"k3\", \"v3\"]]]");

    assert_diff_error(&c, "[\"map\", []]", "[\"set\", []]",
                      "The diff for column \"c\" is not a map.");
    assert_diff_error(&c, "[\"map\", []]",
                      "[\"map\", [[\"k\", \"v\"], [\"k\", \"w\"]]]",
                      "The diff for column \"c\" has a duplicate map key.");
    assert_diff_error(&c, "[\"map\", []]", "[\"map\", [[\"k\", 1]]]",
                      "has a map value that is not of type string.");

    /* Integer-keyed maps sort by number. */
    c = col(OVSDB_TYPE_INTEGER, OVSDB_TYPE_UUID, 0, UINT_MAX);
    assert_diff(&c, "[\"map\", [[10, [\"uuid\", \"" U1 "\"]]]]",
                "[\"map\", [[9, [\"uuid\", \"" U2 "\"]], "
                "[10, [\"uuid\", \"" U3 "\"]]]]",
                "[\"map\", [[9, [\"uuid\", \"" U2 "\"]], "
                "[10, [\"uuid\", \"" U3 "\"]]]]");

    /* A map with "max" 1 takes the diff as its new value. */
    c = col(OVSDB_TYPE_STRING, OVSDB_TYPE_STRING, 0, 1);
    assert_diff(&c, "[\"map\", [[\"a\", \"1\"]]]",
                "[\"map\", [[\"b\", \"2\"]]]", "[\"map\", [[\"b\", \"2\"]]]");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builders),
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_diff_scalar),
        cmocka_unit_test(test_diff_optional),
        cmocka_unit_test(test_diff_set),
        cmocka_unit_test(test_diff_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
