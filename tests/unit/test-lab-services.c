/* test-lab-services: DHCP and DNS answers (controllers/dhcp.h, dns.h,
 * lab-services.h, frame.h) for a lab model, byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp.h"
#include "dns.h"
#include "frame.h"
#include "gateway-names.h"
#include "lab-services.h"
#include "model.h"
#include "pipeline.h"
#include "topology.h"

static const char lab_yaml[] =
    "name: Lab1\n"
    "hosts:\n"
    "  - {name: hv1, underlay: 192.0.2.1}\n"
    "  - {name: hv2, underlay: 192.0.2.2}\n"
    "networks:\n"
    "  - {name: lan, subnet: 10.1.0.0/24, dhcp: true, mtu: 1400}\n"
    "  - {name: dmz, subnet: 10.2.0.0/24, dhcp: true, mode: nat}\n"
    "  - {name: quiet, subnet: 10.3.0.0/24}\n"
    "routers:\n"
    "  - {name: r1, interfaces: [{network: dmz, ip: 10.2.0.254}, {network: "
    "quiet, ip: 10.3.0.254}]}\n"
    "guests:\n"
    "  - name: a\n"
    "    host: hv1\n"
    "    interfaces:\n"
    "      - network: lan\n"
    "        ip: 10.1.0.5/24\n"
    "        mac: '02:00:00:00:00:05'\n"
    "        routes: [{to: 10.9.0.0/16, via: 10.1.0.1}]\n"
    "      - {network: dmz, ip: 10.2.0.5/24}\n"
    "  - {name: b, host: hv2, interfaces: [{network: lan, ip: 10.1.0.6/24}]}\n"
    "  - {name: c, host: hv1, interfaces: [{network: quiet, ip: "
    "10.3.0.7/24}]}\n"
    "  - {name: d, host: hv1, interfaces: [{network: lan}]}\n"
    "  - {name: e, host: hv1, interfaces: [{network: lan, ip: "
    "10.1.0.254/24}]}\n";

static struct fabric_model *
load(void)
{
    struct fabric_model *m = NULL;
    struct topology_errors err = {0};
    int r =
        topology_load_buffer("lab.yaml", lab_yaml, strlen(lab_yaml), &m, &err);
    if (r) {
        fail_msg("%s", err.n ? err.lines[0] : "?");
    }
    return m;
}

static uint32_t
ip4(const char *s)
{
    uint32_t ip;
    assert_int_equal(frame_parse_ipv4(s, &ip, NULL), 0);
    return ip;
}

/* A client's DHCP message of 'type' from 'mac' in an Ethernet frame;
 * 'requested' is option 50 (0: none).  Returns the frame's length. */
static size_t
dhcp_frame(uint8_t *f, uint8_t type, const uint8_t mac[6], uint32_t ciaddr,
           uint32_t requested, uint16_t flags)
{
    uint8_t msg[300];
    memset(msg, 0, sizeof msg);
    msg[0] = 1;
    msg[1] = 1;
    msg[2] = 6;
    frame_put32(msg + 4, 0x12345678);
    frame_put16(msg + 10, flags);
    frame_put32(msg + 12, ciaddr);
    memcpy(msg + 28, mac, 6);
    frame_put32(msg + 236, 0x63825363);
    uint8_t *o = msg + 240;
    *o++ = 53;
    *o++ = 1;
    *o++ = type;
    if (requested) {
        *o++ = 50;
        *o++ = 4;
        frame_put32(o, requested);
        o += 4;
    }
    *o++ = 255;
    struct frame_udp4 u = {.src_ip = ciaddr,
                           .dst_ip = ciaddr ? 0x0a0100fe : 0xffffffff,
                           .src_port = 68,
                           .dst_port = 67,
                           .payload = msg,
                           .payload_len = sizeof msg};
    memset(u.dst_mac, 0xff, 6);
    memcpy(u.src_mac, mac, 6);
    size_t n = frame_udp4_write(&u, f, 1500);
    assert_true(n > 0);
    return n;
}

