/* agent-netns: see agent-netns.h for the rules.
 *
 * The namespaces owned and the guests made are sorted arrays searched by
 * name, so that a pass over N guests that finds nothing to do costs
 * O(N log N) string work and no process. */
#include "agent-netns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "netns.h"
#include "ovsdb-error.h"

/* A guest made without error: its fingerprint then, and the pass. */
struct made {
    char *netns;
    char *fp;
    unsigned long pass;
};

/* The stages of a pass, in order. */
enum stage {
    STAGE_CHANGES,  /* Guests not made as described. */
    STAGE_REMOVALS, /* Owned namespaces no longer wanted. */
    STAGE_REPAIR,   /* In a full pass, the guests made before it. */
};

struct agent_netns {
    char *rundir, *prefix;
    int retry_ms;
    char **owned; /* Sorted. */
    size_t n_owned;
    struct made *made; /* Sorted by 'netns'. */
    size_t n_made;
    char *fp; /* Of the guests of the last or current pass. */
    bool full_requested;
    int failures;            /* Of the last pass. */
    char error[512];         /* Its last error, or "". */
    long long finished_ms;   /* When it ended. */
    long long full_ended_ms; /* When the last full pass ended, or 0. */

    /* The pass under way. */
    bool active;
    bool full;          /* With a repair stage. */
    unsigned long pass; /* Its number. */
    enum stage stage;
    size_t cursor; /* Next guest or owned namespace to look at. */
    char **wanted; /* The guests' namespaces, sorted. */
    size_t n_wanted;
    int pass_failures;
    char pass_error[512];
    struct netns_snapshot *snap;

    struct agent_netns_stats stats;
};

static long long
mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sorted arrays of names. */

/* The index of 'name' in 'base', an array of 'n' elements of 'size'
 * bytes, each starting with a name (a 'char *'), sorted by name; or where
 * it would go.  '*foundp' says which. */
static size_t
sorted_find(const void *base, size_t n, size_t size, const char *name,
            bool *foundp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *const *elem =
            (const void *)((const char *)base + mid * size);
        int cmp = strcmp(*elem, name);
        if (!cmp) {
            *foundp = true;
            return mid;
        }
        if (cmp < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *foundp = false;
    return lo;
}

static size_t
names_find(char *const *names, size_t n, const char *name, bool *foundp)
{
    return sorted_find(names, n, sizeof *names, name, foundp);
}

/* Adds 'name' (copied) to the sorted '*namesp'; returns false if it was
 * there already. */
static bool
names_add(char ***namesp, size_t *np, const char *name)
{
    bool found;
    size_t i = names_find(*namesp, *np, name, &found);
    if (found) {
        return false;
    }
    *namesp = realloc(*namesp, (*np + 1) * sizeof **namesp);
    memmove(&(*namesp)[i + 1], &(*namesp)[i], (*np - i) * sizeof **namesp);
    (*namesp)[i] = strdup(name);
    (*np)++;
    return true;
}

static void
names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}

/* The namespaces this agent made, in RUNDIR/namespaces. */

static void
owned_load(struct agent_netns *an)
{
    char *path;
    if (asprintf(&path, "%s/namespaces", an->rundir) < 0) {
        abort();
    }
    FILE *f = fopen(path, "r");
    free(path);
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] && !strncmp(line, an->prefix, strlen(an->prefix))) {
            names_add(&an->owned, &an->n_owned, line);
        }
    }
    if (f) {
        fclose(f);
    }
}

static void
owned_save(const struct agent_netns *an)
{
    char *path, *tmp;
    if (asprintf(&path, "%s/namespaces", an->rundir) < 0 ||
        asprintf(&tmp, "%s/namespaces.tmp", an->rundir) < 0) {
        abort();
    }
    FILE *f = fopen(tmp, "w");
    if (f) {
        for (size_t i = 0; i < an->n_owned; i++) {
            fprintf(f, "%s\n", an->owned[i]);
        }
        if (fclose(f) == 0) {
            rename(tmp, path);
        }
    } else {
        log_warn("cannot write %s: %s", tmp, strerror(errno));
    }
    free(path);
    free(tmp);
}

/* The guests made. */

/* The guest 'netns' made, or NULL; its index or where it would go in
 * '*indexp'. */
static struct made *
made_find(const struct agent_netns *an, const char *netns, size_t *indexp)
{
    bool found;
    *indexp =
        sorted_find(an->made, an->n_made, sizeof *an->made, netns, &found);
    return found ? &an->made[*indexp] : NULL;
}

/* Records that 'netns' was made with fingerprint 'fp' (stolen) in this
 * pass, or with 'fp' NULL, that it is not made. */
