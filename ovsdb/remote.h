/* remote: OVSDB remote names, as OVS spells them.
 *
 *   unix:PATH          a Unix domain socket
 *   tcp:IP:PORT        TCP; IPv6 addresses in brackets: tcp:[::1]:6640
 *   ssl:IP:PORT        TLS over TCP (see tls.h for keys and certificates)
 *
 * A remote list is several of these separated by commas, tried in turn.
 *
 * Rules of this module: pure parsing, no I/O.  Errors name the remote and
 * what is wrong with it.
 */
#ifndef OVSDB_REMOTE_H
#define OVSDB_REMOTE_H 1

#include <stddef.h>

struct ovsdb_error;

enum ovsdb_remote_kind { OVSDB_REMOTE_UNIX, OVSDB_REMOTE_TCP, OVSDB_REMOTE_SSL };

struct ovsdb_remote {
    enum ovsdb_remote_kind kind;
    char *name; /* The remote as written, e.g. "tcp:127.0.0.1:6641". */
    char *path; /* unix: socket path; else NULL. */
    char *host; /* tcp/ssl: IP address literal, without brackets. */
    int port;   /* tcp/ssl: 1..65535. */
};

struct ovsdb_remote_list {
    struct ovsdb_remote *remotes;
    size_t n;
};

/* Parses one remote 'name' into '*remote'.  Returns 0 or -EINVAL with
 * '*errorp' set.  On success the caller frees with ovsdb_remote_clear(). */
int ovsdb_remote_parse(const char *name, struct ovsdb_remote *remote,
                       struct ovsdb_error **errorp);

/* Parses a comma-separated list 'names' (at least one remote).  Returns 0
 * or -EINVAL with '*errorp' set, leaving '*list' untouched on error. */
int ovsdb_remote_list_parse(const char *names, struct ovsdb_remote_list *list,
                            struct ovsdb_error **errorp);

void ovsdb_remote_clear(struct ovsdb_remote *remote);
void ovsdb_remote_list_clear(struct ovsdb_remote_list *list);

#endif /* remote.h */
