/* Unit tests of controllers/vm-files.h, in a temporary directory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd.h"
#include "ovsdb-error.h"
#include "sandbox.h"
#include "vm-files.h"

static int
setup(void **state)
{
    *state = sbx_mkdtemp("vm-files");
    return *state ? 0 : -1;
}

static int
teardown(void **state)
{
    cmd_set_dry_run(NULL);
    sbx_rmtree(*state);
    free(*state);
    return 0;
}

static void
test_mkdirs_mode(void **state)
{
    char *deep = sbx_path(*state, "a/b/c");
    mode_t old = umask(077);
    int rc = vm_files_mkdirs(deep, NULL);
    umask(old);
    assert_int_equal(rc, 0);
    struct stat st;
    char *mid = sbx_path(*state, "a/b");
    assert_int_equal(stat(mid, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(stat(deep, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);

    /* Again, and with a trailing slash: nothing to do. */
    assert_int_equal(vm_files_mkdirs(deep, NULL), 0);
    char *slash = sbx_path(deep, "");
    assert_int_equal(vm_files_mkdirs(slash, NULL), 0);

    /* A file in the way. */
    char *file = sbx_path(mid, "f");
    assert_int_equal(vm_files_write(file, "x", NULL), 0);
    char *below = sbx_path(file, "d");
    struct ovsdb_error *error = NULL;
    assert_int_equal(vm_files_mkparent(file, NULL), 0);
    assert_int_equal(vm_files_mkdirs(below, &error), -ENOTDIR);
    assert_non_null(strstr(error->msg, file));
    ovsdb_error_free(error);

    free(below);
    free(file);
    free(slash);
    free(mid);
    free(deep);
}

static void
test_write_same_remove(void **state)
{
    char *path = sbx_path(*state, "f");
    assert_false(vm_files_exists(path));
    assert_false(vm_files_same(path, ""));
    assert_int_equal(vm_files_write(path, "abc\n", NULL), 0);
    assert_true(vm_files_exists(path));
    assert_true(vm_files_same(path, "abc\n"));
    assert_false(vm_files_same(path, "abc"));
    assert_false(vm_files_same(path, "abc\nd"));
    assert_false(vm_files_same(path, "abd\n"));
    char *tmp = vm_files_tmp_name(path);
    assert_int_equal(access(tmp, F_OK), -1);

    assert_int_equal(vm_files_write(path, "", NULL), 0);
    assert_true(vm_files_same(path, ""));
    assert_false(vm_files_same(path, "abc\n"));

    assert_int_equal(vm_files_remove(path, NULL), 0);
    assert_false(vm_files_exists(path));
    assert_int_equal(vm_files_remove(path, NULL), 0);

    /* A directory is not a file. */
    assert_false(vm_files_exists(*state));
    free(tmp);
    free(path);
}

/* Returns what a dry run logs of vm_files_run_to(), which must not touch
 * 'path'. */
static void
check_dry_run(const char *path, struct cmd *cmd, const char *tmp)
{
    char *log = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&log, &len);
    cmd_set_dry_run(f);
    assert_int_equal(vm_files_run_to(cmd, tmp, path, NULL), 0);
    cmd_set_dry_run(NULL);
    fclose(f);
    char *line = cmd_to_string(cmd);
    assert_int_equal(strncmp(log, line, strlen(line)), 0);
    assert_false(vm_files_exists(path));
    free(line);
    free(log);
}

static void
test_run_to(void **state)
{
    char *path = sbx_path(*state, "out");
    char *tmp = vm_files_tmp_name(path);
    struct cmd *cmd = cmd_new("sh");
    cmd_addl(cmd, "-c", "[ ! -e \"$0\" ] && printf new > \"$0\"", tmp, NULL);
    check_dry_run(path, cmd, tmp);

    /* A stale temporary file goes first. */
    assert_int_equal(vm_files_write(tmp, "stale", NULL), 0);
    assert_int_equal(vm_files_run_to(cmd, tmp, path, NULL), 0);
    assert_true(vm_files_same(path, "new"));
    assert_int_equal(access(tmp, F_OK), -1);
    cmd_free(cmd);

    /* A failing command leaves no temporary file and 'path' as it was. */
    cmd = cmd_new("sh");
    cmd_addl(cmd, "-c", "echo partial > \"$0\"; exit 1", tmp, NULL);
    assert_int_equal(vm_files_write(path, "old", NULL), 0);
    struct ovsdb_error *error = NULL;
    assert_int_equal(vm_files_run_to(cmd, tmp, path, &error), -ECHILD);
    ovsdb_error_free(error);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_true(vm_files_same(path, "old"));
    cmd_free(cmd);

    free(tmp);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mkdirs_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_same_remove, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_run_to, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
