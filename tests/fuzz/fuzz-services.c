/* fuzz-services: libFuzzer harness for what fabric's DHCP and DNS
 * services read from guests: controllers/frame.h, dhcp.h and dns.h.
 *
 * The input is taken as an Ethernet frame (a DHCP request, a DNS query
 * in UDP) and, from its second byte on, as a bare DNS message.  Each
 * parse either fails or gives fields inside the input; a parsed request
 * or query is answered, and the answer is a well-formed frame (valid IPv4
 * checksum, to the client's MAC or broadcast) or message (the query's id
 * and question) within its buffer.  Any broken promise aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "dns.h"
#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int condition)
{
    if (!condition) {
        abort();
    }
}

static void
dhcp(const uint8_t *data, size_t size)
{
    struct dhcp_request req;
    if (dhcp_parse_request(data, size, &req)) {
        return;
    }
    struct dhcp_lease l = {
        .ip = 0x0a010005,
        .prefix = 24,
        .router = 0x0a010001,
        .dns = {0x0a0100fe},
        .n_dns = 1,
        .mtu = 1400,
        .lease_time = 86400,
        .routes = {{0x0a090000, 16, 0x0a010001}, {0, 0, 0x0a010002}},
        .n_routes = 2,
        .hostname = "guest",
        .domain = "lab",
        .server_ip = 0x0a0100fe,
        .server_mac = {2, 0xfd, 0, 0, 0, 1},
    };
    memcpy(l.mac, req.chaddr, 6); /* So that it is answered. */
    uint8_t out[DHCP_MAX_FRAME], type;
    size_t n = dhcp_answer(&req, &l, out, &type);
    if (!n) {
        return;
    }
    check(n <= DHCP_MAX_FRAME);
    struct frame_udp4 u;
    check(!frame_udp4_parse(out, n, &u));
    check(u.src_port == 67 && u.dst_port == 68 && u.src_ip == l.server_ip);
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    check(!memcmp(u.dst_mac, l.mac, 6) || !memcmp(u.dst_mac, bcast, 6));
    check(type == DHCP_OFFER || type == DHCP_ACK || type == DHCP_NAK);
    check(frame_get32(u.payload + 4) == req.xid);
}

static void
dns(const uint8_t *msg, size_t size)
{
    struct dns_query q;
    if (dns_parse_query(msg, size, &q)) {
        return;
    }
    check(strlen(q.name) <= DNS_MAX_NAME);
    check(12 + q.question_len <= size);
    uint32_t addrs[DNS_MAX_ANSWERS + 2] = {0x0a010005};
    uint8_t out[DNS_MAX_MESSAGE];
    size_t n = dns_answer(&q, msg, DNS_RCODE_NOERROR, addrs,
                          DNS_MAX_ANSWERS + 2, 60, out);
    check(n >= 12 + q.question_len && n <= DNS_MAX_MESSAGE);
    check(!memcmp(out, msg, 2));
    check(!memcmp(out + 12, msg + 12, q.question_len));
    struct dns_query again;
    check(out[2] & 0x80); /* A response: not a query any more. */
    check(dns_parse_query(out, n, &again) == -1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dhcp(data, size);
    struct frame_udp4 u;
    if (!frame_udp4_parse(data, size, &u)) {
        check(u.payload >= data && u.payload + u.payload_len <= data + size);
        dns(u.payload, u.payload_len);
    }
    if (size > 1) {
        dns(data + 1, size - 1);
    }
    return 0;
}
