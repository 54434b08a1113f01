/* agent-netns: fabricd's namespace guests, a slice at a time.
 *
 * fabricd gives this module the netns guests its host should hold (from
 * agent-desired) on every run; the module makes them (netns.h) and
 * removes the namespaces it made that are no longer wanted.
 *
 * Rules of this module:
 * - Work comes in passes of up to three stages: changes (each wanted
 *   guest not made as now described), removals (each owned namespace no
 *   longer wanted) and, in a full pass only, repair (each guest made
 *   before the pass, inspected again to repair drift).  The guests are
 *   as described once the first two stages are done: a repair does not
 *   hold back convergence, and changes that come during a repair go
 *   first.  One pass reads the host-wide state once (a netns snapshot),
 *   and only when it has a guest to inspect.
 * - A pass runs in slices: agent_netns_run() works for about 'budget_ms'
 *   (at least one guest) and returns; the caller calls it again on a
 *   later turn of its event loop, so that it keeps serving its
 *   connections, timers and signals, until it says the pass is done.
 * - Passes start only when needed: the guests' description changed, the
 *   last pass failed (again after 'retry_ms'), or a full pass was asked
 *   for.  A guest made without error with the same description since is
 *   left alone, except by a full pass, which inspects every guest once.
 * - When the description changes during a pass, the pass starts over
 *   from its changes stage with a new snapshot; the guests it already
 *   made or inspected as now described are not made again.  A full pass
 *   asked for during a pass makes it full; during a full pass, it is
 *   already covered.
 * - Ownership needs both the prefix and a line in RUNDIR/namespaces (one
 *   name a line): a namespace is recorded there when a pass starts,
 *   before it exists, so that a crash half-way still leaves it ours to
 *   finish or remove.
 * - It logs removals (info); errors go back to the caller.
 */
#ifndef FABRIC_AGENT_NETNS_H
#define FABRIC_AGENT_NETNS_H 1

#include <stdbool.h>
#include <stddef.h>

struct netns_guest;

/* Returns a new module for namespaces named 'prefix'..., owned as
 * recorded in 'rundir'/namespaces, retrying failed guests after
 * 'retry_ms'. */
struct agent_netns *agent_netns_create(const char *rundir, const char *prefix,
                                       int retry_ms);
void agent_netns_destroy(struct agent_netns *); /* Accepts NULL. */

/* Asks for a full pass: every guest inspected (drift repaired). */
void agent_netns_force(struct agent_netns *);

/* Asks for a full pass unless one is under way or the last one ended
 * less than 'period_ms' ago: a periodic repair, which thus leaves at
 * least 'period_ms' between two repairs however long they take. */
void agent_netns_repair(struct agent_netns *, int period_ms);

/* Works towards 'guests' (borrowed, 'n' of them; 'names' are the guests'
 * names for the errors) for about 'budget_ms'.  Returns true when the
 * guests are as described (every change and removal of the pass done,
 * though its repair stage may go on: see agent_netns_busy()), with the
 * failures of the pass, or of the last pass, in '*failuresp'; false
 * while changes remain (then '*failuresp' is 0).  Between two calls of
 * one pass, 'guests' may change or be freed. */
bool agent_netns_run(struct agent_netns *, struct netns_guest *const *guests,
                     char *const *names, size_t n, int budget_ms,
                     int *failuresp);

/* Whether a pass is under way: agent_netns_run() has work left for a
 * later turn of the loop. */
bool agent_netns_busy(const struct agent_netns *);

/* The last error of the last pass, or "". */
const char *agent_netns_error(const struct agent_netns *);

/* Whether namespace 'netns' is made as last described, without error. */
bool agent_netns_is_made(const struct agent_netns *, const char *netns);

/* Counters, for status and tests: passes started, guests ensured,
 * namespaces removed, slices run, host-wide snapshot reads. */
struct agent_netns_stats {
    long long passes, ensures, removals, slices, snapshot_reads;
};
void agent_netns_stats(const struct agent_netns *, struct agent_netns_stats *);

#endif /* agent-netns.h */
