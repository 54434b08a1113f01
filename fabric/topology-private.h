/* topology-private: internals shared by the topology-*.c files.
 *
 * Loading a topology goes through four stages, one file each:
 *
 *   topology-tree.c   bytes -> a tree of 'struct topo_node' that keeps the
 *                     line and column of every key and value (libyaml's
 *                     event API; JSON is YAML flow syntax);
 *   topology-parse.c  tree -> 'struct ld_topology': every object's fields
 *                     read, typed and checked on their own;
 *   topology-check.c  checks between objects: names, references,
 *                     addresses, VLANs, VNIs, MACs, MTUs;
 *   topology-build.c  a checked 'struct ld_topology' -> the model: sorting
 *                     by name and deriving every default.
 *
 * Every stage reports problems through the topo_msg_*() functions of
 * topology-msg.c, one per kind of message, into a 'struct topo_ctx'; none
 * stops at the first problem except a syntax error, after which there is
 * no tree to look at.  Strings in the 'ld_*' structures are borrowed from
 * the tree unless said otherwise, so the tree outlives them.
 */
#ifndef FABRIC_TOPOLOGY_PRIVATE_H
#define FABRIC_TOPOLOGY_PRIVATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct topology_errors;

/* A position in the file, 1-based. */
struct topo_pos {
    int line;
    int column;
};

/* Limits of the file format (documented in docs/topology.md). */
#define TOPO_NAME_MAX 63   /* Names of hosts, networks, ... */
#define TOPO_IFNAME_MAX 15 /* Names of guest interfaces. */
#define TOPO_MIN_PLEN 8    /* Shortest prefix of a network subnet. */
#define TOPO_MAX_PLEN 30   /* Longest prefix of a network subnet. */
#define TOPO_MIN_MTU 68
#define TOPO_MIN_UNDERLAY_MTU 576
#define TOPO_MAX_UNDERLAY_MTU 9216
#define TOPO_VLAN_MAX 4094
#define TOPO_VLAN_AUTO_MIN 100 /* Derived VLANs lie in 100..4094. */
#define TOPO_VNI_MAX 16777215
#define TOPO_VNI_BASE 10000 /* Derived VNI = 10000 + VLAN. */
#define TOPO_MAX_VCPUS 1024
#define TOPO_MAX_MEMORY_MB 4194304
#define TOPO_DEFAULT_VCPUS 1
#define TOPO_DEFAULT_MEMORY_MB 512
#define TOPO_MAX_DEPTH 64           /* Nesting of lists and mappings. */
#define TOPO_MAX_ALIAS_NODES 250000 /* Nodes copied for YAML aliases. */
#define TOPO_DEFAULT_HOST "local"
#define TOPO_MAC_PREFIX 0x02fa00000000ULL

/* The tree (topology-tree.c). */

enum topo_node_type { TOPO_SCALAR, TOPO_SEQ, TOPO_MAP };

struct topo_node {
    enum topo_node_type type;
    struct topo_pos pos;
    char *scalar;            /* TOPO_SCALAR: the value, never NULL. */
    bool plain;              /* TOPO_SCALAR: unquoted and without !!str. */
    struct topo_node **kids; /* TOPO_SEQ: items; TOPO_MAP: key, value,
                              * key, value, ... */
    size_t n_kids;
};

/* Diagnostics being collected. */
struct topo_diag {
    struct topo_pos pos;
    size_t seq; /* Order of reporting, to sort stably. */
    char *text; /* "FILE:LINE:COLUMN: message". */
};

struct topo_ctx {
    const char *file;
    struct topo_diag *diags;
    size_t n_diags;
    size_t allocated;
};

