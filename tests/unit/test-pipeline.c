/* Unit tests of controllers/pipeline.h: the flows of example labs on one
 * host, compared to golden files (tests/golden/pipeline-*.flows; set
 * FABRIC_REGEN_GOLDEN=1 to rewrite them), with made-up OpenFlow port
 * numbers; and properties that hold whatever the golden files say: every
 * cookie names an object, unbound ports have no flows, broadcast reaches
 * only the hosts that have a port in the network, the output does not
 * depend on anything but the inputs. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway-names.h"
#include "golden.h"
#include "model.h"
#include "pipeline.h"
#include "topology.h"

#define BCAST "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00"

/* Made-up port numbers: a table of names and numbers. */
struct fake_port {
    const char *a; /* Guest, router or remote host. */
    const char *b; /* Interface or network; NULL for a tunnel. */
    long ofport;
};

static long
fake_find(const struct fake_port *ports, const char *a, const char *b)
{
    for (; ports->a; ports++) {
        if (!strcmp(ports->a, a) &&
            (b ? ports->b && !strcmp(ports->b, b) : !ports->b)) {
            return ports->ofport;
        }
    }
    return 0;
}

static long
fake_iface(const char *guest, const char *iface, void *aux)
{
    return fake_find(aux, guest, iface);
}

static long
fake_tunnel(const char *remote, void *aux)
{
    return fake_find(aux, remote, NULL);
}

/* A gateway port is listed as {NETWORK, "@gateway", PORT}. */
static long
fake_gateway(const char *network, void *aux)
{
    return fake_find(aux, network, "@gateway");
}

/* An uplink's port is listed as {NETWORK, "@uplink", PORT}. */
static long
fake_uplink(const char *network, void *aux)
{
    return fake_find(aux, network, "@uplink");
}

static struct pipeline_ports
fake_ports(const struct fake_port *table)
{
    return (struct pipeline_ports){
        .iface = fake_iface,
        .router_port = fake_iface,
        .tunnel = fake_tunnel,
        .aux = (void *)table,
        .gateway = fake_gateway,
        .uplink = fake_uplink,
    };
}

static struct fabric_model *
load(const char *relpath)
{
    char *path;
    assert_true(asprintf(&path, "%s/%s", FABRIC_SOURCE_DIR, relpath) > 0);
    struct fabric_model *m = NULL;
    struct topology_errors errors = {0};
    int rc = topology_load_file(path, &m, &errors);
    for (size_t i = 0; i < errors.n; i++) {
        fprintf(stderr, "%s\n", errors.lines[i]);
    }
    topology_errors_clear(&errors);
    assert_int_equal(rc, 0);
    free(path);
    return m;
}

/* Counts the lines of 'flows' that contain every one of the
 * NULL-terminated strings given. */
static int
count_lines(const char *flows, ...)
{
    int count = 0;
    const char *line = flows;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *copy = strndup(line, len);
        bool all = true;
        va_list args;
        va_start(args, flows);
        const char *s;
        while ((s = va_arg(args, const char *))) {
            all = all && strstr(copy, s);
        }
        va_end(args);
        count += all;
        free(copy);
        line += len + (end != NULL);
    }
    return count;
}

/* Returns the line of 'flows' that contains every string given (a new
 * string), failing unless there is exactly one. */
static char *
the_line(const char *flows, const char *a, const char *b, const char *c)
{
    assert_int_equal(count_lines(flows, a, b, c, (char *)NULL), 1);
    const char *line = flows;
    for (;;) {
        const char *end = strchr(line, '\n');
        char *copy = strndup(line, end - line);
        if (strstr(copy, a) && (!b || strstr(copy, b)) &&
            (!c || strstr(copy, c))) {
            return copy;
        }
        free(copy);
        line = end + 1;
    }
}

/* Checks that every line of 'flows' has a cookie that 'm' describes and
 * that flows made by one object share one description. */
