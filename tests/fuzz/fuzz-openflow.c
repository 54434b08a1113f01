/* fuzz-openflow: libFuzzer harness for controllers/openflow.h and
 * controllers/icmp-error.h, the code that reads what the switch sends.
 *
 * The input is a stream of OpenFlow messages.  Each header either parses
 * or is rejected; a PACKET_IN either parses, with every pointer inside
 * the message, or is -EPROTO; the frame of a parsed packet-in is answered
 * by icmp_time_exceeded(), whose answer, if any, fits its buffer, is an
 * IPv4 ICMP time exceeded with valid IP and ICMP checksums, and goes back
 * to the frame's sender.  The input is also taken as one frame.  Any
 * broken promise aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icmp-error.h"
#include "openflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int condition)
{
    if (!condition) {
        abort();
    }
}

static void
answer(const uint8_t *frame, size_t len)
{
    static const uint8_t mac[6] = {0x02, 0xfa, 0, 0, 0, 1};
    uint8_t out[ICMP_ERROR_MAX_LEN];
    size_t n = icmp_time_exceeded(frame, len, mac, 0xac1000fe, out);
    if (!n) {
        return;
    }
    check(n >= 14 + 20 + 8 && n <= ICMP_ERROR_MAX_LEN);
    check(!memcmp(out, frame + 6, 6) && !memcmp(out + 6, mac, 6));
    check(out[12] == 0x08 && out[13] == 0x00);
    check(icmp_error_checksum(out + 14, 20) == 0);
    check(icmp_error_checksum(out + 34, n - 34) == 0);
    check(out[34] == 11 && out[35] == 0);
    check(!memcmp(out + 30, frame + 14 + 12, 4)); /* To the sender. */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    answer(data, size);
    size_t off = 0;
    while (off < size) {
        struct ofp_header_view h;
        int error = ofp_header_parse(data + off, size - off, &h);
        if (error) {
            check(error == -EAGAIN || error == -EPROTO);
            break;
        }
        if (h.length > size - off) {
            break;
        }
        const uint8_t *msg = data + off;
        if (h.type == OFPT13_PACKET_IN) {
            struct ofp_packet_in_view pin;
            if (!ofp_packet_in_parse(msg, h.length, &pin)) {
                check(pin.data >= msg &&
                      pin.data + pin.data_len == msg + h.length);
                answer(pin.data, pin.data_len);
            }
        } else if (h.type == OFPT13_ECHO_REQUEST) {
            size_t len;
            uint8_t *reply = ofp_echo_reply(msg, h.length, &len);
            check(len == h.length && reply[1] == OFPT13_ECHO_REPLY);
            free(reply);
        }
        off += h.length;
    }
    return 0;
}
