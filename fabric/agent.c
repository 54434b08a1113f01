/* agent: see agent.h for the rules.
 *
 * One run (agent_run()):
 *   1. read the lab from the fabric replica and compute what this host
 *      should hold (agent-desired);
 *   2. namespace guests: make each one as described, remove namespaces
 *      with our prefix that are no longer wanted;
 *   3. with an underlay interface, the underlay (controllers/underlay):
 *      its addresses and routes now, its OVS bridge in a transaction of
 *      its own (ovs-bridge names the rows of every bridge alike, so two
 *      builds cannot share one transaction), at most one in flight; then
 *      the interfaces of uplinks (fabric/agent-uplinks), which their
 *      ports need;
 *   4. the integration bridge: one Open_vSwitch transaction with the
 *      difference, at most one in flight; its reply marks the agent dirty
 *      so the next run sees the result.  Ports of guests of kind port,
 *      plugged by another program, are tagged and marked in it only once
 *      their flows are in (agent-ports.h);
 *   4b. the flows (fabric/agent-flows), once every named port has its
 *      OpenFlow number; a bridge made again gets every flow;
 *   5. gateways of nat and routed networks (controllers/gateway,
 *      controllers/nat-table): once their ports have OpenFlow numbers,
 *      their addresses, forwarding and the nat table; with no gateway
 *      left, forwarding back to what it was and no table;
 *   6. when a run finds nothing left to change and no error, the host has
 *      applied the lab's generation: status says so.
 */
#include "agent.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent-desired.h"
#include "agent-flows.h"
#include "agent-inputs.h"
#include "agent-netns.h"
#include "agent-ofc.h"
#include "agent-ports.h"
#include "agent-uplinks.h"
#include "agent-vms.h"
#include "cloudinit.h"
#include "domain-xml.h"
#include "virt.h"
#include "client.h"
#include "datum.h"
#include "dbmodel.h"
#include "gateway.h"
#include "log.h"
#include "model.h"
#include "nat-table.h"
#include "netns.h"
#include "ovs-bridge.h"
#include "ovsdb-error.h"
#include "replica.h"
#include "txn.h"
#include "underlay.h"
#include "xstring.h"

#define AGENT_OWNER "fabric"
#define AGENT_VERSION "0.1"
#define AGENT_RETRY_MS 1000
#define AGENT_REPAIR_MS 30000
#define AGENT_PENDING_MS 200      /* Until ovs-vswitchd made an interface. */
#define AGENT_UNBOUND_MS 10000    /* Ports not numbered: an error after. */
#define AGENT_SLICE_MS 50         /* Of guest work per turn of the loop. */
#define AGENT_REPAIR_PAUSE_MS 200 /* Between two slices of a repair. */

struct agent {
    struct event_base *base;
    char *host, *bridge, *netns_prefix, *rundir;
    const char *datapath_type;
    struct ovsdb_client *fabric; /* Fabric DB. */
    struct ovsdb_client *ovs;    /* Local Open_vSwitch DB. */
    struct agent_flows *flows;   /* The pipeline, or NULL for NORMAL. */
    struct agent_ofc *ofc;       /* Its packet-ins, with the pipeline. */
    struct agent_vms *vms;       /* VM guests and routers. */
    char *domain_type;           /* "kvm" or "qemu". */
    char *vm_dir;
    char *vm_fingerprint; /* Of the VMs last reconciled. */
    bool vm_full;         /* Reconcile the VMs next run. */
    int vm_failures;
    long long vm_failed_ms; /* When they last failed. */
    long long unbound_ms;   /* Since when ovs-vswitchd has not numbered
                             * every port of the bridge, or 0. */

    struct event *run_event; /* Deferred reconcile. */
    struct event *heartbeat; /* Periodic status. */
    struct event *retry;     /* Reconcile again after an error. */

    bool ovs_txn_busy;
    bool status_txn_busy;
    long long applied_generation; /* Last generation fully applied. */
    long long runs;               /* Reconcile runs so far. */
    long long lab_reads;          /* ...that read the lab again. */
    /* Interfaces of guests of kind port whose port carries traffic: with
     * fabric's pipeline, numbered when its flows were last installed;
     * with NORMAL, numbered and tagged when a run last found nothing left
     * to do. */
    long long ports_bound;
    struct agent_ports *ports;    /* The bridge's status, bound ports. */
    char error[512];              /* Last run's error, or "". */
    char written_error[512];      /* The error the Host row holds. */
    char bridge_uuid[40];         /* The bridge's row when flows were last
                                   * synced, or "". */
    long long written_generation; /* What the Host row holds. */
    struct agent_desired last;    /* What the last run wanted. */
    struct fabric_model *model;   /* The lab 'last' was computed from. */
    bool lab_changed;             /* An input of 'last' changed since. */
    bool ovs_changed;             /* The Open_vSwitch DB changed. */
    struct agent_netns *netns;    /* The namespace guests. */
    struct event *netns_slice;    /* Their next slice. */
    bool netns_done;              /* They are as last described. */
    struct event *repair;         /* Periodic full reconcile. */
    struct event *flows_check;    /* Periodic check of the flows. */

    /* Gateways of nat and routed networks, and the nat table. */
    char *gw_state_path;  /* RUNDIR/ip_forward */
    char *gw_fingerprint; /* Of the gateways last reconciled. */
    bool gw_full;         /* Reconcile them next run. */
    int gw_failures;
    struct nat_table_state nat;
    struct agent_uplinks *uplinks; /* Uplinks' interfaces. */

    /* The underlay, with --underlay-interface (else 'ul_dev' is NULL). */
    char *ul_dev, *ul_bridge, *ul_state_path;
    bool ul_txn_busy;
    bool ul_full;          /* Inspect the underlay next run. */
    char *ul_fingerprint;  /* Of the underlay last inspected. */
    long long ul_commands; /* Commands run on the underlay so far. */
    const char *ul_status; /* "moved", "pending", "removed", "error". */
};

static void agent_mark_dirty(struct agent *);

static long long
wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void
set_error(struct agent *a, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(a->error, sizeof a->error, fmt, args);
    va_end(args);
    log_warn("%s", a->error);
}

/* Client callbacks: mark dirty, nothing else. */

/* The fabric DB's replica is in step: a run, when an input changed, or
 * when the Host row does not say what the agent applied yet. */
static void
on_fabric_synced(void *a_)
{
    struct agent *a = a_;
    if (a->lab_changed || a->written_generation != a->applied_generation ||
        strcmp(a->written_error, a->error)) {
        agent_mark_dirty(a);
    }
}

