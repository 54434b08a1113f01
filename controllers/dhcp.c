/* dhcp: see dhcp.h. */
#include "dhcp.h"

#include <stdbool.h>
#include <string.h>

#include "frame.h"

#define BOOTP_FIXED 236 /* op .. file, before the magic cookie. */
#define BOOTP_MIN 300   /* The smallest BOOTP message clients expect. */
#define DHCP_MAGIC 0x63825363u
#define OPT_PAD 0
#define OPT_END 255

int
dhcp_parse_request(const uint8_t *frame, size_t len, struct dhcp_request *req)
{
    struct frame_udp4 u;
    if (frame_udp4_parse(frame, len, &u) || u.src_port != 68 ||
        u.dst_port != 67 || u.payload_len < BOOTP_FIXED + 4) {
        return -1;
    }
    const uint8_t *b = u.payload;
    if (b[0] != 1 || b[1] != 1 || b[2] != 6 ||
        frame_get32(b + BOOTP_FIXED) != DHCP_MAGIC) {
        return -1; /* Not a BOOTREQUEST over Ethernet. */
    }
    memset(req, 0, sizeof *req);
    req->xid = frame_get32(b + 4);
    req->flags = frame_get16(b + 10);
    req->ciaddr = frame_get32(b + 12);
    memcpy(req->chaddr, b + 28, 6);
    memcpy(req->src_mac, u.src_mac, 6);

    const uint8_t *p = b + BOOTP_FIXED + 4;
    const uint8_t *end = b + u.payload_len;
    while (p < end && *p != OPT_END) {
        if (*p == OPT_PAD) {
            p++;
            continue;
        }
        if (end - p < 2 || end - p - 2 < p[1]) {
            return -1;
        }
        uint8_t code = p[0], n = p[1];
        const uint8_t *v = p + 2;
        if (code == 53 && n == 1) {
            req->type = v[0];
        } else if (code == 50 && n == 4) {
            req->requested_ip = frame_get32(v);
        } else if (code == 54 && n == 4) {
            req->server_id = frame_get32(v);
        }
        p += 2 + n;
    }
    return req->type ? 0 : -1;
}

struct opts {
    uint8_t *p, *end;
};

static void
opt(struct opts *o, uint8_t code, const void *data, size_t n)
{
    if (n <= 255 && o->end - o->p >= (ptrdiff_t)(n + 2)) {
        o->p[0] = code;
        o->p[1] = (uint8_t)n;
        memcpy(o->p + 2, data, n);
        o->p += 2 + n;
    }
}

static void
opt32(struct opts *o, uint8_t code, uint32_t v)
{
    uint8_t b[4];
    frame_put32(b, v);
    opt(o, code, b, 4);
}

static uint32_t
mask_of(int prefix)
{
    return prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix);
}

/* Option 121 (RFC 3442): each route as its prefix length, the
 * significant octets of its destination, and its router.  Clients that
 * take option 121 ignore option 3, so the default route is in it too. */
static void
opt_routes(struct opts *o, const struct dhcp_lease *l)
{
    uint8_t buf[255];
    size_t n = 0;
    bool has_default = false;
    for (size_t i = 0; i < l->n_routes && i < DHCP_MAX_ROUTES; i++) {
        const struct dhcp_route *r = &l->routes[i];
        int plen = r->prefix < 0 ? 0 : r->prefix > 32 ? 32 : r->prefix;
        size_t octets = (size_t)(plen + 7) / 8;
        if (n + 1 + octets + 4 > sizeof buf) {
            break;
        }
        has_default |= plen == 0;
        buf[n++] = (uint8_t)plen;
        uint8_t dst[4];
        frame_put32(dst, r->dst & mask_of(plen));
        memcpy(buf + n, dst, octets);
        n += octets;
        frame_put32(buf + n, r->via);
        n += 4;
    }
    if (!n) {
        return;
    }
    if (l->router && !has_default && n + 5 <= sizeof buf) {
        buf[n++] = 0;
        frame_put32(buf + n, l->router);
        n += 4;
    }
    opt(o, 121, buf, n);
}

