/* Functional tests of controllers/pipeline.h on a real ovs-vswitchd
 * (userspace datapath) in a network namespace of the test's own (needs
 * root; skipped otherwise).
 *
 * The classic lab on one host: guests host01 and host02 in network1 and
 * host03 in network2 are namespaces made by controllers/netns.h, their
 * veth peers ports of br-int (fail_mode secure); host04 is left unbound.
 * The flows pipeline_flows() writes are installed with `ovs-ofctl -O
 * OpenFlow15 --bundle replace-flows`, then: ping within a network, to
 * both gateways, across the router (TTL 63), the gateway's ARP answer,
 * MAC, IP and ARP spoofing dropped, a double-tagged frame kept out of the
 * other VLAN, and `ofproto/trace` of a routed packet.  A second bridge
 * holds the ports of host hv1 of the two-host lab, with a GENEVE port, to
 * trace frames into and out of the tunnel.
 *
 * Frames are sent and captured with AF_PACKET sockets opened inside the
 * guests' namespaces (setns()), so no packet tool is needed.  The guest
 * namespaces carry this process's PID in their names and are removed in
 * the group teardown, at exit and on SIGINT/SIGTERM/SIGHUP. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "model.h"
#include "netns.h"
#include "ovsdb-error.h"
#include "pipeline.h"
#include "sandbox.h"
#include "topology.h"
#include "vswitchd.h"

#define VSWITCH_SCHEMA "/usr/share/openvswitch/vswitch.ovsschema"
#define CLASSIC FABRIC_SOURCE_DIR "/topologies/classic-lab.yaml"
#define TWO_HOSTS FABRIC_SOURCE_DIR "/topologies/two-hosts.yaml"

/* The labs: the classic lab, and a trunk lab on a bridge of its own. */
enum { CLASSIC_LAB, TRUNK_LAB, N_LABS };
static const char *const bridges[N_LABS] = {"br-int", "br-trunk"};

/* A trunk: guest t carries n1 untagged and n2 tagged; a is in n1, b in
 * n2. */
static const char trunk_yaml[] =
    "name: trunk-lab\n"
    "networks:\n"
    "  - {name: n1, subnet: 10.1.0.0/24, vlan: 101}\n"
    "  - {name: n2, subnet: 10.2.0.0/24, vlan: 102}\n"
    "guests:\n"
    "  - name: t\n"
    "    interfaces:\n"
    "      - {network: n1, ip: 10.1.0.1/24, vlan_mode: trunk,\n"
    "         trunks: [n2]}\n"
    "  - {name: a, interfaces: [{network: n1, ip: 10.1.0.2/24}]}\n"
    "  - {name: b, interfaces: [{network: n2, ip: 10.2.0.2/24}]}\n";

/* The guests this test makes: index into world.guests. */
enum { H01, H02, H03, T_T, T_A, T_B, N_GUESTS };
static const struct {
    int lab;
    const char *name;
} guest_defs[N_GUESTS] = {
    {CLASSIC_LAB, "host01"}, {CLASSIC_LAB, "host02"}, {CLASSIC_LAB, "host03"},
    {TRUNK_LAB, "t"},        {TRUNK_LAB, "a"},        {TRUNK_LAB, "b"},
};

struct world {
    bool ok; /* False: every test skips. */
    char *dir;
    struct sbx_ovsdb db;
    struct vswitchd vs;
    struct fabric_model *labs[N_LABS];
    char *mgmt[N_LABS];      /* unix:DIR/BRIDGE.mgmt */
    char ns[N_GUESTS][32];   /* Guest namespaces. */
    char peer[N_GUESTS][16]; /* Their veth ends on the bridge. */
    long ofport[N_GUESTS];
    const char *mac[N_GUESTS];
};

static struct world world;

/* Removes the guest namespaces by exact name. */
static void
cleanup(void)
{
    for (int i = 0; i < N_GUESTS; i++) {
        if (world.ns[i][0]) {
            char *peers[] = {world.peer[i]};
            netns_guest_remove(world.ns[i], peers, 1, NULL);
            world.ns[i][0] = '\0';
        }
    }
}

