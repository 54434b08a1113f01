/* Unit tests for json-framer: splitting a byte stream into JSON-RPC
 * messages however the stream is cut into reads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "json-framer.h"
#include "ovsdb-error.h"

/* A stream of several messages that exercises the scanner: strings with
 * braces, brackets and escaped quotes, a backslash just before a closing
 * quote, nested objects and arrays, unicode, and whitespace of every kind
 * between messages. */
static const char stream[] =
    "{\"method\":\"echo\",\"params\":[],\"id\":0}"
    "  \n\t\r "
    "{\"method\":\"transact\",\"params\":[\"db\",{\"op\":\"insert\","
    "\"row\":{\"name\":\"br{0}\"}}],\"id\":\"a\\\"}b\"}"
    "\n"
    "{\"id\":1,\"result\":{\"a\":[[],[{}],{\"b\":[1,2,{\"c\":null}]}]},"
    "\"error\":null}"
    "{\"s\":\"\\\\\",\"t\":\"\\\\\\\"}{[\",\"u\":\"\\u00e9\xc3\xa9]\"}"
    "\r\n";

/* The messages of 'stream', one by one. */
static const char *const stream_messages[] = {
    "{\"method\":\"echo\",\"params\":[],\"id\":0}",
    "{\"method\":\"transact\",\"params\":[\"db\",{\"op\":\"insert\","
    "\"row\":{\"name\":\"br{0}\"}}],\"id\":\"a\\\"}b\"}",
    "{\"id\":1,\"result\":{\"a\":[[],[{}],{\"b\":[1,2,{\"c\":null}]}]},"
    "\"error\":null}",
    "{\"s\":\"\\\\\",\"t\":\"\\\\\\\"}{[\",\"u\":\"\\u00e9\xc3\xa9]\"}",
};
#define N_STREAM_MESSAGES (sizeof stream_messages / sizeof stream_messages[0])

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

/* Pops every complete message of 'framer' into 'out' (new references),
 * starting at '*n' and advancing it.  Fails the test on any error. */
static void
pop_all(struct json_framer *framer, json_t **out, size_t max, size_t *n)
{
    for (;;) {
        struct ovsdb_error *error = NULL;
        json_t *value = NULL;
        int retval = json_framer_pop(framer, &value, &error);
        if (retval < 0) {
            fail_msg("unexpected error %d: %s", retval, error->msg);
        }
        assert_null(error);
        if (retval == 0) {
            return;
        }
        assert_int_equal(retval, 1);
        assert_true(*n < max);
        out[(*n)++] = value;
    }
}

/* Feeds 'stream' to a new framer in pieces that end at each offset of
 * 'cuts' (ascending, the last one strlen(stream)), and checks that exactly
 * the messages of 'stream_messages' come out. */
static void
check_stream_with_cuts(const size_t *cuts, size_t n_cuts)
{
    struct json_framer *framer = json_framer_create(0);
    json_t *got[N_STREAM_MESSAGES + 1];
    size_t n = 0;
    size_t pos = 0;

    for (size_t i = 0; i < n_cuts; i++) {
        struct ovsdb_error *error = NULL;
        assert_int_equal(
            json_framer_push(framer, stream + pos, cuts[i] - pos, &error), 0);
        assert_null(error);
        pos = cuts[i];
        pop_all(framer, got, N_STREAM_MESSAGES + 1, &n);
    }
    assert_int_equal(pos, sizeof stream - 1);
    assert_int_equal(n, N_STREAM_MESSAGES);
    for (size_t i = 0; i < n; i++) {
        json_t *expected = parse(stream_messages[i]);
        if (!json_equal(expected, got[i])) {
            char *s = json_dumps(got[i], JSON_COMPACT);
            fail_msg("message %zu differs: %s", i, s);
        }
        json_decref(expected);
        json_decref(got[i]);
    }
    assert_int_equal(json_framer_pending(framer), 0);
    json_framer_destroy(framer);
}

static void
test_whole_stream(void **state)
{
    size_t cut = sizeof stream - 1;
    check_stream_with_cuts(&cut, 1);
}

static void
test_split_at_every_byte(void **state)
{
    size_t len = sizeof stream - 1;
    for (size_t k = 0; k <= len; k++) {
        size_t cuts[2] = {k, len};
        check_stream_with_cuts(cuts, 2);
    }
}

static void
test_split_at_every_pair_of_bytes(void **state)
{
    size_t len = sizeof stream - 1;
    for (size_t a = 1; a < len; a += 3) {
        for (size_t b = a; b <= len; b++) {
            size_t cuts[3] = {a, b, len};
            check_stream_with_cuts(cuts, 3);
        }
    }
}

