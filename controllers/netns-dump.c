/* netns-dump: see netns-dump.h. */
#include "netns-dump.h"
#include "netns-private.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Returns true if attribute 'a' holds the string 's'. */
static bool
attr_is_string(const struct rtattr *a, const char *s)
{
    size_t n = RTA_PAYLOAD(a);
    size_t len = strlen(s);
    return (n == len || (n == len + 1 && !((const char *)RTA_DATA(a))[len])) &&
           !memcmp(RTA_DATA(a), s, len);
}

/* Returns the 32-bit value of attribute 'a', or 0 when it is shorter. */
static int
attr_int(const struct rtattr *a)
{
    int32_t v = 0;
    if (RTA_PAYLOAD(a) >= sizeof v) {
        memcpy(&v, RTA_DATA(a), sizeof v);
    }
    return v;
}

/* Reads the link of RTM_NEWLINK message 'h' into 'l'.  Returns 1, 0 for a
 * link without a name (skipped, as `ip` output without "ifname" is), or
 * -EPROTO. */
static int
parse_link(const struct nlmsghdr *h, struct netns_link *l)
{
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
        return -EPROTO;
    }
    const struct ifinfomsg *ifi = NLMSG_DATA(h);
    memset(l, 0, sizeof *l);
    l->ifindex = ifi->ifi_index;
    l->up = (ifi->ifi_flags & IFF_UP) != 0;
    int len = h->nlmsg_len - NLMSG_LENGTH(sizeof *ifi);
    for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len);
         a = RTA_NEXT(a, len)) {
        const unsigned char *d = RTA_DATA(a);
        size_t n = RTA_PAYLOAD(a);
        if (a->rta_type == IFLA_IFNAME && !l->name && n &&
            memchr(d, '\0', n)) {
            l->name = strdup((const char *)d);
        } else if (a->rta_type == IFLA_LINK) {
            l->peer_ifindex = attr_int(a);
        } else if (a->rta_type == IFLA_LINK_NETNSID) {
            l->peer_elsewhere = true;
        } else if (a->rta_type == IFLA_MTU) {
            l->mtu = attr_int(a);
        } else if (a->rta_type == IFLA_ADDRESS && n == 6) {
            char mac[18];
            snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", d[0],
                     d[1], d[2], d[3], d[4], d[5]);
            if (!netns_canon_mac(mac, l->mac)) {
                l->mac[0] = '\0';
            }
        } else if (a->rta_type == IFLA_LINKINFO) {
            int inner = n;
            for (const struct rtattr *b = RTA_DATA(a); RTA_OK(b, inner);
                 b = RTA_NEXT(b, inner)) {
                if (b->rta_type == IFLA_INFO_KIND) {
                    l->veth = attr_is_string(b, "veth");
                }
            }
        }
    }
    return l->name ? 1 : 0;
}

int
netns_links_from_netlink(struct netns_links *links, const void *buf,
                         size_t len)
{
    struct netns_links got = {NULL, 0};
    size_t cap = 0;
    int done = 0, error = 0;
    const unsigned char *p = buf;
    size_t left = len;
    while (!done && !error && left >= sizeof(struct nlmsghdr)) {
        const struct nlmsghdr *h = (const void *)p;
        if (h->nlmsg_len < sizeof *h || h->nlmsg_len > left) {
            break;
        }
        if (h->nlmsg_type == NLMSG_DONE) {
            done = 1;
        } else if (h->nlmsg_type == NLMSG_ERROR) {
            const struct nlmsgerr *e = NLMSG_DATA(h);
            error = h->nlmsg_len < NLMSG_LENGTH(sizeof *e) ? -EPROTO
                    : e->error < 0                         ? e->error
                                                           : -EPROTO;
        } else if (h->nlmsg_type == RTM_NEWLINK) {
            if (got.n == cap) {
                cap = cap ? cap * 2 : 64;
                got.links = realloc(got.links, cap * sizeof *got.links);
            }
            int rc = parse_link(h, &got.links[got.n]);
            if (rc < 0) {
                error = rc;
            }
            got.n += rc > 0;
        }
        size_t step = NLMSG_ALIGN(h->nlmsg_len);
        step = step < left ? step : left;
        p += step;
        left -= step;
    }
    if (!error && !done && left) {
        /* A message cut short. */
        error = -EPROTO;
    }
    if (error) {
        netns_links_destroy(&got);
        return error;
    }
    links->links =
        realloc(links->links, (links->n + got.n + 1) * sizeof *links->links);
    if (got.n) {
        memcpy(&links->links[links->n], got.links, got.n * sizeof *got.links);
    }
    links->n += got.n;
    free(got.links);
    return done;
}

int
netns_links_dump(struct netns_links *links)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
        return -errno;
    }
    struct {
        struct nlmsghdr h;
        struct ifinfomsg ifi;
    } req = {
        .h = {.nlmsg_len = sizeof req,
              .nlmsg_type = RTM_GETLINK,
              .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
              .nlmsg_seq = 1},
        .ifi = {.ifi_family = AF_UNSPEC},
    };
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    int rc = sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&kernel,
                    sizeof kernel) < 0
                 ? -errno
                 : 0;
    size_t size = 65536;
    void *buf = malloc(size);
    while (!rc) {
        ssize_t n = recv(fd, buf, size, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        rc = n < 0 ? -errno : n == 0 ? -EPROTO : 0;
        if (!rc) {
            rc = netns_links_from_netlink(links, buf, n);
        }
    }
    free(buf);
    close(fd);
    if (rc < 0) {
        netns_links_destroy(links);
        return rc;
    }
    return 0;
}
