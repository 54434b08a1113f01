/* Unit tests of fabric/topology: the example labs load, YAML and JSON give
 * identical models, defaults follow the documented derivations and do not
 * change between loads, the export round-trips, the classic lab's model
 * matches its golden file, and every file of the bad-file corpus
 * (tests/topology/bad/NN-what.{yaml,json}) fails with exactly the lines of
 * its NN-what.expected.
 *
 * FABRIC_REGEN_GOLDEN=1 in the environment rewrites the golden file and
 * the .expected files from what the code does now instead of comparing;
 * review the difference before keeping it. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model.h"
#include "topology.h"

#define TOPOLOGIES FABRIC_SOURCE_DIR "/topologies"
#define BAD_DIR FABRIC_SOURCE_DIR "/tests/topology/bad"
#define GOLDEN FABRIC_SOURCE_DIR "/tests/golden/classic-lab.model.yaml"

static const char *const examples[] = {
    "classic-lab.yaml", "classic-lab.json", "classic-lab-vms.yaml",
    "two-hosts.yaml",   "vm-lab.yaml",      "ports-lab.yaml",
};

static bool
regen(void)
{
    const char *s = getenv("FABRIC_REGEN_GOLDEN");
    return s && *s && strcmp(s, "0");
}

/* Returns the contents of 'path' as a new string (its length in '*lenp'),
 * failing the test if it cannot be read. */
static char *
read_file(const char *path, size_t *lenp)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail_msg("%s: %s", path, strerror(errno));
    }
    size_t len = 0, allocated = 4096;
    char *data = malloc(allocated + 1);
    size_t n;
    while ((n = fread(data + len, 1, allocated - len, f)) > 0) {
        len += n;
        if (len == allocated) {
            allocated *= 2;
            data = realloc(data, allocated + 1);
        }
    }
    fclose(f);
    data[len] = '\0';
    if (lenp) {
        *lenp = len;
    }
    return data;
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f)) {
        fail_msg("%s: cannot write", path);
    }
}

/* Loads 'text' as topology 'name', which must be valid. */
static struct fabric_model *
load_text(const char *name, const char *text)
{
    struct topology_errors errors = {0};
    struct fabric_model *model = NULL;
    int retval =
        topology_load_buffer(name, text, strlen(text), &model, &errors);
    if (retval) {
        for (size_t i = 0; i < errors.n; i++) {
            print_error("%s\n", errors.lines[i]);
        }
        topology_errors_clear(&errors);
        fail_msg("%s does not load", name);
    }
    assert_int_equal(errors.n, 0);
    assert_non_null(model);
    return model;
}

static struct fabric_model *
load_example(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TOPOLOGIES, name);

    struct topology_errors errors = {0};
    struct fabric_model *model = NULL;
    if (topology_load_file(path, &model, &errors)) {
        for (size_t i = 0; i < errors.n; i++) {
            print_error("%s\n", errors.lines[i]);
        }
        topology_errors_clear(&errors);
        fail_msg("%s does not load", path);
    }
    return model;
}

/* Loads 'text', which must be invalid, and returns its errors joined by
 * new-lines, as a new string. */
static char *
load_errors(const char *name, const char *text, size_t len)
{
    struct topology_errors errors = {0};
    struct fabric_model *sentinel = (struct fabric_model *)&errors;
    struct fabric_model *model = sentinel;

    assert_int_equal(topology_load_buffer(name, text, len, &model, &errors),
                     -EINVAL);
    assert_ptr_equal(model, sentinel);
    assert_true(errors.n > 0);

    size_t size = 1;
    for (size_t i = 0; i < errors.n; i++) {
        size += strlen(errors.lines[i]) + 1;
    }
    char *joined = malloc(size);
    joined[0] = '\0';
    for (size_t i = 0; i < errors.n; i++) {
        assert_null(strchr(errors.lines[i], '\n'));
        strcat(joined, errors.lines[i]);
        strcat(joined, "\n");
    }
    topology_errors_clear(&errors);
    return joined;
}

/* Returns what topology_write_yaml() writes for 'model', as a new
 * string. */
static char *
write_yaml(const struct fabric_model *model)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(topology_write_yaml(model, f), 0);
    fclose(f);
    return text;
}

/* Model comparison, field by field, independent of the writer. */

static void
assert_str_eq(const char *a, const char *b)
{
    if (!a || !b) {
        assert_ptr_equal(a, b);
    } else {
        assert_string_equal(a, b);
    }
}

static void
assert_smap_eq(const struct fabric_smap *a, const struct fabric_smap *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_string_equal(a->keys[i], b->keys[i]);
        assert_string_equal(a->values[i], b->values[i]);
    }
}

