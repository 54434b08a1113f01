/* Unit tests for jsonrpc-msg: decoding and encoding JSON-RPC 1.0 messages
 * as RFC 7047 uses them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonrpc-msg.h"
#include "ovsdb-error.h"

static json_t *
parse(const char *s)
{
    json_error_t error;
    json_t *json = json_loads(s, 0, &error);
    if (!json) {
        fail_msg("test JSON does not parse: %s: %s", s, error.text);
    }
    return json;
}

/* Fails unless 'json' (borrowed) equals the JSON text 'expected'. */
static void
assert_json_equals(const json_t *json, const char *expected)
{
    json_t *want = parse(expected);
    if (!json_equal(json, want)) {
        char *got = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("got %s, expected %s", got ? got : "(null)", expected);
    }
    json_decref(want);
}

/* Decodes the JSON text 's', which must succeed, and returns the new
 * message.  Also checks that encoding it again gives 'encoded'. */
static struct jsonrpc_msg *
decode_ok(const char *s, const char *encoded)
{
    json_t *json = parse(s);
    struct jsonrpc_msg *msg = NULL;
    struct ovsdb_error *error = NULL;
    int retval = jsonrpc_msg_from_json(json, &msg, &error);
    if (retval) {
        fail_msg("decoding %s failed: %s", s, error->msg);
    }
    assert_null(error);
    assert_non_null(msg);
    /* The message owns its members: dropping the source is safe. */
    json_decref(json);

    json_t *again = jsonrpc_msg_to_json(msg);
    assert_json_equals(again, encoded);
    json_decref(again);
    return msg;
}

/* Decoding the JSON text 's' must fail with -EPROTO and exactly the error
 * message 'expected'. */
static void
decode_fails(const char *s, const char *expected)
{
    json_t *json = parse(s);
    struct jsonrpc_msg *msg = NULL;
    struct ovsdb_error *error = NULL;

    assert_int_equal(jsonrpc_msg_from_json(json, &msg, &error), -EPROTO);
    assert_null(msg);
    assert_non_null(error);
    assert_int_equal(error->code, -EPROTO);
    assert_null(error->tag);
    assert_string_equal(error->msg, expected);
    ovsdb_error_free(error);

    /* Without an out-parameter the error is freed, not leaked. */
    assert_int_equal(jsonrpc_msg_from_json(json, &msg, NULL), -EPROTO);
    assert_null(msg);
    json_decref(json);
}

static void
test_type_names(void **state)
{
    assert_string_equal(jsonrpc_msg_type_name(JSONRPC_REQUEST), "request");
    assert_string_equal(jsonrpc_msg_type_name(JSONRPC_NOTIFY), "notification");
    assert_string_equal(jsonrpc_msg_type_name(JSONRPC_REPLY), "reply");
    assert_string_equal(jsonrpc_msg_type_name(JSONRPC_ERROR), "error reply");
}

/* Encodes 'msg' (which this frees), checks the encoding is 'expected', and
 * checks that decoding it gives back a message of the same type that
 * encodes the same way. */
static void
check_round_trip(struct jsonrpc_msg *msg, const char *expected)
{
    enum jsonrpc_msg_type type = msg->type;
    json_t *json = jsonrpc_msg_to_json(msg);
    assert_json_equals(json, expected);
    jsonrpc_msg_free(msg);

    struct jsonrpc_msg *back = NULL;
    assert_int_equal(jsonrpc_msg_from_json(json, &back, NULL), 0);
    assert_int_equal(back->type, type);
    json_t *again = jsonrpc_msg_to_json(back);
    assert_true(json_equal(json, again));
    json_decref(again);
    json_decref(json);
    jsonrpc_msg_free(back);
}

static void
test_round_trip_request(void **state)
{
    struct jsonrpc_msg *msg =
        jsonrpc_msg_request("transact",
                            json_pack("[s,{s:s,s:s}]", "fabric", "op",
                                      "select", "table", "Network"),
                            42);
    assert_int_equal(msg->type, JSONRPC_REQUEST);
    assert_string_equal(msg->method, "transact");
    assert_int_equal(json_integer_value(msg->id), 42);
    check_round_trip(msg, "{\"method\":\"transact\",\"params\":[\"fabric\","
                          "{\"op\":\"select\",\"table\":\"Network\"}],"
                          "\"id\":42}");

    /* NULL params become an empty array. */
    check_round_trip(jsonrpc_msg_request("echo", NULL, 0),
                     "{\"method\":\"echo\",\"params\":[],\"id\":0}");
}

