/* agent-inputs: which changes of the fabric DB are inputs of what a host
 * should hold, and which changes of the Open_vSwitch DB matter.
 *
 * fabricd reads the lab, computes what its host should hold
 * (agent-desired) and the pipeline's flows (agent-flows) again only when
 * an input changed.  Every agent writes its host's status into the same
 * DB about once a second, and its guests' and routers' states: those
 * writes come back to every agent as updates, and are not inputs.
 * Likewise ovs-vswitchd writes the statistics of every interface every
 * few seconds, which no run reads.
 *
 * Rules of this module:
 * - Pure: a function of a row's old and new contents.
 * - Conservative: every change is an input but a modify of status
 *   columns alone (and _version, which every write changes): in Host,
 * applied_generation, heartbeat, version, datapath_type, tunnel_status and
 * error; in Guest and Router, state and state_reason.
 * - A Host's heartbeat is an input only as far as the lab reads it:
 *   whether it is 0 (a host no agent ever registered) or not.
 * - In the Open_vSwitch DB, every change matters but a modify of the
 *   statistics column alone.
 */
#ifndef FABRIC_AGENT_INPUTS_H
#define FABRIC_AGENT_INPUTS_H 1

#include <stdbool.h>

struct replica_row;

/* Returns true if the change of a fabric DB row from 'old' to 'new' (NULL
 * for an insert or a delete) may change what a host should hold. */
bool agent_inputs_changed(const struct replica_row *old,
                          const struct replica_row *new);

/* Returns true if the change of an Open_vSwitch DB row from 'old' to 'new'
 * (NULL for an insert or a delete) may matter to a run. */
bool agent_inputs_ovs_changed(const struct replica_row *old,
                              const struct replica_row *new);

#endif /* agent-inputs.h */
