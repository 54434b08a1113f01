/* gateway: see gateway.h for the rules. */
#include "gateway.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd.h"
#include "ovsdb-error.h"

void
gateway_port_clear(struct gateway_port *p)
{
    free(p->network);
    free(p->port);
    free(p->mac);
    free(p->address);
    memset(p, 0, sizeof *p);
}

/* Runs 'c' (freed), a change; counts it in '*changes'. */
static int
run_change(struct cmd *c, int *changes, struct ovsdb_error **errorp)
{
    (*changes)++;
    int rc = cmd_run(c, NULL, errorp);
    cmd_free(c);
    return rc;
}

/* Reads `ip -j address show dev PORT` into '*objp' (new reference; NULL
 * when the device does not exist, or in a dry run). */
static int
read_port(const char *port, json_t **objp, struct ovsdb_error **errorp)
{
    struct cmd *c = cmd_new("ip");
    cmd_addl(c, "-j", "address", "show", "dev", port, NULL);
    char *out = NULL;
    struct ovsdb_error *error = NULL;
    int rc = cmd_run(c, &out, &error);
    cmd_free(c);
    *objp = NULL;
    if (rc) {
        /* "Device "fg..." does not exist." */
        ovsdb_error_free(error);
        free(out);
        return 0;
    }
    const char *p = out + strspn(out, " \t\r\n");
    json_t *array = *p ? json_loads(p, 0, NULL) : json_array();
    free(out);
    if (!json_is_array(array)) {
        json_decref(array);
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-EPROTO, NULL,
                            "`ip -j address show dev %s` did not print a "
                            "JSON array.",
                            port));
    }
    if (json_array_size(array)) {
        *objp = json_incref(json_array_get(array, 0));
    }
    json_decref(array);
    return 0;
}

/* Makes device 'p' what it should be. */
static int
ensure_port(const struct gateway_port *p, int *changes,
            struct ovsdb_error **errorp)
{
    json_t *obj;
    int rc = read_port(p->port, &obj, errorp);
    if (rc) {
        return rc;
    }
    if (!obj && !cmd_is_dry_run()) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-ENODEV, NULL,
                            "The gateway port %s of network %s does not "
                            "exist.",
                            p->port, p->network));
    }
    const char *mac = json_string_value(json_object_get(obj, "address"));
    if (!mac || strcasecmp(mac, p->mac)) {
        struct cmd *c = cmd_new("ip");
        cmd_addl(c, "link", "set", "dev", p->port, "address", p->mac, NULL);
        rc = run_change(c, changes, errorp);
    }

    /* Addresses: the wanted one added first, then the others removed;
     * any IPv6 address says that IPv6 is still on. */
    bool have = false, ipv6 = false;
    json_t *addrs = json_object_get(obj, "addr_info");
    size_t i;
    json_t *a;
    json_array_foreach(addrs, i, a)
    {
        const char *family = json_string_value(json_object_get(a, "family"));
        const char *local = json_string_value(json_object_get(a, "local"));
        int plen = (int)json_integer_value(json_object_get(a, "prefixlen"));
        if (family && !strcmp(family, "inet6")) {
            ipv6 = true;
        } else if (family && !strcmp(family, "inet") && local) {
            char text[64];
            snprintf(text, sizeof text, "%s/%d", local, plen);
            have |= !strcmp(text, p->address);
        }
    }
    if (!rc && ipv6) {
        struct cmd *c = cmd_new("sysctl");
        cmd_add(c, "-q");
        cmd_add(c, "-w");
        cmd_addf(c, "net.ipv6.conf.%s.disable_ipv6=1", p->port);
        rc = run_change(c, changes, errorp);
    }
    if (!rc && !have) {
        struct cmd *c = cmd_new("ip");
        cmd_addl(c, "address", "add", p->address, "dev", p->port, NULL);
        rc = run_change(c, changes, errorp);
    }
    json_array_foreach(addrs, i, a)
    {
        const char *family = json_string_value(json_object_get(a, "family"));
        const char *local = json_string_value(json_object_get(a, "local"));
        int plen = (int)json_integer_value(json_object_get(a, "prefixlen"));
        char text[64];
        snprintf(text, sizeof text, "%s/%d", local ? local : "", plen);
        if (rc || !family || strcmp(family, "inet") || !local ||
            !strcmp(text, p->address)) {
            continue;
        }
        struct cmd *c = cmd_new("ip");
        cmd_addl(c, "address", "del", text, "dev", p->port, NULL);
        rc = run_change(c, changes, errorp);
    }

    json_t *flags = json_object_get(obj, "flags");
    bool up = false;
    json_array_foreach(flags, i, a)
    {
        up |= json_string_value(a) && !strcmp(json_string_value(a), "UP");
    }
    if (!rc && !up) {
        struct cmd *c = cmd_new("ip");
        cmd_addl(c, "link", "set", "dev", p->port, "up", NULL);
        rc = run_change(c, changes, errorp);
    }
    json_decref(obj);
    return rc;
}

