/* json-framer: see json-framer.h for the rules of this module.
 *
 * How it works:
 * - json_framer_push() appends the new bytes to one buffer and scans only
 *   those new bytes, carrying the scan state (inside a string, after a
 *   backslash, the stack of open brackets, where the current value began)
 *   from one push to the next.  Each byte is therefore looked at once, and a
 *   huge message that arrives in small pieces costs O(n) in total.
 * - Every value the scan completes is queued as a pair of stream offsets;
 *   json_framer_pop() hands exactly those bytes to json_loadb().
 * - Offsets are positions in the whole stream (byte 0 is the first byte
 *   ever pushed), so error messages can say where in the stream a problem
 *   is, and queued offsets never need adjusting when the buffer moves.
 * - Bytes that are no longer needed (returned messages, whitespace between
 *   values) are dropped from the front of the buffer by a memmove done only
 *   when the dropped part is at least as large as the part kept, so the
 *   copying is amortized O(1) per byte and the buffer stays about the size
 *   of the data still pending.
 * - A framing error found by the scan (a top-level value that is not an
 *   object, a bracket that does not match, nesting too deep, an oversize
 *   message) is kept at its place in the stream: the messages completed
 *   before it are still returned by json_framer_pop(), then the error.
 *   Bytes pushed after it are discarded.  json_framer_push() reports the
 *   error itself when no complete message is waiting before it.  Once an
 *   error has been reported, the framer is poisoned and every call reports
 *   it again.
 */
#include "json-framer.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-error.h"

/* Default for 'max_size': 64 MiB. */
#define JSON_FRAMER_DEFAULT_MAX (64u * 1024 * 1024)

/* Deepest nesting accepted, the same as jansson's own parser limit, so any
 * value that passes the scan is not refused by jansson for its depth. */
#define JSON_FRAMER_MAX_DEPTH JSON_PARSER_MAX_DEPTH

/* The buffer is released when it empties and has grown past this size, so
 * one huge message does not pin its memory for the rest of the stream. */
#define JSON_FRAMER_KEEP_CAP (64u * 1024)

/* A complete value waiting to be popped: stream offsets [start, end). */
struct framer_span {
    uint64_t start;
    uint64_t end;
};

struct json_framer {
    size_t max_size;

    /* Bytes of the stream from offset 'base' to 'base + len'. */
    char *buf;
    size_t len;
    size_t cap;
    uint64_t base;

    /* Scan state.  The scan has looked at every byte before 'base + len'.
     * 'in_value' is true while a top-level value is open; it began at
     * stream offset 'value_start'. */
    bool in_value;
    bool in_string;
    bool escaped;
    uint64_t value_start;
    unsigned int depth;
    /* Bit 'i' is set when the bracket open at depth 'i + 1' is '{', clear
     * when it is '['. */
    uint8_t open_kinds[JSON_FRAMER_MAX_DEPTH / 8 + 1];

    /* Complete values not yet popped, oldest at 'queue[qhead]'. */
    struct framer_span *queue;
    size_t qhead;
    size_t qlen;
    size_t qcap;

    /* A framing error found by the scan and not yet reported (it comes
     * after every queued value), or NULL. */
    struct ovsdb_error *pending_error;

    /* The error already reported, or NULL.  Once set, every call fails
     * with a copy of it. */
    struct ovsdb_error *poison;
};

static void *
xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

struct json_framer *
json_framer_create(size_t max_size)
{
    struct json_framer *framer = calloc(1, sizeof *framer);
    if (!framer) {
        abort();
    }
    framer->max_size = max_size ? max_size : JSON_FRAMER_DEFAULT_MAX;
    return framer;
}

void
json_framer_destroy(struct json_framer *framer)
{
    if (framer) {
        free(framer->buf);
        free(framer->queue);
        ovsdb_error_free(framer->pending_error);
        ovsdb_error_free(framer->poison);
        free(framer);
    }
}

/* Returns the stream offset of the first byte that is still needed: the
 * start of the oldest queued value, else of the value in progress, else
 * the end of what was received. */
static uint64_t
framer_keep_from(const struct json_framer *framer)
{
    if (framer->qhead < framer->qlen) {
        return framer->queue[framer->qhead].start;
    } else if (framer->in_value) {
        return framer->value_start;
    } else {
        return framer->base + framer->len;
    }
}

/* Drops the bytes before framer_keep_from() when that is cheap enough (see
 * the top of this file) or when everything can go. */
