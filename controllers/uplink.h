/* uplink: the host kernel's side of a network's uplink.
 *
 * An uplink bridges a network onto an interface of a host (docs/topology.md,
 * "Uplinks").  Untagged, the interface itself becomes a port of the
 * integration bridge and belongs to the network alone.  On a VLAN, this
 * module makes a VLAN device on the interface, and the VLAN device becomes
 * the port: the interface, its addresses, routes and other VLANs stay the
 * host's, so nothing else on it is disturbed.
 *
 * Rules of this module:
 * - Names are derived: a VLAN device is "fu" followed by the 8 hex digits
 *   of FNV-1a 32 over "uplink/NETWORK/INTERFACE.VLAN" (10 characters,
 *   within the kernel's 15); a new VLAN gives a new name, so that the
 *   bridge's port is replaced with the device.
 * - Ownership: a VLAN device this module makes carries the alias (ifalias)
 *   "fabric-owner=OWNER".  Only such devices are ever changed or deleted;
 *   a device of a wanted name without it is an error (-EEXIST).  The
 *   interface under an uplink is never deleted or reconfigured, except
 *   that an untagged uplink's interface, the network's alone, is brought
 *   up.
 * - Reconcile: a run reads the host's links once (`ip -d -j link show`),
 *   makes each wanted VLAN device that is missing or wrong (`ip link add
 *   link IFACE name DEV type vlan id VLAN`, the alias, IPv6 off, link up)
 *   and deletes each owned VLAN device that is no longer wanted.  A second
 *   run with the same uplinks runs only that read.
 * - Programs, never a shell, through cmd.h (dry runs show the commands;
 *   empty read output means nothing is there).
 * - An interface that does not exist is an error (-ENODEV) for its uplink
 *   alone: the others are made, and the uplink is not 'ready'.
 */
#ifndef CONTROLLERS_UPLINK_H
#define CONTROLLERS_UPLINK_H 1

#include <stdbool.h>
#include <stddef.h>

struct ovsdb_error;

struct uplink_dev {
    char *network; /* For messages. */
    char *device;  /* The bridge's port: "fuXXXXXXXX", or the interface
                    * itself when untagged. */
    char *parent;  /* The host's interface. */
    int vlan;      /* 1..4094, or 0 for untagged. */
    bool ready;    /* Set by uplink_reconcile(): 'device' is there. */
};

/* Stores in 'name' the port of the uplink of network 'network' on
 * 'interface', on VLAN 'vlan' (0: untagged, the interface itself). */
void uplink_port_name(const char *network, const char *interface, int vlan,
                      char name[16]);

/* Makes the host's VLAN devices owned by 'owner' match the 'n' uplinks of
 * 'devs' (see the rules above) and sets their 'ready' flags.  Stores in
 * '*changesp' the number of commands that changed something.  Returns 0,
 * or a negative errno with '*errorp' set to the first failure (it went on
 * with the other uplinks). */
int uplink_reconcile(struct uplink_dev *devs, size_t n, const char *owner,
                     int *changesp, struct ovsdb_error **errorp);

/* Frees the strings of 'dev'. */
void uplink_dev_clear(struct uplink_dev *dev);

#endif /* uplink.h */
