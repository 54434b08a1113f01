/* Unit tests of controllers/netns.h: the commands an ensure or a removal
 * runs, compared to golden files (tests/golden/netns-*.txt), for a new
 * guest (every read empty, as in a dry run) and for existing guests whose
 * state the reads answer from canned `ip -j` output.  Set
 * FABRIC_REGEN_GOLDEN=1 to rewrite the golden files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "cmd.h"
#include "golden.h"
#include "netns-private.h"
#include "netns.h"
#include "ovsdb-error.h"

/* The canned output of one read command. */
struct canned {
    const char *line;
    const char *output; /* JSON with ' for ", or NULL for a failure. */
};

/* What a test captures: every read and every command, in order. */
struct capture {
    char *buf;
    size_t len;
    FILE *log;
    const struct canned *canned; /* Terminated by a NULL 'line'. */
};

static char *
read_canned(const char *line, void *capture_)
{
    struct capture *c = capture_;
    fprintf(c->log, "%s\n", line);
    for (const struct canned *k = c->canned; k && k->line; k++) {
        if (!strcmp(k->line, line)) {
            if (!k->output) {
                return NULL;
            }
            char *out = strdup(k->output);
            for (char *p = out; *p; p++) {
                if (*p == '\'') {
                    *p = '"';
                }
            }
            return out;
        }
    }
    /* A read the test did not expect: empty output, as in a dry run. */
    fprintf(c->log, "# (no canned output)\n");
    return strdup("");
}

/* Starts capturing; with 'canned', reads are answered from it (and
 * logged), otherwise they are logged by the dry run like commands. */
static void
capture_start(struct capture *c, const struct canned *canned)
{
    memset(c, 0, sizeof *c);
    c->log = open_memstream(&c->buf, &c->len);
    c->canned = canned;
    cmd_set_dry_run(c->log);
    if (canned) {
        netns_set_reader(read_canned, c);
    }
}

/* Stops capturing and returns what was captured (owned by 'c'). */
static const char *
capture_stop(struct capture *c)
{
    cmd_set_dry_run(NULL);
    netns_set_reader(NULL, NULL);
    fclose(c->log);
    return c->buf;
}

/* The guest of most tests: two interfaces, IPv4 and IPv6. */
static struct netns_guest *
make_guest(const char *eth0_address)
{
    struct netns_guest *g = netns_guest_create("fabric-g1");
    struct netns_iface *i;
    i = netns_guest_add_iface(g, "eth0", "fg1-eth0", "02:FA:00:00:00:01", 1442,
                              "172.16.0.254");
    netns_iface_add_address(i, eth0_address);
    netns_iface_add_route(i, "10.0.0.0/8", "172.16.0.253");
    i = netns_guest_add_iface(g, "eth1", "fg1-eth1", "02:fa:00:00:01:01", 1500,
                              NULL);
    netns_iface_add_address(i, "192.168.7.1/24");
    netns_iface_add_address(i, "FD00:0:0:1::1/64");
    netns_iface_add_route(i, "fd00:99::/48", "fd00:0:0:1::fe");
    return g;
}

/* Canned state: make_guest("172.16.0.1/24") exactly as an ensure leaves
 * it. */
#define LIST "[{'name':'other','id':1},{'name':'fabric-g1','id':0}]"
#define LO_UP                                                                 \
    "{'ifindex':1,'ifname':'lo','flags':['LOOPBACK','UP',"                    \
    "'LOWER_UP'],'mtu':65536,'address':'00:00:00:00:00:00','addr_info':["     \
    "{'family':'inet','local':'127.0.0.1','prefixlen':8,'scope':'host'}]}"
#define ETH0_LINK                                                             \
    "'ifindex':2,'link_index':7,'ifname':'eth0','flags':["                    \
    "'BROADCAST','MULTICAST','UP','LOWER_UP'],'mtu':1442,"                    \
    "'address':'02:fa:00:00:00:01','link_netnsid':0,"                         \
    "'linkinfo':{'info_kind':'veth'}"
#define ETH0_LL                                                               \
    "{'family':'inet6','local':'fe80::fa:ff:fe00:1',"                         \
    "'prefixlen':64,'scope':'link'}"
