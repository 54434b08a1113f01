/* agent-ports: what fabricd knows of its bridge's ports between runs.
 *
 * Rules of this module:
 * - The status of the bridge's interfaces (ovsb_status()) is read from
 *   the Open_vSwitch replica once per change of it: the agent says when
 *   it changed (agent_ports_invalidate()), and a run may ask many times.
 * - Guests of kind port (agent-desired.h) carry traffic once ovs-vswitchd
 *   numbered their ports and their flows were installed with those
 *   numbers: the agent says when flows were installed
 *   (agent_ports_flowed()), and only those ports count as bound.
 * - With fabric's pipeline, an adopted port is tagged and marked only
 *   once its flows are in (agent_ports_tag_later()): the tag changes
 *   nothing for the flows, but ovs-vswitchd reconfigures every port of
 *   the bridge for it while OpenFlow waits, and a transaction first would
 *   hold the flows back for its round trip.
 * - A guest of kind port is "bound" when every interface's iface-id is on
 *   a numbered port of the bridge, else "unplugged", naming the first
 *   iface-id it waits for.
 */
#ifndef FABRIC_AGENT_PORTS_H
#define FABRIC_AGENT_PORTS_H 1

#include <stdbool.h>
#include <stddef.h>

struct agent_desired;
struct ovsb_bridge;
struct ovsb_iface_status;
struct replica;

struct agent_ports *agent_ports_create(const char *bridge);
void agent_ports_destroy(struct agent_ports *);

/* The Open_vSwitch replica changed (or was made again). */
void agent_ports_invalidate(struct agent_ports *);

/* The status of the bridge's interfaces in 'ovs' (NULL: none), sorted by
 * name, in '*stp' and '*np' (valid until the next invalidation); returns
 * 0, or -ENOENT without the bridge. */
int agent_ports_status(struct agent_ports *, const struct replica *ovs,
                       const struct ovsb_iface_status **stp, size_t *np);

/* True if a numbered port of the bridge carries 'iface_id'. */
bool agent_ports_numbered(struct agent_ports *, const struct replica *ovs,
                          const char *iface_id);

/* Flows were just installed for the bridge as 'ovs' holds it: the
 * adopted ports of 'desired' numbered then are bound.  Returns true if a
 * port joined them (its tag is to be written). */
bool agent_ports_flowed(struct agent_ports *, const struct replica *ovs,
                        const struct agent_desired *desired);

/* The number of interfaces of guests of kind port bound at the last
 * agent_ports_flowed(). */
size_t agent_ports_n_flowed(const struct agent_ports *);

/* Sets the tag of every adopted port of 'bridge' that is not bound to
 * OVSB_TAG_LATER, saving the tags in 'saved' (bridge->n_ports entries)
 * for agent_ports_tag_restore(). */
void agent_ports_tag_later(const struct agent_ports *, struct ovsb_bridge *,
                           int *saved);
void agent_ports_tag_restore(struct ovsb_bridge *, const int *saved);

/* The state of guest 'name' if it is a guest of kind port of 'desired':
 * stores "bound" or "unplugged" in '*statep' and why in '*reasonp' (a new
 * string) and returns true; else returns false. */
bool agent_ports_guest_state(struct agent_ports *, const struct replica *ovs,
                             const struct agent_desired *desired,
                             const char *name, const char **statep,
                             char **reasonp);

#endif /* agent-ports.h */
