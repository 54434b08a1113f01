/* agent-flows: see agent-flows.h. */
#include "agent-flows.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent-desired.h"
#include "cmd.h"
#include "gateway-names.h"
#include "ovs-bridge.h"
#include "ovsdb-error.h"
#include "pipeline.h"

struct agent_flows {
    char *bridge;
    char *target;
    char *path;      /* RUNDIR/flows.txt */
    char *installed; /* Text of the last install, or NULL. */
    int n_installed; /* Its number of flows. */
    long long verified_ms;
};

/* Port look-ups for pipeline_flows(). */
struct ports_aux {
    const struct fabric_model *model;
    const struct replica *fabric;
    struct ovsb_iface_status *status;
    size_t n;
};

static long
port_by_name(const struct ports_aux *aux, const char *name)
{
    for (size_t i = 0; i < aux->n; i++) {
        if (!strcmp(aux->status[i].name, name)) {
            return aux->status[i].ofport;
        }
    }
    return 0;
}

static long
iface_port(const char *guest, const char *iface, void *aux_)
{
    struct ports_aux *aux = aux_;
    const char *uuid = agent_iface_uuid(aux->fabric, guest, iface);
    if (!uuid) {
        return 0;
    }
    char name[16];
    agent_iface_port_name(uuid, name);
    return port_by_name(aux, name);
}

static long
router_port(const char *router, const char *network, void *aux_)
{
    struct ports_aux *aux = aux_;
    const char *uuid = agent_router_port_uuid(aux->fabric, router, network);
    if (!uuid) {
        return 0;
    }
    char name[16];
    agent_iface_port_name(uuid, name);
    return port_by_name(aux, name);
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
    if (asprintf(&f->path, "%s/flows.txt", rundir) < 0) {
        abort();
    }
    return f;
}

void
agent_flows_destroy(struct agent_flows *f)
{
    if (f) {
        free(f->bridge);
        free(f->target);
        free(f->path);
        free(f->installed);
        free(f);
    }
}

int
agent_flows_count(const struct agent_flows *f)
{
    return f->n_installed;
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
    cmd_addl(c, "-O", "OpenFlow15", "dump-aggregate", f->target, NULL);
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

int
agent_flows_sync(struct agent_flows *f, const struct fabric_model *model,
                 const char *host, const struct replica *fabric,
                 const struct replica *ovs, struct ovsdb_error **errorp)
{
    struct ports_aux aux = {.model = model, .fabric = fabric};
    ovsb_status(ovs, f->bridge, &aux.status, &aux.n);
    struct pipeline_ports ports = {
        .iface = iface_port,
        .router_port = router_port,
        .tunnel = tunnel_port,
        .aux = &aux,
        .gateway = gateway_port,
        .uplink = uplink_port,
    };
    char *text = pipeline_flows(model, host, &ports);
    ovsb_status_free(aux.status, aux.n);

    bool same = f->installed && !strcmp(text, f->installed);
    if (same && now_ms() - f->verified_ms < AGENT_FLOWS_VERIFY_MS) {
        free(text);
        return 0;
    }
    if (same) {
        int n = switch_flow_count(f, NULL);
        f->verified_ms = now_ms();
        if (n == f->n_installed) {
            free(text);
            return 0;
        }
    }

    FILE *file = fopen(f->path, "w");
    if (!file || fputs(text, file) < 0 || fclose(file)) {
        int error = -errno;
        free(text);
        return ovsdb_error_set(
            errorp, ovsdb_error_new(error, NULL, "Cannot write %s: %s.",
                                    f->path, strerror(-error)));
    }
    struct cmd *c = cmd_new("ovs-ofctl");
    cmd_addl(c, "-O", "OpenFlow15", "--bundle", "replace-flows", f->target,
             f->path, NULL);
    int error = cmd_run(c, NULL, errorp);
    cmd_free(c);
    if (error) {
        free(text);
        return error;
    }
    free(f->installed);
    f->installed = text;
    f->n_installed = count_lines(text);
    f->verified_ms = now_ms();
    return 0;
}
