/* Unit tests of fabric/flow-diff.h: the same flows give nothing; added,
 * deleted, modified and re-cookied flows give add, delete_strict,
 * modify_strict and add lines in that order; keys ignore the cookie and
 * the actions; bad text is an error naming the line; a pipeline of
 * thousands of flows with one changed gives one line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow-diff.h"
#include "ovsdb-error.h"

#define F1 "table=0,priority=100,cookie=0x1,in_port=1,actions=drop\n"
#define F2 "table=0,priority=100,cookie=0x1,in_port=2,actions=goto_table:10\n"
#define F3 "table=10,priority=0,cookie=0x5,actions=drop\n"

/* The diff of 'old' and 'new', which must succeed with 'n' lines. */
static char *
diff_ok(const char *old, const char *new, int n)
{
    char *diff = NULL;
    struct ovsdb_error *error = NULL;
    int rc = flow_diff(old, new, &diff, &error);
    if (rc < 0) {
        fail_msg("flow_diff: %s", error->msg);
    }
    assert_int_equal(rc, n);
    assert_null(error);
    return diff;
}

static void
test_same(void **state)
{
    char *d = diff_ok(F1 F2 F3, F1 F2 F3, 0);
    assert_string_equal(d, "");
    free(d);
    /* Order, blank lines and comments do not matter. */
    d = diff_ok(F1 F2 F3, "# comment\n" F3 "\n" F2 F1, 0);
    assert_string_equal(d, "");
    free(d);
    d = diff_ok("", "", 0);
    assert_string_equal(d, "");
    free(d);
}

static void
test_changes(void **state)
{
    /* F1 goes, F2 gets other actions, F3 another cookie, F4 comes. */
    const char *new =
        "table=0,priority=100,cookie=0x1,in_port=2,actions=drop\n"
        "table=10,priority=0,cookie=0x6,actions=drop\n"
        "table=40,priority=50,cookie=0x7,reg6=0x1,actions=output:3\n";
    char *d = diff_ok(F1 F2 F3, new, 4);
    assert_string_equal(
        d, "delete_strict table=0,priority=100,in_port=1\n"
           "modify_strict table=0,priority=100,cookie=0x1,in_port=2,"
           "actions=drop\n"
           "add table=10,priority=0,cookie=0x6,actions=drop\n"
           "add table=40,priority=50,cookie=0x7,reg6=0x1,actions=output:3\n");
    free(d);

    /* From nothing, and back to nothing. */
    d = diff_ok("", F1 F3, 2);
    assert_string_equal(d, "add " F1 "add " F3);
    free(d);
    d = diff_ok(F3 F1, "", 2);
    assert_string_equal(d, "delete_strict table=10,priority=0\n"
                           "delete_strict table=0,priority=100,in_port=1\n");
    free(d);

    /* Another priority is another flow. */
    d = diff_ok(F1, "table=0,priority=90,cookie=0x1,in_port=1,actions=drop\n",
                2);
    assert_string_equal(
        d, "delete_strict table=0,priority=100,in_port=1\n"
           "add table=0,priority=90,cookie=0x1,in_port=1,actions=drop\n");
    free(d);

    /* Actions with commas and '=' stay whole. */
    d = diff_ok(F2,
                "table=0,priority=100,cookie=0x1,in_port=2,"
                "actions=set_field:5->reg6,goto_table:10\n",
                1);
    assert_string_equal(d, "modify_strict table=0,priority=100,cookie=0x1,"
                           "in_port=2,actions=set_field:5->reg6,"
                           "goto_table:10\n");
    free(d);
}

/* 'old' and 'new' must be refused, naming 'what'. */
static void
diff_bad(const char *old, const char *new, const char *what)
{
    char *diff = (char *)"unset";
    struct ovsdb_error *error = NULL;
    assert_int_equal(flow_diff(old, new, &diff, &error), -EINVAL);
    assert_null(diff);
    assert_non_null(error);
    if (!strstr(error->msg, what)) {
        fail_msg("\"%s\" does not say \"%s\"", error->msg, what);
    }
    ovsdb_error_free(error);
}

static void
test_bad(void **state)
{
    diff_bad(F1 "table=0,priority=1,in_port=3\n", F1, "old flows, line 2");
    diff_bad(F1, F2 "priority=1,actions=drop\n", "new flows, line 2");
    diff_bad(F1, "table=0,in_port=3,actions=drop\n", "new flows, line 1");
    diff_bad(F1,
             F1 F2 "table=0,priority=100,cookie=0x9,in_port=1,"
                   "actions=output:1\n",
             "\"table=0,priority=100,in_port=1\" is given twice");
    /* A NULL error pointer is allowed. */
    char *diff = NULL;
    assert_int_equal(flow_diff("x\n", "", &diff, NULL), -EINVAL);
    assert_null(diff);
}

/* 3,000 flows, one of which changes: one line. */
static void
test_large(void **state)
{
    char *old = NULL, *new = NULL;
    size_t old_len = 0, new_len = 0;
    FILE *a = open_memstream(&old, &old_len);
    FILE *b = open_memstream(&new, &new_len);
    for (int i = 0; i < 3000; i++) {
        fprintf(a,
                "table=40,priority=50,cookie=0x2,reg6=0x1,dl_dst=02:00:00:"
                "00:%02x:%02x,actions=output:%d\n",
                i / 256, i % 256, i + 1);
        fprintf(b,
                "table=40,priority=50,cookie=0x2,reg6=0x1,dl_dst=02:00:00:"
                "00:%02x:%02x,actions=output:%d\n",
                i / 256, i % 256, i == 1234 ? 9999 : i + 1);
    }
    fclose(a);
    fclose(b);
    char *d = diff_ok(old, new, 1);
    assert_string_equal(d, "modify_strict table=40,priority=50,cookie=0x2,"
                           "reg6=0x1,dl_dst=02:00:00:00:04:d2,"
                           "actions=output:9999\n");
    free(d);
    free(old);
    free(new);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same),
        cmocka_unit_test(test_changes),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
