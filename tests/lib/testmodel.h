/* testmodel: building lab models (fabric/model.h) in C for tests and
 * benchmarks, without a topology file.
 *
 *   struct fabric_model *m = tm_new("lab");
 *   size_t hv1 = tm_host(m, "hv1", "10.99.0.1");
 *   size_t n1 = tm_network(m, "network1", "172.16.0.0/24", 101);
 *   size_t g = tm_guest(m, "host01", hv1, FABRIC_GUEST_NETNS);
 *   tm_interface(m, g, "eth0", n1, "172.16.0.1/24", "172.16.0.254");
 *
 * Rules of this module:
 * - Every function appends to the model's arrays and returns the new
 *   object's index (or a pointer to it, valid until the next addition to
 *   the same array); the arrays are left in the order of the calls.
 * - Fields not given take the defaults a topology file would give: VNI
 *   equal to the VLAN, MTU 1500 - FABRIC_ENCAP_OVERHEAD, MACs derived from
 *   names, port security on, VM sizing 1 vCPU and 512 MiB.
 * - The model is freed with fabric_model_destroy().
 */
#ifndef TESTMODEL_H
#define TESTMODEL_H 1

#include <stddef.h>

#include "model.h"

struct fabric_model *tm_new(const char *name);

size_t tm_host(struct fabric_model *m, const char *name,
               const char *underlay_ip);
size_t tm_network(struct fabric_model *m, const char *name,
                  const char *subnet, int vlan);
size_t tm_router(struct fabric_model *m, const char *name,
                 enum fabric_router_kind kind);
struct fabric_router_port *tm_port(struct fabric_model *m, size_t router,
                                   size_t network, const char *ip);
size_t tm_guest(struct fabric_model *m, const char *name, size_t host,
                enum fabric_guest_kind kind);
/* Adds an access interface with one address ('address' may be NULL for
 * none) and a gateway (may be NULL). */
struct fabric_interface *tm_interface(struct fabric_model *m, size_t guest,
                                      const char *name, size_t network,
                                      const char *address,
                                      const char *gateway);

/* Adds to interface 'iface' one more address, a route, a trunk. */
void tm_add_address(struct fabric_interface *iface, const char *address);
void tm_add_route(struct fabric_interface *iface, const char *prefix,
                  const char *via);
void tm_add_trunk(struct fabric_interface *iface, size_t network);

/* Replaces '*field' (a string owned by a model) with a copy of 'value'
 * (NULL allowed). */
void tm_set(char **field, const char *value);

/* The classic lab of the issue: host hv1 (10.99.0.1), isolated networks
 * network1 (172.16.0.0/24, VLAN 101) and network2 (172.17.0.0/24, VLAN
 * 102), flows router host00 with .254 in both, netns guest host01 on
 * network1 (172.16.0.1/24 via 172.16.0.254). */
struct fabric_model *tm_classic_lab(void);

/* A lab of 'n_guests' netns guests named g0001..., spread over 'n_hosts'
 * hosts and 'n_networks' networks (at most 250 guests per network). */
struct fabric_model *tm_generated_lab(size_t n_hosts, size_t n_networks,
                                      size_t n_guests);

#endif /* testmodel.h */
