/* Unit tests of controllers/icmp-error.h and controllers/openflow.h: the
 * time-exceeded answer a flows router gives (fields, checksums, what gets
 * no answer) and the OpenFlow 1.3 messages fabricd reads and writes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "icmp-error.h"
#include "openflow.h"

static const uint8_t router_mac[6] = {0x02, 0xfa, 0x00, 0x00, 0x00, 0x01};
static const uint8_t guest_mac[6] = {0x02, 0xfa, 0x6f, 0x95, 0x73, 0xb0};
#define ROUTER_IP 0xac1000feu /* 172.16.0.254 */

/* A frame from 172.16.0.1 to 172.17.0.2 with 'ttl', IP protocol 'proto'
 * and 'payload_len' bytes of payload whose first byte is 'first'. */
static size_t
make_frame(uint8_t *f, uint8_t ttl, uint8_t proto, size_t payload_len,
           uint8_t first)
{
    memcpy(f, router_mac, 6);
    memcpy(f + 6, guest_mac, 6);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t *ip = f + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    size_t total = 20 + payload_len;
    ip[2] = total >> 8;
    ip[3] = total & 0xff;
    ip[8] = ttl;
    ip[9] = proto;
    uint8_t src[4] = {172, 16, 0, 1}, dst[4] = {172, 17, 0, 2};
    memcpy(ip + 12, src, 4);
    memcpy(ip + 16, dst, 4);
    uint16_t c = icmp_error_checksum(ip, 20);
    ip[10] = c >> 8;
    ip[11] = c & 0xff;
    for (size_t i = 0; i < payload_len; i++) {
        ip[20 + i] = (uint8_t)(first + i);
    }
    return 14 + total;
}

static void
test_time_exceeded(void **state)
{
    uint8_t f[200], out[ICMP_ERROR_MAX_LEN];
    size_t len = make_frame(f, 1, 17, 40, 0x9c);
    size_t n = icmp_time_exceeded(f, len, router_mac, ROUTER_IP, out);
    assert_int_equal(n, 14 + 20 + 8 + 28);
    assert_memory_equal(out, guest_mac, 6);
    assert_memory_equal(out + 6, router_mac, 6);
    const uint8_t *ip = out + 14;
    assert_int_equal(ip[0], 0x45);
    assert_int_equal(ip[2] << 8 | ip[3], 20 + 8 + 28);
    assert_int_equal(ip[8], 64);
    assert_int_equal(ip[9], 1);
    static const uint8_t from[4] = {172, 16, 0, 254}, to[4] = {172, 16, 0, 1};
    assert_memory_equal(ip + 12, from, 4);
    assert_memory_equal(ip + 16, to, 4);
    assert_int_equal(icmp_error_checksum(ip, 20), 0);
    const uint8_t *icmp = ip + 20;
    assert_int_equal(icmp[0], 11);
    assert_int_equal(icmp[1], 0);
    assert_int_equal(icmp_error_checksum(icmp, 8 + 28), 0);
    /* The original header and 8 bytes of its payload. */
    assert_memory_equal(icmp + 8, f + 14, 28);

    /* An echo request is a query: answered; a short payload is quoted
     * whole. */
    len = make_frame(f, 1, 1, 4, 8);
    n = icmp_time_exceeded(f, len, router_mac, ROUTER_IP, out);
    assert_int_equal(n, 14 + 20 + 8 + 24);
}

static void
test_no_answer(void **state)
{
    uint8_t f[200], out[ICMP_ERROR_MAX_LEN];
    size_t len = make_frame(f, 1, 1, 36, 3); /* ICMP dest unreachable. */
    assert_int_equal(icmp_time_exceeded(f, len, router_mac, ROUTER_IP, out),
                     0);
    len = make_frame(f, 1, 1, 36, 11); /* Time exceeded itself. */
    assert_int_equal(icmp_time_exceeded(f, len, router_mac, ROUTER_IP, out),
                     0);

    len = make_frame(f, 1, 17, 16, 0);
    f[14 + 10] ^= 0xff; /* Bad IP checksum. */
    assert_int_equal(icmp_time_exceeded(f, len, router_mac, ROUTER_IP, out),
                     0);

    len = make_frame(f, 1, 17, 16, 0);
    f[14 + 7] = 8; /* A later fragment (offset 64): checksum now wrong. */
    f[14 + 10] = f[14 + 11] = 0;
    uint16_t c = icmp_error_checksum(f + 14, 20);
    f[14 + 10] = c >> 8;
    f[14 + 11] = c & 0xff;
    assert_int_equal(icmp_time_exceeded(f, len, router_mac, ROUTER_IP, out),
                     0);

    len = make_frame(f, 1, 17, 16, 0);
    f[12] = 0x86; /* IPv6 ethertype. */
    f[13] = 0xdd;
    assert_int_equal(icmp_time_exceeded(f, len, router_mac, ROUTER_IP, out),
                     0);

    len = make_frame(f, 1, 17, 16, 0);
    assert_int_equal(icmp_time_exceeded(f, 30, router_mac, ROUTER_IP, out),
                     0); /* Truncated. */
    f[6] |= 1;           /* A multicast source MAC. */
    assert_int_equal(icmp_time_exceeded(f, len, router_mac, ROUTER_IP, out),
                     0);
}

/* A PACKET_IN as OVS sends it: an OXM match with in_port and a register,
 * padding, the frame. */
