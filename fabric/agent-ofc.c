/* agent-ofc: see agent-ofc.h. */
#include "agent-ofc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "agent-services.h"
#include "frame.h"
#include "icmp-error.h"
#include "log.h"
#include "model.h"
#include "openflow.h"

#define OFC_RETRY_MS 1000

struct router_port {
    uint8_t mac[6];
    uint32_t ip; /* Host byte order. */
};

struct agent_ofc {
    struct event_base *base;
    char *path;
    struct bufferevent *bev;
    struct event *retry;
    bool connected;
    bool failing; /* The last attempt failed (logged once). */
    uint32_t xid;
    struct router_port *ports;
    size_t n_ports;
    struct agent_services *services;
    long long packet_ins, answered, ignored;
};

static void ofc_connect(struct agent_ofc *);

static void
retry_cb(evutil_socket_t fd, short what, void *ofc)
{
    ofc_connect(ofc);
}

static void
schedule_retry(struct agent_ofc *o)
{
    if (o->bev) {
        bufferevent_free(o->bev);
        o->bev = NULL;
    }
    o->connected = false;
    event_add(o->retry, &(struct timeval){OFC_RETRY_MS / 1000,
                                          OFC_RETRY_MS % 1000 * 1000});
}

/* Sends and frees 'msg' of '*lenp' bytes.  (A pointer, so that a call
 * such as send_msg(o, ofp_hello(xid, &len), &len) reads the length only
 * after the encoder has written it.) */
static void
send_msg(struct agent_ofc *o, uint8_t *msg, const size_t *lenp)
{
    if (o->bev && msg) {
        bufferevent_write(o->bev, msg, *lenp);
    }
    free(msg);
}

static const struct router_port *
find_port(const struct agent_ofc *o, const uint8_t *mac)
{
    for (size_t i = 0; i < o->n_ports; i++) {
        if (!memcmp(o->ports[i].mac, mac, 6)) {
            return &o->ports[i];
        }
    }
    return NULL;
}

static void
send_frame(void *o_, uint32_t port, const uint8_t *frame, size_t len)
{
    struct agent_ofc *o = o_;
    size_t msg_len;
    send_msg(o, ofp_packet_out(++o->xid, port, frame, len, &msg_len),
             &msg_len);
}

static void
handle_packet_in(struct agent_ofc *o, const uint8_t *msg, size_t len)
{
    struct ofp_packet_in_view pin;
    o->packet_ins++;
    if (ofp_packet_in_parse(msg, len, &pin) || pin.data_len < 14 ||
        !pin.in_port) {
        o->ignored++;
        return;
    }
    if (pin.reason == OFPR13_ACTION) {
        if (agent_services_packet_in(o->services, pin.cookie, pin.in_port,
                                     pin.data, pin.data_len)) {
            o->ignored++;
        } else {
            o->answered++;
        }
        return;
    }
    if (pin.reason != OFPR13_INVALID_TTL) {
        o->ignored++;
        return;
    }
    const struct router_port *p = find_port(o, pin.data);
    uint8_t out[ICMP_ERROR_MAX_LEN];
    size_t n =
        p ? icmp_time_exceeded(pin.data, pin.data_len, p->mac, p->ip, out) : 0;
    if (!n) {
        o->ignored++;
        return;
    }
    send_frame(o, pin.in_port, out, n);
    o->answered++;
}

static void
read_cb(struct bufferevent *bev, void *o_)
{
    struct agent_ofc *o = o_;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        uint8_t head[OFP_HEADER_LEN];
        if (evbuffer_copyout(in, head, sizeof head) <
            (ev_ssize_t)sizeof head) {
            return;
        }
        struct ofp_header_view h;
        if (ofp_header_parse(head, sizeof head, &h)) {
            log_warn("%s: malformed OpenFlow message; reconnecting", o->path);
            schedule_retry(o);
            return;
        }
        if (evbuffer_get_length(in) < h.length) {
            return;
        }
        uint8_t *msg = malloc(h.length);
        evbuffer_remove(in, msg, h.length);
        if (h.type == OFPT13_ECHO_REQUEST) {
            size_t len;
            send_msg(o, ofp_echo_reply(msg, h.length, &len), &len);
        } else if (h.type == OFPT13_PACKET_IN) {
            handle_packet_in(o, msg, h.length);
        } else if (h.type == OFPT13_ERROR) {
            log_warn("%s: the switch reported an OpenFlow error", o->path);
        }
        free(msg);
    }
}

