/* Functional tests of guests of kind port on two simulated hosts
 * (scripts/testbed, through tests/lib/bed.h): a port that the test plugs
 * into hv1's br-int itself, the way a container runtime or a VM outside
 * fabric would (a veth to a namespace of the test's, RUN-ext, with the
 * interface's MAC and address), bound by its iface-id.  It must reach a
 * namespace guest of its network on hv2 and nothing of another network;
 * fabricd tags it and marks it bound but never owns it: once the guest is
 * gone from the lab, or the lab is destroyed, the port stays where the
 * test put it, untagged and unmarked.  Its network has DHCP: fabricd
 * answers the port like any guest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "bed.h"
#include "sandbox.h"

#define EXT_IP "10.70.0.10"
#define EXT_MAC "02:aa:00:00:00:10"
#define NS2_IP "10.70.0.20"
#define OTHER_IP "10.71.0.30"

#define LAB_HEAD                                                              \
    "name: ports\n"                                                           \
    "hosts:\n"                                                                \
    "  - {name: hv1, underlay: 10.99.0.1, underlay_mtu: 1600}\n"              \
    "  - {name: hv2, underlay: 10.99.0.2, underlay_mtu: 1600}\n"              \
    "networks:\n"                                                             \
    "  - {name: lan, subnet: 10.70.0.0/24, vlan: 70, dhcp: true}\n"           \
    "  - {name: other, subnet: 10.71.0.0/24, vlan: 71}\n"                     \
    "guests:\n"                                                               \
    "  - {name: ns2, host: hv2, interfaces: [{network: lan, ip: " NS2_IP      \
    "}]}\n"                                                                   \
    "  - {name: nso, host: hv1, interfaces: [{network: other, ip: " OTHER_IP  \
    "}]}\n"
#define EXT_GUEST                                                             \
    "  - name: ext\n"                                                         \
    "    kind: port\n"                                                        \
    "    host: hv1\n"                                                         \
    "    interfaces: [{network: lan, ip: " EXT_IP ", mac: '" EXT_MAC "',\n"   \
    "                  iface_id: ext-eth0}]\n"
/* One without an iface_id: bound by its interface's UUID. */
#define UUID_GUEST                                                            \
    "  - {name: anon, kind: port, host: hv1, interfaces: [{network: lan}]}\n"

static const char lab[] = LAB_HEAD EXT_GUEST UUID_GUEST;
static const char lab_without[] = LAB_HEAD UUID_GUEST;

static int
setup(void **state)
{
    struct bed *b;
    int rc = bed_setup(&b, "pg", 2, 2, NULL);
    *state = b;
    return rc;
}

/* What the program plugging the port does: namespace 'ns' with eth0 (the
 * guest's MAC and address), the far end of veth pe0 in hv1, a port of
 * br-int with external_ids:iface-id 'iface_id'. */
static int
plug(struct bed *b, const char *ns, const char *iface_id)
{
    char host[64], id[128];
    snprintf(host, sizeof host, "%shv1", b->prefix);
    snprintf(id, sizeof id, "external_ids:iface-id=%s", iface_id);
    if (sbx_runl(NULL, "ip", "netns", "add", ns, NULL) ||
        sbx_runl(NULL, "ip", "link", "add", "pe0", "netns", host, "type",
                 "veth", "peer", "name", "eth0", "netns", ns, NULL) ||
        sbx_runl(NULL, "ip", "netns", "exec", ns, "ethtool", "-K", "eth0",
                 "tx", "off", NULL) ||
        sbx_runl(NULL, "ip", "netns", "exec", host, "ethtool", "-K", "pe0",
                 "tx", "off", NULL) ||
        sbx_runl(NULL, "ip", "-n", ns, "link", "set", "eth0", "address",
                 EXT_MAC, "up", NULL) ||
        sbx_runl(NULL, "ip", "-n", ns, "address", "add", EXT_IP "/24", "dev",
                 "eth0", NULL) ||
        sbx_runl(NULL, "ip", "-n", ns, "link", "set", "lo", "up", NULL) ||
        sbx_runl(NULL, "ip", "-n", host, "link", "set", "pe0", "up", NULL)) {
        return -1;
    }
    char *out = bed_vsctl(b, 1, "add-port", "br-int", "pe0", "--", "set",
                          "interface", "pe0", id, NULL);
    int rc = out ? 0 : -1;
    free(out);
    return rc;
}

