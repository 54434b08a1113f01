/* jsonrpc-msg: see jsonrpc-msg.h for the rules of this module.
 *
 * The wire form follows JSON-RPC 1.0 as RFC 7047 section 4 uses it: every
 * message we write carries all three members of its kind ("method",
 * "params", "id" for requests and notifications; "result", "error", "id"
 * for replies and error replies).  When reading, a member whose value would
 * be null may be left out: a notification may omit "id", a reply may omit
 * "error", and an error reply may omit "result".  Any member other than the
 * five of JSON-RPC 1.0 is refused.
 *
 * Error messages quote at most 200 bytes of a method name or member name
 * taken from the peer, so a hostile message cannot make a huge log line.
 */
#include "jsonrpc-msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-error.h"

/* Aborts when jansson could not allocate 'json'; returns it otherwise. */
static json_t *
json_nonnull(json_t *json)
{
    if (!json) {
        abort();
    }
    return json;
}

/* Returns a new reference to 'json' (borrowed), or to a new JSON null when
 * 'json' is NULL. */
static json_t *
json_ref_or_null(json_t *json)
{
    return json ? json_incref(json) : json_null();
}

const char *
jsonrpc_msg_type_name(enum jsonrpc_msg_type type)
{
    switch (type) {
    case JSONRPC_REQUEST:
        return "request";
    case JSONRPC_NOTIFY:
        return "notification";
    case JSONRPC_REPLY:
        return "reply";
    case JSONRPC_ERROR:
        return "error reply";
    }
    return "unknown message type";
}