static void
event_cb(struct bufferevent *bev, short what, void *o_)
{
    struct agent_ofc *o = o_;
    if (what & BEV_EVENT_CONNECTED) {
        o->connected = true;
        if (o->failing) {
            log_info("%s: OpenFlow connection up", o->path);
        }
        o->failing = false;
        size_t len;
        send_msg(o, ofp_hello(++o->xid, &len), &len);
        send_msg(o, ofp_set_config(++o->xid, 0xffff, &len), &len);
        send_msg(o,
                 ofp_set_async(++o->xid,
                               1u << OFPR13_INVALID_TTL | 1u << OFPR13_ACTION,
                               &len),
                 &len);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (o->connected) {
            log_info("%s: OpenFlow connection closed; reconnecting", o->path);
        } else if (!o->failing) {
            log_debug("%s: cannot connect yet (the bridge is not there?)",
                      o->path);
        }
        o->failing = !o->connected;
        schedule_retry(o);
    }
}

static void
ofc_connect(struct agent_ofc *o)
{
    struct sockaddr_un sun;
    memset(&sun, 0, sizeof sun);
    sun.sun_family = AF_UNIX;
    if (strlen(o->path) >= sizeof sun.sun_path) {
        log_err("%s: socket path too long", o->path);
        return;
    }
    strcpy(sun.sun_path, o->path);
    o->bev = bufferevent_socket_new(o->base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(o->bev, read_cb, NULL, event_cb, o);
    bufferevent_enable(o->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(o->bev, (struct sockaddr *)&sun,
                                   sizeof sun) < 0) {
        o->failing = true;
        schedule_retry(o);
    }
}

struct agent_ofc *
agent_ofc_create(struct event_base *base, const char *target,
                 const char *dns_upstream)
{
    struct agent_ofc *o = calloc(1, sizeof *o);
    o->base = base;
    o->services = agent_services_create(base, dns_upstream, send_frame, o);
    o->path = strdup(!strncmp(target, "unix:", 5) ? target + 5 : target);
    o->retry = event_new(base, -1, 0, retry_cb, o);
    ofc_connect(o);
    return o;
}

void
agent_ofc_destroy(struct agent_ofc *o)
{
    if (o) {
        if (o->bev) {
            bufferevent_free(o->bev);
        }
        event_free(o->retry);
        agent_services_destroy(o->services);
        free(o->ports);
        free(o->path);
        free(o);
    }
}

void
agent_ofc_set_model(struct agent_ofc *o, const struct fabric_model *m,
                    const char *host)
{
    agent_services_set_model(o->services, m, host);
    free(o->ports);
    o->ports = NULL;
    o->n_ports = 0;
    for (size_t i = 0; m && i < m->n_routers; i++) {
        const struct fabric_router *r = &m->routers[i];
        if (r->kind != FABRIC_ROUTER_FLOWS) {
            continue;
        }
        for (size_t j = 0; j < r->n_ports; j++) {
            char ip[64];
            snprintf(ip, sizeof ip, "%s", r->ports[j].ip);
            ip[strcspn(ip, "/")] = '\0';
            struct in_addr a;
            struct router_port p;
            if (frame_parse_mac(r->ports[j].mac, p.mac) ||
                inet_pton(AF_INET, ip, &a) != 1) {
                continue;
            }
            p.ip = ntohl(a.s_addr);
            o->ports = realloc(o->ports, (o->n_ports + 1) * sizeof *o->ports);
            o->ports[o->n_ports++] = p;
        }
    }
}

json_t *
agent_ofc_status_json(const struct agent_ofc *o)
{
    return json_pack(
        "{s:s, s:b, s:I, s:I, s:I, s:I, s:o}", "target", o->path, "connected",
        o->connected, "router_ports", (json_int_t)o->n_ports, "packet_ins",
        (json_int_t)o->packet_ins, "answered", (json_int_t)o->answered,
        "ignored", (json_int_t)o->ignored, "services",
        agent_services_status_json(o->services));
}
