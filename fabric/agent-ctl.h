/* agent-ctl: fabricd's control socket.
 *
 * A Unix stream socket (RUNDIR/fabricd.ctl).  A client writes one command
 * line and reads one JSON object in reply, then the agent closes the
 * connection:
 *
 *   status      -> the agent's status (agent_status_json())
 *   reconcile   -> {"ok": true} after asking for a full reconcile
 *   other       -> {"error": "unknown command ..."}
 *
 * Rules of this module: the socket file is created with mode 0600 and
 * removed on destroy; a stale socket file from a dead agent is replaced.
 */
#ifndef FABRIC_AGENT_CTL_H
#define FABRIC_AGENT_CTL_H 1

struct agent;
struct agent_ctl;
struct event_base;

int agent_ctl_create(struct event_base *base, const char *path,
                     struct agent *agent, struct agent_ctl **ctlp);
void agent_ctl_destroy(struct agent_ctl *ctl);

/* Client side, for fabricctl: sends 'command' to the socket at 'path' and
 * stores the reply (a new string) in '*replyp'.  Returns 0 or a negative
 * errno. */
int agent_ctl_call(const char *path, const char *command, char **replyp);

#endif /* agent-ctl.h */