static void
on_signal(int sig)
{
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Runs a command (NULL-terminated), returns its exit status, and stores
 * its output in '*outp' when 'outp' is not NULL. */
static int
run(char **outp, const char *arg0, ...)
{
    const char *argv[32];
    int n = 0;
    va_list args;
    va_start(args, arg0);
    for (const char *a = arg0; a && n < 31; a = va_arg(args, const char *)) {
        argv[n++] = a;
    }
    va_end(args);
    argv[n] = NULL;
    char *out = NULL;
    int rc = sbx_run((char *const *)argv, &out);
    if (outp) {
        *outp = out;
    } else {
        free(out);
    }
    return rc;
}

#define RUN_OK(...)                                                           \
    do {                                                                      \
        char *out_ = NULL;                                                    \
        int rc_ = run(&out_, __VA_ARGS__, (char *)NULL);                      \
        if (rc_) {                                                            \
            fail_msg("command failed (%d): %s", rc_, out_);                   \
        }                                                                     \
        free(out_);                                                           \
    } while (0)

static const struct fabric_guest *
find_guest(const struct fabric_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_guests; i++) {
        if (!strcmp(m->guests[i].name, name)) {
            return &m->guests[i];
        }
    }
    return NULL;
}

/* Port numbers of the guests of lab '*aux' on its bridge. */
static long
lab_iface(const char *guest, const char *iface, void *aux)
{
    int lab = *(const int *)aux;
    for (int i = 0; i < N_GUESTS; i++) {
        if (guest_defs[i].lab == lab && !strcmp(guest, guest_defs[i].name) &&
            !strcmp(iface, "eth0")) {
            return world.ofport[i];
        }
    }
    return 0;
}

/* Writes 'flows' to a file and installs it on 'mgmt'. */
static int
install(const char *mgmt, const char *flows)
{
    char *path = sbx_path(world.dir, "flows.txt");
    FILE *f = fopen(path, "w");
    if (!f) {
        free(path);
        return -errno;
    }
    fputs(flows, f);
    fclose(f);
    char *out = NULL;
    int rc = run(&out, "ovs-ofctl", "-O", "OpenFlow15", "--bundle",
                 "replace-flows", mgmt, path, (char *)NULL);
    if (rc) {
        fprintf(stderr, "replace-flows failed (%d): %s\n", rc, out);
    }
    free(out);
    free(path);
    return rc;
}

static long
get_ofport(const char *iface)
{
    char *out = NULL;
    if (vswitchd_vsctl(&world.vs, &out, "get", "Interface", iface, "ofport",
                       NULL)) {
        free(out);
        return -1;
    }
    long n = atol(out);
    free(out);
    return n;
}

/* Makes guest 'i' and plugs it into its lab's bridge. */
static int
make_guest(int i)
{
    int lab = guest_defs[i].lab;
    const struct fabric_guest *g =
        find_guest(world.labs[lab], guest_defs[i].name);
    const struct fabric_interface *f = &g->interfaces[0];
    snprintf(world.ns[i], sizeof world.ns[i], "fpl%d-%s", (int)getpid(),
             g->name);
    snprintf(world.peer[i], sizeof world.peer[i], "pl-%s", g->name);
    world.mac[i] = f->mac;
    struct netns_guest *ng = netns_guest_create(world.ns[i]);
    struct netns_iface *ni = netns_guest_add_iface(ng, f->name, world.peer[i],
                                                   f->mac, f->mtu, f->gateway);
    for (size_t k = 0; k < f->n_addresses; k++) {
        netns_iface_add_address(ni, f->addresses[k]);
    }
    struct ovsdb_error *error = NULL;
    int rc = netns_guest_ensure(ng, &error);
    netns_guest_free(ng);
    if (rc) {
        fprintf(stderr, "%s\n", error->msg);
        ovsdb_error_free(error);
        return rc;
    }
    char request[32];
    snprintf(request, sizeof request, "ofport_request=%d", i + 1);
    rc = vswitchd_vsctl(&world.vs, NULL, "add-port", bridges[lab],
                        world.peer[i], "--", "set", "Interface", world.peer[i],
                        request, NULL);
    if (rc) {
        return rc;
    }
    world.ofport[i] = get_ofport(world.peer[i]);
    return world.ofport[i] == i + 1 ? 0 : -EIO;
}

static int
group_setup(void **state)
{
    if (geteuid() != 0 || vswitchd_private_netns()) {
        fprintf(stderr, "no network namespace of our own: skipping\n");
        return 0;
    }
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);

    world.dir = sbx_mkdtemp("pipeline");
    if (!world.dir) {
        return -1;
    }
    sbx_ovsdb_init(&world.db, world.dir, "conf");
    vswitchd_init(&world.vs, world.dir, world.db.unix_remote);
    if (sbx_ovsdb_create_db(&world.db, VSWITCH_SCHEMA) ||
        sbx_ovsdb_start(&world.db, NULL) || vswitchd_db_init(&world.vs) ||
        vswitchd_start(&world.vs)) {
        return -1;
    }
    for (int lab = 0; lab < N_LABS; lab++) {
        if (vswitchd_vsctl(&world.vs, NULL, "add-br", bridges[lab], "--",
                           "set", "Bridge", bridges[lab],
                           "datapath_type=netdev", "fail_mode=secure", NULL)) {
            return -1;
        }
        world.mgmt[lab] = vswitchd_mgmt(&world.vs, bridges[lab]);
    }
    if (topology_load_file(CLASSIC, &world.labs[CLASSIC_LAB], NULL) ||
        topology_load_buffer("trunk-lab.yaml", trunk_yaml, strlen(trunk_yaml),
                             &world.labs[TRUNK_LAB], NULL)) {
        return -1;
    }
    for (int i = 0; i < N_GUESTS; i++) {
        if (make_guest(i)) {
            return -1;
        }
    }
    world.ok = true;
    return 0;
}

