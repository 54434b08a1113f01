/* pipeline: fabric's OpenFlow pipeline for one host, as text.
 *
 * fabricd installs on its integration bridge (fail_mode secure) the flows
 * that pipeline_flows() writes for its host, in one OpenFlow bundle: all of
 * them (`ovs-ofctl --bundle replace-flows`) on start and after drift, only
 * those that changed (fabric/flow-diff.h) otherwise.  The pipeline classifies
 * every frame into a network (its VNI in a register), enforces port
 * security, answers ARP for known addresses, routes between the networks
 * of `flows` routers on the host the frame came from, and delivers known
 * unicast to a local port or through the GENEVE tunnel to the right host.
 * docs/pipeline.md is the table map: what each table matches, which
 * registers carry what, and which object each flow belongs to.
 *
 * Rules of this module:
 * - Pure: a function of the lab model, this host's name and the OpenFlow
 *   port numbers the caller looked up; no I/O.  Tests compare its output
 *   for example labs with golden files.
 * - Flows that need a port (classification and delivery for a local
 *   interface, delivery through a tunnel) exist only once the port is
 *   bound (an OpenFlow port number > 0).  Flows that only need the model
 *   (ARP answers, routes) exist as soon as the model says so, so that
 *   binding a port adds flows without changing others.
 * - Output is one flow per line, in the syntax that ovs-ofctl
 *   add-flows/replace-flows reads, sorted by table, then priority (highest
 *   first), then match and actions text.  The same inputs always give the
 *   same text.  Two flows with the same table, priority and match cannot
 *   coexist in a switch: only the first in that order is written.
 * - Every flow's cookie names the object that made it: the high byte is
 *   the object's kind (enum pipeline_cookie_kind), the low 56 bits the
 *   FNV-1a 64-bit hash of the object's name (see pipeline_cookie()).
 *   pipeline_cookie_describe() turns a cookie back into the object's name.
 * - Frames are switched only to MACs the model knows (guest interfaces
 *   and router ports, and the gateway ports of nat and routed networks):
 *   no MAC learning.  Unknown unicast is dropped, except in a network
 *   with an uplink, where it goes to the uplink: the MACs outside are not
 *   known, and only the uplink leads to them.
 * - An uplink's port (a host's interface) is a local port of its network
 *   without port security, untagged or on the uplink's VLAN (the tag is
 *   taken off on the way in and put on on the way out); its host counts as
 *   a host with a port in the network (tunnels, floods), and every other
 *   host with a port in the network sends its unknown unicast through the
 *   tunnel to the uplink's host.
 * - A gateway port (gateway-names.h) belongs to its host alone: frames for
 *   its MAC are delivered to the local port and never sent through a
 *   tunnel, ARP for the network's host_ip is answered on every host with
 *   that MAC, and broadcasts from it stay on the host.
 */
#ifndef CONTROLLERS_PIPELINE_H
#define CONTROLLERS_PIPELINE_H 1

#include <stdint.h>

struct fabric_model;

/* The tables, in the order a frame goes through them. */
#define PIPELINE_TABLE_CLASSIFY 0 /* Ingress: port security, network. */
#define PIPELINE_TABLE_ARP 10     /* ARP responder. */
#define PIPELINE_TABLE_ROUTER 20  /* Distributed router: ping, routes. */
#define PIPELINE_TABLE_NEXTHOP 30 /* Routed IPv4: destination MAC. */
#define PIPELINE_TABLE_L2 40      /* Delivery: local port or tunnel. */

/* The registers.  PIPELINE_REG_NET holds the VNI of the frame's network
 * from classification on (a router rewrites it to the destination
 * network's); PIPELINE_REG_FLAGS holds where the frame came from. */
#define PIPELINE_REG_NET "reg6"
#define PIPELINE_REG_FLAGS "reg7"
#define PIPELINE_FLAG_LOCAL 0x1   /* From a local guest or router port. */
#define PIPELINE_FLAG_TUNNEL 0x2  /* From a tunnel to another host. */
#define PIPELINE_FLAG_GATEWAY 0x4 /* From a gateway port (with LOCAL). */

/* What made a flow: the high byte of its cookie. */
enum pipeline_cookie_kind {
    PIPELINE_COOKIE_NETWORK = 1, /* Name: the network's. */
    PIPELINE_COOKIE_IFACE = 2,   /* Name: "GUEST/IFACE". */
    PIPELINE_COOKIE_ROUTER = 3,  /* A router port; "ROUTER/NETWORK". */
    PIPELINE_COOKIE_TUNNEL = 4,  /* Name: the remote host's. */
    PIPELINE_COOKIE_DEFAULT = 5, /* A table's default flow; its name. */
    PIPELINE_COOKIE_GATEWAY = 6, /* A gateway port; the network's name. */
    PIPELINE_COOKIE_UPLINK = 7,  /* An uplink; the network's name. */
};

/* The OpenFlow port numbers of this host's integration bridge, as the
 * caller knows them.  Each function returns the port number (> 0) or 0
 * (or any number <= 0) when that port is not bound yet; a NULL function
 * means that no port of that kind is bound.  'aux' is passed to each. */
struct pipeline_ports {
    /* The port of interface 'iface' of guest 'guest' (on this host). */
    long (*iface)(const char *guest, const char *iface, void *aux);
    /* The port of router 'router''s interface in network 'network', for
     * routers of kind vm placed on this host. */
    long (*router_port)(const char *router, const char *network, void *aux);
    /* The GENEVE port towards host 'remote' (key=flow). */
    long (*tunnel)(const char *remote, void *aux);
    void *aux;
    /* The gateway port of network 'network' (modes nat and routed). */
    long (*gateway)(const char *network, void *aux);
    /* The port of the uplink of network 'network' (on this host). */
    long (*uplink)(const char *network, void *aux);
};

/* Returns the flows (a new string, one flow per line, each ending in a
 * new-line) that host 'host' needs for 'model' (borrowed, as made by
 * topology_load_*() or dbmodel_read()), with the port numbers that
 * 'ports' gives ('ports' may be NULL: nothing is bound).  When 'host' is
 * not in 'model', returns only the tables' default flows (everything is
 * dropped). */
char *pipeline_flows(const struct fabric_model *model, const char *host,
                     const struct pipeline_ports *ports);

/* Returns the cookie of the object of kind 'kind' named 'name' (see enum
 * pipeline_cookie_kind for the names), as pipeline_flows() sets it: for
 * `ovs-ofctl dump-flows BRIDGE cookie=COOKIE/-1`. */
uint64_t pipeline_cookie(enum pipeline_cookie_kind kind, const char *name);

/* The cookie of the object of 'kind' named "'a'/'b'" (a guest interface
 * "GUEST/IFACE", a router port "ROUTER/NETWORK"). */
uint64_t pipeline_cookie_pair(enum pipeline_cookie_kind kind, const char *a,
                              const char *b);

/* Returns what made a flow with 'cookie' in 'model', as a new string:
 * "network NET", "guest GUEST IFACE", "router ROUTER NETWORK", "tunnel
 * HOST", "gateway NET", "uplink NET HOST:IFACE[:VLAN]" or "pipeline
 * TABLE" (a table's default flow), or
 * NULL when no object of 'model' has that cookie. */
char *pipeline_cookie_describe(const struct fabric_model *model,
                               uint64_t cookie);

/* Returns the name of table 'table' ("classify", "arp", "router",
 * "nexthop", "l2"), or NULL when the pipeline has no such table. */
const char *pipeline_table_name(int table);

#endif /* pipeline.h */