static void
made_set(struct agent_netns *an, const char *netns, char *fp)
{
    size_t i;
    struct made *m = made_find(an, netns, &i);
    if (m && fp) {
        free(m->fp);
        m->fp = fp;
        m->pass = an->pass;
    } else if (m) {
        free(m->netns);
        free(m->fp);
        memmove(m, m + 1, (an->n_made - i - 1) * sizeof *m);
        an->n_made--;
    } else if (fp) {
        an->made = realloc(an->made, (an->n_made + 1) * sizeof *an->made);
        memmove(&an->made[i + 1], &an->made[i],
                (an->n_made - i) * sizeof *an->made);
        an->made[i] = (struct made){strdup(netns), fp, an->pass};
        an->n_made++;
    }
}

/* Fingerprints. */

/* Writes to 'f' a text that changes whenever guest 'g' should. */
static void
guest_fingerprint_write(FILE *f, const struct netns_guest *g)
{
    fprintf(f, "%s\n", g->netns);
    for (size_t j = 0; j < g->n_ifaces; j++) {
        const struct netns_iface *n = &g->ifaces[j];
        fprintf(f, " %s %s %s %d %s", n->name, n->peer, n->mac ? n->mac : "",
                n->mtu, n->gateway ? n->gateway : "");
        for (size_t k = 0; k < n->n_addresses; k++) {
            fprintf(f, " a=%s", n->addresses[k]);
        }
        for (size_t k = 0; k < n->n_routes; k++) {
            fprintf(f, " r=%s,%s", n->routes[k].prefix,
                    n->routes[k].via ? n->routes[k].via : "");
        }
        fputc('\n', f);
    }
}

/* The fingerprint of guest 'g' (a new string). */
static char *
guest_fingerprint(const struct netns_guest *g)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    guest_fingerprint_write(f, g);
    fclose(f);
    return buf;
}

/* The fingerprint of 'n' guests (a new string). */
static char *
guests_fingerprint(struct netns_guest *const *guests, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; i < n; i++) {
        guest_fingerprint_write(f, guests[i]);
    }
    fclose(f);
    return buf;
}

/* The module. */

struct agent_netns *
agent_netns_create(const char *rundir, const char *prefix, int retry_ms)
{
    struct agent_netns *an = calloc(1, sizeof *an);
    an->rundir = strdup(rundir);
    an->prefix = strdup(prefix);
    an->retry_ms = retry_ms;
    owned_load(an);
    return an;
}

void
agent_netns_destroy(struct agent_netns *an)
{
    if (!an) {
        return;
    }
    names_free(an->owned, an->n_owned);
    for (size_t i = 0; i < an->n_made; i++) {
        free(an->made[i].netns);
        free(an->made[i].fp);
    }
    free(an->made);
    names_free(an->wanted, an->n_wanted);
    netns_snapshot_free(an->snap);
    free(an->fp);
    free(an->rundir);
    free(an->prefix);
    free(an);
}

void
agent_netns_force(struct agent_netns *an)
{
    an->full_requested = true;
}

void
agent_netns_repair(struct agent_netns *an, int period_ms)
{
    if (!(an->active && an->full) &&
        (!an->full_ended_ms || mono_ms() - an->full_ended_ms >= period_ms)) {
        an->full_requested = true;
    }
}

const char *
agent_netns_error(const struct agent_netns *an)
{
    return an->error;
}

bool
agent_netns_is_made(const struct agent_netns *an, const char *netns)
{
    size_t i;
    return made_find(an, netns, &i) != NULL;
}

void
agent_netns_stats(const struct agent_netns *an,
                  struct agent_netns_stats *stats)
{
    *stats = an->stats;
    if (an->snap) {
        stats->snapshot_reads += netns_snapshot_reads(an->snap);
    }
}

/* Drops the snapshot of the pass, counting its reads. */
static void
drop_snapshot(struct agent_netns *an)
{
    if (an->snap) {
        an->stats.snapshot_reads += netns_snapshot_reads(an->snap);
        netns_snapshot_free(an->snap);
        an->snap = NULL;
    }
}

/* Starts the pass (again) from its first guest, for 'guests' whose
 * fingerprint is 'fp' (stolen). */
static void
pass_begin(struct agent_netns *an, struct netns_guest *const *guests, size_t n,
           char *fp)
{
    free(an->fp);
    an->fp = fp;
    drop_snapshot(an);
    an->snap = netns_snapshot_create();
    an->stage = STAGE_CHANGES;
    an->cursor = 0;
    an->pass_failures = 0;
    an->pass_error[0] = '\0';
    names_free(an->wanted, an->n_wanted);
    an->wanted = NULL;
    an->n_wanted = 0;
    bool added = false;
    for (size_t i = 0; i < n; i++) {
        names_add(&an->wanted, &an->n_wanted, guests[i]->netns);
        added |= names_add(&an->owned, &an->n_owned, guests[i]->netns);
    }
    if (added) {
        owned_save(an);
    }
}

