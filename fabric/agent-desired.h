/* agent-desired: what one host should hold, computed from the lab.
 *
 * fabricd's reconcile loop asks this module what its host should look
 * like, then hands the answer to the controllers: the integration bridge
 * with its ports and tunnels to ovs-bridge, the namespace guests to netns.
 *
 * Rules of this module:
 * - Pure: a function of the lab model, the UUIDs of the fabric DB's rows
 *   (for iface-id) and the agent's settings; no I/O.  Tests compare its
 *   output for example labs with golden files.
 * - Names are derived, never random: a guest interface's veth end in the
 *   host is "fv" followed by the first 8 hex digits of the interface's
 *   UUID; a tunnel port is "gnv" followed by 8 hex digits of a hash of the
 *   remote host's name; namespaces are the agent's prefix followed by the
 *   guest's name.
 * - Tunnels: one GENEVE port (key=flow, BFD on) to each remote host that
 *   has a guest or router port in a network that has one here, or that a
 *   flows router joins to such a network (the distributed router routes
 *   on the sending host, then the frame crosses straight to the other).
 *   Tunnel ports are "protected": NORMAL never forwards from one to
 *   another, so a full mesh of hosts has no loop.
 * - VMs (guests and routers of kind vm placed here) become 'struct
 *   vm_spec's: domain name = prefix + name, domain UUID = the Guest or
 *   Router row's UUID, files in VM_DIR/DOMAIN/ (overlay.qcow2, seed.iso,
 *   seed/, console.sock, console.log).  Their NICs' taps are named like
 *   namespace ports ("fv" + 8 hex digits of the Guest_Interface or
 *   Router_Port UUID); libvirt plugs them, so the bridge holds them as
 *   ports bound by iface-id (name NULL), which the agent tags and owns.
 * - Networks of mode nat and routed (docs/topology.md, "Network modes"):
 *   a host with a guest interface (a trunk's tagged networks included) or
 *   VM router port in one gets its gateway port, an OVS internal port
 *   named and addressed as gateway-names.h says, tagged with the
 *   network's VLAN, with the network's MTU; the kernel's side of it as a
 *   'struct gateway_port' (controllers/gateway.h), and for nat networks
 *   the rules of controllers/nat-table.h, with the port forwards whose
 *   guest runs on this host.
 * - Uplinks (docs/topology.md, "Uplinks") of networks onto this host's
 *   interfaces become 'struct uplink_dev's (controllers/uplink.h).  The
 *   interface is the bridge's port (one port for every uplink on it,
 *   external_ids:fabric-uplink naming their networks; tagged with the
 *   network's VLAN when untagged, a trunk otherwise), and joins the
 *   bridge only once it is there (agent_desired_add_uplink_ports()): a
 *   missing interface must not hold back the rest of the bridge.  An uplink
 * makes its host carry its network: tunnels go between it and the hosts with
 * ports in the network, but it brings no gateway port.
 * - Guests of kind port: each interface stands for a port that another
 *   program plugs into the bridge with external_ids:iface-id set to the
 *   interface's iface_id, or to its Guest_Interface UUID without one; the
 *   bridge holds it as a port bound by iface-id and adopted (ovs-bridge.h:
 *   tagged, never owned, given back when no longer wanted).  Nothing else
 *   is made for it: the program that plugs the port gives it the
 *   interface's MAC and addresses.
 * - Access ports carry their network's VLAN tag, so `ovs-vsctl show` tells
 *   the truth and fabricd --pipeline=normal can switch with NORMAL (tunnel
 *   ports are then trunks, and frames cross hosts with their VLAN tag
 *   inside GENEVE); with fabric's own pipeline (agent-flows.h, the
 *   default) the flows decide and the tags are only informative.
 */
#ifndef FABRIC_AGENT_DESIRED_H
#define FABRIC_AGENT_DESIRED_H 1

#include <stdbool.h>
#include <stddef.h>

#include "gateway.h"
#include "model.h"
#include "nat-table.h"
#include "netns.h"
#include "ovs-bridge.h"
#include "uplink.h"
#include "vm-spec.h"

struct fabric_model;
struct replica;

