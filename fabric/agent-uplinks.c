/* agent-uplinks: see agent-uplinks.h for the rules. */
#include "agent-uplinks.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent-desired.h"
#include "log.h"
#include "ovsdb-error.h"
#include "uplink.h"
#include "xstring.h"

struct agent_uplinks {
    char *fingerprint; /* Of the uplinks last reconciled. */
    bool full;         /* Reconcile them next run. */
    int failures;
};

struct agent_uplinks *
agent_uplinks_create(void)
{
    struct agent_uplinks *u = calloc(1, sizeof *u);
    if (!u) {
        abort();
    }
    return u;
}

void
agent_uplinks_destroy(struct agent_uplinks *u)
{
    if (u) {
        free(u->fingerprint);
        free(u);
    }
}

void
agent_uplinks_force(struct agent_uplinks *u)
{
    u->full = true;
}

/* A text that changes whenever the uplinks of 'd' should (a new string). */
static char *
fingerprint(const struct agent_desired *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; i < d->n_uplinks; i++) {
        const struct uplink_dev *u = &d->uplinks[i];
        fprintf(f, "%s %d\n", u->interface, u->vlan);
    }
    fclose(f);
    return buf;
}

int
agent_uplinks_sync(struct agent_uplinks *u, struct agent_desired *d,
                   const struct agent_desired *last, int *changes,
                   char **errorp)
{
    *errorp = NULL;
    char *fp = fingerprint(d);
    if (!u->full && !u->failures && u->fingerprint &&
        !strcmp(fp, u->fingerprint) && last->n_uplinks == d->n_uplinks) {
        for (size_t i = 0; i < d->n_uplinks; i++) {
            d->uplinks[i].ready = last->uplinks[i].ready;
        }
        free(fp);
        return 0;
    }
    u->full = false;
    free(u->fingerprint);
    u->fingerprint = fp;

    int n = 0;
    struct ovsdb_error *error = NULL;
    u->failures = uplink_reconcile(d->uplinks, d->n_uplinks, &n, &error) < 0;
    if (error) {
        *errorp = xasprintf("uplinks: %s", error->msg);
        ovsdb_error_free(error);
    }
    *changes += n;
    if (n) {
        log_info("uplinks: ran %d command%s", n, n == 1 ? "" : "s");
    }
    return u->failures;
}
