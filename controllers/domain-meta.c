/* domain-meta: see domain-meta.h for the rules.
 *
 * A small scanner over a null-terminated string: 'p' only moves forward
 * over bytes already seen to be non-null, so it never reads past the end.
 * Decoded values are collected in a growing buffer; they are never longer
 * than their source text. */
#include "domain-meta.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain-xml.h"

void
domain_meta_clear(struct domain_meta *meta)
{
    if (meta) {
        free(meta->lab);
        free(meta->guest);
        free(meta->host);
        free(meta->spec);
        meta->lab = meta->guest = meta->host = meta->spec = NULL;
    }
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *
skip_space(const char *p)
{
    while (is_space(*p)) {
        p++;
    }
    return p;
}

/* XML name characters, simplified: ASCII letters, digits, "-._:" and any
 * byte of a multi-byte UTF-8 sequence. */
static bool
is_name_char(char c)
{
    unsigned char u = c;
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
           (u >= '0' && u <= '9') || u == '-' || u == '.' || u == '_' ||
           u == ':' || u >= 0x80;
}

/* Scans a name at 'p'; returns its end, or NULL when there is none. */
static const char *
scan_name(const char *p)
{
    const char *start = p;
    while (is_name_char(*p)) {
        p++;
    }
    return p > start ? p : NULL;
}

static bool
is_xml_char(uint32_t c)
{
    return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
           (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/* Appends the UTF-8 encoding of 'c' to 'out'; returns the new end. */
static char *
put_utf8(char *out, uint32_t c)
{
    if (c < 0x80) {
        *out++ = c;
    } else if (c < 0x800) {
        *out++ = 0xc0 | (c >> 6);
        *out++ = 0x80 | (c & 0x3f);
    } else if (c < 0x10000) {
        *out++ = 0xe0 | (c >> 12);
        *out++ = 0x80 | ((c >> 6) & 0x3f);
        *out++ = 0x80 | (c & 0x3f);
    } else {
        *out++ = 0xf0 | (c >> 18);
        *out++ = 0x80 | ((c >> 12) & 0x3f);
        *out++ = 0x80 | ((c >> 6) & 0x3f);
        *out++ = 0x80 | (c & 0x3f);
    }
    return out;
}

/* Decodes the character reference whose text follows "&#" at 'p' up to
 * and including ';'.  Stores the character in '*c' and returns the byte
 * after ';', or NULL when it is malformed or not an XML character. */
static const char *
scan_char_ref(const char *p, uint32_t *c)
{
    bool hex = *p == 'x';
    int base = hex ? 16 : 10;
    uint32_t value = 0;
    int digits = 0;

    if (hex) {
        p++;
    }
    for (;; p++) {
        int d;
        if (*p >= '0' && *p <= '9') {
            d = *p - '0';
        } else if (hex && *p >= 'a' && *p <= 'f') {
            d = *p - 'a' + 10;
        } else if (hex && *p >= 'A' && *p <= 'F') {
            d = *p - 'A' + 10;
        } else {
            break;
        }
        value = value * base + d;
        if (value > 0x10ffff) {
            return NULL;
        }
        digits++;
    }
    if (!digits || *p != ';' || !is_xml_char(value)) {
        return NULL;
    }
    *c = value;
    return p + 1;
}

static const struct {
    const char *name; /* Without '&' and ';'. */
    char c;
} entities[] = {
    {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"apos", '\''}, {"quot", '"'},
};

/* Decodes the entity or character reference starting at '&' at 'p' into
 * 'out' (advanced).  Returns the byte after it, or NULL. */
static const char *
scan_reference(const char *p, char **out)
{
    p++;
    if (*p == '#') {
        uint32_t c;
        p = scan_char_ref(p + 1, &c);
        if (p) {
            *out = put_utf8(*out, c);
        }
        return p;
    }
    for (size_t i = 0; i < sizeof entities / sizeof *entities; i++) {
        size_t n = strlen(entities[i].name);
        /* strncmp() stops at the input's null byte. */
        if (!strncmp(p, entities[i].name, n) && p[n] == ';') {
            *(*out)++ = entities[i].c;
            return p + n + 1;
        }
    }
    return NULL;
}

/* Scans a quoted attribute value at 'p' and stores its decoded text as a
 * new string in '*valuep'.  Returns the byte after the closing quote, or
 * NULL. */
static const char *
scan_value(const char *p, char **valuep)
{
    char quote = *p;
    if (quote != '\'' && quote != '"') {
        return NULL;
    }
    p++;

    const char *end = strchr(p, quote);
    if (!end) {
        return NULL;
    }
    /* A value never decodes into more bytes than its text: every
     * reference is longer than what it stands for ("&lt;" is one byte,
     * "&#128;" two, "&#2048;" three, "&#65536;" four). */
    char *value = malloc(end - p + 1);
    if (!value) {
        return NULL;
    }
    char *out = value;
    while (p < end) {
        unsigned char c = *p;
        if (c == '&') {
            p = scan_reference(p, &out);
            if (!p || p > end) {
                free(value);
                return NULL;
            }
        } else if (c == '<' || (c < 0x20 && !is_space(c))) {
            free(value);
            return NULL;
        } else if (c == '\r' && p[1] == '\n') {
            *out++ = ' ';
            p += 2;
        } else {
            *out++ = is_space(c) ? ' ' : c;
            p++;
        }
    }
    *out = '\0';
    *valuep = value;
    return end + 1;
}

static bool
name_is(const char *name, size_t len, const char *s)
{
    return strlen(s) == len && !memcmp(name, s, len);
}

/* Returns the field of 'meta' named by the attribute 'name' of 'len'
 * bytes, or NULL for an attribute that is not one of fabric's. */
static char **
field(struct domain_meta *meta, const char *name, size_t len)
{
    return (name_is(name, len, "lab")     ? &meta->lab
            : name_is(name, len, "guest") ? &meta->guest
            : name_is(name, len, "host")  ? &meta->host
            : name_is(name, len, "spec")  ? &meta->spec
                                          : NULL);
}

/* Checks an "xmlns" or "xmlns:PREFIX" attribute named 'name' ('len'
 * bytes) of an element whose prefix is 'prefix' ('prefix_len' bytes, 0
 * for none).  Returns true when it is such an attribute; then '*ok' says
 * whether its 'value' is acceptable. */
static bool
check_xmlns(const char *name, size_t len, const char *prefix,
            size_t prefix_len, const char *value, bool *ok)
{
    if (len < 5 || memcmp(name, "xmlns", 5)) {
        return false;
    }
    if (len == 5) {
        /* A default namespace applies to an unprefixed element only. */
        *ok = prefix_len || !strcmp(value, DOMAIN_XML_NS);
    } else if (name[5] == ':') {
        bool ours =
            len - 6 == prefix_len && !memcmp(name + 6, prefix, prefix_len);
        *ok = !ours || !strcmp(value, DOMAIN_XML_NS);
    } else {
        return false;
    }
    return true;
}

static int
parse(const char *p, struct domain_meta *meta)
{
    p = skip_space(p);
    if (*p++ != '<') {
        return -EINVAL;
    }
    const char *name = p;
    const char *name_end = scan_name(p);
    if (!name_end) {
        return -EINVAL;
    }
    size_t name_len = name_end - name;
    const char *colon = memchr(name, ':', name_len);
    const char *local = colon ? colon + 1 : name;
    size_t prefix_len = colon ? (size_t)(colon - name) : 0;
    if (!name_is(local, name_end - local, "owner") ||
        (colon && (!prefix_len || memchr(local, ':', name_end - local)))) {
        return -EINVAL;
    }
    p = name_end;

    for (;;) {
        const char *after = skip_space(p);
        if (*after == '/' || *after == '>') {
            p = after;
            break;
        }
        if (after == p) {
            return -EINVAL; /* Attributes must be separated by space. */
        }
        p = after;

        const char *attr = p;
        const char *attr_end = scan_name(p);
        if (!attr_end) {
            return -EINVAL;
        }
        size_t attr_len = attr_end - attr;
        p = skip_space(attr_end);
        if (*p++ != '=') {
            return -EINVAL;
        }
        p = skip_space(p);

        char *value;
        p = scan_value(p, &value);
        if (!p) {
            return -EINVAL;
        }
        char **fieldp = field(meta, attr, attr_len);
        bool ok = true;
        if (fieldp) {
            if (*fieldp) {
                free(value);
                return -EINVAL; /* Twice. */
            }
            *fieldp = value;
        } else {
            /* Unknown attributes are ignored; repeats of them are not
             * noticed, which an XML parser would refuse. */
            check_xmlns(attr, attr_len, name, prefix_len, value, &ok);
            free(value);
            if (!ok) {
                return -EINVAL;
            }
        }
    }

    if (*p == '/') {
        if (*++p != '>') {
            return -EINVAL;
        }
        p++;
    } else {
        /* "<owner ...>", white space, "</owner>". */
        p = skip_space(p + 1);
        if (p[0] != '<' || p[1] != '/' || strncmp(p + 2, name, name_len)) {
            return -EINVAL;
        }
        p = skip_space(p + 2 + name_len);
        if (*p++ != '>') {
            return -EINVAL;
        }
    }
    if (*skip_space(p)) {
        return -EINVAL;
    }
    if (!meta->lab || !meta->guest || !meta->host || !meta->spec) {
        return -EINVAL;
    }
    return 0;
}

int
domain_meta_parse(const char *xml, struct domain_meta *metap)
{
    struct domain_meta meta = {NULL, NULL, NULL, NULL};
    int retval = xml ? parse(xml, &meta) : -EINVAL;
    if (retval) {
        domain_meta_clear(&meta);
        return retval;
    }
    *metap = meta;
    return 0;
}
