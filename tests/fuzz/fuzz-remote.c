/* fuzz-remote: libFuzzer harness for remote (remote names and lists).
 *
 * The input is a remote list.  Parsing must succeed or fail with -EINVAL
 * and a message, leaving the list untouched; on success the list holds one
 * remote per comma-separated member, named by the member without its
 * surrounding white space, and every remote must be well formed: its kind
 * matches its name's prefix, its path is the rest of a unix: name, and a
 * tcp: or ssl: name is its IP literal (IPv6 in brackets), a colon and a
 * decimal port in range.  Every name must parse again, alone, to the same
 * remote.  The input is also parsed as one remote, with the same promises.
 * Any broken promise aborts. */
#include <arpa/inet.h>
#include <ctype.h>
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

/* Checks that "IP:PORT" or "[IPV6]:PORT" 'target' spells the host and
 * port of 'r'. */
static void
check_target(const struct ovsdb_remote *r, const char *target)
{
    unsigned char addr[16];
    size_t host_len = strlen(r->host);

    if (inet_pton(AF_INET6, r->host, addr) == 1) {
        check(target[0] == '[');
        check(!strncmp(target + 1, r->host, host_len));
        check(target[1 + host_len] == ']');
        target += host_len + 2;
    } else {
        check(inet_pton(AF_INET, r->host, addr) == 1);
        check(!strncmp(target, r->host, host_len));
        target += host_len;
    }
    check(*target++ == ':');

    long port = 0;
    check(*target != '\0');
    for (; *target; target++) {
        check(isdigit((unsigned char)*target));
        port = port * 10 + (*target - '0');
        check(port <= 65535);
    }
    check(port == r->port);
}

/* Checks that 'r' is well formed and that its name gives it back. */
static void
check_remote(const struct ovsdb_remote *r)
{
    check(r->name && r->name[0]);
    if (r->kind == OVSDB_REMOTE_UNIX) {
        check(r->path && r->path[0] && !r->host);
        check(!strncmp(r->name, "unix:", 5));
        check(!strcmp(r->path, r->name + 5));
    } else {
        check(r->kind == OVSDB_REMOTE_TCP || r->kind == OVSDB_REMOTE_SSL);
        check(!r->path && r->host);
        check(!strncmp(r->name,
                       r->kind == OVSDB_REMOTE_TCP ? "tcp:" : "ssl:", 4));
        check(r->port >= 1 && r->port <= 65535);
        check_target(r, r->name + 4);
    }

    struct ovsdb_remote again;
    check(ovsdb_remote_parse(r->name, &again, NULL) == 0);
    check(again.kind == r->kind && again.port == r->port);
    check(same_string(again.name, r->name));
    check(same_string(again.path, r->path));
    check(same_string(again.host, r->host));
    ovsdb_remote_clear(&again);
}

/* Checks that the remotes of 'list' are named by the comma-separated
 * members of 'text', each without its surrounding white space. */
static void
check_members(const struct ovsdb_remote_list *list, const char *text)
{
    size_t i = 0;
    for (const char *p = text;; i++) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && isspace((unsigned char)*p)) {
            p++;
        }
        while (end > p && isspace((unsigned char)end[-1])) {
            end--;
        }
        check(i < list->n);
        check(strlen(list->remotes[i].name) == (size_t)(end - p));
        check(!strncmp(list->remotes[i].name, p, end - p));
        if (!comma) {
            break;
        }
        p = comma + 1;
    }
    check(i + 1 == list->n);
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

    /* Stands for a list that parsing must leave as it is on error. */
    static struct ovsdb_remote sentinel;
    struct ovsdb_remote_list list = {&sentinel, 42};
    struct ovsdb_error *error = NULL;
    int retval = ovsdb_remote_list_parse(text, &list, &error);
    if (retval == 0) {
        check(error == NULL && list.n >= 1 && list.remotes != &sentinel);
        for (size_t i = 0; i < list.n; i++) {
            check_remote(&list.remotes[i]);
        }
        check_members(&list, text);
        ovsdb_remote_list_clear(&list);
        check(list.remotes == NULL && list.n == 0);
    } else {
        check_failure(retval, error);
        check(list.remotes == &sentinel && list.n == 42);
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
