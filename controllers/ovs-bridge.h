/* ovs-bridge: the agent's integration bridge in the local Open_vSwitch DB.
 *
 * fabricd describes the bridge it wants on its host (a 'struct
 * ovsb_bridge': name, datapath, fail mode, and its ports with their VLAN
 * tags, tunnel options and external_ids); ovsb_build_txn() compares that
 * with a replica of the local Open_vSwitch DB (ovsdb/replica.h) and adds
 * to a transaction (ovsdb/txn.h) the operations that turn the one into the
 * other.  ovsb_status() reads back what ovs-vswitchd reports on the
 * interfaces (OpenFlow port numbers, link and BFD states, errors).
 *
 * Rules of this module:
 * - Pure: no I/O.  The replica must monitor every table of ovsb_tables
 *   with every column.
 * - Ownership.  Every Bridge, Port and Interface row this module creates
 *   carries external_ids:fabric-owner=OWNER; a row is owned when that key
 *   holds OWNER.  Rows not owned are never modified or deleted.  An owned
 *   row is the agent's entirely: each column this module manages is set
 *   to its desired value exactly, maps included (keys that someone else
 *   added to an owned row's external_ids or options are removed).
 * - Objects are matched by name.  A desired port is one Port with one
 *   Interface of the same name (as "ovs-vsctl add-port" makes them); a
 *   bridge has its own internal port and interface of the bridge's name
 *   (as "ovs-vsctl add-br" makes them), owned like the others.  An owned
 *   port whose interfaces are not exactly that one owned interface is
 *   replaced (deleted and inserted again in the same transaction).
 * - Only the columns that differ are written, in one "update" per row.
 *   Bridge.ports and Open_vSwitch.bridges change through "mutate" (insert
 *   and delete of the UUIDs concerned), never by rewriting the whole set,
 *   so that a port that another program adds at the same time is kept.
 * - Removal.  An owned port that is no longer desired is deleted: the
 *   reference in Bridge.ports, the Port row and its owned Interface rows
 *   (an Interface that is not owned, on a port bound by iface-id, goes
 *   with its Port by OVSDB's garbage collection).  An owned bridge that
 *   is no longer desired (another name is desired, or 'desired' is NULL)
 *   is deleted with its ports when every port on it is owned.  While a
 *   port that is not owned sits on it, the bridge and its own internal
 *   port are kept and only its other owned ports are removed;
 *   ovsb_foreign_ports() names what keeps it, for status.  A later build,
 *   once that port is gone, deletes the bridge.
 * - Conflicts.  A bridge of the desired name that is not owned is an
 *   error (-EEXIST, the message names it); so is a desired port whose
 *   name a Port or Interface that is not owned already uses, on this
 *   bridge or on any other.
 * - Binding by iface-id.  A desired port whose 'name' is NULL and whose
 *   'external_ids' hold "iface-id" stands for the port that another
 *   program (libvirt, for a VM) plugged into the bridge with that iface-id
 *   on its Interface, whatever its name; an Interface this module made
 *   (owned) never counts as one.  When such a port is on the
 *   bridge, the module sets its Port's 'tag' and adds fabric-owner to its
 *   Port's external_ids (other keys of the Port and the whole Interface
 *   are left alone); from then on the Port is owned, and deleted like any
 *   owned port once no longer desired.  When no such port is on the
 *   bridge yet, nothing is done for it and it is no error: a later build,
 *   once the port appeared, binds it.  A port owned by another owner is
 *   never bound.  The 'type', 'options', 'bfd', 'mtu_request' and other
 *   external_ids of such a desired port are ignored.
 * - Adoption.  A desired port bound by iface-id with 'adopt' set binds the
 *   same way but is never owned: its Port gets 'tag' and fabric-bound
 *   (OVSB_BOUND_KEY) instead of fabric-owner.  Once no longer desired,
 *   or when its bridge goes, it is released, not deleted: its tag is
 *   cleared and fabric-bound removed, and the program that plugged it
 *   keeps it.  Like any port that is not owned, it keeps an owned bridge
 *   that is no longer desired.  A port bound by another owner is never
 *   adopted.  A desired adopted port may also be bound later
 *   (OVSB_TAG_LATER): it is claimed, so not released, but left as it is,
 *   neither tagged nor marked.  ovs-vswitchd reconfigures every port of
 *   the bridge when a tag changes, and OpenFlow waits meanwhile, so a
 *   caller whose own flows isolate the port installs them first and
 *   tags it after.
 * - Determinism.  Named UUIDs are stable ("bridge", "brport", "briface",
 *   "portN" and "ifaceN" for desired port N) and operations come in a
 *   fixed order (the bridge, then desired ports in their order, then
 *   removals sorted by name, then the mutations of reference sets), so
 *   the same replica and the same desired bridge give the same JSON.
 * - The root row.  When the Open_vSwitch table is empty ("ovs-vsctl init"
 *   never ran), the build inserts its row along with the bridge.
 * - No "wait" operations: when another program changes the database
 *   between a build and its commit (say, it adds a port of a desired
 *   name), the transaction fails or does less than planned, and the
 *   caller builds again from its updated replica (reconcile, don't
 *   script).
 */
#ifndef CONTROLLERS_OVS_BRIDGE_H
#define CONTROLLERS_OVS_BRIDGE_H 1

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

struct ovsdb_error;
struct ovsdb_txn;
struct replica;
struct replica_row;

/* The database name in vswitch.ovsschema. */
#define OVSB_DB "Open_vSwitch"