static void
test_one_byte_at_a_time(void **state)
{
    size_t len = sizeof stream - 1;
    size_t *cuts = malloc(len * sizeof *cuts);
    for (size_t i = 0; i < len; i++) {
        cuts[i] = i + 1;
    }
    check_stream_with_cuts(cuts, len);
    free(cuts);
}

/* The next pop of 'framer' must fail with 'code' and a message containing
 * 'needle'. */
static void
check_pop_error(struct json_framer *framer, int code, const char *needle)
{
    struct ovsdb_error *error = NULL;
    json_t *value = NULL;

    assert_int_equal(json_framer_pop(framer, &value, &error), code);
    assert_null(value);
    assert_non_null(error);
    assert_int_equal(error->code, code);
    if (!strstr(error->msg, needle)) {
        fail_msg("error \"%s\" does not contain \"%s\"", error->msg, needle);
    }
    ovsdb_error_free(error);
}

/* Checks that 'framer' is poisoned with 'code'. */
static void
check_poisoned(struct json_framer *framer, int code)
{
    for (int i = 0; i < 2; i++) {
        struct ovsdb_error *error = NULL;
        json_t *value = NULL;

        assert_int_equal(json_framer_push(framer, "{}", 2, &error), code);
        assert_non_null(error);
        assert_int_equal(error->code, code);
        ovsdb_error_free(error);

        error = NULL;
        assert_int_equal(json_framer_pop(framer, &value, &error), code);
        assert_null(value);
        assert_non_null(error);
        assert_int_equal(error->code, code);
        ovsdb_error_free(error);

        /* Without an out-parameter the error is freed, not leaked. */
        assert_int_equal(json_framer_pop(framer, &value, NULL), code);
    }
}

/* Pushes 's' to a new framer and expects the push itself to fail with
 * 'code' and a message containing 'needle'. */
static void
check_push_error(const char *s, size_t max_size, int code, const char *needle)
{
    struct json_framer *framer = json_framer_create(max_size);
    struct ovsdb_error *error = NULL;

    assert_int_equal(json_framer_push(framer, s, strlen(s), &error), code);
    assert_non_null(error);
    assert_int_equal(error->code, code);
    if (!strstr(error->msg, needle)) {
        fail_msg("error \"%s\" does not contain \"%s\"", error->msg, needle);
    }
    ovsdb_error_free(error);
    check_poisoned(framer, code);
    json_framer_destroy(framer);
}

static void
test_not_an_object(void **state)
{
    check_push_error("42", 0, -EPROTO, "at byte 0 is a number");
    check_push_error("  -1", 0, -EPROTO, "at byte 2 is a number");
    check_push_error("[1,2]", 0, -EPROTO, "is an array");
    check_push_error("\"s\"", 0, -EPROTO, "is a string");
    check_push_error("true", 0, -EPROTO, "is a boolean");
    check_push_error("null", 0, -EPROTO, "is null");
    check_push_error("hello", 0, -EPROTO, "starts with 'h' instead of '{'");
    check_push_error("}", 0, -EPROTO, "starts with '}'");
    check_push_error("\x01{}", 0, -EPROTO, "starts with byte 0x01");
    check_push_error("\n\xff", 0, -EPROTO, "at byte 1 starts with byte 0xff");
}

static void
test_structural_errors(void **state)
{
    check_push_error("{\"a\":[}", 0, -EPROTO,
                     "'}' at byte 6 does not close the open '['");
    check_push_error("{\"a\":{]", 0, -EPROTO,
                     "']' at byte 6 does not close the open '{'");
}

