/* netns-private: what the two halves of the netns module share.
 *
 * netns-parse.c checks a guest and puts it in canonical form (a 'struct
 * netns_want'), and parses what `ip -j` prints into the same shapes
 * (links, addresses, routes), so that netns.c compares like with like.
 * Everything here is pure: no I/O.  Nothing outside the netns module and
 * its tests includes this header.
 */
#ifndef CONTROLLERS_NETNS_PRIVATE_H
#define CONTROLLERS_NETNS_PRIVATE_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct netns_guest;
struct ovsdb_error;

/* Names, MACs and addresses. */

/* An interface name the kernel and `ip` take as such: 1 to 15 bytes,
 * printable, without '/', ':' or a leading '-'. */
bool netns_valid_ifname(const char *name);
/* A namespace name `ip netns` takes as such. */
bool netns_valid_name(const char *netns);

/* Stores the unicast MAC 'text' in lower case into 'mac'.  Returns false
 * if it is not one. */
bool netns_canon_mac(const char *text, char mac[18]);
/* Stores the peer's MAC for the guest MAC 'mac' into 'peer' (see the
 * rules in netns.h). */
void netns_peer_mac(const char mac[18], char peer[18]);

/* Parses 'text', an address with a prefix length ("10.0.0.1/8") or, when
 * 'host_ok', without one (taken as the full length), or "default" when
 * 'family' is nonzero.  With 'mask', clears the bits past the prefix
 * length (a route's destination).  A nonzero 'family' (AF_INET,
 * AF_INET6) must match.  Stores the canonical text into '*canonp' (a new
 * string; "default" for a masked prefix of length 0) and returns the
 * family, or returns 0 without storing anything if 'text' is not
 * valid. */
int netns_canon_prefix(const char *text, bool host_ok, bool mask,
                       int family, char **canonp);
/* Parses a single address 'text' into '*canonp' (a new string) and
 * returns its family, or returns 0 if it is not valid. */
int netns_canon_addr(const char *text, char **canonp);

/* Stores a new -EINVAL error with message 'fmt' into '*errorp' (when not
 * NULL) and returns -EINVAL. */
int netns_invalid(struct ovsdb_error **errorp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* 's', or "(null)". */
const char *netns_str_or_null(const char *s);

/* An address on an interface, wanted or existing. */
struct netns_addr {
    size_t iface;  /* Wanted: index of the interface in the guest. */
    char *dev;     /* Wanted: borrowed from the guest; existing: owned. */
    int family;    /* AF_INET or AF_INET6. */
    char *text;    /* Canonical "172.16.0.1/24". */
    bool managed;  /* Existing: removed when not wanted (not link-local,
                    * host-scope or autoconfigured). */
};

/* A route of the main table, wanted or existing. */
struct netns_route_entry {
    int family;    /* AF_INET or AF_INET6. */
    char *dst;     /* Canonical "default", "10.0.0.0/8". */
    char *gw;      /* Canonical gateway, or NULL. */
    char *dev;     /* Wanted: borrowed from the guest; existing: owned or
                    * NULL. */
    bool managed;  /* Removed when not wanted (not of protocol kernel, ra
                    * or dhcp). */
};

bool netns_route_equal(const struct netns_route_entry *,
                       const struct netns_route_entry *);

/* The guest, checked and in canonical form. */

struct netns_want_iface {
    char mac[18];      /* Empty for none. */
    char peer_mac[18]; /* Empty for none. */
};

struct netns_want {
    struct netns_want_iface *ifaces;  /* One per interface of the guest. */
    struct netns_addr *addrs;
    size_t n_addrs;
    struct netns_route_entry *routes; /* Gateways as "default" routes. */
    size_t n_routes;
};

/* Checks 'guest' and fills 'want' with its canonical form.  Returns 0, or
 * -EINVAL with '*errorp' set; either way 'want' then needs
 * netns_want_destroy(). */
int netns_want_init(const struct netns_guest *guest, struct netns_want *want,
                    struct ovsdb_error **errorp);
void netns_want_destroy(struct netns_want *want);

/* What exists. */

struct netns_link {
    char *name;
    int ifindex;
    int peer_ifindex;    /* The veth peer's index (in its namespace), or
                          * 0. */
    bool peer_elsewhere; /* The peer is in another namespace. */
    bool veth;
    bool up;
    int mtu;
    char mac[18];        /* Empty when unknown. */
    bool gone;           /* Deleted by this run: the find functions skip
                          * it. */
};

struct netns_links {
    struct netns_link *links;
    size_t n;
};

/* Fills 'links' (empty) from 'array' (borrowed), what `ip -j -d link show`
 * or `ip -j -d address show` printed. */
void netns_links_parse(struct netns_links *links, const json_t *array);
void netns_links_destroy(struct netns_links *links);
/* The link named 'name' that is not gone, or NULL. */
struct netns_link *netns_links_find(const struct netns_links *links,
                                    const char *name);
/* The veth of 'links' (another namespace's) that is the peer of 'l', or
 * NULL. */
struct netns_link *netns_links_find_peer(const struct netns_links *links,
                                         const struct netns_link *l);
/* Marks 'l', a link of 'links', as gone with its peer (a veth's peer goes
 * with it), which is in 'links' or, for a peer in another namespace, in
 * 'others' (may be NULL). */
void netns_links_mark_gone(struct netns_links *links, struct netns_link *l,
                           struct netns_links *others);

struct netns_addrs {
    struct netns_addr *addrs;
    size_t n;
};

/* Adds to 'addrs' the addresses in 'array' (borrowed), what `ip -j -d
 * address show` printed. */
void netns_addrs_parse(struct netns_addrs *addrs, const json_t *array);
void netns_addrs_destroy(struct netns_addrs *addrs);

struct netns_route_list {
    struct netns_route_entry *routes;
    size_t n;
};

/* Adds to 'routes' the routes in 'array' (borrowed), what `ip -j route
 * show` printed for 'family'. */
void netns_routes_parse(struct netns_route_list *routes,
                        const json_t *array, int family);
void netns_routes_destroy(struct netns_route_list *routes);

#endif /* netns-private.h */
