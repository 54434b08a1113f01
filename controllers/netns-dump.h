/* netns-dump: the links of the calling namespace, from a netlink dump.
 *
 * The netns module reads the links of the calling namespace once per
 * pass (the host-wide snapshot).  `ip -j -d link show` takes tens of
 * milliseconds and hundreds of KiB of JSON at a thousand guests; an
 * RTM_GETLINK dump in process gives the same 'struct netns_links'.
 *
 * Rules of this module:
 * - netns_links_from_netlink() is pure: the messages of a dump in, links
 *   out, each as netns_links_parse() makes it from `ip -j -d link show`:
 *   name (IFLA_IFNAME), index, peer index (IFLA_LINK), whether the peer
 *   is in another namespace (IFLA_LINK_NETNSID), veth (IFLA_INFO_KIND),
 *   up (IFF_UP), MTU and MAC (IFLA_ADDRESS, when it is a MAC).
 *   Malformed messages are an error, with nothing filled.
 * - netns_links_dump() does the I/O: one NETLINK_ROUTE socket, one dump,
 *   closed before it returns.
 */
#ifndef CONTROLLERS_NETNS_DUMP_H
#define CONTROLLERS_NETNS_DUMP_H 1

#include <stddef.h>

struct netns_links;

/* Fills 'links' (empty) from the 'len' bytes of netlink messages at 'buf',
 * replies to an RTM_GETLINK dump, up to NLMSG_DONE.  Returns 1 when
 * NLMSG_DONE was seen, 0 when more messages are to come, or a negative
 * errno (-EPROTO for a malformed message, or the error the kernel
 * reported); on error, 'links' is left as it was given. */
int netns_links_from_netlink(struct netns_links *links, const void *buf,
                             size_t len);

/* Fills 'links' (empty) with the links of the calling namespace.  Returns
 * 0 or a negative errno. */
int netns_links_dump(struct netns_links *links);

#endif /* netns-dump.h */
