/* icmp-error: see icmp-error.h. */
#include "icmp-error.h"

#include <stdbool.h>
#include <string.h>

#include "frame.h"

#define ETH_LEN 14
#define ETH_TYPE_IPV4 0x0800
#define IPPROTO_ICMP_ 1

uint16_t
icmp_error_checksum(const uint8_t *data, size_t len)
{
    return frame_checksum(data, len);
}

/* Returns true if 'ip' (host byte order) may get an ICMP error: not
 * 0.0.0.0/8, loopback, multicast, or broadcast. */
static bool
unicast_host(uint32_t ip)
{
    uint8_t first = ip >> 24;
    return first != 0 && first != 127 && first < 224;
}

size_t
icmp_time_exceeded(const uint8_t *frame, size_t len,
                   const uint8_t router_mac[6], uint32_t router_ip,
                   uint8_t *out)
{
    if (len < ETH_LEN + 20 || frame_get16(frame + 12) != ETH_TYPE_IPV4) {
        return 0;
    }
    const uint8_t *ip = frame + ETH_LEN;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    size_t total = frame_get16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < 20 || len < ETH_LEN + ihl || total < ihl ||
        icmp_error_checksum(ip, ihl) != 0) {
        return 0;
    }
    if (frame_get16(ip + 6) & 0x1fff) {
        return 0; /* Not the first fragment. */
    }
    uint32_t src = frame_get32(ip + 12);
    if (!unicast_host(src) || (frame[6] & 1)) {
        return 0;
    }
    size_t avail = len - ETH_LEN;
    if (avail > total) {
        avail = total;
    }
    if (ip[9] == IPPROTO_ICMP_) {
        /* Never an error about an error: only queries are answered. */
        if (avail < ihl + 1) {
            return 0;
        }
        uint8_t type = ip[ihl];
        bool query = type == 0 || type == 8 || type == 13 || type == 14 ||
                     type == 15 || type == 16 || type == 17 || type == 18;
        if (!query) {
            return 0;
        }
    }
    size_t quoted = ihl + 8 <= avail ? ihl + 8 : avail;

    /* Ethernet. */
    memcpy(out, frame + 6, 6);
    memcpy(out + 6, router_mac, 6);
    frame_put16(out + 12, ETH_TYPE_IPV4);

    /* IPv4. */
    uint8_t *oip = out + ETH_LEN;
    size_t icmp_len = 8 + quoted;
    memset(oip, 0, 20);
    oip[0] = 0x45;
    oip[1] = 0xc0; /* Precedence "internetwork control", as routers do. */
    frame_put16(oip + 2, (uint16_t)(20 + icmp_len));
    oip[8] = 64;
    oip[9] = IPPROTO_ICMP_;
    frame_put32(oip + 12, router_ip);
    frame_put32(oip + 16, src);
    frame_put16(oip + 10, icmp_error_checksum(oip, 20));

    /* ICMP. */
    uint8_t *icmp = oip + 20;
    memset(icmp, 0, 8);
    icmp[0] = 11; /* Time exceeded. */
    icmp[1] = 0;  /* TTL exceeded in transit. */
    memcpy(icmp + 8, ip, quoted);
    frame_put16(icmp + 2, icmp_error_checksum(icmp, icmp_len));
    return ETH_LEN + 20 + icmp_len;
}
