/* Unit tests of controllers/vm-disk.h: real overlays made with qemu-img on
 * small raw and qcow2 base images in a temporary directory, the guards
 * that keep the base image safe, and the command lines of a creation in
 * a dry run, compared to tests/golden/vm-disk-create.txt (set
 * FABRIC_REGEN_GOLDEN=1 to rewrite it). */
#include <errno.h>
#include <jansson.h>
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
#include "golden.h"
#include "ovsdb-error.h"
#include "sandbox.h"
#include "vm-disk.h"
#include "vm-spec.h"

struct fixture {
    char *dir; /* Temporary directory of the test. */
};

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    fx->dir = sbx_mkdtemp("vm-disk");
    *state = fx;
    return fx->dir ? 0 : -1;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    cmd_set_dry_run(NULL);
    vm_disk_set_reader(NULL, NULL);
    sbx_rmtree(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

/* Makes a 1 MiB base image of 'format' named 'name' in the test's
 * directory and returns its path. */
static char *
make_base(const struct fixture *fx, const char *name, const char *format)
{
    char *path = sbx_path(fx->dir, name);
    char *output = NULL;
    if (sbx_runl(&output, "qemu-img", "create", "-q", "-f", format, path, "1M",
                 NULL)) {
        fail_msg("qemu-img create failed: %s", output);
    }
    free(output);
    return path;
}

static struct vm_spec *
spec_new(const char *image, char *overlay)
{
    struct vm_spec *s = calloc(1, sizeof *s);
    s->domain = strdup("fabric-lab1-web");
    s->guest = strdup("web");
    s->image = image ? strdup(image) : NULL;
    s->overlay = overlay;
    return s;
}

/* Returns `qemu-img info --output=json 'path'` (new reference). */
static json_t *
image_info(const char *path)
{
    char *output = NULL;
    if (sbx_runl(&output, "qemu-img", "info", "--output=json", path, NULL)) {
        fail_msg("qemu-img info failed: %s", output);
    }
    json_error_t jerr;
    json_t *info = json_loads(output, 0, &jerr);
    assert_non_null(info);
    free(output);
    return info;
}

static const char *
info_str(const json_t *info, const char *key)
{
    const char *s = json_string_value(json_object_get(info, key));
    if (!s) {
        fail_msg("qemu-img info has no \"%s\".", key);
    }
    return s;
}

static void
stat_ok(const char *path, struct stat *st)
{
    if (stat(path, st) < 0) {
        fail_msg("Cannot stat %s: %s", path, strerror(errno));
    }
}

/* Prepares, prepares again, and removes an overlay on a base of
 * 'format'. */
static void
check_lifecycle(const struct fixture *fx, const char *format)
{
    char *base = make_base(fx, format, format);
    char *overlay_dir = sbx_path(fx->dir, "vms/web");
    struct vm_spec *s = spec_new(base, sbx_path(overlay_dir, "disk.qcow2"));
    struct stat base_before;
    stat_ok(base, &base_before);

    struct ovsdb_error *error = NULL;
    assert_int_equal(vm_disk_prepare(s, &error), 1);
    assert_null(error);
    json_t *info = image_info(s->overlay);
    assert_string_equal(info_str(info, "format"), "qcow2");
    assert_string_equal(info_str(info, "backing-filename"), base);
    assert_string_equal(info_str(info, "backing-filename-format"), format);
    json_decref(info);
    struct stat st;
    stat_ok(overlay_dir, &st);
    assert_int_equal(st.st_mode & 07777, 0755);
    char *tmp = sbx_path(overlay_dir, "disk.qcow2.tmp");
    assert_int_equal(access(tmp, F_OK), -1);

    /* Again: the overlay, with whatever the VM wrote, stays. */
    struct stat first, second;
    stat_ok(s->overlay, &first);
    assert_int_equal(vm_disk_prepare(s, &error), 0);
    stat_ok(s->overlay, &second);
    assert_int_equal(first.st_ino, second.st_ino);

    /* Removal takes the overlay only. */
    assert_int_equal(vm_disk_remove(s, &error), 0);
    assert_int_equal(access(s->overlay, F_OK), -1);
    struct stat base_after;
    stat_ok(base, &base_after);
    assert_int_equal(base_before.st_ino, base_after.st_ino);
    assert_int_equal(base_before.st_size, base_after.st_size);
    assert_int_equal(vm_disk_remove(s, &error), 0);
    assert_null(error);

    free(tmp);
    free(overlay_dir);
    free(base);
    vm_spec_free(s);
}

static void
test_raw_base(void **state)
{
    check_lifecycle(*state, "raw");
}

static void
test_qcow2_base(void **state)
{
    check_lifecycle(*state, "qcow2");
}

static void
test_relative_base(void **state)
{
    struct fixture *fx = *state;
    char *base = make_base(fx, "rel.raw", "raw");
    char *cwd = getcwd(NULL, 0);
    assert_int_equal(chdir(fx->dir), 0);
    struct vm_spec *s = spec_new("rel.raw", strdup("disk.qcow2"));
    int rc = vm_disk_prepare(s, NULL);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rc, 1);

    char *overlay = sbx_path(fx->dir, "disk.qcow2");
    json_t *info = image_info(overlay);
    assert_string_equal(info_str(info, "backing-filename"), base);
    json_decref(info);
    free(overlay);
    free(cwd);
    free(base);
    vm_spec_free(s);
}