static void
check_cookies(const struct fabric_model *m, const char *flows)
{
    const char *p = flows;
    int n = 0;
    while ((p = strstr(p, "cookie=0x"))) {
        uint64_t cookie = strtoull(p + 9, NULL, 16);
        char *what = pipeline_cookie_describe(m, cookie);
        if (!what) {
            fail_msg("cookie %#" PRIx64 " names no object", cookie);
        }
        free(what);
        p += 9;
        n++;
    }
    assert_int_equal(n, count_lines(flows, "", (char *)NULL));
}

static const struct fake_port classic_ports[] = {
    {"host01", "eth0", 1}, {"host02", "eth0", 2}, {"host03", "eth0", 3},
    {"host04", "eth0", 4}, {NULL, NULL, 0},
};

static void
test_classic_lab(void **state)
{
    struct fabric_model *m = load("topologies/classic-lab.yaml");
    struct pipeline_ports ports = fake_ports(classic_ports);
    char *flows = pipeline_flows(m, "local", &ports);
    golden_check("pipeline-classic-lab.flows", flows);
    check_cookies(m, flows);

    /* Routing from network1 to network2: TTL, MAC, network. */
    char *line =
        the_line(flows, "table=20,", "reg6=14016,", "nw_dst=172.17.0.0/24");
    assert_non_null(strstr(line, "actions=dec_ttl,"
                                 "set_field:02:fa:f9:18:a6:c4->eth_src,"
                                 "set_field:13868->reg6,"));
    free(line);
    /* Port security of host01: its MAC and address only. */
    assert_int_equal(count_lines(flows, "table=0,", "in_port=1,",
                                 "goto_table:10", (char *)NULL),
                     2);
    assert_int_equal(count_lines(flows, "in_port=1,",
                                 "dl_src=02:fa:6f:95:73:b0", "172.16.0.1,",
                                 (char *)NULL),
                     2);
    /* One host: no tunnels. */
    assert_int_equal(count_lines(flows, "tun_id", (char *)NULL), 0);
    free(flows);

    /* The same inputs give the same text. */
    flows = pipeline_flows(m, "local", &ports);
    char *again = pipeline_flows(m, "local", &ports);
    assert_string_equal(flows, again);
    free(again);
    free(flows);
    fabric_model_destroy(m);
}

static const struct fake_port hv1_ports[] = {
    {"host01", "eth0", 1},
    {"host03", "eth0", 2},
    {"hv2", NULL, 10},
    {NULL, NULL, 0},
};

static const struct fake_port hv2_ports[] = {
    {"host02", "eth0", 1},
    {"host04", "eth0", 2},
    {"hv1", NULL, 10},
    {NULL, NULL, 0},
};

static void
test_two_hosts(void **state)
{
    struct fabric_model *m = load("topologies/two-hosts.yaml");
    struct pipeline_ports ports = fake_ports(hv1_ports);
    char *flows = pipeline_flows(m, "hv1", &ports);
    golden_check("pipeline-two-hosts-hv1.flows", flows);
    check_cookies(m, flows);
    /* host02 (network1, on hv2) is reached through the tunnel, only from
     * local ports. */
    char *line =
        the_line(flows, "table=40,", "dl_dst=02:fa:5c:2c:61:c7", NULL);
    assert_non_null(strstr(line, "reg7=0x1/0x1,"));
    assert_non_null(strstr(line, "actions=set_field:14016->tun_id,"
                                 "output:10"));
    free(line);
    /* Frames from the tunnel go straight to delivery. */
    line = the_line(flows, "table=0,", "in_port=10,tun_id=13868", NULL);
    assert_non_null(strstr(line, "goto_table:40"));
    free(line);
    free(flows);

    ports = fake_ports(hv2_ports);
    flows = pipeline_flows(m, "hv2", &ports);
    golden_check("pipeline-two-hosts-hv2.flows", flows);
    check_cookies(m, flows);
    free(flows);
    fabric_model_destroy(m);
}

static const struct fake_port vm_lab_ports[] = {
    {"client", "eth0", 1}, {"client", "trunk0", 2}, {"web", "eth0", 3},
    {"gw", "lan", 4},      {"gw", "dmz", 5},        {NULL, NULL, 0},
};

