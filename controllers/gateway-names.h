/* gateway-names: the names and MAC of a network's gateway port.
 *
 * A network of mode nat or routed reaches the world outside the lab
 * through the host: every host with a guest (or VM router port) in such a
 * network has an OVS internal port on its integration bridge, the
 * network's "gateway port", that carries the network's host_ip.  The
 * pipeline (pipeline.h) delivers frames for the port's MAC to the local
 * port only, and the host kernel routes (and, for nat, translates) what
 * comes in (controllers/gateway.h).
 *
 * Rules of this module:
 * - Pure: the port's name and MAC are functions of the network's name, so
 *   that every host derives the same ones without asking anybody.
 * - The name is "fg" followed by the 8 hex digits of FNV-1a 32 over
 *   "gateway/NETWORK" (10 characters, within the kernel's 15).
 * - The MAC is 02:fb followed by the 4 bytes (big-endian) of the same
 *   hash: locally administered unicast, and outside the 02:fa range that
 *   the topology derives guest and router MACs from.  It is the same on
 *   every host: a guest's gateway MAC stays right when the guest moves.
 */
#ifndef CONTROLLERS_GATEWAY_NAMES_H
#define CONTROLLERS_GATEWAY_NAMES_H 1

/* Stores in 'name' the gateway port name of network 'network'. */
void gateway_port_name(const char *network, char name[16]);

/* Stores in 'mac' the gateway port MAC of network 'network'
 * ("02:fb:xx:xx:xx:xx"). */
void gateway_mac(const char *network, char mac[18]);

/* Stores in 'mac' the MAC of network 'network''s DHCP and DNS service
 * (lab-services.h): 02:fd followed by FNV-1a 32 over "service/NETWORK".
 * It answers ARP for the service address when that is no router's or
 * host's, and is the source of DHCP answers. */
void service_mac(const char *network, char mac[18]);

#endif /* gateway-names.h */