static int
group_teardown(void **state)
{
    cleanup();
    if (world.dir) {
        vswitchd_clear(&world.vs);
        sbx_ovsdb_clear(&world.db);
        sbx_rmtree(world.dir);
        free(world.dir);
    }
    for (int lab = 0; lab < N_LABS; lab++) {
        free(world.mgmt[lab]);
        fabric_model_destroy(world.labs[lab]);
    }
    return 0;
}

/* Pings 'dst' from guest 'i' (with source address 'src' unless NULL)
 * and returns ping's exit status; '*ttl' gets the reply's TTL (or -1). */
static int
ping(int i, const char *src, const char *dst, int *ttl)
{
    char *out = NULL;
    int rc = src ? run(&out, "ip", "netns", "exec", world.ns[i], "ping", "-n",
                       "-c", "1", "-W", "2", "-I", src, dst, (char *)NULL)
                 : run(&out, "ip", "netns", "exec", world.ns[i], "ping", "-n",
                       "-c", "1", "-W", "2", dst, (char *)NULL);
    const char *t = out ? strstr(out, "ttl=") : NULL;
    if (ttl) {
        *ttl = t ? atoi(t + 4) : -1;
    }
    free(out);
    return rc;
}

/* Pings until one goes through, up to three times: the first packet of
 * a flow may meet a neighbor cache still being filled. */
static int
ping_ok(int i, const char *src, const char *dst, int *ttl)
{
    int rc = 1;
    for (int k = 0; k < 3 && rc; k++) {
        rc = ping(i, src, dst, ttl);
    }
    return rc;
}

#define SKIP_UNLESS_READY()                                                   \
    do {                                                                      \
        if (!world.ok) {                                                      \
            skip();                                                           \
        }                                                                     \
    } while (0)

static void
test_install(void **state)
{
    SKIP_UNLESS_READY();
    int lab = CLASSIC_LAB;
    struct pipeline_ports ports = {.iface = lab_iface, .aux = &lab};
    char *flows = pipeline_flows(world.labs[lab], "local", &ports);
    assert_int_equal(install(world.mgmt[lab], flows), 0);

    /* Every flow is in the switch, with its cookie. */
    char *dump = NULL;
    assert_int_equal(run(&dump, "ovs-ofctl", "-O", "OpenFlow15", "--no-names",
                         "dump-flows", world.mgmt[lab], (char *)NULL),
                     0);
    int n_flows = 0, n_dumped = 0;
    for (const char *p = flows; (p = strchr(p, '\n')); p++) {
        n_flows++;
    }
    for (const char *p = dump; (p = strstr(p, " cookie=")); p++) {
        n_dumped++;
    }
    assert_int_equal(n_dumped, n_flows);
    char cookie[32];
    snprintf(cookie, sizeof cookie, "cookie=%#llx,",
             (unsigned long long)pipeline_cookie(PIPELINE_COOKIE_IFACE,
                                                 "host03/eth0"));
    assert_non_null(strstr(dump, cookie));
    free(dump);

    /* Installing the same flows again is accepted as well. */
    assert_int_equal(install(world.mgmt[lab], flows), 0);
    free(flows);
}

static void
test_ping_same_network(void **state)
{
    SKIP_UNLESS_READY();
    int ttl;
    assert_int_equal(ping_ok(H01, NULL, "172.16.0.2", &ttl), 0);
    assert_int_equal(ttl, 64);
    assert_int_equal(ping_ok(H02, NULL, "172.16.0.1", &ttl), 0);
}

