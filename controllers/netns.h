/* netns: network-namespace guests on the local host.
 *
 * A netns guest is a network namespace with one veth pair per interface:
 * the guest end lives in the namespace under its own name ("eth0"), the
 * peer end stays in the calling namespace, where another module plugs it
 * into the integration bridge.  fabricd describes each guest it wants
 * (a 'struct netns_guest') and netns_guest_ensure() makes the system
 * match it; netns_guest_remove() takes a guest away.
 *
 * Rules of this module:
 * - Every change and every read is a command line built with cmd.h, so
 *   that cmd_set_dry_run() shows what would run and the change log says
 *   what ran: `ip`, `ip -n NETNS ...` inside a namespace, and `ethtool`
 *   and `sysctl` (`ip netns exec NETNS ...` inside).  Few of them are
 *   processes: the `ip -n NETNS` changes of one operation wait and run
 *   together in one `ip -n NETNS -batch -` (run before any other
 *   command or read, so the order stays; the dry run shows the batch
 *   with its lines indented); and the `ethtool` and `sysctl` commands
 *   are done in process with the same effect: the SIOCETHTOOL ioctl
 *   (ETHTOOL_GTXCSUM, ETHTOOL_STXCSUM) and a write to
 *   /proc/sys/net, on a socket or file opened after setns() into the
 *   namespace, found where `ip netns` keeps it (/var/run/netns); so are
 *   the reads `ip -j netns list`, from the entries of that directory,
 *   and `ip -j -d link show` of the calling namespace, from a netlink
 *   dump (netns-dump.h).
 *   Under a dry run or a reader (netns_set_reader()) they are not done.
 * - Host-wide state is read once for many guests: a 'struct
 *   netns_snapshot' holds what `ip -j netns list` and `ip -j -d link
 *   show` (the calling namespace's links) print, read when first used.
 *   Each operation marks its namespace in the snapshot as changed; using
 *   it again for the same namespace reads it again.  netns_guest_ensure()
 *   and netns_guest_remove() use a snapshot of their own.
 * - Reconcile, never script.  An ensure first reads what exists (the
 *   snapshot; `ip -n NETNS -j -d address show`, the links and addresses
 *   inside; the TX checksum offload of each veth end it keeps; and,
 *   after the address changes, `ip -n NETNS -j -4|-6 route show`) and
 *   then runs only the commands for what differs.  A second ensure of
 *   the same guest runs only reads.  Empty read output means that
 *   nothing exists (this is what a dry run returns), so a dry run shows
 *   every command that a first ensure runs.
 * - Ownership is by name.  The caller names its namespaces (with its
 *   prefix) and its peers; this module never touches a namespace or an
 *   interface of the calling namespace that it was not given by name.
 *   Inside a guest namespace, which the caller owns entirely, it deletes
 *   every veth that the guest does not name (a veth pair made by hand
 *   included) and any other device that has the name of a wanted
 *   interface, and every address and route that the guest no longer
 *   describes.  It leaves alone the other devices (lo, which it keeps
 *   up, and the kernel's fallback tunnel devices such as sit0),
 *   link-local, host-scope and autoconfigured addresses, and the routes
 *   of protocols kernel, ra and dhcp.
 * - Veth pairs.  The pair is made in one command with the guest end
 *   created directly inside the namespace under its final name, so that
 *   no temporary name appears in the calling namespace.  Both ends get
 *   the MTU; the guest end gets 'mac' and the peer the same MAC with its
 *   first byte set to fe (fa when the guest's already starts with fe),
 *   so that a bridge never takes the guest's address as its own.  Both
 *   ends are up and have TX checksum offload off (what `ethtool -K DEV
 *   tx off` does), which the userspace datapath of Open vSwitch needs for
 *   TCP.
 *   A pair is intact when the guest end is a veth whose peer is the
 *   named peer in the calling namespace, or lives in some other
 *   namespace (someone moved it there: it is then left alone and only
 *   the guest end is checked); anything else is deleted and made again.
 * - Addresses change without breaking routes: a new namespace gets
 *   net.ipv4.conf.all.promote_secondaries=1, and new addresses are added
 *   before old ones are removed.  IPv6 addresses skip duplicate address
 *   detection (nodad) so that they work at once.
 * - Functions return 0 or a negative errno; on failure, '*errorp' (when
 *   not NULL) gets one error whose message names the guest and the
 *   failed command.  An ensure that fails half-way leaves the guest
 *   half-made; the next ensure completes it.
 */
#ifndef CONTROLLERS_NETNS_H
#define CONTROLLERS_NETNS_H 1

#include <stddef.h>
#include <stdio.h>

struct ovsdb_error;

/* A route through one interface: 'prefix' ("10.0.0.0/8"; an address
 * without a prefix length is a host route) via the gateway 'via'
 * ("172.16.0.254"), or NULL for a route straight onto the link. */
struct netns_route {
    char *prefix;
    char *via;
};

