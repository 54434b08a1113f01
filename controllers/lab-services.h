/* lab-services: what fabric's DHCP and DNS answer on one host, derived
 * from the lab model.
 *
 * A network with `dhcp: true` gets two services from every host that has
 * a guest in it, both answered by fabricd on its controller connection
 * (agent-ofc.h), never by a process listening in the lab:
 * - DHCP (dhcp.h): each local guest interface of the network gets its
 *   declared configuration, by MAC: its first address in the network
 *   with the network's prefix, its gateway (option 3), its routes (option
 *   121), the network's MTU or its own (option 26), the service address
 *   as DNS server (option 6), the guest's name (option 12) and the lab's
 *   name as domain (option 15).  An interface with no address in its
 *   network gets no lease.
 * - DNS (dns.h): the names of the lab's guests and routers, NAME and
 *   NAME.LAB (LAB is the lab's name), each with its addresses, those in
 *   the asker's network first.  A name under LAB that the lab does not
 *   have is NXDOMAIN.  Other names are passed on to the host's resolver
 *   for nat and routed networks, and refused for isolated ones (nothing
 *   of an isolated network reaches outside the lab).
 *
 * The service address of a network (DHCP server identifier, DNS server)
 * is its router's address if it has a router, else its hosts' address
 * (host_ip, modes nat and routed), else the highest address of the
 * subnet that no interface of the lab has; in that last case the
 * pipeline answers ARP for it with the service MAC (gateway-names.h).
 *
 * Rules of this module:
 * - Pure: a function of the model and the host's name; no I/O.
 * - Interfaces are found by the cookie of their pipeline flows
 *   (pipeline_cookie_pair(PIPELINE_COOKIE_IFACE, GUEST, IFACE)), which
 *   the switch puts in every packet-in, and checked against the frame's
 *   source MAC.
 */
#ifndef CONTROLLERS_LAB_SERVICES_H
#define CONTROLLERS_LAB_SERVICES_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp.h"

struct fabric_model;

#define LAB_SERVICES_LEASE_TIME 86400
#define LAB_SERVICES_DNS_TTL 60

struct lab_service_iface {
    uint64_t cookie;
    size_t network; /* Index into the model's networks. */
    bool outside;   /* Its network is nat or routed. */
    bool leased;    /* It has an address: DHCP answers. */
    struct dhcp_lease lease;
};

struct lab_service_name {
    char *name;       /* Lower case: "host01" (also "host01.LAB"). */
    uint32_t *addrs;  /* Host order. */
    size_t *networks; /* The network of each address. */
    size_t n_addrs;
};

struct lab_services {
    char *domain; /* The lab's name, lower case. */
    struct lab_service_iface *ifaces;
    size_t n_ifaces;
    struct lab_service_name *names;
    size_t n_names;
};

/* The services of host 'host' in 'model' (a new object). */
struct lab_services *lab_services_build(const struct fabric_model *model,
                                        const char *host);
void lab_services_destroy(struct lab_services *);

/* The service address of network 'net' of 'model' (host order), or 0
 * when the subnet has no free address. */
uint32_t lab_service_address(const struct fabric_model *model, size_t net);

/* The local interface whose flow has cookie 'cookie' and whose MAC is
 * 'mac', or NULL. */
const struct lab_service_iface *lab_services_find(const struct lab_services *,
                                                  uint64_t cookie,
                                                  const uint8_t mac[6]);

enum lab_dns_result {
    LAB_DNS_FOUND,    /* Addresses in 'addrs'. */
    LAB_DNS_NXDOMAIN, /* A name under the lab's domain it does not have. */
    LAB_DNS_OUTSIDE,  /* Not a name of the lab. */
};

/* Looks up 'name' (lower case, no final dot) for an asker in network
 * 'net': stores up to 'max' addresses in 'addrs' and their count in
 * '*n'. */
enum lab_dns_result lab_services_resolve(const struct lab_services *,
                                         const char *name, size_t net,
                                         uint32_t *addrs, size_t max,
                                         size_t *n);

#endif /* lab-services.h */