static void
test_ping_gateways(void **state)
{
    SKIP_UNLESS_READY();
    int ttl;
    assert_int_equal(ping_ok(H01, NULL, "172.16.0.254", &ttl), 0);
    assert_int_equal(ttl, 64);
    assert_int_equal(ping_ok(H01, NULL, "172.17.0.254", &ttl), 0);
    assert_int_equal(ping_ok(H03, NULL, "172.17.0.254", &ttl), 0);
    assert_int_equal(ping_ok(H03, NULL, "172.16.0.254", &ttl), 0);

    /* The gateway's address was resolved by the ARP responder. */
    char *out = NULL;
    assert_int_equal(run(&out, "ip", "-n", world.ns[H01], "neigh", "show",
                         "172.16.0.254", (char *)NULL),
                     0);
    const struct fabric_router *r = &world.labs[CLASSIC_LAB]->routers[0];
    long net1 = fabric_model_find_network(world.labs[CLASSIC_LAB], "network1");
    const char *mac = r->ports[0].network == (size_t)net1 ? r->ports[0].mac
                                                          : r->ports[1].mac;
    if (!strstr(out, mac)) {
        fail_msg("the gateway is not at %s: %s", mac, out);
    }
    free(out);
}

static void
test_ping_routed(void **state)
{
    SKIP_UNLESS_READY();
    int ttl;
    assert_int_equal(ping_ok(H01, NULL, "172.17.0.1", &ttl), 0);
    assert_int_equal(ttl, 63);
    assert_int_equal(ping_ok(H03, NULL, "172.16.0.2", &ttl), 0);
    assert_int_equal(ttl, 63);
    /* host04 is in the lab but not bound here: nothing reaches it. */
    assert_int_not_equal(ping(H01, NULL, "172.17.0.2", NULL), 0);
}

/* Raw frames. */

/* Opens an AF_PACKET socket on device 'dev' of namespace 'ns'. */
static int
raw_socket(const char *ns, const char *dev)
{
    char path[128];
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(self >= 0 && target >= 0);
    assert_int_equal(setns(target, CLONE_NEWNET), 0);
    int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(ETH_P_ALL),
        .sll_ifindex = if_nametoindex(dev),
    };
    int bound = s >= 0 ? bind(s, (struct sockaddr *)&sll, sizeof sll) : -1;
    int one = 1;
    if (s >= 0) {
        setsockopt(s, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one);
    }
    assert_int_equal(setns(self, CLONE_NEWNET), 0);
    close(self);
    close(target);
    assert_true(s >= 0 && bound == 0);
    return s;
}

static void
parse_mac(const char *s, uint8_t mac[6])
{
    unsigned int b[6];
    assert_int_equal(sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3],
                            &b[4], &b[5]),
                     6);
    for (int i = 0; i < 6; i++) {
        mac[i] = b[i];
    }
}

/* Builds in 'frame' an Ethernet frame from 'src' to 'dst' with the
 * 'n_tags' VLAN tags in 'tags' (outermost first), carrying an ARP
 * packet of operation 'op' from 'sha'/'spa' to 'tha'/'tpa'.  Returns its
 * length. */
static size_t
arp_frame(uint8_t *frame, const char *dst, const char *src, const int *tags,
          int n_tags, int op, const char *sha, const char *spa,
          const char *tha, const char *tpa)
{
    uint8_t *p = frame;
    parse_mac(dst, p);
    parse_mac(src, p + 6);
    p += 12;
    for (int i = 0; i < n_tags; i++) {
        *p++ = 0x81;
        *p++ = 0x00;
        *p++ = tags[i] >> 8;
        *p++ = tags[i] & 0xff;
    }
    *p++ = 0x08;
    *p++ = 0x06;
    static const uint8_t hdr[] = {0, 1, 8, 0, 6, 4};
    memcpy(p, hdr, sizeof hdr);
    p += sizeof hdr;
    *p++ = 0;
    *p++ = op;
    parse_mac(sha, p);
    assert_int_equal(inet_pton(AF_INET, spa, p + 6), 1);
    parse_mac(tha, p + 10);
    assert_int_equal(inet_pton(AF_INET, tpa, p + 16), 1);
    p += 20;
    size_t len = p - frame;
    if (len < 60) {
        memset(p, 0, 60 - len);
        len = 60;
    }
    return len;
}

/* Returns true if socket 's' receives, within 'ms' milliseconds, a frame
 * (not one it sent) that holds the 4 bytes of address 'marker'; then
 * '*vlan', if not NULL, gets the frame's VLAN (0 when untagged).  Every
 * frame received meanwhile is consumed. */
