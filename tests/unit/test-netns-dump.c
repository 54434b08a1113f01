/* Unit tests of controllers/netns-dump.h: links from netlink messages
 * made here (names, indexes, veth peers in another namespace, flags, MTU,
 * MAC; links without a name skipped; a dump in several parts; malformed
 * and error messages), and the dump of this namespace against what
 * `ip -j -d link show` says of it. */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "cmd.h"
#include "netns-dump.h"
#include "netns-private.h"
#include "ovsdb-error.h"

/* A buffer of netlink messages being written. */
struct msgs {
    unsigned char buf[4096];
    size_t len;
    struct nlmsghdr *cur; /* The message being written. */
};

static void *
put(struct msgs *m, const void *data, size_t len)
{
    assert_true(m->len + NLMSG_ALIGN(len) <= sizeof m->buf);
    void *p = m->buf + m->len;
    memset(p, 0, NLMSG_ALIGN(len));
    if (len) {
        memcpy(p, data, len);
    }
    m->len += NLMSG_ALIGN(len);
    if (m->cur) {
        m->cur->nlmsg_len = m->buf + m->len - (unsigned char *)m->cur;
    }
    return p;
}

static void
begin(struct msgs *m, int type, int ifindex, unsigned flags)
{
    struct nlmsghdr h = {.nlmsg_type = type, .nlmsg_len = sizeof h};
    m->cur = NULL;
    m->cur = put(m, &h, sizeof h);
    if (type == RTM_NEWLINK) {
        struct ifinfomsg ifi = {.ifi_index = ifindex, .ifi_flags = flags};
        put(m, &ifi, sizeof ifi);
    }
}

/* Adds attribute 'type' with 'len' bytes of 'data'; returns it. */
static struct rtattr *
attr(struct msgs *m, int type, const void *data, size_t len)
{
    struct rtattr a = {.rta_type = type, .rta_len = RTA_LENGTH(len)};
    struct rtattr *p = put(m, &a, sizeof a);
    m->len -= NLMSG_ALIGN(sizeof a) - sizeof a;
    put(m, data, len);
    return p;
}

static void
attr_u32(struct msgs *m, int type, uint32_t v)
{
    attr(m, type, &v, sizeof v);
}

static void
attr_str(struct msgs *m, int type, const char *s)
{
    attr(m, type, s, strlen(s) + 1);
}

/* A veth "fv1" (index 7, up, MTU 1442) whose peer (index 3) is in another
 * namespace, a link without a name, and "lo" (index 1, down). */
static void
three_links(struct msgs *m)
{
    begin(m, RTM_NEWLINK, 7, IFF_UP);
    attr_str(m, IFLA_IFNAME, "fv1");
    attr_u32(m, IFLA_MTU, 1442);
    attr_u32(m, IFLA_LINK, 3);
    attr_u32(m, IFLA_LINK_NETNSID, 0);
    static const unsigned char mac[6] = {0xfe, 0xfa, 0x00, 0xAB, 0x01, 0x02};
    attr(m, IFLA_ADDRESS, mac, sizeof mac);
    struct rtattr *info = attr(m, IFLA_LINKINFO, NULL, 0);
    size_t at = (unsigned char *)info - m->buf;
    attr_str(m, IFLA_INFO_KIND, "veth");
    ((struct rtattr *)(m->buf + at))->rta_len =
        m->buf + m->len - (m->buf + at);

    begin(m, RTM_NEWLINK, 9, IFF_UP);
    attr_u32(m, IFLA_MTU, 1500);

    begin(m, RTM_NEWLINK, 1, 0);
    attr_str(m, IFLA_IFNAME, "lo");
    attr_u32(m, IFLA_MTU, 65536);
}

static void
test_parse(void **state)
{
    struct msgs m = {.len = 0};
    three_links(&m);
    begin(&m, NLMSG_DONE, 0, 0);
    struct netns_links links = {NULL, 0};
    assert_int_equal(netns_links_from_netlink(&links, m.buf, m.len), 1);
    assert_int_equal(links.n, 2);
    const struct netns_link *fv = netns_links_find(&links, "fv1");
    assert_non_null(fv);
    assert_int_equal(fv->ifindex, 7);
    assert_int_equal(fv->peer_ifindex, 3);
    assert_true(fv->peer_elsewhere);
    assert_true(fv->veth);
    assert_true(fv->up);
    assert_int_equal(fv->mtu, 1442);
    assert_string_equal(fv->mac, "fe:fa:00:ab:01:02");
    const struct netns_link *lo = netns_links_find(&links, "lo");
    assert_non_null(lo);
    assert_int_equal(lo->ifindex, 1);
    assert_false(lo->veth || lo->up || lo->peer_elsewhere);
    assert_int_equal(lo->peer_ifindex, 0);
    assert_string_equal(lo->mac, "");
    netns_links_destroy(&links);
}