/* The Open_vSwitch DB's replica is in step: a run, unless only statistics
 * changed. */
static void
on_ovs_synced(void *a_)
{
    struct agent *a = a_;
    agent_ports_invalidate(a->ports);
    if (a->ovs_changed) {
        a->ovs_changed = false;
        agent_mark_dirty(a);
    }
}

static void
on_ovs_change(void *a_, enum replica_change change,
              const struct replica_row *old, const struct replica_row *new)
{
    struct agent *a = a_;
    if (agent_inputs_ovs_changed(old, new)) {
        a->ovs_changed = true;
        agent_ports_invalidate(a->ports);
    }
}

/* The status of the bridge's interfaces, sorted by name, and their
 * number in '*np'; 0 or -ENOENT without the bridge (agent-ports.h). */
static int
ovs_status(struct agent *a, const struct ovsb_iface_status **stp, size_t *np)
{
    return agent_ports_status(a->ports, ovsdb_client_replica(a->ovs), stp, np);
}

/* A change of a fabric DB row: the lab is read again only when an input
 * changed (agent-inputs.h), not for every agent's status. */
static void
on_fabric_change(void *a_, enum replica_change change,
                 const struct replica_row *old, const struct replica_row *new)
{
    struct agent *a = a_;
    if (!a->lab_changed && agent_inputs_changed(old, new)) {
        a->lab_changed = true;
    }
}

/* A new connection to the fabric DB: read the lab again. */
static void
on_fabric_connected(void *a_, const char *remote)
{
    struct agent *a = a_;
    a->lab_changed = true;
}

/* A new connection to the Open_vSwitch DB, often a restarted
 * ovs-vswitchd: install every flow again. */
static void
on_ovs_connected(void *a_, const char *remote)
{
    struct agent *a = a_;
    a->ovs_changed = true;
    agent_ports_invalidate(a->ports);
    if (a->flows) {
        agent_flows_reset(a->flows);
    }
}

static void
client_log(void *name, enum jsonrpc_log_level level, const char *msg)
{
    if (level >= JSONRPC_LOG_WARN) {
        log_warn("%s: %s", (const char *)name, msg);
    } else if (level == JSONRPC_LOG_INFO) {
        log_info("%s: %s", (const char *)name, msg);
    } else {
        log_debug("%s: %s", (const char *)name, msg);
    }
}

/* Status. */

/* The last row of 'table' in 'r' (NULL: none) whose "name" is 'name', or
 * NULL. */
static const struct replica_row *
named_row(const struct replica *r, const char *table, const char *name)
{
    const struct replica_row *found = NULL;
    size_t iter = 0;
    const struct replica_row *row;
    while (r && (row = replica_next(r, table, &iter))) {
        const char *n = json_string_value(replica_row_get(row, "name"));
        if (n && !strcmp(n, name)) {
            found = row;
        }
    }
    return found;
}

/* The Host row for this agent, or NULL. */
static const struct replica_row *
host_row(const struct agent *a)
{
    return named_row(ovsdb_client_replica(a->fabric), "Host", a->host);
}

/* tunnel_status: remote host -> BFD state ("up", "down", "init", or
 * "unknown" before BFD has said anything). */
static json_t *
tunnel_status(struct agent *a)
{
    json_t *pairs = json_array();
    const struct ovsb_iface_status *st;
    size_t n;
    ovs_status(a, &st, &n);
    for (size_t i = 0; i < a->last.n_tunnels; i++) {
        const char *state = "unknown";
        for (size_t j = 0; j < n; j++) {
            if (!strcmp(st[j].name, a->last.tunnel_ports[i]) &&
                st[j].bfd_state && st[j].bfd_state[0]) {
                state = st[j].bfd_state;
            }
        }
        json_array_append_new(
            pairs, json_pack("[s s]", a->last.tunnel_hosts[i], state));
    }
    return ovsdb_map(pairs);
}

/* A namespace guest of this host by name (first, for strptr_compare()),
 * with its index in a->last.guests. */
struct named_guest {
    const char *name;
    size_t index;
};

/* This host's namespace guests, sorted by name, for their states. */
struct guest_states {
    struct named_guest *netns;
    size_t n_netns;
};

static void
guest_states_init(struct guest_states *gs, const struct agent *a)
{
    size_t n = a->last.n_guests;
    gs->netns = xrealloc(NULL, (n + 1) * sizeof *gs->netns);
    for (size_t i = 0; i < n; i++) {
        gs->netns[i] = (struct named_guest){a->last.guest_names[i], i};
    }
    if (n) {
        qsort(gs->netns, n, sizeof *gs->netns, strptr_compare);
    }
    gs->n_netns = n;
}

static void
guest_states_destroy(struct guest_states *gs)
{
    free(gs->netns);
}

/* The state of this host's guest 'name' and why, or false when it is not
 * a namespace guest or guest of kind port of this host.  '*reasonp' is a
 * new string. */
static bool
guest_state(struct agent *a, const struct guest_states *gs, const char *name,
            const char **statep, char **reasonp)
{
    struct named_guest key = {name, 0};
    const struct named_guest *p =
        gs->n_netns ? bsearch(&key, gs->netns, gs->n_netns, sizeof *gs->netns,
                              strptr_compare)
                    : NULL;
    if (p) {
        size_t i = p->index;
        *statep = a->error[0] ? "error"
                  : agent_netns_is_made(a->netns, a->last.guests[i]->netns)
                      ? "running"
                      : "pending";
        *reasonp = strdup(a->error);
        return true;
    }
    if (!agent_ports_guest_state(a->ports, ovsdb_client_replica(a->ovs),
                                 &a->last, name, statep, reasonp)) {
        return false;
    }
    if (a->error[0]) {
        *statep = "error";
        free(*reasonp);
        *reasonp = strdup(a->error);
    }
    return true;
}

static void
status_done(void *a_, const json_t *result, const struct ovsdb_error *error)
{
    struct agent *a = a_;
    a->status_txn_busy = false;
    if (error) {
        log_warn("writing status to the fabric DB failed: %s", error->msg);
    }
    if (a->written_generation != a->applied_generation ||
        strcmp(a->written_error, a->error)) {
        /* A run found more to write while this was under way. */
        agent_mark_dirty(a);
    }
}

/* Writes this host's status; 'generation' < 0 keeps the applied
 * generation as it is. */