static void
pass_end(struct agent_netns *an)
{
    an->active = false;
    an->failures = an->pass_failures;
    snprintf(an->error, sizeof an->error, "%s", an->pass_error);
    an->finished_ms = mono_ms();
    if (an->full) {
        an->full_ended_ms = an->finished_ms;
    }
    drop_snapshot(an);
    names_free(an->wanted, an->n_wanted);
    an->wanted = NULL;
    an->n_wanted = 0;
}

/* Records a failure of the pass, with message 'msg' about guest 'name'
 * (NULL for a removal). */
static void
pass_fail(struct agent_netns *an, const char *name, const char *msg)
{
    an->pass_failures++;
    if (name) {
        snprintf(an->pass_error, sizeof an->pass_error, "guest %s: %s", name,
                 msg);
    } else {
        snprintf(an->pass_error, sizeof an->pass_error, "%s", msg);
    }
    log_warn("%s", an->pass_error);
}

/* In the changes stage, makes 'guest' (named 'name') unless it is made
 * as described already; in the repair stage, inspects it if it is made
 * as described but not in this pass.  Returns true if it had to look at
 * the system. */
static bool
ensure_one(struct agent_netns *an, const struct netns_guest *guest,
           const char *name)
{
    char *fp = guest_fingerprint(guest);
    size_t i;
    const struct made *m = made_find(an, guest->netns, &i);
    bool same = m && !strcmp(m->fp, fp);
    if (an->stage == STAGE_CHANGES ? same : !same || m->pass == an->pass) {
        free(fp);
        return false;
    }
    an->stats.ensures++;
    struct ovsdb_error *error = NULL;
    if (netns_snapshot_ensure(an->snap, guest, &error) < 0) {
        pass_fail(an, name, error->msg);
        ovsdb_error_free(error);
        free(fp);
        made_set(an, guest->netns, NULL);
    } else {
        made_set(an, guest->netns, fp);
    }
    return true;
}

/* Looks at the owned namespace under the removal cursor: removes it if it
 * is no longer wanted.  Returns true if it had to look at the system;
 * sets '*changedp' when the owned list changed. */
static bool
remove_one(struct agent_netns *an, bool *changedp)
{
    const char *netns = an->owned[an->cursor];
    bool wanted;
    names_find(an->wanted, an->n_wanted, netns, &wanted);
    if (wanted) {
        an->cursor++;
        return false;
    }
    log_info("removing namespace %s", netns);
    an->stats.removals++;
    struct ovsdb_error *error = NULL;
    if (netns_snapshot_remove(an->snap, netns, NULL, 0, &error) < 0) {
        pass_fail(an, NULL, error->msg);
        ovsdb_error_free(error);
        an->cursor++;
        return true;
    }
    made_set(an, netns, NULL);
    free(an->owned[an->cursor]);
    an->n_owned--;
    memmove(&an->owned[an->cursor], &an->owned[an->cursor + 1],
            (an->n_owned - an->cursor) * sizeof *an->owned);
    *changedp = true;
    return true;
}

bool
agent_netns_run(struct agent_netns *an, struct netns_guest *const *guests,
                char *const *names, size_t n, int budget_ms, int *failuresp)
{
    *failuresp = 0;
    char *fp = guests_fingerprint(guests, n);
    if (!an->active) {
        bool retry =
            (an->failures && mono_ms() - an->finished_ms >= an->retry_ms);
        if (an->fp && !strcmp(fp, an->fp) && !an->full_requested && !retry) {
            free(fp);
            *failuresp = an->failures;
            return true;
        }
        an->active = true;
        an->full = false;
        an->pass++;
        an->stats.passes++;
        pass_begin(an, guests, n, fp);
    } else if (strcmp(fp, an->fp)) {
        pass_begin(an, guests, n, fp);
    } else {
        free(fp);
    }
    /* A pass made full inspects in its repair stage what it did not make
     * itself; a full pass already under way covers the request. */
    an->full |= an->full_requested;
    an->full_requested = false;

    an->stats.slices++;
    long long start = mono_ms();
    bool worked = false, owned_changed = false;
    while (an->active && (!worked || mono_ms() - start < budget_ms)) {
        if (an->stage != STAGE_REMOVALS && an->cursor < n) {
            worked |= ensure_one(an, guests[an->cursor], names[an->cursor]);
            an->cursor++;
        } else if (an->stage == STAGE_REMOVALS && an->cursor < an->n_owned) {
            worked |= remove_one(an, &owned_changed);
        } else if (an->stage == STAGE_CHANGES ||
                   (an->stage == STAGE_REMOVALS && an->full)) {
            an->stage++;
            an->cursor = 0;
        } else {
            pass_end(an);
        }
    }
    if (owned_changed) {
        owned_save(an);
    }
    if (an->active && an->stage != STAGE_REPAIR) {
        return false;
    }
    *failuresp = an->active ? an->pass_failures : an->failures;
    return true;
}

bool
agent_netns_busy(const struct agent_netns *an)
{
    return an->active;
}