struct netns_iface {
    char *name;       /* Name inside the guest: "eth0" (<= 15 bytes). */
    char *peer;       /* Veth end left in the calling namespace, later
                       * plugged into the OVS bridge (<= 15 bytes). */
    char *mac;        /* "02:fa:00:00:00:01", or NULL to keep the
                       * kernel's random MAC. */
    int mtu;          /* 68..65535, or 0 to keep the kernel's default. */
    char **addresses; /* "172.16.0.1/24", "fd00::1/64". */
    size_t n_addresses;
    char *gateway; /* Default route via this address, or NULL. */
    struct netns_route *routes;
    size_t n_routes;
};

struct netns_guest {
    char *netns; /* Namespace name. */
    struct netns_iface *ifaces;
    size_t n_ifaces;
};

/* Building a guest.  Strings are copied; NULL stays NULL. */

/* Returns a new guest without interfaces, for netns_guest_free(). */
struct netns_guest *netns_guest_create(const char *netns);

/* Appends an interface to 'guest' and returns it, for the caller to add
 * addresses and routes.  The pointer is valid until the next call of
 * netns_guest_add_iface() on 'guest'. */
struct netns_iface *netns_guest_add_iface(struct netns_guest *guest,
                                          const char *name, const char *peer,
                                          const char *mac, int mtu,
                                          const char *gateway);
void netns_iface_add_address(struct netns_iface *iface, const char *address);
void netns_iface_add_route(struct netns_iface *iface, const char *prefix,
                           const char *via);

/* Frees 'guest' (which must come from the heap, as from
 * netns_guest_create()), its interfaces and every string they hold.
 * Accepts NULL. */
void netns_guest_free(struct netns_guest *guest);

/* Operations. */

/* Makes the namespace 'guest->netns' and its interfaces exactly as
 * 'guest' describes, following the rules above.  Returns 0, -EINVAL
 * (with an error naming the guest and the bad field) for a guest that is
 * not valid (names too long or holding '/', ':' or spaces, two interfaces
 * of one name or peer, a bad MAC, MTU, address or route), or the negative
 * errno of the read or command that failed. */
int netns_guest_ensure(const struct netns_guest *guest,
                       struct ovsdb_error **errorp);

/* Deletes the namespace 'netns' if it exists, with its veth pairs (each
 * veth inside is deleted first, which takes its peer wherever it is, so
 * the peers are gone when this returns); then deletes those of the
 * 'n_peers' interfaces named in 'peers' that still exist in the calling
 * namespace.  Returns 0 or a negative errno. */
int netns_guest_remove(const char *netns, char *const *peers, size_t n_peers,
                       struct ovsdb_error **errorp);

/* Many guests at once: the same operations with the host-wide reads
 * shared through 'snap' (see the rules above).  A snapshot goes stale as
 * others change the host: use one for one pass over the guests. */
struct netns_snapshot *netns_snapshot_create(void);
void netns_snapshot_free(struct netns_snapshot *snap); /* Accepts NULL. */
int netns_snapshot_ensure(struct netns_snapshot *snap,
                          const struct netns_guest *guest,
                          struct ovsdb_error **errorp);
int netns_snapshot_remove(struct netns_snapshot *snap, const char *netns,
                          char *const *peers, size_t n_peers,
                          struct ovsdb_error **errorp);
/* How many times 'snap' read the host-wide state. */
size_t netns_snapshot_reads(const struct netns_snapshot *snap);

/* Stores in '*namesp' a new sorted array of the names of the existing
 * namespaces that start with 'prefix', and its size in '*np' (the caller
 * frees each name and the array).  Out-parameters are written only on
 * success.  Returns 0 or a negative errno. */
int netns_list(const char *prefix, char ***namesp, size_t *np,
               struct ovsdb_error **errorp);

/* Runs 'argv' (NULL-terminated, argv[0] looked up in PATH) inside the
 * namespace 'netns' through `ip netns exec`, with this process's stdin,
 * stdout and stderr, and waits for it.  Returns its exit status (0..255;
 * 128 + N for a death by signal N; `ip netns exec` itself exits 255 when
 * the namespace does not exist), or a negative errno when it could not
 * start (-EINVAL for a bad namespace name or an empty 'argv').  Unlike
 * the other functions, it does not go through cmd.h: its output is the
 * caller's, and a dry run does not apply to it. */
int netns_exec(const char *netns, char *const argv[]);

/* Hooks. */

/* While 'log' is non-NULL, each command that changes the system (not the
 * reads) is written to it, one line per command, before it runs: what
 * the agent last applied, and how tests check that an ensure changed
 * nothing. */
void netns_set_log(FILE *log);

/* For tests: while 'reader' is non-NULL, the reads described in the
 * rules above do not run; reader('line', 'aux') answers each instead,
 * where 'line' is the command line as cmd_to_string() writes it, with a
 * new string holding what the command would print (freed by this
 * module), or NULL for a command that fails.  Commands that change the
 * system still go through cmd_run() (so combine with cmd_set_dry_run()). */
typedef char *netns_reader_func(const char *line, void *aux);
void netns_set_reader(netns_reader_func *reader, void *aux);

#endif /* netns.h */
