/* uplink: the host's side of a network's uplinks.
 *
 * An uplink bridges a network onto an interface of a host (docs/topology.md,
 * "Uplinks").  The interface itself is the port of the integration bridge,
 * shared by every uplink on it; the pipeline (pipeline.h) takes from it
 * and sends to it the frames of each network with that uplink's VLAN tag
 * (none for an untagged uplink).  No kernel VLAN device is needed, so the
 * host kernel needs no 802.1Q support.
 *
 * With the userspace datapath, ovs-vswitchd reads the interface through a
 * packet socket, which leaves the host kernel's own receiving alone: the
 * interface keeps its addresses and its untagged traffic, and frames of
 * other VLANs never enter the lab.  (The kernel datapath takes every frame
 * of an interface that is a port; there, give a VLAN device the host made,
 * untagged.)
 *
 * Rules of this module:
 * - The interface is never created, deleted or reconfigured, except that
 *   an untagged uplink's interface, the network's alone, is brought up.
 * - Reconcile: a run reads the host's links once (`ip -j link show`) and
 *   marks each uplink 'ready' when its interface exists; a missing one is
 *   an error (-ENODEV) for its uplink alone.
 * - Programs, never a shell, through cmd.h (dry runs show the commands;
 *   empty read output means nothing is there, and a dry run takes every
 *   interface for there).
 */
#ifndef CONTROLLERS_UPLINK_H
#define CONTROLLERS_UPLINK_H 1

#include <stdbool.h>
#include <stddef.h>

struct ovsdb_error;

struct uplink_dev {
    char *network;   /* For messages. */
    char *interface; /* The host's interface, the bridge's port. */
    int vlan;        /* 1..4094, or 0 for untagged. */
    bool ready;      /* Set by uplink_reconcile(): the interface is
                      * there. */
};

/* Checks the 'n' uplinks of 'devs' against the host and sets their
 * 'ready' flags (see the rules above).  Stores in '*changesp' the number
 * of commands that changed something.  Returns 0, or a negative errno
 * with '*errorp' set to the first failure (it went on with the other
 * uplinks). */
int uplink_reconcile(struct uplink_dev *devs, size_t n, int *changesp,
                     struct ovsdb_error **errorp);

/* Frees the strings of 'dev'. */
void uplink_dev_clear(struct uplink_dev *dev);

#endif /* uplink.h */
