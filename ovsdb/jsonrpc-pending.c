/* jsonrpc-pending: see jsonrpc-pending.h for the rules. */
#include "jsonrpc-pending.h"

#include <stdlib.h>

static void
unlink_entry(struct jsonrpc_pending_list *list, struct jsonrpc_pending *p)
{
    if (p->prev) {
        p->prev->next = p->next;
    } else {
        list->head = p->next;
    }
    if (p->next) {
        p->next->prev = p->prev;
    } else {
        list->tail = p->prev;
    }
    p->prev = p->next = NULL;
}

static void
append_entry(struct jsonrpc_pending_list *list, struct jsonrpc_pending *p)
{
    p->next = NULL;
    p->prev = list->tail;
    if (list->tail) {
        list->tail->next = p;
    } else {
        list->head = p;
    }
    list->tail = p;
}

void
jsonrpc_pending_add(struct jsonrpc_pending_list *list, json_int_t id,
                    jsonrpc_reply_cb *cb, void *aux)
{
    struct jsonrpc_pending *p = calloc(1, sizeof *p);
    if (!p) {
        abort();
    }
    p->id = id;
    p->cb = cb;
    p->aux = aux;
    append_entry(list, p);
}

struct jsonrpc_pending *
jsonrpc_pending_take(struct jsonrpc_pending_list *list, json_int_t id)
{
    for (struct jsonrpc_pending *p = list->head; p; p = p->next) {
        if (p->id == id) {
            unlink_entry(list, p);
            return p;
        }
    }
    return NULL;
}

struct jsonrpc_pending *
jsonrpc_pending_pop(struct jsonrpc_pending_list *list)
{
    struct jsonrpc_pending *p = list->head;
    if (p) {
        unlink_entry(list, p);
    }
    return p;
}

void
jsonrpc_pending_move_all(struct jsonrpc_pending_list *to,
                         struct jsonrpc_pending_list *from)
{
    struct jsonrpc_pending *p;
    while ((p = jsonrpc_pending_pop(from))) {
        append_entry(to, p);
    }
}

void
jsonrpc_pending_clear(struct jsonrpc_pending_list *list)
{
    struct jsonrpc_pending *p;
    while ((p = jsonrpc_pending_pop(list))) {
        free(p);
    }
}