static void
test_no_image(void **state)
{
    struct fixture *fx = *state;
    struct vm_spec *s = spec_new(NULL, sbx_path(fx->dir, "disk.qcow2"));
    assert_int_equal(vm_disk_prepare(s, NULL), 0);
    assert_int_equal(access(s->overlay, F_OK), -1);
    vm_spec_free(s);
}

static void
test_missing_base(void **state)
{
    struct fixture *fx = *state;
    char *base = sbx_path(fx->dir, "missing.qcow2");
    struct vm_spec *s = spec_new(base, sbx_path(fx->dir, "disk.qcow2"));
    struct ovsdb_error *error = NULL;
    assert_int_equal(vm_disk_prepare(s, &error), -ENOENT);
    char *expected;
    assert_true(asprintf(&expected,
                         "Cannot prepare the disk of VM fabric-lab1-web: "
                         "Base image %s does not exist.",
                         base) > 0);
    assert_string_equal(error->msg, expected);
    assert_int_equal(access(s->overlay, F_OK), -1);
    ovsdb_error_free(error);
    free(expected);

    /* A directory is no image either. */
    free(s->image);
    s->image = strdup(fx->dir);
    error = NULL;
    assert_int_equal(vm_disk_prepare(s, &error), -EINVAL);
    assert_non_null(strstr(error->msg, fx->dir));
    assert_non_null(strstr(error->msg, "is not a file"));
    ovsdb_error_free(error);

    free(base);
    vm_spec_free(s);
}

static void
test_unreadable_base(void **state)
{
    /* A file qemu-img cannot open as the format it claims. */
    struct fixture *fx = *state;
    char *base = sbx_path(fx->dir, "broken.qcow2");
    FILE *f = fopen(base, "w");
    assert_non_null(f);
    /* A qcow2 magic and version, and nothing else. */
    assert_int_equal(fwrite("QFI\xfb\0\0\0\3", 1, 8, f), 8);
    fclose(f);
    struct vm_spec *s = spec_new(base, sbx_path(fx->dir, "disk.qcow2"));
    struct ovsdb_error *error = NULL;
    assert_true(vm_disk_prepare(s, &error) < 0);
    char *prefix;
    assert_true(asprintf(&prefix,
                         "Cannot prepare the disk of VM "
                         "fabric-lab1-web: Cannot read base image "
                         "%s: `qemu-img info",
                         base) > 0);
    assert_int_equal(strncmp(error->msg, prefix, strlen(prefix)), 0);
    assert_int_equal(access(s->overlay, F_OK), -1);
    ovsdb_error_free(error);
    free(prefix);
    free(base);
    vm_spec_free(s);
}

static void
test_overlay_is_base(void **state)
{
    struct fixture *fx = *state;
    char *base = make_base(fx, "base.qcow2", "qcow2");
    struct vm_spec *s = spec_new(base, strdup(base));
    struct ovsdb_error *error = NULL;
    assert_int_equal(vm_disk_prepare(s, &error), -EINVAL);
    assert_non_null(strstr(error->msg, "is its base image"));
    ovsdb_error_free(error);
    error = NULL;
    assert_int_equal(vm_disk_remove(s, &error), -EINVAL);
    assert_non_null(strstr(error->msg, "never removed"));
    ovsdb_error_free(error);
    assert_int_equal(access(base, R_OK), 0);

    /* The same file under another name. */
    free(s->overlay);
    s->overlay = sbx_path(fx->dir, "link.qcow2");
    assert_int_equal(symlink(base, s->overlay), 0);
    error = NULL;
    assert_int_equal(vm_disk_remove(s, &error), -EINVAL);
    ovsdb_error_free(error);
    error = NULL;
    assert_int_equal(vm_disk_prepare(s, &error), -EINVAL);
    ovsdb_error_free(error);
    assert_int_equal(access(base, R_OK), 0);
    assert_int_equal(access(s->overlay, R_OK), 0);

    free(base);
    vm_spec_free(s);
}

/* Answers `qemu-img info` in dry runs with 'aux' (NULL: a failure). */
static char *
read_canned(const char *line, void *aux)
{
    return aux ? strdup(aux) : NULL;
}

/* Returns 'text' with every 'dir' replaced by "DIR" (a new string). */
static char *
replace_dir(const char *text, const char *dir)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    for (const char *p = text; *p;) {
        if (!strncmp(p, dir, strlen(dir))) {
            fputs("DIR", f);
            p += strlen(dir);
        } else {
            putc(*p++, f);
        }
    }
    fclose(f);
    return out;
}

static void
test_dry_run(void **state)
{
    struct fixture *fx = *state;
    char *base = make_base(fx, "base.img", "raw");
    struct vm_spec *s = spec_new(base, sbx_path(fx->dir, "vms/disk.qcow2"));
    char *log = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&log, &len);
    cmd_set_dry_run(f);
    vm_disk_set_reader(read_canned, "{\"format\": \"raw\"}");
    assert_int_equal(vm_disk_prepare(s, NULL), 1);

    /* 'info' without a format is an error that names the image. */
    vm_disk_set_reader(read_canned, "{\"virtual-size\": 1}");
    struct ovsdb_error *error = NULL;
    assert_int_equal(vm_disk_prepare(s, &error), -EPROTO);
    assert_non_null(strstr(error->msg, base));
    ovsdb_error_free(error);
    cmd_set_dry_run(NULL);
    vm_disk_set_reader(NULL, NULL);
    fclose(f);

    assert_int_equal(access(s->overlay, F_OK), -1);
    char *actual = replace_dir(log, fx->dir);
    golden_check("vm-disk-create.txt", actual);
    free(actual);
    free(log);
    free(base);
    vm_spec_free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_raw_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qcow2_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlay_is_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