static void
test_round_trip_notify(void **state)
{
    struct jsonrpc_msg *msg = jsonrpc_msg_notify(
        "update2", json_pack("[s,{s:{}}]", "mon", "Network"));
    assert_int_equal(msg->type, JSONRPC_NOTIFY);
    assert_null(msg->id);
    check_round_trip(msg, "{\"method\":\"update2\",\"params\":[\"mon\","
                          "{\"Network\":{}}],\"id\":null}");
}

static void
test_round_trip_reply(void **state)
{
    json_t *id = json_string("req-7");
    struct jsonrpc_msg *msg = jsonrpc_msg_reply(json_pack("[{}]"), id);

    /* The id is copied, not shared. */
    json_string_set(id, "changed");
    json_decref(id);
    assert_int_equal(msg->type, JSONRPC_REPLY);
    check_round_trip(msg, "{\"result\":[{}],\"error\":null,"
                          "\"id\":\"req-7\"}");

    /* A reply whose result is null is still a reply. */
    json_t *num = json_integer(3);
    check_round_trip(jsonrpc_msg_reply(NULL, num),
                     "{\"result\":null,\"error\":null,\"id\":3}");
    json_decref(num);
}

static void
test_round_trip_error(void **state)
{
    json_t *id = json_integer(9);
    struct jsonrpc_msg *msg =
        jsonrpc_msg_error(json_pack("{s:s,s:s}", "error", "unknown database",
                                    "details", "fab is not a database"),
                          id);
    json_decref(id);
    assert_int_equal(msg->type, JSONRPC_ERROR);
    check_round_trip(msg, "{\"result\":null,\"error\":{\"error\":"
                          "\"unknown database\",\"details\":"
                          "\"fab is not a database\"},\"id\":9}");

    json_t *sid = json_string("x");
    check_round_trip(jsonrpc_msg_error(json_string("not supported"), sid),
                     "{\"result\":null,\"error\":\"not supported\","
                     "\"id\":\"x\"}");
    json_decref(sid);
}

static void
test_decode_real_messages(void **state)
{
    struct jsonrpc_msg *msg;

    msg = decode_ok("{\"method\":\"echo\",\"params\":[],\"id\":\"echo\"}",
                    "{\"method\":\"echo\",\"params\":[],\"id\":\"echo\"}");
    assert_int_equal(msg->type, JSONRPC_REQUEST);
    assert_string_equal(msg->method, "echo");
    assert_string_equal(json_string_value(msg->id), "echo");
    assert_int_equal(json_array_size(msg->params), 0);
    assert_null(msg->result);
    assert_null(msg->error);
    jsonrpc_msg_free(msg);

    static const char monitor_cond[] =
        "{\"id\":5,\"method\":\"monitor_cond\",\"params\":[\"Open_vSwitch\","
        "[\"monid\",\"Open_vSwitch\"],{\"Bridge\":[{\"columns\":[\"name\"],"
        "\"where\":[[\"name\",\"==\",\"br-int\"]]}]}]}";
    msg = decode_ok(monitor_cond, monitor_cond);
    assert_int_equal(msg->type, JSONRPC_REQUEST);
    assert_string_equal(msg->method, "monitor_cond");
    assert_int_equal(json_array_size(msg->params), 3);
    jsonrpc_msg_free(msg);

    static const char update2[] =
        "{\"method\":\"update2\",\"params\":[[\"monid\",\"Open_vSwitch\"],"
        "{\"Bridge\":{\"6f1e\":{\"insert\":{\"name\":\"br-int\"}}}}],"
        "\"id\":null}";
    msg = decode_ok(update2, update2);
    assert_int_equal(msg->type, JSONRPC_NOTIFY);
    assert_string_equal(msg->method, "update2");
    assert_null(msg->id);
    jsonrpc_msg_free(msg);

    /* A notification may leave out the null id. */
    msg = decode_ok("{\"method\":\"locked\",\"params\":[\"l\"]}",
                    "{\"method\":\"locked\",\"params\":[\"l\"],"
                    "\"id\":null}");
    assert_int_equal(msg->type, JSONRPC_NOTIFY);
    jsonrpc_msg_free(msg);

    static const char schema_reply[] =
        "{\"id\":2,\"result\":{\"name\":\"fabric\",\"version\":\"1.0.0\","
        "\"tables\":{\"Network\":{\"columns\":{\"name\":{\"type\":"
        "\"string\"}}}}},\"error\":null}";
    msg = decode_ok(schema_reply, schema_reply);
    assert_int_equal(msg->type, JSONRPC_REPLY);
    assert_int_equal(json_integer_value(msg->id), 2);
    assert_string_equal(
        json_string_value(json_object_get(msg->result, "name")), "fabric");
    assert_null(msg->method);
    assert_null(msg->params);
    assert_null(msg->error);
    jsonrpc_msg_free(msg);

    /* A reply may leave out the null error. */
    msg = decode_ok("{\"id\":[1,2],\"result\":[]}",
                    "{\"id\":[1,2],\"result\":[],\"error\":null}");
    assert_int_equal(msg->type, JSONRPC_REPLY);
    jsonrpc_msg_free(msg);

    msg = decode_ok("{\"id\":4,\"result\":null,\"error\":{\"error\":"
                    "\"unknown method\"}}",
                    "{\"id\":4,\"result\":null,\"error\":{\"error\":"
                    "\"unknown method\"}}");
    assert_int_equal(msg->type, JSONRPC_ERROR);
    assert_null(msg->result);
    assert_string_equal(
        json_string_value(json_object_get(msg->error, "error")),
        "unknown method");
    jsonrpc_msg_free(msg);

    /* An error reply may leave out the null result. */
    msg = decode_ok("{\"id\":4,\"error\":\"x\"}",
                    "{\"id\":4,\"result\":null,\"error\":\"x\"}");
    assert_int_equal(msg->type, JSONRPC_ERROR);
    jsonrpc_msg_free(msg);
}

