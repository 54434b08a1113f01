/* plan: what an apply would change, object by object.
 *
 * "fabricctl topology plan" and "apply" show the difference between the
 * lab in the fabric DB (read back by dbmodel_read()) and a desired model
 * (a topology file) before anything is written:
 *
 *   + network network1 (172.16.0.0/24, isolated, vlan 101)
 *   ~ guest host01: interfaces[eth0].addresses 172.16.0.1/24 -> 172.16.0.9/24
 *   - router host00
 *
 * Rules of this module:
 * - Pure: models in, plan out.
 * - Objects are matched by name, as dbmodel_build_apply() matches rows, so
 *   the plan lists exactly the objects an apply changes: an empty plan
 *   means the apply has nothing to send.  The lab's name is an object of
 *   kind "lab".  A host an agent registered is never deleted.  A destroy
 *   (NULL desired model) deletes every other object and the lab's name.
 * - Order is deterministic: the lab, then hosts, networks, routers and
 *   guests, each kind by name (strcmp); within an object, its own fields
 *   in a fixed order, then its children (router ports under
 *   "ports[NETWORK]", guest interfaces under "interfaces[NAME]") in natural
 *   order of their keys.
 * - Values are text.  Sets and maps are sorted and joined with ","
 *   ("a,b", "k=v,k2=v2"), an element with any character outside
 *   [A-Za-z0-9._:/@+-] written as a quoted string, so that two values are
 *   equal exactly when their texts are; an absent value (an empty set, an
 *   unset option) is NULL.
 * - A '+' change lists every field of the new object with its new value
 *   (old NULL) and has a one-line summary; a '-' change lists every field
 *   with its old value (new NULL); a '~' change lists the fields that
 *   differ, a child that appears or goes as one field "interfaces[eth1]"
 *   whose value is the child's summary.
 */
#ifndef FABRIC_PLAN_H
#define FABRIC_PLAN_H 1

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct fabric_model;

struct plan_change {
    char op;              /* '+' create, '~' change, '-' delete. */
    const char *kind;     /* "lab", "host", "network", "router", "guest"
                           * (static). */
    char *name;           /* The object's name. */
    char *summary;        /* '+': "(172.16.0.0/24, isolated, vlan 101)";
                           * NULL otherwise. */
    size_t n_fields;
    char **fields;        /* "vlan", "interfaces[eth0].addresses", ... */
    char **old_values;    /* Per field; NULL when absent. */
    char **new_values;    /* Per field; NULL when absent. */
};

struct fabric_plan {
    struct plan_change *changes;
    size_t n;             /* 0: nothing to change. */
};

/* Returns the changes that turn 'current' (NULL is the same as an empty
 * database) into 'desired' (NULL to destroy the lab).  The caller frees
 * the plan with plan_destroy(). */
struct fabric_plan *plan_compute(const struct fabric_model *current,
                                 const struct fabric_model *desired);

/* Frees 'plan'.  Accepts NULL. */
void plan_destroy(struct fabric_plan *plan);

/* Prints 'plan' as text, one line per created or deleted object and one
 * line per changed field; values with spaces or special characters are
 * quoted and very long ones shortened.  Prints nothing for an empty
 * plan. */
void plan_print_text(const struct fabric_plan *plan, FILE *out);

/* Returns a new reference to {"changes": [{"op": "+", "kind": "network",
 * "name": "network1", "summary": "(...)", "fields": [{"field": "vlan",
 * "old": null, "new": "101"}, ...]}, ...]}; "summary" only when set. */
json_t *plan_to_json(const struct fabric_plan *plan);

#endif /* plan.h */
