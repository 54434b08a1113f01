/* topology-util: addresses, names, hashes and a small hash index for the
 * topology loader (see topology-private.h). */
#include "topology-private.h"
#include "xstring.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *
topo_xrealloc(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        abort();
    }
    p = realloc(p, n && size ? n * size : 1);
    if (!p) {
        abort();
    }
    return p;
}

void *
topo_grow(void *array, size_t n, size_t size)
{
    return n & (n - 1) ? array : topo_xrealloc(array, n ? n * 2 : 1, size);
}

char *
topo_xstrdup(const char *s)
{
    char *copy = strdup(s);
    if (!copy) {
        abort();
    }
    return copy;
}

/* Parses a decimal number without sign or leading zeros, at most 'max',
 * from '*sp', advancing it. */
static bool
parse_decimal(const char **sp, unsigned max, unsigned *valuep)
{
    const char *s = *sp;
    unsigned value = 0;

    if (!isdigit((unsigned char)*s) ||
        (s[0] == '0' && isdigit((unsigned char)s[1]))) {
        return false;
    }
    for (; isdigit((unsigned char)*s); s++) {
        value = value * 10 + (unsigned)(*s - '0');
        if (value > max) {
            return false;
        }
    }
    *sp = s;
    *valuep = value;
    return true;
}

static bool
parse_ipv4_prefix(const char **sp, uint32_t *ipp)
{
    uint32_t ip = 0;

    for (int i = 0; i < 4; i++) {
        unsigned byte;
        if ((i && *(*sp)++ != '.') || !parse_decimal(sp, 255, &byte)) {
            return false;
        }
        ip = (ip << 8) | byte;
    }
    *ipp = ip;
    return true;
}

bool
topo_parse_ipv4(const char *s, uint32_t *ipp)
{
    return parse_ipv4_prefix(&s, ipp) && *s == '\0';
}

bool
topo_parse_ipv4_prefix(const char *s, uint32_t *ipp, int *plenp)
{
    unsigned plen;

    if (!parse_ipv4_prefix(&s, ipp)) {
        return false;
    }
    if (*s == '\0') {
        *plenp = -1;
        return true;
    }
    if (*s++ != '/' || !parse_decimal(&s, 32, &plen) || *s != '\0') {
        return false;
    }
    *plenp = (int)plen;
    return true;
}

static int
hex_digit(char c)
{
    return (c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1);
}

bool
topo_parse_mac(const char *s, uint64_t *macp)
{
    uint64_t mac = 0;

    for (int i = 0; i < 6; i++) {
        if (i && *s++ != ':') {
            return false;
        }
        int hi = hex_digit(s[0]);
        int lo = hi < 0 ? -1 : hex_digit(s[1]);
        if (lo < 0) {
            return false;
        }
        mac = (mac << 8) | (uint64_t)(hi * 16 + lo);
        s += 2;
    }
    if (*s) {
        return false;
    }
    *macp = mac;
    return true;
}

uint32_t
topo_mask(int plen)
{
    return plen <= 0 ? 0 : UINT32_MAX << (32 - plen);
}

char *
topo_format_ipv4(uint32_t ip)
{
    return xasprintf("%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
                     (ip >> 8) & 0xff, ip & 0xff);
}

char *
topo_format_prefix(uint32_t ip, int plen)
{
    return xasprintf("%u.%u.%u.%u/%d", ip >> 24, (ip >> 16) & 0xff,
                     (ip >> 8) & 0xff, ip & 0xff, plen);
}

char *
topo_format_mac(uint64_t mac)
{
    return xasprintf(
        "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned)(mac >> 40) & 0xff,
        (unsigned)(mac >> 32) & 0xff, (unsigned)(mac >> 24) & 0xff,
        (unsigned)(mac >> 16) & 0xff, (unsigned)(mac >> 8) & 0xff,
        (unsigned)mac & 0xff);
}

static uint32_t
fnv1a32(uint32_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

uint32_t
topo_hash32(const char *a, const char *b)
{
    uint32_t h = fnv1a32(2166136261u, a);
    if (b) {
        h = fnv1a32(h, "/");
        h = fnv1a32(h, b);
    }
    return h;
}

bool
topo_valid_name(const char *s, size_t max_len)
{
    size_t len = strlen(s);

    if (!len || len > max_len || !isalnum((unsigned char)s[0])) {
        return false;
    }
    for (; *s; s++) {
        unsigned char c = *s;
        if (c >= 0x80 || (!isalnum(c) && c != '-' && c != '_' && c != '.')) {
            return false;
        }
    }
    return true;
}

bool
topo_valid_iface_id(const char *s)
{
    size_t len = strlen(s);
    if (!len || len > TOPO_IFACE_ID_MAX) {
        return false;
    }
    for (; *s; s++) {
        if (*s <= ' ' || *s > '~') {
            return false;
        }
    }
    return true;
}

/* The hash index. */

static uint64_t
hash_str(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t
mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

void
topo_index_destroy(struct topo_index *idx)
{
    free(idx->slots);
    memset(idx, 0, sizeof *idx);
}

static const struct topo_index_slot *
index_find(const struct topo_index *idx, uint64_t hash, const char *key)
{
    if (!idx->allocated) {
        return NULL;
    }
    size_t mask = idx->allocated - 1;
    for (size_t i = mix64(hash) & mask;; i = (i + 1) & mask) {
        const struct topo_index_slot *slot = &idx->slots[i];
        if (!slot->used) {
            return NULL;
        }
        if (slot->hash == hash &&
            (key ? slot->key && !strcmp(slot->key, key) : !slot->key)) {
            return slot;
        }
    }
}

static void
index_insert(struct topo_index *idx, uint64_t hash, const char *key,
             size_t value)
{
    size_t mask = idx->allocated - 1;
    size_t i = mix64(hash) & mask;
    while (idx->slots[i].used) {
        i = (i + 1) & mask;
    }
    idx->slots[i] = (struct topo_index_slot){
        .hash = hash,
        .key = key,
        .value = value,
        .used = true,
    };
}

static void
index_add(struct topo_index *idx, uint64_t hash, const char *key, size_t value)
{
    if ((idx->n + 1) * 2 > idx->allocated) {
        struct topo_index old = *idx;
        idx->allocated = old.allocated ? old.allocated * 2 : 16;
        idx->slots = calloc(idx->allocated, sizeof *idx->slots);
        if (!idx->slots) {
            abort();
        }
        for (size_t i = 0; i < old.allocated; i++) {
            if (old.slots[i].used) {
                index_insert(idx, old.slots[i].hash, old.slots[i].key,
                             old.slots[i].value);
            }
        }
        free(old.slots);
    }
    index_insert(idx, hash, key, value);
    idx->n++;
}

bool
topo_index_find_str(const struct topo_index *idx, const char *key,
                    size_t *valuep)
{
    const struct topo_index_slot *slot = index_find(idx, hash_str(key), key);
    if (slot && valuep) {
        *valuep = slot->value;
    }
    return slot != NULL;
}

void
topo_index_add_str(struct topo_index *idx, const char *key, size_t value)
{
    index_add(idx, hash_str(key), key, value);
}

bool
topo_index_find_u64(const struct topo_index *idx, uint64_t key, size_t *valuep)
{
    const struct topo_index_slot *slot = index_find(idx, key, NULL);
    if (slot && valuep) {
        *valuep = slot->value;
    }
    return slot != NULL;
}

void
topo_index_add_u64(struct topo_index *idx, uint64_t key, size_t value)
{
    index_add(idx, key, NULL, value);
}