static void
write_status(struct agent *a, long long generation)
{
    const struct replica_row *row = host_row(a);
    if (!row || a->status_txn_busy || !ovsdb_client_is_synced(a->fabric)) {
        return;
    }
    if (generation >= 0) {
        a->written_generation = generation;
    }
    snprintf(a->written_error, sizeof a->written_error, "%s", a->error);
    struct ovsdb_txn *txn = ovsdb_txn_create(DBMODEL_DB);
    json_t *cols = json_pack(
        "{s:I, s:I, s:s, s:s, s:o, s:s}", "applied_generation",
        (json_int_t)a->written_generation, "heartbeat", (json_int_t)wall_ms(),
        "version", AGENT_VERSION, "datapath_type", a->datapath_type,
        "tunnel_status", tunnel_status(a), "error", a->error);
    ovsdb_txn_update(txn, "Host", ovsdb_where_uuid(row->uuid), cols);

    /* States of this host's guests (namespaces and VMs) and router
     * VMs. */
    const struct replica *r = ovsdb_client_replica(a->fabric);
    static const char *const tables[] = {"Guest", "Router"};
    struct guest_states gs;
    guest_states_init(&gs, a);
    for (size_t t = 0; t < 2; t++) {
        size_t iter = 0;
        const struct replica_row *g;
        while ((g = replica_next(r, tables[t], &iter))) {
            const char *name = json_string_value(replica_row_get(g, "name"));
            const char *state = NULL, *reason = NULL;
            char *reason_buf = NULL;
            if (name && t == 0 &&
                guest_state(a, &gs, name, &state, &reason_buf)) {
                reason = reason_buf;
            }
            if (name && !state) {
                agent_vms_state(a->vms, name, &state, &reason);
            }
            if (!state) {
                continue;
            }
            const char *old = json_string_value(replica_row_get(g, "state"));
            const char *old_reason =
                json_string_value(replica_row_get(g, "state_reason"));
            if (!old || strcmp(old, state) || !old_reason ||
                strcmp(old_reason, reason)) {
                ovsdb_txn_update(txn, tables[t], ovsdb_where_uuid(g->uuid),
                                 json_pack("{s:s, s:s}", "state", state,
                                           "state_reason", reason));
            }
            free(reason_buf);
        }
    }
    guest_states_destroy(&gs);
    a->status_txn_busy = true;
    if (ovsdb_client_transact(a->fabric, txn, status_done, a) < 0) {
        a->status_txn_busy = false;
    }
}

static void
heartbeat_cb(evutil_socket_t fd, short what, void *a)
{
    write_status(a, -1);
}

/* The reconcile run. */

static void
ovs_txn_done(void *a_, const json_t *result, const struct ovsdb_error *error)
{
    struct agent *a = a_;
    a->ovs_txn_busy = false;
    if (error) {
        set_error(a, "Open_vSwitch transaction failed: %s", error->msg);
        event_add(a->retry, &(struct timeval){AGENT_RETRY_MS / 1000, 0});
    } else {
        agent_mark_dirty(a);
    }
}

static void
ul_txn_done(void *a_, const json_t *result, const struct ovsdb_error *error)
{
    struct agent *a = a_;
    a->ul_txn_busy = false;
    if (error) {
        set_error(a, "Open_vSwitch transaction on %s failed: %s", a->ul_bridge,
                  error->msg);
        event_add(a->retry, &(struct timeval){AGENT_RETRY_MS / 1000, 0});
    } else {
        agent_mark_dirty(a);
    }
}

/* A text that changes whenever the underlay should be inspected again (a
 * new string): what is wanted, and the identity of the bridge's interface
 * in the Open_vSwitch DB (its row and ifindex), which changes when the
 * interface is made again, without addresses: the bridge removed and
 * added back, or its device deleted. */
static char *
underlay_fingerprint(const struct agent *a, bool wanted, const char *ip)
{
    const struct replica_row *row =
        named_row(ovsdb_client_replica(a->ovs), "Interface", a->ul_bridge);
    const char *uuid = row ? row->uuid : "";
    long long ifindex =
        row ? json_integer_value(replica_row_get(row, "ifindex")) : 0;
    char *fp;
    if (asprintf(&fp, "%d %s %s %lld", wanted, ip ? ip : "", uuid, ifindex) <
        0) {
        abort();
    }
    return fp;
}

/* The underlay: its addresses and routes (underlay_reconcile()), then its
 * OVS bridge.  'wanted' when the host holds something of the lab; 'ip' is
 * the Host row's underlay IP.  Like the guests, the addresses and routes
 * cost commands to inspect: a run looks at them only when the
 * fingerprint changed, after a failure, while the move waits for the
 * bridge's interface, when asked, and every AGENT_REPAIR_MS.  Returns the
 * number of changes made or under way (a pending move counts as one);
 * counts failures in '*failures'. */
static int
reconcile_underlay(struct agent *a, bool wanted, const char *ip, int *failures)
{
    struct underlay_config cfg = {
        .dev = a->ul_dev,
        .bridge = a->ul_bridge,
        .datapath_type = a->datapath_type,
        .state_path = a->ul_state_path,
    };
    struct ovsdb_error *error = NULL;
    char *fp = underlay_fingerprint(a, wanted, ip);
    int changes = 0;
    bool bridge_wanted;
    if (a->ul_full || !a->ul_fingerprint || strcmp(fp, a->ul_fingerprint) ||
        !strcmp(a->ul_status, "error") || !strcmp(a->ul_status, "pending")) {
        a->ul_full = false;
        free(a->ul_fingerprint);
        a->ul_fingerprint = fp;
        struct underlay_result result;
        int rc = underlay_reconcile(&cfg, wanted, ip, &result, &error);
        if (result.changes) {
            a->ul_commands += result.changes;
            log_info("underlay: ran %d command%s %s %s", result.changes,
                     result.changes == 1 ? "" : "s",
                     wanted ? "to move the underlay onto"
                            : "to put the underlay back from",
                     a->ul_bridge);
        }
        if (rc < 0) {
            set_error(a, "%s", error->msg);
            ovsdb_error_free(error);
            a->ul_status = "error";
            (*failures)++;
            /* The OVS bridge stays as it is. */
            return result.changes;
        }
        a->ul_status = !wanted          ? "removed"
                       : result.pending ? "pending"
                                        : "moved";
        changes = result.changes + (result.pending ? 1 : 0);
        bridge_wanted = result.bridge;
    } else {
        free(fp);
        bridge_wanted = wanted;
    }
    if (a->ul_txn_busy) {
        return changes;
    }
    struct ovsb_bridge *bridge = bridge_wanted ? underlay_bridge(&cfg) : NULL;
    struct ovsdb_txn *txn = ovsdb_txn_create(OVSB_DB);
    int n = ovsb_build_txn(ovsdb_client_replica(a->ovs), bridge,
                           UNDERLAY_OWNER, txn, &error);
    ovsb_bridge_free(bridge);
    if (n < 0) {
        set_error(a, "%s", error->msg);
        ovsdb_error_free(error);
        ovsdb_txn_destroy(txn);
        a->ul_status = "error";
        (*failures)++;
    } else if (n > 0) {
        log_info("applying %d change%s to %s", n, n == 1 ? "" : "s",
                 a->ul_bridge);
        changes += n;
        a->ul_txn_busy = true;
        if (ovsdb_client_transact(a->ovs, txn, ul_txn_done, a) < 0) {
            a->ul_txn_busy = false;
        }
    } else {
        ovsdb_txn_destroy(txn);
    }
    return changes;
}