/* Trunks, port security off, a router of kind vm. */
static void
test_vm_lab(void **state)
{
    struct fabric_model *m = load("topologies/vm-lab.yaml");
    struct pipeline_ports ports = fake_ports(vm_lab_ports);
    char *flows = pipeline_flows(m, "hv1", &ports);
    golden_check("pipeline-vm-lab-hv1.flows", flows);
    check_cookies(m, flows);
    /* The trunk carries lan tagged: in, out, and in floods. */
    long lan = fabric_model_find_network(m, "lan");
    assert_true(lan >= 0);
    assert_int_equal(count_lines(flows, "in_port=2,dl_vlan=10",
                                 "strip_vlan,set_field:5010->reg6",
                                 (char *)NULL),
                     2);
    assert_int_equal(count_lines(flows, "table=40,", "reg6=5010,",
                                 "mod_vlan_vid:10,output:2", (char *)NULL),
                     3);
    /* client eth0 has port security off: anything untagged passes. */
    assert_int_equal(count_lines(flows, "table=0,",
                                 "in_port=1,vlan_tci=0x0000/0x1000,actions",
                                 (char *)NULL),
                     1);
    /* The router VM may send from any address, but only from its MAC. */
    assert_int_equal(count_lines(flows, "in_port=4,", "nw_src", (char *)NULL),
                     0);
    assert_int_equal(count_lines(flows, "in_port=4,",
                                 "dl_src=02:00:00:00:0a:01", (char *)NULL),
                     2);
    /* No flows router: nothing in the router tables. */
    assert_int_equal(count_lines(flows, "table=20,", (char *)NULL), 1);
    free(flows);
    fabric_model_destroy(m);
}

/* Ports that are not bound have no flows; the model's answers stay. */
static void
test_unbound(void **state)
{
    struct fabric_model *m = load("topologies/two-hosts.yaml");
    static const struct fake_port partial[] = {
        {"host01", "eth0", 1},
        {NULL, NULL, 0},
    };
    struct pipeline_ports ports = fake_ports(partial);
    char *flows = pipeline_flows(m, "hv1", &ports);
    assert_int_equal(count_lines(flows, "in_port=2", (char *)NULL), 0);
    assert_int_equal(count_lines(flows, "output:2", (char *)NULL), 0);
    assert_int_equal(count_lines(flows, "tun_id", (char *)NULL), 0);
    /* host03 is still answered for, and routed to. */
    assert_int_equal(
        count_lines(flows, "table=10,", "arp_tpa=172.17.0.1,", (char *)NULL),
        2);
    assert_int_equal(
        count_lines(flows, "table=30,", "nw_dst=172.17.0.1,", (char *)NULL),
        1);
    /* Binding a port adds flows and outputs to floods, and changes
     * nothing else. */
    struct pipeline_ports all = fake_ports(hv1_ports);
    char *more = pipeline_flows(m, "hv1", &all);
    const char *line = flows;
    int n_floods = 0;
    while (*line) {
        const char *end = strchr(line, '\n');
        char *copy = strndup(line, end - line + 1);
        if (strstr(copy, "," BCAST)) {
            n_floods++;
        } else {
            assert_non_null(strstr(more, copy));
        }
        free(copy);
        line = end + 1;
    }
    assert_int_equal(n_floods, 4);
    free(more);
    free(flows);

    /* Nothing bound at all, and a NULL 'ports'. */
    struct pipeline_ports none = {0};
    flows = pipeline_flows(m, "hv1", &none);
    char *null_ports = pipeline_flows(m, "hv1", NULL);
    assert_string_equal(flows, null_ports);
    assert_int_equal(count_lines(flows, "in_port=", (char *)NULL), 0);
    free(null_ports);
    free(flows);
    fabric_model_destroy(m);
}

