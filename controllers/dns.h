/* dns: the DNS messages fabric's name service reads and writes, as pure
 * functions.
 *
 * fabricd answers the DNS queries of guests on networks with `dhcp:
 * true` on the controller connection (agent-ofc.h): the pipeline hands
 * every UDP datagram a guest sends to port 53 of the network's service
 * address to fabricd, which answers names of the lab itself
 * (lab-services.h) and passes the rest on to the host's resolver, unless
 * the network is isolated.
 *
 * Rules of this module:
 * - Pure: bytes in, bytes out; no I/O.
 * - Parsing never trusts a length (tests/fuzz/fuzz-dns.c): a query is
 *   one question, no answers, no compression in the question; anything
 *   else is -1 and gets no answer from the lab (it may still be passed
 *   on).
 * - Names are compared without case; dns_parse_query() gives them in
 *   lower case, dotted, without the final dot.
 */
#ifndef CONTROLLERS_DNS_H
#define CONTROLLERS_DNS_H 1

#include <stddef.h>
#include <stdint.h>

#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_ANY 255
#define DNS_CLASS_IN 1

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_REFUSED 5

#define DNS_MAX_NAME 255
#define DNS_MAX_ANSWERS 16
/* A UDP DNS message without EDNS. */
#define DNS_MAX_MESSAGE 512

struct dns_query {
    uint16_t id;
    uint16_t flags;
    char name[DNS_MAX_NAME + 1];
    uint16_t qtype, qclass;
    size_t question_len; /* Bytes of the question, after the header. */
};

/* Reads the DNS message 'msg' ('len' bytes, the UDP payload) as a
 * standard query.  Returns 0 or -1. */
int dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q);

/* Writes into 'out' (DNS_MAX_MESSAGE bytes) the answer to 'q' (parsed
 * from 'msg'): response code 'rcode', authoritative, with one A record
 * of TTL 'ttl' for each of the 'n' addresses in 'addrs' (host order)
 * when the question is for A or ANY records.  Returns its length. */
size_t dns_answer(const struct dns_query *q, const uint8_t *msg, int rcode,
                  const uint32_t *addrs, size_t n, uint32_t ttl, uint8_t *out);

#endif /* dns.h */
