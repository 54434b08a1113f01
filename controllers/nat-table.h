/* nat-table: the host's nftables rules of the lab's nat networks.
 *
 * A guest of a nat network reaches the world through its host's gateway
 * port (gateway-names.h): the host kernel masquerades its connections
 * behind the host's own address, lets the replies back in, refuses new
 * connections from outside except the network's port forwards, which it
 * DNATs to their guests.  All of this lives in one nftables table of
 * fabric's own, `table ip fabric`.
 *
 * Rules of this module:
 * - Ownership by name: the table named NAT_TABLE_NAME (family ip) is
 *   fabric's, created, replaced and deleted whole.  No other table, chain
 *   or rule of the host is read, changed or deleted, and nothing is added
 *   anywhere else.  (An accept in our table does not overrule a drop in
 *   another table's chain on the same hook: a host firewall that drops
 *   forwarded traffic must let the lab's through itself.)
 * - nat_table_text() is pure: the nft script for a set of networks, tested
 *   with golden files.  The script replaces the table atomically (one nft
 *   transaction: "table ip fabric" then "delete table ip fabric" then the
 *   new table), so a change never leaves a half-filled table.
 * - nat_table_sync() reconciles: it lists the table (`nft list table ip
 *   fabric`) and loads the script only when the listing differs from the
 *   one it read right after its own last load (a changed script, a table
 *   deleted or edited by hand, a restarted agent); with no networks it
 *   deletes the table if it exists.  Commands go through cmd.h, so a dry
 *   run (cmd_set_dry_run()) shows them.
 * - Per network with ports 'port' (the gateway port) and 'subnet':
 *     forward:     oifname PORT ct state established,related accept
 *                  oifname PORT ct status dnat accept
 *                  oifname PORT drop     (no new connection from outside)
 *     postrouting: ip saddr SUBNET oifname != PORT masquerade
 *                  ip saddr SUBNET oifname PORT ct status dnat masquerade
 *                  (a guest reaching a forward of its own network)
 *     prerouting and output, per forward:
 *                  fib daddr type local PROTO dport HOST_PORT
 *                  dnat to GUEST_IP:PORT
 */
#ifndef CONTROLLERS_NAT_TABLE_H
#define CONTROLLERS_NAT_TABLE_H 1

#include <stddef.h>

#include "model.h"

struct ovsdb_error;

#define NAT_TABLE_NAME "fabric"

struct nat_forward {
    enum fabric_proto proto;
    int host_port;
    char *guest_ip; /* Without prefix. */
    int port;
};

struct nat_network {
    char *name;
    char *subnet; /* "192.168.50.0/24". */
    char *port;   /* The gateway port, "fgXXXXXXXX". */
    struct nat_forward *forwards;
    size_t n_forwards;
};

/* Returns the nft script (a new string) that makes table NAT_TABLE_NAME
 * hold the rules of the 'n' networks of 'nets' (n > 0), replacing
 * whatever it held. */
char *nat_table_text(const struct nat_network *nets, size_t n);

/* The state of the last sync (zero-initialize; free with
 * nat_table_state_clear()). */
struct nat_table_state {
    char *script;  /* What was loaded last, or NULL. */
    char *listing; /* `nft list table` right after it. */
};

void nat_table_state_clear(struct nat_table_state *state);

/* Makes the host's table match 'script' (from nat_table_text(), or NULL
 * for no table).  Stores in '*changesp' the number of nft loads or
 * deletes it ran.  Returns 0, or a negative errno with '*errorp' set. */
int nat_table_sync(struct nat_table_state *state, const char *script,
                   int *changesp, struct ovsdb_error **errorp);

/* Frees the strings and forwards of 'net'. */
void nat_network_clear(struct nat_network *net);

#endif /* nat-table.h */