#define ETH1                                                                  \
    "{'ifindex':3,'link_index':8,'ifname':'eth1','flags':["                   \
    "'BROADCAST','MULTICAST','UP','LOWER_UP'],'mtu':1500,"                    \
    "'address':'02:fa:00:00:01:01','link_netnsid':0,"                         \
    "'linkinfo':{'info_kind':'veth'},'addr_info':["                           \
    "{'family':'inet','local':'192.168.7.1','prefixlen':24,"                  \
    "'scope':'global'},{'family':'inet6','local':'fd00:0:0:1::1',"            \
    "'prefixlen':64,'scope':'global','nodad':true}]}"
#define INSIDE                                                                \
    "[" LO_UP ",{" ETH0_LINK ",'addr_info':[{'family':'inet',"                \
    "'local':'172.16.0.1','prefixlen':24,'scope':'global'}," ETH0_LL          \
    "]}," ETH1 "]"
#define OUT_LO                                                                \
    "{'ifindex':1,'ifname':'lo','flags':['LOOPBACK','UP'],"                   \
    "'mtu':65536,'address':'00:00:00:00:00:00'}"
#define OUT_NIC                                                               \
    "{'ifindex':2,'ifname':'ens3','flags':['UP'],'mtu':1500,"                 \
    "'address':'52:54:00:12:34:56'}"
#define PEER0                                                                 \
    "{'ifindex':7,'link_index':2,'ifname':'fg1-eth0',"                        \
    "'flags':['UP'],'mtu':1442,'address':'fe:fa:00:00:00:01',"                \
    "'link_netnsid':1,'linkinfo':{'info_kind':'veth'}}"
#define PEER1                                                                 \
    "{'ifindex':8,'link_index':3,'ifname':'fg1-eth1',"                        \
    "'flags':['UP'],'mtu':1500,'address':'fe:fa:00:00:01:01',"                \
    "'link_netnsid':1,'linkinfo':{'info_kind':'veth'}}"
#define OUTSIDE "[" OUT_LO "," OUT_NIC "," PEER0 "," PEER1 "]"
#define TX_OFF(DEV)                                                           \
    "[{'ifname':'" DEV "','rx-checksumming':{'active':"                       \
    "true},'tx-checksumming':{'active':false,'fixed':null}}]"
#define TX_ON(DEV)                                                            \
    "[{'ifname':'" DEV "','tx-checksumming':{'active':"                       \
    "true,'fixed':false}}]"
#define ROUTES4                                                               \
    "[{'dst':'default','gateway':'172.16.0.254','dev':'eth0',"                \
    "'flags':[]},{'dst':'10.0.0.0/8','gateway':'172.16.0.253',"               \
    "'dev':'eth0','flags':[]},{'dst':'172.16.0.0/24','dev':'eth0',"           \
    "'protocol':'kernel','scope':'link','prefsrc':'172.16.0.1'},"             \
    "{'dst':'192.168.7.0/24','dev':'eth1','protocol':'kernel'}]"
#define ROUTES6                                                               \
    "[{'dst':'fd00:0:0:1::/64','dev':'eth1','protocol':"                      \
    "'kernel','metric':256},{'dst':'fd00:99::/48','gateway':"                 \
    "'fd00:0:0:1::fe','dev':'eth1','metric':1024,'pref':'medium'},"           \
    "{'dst':'fe80::/64','dev':'eth0','protocol':'kernel','metric':256}]"

#define R_LIST "ip -j netns list"
#define R_INSIDE "ip -n fabric-g1 -j -d address show"
#define R_OUTSIDE "ip -j -d link show"
#define R_TX_ETH0 "ip netns exec fabric-g1 ethtool --json -k eth0"
#define R_TX_ETH1 "ip netns exec fabric-g1 ethtool --json -k eth1"
#define R_TX_PEER0 "ethtool --json -k fg1-eth0"
#define R_TX_PEER1 "ethtool --json -k fg1-eth1"
#define R_ROUTES4 "ip -n fabric-g1 -j -4 route show"
#define R_ROUTES6 "ip -n fabric-g1 -j -6 route show"

static const struct canned same_state[] = {
    {R_LIST, LIST},
    {R_INSIDE, INSIDE},
    {R_OUTSIDE, OUTSIDE},
    {R_TX_ETH0, TX_OFF("eth0")},
    {R_TX_PEER0, TX_OFF("fg1-eth0")},
    {R_TX_ETH1, TX_OFF("eth1")},
    {R_TX_PEER1, TX_OFF("fg1-eth1")},
    {R_ROUTES4, ROUTES4},
    {R_ROUTES6, ROUTES6},
    {NULL, NULL},
};

