/* gateway: the host kernel's side of the gateway ports of nat and routed
 * networks.
 *
 * fabricd adds each gateway port (gateway-names.h) to its integration
 * bridge as an OVS internal port; ovs-vswitchd makes the network device.
 * This module gives the device what the host kernel needs to be the
 * network's way out: the gateway MAC, the network's host_ip with the
 * subnet's prefix (which also gives the host its connected route to the
 * subnet), the link up, and IPv6 off (the pipeline drops it anyway).  It
 * also turns IPv4 forwarding on while any gateway port is wanted, and
 * back to what it was once none is.  NAT rules are nat-table.h's.
 *
 * Rules of this module:
 * - Programs, never a shell: `ip` and `sysctl` command lines through
 *   cmd.h, so that a dry run (cmd_set_dry_run()) shows them; empty read
 *   output means nothing is there, so a dry run shows every command a
 *   first reconcile runs.
 * - Reconcile: a run reads each port (`ip -j address show dev PORT`) and
 *   the forwarding switch (`sysctl -n net.ipv4.ip_forward`) and changes
 *   only what differs; a second run with the same ports runs only reads.
 * - Ownership by name: only the devices named in the ports given are
 *   touched (they are the agent's own OVS ports), and on those every IPv4
 *   address other than the wanted one is removed.
 * - IPv4 forwarding: before turning it on, the value it had is written to
 *   'state_path' (unless that file exists already: a restarted agent must
 *   not take its own 1 for the host's); when no port is wanted and the
 *   file exists, that value is written back and the file removed.  When
 *   forwarding was on before fabric, fabric never turns it off.
 * - A port whose device does not exist (yet) is an error (-ENODEV): the
 *   caller reconciles once ovs-vswitchd has made it.
 */
#ifndef CONTROLLERS_GATEWAY_H
#define CONTROLLERS_GATEWAY_H 1

#include <stddef.h>

struct ovsdb_error;

struct gateway_port {
    char *network; /* For messages. */
    char *port;    /* The device, "fgXXXXXXXX". */
    char *mac;     /* "02:fb:..." */
    char *address; /* host_ip with the subnet's prefix, "10.1.0.1/24". */
};

/* Makes the host match the 'n' ports of 'ports' (see the rules above),
 * with the forwarding state file 'state_path'.  Stores in '*changesp' the
 * number of commands that changed something.  Returns 0, or a negative
 * errno with '*errorp' set (then it went on with the other ports, and
 * reports the first failure). */
int gateway_reconcile(const struct gateway_port *ports, size_t n,
                      const char *state_path, int *changesp,
                      struct ovsdb_error **errorp);

/* Frees the strings of 'port'. */
void gateway_port_clear(struct gateway_port *port);

#endif /* gateway.h */
