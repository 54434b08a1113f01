/* topology-fields: typed access to the fields of one mapping of a
 * topology file (see topology-private.h).
 *
 * Every function here reports what is wrong with the field it reads (an
 * unknown or repeated key, a wrong type, a value out of range) and then
 * behaves as if the field were absent, so that the caller keeps its
 * default and reading goes on.  A null value (an empty value, "~" or
 * "null") counts as an absent field. */
#include "topology-private.h"
#include "xstring.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static bool
is_key(const struct topo_node *key)
{
    return key->type == TOPO_SCALAR && !topo_node_is_null(key);
}

static bool
in_list(const char *s, const char *const *list)
{
    for (; *list; list++) {
        if (!strcmp(s, *list)) {
            return true;
        }
    }
    return false;
}

/* Checks that the keys of 'o->map' are strings, appear once, and, if
 * 'valid' is nonnull, are among 'valid'. */
void
topo_obj_check_keys(struct topo_obj *o, const char *const *valid)
{
    struct topo_index seen = {0};

    for (size_t i = 0; i + 1 < o->map->n_kids; i += 2) {
        const struct topo_node *key = o->map->kids[i];
        size_t first;

        if (!is_key(key)) {
            topo_msg_key_type(o->ctx, o->what, key);
        } else if (valid && !in_list(key->scalar, valid)) {
            topo_msg_unknown_field(o->ctx, o->what, key, valid);
        } else if (topo_index_find_str(&seen, key->scalar, &first)) {
            topo_msg_duplicate_key(o->ctx, o->what, key, o->map->kids[first]);
        } else {
            topo_index_add_str(&seen, key->scalar, i);
        }
    }
    topo_index_destroy(&seen);
}

/* Returns the index in o->map->kids of the key 'field' (its first
 * occurrence), or -1. */
long
topo_obj_find_key(const struct topo_obj *o, const char *field)
{
    for (size_t i = 0; i + 1 < o->map->n_kids; i += 2) {
        const struct topo_node *key = o->map->kids[i];
        if (is_key(key) && !strcmp(key->scalar, field)) {
            return (long)i;
        }
    }
    return -1;
}

/* Returns the value of 'field', or NULL if it is absent or null. */
const struct topo_node *
topo_obj_find(const struct topo_obj *o, const char *field)
{
    long i = topo_obj_find_key(o, field);
    const struct topo_node *value = i < 0 ? NULL : o->map->kids[i + 1];
    return topo_node_is_null(value) ? NULL : value;
}

/* Returns the position of the key 'field', which must be present. */
struct topo_pos
topo_obj_key_pos(const struct topo_obj *o, const char *field)
{
    return o->map->kids[topo_obj_find_key(o, field)]->pos;
}

void
topo_obj_require(struct topo_obj *o, const char *field)
{
    if (!topo_obj_find(o, field)) {
        topo_msg_missing(o->ctx, o->map->pos, o->what, field);
    }
}

bool
topo_obj_string(struct topo_obj *o, const char *field, const char **valuep,
                struct topo_pos *posp)
{
    const struct topo_node *value = topo_obj_find(o, field);

    if (!value) {
        return false;
    } else if (value->type != TOPO_SCALAR) {
        topo_msg_type(o->ctx, o->what, field, "a string", value);
        return false;
    }
    *valuep = value->scalar;
    if (posp) {
        *posp = value->pos;
    }
    return true;
}

static bool
is_integer(const struct topo_node *node)
{
    const char *s = node->scalar;

    if (node->type != TOPO_SCALAR || !node->plain) {
        return false;
    }
    if (*s == '-' || *s == '+') {
        s++;
    }
    if (!*s || (s[0] == '0' && s[1])) {
        return false;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
    }
    return true;
}

/* Reads the integer 'field'.  Returns true with its value in '*valuep',
 * which the caller still has to range-check; a value too large even for
 * that is reported as outside 'min'-'max'. */