static bool
received_vlan(int s, const char *marker, int ms, int *vlan)
{
    uint8_t needle[4];
    assert_int_equal(inet_pton(AF_INET, marker, needle), 1);
    long long deadline = sbx_now_ms() + ms;
    bool found = false;
    for (;;) {
        long long left = deadline - sbx_now_ms();
        struct pollfd pfd = {.fd = s, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, left) <= 0) {
            break;
        }
        uint8_t buf[2048];
        struct sockaddr_ll from;
        union {
            struct cmsghdr cm;
            char space[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
        } control;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
        struct msghdr msg = {
            .msg_name = &from,
            .msg_namelen = sizeof from,
            .msg_iov = &iov,
            .msg_iovlen = 1,
            .msg_control = &control,
            .msg_controllen = sizeof control,
        };
        ssize_t n = recvmsg(s, &msg, 0);
        if (n < 14 || from.sll_pkttype == PACKET_OUTGOING || found ||
            !memmem(buf, n, needle, 4)) {
            continue;
        }
        found = true;
        /* The kernel may have taken the tag out of the frame. */
        int tag = buf[12] == 0x81 && buf[13] == 0x00
                      ? ((buf[14] << 8) | buf[15]) & 0xfff
                      : 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
             c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_PACKET &&
                c->cmsg_type == PACKET_AUXDATA) {
                struct tpacket_auxdata aux;
                memcpy(&aux, CMSG_DATA(c), sizeof aux);
                if (aux.tp_status & TP_STATUS_VLAN_VALID) {
                    tag = aux.tp_vlan_tci & 0xfff;
                }
            }
        }
        if (vlan) {
            *vlan = tag;
        }
    }
    return found;
}

static bool
received(int s, const char *marker, int ms)
{
    return received_vlan(s, marker, ms, NULL);
}

static void
send_frame(int s, const uint8_t *frame, size_t len)
{
    assert_int_equal(send(s, frame, len, 0), (ssize_t)len);
}

static void
test_mac_spoofing(void **state)
{
    SKIP_UNLESS_READY();
    /* Unsolicited ARP replies from host02 to host01, each marked by an
     * unused target address (the pipeline does not look at it). */
    int tx = raw_socket(world.ns[H02], "eth0");
    int rx = raw_socket(world.ns[H01], "eth0");
    const char *m1 = world.mac[H01], *m2 = world.mac[H02];
    const char *fake = "02:fa:00:00:00:99";
    uint8_t frame[128];
    /* host02's address from another MAC. */
    size_t len = arp_frame(frame, m1, fake, NULL, 0, 2, fake, "172.16.0.2", m1,
                           "172.16.0.86");
    send_frame(tx, frame, len);
    assert_false(received(rx, "172.16.0.86", 500));
    /* The control: the same from host02's own MAC arrives. */
    len = arp_frame(frame, m1, m2, NULL, 0, 2, m2, "172.16.0.2", m1,
                    "172.16.0.87");
    send_frame(tx, frame, len);
    assert_true(received(rx, "172.16.0.87", 1000));
    close(tx);
    close(rx);

    /* host02 takes another MAC: it can no longer talk. */
    RUN_OK("ip", "-n", world.ns[H02], "link", "set", "dev", "eth0", "address",
           fake);
    RUN_OK("ip", "-n", world.ns[H02], "neigh", "flush", "all");
    int rc = ping(H02, NULL, "172.16.0.1", NULL);
    RUN_OK("ip", "-n", world.ns[H02], "link", "set", "dev", "eth0", "address",
           m2);
    assert_int_not_equal(rc, 0);
    assert_int_equal(ping_ok(H02, NULL, "172.16.0.1", NULL), 0);
}

static void
test_ip_spoofing(void **state)
{
    SKIP_UNLESS_READY();
    RUN_OK("ip", "-n", world.ns[H01], "address", "add", "172.16.0.99/24",
           "dev", "eth0");
    int rc = ping(H01, "172.16.0.99", "172.16.0.2", NULL);
    RUN_OK("ip", "-n", world.ns[H01], "address", "del", "172.16.0.99/24",
           "dev", "eth0");
    assert_int_not_equal(rc, 0);
    assert_int_equal(ping_ok(H01, "172.16.0.1", "172.16.0.2", NULL), 0);
}

