/* jsonrpc-pending: the requests of a JSON-RPC session (jsonrpc-session.h)
 * that wait for their replies.
 *
 * Rules of this module:
 * - Ids are integers that the session gives in increasing order; a list
 *   keeps the entries in that order, so the reply to the oldest request,
 *   the usual case, is found at the head.
 * - The list owns its entries.  An entry taken out of it belongs to the
 *   caller, who frees it with free().
 * - No callback runs here: calling 'cb' is the session's business.
 */
#ifndef JSONRPC_PENDING_H
#define JSONRPC_PENDING_H 1

#include "jsonrpc-session.h"

struct jsonrpc_pending {
    struct jsonrpc_pending *prev, *next;
    json_int_t id;
    jsonrpc_reply_cb *cb; /* NULL when no one waits for the reply. */
    void *aux;
};

struct jsonrpc_pending_list {
    struct jsonrpc_pending *head, *tail;
};

/* Appends a request with 'id', whose reply goes to 'cb'('aux'). */
void jsonrpc_pending_add(struct jsonrpc_pending_list *list, json_int_t id,
                         jsonrpc_reply_cb *cb, void *aux);

/* Takes the entry with 'id' out of 'list'; NULL if there is none. */
struct jsonrpc_pending *jsonrpc_pending_take(struct jsonrpc_pending_list *,
                                             json_int_t id);

/* Takes the oldest entry out of 'list'; NULL if it is empty. */
struct jsonrpc_pending *jsonrpc_pending_pop(struct jsonrpc_pending_list *);

/* Moves every entry of 'from' to the end of 'to'. */
void jsonrpc_pending_move_all(struct jsonrpc_pending_list *to,
                              struct jsonrpc_pending_list *from);

/* Frees every entry of 'list' (running no callback). */
void jsonrpc_pending_clear(struct jsonrpc_pending_list *list);

#endif /* jsonrpc-pending.h */