/* Returns true if every line of 'log' is a read. */
static bool
only_reads(const char *log)
{
    char *copy = strdup(log), *save = NULL;
    bool ok = true;
    for (char *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        ok &= strstr(line, " -j ") || strstr(line, " --json ");
    }
    free(copy);
    return ok;
}

static void
test_ensure_new(void **state)
{
    /* Every read is empty, as in a dry run: nothing exists yet. */
    struct netns_guest *g = make_guest("172.16.0.1/24");
    struct capture c;
    capture_start(&c, NULL);
    struct ovsdb_error *error = NULL;
    int rc = netns_guest_ensure(g, &error);
    const char *log = capture_stop(&c);
    assert_int_equal(rc, 0);
    assert_null(error);
    golden_check("netns-ensure-new.txt", log);
    assert_false(only_reads(log));
    free(c.buf);
    netns_guest_free(g);
}

static void
test_ensure_same(void **state)
{
    struct netns_guest *g = make_guest("172.16.0.1/24");
    struct capture c;
    capture_start(&c, same_state);
    int rc = netns_guest_ensure(g, NULL);
    const char *log = capture_stop(&c);
    assert_int_equal(rc, 0);
    golden_check("netns-ensure-same.txt", log);
    assert_true(only_reads(log));
    assert_null(strstr(log, "no canned output"));
    free(c.buf);
    netns_guest_free(g);
}

static void
test_ensure_readdress(void **state)
{
    /* Only the address changes: the new one first, then the old one
     * goes; routes stay. */
    struct netns_guest *g = make_guest("172.16.0.11/24");
    struct capture c;
    capture_start(&c, same_state);
    int rc = netns_guest_ensure(g, NULL);
    const char *log = capture_stop(&c);
    assert_int_equal(rc, 0);
    golden_check("netns-ensure-readdress.txt", log);
    const char *add = strstr(log, "\n  address add 172.16.0.11/24 dev "
                                  "eth0\n");
    const char *del = strstr(log, "\n  address del 172.16.0.1/24 dev "
                                  "eth0\n");
    assert_non_null(add);
    assert_non_null(del);
    assert_true(add < del);
    free(c.buf);
    netns_guest_free(g);
}

/* Canned state with everything wrong that an ensure must repair. */
#define ETH9                                                                  \
    "{'ifindex':4,'link_index':9,'ifname':'eth9','flags':['UP'],"             \
    "'mtu':1500,'address':'02:fa:00:00:09:01','link_netnsid':0,"              \
    "'linkinfo':{'info_kind':'veth'}}"
#define SIT0                                                                  \
    "{'ifindex':5,'ifname':'sit0','flags':['NOARP'],'mtu':1480,"              \
    "'linkinfo':{'info_kind':'sit'}}"
#define ETH1_DUMMY                                                            \
    "{'ifindex':3,'ifname':'eth1','flags':['UP'],"                            \
    "'mtu':1500,'address':'02:fa:00:00:01:01',"                               \
    "'linkinfo':{'info_kind':'dummy'}}"
#define LO_DOWN                                                               \
    "{'ifindex':1,'ifname':'lo','flags':['LOOPBACK'],"                        \
    "'mtu':65536}"
#define BAD_INSIDE                                                            \
    "[" LO_DOWN ",{'ifindex':2,'link_index':17,"                              \
    "'ifname':'eth0','flags':['BROADCAST'],'mtu':1500,"                       \
    "'address':'02:fa:00:00:00:01','link_netnsid':3,"                         \
    "'linkinfo':{'info_kind':'veth'},'addr_info':[{'family':'inet',"          \
    "'local':'172.16.0.1','prefixlen':24,'scope':'global'},"                  \
    "{'family':'inet','local':'172.16.0.9','prefixlen':24,"                   \
    "'scope':'global'},{'family':'inet6','local':'fd00:aa::1234',"            \
    "'prefixlen':64,'scope':'global','dynamic':true}," ETH0_LL                \
    "]}," ETH1_DUMMY "," ETH9 "," SIT0 "]"