/* `ovs-vsctl get port pe0 COLUMN` on hv1 (a new string, "" on failure). */
static char *
port_column(struct bed *b, const char *column)
{
    char *out = bed_vsctl(b, 1, "get", "port", "pe0", column, NULL);
    return out ? out : strdup("");
}

/* Waits up to 10 s for the tag of hv1's port 'port' to read 'tag'. */
static bool
port_tag_becomes(struct bed *b, const char *port, const char *tag)
{
    bool ok = false;
    for (long long end = sbx_now_ms() + 10000; !ok && sbx_now_ms() < end;
         usleep(100 * 1000)) {
        char *now = bed_vsctl(b, 1, "get", "port", port, "tag", NULL);
        ok = now && !strcmp(now, tag);
        free(now);
    }
    return ok;
}

/* Guest 'name' in `fabricctl --json status` (a new reference), or
 * NULL. */
static json_t *
guest_status(struct bed *b, const char *name)
{
    char *out = NULL;
    bed_fabricctl(b, &out, "--json", "status", NULL);
    json_t *status = out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    json_t *found = NULL;
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(status, "guests"), i, g)
    {
        const char *n = json_string_value(json_object_get(g, "name"));
        if (n && !strcmp(n, name)) {
            found = json_incref(g);
        }
    }
    json_decref(status);
    return found;
}

/* Waits up to 'ms' for guest 'name' to be in 'state'. */
static bool
state_becomes(struct bed *b, const char *name, const char *state, int ms)
{
    long long end = sbx_now_ms() + ms;
    do {
        json_t *g = guest_status(b, name);
        const char *s = json_string_value(json_object_get(g, "state"));
        bool ok = s && !strcmp(s, state);
        json_decref(g);
        if (ok) {
            return true;
        }
        usleep(200 * 1000);
    } while (sbx_now_ms() < end);
    return false;
}