static void
assert_iface_eq(const struct fabric_interface *a,
                const struct fabric_interface *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->network, b->network);
    assert_string_equal(a->mac, b->mac);
    assert_int_equal(a->n_addresses, b->n_addresses);
    for (size_t i = 0; i < a->n_addresses; i++) {
        assert_string_equal(a->addresses[i], b->addresses[i]);
    }
    assert_str_eq(a->gateway, b->gateway);
    assert_int_equal(a->n_routes, b->n_routes);
    for (size_t i = 0; i < a->n_routes; i++) {
        assert_string_equal(a->routes[i].prefix, b->routes[i].prefix);
        assert_string_equal(a->routes[i].via, b->routes[i].via);
    }
    assert_int_equal(a->vlan_mode, b->vlan_mode);
    assert_int_equal(a->n_trunks, b->n_trunks);
    for (size_t i = 0; i < a->n_trunks; i++) {
        assert_int_equal(a->trunks[i], b->trunks[i]);
    }
    assert_int_equal(a->port_security, b->port_security);
    assert_int_equal(a->mtu, b->mtu);
}

static void
assert_vm_eq(const struct fabric_vm *x, const struct fabric_vm *y)
{
    assert_int_equal(x->vcpus, y->vcpus);
    assert_int_equal(x->memory_mb, y->memory_mb);
    assert_str_eq(x->image, y->image);
    assert_str_eq(x->kernel, y->kernel);
    assert_str_eq(x->initrd, y->initrd);
    assert_str_eq(x->cmdline, y->cmdline);
    assert_str_eq(x->user_data, y->user_data);
    assert_int_equal(x->restart, y->restart);
}

static void
assert_model_eq(const struct fabric_model *a, const struct fabric_model *b)
{
    assert_string_equal(a->name, b->name);

    assert_int_equal(a->n_hosts, b->n_hosts);
    for (size_t i = 0; i < a->n_hosts; i++) {
        const struct fabric_host *x = &a->hosts[i], *y = &b->hosts[i];
        assert_string_equal(x->name, y->name);
        assert_str_eq(x->underlay_ip, y->underlay_ip);
        assert_string_equal(x->encap, y->encap);
        assert_int_equal(x->underlay_mtu, y->underlay_mtu);
        assert_smap_eq(&x->external_ids, &y->external_ids);
    }

    assert_int_equal(a->n_networks, b->n_networks);
    for (size_t i = 0; i < a->n_networks; i++) {
        const struct fabric_network *x = &a->networks[i];
        const struct fabric_network *y = &b->networks[i];
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->subnet, y->subnet);
        assert_int_equal(x->mode, y->mode);
        assert_int_equal(x->vlan, y->vlan);
        assert_int_equal(x->vni, y->vni);
        assert_int_equal(x->mtu, y->mtu);
        assert_str_eq(x->gateway, y->gateway);
        assert_int_equal(x->dhcp, y->dhcp);
        assert_str_eq(x->host_ip, y->host_ip);
        assert_int_equal(x->n_forwards, y->n_forwards);
        for (size_t j = 0; j < x->n_forwards; j++) {
            assert_int_equal(x->forwards[j].proto, y->forwards[j].proto);
            assert_int_equal(x->forwards[j].host_port,
                             y->forwards[j].host_port);
            assert_int_equal(x->forwards[j].guest, y->forwards[j].guest);
            assert_int_equal(x->forwards[j].port, y->forwards[j].port);
        }
        assert_int_equal(x->n_uplinks, y->n_uplinks);
        for (size_t j = 0; j < x->n_uplinks; j++) {
            assert_int_equal(x->uplinks[j].host, y->uplinks[j].host);
            assert_string_equal(x->uplinks[j].interface,
                                y->uplinks[j].interface);
            assert_int_equal(x->uplinks[j].vlan, y->uplinks[j].vlan);
        }
        assert_smap_eq(&x->external_ids, &y->external_ids);
    }

    assert_int_equal(a->n_routers, b->n_routers);
    for (size_t i = 0; i < a->n_routers; i++) {
        const struct fabric_router *x = &a->routers[i];
        const struct fabric_router *y = &b->routers[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->has_host, y->has_host);
        assert_int_equal(x->host, y->host);
        assert_vm_eq(&x->vm, &y->vm);
        assert_int_equal(x->n_ports, y->n_ports);
        for (size_t j = 0; j < x->n_ports; j++) {
            assert_int_equal(x->ports[j].network, y->ports[j].network);
            assert_string_equal(x->ports[j].ip, y->ports[j].ip);
            assert_string_equal(x->ports[j].mac, y->ports[j].mac);
        }
        assert_smap_eq(&x->external_ids, &y->external_ids);
    }

    assert_int_equal(a->n_guests, b->n_guests);
    for (size_t i = 0; i < a->n_guests; i++) {
        const struct fabric_guest *x = &a->guests[i], *y = &b->guests[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->host, y->host);
        assert_int_equal(x->kind, y->kind);
        assert_vm_eq(&x->vm, &y->vm);
        assert_int_equal(x->n_interfaces, y->n_interfaces);
        for (size_t j = 0; j < x->n_interfaces; j++) {
            assert_iface_eq(&x->interfaces[j], &y->interfaces[j]);
        }
        assert_smap_eq(&x->external_ids, &y->external_ids);
    }
}

