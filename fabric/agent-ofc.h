/* agent-ofc: fabricd's OpenFlow connection to its integration bridge.
 *
 * The pipeline answers almost everything with flows; what flows cannot
 * answer comes to fabricd as a packet-in on this connection.  Today that
 * is two things: a frame a `flows` router would route with a TTL of 0 or
 * 1.  The route flow's dec_ttl hands it over (reason "invalid TTL"), and
 * fabricd answers the sender with an ICMP time exceeded from the router
 * port the frame was sent to (icmp-error.h), so traceroute shows the
 * router hop.  And DHCP requests and DNS queries of guests on networks
 * with `dhcp: true` (reason "action"), answered by agent-services.h.
 *
 * Rules of this module:
 * - The connection goes to the bridge's management socket
 *   (unix:OVS_RUNDIR/BRIDGE.mgmt), the same one ovs-ofctl uses, in
 *   OpenFlow 1.3 (openflow.h); it asks for packet-ins with SET_CONFIG and
 *   SET_ASYNC, answers echo requests, and reconnects every second while
 *   the bridge is not there.
 * - It answers only for router ports it knows (agent_ofc_set_model()):
 *   the frame's destination MAC names the router port; anything else is
 *   counted and dropped.  The same goes for the interfaces DHCP and DNS
 *   answer.
 * - The answer goes back out of the port the frame came in on, with a
 *   packet-out: the sender is always local, since a flows router routes
 *   on the sender's host.
 */
#ifndef FABRIC_AGENT_OFC_H
#define FABRIC_AGENT_OFC_H 1

struct event_base;
struct fabric_model;
struct json_t;

struct agent_ofc;

/* 'target' is "unix:PATH" (the bridge's management socket);
 * 'dns_upstream' the resolver for names outside the lab (see
 * agent-services.h), or NULL. */
struct agent_ofc *agent_ofc_create(struct event_base *base, const char *target,
                                   const char *dns_upstream);
void agent_ofc_destroy(struct agent_ofc *ofc);

/* The router ports of 'model''s flows routers, and the DHCP and DNS
 * services of host 'host', for the answers. */
void agent_ofc_set_model(struct agent_ofc *ofc,
                         const struct fabric_model *model, const char *host);

/* Connection state and counters (new reference). */
struct json_t *agent_ofc_status_json(const struct agent_ofc *ofc);

#endif /* agent-ofc.h */