#define OLD_PEER                                                              \
    "{'ifindex':9,'link_index':4,'ifname':'fg1-old',"                         \
    "'flags':['UP'],'mtu':1500,'link_netnsid':1,"                             \
    "'linkinfo':{'info_kind':'veth'}}"
#define STRAY_PEER1                                                           \
    "{'ifindex':8,'link_index':5,'ifname':'fg1-eth1',"                        \
    "'flags':['UP'],'mtu':1500,'link_netnsid':2,"                             \
    "'linkinfo':{'info_kind':'veth'}}"
#define BAD_OUTSIDE "[" OUT_LO "," OUT_NIC "," OLD_PEER "," STRAY_PEER1 "]"
#define BAD_ROUTES4                                                           \
    "[{'dst':'default','gateway':'172.16.0.1',"                               \
    "'dev':'eth0'},{'dst':'10.0.0.0/8','gateway':'172.16.0.253',"             \
    "'dev':'eth0'},{'dst':'192.0.2.7','gateway':'172.16.0.253',"              \
    "'dev':'eth0','protocol':'static'},{'dst':'198.51.100.0/24',"             \
    "'gateway':'172.16.0.2','dev':'eth0','protocol':'dhcp'},"                 \
    "{'dst':'172.16.0.0/24','dev':'eth0','protocol':'kernel'}]"

static void
test_ensure_repair(void **state)
{
    /* lo is down; eth0 has the wrong MTU, is down, has TX offload on, an
     * extra address and its peer was moved to another namespace (so the
     * pair is kept and the peer left alone); eth1 is a dummy and its peer
     * name is taken by a stray veth; eth9 is a veth no longer wanted (its
     * peer goes with it); sit0 is the kernel's and stays; the default
     * route goes through the wrong gateway and a static route is not
     * wanted; the DHCP route, the kernel's routes, the autoconfigured and
     * the link-local addresses stay. */
    static const struct canned bad_state[] = {
        {R_LIST, LIST},
        {R_INSIDE, BAD_INSIDE},
        {R_OUTSIDE, BAD_OUTSIDE},
        {R_TX_ETH0, TX_ON("eth0")},
        {R_ROUTES4, BAD_ROUTES4},
        {R_ROUTES6, "[]"},
        {NULL, NULL},
    };
    struct netns_guest *g = make_guest("172.16.0.1/24");
    struct capture c;
    capture_start(&c, bad_state);
    int rc = netns_guest_ensure(g, NULL);
    const char *log = capture_stop(&c);
    assert_int_equal(rc, 0);
    golden_check("netns-ensure-repair.txt", log);
    assert_null(strstr(log, "no canned output"));
    assert_null(strstr(log, "fg1-old"));
    assert_null(strstr(log, "sit0"));
    assert_null(strstr(log, "fd00:aa::1234"));
    assert_null(strstr(log, "fe80"));
    assert_null(strstr(log, "198.51.100.0"));
    assert_null(strstr(log, "link del dev fg1-eth0"));
    free(c.buf);
    netns_guest_free(g);
}

static void
test_remove(void **state)
{
    static const struct canned existing[] = {
        {R_LIST, LIST},
        {"ip -n fabric-g1 -j -d link show",
         "[" LO_UP ",{" ETH0_LINK "}," ETH1 "," SIT0 "]"},
        /* fg1-eth0 goes with eth0, its peer; fg1-left stays. */
        {R_OUTSIDE, "[" OUT_LO "," PEER0 ",{'ifindex':12,"
                    "'ifname':'fg1-left','linkinfo':{'info_kind':'veth'}}]"},
        {NULL, NULL},
    };
    char *peers[] = {"fg1-eth0", "fg1-left", "fg1-none"};
    struct capture c;
    capture_start(&c, existing);
    int rc = netns_guest_remove("fabric-g1", peers, 3, NULL);
    const char *log = capture_stop(&c);
    assert_int_equal(rc, 0);
    golden_check("netns-remove.txt", log);
    assert_null(strstr(log, "no canned output"));
    assert_null(strstr(log, "sit0"));
    assert_null(strstr(log, "fg1-eth0"));
    free(c.buf);

    /* Nothing exists: only reads. */
    capture_start(&c, NULL);
    rc = netns_guest_remove("fabric-g1", peers, 3, NULL);
    log = capture_stop(&c);
    assert_int_equal(rc, 0);
    assert_string_equal(log, "ip -j netns list\nip -j -d link show\n");
    free(c.buf);
}