/* A host that is not in the lab drops everything. */
static void
test_unknown_host(void **state)
{
    struct fabric_model *m = load("topologies/classic-lab.yaml");
    struct pipeline_ports ports = fake_ports(classic_ports);
    char *flows = pipeline_flows(m, "nowhere", &ports);
    assert_int_equal(count_lines(flows, "priority=0,", (char *)NULL), 5);
    assert_int_equal(count_lines(flows, "", (char *)NULL), 5);
    check_cookies(m, flows);
    free(flows);
    fabric_model_destroy(m);
}

/* Broadcast goes only to hosts with a port in the network. */
static void
test_flood_containment(void **state)
{
    struct fabric_model *m = load("tests/data/three-hosts.yaml");
    static const struct fake_port ports_hv1[] = {
        {"b1", "eth0", 1}, {"r1", "eth0", 2}, {"hv2", NULL, 20},
        {"hv3", NULL, 30}, {NULL, NULL, 0},
    };
    struct pipeline_ports ports = fake_ports(ports_hv1);
    char *flows = pipeline_flows(m, "hv1", &ports);
    check_cookies(m, flows);
    long blue = fabric_model_find_network(m, "blue");
    long red = fabric_model_find_network(m, "red");
    char match[64];

    snprintf(match, sizeof match,
             "reg6=%d,reg7=0x1/0x1,dl_dst=01:", m->networks[red].vni);
    char *line = the_line(flows, match, NULL, NULL);
    assert_non_null(strstr(line, "actions=output:2,set_field:"));
    assert_non_null(strstr(line, "output:30"));
    assert_null(strstr(line, "output:20"));
    assert_null(strstr(line, "output:1,"));
    free(line);

    snprintf(match, sizeof match,
             "reg6=%d,reg7=0x1/0x1,dl_dst=01:", m->networks[blue].vni);
    line = the_line(flows, match, NULL, NULL);
    assert_non_null(strstr(line, "output:20"));
    assert_non_null(strstr(line, "output:30"));
    free(line);

    /* What came from a tunnel is flooded to local ports only. */
    snprintf(match, sizeof match,
             "reg6=%d,reg7=0x2/0x2,dl_dst=01:", m->networks[blue].vni);
    line = the_line(flows, match, NULL, NULL);
    assert_non_null(strstr(line, "actions=output:1"));
    assert_null(strstr(line, "tun_id"));
    free(line);

    /* hv2 has no port in red: the tunnel from hv2 does not take red. */
    snprintf(match, sizeof match, "tun_id=%d,", m->networks[red].vni);
    assert_int_equal(count_lines(flows, "in_port=20,", match, (char *)NULL),
                     1);
    free(flows);
    fabric_model_destroy(m);
}

/* DHCP and DNS from a port with port security, and double tags on a trunk
 * without it. */
static void
test_dhcp_and_double_tags(void **state)
{
    static const char yaml[] =
        "name: extra\n"
        "networks:\n"
        "  - {name: lan, subnet: 10.1.0.0/24, vlan: 11, dhcp: true}\n"
        "  - {name: wan, subnet: 10.2.0.0/24, vlan: 12}\n"
        "guests:\n"
        "  - {name: a, interfaces: [{network: lan, ip: 10.1.0.5/24}]}\n"
        "  - name: b\n"
        "    interfaces:\n"
        "      - {network: wan, vlan_mode: trunk, trunks: [lan],\n"
        "         port_security: false}\n";
    struct fabric_model *m = NULL;
    assert_int_equal(
        topology_load_buffer("extra.yaml", yaml, strlen(yaml), &m, NULL), 0);
    static const struct fake_port ports_table[] = {
        {"a", "eth0", 1},
        {"b", "eth0", 2},
        {NULL, NULL, 0},
    };
    struct pipeline_ports ports = fake_ports(ports_table);
    char *flows = pipeline_flows(m, "local", &ports);
    check_cookies(m, flows);
    /* DHCP requests and DNS queries from a's MAC go to fabricd
     * (lab-services.h), before port security; b's trunk carries lan
     * tagged and gets neither. */
    assert_int_equal(count_lines(flows, "priority=115,", "in_port=1,",
                                 "udp,dl_src=02:", "tp_src=68,tp_dst=67,",
                                 "actions=controller", (char *)NULL),
                     1);
    assert_int_equal(count_lines(flows, "priority=115,", "in_port=1,",
                                 "tp_dst=53,actions=controller", (char *)NULL),
                     1);
    assert_int_equal(count_lines(flows, "controller", (char *)NULL), 2);
    /* Nobody has lan's service address (no router, no host_ip): the
     * highest free address, answered with the service MAC. */
    char smac[18];
    service_mac("lan", smac);
    assert_int_equal(count_lines(flows, "table=10,", "arp_tpa=10.1.0.254,",
                                 smac, (char *)NULL),
                     1);
    assert_int_equal(count_lines(flows, "0.0.0.0", (char *)NULL), 0);
    assert_int_equal(count_lines(flows, "priority=120,",
                                 "in_port=2,dl_vlan=11,dl_type=0x8100,",
                                 "actions=drop", (char *)NULL),
                     1);
    assert_int_equal(count_lines(flows, "priority=120,",
                                 "in_port=2,dl_vlan=11,dl_type=0x88a8,",
                                 "actions=drop", (char *)NULL),
                     1);
    assert_int_equal(count_lines(flows, "priority=110,",
                                 "in_port=2,dl_vlan=11,actions=strip_vlan,",
                                 (char *)NULL),
                     1);
    free(flows);
    fabric_model_destroy(m);
}

