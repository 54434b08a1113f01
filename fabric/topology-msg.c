/* topology-msg: every message a topology load can report, one function per
 * kind (see topology-private.h).  Each writes one whole sentence after
 * "FILE:LINE:COLUMN: ", so that a user who sees a message can grep for it
 * here. */
#include "topology-private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest value, in characters, shown from the file. */
#define CLIP_CHARS 40
#define CLIP_SIZE (CLIP_CHARS * 4 + 4)

/* Copies 's' into 'buf' (CLIP_SIZE bytes) for quoting in a message: at most
 * CLIP_CHARS characters, then "...", with control characters as '?' so a
 * message stays on one line.  Returns 'buf'. */
static const char *
clip(const char *s, char *buf)
{
    size_t chars = 0, o = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xc0) != 0x80) {
            /* Start of a character. */
            if (chars == CLIP_CHARS) {
                memcpy(buf + o, "...", 3);
                o += 3;
                break;
            }
            chars++;
        }
        buf[o++] = *p < 0x20 || *p == 0x7f ? '?' : (char)*p;
    }
    buf[o] = '\0';
    return buf;
}

/* Describes 'node' for "must be X, not Y" messages into 'buf'
 * (CLIP_SIZE + 32 bytes). */
static const char *
describe(const struct topo_node *node, char *buf)
{
    char c[CLIP_SIZE];

    if (node->type == TOPO_SEQ) {
        return "a list";
    } else if (node->type == TOPO_MAP) {
        return "a mapping";
    } else if (topo_node_is_null(node)) {
        return "null";
    } else if (node->plain) {
        snprintf(buf, CLIP_SIZE + 32, "'%s'", clip(node->scalar, c));
    } else {
        snprintf(buf, CLIP_SIZE + 32, "the quoted string \"%s\"",
                 clip(node->scalar, c));
    }
    return buf;
}

/* Joins 'words' (NULL-terminated) with ", " into a new string. */
static char *
join(const char *const *words)
{
    size_t len = 1;
    for (size_t i = 0; words[i]; i++) {
        len += strlen(words[i]) + 2;
    }
    char *s = topo_xrealloc(NULL, len, 1);
    s[0] = '\0';
    for (size_t i = 0; words[i]; i++) {
        if (i) {
            strcat(s, ", ");
        }
        strcat(s, words[i]);
    }
    return s;
}

void
topo_msg_syntax(struct topo_ctx *ctx, struct topo_pos pos, const char *problem,
                const char *context, struct topo_pos context_pos)
{
    if (context) {
        topo_ctx_add(ctx, pos,
                     "not valid YAML or JSON: %s (%s at line %d, "
                     "column %d).",
                     problem, context, context_pos.line, context_pos.column);
    } else {
        topo_ctx_add(ctx, pos, "not valid YAML or JSON: %s.", problem);
    }
}

void
topo_msg_too_deep(struct topo_ctx *ctx, struct topo_pos pos)
{
    topo_ctx_add(ctx, pos,
                 "lists and mappings are nested deeper than %d levels.",
                 TOPO_MAX_DEPTH);
}

void
topo_msg_alias_budget(struct topo_ctx *ctx, struct topo_pos pos)
{
    topo_ctx_add(ctx, pos, "aliases expand to more than %d nodes.",
                 TOPO_MAX_ALIAS_NODES);
}

void
topo_msg_unknown_anchor(struct topo_ctx *ctx, struct topo_pos pos,
                        const char *anchor)
{
    char c[CLIP_SIZE];
    topo_ctx_add(ctx, pos,
                 "alias '*%s' refers to no anchor defined before it.",
                 clip(anchor, c));
}

void
topo_msg_nul(struct topo_ctx *ctx, struct topo_pos pos)
{
    topo_ctx_add(ctx, pos, "a string may not contain a NUL character.");
}

void
topo_msg_second_document(struct topo_ctx *ctx, struct topo_pos pos)
{
    topo_ctx_add(ctx, pos,
                 "a topology file holds one document, but a "
                 "second one starts here.");
}

