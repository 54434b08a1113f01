/* fuzz-netns-dump: libFuzzer harness for controllers/netns-dump.h, which
 * reads the kernel's answer to a link dump.
 *
 * The input is netlink messages.  netns_links_from_netlink() either fails
 * with a negative errno and leaves the links as they were, or returns 0
 * or 1 with every link named; a second call adds to the first.  Any
 * broken promise aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netns-dump.h"
#include "netns-private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless every link of 'links' is named and has a MAC that is
 * empty or canonical. */
static void
check_links(const struct netns_links *links)
{
    for (size_t i = 0; i < links->n; i++) {
        const struct netns_link *l = &links->links[i];
        char mac[18];
        if (!l->name || (l->mac[0] && (!netns_canon_mac(l->mac, mac) ||
                                       strcmp(mac, l->mac)))) {
            abort();
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy, aligned as the kernel's buffers are. */
    uint32_t *buf = malloc(size + 4);
    memcpy(buf, data, size);
    struct netns_links links = {NULL, 0};
    int rc = netns_links_from_netlink(&links, buf, size);
    if (rc < 0 ? links.n || links.links : rc > 1) {
        abort();
    }
    check_links(&links);
    size_t n = links.n;
    if (rc >= 0 && netns_links_from_netlink(&links, buf, size) >= 0 &&
        links.n != 2 * n) {
        abort();
    }
    check_links(&links);
    netns_links_destroy(&links);
    free(buf);
    return 0;
}