static void
test_decode_errors(void **state)
{
    decode_fails("[1]", "JSON-RPC message is an array, not a JSON object.");
    decode_fails("{\"method\":\"echo\",\"params\":[],\"id\":1,"
                 "\"jsonrpc\":\"2.0\"}",
                 "JSON-RPC message has unknown member \"jsonrpc\".");
    decode_fails("{\"method\":7,\"params\":[],\"id\":1}",
                 "JSON-RPC message has a \"method\" that is a number, not a "
                 "string.");
    decode_fails("{\"method\":\"echo\",\"params\":{},\"id\":1}",
                 "JSON-RPC request \"echo\" has non-array params "
                 "(an object).");
    decode_fails("{\"method\":\"update\",\"params\":\"x\",\"id\":null}",
                 "JSON-RPC notification \"update\" has non-array params "
                 "(a string).");
    decode_fails("{\"method\":\"echo\",\"id\":1}",
                 "JSON-RPC request \"echo\" has no params.");
    decode_fails("{\"method\":\"update\"}",
                 "JSON-RPC notification \"update\" has no params.");
    decode_fails("{\"method\":\"echo\",\"params\":[],\"id\":1,"
                 "\"result\":[]}",
                 "JSON-RPC request \"echo\" has a \"result\" member.");
    decode_fails("{\"method\":\"echo\",\"params\":[],\"id\":1,"
                 "\"error\":null}",
                 "JSON-RPC request \"echo\" has an \"error\" member.");
    decode_fails("{\"params\":[],\"id\":1,\"result\":[]}",
                 "JSON-RPC message has \"params\" but no \"method\".");
    decode_fails("{}", "JSON-RPC message has no \"method\", \"result\" or "
                       "\"error\".");
    decode_fails("{\"id\":1,\"error\":null}",
                 "JSON-RPC message has no \"method\", \"result\" or "
                 "\"error\".");
    decode_fails("{\"id\":1,\"result\":1,\"error\":\"e\"}",
                 "JSON-RPC reply has both a non-null \"result\" and a "
                 "non-null \"error\".");
    decode_fails("{\"result\":[],\"error\":null}",
                 "JSON-RPC reply has no \"id\".");
    decode_fails("{\"result\":[],\"error\":null,\"id\":null}",
                 "JSON-RPC reply has a null \"id\".");
    decode_fails("{\"result\":null,\"error\":\"e\"}",
                 "JSON-RPC error reply has no \"id\".");
    decode_fails("{\"result\":null,\"error\":\"e\",\"id\":null}",
                 "JSON-RPC error reply has a null \"id\".");
}

static void
test_decode_not_object(void **state)
{
    struct jsonrpc_msg *msg = NULL;
    struct ovsdb_error *error = NULL;
    json_t *json = json_integer(1);

    assert_int_equal(jsonrpc_msg_from_json(json, &msg, &error), -EPROTO);
    assert_string_equal(error->msg,
                        "JSON-RPC message is a number, not a JSON object.");
    ovsdb_error_free(error);
    json_decref(json);

    error = NULL;
    assert_int_equal(jsonrpc_msg_from_json(NULL, &msg, &error), -EPROTO);
    assert_string_equal(error->msg, "JSON-RPC message is missing.");
    ovsdb_error_free(error);
    assert_null(msg);
}

static void
test_free_null(void **state)
{
    jsonrpc_msg_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_round_trip_request),
        cmocka_unit_test(test_round_trip_notify),
        cmocka_unit_test(test_round_trip_reply),
        cmocka_unit_test(test_round_trip_error),
        cmocka_unit_test(test_decode_real_messages),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_not_object),
        cmocka_unit_test(test_free_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
