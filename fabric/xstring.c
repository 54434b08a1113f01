/* xstring: see xstring.h. */
#include "xstring.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
xasprintf(const char *fmt, ...)
{
    va_list args;
    char *s;
    va_start(args, fmt);
    if (vasprintf(&s, fmt, args) < 0) {
        abort();
    }
    va_end(args);
    return s;
}

char *
xstrdup_or_null(const char *s)
{
    if (!s) {
        return NULL;
    }
    char *copy = strdup(s);
    if (!copy) {
        abort();
    }
    return copy;
}

int
strptr_compare(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void *
xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}
