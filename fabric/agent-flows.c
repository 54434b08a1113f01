/* agent-flows: see agent-flows.h. */
#include "agent-flows.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent-desired.h"
#include "cmd.h"
#include "flow-diff.h"
#include "gateway-names.h"
#include "log.h"
#include "ovs-bridge.h"
#include "ovsdb-error.h"
#include "pipeline.h"
#include "xstring.h"

struct agent_flows {
    char *bridge;
    char *target;
    char *path;      /* RUNDIR/flows.txt */
    char *diff_path; /* RUNDIR/flows-diff.txt */
    char *installed; /* Text of the last install, or NULL. */
    int n_installed; /* Its number of flows. */
    long long verified_ms;
    bool full;                  /* Replace every flow next time. */
    bool model_changed;         /* Since the flows were computed. */
    unsigned long long port_fp; /* Of the port numbers they were for. */
    long long installs, updates, changes; /* Counters, see the header. */
};

/* An interface of a guest of kind port in the model. */
struct port_iface {
    const char *guest, *iface;
    const struct fabric_interface *f;
};

/* Port look-ups for pipeline_flows(). */
struct ports_aux {
    const struct fabric_model *model;
    const struct replica *fabric;
    const struct agent_iface_index *ifaces;
    const struct ovsb_iface_status *status; /* Sorted by name. */
    size_t n;
    /* The interfaces with an iface-id in 'status', sorted by iface-id,
     * then name. */
    const struct ovsb_iface_status **by_id;
    size_t n_by_id;
    struct port_iface *port_ifaces; /* Sorted by guest, then interface. */
    size_t n_port_ifaces;
};

static int
compare_port_ifaces(const void *a_, const void *b_)
{
    const struct port_iface *a = a_, *b = b_;
    int cmp = strcmp(a->guest, b->guest);
    return cmp ? cmp : strcmp(a->iface, b->iface);
}

static int
compare_by_id(const void *a_, const void *b_)
{
    const struct ovsb_iface_status *const *a = a_, *const *b = b_;
    int cmp = strcmp((*a)->iface_id, (*b)->iface_id);
    return cmp ? cmp : strcmp((*a)->name, (*b)->name);
}

/* Fills the look-ups of 'aux' for guests of kind port. */
static void
ports_aux_index(struct ports_aux *aux)
{
    aux->by_id = xrealloc(NULL, (aux->n + 1) * sizeof *aux->by_id);
    for (size_t i = 0; i < aux->n; i++) {
        if (aux->status[i].iface_id) {
            aux->by_id[aux->n_by_id++] = &aux->status[i];
        }
    }
    if (aux->n_by_id) {
        qsort(aux->by_id, aux->n_by_id, sizeof *aux->by_id, compare_by_id);
    }
    const struct fabric_model *m = aux->model;
    for (size_t i = 0; i < m->n_guests; i++) {
        const struct fabric_guest *g = &m->guests[i];
        for (size_t j = 0; g->kind == FABRIC_GUEST_PORT && j < g->n_interfaces;
             j++) {
            aux->port_ifaces =
                xrealloc(aux->port_ifaces,
                         (aux->n_port_ifaces + 1) * sizeof *aux->port_ifaces);
            aux->port_ifaces[aux->n_port_ifaces++] = (struct port_iface){
                g->name, g->interfaces[j].name, &g->interfaces[j]};
        }
    }
    if (aux->n_port_ifaces) {
        qsort(aux->port_ifaces, aux->n_port_ifaces, sizeof *aux->port_ifaces,
              compare_port_ifaces);
    }
}

/* The number of the first port by name whose interface has iface-id
 * 'id', or 0. */
static long
port_by_iface_id(const struct ports_aux *aux, const char *id)
{
    size_t lo = 0, hi = aux->n_by_id;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(aux->by_id[mid]->iface_id, id) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < aux->n_by_id && !strcmp(aux->by_id[lo]->iface_id, id)
               ? aux->by_id[lo]->ofport
               : 0;
}

static int
compare_status(const void *a_, const void *b_)
{
    const struct ovsb_iface_status *a = a_, *b = b_;
    return strcmp(a->name, b->name);
}

static long
port_by_name(const struct ports_aux *aux, const char *name)
{
    struct ovsb_iface_status key = {.name = (char *)name};
    const struct ovsb_iface_status *st =
        aux->n ? bsearch(&key, aux->status, aux->n, sizeof *aux->status,
                         compare_status)
               : NULL;
    return st ? st->ofport : 0;
}

/* The port of the guest interface or router port whose row is 'uuid'
 * (NULL: not in the fabric DB yet). */