/* The external_ids key that marks a row as owned. */
#define OVSB_OWNER_KEY "fabric-owner"
/* The Port external_ids key that marks a port plugged by another program
 * as bound (adopted) by an owner. */
#define OVSB_BOUND_KEY "fabric-bound"
/* The 'tag' of an adopted port to be bound later (see the rules). */
#define OVSB_TAG_LATER (-1)

/* The tables an Open_vSwitch DB client monitors (every column), in this
 * order: Open_vSwitch, Bridge, Port, Interface.  NULL-terminated. */
extern const char *const ovsb_tables[];

struct ovsb_port {
    char *name; /* Port and interface name (at most 15 bytes), or
                 * NULL to bind by external_ids:iface-id. */
    char *type; /* "" (a system device such as a veth), "internal",
                 * "geneve"; NULL is taken as "". */
    int tag;    /* VLAN access tag 1..4095, 0 for none (trunk);
                 * OVSB_TAG_LATER for an adopted port bound later. */
    struct fabric_smap options;      /* Interface options: remote_ip,
                                      * local_ip, key, ... */
    struct fabric_smap external_ids; /* Interface external_ids: iface-id,
                                      * attached-mac, ... */
    bool bfd;                        /* Interface bfd:enable=true. */
    bool protected_; /* Port protected=true: NORMAL switching drops
                      * traffic from one protected port to another (split
                      * horizon between tunnels). */
    int mtu_request; /* Interface mtu_request, 0 for none (the column is
                      * kept empty). */
    bool adopt;      /* Bound by iface-id without owning (see the rules). */
};

struct ovsb_bridge {
    char *name;          /* "br-int". */
    char *datapath_type; /* "netdev" or "system"; NULL is taken as "". */
    char *fail_mode;     /* "secure", "standalone", or NULL for none. */
    struct ovsb_port *ports;
    size_t n_ports;
};

/* Returns a new bridge with no ports (strings copied; NULL stays NULL).
 * Free it with ovsb_bridge_free(). */
struct ovsb_bridge *ovsb_bridge_create(const char *name,
                                       const char *datapath_type,
                                       const char *fail_mode);

/* Appends a port to 'bridge' with 'name' (NULL to bind by iface-id),
 * 'type' and 'tag', and returns it, for the caller to fill in options,
 * external_ids, bfd and mtu_request.  The pointer is valid until the next
 * call on 'bridge'. */
struct ovsb_port *ovsb_bridge_add_port(struct ovsb_bridge *bridge,
                                       const char *name, const char *type,
                                       int tag);

/* Frees 'bridge', its ports and every string they hold.  Accepts NULL. */
void ovsb_bridge_free(struct ovsb_bridge *bridge);

/* Frees the ports of 'bridge' from the 'n'th on, keeping the first 'n'. */
void ovsb_bridge_truncate_ports(struct ovsb_bridge *bridge, size_t n);

/* Adds to 'txn' (a transaction on the Open_vSwitch database) the
 * operations that turn the Open_vSwitch DB held by 'ovs' (borrowed) into
 * 'desired' (borrowed; NULL to remove everything 'owner' owns), following
 * the rules above.  Returns the number of operations added (0 when the DB
 * already matches: then nothing needs to be sent), or a negative errno
 * with '*errorp' set and nothing added: -EINVAL for a desired bridge that
 * is not valid (a name empty or longer than 15 bytes, two ports of one
 * name, a tag out of range, a port without a name or an iface-id),
 * -EEXIST for a conflict with rows that are not owned. */
int ovsb_build_txn(const struct replica *ovs,
                   const struct ovsb_bridge *desired, const char *owner,
                   struct ovsdb_txn *txn, struct ovsdb_error **errorp);

/* The Interface row whose external_ids:iface-id is 'iface_id', on any
 * bridge, or NULL.  When several interfaces carry it, the one whose name
 * sorts first.  Borrowed from 'ovs'. */
const struct replica_row *ovsb_find_iface_by_id(const struct replica *ovs,
                                                const char *iface_id);

/* What ovs-vswitchd reports on one interface. */
struct ovsb_iface_status {
    char *name;
    long long ofport;     /* OpenFlow port number; 0 while not assigned
                           * yet, -1 when ovs-vswitchd could not add the
                           * interface.  Bound when > 0. */
    char *link_state;     /* "up", "down", or NULL when not reported. */
    char *bfd_state;      /* bfd_status:state ("up", "down", "init",
                           * "admin_down"), or NULL without BFD. */
    char *bfd_diagnostic; /* bfd_status:diagnostic, or NULL. */
    char *error;          /* Interface error, or NULL. */
    char *iface_id;       /* external_ids:iface-id, or NULL. */
};

/* Stores in '*statusp' a new array of the status of every interface on
 * 'bridge' in 'ovs', sorted by name, and its size in '*np'.  Returns 0,
 * or -ENOENT when 'ovs' has no such bridge. */
int ovsb_status(const struct replica *ovs, const char *bridge,
                struct ovsb_iface_status **statusp, size_t *np);

/* Frees the 'n' entries of 'status' and the array.  Accepts NULL. */
void ovsb_status_free(struct ovsb_iface_status *status, size_t n);

/* Stores in '*namesp' a new array of the names of the ports on 'bridge'
 * that 'owner' does not own, sorted, and its size in '*np' (the caller
 * frees each name and the array).  Returns 0, or -ENOENT when 'ovs' has
 * no such bridge.  For status: why a bridge that is no longer desired was
 * kept. */
int ovsb_foreign_ports(const struct replica *ovs, const char *bridge,
                       const char *owner, char ***namesp, size_t *np);

#endif /* ovs-bridge.h */