/* Returns a word for the type of 'json' (borrowed), for error messages. */
static const char *
json_type_word(const json_t *json)
{
    switch (json_typeof(json)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "an unknown JSON value";
}

static struct jsonrpc_msg *
msg_alloc(enum jsonrpc_msg_type type)
{
    struct jsonrpc_msg *msg = calloc(1, sizeof *msg);
    if (!msg) {
        abort();
    }
    msg->type = type;
    return msg;
}

static char *
xstrdup(const char *s)
{
    char *copy = strdup(s);
    if (!copy) {
        abort();
    }
    return copy;
}

/* Stores in '*errorp' a new -EPROTO error whose message is formatted from
 * 'fmt', and returns -EPROTO.  Messages are short (names quoted from the
 * peer are cut to 200 bytes), so a fixed buffer holds them. */
static int decode_error(struct ovsdb_error **errorp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
decode_error(struct ovsdb_error **errorp, const char *fmt, ...)
{
    char msg[1024];
    va_list args;

    va_start(args, fmt);
    vsnprintf(msg, sizeof msg, fmt, args);
    va_end(args);
    return ovsdb_error_set(errorp, ovsdb_error_new(-EPROTO, NULL, "%s", msg));
}

/* Decodes a request or a notification from the members of 'json'
 * (borrowed); 'method', 'params', 'id', 'result' and 'error' are borrowed
 * members, NULL when absent. */
static int
msg_decode_call(json_t *method, json_t *params, json_t *id, json_t *result,
                json_t *error, struct jsonrpc_msg **msgp,
                struct ovsdb_error **errorp)
{
    if (!json_is_string(method)) {
        return decode_error(errorp,
                            "JSON-RPC message has a \"method\" that is %s, "
                            "not a string.",
                            json_type_word(method));
    }

    const char *name = json_string_value(method);
    bool is_request = id && !json_is_null(id);
    const char *kind = is_request ? "request" : "notification";

    if (result) {
        return decode_error(errorp,
                            "JSON-RPC %s \"%.200s\" has a \"result\" member.",
                            kind, name);
    }
    if (error) {
        return decode_error(errorp,
                            "JSON-RPC %s \"%.200s\" has an \"error\" member.",
                            kind, name);
    }
    if (!params) {
        return decode_error(errorp, "JSON-RPC %s \"%.200s\" has no params.",
                            kind, name);
    }
    if (!json_is_array(params)) {
        return decode_error(
            errorp, "JSON-RPC %s \"%.200s\" has non-array params (%s).", kind,
            name, json_type_word(params));
    }

    struct jsonrpc_msg *msg =
        msg_alloc(is_request ? JSONRPC_REQUEST : JSONRPC_NOTIFY);
    msg->method = xstrdup(name);
    msg->params = json_incref(params);
    msg->id = is_request ? json_incref(id) : NULL;
    *msgp = msg;
    return 0;
}

/* Decodes a reply or an error reply; arguments as for msg_decode_call(),
 * with no "method" member present. */
static int
msg_decode_reply(json_t *params, json_t *id, json_t *result, json_t *error,
                 struct jsonrpc_msg **msgp, struct ovsdb_error **errorp)
{
    bool is_error = error && !json_is_null(error);
    const char *kind = is_error ? "error reply" : "reply";

    if (params) {
        return decode_error(errorp, "JSON-RPC message has \"params\" but no "
                                    "\"method\".");
    }
    if (!is_error && !result) {
        return decode_error(errorp,
                            "JSON-RPC message has no \"method\", \"result\" "
                            "or \"error\".");
    }
    if (is_error && result && !json_is_null(result)) {
        return decode_error(errorp,
                            "JSON-RPC reply has both a non-null \"result\" "
                            "and a non-null \"error\".");
    }
    if (!id) {
        return decode_error(errorp, "JSON-RPC %s has no \"id\".", kind);
    }
    if (json_is_null(id)) {
        return decode_error(errorp, "JSON-RPC %s has a null \"id\".", kind);
    }

    struct jsonrpc_msg *msg =
        msg_alloc(is_error ? JSONRPC_ERROR : JSONRPC_REPLY);
    if (is_error) {
        msg->error = json_incref(error);
    } else {
        msg->result = json_incref(result);
    }
    msg->id = json_incref(id);
    *msgp = msg;
    return 0;
}

int
jsonrpc_msg_from_json(json_t *json, struct jsonrpc_msg **msgp,
                      struct ovsdb_error **errorp)
{
    if (!json) {
        return decode_error(errorp, "JSON-RPC message is missing.");
    }
    if (!json_is_object(json)) {
        return decode_error(errorp,
                            "JSON-RPC message is %s, not a JSON object.",
                            json_type_word(json));
    }

    json_t *method = NULL, *params = NULL, *id = NULL;
    json_t *result = NULL, *error = NULL;
    for (void *iter = json_object_iter(json); iter;
         iter = json_object_iter_next(json, iter)) {
        const char *key = json_object_iter_key(iter);
        json_t *value = json_object_iter_value(iter);

        if (!strcmp(key, "method")) {
            method = value;
        } else if (!strcmp(key, "params")) {
            params = value;
        } else if (!strcmp(key, "id")) {
            id = value;
        } else if (!strcmp(key, "result")) {
            result = value;
        } else if (!strcmp(key, "error")) {
            error = value;
        } else {
            return decode_error(errorp,
                                "JSON-RPC message has unknown member "
                                "\"%.200s\".",
                                key);
        }
    }

    if (method) {
        return msg_decode_call(method, params, id, result, error, msgp,
                               errorp);
    }
    return msg_decode_reply(params, id, result, error, msgp, errorp);
}

/* Sets member 'key' of 'object' to 'value' (stolen), aborting when
 * jansson cannot (out of memory). */
static void
object_set_new(json_t *object, const char *key, json_t *value)
{
    if (json_object_set_new(object, key, json_nonnull(value))) {
        abort();
    }
}

json_t *
jsonrpc_msg_to_json(const struct jsonrpc_msg *msg)
{
    json_t *json = json_nonnull(json_object());

    switch (msg->type) {
    case JSONRPC_REQUEST:
    case JSONRPC_NOTIFY:
        /* json_string() refuses a method that is not UTF-8; the
         * constructors require UTF-8 and decoding only yields UTF-8. */
        object_set_new(json, "method",
                       json_string(msg->method ? msg->method : ""));
        object_set_new(json, "params",
                       msg->params ? json_incref(msg->params) : json_array());
        object_set_new(json, "id",
                       (msg->type == JSONRPC_REQUEST
                            ? json_ref_or_null(msg->id)
                            : json_null()));
        break;
    case JSONRPC_REPLY:
        object_set_new(json, "result", json_ref_or_null(msg->result));
        object_set_new(json, "error", json_null());
        object_set_new(json, "id", json_ref_or_null(msg->id));
        break;
    case JSONRPC_ERROR:
    default:
        object_set_new(json, "result", json_null());
        object_set_new(json, "error", json_ref_or_null(msg->error));
        object_set_new(json, "id", json_ref_or_null(msg->id));
        break;
    }
    return json;
}

/* The constructors take ownership of 'params', 'result' and 'error' and
 * copy 'id', as the header says.  A NULL 'params' becomes an empty array, a
 * NULL 'result' or 'id' becomes JSON null, and a NULL 'error' becomes the
 * string "unknown error", so every message they make can be encoded.
 * 'method' must be UTF-8. */
struct jsonrpc_msg *
jsonrpc_msg_request(const char *method, json_t *params, json_int_t id)
{
    struct jsonrpc_msg *msg = msg_alloc(JSONRPC_REQUEST);
    msg->method = xstrdup(method);
    msg->params = params ? params : json_nonnull(json_array());
    msg->id = json_nonnull(json_integer(id));
    return msg;
}

struct jsonrpc_msg *
jsonrpc_msg_notify(const char *method, json_t *params)
{
    struct jsonrpc_msg *msg = msg_alloc(JSONRPC_NOTIFY);
    msg->method = xstrdup(method);
    msg->params = params ? params : json_nonnull(json_array());
    return msg;
}

struct jsonrpc_msg *
jsonrpc_msg_reply(json_t *result, const json_t *id)
{
    struct jsonrpc_msg *msg = msg_alloc(JSONRPC_REPLY);
    msg->result = result ? result : json_null();
    msg->id = json_nonnull(id ? json_deep_copy(id) : json_null());
    return msg;
}

struct jsonrpc_msg *
jsonrpc_msg_error(json_t *error, const json_t *id)
{
    struct jsonrpc_msg *msg = msg_alloc(JSONRPC_ERROR);
    msg->error = error ? error : json_nonnull(json_string("unknown error"));
    msg->id = json_nonnull(id ? json_deep_copy(id) : json_null());
    return msg;
}

void
jsonrpc_msg_free(struct jsonrpc_msg *msg)
{
    if (msg) {
        free(msg->method);
        json_decref(msg->params);
        json_decref(msg->result);
        json_decref(msg->error);
        json_decref(msg->id);
        free(msg);
    }
}
