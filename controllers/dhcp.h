/* dhcp: fabric's DHCP server, as pure functions: a client's request in,
 * the server's answer out.
 *
 * fabricd answers DHCP on the controller connection (agent-ofc.h): the
 * pipeline hands every DHCP request of a guest interface on a network
 * with `dhcp: true` to fabricd as a packet-in, and fabricd answers with a
 * packet-out on the same port.  The lease is the interface's declared
 * configuration (lab-services.h): its first address in its network, its
 * gateway, the DNS server, the MTU (option 26) and its routes (option
 * 121).  Nothing is ever leased that the topology did not declare.
 *
 * Rules of this module:
 * - Pure: bytes in, bytes out; no I/O, no clock.
 * - Parsing never trusts a length (frame.h); an unreadable request is
 *   ignored, never answered (tests/fuzz/fuzz-dhcp.c).
 * - An answer goes only to the lease's MAC: a request whose client
 *   hardware address (chaddr) is another MAC gets none.
 * - DISCOVER gets OFFER of the lease's address.  REQUEST gets ACK when it
 *   asks for the lease's address (option 50, or ciaddr when renewing) and
 *   NAK when it asks for any other; a REQUEST that names another server
 *   (option 54) is not for fabric and gets nothing.  INFORM gets ACK with
 *   the options only.  DECLINE and RELEASE get nothing: the address is
 *   the interface's whatever the client says.
 * - Replies go to ciaddr when the client has one, else to the broadcast
 *   address when the client set the broadcast flag, else to the offered
 *   address; always to the client's MAC (the packet-out reaches only the
 *   client's port).  NAK is always broadcast (RFC 2131 4.3.2).
 */
#ifndef CONTROLLERS_DHCP_H
#define CONTROLLERS_DHCP_H 1

#include <stddef.h>
#include <stdint.h>

#define DHCP_DISCOVER 1
#define DHCP_OFFER 2
#define DHCP_REQUEST 3
#define DHCP_DECLINE 4
#define DHCP_ACK 5
#define DHCP_NAK 6
#define DHCP_RELEASE 7
#define DHCP_INFORM 8

#define DHCP_MAX_ROUTES 16
#define DHCP_MAX_DNS 3
/* The longest answer: headers, the fixed BOOTP part, the options. */
#define DHCP_MAX_FRAME 1024

struct dhcp_request {
    uint8_t type; /* DHCP_DISCOVER, ... (option 53). */
    uint32_t xid;
    uint16_t flags;
    uint32_t ciaddr;
    uint8_t chaddr[6];
    uint32_t requested_ip; /* Option 50, or 0. */
    uint32_t server_id;    /* Option 54, or 0. */
    uint8_t src_mac[6];    /* Of the frame. */
};

struct dhcp_route {
    uint32_t dst;
    int prefix; /* 0..32; 0 with dst 0 is the default route. */
    uint32_t via;
};

/* What an interface gets. */
struct dhcp_lease {
    uint8_t mac[6];
    uint32_t ip;
    int prefix;
    uint32_t router; /* Option 3, or 0. */
    uint32_t dns[DHCP_MAX_DNS];
    size_t n_dns;
    int mtu;                                   /* Option 26, or 0. */
    uint32_t lease_time;                       /* Seconds. */
    struct dhcp_route routes[DHCP_MAX_ROUTES]; /* Option 121. */
    size_t n_routes;
    char hostname[64];  /* Option 12, or "". */
    char domain[64];    /* Option 15, or "". */
    uint32_t server_ip; /* Option 54 and the replies' source. */
    uint8_t server_mac[6];
};

/* Reads a client's DHCP message from the Ethernet frame 'frame' ('len'
 * bytes): UDP from port 68 to port 67, BOOTREQUEST, Ethernet hardware
 * addresses, the magic cookie, and option 53.  Returns 0 or -1. */
int dhcp_parse_request(const uint8_t *frame, size_t len,
                       struct dhcp_request *req);

/* Writes into 'out' (DHCP_MAX_FRAME bytes) the frame that answers 'req'
 * with 'lease', following the rules above.  Returns its length, or 0
 * when 'req' gets no answer.  '*type' (if not NULL) gets the answer's
 * message type. */
size_t dhcp_answer(const struct dhcp_request *req,
                   const struct dhcp_lease *lease, uint8_t *out,
                   uint8_t *type);

#endif /* dhcp.h */