size_t
dhcp_answer(const struct dhcp_request *req, const struct dhcp_lease *l,
            uint8_t *out, uint8_t *typep)
{
    if (memcmp(req->chaddr, l->mac, 6)) {
        return 0; /* Never another MAC's lease. */
    }
    uint8_t type;
    switch (req->type) {
    case DHCP_DISCOVER:
        type = DHCP_OFFER;
        break;
    case DHCP_REQUEST:
        if (req->server_id && req->server_id != l->server_ip) {
            return 0; /* The client chose another server. */
        }
        type = (req->requested_ip ? req->requested_ip : req->ciaddr) == l->ip
                   ? DHCP_ACK
                   : DHCP_NAK;
        break;
    case DHCP_INFORM:
        type = DHCP_ACK;
        break;
    default:
        return 0;
    }
    bool inform = req->type == DHCP_INFORM;

    uint8_t msg[DHCP_MAX_FRAME - FRAME_UDP4_HEADERS];
    memset(msg, 0, sizeof msg);
    msg[0] = 2; /* BOOTREPLY */
    msg[1] = 1;
    msg[2] = 6;
    frame_put32(msg + 4, req->xid);
    frame_put16(msg + 10, req->flags);
    frame_put32(msg + 12, req->ciaddr);
    if (type != DHCP_NAK && !inform) {
        frame_put32(msg + 16, l->ip); /* yiaddr */
    }
    memcpy(msg + 28, req->chaddr, 6);
    frame_put32(msg + BOOTP_FIXED, DHCP_MAGIC);

    struct opts o = {msg + BOOTP_FIXED + 4, msg + sizeof msg - 1};
    opt(&o, 53, &type, 1);
    opt32(&o, 54, l->server_ip);
    if (type != DHCP_NAK) {
        if (!inform) {
            opt32(&o, 51, l->lease_time);
            opt32(&o, 58, l->lease_time / 2);
            opt32(&o, 59, (uint32_t)((uint64_t)l->lease_time * 7 / 8));
        }
        opt32(&o, 1, mask_of(l->prefix));
        opt32(&o, 28, (l->ip & mask_of(l->prefix)) | ~mask_of(l->prefix));
        if (l->router) {
            opt32(&o, 3, l->router);
        }
        if (l->n_dns) {
            uint8_t dns[4 * DHCP_MAX_DNS];
            size_t n = l->n_dns < DHCP_MAX_DNS ? l->n_dns : DHCP_MAX_DNS;
            for (size_t i = 0; i < n; i++) {
                frame_put32(dns + 4 * i, l->dns[i]);
            }
            opt(&o, 6, dns, 4 * n);
        }
        size_t hn = strnlen(l->hostname, sizeof l->hostname);
        if (hn) {
            opt(&o, 12, l->hostname, hn);
        }
        size_t dn = strnlen(l->domain, sizeof l->domain);
        if (dn) {
            opt(&o, 15, l->domain, dn);
        }
        if (l->mtu >= 68 && l->mtu <= 65535) {
            uint8_t mtu[2];
            frame_put16(mtu, (uint16_t)l->mtu);
            opt(&o, 26, mtu, 2);
        }
        opt_routes(&o, l);
    }
    *o.p++ = OPT_END;
    size_t msg_len = (size_t)(o.p - msg);
    if (msg_len < BOOTP_MIN) {
        msg_len = BOOTP_MIN;
    }

    struct frame_udp4 u = {
        .src_ip = l->server_ip,
        .src_port = 67,
        .dst_port = 68,
        .payload = msg,
        .payload_len = msg_len,
    };
    memcpy(u.src_mac, l->server_mac, 6);
    memcpy(u.dst_mac, req->chaddr, 6);
    if (type == DHCP_NAK) {
        u.dst_ip = 0xffffffffu;
        memset(u.dst_mac, 0xff, 6);
    } else if (req->ciaddr) {
        u.dst_ip = req->ciaddr;
    } else if (req->flags & 0x8000) {
        u.dst_ip = 0xffffffffu;
        memset(u.dst_mac, 0xff, 6);
    } else {
        u.dst_ip = l->ip;
    }
    if (typep) {
        *typep = type;
    }
    return frame_udp4_write(&u, out, DHCP_MAX_FRAME);
}
