/* vm-disk: see vm-disk.h for the rules of this module. */
#include "vm-disk.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "ovsdb-error.h"
#include "vm-files.h"
#include "vm-spec.h"

static vm_disk_reader_func *reader_func;
static void *reader_aux;

void
vm_disk_set_reader(vm_disk_reader_func *reader, void *aux)
{
    reader_func = reader;
    reader_aux = aux;
}

/* Stores an error "Cannot VERB the disk of VM ...: INNER" and frees
 * 'inner'.  Returns the error's code. */
static int
fail(const struct vm_spec *spec, const char *verb, struct ovsdb_error **errorp,
     struct ovsdb_error *inner)
{
    struct ovsdb_error *error = ovsdb_error_new(
        inner->code, NULL, "Cannot %s the disk of VM %s: %s", verb,
        spec->domain  ? spec->domain
        : spec->guest ? spec->guest
                      : "?",
        inner->msg);
    ovsdb_error_free(inner);
    return ovsdb_error_set(errorp, error);
}

/* Returns true when 'overlay' names the base image 'image': the same
 * path, or (through links) the same file. */
static bool
is_base_image(const char *overlay, const char *image)
{
    struct stat a, b;
    return !strcmp(overlay, image) ||
           (!stat(overlay, &a) && !stat(image, &b) && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino);
}

/* Checks that the base image 'image' is a readable file. */
static struct ovsdb_error *
check_base(const char *image)
{
    struct stat st;
    if (stat(image, &st) < 0) {
        int err = errno;
        return err == ENOENT
                   ? ovsdb_error_new(-err, NULL,
                                     "Base image %s does not exist.", image)
                   : ovsdb_error_new(-err, NULL,
                                     "Cannot read base image %s: %s.", image,
                                     strerror(err));
    } else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        return ovsdb_error_new(-EINVAL, NULL, "Base image %s is not a file.",
                               image);
    } else if (access(image, R_OK) < 0) {
        int err = errno;
        return ovsdb_error_new(-err, NULL, "Cannot read base image %s: %s.",
                               image, strerror(err));
    }
    return NULL;
}

/* Reads the format of 'image' ("raw", "qcow2", ...) with `qemu-img info`
 * into '*formatp' (a new string).  Returns NULL or an error. */
static struct ovsdb_error *
read_format(const char *image, char **formatp)
{
    struct cmd *cmd = cmd_new("qemu-img");
    cmd_addl(cmd, "info", "--output=json", image, NULL);
    struct ovsdb_error *error = NULL;
    char *output = NULL;
    if (reader_func) {
        char *line = cmd_to_string(cmd);
        if (cmd_is_dry_run()) {
            /* Logs the read like any command. */
            cmd_run(cmd, NULL, NULL);
        }
        output = reader_func(line, reader_aux);
        if (!output) {
            error = ovsdb_error_new(-EIO, NULL, "`%s` failed.", line);
        }
        free(line);
    } else {
        cmd_run(cmd, &output, &error);
    }
    cmd_free(cmd);
    if (error) {
        struct ovsdb_error *outer =
            ovsdb_error_new(error->code, NULL, "Cannot read base image %s: %s",
                            image, error->msg);
        ovsdb_error_free(error);
        return outer;
    }

    json_error_t jerr;
    json_t *info = json_loads(output, 0, &jerr);
    const char *format = json_string_value(json_object_get(info, "format"));
    if (format && *format) {
        *formatp = strdup(format);
    } else {
        error = ovsdb_error_new(-EPROTO, NULL,
                                "`qemu-img info` gave no format for base "
                                "image %s.",
                                image);
    }
    json_decref(info);
    free(output);
    return error;
}

/* Returns 'path' made absolute against the working directory (a new
 * string), without resolving links. */
static char *
absolute_path(const char *path)
{
    if (path[0] == '/') {
        return strdup(path);
    }
    char *cwd = getcwd(NULL, 0);
    char *abs;
    if (!cwd || asprintf(&abs, "%s/%s", cwd, path) < 0) {
        abort();
    }
    free(cwd);
    return abs;
}

/* Creates 'overlay' on 'base' of 'format'. */
static struct ovsdb_error *
create_overlay(const char *base, const char *format, const char *overlay)
{
    struct ovsdb_error *error = NULL;
    if (vm_files_mkparent(overlay, &error)) {
        return error;
    }
    char *tmp = vm_files_tmp_name(overlay);
    struct cmd *cmd = cmd_new("qemu-img");
    cmd_addl(cmd, "create", "-q", "-f", "qcow2", "-F", format, "-b", base, tmp,
             NULL);
    vm_files_run_to(cmd, tmp, overlay, &error);
    cmd_free(cmd);
    free(tmp);
    return error;
}

int
vm_disk_prepare(const struct vm_spec *spec, struct ovsdb_error **errorp)
{
    if (!spec->image) {
        return 0;
    } else if (!spec->overlay) {
        return fail(spec, "prepare", errorp,
                    ovsdb_error_new(-EINVAL, NULL,
                                    "It has base image %s but no overlay "
                                    "path.",
                                    spec->image));
    } else if (is_base_image(spec->overlay, spec->image)) {
        return fail(spec, "prepare", errorp,
                    ovsdb_error_new(-EINVAL, NULL,
                                    "Its overlay %s is its base image.",
                                    spec->overlay));
    } else if (vm_files_exists(spec->overlay)) {
        return 0;
    }

    char *base = absolute_path(spec->image);
    char *format = NULL;
    struct ovsdb_error *error = check_base(base);
    error = error ? error : read_format(base, &format);
    error = error ? error : create_overlay(base, format, spec->overlay);
    free(format);
    free(base);
    return error ? fail(spec, "prepare", errorp, error) : 1;
}

int
vm_disk_remove(const struct vm_spec *spec, struct ovsdb_error **errorp)
{
    if (!spec->overlay) {
        return 0;
    } else if (spec->image && is_base_image(spec->overlay, spec->image)) {
        return fail(spec, "remove", errorp,
                    ovsdb_error_new(-EINVAL, NULL,
                                    "Its overlay %s is its base image, "
                                    "which is never removed.",
                                    spec->overlay));
    }
    struct ovsdb_error *error = NULL;
    char *tmp = vm_files_tmp_name(spec->overlay);
    int rc = vm_files_remove(spec->overlay, &error);
    rc = rc ? rc : vm_files_remove(tmp, &error);
    free(tmp);
    return rc ? fail(spec, "remove", errorp, error) : 0;
}