void
topo_msg_empty(struct topo_ctx *ctx)
{
    struct topo_pos pos = {1, 1};
    topo_ctx_add(ctx, pos,
                 "the file is empty; a topology needs at least "
                 "'name' and 'networks'.");
}

void
topo_msg_top_type(struct topo_ctx *ctx, const struct topo_node *node)
{
    char d[CLIP_SIZE + 32];
    topo_ctx_add(ctx, node->pos,
                 "a topology must be a mapping of fields (name, hosts, "
                 "networks, routers, guests), not %s.",
                 describe(node, d));
}

void
topo_msg_key_type(struct topo_ctx *ctx, const char *what,
                  const struct topo_node *key)
{
    char d[CLIP_SIZE + 32];
    topo_ctx_add(ctx, key->pos, "%s: keys must be strings, not %s.", what,
                 describe(key, d));
}

void
topo_msg_unknown_field(struct topo_ctx *ctx, const char *what,
                       const struct topo_node *key, const char *const *valid)
{
    char c[CLIP_SIZE];
    char *list = join(valid);
    topo_ctx_add(ctx, key->pos,
                 "%s: unknown field '%s'; the valid fields are %s.", what,
                 clip(key->scalar, c), list);
    free(list);
}

void
topo_msg_duplicate_key(struct topo_ctx *ctx, const char *what,
                       const struct topo_node *key,
                       const struct topo_node *first)
{
    char c[CLIP_SIZE];
    topo_ctx_add(ctx, key->pos,
                 "%s: key '%s' appears twice; the first is at line %d, "
                 "column %d.",
                 what, clip(key->scalar, c), first->pos.line,
                 first->pos.column);
}

void
topo_msg_type(struct topo_ctx *ctx, const char *what, const char *field,
              const char *expected, const struct topo_node *value)
{
    char d[CLIP_SIZE + 32];
    char c[CLIP_SIZE];
    topo_ctx_add(ctx, value->pos, "%s: field '%s' must be %s, not %s.", what,
                 clip(field, c), expected, describe(value, d));
}

void
topo_msg_item_type(struct topo_ctx *ctx, const char *what, const char *field,
                   size_t index, const char *expected,
                   const struct topo_node *item)
{
    char d[CLIP_SIZE + 32];
    topo_ctx_add(ctx, item->pos, "%s: item %zu of '%s' must be %s, not %s.",
                 what, index + 1, field, expected, describe(item, d));
}

void
topo_msg_missing(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
                 const char *field)
{
    topo_ctx_add(ctx, pos, "%s: missing required field '%s'.", what, field);
}

void
topo_msg_missing_multihost(struct topo_ctx *ctx, struct topo_pos pos,
                           const char *what, const char *field, size_t n_hosts)
{
    topo_ctx_add(ctx, pos,
                 "%s: missing field '%s', required because the lab has "
                 "%zu hosts.",
                 what, field, n_hosts);
}

void
topo_msg_bad_name(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
                  const char *name, size_t max_len)
{
    char c[CLIP_SIZE];
    topo_ctx_add(ctx, pos,
                 "%s: name '%s' is not valid; a name is 1 to %zu letters, "
                 "digits, '-', '_' or '.', starting with a letter or digit.",
                 what, clip(name, c), max_len);
}

void
topo_msg_duplicate_name(struct topo_ctx *ctx, struct topo_pos pos,
                        const char *owner, const char *kind, const char *name,
                        struct topo_pos first)
{
    topo_ctx_add(ctx, pos,
                 "%s%sduplicate %s name '%s'; the first %s with this name "
                 "is at line %d, column %d.",
                 owner ? owner : "", owner ? ": " : "", kind, name, kind,
                 first.line, first.column);
}

void
topo_msg_range(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
               const char *field, const char *value, long long min,
               long long max)
{
    char c[CLIP_SIZE];
    topo_ctx_add(ctx, pos, "%s: %s %s is outside %lld-%lld.", what, field,
                 clip(value, c), min, max);
}