/* Networks of modes nat and routed: each host's gateway port, its ARP
 * answer, and frames for its MAC kept on the host. */
static void
test_network_modes(void **state)
{
    struct fabric_model *m = load("topologies/modes-lab.yaml");
    static const struct fake_port ports_table[] = {
        {"web", "eth0", 1},      {"web", "eth1", 2},
        {"pub", "eth0", 3},      {"db", "eth0", 4},
        {"lan", "@gateway", 7},  {"dmz", "@gateway", 8},
        {"back", "@gateway", 9}, {NULL, NULL, 0},
    };
    struct pipeline_ports ports = fake_ports(ports_table);
    char *flows = pipeline_flows(m, "local", &ports);
    golden_check("pipeline-modes-lab.flows", flows);
    check_cookies(m, flows);

    /* lan's gateway: 192.168.50.1 at 02:fb:..., port 7. */
    char mac[18];
    gateway_mac("lan", mac);
    char *ip_match = NULL, *deliver = NULL;
    assert_true(asprintf(&ip_match,
                         "in_port=7,vlan_tci=0x0000/0x1000,ip,"
                         "dl_src=%s",
                         mac) > 0);
    assert_true(asprintf(&deliver, "dl_dst=%s,actions=output:7", mac) > 0);
    /* No port security on addresses: the host routes for others. */
    char *line = the_line(flows, "table=0,", ip_match, NULL);
    assert_non_null(strstr(line, "set_field:0x5->reg7,goto_table:10"));
    free(line);
    assert_int_equal(count_lines(flows, "table=0,", "priority=100,",
                                 "in_port=7,actions=drop", (char *)NULL),
                     1);
    line =
        the_line(flows, "table=10,", "arp_tpa=192.168.50.1,", "priority=100,");
    assert_non_null(strstr(line, mac));
    free(line);
    assert_int_equal(count_lines(flows, "table=40,", deliver, (char *)NULL),
                     1);
    /* Broadcasts from the gateway stay on the host; those from local
     * ports reach it. */
    line = the_line(flows, "table=40,", "priority=60,", "reg6=12636,");
    assert_null(strstr(line, "output:7"));
    assert_null(strstr(line, "tun_id"));
    free(line);
    free(ip_match);
    free(deliver);
    /* The isolated network has no gateway, whatever the caller says. */
    assert_int_equal(count_lines(flows, "output:9", (char *)NULL), 0);
    assert_int_equal(count_lines(flows, "in_port=9", (char *)NULL), 0);
    free(flows);

    /* Without the port bound, the ARP answer is there, delivery is
     * not. */
    static const struct fake_port no_gateways[] = {
        {"web", "eth0", 1},
        {NULL, NULL, 0},
    };
    ports = fake_ports(no_gateways);
    flows = pipeline_flows(m, "local", &ports);
    assert_int_equal(
        count_lines(flows, "table=10,", "arp_tpa=192.168.50.1,", (char *)NULL),
        2);
    assert_int_equal(count_lines(flows, "dl_dst=", mac, (char *)NULL), 0);
    free(flows);
    fabric_model_destroy(m);
}

