/* agent-uplinks: fabricd's uplinks, run after run.
 *
 * The host's side of the uplinks (controllers/uplink.h), whether their
 * interfaces are there, costs a command to inspect.  This module looks at it
 * only when the uplinks wanted changed, after a failure, or when forced (a
 * repair, a reconcile asked for); otherwise the devices are taken to be as the
 * last look left them.
 *
 * Rules of this module:
 * - It only decides when to reconcile and keeps the 'ready' flags of the
 *   uplinks between runs; uplink.h does the work.
 * - An uplink whose interface is not there is not ready: its port stays off
 *   the bridge (agent_desired_add_uplink_ports()), and the failure is
 *   reported, so the agent tries again.
 */
#ifndef FABRIC_AGENT_UPLINKS_H
#define FABRIC_AGENT_UPLINKS_H 1

struct agent_desired;
struct agent_uplinks;

/* Returns a new state. */
struct agent_uplinks *agent_uplinks_create(void);
void agent_uplinks_destroy(struct agent_uplinks *);

/* Makes the next agent_uplinks_sync() inspect the host. */
void agent_uplinks_force(struct agent_uplinks *);

/* Reconciles the uplinks of 'd' when needed (see above) and sets their
 * 'ready' flags; 'last' is what the previous run wanted, whose flags hold
 * when nothing was inspected.  Adds the commands that changed something
 * to '*changes'.  Returns the number of failures (0 or 1), with a new
 * message in '*errorp' when 1. */
int agent_uplinks_sync(struct agent_uplinks *, struct agent_desired *d,
                       const struct agent_desired *last, int *changes,
                       char **errorp);

#endif /* agent-uplinks.h */
