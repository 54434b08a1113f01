/* agent-services: see agent-services.h. */
#include "agent-services.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "dhcp.h"
#include "dns.h"
#include "frame.h"
#include "lab-services.h"
#include "log.h"

struct pending {
    struct agent_services *svc;
    int fd;
    struct event *ev;
    uint32_t port;
    struct frame_udp4 reply; /* Addresses of the answer; no payload. */
    uint16_t id;
};

struct agent_services {
    struct event_base *base;
    agent_services_send_fn *send;
    void *aux;
    struct sockaddr_in upstream;
    bool has_upstream;
    struct lab_services *lab;
    struct pending *pending[AGENT_SERVICES_MAX_PENDING];
    long long dhcp_answers, dhcp_naks, dns_answers, dns_proxied, dns_refused,
        ignored;
};

static int
parse_upstream(const char *s, struct sockaddr_in *sin)
{
    char host[64];
    int port = 53;
    if (strlen(s) >= sizeof host) {
        return -1;
    }
    strcpy(host, s);
    char *colon = strchr(host, ':');
    if (colon) {
        *colon = '\0';
        port = atoi(colon + 1);
    }
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    return port > 0 && port < 65536 &&
                   inet_pton(AF_INET, host, &sin->sin_addr) == 1
               ? 0
               : -1;
}

/* The first IPv4 nameserver of /etc/resolv.conf. */
static int
resolv_conf_upstream(struct sockaddr_in *sin)
{
    FILE *f = fopen("/etc/resolv.conf", "r");
    char line[256], addr[64];
    int r = -1;
    while (f && r && fgets(line, sizeof line, f)) {
        if (sscanf(line, " nameserver %63s", addr) == 1) {
            r = parse_upstream(addr, sin);
        }
    }
    if (f) {
        fclose(f);
    }
    return r;
}

struct agent_services *
agent_services_create(struct event_base *base, const char *upstream,
                      agent_services_send_fn *send, void *aux)
{
    struct agent_services *s = calloc(1, sizeof *s);
    s->base = base;
    s->send = send;
    s->aux = aux;
    if (upstream) {
        if (parse_upstream(upstream, &s->upstream)) {
            log_warn("--dns-upstream=%s: not IPv4[:PORT]; names outside "
                     "the lab will not resolve",
                     upstream);
        } else {
            s->has_upstream = true;
        }
    } else {
        s->has_upstream = !resolv_conf_upstream(&s->upstream);
    }
    return s;
}

static void
pending_free(struct pending *p)
{
    for (size_t i = 0; i < AGENT_SERVICES_MAX_PENDING; i++) {
        if (p->svc->pending[i] == p) {
            p->svc->pending[i] = NULL;
        }
    }
    event_free(p->ev);
    close(p->fd);
    free(p);
}

void
agent_services_destroy(struct agent_services *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < AGENT_SERVICES_MAX_PENDING; i++) {
        if (s->pending[i]) {
            pending_free(s->pending[i]);
        }
    }
    lab_services_destroy(s->lab);
    free(s);
}

void
agent_services_set_model(struct agent_services *s,
                         const struct fabric_model *m, const char *host)
{
    lab_services_destroy(s->lab);
    s->lab = m ? lab_services_build(m, host) : NULL;
}

static void
send_udp(struct agent_services *s, uint32_t port, const struct frame_udp4 *u)
{
    uint8_t out[FRAME_UDP4_HEADERS + DNS_MAX_MESSAGE];
    size_t n = frame_udp4_write(u, out, sizeof out);
    if (n) {
        s->send(s->aux, port, out, n);
    }
}

/* The addresses of an answer to 'q': from where it was sent to. */
static void
reply_to(const struct frame_udp4 *q, struct frame_udp4 *r)
{
    memset(r, 0, sizeof *r);
    memcpy(r->dst_mac, q->src_mac, 6);
    memcpy(r->src_mac, q->dst_mac, 6);
    r->src_ip = q->dst_ip;
    r->dst_ip = q->src_ip;
    r->src_port = q->dst_port;
    r->dst_port = q->src_port;
}

static void
upstream_cb(evutil_socket_t fd, short what, void *p_)
{
    struct pending *p = p_;
    uint8_t msg[DNS_MAX_MESSAGE];
    if (what & EV_READ) {
        ssize_t n = recv(fd, msg, sizeof msg, 0);
        if (n >= 12 && frame_get16(msg) == p->id) {
            p->reply.payload = msg;
            p->reply.payload_len = (size_t)n;
            send_udp(p->svc, p->port, &p->reply);
        } else if (n < 0 && errno == EAGAIN) {
            return; /* Keep waiting (the timeout still runs). */
        }
    }
    pending_free(p);
}

