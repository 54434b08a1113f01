/* nstcp: TCP clients and servers, and a DNS server, inside network
 * namespaces, for tests and benchmarks.
 *
 * Rules of this module:
 * - Each client or server is a forked child that enters the namespace
 *   (setns() on /run/netns/NAME) and speaks TCP there; no external
 *   program, so a test sees exactly what reached the other end.
 * - A server answers every connection with one line, the address the
 *   connection came from ("203.0.113.1\n"), and closes it.
 * - The DNS server answers every standard query on UDP port 53 with one
 *   A record, the address it was given, and nothing else: a stand-in for
 *   a resolver outside the lab.
 * - Servers are tracked by the sandbox (sbx_track_pid()) so they die with
 *   the test even when it fails; nstcp_server_stop() kills one by PID.
 */
#ifndef NSTCP_H
#define NSTCP_H 1

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Starts a server on 'port' in namespace 'ns'.  Returns its PID once it
 * listens, or -1. */
pid_t nstcp_server_start(const char *ns, int port);

/* Starts a DNS server on UDP port 53 in namespace 'ns' that answers
 * every A query with 'answer' (dotted IPv4).  Returns its PID once it
 * listens, or -1.  Stop it with nstcp_server_stop(). */
pid_t nstcp_dns_server_start(const char *ns, const char *answer);

/* Kills server 'pid' and reaps it. */
void nstcp_server_stop(pid_t pid);

/* Connects from namespace 'ns' to 'ip':'port' within 'timeout_ms' and
 * stores the server's line, without its new-line, in 'reply'.  Returns
 * true on success. */
bool nstcp_connect(const char *ns, const char *ip, int port, int timeout_ms,
                   char *reply, size_t size);

/* Opens and closes connections from namespace 'ns' to 'ip':'port', one
 * after the other (each reads the server's line), for 'ms' milliseconds.
 * Returns the number that completed (a failed one, refused or timed out
 * after 2 s, costs its time and does not count), or -1 if the child
 * failed. */
long nstcp_connect_rate(const char *ns, const char *ip, int port, int ms);

#endif /* nstcp.h */
