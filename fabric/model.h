/* model: the desired state of a lab, as plain C structures.
 *
 * A topology file (topology.h) parses into a 'struct fabric_model'; the
 * fabric DB (dbmodel.h) stores one and reads one back.  The model is the
 * meeting point of the two: every field here has a column in
 * ovsdb/fabric.ovsschema, and docs/topology.md documents the file syntax
 * that sets it.
 *
 * Rules of this module:
 * - Plain data: every string is owned by the structure holding it; arrays
 *   are owned with their counts.  fabric_model_destroy() frees everything.
 * - A model that came out of topology_load() is valid and complete: every
 *   default is filled in (VLANs, VNIs, MACs, MTUs), every reference is
 *   resolved to an index into the referenced array, and the arrays are
 *   sorted by name, so that two loads of the same file are identical.
 * - Addresses are kept as text in their canonical form ("172.16.0.1/24" for
 *   interface addresses with a prefix, "172.16.0.254" for single
 *   addresses) and MACs as lower-case "xx:xx:xx:xx:xx:xx".
 */
#ifndef FABRIC_MODEL_H
#define FABRIC_MODEL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* GENEVE over IPv4 with one 8-byte option: 14 (inner Ethernet) + 8
 * (GENEVE) + 8 (option) + 8 (UDP) + 20 (IPv4). */
#define FABRIC_ENCAP_OVERHEAD 58
#define FABRIC_DEFAULT_UNDERLAY_MTU 1500

enum fabric_net_mode {
    FABRIC_NET_ISOLATED,
    FABRIC_NET_ROUTED,
    FABRIC_NET_NAT
};
enum fabric_router_kind { FABRIC_ROUTER_FLOWS, FABRIC_ROUTER_VM };
/* A guest's kind: a network namespace fabricd makes, a VM fabricd runs,
 * or a port that something else plugs into the integration bridge (a
 * container runtime, a VM outside fabric, a test) and fabricd binds by
 * its iface-id. */
enum fabric_guest_kind {
    FABRIC_GUEST_NETNS,
    FABRIC_GUEST_VM,
    FABRIC_GUEST_PORT
};
enum fabric_vlan_mode { FABRIC_VLAN_ACCESS, FABRIC_VLAN_TRUNK };
enum fabric_proto { FABRIC_PROTO_TCP, FABRIC_PROTO_UDP };
/* When fabricd starts a VM again that is not running: 'on-failure' after
 * QEMU crashed or failed to start, 'always' also after a shutdown inside
 * the guest or a destroy from outside, 'never' not at all. */
enum fabric_restart {
    FABRIC_RESTART_ON_FAILURE,
    FABRIC_RESTART_ALWAYS,
    FABRIC_RESTART_NEVER
};

const char *fabric_net_mode_name(enum fabric_net_mode);
const char *fabric_router_kind_name(enum fabric_router_kind);
const char *fabric_guest_kind_name(enum fabric_guest_kind);
const char *fabric_vlan_mode_name(enum fabric_vlan_mode);
const char *fabric_restart_name(enum fabric_restart);
const char *fabric_proto_name(enum fabric_proto);

/* A string -> string map (external_ids, DHCP options, ...). */
struct fabric_smap {
    char **keys;
    char **values;
    size_t n;
};

struct fabric_host {
    char *name;
    char *underlay_ip; /* IPv4 address, or NULL for a one-host lab. */
    char *encap;       /* "geneve". */
    int underlay_mtu;  /* Default 1500. */
    struct fabric_smap external_ids;
    bool registered; /* Status, not desired state: set only by
                      * dbmodel_read() when an agent reports on this
                      * host (nonzero heartbeat); topology files never
                      * set it.  Apply and destroy never delete a
                      * registered host (plan.h, dbmodel.h). */
};

struct fabric_route {
    char *prefix; /* "10.0.0.0/8" or "default" written as "0.0.0.0/0". */
    char *via;    /* Next hop address. */
};

/* A port forward of a nat network: connections to port 'host_port' of the
 * host that runs guest 'guest' go to port 'port' of the guest's address
 * in the network (its interface's first address there). */
struct fabric_forward {
    enum fabric_proto proto;
    int host_port; /* 1..65535; unique per protocol in the lab. */
    size_t guest;  /* Index into model->guests. */
    int port;      /* 1..65535. */
};

/* An uplink: the network bridged onto interface 'interface' of host
 * 'host', untagged ('vlan' 0, the interface is then the network's alone)
 * or on VLAN 'vlan' (the network's frames carry that tag on the
 * interface, which keeps its addresses, untagged traffic and other
 * VLANs). */