static void
test_port_guest(void **state)
{
    struct bed *b = *state;
    char ext[64], ns2[64], reply[128];
    bed_ns_name(b, "ext", ext, sizeof ext);
    bed_guest_ns(b, 2, "ns2", ns2, sizeof ns2);

    /* Nothing plugged yet: the lab applies all the same, and says so. */
    assert_int_equal(bed_apply_text(b, lab), 0);
    assert_true(state_becomes(b, "ext", "unplugged", 10000));
    char *out = NULL;
    assert_int_equal(bed_fabricctl(b, &out, "status", NULL), 0);
    assert_non_null(strstr(out, "iface-id=ext-eth0"));
    free(out);

    long long t0 = sbx_now_ms();
    assert_int_equal(plug(b, ext, "ext-eth0"), 0);
    assert_true(bed_pings(ext, NS2_IP, 20000));
    printf("plugged to first answer from hv2: %lld ms\n", sbx_now_ms() - t0);
    assert_true(bed_pings(ns2, EXT_IP, 5000));
    assert_true(bed_start_server(b, ns2, 80) > 0);
    assert_true(bed_connects(ext, NS2_IP, 80, reply, sizeof reply));
    assert_string_equal(reply, EXT_IP);
    bed_stop_servers(b);
    /* Another network, on the same host: never at layer 2, no router. */
    assert_false(bed_ping(ext, OTHER_IP));
    /* DHCP gives the port the interface's own address and name. */
    char *lease = bed_dhcp_lease(b, ext);
    assert_non_null(strstr(lease, "lease.ip=" EXT_IP "\n"));
    assert_non_null(strstr(lease, "lease.hostname=ext\n"));
    free(lease);

    /* Tagged and bound, never owned. */
    /* The tag comes once the flows are in (the pipeline isolates the
     * port; a tag costs ovs-vswitchd a reconfiguration of every port). */
    assert_true(port_tag_becomes(b, "pe0", "70\n"));
    char *ids = port_column(b, "external_ids");
    assert_non_null(strstr(ids, "fabric-bound=fabric"));
    assert_null(strstr(ids, "fabric-owner"));
    free(ids);
    assert_true(state_becomes(b, "ext", "bound", 10000));

    /* The same lab again changes nothing on the port. */
    char *before = port_column(b, "_uuid");
    assert_int_equal(bed_apply_text(b, lab), 0);
    char *after = port_column(b, "_uuid");
    assert_string_equal(before, after);
    free(after);
    char *tag = port_column(b, "tag");
    assert_string_equal(tag, "70\n");
    free(tag);

    /* The guest leaves the lab: the port stays, given back. */
    assert_int_equal(bed_apply_text(b, lab_without), 0);
    after = port_column(b, "_uuid");
    assert_string_equal(before, after);
    free(after);
    tag = port_column(b, "tag");
    assert_string_equal(tag, "[]\n");
    free(tag);
    ids = port_column(b, "external_ids");
    assert_null(strstr(ids, "fabric-bound"));
    free(ids);
    assert_false(bed_ping(ext, NS2_IP));

    /* Back, then the whole lab destroyed: the port is the test's still,
     * so br-int stays for it, with nothing else on it. */
    assert_int_equal(bed_apply_text(b, lab), 0);
    assert_true(bed_pings(ext, NS2_IP, 20000));
    assert_int_equal(
        bed_fabricctl(b, &out, "topology", "destroy", "--wait=60", NULL), 0);
    free(out);
    after = port_column(b, "_uuid");
    assert_string_equal(before, after);
    free(after);
    free(before);
    tag = port_column(b, "tag");
    assert_string_equal(tag, "[]\n");
    free(tag);
    char *ports = bed_vsctl(b, 1, "list-ports", "br-int", NULL);
    assert_non_null(ports);
    assert_string_equal(ports, "pe0\n");
    free(ports);
}

/* A port guest's interface without an iface_id binds the interface's
 * UUID, which `fabricctl status` shows. */
static void
test_uuid_iface_id(void **state)
{
    struct bed *b = *state;
    assert_int_equal(bed_apply_text(b, lab_without), 0);
    json_t *g = guest_status(b, "anon");
    const char *uuid =
        json_string_value(json_array_get(json_object_get(g, "iface_ids"), 0));
    assert_non_null(uuid);
    assert_int_equal(strlen(uuid), 36);
    assert_true(state_becomes(b, "anon", "unplugged", 10000));
    /* fabric runs nothing of it: no namespace to enter. */
    char *out = NULL;
    assert_int_not_equal(
        bed_fabricctl(b, &out, "guest", "exec", "anon", "--", "true", NULL),
        0);
    assert_non_null(out);
    assert_non_null(strstr(out, "is of kind port"));
    free(out);

    /* An internal port, as the benchmark plugs them. */
    char *vs = bed_vsctl(b, 1, "add-port", "br-int", "pa0", "--", "set",
                         "interface", "pa0", "type=internal", NULL);
    assert_non_null(vs);
    free(vs);
    char id[128];
    snprintf(id, sizeof id, "external_ids:iface-id=%s", uuid);
    vs = bed_vsctl(b, 1, "set", "interface", "pa0", id, NULL);
    assert_non_null(vs);
    free(vs);
    bool tagged = port_tag_becomes(b, "pa0", "70\n");
    json_decref(g);
    assert_true(tagged);
    assert_true(state_becomes(b, "anon", "bound", 10000));
    vs = bed_vsctl(b, 1, "del-port", "br-int", "pa0", NULL);
    free(vs);
    assert_true(state_becomes(b, "anon", "unplugged", 10000));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_guest),
        cmocka_unit_test(test_uuid_iface_id),
    };
    return cmocka_run_group_tests(tests, setup, bed_teardown_state);
}