void topo_ctx_init(struct topo_ctx *, const char *file);
void topo_ctx_destroy(struct topo_ctx *);
void topo_ctx_add(struct topo_ctx *, struct topo_pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses 'len' bytes at 'data'.  Returns 0 and a new tree in '*rootp'
 * (NULL for an empty file), or -EINVAL after reporting a syntax error.
 * Problems that do not prevent building the tree are reported to 'ctx'
 * too, and the tree is still returned. */
int topo_tree_parse(struct topo_ctx *, const char *data, size_t len,
                    struct topo_node **rootp);
void topo_node_free(struct topo_node *);

/* True if 'node' is YAML's null: an empty plain scalar, "~" or "null". */
bool topo_node_is_null(const struct topo_node *);

/* Addresses and hashes (topology-util.c). */

bool topo_parse_ipv4(const char *, uint32_t *ip);
/* Parses "A.B.C.D" (sets '*plen' to -1) or "A.B.C.D/N". */
bool topo_parse_ipv4_prefix(const char *, uint32_t *ip, int *plen);
bool topo_parse_mac(const char *, uint64_t *mac);
uint32_t topo_mask(int plen);
char *topo_format_ipv4(uint32_t ip);                /* New string. */
char *topo_format_prefix(uint32_t ip, int plen);    /* New string. */
char *topo_format_mac(uint64_t mac);                /* New string. */
uint32_t topo_hash32(const char *a, const char *b); /* FNV-1a of "a/b". */
bool topo_valid_name(const char *, size_t max_len);
/* An iface-id: 1 to TOPO_IFACE_ID_MAX printable ASCII characters, no
 * space. */
#define TOPO_IFACE_ID_MAX 128
bool topo_valid_iface_id(const char *);
void *topo_xrealloc(void *, size_t n, size_t size);
/* Returns 'array', which holds 'n' elements of 'size' bytes and was only
 * ever grown by this function, with room for one more: the capacity
 * doubles whenever 'n' reaches a power of 2. */
void *topo_grow(void *array, size_t n, size_t size);
char *topo_xstrdup(const char *);

/* An open-addressing hash index from a string or a 64-bit key to a size_t,
 * for name lookups and duplicate detection.  String keys are borrowed. */
struct topo_index_slot {
    uint64_t hash;
    const char *key; /* NULL for a 64-bit key. */
    size_t value;
    bool used;
};

struct topo_index {
    struct topo_index_slot *slots;
    size_t n;
    size_t allocated; /* A power of 2, or 0. */
};

void topo_index_destroy(struct topo_index *);
bool topo_index_find_str(const struct topo_index *, const char *key,
                         size_t *valuep);
void topo_index_add_str(struct topo_index *, const char *key, size_t value);
bool topo_index_find_u64(const struct topo_index *, uint64_t key,
                         size_t *valuep);
void topo_index_add_u64(struct topo_index *, uint64_t key, size_t value);

/* The objects of a topology while it is checked (topology-parse.c). */

/* An address as written, with or without a prefix length. */
struct ld_addr {
    const char *text; /* NULL if absent. */
    struct topo_pos pos;
    uint32_t ip;
    int plen; /* -1 if written without "/N". */
    bool ok;  /* Syntax is valid. */
};

struct ld_host {
    char *what; /* "host hv1" (owned). */
    struct topo_pos pos;
    const char *name; /* As written; NULL if missing. */
    bool name_ok;     /* 'name' is a valid name. */
    struct topo_pos name_pos;
    struct ld_addr underlay;
    bool underlay_given; /* Present, even if not valid. */
    int underlay_mtu;
    struct fabric_smap external_ids; /* Owned. */
};

struct ld_network {
    char *what; /* Owned. */
    struct topo_pos pos;
    const char *name; /* As written; NULL if missing. */
    bool name_ok;     /* 'name' is a valid name. */
    struct topo_pos name_pos;
    struct ld_addr subnet; /* 'ok' only for a usable subnet. */
    enum fabric_net_mode mode;
    int vlan; /* 0 to derive. */
    struct topo_pos vlan_pos;
    int vni; /* 0 to derive. */
    struct topo_pos vni_pos;
    int mtu; /* 0 to derive. */
    struct topo_pos mtu_pos;
    bool dhcp;
    struct ld_addr host_ip;      /* The hosts' address (modes nat, routed). */
    char *host_ip_what;          /* "network NAME host_ip" (owned). */
    struct ld_forward *forwards; /* Owned. */
    size_t n_forwards;
    bool forwards_given; /* Present, even if not valid. */
    struct topo_pos forwards_pos;
    struct ld_uplink *uplinks; /* Owned. */
    size_t n_uplinks;
    struct fabric_smap external_ids; /* Owned. */

    /* Set by topology-check.c. */
    long router; /* Router with a port here, or -1. */
    long port;   /* That port, an index in its 'ports'. */
};

/* A port forward of a nat network. */
struct ld_forward {
    char *what; /* "network NAME forward #N" (owned). */
    struct topo_pos pos;
    enum fabric_proto proto;
    int host_port; /* 0 if missing or invalid. */
    struct topo_pos host_port_pos;
    int port; /* 0 to take the host port. */
    const char *guest;
    struct topo_pos guest_pos;
    long guest_idx; /* Resolved guest, or -1. */
};

/* An uplink of a network onto a host's interface. */
struct ld_uplink {
    char *what; /* "network NAME uplink #N" (owned). */
    struct topo_pos pos;
    const char *host; /* NULL if absent. */
    bool host_given;  /* Present, even if not valid. */
    struct topo_pos host_pos;
    long host_idx;         /* Resolved host, or -1. */
    const char *interface; /* Valid, or NULL. */
    struct topo_pos interface_pos;
    int vlan; /* 0 for untagged. */
};

struct ld_port {
    char *what; /* Owned. */
    struct topo_pos pos;
    const char *network;
    struct topo_pos network_pos;
    long net; /* Resolved network, or -1. */
    struct ld_addr ip;
    bool has_mac;
    uint64_t mac;
    struct topo_pos mac_pos;
};

/* A VM's settings as written (guests and routers of kind vm). */
struct ld_vm {
    int vcpus;     /* 0 to derive. */
    int memory_mb; /* 0 to derive. */
    const char *image, *kernel, *initrd, *cmdline, *user_data;
    int restart; /* enum fabric_restart. */
};

struct ld_router {
    char *what; /* Owned. */
    struct topo_pos pos;
    const char *name; /* As written; NULL if missing. */
    bool name_ok;     /* 'name' is a valid name. */
    struct topo_pos name_pos;
    enum fabric_router_kind kind;
    const char *host;
    bool host_given; /* Present, even if not valid. */
    struct topo_pos host_pos;
    long host_idx;         /* Resolved host, or -1. */
    struct ld_port *ports; /* Owned. */
    size_t n_ports;
    struct ld_vm vm;
    struct fabric_smap external_ids; /* Owned. */
};

enum ld_gateway { LD_GW_DEFAULT, LD_GW_NONE, LD_GW_ADDR };

struct ld_route {
    struct topo_pos pos;
    struct ld_addr to; /* "default" parses as 0.0.0.0/0. */
    struct ld_addr via;
};

struct ld_trunk {
    const char *network;
    struct topo_pos pos;
    long net;
};

struct ld_iface {
    char *what; /* Owned. */
    struct topo_pos pos;
    char *name; /* Owned; NULL if invalid. */
    struct topo_pos name_pos;
    bool has_name; /* Given explicitly. */
    const char *network;
    struct topo_pos network_pos;
    long net;
    struct ld_addr *addrs; /* Owned. */
    size_t n_addrs;
    bool has_mac;
    uint64_t mac;
    struct topo_pos mac_pos;
    enum ld_gateway gw;
    struct ld_addr gateway;
    struct ld_route *routes; /* Owned. */
    size_t n_routes;
    enum fabric_vlan_mode vlan_mode;
    struct ld_trunk *trunks; /* Owned. */
    size_t n_trunks;
    bool port_security;
    int mtu; /* 0 to derive. */
    struct topo_pos mtu_pos;
    const char *iface_id; /* As written; NULL if not given. */
    struct topo_pos iface_id_pos;
};

struct ld_guest {
    char *what; /* Owned. */
    struct topo_pos pos;
    const char *name; /* As written; NULL if missing. */
    bool name_ok;     /* 'name' is a valid name. */
    struct topo_pos name_pos;
    const char *host;
    bool host_given; /* Present, even if not valid. */
    struct topo_pos host_pos;
    long host_idx;
    enum fabric_guest_kind kind;
    struct ld_vm vm;
    struct ld_iface *ifaces; /* Owned. */
    size_t n_ifaces;
    struct fabric_smap external_ids; /* Owned. */
};

struct ld_topology {
    const char *name;
    struct topo_pos pos;
    int min_underlay_mtu;
    bool default_host;    /* No 'hosts': one host, "local". */
    bool hosts_broken;    /* 'hosts' is not a list. */
    bool networks_broken; /* 'networks' is not a list. */
    struct ld_host *hosts;
    size_t n_hosts;
    struct ld_network *networks;
    size_t n_networks;
    struct ld_router *routers;
    size_t n_routers;
    struct ld_guest *guests;
    size_t n_guests;
    int mtu_limit; /* Smallest underlay MTU minus overhead. */
};

/* Typed access to the fields of one mapping (topology-fields.c).  Each
 * reports a field with a problem and then treats it as absent; getters
 * return true if they stored a value. */
struct topo_obj {
    struct topo_ctx *ctx;
    const struct topo_node *map;    /* A TOPO_MAP. */
    const char *what;               /* Names the object in messages. */
    const struct ld_topology *topo; /* For the MTU limit. */
};

void topo_obj_check_keys(struct topo_obj *, const char *const *valid);
long topo_obj_find_key(const struct topo_obj *, const char *field);
const struct topo_node *topo_obj_find(const struct topo_obj *,
                                      const char *field);
struct topo_pos topo_obj_key_pos(const struct topo_obj *, const char *field);
void topo_obj_require(struct topo_obj *, const char *field);
bool topo_obj_string(struct topo_obj *, const char *field, const char **valuep,
                     struct topo_pos *posp);
bool topo_obj_int(struct topo_obj *, const char *field, int min, int max,
                  int *valuep, struct topo_pos *posp);
bool topo_obj_mtu(struct topo_obj *, const char *field, int *valuep,
                  struct topo_pos *posp);
bool topo_obj_bool(struct topo_obj *, const char *field, bool *valuep);
bool topo_obj_enum(struct topo_obj *, const char *field,
                   const char *const *names, int *valuep);
const struct topo_node *topo_obj_list(struct topo_obj *, const char *field);
void topo_obj_smap(struct topo_obj *, const char *field, struct fabric_smap *);
char *topo_obj_name(struct topo_obj *, const char *kind, size_t index,
                    const char **namep, bool *okp, struct topo_pos *posp);
void topo_obj_mac(struct topo_obj *, const char *field, bool *hasp,
                  uint64_t *macp, struct topo_pos *posp);
const struct topo_node *topo_obj_string_list(struct topo_obj *,
                                             const char *field);
void topo_obj_for_each_map(struct topo_obj *, const char *field,
                           void (*parse)(struct topo_obj *,
                                         const struct topo_node *, size_t,
                                         void *),
                           void *aux);

void topo_parse(struct topo_ctx *, const struct topo_node *root,
                struct ld_topology *);
void topo_check(struct topo_ctx *, struct ld_topology *);
struct fabric_model *topo_build(struct topo_ctx *, const struct ld_topology *);
void topo_ld_destroy(struct ld_topology *);

/* Messages (topology-msg.c): one function per kind of problem, each
 * writing one whole sentence.  'what' names the object ("network
 * network1", "guest host01 interface eth0"); values that come from the
 * file are clipped and made printable before they are shown. */

void topo_msg_syntax(struct topo_ctx *, struct topo_pos, const char *problem,
                     const char *context, struct topo_pos context_pos);
void topo_msg_too_deep(struct topo_ctx *, struct topo_pos);
void topo_msg_alias_budget(struct topo_ctx *, struct topo_pos);
void topo_msg_unknown_anchor(struct topo_ctx *, struct topo_pos,
                             const char *anchor);
void topo_msg_nul(struct topo_ctx *, struct topo_pos);
void topo_msg_second_document(struct topo_ctx *, struct topo_pos);
void topo_msg_empty(struct topo_ctx *);
void topo_msg_top_type(struct topo_ctx *, const struct topo_node *);
void topo_msg_key_type(struct topo_ctx *, const char *what,
                       const struct topo_node *key);
void topo_msg_unknown_field(struct topo_ctx *, const char *what,
                            const struct topo_node *key,
                            const char *const *valid);
void topo_msg_duplicate_key(struct topo_ctx *, const char *what,
                            const struct topo_node *key,
                            const struct topo_node *first);
void topo_msg_type(struct topo_ctx *, const char *what, const char *field,
                   const char *expected, const struct topo_node *value);
void topo_msg_item_type(struct topo_ctx *, const char *what, const char *field,
                        size_t index, const char *expected,
                        const struct topo_node *item);
void topo_msg_missing(struct topo_ctx *, struct topo_pos, const char *what,
                      const char *field);
void topo_msg_missing_multihost(struct topo_ctx *, struct topo_pos,
                                const char *what, const char *field,
                                size_t n_hosts);
void topo_msg_bad_name(struct topo_ctx *, struct topo_pos, const char *what,
                       const char *name, size_t max_len);
void topo_msg_duplicate_name(struct topo_ctx *, struct topo_pos,
                             const char *owner, const char *kind,
                             const char *name, struct topo_pos first);
void topo_msg_range(struct topo_ctx *, struct topo_pos, const char *what,
                    const char *field, const char *value, long long min,
                    long long max);
void topo_msg_enum(struct topo_ctx *, struct topo_pos, const char *what,
                   const char *field, const char *value,
                   const char *const *valid);
void topo_msg_bad_ipv4(struct topo_ctx *, struct topo_pos, const char *what,
                       const char *field, const char *value);
void topo_msg_bad_ifaddr(struct topo_ctx *, struct topo_pos, const char *what,
                         const char *value);
void topo_msg_bad_prefix(struct topo_ctx *, struct topo_pos, const char *what,
                         const char *field, const char *value);
void topo_msg_host_bits(struct topo_ctx *, struct topo_pos, const char *what,
                        const char *field, const char *value, uint32_t ip,
                        int plen);
void topo_msg_subnet_length(struct topo_ctx *, struct topo_pos,
                            const char *what, const char *value, int plen);
void topo_msg_overlap(struct topo_ctx *, struct topo_pos, const char *what,
                      const char *subnet, const char *other_subnet,
                      const char *other, struct topo_pos other_pos);
void topo_msg_outside(struct topo_ctx *, struct topo_pos, const char *what,
                      const char *field, const char *value,
                      const char *network, const char *subnet);
void topo_msg_network_address(struct topo_ctx *, struct topo_pos,
                              const char *what, const char *field,
                              const char *value, const char *network,
                              const char *subnet);
void topo_msg_broadcast_address(struct topo_ctx *, struct topo_pos,
                                const char *what, const char *field,
                                const char *value, const char *network,
                                const char *subnet);
void topo_msg_prefix_mismatch(struct topo_ctx *, struct topo_pos,
                              const char *what, const char *value,
                              const char *network, const char *subnet);
void topo_msg_taken(struct topo_ctx *, struct topo_pos, const char *what,
                    const char *label, const char *value, const char *owner,
                    struct topo_pos owner_pos);
void topo_msg_bad_mac(struct topo_ctx *, struct topo_pos, const char *what,
                      const char *value);
void topo_msg_multicast_mac(struct topo_ctx *, struct topo_pos,
                            const char *what, const char *mac);
void topo_msg_zero_mac(struct topo_ctx *, struct topo_pos, const char *what);
void topo_msg_unknown_ref(struct topo_ctx *, struct topo_pos, const char *what,
                          const char *kind, const char *name,
                          const char *const *names, size_t n_names);
void topo_msg_second_router_port(struct topo_ctx *, struct topo_pos,
                                 const char *what, const char *network,
                                 const char *router,
                                 struct topo_pos router_pos);
void topo_msg_gateway_self(struct topo_ctx *, struct topo_pos,
                           const char *what, const char *gateway);
void topo_msg_second_gateway(struct topo_ctx *, struct topo_pos,
                             const char *what, const char *other,
                             struct topo_pos other_pos);
void topo_msg_route_via(struct topo_ctx *, struct topo_pos, const char *what,
                        const char *via, const char *to, const char *guest);
void topo_msg_route_duplicate(struct topo_ctx *, struct topo_pos,
                              const char *what, const char *to,
                              struct topo_pos first);
void topo_msg_trunks_on_access(struct topo_ctx *, struct topo_pos,
                               const char *what);
void topo_msg_iface_id_kind(struct topo_ctx *, struct topo_pos,
                            const char *what);
void topo_msg_bad_iface_id(struct topo_ctx *, struct topo_pos,
                           const char *what, const char *value);
void topo_msg_trunks_empty(struct topo_ctx *, struct topo_pos,
                           const char *what);
void topo_msg_trunk_twice(struct topo_ctx *, struct topo_pos, const char *what,
                          const char *network);
void topo_msg_trunk_native(struct topo_ctx *, struct topo_pos,
                           const char *what, const char *network);
void topo_msg_mtu_limit(struct topo_ctx *, struct topo_pos, const char *what,
                        int mtu, int limit, int underlay_mtu);
void topo_msg_iface_mtu(struct topo_ctx *, struct topo_pos, const char *what,
                        int mtu, int network_mtu, const char *network);
void topo_msg_vm_only(struct topo_ctx *, struct topo_pos, const char *what,
                      const char *field, const char *kinds);
void topo_msg_needs_kernel(struct topo_ctx *, struct topo_pos,
                           const char *what, const char *field);
void topo_msg_ip_and_ips(struct topo_ctx *, struct topo_pos, const char *what);
void topo_msg_no_free(struct topo_ctx *, struct topo_pos, const char *what,
                      const char *label, long long min, long long max);
void topo_msg_needs_mode(struct topo_ctx *, struct topo_pos, const char *what,
                         const char *field, const char *modes,
                         const char *mode);
void topo_msg_second_uplink(struct topo_ctx *, struct topo_pos,
                            const char *what, struct topo_pos first);
void topo_msg_forward_no_address(struct topo_ctx *, struct topo_pos,
                                 const char *what, const char *guest,
                                 const char *network);

#endif /* topology-private.h */