/* A nat network on two hosts: each host answers for the gateway with the
 * same MAC and keeps frames for it; nothing for it enters a tunnel. */
static void
test_gateway_two_hosts(void **state)
{
    static const char yaml[] =
        "name: nat2\n"
        "hosts:\n"
        "  - {name: hv1, underlay: 10.99.0.1}\n"
        "  - {name: hv2, underlay: 10.99.0.2}\n"
        "networks:\n"
        "  - {name: lan, subnet: 10.1.0.0/24, mode: nat, vlan: 11}\n"
        "guests:\n"
        "  - {name: a, host: hv1, interfaces: [{network: lan, ip: "
        "10.1.0.5}]}\n"
        "  - {name: b, host: hv2, interfaces: [{network: lan, ip: "
        "10.1.0.6}]}\n";
    struct fabric_model *m = NULL;
    assert_int_equal(
        topology_load_buffer("nat2.yaml", yaml, strlen(yaml), &m, NULL), 0);
    static const struct fake_port hv1[] = {
        {"a", "eth0", 1},
        {"hv2", NULL, 10},
        {"lan", "@gateway", 5},
        {NULL, NULL, 0},
    };
    static const struct fake_port hv2[] = {
        {"b", "eth0", 1},
        {"hv1", NULL, 10},
        {"lan", "@gateway", 6},
        {NULL, NULL, 0},
    };
    char mac[18];
    gateway_mac("lan", mac);
    struct pipeline_ports p1 = fake_ports(hv1), p2 = fake_ports(hv2);
    char *f1 = pipeline_flows(m, "hv1", &p1);
    char *f2 = pipeline_flows(m, "hv2", &p2);
    check_cookies(m, f1);
    assert_int_equal(count_lines(f1, "dl_dst=", mac, "output:5", (char *)NULL),
                     1);
    assert_int_equal(count_lines(f2, "dl_dst=", mac, "output:6", (char *)NULL),
                     1);
    assert_int_equal(count_lines(f1, "dl_dst=", mac, "tun_id", (char *)NULL),
                     0);
    /* The ARP answer is the same on both hosts. */
    char *l1 =
        the_line(f1, "table=10,priority=100,", "arp_tpa=10.1.0.1,", NULL);
    char *l2 =
        the_line(f2, "table=10,priority=100,", "arp_tpa=10.1.0.1,", NULL);
    assert_string_equal(l1, l2);
    free(l1);
    free(l2);
    /* What came from a tunnel is not flooded to the gateway. */
    l1 = the_line(f1, "table=40,", "reg7=0x2/0x2,", BCAST);
    assert_null(strstr(l1, "output:5"));
    free(l1);
    /* From the gateway to b on hv2: unicast through the tunnel (reg7
     * 0x5 carries the local bit). */
    assert_int_equal(
        count_lines(f1, "reg7=0x1/0x1,dl_dst=02:fa:", "tun_id", (char *)NULL),
        1);
    free(f1);
    free(f2);
    fabric_model_destroy(m);
}

/* Uplinks: their port takes any untagged frame into the network, gets
 * unknown unicast and floods; the other hosts send unknown unicast
 * through the tunnel to the uplink's host; an uplink makes its host carry
 * the network, but brings no gateway port. */