/* Writes 'model', loads what was written, and checks that the result is
 * the same model and writes the same text. */
static void
check_round_trip(const struct fabric_model *model)
{
    char *text = write_yaml(model);
    struct fabric_model *again = load_text("export.yaml", text);
    assert_model_eq(model, again);
    char *text2 = write_yaml(again);
    assert_string_equal(text, text2);
    free(text2);
    fabric_model_destroy(again);
    free(text);
}

/* The derivations of docs/topology.md, computed independently. */

static uint32_t
fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static int
expected_vlan(const char *network)
{
    return 100 + (int)(fnv1a(network) % 3995);
}

static char *
expected_mac(const char *a, const char *b)
{
    char key[256];
    snprintf(key, sizeof key, "%s/%s", a, b);
    uint32_t h = fnv1a(key);
    char *mac = malloc(18);
    snprintf(mac, 18, "02:fa:%02x:%02x:%02x:%02x", h >> 24, (h >> 16) & 0xff,
             (h >> 8) & 0xff, h & 0xff);
    return mac;
}

/* Tests. */

static void
test_examples_load(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof examples / sizeof *examples; i++) {
        struct fabric_model *model = load_example(examples[i]);
        assert_true(model->n_networks > 0);
        assert_true(model->n_guests > 0);
        check_round_trip(model);
        fabric_model_destroy(model);
    }
}

static void
test_classic_lab(void **state)
{
    (void)state;
    struct fabric_model *m = load_example("classic-lab.yaml");

    assert_string_equal(m->name, "classic-lab");
    assert_int_equal(m->n_hosts, 1);
    assert_string_equal(m->hosts[0].name, "local");
    assert_null(m->hosts[0].underlay_ip);
    assert_string_equal(m->hosts[0].encap, "geneve");
    assert_int_equal(m->hosts[0].underlay_mtu, 1500);

    assert_int_equal(m->n_networks, 2);
    const char *names[] = {"network1", "network2"};
    const char *subnets[] = {"172.16.0.0/24", "172.17.0.0/24"};
    const char *gateways[] = {"172.16.0.254", "172.17.0.254"};
    for (size_t i = 0; i < 2; i++) {
        const struct fabric_network *n = &m->networks[i];
        assert_string_equal(n->name, names[i]);
        assert_string_equal(n->subnet, subnets[i]);
        assert_int_equal(n->mode, FABRIC_NET_ISOLATED);
        assert_int_equal(n->vlan, expected_vlan(names[i]));
        assert_int_equal(n->vni, 10000 + n->vlan);
        assert_int_equal(n->mtu, 1500 - FABRIC_ENCAP_OVERHEAD);
        assert_string_equal(n->gateway, gateways[i]);
        assert_false(n->dhcp);
    }

    assert_int_equal(m->n_routers, 1);
    const struct fabric_router *r = &m->routers[0];
    assert_string_equal(r->name, "host00");
    assert_int_equal(r->kind, FABRIC_ROUTER_FLOWS);
    assert_false(r->has_host);
    assert_int_equal(r->n_ports, 2);
    for (size_t i = 0; i < 2; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "%s/24", gateways[i]);
        assert_int_equal(r->ports[i].network, i);
        assert_string_equal(r->ports[i].ip, ip);
        char *mac = expected_mac("host00", names[i]);
        assert_string_equal(r->ports[i].mac, mac);
        free(mac);
    }

    assert_int_equal(m->n_guests, 4);
    for (size_t i = 0; i < 4; i++) {
        const struct fabric_guest *g = &m->guests[i];
        char name[16], address[32];
        snprintf(name, sizeof name, "host0%zu", i + 1);
        snprintf(address, sizeof address, "172.%d.0.%zu/24", 16 + (int)i / 2,
                 i % 2 + 1);
        assert_string_equal(g->name, name);
        assert_int_equal(g->host, 0);
        assert_int_equal(g->kind, FABRIC_GUEST_NETNS);
        assert_int_equal(g->vm.vcpus, 0);
        assert_null(g->vm.image);
        assert_int_equal(g->n_interfaces, 1);
        const struct fabric_interface *iface = &g->interfaces[0];
        assert_string_equal(iface->name, "eth0");
        assert_int_equal(iface->network, i / 2);
        assert_int_equal(iface->n_addresses, 1);
        assert_string_equal(iface->addresses[0], address);
        assert_string_equal(iface->gateway, gateways[i / 2]);
        assert_int_equal(iface->vlan_mode, FABRIC_VLAN_ACCESS);
        assert_true(iface->port_security);
        assert_int_equal(iface->mtu, 1442);
        char *mac = expected_mac(name, "eth0");
        assert_string_equal(iface->mac, mac);
        free(mac);
    }
    fabric_model_destroy(m);
}

