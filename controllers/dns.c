/* dns: see dns.h. */
#include "dns.h"

#include <ctype.h>
#include <string.h>

#include "frame.h"

#define DNS_HEADER 12
#define FLAG_QR 0x8000
#define FLAG_OPCODE 0x7800
#define FLAG_AA 0x0400
#define FLAG_TC 0x0200
#define FLAG_RD 0x0100
#define FLAG_RA 0x0080

int
dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q)
{
    if (len < DNS_HEADER) {
        return -1;
    }
    memset(q, 0, sizeof *q);
    q->id = frame_get16(msg);
    q->flags = frame_get16(msg + 2);
    if ((q->flags & (FLAG_QR | FLAG_OPCODE | FLAG_TC)) ||
        frame_get16(msg + 4) != 1 || frame_get16(msg + 6) ||
        frame_get16(msg + 8)) {
        return -1; /* Not a standard query with one question. */
    }
    size_t pos = DNS_HEADER, out = 0;
    for (;;) {
        if (pos >= len) {
            return -1;
        }
        uint8_t label = msg[pos++];
        if (!label) {
            break;
        }
        if (label > 63 || len - pos < label ||
            out + label + (out ? 1 : 0) > DNS_MAX_NAME) {
            return -1; /* Compression, or too long. */
        }
        if (out) {
            q->name[out++] = '.';
        }
        for (uint8_t i = 0; i < label; i++) {
            unsigned char c = msg[pos++];
            if (c == '.' || c < 0x21 || c > 0x7e) {
                return -1;
            }
            q->name[out++] = (char)tolower(c);
        }
    }
    if (len - pos < 4) {
        return -1;
    }
    q->qtype = frame_get16(msg + pos);
    q->qclass = frame_get16(msg + pos + 2);
    q->question_len = pos + 4 - DNS_HEADER;
    return 0;
}

size_t
dns_answer(const struct dns_query *q, const uint8_t *msg, int rcode,
           const uint32_t *addrs, size_t n, uint32_t ttl, uint8_t *out)
{
    size_t len = DNS_HEADER + q->question_len;
    memcpy(out, msg, len); /* The id and the question. */
    frame_put16(out + 2, (uint16_t)(FLAG_QR | FLAG_AA | FLAG_RA |
                                    (q->flags & FLAG_RD) | (rcode & 0xf)));
    frame_put16(out + 4, 1);
    frame_put16(out + 8, 0);
    frame_put16(out + 10, 0);
    size_t answers = 0;
    if (rcode == DNS_RCODE_NOERROR &&
        (q->qtype == DNS_TYPE_A || q->qtype == DNS_TYPE_ANY) &&
        (q->qclass == DNS_CLASS_IN || q->qclass == DNS_TYPE_ANY)) {
        for (size_t i = 0;
             i < n && i < DNS_MAX_ANSWERS && len + 16 <= DNS_MAX_MESSAGE;
             i++) {
            uint8_t *a = out + len;
            frame_put16(a, 0xc000 | DNS_HEADER); /* The question's name. */
            frame_put16(a + 2, DNS_TYPE_A);
            frame_put16(a + 4, DNS_CLASS_IN);
            frame_put32(a + 6, ttl);
            frame_put16(a + 10, 4);
            frame_put32(a + 12, addrs[i]);
            len += 16;
            answers++;
        }
    }
    frame_put16(out + 6, (uint16_t)answers);
    return len;
}
