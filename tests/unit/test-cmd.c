/* Unit tests of fabric/cmd.h: running programs without a shell. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd.h"
#include "ovsdb-error.h"

static void
test_output_and_status(void **state)
{
    struct cmd *c = cmd_new("printf");
    cmd_addl(c, "%s-%s", "a b", "c", NULL);
    char *out = NULL;
    assert_int_equal(cmd_run(c, &out, NULL), 0);
    assert_string_equal(out, "a b-c");
    free(out);
    cmd_free(c);
}

static void
test_failure_message(void **state)
{
    struct cmd *c = cmd_new("sh");
    cmd_addl(c, "-c", "echo first line >&2; echo second >&2; exit 3", NULL);
    struct ovsdb_error *error = NULL;
    char *out = NULL;
    assert_int_equal(cmd_run(c, &out, &error), -ECHILD);
    assert_null(out);
    assert_string_equal(error->msg,
                        "`sh -c 'echo first line >&2; echo second >&2; "
                        "exit 3'` failed (exit status 3): first line");
    ovsdb_error_free(error);
    cmd_free(c);
}

static void
test_missing_program(void **state)
{
    struct cmd *c = cmd_new("fabric-no-such-program");
    struct ovsdb_error *error = NULL;
    assert_int_equal(cmd_run(c, NULL, &error), -ENOENT);
    assert_non_null(strstr(error->msg, "Cannot run fabric-no-such-program"));
    ovsdb_error_free(error);
    cmd_free(c);
}

static void
test_input_and_env(void **state)
{
    struct cmd *c = cmd_new("sh");
    cmd_addl(c, "-c", "cat; printf %s \"$FABRIC_TEST_VAR\"", NULL);
    cmd_setenv(c, "FABRIC_TEST_VAR", "x=y");
    cmd_set_input(c, "in\n", 3);
    char *out = NULL;
    assert_int_equal(cmd_run(c, &out, NULL), 0);
    assert_string_equal(out, "in\nx=y");
    free(out);
    cmd_free(c);
}

static void
test_large_output(void **state)
{
    /* More than a pipe buffer on both streams at once must not block. */
    struct cmd *c = cmd_new("sh");
    cmd_addl(c, "-c",
             "i=0; while [ $i -lt 20000 ]; do echo line$i; echo e$i >&2; "
             "i=$((i+1)); done",
             NULL);
    char *out = NULL;
    assert_int_equal(cmd_run(c, &out, NULL), 0);
    assert_non_null(strstr(out, "line19999\n"));
    free(out);
    cmd_free(c);
}

static void
test_dry_run(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&buf, &len);
    assert_false(cmd_is_dry_run());
    cmd_set_dry_run(log);
    assert_true(cmd_is_dry_run());
    struct cmd *c = cmd_new("ip");
    cmd_addl(c, "link", "add", "name", "a'b", NULL);
    cmd_addf(c, "mtu%d", 1442);
    char *out = NULL;
    assert_int_equal(cmd_run(c, &out, NULL), 0);
    assert_string_equal(out, "");
    free(out);
    cmd_free(c);

    /* A command's input follows it, indented, when it asks for it. */
    c = cmd_new("nft");
    cmd_addl(c, "-f", "-", NULL);
    cmd_set_input(c, "flush ruleset\n", 14);
    assert_int_equal(cmd_run(c, NULL, NULL), 0);
    cmd_free(c);
    c = cmd_new("ip");
    cmd_addl(c, "-batch", "-", NULL);
    cmd_set_input(c, "link set dev lo up\naddress add 10.0.0.1/8 dev x", 47);
    cmd_dry_run_shows_input(c);
    assert_int_equal(cmd_run(c, NULL, NULL), 0);
    cmd_free(c);
    cmd_set_dry_run(NULL);
    assert_false(cmd_is_dry_run());
    fclose(log);
    assert_string_equal(buf, "ip link add name 'a'\\''b' mtu1442\n"
                             "nft -f -\n"
                             "ip -batch -\n"
                             "  link set dev lo up\n"
                             "  address add 10.0.0.1/8 dev x\n");
    free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_and_status),
        cmocka_unit_test(test_failure_message),
        cmocka_unit_test(test_missing_program),
        cmocka_unit_test(test_input_and_env),
        cmocka_unit_test(test_large_output),
        cmocka_unit_test(test_dry_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