/* Returns how many lines of 'log' are 'line'. */
static int
count_lines(const char *log, const char *line)
{
    int n = 0;
    size_t len = strlen(line);
    for (const char *p = log; p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        n += !strncmp(p, line, len) && p[len] == '\n';
    }
    return n;
}

static void
test_snapshot_shared(void **state)
{
    /* Two guests, one snapshot: one read of the host-wide state. */
    struct netns_guest *g1 = make_guest("172.16.0.1/24");
    struct netns_guest *g2 = netns_guest_create("fabric-g2");
    netns_iface_add_address(
        netns_guest_add_iface(g2, "eth0", "fg2-eth0", NULL, 0, NULL),
        "172.16.0.2/24");
    char *changes = NULL;
    size_t len = 0;
    FILE *change_log = open_memstream(&changes, &len);
    struct capture c;
    capture_start(&c, NULL);
    netns_set_log(change_log);
    struct netns_snapshot *snap = netns_snapshot_create();
    assert_int_equal(netns_snapshot_reads(snap), 0);
    assert_int_equal(netns_snapshot_ensure(snap, g1, NULL), 0);
    assert_int_equal(netns_snapshot_ensure(snap, g2, NULL), 0);
    assert_int_equal(netns_snapshot_reads(snap), 1);
    assert_int_equal(netns_snapshot_remove(snap, "fabric-g3", NULL, 0, NULL),
                     0);
    assert_int_equal(netns_snapshot_reads(snap), 1);

    /* The same guest again: what the snapshot holds of it may be wrong
     * now, so it reads again. */
    assert_int_equal(netns_snapshot_ensure(snap, g2, NULL), 0);
    assert_int_equal(netns_snapshot_reads(snap), 2);
    netns_snapshot_free(snap);
    netns_set_log(NULL);
    fclose(change_log);
    const char *log = capture_stop(&c);
    assert_int_equal(count_lines(log, R_LIST), 2);
    assert_int_equal(count_lines(log, R_OUTSIDE), 2);
    /* One batch per new guest, for the guest end, lo, addresses and
     * routes. */
    assert_int_equal(count_lines(log, "ip -n fabric-g1 -batch -"), 1);
    assert_int_equal(count_lines(log, "ip -n fabric-g2 -batch -"), 2);

    /* The change log has each command whole, batched or in process. */
    assert_null(strstr(changes, "-batch"));
    assert_int_equal(count_lines(changes, "ip -n fabric-g1 link set dev "
                                          "eth0 up"),
                     1);
    assert_int_equal(count_lines(changes, "ip -n fabric-g2 address add "
                                          "172.16.0.2/24 dev eth0"),
                     2);
    assert_int_equal(count_lines(changes, "ethtool -K fg2-eth0 tx off"), 2);
    assert_int_equal(count_lines(changes, "ip netns exec fabric-g1 ethtool "
                                          "-K eth1 tx off"),
                     1);
    free(changes);
    free(c.buf);
    netns_guest_free(g1);
    netns_guest_free(g2);
}