static bool
get_integer(struct topo_obj *o, const char *field, long long min,
            long long max, long long *valuep, struct topo_pos *posp)
{
    const struct topo_node *value = topo_obj_find(o, field);

    if (!value) {
        return false;
    } else if (!is_integer(value)) {
        topo_msg_type(o->ctx, o->what, field, "an integer", value);
        return false;
    }
    errno = 0;
    long long n = strtoll(value->scalar, NULL, 10);
    if (errno == ERANGE) {
        topo_msg_range(o->ctx, value->pos, o->what, field, value->scalar, min,
                       max);
        return false;
    }
    *valuep = n;
    if (posp) {
        *posp = value->pos;
    }
    return true;
}

/* Reads the integer 'field', which must lie in 'min'...'max'. */
bool
topo_obj_int(struct topo_obj *o, const char *field, int min, int max,
             int *valuep, struct topo_pos *posp)
{
    struct topo_pos pos;
    long long n;

    if (!get_integer(o, field, min, max, &n, &pos)) {
        return false;
    } else if (n < min || n > max) {
        topo_msg_range(o->ctx, pos, o->what, field,
                       topo_obj_find(o, field)->scalar, min, max);
        return false;
    }
    *valuep = (int)n;
    if (posp) {
        *posp = pos;
    }
    return true;
}

/* Reads an MTU field: at least TOPO_MIN_MTU, at most what the
 * encapsulation leaves of the smallest underlay MTU. */
bool
topo_obj_mtu(struct topo_obj *o, const char *field, int *valuep,
             struct topo_pos *posp)
{
    int limit = o->topo->mtu_limit;
    struct topo_pos pos;
    long long n;

    if (!get_integer(o, field, TOPO_MIN_MTU, limit, &n, &pos)) {
        return false;
    } else if (n < TOPO_MIN_MTU) {
        topo_msg_range(o->ctx, pos, o->what, field,
                       topo_obj_find(o, field)->scalar, TOPO_MIN_MTU, limit);
        return false;
    } else if (n > limit) {
        topo_msg_mtu_limit(o->ctx, pos, o->what,
                           n > INT_MAX ? INT_MAX : (int)n, limit,
                           o->topo->min_underlay_mtu);
        return false;
    }
    *valuep = (int)n;
    *posp = pos;
    return true;
}

bool
topo_obj_bool(struct topo_obj *o, const char *field, bool *valuep)
{
    const struct topo_node *value = topo_obj_find(o, field);
    const char *s = value ? value->scalar : NULL;

    if (!value) {
        return false;
    } else if (value->type == TOPO_SCALAR && value->plain &&
               (!strcmp(s, "true") || !strcmp(s, "True") ||
                !strcmp(s, "TRUE"))) {
        *valuep = true;
    } else if (value->type == TOPO_SCALAR && value->plain &&
               (!strcmp(s, "false") || !strcmp(s, "False") ||
                !strcmp(s, "FALSE"))) {
        *valuep = false;
    } else {
        topo_msg_type(o->ctx, o->what, field, "a boolean (true or false)",
                      value);
        return false;
    }
    return true;
}

/* Reads the field 'field', whose value must be one of 'names', and
 * stores its index in 'names' into '*valuep'. */
bool
topo_obj_enum(struct topo_obj *o, const char *field, const char *const *names,
              int *valuep)
{
    struct topo_pos pos;
    const char *s;

    if (!topo_obj_string(o, field, &s, &pos)) {
        return false;
    }
    for (int i = 0; names[i]; i++) {
        if (!strcmp(s, names[i])) {
            *valuep = i;
            return true;
        }
    }
    topo_msg_enum(o->ctx, pos, o->what, field, s, names);
    return false;
}

const struct topo_node *
topo_obj_list(struct topo_obj *o, const char *field)
{
    const struct topo_node *value = topo_obj_find(o, field);

    if (value && value->type != TOPO_SEQ) {
        topo_msg_type(o->ctx, o->what, field, "a list", value);
        return NULL;
    }
    return value;
}