struct agent_settings {
    const char *host;          /* This host's name in the lab. */
    const char *bridge;        /* Integration bridge, "br-int". */
    const char *datapath_type; /* "netdev" or "system". */
    const char *netns_prefix;  /* Prepended to namespace and domain
                                * names. */
    const char *vm_dir;        /* Where VMs' files go. */
    const char *domain_type;   /* "kvm" or "qemu". */
};

/* An interface of a guest of kind port placed here. */
struct agent_port_iface {
    char *guest;
    char *iface_id;
};

struct agent_desired {
    struct ovsb_bridge *bridge;
    /* Interfaces of guests of kind port, sorted by guest, then iface-id
     * (agent_port_iface_compare()). */
    struct agent_port_iface *port_ifaces;
    size_t n_port_ifaces;
    struct netns_guest **guests;
    size_t n_guests;
    /* Guest names, parallel to 'guests'. */
    char **guest_names;
    /* VMs, with their restart policies. */
    struct vm_spec **vms;
    enum fabric_restart *vm_restart;
    size_t n_vms;
    /* Remote hosts with a tunnel, and the tunnel port names. */
    char **tunnel_hosts;
    char **tunnel_ports;
    size_t n_tunnels;
    /* Gateway ports of nat and routed networks, and the nat networks. */
    struct gateway_port *gateways;
    size_t n_gateways;
    struct nat_network *nats;
    size_t n_nats;
    /* Uplinks of networks onto this host's interfaces, with the VLAN tag
     * of each one's network (parallel to 'uplinks'). */
    struct uplink_dev *uplinks;
    int *uplink_tags;
    size_t n_uplinks;
    /* The bridge's ports before agent_desired_add_uplink_ports() added
     * the uplinks' (when 'uplink_ports_added'). */
    size_t n_base_ports;
    bool uplink_ports_added;
};

/* Computes what the host named in 'settings' should hold in 'model', with
 * 'fabric' (a replica of the fabric DB) giving the UUIDs of guest
 * interfaces.  Returns 0 and fills '*desired', or -ENOENT when the host is
 * not in the lab (then '*desired' is empty but for the bridge, which stays
 * so the agent keeps a place for guests to come). */
int agent_desired_compute(const struct fabric_model *model,
                          const struct replica *fabric,
                          const struct agent_settings *settings,
                          struct agent_desired *desired);

void agent_desired_clear(struct agent_desired *desired);

int agent_port_iface_compare(const void *, const void *);

/* The iface-id that binds interface 'f' of a guest of kind port, whose
 * Guest_Interface row is 'uuid': its own, or the UUID. */
const char *agent_port_iface_id(const struct fabric_interface *f,
                                const char *uuid);

/* Adds to 'desired''s bridge the port of each uplink that is 'ready', in
 * place of those an earlier call added: a desired state computed once
 * serves many runs, whose uplinks come and go. */
void agent_desired_add_uplink_ports(struct agent_desired *desired);

/* Gives each uplink of 'desired' the 'ready' flag of the same uplink
 * (interface and VLAN) in 'previous'. */
void agent_desired_keep_uplinks_ready(struct agent_desired *desired,
                                      const struct agent_desired *previous);

/* The port names of a guest interface (from its UUID) and of the tunnel
 * to host 'remote', into 'name' (at most 15 characters). */
void agent_iface_port_name(const char *uuid, char name[16]);
void agent_tunnel_port_name(const char *remote, char name[16]);

/* The UUID of router 'router''s port in network 'network', or NULL. */
const char *agent_router_port_uuid(const struct replica *fabric,
                                   const char *router, const char *network);

/* The UUID of guest 'guest''s interface 'iface' in 'fabric', or NULL. */
const char *agent_iface_uuid(const struct replica *fabric, const char *guest,
                             const char *iface);

/* The same for many look-ups: every guest interface of 'fabric', sorted
 * by guest and interface name, valid while 'fabric' does not change. */
struct agent_iface_index;
struct agent_iface_index *
agent_iface_index_create(const struct replica *fabric);
void agent_iface_index_destroy(struct agent_iface_index *);
const char *agent_iface_index_find(const struct agent_iface_index *,
                                   const char *guest, const char *iface);

#endif /* agent-desired.h */
