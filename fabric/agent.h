/* agent: fabricd's reconcile loop for one host.
 *
 * Inputs: the fabric DB (desired state, through an OVSDB client replica),
 * the host's Open_vSwitch DB (through another), and the namespaces the
 * agent made.  Outputs: the integration bridge and its ports and tunnels
 * (controllers/ovs-bridge), namespace guests (controllers/netns), and the
 * host's status in the fabric DB.
 *
 * Rules of this module:
 * - Reconcile, never script: client callbacks only mark the agent dirty;
 *   one deferred run computes what the host should hold
 *   (agent-desired.h) from the current inputs and applies the difference.
 *   A restart, a reconnection or a half-done run converges the same way.
 * - A run reads the lab and computes what the host should hold again only
 *   when an input changed since (agent-inputs.h), or after a new
 *   connection to the fabric DB; the agents' status writes (heartbeats,
 *   applied generations, guest states) and ovs-vswitchd's statistics
 *   bring no run at all.
 * - Namespace guests cost commands to inspect, so a run looks at them
 *   only when what they should be has changed, after a failure, when
 *   asked (control socket), and every 30 s to repair drift; the bridge,
 *   read from the replica, is compared on every run.
 * - While the fabric DB is not synchronized the agent changes nothing: the
 *   data plane stays as it is, and the agent resyncs when the DB is back.
 * - The agent owns what carries its marker (external_ids:fabric-owner on
 *   OVSDB rows; for namespaces, its prefix and a line in
 *   RUNDIR/namespaces, written before the namespace is made) and never
 *   touches anything else.  Agents that share one machine's namespace
 *   list (the test bed) need different prefixes.
 * - The underlay: with an underlay interface (--underlay-interface) the
 *   agent also owns an OVS bridge that carries the host's underlay IP
 *   (controllers/underlay.h), with owner "fabric-underlay", wanted while
 *   the host holds something of the lab (a guest, a port or a tunnel) and
 *   its Host row has an underlay IP; otherwise (the lab destroyed, or the
 *   host gone from it) the addresses go back onto the interface and the
 *   bridge goes away.  Its state file lives in the rundir.  Like the
 *   guests, the underlay's addresses are inspected only when something
 *   changed (what is wanted, the bridge's interface in the Open_vSwitch
 *   DB), after a failure, when asked, and every 30 s.  Without the option
 *   the agent never touches the underlay.
 * - VMs (agent-vms.h): guests and routers of kind vm placed here are
 *   libvirt domains, reconciled when what they should be changed, when
 *   libvirt reports a lifecycle event, after a failure, when asked, and
 *   every 30 s; only once the integration bridge exists, since libvirt
 *   plugs their ports into it.  Their states go to the Guest and Router
 *   rows' 'state' and 'state_reason'.
 * - Gateways (networks of mode nat and routed, agent-desired.h): once
 *   their OVS internal ports have OpenFlow numbers, the host kernel's side
 *   (controllers/gateway.h: address, MAC, IPv4 forwarding with its old
 *   value kept in RUNDIR/ip_forward) and the nat table
 *   (controllers/nat-table.h: `table ip fabric`, owned by name), looked at
 *   when what they should be changed, after a failure, when asked, and
 *   every 30 s.  With no gateway left, forwarding goes back and the table
 *   goes away; other tables and rules of the host are never touched.
 * - Status: the Host row's applied_generation is written only after a run
 *   applied everything of that generation without error; heartbeat is
 *   written every AGENT_HEARTBEAT_MS; 'error' holds the last error in
 *   words, or is empty.
 */
#ifndef FABRIC_AGENT_H
#define FABRIC_AGENT_H 1

#include <stdbool.h>

#include "tls.h"

struct event_base;
struct agent;
struct json_t;

#define AGENT_HEARTBEAT_MS 1000

struct agent_options {
    const char *db;                 /* Fabric DB remote(s). */
    const char *ovsdb;              /* Local Open_vSwitch DB remote. */
    const char *host;               /* This host's name in the lab. */
    const char *bridge;             /* Integration bridge (default br-int). */
    const char *datapath;           /* "auto", "system" or "netdev". */
    const char *netns_prefix;       /* Prefix of guest namespaces. */
    const char *rundir;             /* Control socket and state. */
    const char *underlay_interface; /* Underlay NIC the agent bridges, or
                                     * NULL when the underlay IP is already
                                     * in place. */
    const char *underlay_bridge;    /* That bridge (default
                                     * "br-underlay"). */
    const char *pipeline;           /* "flows" (default): fabric's OpenFlow
                                     * pipeline; "normal": NORMAL switching
                                     * with VLAN tags. */
    const char *ovs_rundir;         /* Where ovs-vswitchd keeps BRIDGE.mgmt
                                     * (default $OVS_RUNDIR, else
                                     * /var/run/openvswitch). */
    const char *libvirt;            /* libvirt URI (default qemu:///system). */
    const char *vm_dir;             /* VMs' files (default
                                     * /var/lib/fabric/vms). */
    const char *domain_type;        /* "auto" (default), "kvm" or "qemu". */
    const char *dns_upstream;       /* Resolver for names outside the lab
                                     * ("IP[:PORT]"), or NULL for
                                     * /etc/resolv.conf's first. */
    struct ovsdb_tls_config tls;
};

int agent_create(struct event_base *base, const struct agent_options *o,
                 struct agent **agentp);
void agent_destroy(struct agent *agent);

/* Asks for a full reconcile now: the lab read again, every guest
 * inspected, every flow installed again. */
void agent_force_reconcile(struct agent *agent);

/* A JSON object describing the agent (new reference): host, generation
 * applied, last error, owned ports, namespaces and tunnels, and with an
 * underlay interface the underlay's device, bridge, state ("moved",
 * "pending", "removed" or "error") and the number of commands the agent
 * ran on it since it started; with the pipeline, its flows ("count",
 * and the counters of agent_flows_stats()). */
struct json_t *agent_status_json(const struct agent *agent);

/* The console socket of VM guest or router 'name' on this host, or
 * NULL. */
const char *agent_vm_console(const struct agent *agent, const char *name);

/* Picks the datapath type for 'datapath' ("auto": "system" when the
 * openvswitch kernel module is loaded, else "netdev"). */
const char *agent_pick_datapath(const char *datapath);

#endif /* agent.h */