static void
test_yaml_json_identical(void **state)
{
    (void)state;
    struct fabric_model *y = load_example("classic-lab.yaml");
    struct fabric_model *j = load_example("classic-lab.json");
    assert_model_eq(y, j);
    char *ty = write_yaml(y), *tj = write_yaml(j);
    assert_string_equal(ty, tj);
    free(ty);
    free(tj);
    fabric_model_destroy(y);
    fabric_model_destroy(j);
}

static void
test_loads_are_stable(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof examples / sizeof *examples; i++) {
        struct fabric_model *a = load_example(examples[i]);
        struct fabric_model *b = load_example(examples[i]);
        assert_model_eq(a, b);
        fabric_model_destroy(a);
        fabric_model_destroy(b);
    }
}

static void
test_golden(void **state)
{
    (void)state;
    struct fabric_model *m = load_example("classic-lab.yaml");
    char *text = write_yaml(m);
    if (regen()) {
        write_file(GOLDEN, text);
    } else {
        char *golden = read_file(GOLDEN, NULL);
        assert_string_equal(text, golden);
        free(golden);
    }
    free(text);
    fabric_model_destroy(m);
}

static void
test_two_hosts(void **state)
{
    (void)state;
    struct fabric_model *m = load_example("two-hosts.yaml");

    assert_int_equal(m->n_hosts, 2);
    assert_string_equal(m->hosts[0].name, "hv1");
    assert_string_equal(m->hosts[0].underlay_ip, "10.99.0.1");
    assert_string_equal(m->hosts[1].underlay_ip, "10.99.0.2");
    assert_int_equal(m->n_guests, 4);
    for (size_t i = 0; i < 4; i++) {
        /* host01 and host03 on hv1, the others on hv2. */
        assert_int_equal(m->guests[i].host, i % 2);
        /* No gateway in the file: the router port's address. */
        assert_string_equal(m->guests[i].interfaces[0].gateway,
                            m->networks[i / 2].gateway);
    }
    fabric_model_destroy(m);
}

static void
test_vm_lab(void **state)
{
    (void)state;
    struct fabric_model *m = load_example("vm-lab.yaml");

    assert_int_equal(m->hosts[0].underlay_mtu, 9000);
    /* Sorted by name: dmz before lan. */
    assert_string_equal(m->networks[0].name, "dmz");
    assert_int_equal(m->networks[0].vlan, 20);
    assert_int_equal(m->networks[0].vni, 10020);
    assert_int_equal(m->networks[0].mtu, 9000 - FABRIC_ENCAP_OVERHEAD);
    assert_string_equal(fabric_smap_get(&m->networks[0].external_ids, "owner"),
                        "lab-team");
    assert_int_equal(m->networks[1].vni, 5010);
    assert_int_equal(m->networks[1].mtu, 1500);
    assert_true(m->networks[1].dhcp);

    const struct fabric_router *r = &m->routers[0];
    assert_int_equal(r->kind, FABRIC_ROUTER_VM);
    assert_true(r->has_host);
    assert_int_equal(r->host, 0);
    assert_string_equal(r->ports[1].mac, "02:00:00:00:0a:01");
    assert_int_equal(r->vm.vcpus, 1);
    assert_int_equal(r->vm.memory_mb, 256);
    assert_string_equal(r->vm.cmdline, "console=ttyS0");
    assert_int_equal(r->vm.restart, FABRIC_RESTART_ALWAYS);

    const struct fabric_guest *client = &m->guests[0];
    assert_string_equal(client->name, "client");
    assert_int_equal(client->kind, FABRIC_GUEST_VM);
    assert_int_equal(client->vm.vcpus, 1);
    assert_int_equal(client->vm.memory_mb, 1024);
    assert_int_equal(client->vm.restart, FABRIC_RESTART_ON_FAILURE);
    assert_string_equal(client->vm.cmdline, "console=ttyS0 root=/dev/vda1");
    assert_int_equal(client->interfaces[0].n_addresses, 2);
    assert_false(client->interfaces[0].port_security);
    /* "gateway: none" on one interface keeps all without a default. */
    assert_null(client->interfaces[0].gateway);
    assert_null(client->interfaces[1].gateway);
    assert_string_equal(client->interfaces[1].name, "trunk0");
    assert_int_equal(client->interfaces[1].vlan_mode, FABRIC_VLAN_TRUNK);
    assert_int_equal(client->interfaces[1].n_trunks, 1);
    assert_int_equal(client->interfaces[1].trunks[0], 1);
    assert_int_equal(client->interfaces[1].mtu, 1400);

    const struct fabric_guest *web = &m->guests[1];
    assert_int_equal(web->vm.vcpus, 2);
    assert_int_equal(web->vm.memory_mb, 2048);
    assert_non_null(strstr(web->vm.user_data, "#cloud-config\n"));
    assert_string_equal(web->interfaces[0].routes[0].prefix,
                        "192.168.10.0/24");
    assert_string_equal(web->interfaces[0].gateway, "192.168.20.1");
    fabric_model_destroy(m);
}

