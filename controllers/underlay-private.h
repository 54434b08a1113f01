/* underlay-private: what the two halves of the underlay module share.
 *
 * underlay-plan.c parses what `ip -j` prints and the state file into the
 * shapes below, and computes from them what to do (a 'struct
 * underlay_plan': the commands to run, in order, and what becomes of the
 * state file).  Everything here is pure: no I/O.  underlay.c reads, runs
 * and writes.  Nothing outside the underlay module and its tests includes
 * this header.
 */
#ifndef CONTROLLERS_UNDERLAY_PRIVATE_H
#define CONTROLLERS_UNDERLAY_PRIVATE_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cmd;
struct ovsdb_error;
struct underlay_config;

/* An IPv4 address on an interface. */
struct underlay_addr {
    char *local;     /* "10.99.0.1". */
    int prefixlen;   /* 0..32. */
    char *broadcast; /* "10.99.0.255", or NULL. */
};

/* A route of the main table through one interface. */
struct underlay_route {
    char *dst;        /* "default", "10.0.0.0/8", "10.1.2.3". */
    char *gateway;    /* Or NULL. */
    char *protocol;   /* "static", "dhcp", ..., or NULL for "boot". */
    char *scope;      /* "link", "host", or NULL for "global". */
    char *prefsrc;    /* Or NULL. */
    long long metric; /* 0 when not given. */
    bool onlink;
};

/* What exists of one interface: its link, IPv4 addresses and the routes
 * through it (not those of protocol "kernel"). */
struct underlay_link {
    bool exists;
    bool up;
    int mtu;
    struct underlay_addr *addrs;
    size_t n_addrs;
    struct underlay_route *routes;
    size_t n_routes;
};

/* The state file: what was moved from 'dev' to 'bridge'. */
struct underlay_record {
    char *dev;
    char *bridge;
    struct underlay_addr *addrs;
    size_t n_addrs;
    struct underlay_route *routes;
    size_t n_routes;
};

/* An interface name the kernel and `ip` take as such: 1 to 15 bytes,
 * printable, without '/', ':', white space or a leading '-'. */
bool underlay_valid_ifname(const char *name);

/* Parsing.  Each fills an empty (zeroed) structure and returns 0, or
 * -EPROTO with '*errorp' set; either way the structure then needs its
 * destroy function. */

/* 'array' (borrowed) is what `ip -j address show dev NAME` printed. */
int underlay_link_parse(struct underlay_link *link, const json_t *array,
                        const char *name, struct ovsdb_error **errorp);
/* Adds to 'link' the routes of 'array' (borrowed; what `ip -j -4 route
 * show table main` printed) whose "dev" is 'name'. */
void underlay_link_parse_routes(struct underlay_link *link,
                                const json_t *array, const char *name);
void underlay_link_destroy(struct underlay_link *link);

/* 'json' (borrowed) is the state file's contents. */
int underlay_record_parse(struct underlay_record *record, const json_t *json,
                          struct ovsdb_error **errorp);
/* The state file's contents for 'record' (new reference). */
json_t *underlay_record_to_json(const struct underlay_record *record);
void underlay_record_destroy(struct underlay_record *record);

bool underlay_addr_equal(const struct underlay_addr *,
                         const struct underlay_addr *);
bool underlay_route_equal(const struct underlay_route *,
                          const struct underlay_route *);

/* What to do with the state file. */
enum underlay_record_op {
    UNDERLAY_RECORD_KEEP,   /* Leave it as it is. */
    UNDERLAY_RECORD_WRITE,  /* Write 'record' before running commands. */
    UNDERLAY_RECORD_REMOVE, /* Remove it after every command succeeded. */
};

struct underlay_plan {
    struct cmd **cmds; /* In order. */
    size_t n_cmds;
    enum underlay_record_op record_op;
    struct underlay_record record; /* With UNDERLAY_RECORD_WRITE. */
    bool bridge;                   /* See struct underlay_result. */
    bool pending;
};

/* Computes what to do for 'config' ('wanted' and 'underlay_ip' as for
 * underlay_reconcile()) from what exists of the device ('dev') and of the
 * bridge's interface ('br'), and from the state file ('record', NULL when
 * there is none; it must be for 'config''s device and bridge).  Fills
 * 'plan' (empty) and returns 0, or returns a negative errno with '*errorp'
 * set and 'plan' empty.  Either way 'plan' then needs
 * underlay_plan_destroy(). */
int underlay_plan_compute(const struct underlay_config *config, bool wanted,
                          const char *underlay_ip,
                          const struct underlay_link *dev,
                          const struct underlay_link *br,
                          const struct underlay_record *record,
                          struct underlay_plan *plan,
                          struct ovsdb_error **errorp);
void underlay_plan_destroy(struct underlay_plan *plan);

#endif /* underlay-private.h */