static void
framer_compact(struct json_framer *framer)
{
    size_t drop = (size_t)(framer_keep_from(framer) - framer->base);
    size_t keep = framer->len - drop;

    if (!drop) {
        return;
    }
    if (!keep) {
        framer->base += framer->len;
        framer->len = 0;
        if (framer->cap > JSON_FRAMER_KEEP_CAP) {
            free(framer->buf);
            framer->buf = NULL;
            framer->cap = 0;
        }
    } else if (drop >= keep) {
        memmove(framer->buf, framer->buf + drop, keep);
        framer->base += drop;
        framer->len = keep;
    }
}

/* Makes room for 'n' more bytes in the buffer. */
static void
framer_reserve(struct json_framer *framer, size_t n)
{
    if (framer->cap - framer->len >= n) {
        return;
    }
    framer_compact(framer);
    if (framer->cap - framer->len >= n) {
        return;
    }
    if (n > SIZE_MAX / 2 - framer->len) {
        abort();
    }
    size_t want = framer->len + n;
    size_t cap = framer->cap ? framer->cap : 4096;
    while (cap < want) {
        cap *= 2;
    }
    framer->buf = xrealloc(framer->buf, cap);
    framer->cap = cap;
}

static void
framer_enqueue(struct json_framer *framer, uint64_t start, uint64_t end)
{
    if (framer->qhead == framer->qlen) {
        framer->qhead = framer->qlen = 0;
    }
    if (framer->qlen == framer->qcap) {
        /* Slide the queue down only when that frees at least half of it,
         * so the copying stays amortized O(1) per message. */
        if (framer->qhead > 0 && framer->qhead >= framer->qcap / 2) {
            memmove(framer->queue, framer->queue + framer->qhead,
                    (framer->qlen - framer->qhead) * sizeof *framer->queue);
            framer->qlen -= framer->qhead;
            framer->qhead = 0;
        } else {
            framer->qcap = framer->qcap ? framer->qcap * 2 : 8;
            framer->queue =
                xrealloc(framer->queue, framer->qcap * sizeof *framer->queue);
        }
    }
    framer->queue[framer->qlen].start = start;
    framer->queue[framer->qlen].end = end;
    framer->qlen++;
}

/* Describes the first byte 'c' of a top-level value that is not an object,
 * in a whole sentence stored in a new error. */
static struct ovsdb_error *
framer_not_object_error(unsigned char c, uint64_t offset)
{
    const char *what;

    switch (c) {
    case '[':
        what = "an array";
        break;
    case '"':
        what = "a string";
        break;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        what = "a number";
        break;
    case 't':
    case 'f':
        what = "a boolean";
        break;
    case 'n':
        what = "null";
        break;
    default:
        what = NULL;
        break;
    }
    if (what) {
        return ovsdb_error_new(-EPROTO, NULL,
                               "JSON-RPC message at byte %llu is %s, not a "
                               "JSON object.",
                               (unsigned long long)offset, what);
    } else if (c >= 0x20 && c < 0x7f) {
        return ovsdb_error_new(-EPROTO, NULL,
                               "JSON-RPC message at byte %llu starts with "
                               "'%c' instead of '{'.",
                               (unsigned long long)offset, c);
    } else {
        return ovsdb_error_new(-EPROTO, NULL,
                               "JSON-RPC message at byte %llu starts with "
                               "byte 0x%02x instead of '{'.",
                               (unsigned long long)offset, c);
    }
}

static void
framer_set_open_kind(struct json_framer *framer, unsigned int depth,
                     bool is_object)
{
    unsigned int i = depth - 1;
    uint8_t bit = (uint8_t)(1u << (i % 8));

    if (is_object) {
        framer->open_kinds[i / 8] |= bit;
    } else {
        framer->open_kinds[i / 8] &= (uint8_t)~bit;
    }
}

static bool
framer_open_is_object(const struct json_framer *framer, unsigned int depth)
{
    unsigned int i = depth - 1;
    return (framer->open_kinds[i / 8] >> (i % 8)) & 1;
}

/* Scans buffer bytes from index 'from' to the end, queuing each value that
 * completes.  Returns NULL, or a new error for the first framing error
 * found (the scan stops there and the rest of the buffer is dropped). */