static void
test_uplinks(void **state)
{
    struct fabric_model *m = load("topologies/uplink-lab.yaml");
    static const struct fake_port hv1[] = {
        {"pc1", "eth0", 1},    {"hv2", NULL, 10},      {"lan", "@uplink", 5},
        {"ext", "@uplink", 5}, {"ext", "@gateway", 7}, {NULL, NULL, 0},
    };
    static const struct fake_port hv2[] = {
        {"pc2", "eth0", 1}, {"pc2", "eth1", 2},     {"pc2", "eth2", 3},
        {"hv1", NULL, 10},  {"wire", "@uplink", 5}, {"ext", "@gateway", 7},
        {NULL, NULL, 0},
    };
    struct pipeline_ports p1 = fake_ports(hv1), p2 = fake_ports(hv2);
    char *f1 = pipeline_flows(m, "hv1", &p1);
    char *f2 = pipeline_flows(m, "hv2", &p2);
    golden_check("pipeline-uplink-lab-hv1.flows", f1);
    golden_check("pipeline-uplink-lab-hv2.flows", f2);
    check_cookies(m, f1);
    check_cookies(m, f2);
    int lan = m->networks[fabric_model_find_network(m, "lan")].vni;
    int ext = m->networks[fabric_model_find_network(m, "ext")].vni;
    int wire = m->networks[fabric_model_find_network(m, "wire")].vni;
    char match[80];

    /* hv1: eth1 carries lan on VLAN 100 and ext on VLAN 300; any frame
     * with the tag enters the network untagged (no port security), but
     * not with a second tag. */
    snprintf(match, sizeof match, "actions=strip_vlan,set_field:%d->reg6,",
             lan);
    assert_int_equal(count_lines(f1, "table=0,priority=110,",
                                 "in_port=5,dl_vlan=100,", match,
                                 (char *)NULL),
                     1);
    snprintf(match, sizeof match, "actions=strip_vlan,set_field:%d->reg6,",
             ext);
    assert_int_equal(count_lines(f1, "table=0,priority=110,",
                                 "in_port=5,dl_vlan=300,", match,
                                 (char *)NULL),
                     1);
    assert_int_equal(count_lines(f1, "priority=120,", "in_port=5,dl_vlan=",
                                 "actions=drop", (char *)NULL),
                     4);
    assert_int_equal(count_lines(f1, "in_port=5,", (char *)NULL), 7);
    assert_int_equal(count_lines(f1, "table=0,priority=100,",
                                 "in_port=5,actions=drop", (char *)NULL),
                     1);
    /* Unknown unicast to the uplink, tagged; floods from a tunnel reach
     * it tagged too. */
    snprintf(match, sizeof match, ",reg6=%d,actions=mod_vlan_vid:100,output:5",
             lan);
    assert_int_equal(
        count_lines(f1, "table=40,priority=10,", match, (char *)NULL), 1);
    snprintf(match, sizeof match, "reg6=%d,reg7=0x2/0x2,dl_dst=01:", lan);
    char *line = the_line(f1, match, NULL, NULL);
    assert_non_null(strstr(line, "mod_vlan_vid:100,output:5,strip_vlan"));
    free(line);
    /* ext: hv1 carries it for the uplink (tunnel in, ARP answers, flood
     * to hv2) without a gateway port or an answer for host_ip. */
    snprintf(match, sizeof match, "in_port=10,tun_id=%d,", ext);
    assert_int_equal(count_lines(f1, match, (char *)NULL), 1);
    assert_int_equal(count_lines(f1, "arp_tpa=10.30.0.12,", (char *)NULL), 2);
    assert_int_equal(count_lines(f1, "arp_tpa=10.30.0.1,", (char *)NULL), 0);
    assert_int_equal(count_lines(f1, "in_port=7", (char *)NULL), 0);
    snprintf(match, sizeof match, "reg6=%d,reg7=0x1/0x1,dl_dst=01:", ext);
    line = the_line(f1, match, NULL, NULL);
    assert_non_null(strstr(line, "output:10"));
    assert_non_null(strstr(line, "mod_vlan_vid:300,output:5"));
    free(line);
    /* wire has no port on hv1. */
    snprintf(match, sizeof match, "reg6=%d,", wire);
    assert_int_equal(count_lines(f1, match, (char *)NULL), 0);

    /* hv2: unknown unicast of lan and ext from local ports to hv1. */
    const char *uu = "table=40,priority=10,";
    snprintf(match, sizeof match, ",reg6=%d,reg7=0x1/0x1,actions=", lan);
    assert_int_equal(count_lines(f2, uu, match, "output:10", (char *)NULL), 1);
    snprintf(match, sizeof match, ",reg6=%d,reg7=0x1/0x1,actions=", ext);
    assert_int_equal(count_lines(f2, uu, match, "output:10", (char *)NULL), 1);
    snprintf(match, sizeof match, ",reg6=%d,actions=output:5", wire);
    assert_int_equal(count_lines(f2, uu, match, (char *)NULL), 1);
    assert_int_equal(count_lines(f2, "in_port=7,", (char *)NULL), 3);

    char *what = pipeline_cookie_describe(
        m, pipeline_cookie(PIPELINE_COOKIE_UPLINK, "lan"));
    assert_string_equal(what, "uplink lan hv1:eth1:100");
    free(what);
    what = pipeline_cookie_describe(
        m, pipeline_cookie(PIPELINE_COOKIE_UPLINK, "wire"));
    assert_string_equal(what, "uplink wire hv2:eth2");
    free(what);
    free(f1);
    free(f2);
    fabric_model_destroy(m);
}