static long
port_by_uuid(const struct ports_aux *aux, const char *uuid)
{
    if (!uuid) {
        return 0;
    }
    char name[16];
    agent_iface_port_name(uuid, name);
    return port_by_name(aux, name);
}

static long
iface_port(const char *guest, const char *iface, void *aux_)
{
    struct ports_aux *aux = aux_;
    const char *uuid = agent_iface_index_find(aux->ifaces, guest, iface);
    struct port_iface key = {guest, iface, NULL};
    const struct port_iface *p =
        aux->n_port_ifaces
            ? bsearch(&key, aux->port_ifaces, aux->n_port_ifaces,
                      sizeof *aux->port_ifaces, compare_port_ifaces)
            : NULL;
    if (p) {
        /* Plugged by another program: found by its iface-id. */
        const char *id = uuid ? agent_port_iface_id(p->f, uuid) : NULL;
        return id ? port_by_iface_id(aux, id) : 0;
    }
    return port_by_uuid(aux, uuid);
}

static long
router_port(const char *router, const char *network, void *aux_)
{
    struct ports_aux *aux = aux_;
    return port_by_uuid(aux,
                        agent_router_port_uuid(aux->fabric, router, network));
}

static long
tunnel_port(const char *remote, void *aux_)
{
    char name[16];
    agent_tunnel_port_name(remote, name);
    return port_by_name(aux_, name);
}

static long
gateway_port(const char *network, void *aux_)
{
    char name[16];
    gateway_port_name(network, name);
    return port_by_name(aux_, name);
}

/* Called for this host's uplinks only: a network has at most one, and
 * its interface is the port. */
static long
uplink_port(const char *network, void *aux_)
{
    struct ports_aux *aux = aux_;
    long net = fabric_model_find_network(aux->model, network);
    if (net < 0 || !aux->model->networks[net].n_uplinks) {
        return 0;
    }
    return port_by_name(aux, aux->model->networks[net].uplinks[0].interface);
}

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct agent_flows *
agent_flows_create(const char *bridge, const char *target, const char *rundir)
{
    struct agent_flows *f = calloc(1, sizeof *f);
    f->bridge = strdup(bridge);
    f->target = strdup(target);
    if (asprintf(&f->path, "%s/flows.txt", rundir) < 0 ||
        asprintf(&f->diff_path, "%s/flows-diff.txt", rundir) < 0) {
        abort();
    }
    f->full = true;
    return f;
}

void
agent_flows_destroy(struct agent_flows *f)
{
    if (f) {
        free(f->bridge);
        free(f->target);
        free(f->path);
        free(f->diff_path);
        free(f->installed);
        free(f);
    }
}

int
agent_flows_count(const struct agent_flows *f)
{
    return f->n_installed;
}

void
agent_flows_model_changed(struct agent_flows *f)
{
    f->model_changed = true;
}

void
agent_flows_reset(struct agent_flows *f)
{
    f->full = true;
    f->verified_ms = 0;
}

void
agent_flows_stats(const struct agent_flows *f, long long *installs,
                  long long *updates, long long *changes)
{
    *installs = f->installs;
    *updates = f->updates;
    *changes = f->changes;
}

static int
count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++) {
        n += *p == '\n';
    }
    return n;
}

/* Returns the number of flows the switch holds, or a negative errno. */
static int
switch_flow_count(const struct agent_flows *f, struct ovsdb_error **errorp)
{
    struct cmd *c = cmd_new("ovs-ofctl");
    cmd_addl(c, "-O", "OpenFlow15", "--no-names", "dump-aggregate", f->target,
             NULL);
    char *out = NULL;
    int error = cmd_run(c, &out, errorp);
    cmd_free(c);
    if (error) {
        return error;
    }
    const char *p = strstr(out, "flow_count=");
    int n = p ? atoi(p + strlen("flow_count=")) : -1;
    free(out);
    return n;
}

/* An order-independent hash of the port names, numbers and iface-ids
 * 'st' of the numbered ports (the flows know no other: a port that just
 * came brings no computation until ovs-vswitchd numbers it). */
static unsigned long long
ports_fingerprint(const struct ovsb_iface_status *st, size_t n)
{
    unsigned long long sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (st[i].ofport <= 0) {
            continue;
        }
        unsigned long long h = 14695981039346656037ull;
        for (const char *p = st[i].name; *p; p++) {
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        }
        for (const char *p = st[i].iface_id ? st[i].iface_id : ""; *p; p++) {
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        }
        h = (h ^ (unsigned long long)st[i].ofport) * 1099511628211ull;
        sum += h;
    }
    return sum;
}

/* Returns true if the switch may no longer hold the flows installed last:
 * it holds another number of them.  Asks at most every
 * AGENT_FLOWS_VERIFY_MS. */