static void
test_vlan_vni_probing(void **state)
{
    (void)state;
    /* 'a' takes the VLAN that 'network1' would hash to and the VNI that
     * 'network1' would derive from the next one, so 'network1' probes
     * past both. */
    int vlan = expected_vlan("network1");
    int next = vlan == 4094 ? 100 : vlan + 1;
    char text[512];
    snprintf(text, sizeof text,
             "name: lab\n"
             "networks:\n"
             "  - {name: network1, subnet: 10.1.0.0/24}\n"
             "  - {name: a, subnet: 10.2.0.0/24, vlan: %d, vni: %d}\n",
             vlan, 10000 + next);
    struct fabric_model *m = load_text("probe.yaml", text);
    assert_string_equal(m->networks[0].name, "a");
    assert_int_equal(m->networks[0].vlan, vlan);
    assert_int_equal(m->networks[1].vlan, next);
    assert_int_equal(m->networks[1].vni, 10000 + next + 1);
    check_round_trip(m);
    fabric_model_destroy(m);
}

static void
test_mac_probing(void **state)
{
    (void)state;
    /* g2 explicitly takes the MAC that g1/eth0 would derive. */
    char *mac = expected_mac("g1", "eth0");
    char text[512];
    snprintf(text, sizeof text,
             "name: lab\n"
             "networks: [{name: n, subnet: 10.1.0.0/24}]\n"
             "guests:\n"
             "  - {name: g1, interfaces: [{network: n}]}\n"
             "  - {name: g2, interfaces: [{network: n, mac: '%s'}]}\n",
             mac);
    struct fabric_model *m = load_text("probe.yaml", text);
    assert_string_equal(m->guests[1].interfaces[0].mac, mac);
    uint32_t h = fnv1a("g1/eth0") + 1;
    char probed[18];
    snprintf(probed, sizeof probed, "02:fa:%02x:%02x:%02x:%02x", h >> 24,
             (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
    assert_string_equal(m->guests[0].interfaces[0].mac, probed);
    check_round_trip(m);
    fabric_model_destroy(m);
    free(mac);
}

static void
test_defaults(void **state)
{
    (void)state;
    struct fabric_model *m = load_text(
        "defaults.yaml",
        "name: lab\n"
        "hosts:\n"
        "  - {name: hv2, underlay: 10.0.0.2, underlay_mtu: 9000}\n"
        "  - {name: hv1, underlay: 10.0.0.1, underlay_mtu: 1600}\n"
        "networks:\n"
        "  - {name: b, subnet: 10.2.0.0/16, mode: nat, host_ip: 10.2.0.2}\n"
        "  - {name: a, subnet: 10.1.0.0/16, mode: routed, mtu: 1500}\n"
        "routers:\n"
        "  - {name: r, kind: vm, host: hv2,\n"
        "     interfaces: [{network: b, ip: 10.2.0.1/16}]}\n"
        "guests:\n"
        "  - name: v\n"
        "    host: hv1\n"
        "    kind: vm\n"
        "    interfaces:\n"
        "      - {network: a, ip: 10.1.0.5}\n"
        "      - {network: b, ip: 10.2.0.5}\n"
        "      - {network: b, ips: [10.2.0.6, 10.2.0.7/16]}\n");

    assert_string_equal(m->hosts[0].name, "hv1");
    assert_string_equal(m->networks[0].name, "a");
    assert_int_equal(m->networks[0].mode, FABRIC_NET_ROUTED);
    assert_int_equal(m->networks[1].mode, FABRIC_NET_NAT);
    /* The smallest underlay MTU decides. */
    assert_int_equal(m->networks[1].mtu, 1600 - FABRIC_ENCAP_OVERHEAD);
    assert_null(m->networks[0].gateway);
    assert_string_equal(m->networks[1].gateway, "10.2.0.1");
    assert_int_equal(m->routers[0].host, 1);

    const struct fabric_guest *g = &m->guests[0];
    assert_int_equal(g->host, 0);
    assert_int_equal(g->vm.vcpus, 1);
    assert_int_equal(g->vm.memory_mb, 512);
    assert_string_equal(g->interfaces[0].name, "eth0");
    assert_string_equal(g->interfaces[2].name, "eth2");
    assert_string_equal(g->interfaces[0].addresses[0], "10.1.0.5/16");
    assert_int_equal(g->interfaces[0].mtu, 1500);
    assert_int_equal(g->interfaces[1].mtu, 1542);
    /* The hosts' address: the subnet's first address by default. */
    assert_string_equal(m->networks[0].host_ip, "10.1.0.1");
    assert_string_equal(m->networks[1].host_ip, "10.2.0.2");
    /* Only the first interface with a router or the hosts' address in
     * its network gets the default gateway. */
    assert_string_equal(g->interfaces[0].gateway, "10.1.0.1");
    assert_null(g->interfaces[1].gateway);
    assert_null(g->interfaces[2].gateway);
    assert_int_equal(g->interfaces[2].n_addresses, 2);
    assert_string_equal(g->interfaces[2].addresses[0], "10.2.0.6/16");
    check_round_trip(m);
    fabric_model_destroy(m);
}

/* Modes nat and routed: the hosts' address, its default, port forwards
 * sorted by protocol and port, and the default gateway. */
static void
test_network_modes(void **state)
{
    (void)state;
    struct fabric_model *m = load_text(
        "modes.yaml",
        "name: lab\n"
        "networks:\n"
        "  - name: out\n"
        "    subnet: 192.168.5.0/24\n"
        "    mode: nat\n"
        "    host_ip: 192.168.5.254/24\n"
        "    forwards:\n"
        "      - {host_port: 8080, guest: web, port: 80}\n"
        "      - {host_port: 53, guest: web, proto: udp}\n"
        "      - {host_port: 2222, guest: db, port: 22, proto: tcp}\n"
        "  - {name: pub, subnet: 10.5.0.0/24, mode: routed}\n"
        "  - {name: iso, subnet: 10.6.0.0/24}\n"
        "guests:\n"
        "  - {name: web, interfaces: [{network: iso, ip: 10.6.0.1},\n"
        "                             {network: out, ip: 192.168.5.1}]}\n"
        "  - {name: db, interfaces: [{network: out, ip: 192.168.5.2}]}\n"
        "  - {name: pub1, interfaces: [{network: pub, ip: 10.5.0.9}]}\n");

    const struct fabric_network *out = &m->networks[1];
    assert_string_equal(out->name, "out");
    assert_string_equal(out->host_ip, "192.168.5.254");
    assert_null(out->gateway);
    assert_int_equal(out->n_forwards, 3);
    assert_int_equal(out->forwards[0].proto, FABRIC_PROTO_TCP);
    assert_int_equal(out->forwards[0].host_port, 2222);
    assert_string_equal(m->guests[out->forwards[0].guest].name, "db");
    assert_int_equal(out->forwards[0].port, 22);
    assert_int_equal(out->forwards[1].host_port, 8080);
    assert_int_equal(out->forwards[1].port, 80);
    assert_int_equal(out->forwards[2].proto, FABRIC_PROTO_UDP);
    assert_int_equal(out->forwards[2].port, 53);
    char *text = fabric_forward_format(m, &out->forwards[1]);
    assert_string_equal(text, "tcp:8080:web:80");
    free(text);
    assert_string_equal(m->networks[2].host_ip, "10.5.0.1");
    assert_null(m->networks[0].host_ip);

    /* web: the isolated network comes first and has no gateway; the nat
     * network's hosts' address is the default gateway. */
    const struct fabric_guest *web = &m->guests[2];
    assert_string_equal(web->name, "web");
    assert_null(web->interfaces[0].gateway);
    assert_string_equal(web->interfaces[1].gateway, "192.168.5.254");
    assert_string_equal(m->guests[1].interfaces[0].gateway, "10.5.0.1");
    check_round_trip(m);
    fabric_model_destroy(m);
}

/* Uplinks: resolved hosts, the VLAN or untagged, their text form, and
 * the export. */
static void
test_uplinks(void **state)
{
    (void)state;
    struct fabric_model *m =
        load_text("uplinks.yaml",
                  "name: lab\n"
                  "hosts:\n"
                  "  - {name: hv2, underlay: 10.99.0.2}\n"
                  "  - {name: hv1, underlay: 10.99.0.1}\n"
                  "networks:\n"
                  "  - name: lan\n"
                  "    subnet: 10.7.0.0/24\n"
                  "    uplinks: [{host: hv2, interface: eth1, vlan: 100}]\n"
                  "  - name: dmz\n"
                  "    subnet: 10.8.0.0/24\n"
                  "    uplinks: [{host: hv2, interface: eth1, vlan: 200}]\n"
                  "  - {name: wire, subnet: 10.9.0.0/24,\n"
                  "     uplinks: [{host: hv1, interface: enp1s0f1}]}\n"
                  "  - {name: iso, subnet: 10.6.0.0/24}\n");
    const struct fabric_network *lan = &m->networks[2];
    assert_string_equal(lan->name, "lan");
    assert_int_equal(lan->n_uplinks, 1);
    assert_string_equal(m->hosts[lan->uplinks[0].host].name, "hv2");
    assert_string_equal(lan->uplinks[0].interface, "eth1");
    assert_int_equal(lan->uplinks[0].vlan, 100);
    char *text = fabric_uplink_format(m, &lan->uplinks[0]);
    assert_string_equal(text, "hv2:eth1:100");
    free(text);
    const struct fabric_network *wire = &m->networks[3];
    assert_string_equal(wire->name, "wire");
    assert_int_equal(wire->uplinks[0].vlan, 0);
    text = fabric_uplink_format(m, &wire->uplinks[0]);
    assert_string_equal(text, "hv1:enp1s0f1");
    free(text);
    assert_int_equal(m->networks[1].n_uplinks, 0);
    check_round_trip(m);
    fabric_model_destroy(m);
}

static void
test_port_guests(void **state)
{
    (void)state;
    struct fabric_model *m = load_text(
        "ports.yaml", "name: lab\n"
                      "networks:\n"
                      "  - {name: lan, subnet: 10.7.0.0/24}\n"
                      "guests:\n"
                      "  - name: web\n"
                      "    kind: port\n"
                      "    interfaces:\n"
                      "      - {network: lan, ip: 10.7.0.5, iface_id: "
                      "\"9f3c-web/eth0\"}\n"
                      "      - {network: lan, ip: 10.7.0.6}\n"
                      "  - {name: ns, interfaces: [{network: lan}]}\n");
    assert_int_equal(m->n_guests, 2);
    const struct fabric_guest *g = &m->guests[1];
    assert_string_equal(g->name, "web");
    assert_int_equal(g->kind, FABRIC_GUEST_PORT);
    assert_string_equal(fabric_guest_kind_name(g->kind), "port");
    assert_string_equal(g->interfaces[0].iface_id, "9f3c-web/eth0");
    /* Without one, fabricd binds the interface's row UUID. */
    assert_null(g->interfaces[1].iface_id);
    assert_int_equal(m->guests[0].kind, FABRIC_GUEST_NETNS);
    assert_null(m->guests[0].interfaces[0].iface_id);
    check_round_trip(m);
    fabric_model_destroy(m);
}

static void
test_yaml_forms(void **state)
{
    (void)state;
    /* Anchors and aliases, null fields, "!!str", block scalars, unusual
     * strings in external_ids; the export must keep them all. */
    struct fabric_model *m = load_text(
        "forms.yaml",
        "name: !!str 1234\n"
        "hosts:\n"
        "networks:\n"
        "  - &net {name: n, subnet: 10.1.0.0/24, mode: ~, external_ids:\n"
        "      {'yes': 'no', 'a: b': ' #x', '': '', n: \"\\t\\u00e9\\x01\","
        " '0x1F': '1.5', '-': \"line\\nline\\n\\n\", k: \"\\u0085\"}}\n"
        "guests:\n"
        "  - name: v\n"
        "    kind: vm\n"
        "    user_data: |\n"
        "      #cloud-config\n"
        "        indented: 1\n"
        "\n"
        "      end\n"
        "    kernel: \"a\\nb\\n\"\n"
        "    image: null\n"
        "    interfaces:\n"
        "      - &if {network: n, gateway: ~}\n"
        "      - *if\n");

    assert_string_equal(m->name, "1234");
    assert_string_equal(m->hosts[0].name, "local");
    assert_int_equal(m->networks[0].mode, FABRIC_NET_ISOLATED);
    const struct fabric_smap *ids = &m->networks[0].external_ids;
    assert_int_equal(ids->n, 7);
    assert_string_equal(ids->keys[0], "");
    assert_string_equal(fabric_smap_get(ids, "yes"), "no");
    assert_string_equal(fabric_smap_get(ids, "a: b"), " #x");
    assert_string_equal(fabric_smap_get(ids, "n"), "\t\xc3\xa9\x01");
    assert_string_equal(fabric_smap_get(ids, "-"), "line\nline\n\n");
    const struct fabric_guest *g = &m->guests[0];
    assert_string_equal(g->vm.user_data,
                        "#cloud-config\n  indented: 1\n\nend\n");
    assert_string_equal(g->vm.kernel, "a\nb\n");
    assert_null(g->vm.image);
    assert_int_equal(g->n_interfaces, 2);
    assert_string_equal(g->interfaces[1].name, "eth1");
    check_round_trip(m);
    fabric_model_destroy(m);
}

static void
test_long_strings(void **state)
{
    (void)state;
    /* YAML limits implicit keys to 1024 characters: the export must still
     * hold keys and values far longer than that. */
    struct fabric_model *m = load_text(
        "long.yaml", "name: lab\nnetworks: [{name: n, subnet: 10.0.0.0/8}]\n");
    char key[3000], value[5000];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    key[1500] = '\n';
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    fabric_smap_add(&m->networks[0].external_ids, key, value);
    fabric_smap_add(&m->networks[0].external_ids, "k", key);

    /* The loader sorts external_ids by key; the writer writes them so. */
    char *text = write_yaml(m);
    struct fabric_model *again = load_text("long.yaml", text);
    const struct fabric_smap *ids = &again->networks[0].external_ids;
    assert_int_equal(ids->n, 2);
    assert_string_equal(ids->keys[0], "k");
    assert_string_equal(ids->values[0], key);
    assert_string_equal(ids->keys[1], key);
    assert_string_equal(ids->values[1], value);
    check_round_trip(again);
    fabric_model_destroy(again);
    free(text);
    fabric_model_destroy(m);
}

static void
test_load_file_errors(void **state)
{
    (void)state;
    struct topology_errors errors = {0};
    struct fabric_model *model = NULL;
    const char *path = FABRIC_SOURCE_DIR "/tests/topology/no-such-file.yaml";

    assert_int_equal(topology_load_file(path, &model, &errors), -ENOENT);
    assert_null(model);
    assert_int_equal(errors.n, 1);
    char expected[1024];
    snprintf(expected, sizeof expected,
             "%s: cannot read: No such file or directory", path);
    assert_string_equal(errors.lines[0], expected);
    topology_errors_clear(&errors);
    assert_int_equal(errors.n, 0);
    assert_null(errors.lines);
    topology_errors_clear(NULL);

    /* Errors of a load are appended to what 'errors' holds. */
    assert_int_equal(topology_load_file(BAD_DIR, &model, &errors), -EISDIR);
    assert_int_equal(topology_load_buffer("x.yaml", "", 0, &model, &errors),
                     -EINVAL);
    assert_int_equal(errors.n, 2);
    assert_string_equal(errors.lines[1],
                        "x.yaml:1:1: the file is empty; a "
                        "topology needs at least 'name' and 'networks'.");
    topology_errors_clear(&errors);

    /* Errors may be ignored. */
    assert_int_equal(topology_load_buffer("x.yaml", "[", 1, &model, NULL),
                     -EINVAL);
    assert_null(model);
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
has_suffix(const char *s, const char *suffix)
{
    size_t len = strlen(s), n = strlen(suffix);
    return len >= n && !strcmp(s + len - n, suffix);
}

static void
test_bad_corpus(void **state)
{
    (void)state;
    DIR *dir = opendir(BAD_DIR);
    assert_non_null(dir);

    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (has_suffix(de->d_name, ".yaml") ||
            has_suffix(de->d_name, ".json")) {
            names = realloc(names, (n + 1) * sizeof *names);
            names[n++] = strdup(de->d_name);
        }
    }
    closedir(dir);
    qsort(names, n, sizeof *names, compare_names);
    assert_true(n >= 35);

    size_t failures = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1024], expected_path[1024];
        snprintf(path, sizeof path, "%s/%s", BAD_DIR, names[i]);
        snprintf(expected_path, sizeof expected_path, "%s/%.*s.expected",
                 BAD_DIR, (int)(strrchr(names[i], '.') - names[i]), names[i]);

        size_t len;
        char *text = read_file(path, &len);
        char *errors = load_errors(names[i], text, len);
        if (regen()) {
            write_file(expected_path, errors);
        } else {
            char *expected = read_file(expected_path, NULL);
            if (strcmp(errors, expected)) {
                print_error("%s: expected:\n%s\ngot:\n%s\n", names[i],
                            expected, errors);
                failures++;
            }
            free(expected);
        }
        free(errors);
        free(text);
        free(names[i]);
    }
    free(names);
    assert_int_equal(failures, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples_load),
        cmocka_unit_test(test_classic_lab),
        cmocka_unit_test(test_yaml_json_identical),
        cmocka_unit_test(test_loads_are_stable),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_two_hosts),
        cmocka_unit_test(test_vm_lab),
        cmocka_unit_test(test_vlan_vni_probing),
        cmocka_unit_test(test_mac_probing),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_yaml_forms),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_load_file_errors),
        cmocka_unit_test(test_bad_corpus),
        cmocka_unit_test(test_network_modes),
        cmocka_unit_test(test_uplinks),
        cmocka_unit_test(test_port_guests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
