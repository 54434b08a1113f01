/* openflow: the few OpenFlow 1.3 messages fabricd's controller connection
 * uses, encoded and decoded.
 *
 * fabricd keeps one OpenFlow connection to its integration bridge (the
 * bridge's management socket) for the packets the pipeline cannot answer
 * with flows alone (agent-ofc.h).  It speaks OpenFlow 1.3: HELLO, ECHO,
 * SET_CONFIG and SET_ASYNC to ask for packet-ins, PACKET_IN from the
 * switch, PACKET_OUT to it.
 *
 * Rules of this module:
 * - Pure: bytes in, bytes out; no I/O.
 * - Decoding never trusts a length: every field is checked against the
 *   bytes actually there; a malformed message is -EPROTO, never a crash
 *   or a read out of bounds (tests/fuzz/fuzz-openflow.c).
 * - Encoders return a new buffer and its length; the caller frees it.
 */
#ifndef CONTROLLERS_OPENFLOW_H
#define CONTROLLERS_OPENFLOW_H 1

#include <stddef.h>
#include <stdint.h>

#define OFP13_VERSION 0x04
#define OFP_HEADER_LEN 8

enum ofp13_type {
    OFPT13_HELLO = 0,
    OFPT13_ERROR = 1,
    OFPT13_ECHO_REQUEST = 2,
    OFPT13_ECHO_REPLY = 3,
    OFPT13_SET_CONFIG = 9,
    OFPT13_PACKET_IN = 10,
    OFPT13_PACKET_OUT = 13,
    OFPT13_SET_ASYNC = 28,
};

/* Packet-in reasons. */
#define OFPR13_NO_MATCH 0
#define OFPR13_ACTION 1
#define OFPR13_INVALID_TTL 2

/* Reserved ports. */
#define OFPP13_CONTROLLER 0xfffffffd
#define OFPP13_IN_PORT 0xfffffff8

struct ofp_header_view {
    uint8_t version;
    uint8_t type;
    uint16_t length; /* Of the whole message, header included. */
    uint32_t xid;
};

/* Reads the header at 'data' ('len' bytes available).  Returns 0, or
 * -EAGAIN when fewer than 8 bytes are there, or -EPROTO when the length
 * field is impossible (< 8). */
int ofp_header_parse(const uint8_t *data, size_t len,
                     struct ofp_header_view *h);

struct ofp_packet_in_view {
    uint8_t reason;
    uint8_t table_id;
    uint64_t cookie;
    uint32_t in_port;    /* From the match; 0 if absent. */
    const uint8_t *data; /* The frame (points into the message). */
    size_t data_len;
};

/* Decodes the whole PACKET_IN message 'msg' ('len' bytes, header
 * included).  Returns 0 or -EPROTO. */
int ofp_packet_in_parse(const uint8_t *msg, size_t len,
                        struct ofp_packet_in_view *pin);

uint8_t *ofp_hello(uint32_t xid, size_t *lenp);
/* An ECHO_REPLY carrying the payload of the ECHO_REQUEST 'request'. */
uint8_t *ofp_echo_reply(const uint8_t *request, size_t len, size_t *lenp);
uint8_t *ofp_set_config(uint32_t xid, uint16_t miss_send_len, size_t *lenp);
/* SET_ASYNC asking for packet-ins with the reasons in 'reasons' (a bit
 * per reason) in the master/equal role, and nothing else. */
uint8_t *ofp_set_async(uint32_t xid, uint32_t reasons, size_t *lenp);
/* PACKET_OUT of 'frame' from the controller to port 'port'. */
uint8_t *ofp_packet_out(uint32_t xid, uint32_t port, const uint8_t *frame,
                        size_t frame_len, size_t *lenp);

#endif /* openflow.h */
