/* flow-diff: the flow changes that turn one flow table into another.
 *
 * fabricd installs its pipeline with one `ovs-ofctl --bundle replace-flows`
 * when it starts and after drift; after that, a change of the lab sends
 * only what differs, in one bundle of `ovs-ofctl --bundle add-flows`,
 * whose lines may start with a command (add, modify_strict,
 * delete_strict).
 *
 * Rules of this module:
 * - Pure: text in, text out.
 * - The input is flows one a line, as pipeline_flows() writes them:
 *   "table=T,priority=P,cookie=C,MATCH,actions=ACTIONS", fields of the
 *   match separated by commas; empty lines and lines that start with '#'
 *   are skipped.  A flow is known by its line without the cookie field
 *   and the actions (its table, priority and match, the text a strict
 *   command matches on); no two lines of one text may share it.
 * - A flow only in the old text: "delete_strict KEY".  Only in the new:
 *   "add LINE".  In both with other actions but the same cookie:
 *   "modify_strict LINE", which keeps its counters; with another cookie:
 *   "add LINE", which replaces it (a modify never changes a cookie in
 *   OpenFlow 1.1 and later).  Deletes come first, then modifies, then
 *   adds, each in the order of the new (or old) text.
 * - A line it cannot read (no "actions=", no table or priority) or a
 *   flow given twice is an error naming the text (old or new) and the
 *   line: then nothing is returned, and the caller replaces the whole
 *   table.
 */
#ifndef FABRIC_FLOW_DIFF_H
#define FABRIC_FLOW_DIFF_H 1

struct ovsdb_error;

/* Writes into '*diffp' (a new string, "" when both hold the same flows)
 * the lines that turn the flows of 'old' into those of 'new' and returns
 * their number, or returns -EINVAL with '*errorp' set and '*diffp'
 * NULL. */
int flow_diff(const char *old, const char *new, char **diffp,
              struct ovsdb_error **errorp);

#endif /* flow-diff.h */
