/* xstring: string and memory helpers that never return NULL for lack of
 * memory.
 *
 * Rules of this module:
 * - Out of memory aborts: callers never check for NULL from these.
 * - Every string result is a new string the caller frees.
 */
#ifndef FABRIC_XSTRING_H
#define FABRIC_XSTRING_H 1

#include <stddef.h>

/* vasprintf() into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A copy of 's', or NULL when 's' is NULL. */
char *xstrdup_or_null(const char *s);

/* realloc() that never fails, and never frees: a size of 0 gets 1 byte. */
void *xrealloc(void *p, size_t size);

/* For qsort() and bsearch() over arrays of strings ('char *' elements):
 * strcmp() of the strings. */
int strptr_compare(const void *a, const void *b);

#endif /* xstring.h */
