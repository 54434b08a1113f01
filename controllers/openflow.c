/* openflow: see openflow.h. */
#include "openflow.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define OXM_CLASS_OPENFLOW_BASIC 0x8000
#define OXM_FIELD_IN_PORT 0

static uint64_t
get64(const uint8_t *p)
{
    return (uint64_t)frame_get32(p) << 32 | frame_get32(p + 4);
}

/* A new zeroed message of 'len' bytes with its header filled in. */
static uint8_t *
new_msg(uint8_t type, uint32_t xid, size_t len)
{
    uint8_t *m = calloc(1, len);
    if (!m) {
        abort();
    }
    m[0] = OFP13_VERSION;
    m[1] = type;
    frame_put16(m + 2, (uint16_t)len);
    frame_put32(m + 4, xid);
    return m;
}

int
ofp_header_parse(const uint8_t *data, size_t len, struct ofp_header_view *h)
{
    if (len < OFP_HEADER_LEN) {
        return -EAGAIN;
    }
    h->version = data[0];
    h->type = data[1];
    h->length = frame_get16(data + 2);
    h->xid = frame_get32(data + 4);
    return h->length < OFP_HEADER_LEN ? -EPROTO : 0;
}

int
ofp_packet_in_parse(const uint8_t *msg, size_t len,
                    struct ofp_packet_in_view *pin)
{
    /* Header (8), buffer_id (4), total_len (2), reason (1), table_id
     * (1), cookie (8), then the match. */
    const size_t fixed = OFP_HEADER_LEN + 16;
    if (len < fixed + 4 || msg[1] != OFPT13_PACKET_IN ||
        frame_get16(msg + 2) != len) {
        return -EPROTO;
    }
    memset(pin, 0, sizeof *pin);
    pin->reason = msg[14];
    pin->table_id = msg[15];
    pin->cookie = get64(msg + 16);

    const uint8_t *match = msg + fixed;
    uint16_t match_type = frame_get16(match);
    uint16_t match_len = frame_get16(match + 2);
    size_t padded = (match_len + 7u) / 8 * 8;
    if (match_type != 1 || match_len < 4 || padded > len - fixed) {
        return -EPROTO;
    }
    /* The OXM fields: header (4: class 2, field 7 bits, hasmask 1 bit,
     * length 1) and value. */
    size_t off = 4;
    while (off < match_len) {
        if (match_len - off < 4) {
            return -EPROTO;
        }
        const uint8_t *oxm = match + off;
        uint16_t class = frame_get16(oxm);
        uint8_t field = oxm[2] >> 1;
        uint8_t oxm_len = oxm[3];
        if (oxm_len > match_len - off - 4) {
            return -EPROTO;
        }
        if (class == OXM_CLASS_OPENFLOW_BASIC && field == OXM_FIELD_IN_PORT &&
            oxm_len == 4) {
            pin->in_port = frame_get32(oxm + 4);
        }
        off += 4 + oxm_len;
    }
    /* Two bytes of padding, then the frame. */
    size_t data_off = fixed + padded + 2;
    if (data_off > len) {
        return -EPROTO;
    }
    pin->data = msg + data_off;
    pin->data_len = len - data_off;
    return 0;
}

uint8_t *
ofp_hello(uint32_t xid, size_t *lenp)
{
    *lenp = OFP_HEADER_LEN;
    return new_msg(OFPT13_HELLO, xid, *lenp);
}

uint8_t *
ofp_echo_reply(const uint8_t *request, size_t len, size_t *lenp)
{
    size_t n = len < OFP_HEADER_LEN ? OFP_HEADER_LEN : len;
    uint8_t *m =
        new_msg(OFPT13_ECHO_REPLY,
                len >= OFP_HEADER_LEN ? frame_get32(request + 4) : 0, n);
    if (len > OFP_HEADER_LEN) {
        memcpy(m + OFP_HEADER_LEN, request + OFP_HEADER_LEN,
               len - OFP_HEADER_LEN);
    }
    *lenp = n;
    return m;
}

uint8_t *
ofp_set_config(uint32_t xid, uint16_t miss_send_len, size_t *lenp)
{
    *lenp = OFP_HEADER_LEN + 4;
    uint8_t *m = new_msg(OFPT13_SET_CONFIG, xid, *lenp);
    frame_put16(m + 8, 0); /* Flags: normal fragment handling. */
    frame_put16(m + 10, miss_send_len);
    return m;
}

uint8_t *
ofp_set_async(uint32_t xid, uint32_t reasons, size_t *lenp)
{
    /* packet_in_mask[2], port_status_mask[2], flow_removed_mask[2]. */
    *lenp = OFP_HEADER_LEN + 24;
    uint8_t *m = new_msg(OFPT13_SET_ASYNC, xid, *lenp);
    frame_put32(m + 8, reasons);
    return m;
}

uint8_t *
ofp_packet_out(uint32_t xid, uint32_t port, const uint8_t *frame,
               size_t frame_len, size_t *lenp)
{
    /* buffer_id (4), in_port (4), actions_len (2), pad (6), one output
     * action (16), the frame. */
    size_t n = OFP_HEADER_LEN + 16 + 16 + frame_len;
    uint8_t *m = new_msg(OFPT13_PACKET_OUT, xid, n);
    frame_put32(m + 8, 0xffffffff);
    frame_put32(m + 12, OFPP13_CONTROLLER);
    frame_put16(m + 16, 16);
    uint8_t *action = m + 24;
    frame_put16(action, 0); /* OFPAT_OUTPUT. */
    frame_put16(action + 2, 16);
    frame_put32(action + 4, port);
    frame_put16(action + 8, 0xffff);
    memcpy(m + 40, frame, frame_len);
    *lenp = n;
    return m;
}