static void
test_arp_spoofing(void **state)
{
    SKIP_UNLESS_READY();
    /* Unsolicited ARP replies from host01 to host02, each marked by an
     * unused target address (the pipeline does not look at it). */
    int tx = raw_socket(world.ns[H01], "eth0");
    int rx = raw_socket(world.ns[H02], "eth0");
    const char *m1 = world.mac[H01], *m2 = world.mac[H02];
    uint8_t frame[128];

    /* "The gateway is at host01's MAC." */
    size_t len = arp_frame(frame, m2, m1, NULL, 0, 2, m1, "172.16.0.254", m2,
                           "172.16.0.82");
    send_frame(tx, frame, len);
    assert_false(received(rx, "172.16.0.82", 500));

    /* An address that is not host01's. */
    len = arp_frame(frame, m2, m1, NULL, 0, 2, m1, "172.16.0.77", m2,
                    "172.16.0.83");
    send_frame(tx, frame, len);
    assert_false(received(rx, "172.16.0.83", 500));

    /* host01's address at another MAC, sent from host01's MAC. */
    len = arp_frame(frame, m2, m1, NULL, 0, 2, "02:fa:00:00:00:98",
                    "172.16.0.1", m2, "172.16.0.84");
    send_frame(tx, frame, len);
    assert_false(received(rx, "172.16.0.84", 500));

    /* The control: host01's own address and MAC arrive. */
    len = arp_frame(frame, m2, m1, NULL, 0, 2, m1, "172.16.0.1", m2,
                    "172.16.0.85");
    send_frame(tx, frame, len);
    assert_true(received(rx, "172.16.0.85", 1000));
    close(tx);
    close(rx);
}

static void
test_vlan_tags(void **state)
{
    SKIP_UNLESS_READY();
    int tx = raw_socket(world.ns[H01], "eth0");
    int rx2 = raw_socket(world.ns[H02], "eth0");
    int rx3 = raw_socket(world.ns[H03], "eth0");
    const char *m1 = world.mac[H01];
    const char *bcast = "ff:ff:ff:ff:ff:ff", *zero = "00:00:00:00:00:00";
    long net1 = fabric_model_find_network(world.labs[CLASSIC_LAB], "network1");
    long net2 = fabric_model_find_network(world.labs[CLASSIC_LAB], "network2");
    uint8_t frame[128];

    /* A broadcast ARP request for an unknown address floods network1
     * (host02), not network2 (host03). */
    size_t len = arp_frame(frame, bcast, m1, NULL, 0, 1, m1, "172.16.0.1",
                           zero, "172.16.0.71");
    send_frame(tx, frame, len);
    assert_true(received(rx2, "172.16.0.71", 1000));
    assert_false(received(rx3, "172.16.0.71", 100));

    /* Double-tagged: outer network1's VLAN, inner network2's. */
    int tags[2] = {world.labs[CLASSIC_LAB]->networks[net1].vlan,
                   world.labs[CLASSIC_LAB]->networks[net2].vlan};
    len = arp_frame(frame, bcast, m1, tags, 2, 1, m1, "172.16.0.1", zero,
                    "172.16.0.72");
    send_frame(tx, frame, len);
    assert_false(received(rx2, "172.16.0.72", 500));
    assert_false(received(rx3, "172.16.0.72", 100));

    /* Tagged with network2's VLAN only. */
    len = arp_frame(frame, bcast, m1, tags + 1, 1, 1, m1, "172.16.0.1", zero,
                    "172.16.0.73");
    send_frame(tx, frame, len);
    assert_false(received(rx2, "172.16.0.73", 500));
    assert_false(received(rx3, "172.16.0.73", 100));
    close(tx);
    close(rx2);
    close(rx3);
}

/* Returns the output of ofproto/trace of 'flow' on 'bridge'. */
static char *
trace(const char *bridge, const char *flow)
{
    char *out = NULL;
    if (getenv("PIPELINE_TRACE")) {
        fprintf(stderr, "trace %s\n", flow);
    }
    int rc =
        vswitchd_appctl(&world.vs, &out, "ofproto/trace", bridge, flow, NULL);
    if (rc) {
        fail_msg("ofproto/trace failed: %s", out);
    }
    if (getenv("PIPELINE_TRACE")) {
        fprintf(stderr, "%s\n", out);
    }
    return out;
}

static void
assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle)) {
        fail_msg("'%s' not found in:\n%s", needle, text);
    }
}

