/* uplink: see uplink.h for the rules. */
#include "uplink.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "ovsdb-error.h"

void
uplink_port_name(const char *network, const char *interface, int vlan,
                 char name[16])
{
    if (!vlan) {
        snprintf(name, 16, "%s", interface);
        return;
    }
    char key[160];
    snprintf(key, sizeof key, "uplink/%s/%s.%d", network, interface, vlan);
    uint32_t h = 2166136261u;
    for (const char *s = key; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    snprintf(name, 16, "fu%08x", (unsigned int)h);
}

void
uplink_dev_clear(struct uplink_dev *d)
{
    free(d->network);
    free(d->device);
    free(d->parent);
    memset(d, 0, sizeof *d);
}

/* Runs `ip ARGS...` (NULL-terminated), a change; counts it in '*changes'.
 * Returns 0 or a negative errno with a new error in '*errorp'. */
static int
ip(int *changes, struct ovsdb_error **errorp, ...)
{
    struct cmd *c = cmd_new("ip");
    va_list args;
    va_start(args, errorp);
    for (const char *arg; (arg = va_arg(args, const char *));) {
        cmd_add(c, arg);
    }
    va_end(args);
    (*changes)++;
    int rc = cmd_run(c, NULL, errorp);
    cmd_free(c);
    return rc;
}

/* Reads `ip -d -j link show` into '*linksp' (a new JSON array; empty in a
 * dry run). */
static int
read_links(json_t **linksp, struct ovsdb_error **errorp)
{
    struct cmd *c = cmd_new("ip");
    cmd_addl(c, "-d", "-j", "link", "show", NULL);
    char *out = NULL;
    int rc = cmd_run(c, &out, errorp);
    cmd_free(c);
    if (rc) {
        return rc;
    }
    const char *p = out + strspn(out, " \t\r\n");
    json_t *links = *p ? json_loads(p, 0, NULL) : json_array();
    free(out);
    if (!json_is_array(links)) {
        json_decref(links);
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EPROTO, NULL,
                                    "`ip -d -j link show` did not print a "
                                    "JSON array."));
    }
    *linksp = links;
    return 0;
}

static const char *
field(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static const json_t *
find_link(const json_t *links, const char *name)
{
    size_t i;
    const json_t *l;
    json_array_foreach(links, i, l)
    {
        const char *n = field(l, "ifname");
        if (n && !strcmp(n, name)) {
            return l;
        }
    }
    return NULL;
}

static bool
link_is_up(const json_t *l)
{
    size_t i;
    const json_t *flag;
    json_array_foreach(json_object_get(l, "flags"), i, flag)
    {
        if (json_string_value(flag) &&
            !strcmp(json_string_value(flag), "UP")) {
            return true;
        }
    }
    return false;
}

/* The VLAN id of VLAN device 'l', or -1 when it is no VLAN device. */
static int
link_vlan(const json_t *l)
{
    const json_t *info = json_object_get(l, "linkinfo");
    const char *kind = field(info, "info_kind");
    const json_t *id =
        json_object_get(json_object_get(info, "info_data"), "id");
    return kind && !strcmp(kind, "vlan") && json_is_integer(id)
               ? (int)json_integer_value(id)
               : -1;
}

static bool
link_owned(const json_t *l, const char *alias)
{
    const char *a = field(l, "ifalias");
    return a && !strcmp(a, alias) && link_vlan(l) >= 0;
}

/* Makes VLAN device 'd' (on an existing parent) what it should be. */
static int
ensure_vlan(const struct uplink_dev *d, const json_t *links, const char *alias,
            int *changes, struct ovsdb_error **errorp)
{
    const json_t *l = find_link(links, d->device);
    if (l && !link_owned(l, alias)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EEXIST, NULL,
                                    "The uplink of network %s needs device "
                                    "%s, which exists and is not fabric's.",
                                    d->network, d->device));
    }
    if (l && (link_vlan(l) != d->vlan || !field(l, "link") ||
              strcmp(field(l, "link"), d->parent))) {
        int rc = ip(changes, errorp, "link", "del", "dev", d->device, NULL);
        if (rc) {
            return rc;
        }
        l = NULL;
    }
    if (!l) {
        char id[16];
        snprintf(id, sizeof id, "%d", d->vlan);
        int rc = ip(changes, errorp, "link", "add", "link", d->parent, "name",
                    d->device, "type", "vlan", "id", id, NULL);
        rc = rc ? rc
                : ip(changes, errorp, "link", "set", "dev", d->device, "alias",
                     alias, NULL);
        if (rc) {
            return rc;
        }
        /* The device only carries the network's frames into the bridge:
         * the host has nothing to say on it. */
        char path[80];
        snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s", d->device);
        if (!access(path, F_OK)) {
            struct cmd *c = cmd_new("sysctl");
            cmd_addl(c, "-q", "-w", NULL);
            cmd_addf(c, "net.ipv6.conf.%s.disable_ipv6=1", d->device);
            (*changes)++;
            rc = cmd_run(c, NULL, errorp);
            cmd_free(c);
            if (rc) {
                return rc;
            }
        }
    }
    if (!l || !link_is_up(l)) {
        return ip(changes, errorp, "link", "set", "dev", d->device, "up",
                  NULL);
    }
    return 0;
}

int
uplink_reconcile(struct uplink_dev *devs, size_t n, const char *owner,
                 int *changesp, struct ovsdb_error **errorp)
{
    *changesp = 0;
    *errorp = NULL;
    json_t *links;
    int rc = read_links(&links, errorp);
    if (rc) {
        for (size_t i = 0; i < n; i++) {
            devs[i].ready = false;
        }
        return rc;
    }
    char *alias;
    if (asprintf(&alias, "fabric-owner=%s", owner) < 0) {
        abort();
    }
    int result = 0;
    for (size_t i = 0; i < n; i++) {
        struct uplink_dev *d = &devs[i];
        struct ovsdb_error *error = NULL;
        const json_t *parent = find_link(links, d->parent);
        d->ready = false;
        if (!parent && !cmd_is_dry_run()) {
            error = ovsdb_error_new(-ENODEV, NULL,
                                    "The interface %s of the uplink of "
                                    "network %s does not exist.",
                                    d->parent, d->network);
        } else if (!d->vlan) {
            if (!parent || !link_is_up(parent)) {
                ip(changesp, &error, "link", "set", "dev", d->parent, "up",
                   NULL);
            }
        } else {
            ensure_vlan(d, links, alias, changesp, &error);
        }
        if (error) {
            cmd_keep_first_error(errorp, &result, error);
        } else {
            d->ready = true;
        }
    }

    /* Owned VLAN devices no longer wanted. */
    size_t i;
    const json_t *l;
    json_array_foreach(links, i, l)
    {
        const char *name = field(l, "ifname");
        bool wanted = false;
        for (size_t k = 0; name && k < n && !wanted; k++) {
            wanted = devs[k].vlan && !strcmp(devs[k].device, name);
        }
        if (name && !wanted && link_owned(l, alias)) {
            struct ovsdb_error *error = NULL;
            if (ip(changesp, &error, "link", "del", "dev", name, NULL)) {
                cmd_keep_first_error(errorp, &result, error);
            }
        }
    }
    free(alias);
    json_decref(links);
    return result;
}
