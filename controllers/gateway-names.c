/* gateway-names: see gateway-names.h. */
#include "gateway-names.h"

#include <stdint.h>
#include <stdio.h>

static uint32_t
gateway_hash(const char *network)
{
    uint32_t h = 2166136261u;
    for (const char *s = "gateway/"; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    for (const char *s = network; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    return h;
}

void
gateway_port_name(const char *network, char name[16])
{
    snprintf(name, 16, "fg%08x", (unsigned int)gateway_hash(network));
}

void
gateway_mac(const char *network, char mac[18])
{
    uint32_t h = gateway_hash(network);
    snprintf(mac, 18, "02:fb:%02x:%02x:%02x:%02x", (unsigned int)(h >> 24),
             (unsigned int)(h >> 16) & 0xff, (unsigned int)(h >> 8) & 0xff,
             (unsigned int)h & 0xff);
}
