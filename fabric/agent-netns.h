/* agent-netns: fabricd's namespace guests, a slice at a time.
 *
 * fabricd gives this module the netns guests its host should hold (from
 * agent-desired) on every run; the module makes them (netns.h) and
 * removes the namespaces it made that are no longer wanted.
 *
 * Rules of this module:
 * - Work comes in passes.  A pass ensures every wanted guest that needs
 *   it, then removes every owned namespace no longer wanted.  One pass
 *   reads the host-wide state once (a netns snapshot), and only when it
 *   has a guest to inspect.
 * - A pass runs in slices: agent_netns_run() works for about 'budget_ms'
 *   (at least one guest) and returns; the caller calls it again on a
 *   later turn of its event loop, so that it keeps serving its
 *   connections, timers and signals, until it says the pass is done.
 * - Passes start only when needed: the guests' description changed, the
 *   last pass failed (again after 'retry_ms'), or a full pass was asked
 *   for.  A guest made without error with the same description since is
 *   left alone, except by a full pass, which inspects every guest once.
 * - When the description changes during a pass, the pass starts over
 *   with a new snapshot; the guests it already made as now described are
 *   not made again.  A full pass asked for during a pass makes the rest
 *   of it full.
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
struct agent_netns *agent_netns_create(const char *rundir,
                                       const char *prefix, int retry_ms);
void agent_netns_destroy(struct agent_netns *); /* Accepts NULL. */

/* Asks for a full pass: every guest inspected (drift repaired). */
void agent_netns_force(struct agent_netns *);

/* Works towards 'guests' (borrowed, 'n' of them; 'names' are the guests'
 * names for the errors) for about 'budget_ms'.  Returns true when no pass
 * is under way any more, with the failures of the last pass in
 * '*failuresp'; false while slices remain (then '*failuresp' is 0).
 * Between two calls of one pass, 'guests' may change or be freed. */
bool agent_netns_run(struct agent_netns *, struct netns_guest *const *guests,
                     char *const *names, size_t n, int budget_ms,
                     int *failuresp);

/* The last error of the last pass, or "". */
const char *agent_netns_error(const struct agent_netns *);

/* Whether namespace 'netns' is made as last described, without error. */
bool agent_netns_is_made(const struct agent_netns *, const char *netns);

/* Counters, for status and tests: passes started, guests ensured,
 * namespaces removed, slices run, host-wide snapshot reads. */
struct agent_netns_stats {
    long long passes, ensures, removals, slices, snapshot_reads;
};
void agent_netns_stats(const struct agent_netns *,
                       struct agent_netns_stats *);

#endif /* agent-netns.h */
