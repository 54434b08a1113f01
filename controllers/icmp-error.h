/* icmp-error: ICMP "time exceeded" answers for the flows router.
 *
 * A frame that a `flows` router would route with a TTL of 0 or 1 never
 * leaves the router: the pipeline's dec_ttl hands it to fabricd (a
 * packet-in), and fabricd answers the sender as a router does, with an
 * ICMP time-exceeded message from the router port the frame came to.
 * This is what makes the router hop appear in traceroute.
 *
 * Rules of this module:
 * - Pure: bytes in, bytes out; no I/O.
 * - RFC 792 / RFC 1812: the answer carries the offending IPv4 header and
 *   the first 8 bytes of its payload; it goes to the sender's address
 *   from the router port's address, with a TTL of 64, and back to the
 *   sender's MAC from the router port's MAC.
 * - No answer (0) for what a router must not answer: a frame that is not
 *   IPv4 or is truncated, a bad IP header, a fragment other than the
 *   first, a source that is not a unicast host address, or an ICMP error
 *   (only echo requests and other queries get one).
 */
#ifndef CONTROLLERS_ICMP_ERROR_H
#define CONTROLLERS_ICMP_ERROR_H 1

#include <stddef.h>
#include <stdint.h>

/* The largest answer icmp_time_exceeded() writes: Ethernet (14), IPv4
 * (20), ICMP (8), the original IPv4 header (up to 60) and 8 bytes. */
#define ICMP_ERROR_MAX_LEN (14 + 20 + 8 + 60 + 8)

/* Writes to 'out' (ICMP_ERROR_MAX_LEN bytes) the Ethernet frame that
 * answers 'frame' ('len' bytes, an Ethernet frame without VLAN tag) with
 * an ICMP time exceeded (type 11, code 0) from 'router_mac' and
 * 'router_ip' (host byte order).  Returns its length, or 0 when 'frame'
 * gets no answer. */
size_t icmp_time_exceeded(const uint8_t *frame, size_t len,
                          const uint8_t router_mac[6], uint32_t router_ip,
                          uint8_t *out);

/* The Internet checksum (RFC 1071) of 'len' bytes. */
uint16_t icmp_error_checksum(const uint8_t *data, size_t len);

#endif /* icmp-error.h */