static struct ovsdb_error *
framer_scan(struct json_framer *framer, size_t from)
{
    const unsigned char *p = (const unsigned char *)framer->buf;
    size_t n = framer->len;

    for (size_t i = from; i < n; i++) {
        unsigned char c = p[i];
        uint64_t offset = framer->base + i;

        if (!framer->in_value) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                continue;
            } else if (c != '{') {
                return framer_not_object_error(c, offset);
            }
            framer->in_value = true;
            framer->in_string = false;
            framer->escaped = false;
            framer->value_start = offset;
        }

        if (offset - framer->value_start >= framer->max_size) {
            return ovsdb_error_new(-EMSGSIZE, NULL,
                                   "JSON-RPC message starting at byte %llu "
                                   "exceeds the %zu-byte limit.",
                                   (unsigned long long)framer->value_start,
                                   framer->max_size);
        }

        if (framer->in_string) {
            if (framer->escaped) {
                framer->escaped = false;
            } else if (c == '\\') {
                framer->escaped = true;
            } else if (c == '"') {
                framer->in_string = false;
            }
        } else if (c == '"') {
            framer->in_string = true;
        } else if (c == '{' || c == '[') {
            if (framer->depth >= JSON_FRAMER_MAX_DEPTH) {
                return ovsdb_error_new(
                    -EPROTO, NULL,
                    "malformed JSON-RPC message: nesting deeper than %d "
                    "levels at byte %llu.",
                    JSON_FRAMER_MAX_DEPTH, (unsigned long long)offset);
            }
            framer->depth++;
            framer_set_open_kind(framer, framer->depth, c == '{');
        } else if (c == '}' || c == ']') {
            bool is_object = framer_open_is_object(framer, framer->depth);
            if (is_object != (c == '}')) {
                return ovsdb_error_new(
                    -EPROTO, NULL,
                    "malformed JSON-RPC message: '%c' at byte %llu does not "
                    "close the open '%c'.",
                    c, (unsigned long long)offset, is_object ? '{' : '[');
            }
            if (--framer->depth == 0) {
                framer->in_value = false;
                framer_enqueue(framer, framer->value_start, offset + 1);
            }
        }
    }
    return NULL;
}

/* Reports 'framer''s poison error: returns its code and stores a copy in
 * '*errorp'. */
static int
framer_report_poison(const struct json_framer *framer,
                     struct ovsdb_error **errorp)
{
    return ovsdb_error_set(errorp, ovsdb_error_clone(framer->poison));
}

/* Makes the pending error the poison error and reports it. */
static int
framer_poison_with_pending(struct json_framer *framer,
                           struct ovsdb_error **errorp)
{
    framer->poison = framer->pending_error;
    framer->pending_error = NULL;
    return framer_report_poison(framer, errorp);
}

int
json_framer_push(struct json_framer *framer, const void *data, size_t len,
                 struct ovsdb_error **errorp)
{
    if (framer->poison) {
        return framer_report_poison(framer, errorp);
    }

    if (!framer->pending_error && len > 0) {
        framer_reserve(framer, len);
        size_t from = framer->len;
        memcpy(framer->buf + from, data, len);
        framer->len += len;

        framer->pending_error = framer_scan(framer, from);
        if (framer->pending_error) {
            /* Nothing past the last queued value will ever be used. */
            framer->in_value = false;
            if (framer->qhead < framer->qlen) {
                framer->len = (size_t)(framer->queue[framer->qlen - 1].end -
                                       framer->base);
            }
        }
        framer_compact(framer);
    }

    if (framer->pending_error && framer->qhead == framer->qlen) {
        return framer_poison_with_pending(framer, errorp);
    }
    return 0;
}

int
json_framer_pop(struct json_framer *framer, json_t **valuep,
                struct ovsdb_error **errorp)
{
    if (framer->poison) {
        return framer_report_poison(framer, errorp);
    }

    if (framer->qhead == framer->qlen) {
        if (framer->pending_error) {
            return framer_poison_with_pending(framer, errorp);
        }
        return 0;
    }

    struct framer_span span = framer->queue[framer->qhead++];
    const char *start = framer->buf + (size_t)(span.start - framer->base);
    size_t size = (size_t)(span.end - span.start);
    json_error_t jerror;
    json_t *value = json_loadb(start, size, JSON_REJECT_DUPLICATES, &jerror);

    /* Only now may the bytes of 'span' move or go. */
    framer_compact(framer);
    if (!value) {
        /* A parse error poisons the framer even when more values are
         * queued: the stream can no longer be trusted. */
        framer->poison = ovsdb_error_new(
            -EPROTO, NULL, "malformed JSON-RPC message: %s at byte %llu.",
            jerror.text,
            (unsigned long long)(span.start +
                                 (jerror.position > 0
                                      ? (uint64_t)jerror.position - 1
                                      : 0)));
        return framer_report_poison(framer, errorp);
    }
    if (!json_is_object(value)) {
        /* The scan only queues values that begin with '{' and end at the
         * matching '}', so this cannot happen; keep the promise anyway. */
        json_decref(value);
        framer->poison =
            ovsdb_error_new(-EPROTO, NULL,
                            "JSON-RPC message at byte %llu is not a JSON "
                            "object.",
                            (unsigned long long)span.start);
        return framer_report_poison(framer, errorp);
    }
    *valuep = value;
    return 1;
}

size_t
json_framer_pending(const struct json_framer *framer)
{
    return (size_t)(framer->base + framer->len - framer_keep_from(framer));
}
