/* uplink: see uplink.h for the rules. */
#include "uplink.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ovsdb-error.h"

void
uplink_dev_clear(struct uplink_dev *d)
{
    free(d->network);
    free(d->interface);
    memset(d, 0, sizeof *d);
}

/* Reads `ip -j link show` into '*linksp' (a new JSON array; empty in a
 * dry run). */
static int
read_links(json_t **linksp, struct ovsdb_error **errorp)
{
    struct cmd *c = cmd_new("ip");
    cmd_addl(c, "-j", "link", "show", NULL);
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
                                    "`ip -j link show` did not print a "
                                    "JSON array."));
    }
    *linksp = links;
    return 0;
}

static const json_t *
find_link(const json_t *links, const char *name)
{
    size_t i;
    const json_t *l;
    json_array_foreach(links, i, l)
    {
        const char *n = json_string_value(json_object_get(l, "ifname"));
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
        const char *s = json_string_value(flag);
        if (s && !strcmp(s, "UP")) {
            return true;
        }
    }
    return false;
}

int
uplink_reconcile(struct uplink_dev *devs, size_t n, int *changesp,
                 struct ovsdb_error **errorp)
{
    *changesp = 0;
    *errorp = NULL;
    for (size_t i = 0; i < n; i++) {
        devs[i].ready = false;
    }
    if (!n) {
        return 0;
    }
    json_t *links;
    int rc = read_links(&links, errorp);
    if (rc) {
        return rc;
    }
    int result = 0;
    for (size_t i = 0; i < n; i++) {
        struct uplink_dev *d = &devs[i];
        const json_t *l = find_link(links, d->interface);
        struct ovsdb_error *error = NULL;
        if (!l && !cmd_is_dry_run()) {
            error = ovsdb_error_new(-ENODEV, NULL,
                                    "The interface %s of the uplink of "
                                    "network %s does not exist.",
                                    d->interface, d->network);
        } else if (!d->vlan && (!l || !link_is_up(l))) {
            struct cmd *c = cmd_new("ip");
            cmd_addl(c, "link", "set", "dev", d->interface, "up", NULL);
            (*changesp)++;
            cmd_run(c, NULL, &error);
            cmd_free(c);
        }
        if (error) {
            cmd_keep_first_error(errorp, &result, error);
        } else {
            d->ready = true;
        }
    }
    json_decref(links);
    return result;
}