static void
test_cookies(void **state)
{
    struct fabric_model *m = load("topologies/classic-lab.yaml");
    uint64_t c = pipeline_cookie(PIPELINE_COOKIE_IFACE, "host01/eth0");
    assert_int_equal(c >> 56, PIPELINE_COOKIE_IFACE);
    char *what = pipeline_cookie_describe(m, c);
    assert_string_equal(what, "guest host01 eth0");
    free(what);
    what = pipeline_cookie_describe(
        m, pipeline_cookie(PIPELINE_COOKIE_ROUTER, "host00/network2"));
    assert_string_equal(what, "router host00 network2");
    free(what);
    what = pipeline_cookie_describe(
        m, pipeline_cookie(PIPELINE_COOKIE_NETWORK, "network1"));
    assert_string_equal(what, "network network1");
    free(what);
    what = pipeline_cookie_describe(
        m, pipeline_cookie(PIPELINE_COOKIE_TUNNEL, "local"));
    assert_string_equal(what, "tunnel local");
    free(what);
    what = pipeline_cookie_describe(
        m, pipeline_cookie(PIPELINE_COOKIE_DEFAULT, "l2"));
    assert_string_equal(what, "pipeline l2");
    free(what);
    what = pipeline_cookie_describe(
        m, pipeline_cookie(PIPELINE_COOKIE_GATEWAY, "network2"));
    assert_string_equal(what, "gateway network2");
    free(what);
    /* FNV-1a 64 of the empty name is its offset basis. */
    assert_true(pipeline_cookie(PIPELINE_COOKIE_NETWORK, "") ==
                (UINT64_C(0x01) << 56 | UINT64_C(0xf29ce484222325)));
    assert_null(pipeline_cookie_describe(
        m, pipeline_cookie(PIPELINE_COOKIE_IFACE, "host01/eth9")));
    assert_null(pipeline_cookie_describe(m, 0));
    assert_null(pipeline_cookie_describe(m, UINT64_C(0x7f) << 56));

    assert_string_equal(pipeline_table_name(PIPELINE_TABLE_CLASSIFY),
                        "classify");
    assert_string_equal(pipeline_table_name(PIPELINE_TABLE_NEXTHOP),
                        "nexthop");
    assert_null(pipeline_table_name(7));
    fabric_model_destroy(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classic_lab),
        cmocka_unit_test(test_two_hosts),
        cmocka_unit_test(test_vm_lab),
        cmocka_unit_test(test_unbound),
        cmocka_unit_test(test_unknown_host),
        cmocka_unit_test(test_flood_containment),
        cmocka_unit_test(test_dhcp_and_double_tags),
        cmocka_unit_test(test_network_modes),
        cmocka_unit_test(test_gateway_two_hosts),
        cmocka_unit_test(test_uplinks),
        cmocka_unit_test(test_cookies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
