/* remote: parsing of OVSDB remote names; see remote.h for the rules. */
#include "remote.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-error.h"

static void *
xmemdup0(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p) {
        abort();
    }
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static char *
xstrdup(const char *s)
{
    return xmemdup0(s, strlen(s));
}

/* Parses the decimal port 'port' of remote 'name' into '*portp'. */
static int
parse_port(const char *name, const char *port, int *portp,
           struct ovsdb_error **errorp)
{
    if (!*port) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL, "%s: missing port.", name));
    }
    long value = 0;
    for (const char *p = port; *p; p++) {
        if (!isdigit((unsigned char)*p)) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EINVAL, NULL,
                                        "%s: invalid port '%s' (expected a "
                                        "decimal number).",
                                        name, port));
        }
        value = value * 10 + (*p - '0');
        if (value > 65535) {
            break;
        }
    }
    if (value < 1 || value > 65535) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "%s: port %s out of range (1 to "
                                    "65535).",
                                    name, port));
    }
    *portp = (int)value;
    return 0;
}

/* Parses "IP:PORT" or "[IPV6]:PORT", the part of remote 'name' after its
 * "tcp:" or "ssl:" prefix, into 'remote'. */
static int
parse_inet(const char *name, const char *target, struct ovsdb_remote *remote,
           struct ovsdb_error **errorp)
{
    char *host;
    const char *port;
    unsigned char addr[sizeof(struct in6_addr)];

    if (target[0] == '[') {
        const char *end = strchr(target, ']');
        if (!end) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EINVAL, NULL,
                                        "%s: missing ']' after IPv6 "
                                        "address.",
                                        name));
        }
        if (end[1] == '\0') {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EINVAL, NULL, "%s: missing port.", name));
        }
        if (end[1] != ':') {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EINVAL, NULL,
                                        "%s: expected ':' and a port after "
                                        "']'.",
                                        name));
        }
        host = xmemdup0(target + 1, end - (target + 1));
        port = end + 2;
        if (inet_pton(AF_INET6, host, addr) != 1) {
            struct ovsdb_error *e = ovsdb_error_new(
                -EINVAL, NULL,
                "%s: '%s' is not an IPv6 address literal (only IPv6 "
                "addresses go in brackets).",
                name, host);
            free(host);
            return ovsdb_error_set(errorp, e);
        }
    } else {
        const char *colon = strrchr(target, ':');
        if (!colon) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EINVAL, NULL, "%s: missing port.", name));
        }
        if (colon == target) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EINVAL, NULL,
                                        "%s: missing host address.", name));
        }
        host = xmemdup0(target, colon - target);
        port = colon + 1;
        if (strchr(host, ':')) {
            struct ovsdb_error *e = ovsdb_error_new(
                -EINVAL, NULL,
                "%s: an IPv6 address must be written in brackets, as in "
                "tcp:[::1]:6640.",
                name);
            free(host);
            return ovsdb_error_set(errorp, e);
        }
        if (inet_pton(AF_INET, host, addr) != 1) {
            struct ovsdb_error *e = ovsdb_error_new(
                -EINVAL, NULL,
                "%s: host '%s' is not an IP address literal (host names "
                "are not resolved).",
                name, host);
            free(host);
            return ovsdb_error_set(errorp, e);
        }
    }

    int error = parse_port(name, port, &remote->port, errorp);
    if (error) {
        free(host);
        return error;
    }
    remote->host = host;
    return 0;
}

int
ovsdb_remote_parse(const char *name, struct ovsdb_remote *remote,
                   struct ovsdb_error **errorp)
{
    struct ovsdb_remote r = {.port = 0};
    const char *target;
    int error = 0;

    if (!strncmp(name, "unix:", 5)) {
        r.kind = OVSDB_REMOTE_UNIX;
        target = name + 5;
        if (!*target) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EINVAL, NULL,
                                        "%s: missing socket path.", name));
        }
        r.path = xstrdup(target);
    } else if (!strncmp(name, "tcp:", 4) || !strncmp(name, "ssl:", 4)) {
        r.kind = name[0] == 't' ? OVSDB_REMOTE_TCP : OVSDB_REMOTE_SSL;
        target = name + 4;
        if (!*target) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EINVAL, NULL, "%s: missing address and port.",
                                name));
        }
        error = parse_inet(name, target, &r, errorp);
    } else {
        const char *colon = strchr(name, ':');
        if (!colon) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EINVAL, NULL,
                                "'%s' is not a remote (expected unix:PATH, "
                                "tcp:IP:PORT or ssl:IP:PORT).",
                                name));
        }
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "%s: unknown remote type '%.*s' "
                                    "(expected unix:, tcp: or ssl:).",
                                    name, (int)(colon - name + 1), name));
    }
    if (error) {
        return error;
    }
    r.name = xstrdup(name);
    *remote = r;
    return 0;
}

void
ovsdb_remote_clear(struct ovsdb_remote *remote)
{
    if (remote) {
        free(remote->name);
        free(remote->path);
        free(remote->host);
        memset(remote, 0, sizeof *remote);
    }
}

int
ovsdb_remote_list_parse(const char *names, struct ovsdb_remote_list *list,
                        struct ovsdb_error **errorp)
{
    struct ovsdb_remote_list l = {NULL, 0};
    const char *p = names;

    for (;;) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *start = p;

        while (start < end && isspace((unsigned char)*start)) {
            start++;
        }
        while (end > start && isspace((unsigned char)end[-1])) {
            end--;
        }
        if (start == end) {
            struct ovsdb_error *e;
            if (!comma && l.n == 0) {
                e = ovsdb_error_new(-EINVAL, NULL,
                                    "The remote list is "
                                    "empty.");
            } else {
                e = ovsdb_error_new(-EINVAL, NULL,
                                    "Remote list '%s' has an empty member.",
                                    names);
            }
            ovsdb_remote_list_clear(&l);
            return ovsdb_error_set(errorp, e);
        }

        char *name = xmemdup0(start, end - start);
        struct ovsdb_remote *remotes =
            realloc(l.remotes, (l.n + 1) * sizeof *l.remotes);
        if (!remotes) {
            abort();
        }
        l.remotes = remotes;
        int error = ovsdb_remote_parse(name, &l.remotes[l.n], errorp);
        free(name);
        if (error) {
            ovsdb_remote_list_clear(&l);
            return error;
        }
        l.n++;

        if (!comma) {
            break;
        }
        p = comma + 1;
    }
    *list = l;
    return 0;
}

void
ovsdb_remote_list_clear(struct ovsdb_remote_list *list)
{
    if (list) {
        for (size_t i = 0; i < list->n; i++) {
            ovsdb_remote_clear(&list->remotes[i]);
        }
        free(list->remotes);
        list->remotes = NULL;
        list->n = 0;
    }
}