/* The value of option 'code' in the DHCP answer 'frame', or NULL. */
static const uint8_t *
option(const uint8_t *frame, size_t len, uint8_t code, uint8_t *n)
{
    struct frame_udp4 u;
    assert_int_equal(frame_udp4_parse(frame, len, &u), 0);
    const uint8_t *p = u.payload + 240, *end = u.payload + u.payload_len;
    while (p + 2 <= end && *p != 255) {
        if (*p == 0) {
            p++;
            continue;
        }
        if (p[0] == code) {
            *n = p[1];
            return p + 2;
        }
        p += 2 + p[1];
    }
    return NULL;
}

static const struct lab_service_iface *
iface(const struct lab_services *s, const char *guest, const char *name)
{
    for (size_t i = 0; i < s->n_ifaces; i++) {
        if (s->ifaces[i].cookie ==
            pipeline_cookie_pair(PIPELINE_COOKIE_IFACE, guest, name)) {
            return &s->ifaces[i];
        }
    }
    return NULL;
}

static const struct dhcp_lease *
lease_of(const struct lab_services *s, const char *guest, const char *name)
{
    static const struct dhcp_lease none;
    const struct lab_service_iface *si = iface(s, guest, name);
    if (!si) {
        fail_msg("no interface %s/%s", guest, name);
        return &none;
    }
    return &si->lease;
}

static void
test_leases(void **state)
{
    struct fabric_model *m = load();
    struct lab_services *s = lab_services_build(m, "hv1");
    /* hv1's interfaces on dhcp networks: a/eth0, a/eth1, d/eth0, e/eth0;
     * not b (hv2), not c (quiet has no dhcp). */
    assert_int_equal(s->n_ifaces, 4);
    assert_null(iface(s, "b", "eth0"));
    assert_null(iface(s, "c", "eth0"));
    const struct lab_service_iface *a0 = iface(s, "a", "eth0");
    assert_non_null(a0);
    assert_true(a0->leased);
    assert_false(a0->outside);
    assert_int_equal(a0->lease.ip, ip4("10.1.0.5"));
    assert_int_equal(a0->lease.prefix, 24);
    assert_int_equal(a0->lease.mtu, 1400);
    /* lan has no router and no host address, and e has .254: the service
     * is the highest free address. */
    assert_int_equal(a0->lease.server_ip, ip4("10.1.0.253"));
    assert_int_equal(
        lab_service_address(m, (size_t)fabric_model_find_network(m, "lan")),
        ip4("10.1.0.253"));
    assert_int_equal(a0->lease.n_dns, 1);
    assert_int_equal(a0->lease.dns[0], ip4("10.1.0.253"));
    assert_int_equal(a0->lease.router, 0);
    assert_int_equal(a0->lease.n_routes, 1);
    assert_int_equal(a0->lease.routes[0].dst, ip4("10.9.0.0"));
    assert_int_equal(a0->lease.routes[0].prefix, 16);
    assert_int_equal(a0->lease.routes[0].via, ip4("10.1.0.1"));
    assert_string_equal(a0->lease.hostname, "a");
    assert_string_equal(a0->lease.domain, "lab1");
    char smac[18];
    uint8_t mac[6];
    service_mac("lan", smac);
    assert_int_equal(frame_parse_mac(smac, mac), 0);
    assert_memory_equal(a0->lease.server_mac, mac, 6);

    /* dmz is nat, with router r1: the router is gateway and service. */
    const struct lab_service_iface *a1 = iface(s, "a", "eth1");
    assert_non_null(a1);
    assert_true(a1->outside);
    assert_int_equal(a1->lease.router, a1->lease.server_ip);
    assert_int_equal(a1->lease.server_ip, ip4("10.2.0.254"));

    /* No address: no lease. */
    assert_false(iface(s, "d", "eth0")->leased);

    /* Found by cookie and MAC, never by the cookie alone. */
    uint8_t other[6] = {2, 0, 0, 0, 0, 9};
    assert_ptr_equal(lab_services_find(s, a0->cookie, a0->lease.mac), a0);
    assert_null(lab_services_find(s, a0->cookie, other));
    lab_services_destroy(s);
    fabric_model_destroy(m);
}