/* Reads the mapping of strings 'field' into 'smap', sorted by key. */
void
topo_obj_smap(struct topo_obj *o, const char *field, struct fabric_smap *smap)
{
    const struct topo_node *value = topo_obj_find(o, field);

    if (!value) {
        return;
    } else if (value->type != TOPO_MAP) {
        topo_msg_type(o->ctx, o->what, field, "a mapping", value);
        return;
    }

    struct topo_obj m = {o->ctx, value, o->what, o->topo};
    topo_obj_check_keys(&m, NULL);
    for (size_t i = 0; i + 1 < value->n_kids; i += 2) {
        const struct topo_node *k = value->kids[i], *v = value->kids[i + 1];
        if (!is_key(k) || fabric_smap_get(smap, k->scalar)) {
            continue;
        }
        if (v->type != TOPO_SCALAR || topo_node_is_null(v)) {
            char *name = xasprintf("%s.%s", field, k->scalar);
            topo_msg_type(o->ctx, o->what, name, "a string", v);
            free(name);
            continue;
        }

        /* Insert in order of keys. */
        size_t j = smap->n;
        fabric_smap_add(smap, k->scalar, v->scalar);
        for (; j > 0 && strcmp(smap->keys[j - 1], k->scalar) > 0; j--) {
            char *key = smap->keys[j], *val = smap->values[j];
            smap->keys[j] = smap->keys[j - 1];
            smap->values[j] = smap->values[j - 1];
            smap->keys[j - 1] = key;
            smap->values[j - 1] = val;
        }
    }
}

/* Reads the required name of an object, which names it in messages:
 * "KIND NAME", or "KIND #INDEX" when it has no valid name. */
char *
topo_obj_name(struct topo_obj *o, const char *kind, size_t index,
              const char **namep, bool *okp, struct topo_pos *posp)
{
    const char *name = NULL;
    char *what;

    *okp = false;
    if (topo_obj_string(o, "name", &name, posp)) {
        *okp = topo_valid_name(name, TOPO_NAME_MAX);
    }
    what = (*okp ? xasprintf("%s %s", kind, name)
                 : xasprintf("%s #%zu", kind, index + 1));
    o->what = what;
    topo_obj_require(o, "name");
    if (name && !*okp) {
        topo_msg_bad_name(o->ctx, *posp, what, name, TOPO_NAME_MAX);
    }
    *namep = name;
    return what;
}

/* Reads the optional MAC 'field'. */
void
topo_obj_mac(struct topo_obj *o, const char *field, bool *hasp, uint64_t *macp,
             struct topo_pos *posp)
{
    const char *s;

    if (!topo_obj_string(o, field, &s, posp)) {
        return;
    } else if (!topo_parse_mac(s, macp)) {
        topo_msg_bad_mac(o->ctx, *posp, o->what, s);
    } else if (!*macp) {
        topo_msg_zero_mac(o->ctx, *posp, o->what);
    } else if (*macp & (1ULL << 40)) {
        char *mac = topo_format_mac(*macp);
        topo_msg_multicast_mac(o->ctx, *posp, o->what, mac);
        free(mac);
    } else {
        *hasp = true;
    }
}

/* Reads the list of strings 'field'; returns its items, or NULL. */
const struct topo_node *
topo_obj_string_list(struct topo_obj *o, const char *field)
{
    const struct topo_node *list = topo_obj_list(o, field);
    bool ok = true;

    for (size_t i = 0; list && i < list->n_kids; i++) {
        const struct topo_node *item = list->kids[i];
        if (item->type != TOPO_SCALAR || topo_node_is_null(item)) {
            topo_msg_item_type(o->ctx, o->what, field, i, "a string", item);
            ok = false;
        }
    }
    return ok ? list : NULL;
}

/* Calls 'parse' for each item of the list of mappings 'field' of 'o'. */
void
topo_obj_for_each_map(struct topo_obj *o, const char *field,
                      void (*parse)(struct topo_obj *,
                                    const struct topo_node *, size_t, void *),
                      void *aux)
{
    const struct topo_node *list = topo_obj_list(o, field);

    for (size_t i = 0; list && i < list->n_kids; i++) {
        const struct topo_node *item = list->kids[i];
        if (item->type != TOPO_MAP) {
            topo_msg_item_type(o->ctx, o->what, field, i, "a mapping", item);
        } else {
            parse(o, item, i, aux);
        }
    }
}