static size_t
make_packet_in(uint8_t *m, const uint8_t *frame, size_t frame_len,
               uint32_t in_port)
{
    memset(m, 0, 64);
    m[0] = 4;
    m[1] = OFPT13_PACKET_IN;
    m[4] = 0;
    m[7] = 9;
    m[8] = m[9] = m[10] = m[11] = 0xff; /* buffer_id */
    m[12] = frame_len >> 8;
    m[13] = frame_len & 0xff;
    m[14] = OFPR13_INVALID_TTL;
    m[15] = 20;
    m[16] = 0x03;
    m[23] = 0x2a; /* cookie 0x030000000000002a */
    uint8_t *match = m + 24;
    /* type 1, length 4 + 8 (in_port) + 8 (an NXM reg: class 1). */
    match[1] = 1;
    match[3] = 20;
    uint8_t *oxm = match + 4;
    oxm[0] = 0x80;
    oxm[2] = 0;
    oxm[3] = 4;
    oxm[4] = in_port >> 24;
    oxm[5] = (in_port >> 16) & 0xff;
    oxm[6] = (in_port >> 8) & 0xff;
    oxm[7] = in_port & 0xff;
    oxm += 8;
    oxm[1] = 1;      /* NXM class 1 */
    oxm[2] = 6 << 1; /* reg6 */
    oxm[3] = 4;
    oxm[7] = 0x42;
    size_t off = 24 + 24 + 2; /* Match padded to 24, then 2 bytes. */
    memcpy(m + off, frame, frame_len);
    size_t len = off + frame_len;
    m[2] = len >> 8;
    m[3] = len & 0xff;
    return len;
}

static void
test_packet_in(void **state)
{
    uint8_t f[200], m[300];
    size_t flen = make_frame(f, 1, 17, 30, 0);
    size_t len = make_packet_in(m, f, flen, 7);
    struct ofp_header_view h;
    assert_int_equal(ofp_header_parse(m, len, &h), 0);
    assert_int_equal(h.type, OFPT13_PACKET_IN);
    assert_int_equal(h.length, len);
    struct ofp_packet_in_view pin;
    assert_int_equal(ofp_packet_in_parse(m, len, &pin), 0);
    assert_int_equal(pin.reason, OFPR13_INVALID_TTL);
    assert_int_equal(pin.table_id, 20);
    assert_true(pin.cookie == 0x030000000000002aULL);
    assert_int_equal(pin.in_port, 7);
    assert_int_equal(pin.data_len, flen);
    assert_memory_equal(pin.data, f, flen);

    /* Every truncation is refused, never read past. */
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, m, cut);
        if (cut >= 4) {
            copy[2] = cut >> 8;
            copy[3] = cut & 0xff;
        }
        if (ofp_packet_in_parse(copy, cut, &pin) == 0) {
            assert_true(cut >= 50);
            assert_int_equal(pin.data_len, cut - 50);
        }
        free(copy);
    }
    /* A match length beyond the message. */
    m[24 + 3] = 200;
    assert_int_equal(ofp_packet_in_parse(m, len, &pin), -EPROTO);
    assert_int_equal(ofp_header_parse(m, 7, &h), -EAGAIN);
    uint8_t bad[8] = {4, 0, 0, 4, 0, 0, 0, 0};
    assert_int_equal(ofp_header_parse(bad, 8, &h), -EPROTO);
}

static void
test_encoders(void **state)
{
    size_t len;
    uint8_t *m = ofp_hello(3, &len);
    static const uint8_t hello[8] = {4, 0, 0, 8, 0, 0, 0, 3};
    assert_int_equal(len, 8);
    assert_memory_equal(m, hello, 8);
    free(m);

    m = ofp_set_config(4, 0xffff, &len);
    static const uint8_t config[12] = {4, 9, 0, 12, 0,    0,
                                       0, 4, 0, 0,  0xff, 0xff};
    assert_int_equal(len, 12);
    assert_memory_equal(m, config, 12);
    free(m);

    m = ofp_set_async(5, 1u << OFPR13_INVALID_TTL, &len);
    assert_int_equal(len, 32);
    assert_int_equal(m[1], OFPT13_SET_ASYNC);
    assert_int_equal(m[11], 4);
    for (size_t i = 12; i < 32; i++) {
        assert_int_equal(m[i], 0);
    }
    free(m);

    uint8_t echo[12] = {4, 2, 0, 12, 0, 0, 0, 9, 'p', 'i', 'n', 'g'};
    m = ofp_echo_reply(echo, 12, &len);
    assert_int_equal(len, 12);
    assert_int_equal(m[1], OFPT13_ECHO_REPLY);
    assert_int_equal(m[7], 9);
    assert_memory_equal(m + 8, "ping", 4);
    free(m);

    uint8_t frame[60] = {1, 2, 3};
    m = ofp_packet_out(6, 5, frame, sizeof frame, &len);
    assert_int_equal(len, 40 + sizeof frame);
    assert_int_equal(m[1], OFPT13_PACKET_OUT);
    assert_int_equal(m[2] << 8 | m[3], len);
    static const uint8_t head[32] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd, /* no buffer; from
                                                         * the controller */
        0,    16,   0,    0,    0,    0,    0,    0,    /* actions_len */
        0,    0,    0,    16,   0,    0,    0,    5,    0xff,
        0xff, 0,    0,    0,    0,    0,    0, /* output:5 */
    };
    assert_memory_equal(m + 8, head, 32);
    assert_memory_equal(m + 40, frame, sizeof frame);
    free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_exceeded),
        cmocka_unit_test(test_no_answer),
        cmocka_unit_test(test_packet_in),
        cmocka_unit_test(test_encoders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
