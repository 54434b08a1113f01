/* agent-services: fabricd's DHCP and DNS answers (lab-services.h) on its
 * OpenFlow connection.
 *
 * The pipeline hands a guest's DHCP requests and DNS queries to fabricd
 * as packet-ins (reason "action", the cookie of the guest interface's
 * flows); agent-ofc passes them here, and the answer goes back out of
 * the port the request came in on.
 *
 * Rules of this module:
 * - Answers come from the model alone (agent_services_set_model()): a
 *   request from an interface this host does not have, or from another
 *   MAC than the interface's, is counted and dropped.
 * - DNS names outside the lab are passed on to the upstream resolver
 *   (--dns-upstream, else the first IPv4 nameserver of /etc/resolv.conf)
 *   from fabricd's own UDP socket, one per query, and its answer is sent
 *   to the guest as if from the server the guest asked; for an isolated
 *   network they are refused.  At most AGENT_SERVICES_MAX_PENDING
 *   queries wait upstream at once (the rest get SERVFAIL), each at most
 *   AGENT_SERVICES_UPSTREAM_MS.
 */
#ifndef FABRIC_AGENT_SERVICES_H
#define FABRIC_AGENT_SERVICES_H 1

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct fabric_model;
struct json_t;

#define AGENT_SERVICES_MAX_PENDING 64
#define AGENT_SERVICES_UPSTREAM_MS 3000

/* Sends 'frame' out of OpenFlow port 'port'. */
typedef void agent_services_send_fn(void *aux, uint32_t port,
                                    const uint8_t *frame, size_t len);

struct agent_services;

/* 'upstream' is "IP" or "IP:PORT", or NULL for /etc/resolv.conf's. */
struct agent_services *agent_services_create(struct event_base *base,
                                             const char *upstream,
                                             agent_services_send_fn *send,
                                             void *aux);
void agent_services_destroy(struct agent_services *);

void agent_services_set_model(struct agent_services *,
                              const struct fabric_model *model,
                              const char *host);

/* Answers the frame of a packet-in with 'cookie' from 'in_port'.
 * Returns 0 if it was a DHCP or DNS request of a known interface (answered
 * now or later), -1 if it was ignored. */
int agent_services_packet_in(struct agent_services *, uint64_t cookie,
                             uint32_t in_port, const uint8_t *frame,
                             size_t len);

/* Counters (new reference). */
struct json_t *agent_services_status_json(const struct agent_services *);

#endif /* agent-services.h */
