/* ovsdb-error: the one error object of the OVSDB client library.
 *
 * Rules of this module:
 * - Functions of the library return 0 or a negative errno; where the caller
 *   must be able to show a person what went wrong, they also fill an
 *   optional 'struct ovsdb_error **' out-parameter.
 * - An out-parameter is written only on failure, and then always with a
 *   new error object that the caller owns and frees with ovsdb_error_free().
 * - 'tag' is the RFC 7047 "error" string when the error came from a server
 *   ("constraint violation", "timed out", ...), or NULL for local errors.
 * - 'msg' is one whole sentence, written where the error is detected.
 */
#ifndef OVSDB_ERROR_H
#define OVSDB_ERROR_H 1

#include <stdarg.h>

struct ovsdb_error {
    int code;      /* Negative errno, e.g. -EPROTO, -ECONNRESET. */
    char *tag;     /* RFC 7047 "error" member, or NULL. */
    char *details; /* RFC 7047 "details" member, or NULL. */
    char *msg;     /* Human-readable message, never NULL. */
};

/* Returns a new error with 'code' (negative errno), optional 'tag', and a
 * message formatted from 'fmt'. */
struct ovsdb_error *ovsdb_error_new(int code, const char *tag,
                                    const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like ovsdb_error_new() but also records 'details' (may be NULL). */
struct ovsdb_error *ovsdb_error_new_details(int code, const char *tag,
                                            const char *details,
                                            const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Returns a new copy of 'error'. */
struct ovsdb_error *ovsdb_error_clone(const struct ovsdb_error *error);

/* Stores 'error' into '*errorp' if 'errorp' is non-NULL, otherwise frees
 * it.  Returns error->code, so callers can 'return ovsdb_error_set(...)'. */
int ovsdb_error_set(struct ovsdb_error **errorp, struct ovsdb_error *error);

/* Frees 'error'.  Accepts NULL. */
void ovsdb_error_free(struct ovsdb_error *error);

#endif /* ovsdb-error.h */
