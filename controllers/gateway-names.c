/* gateway-names: see gateway-names.h. */
#include "gateway-names.h"

#include <stdint.h>
#include <stdio.h>

static uint32_t
name_hash(const char *prefix, const char *network)
{
    uint32_t h = 2166136261u;
    for (const char *s = prefix; *s; s++) {
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
    snprintf(name, 16, "fg%08x", (unsigned int)name_hash("gateway/", network));
}

static void
format_mac(uint8_t second, uint32_t h, char mac[18])
{
    snprintf(mac, 18, "02:%02x:%02x:%02x:%02x:%02x", (unsigned int)second,
             (unsigned int)(h >> 24), (unsigned int)(h >> 16) & 0xff,
             (unsigned int)(h >> 8) & 0xff, (unsigned int)h & 0xff);
}

void
gateway_mac(const char *network, char mac[18])
{
    format_mac(0xfb, name_hash("gateway/", network), mac);
}

void
service_mac(const char *network, char mac[18])
{
    format_mac(0xfd, name_hash("service/", network), mac);
}
