/* vm-files: see vm-files.h. */
#include "vm-files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "ovsdb-error.h"

/* Stores an error "Cannot WHAT PATH: strerror(err)." and returns -err. */
static int
fail(struct ovsdb_error **errorp, int err, const char *what, const char *path)
{
    return ovsdb_error_set(errorp,
                           ovsdb_error_new(-err, NULL, "Cannot %s %s: %s.",
                                           what, path, strerror(err)));
}

int
vm_files_mkdirs(const char *dir, struct ovsdb_error **errorp)
{
    if (!*dir) {
        return fail(errorp, EINVAL, "create directory", "\"\"");
    }
    char *copy = strdup(dir);
    int rc = 0;
    /* Every prefix that ends before a '/', then the whole path. */
    for (char *p = copy + 1; !rc; p++) {
        bool last = !*p;
        if (*p != '/' && !last) {
            continue;
        }
        *p = '\0';
        struct stat st;
        if (!mkdir(copy, 0755)) {
            /* The umask may have taken bits away. */
            if (chmod(copy, 0755) < 0) {
                rc = fail(errorp, errno, "set the mode of directory", copy);
            }
        } else if (errno != EEXIST) {
            rc = fail(errorp, errno, "create directory", copy);
        } else if (stat(copy, &st) < 0) {
            rc = fail(errorp, errno, "read directory", copy);
        } else if (!S_ISDIR(st.st_mode)) {
            rc = fail(errorp, ENOTDIR, "create directory", copy);
        }
        if (last) {
            break;
        }
        *p = '/';
    }
    free(copy);
    return rc;
}

int
vm_files_mkparent(const char *path, struct ovsdb_error **errorp)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) {
        return 0;
    }
    char *dir = strndup(path, slash - path);
    int rc = vm_files_mkdirs(dir, errorp);
    free(dir);
    return rc;
}

bool
vm_files_exists(const char *path)
{
    struct stat st;
    return !stat(path, &st) && S_ISREG(st.st_mode);
}

bool
vm_files_same(const char *path, const char *content)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return false;
    }
    size_t len = strlen(content);
    char *buf = malloc(len + 1);
    /* One byte more than expected shows a longer file. */
    size_t n = fread(buf, 1, len + 1, f);
    bool same = n == len && !memcmp(buf, content, len);
    free(buf);
    fclose(f);
    return same;
}

char *
vm_files_tmp_name(const char *path)
{
    char *tmp;
    if (asprintf(&tmp, "%s.tmp", path) < 0) {
        abort();
    }
    return tmp;
}

int
vm_files_write(const char *path, const char *content,
               struct ovsdb_error **errorp)
{
    char *tmp = vm_files_tmp_name(path);
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = fail(errorp, errno, "write", tmp);
        goto out;
    }
    size_t len = strlen(content), off = 0;
    while (off < len) {
        ssize_t n = write(fd, content + off, len - off);
        if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0) {
            rc = fail(errorp, errno, "write", tmp);
            break;
        }
        off += n;
    }
    if (close(fd) < 0 && !rc) {
        rc = fail(errorp, errno, "write", tmp);
    }
    if (!rc && rename(tmp, path) < 0) {
        rc = fail(errorp, errno, "rename into place", tmp);
    }
    if (rc) {
        unlink(tmp);
    }
out:
    free(tmp);
    return rc;
}

int
vm_files_remove(const char *path, struct ovsdb_error **errorp)
{
    if (unlink(path) < 0 && errno != ENOENT) {
        return fail(errorp, errno, "remove", path);
    }
    return 0;
}

int
vm_files_run_to(struct cmd *cmd, const char *tmp, const char *path,
                struct ovsdb_error **errorp)
{
    if (cmd_is_dry_run()) {
        return cmd_run(cmd, NULL, errorp);
    }
    int rc = vm_files_remove(tmp, errorp);
    rc = rc ? rc : cmd_run(cmd, NULL, errorp);
    if (!rc && rename(tmp, path) < 0) {
        rc = fail(errorp, errno, "rename into place", tmp);
    }
    if (rc) {
        unlink(tmp);
    }
    return rc;
}
