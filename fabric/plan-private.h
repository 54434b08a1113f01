/* plan-private: what the two halves of the plan module share.
 *
 * plan-fields.c describes each kind of object as a list of text fields
 * (the value rules of plan.h); plan.c compares two models' lists and
 * prints the result.  Nothing outside the plan module includes this
 * header.
 */
#ifndef FABRIC_PLAN_PRIVATE_H
#define FABRIC_PLAN_PRIVATE_H 1

#include <stdbool.h>
#include <stddef.h>

struct fabric_model;

/* An object's fields as text, in a fixed order. */
struct plan_flist {
    const char *prefix; /* Prepended to every key, e.g. "interfaces[eth0]."
                         * (may be NULL). */
    char **keys;
    char **values;      /* NULL for an absent value. */
    size_t n, cap;
};

void plan_flist_clear(struct plan_flist *fl);

/* The children of one kind of object: router ports (keyed by network
 * name) or guest interfaces (keyed by name). */
struct plan_child_kind {
    const char *what; /* "ports", "interfaces". */
    size_t (*count)(const struct fabric_model *, size_t obj);
    const char *(*key)(const struct fabric_model *, size_t obj, size_t i);
    void (*fields)(const struct fabric_model *, size_t obj, size_t i,
                   struct plan_flist *);
    char *(*summary)(const struct fabric_model *, size_t obj, size_t i);
};

/* One kind of object, in plan order. */
struct plan_kind {
    const char *name; /* "host", "network", "router", "guest". */
    size_t (*count)(const struct fabric_model *);
    const char *(*object_name)(const struct fabric_model *, size_t);
    void (*fields)(const struct fabric_model *, size_t,
                   struct plan_flist *);
    const struct plan_child_kind *children; /* NULL: none. */
    char *(*summary)(const struct fabric_model *, size_t);
};

#define PLAN_N_KINDS 4
extern const struct plan_kind plan_kinds[PLAN_N_KINDS];

/* A name and the index of its object or child. */
struct plan_key {
    const char *name;
    size_t index;
};

/* Orders keys by name (strcmp), then index. */
int plan_key_compare(const void *a, const void *b);

/* Compares names by strcmp or, with 'natural', in natural order first
 * ("eth2" before "eth10"); 0 only for equal names. */
int plan_name_cmp(const char *a, const char *b, bool natural);

/* Returns a new array of the keys of the children of object 'obj' of 'm'
 * in natural order, with their number in '*np'. */
struct plan_key *plan_child_keys(const struct plan_child_kind *ck,
                                 const struct fabric_model *m, size_t obj,
                                 size_t *np);

/* Returns 's' as a new quoted string: '"' and '\' escaped with '\',
 * control characters (and, with 'ascii', every byte above 127) as \n, \t
 * or \xHH. */
char *plan_quote(const char *s, bool ascii);

#endif /* plan-private.h */