/* Namespace guests: a slice of work towards those of 'd' (agent-netns).
 * Returns true when they are as described.  While a pass goes on, the
 * next slice comes on a later turn of the loop: at once while changes
 * remain, after AGENT_REPAIR_PAUSE_MS during a repair, which can wait
 * (it then takes at most a fifth of a core).  Adds the failures of the
 * pass to '*failures'. */
static bool
reconcile_netns(struct agent *a, const struct agent_desired *d, int *failures)
{
    int n = 0;
    bool done = agent_netns_run(a->netns, d->guests, d->guest_names,
                                d->n_guests, AGENT_SLICE_MS, &n);
    if (n) {
        set_error(a, "%s", agent_netns_error(a->netns));
        *failures += n;
    }
    if (agent_netns_busy(a->netns)) {
        /* A timer, not event_active(): libevent runs active events
         * before it polls again, so the connections would wait. */
        event_add(
            a->netns_slice,
            &(struct timeval){0, done ? AGENT_REPAIR_PAUSE_MS * 1000 : 0});
    }
    a->netns_done = done;
    return done;
}

/* The next slice of the guests of the last run, without a whole run; the
 * slice that finishes the changes brings one. */
static void
netns_slice_cb(evutil_socket_t fd, short what, void *a_)
{
    struct agent *a = a_;
    if (!ovsdb_client_is_synced(a->fabric) ||
        !ovsdb_client_is_synced(a->ovs)) {
        /* The run after the resync goes on. */
        return;
    }
    bool was_done = a->netns_done;
    int failures = 0;
    if (reconcile_netns(a, &a->last, &failures) && !was_done) {
        agent_mark_dirty(a);
    }
}

/* A text that changes whenever the VMs of 'd' should (a new string): their
 * definitions, seeds and restart policies. */
static char *
vms_fingerprint(const struct agent_desired *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; i < d->n_vms; i++) {
        const struct vm_spec *v = d->vms[i];
        char hash[17];
        domain_xml_spec_hash(v, hash);
        char *net = cloudinit_network_config(v);
        char *user = cloudinit_user_data(v);
        fprintf(f, "%s %s %d\n%s%s\n", v->domain, hash, d->vm_restart[i], net,
                user);
        free(net);
        free(user);
    }
    fclose(f);
    return buf;
}

/* Returns true if a port of a VM of 'd' still has a namespace guest's
 * veth port of the same name, made by this agent (a guest that turned
 * into a VM): libvirt must not plug the VM's tap while that port, which
 * the bridge transaction deletes, is there, or OVS would keep the old
 * device's port for the new tap. */
static bool
vm_port_taken(const struct agent *a, const struct agent_desired *d)
{
    const struct replica *ovs = ovsdb_client_replica(a->ovs);
    size_t iter = 0;
    const struct replica_row *row;
    while ((row = replica_next(ovs, "Interface", &iter))) {
        const char *name = json_string_value(replica_row_get(row, "name"));
        const char *owner = json_string_value(ovsdb_map_get(
            replica_row_get(row, "external_ids"), "fabric-owner"));
        if (!name || !owner || strcmp(owner, AGENT_OWNER)) {
            continue;
        }
        for (size_t i = 0; i < d->n_vms; i++) {
            for (size_t j = 0; j < d->vms[i]->n_nics; j++) {
                if (!strcmp(d->vms[i]->nics[j].port, name)) {
                    return true;
                }
            }
        }
    }
    return false;
}

/* Reconciles the VMs when what they should be changed, after an event or
 * a failure, or when asked.  Returns the number of failures. */
static int
reconcile_vms(struct agent *a, const struct agent_desired *d)
{
    char *fp = vms_fingerprint(d);
    bool same = a->vm_fingerprint && !strcmp(fp, a->vm_fingerprint);
    if (same && !a->vm_full && !a->vm_failures) {
        free(fp);
        return 0;
    }
    if (same && a->vm_failures &&
        wall_ms() - a->vm_failed_ms < AGENT_RETRY_MS) {
        /* A failed start brings libvirt events at once: retry on the
         * retry timer, not in a loop. */
        free(fp);
        return a->vm_failures;
    }
    const struct ovsb_iface_status *st;
    size_t n_st;
    bool bridge_up = ovs_status(a, &st, &n_st) == 0;
    if (d->n_vms && (!bridge_up || vm_port_taken(a, d))) {
        /* libvirt plugs the VMs' ports into the bridge: once it is there
         * and their names are free (the Open_vSwitch DB's update brings
         * another run). */
        free(fp);
        return 0;
    }
    a->vm_full = false;
    struct ovsdb_error *error = NULL;
    a->vm_failures =
        agent_vms_reconcile(a->vms, d->vms, d->vm_restart, d->n_vms, &error);
    if (error) {
        set_error(a, "%s", error->msg);
        ovsdb_error_free(error);
    }
    if (a->vm_failures) {
        a->vm_failed_ms = wall_ms();
    }
    free(a->vm_fingerprint);
    a->vm_fingerprint = fp;
    /* States may have changed: the status write compares them. */
    write_status(a, -1);
    return a->vm_failures;
}

/* A text that changes whenever the gateways of 'd' should (a new
 * string): their ports and the nat table's script ('script', or NULL). */
static char *
gateways_fingerprint(const struct agent_desired *d, const char *script)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; i < d->n_gateways; i++) {
        const struct gateway_port *g = &d->gateways[i];
        fprintf(f, "%s %s %s\n", g->port, g->mac, g->address);
    }
    fprintf(f, "%s", script ? script : "");
    fclose(f);
    return buf;
}

