/* jsonrpc-msg: JSON-RPC 1.0 messages as RFC 7047 uses them.
 *
 * Rules of this module:
 * - Pure: converts between json_t and 'struct jsonrpc_msg', no I/O.
 * - A request has a method, params (array) and a non-null id; a
 *   notification has a method, params and a null id; a reply has a
 *   non-null id and a null error; an error reply has a non-null error.
 *   Anything else is refused with a message naming what is wrong.
 * - Every json_t member of a message is owned by the message.
 */
#ifndef JSONRPC_MSG_H
#define JSONRPC_MSG_H 1

#include <jansson.h>

struct ovsdb_error;

enum jsonrpc_msg_type {
    JSONRPC_REQUEST, /* method, params, id */
    JSONRPC_NOTIFY,  /* method, params, id = null */
    JSONRPC_REPLY,   /* result, id */
    JSONRPC_ERROR,   /* error, id */
};

struct jsonrpc_msg {
    enum jsonrpc_msg_type type;
    char *method;   /* Requests and notifications, else NULL. */
    json_t *params; /* Requests and notifications: a JSON array. */
    json_t *result; /* Replies. */
    json_t *error;  /* Error replies: any non-null JSON value. */
    json_t *id;     /* Requests, replies, errors: any non-null JSON. */
};

/* Returns the name of 'type' ("request", "notification", ...). */
const char *jsonrpc_msg_type_name(enum jsonrpc_msg_type type);

/* Decodes 'json' (borrowed).  On success returns 0 and stores a new
 * message in '*msgp'; otherwise returns -EPROTO and sets '*errorp'. */
int jsonrpc_msg_from_json(json_t *json, struct jsonrpc_msg **msgp,
                          struct ovsdb_error **errorp);

/* Returns a new reference to the JSON form of 'msg'. */
json_t *jsonrpc_msg_to_json(const struct jsonrpc_msg *msg);

/* Constructors.  'params', 'result' and 'error' are stolen; 'id' is
 * borrowed (copied). */
struct jsonrpc_msg *jsonrpc_msg_request(const char *method, json_t *params,
                                        json_int_t id);
struct jsonrpc_msg *jsonrpc_msg_notify(const char *method, json_t *params);
struct jsonrpc_msg *jsonrpc_msg_reply(json_t *result, const json_t *id);
struct jsonrpc_msg *jsonrpc_msg_error(json_t *error, const json_t *id);

/* Frees 'msg'.  Accepts NULL. */
void jsonrpc_msg_free(struct jsonrpc_msg *msg);

#endif /* jsonrpc-msg.h */