static void
test_malformed_json(void **state)
{
    static const char *const cases[][2] = {
        {"{\"a\":}", "malformed JSON-RPC message: "},
        {"{\"a\" 1}", "malformed JSON-RPC message: "},
        {"{\"a\":1,}", "malformed JSON-RPC message: "},
        {"{\"a\":tru}", "malformed JSON-RPC message: "},
        {"{\"a\":1,\"a\":2}", "duplicate"},
        {"{\"a\":\"\\u0000\"}", "malformed JSON-RPC message: "},
        {"{\"a\":\"\xff\"}", "malformed JSON-RPC message: "},
        {"{\"a\":\"\\q\"}", "malformed JSON-RPC message: "},
        {"{\"a\":\"x\ny\"}", "malformed JSON-RPC message: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct json_framer *framer = json_framer_create(0);
        struct ovsdb_error *error = NULL;
        const char *s = cases[i][0];

        /* The value is balanced, so only parsing it finds the problem. */
        assert_int_equal(json_framer_push(framer, s, strlen(s), &error), 0);
        assert_null(error);
        check_pop_error(framer, -EPROTO, cases[i][1]);
        check_poisoned(framer, -EPROTO);
        json_framer_destroy(framer);
    }
}

static void
test_malformed_json_position(void **state)
{
    /* The bad token 'x' is at byte 9 of the stream. */
    static const char s[] = "{}  {\"a\":x}";
    struct json_framer *framer = json_framer_create(0);
    struct ovsdb_error *error = NULL;
    json_t *value = NULL;

    assert_int_equal(json_framer_push(framer, s, strlen(s), &error), 0);
    assert_int_equal(json_framer_pop(framer, &value, &error), 1);
    json_decref(value);
    check_pop_error(framer, -EPROTO, "at byte 9.");
    json_framer_destroy(framer);
}

/* Messages complete before a framing error still come out, in order, and
 * then the error. */
static void
test_messages_before_error(void **state)
{
    static const char s[] = "{\"a\":1} {\"b\":2} xyz {\"c\":3}";
    struct json_framer *framer = json_framer_create(0);
    struct ovsdb_error *error = NULL;
    json_t *value = NULL;

    assert_int_equal(json_framer_push(framer, s, strlen(s), &error), 0);
    assert_null(error);
    assert_int_equal(json_framer_pop(framer, &value, &error), 1);
    assert_int_equal(json_integer_value(json_object_get(value, "a")), 1);
    json_decref(value);

    /* Bytes after the error are discarded while the queue drains. */
    assert_int_equal(json_framer_push(framer, "{}", 2, &error), 0);
    assert_null(error);

    assert_int_equal(json_framer_pop(framer, &value, &error), 1);
    assert_int_equal(json_integer_value(json_object_get(value, "b")), 2);
    json_decref(value);
    check_pop_error(framer, -EPROTO, "at byte 16 starts with 'x'");
    check_poisoned(framer, -EPROTO);
    json_framer_destroy(framer);
}

/* A malformed message poisons the framer even with good ones queued
 * behind it. */
static void
test_malformed_then_good(void **state)
{
    static const char s[] = "{\"a\":} {\"b\":2}";
    struct json_framer *framer = json_framer_create(0);
    struct ovsdb_error *error = NULL;

    assert_int_equal(json_framer_push(framer, s, strlen(s), &error), 0);
    check_pop_error(framer, -EPROTO, "malformed JSON-RPC message");
    check_poisoned(framer, -EPROTO);
    json_framer_destroy(framer);
}

static void
test_oversize(void **state)
{
    struct json_framer *framer;
    struct ovsdb_error *error = NULL;
    json_t *value = NULL;

    /* Exactly the limit is fine; whitespace does not count. */
    framer = json_framer_create(16);
    assert_int_equal(
        json_framer_push(framer, "   {\"a\":\"12345678\"}   ", 22, &error), 0);
    assert_int_equal(json_framer_pop(framer, &value, &error), 1);
    json_decref(value);
    json_framer_destroy(framer);

    /* One more byte is too many, found before the message ends. */
    framer = json_framer_create(16);
    assert_int_equal(json_framer_push(framer, "{\"a\":\"1234567", 13, &error),
                     0);
    assert_int_equal(json_framer_pending(framer), 13);
    assert_int_equal(json_framer_push(framer, "89", 2, &error), 0);
    assert_int_equal(json_framer_push(framer, "0", 1, &error), 0);
    assert_int_equal(json_framer_push(framer, "1", 1, &error), -EMSGSIZE);
    assert_non_null(error);
    assert_int_equal(error->code, -EMSGSIZE);
    assert_string_equal(error->msg, "JSON-RPC message starting at byte 0 "
                                    "exceeds the 16-byte limit.");
    ovsdb_error_free(error);
    check_poisoned(framer, -EMSGSIZE);
    json_framer_destroy(framer);

    /* An oversize message completed within one push is refused too, after
     * the message before it. */
    framer = json_framer_create(16);
    assert_int_equal(
        json_framer_push(framer, "{} {\"a\":\"12345678901\"}", 22, &error), 0);
    assert_int_equal(json_framer_pop(framer, &value, &error), 1);
    json_decref(value);
    check_pop_error(framer, -EMSGSIZE,
                    "starting at byte 3 exceeds the 16-byte limit");
    check_poisoned(framer, -EMSGSIZE);
    json_framer_destroy(framer);
}

static void
test_default_limit(void **state)
{
    enum { CHUNK = 1024 * 1024 };
    struct json_framer *framer = json_framer_create(0);
    struct ovsdb_error *error = NULL;
    char *chunk = malloc(CHUNK);
    size_t total = 0;
    int retval;

    memset(chunk, 'x', CHUNK);
    assert_int_equal(json_framer_push(framer, "{\"a\":\"", 6, &error), 0);
    total = 6;
    do {
        retval = json_framer_push(framer, chunk, CHUNK, &error);
        total += CHUNK;
        assert_true(total < 70u * 1024 * 1024);
    } while (retval == 0);
    assert_int_equal(retval, -EMSGSIZE);
    assert_true(total > 64u * 1024 * 1024);
    assert_non_null(strstr(error->msg, "exceeds the 67108864-byte limit"));
    ovsdb_error_free(error);
    free(chunk);
    json_framer_destroy(framer);
}

static void
test_nesting(void **state)
{
    /* 2048 levels (the object itself and 2047 arrays) are accepted. */
    enum { MAX = 2048 };
    char *s = malloc(2 * MAX + 8);
    struct json_framer *framer = json_framer_create(0);
    struct ovsdb_error *error = NULL;
    json_t *value = NULL;

    s[0] = '{';
    memcpy(s + 1, "\"a\":", 4);
    size_t n = 5;
    for (int i = 1; i < MAX; i++) {
        s[n++] = '[';
    }
    for (int i = 1; i < MAX; i++) {
        s[n++] = ']';
    }
    s[n++] = '}';
    assert_int_equal(json_framer_push(framer, s, n, &error), 0);
    assert_int_equal(json_framer_pop(framer, &value, &error), 1);
    assert_true(json_is_array(json_object_get(value, "a")));
    json_decref(value);

    /* One more level is refused as soon as it opens. */
    assert_int_equal(json_framer_push(framer, s, 5 + MAX - 1, &error), 0);
    assert_int_equal(json_framer_push(framer, "[", 1, &error), -EPROTO);
    assert_non_null(strstr(error->msg, "nesting deeper than 2048 levels"));
    ovsdb_error_free(error);
    json_framer_destroy(framer);
    free(s);
}

static void
test_pending(void **state)
{
    struct json_framer *framer = json_framer_create(0);
    struct ovsdb_error *error = NULL;
    json_t *value = NULL;

    assert_int_equal(json_framer_pending(framer), 0);
    assert_int_equal(json_framer_push(framer, " \n ", 3, &error), 0);
    assert_int_equal(json_framer_pending(framer), 0);
    assert_int_equal(json_framer_pop(framer, &value, &error), 0);
    assert_null(value);
    assert_int_equal(json_framer_push(framer, "{\"a\"", 4, &error), 0);
    assert_int_equal(json_framer_pending(framer), 4);
    assert_int_equal(json_framer_pop(framer, &value, &error), 0);
    assert_int_equal(json_framer_push(framer, ":1} {", 5, &error), 0);
    assert_int_equal(json_framer_pending(framer), 9);
    assert_int_equal(json_framer_pop(framer, &value, &error), 1);
    json_decref(value);
    assert_int_equal(json_framer_pending(framer), 1);
    assert_int_equal(json_framer_pop(framer, &value, &error), 0);
    assert_int_equal(json_framer_push(framer, "}", 1, &error), 0);
    assert_int_equal(json_framer_pop(framer, &value, &error), 1);
    assert_int_equal(json_object_size(value), 0);
    json_decref(value);
    assert_int_equal(json_framer_pending(framer), 0);
    assert_int_equal(json_framer_push(framer, NULL, 0, &error), 0);
    json_framer_destroy(framer);
}

/* Many messages, a few per push, popped in between: the framer must keep
 * returning exactly what was sent. */
static void
test_long_stream(void **state)
{
    struct json_framer *framer = json_framer_create(0);
    struct ovsdb_error *error = NULL;
    char msg[64];
    long long next_expected = 0;

    for (long long i = 0; i < 100000; i++) {
        int len = snprintf(msg, sizeof msg, "{\"id\":%lld,\"s\":\"}\"}\n", i);
        assert_int_equal(json_framer_push(framer, msg, (size_t)len, &error),
                         0);
        if (i % 7 == 6) {
            json_t *value;
            int retval;
            while ((retval = json_framer_pop(framer, &value, &error)) == 1) {
                assert_int_equal(
                    json_integer_value(json_object_get(value, "id")),
                    next_expected++);
                json_decref(value);
            }
            assert_int_equal(retval, 0);
            assert_int_equal(json_framer_pending(framer), 0);
        }
    }
    json_framer_destroy(framer);
}

/* Messages pushed while earlier ones are still queued, popped a few at a
 * time, come out in order. */
static void
test_queue_order(void **state)
{
    struct json_framer *framer = json_framer_create(0);
    struct ovsdb_error *error = NULL;
    long long pushed = 0, popped = 0;
    char msg[32];

    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 11 + round % 5; i++) {
            int len = snprintf(msg, sizeof msg, "{\"n\":%lld}", pushed++);
            assert_int_equal(
                json_framer_push(framer, msg, (size_t)len, &error), 0);
        }
        for (int i = 0; i < 9; i++) {
            json_t *value;
            assert_int_equal(json_framer_pop(framer, &value, &error), 1);
            assert_int_equal(json_integer_value(json_object_get(value, "n")),
                             popped++);
            json_decref(value);
        }
    }
    for (;;) {
        json_t *value;
        int retval = json_framer_pop(framer, &value, &error);
        if (retval == 0) {
            break;
        }
        assert_int_equal(retval, 1);
        assert_int_equal(json_integer_value(json_object_get(value, "n")),
                         popped++);
        json_decref(value);
    }
    assert_int_equal(popped, pushed);
    assert_int_equal(json_framer_pending(framer), 0);
    json_framer_destroy(framer);
}


