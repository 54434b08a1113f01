/* fuzz-remote: libFuzzer harness for remote (remote names and lists).
 *
 * The input is a remote list.  Parsing must succeed or fail with -EINVAL
 * and a message; on success every remote must be well formed (a path for
 * unix:, an IP literal and a port in range for tcp: and ssl:) and its name
 * must parse again, alone, to the same remote.  The input is also parsed
 * as one remote, with the same promises.  Any broken promise aborts. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-error.h"
#include "remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int condition)
{
    if (!condition) {
        abort();
    }
}

static int
same_string(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Checks that 'r' is well formed and that its name gives it back. */
static void
check_remote(const struct ovsdb_remote *r)
{
    unsigned char addr[16];

    check(r->name && r->name[0]);
    if (r->kind == OVSDB_REMOTE_UNIX) {
        check(r->path && r->path[0] && !r->host);
    } else {
        check(r->kind == OVSDB_REMOTE_TCP || r->kind == OVSDB_REMOTE_SSL);
        check(!r->path && r->host);
        check(inet_pton(AF_INET, r->host, addr) == 1 ||
              inet_pton(AF_INET6, r->host, addr) == 1);
        check(r->port >= 1 && r->port <= 65535);
    }

    struct ovsdb_remote again;
    check(ovsdb_remote_parse(r->name, &again, NULL) == 0);
    check(again.kind == r->kind && again.port == r->port);
    check(same_string(again.name, r->name));
    check(same_string(again.path, r->path));
    check(same_string(again.host, r->host));
    ovsdb_remote_clear(&again);
}

static void
check_failure(int retval, struct ovsdb_error *error)
{
    check(retval == -EINVAL);
    check(error && error->code == -EINVAL && error->msg && error->msg[0]);
    ovsdb_error_free(error);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    check(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';

    struct ovsdb_remote_list list;
    struct ovsdb_error *error = NULL;
    int retval = ovsdb_remote_list_parse(text, &list, &error);
    if (retval == 0) {
        check(error == NULL && list.n >= 1);
        for (size_t i = 0; i < list.n; i++) {
            check_remote(&list.remotes[i]);
        }
        ovsdb_remote_list_clear(&list);
    } else {
        check_failure(retval, error);
    }

    struct ovsdb_remote remote;
    error = NULL;
    retval = ovsdb_remote_parse(text, &remote, &error);
    if (retval == 0) {
        check(error == NULL);
        check(!strcmp(remote.name, text));
        check_remote(&remote);
        ovsdb_remote_clear(&remote);
    } else {
        check_failure(retval, error);
    }

    free(text);
    return 0;
}