static void
test_dhcp_exchange(void **state)
{
    struct fabric_model *m = load();
    struct lab_services *s = lab_services_build(m, "hv1");
    const struct dhcp_lease *l = lease_of(s, "a", "eth0");
    uint8_t f[1500], out[DHCP_MAX_FRAME], type;
    struct dhcp_request req;

    /* DISCOVER -> OFFER of the declared address, to it, from the
     * service. */
    size_t n = dhcp_frame(f, DHCP_DISCOVER, l->mac, 0, 0, 0);
    assert_int_equal(dhcp_parse_request(f, n, &req), 0);
    assert_int_equal(req.type, DHCP_DISCOVER);
    size_t r = dhcp_answer(&req, l, out, &type);
    assert_int_equal(type, DHCP_OFFER);
    struct frame_udp4 u;
    assert_int_equal(frame_udp4_parse(out, r, &u), 0);
    assert_memory_equal(u.dst_mac, l->mac, 6);
    assert_memory_equal(u.src_mac, l->server_mac, 6);
    assert_int_equal(u.src_ip, ip4("10.1.0.253"));
    assert_int_equal(u.dst_ip, ip4("10.1.0.5"));
    assert_int_equal(u.src_port, 67);
    assert_int_equal(u.dst_port, 68);
    assert_true(u.payload_len >= 300);
    assert_int_equal(u.payload[0], 2);
    assert_int_equal(frame_get32(u.payload + 4), 0x12345678);
    assert_int_equal(frame_get32(u.payload + 16), ip4("10.1.0.5"));
    /* The UDP checksum is right: summing with the pseudo-header is 0. */
    uint8_t pseudo[12 + DHCP_MAX_FRAME];
    memcpy(pseudo, out + 14 + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 17;
    frame_put16(pseudo + 10, (uint16_t)(u.payload_len + 8));
    memcpy(pseudo + 12, out + 34, u.payload_len + 8);
    assert_int_equal(frame_checksum(pseudo, 12 + u.payload_len + 8), 0);

    uint8_t len;
    const uint8_t *v = option(out, r, 53, &len);
    assert_non_null(v);
    assert_int_equal(v[0], DHCP_OFFER);
    assert_int_equal(frame_get32(option(out, r, 1, &len)), 0xffffff00);
    assert_int_equal(frame_get32(option(out, r, 54, &len)), ip4("10.1.0.253"));
    assert_int_equal(frame_get32(option(out, r, 6, &len)), ip4("10.1.0.253"));
    assert_int_equal(frame_get16(option(out, r, 26, &len)), 1400);
    assert_int_equal(frame_get32(option(out, r, 51, &len)), 86400);
    assert_null(option(out, r, 3, &len)); /* No gateway declared. */
    v = option(out, r, 121, &len);
    static const uint8_t routes[] = {16, 10, 9, 10, 1, 0, 1};
    assert_int_equal(len, sizeof routes);
    assert_memory_equal(v, routes, sizeof routes);
    v = option(out, r, 12, &len);
    assert_int_equal(len, 1);
    assert_memory_equal(v, "a", 1);
    v = option(out, r, 15, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(v, "lab1", 4);

    /* REQUEST of the declared address -> ACK; of another -> NAK, to the
     * broadcast address. */
    n = dhcp_frame(f, DHCP_REQUEST, l->mac, 0, ip4("10.1.0.5"), 0);
    assert_int_equal(dhcp_parse_request(f, n, &req), 0);
    assert_true(dhcp_answer(&req, l, out, &type) > 0);
    assert_int_equal(type, DHCP_ACK);
    n = dhcp_frame(f, DHCP_REQUEST, l->mac, 0, ip4("10.1.0.99"), 0);
    assert_int_equal(dhcp_parse_request(f, n, &req), 0);
    r = dhcp_answer(&req, l, out, &type);
    assert_int_equal(type, DHCP_NAK);
    assert_int_equal(frame_udp4_parse(out, r, &u), 0);
    assert_int_equal(u.dst_ip, 0xffffffff);
    assert_int_equal(frame_get32(u.payload + 16), 0);
    assert_null(option(out, r, 51, &len));

    /* Renewing (ciaddr) -> ACK to ciaddr; another server chosen ->
     * nothing; broadcast flag -> broadcast. */
    n = dhcp_frame(f, DHCP_REQUEST, l->mac, ip4("10.1.0.5"), 0, 0);
    assert_int_equal(dhcp_parse_request(f, n, &req), 0);
    r = dhcp_answer(&req, l, out, &type);
    assert_int_equal(type, DHCP_ACK);
    assert_int_equal(frame_udp4_parse(out, r, &u), 0);
    assert_int_equal(u.dst_ip, ip4("10.1.0.5"));
    req.server_id = ip4("10.1.0.77");
    assert_int_equal(dhcp_answer(&req, l, out, &type), 0);
    n = dhcp_frame(f, DHCP_DISCOVER, l->mac, 0, 0, 0x8000);
    assert_int_equal(dhcp_parse_request(f, n, &req), 0);
    r = dhcp_answer(&req, l, out, &type);
    assert_int_equal(frame_udp4_parse(out, r, &u), 0);
    assert_int_equal(u.dst_ip, 0xffffffff);

    /* Another MAC never gets this lease; RELEASE and DECLINE get
     * nothing. */
    uint8_t other[6] = {2, 0, 0, 0, 0, 9};
    n = dhcp_frame(f, DHCP_DISCOVER, other, 0, 0, 0);
    assert_int_equal(dhcp_parse_request(f, n, &req), 0);
    assert_int_equal(dhcp_answer(&req, l, out, &type), 0);
    n = dhcp_frame(f, DHCP_RELEASE, l->mac, ip4("10.1.0.5"), 0, 0);
    assert_int_equal(dhcp_parse_request(f, n, &req), 0);
    assert_int_equal(dhcp_answer(&req, l, out, &type), 0);

    /* The nat network's lease has the router as gateway, in option 3 and
     * as the default route in 121 (a client that takes 121 ignores 3). */
    const struct dhcp_lease *l1 = lease_of(s, "a", "eth1");
    n = dhcp_frame(f, DHCP_DISCOVER, l1->mac, 0, 0, 0);
    assert_int_equal(dhcp_parse_request(f, n, &req), 0);
    r = dhcp_answer(&req, l1, out, &type);
    assert_int_equal(frame_get32(option(out, r, 3, &len)), l1->router);
    assert_null(option(out, r, 121, &len)); /* No routes declared. */

    /* Not DHCP: rejected. */
    f[14 + 9] = 6; /* TCP */
    assert_int_equal(dhcp_parse_request(f, n, &req), -1);
    lab_services_destroy(s);
    fabric_model_destroy(m);
}

/* A query for 'name' of 'qtype' as a DNS message; returns its length. */
static size_t
dns_query_msg(uint8_t *msg, const char *name, uint16_t qtype)
{
    memset(msg, 0, 12);
    frame_put16(msg, 0xbeef);
    frame_put16(msg + 2, 0x0100); /* RD */
    frame_put16(msg + 4, 1);
    size_t n = 12;
    const char *p = name;
    while (*p) {
        size_t l = strcspn(p, ".");
        msg[n++] = (uint8_t)l;
        memcpy(msg + n, p, l);
        n += l;
        p += l + (p[l] == '.');
    }
    msg[n++] = 0;
    frame_put16(msg + n, qtype);
    frame_put16(msg + n + 2, 1);
    return n + 4;
}

static void
test_dns(void **state)
{
    struct fabric_model *m = load();
    struct lab_services *s = lab_services_build(m, "hv1");
    uint8_t msg[512], out[DNS_MAX_MESSAGE];
    struct dns_query q;
    size_t n = dns_query_msg(msg, "B.Lab1", DNS_TYPE_A);
    assert_int_equal(dns_parse_query(msg, n, &q), 0);
    assert_string_equal(q.name, "b.lab1");
    assert_int_equal(q.qtype, DNS_TYPE_A);
    uint32_t addrs[8];
    size_t k;
    size_t lan = (size_t)fabric_model_find_network(m, "lan");
    size_t dmz = (size_t)fabric_model_find_network(m, "dmz");
    assert_int_equal(lab_services_resolve(s, q.name, lan, addrs, 8, &k),
                     LAB_DNS_FOUND);
    assert_int_equal(k, 1);
    assert_int_equal(addrs[0], ip4("10.1.0.6"));
    /* a has two addresses; the asker's network first. */
    assert_int_equal(lab_services_resolve(s, "a", dmz, addrs, 8, &k),
                     LAB_DNS_FOUND);
    assert_int_equal(k, 2);
    assert_int_equal(addrs[0], ip4("10.2.0.5"));
    assert_int_equal(addrs[1], ip4("10.1.0.5"));
    assert_int_equal(lab_services_resolve(s, "r1.lab1", lan, addrs, 8, &k),
                     LAB_DNS_FOUND);
    assert_int_equal(k, 2);
    assert_int_equal(lab_services_resolve(s, "nope.lab1", lan, addrs, 8, &k),
                     LAB_DNS_NXDOMAIN);
    assert_int_equal(lab_services_resolve(s, "lab1", lan, addrs, 8, &k),
                     LAB_DNS_NXDOMAIN);
    assert_int_equal(lab_services_resolve(s, "example.org", lan, addrs, 8, &k),
                     LAB_DNS_OUTSIDE);
    assert_int_equal(lab_services_resolve(s, "xlab1", lan, addrs, 8, &k),
                     LAB_DNS_OUTSIDE);

    /* The answer: same id and question, QR AA RD RA, one A record. */
    addrs[0] = ip4("10.1.0.6");
    size_t r = dns_answer(&q, msg, DNS_RCODE_NOERROR, addrs, 1, 60, out);
    assert_int_equal(r, n + 16);
    assert_int_equal(frame_get16(out), 0xbeef);
    assert_int_equal(frame_get16(out + 2), 0x8580);
    assert_int_equal(frame_get16(out + 6), 1);
    assert_memory_equal(out + 12, msg + 12, n - 12);
    static const uint8_t rr[] = {0xc0, 12, 0, 1, 0,  1, 0, 0,
                                 0,    60, 0, 4, 10, 1, 0, 6};
    assert_memory_equal(out + n, rr, sizeof rr);
    /* NXDOMAIN and AAAA: no records. */
    r = dns_answer(&q, msg, DNS_RCODE_NXDOMAIN, addrs, 1, 60, out);
    assert_int_equal(r, n);
    assert_int_equal(frame_get16(out + 2) & 0xf, DNS_RCODE_NXDOMAIN);
    n = dns_query_msg(msg, "b", DNS_TYPE_AAAA);
    assert_int_equal(dns_parse_query(msg, n, &q), 0);
    assert_int_equal(dns_answer(&q, msg, 0, addrs, 1, 60, out), n);

    /* Not a query: a response, two questions, a pointer in the name, a
     * cut-off message. */
    n = dns_query_msg(msg, "b.lab1", DNS_TYPE_A);
    msg[2] |= 0x80;
    assert_int_equal(dns_parse_query(msg, n, &q), -1);
    msg[2] &= 0x7f;
    frame_put16(msg + 4, 2);
    assert_int_equal(dns_parse_query(msg, n, &q), -1);
    frame_put16(msg + 4, 1);
    msg[12] = 0xc0;
    assert_int_equal(dns_parse_query(msg, n, &q), -1);
    n = dns_query_msg(msg, "b.lab1", DNS_TYPE_A);
    assert_int_equal(dns_parse_query(msg, n - 1, &q), -1);
    lab_services_destroy(s);
    fabric_model_destroy(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leases),
        cmocka_unit_test(test_dhcp_exchange),
        cmocka_unit_test(test_dns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
