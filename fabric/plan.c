/* plan: comparing two models object by object (plan.h for the rules);
 * plan-fields.c describes the objects as text fields. */
#include "plan.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "plan-private.h"
#include "xstring.h"

/* Memory. */

static char *
xstrdup(const char *s)
{
    char *copy = strdup(s);
    if (!copy) {
        abort();
    }
    return copy;
}

static const char *
nz(const char *s)
{
    return s ? s : "";
}

/* The plan being built. */

struct builder {
    struct fabric_plan *plan;
    size_t cap;
};

static struct plan_change *
add_change(struct builder *b, char op, const char *kind, const char *name)
{
    struct fabric_plan *plan = b->plan;
    if (plan->n >= b->cap) {
        b->cap = b->cap ? 2 * b->cap : 16;
        plan->changes =
            xrealloc(plan->changes, b->cap * sizeof *plan->changes);
    }
    struct plan_change *c = &plan->changes[plan->n++];
    memset(c, 0, sizeof *c);
    c->op = op;
    c->kind = kind;
    c->name = xstrdup(nz(name));
    return c;
}

/* Adds field 'field' (stolen) with 'old' and 'new' (stolen, may be NULL) to
 * 'c'. */
static void
add_field(struct plan_change *c, char *field, char *old, char *new)
{
    c->fields = xrealloc(c->fields, (c->n_fields + 1) * sizeof *c->fields);
    c->old_values =
        xrealloc(c->old_values, (c->n_fields + 1) * sizeof *c->old_values);
    c->new_values =
        xrealloc(c->new_values, (c->n_fields + 1) * sizeof *c->new_values);
    c->fields[c->n_fields] = field;
    c->old_values[c->n_fields] = old;
    c->new_values[c->n_fields] = new;
    c->n_fields++;
}