static void
test_parts(void **state)
{
    /* A dump in two parts: the first without NLMSG_DONE. */
    struct msgs a = {.len = 0}, b = {.len = 0};
    three_links(&a);
    begin(&b, RTM_NEWLINK, 4, 0);
    attr_str(&b, IFLA_IFNAME, "eth0");
    begin(&b, NLMSG_DONE, 0, 0);
    struct netns_links links = {NULL, 0};
    assert_int_equal(netns_links_from_netlink(&links, a.buf, a.len), 0);
    assert_int_equal(netns_links_from_netlink(&links, b.buf, b.len), 1);
    assert_int_equal(links.n, 3);
    assert_non_null(netns_links_find(&links, "eth0"));
    assert_non_null(netns_links_find(&links, "fv1"));
    netns_links_destroy(&links);
}

static void
test_bad(void **state)
{
    struct msgs m = {.len = 0};
    three_links(&m);
    struct netns_links links = {NULL, 0};
    /* Cut short: nothing filled. */
    assert_int_equal(netns_links_from_netlink(&links, m.buf, m.len - 3),
                     -EPROTO);
    assert_int_equal(links.n, 0);
    assert_null(links.links);
    /* A link message too short for its header. */
    struct msgs s = {.len = 0};
    begin(&s, RTM_NEWLINK, 1, 0);
    ((struct nlmsghdr *)s.buf)->nlmsg_len = NLMSG_LENGTH(2);
    assert_int_equal(netns_links_from_netlink(&links, s.buf, s.len), -EPROTO);
    /* The kernel's error. */
    struct msgs e = {.len = 0};
    begin(&e, NLMSG_ERROR, 0, 0);
    struct nlmsgerr err = {.error = -EPERM};
    put(&e, &err, sizeof err);
    assert_int_equal(netns_links_from_netlink(&links, e.buf, e.len), -EPERM);
    assert_int_equal(links.n, 0);
}

/* Returns true if 'a' and 'b' hold the same links. */
static bool
same_links(const struct netns_links *a, const struct netns_links *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        const struct netns_link *x = &a->links[i];
        const struct netns_link *y = netns_links_find(b, x->name);
        if (!y || x->ifindex != y->ifindex ||
            x->peer_ifindex != y->peer_ifindex ||
            x->peer_elsewhere != y->peer_elsewhere || x->veth != y->veth ||
            x->up != y->up || x->mtu != y->mtu || strcmp(x->mac, y->mac)) {
            fprintf(stderr, "link %s differs\n", x->name);
            return false;
        }
    }
    return true;
}

/* Runs `ip ARGS...`, which must succeed. */
static void
ip(const char *arg, ...)
{
    struct cmd *c = cmd_new("ip");
    va_list args;
    va_start(args, arg);
    for (; arg; arg = va_arg(args, const char *)) {
        cmd_add(c, arg);
    }
    va_end(args);
    assert_int_equal(cmd_run(c, NULL, NULL), 0);
    cmd_free(c);
}

/* The dump of this namespace says what `ip -j -d link show` says (again
 * a few times, should a link come or go between the two).  As root, in a
 * namespace of this process's own, with a veth pair. */
static void
test_dump(void **state)
{
    bool veths = !geteuid() && !unshare(CLONE_NEWNET);
    if (veths) {
        ip("link", "add", "tnd0", "mtu", "1400", "type", "veth", "peer",
           "name", "tnd1", NULL);
        ip("link", "set", "tnd0", "up", NULL);
    }
    bool same = false;
    for (int i = 0; i < 5 && !same; i++) {
        struct netns_links dumped = {NULL, 0}, shown = {NULL, 0};
        assert_int_equal(netns_links_dump(&dumped), 0);
        assert_true(dumped.n >= 1);
        assert_non_null(netns_links_find(&dumped, "lo"));
        struct cmd *c = cmd_new("ip");
        cmd_addl(c, "-j", "-d", "link", "show", NULL);
        char *out = NULL;
        assert_int_equal(cmd_run(c, &out, NULL), 0);
        cmd_free(c);
        json_t *array = json_loads(out, 0, NULL);
        free(out);
        assert_non_null(array);
        netns_links_parse(&shown, array);
        json_decref(array);
        same = same_links(&dumped, &shown);
        if (veths) {
            const struct netns_link *a = netns_links_find(&dumped, "tnd0");
            const struct netns_link *b = netns_links_find(&dumped, "tnd1");
            assert_true(a && b && a->veth && b->veth && a->up && !b->up);
            assert_int_equal(a->peer_ifindex, b->ifindex);
            assert_int_equal(a->mtu, 1400);
        }
        netns_links_destroy(&dumped);
        netns_links_destroy(&shown);
    }
    assert_true(same);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parts),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