/* Gateways of nat and routed networks: addresses and forwarding, then the
 * nat table.  Like the guests, they cost commands to inspect: a run looks
 * at them only when what they should be changed, after a failure, when
 * asked, and every AGENT_REPAIR_MS.  Returns the number of failures;
 * adds the commands that changed something to '*changes'. */
static int
reconcile_gateways(struct agent *a, const struct agent_desired *d,
                   int *changes)
{
    char *script = d->n_nats ? nat_table_text(d->nats, d->n_nats) : NULL;
    char *fp = gateways_fingerprint(d, script);
    if (!a->gw_full && !a->gw_failures && a->gw_fingerprint &&
        !strcmp(fp, a->gw_fingerprint)) {
        free(fp);
        free(script);
        return 0;
    }
    a->gw_full = false;
    free(a->gw_fingerprint);
    a->gw_fingerprint = fp;
    a->gw_failures = 0;

    int n = 0;
    struct ovsdb_error *error = NULL;
    if (gateway_reconcile(d->gateways, d->n_gateways, a->gw_state_path, &n,
                          &error) < 0) {
        set_error(a, "%s", error->msg);
        ovsdb_error_free(error);
        a->gw_failures++;
    }
    *changes += n;
    if (n) {
        log_info("gateways: ran %d command%s", n, n == 1 ? "" : "s");
    }
    n = 0;
    error = NULL;
    if (nat_table_sync(&a->nat, script, &n, &error) < 0) {
        set_error(a, "nat table: %s", error->msg);
        ovsdb_error_free(error);
        a->gw_failures++;
    } else if (n) {
        log_info("nat table: %s", script ? "loaded" : "deleted");
    }
    *changes += n;
    free(script);
    return a->gw_failures;
}

/* Returns true when ovs-vswitchd has given every port of 'bridge' an
 * OpenFlow port number.  Otherwise, with 'whyp' nonnull, stores in it a
 * new string naming the ports (up to 4) not numbered, with the error
 * ovs-vswitchd reported for each, if any. */
static bool
ports_bound_why(struct agent *a, const struct ovsb_bridge *bridge, char **whyp)
{
    const struct ovsb_iface_status *st;
    size_t n;
    ovs_status(a, &st, &n);
    /* Port names, sorted, for bsearch(). */
    const char **bound_names = calloc(n + 1, sizeof *bound_names);
    size_t n_bound = 0;
    for (size_t j = 0; j < n; j++) {
        if (st[j].ofport > 0) {
            bound_names[n_bound++] = st[j].name;
        }
    }
    if (n_bound) {
        qsort(bound_names, n_bound, sizeof *bound_names, strptr_compare);
    }
    size_t bound = 0, named = 0;
    char *why = NULL;
    size_t len = 0;
    FILE *f = whyp ? open_memstream(&why, &len) : NULL;
    for (size_t i = 0; i < bridge->n_ports; i++) {
        /* A VM's port (bound by iface-id, no name) comes when libvirt
         * plugs it; the pipeline gets its flows once it is there. */
        const char *name = bridge->ports[i].name;
        bool ok = name && n_bound &&
                  bsearch(&name, bound_names, n_bound, sizeof *bound_names,
                          strptr_compare);
        named += name != NULL;
        bound += ok;
        if (f && name && !ok && named - bound <= 4) {
            const char *error = NULL;
            for (size_t j = 0; j < n; j++) {
                if (!strcmp(st[j].name, name)) {
                    error = st[j].error;
                }
            }
            fprintf(f, "%s%s%s%s%s", named - bound > 1 ? ", " : "", name,
                    error ? " (" : "", error ? error : "", error ? ")" : "");
        }
    }
    if (f) {
        if (named - bound > 4) {
            fprintf(f, " and %zu more", named - bound - 4);
        }
        fclose(f);
    }
    free(bound_names);
    if (whyp && bound != named) {
        *whyp = why;
    } else {
        free(why);
    }
    return bound == named;
}

static bool
ports_bound(struct agent *a, const struct ovsb_bridge *bridge)
{
    return ports_bound_why(a, bridge, NULL);
}

/* A bridge made again (after a destroy, or by hand) holds no flow: then
 * every flow goes again, at once rather than at the next flow check. */
static void
bridge_made_again(struct agent *a)
{
    const struct replica_row *row =
        named_row(ovsdb_client_replica(a->ovs), "Bridge", a->bridge);
    const char *uuid = row ? row->uuid : "";
    if (strcmp(uuid, a->bridge_uuid)) {
        agent_flows_reset(a->flows);
        snprintf(a->bridge_uuid, sizeof a->bridge_uuid, "%s", uuid);
    }
}

/* Reads the lab and computes what the host should hold into 'a->model'
 * and 'a->last', when an input changed since they were (or they never
 * were).  Returns 0, or -1 with the error set. */
static int
read_lab(struct agent *a)
{
    if (a->model && !a->lab_changed) {
        return 0;
    }
    const struct replica *fabric = ovsdb_client_replica(a->fabric);
    struct fabric_model *model = NULL;
    struct ovsdb_error *error = NULL;
    if (dbmodel_read(fabric, &model, &error) < 0) {
        set_error(a, "cannot read the lab: %s", error->msg);
        ovsdb_error_free(error);
        return -1;
    }
    a->lab_changed = false;
    a->lab_reads++;
    if (a->ofc) {
        agent_ofc_set_model(a->ofc, model, a->host);
    }
    struct agent_settings settings = {
        .host = a->host,
        .bridge = a->bridge,
        .datapath_type = a->datapath_type,
        .netns_prefix = a->netns_prefix,
        .vm_dir = a->vm_dir,
        .domain_type = a->domain_type,
    };
    struct agent_desired fresh;
    agent_desired_compute(model, fabric, &settings, &fresh);
    /* An uplink whose interface was there still is: the next inspection
     * of the uplinks says otherwise (agent-uplinks.h). */
    agent_desired_keep_uplinks_ready(&fresh, &a->last);
    agent_desired_clear(&a->last);
    a->last = fresh;
    if (a->flows) {
        /* fabric's own pipeline decides everything: no NORMAL. */
        free(a->last.bridge->fail_mode);
        a->last.bridge->fail_mode = strdup("secure");
        agent_flows_model_changed(a->flows);
    }
    fabric_model_destroy(a->model);
    a->model = model;
    return 0;
}