static void
test_trace_routed(void **state)
{
    SKIP_UNLESS_READY();
    const struct fabric_router *r = &world.labs[CLASSIC_LAB]->routers[0];
    long net1 = fabric_model_find_network(world.labs[CLASSIC_LAB], "network1");
    const char *gw_mac = r->ports[0].network == (size_t)net1 ? r->ports[0].mac
                                                             : r->ports[1].mac;
    char flow[256];
    snprintf(flow, sizeof flow,
             "in_port=%ld,icmp,dl_src=%s,dl_dst=%s,nw_src=172.16.0.1,"
             "nw_dst=172.17.0.1,nw_ttl=64,icmp_type=8",
             world.ofport[H01], world.mac[H01], gw_mac);
    char *out = trace("br-int", flow);
    char expect[64];
    snprintf(expect, sizeof expect, "output:%ld", world.ofport[H03]);
    assert_contains(out, expect);
    snprintf(expect, sizeof expect, "dl_dst=%s", world.mac[H03]);
    assert_contains(out, expect);
    assert_contains(out, "nw_ttl=63");
    assert_null(strstr(out, "Datapath actions: drop"));
    free(out);

    /* TTL expiry: dec_ttl stops the packet there and offers it to a
     * controller (none is connected: it goes nowhere). */
    snprintf(flow, sizeof flow,
             "in_port=%ld,icmp,dl_src=%s,dl_dst=%s,nw_src=172.16.0.1,"
             "nw_dst=172.17.0.1,nw_ttl=1,icmp_type=8",
             world.ofport[H01], world.mac[H01], gw_mac);
    out = trace("br-int", flow);
    assert_contains(out, "IPv4 decrement TTL exception");
    assert_contains(out, "Datapath actions: userspace(");
    assert_null(strstr(out, "output:"));
    free(out);

    /* Spoofed source address: dropped in classify. */
    snprintf(flow, sizeof flow,
             "in_port=%ld,icmp,dl_src=%s,dl_dst=%s,nw_src=172.16.0.9,"
             "nw_dst=172.17.0.1,nw_ttl=64,icmp_type=8",
             world.ofport[H01], world.mac[H01], gw_mac);
    out = trace("br-int", flow);
    assert_contains(out, "Datapath actions: drop");
    free(out);
}

/* The ports of host hv1 of the two-host lab, on a bridge of their own. */
static long
hv1_iface(const char *guest, const char *iface, void *aux)
{
    return !strcmp(guest, "host01") ? 1 : !strcmp(guest, "host03") ? 2 : 0;
}

static long
hv1_tunnel(const char *remote, void *aux)
{
    return !strcmp(remote, "hv2") ? 10 : 0;
}

static void
test_trace_tunnel(void **state)
{
    SKIP_UNLESS_READY();
    struct fabric_model *m = NULL;
    assert_int_equal(topology_load_file(TWO_HOSTS, &m, NULL), 0);
    assert_int_equal(
        vswitchd_vsctl(&world.vs, NULL, "add-br", "br-hv1", "--", "set",
                       "Bridge", "br-hv1", "datapath_type=netdev",
                       "fail_mode=secure", "--", "add-port", "br-hv1", "hv1p1",
                       "--", "set", "Interface", "hv1p1", "type=internal",
                       "ofport_request=1", "--", "add-port", "br-hv1", "hv1p2",
                       "--", "set", "Interface", "hv1p2", "type=internal",
                       "ofport_request=2", "--", "add-port", "br-hv1", "hv1t",
                       "--", "set", "Interface", "hv1t", "type=geneve",
                       "options:remote_ip=10.99.0.2", "options:key=flow",
                       "ofport_request=10", NULL),
        0);
    assert_int_equal(get_ofport("hv1t"), 10);
    struct pipeline_ports ports = {.iface = hv1_iface, .tunnel = hv1_tunnel};
    char *flows = pipeline_flows(m, "hv1", &ports);
    char *mgmt = vswitchd_mgmt(&world.vs, "br-hv1");
    assert_int_equal(install(mgmt, flows), 0);
    free(flows);

    const char *h01 = find_guest(m, "host01")->interfaces[0].mac;
    const char *h02 = find_guest(m, "host02")->interfaces[0].mac;
    const char *h03 = find_guest(m, "host03")->interfaces[0].mac;
    long net1 = fabric_model_find_network(m, "network1");
    int vni1 = m->networks[net1].vni;
    char flow[256], expect[64];

    /* host01 to host02 (network1, on hv2): into the tunnel. */
    snprintf(flow, sizeof flow,
             "in_port=1,icmp,dl_src=%s,dl_dst=%s,"
             "nw_src=172.16.0.1,nw_dst=172.16.0.2,nw_ttl=64",
             h01, h02);
    char *out = trace("br-hv1", flow);
    snprintf(expect, sizeof expect, "set_field:0x%x->tun_id", vni1);
    assert_contains(out, expect);
    assert_contains(out, "output:10");
    free(out);

    /* From the tunnel to host01: delivered without routing. */
    snprintf(flow, sizeof flow,
             "in_port=10,tun_id=%d,icmp,dl_src=%s,"
             "dl_dst=%s,nw_src=172.16.0.2,nw_dst=172.16.0.1,nw_ttl=64",
             vni1, h02, h01);
    out = trace("br-hv1", flow);
    assert_contains(out, "output:1\n");
    assert_null(strstr(out, "goto_table:10"));
    free(out);

    /* Broadcast from the tunnel goes to local ports only, never back. */
    snprintf(flow, sizeof flow,
             "in_port=10,tun_id=%d,arp,dl_src=%s,"
             "dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1,arp_spa=172.16.0.2,"
             "arp_tpa=172.16.0.50",
             vni1, h02);
    out = trace("br-hv1", flow);
    assert_contains(out, "output:1");
    assert_null(strstr(out, "output:10"));
    free(out);

    /* host03 (network2) to host02 (network1, on hv2): routed here, then
     * into the tunnel with network1's VNI. */
    const struct fabric_router *r = &m->routers[0];
    const char *gw2 = r->ports[0].network == (size_t)net1 ? r->ports[1].mac
                                                          : r->ports[0].mac;
    snprintf(flow, sizeof flow,
             "in_port=2,icmp,dl_src=%s,dl_dst=%s,"
             "nw_src=172.17.0.1,nw_dst=172.16.0.2,nw_ttl=64",
             h03, gw2);
    out = trace("br-hv1", flow);
    snprintf(expect, sizeof expect, "set_field:0x%x->tun_id", vni1);
    assert_contains(out, expect);
    assert_contains(out, "output:10");
    assert_contains(out, "nw_ttl=63");
    free(out);

    assert_int_equal(vswitchd_vsctl(&world.vs, NULL, "del-br", "br-hv1", NULL),
                     0);
    free(mgmt);
    fabric_model_destroy(m);
}