void
topo_msg_enum(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
              const char *field, const char *value, const char *const *valid)
{
    char c[CLIP_SIZE];
    char *list = join(valid);
    topo_ctx_add(ctx, pos, "%s: %s '%s' is not one of %s.", what, field,
                 clip(value, c), list);
    free(list);
}

void
topo_msg_bad_ipv4(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
                  const char *field, const char *value)
{
    char c[CLIP_SIZE];
    topo_ctx_add(ctx, pos,
                 "%s: %s '%s' is not an IPv4 address such as 10.0.0.1.", what,
                 field, clip(value, c));
}

void
topo_msg_bad_ifaddr(struct topo_ctx *ctx, struct topo_pos pos,
                    const char *what, const char *value)
{
    char c[CLIP_SIZE];
    topo_ctx_add(ctx, pos,
                 "%s: address '%s' is not an IPv4 address such as "
                 "172.16.0.1 or 172.16.0.1/24.",
                 what, clip(value, c));
}

void
topo_msg_bad_prefix(struct topo_ctx *ctx, struct topo_pos pos,
                    const char *what, const char *field, const char *value)
{
    char c[CLIP_SIZE];
    topo_ctx_add(ctx, pos,
                 "%s: %s '%s' is not an IPv4 prefix such as 172.16.0.0/24.",
                 what, field, clip(value, c));
}

void
topo_msg_host_bits(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
                   const char *field, const char *value, uint32_t ip, int plen)
{
    char *prefix = topo_format_prefix(ip & topo_mask(plen), plen);
    topo_ctx_add(ctx, pos, "%s: %s %s has host bits set; the prefix is %s.",
                 what, field, value, prefix);
    free(prefix);
}

void
topo_msg_subnet_length(struct topo_ctx *ctx, struct topo_pos pos,
                       const char *what, const char *value, int plen)
{
    topo_ctx_add(ctx, pos,
                 "%s: subnet %s has prefix length %d; a network's prefix "
                 "length must be between %d and %d.",
                 what, value, plen, TOPO_MIN_PLEN, TOPO_MAX_PLEN);
}

void
topo_msg_overlap(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
                 const char *subnet, const char *other_subnet,
                 const char *other, struct topo_pos other_pos)
{
    topo_ctx_add(ctx, pos,
                 "%s: subnet %s overlaps subnet %s of %s (line %d, "
                 "column %d).",
                 what, subnet, other_subnet, other, other_pos.line,
                 other_pos.column);
}

void
topo_msg_outside(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
                 const char *field, const char *value, const char *network,
                 const char *subnet)
{
    topo_ctx_add(ctx, pos, "%s: %s %s is outside network %s (%s).", what,
                 field, value, network, subnet);
}

void
topo_msg_network_address(struct topo_ctx *ctx, struct topo_pos pos,
                         const char *what, const char *field,
                         const char *value, const char *network,
                         const char *subnet)
{
    topo_ctx_add(ctx, pos,
                 "%s: %s %s is the network address of network %s (%s).", what,
                 field, value, network, subnet);
}

void
topo_msg_broadcast_address(struct topo_ctx *ctx, struct topo_pos pos,
                           const char *what, const char *field,
                           const char *value, const char *network,
                           const char *subnet)
{
    topo_ctx_add(ctx, pos,
                 "%s: %s %s is the broadcast address of network %s (%s).",
                 what, field, value, network, subnet);
}

void
topo_msg_prefix_mismatch(struct topo_ctx *ctx, struct topo_pos pos,
                         const char *what, const char *value,
                         const char *network, const char *subnet)
{
    topo_ctx_add(ctx, pos,
                 "%s: address %s has another prefix length than network %s "
                 "(%s).",
                 what, value, network, subnet);
}

void
topo_msg_taken(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
               const char *label, const char *value, const char *owner,
               struct topo_pos owner_pos)
{
    topo_ctx_add(ctx, pos,
                 "%s: %s %s is already used by %s (line %d, column %d).", what,
                 label, value, owner, owner_pos.line, owner_pos.column);
}