static bool
values_equal(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

/* Moves the fields of 'fl' into 'c' as old values ('old') or new ones. */
static void
add_all_fields(struct plan_change *c, struct plan_flist *fl, bool old)
{
    for (size_t i = 0; i < fl->n; i++) {
        add_field(c, fl->keys[i], old ? fl->values[i] : NULL,
                  old ? NULL : fl->values[i]);
    }
    free(fl->keys);
    free(fl->values);
    memset(fl, 0, sizeof *fl);
}

/* Adds to 'c' the fields of 'fa' and 'fb' (the same keys, in the same
 * order) that differ. */
static void
add_differing_fields(struct plan_change *c, struct plan_flist *fa,
                     struct plan_flist *fb)
{
    for (size_t i = 0; i < fa->n && i < fb->n; i++) {
        if (!values_equal(fa->values[i], fb->values[i])) {
            add_field(c, xstrdup(fa->keys[i]), fa->values[i], fb->values[i]);
            fa->values[i] = fb->values[i] = NULL;
        }
    }
    plan_flist_clear(fa);
    plan_flist_clear(fb);
}

/* Adds every field of object 'i' of 'm', children included, to 'c'. */
static void
add_object_fields(struct plan_change *c, const struct plan_kind *kind,
                  const struct fabric_model *m, size_t i, bool old)
{
    struct plan_flist fl = {0};
    kind->fields(m, i, &fl);
    add_all_fields(c, &fl, old);
    if (!kind->children) {
        return;
    }
    const struct plan_child_kind *ck = kind->children;
    size_t n;
    struct plan_key *keys = plan_child_keys(ck, m, i, &n);
    for (size_t j = 0; j < n; j++) {
        char *prefix = xasprintf("%s[%s].", ck->what, keys[j].name);
        fl.prefix = prefix;
        ck->fields(m, i, keys[j].index, &fl);
        add_all_fields(c, &fl, old);
        free(prefix);
    }
    free(keys);
}

/* Adds to 'c' the differences between the children of object 'ia' of 'a'
 * and object 'ib' of 'b'. */
static void
diff_children(struct plan_change *c, const struct plan_child_kind *ck,
              const struct fabric_model *a, size_t ia,
              const struct fabric_model *b, size_t ib)
{
    size_t na, nb;
    struct plan_key *ka = plan_child_keys(ck, a, ia, &na);
    struct plan_key *kb = plan_child_keys(ck, b, ib, &nb);
    size_t i = 0, j = 0;
    while (i < na || j < nb) {
        int cmp = (i >= na   ? 1
                   : j >= nb ? -1
                             : plan_name_cmp(ka[i].name, kb[j].name, true));
        const char *name = cmp <= 0 ? ka[i].name : kb[j].name;
        if (cmp) {
            /* A child appears or goes. */
            char *field = xasprintf("%s[%s]", ck->what, name);
            if (cmp < 0) {
                add_field(c, field, ck->summary(a, ia, ka[i++].index), NULL);
            } else {
                add_field(c, field, NULL, ck->summary(b, ib, kb[j++].index));
            }
            continue;
        }
        char *prefix = xasprintf("%s[%s].", ck->what, name);
        struct plan_flist fa = {.prefix = prefix}, fb = {.prefix = prefix};
        ck->fields(a, ia, ka[i++].index, &fa);
        ck->fields(b, ib, kb[j++].index, &fb);
        add_differing_fields(c, &fa, &fb);
        free(prefix);
    }
    free(ka);
    free(kb);
}

static struct plan_key *
object_keys(const struct plan_kind *kind, const struct fabric_model *m,
            size_t *np)
{
    size_t n = m ? kind->count(m) : 0;
    struct plan_key *keys = xrealloc(NULL, n * sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        keys[i] = (struct plan_key){nz(kind->object_name(m, i)), i};
    }
    qsort(keys, n, sizeof *keys, plan_key_compare);
    *np = n;
    return keys;
}

static void
plan_kind(struct builder *b, const struct plan_kind *kind,
          const struct fabric_model *cur, const struct fabric_model *des)
{
    size_t nc, nd;
    struct plan_key *kc = object_keys(kind, cur, &nc);
    struct plan_key *kd = object_keys(kind, des, &nd);
    bool hosts = !strcmp(kind->name, "host");
    size_t i = 0, j = 0;
    while (i < nc || j < nd) {
        int cmp = (i >= nc   ? 1
                   : j >= nd ? -1
                             : plan_name_cmp(kc[i].name, kd[j].name, false));
        if (cmp < 0) {
            size_t ic = kc[i++].index;
            if (hosts && cur->hosts[ic].registered) {
                continue;
            }
            struct plan_change *c =
                add_change(b, '-', kind->name, kc[i - 1].name);
            add_object_fields(c, kind, cur, ic, true);
        } else if (cmp > 0) {
            size_t id = kd[j++].index;
            struct plan_change *c =
                add_change(b, '+', kind->name, kd[j - 1].name);
            c->summary = kind->summary(des, id);
            add_object_fields(c, kind, des, id, false);
        } else {
            size_t ic = kc[i++].index;
            size_t id = kd[j++].index;
            struct plan_change *c =
                add_change(b, '~', kind->name, kd[j - 1].name);
            struct plan_flist fc = {0}, fd = {0};
            kind->fields(cur, ic, &fc);
            kind->fields(des, id, &fd);
            add_differing_fields(c, &fc, &fd);
            if (kind->children) {
                diff_children(c, kind->children, cur, ic, des, id);
            }
            if (!c->n_fields) {
                free(c->name);
                b->plan->n--;
            }
        }
    }
    free(kc);
    free(kd);
}

struct fabric_plan *
plan_compute(const struct fabric_model *current,
             const struct fabric_model *desired)
{
    struct fabric_plan *plan = xrealloc(NULL, sizeof *plan);
    memset(plan, 0, sizeof *plan);
    struct builder b = {plan, 0};

    /* The lab's name: "" when there is no lab. */
    const char *old_name = current ? nz(current->name) : "";
    const char *new_name = desired ? nz(desired->name) : "";
    if (strcmp(old_name, new_name)) {
        if (!*old_name) {
            struct plan_change *c = add_change(&b, '+', "lab", new_name);
            add_field(c, xstrdup("name"), NULL, xstrdup(new_name));
        } else if (!*new_name) {
            struct plan_change *c = add_change(&b, '-', "lab", old_name);
            add_field(c, xstrdup("name"), xstrdup(old_name), NULL);
        } else {
            struct plan_change *c = add_change(&b, '~', "lab", new_name);
            add_field(c, xstrdup("name"), xstrdup(old_name),
                      xstrdup(new_name));
        }
    }

    for (size_t k = 0; k < sizeof plan_kinds / sizeof *plan_kinds; k++) {
        plan_kind(&b, &plan_kinds[k], current, desired);
    }
    return plan;
}

void
plan_destroy(struct fabric_plan *plan)
{
    if (!plan) {
        return;
    }
    for (size_t i = 0; i < plan->n; i++) {
        struct plan_change *c = &plan->changes[i];
        free(c->name);
        free(c->summary);
        for (size_t j = 0; j < c->n_fields; j++) {
            free(c->fields[j]);
            free(c->old_values[j]);
            free(c->new_values[j]);
        }
        free(c->fields);
        free(c->old_values);
        free(c->new_values);
    }
    free(plan->changes);
    free(plan);
}

/* Output. */

#define PLAN_TEXT_MAX 60 /* Longer values are shortened in text. */

/* Writes 'value' for a person: "(none)" when absent, quoted when it is
 * empty or holds spaces or special characters, shortened when long. */
static void
print_value(FILE *out, const char *value)
{
    if (!value) {
        fputs("(none)", out);
        return;
    }
    size_t len = strlen(value);
    bool plain = len && len <= PLAN_TEXT_MAX;
    for (const unsigned char *p = (const unsigned char *)value; plain && *p;
         p++) {
        plain = *p > ' ' && *p != '"' && *p != '\\' && *p != 0x7f;
    }
    if (plain) {
        fputs(value, out);
        return;
    }
    if (len > PLAN_TEXT_MAX) {
        /* Cut on a UTF-8 character boundary. */
        size_t cut = PLAN_TEXT_MAX - 20;
        while (cut && (value[cut] & 0xc0) == 0x80) {
            cut--;
        }
        char *head = strndup(value, cut);
        char *quoted = plan_quote(head, false);
        fprintf(out, "%s... (%zu bytes)", quoted, len);
        free(quoted);
        free(head);
    } else {
        char *quoted = plan_quote(value, false);
        fputs(quoted, out);
        free(quoted);
    }
}

void
plan_print_text(const struct fabric_plan *plan, FILE *out)
{
    for (size_t i = 0; i < plan->n; i++) {
        const struct plan_change *c = &plan->changes[i];
        if (c->op != '~') {
            fprintf(out, "%c %s %s", c->op, c->kind, c->name);
            if (c->summary) {
                fprintf(out, " %s", c->summary);
            }
            fputc('\n', out);
            continue;
        }
        for (size_t j = 0; j < c->n_fields; j++) {
            fprintf(out, "~ %s %s: %s ", c->kind, c->name, c->fields[j]);
            print_value(out, c->old_values[j]);
            fputs(" -> ", out);
            print_value(out, c->new_values[j]);
            fputc('\n', out);
        }
    }
}

/* Returns a new JSON string for 's', or null for NULL.  A string that is
 * not UTF-8 is given quoted with its other bytes escaped. */
static json_t *
json_text(const char *s)
{
    if (!s) {
        return json_null();
    }
    json_t *json = json_string(s);
    if (!json) {
        char *quoted = plan_quote(s, true);
        json = json_string(quoted);
        free(quoted);
    }
    return json;
}

json_t *
plan_to_json(const struct fabric_plan *plan)
{
    json_t *changes = json_array();
    for (size_t i = 0; i < plan->n; i++) {
        const struct plan_change *c = &plan->changes[i];
        char op[2] = {c->op, '\0'};
        json_t *change = json_object();
        json_object_set_new(change, "op", json_string(op));
        json_object_set_new(change, "kind", json_string(c->kind));
        json_object_set_new(change, "name", json_text(c->name));
        if (c->summary) {
            json_object_set_new(change, "summary", json_text(c->summary));
        }
        json_t *fields = json_array();
        for (size_t j = 0; j < c->n_fields; j++) {
            json_array_append_new(fields,
                                  json_pack("{s:o, s:o, s:o}", "field",
                                            json_text(c->fields[j]), "old",
                                            json_text(c->old_values[j]), "new",
                                            json_text(c->new_values[j])));
        }
        json_object_set_new(change, "fields", fields);
        json_array_append_new(changes, change);
    }
    return json_pack("{s:o}", "changes", changes);
}