struct fabric_uplink {
    size_t host;     /* Index into model->hosts. */
    char *interface; /* A Linux interface name, at most 15 characters. */
    int vlan;        /* 1..4094, or 0 for untagged. */
};

struct fabric_network {
    char *name;
    char *subnet; /* "172.16.0.0/24". */
    enum fabric_net_mode mode;
    int vlan;      /* 1..4094, unique in the lab. */
    int vni;       /* 1..16777215, unique in the lab. */
    int mtu;       /* Guest MTU. */
    char *gateway; /* The router port address in this network, or NULL. */
    bool dhcp;
    char *host_ip; /* Modes nat and routed: the address of every host's
                    * gateway port in the network, without prefix
                    * ("172.16.0.1"); NULL for an isolated network. */
    struct fabric_forward *forwards; /* Mode nat only; sorted by protocol,
                                      * then host port. */
    size_t n_forwards;
    struct fabric_uplink *uplinks; /* At most one (a second would close a
                                    * loop through the outside network). */
    size_t n_uplinks;
    struct fabric_smap external_ids;
};

/* A virtual machine's settings, for guests and routers of kind vm (all
 * zero for the other kinds). */
struct fabric_vm {
    int vcpus;                       /* Default 1. */
    int memory_mb;                   /* Default 512. */
    char *image;                     /* Base disk image, or NULL. */
    char *kernel, *initrd, *cmdline; /* Direct kernel boot, or NULL. */
    char *user_data;                 /* cloud-init user-data, or NULL. */
    enum fabric_restart restart;
};

struct fabric_router_port {
    size_t network; /* Index into model->networks. */
    char *ip;       /* Address with the network's prefix: "172.16.0.254/24". */
    char *mac;
};

struct fabric_router {
    char *name;
    enum fabric_router_kind kind;
    size_t host; /* Index into model->hosts (meaningful for kind vm). */
    bool has_host;
    struct fabric_router_port *ports;
    size_t n_ports;
    struct fabric_vm vm;
    struct fabric_smap external_ids;
};

struct fabric_interface {
    char *name;     /* "eth0", "eth1", ... by position by default. */
    size_t network; /* Index into model->networks (access mode). */
    char *mac;
    char **addresses; /* "172.16.0.1/24", ... */
    size_t n_addresses;
    char *gateway; /* Default gateway address, or NULL. */
    struct fabric_route *routes;
    size_t n_routes;
    enum fabric_vlan_mode vlan_mode;
    size_t *trunks; /* Network indexes carried by a trunk. */
    size_t n_trunks;
    bool port_security; /* Default true. */
    int mtu;            /* Default: the network's MTU. */
    char *iface_id;     /* Guests of kind port: the external_ids:iface-id of
                         * the port to bind, or NULL for the interface's row
                         * UUID in the fabric DB. */
};

struct fabric_guest {
    char *name;
    size_t host; /* Index into model->hosts. */
    enum fabric_guest_kind kind;
    struct fabric_vm vm;
    struct fabric_interface *interfaces;
    size_t n_interfaces;
    struct fabric_smap external_ids;
};

struct fabric_model {
    char *name; /* The lab's name. */
    struct fabric_host *hosts;
    size_t n_hosts;
    struct fabric_network *networks;
    size_t n_networks;
    struct fabric_router *routers;
    size_t n_routers;
    struct fabric_guest *guests;
    size_t n_guests;
};

void fabric_model_destroy(struct fabric_model *model);

/* Returns forward 'f' of 'model' as text (a new string), the way the
 * fabric DB stores it: "PROTO:HOST_PORT:GUEST:PORT", "tcp:8080:web:80". */
char *fabric_forward_format(const struct fabric_model *model,
                            const struct fabric_forward *f);
/* Returns uplink 'u' of 'model' as text (a new string), the way the
 * fabric DB stores it: "HOST:INTERFACE:VLAN", or "HOST:INTERFACE" when
 * untagged. */
char *fabric_uplink_format(const struct fabric_model *model,
                           const struct fabric_uplink *u);
/* qsort() order of uplinks: by host, interface, then VLAN. */
int fabric_uplink_compare(const void *a, const void *b);
void fabric_vm_clear(struct fabric_vm *vm);

/* Index of the object named 'name', or -1. */
long fabric_model_find_host(const struct fabric_model *, const char *name);
long fabric_model_find_network(const struct fabric_model *, const char *name);

void fabric_smap_add(struct fabric_smap *smap, const char *key,
                     const char *value);
const char *fabric_smap_get(const struct fabric_smap *smap, const char *key);
void fabric_smap_clear(struct fabric_smap *smap);

#endif /* model.h */
