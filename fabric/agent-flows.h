/* agent-flows: fabric's OpenFlow pipeline on the integration bridge.
 *
 * The agent asks for the flows its host needs (controllers/pipeline.h,
 * given the OpenFlow port numbers its Open_vSwitch replica reports) and
 * this module installs them atomically, in one OpenFlow bundle
 * (DESIGN.md decision 5).
 *
 * Rules of this module:
 * - The flows are computed again only when the lab changed (the agent
 *   says so with agent_flows_model_changed()) or the port numbers did;
 *   otherwise the flows installed last are what the host needs.
 * - Every flow is installed (`ovs-ofctl -O OpenFlow15 --no-names --bundle
 *   replace-flows`) the first time, after agent_flows_reset() (a new
 *   connection to the Open_vSwitch DB, often a restarted ovs-vswitchd),
 *   after a failed install, and when the switch no longer holds as many
 *   flows as were installed (a restarted ovs-vswitchd has none, a flow
 *   deleted by hand): agent_flows_check() asks for the flow count every
 *   AGENT_FLOWS_CHECK_MS, outside the runs (a run never waits for
 *   ovs-vswitchd to answer it: that could hold back the flows of a new
 *   port while ovs-vswitchd reconfigures for it).
 *   Otherwise only what differs from the last install goes, in one
 *   bundle of `ovs-ofctl --bundle add-flows` (flow-diff.h): the flows
 *   that stay keep their counters.
 * - The flows of the last install are kept in RUNDIR/flows.txt, for
 *   people and for fabricctl; the last changes sent in
 *   RUNDIR/flows-diff.txt.
 */
#ifndef FABRIC_AGENT_FLOWS_H
#define FABRIC_AGENT_FLOWS_H 1

#include <stdbool.h>
#include <stddef.h>

struct agent_flows;
struct fabric_model;
struct ovsb_iface_status;
struct ovsdb_error;
struct replica;

/* The switch's flow count is checked at most this often... */
#define AGENT_FLOWS_VERIFY_MS 1000
/* ...and the agent asks agent_flows_check() this often. */
#define AGENT_FLOWS_CHECK_MS 2000

/* 'target' is how ovs-ofctl reaches the bridge ("unix:DIR/br-int.mgmt"). */
struct agent_flows *agent_flows_create(const char *bridge, const char *target,
                                       const char *rundir);
void agent_flows_destroy(struct agent_flows *flows);

/* Makes the bridge hold the flows host 'host' needs for 'model', with
 * the bridge's interfaces as 'status' says (ovsb_status(): sorted by
 * name).  Returns 0, or a negative errno with '*errorp' set. */
int agent_flows_sync(struct agent_flows *flows,
                     const struct fabric_model *model, const char *host,
                     const struct replica *fabric,
                     const struct ovsb_iface_status *status, size_t n_status,
                     struct ovsdb_error **errorp);

/* Number of flows installed last. */
int agent_flows_count(const struct agent_flows *flows);

/* The lab given to the next agent_flows_sync() is not the last one. */
void agent_flows_model_changed(struct agent_flows *flows);

/* The next agent_flows_sync() installs every flow again. */
void agent_flows_reset(struct agent_flows *flows);

/* Returns true if the switch no longer holds as many flows as were
 * installed last (asking it at most every AGENT_FLOWS_VERIFY_MS): then
 * the next agent_flows_sync() installs every flow again. */
bool agent_flows_check(struct agent_flows *flows);

/* Counters since the module was made: installs of every flow, installs of
 * changes only, and the flows those added, modified or deleted. */
void agent_flows_stats(const struct agent_flows *flows, long long *installs,
                       long long *updates, long long *changes);

#endif /* agent-flows.h */