void
topo_msg_bad_mac(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
                 const char *value)
{
    char c[CLIP_SIZE];
    topo_ctx_add(ctx, pos,
                 "%s: mac '%s' is not a MAC address such as "
                 "02:00:00:00:00:01.",
                 what, clip(value, c));
}

void
topo_msg_multicast_mac(struct topo_ctx *ctx, struct topo_pos pos,
                       const char *what, const char *mac)
{
    topo_ctx_add(ctx, pos,
                 "%s: MAC %s is a multicast address; a port MAC must have "
                 "the lowest bit of its first byte clear.",
                 what, mac);
}

void
topo_msg_zero_mac(struct topo_ctx *ctx, struct topo_pos pos, const char *what)
{
    topo_ctx_add(ctx, pos,
                 "%s: MAC 00:00:00:00:00:00 is not usable for a "
                 "port.",
                 what);
}

void
topo_msg_unknown_ref(struct topo_ctx *ctx, struct topo_pos pos,
                     const char *what, const char *kind, const char *name,
                     const char *const *names, size_t n_names)
{
    enum { MAX_LISTED = 10 };
    char c[CLIP_SIZE];

    if (!n_names) {
        topo_ctx_add(ctx, pos,
                     "%s: unknown %s '%s'; the topology defines "
                     "no %s.",
                     what, kind, clip(name, c), kind);
        return;
    }

    const char *listed[MAX_LISTED + 2];
    size_t n = 0;
    for (; n < n_names && n < MAX_LISTED; n++) {
        listed[n] = names[n];
    }
    if (n < n_names) {
        listed[n++] = "...";
    }
    listed[n] = NULL;
    char *list = join(listed);
    topo_ctx_add(ctx, pos, "%s: unknown %s '%s'; the %ss are %s.", what, kind,
                 clip(name, c), kind, list);
    free(list);
}

void
topo_msg_second_router_port(struct topo_ctx *ctx, struct topo_pos pos,
                            const char *what, const char *network,
                            const char *router, struct topo_pos router_pos)
{
    topo_ctx_add(ctx, pos,
                 "%s: network %s already has a router port, on %s "
                 "(line %d, column %d).",
                 what, network, router, router_pos.line, router_pos.column);
}

void
topo_msg_gateway_self(struct topo_ctx *ctx, struct topo_pos pos,
                      const char *what, const char *gateway)
{
    topo_ctx_add(ctx, pos,
                 "%s: gateway %s is one of the interface's own addresses.",
                 what, gateway);
}

void
topo_msg_second_gateway(struct topo_ctx *ctx, struct topo_pos pos,
                        const char *what, const char *other,
                        struct topo_pos other_pos)
{
    topo_ctx_add(ctx, pos,
                 "%s: only one interface of a guest may have a gateway, and "
                 "interface %s already has one (line %d, column %d).",
                 what, other, other_pos.line, other_pos.column);
}

void
topo_msg_route_via(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
                   const char *via, const char *to, const char *guest)
{
    topo_ctx_add(ctx, pos,
                 "%s: next hop %s of the route to %s is outside every "
                 "network of %s.",
                 what, via, to, guest);
}

void
topo_msg_route_duplicate(struct topo_ctx *ctx, struct topo_pos pos,
                         const char *what, const char *to,
                         struct topo_pos first)
{
    topo_ctx_add(ctx, pos,
                 "%s: the route to %s is already given at line %d, "
                 "column %d.",
                 what, to, first.line, first.column);
}

void
topo_msg_trunks_on_access(struct topo_ctx *ctx, struct topo_pos pos,
                          const char *what)
{
    topo_ctx_add(ctx, pos,
                 "%s: field 'trunks' needs vlan_mode trunk; this interface "
                 "is an access port.",
                 what);
}

void
topo_msg_iface_id_kind(struct topo_ctx *ctx, struct topo_pos pos,
                       const char *what)
{
    topo_ctx_add(ctx, pos,
                 "%s: field 'iface_id' is for guests of kind port; fabricd "
                 "names the ports of the other kinds itself.",
                 what);
}

