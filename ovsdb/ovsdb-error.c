/* ovsdb-error: see ovsdb-error.h for the rules. */
#include "ovsdb-error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
xstrdup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static struct ovsdb_error *
error_vnew(int code, const char *tag, const char *details, const char *fmt,
           va_list args)
{
    struct ovsdb_error *e = calloc(1, sizeof *e);
    if (!e) {
        abort();
    }
    e->code = code;
    e->tag = xstrdup_or_null(tag);
    e->details = xstrdup_or_null(details);
    if (vasprintf(&e->msg, fmt, args) < 0) {
        abort();
    }
    return e;
}

struct ovsdb_error *
ovsdb_error_new(int code, const char *tag, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    struct ovsdb_error *e = error_vnew(code, tag, NULL, fmt, args);
    va_end(args);
    return e;
}

struct ovsdb_error *
ovsdb_error_new_details(int code, const char *tag, const char *details,
                        const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    struct ovsdb_error *e = error_vnew(code, tag, details, fmt, args);
    va_end(args);
    return e;
}

struct ovsdb_error *
ovsdb_error_clone(const struct ovsdb_error *error)
{
    return ovsdb_error_new_details(error->code, error->tag, error->details,
                                   "%s", error->msg);
}

int
ovsdb_error_set(struct ovsdb_error **errorp, struct ovsdb_error *error)
{
    int code = error->code;
    if (errorp) {
        *errorp = error;
    } else {
        ovsdb_error_free(error);
    }
    return code;
}

void
ovsdb_error_free(struct ovsdb_error *error)
{
    if (error) {
        free(error->tag);
        free(error->details);
        free(error->msg);
        free(error);
    }
}