static void
test_list(void **state)
{
    static const struct canned lists[] = {
        {R_LIST, "[{'name':'fab-b','id':2},{'name':'other'},"
                 "{'name':'fab-a'},{'name':'fa'}]"},
        {NULL, NULL},
    };
    struct capture c;
    capture_start(&c, lists);
    char **names = NULL;
    size_t n = 0;
    assert_int_equal(netns_list("fab-", &names, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "fab-a");
    assert_string_equal(names[1], "fab-b");
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    capture_stop(&c);
    free(c.buf);

    /* No namespaces at all: `ip` prints nothing. */
    capture_start(&c, NULL);
    names = NULL;
    assert_int_equal(netns_list("fab-", &names, &n, NULL), 0);
    assert_int_equal(n, 0);
    free(names);
    capture_stop(&c);
    free(c.buf);
}

static void
test_read_failures(void **state)
{
    static const struct canned failing[] = {
        {R_LIST, LIST},
        {R_INSIDE, NULL},
        {NULL, NULL},
    };
    static const struct canned garbled[] = {
        {R_LIST, "{'name':'fabric-g1'}"},
        {NULL, NULL},
    };
    struct netns_guest *g = make_guest("172.16.0.1/24");
    struct capture c;
    struct ovsdb_error *error = NULL;

    capture_start(&c, failing);
    assert_int_equal(netns_guest_ensure(g, &error), -EIO);
    capture_stop(&c);
    assert_string_equal(error->msg,
                        "Cannot set up netns guest fabric-g1: "
                        "`ip -n fabric-g1 -j -d address show` failed.");
    ovsdb_error_free(error);
    free(c.buf);

    error = NULL;
    capture_start(&c, garbled);
    assert_int_equal(netns_guest_ensure(g, &error), -EPROTO);
    capture_stop(&c);
    assert_string_equal(error->msg,
                        "Cannot set up netns guest fabric-g1: "
                        "`ip -j netns list` did not print a JSON array.");
    ovsdb_error_free(error);
    free(c.buf);

    error = NULL;
    char **names = NULL;
    size_t n = 0;
    capture_start(&c, garbled);
    assert_int_equal(netns_list("", &names, &n, &error), -EPROTO);
    capture_stop(&c);
    assert_null(names);
    assert_string_equal(error->msg,
                        "Cannot list network namespaces: "
                        "`ip -j netns list` did not print a JSON array.");
    ovsdb_error_free(error);
    free(c.buf);
    netns_guest_free(g);
}

/* Ensures 'g' (freed) in a dry run and expects -EINVAL, a message that
 * contains 'msg', and no command at all. */
static void
expect_invalid(struct netns_guest *g, const char *msg)
{
    struct capture c;
    struct ovsdb_error *error = NULL;
    capture_start(&c, NULL);
    int rc = netns_guest_ensure(g, &error);
    const char *log = capture_stop(&c);
    assert_int_equal(rc, -EINVAL);
    assert_non_null(error);
    if (!strstr(error->msg, msg)) {
        fail_msg("\"%s\" does not contain \"%s\".", error->msg, msg);
    }
    assert_string_equal(log, "");
    ovsdb_error_free(error);
    free(c.buf);
    netns_guest_free(g);
}

static void
test_invalid(void **state)
{
    struct netns_guest *g;

    expect_invalid(netns_guest_create("a/b"), "invalid namespace name "
                                              "\"a/b\"");
    expect_invalid(netns_guest_create(NULL), "invalid namespace name");

    g = netns_guest_create("g");
    netns_guest_add_iface(g, "eth0", "peer-name-too-long", NULL, 0, NULL);
    expect_invalid(g, "Netns guest g has an invalid peer name "
                      "\"peer-name-too-long\".");

    g = netns_guest_create("g");
    netns_guest_add_iface(g, "lo", "p0", NULL, 0, NULL);
    expect_invalid(g, "invalid interface name \"lo\"");

    g = netns_guest_create("g");
    netns_guest_add_iface(g, "eth:0", "p0", NULL, 0, NULL);
    expect_invalid(g, "invalid interface name \"eth:0\"");

    g = netns_guest_create("g");
    netns_guest_add_iface(g, "eth0", "p0", NULL, 0, NULL);
    netns_guest_add_iface(g, "eth0", "p1", NULL, 0, NULL);
    expect_invalid(g, "two interfaces named eth0");

    g = netns_guest_create("g");
    netns_guest_add_iface(g, "eth0", "p0", NULL, 0, NULL);
    netns_guest_add_iface(g, "eth1", "p0", NULL, 0, NULL);
    expect_invalid(g, "two interfaces with the peer p0");

    g = netns_guest_create("g");
    netns_guest_add_iface(g, "eth0", "p0", "03:00:00:00:00:01", 0, NULL);
    expect_invalid(g, "invalid MAC \"03:00:00:00:00:01\"");

    g = netns_guest_create("g");
    netns_guest_add_iface(g, "eth0", "p0", "02:00:00:00:00", 0, NULL);
    expect_invalid(g, "invalid MAC");

    g = netns_guest_create("g");
    netns_guest_add_iface(g, "eth0", "p0", NULL, 67, NULL);
    expect_invalid(g, "invalid MTU 67");

    g = netns_guest_create("g");
    netns_iface_add_address(
        netns_guest_add_iface(g, "eth0", "p0", NULL, 0, NULL), "10.0.0.1");
    expect_invalid(g, "invalid address \"10.0.0.1\"");

    g = netns_guest_create("g");
    netns_iface_add_address(
        netns_guest_add_iface(g, "eth0", "p0", NULL, 0, NULL), "10.0.0.1/33");
    expect_invalid(g, "invalid address \"10.0.0.1/33\"");

    g = netns_guest_create("g");
    netns_guest_add_iface(g, "eth0", "p0", NULL, 0, "10.0.0.300");
    expect_invalid(g, "via an invalid gateway \"10.0.0.300\"");

    g = netns_guest_create("g");
    netns_iface_add_route(
        netns_guest_add_iface(g, "eth0", "p0", NULL, 0, NULL), "10.0.0.0/8",
        "fd00::1");
    expect_invalid(g, "route to 10.0.0.0/8 via an invalid gateway");

    /* Two default routes of one family through two interfaces. */
    g = netns_guest_create("g");
    netns_guest_add_iface(g, "eth0", "p0", NULL, 0, "10.0.0.1");
    netns_iface_add_route(
        netns_guest_add_iface(g, "eth1", "p1", NULL, 0, NULL), "0.0.0.0/0",
        "10.0.1.1");
    expect_invalid(g, "two routes to default");

    char *peers[] = {"ok", "bad/peer"};
    struct ovsdb_error *error = NULL;
    assert_int_equal(netns_guest_remove("g", peers, 2, &error), -EINVAL);
    assert_non_null(strstr(error->msg, "\"bad/peer\""));
    ovsdb_error_free(error);
    assert_int_equal(netns_exec("a/b", peers), -EINVAL);
    char *none[] = {NULL};
    assert_int_equal(netns_exec("g", none), -EINVAL);
}

static void
test_canon(void **state)
{
    char *s = NULL;
    assert_int_equal(netns_canon_prefix("10.1.2.3/8", false, true, 0, &s),
                     AF_INET);
    assert_string_equal(s, "10.0.0.0/8");
    free(s);
    assert_int_equal(netns_canon_prefix("10.1.2.3", true, true, 0, &s),
                     AF_INET);
    assert_string_equal(s, "10.1.2.3/32");
    free(s);
    assert_int_equal(netns_canon_prefix("10.1.2.3", false, true, 0, &s), 0);
    assert_int_equal(netns_canon_prefix("0.0.0.0/0", false, true, 0, &s),
                     AF_INET);
    assert_string_equal(s, "default");
    free(s);
    assert_int_equal(netns_canon_prefix("default", true, true, AF_INET6, &s),
                     AF_INET6);
    assert_string_equal(s, "default");
    free(s);
    assert_int_equal(
        netns_canon_prefix("FD00:0::1:0:0:1/64", false, false, 0, &s),
        AF_INET6);
    assert_string_equal(s, "fd00::1:0:0:1/64");
    free(s);
    assert_int_equal(
        netns_canon_prefix("fd00::1/64", false, false, AF_INET, &s), 0);
    assert_int_equal(netns_canon_prefix("10.0.0.1/", false, false, 0, &s), 0);
    assert_int_equal(netns_canon_prefix("10.0.0.1/-1", false, false, 0, &s),
                     0);

    char mac[18], peer[18];
    assert_true(netns_canon_mac("02:AB:cd:00:00:01", mac));
    assert_string_equal(mac, "02:ab:cd:00:00:01");
    netns_peer_mac(mac, peer);
    assert_string_equal(peer, "fe:ab:cd:00:00:01");
    assert_true(netns_canon_mac("fe:00:00:00:00:01", mac));
    netns_peer_mac(mac, peer);
    assert_string_equal(peer, "fa:00:00:00:00:01");
    assert_false(netns_canon_mac("01:00:5e:00:00:01", mac));
    assert_false(netns_canon_mac("02-00-00-00-00-01", mac));

    assert_true(netns_valid_ifname("fabt123456pa0"));
    assert_false(netns_valid_ifname("0123456789abcdef"));
    assert_false(netns_valid_ifname("-x"));
    assert_false(netns_valid_ifname("a b"));
    assert_false(netns_valid_ifname(""));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ensure_new),
        cmocka_unit_test(test_ensure_same),
        cmocka_unit_test(test_ensure_readdress),
        cmocka_unit_test(test_ensure_repair),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_snapshot_shared),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_read_failures),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_canon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
