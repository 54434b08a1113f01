/* fuzz-jsonrpc: libFuzzer harness for json-framer and jsonrpc-msg.
 *
 * Input layout: byte 0 seeds the chunk sizes, byte 1 chooses the message
 * size limit, the rest is the stream.  The stream is framed twice, once in
 * a single push and once in pieces, and both must give the same messages
 * and the same final error code: framing may not depend on how reads cut
 * the stream.  Every message is decoded; each one that decodes is encoded,
 * and the encoding must decode to the same type and encode identically.
 * Any broken promise aborts. */
#include <stdint.h>
#include <stdlib.h>

#include "json-framer.h"
#include "jsonrpc-msg.h"
#include "ovsdb-error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* At most this many messages are compared per input. */
#define MAX_MESSAGES 256

struct frame_result {
    json_t *messages[MAX_MESSAGES]; /* New references. */
    size_t n;
    int code;       /* 0, or the error code the framer ended with. */
    size_t pending; /* json_framer_pending() at the end, without error. */
};

static void
check(int condition)
{
    if (!condition) {
        abort();
    }
}

/* Pops every message of 'framer' into 'r'.  Returns 0, or the error code
 * that the pop returned. */
static int
pop_all(struct json_framer *framer, struct frame_result *r)
{
    for (;;) {
        struct ovsdb_error *error = NULL;
        json_t *value = NULL;
        int retval = json_framer_pop(framer, &value, &error);

        if (retval < 0) {
            check(error != NULL && error->code == retval && error->msg);
            check(value == NULL);
            ovsdb_error_free(error);
            return retval;
        }
        check(error == NULL);
        if (retval == 0) {
            check(value == NULL);
            return 0;
        }
        check(retval == 1 && json_is_object(value));
        if (r->n < MAX_MESSAGES) {
            r->messages[r->n++] = value;
        } else {
            json_decref(value);
        }
    }
}

/* Pushes 'data' to a new framer in pieces whose sizes come from 'seed'
 * (a single piece when 'seed' is 0), popping after each push. */
static void
frame(const uint8_t *data, size_t size, uint8_t seed, size_t max_size,
      struct frame_result *r)
{
    struct json_framer *framer = json_framer_create(max_size);
    uint32_t state = seed;
    size_t pos = 0;

    r->n = 0;
    r->code = 0;
    r->pending = 0;
    do {
        size_t len = size - pos;
        if (seed) {
            state = state * 1103515245u + 12345u;
            size_t piece =
                1 + (state >> 16) % (seed & 0x3f ? seed & 0x3f : 4096);
            if (piece < len) {
                len = piece;
            }
        }

        struct ovsdb_error *error = NULL;
        int retval = json_framer_push(framer, data + pos, len, &error);
        pos += len;
        if (retval < 0) {
            check(error != NULL && error->code == retval);
            ovsdb_error_free(error);
            r->code = retval;
            break;
        }
        check(error == NULL && retval == 0);
        r->code = pop_all(framer, r);
    } while (!r->code && pos < size);

    if (r->code) {
        /* Poisoned: every later call fails the same way. */
        json_t *value = NULL;
        check(json_framer_pop(framer, &value, NULL) == r->code);
        check(json_framer_push(framer, "{}", 2, NULL) == r->code);
    } else {
        r->pending = json_framer_pending(framer);
        check(r->pending <= size);
    }
    json_framer_destroy(framer);
}

/* Checks that 'msg' has the members its type promises. */
static void
check_shape(const struct jsonrpc_msg *msg)
{
    switch (msg->type) {
    case JSONRPC_REQUEST:
    case JSONRPC_NOTIFY:
        check(msg->method != NULL && json_is_array(msg->params));
        check(msg->result == NULL && msg->error == NULL);
        check(msg->type == JSONRPC_REQUEST
                  ? msg->id != NULL && !json_is_null(msg->id)
                  : msg->id == NULL);
        break;
    case JSONRPC_REPLY:
        check(msg->result != NULL && msg->error == NULL);
        check(msg->method == NULL && msg->params == NULL);
        check(msg->id != NULL && !json_is_null(msg->id));
        break;
    case JSONRPC_ERROR:
        check(msg->error != NULL && !json_is_null(msg->error));
        check(msg->result == NULL);
        check(msg->method == NULL && msg->params == NULL);
        check(msg->id != NULL && !json_is_null(msg->id));
        break;
    default:
        abort();
    }
    check(jsonrpc_msg_type_name(msg->type)[0] != '\0');
}

/* Decodes 'json' (borrowed); when it decodes, checks that its encoding
 * decodes to the same type and encodes to the same JSON. */
static void
check_message(json_t *json)
{
    struct jsonrpc_msg *msg = NULL;
    struct ovsdb_error *error = NULL;

    if (jsonrpc_msg_from_json(json, &msg, &error)) {
        check(msg == NULL && error != NULL && error->msg);
        ovsdb_error_free(error);
        return;
    }
    check(msg != NULL && error == NULL);

    json_t *encoded = jsonrpc_msg_to_json(msg);
    struct jsonrpc_msg *again = NULL;
    check(jsonrpc_msg_from_json(encoded, &again, NULL) == 0);
    check(again->type == msg->type);
    check_shape(msg);
    check_shape(again);

    json_t *reencoded = jsonrpc_msg_to_json(again);
    check(json_equal(encoded, reencoded));

    json_decref(reencoded);
    json_decref(encoded);
    jsonrpc_msg_free(again);
    jsonrpc_msg_free(msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    uint8_t seed = data[0] ? data[0] : 1;
    size_t max_size = data[1] & 0x80 ? 1 + (size_t)(data[1] & 0x7f) * 4 : 0;
    data += 2;
    size -= 2;

    static struct frame_result whole, pieces;
    frame(data, size, 0, max_size, &whole);
    frame(data, size, seed, max_size, &pieces);

    check(whole.code == pieces.code);
    check(whole.n == pieces.n);
    check(whole.pending == pieces.pending);
    for (size_t i = 0; i < whole.n; i++) {
        check(json_equal(whole.messages[i], pieces.messages[i]));
        check_message(whole.messages[i]);
        json_decref(whole.messages[i]);
        json_decref(pieces.messages[i]);
    }
    return 0;
}
