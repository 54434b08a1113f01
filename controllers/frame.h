/* frame: reading and writing the Ethernet/IPv4/UDP frames the controller
 * connection answers (DHCP, DNS), and the byte helpers every packet
 * module shares.
 *
 * Rules of this module:
 * - Pure: bytes in, bytes out; no I/O.
 * - Parsing never trusts a length: every field is checked against the
 *   bytes actually there; a frame that is not an unfragmented IPv4 UDP
 *   datagram with a valid IPv4 header checksum is rejected, never read
 *   out of bounds (tests/fuzz/fuzz-dhcp.c, fuzz-dns.c).
 * - Addresses are in host byte order; MACs are 6 bytes.
 * - Frames written here are untagged Ethernet II, IPv4 without options,
 *   TTL 64, with correct IPv4 and UDP checksums.
 */
#ifndef CONTROLLERS_FRAME_H
#define CONTROLLERS_FRAME_H 1

#include <stddef.h>
#include <stdint.h>

#define FRAME_ETH_LEN 14
#define FRAME_ETH_TYPE_IPV4 0x0800
#define FRAME_UDP4_HEADERS (FRAME_ETH_LEN + 20 + 8)

uint16_t frame_get16(const uint8_t *p);
uint32_t frame_get32(const uint8_t *p);
void frame_put16(uint8_t *p, uint16_t v);
void frame_put32(uint8_t *p, uint32_t v);

/* The Internet checksum (RFC 1071) of 'len' bytes at 'data'. */
uint16_t frame_checksum(const uint8_t *data, size_t len);

struct frame_udp4 {
    uint8_t dst_mac[6], src_mac[6];
    uint32_t src_ip, dst_ip;
    uint16_t src_port, dst_port;
    const uint8_t *payload; /* Points into the frame. */
    size_t payload_len;
};

/* Reads the untagged Ethernet frame 'frame' ('len' bytes) as an IPv4 UDP
 * datagram into '*u'.  Returns 0, or -1 when it is not one (or is a
 * fragment, or is cut short, or its IPv4 header checksum is wrong). */
int frame_udp4_parse(const uint8_t *frame, size_t len, struct frame_udp4 *u);

/* Writes the frame '*u' describes (its payload included) into 'out', of
 * 'cap' bytes.  Returns its length, or 0 when it does not fit. */
size_t frame_udp4_write(const struct frame_udp4 *u, uint8_t *out, size_t cap);

/* Reads "xx:xx:xx:xx:xx:xx" into 'mac'.  Returns 0 or -1. */
int frame_parse_mac(const char *s, uint8_t mac[6]);
/* Reads a dotted IPv4 address, with or without "/PREFIX", into '*ip'
 * (host order) and, if 'prefix' is not NULL, the prefix (32 without).
 * Returns 0 or -1. */
int frame_parse_ipv4(const char *s, uint32_t *ip, int *prefix);

#endif /* frame.h */