static void
agent_run(evutil_socket_t fd, short what, void *a_)
{
    struct agent *a = a_;
    if (!ovsdb_client_is_synced(a->fabric) ||
        !ovsdb_client_is_synced(a->ovs)) {
        /* Leave the data plane as it is until both are in step. */
        return;
    }
    a->runs++;
    a->error[0] = '\0';
    const struct replica *fabric = ovsdb_client_replica(a->fabric);
    struct ovsdb_error *error = NULL;
    if (read_lab(a) < 0) {
        return;
    }
    long long generation = dbmodel_generation(fabric);
    const struct fabric_model *model = a->model;
    struct agent_desired *desired = &a->last;
    long self = fabric_model_find_host(model, a->host);
    const char *underlay_ip =
        self >= 0 ? model->hosts[self].underlay_ip : NULL;

    /* The namespace guests cost a few commands each even when nothing is
     * to be done, and every status write comes back as a DB update:
     * agent-netns looks at them only when what they should be changed,
     * after a failure, when asked, and every AGENT_REPAIR_MS to repair
     * drift, a slice per turn of the loop. */
    int failures = 0;
    bool netns_done = reconcile_netns(a, desired, &failures);

    failures += reconcile_vms(a, desired);

    int changes = 0;
    if (a->ul_dev) {
        /* Wanted while the host holds something of the lab. */
        bool wanted = underlay_ip && (desired->bridge->n_ports ||
                                      desired->n_guests || desired->n_tunnels);
        changes += reconcile_underlay(a, wanted, underlay_ip, &failures);
    }

    /* Uplinks' interfaces before their ports.  A missing one leaves its
     * port out and is retried, but holds back nothing else (its failure
     * counts after the flows). */
    char *uplink_error = NULL;
    int uplink_failures = agent_uplinks_sync(a->uplinks, desired, desired,
                                             &changes, &uplink_error);
    if (uplink_failures) {
        set_error(a, "%s", uplink_error);
        free(uplink_error);
    }
    agent_desired_add_uplink_ports(desired);

    /* The bridge waits for the guests' veths: a port whose device is
     * not there yet costs ovs-vswitchd a reconfiguration of every port
     * when it comes. */
    if (!a->ovs_txn_busy && netns_done) {
        struct ovsdb_txn *txn = ovsdb_txn_create("Open_vSwitch");
        /* A host with nothing of the lab on it keeps no bridge. */
        const struct ovsb_bridge *bridge =
            desired->bridge->n_ports ? desired->bridge : NULL;
        int *saved = calloc(desired->bridge->n_ports + 1, sizeof *saved);
        if (a->flows) {
            agent_ports_tag_later(a->ports, desired->bridge, saved);
        }
        int n = ovsb_build_txn(ovsdb_client_replica(a->ovs), bridge,
                               AGENT_OWNER, txn, &error);
        if (a->flows) {
            agent_ports_tag_restore(desired->bridge, saved);
        }
        free(saved);
        if (n < 0) {
            set_error(a, "%s", error->msg);
            ovsdb_error_free(error);
            ovsdb_txn_destroy(txn);
            failures++;
        } else if (n > 0) {
            changes += n;
            log_info("applying %d change%s to %s", n, n == 1 ? "" : "s",
                     a->bridge);
            a->ovs_txn_busy = true;
            if (ovsdb_client_transact(a->ovs, txn, ovs_txn_done, a) < 0) {
                a->ovs_txn_busy = false;
            }
        } else {
            ovsdb_txn_destroy(txn);
        }
    }

    /* The pipeline, once the bridge and its ports are in place. */
    bool flows_done = !a->flows || !desired->bridge->n_ports;
    if (!flows_done && !changes && !a->ovs_txn_busy && !failures &&
        netns_done) {
        bridge_made_again(a);
        char *why = NULL;
        bool bound = ports_bound_why(a, desired->bridge, &why);
        const struct ovsb_iface_status *st;
        size_t n_st;
        ovs_status(a, &st, &n_st);
        if (bound) {
            a->unbound_ms = 0;
        }
        if (!bound) {
            /* ovs-vswitchd has not numbered every port yet: its update
             * of the Open_vSwitch DB brings the next run.  Should it
             * never come (a bridge it could not create, a device it
             * cannot open), the host says so after a while. */
            long long now = wall_ms();
            if (!a->unbound_ms) {
                a->unbound_ms = now;
            }
            if (now - a->unbound_ms >= AGENT_UNBOUND_MS) {
                set_error(a,
                          "ovs-vswitchd has not numbered these ports of %s "
                          "after %d s: %s (see its log)",
                          a->bridge, AGENT_UNBOUND_MS / 1000, why);
                failures++;
            } else {
                event_add(a->retry,
                          &(struct timeval){AGENT_RETRY_MS / 1000, 0});
            }
            free(why);
        } else if (agent_flows_sync(a->flows, model, a->host, fabric, st, n_st,
                                    &error) < 0) {
            set_error(a, "cannot install flows on %s: %s", a->bridge,
                      error->msg);
            ovsdb_error_free(error);
            failures++;
        } else {
            flows_done = true;
            bool grew = agent_ports_flowed(
                a->ports, ovsdb_client_replica(a->ovs), desired);
            a->ports_bound = agent_ports_n_flowed(a->ports);
            if (grew) {
                /* Their tags, in the next run. */
                agent_mark_dirty(a);
            }
        }
    }

    /* Gateways, once their ports are there; with none wanted, at once
     * (forwarding back, the nat table gone). */
    bool gateways_done = false;
    if (!desired->n_gateways ||
        (!changes && !a->ovs_txn_busy && ports_bound(a, desired->bridge))) {
        int gw_changes = 0;
        failures += reconcile_gateways(a, desired, &gw_changes);
        gateways_done = true;
    }

    failures += uplink_failures;
    if (failures) {
        event_add(a->retry, &(struct timeval){AGENT_RETRY_MS / 1000, 0});
    } else if (a->ul_dev && !strcmp(a->ul_status, "pending")) {
        event_add(a->retry, &(struct timeval){0, AGENT_PENDING_MS * 1000});
    } else if (!changes && !a->ovs_txn_busy && !a->ul_txn_busy && flows_done &&
               gateways_done && netns_done) {
        if (a->applied_generation != generation) {
            log_info("applied generation %lld", generation);
        }
        a->applied_generation = generation;
        if (!a->flows) {
            /* NORMAL switches them once numbered and tagged. */
            a->ports_bound = 0;
            for (size_t i = 0; i < desired->n_port_ifaces; i++) {
                a->ports_bound += agent_ports_numbered(
                    a->ports, ovsdb_client_replica(a->ovs),
                    desired->port_ifaces[i].iface_id);
            }
        }
    }
    if (a->written_generation != a->applied_generation ||
        strcmp(a->written_error, a->error)) {
        write_status(a, a->applied_generation);
    }
}