static void
answer_dns(struct agent_services *s, uint32_t port, const struct frame_udp4 *u,
           const struct dns_query *q, int rcode, const uint32_t *addrs,
           size_t n)
{
    uint8_t msg[DNS_MAX_MESSAGE];
    struct frame_udp4 r;
    reply_to(u, &r);
    r.payload = msg;
    r.payload_len =
        dns_answer(q, u->payload, rcode, addrs, n, LAB_SERVICES_DNS_TTL, msg);
    send_udp(s, port, &r);
}

/* Sends the query of 'u' upstream; its answer goes to 'port' later. */
static void
proxy_dns(struct agent_services *s, uint32_t port, const struct frame_udp4 *u,
          const struct dns_query *q)
{
    size_t slot = AGENT_SERVICES_MAX_PENDING;
    for (size_t i = 0; i < AGENT_SERVICES_MAX_PENDING; i++) {
        if (!s->pending[i]) {
            slot = i;
            break;
        }
    }
    int fd = -1;
    if (slot < AGENT_SERVICES_MAX_PENDING) {
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (fd < 0 ||
        connect(fd, (struct sockaddr *)&s->upstream, sizeof s->upstream) ||
        send(fd, u->payload, u->payload_len, 0) < 0) {
        if (fd >= 0) {
            close(fd);
        }
        answer_dns(s, port, u, q, DNS_RCODE_SERVFAIL, NULL, 0);
        return;
    }
    struct pending *p = calloc(1, sizeof *p);
    p->svc = s;
    p->fd = fd;
    p->port = port;
    p->id = q->id;
    reply_to(u, &p->reply);
    p->ev = event_new(s->base, fd, EV_READ | EV_PERSIST, upstream_cb, p);
    event_add(p->ev,
              &(struct timeval){AGENT_SERVICES_UPSTREAM_MS / 1000,
                                AGENT_SERVICES_UPSTREAM_MS % 1000 * 1000});
    s->pending[slot] = p;
    s->dns_proxied++;
}

static int
handle_dns(struct agent_services *s, const struct lab_service_iface *si,
           uint32_t port, const struct frame_udp4 *u)
{
    struct dns_query q;
    if (dns_parse_query(u->payload, u->payload_len, &q)) {
        return -1;
    }
    uint32_t addrs[DNS_MAX_ANSWERS];
    size_t n;
    switch (lab_services_resolve(s->lab, q.name, si->network, addrs,
                                 DNS_MAX_ANSWERS, &n)) {
    case LAB_DNS_FOUND:
        answer_dns(s, port, u, &q, DNS_RCODE_NOERROR, addrs, n);
        s->dns_answers++;
        return 0;
    case LAB_DNS_NXDOMAIN:
        answer_dns(s, port, u, &q, DNS_RCODE_NXDOMAIN, NULL, 0);
        s->dns_answers++;
        return 0;
    case LAB_DNS_OUTSIDE:
        break;
    }
    if (si->outside && s->has_upstream) {
        proxy_dns(s, port, u, &q);
    } else {
        answer_dns(s, port, u, &q, DNS_RCODE_REFUSED, NULL, 0);
        s->dns_refused++;
    }
    return 0;
}

static int
handle_dhcp(struct agent_services *s, const struct lab_service_iface *si,
            uint32_t port, const uint8_t *frame, size_t len)
{
    struct dhcp_request req;
    uint8_t out[DHCP_MAX_FRAME], type;
    size_t n;
    if (!si->leased || dhcp_parse_request(frame, len, &req) ||
        !(n = dhcp_answer(&req, &si->lease, out, &type))) {
        return -1;
    }
    s->send(s->aux, port, out, n);
    if (type == DHCP_NAK) {
        s->dhcp_naks++;
    } else {
        s->dhcp_answers++;
    }
    return 0;
}

int
agent_services_packet_in(struct agent_services *s, uint64_t cookie,
                         uint32_t in_port, const uint8_t *frame, size_t len)
{
    struct frame_udp4 u;
    const struct lab_service_iface *si;
    int r = -1;
    if (!frame_udp4_parse(frame, len, &u) &&
        (si = lab_services_find(s->lab, cookie, u.src_mac))) {
        if (u.dst_port == 67 && u.src_port == 68) {
            r = handle_dhcp(s, si, in_port, frame, len);
        } else if (u.dst_port == 53) {
            r = handle_dns(s, si, in_port, &u);
        }
    }
    if (r) {
        s->ignored++;
    }
    return r;
}

json_t *
agent_services_status_json(const struct agent_services *s)
{
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "interfaces",
        (json_int_t)(s->lab ? s->lab->n_ifaces : 0), "dhcp_answers",
        (json_int_t)s->dhcp_answers, "dhcp_naks", (json_int_t)s->dhcp_naks,
        "dns_answers", (json_int_t)s->dns_answers, "dns_proxied",
        (json_int_t)s->dns_proxied, "dns_refused", (json_int_t)s->dns_refused,
        "ignored", (json_int_t)s->ignored);
}
