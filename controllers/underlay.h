/* underlay: the OVS bridge that carries a host's underlay address.
 *
 * On the userspace datapath, GENEVE leaves a host only through an address
 * that sits on an OVS bridge of the same datapath.  By default the
 * administrator builds that bridge; with `fabricd --underlay-interface=DEV`
 * the agent does: an OVS bridge (default "br-underlay") holding DEV as a
 * port, with DEV's IPv4 addresses and the routes through DEV moved onto
 * the bridge's internal interface.  When the host no longer needs it, the
 * addresses and routes go back onto DEV and the bridge goes away.
 *
 * The work is split in two, as everywhere in fabricd: the OVSDB side (the
 * bridge and its port, underlay_bridge(), built by ovs-bridge in the
 * agent's Open_vSwitch transaction with owner UNDERLAY_OWNER) and the
 * kernel side (addresses, routes, MTU, link state), which
 * underlay_reconcile() reads and changes with `ip` commands.
 *
 * Rules of this module:
 * - Programs, never a shell: every read and change is an `ip` command line
 *   built with cmd.h, so cmd_set_dry_run() shows what would run.  The
 *   reads are `ip -j address show dev DEV`, the same for the bridge, and
 *   `ip -j -4 route show table main`.  What to do is computed from what
 *   they print by a pure function (underlay-private.h), tested with golden
 *   command lists.
 * - Reconcile, never script.  While the underlay is wanted: every IPv4
 *   address on DEV or in the state file belongs on the bridge's interface,
 *   and so does every route of the main table through DEV or in the state
 *   file (routes the kernel made for an address, of protocol "kernel",
 *   come with their address); the interface is up and has DEV's MTU.
 *   Addresses are added to the bridge before they leave DEV, and routes
 *   move with `ip route replace`, so that the host is never left without
 *   them.  A run that finds all this in place runs only the reads.  Until
 *   ovs-vswitchd has made the bridge's interface, nothing moves: the result
 *   says "pending" and a later run moves.
 * - The state file records what was moved (device, bridge, addresses,
 *   routes).  It is written before anything moves, so that an agent that
 *   dies half-way, or restarts, can finish the move or put everything
 *   back; it is removed once everything is back on DEV.  It is the only
 *   record of what is ours to put back: without it, nothing is moved back
 *   (the bridge, when removed, takes its addresses with it).  A state file
 *   for another device or bridge (the agent's options changed) is put back
 *   first.
 * - When the underlay is not wanted, the recorded addresses and routes go
 *   back onto DEV (added there before they leave the bridge), DEV's
 *   neighbor entries are flushed (while DEV was a port of the bridge, its
 *   kernel side learned peers by MACs that may be gone since), and the
 *   result says the bridge should go.
 * - The check: the host's underlay IP must be one of DEV's addresses (or
 *   already moved: on the bridge, or in the state file).  If it is not,
 *   underlay_reconcile() fails with "underlay IP X is not on DEV" and
 *   changes nothing; DEV is left alone, and the bridge is not made.
 * - IPv4 only; addresses keep their prefix length and broadcast, not their
 *   label, lifetimes or flags.  Routes of the main table keep their
 *   destination, gateway, protocol, scope, metric, preferred source and
 *   onlink flag; multipath and non-unicast routes are left alone.
 * - Functions return 0 or a negative errno with '*errorp' set to one error
 *   whose message is a whole sentence naming the device and the command.
 */
#ifndef CONTROLLERS_UNDERLAY_H
#define CONTROLLERS_UNDERLAY_H 1

#include <stdbool.h>

struct ovsb_bridge;
struct ovsdb_error;

/* The external_ids:fabric-owner of the underlay bridge's rows: not the
 * integration bridge's owner, so that neither build removes the other's
 * bridge. */
#define UNDERLAY_OWNER "fabric-underlay"

/* The bridge's name when none is given. */
#define UNDERLAY_DEFAULT_BRIDGE "br-underlay"

/* The state file's name in the agent's rundir. */
#define UNDERLAY_STATE_FILE "underlay.json"

struct underlay_config {
    const char *dev;           /* The underlay NIC, "eth1". */
    const char *bridge;        /* The OVS bridge, "br-underlay". */
    const char *datapath_type; /* The integration bridge's: "netdev". */
    const char *state_path;    /* RUNDIR/underlay.json. */
};

struct underlay_result {
    bool bridge;  /* The OVS bridge should exist: build underlay_bridge()
                   * with owner UNDERLAY_OWNER; otherwise build NULL. */
    bool pending; /* The bridge's interface does not exist yet: run again
                   * once ovs-vswitchd has made it. */
    int changes;  /* Commands this call ran (reads not counted). */
};

/* Returns a new bridge for ovs-bridge (ovsb_bridge_free() frees it): the
 * bridge 'config->bridge' of 'config->datapath_type', standalone, with
 * 'config->dev' as its one port. */
struct ovsb_bridge *underlay_bridge(const struct underlay_config *config);

/* Makes the kernel side match: with 'wanted', the addresses and routes of
 * 'config->dev' on the bridge's interface (after checking that
 * 'underlay_ip', when nonnull, is one of them); otherwise the recorded
 * ones back on 'config->dev'.  Fills '*result' and returns 0, or returns a
 * negative errno with '*errorp' set: -EADDRNOTAVAIL when 'underlay_ip' is
 * not on the device, -EINVAL for a configuration that is not valid, -ENODEV
 * when the device does not exist, or the error of a failed command or of
 * the state file.  On failure the OVS bridge is to be left as it is. */
int underlay_reconcile(const struct underlay_config *config, bool wanted,
                       const char *underlay_ip, struct underlay_result *result,
                       struct ovsdb_error **errorp);

/* For tests: while 'reader' is non-NULL, the reads described in the rules
 * above do not run; reader('line', '&output', 'aux') answers each instead,
 * where 'line' is the command line as cmd_to_string() writes it: it
 * returns 0 and stores what the command would print in '*output' (a new
 * string, freed by this module), -ENODEV when the device the command names
 * does not exist, or another negative errno for a command that fails.
 * Commands that change the system still go through cmd_run() (so combine
 * with cmd_set_dry_run()). */
typedef int underlay_reader_func(const char *line, char **outputp, void *aux);
void underlay_set_reader(underlay_reader_func *reader, void *aux);

#endif /* underlay.h */