static void
agent_mark_dirty(struct agent *a)
{
    event_active(a->run_event, 0, 0);
}

static void
vms_changed(void *a_)
{
    struct agent *a = a_;
    a->vm_full = true;
    agent_mark_dirty(a);
}

void
agent_force_reconcile(struct agent *a)
{
    a->vm_full = true;
    agent_netns_force(a->netns);
    agent_uplinks_force(a->uplinks);
    a->ul_full = true;
    a->gw_full = true;
    a->lab_changed = true;
    if (a->flows) {
        agent_flows_reset(a->flows);
    }
    agent_mark_dirty(a);
}

/* Every AGENT_REPAIR_MS: inspect everything again.  A repair of many
 * guests can take longer than that: the next starts AGENT_REPAIR_MS after
 * it ended. */
static void
repair_cb(evutil_socket_t fd, short what, void *a_)
{
    struct agent *a = a_;
    a->vm_full = true;
    agent_netns_repair(a->netns, AGENT_REPAIR_MS);
    agent_uplinks_force(a->uplinks);
    a->ul_full = true;
    agent_mark_dirty(a);
}

/* A restarted ovs-vswitchd comes back with no flows and, often, nothing
 * in the Open_vSwitch DB changed: every AGENT_FLOWS_CHECK_MS agent-flows
 * counts the switch's flows, and a run installs them again when they are
 * not all there. */
static void
flows_check_cb(evutil_socket_t fd, short what, void *a_)
{
    struct agent *a = a_;
    if (agent_flows_check(a->flows)) {
        agent_mark_dirty(a);
    }
}

const char *
agent_pick_datapath(const char *datapath)
{
    if (datapath && strcmp(datapath, "auto")) {
        return datapath;
    }
    return access("/sys/module/openvswitch", F_OK) ? "netdev" : "system";
}

static struct ovsdb_client *
make_client(struct agent *a, const char *remotes, const char *db,
            const struct ovsdb_tls_config *tls, const char *const *tables,
            const char *log_name, void (*connected)(void *, const char *),
            void (*synced)(void *))
{
    struct ovsdb_client_options o = {
        .remotes = remotes,
        .db = db,
        .min_backoff_ms = 100,
        .max_backoff_ms = 2000,
        .probe_interval_ms = 5000,
        .log = client_log,
        .log_aux = (void *)log_name,
    };
    if (tls) {
        o.tls = *tls;
    }
    struct ovsdb_client_callbacks cbs = {
        .connected = connected, .synced = synced, .aux = a};
    struct ovsdb_client *client;
    struct ovsdb_error *error = NULL;
    if (ovsdb_client_create(a->base, &o, &cbs, &client, &error) < 0) {
        log_err("%s: %s", log_name, error->msg);
        ovsdb_error_free(error);
        return NULL;
    }
    for (const char *const *t = tables; *t; t++) {
        ovsdb_client_monitor(client, *t, NULL);
    }
    return client;
}

int
agent_create(struct event_base *base, const struct agent_options *o,
             struct agent **agentp)
{
    struct agent *a = calloc(1, sizeof *a);
    a->base = base;
    a->host = strdup(o->host);
    a->bridge = strdup(o->bridge ? o->bridge : "br-int");
    a->ports = agent_ports_create(a->bridge);
    a->netns_prefix = strdup(o->netns_prefix ? o->netns_prefix : "fab-");
    a->rundir = strdup(o->rundir ? o->rundir : ".");
    a->datapath_type = agent_pick_datapath(o->datapath);
    a->written_generation = -1;
    if (asprintf(&a->gw_state_path, "%s/ip_forward", a->rundir) < 0) {
        abort();
    }
    if (o->underlay_interface) {
        a->ul_dev = strdup(o->underlay_interface);
        a->ul_bridge = strdup(o->underlay_bridge ? o->underlay_bridge
                                                 : UNDERLAY_DEFAULT_BRIDGE);
        if (asprintf(&a->ul_state_path, "%s/%s", a->rundir,
                     UNDERLAY_STATE_FILE) < 0) {
            abort();
        }
        a->ul_status = "pending";
    }
    a->vm_dir = strdup(o->vm_dir ? o->vm_dir : "/var/lib/fabric/vms");
    a->domain_type = strdup(!o->domain_type || !strcmp(o->domain_type, "auto")
                                ? virt_detect_domain_type()
                                : o->domain_type);
    a->vms =
        agent_vms_create(base, o->libvirt ? o->libvirt : "qemu:///system",
                         a->host, a->netns_prefix, a->vm_dir, vms_changed, a);
    a->netns = agent_netns_create(a->rundir, a->netns_prefix, AGENT_RETRY_MS);
    a->uplinks = agent_uplinks_create();
    a->fabric =
        make_client(a, o->db, DBMODEL_DB, &o->tls, dbmodel_tables, "fabric DB",
                    on_fabric_connected, on_fabric_synced);
    for (const char *const *t = dbmodel_tables; a->fabric && *t; t++) {
        ovsdb_client_on_change(a->fabric, *t, on_fabric_change, a);
    }
    if (!o->pipeline || !strcmp(o->pipeline, "flows")) {
        const char *ovs_rundir = o->ovs_rundir ? o->ovs_rundir
                                 : getenv("OVS_RUNDIR")
                                     ? getenv("OVS_RUNDIR")
                                     : "/var/run/openvswitch";
        char *target;
        if (asprintf(&target, "unix:%s/%s.mgmt", ovs_rundir, a->bridge) < 0) {
            abort();
        }
        a->flows = agent_flows_create(a->bridge, target, a->rundir);
        a->ofc = agent_ofc_create(base, target, o->dns_upstream);
        free(target);
    }
    a->ovs = make_client(a, o->ovsdb, "Open_vSwitch", NULL, ovsb_tables,
                         "Open_vSwitch DB", on_ovs_connected, on_ovs_synced);
    for (const char *const *t = ovsb_tables; a->ovs && *t; t++) {
        ovsdb_client_on_change(a->ovs, *t, on_ovs_change, a);
    }
    if (a->ovs) {
        /* What ovs-vswitchd rewrites for every interface every few
         * seconds and nothing here reads: no parsing, no memory. */
        static const char *const unread[] = {
            "statistics", "status",      "link_speed",   "link_resets",
            "duplex",     "admin_state", "lacp_current", NULL};
        ovsdb_client_monitor_except(a->ovs, "Interface", unread);
    }
    if (!a->fabric || !a->ovs) {
        agent_destroy(a);
        return -EINVAL;
    }
    a->run_event = event_new(base, -1, 0, agent_run, a);
    a->retry = event_new(base, -1, 0, agent_run, a);
    a->netns_slice = event_new(base, -1, 0, netns_slice_cb, a);
    a->heartbeat = event_new(base, -1, EV_PERSIST, heartbeat_cb, a);
    struct timeval beat = {AGENT_HEARTBEAT_MS / 1000,
                           (AGENT_HEARTBEAT_MS % 1000) * 1000};
    event_add(a->heartbeat, &beat);
    a->repair = event_new(base, -1, EV_PERSIST, repair_cb, a);
    event_add(a->repair, &(struct timeval){AGENT_REPAIR_MS / 1000, 0});
    a->flows_check = event_new(base, -1, EV_PERSIST, flows_check_cb, a);
    if (a->flows) {
        event_add(a->flows_check,
                  &(struct timeval){AGENT_FLOWS_CHECK_MS / 1000,
                                    AGENT_FLOWS_CHECK_MS % 1000 * 1000});
    }
    log_info("host %s: bridge %s (%s datapath), namespaces %s*, VMs %s* "
             "(%s) in %s",
             a->host, a->bridge, a->datapath_type, a->netns_prefix,
             a->netns_prefix, a->domain_type, a->vm_dir);
    if (a->ul_dev) {
        log_info("underlay: %s on bridge %s, state in %s", a->ul_dev,
                 a->ul_bridge, a->ul_state_path);
    }
    *agentp = a;
    return 0;
}