/* A trunk carries its own network untagged and the others tagged.  (The
 * kernel here may have no VLAN devices: t's tagged frames are raw.) */
static void
test_trunk(void **state)
{
    SKIP_UNLESS_READY();
    int lab = TRUNK_LAB;
    struct pipeline_ports ports = {.iface = lab_iface, .aux = &lab};
    char *flows = pipeline_flows(world.labs[lab], "local", &ports);
    assert_int_equal(install(world.mgmt[lab], flows), 0);
    free(flows);

    /* Untagged, t is in n1. */
    assert_int_equal(ping_ok(T_T, NULL, "10.1.0.2", NULL), 0);
    assert_int_equal(ping_ok(T_A, NULL, "10.1.0.1", NULL), 0);

    int t = raw_socket(world.ns[T_T], "eth0");
    int a = raw_socket(world.ns[T_A], "eth0");
    int b = raw_socket(world.ns[T_B], "eth0");
    const char *mt = world.mac[T_T], *ma = world.mac[T_A];
    const char *mb = world.mac[T_B];
    const char *bcast = "ff:ff:ff:ff:ff:ff", *zero = "00:00:00:00:00:00";
    uint8_t frame[128];
    int vlan = -1;

    /* A broadcast in n2 reaches t tagged with n2's VLAN, not a. */
    size_t len = arp_frame(frame, bcast, mb, NULL, 0, 1, mb, "10.2.0.2", zero,
                           "10.2.0.77");
    send_frame(b, frame, len);
    assert_true(received_vlan(t, "10.2.0.77", 1000, &vlan));
    assert_int_equal(vlan, 102);
    assert_false(received(a, "10.2.0.77", 100));

    /* t asks, tagged, for b's address: the answer comes back tagged. */
    int tag = 102;
    len = arp_frame(frame, bcast, mt, &tag, 1, 1, mt, "10.2.0.1", zero,
                    "10.2.0.2");
    send_frame(t, frame, len);
    vlan = -1;
    assert_true(received_vlan(t, "10.2.0.1", 1000, &vlan));
    assert_int_equal(vlan, 102);

    /* Tagged unicast from t to b arrives untagged. */
    len =
        arp_frame(frame, mb, mt, &tag, 1, 2, mt, "10.2.0.1", mb, "10.2.0.78");
    send_frame(t, frame, len);
    vlan = -1;
    assert_true(received_vlan(b, "10.2.0.78", 1000, &vlan));
    assert_int_equal(vlan, 0);

    /* Tagged with n1's VLAN (which t carries untagged): dropped. */
    tag = 101;
    len =
        arp_frame(frame, ma, mt, &tag, 1, 2, mt, "10.1.0.1", ma, "10.1.0.79");
    send_frame(t, frame, len);
    assert_false(received(a, "10.1.0.79", 500));
    close(t);
    close(a);
    close(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install),
        cmocka_unit_test(test_ping_same_network),
        cmocka_unit_test(test_ping_gateways),
        cmocka_unit_test(test_ping_routed),
        cmocka_unit_test(test_mac_spoofing),
        cmocka_unit_test(test_ip_spoofing),
        cmocka_unit_test(test_arp_spoofing),
        cmocka_unit_test(test_vlan_tags),
        cmocka_unit_test(test_trace_routed),
        cmocka_unit_test(test_trace_tunnel),
        cmocka_unit_test(test_trunk),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