/* A large message in 4 KB pieces comes out whole, with every row, and the
 * framer reports the right pending count after each piece.  (That scanning
 * stays O(n) is a speed property: bench/ measures it, not this test.) */
static void
test_large_message_in_chunks(void **state)
{
    enum { SIZE = 8 * 1000 * 1000, CHUNK = 4096 };
    char *s = malloc(SIZE);
    char pad[1001];
    size_t n = 0;

    /* Rows of about 1 KB keep the parsed value small enough to check. */
    for (size_t i = 0; i < sizeof pad - 1; i++) {
        pad[i] = "ab{}[]xy"[i % 8];
    }
    pad[sizeof pad - 1] = '\0';

    n += (size_t)sprintf(s, "{\"method\":\"update2\",\"params\":[\"x\",{");
    int row = 0;
    while (n < SIZE - 2000) {
        n += (size_t)sprintf(s + n,
                             "%s\"r%d\":[\"a\\\"{[\","
                             "{\"b\":%d,\"p\":\"%s\"}]",
                             row ? "," : "", row, row, pad);
        row++;
    }
    n += (size_t)sprintf(s + n, "}],\"id\":null}");

    struct json_framer *framer = json_framer_create(0);
    struct ovsdb_error *error = NULL;
    json_t *value = NULL;

    for (size_t pos = 0; pos < n; pos += CHUNK) {
        size_t len = n - pos < CHUNK ? n - pos : CHUNK;
        assert_int_equal(json_framer_push(framer, s + pos, len, &error), 0);
        if (pos + len < n) {
            assert_int_equal(json_framer_pop(framer, &value, &error), 0);
            assert_int_equal(json_framer_pending(framer), pos + len);
        }
    }
    assert_int_equal(json_framer_pop(framer, &value, &error), 1);
    assert_int_equal(json_framer_pending(framer), 0);

    json_t *rows = json_array_get(json_object_get(value, "params"), 1);
    assert_int_equal(json_object_size(rows), row);
    json_t *last = json_object_get(rows, "r0");
    assert_string_equal(json_string_value(json_array_get(last, 0)), "a\"{[");
    json_decref(value);

    json_framer_destroy(framer);
    free(s);
}

static void
test_destroy_null(void **state)
{
    json_framer_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_stream),
        cmocka_unit_test(test_split_at_every_byte),
        cmocka_unit_test(test_split_at_every_pair_of_bytes),
        cmocka_unit_test(test_one_byte_at_a_time),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_structural_errors),
        cmocka_unit_test(test_malformed_json),
        cmocka_unit_test(test_malformed_json_position),
        cmocka_unit_test(test_messages_before_error),
        cmocka_unit_test(test_malformed_then_good),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_default_limit),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_pending),
        cmocka_unit_test(test_long_stream),
        cmocka_unit_test(test_queue_order),
        cmocka_unit_test(test_large_message_in_chunks),
        cmocka_unit_test(test_destroy_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
