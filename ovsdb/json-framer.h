/* json-framer: splits a byte stream into JSON-RPC messages.
 *
 * RFC 7047 sends JSON values back to back with no delimiter.  The framer
 * scans bytes as they arrive, tracking string/escape state and nesting
 * depth, so each byte is looked at once no matter how a message is split
 * across reads; only a complete value is handed to jansson.
 *
 * Rules of this module:
 * - Pure: no I/O, no logging.
 * - Whitespace between values is skipped.  Every top-level value must be a
 *   JSON object (a JSON-RPC message); anything else is a framing error.
 * - A message longer than 'max_size' bytes is an error (-EMSGSIZE) as soon
 *   as the limit is crossed, without waiting for its end.
 * - After an error the framer is poisoned: every later call fails with the
 *   same error code.  The connection using it must be closed.
 */
#ifndef JSON_FRAMER_H
#define JSON_FRAMER_H 1

#include <jansson.h>
#include <stddef.h>

struct ovsdb_error;
struct json_framer;

/* Returns a new framer that refuses messages over 'max_size' bytes
 * (0 means the default, 64 MiB). */
struct json_framer *json_framer_create(size_t max_size);

/* Frees 'framer'.  Accepts NULL. */
void json_framer_destroy(struct json_framer *framer);

/* Appends 'len' bytes of 'data' to the framer.  Returns 0, or a negative
 * errno (-EMSGSIZE, -EPROTO) with '*errorp' set when the stream is already
 * known to be bad. */
int json_framer_push(struct json_framer *framer, const void *data,
                     size_t len, struct ovsdb_error **errorp);

/* Takes the next complete message.  Returns 1 and stores a new reference
 * in '*valuep' when one is complete, 0 when more bytes are needed, or a
 * negative errno with '*errorp' set (malformed JSON, non-object value,
 * oversize message). */
int json_framer_pop(struct json_framer *framer, json_t **valuep,
                    struct ovsdb_error **errorp);

/* Bytes received but not yet returned as messages. */
size_t json_framer_pending(const struct json_framer *framer);

#endif /* json-framer.h */