void
topo_msg_bad_iface_id(struct topo_ctx *ctx, struct topo_pos pos,
                      const char *what, const char *value)
{
    char c[CLIP_SIZE];
    topo_ctx_add(ctx, pos,
                 "%s: iface_id '%s' is not 1 to %d printable characters "
                 "without spaces.",
                 what, clip(value, c), TOPO_IFACE_ID_MAX);
}

void
topo_msg_trunks_empty(struct topo_ctx *ctx, struct topo_pos pos,
                      const char *what)
{
    topo_ctx_add(ctx, pos,
                 "%s: a trunk port needs at least one network in 'trunks'.",
                 what);
}

void
topo_msg_trunk_twice(struct topo_ctx *ctx, struct topo_pos pos,
                     const char *what, const char *network)
{
    topo_ctx_add(ctx, pos, "%s: network %s is listed twice in 'trunks'.", what,
                 network);
}

void
topo_msg_trunk_native(struct topo_ctx *ctx, struct topo_pos pos,
                      const char *what, const char *network)
{
    topo_ctx_add(ctx, pos,
                 "%s: network %s is the interface's own network; 'trunks' "
                 "lists the other networks it carries.",
                 what, network);
}

void
topo_msg_mtu_limit(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
                   int mtu, int limit, int underlay_mtu)
{
    topo_ctx_add(ctx, pos,
                 "%s: mtu %d exceeds %d, the smallest underlay MTU (%d) "
                 "minus %d bytes of encapsulation overhead.",
                 what, mtu, limit, underlay_mtu, FABRIC_ENCAP_OVERHEAD);
}

void
topo_msg_iface_mtu(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
                   int mtu, int network_mtu, const char *network)
{
    topo_ctx_add(ctx, pos, "%s: mtu %d exceeds the MTU %d of network %s.",
                 what, mtu, network_mtu, network);
}

void
topo_msg_vm_only(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
                 const char *field, const char *kinds)
{
    topo_ctx_add(ctx, pos, "%s: field '%s' applies only to %s of kind vm.",
                 what, field, kinds);
}

void
topo_msg_needs_kernel(struct topo_ctx *ctx, struct topo_pos pos,
                      const char *what, const char *field)
{
    topo_ctx_add(ctx, pos, "%s: field '%s' needs field 'kernel'.", what,
                 field);
}

void
topo_msg_ip_and_ips(struct topo_ctx *ctx, struct topo_pos pos,
                    const char *what)
{
    topo_ctx_add(ctx, pos, "%s: give either 'ip' or 'ips', not both.", what);
}

void
topo_msg_no_free(struct topo_ctx *ctx, struct topo_pos pos, const char *what,
                 const char *label, long long min, long long max)
{
    topo_ctx_add(ctx, pos, "%s: no free %s is left in %lld-%lld.", what, label,
                 min, max);
}

void
topo_msg_needs_mode(struct topo_ctx *ctx, struct topo_pos pos,
                    const char *what, const char *field, const char *modes,
                    const char *mode)
{
    topo_ctx_add(ctx, pos,
                 "%s: field '%s' applies only to networks of mode %s, and "
                 "this one is %s.",
                 what, field, modes, mode);
}

void
topo_msg_second_uplink(struct topo_ctx *ctx, struct topo_pos pos,
                       const char *what, struct topo_pos first)
{
    topo_ctx_add(ctx, pos,
                 "%s: a network has at most one uplink (line %d, column %d "
                 "has one); a second would close a loop through the network "
                 "outside.",
                 what, first.line, first.column);
}

void
topo_msg_forward_no_address(struct topo_ctx *ctx, struct topo_pos pos,
                            const char *what, const char *guest,
                            const char *network)
{
    topo_ctx_add(ctx, pos,
                 "%s: guest %s has no address in network %s to forward "
                 "to.",
                 what, guest, network);
}