/* Returns net.ipv4.ip_forward as text ("0", "1"; "" in a dry run), as a
 * new string, or NULL after setting '*errorp'. */
static char *
read_forwarding(struct ovsdb_error **errorp)
{
    struct cmd *c = cmd_new("sysctl");
    cmd_addl(c, "-n", "net.ipv4.ip_forward", NULL);
    char *out = NULL;
    int rc = cmd_run(c, &out, errorp);
    cmd_free(c);
    if (rc) {
        return NULL;
    }
    out[strcspn(out, " \t\r\n")] = '\0';
    return out;
}

static int
write_forwarding(const char *value, int *changes, struct ovsdb_error **errorp)
{
    struct cmd *c = cmd_new("sysctl");
    cmd_add(c, "-q");
    cmd_add(c, "-w");
    cmd_addf(c, "net.ipv4.ip_forward=%s", value);
    return run_change(c, changes, errorp);
}

/* Forwarding on while 'wanted', back to the remembered value when not. */
static int
ensure_forwarding(bool wanted, const char *state_path, int *changes,
                  struct ovsdb_error **errorp)
{
    FILE *f = fopen(state_path, "r");
    char saved[16] = "";
    if (f) {
        if (!fgets(saved, sizeof saved, f)) {
            saved[0] = '\0';
        }
        saved[strcspn(saved, " \t\r\n")] = '\0';
        fclose(f);
    }
    if (!wanted && !f) {
        return 0; /* Fabric never turned it on. */
    }
    char *now = read_forwarding(errorp);
    if (!now) {
        return -EIO;
    }
    int rc = 0;
    if (wanted && strcmp(now, "1")) {
        if (!f && !cmd_is_dry_run()) {
            FILE *w = fopen(state_path, "w");
            if (!w || fprintf(w, "%s\n", now[0] ? now : "0") < 0 ||
                fclose(w)) {
                rc = ovsdb_error_set(
                    errorp,
                    ovsdb_error_new(-errno, NULL, "Cannot write %s: %s.",
                                    state_path, strerror(errno)));
            }
        }
        if (!rc) {
            rc = write_forwarding("1", changes, errorp);
        }
    } else if (!wanted) {
        const char *old = !strcmp(saved, "1") ? "1" : "0";
        if (strcmp(now, old)) {
            rc = write_forwarding(old, changes, errorp);
        }
        if (!rc && !cmd_is_dry_run() && unlink(state_path) &&
            errno != ENOENT) {
            rc = ovsdb_error_set(
                errorp, ovsdb_error_new(-errno, NULL, "Cannot remove %s: %s.",
                                        state_path, strerror(errno)));
        }
    }
    free(now);
    return rc;
}

int
gateway_reconcile(const struct gateway_port *ports, size_t n,
                  const char *state_path, int *changesp,
                  struct ovsdb_error **errorp)
{
    int changes = 0, rc = 0;
    struct ovsdb_error *first = NULL;
    for (size_t i = 0; i < n; i++) {
        struct ovsdb_error *error = NULL;
        if (ensure_port(&ports[i], &changes, &error)) {
            cmd_keep_first_error(&first, &rc, error);
        }
    }
    struct ovsdb_error *error = NULL;
    if (ensure_forwarding(n > 0, state_path, &changes, &error)) {
        cmd_keep_first_error(&first, &rc,
                             error ? error
                                   : ovsdb_error_new(-EIO, NULL,
                                                     "Cannot read "
                                                     "net.ipv4.ip_forward."));
    }
    *changesp = changes;
    if (first) {
        return ovsdb_error_set(errorp, first);
    }
    return 0;
}