void
agent_destroy(struct agent *a)
{
    if (!a) {
        return;
    }
    ovsdb_client_destroy(a->fabric);
    ovsdb_client_destroy(a->ovs);
    if (a->run_event) {
        event_free(a->run_event);
        event_free(a->retry);
        event_free(a->netns_slice);
        event_free(a->heartbeat);
        event_free(a->repair);
        event_free(a->flows_check);
    }
    agent_netns_destroy(a->netns);
    agent_uplinks_destroy(a->uplinks);
    agent_vms_destroy(a->vms);
    agent_ofc_destroy(a->ofc);
    free(a->vm_fingerprint);
    free(a->vm_dir);
    free(a->domain_type);
    free(a->gw_state_path);
    free(a->gw_fingerprint);
    nat_table_state_clear(&a->nat);
    free(a->ul_fingerprint);
    free(a->ul_dev);
    free(a->ul_bridge);
    free(a->ul_state_path);
    agent_flows_destroy(a->flows);
    agent_desired_clear(&a->last);
    agent_ports_destroy(a->ports);
    fabric_model_destroy(a->model);
    free(a->host);
    free(a->bridge);
    free(a->netns_prefix);
    free(a->rundir);
    free(a);
}

const char *
agent_vm_console(const struct agent *a, const char *name)
{
    return agent_vms_console(a->vms, name);
}

json_t *
agent_status_json(const struct agent *a)
{
    json_t *guests = json_array();
    for (size_t i = 0; i < a->last.n_guests; i++) {
        json_array_append_new(
            guests, json_pack("{s:s, s:s}", "name", a->last.guest_names[i],
                              "netns", a->last.guests[i]->netns));
    }
    json_t *ports = json_array();
    for (size_t i = 0; a->last.bridge && i < a->last.bridge->n_ports; i++) {
        const char *name = a->last.bridge->ports[i].name;
        json_array_append_new(ports, json_string(name ? name : ""));
    }
    json_t *tunnels = json_object();
    for (size_t i = 0; i < a->last.n_tunnels; i++) {
        json_object_set_new(tunnels, a->last.tunnel_hosts[i],
                            json_string(a->last.tunnel_ports[i]));
    }
    json_t *status = json_pack(
        "{s:s, s:s, s:s, s:b, s:b, s:I, s:I, s:I, s:s, s:o, s:o, s:o}", "host",
        a->host, "bridge", a->bridge, "datapath", a->datapath_type,
        "fabric_db_synced", ovsdb_client_is_synced(a->fabric), "ovsdb_synced",
        ovsdb_client_is_synced(a->ovs), "applied_generation",
        (json_int_t)a->applied_generation, "runs", (json_int_t)a->runs,
        "lab_reads", (json_int_t)a->lab_reads, "error", a->error, "guests",
        guests, "ports", ports, "tunnels", tunnels);
    json_object_set_new(status, "port_guests",
                        json_pack("{s:I, s:I}", "interfaces",
                                  (json_int_t)a->last.n_port_ifaces, "bound",
                                  (json_int_t)a->ports_bound));
    json_object_set_new(status, "vms", agent_vms_status_json(a->vms));
    json_t *gateways = json_array();
    for (size_t i = 0; i < a->last.n_gateways; i++) {
        const struct gateway_port *g = &a->last.gateways[i];
        json_array_append_new(gateways,
                              json_pack("{s:s, s:s, s:s, s:s}", "network",
                                        g->network, "port", g->port, "mac",
                                        g->mac, "address", g->address));
    }
    json_object_set_new(status, "gateways", gateways);
    if (a->ofc) {
        json_object_set_new(status, "openflow", agent_ofc_status_json(a->ofc));
    }
    json_object_set_new(status, "domain_type", json_string(a->domain_type));
    if (a->ul_dev) {
        json_object_set_new(status, "underlay",
                            json_pack("{s:s, s:s, s:s, s:I}", "device",
                                      a->ul_dev, "bridge", a->ul_bridge,
                                      "state", a->ul_status, "commands",
                                      (json_int_t)a->ul_commands));
    }
    if (a->flows) {
        long long installs, updates, changes;
        agent_flows_stats(a->flows, &installs, &updates, &changes);
        json_object_set_new(status, "flows",
                            json_pack("{s:i, s:I, s:I, s:I}", "count",
                                      agent_flows_count(a->flows), "installs",
                                      (json_int_t)installs, "updates",
                                      (json_int_t)updates, "changes",
                                      (json_int_t)changes));
    }
    return status;
}
