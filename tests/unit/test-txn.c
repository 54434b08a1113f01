/* Unit tests of ovsdb/txn: the exact JSON of every operation, and the
 * reading of "transact" results as RFC 7047 section 5.2 describes them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ovsdb-error.h"
#include "txn.h"

/* Fails the test unless 'actual' (stolen, may be NULL) is the JSON value
 * written in 'expected'. */
static void
assert_json(json_t *actual, const char *expected)
{
    json_error_t jerr;
    json_t *want = json_loads(expected, JSON_DECODE_ANY, &jerr);
    if (!want) {
        fail_msg("bad expected JSON %s: %s", expected, jerr.text);
    }
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

/* Builds a transaction with 'n' operations: an insert into "Bridge" first,
 * then comments. */
static struct ovsdb_txn *
txn_with_ops(size_t n)
{
    struct ovsdb_txn *txn = ovsdb_txn_create("Open_vSwitch");
    for (size_t i = 0; i < n; i++) {
        if (i == 2) {
            ovsdb_txn_insert(txn, "Bridge", NULL, NULL);
        } else {
            ovsdb_txn_comment(txn, "c");
        }
    }
    return txn;
}

/* Checks 'result_text' against a transaction of 'n' operations (see
 * txn_with_ops()) and returns the code; the error, if any, in '*errorp'. */
static int
check(size_t n, const char *result_text, struct ovsdb_error **errorp)
{
    struct ovsdb_txn *txn = txn_with_ops(n);
    json_t *result = parse(result_text);
    int r = ovsdb_txn_check_result(txn, result, errorp);
    json_decref(result);
    ovsdb_txn_destroy(txn);
    return r;
}

/* Building. */

static void
test_empty(void **state)
{
    struct ovsdb_txn *txn = ovsdb_txn_create("Open_vSwitch");
    assert_int_equal(ovsdb_txn_n_ops(txn), 0);
    assert_json(ovsdb_txn_params(txn), "[\"Open_vSwitch\"]");
    ovsdb_txn_destroy(txn);
    ovsdb_txn_destroy(NULL);
}

static void
test_cond_mutation_where_uuid(void **state)
{
    assert_json(ovsdb_cond("name", "==", json_string("br0")),
                "[\"name\", \"==\", \"br0\"]");
    assert_json(ovsdb_mutation("n", "+=", json_integer(2)),
                "[\"n\", \"+=\", 2]");
    assert_json(ovsdb_where_uuid("36c8e1c5-5ccd-4c5e-9ac3-2ae5a3c8a1b6"),
                "[[\"_uuid\", \"==\", [\"uuid\", "
                "\"36c8e1c5-5ccd-4c5e-9ac3-2ae5a3c8a1b6\"]]]");
    /* A missing value gives no condition (and nothing leaks). */
    assert_null(ovsdb_cond("name", "==", NULL));
    assert_null(ovsdb_cond(NULL, "==", json_string("x")));
}

static void
test_insert(void **state)
{
    struct ovsdb_txn *txn = ovsdb_txn_create("Open_vSwitch");
    assert_int_equal(
        ovsdb_txn_insert(txn, "Bridge", parse("{\"name\": \"br0\"}"), "br"),
        0);
    assert_int_equal(ovsdb_txn_insert(txn, "Port", NULL, NULL), 1);
    assert_int_equal(ovsdb_txn_n_ops(txn), 2);
    assert_json(ovsdb_txn_params(txn),
                "[\"Open_vSwitch\","
                " {\"op\": \"insert\", \"table\": \"Bridge\","
                "  \"row\": {\"name\": \"br0\"}, \"uuid-name\": \"br\"},"
                " {\"op\": \"insert\", \"table\": \"Port\", \"row\": {}}]");
    ovsdb_txn_destroy(txn);
}

static void
test_select(void **state)
{
    struct ovsdb_txn *txn = ovsdb_txn_create("db");
    json_t *where =
        json_pack("[o]", ovsdb_cond("name", "==", json_string("br0")));
    assert_int_equal(
        ovsdb_txn_select(txn, "Bridge", where, parse("[\"name\", \"ports\"]")),
        0);
    assert_int_equal(ovsdb_txn_select(txn, "Port", NULL, NULL), 1);
    assert_json(ovsdb_txn_params(txn),
                "[\"db\","
                " {\"op\": \"select\", \"table\": \"Bridge\","
                "  \"where\": [[\"name\", \"==\", \"br0\"]],"
                "  \"columns\": [\"name\", \"ports\"]},"
                " {\"op\": \"select\", \"table\": \"Port\", \"where\": []}]");
    ovsdb_txn_destroy(txn);
}

static void
test_update(void **state)
{
    struct ovsdb_txn *txn = ovsdb_txn_create("db");
    assert_int_equal(ovsdb_txn_update(txn, "Bridge", ovsdb_where_uuid("u1"),
                                      parse("{\"stp_enable\": true}")),
                     0);
    assert_int_equal(ovsdb_txn_update(txn, "Port", NULL, NULL), 1);
    assert_json(ovsdb_txn_params(txn),
                "[\"db\","
                " {\"op\": \"update\", \"table\": \"Bridge\","
                "  \"where\": [[\"_uuid\", \"==\", [\"uuid\", \"u1\"]]],"
                "  \"row\": {\"stp_enable\": true}},"
                " {\"op\": \"update\", \"table\": \"Port\", \"where\": [],"
                "  \"row\": {}}]");
    ovsdb_txn_destroy(txn);
}

static void
test_mutate(void **state)
{
    struct ovsdb_txn *txn = ovsdb_txn_create("Open_vSwitch");
    json_t *mutations =
        json_pack("[oo]", ovsdb_mutation("next_cfg", "+=", json_integer(1)),
                  ovsdb_mutation("bridges", "insert",
                                 json_pack("[ss]", "named-uuid", "br")));
    assert_int_equal(
        ovsdb_txn_mutate(txn, "Open_vSwitch", json_array(), mutations), 0);
    assert_json(ovsdb_txn_params(txn),
                "[\"Open_vSwitch\","
                " {\"op\": \"mutate\", \"table\": \"Open_vSwitch\","
                "  \"where\": [],"
                "  \"mutations\": [[\"next_cfg\", \"+=\", 1],"
                "    [\"bridges\", \"insert\", [\"named-uuid\", \"br\"]]]}]");
    ovsdb_txn_destroy(txn);
}

static void
test_delete(void **state)
{
    struct ovsdb_txn *txn = ovsdb_txn_create("db");
    assert_int_equal(ovsdb_txn_delete(txn, "Bridge", ovsdb_where_uuid("u")),
                     0);
    assert_int_equal(ovsdb_txn_delete(txn, "Port", NULL), 1);
    assert_json(ovsdb_txn_params(txn),
                "[\"db\","
                " {\"op\": \"delete\", \"table\": \"Bridge\","
                "  \"where\": [[\"_uuid\", \"==\", [\"uuid\", \"u\"]]]},"
                " {\"op\": \"delete\", \"table\": \"Port\", \"where\": []}]");
    ovsdb_txn_destroy(txn);
}

static void
test_wait(void **state)
{
    struct ovsdb_txn *txn = ovsdb_txn_create("db");
    assert_int_equal(ovsdb_txn_wait(txn, "Bridge", ovsdb_where_uuid("u"),
                                    parse("[\"name\"]"), "==",
                                    parse("[{\"name\": \"br0\"}]"), 1000),
                     0);
    assert_int_equal(ovsdb_txn_wait(txn, "Port", NULL, NULL, "!=", NULL, -1),
                     1);
    assert_int_equal(ovsdb_txn_wait(txn, "Port", NULL, NULL, "==", NULL, 0),
                     2);
    assert_json(ovsdb_txn_params(txn),
                "[\"db\","
                " {\"op\": \"wait\", \"table\": \"Bridge\","
                "  \"where\": [[\"_uuid\", \"==\", [\"uuid\", \"u\"]]],"
                "  \"columns\": [\"name\"], \"until\": \"==\","
                "  \"rows\": [{\"name\": \"br0\"}], \"timeout\": 1000},"
                " {\"op\": \"wait\", \"table\": \"Port\", \"where\": [],"
                "  \"columns\": [], \"until\": \"!=\", \"rows\": []},"
                " {\"op\": \"wait\", \"table\": \"Port\", \"where\": [],"
                "  \"columns\": [], \"until\": \"==\", \"rows\": [],"
                "  \"timeout\": 0}]");
    ovsdb_txn_destroy(txn);
}

static void
test_commit_abort_comment_assert(void **state)
{
    struct ovsdb_txn *txn = ovsdb_txn_create("db");
    assert_int_equal(ovsdb_txn_commit(txn, true), 0);
    assert_int_equal(ovsdb_txn_commit(txn, false), 1);
    assert_int_equal(ovsdb_txn_abort(txn), 2);
    assert_int_equal(ovsdb_txn_comment(txn, "fabric: apply \"lab\""), 3);
    assert_int_equal(ovsdb_txn_assert(txn, "fabric-lock"), 4);
    assert_int_equal(ovsdb_txn_n_ops(txn), 5);
    assert_json(ovsdb_txn_params(txn),
                "[\"db\","
                " {\"op\": \"commit\", \"durable\": true},"
                " {\"op\": \"commit\", \"durable\": false},"
                " {\"op\": \"abort\"},"
                " {\"op\": \"comment\", \"comment\": \"fabric: apply "
                "\\\"lab\\\"\"},"
                " {\"op\": \"assert\", \"lock\": \"fabric-lock\"}]");
    ovsdb_txn_destroy(txn);
}

/* The params are a copy: changing them does not change the
 * transaction. */
static void
test_params_are_a_copy(void **state)
{
    struct ovsdb_txn *txn = ovsdb_txn_create("db");
    ovsdb_txn_insert(txn, "T", parse("{\"a\": 1}"), NULL);
    json_t *params = ovsdb_txn_params(txn);
    json_object_set_new(json_array_get(params, 1), "op", json_string("x"));
    json_array_append_new(params, json_null());
    json_decref(params);
    assert_json(ovsdb_txn_params(txn),
                "[\"db\", {\"op\": \"insert\", \"table\": \"T\","
                "          \"row\": {\"a\": 1}}]");
    ovsdb_txn_destroy(txn);
}

/* A builder given an unusable argument frees its arguments (checked by
 * LeakSanitizer), adds nothing and makes the transaction unsendable. */
static void
test_bad_arguments(void **state)
{
    struct ovsdb_txn *txn = ovsdb_txn_create("db");
    assert_int_equal(ovsdb_txn_comment(txn, "ok"), 0);
    assert_int_equal(ovsdb_txn_insert(txn, NULL, parse("{\"a\": 1}"), "x"),
                     SIZE_MAX);
    assert_int_equal(ovsdb_txn_insert(txn, "T", parse("[1]"), NULL), SIZE_MAX);
    assert_int_equal(ovsdb_txn_select(txn, "T", parse("{}"), parse("[\"a\"]")),
                     SIZE_MAX);
    assert_int_equal(ovsdb_txn_select(txn, "T", parse("[]"), parse("[1]")),
                     SIZE_MAX);
    assert_int_equal(ovsdb_txn_update(txn, "T", parse("[]"), parse("[]")),
                     SIZE_MAX);
    assert_int_equal(ovsdb_txn_mutate(txn, NULL, parse("[]"), parse("[]")),
                     SIZE_MAX);
    assert_int_equal(ovsdb_txn_mutate(txn, "T", parse("[]"), parse("{}")),
                     SIZE_MAX);
    assert_int_equal(ovsdb_txn_delete(txn, "T", parse("1")), SIZE_MAX);
    assert_int_equal(ovsdb_txn_wait(txn, "T", parse("[]"), parse("[]"), "<",
                                    parse("[]"), 0),
                     SIZE_MAX);
    assert_int_equal(ovsdb_txn_wait(txn, "T", parse("[]"), parse("[]"), NULL,
                                    parse("[]"), 0),
                     SIZE_MAX);
    assert_int_equal(ovsdb_txn_wait(txn, "T", parse("[]"), parse("[]"),
                                    "==", parse("{}"), 0),
                     SIZE_MAX);
    assert_int_equal(ovsdb_txn_comment(txn, NULL), SIZE_MAX);
    assert_int_equal(ovsdb_txn_assert(txn, NULL), SIZE_MAX);
    assert_int_equal(ovsdb_txn_n_ops(txn), 1);
    assert_null(ovsdb_txn_params(txn));
    ovsdb_txn_destroy(txn);

    /* Without a transaction at all, the arguments are still freed. */
    assert_int_equal(ovsdb_txn_insert(NULL, "T", parse("{}"), NULL), SIZE_MAX);
    assert_int_equal(ovsdb_txn_wait(NULL, "T", parse("[]"), parse("[]"),
                                    "==", parse("[]"), 0),
                     SIZE_MAX);
}

/* Checking results. */

static void
test_result_success(void **state)
{
    struct ovsdb_error *error = NULL;
    assert_int_equal(check(4,
                           "[{}, {}, {\"uuid\": [\"uuid\", \"u\"]},"
                           " {\"count\": 1}]",
                           &error),
                     0);
    assert_null(error);
    assert_int_equal(check(0, "[]", &error), 0);
    assert_null(error);
}

static void
test_result_op_error(void **state)
{
    struct ovsdb_error *error = NULL;
    assert_int_equal(check(4,
                           "[{}, {}, {\"error\": \"constraint violation\","
                           " \"details\": \"name must be unique\"},"
                           " null]",
                           &error),
                     -EINVAL);
    assert_non_null(error);
    assert_int_equal(error->code, -EINVAL);
    assert_string_equal(error->tag, "constraint violation");
    assert_string_equal(error->details, "name must be unique");
    assert_string_equal(error->msg,
                        "transaction operation 2 (insert into Bridge) "
                        "failed: constraint violation: name must be unique");
    ovsdb_error_free(error);

    /* The first error wins; no details; a truncated tail is accepted. */
    error = NULL;
    assert_int_equal(check(4,
                           "[{\"error\": \"resources exhausted\"},"
                           " {\"error\": \"other\"}]",
                           &error),
                     -EINVAL);
    assert_string_equal(error->tag, "resources exhausted");
    assert_null(error->details);
    assert_string_equal(error->msg, "transaction operation 0 (comment) "
                                    "failed: resources exhausted");
    ovsdb_error_free(error);

    /* 'errorp' may be NULL. */
    assert_int_equal(check(1, "[{\"error\": \"x\"}]", NULL), -EINVAL);
}

static void
test_result_commit_error(void **state)
{
    struct ovsdb_error *error = NULL;
    assert_int_equal(check(3,
                           "[{}, {}, {\"uuid\": [\"uuid\", \"u\"]},"
                           " {\"error\": \"referential integrity violation\","
                           "  \"details\": \"row u is referenced\"}]",
                           &error),
                     -EINVAL);
    assert_string_equal(error->tag, "referential integrity violation");
    assert_string_equal(error->details, "row u is referenced");
    assert_string_equal(error->msg,
                        "transaction failed to commit: referential "
                        "integrity violation: row u is referenced");
    ovsdb_error_free(error);
}

static void
test_result_codes(void **state)
{
    struct ovsdb_error *error = NULL;
    assert_int_equal(check(2,
                           "[{\"error\": \"aborted\","
                           " \"details\": \"aborted by request\"}, null]",
                           &error),
                     -ECANCELED);
    assert_int_equal(error->code, -ECANCELED);
    assert_string_equal(error->tag, "aborted");
    ovsdb_error_free(error);

    error = NULL;
    assert_int_equal(check(3,
                           "[{}, {\"error\": \"timed out\","
                           " \"details\": \"\\\"where\\\" clause test "
                           "failed\"}, null]",
                           &error),
                     -ETIMEDOUT);
    assert_int_equal(error->code, -ETIMEDOUT);
    assert_string_equal(error->tag, "timed out");
    assert_string_equal(error->msg, "transaction operation 1 (comment) "
                                    "failed: timed out: \"where\" clause "
                                    "test failed");
    ovsdb_error_free(error);

    error = NULL;
    assert_int_equal(check(1,
                           "[{\"error\": \"not owner\","
                           " \"details\": \"Asserted lock l not held.\"}]",
                           &error),
                     -EPERM);
    assert_int_equal(error->code, -EPERM);
    assert_string_equal(error->tag, "not owner");
    ovsdb_error_free(error);

    /* A commit error also maps its code. */
    error = NULL;
    assert_int_equal(check(1, "[{}, {\"error\": \"timed out\"}]", &error),
                     -ETIMEDOUT);
    ovsdb_error_free(error);
}

static void
test_result_malformed(void **state)
{
    static const struct {
        size_t n_ops;
        const char *result;
    } cases[] = {
        {1, "{\"error\": \"x\"}"},           /* Not an array. */
        {1, "null"},                         /* Not an array. */
        {3, "[{}, {}]"},                     /* Too few results. */
        {0, "[{}]"},                         /* Too many, not an error. */
        {1, "[{}, {}]"},                     /* Too many, not an error. */
        {1, "[{}, {\"error\": \"x\"}, {}]"}, /* Two more than ops. */
        {2, "[null, {}]"},                   /* Null with no error before. */
        {1, "[42]"},                         /* Entry not an object. */
        {1, "[{\"error\": 1}]"},             /* "error" not a string. */
        {1, "[{\"error\": \"x\", \"details\": 2}]"}, /* Bad "details". */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ovsdb_error *error = NULL;
        int r = check(cases[i].n_ops, cases[i].result, &error);
        if (r != -EPROTO) {
            fail_msg("case %zu (%s): got %d", i, cases[i].result, r);
        }
        assert_non_null(error);
        assert_int_equal(error->code, -EPROTO);
        assert_null(error->tag);
        assert_non_null(error->msg);
        ovsdb_error_free(error);
    }

    struct ovsdb_error *error = NULL;
    check(1, "\"x\"", &error);
    assert_string_equal(error->msg, "transaction result is not an array");
    ovsdb_error_free(error);
    error = NULL;
    check(3, "[{}, {}]", &error);
    assert_string_equal(error->msg,
                        "transaction result has 2 entries for 3 operations");
    ovsdb_error_free(error);
}

/* Result helpers. */

static void
test_inserted_uuid(void **state)
{
    json_t *result = parse("[{\"uuid\": [\"uuid\", \"u-1\"]},"
                           " {\"rows\": []}, {\"uuid\": \"u-2\"},"
                           " {\"uuid\": [\"named-uuid\", \"x\"]},"
                           " {\"uuid\": [\"uuid\", 3]}, null]");
    assert_string_equal(ovsdb_txn_inserted_uuid(result, 0), "u-1");
    for (size_t i = 1; i < 8; i++) {
        assert_null(ovsdb_txn_inserted_uuid(result, i));
    }
    json_decref(result);
    assert_null(ovsdb_txn_inserted_uuid(NULL, 0));
}

static void
test_selected_rows(void **state)
{
    json_t *result = parse("[{\"rows\": [{\"name\": \"br0\"}]},"
                           " {\"rows\": {}}, {\"count\": 1}, null]");
    const json_t *rows = ovsdb_txn_selected_rows(result, 0);
    assert_ptr_equal(rows, json_object_get(json_array_get(result, 0), "rows"));
    assert_json(json_incref((json_t *)rows), "[{\"name\": \"br0\"}]");
    for (size_t i = 1; i < 6; i++) {
        assert_null(ovsdb_txn_selected_rows(result, i));
    }
    json_decref(result);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_cond_mutation_where_uuid),
        cmocka_unit_test(test_insert),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_mutate),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_wait),
        cmocka_unit_test(test_commit_abort_comment_assert),
        cmocka_unit_test(test_params_are_a_copy),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_result_success),
        cmocka_unit_test(test_result_op_error),
        cmocka_unit_test(test_result_commit_error),
        cmocka_unit_test(test_result_codes),
        cmocka_unit_test(test_result_malformed),
        cmocka_unit_test(test_inserted_uuid),
        cmocka_unit_test(test_selected_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
