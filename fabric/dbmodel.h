/* dbmodel: the lab model (model.h) in the fabric DB (ovsdb/fabric.ovsschema).
 *
 * fabricctl reads the fabric DB through an OVSDB client's replica
 * (ovsdb/replica.h) and writes it through transactions (ovsdb/txn.h); this
 * module turns replica rows into a 'struct fabric_model' and builds the one
 * transaction that turns the database's contents into a desired model.
 *
 *   Fabric           the lab: name and generation (one row)
 *   Host             name, underlay, encapsulation; agent status
 *   Network          name, subnet, mode, VLAN, VNI, MTU, gateway, DHCP
 *   Router           name, kind, host; Router_Port children
 *   Guest            name, host, kind, sizing, boot; Guest_Interface children
 *
 * Rules of this module:
 * - Pure: no I/O.  The replica must monitor every table of dbmodel_tables
 *   with every column.
 * - Objects are matched by name, never by UUID: a row whose name is in the
 *   desired model is updated in place (only the columns that differ), a
 *   desired object without a row is inserted, a row without a desired
 *   object is deleted, except a Host that an agent registered (nonzero
 *   heartbeat): an agent's host stays, untouched, until the agent is gone
 *   (otherwise the agent would register again and no apply would ever
 *   converge).  Guest interfaces are matched by name within their
 *   guest the same way; the ports of a router are replaced all together
 *   when any of them differs.  Child rows that go are deleted explicitly
 *   in the same transaction, so that the strong references they hold never
 *   block the deletion of a network or host.
 * - Apply owns the desired-state columns only.  The status columns that
 *   agents write (Host applied_generation, heartbeat, version,
 *   datapath_type, tunnel_status, error; Guest state, state_reason;
 *   Guest_Interface ofport, bound_host) are never written, and neither are
 *   columns the model does not hold (Network dhcp_options, child rows'
 *   external_ids, the Fabric row's external_ids).
 * - Every apply that changes something also bumps Fabric.generation, and
 *   begins with a "wait" on the generation it read, so that two applies
 *   built from the same state never both commit: the second fails with
 *   -ETIMEDOUT.
 * - A destroy (NULL desired model) deletes every Network, Router and Guest
 *   and every Host no agent registered, clears the lab's name and bumps
 *   the generation.
 * - plan_compute() (plan.h) on dbmodel_read()'s model reports a change
 *   exactly for the objects dbmodel_build_apply() changes.
 */
#ifndef FABRIC_DBMODEL_H
#define FABRIC_DBMODEL_H 1

#include <stddef.h>

struct fabric_model;
struct ovsdb_error;
struct ovsdb_txn;
struct replica;

/* The database name in ovsdb/fabric.ovsschema. */
#define DBMODEL_DB "Fabric"

/* The tables a fabric DB client monitors (every column), NULL-terminated. */
extern const char *const dbmodel_tables[];

/* Reads the lab held by 'replica' into a new model stored in '*modelp'
 * (the caller frees it with fabric_model_destroy()).  Every array is
 * sorted by name (guest interfaces in natural order: eth2 before eth10),
 * references are resolved to indexes, and a host an agent registered has
 * 'registered' set.  An empty database gives an empty model named "".
 * Returns 0, or -EPROTO with '*errorp' set when a reference leads to a row
 * the replica does not hold. */
int dbmodel_read(const struct replica *replica,
                 struct fabric_model **modelp, struct ovsdb_error **errorp);

/* Fabric.generation in 'replica', or 0 when there is no Fabric row. */
long long dbmodel_generation(const struct replica *replica);

/* Adds to 'txn' (database "Fabric") the operations that turn the contents
 * of 'current' into 'desired' (NULL to destroy the lab; see the rules
 * above): first a "wait" on the generation read from 'current', then the
 * changes, then the generation bump.  Returns the number of objects
 * changed (the lab itself counts as one when its name changes), storing
 * the generation the transaction commits in '*new_generationp' (the
 * current one when nothing changes).  When it returns 0 'txn' holds only
 * the wait and should not be sent.  Returns -EINVAL when 'desired' holds
 * a reference out of range (then nothing is added to 'txn') or a string
 * that is not UTF-8 (then 'txn' must be discarded). */
int dbmodel_build_apply(const struct replica *current,
                        const struct fabric_model *desired,
                        struct ovsdb_txn *txn, long long *new_generationp);

#endif /* dbmodel.h */