static bool
drifted(struct agent_flows *f)
{
    if (now_ms() - f->verified_ms < AGENT_FLOWS_VERIFY_MS) {
        return false;
    }
    int n = switch_flow_count(f, NULL);
    f->verified_ms = now_ms();
    if (n != f->n_installed) {
        log_info("%s holds %d flows where %d were installed: installing "
                 "every flow again",
                 f->bridge, n, f->n_installed);
        return true;
    }
    return false;
}

bool
agent_flows_check(struct agent_flows *f)
{
    if (!f->installed || f->full || !drifted(f)) {
        return false;
    }
    f->full = true;
    return true;
}

/* Writes 'text' to 'path'.  Returns 0 or a negative errno, with '*errorp'
 * set. */
static int
write_file(const char *path, const char *text, struct ovsdb_error **errorp)
{
    FILE *file = fopen(path, "w");
    if (!file || fputs(text, file) < 0 || fclose(file)) {
        int error = -errno;
        return ovsdb_error_set(
            errorp, ovsdb_error_new(error, NULL, "Cannot write %s: %s.", path,
                                    strerror(-error)));
    }
    return 0;
}

/* Runs `ovs-ofctl -O OpenFlow15 --no-names --bundle COMMAND TARGET PATH`.
 * The flows name no port, and without --no-names ovs-ofctl first asks
 * the switch for the names of all its ports and tables: two more
 * connections, 20 ms of the 30 ms it takes at 500 ports. */
static int
run_bundle(const struct agent_flows *f, const char *command, const char *path,
           struct ovsdb_error **errorp)
{
    struct cmd *c = cmd_new("ovs-ofctl");
    cmd_addl(c, "-O", "OpenFlow15", "--no-names", "--bundle", command,
             f->target, path, NULL);
    int error = cmd_run(c, NULL, errorp);
    cmd_free(c);
    return error;
}

/* Makes the switch hold the flows of 'text' (the text of the last
 * install, or other flows): only what differs from the last install,
 * unless every flow is to be installed again. */
static int
install(struct agent_flows *f, const char *text, struct ovsdb_error **errorp)
{
    int error = write_file(f->path, text, errorp);
    if (error) {
        return error;
    }
    char *diff = NULL;
    int n = f->full || !f->installed
                ? -1
                : flow_diff(f->installed, text, &diff, NULL);
    if (n < 0) {
        error = run_bundle(f, "replace-flows", f->path, errorp);
        f->installs += !error;
    } else if (n > 0) {
        error = write_file(f->diff_path, diff, errorp);
        if (!error) {
            error = run_bundle(f, "add-flows", f->diff_path, errorp);
        }
        f->updates += !error;
        f->changes += error ? 0 : n;
    }
    free(diff);
    /* After a failure, the switch may hold anything. */
    f->full = error != 0;
    if (!error) {
        f->verified_ms = now_ms();
    }
    return error;
}

int
agent_flows_sync(struct agent_flows *f, const struct fabric_model *model,
                 const char *host, const struct replica *fabric,
                 const struct ovsb_iface_status *status, size_t n_status,
                 struct ovsdb_error **errorp)
{
    struct ports_aux aux = {
        .model = model, .fabric = fabric, .status = status, .n = n_status};
    unsigned long long port_fp = ports_fingerprint(aux.status, aux.n);
    if (f->installed && !f->full && !f->model_changed &&
        port_fp == f->port_fp) {
        /* The same inputs give the same flows: no need to compute them.
         * (Whether the switch still holds them is agent_flows_check()'s
         * business: asking it here would hold the run back while
         * ovs-vswitchd reconfigures, just when a port came.) */
        return 0;
    }

    struct pipeline_ports ports = {
        .iface = iface_port,
        .router_port = router_port,
        .tunnel = tunnel_port,
        .aux = &aux,
        .gateway = gateway_port,
        .uplink = uplink_port,
    };
    struct agent_iface_index *ifaces = agent_iface_index_create(fabric);
    aux.ifaces = ifaces;
    ports_aux_index(&aux);
    char *text = pipeline_flows(model, host, &ports);
    agent_iface_index_destroy(ifaces);
    free(aux.by_id);
    free(aux.port_ifaces);

    if (f->installed && !f->full && !strcmp(text, f->installed)) {
        free(text);
        f->model_changed = false;
        f->port_fp = port_fp;
        return 0;
    }
    int error = install(f, text, errorp);
    if (error) {
        free(text);
        return error;
    }
    free(f->installed);
    f->installed = text;
    f->n_installed = count_lines(text);
    f->model_changed = false;
    f->port_fp = port_fp;
    return 0;
}
