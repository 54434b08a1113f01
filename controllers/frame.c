/* frame: see frame.h. */
#include "frame.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IPPROTO_UDP_ 17

uint16_t
frame_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t
frame_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

void
frame_put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v & 0xff;
}

void
frame_put32(uint8_t *p, uint32_t v)
{
    frame_put16(p, v >> 16);
    frame_put16(p + 2, v & 0xffff);
}

static uint32_t
sum16(uint32_t sum, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += frame_get16(data + i);
    }
    if (len & 1) {
        sum += (uint32_t)data[len - 1] << 8;
    }
    return sum;
}

static uint16_t
fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

uint16_t
frame_checksum(const uint8_t *data, size_t len)
{
    return fold(sum16(0, data, len));
}

int
frame_udp4_parse(const uint8_t *frame, size_t len, struct frame_udp4 *u)
{
    if (len < FRAME_UDP4_HEADERS ||
        frame_get16(frame + 12) != FRAME_ETH_TYPE_IPV4) {
        return -1;
    }
    const uint8_t *ip = frame + FRAME_ETH_LEN;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    size_t total = frame_get16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != IPPROTO_UDP_ ||
        total < ihl + 8 || len - FRAME_ETH_LEN < total ||
        frame_checksum(ip, ihl) != 0 || (frame_get16(ip + 6) & 0x3fff)) {
        return -1; /* Also: a fragment (offset or "more fragments"). */
    }
    const uint8_t *udp = ip + ihl;
    size_t udp_len = frame_get16(udp + 4);
    if (udp_len < 8 || udp_len > total - ihl) {
        return -1;
    }
    memcpy(u->dst_mac, frame, 6);
    memcpy(u->src_mac, frame + 6, 6);
    u->src_ip = frame_get32(ip + 12);
    u->dst_ip = frame_get32(ip + 16);
    u->src_port = frame_get16(udp);
    u->dst_port = frame_get16(udp + 2);
    u->payload = udp + 8;
    u->payload_len = udp_len - 8;
    return 0;
}

size_t
frame_udp4_write(const struct frame_udp4 *u, uint8_t *out, size_t cap)
{
    size_t udp_len = 8 + u->payload_len;
    if (u->payload_len > 65535 - 28 ||
        FRAME_UDP4_HEADERS + u->payload_len > cap) {
        return 0;
    }
    memcpy(out, u->dst_mac, 6);
    memcpy(out + 6, u->src_mac, 6);
    frame_put16(out + 12, FRAME_ETH_TYPE_IPV4);

    uint8_t *ip = out + FRAME_ETH_LEN;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    frame_put16(ip + 2, (uint16_t)(20 + udp_len));
    ip[8] = 64;
    ip[9] = IPPROTO_UDP_;
    frame_put32(ip + 12, u->src_ip);
    frame_put32(ip + 16, u->dst_ip);
    frame_put16(ip + 10, frame_checksum(ip, 20));

    uint8_t *udp = ip + 20;
    frame_put16(udp, u->src_port);
    frame_put16(udp + 2, u->dst_port);
    frame_put16(udp + 4, (uint16_t)udp_len);
    frame_put16(udp + 6, 0);
    memmove(udp + 8, u->payload, u->payload_len);

    /* The pseudo-header: addresses, protocol, UDP length. */
    uint8_t pseudo[12];
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = IPPROTO_UDP_;
    frame_put16(pseudo + 10, (uint16_t)udp_len);
    uint16_t sum = fold(sum16(sum16(0, pseudo, sizeof pseudo), udp, udp_len));
    frame_put16(udp + 6, sum ? sum : 0xffff);
    return FRAME_UDP4_HEADERS + u->payload_len;
}

int
frame_parse_mac(const char *s, uint8_t mac[6])
{
    unsigned int b[6];
    char extra;
    if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
                     &b[3], &b[4], &b[5], &extra) != 6) {
        return -1;
    }
    for (int i = 0; i < 6; i++) {
        mac[i] = (uint8_t)b[i];
    }
    return 0;
}

int
frame_parse_ipv4(const char *s, uint32_t *ip, int *prefix)
{
    char buf[64];
    if (!s || strlen(s) >= sizeof buf) {
        return -1;
    }
    strcpy(buf, s);
    int plen = 32;
    char *slash = strchr(buf, '/');
    if (slash) {
        char *end;
        long v = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || v < 0 || v > 32) {
            return -1;
        }
        plen = (int)v;
        *slash = '\0';
    }
    struct in_addr a;
    if (inet_pton(AF_INET, buf, &a) != 1) {
        return -1;
    }
    *ip = ntohl(a.s_addr);
    if (prefix) {
        *prefix = plen;
    }
    return 0;
}
