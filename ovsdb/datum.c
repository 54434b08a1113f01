/* datum: see datum.h for the rules.
 *
 * Notes on this implementation:
 * - Datums stay in their JSON form; sets and maps are compared and merged
 *   through C arrays of borrowed pointers to their elements, sorted by a
 *   total order on atoms (atom_compare()), so equality and diffs cost
 *   O(n log n).  Integers and reals compare by numeric value, since a
 *   server may write an integral real as an integer.
 * - Values built here share their atoms with the values they came from
 *   (reference counts, no copies).  No function here modifies a json_t it
 *   did not create.
 * - A column whose "max" is 1 (a scalar, an optional scalar, or a map of
 *   at most one pair) takes an update2 diff as its new value, whatever
 *   "min" is: ovsdb-server only computes element-wise differences for
 *   columns whose "max" is greater than 1 (what OVS calls a "composite"
 *   type), and sends the new value of any other column.  For example an
 *   optional integer going from 1 to 2 is sent as the diff 2, and going
 *   from 2 to empty as the diff ["set", []].
 * - A set of one element computed here is written as a bare atom, as
 *   ovsdb-server writes it; other sets as ["set", [...]]; maps always as
 *   ["map", [...]], with their pairs sorted by key.
 * - A column's default value is what ovsdb-server takes as the default:
 *   "min" default atoms (or key/value pairs).  So a scalar's default is
 *   the default atom, a column with "min" 0 defaults to the empty set or
 *   map, and a set with "min" 1 and "max" > 1 to a set of one default
 *   atom.
 */
#include "datum.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-error.h"
#include "schema.h"

static const char zero_uuid[] = "00000000-0000-0000-0000-000000000000";

static void *
xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        abort();
    }
    return p;
}

static json_t *
checked(json_t *json)
{
    if (!json) {
        abort();
    }
    return json;
}

static json_t *
tagged_pair(const char *tag, json_t *value)
{
    json_t *pair = checked(json_array());
    json_array_append_new(pair, checked(json_string(tag)));
    json_array_append_new(pair, value);
    return pair;
}

json_t *
ovsdb_uuid(const char *uuid)
{
    return tagged_pair("uuid", checked(json_string(uuid)));
}

json_t *
ovsdb_named_uuid(const char *name)
{
    return tagged_pair("named-uuid", checked(json_string(name)));
}

/* If 'json' is [TAG, X] with string TAG, returns TAG, else NULL. */
static const char *
pair_tag(const json_t *json)
{
    if (json_is_array(json) && json_array_size(json) == 2) {
        return json_string_value(json_array_get(json, 0));
    }
    return NULL;
}

const char *
ovsdb_atom_uuid(const json_t *atom)
{
    const char *tag = pair_tag(atom);
    return tag && !strcmp(tag, "uuid")
               ? json_string_value(json_array_get(atom, 1))
               : NULL;
}

json_t *
ovsdb_set(json_t *elements)
{
    if (!elements) {
        elements = checked(json_array());
    } else if (!json_is_array(elements)) {
        json_decref(elements);
        return NULL;
    }
    return tagged_pair("set", elements);
}

json_t *
ovsdb_map(json_t *pairs)
{
    if (!pairs) {
        pairs = checked(json_array());
    } else if (!json_is_array(pairs)) {
        json_decref(pairs);
        return NULL;
    }
    return tagged_pair("map", pairs);
}

json_t *
ovsdb_map_from_object(const json_t *object)
{
    json_t *pairs = checked(json_array());
    for (void *it = json_object_iter((json_t *)object); it;
         it = json_object_iter_next((json_t *)object, it)) {
        json_t *pair = checked(json_array());
        json_array_append_new(pair,
                              checked(json_string(json_object_iter_key(it))));
        json_array_append(pair, json_object_iter_value(it));
        json_array_append_new(pairs, pair);
    }
    return ovsdb_map(pairs);
}

/* If 'datum' is ["set", [...]] (when 'tag' is "set") or ["map", [...]]
 * (when 'tag' is "map"), returns the inner array (borrowed), else NULL. */
static json_t *
tagged_array(const json_t *datum, const char *tag)
{
    const char *t = pair_tag(datum);
    if (t && !strcmp(t, tag) && json_is_array(json_array_get(datum, 1))) {
        return json_array_get(datum, 1);
    }
    return NULL;
}

json_t *
ovsdb_set_elements(const json_t *datum)
{
    if (!datum) {
        return checked(json_array());
    }
    json_t *inner = tagged_array(datum, "set");
    if (!inner) {
        inner = tagged_array(datum, "map");
    }
    if (inner) {
        return checked(json_copy(inner));
    }
    json_t *array = checked(json_array());
    json_array_append(array, (json_t *)datum);
    return array;
}

const json_t *
ovsdb_map_get(const json_t *datum, const char *key)
{
    const json_t *pairs = tagged_array(datum, "map");
    for (size_t i = 0; i < json_array_size(pairs); i++) {
        const json_t *pair = json_array_get(pairs, i);
        const char *k = pair_tag(pair);
        if (k && !strcmp(k, key)) {
            return json_array_get(pair, 1);
        }
    }
    return NULL;
}

/* Atoms. */

static const char *
atomic_type_name(enum ovsdb_atomic_type type)
{
    switch (type) {
    case OVSDB_TYPE_INTEGER:
        return "integer";
    case OVSDB_TYPE_REAL:
        return "real";
    case OVSDB_TYPE_BOOLEAN:
        return "boolean";
    case OVSDB_TYPE_STRING:
        return "string";
    case OVSDB_TYPE_UUID:
        return "uuid";
    case OVSDB_TYPE_VOID:
    default:
        return "void";
    }
}

/* Returns true if 's' is a UUID in its 36-character text form. */
static bool
uuid_is_valid(const char *s)
{
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return false;
            }
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                     (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return s[36] == '\0';
}

static bool
atom_is_valid(const json_t *atom, enum ovsdb_atomic_type type)
{
    switch (type) {
    case OVSDB_TYPE_INTEGER:
        return json_is_integer(atom);
    case OVSDB_TYPE_REAL:
        return json_is_number(atom);
    case OVSDB_TYPE_BOOLEAN:
        return json_is_boolean(atom);
    case OVSDB_TYPE_STRING:
        return json_is_string(atom);
    case OVSDB_TYPE_UUID: {
        const char *uuid = ovsdb_atom_uuid(atom);
        return uuid && uuid_is_valid(uuid);
    }
    case OVSDB_TYPE_VOID:
    default:
        return false;
    }
}

static json_t *
default_atom(enum ovsdb_atomic_type type)
{
    switch (type) {
    case OVSDB_TYPE_INTEGER:
        return checked(json_integer(0));
    case OVSDB_TYPE_REAL:
        return checked(json_real(0.0));
    case OVSDB_TYPE_BOOLEAN:
        return checked(json_false());
    case OVSDB_TYPE_STRING:
        return checked(json_string(""));
    case OVSDB_TYPE_UUID:
        return ovsdb_uuid(zero_uuid);
    case OVSDB_TYPE_VOID:
    default:
        return checked(json_null());
    }
}

static int
json_rank(const json_t *json)
{
    switch (json_typeof(json)) {
    case JSON_INTEGER:
    case JSON_REAL:
        return 0;
    case JSON_FALSE:
    case JSON_TRUE:
        return 1;
    case JSON_STRING:
        return 2;
    case JSON_ARRAY:
        return 3;
    case JSON_NULL:
        return 4;
    case JSON_OBJECT:
    default:
        return 5;
    }
}

/* A total order on JSON values, for sorting atoms: numbers by value, false
 * before true, strings bytewise, arrays (such as ["uuid", S]) element by
 * element.  Returns <0, 0 or >0. */
static int
atom_compare(const json_t *a, const json_t *b)
{
    int ra = json_rank(a);
    int rb = json_rank(b);
    if (ra != rb) {
        return ra < rb ? -1 : 1;
    }
    switch (ra) {
    case 0:
        if (json_is_integer(a) && json_is_integer(b)) {
            json_int_t x = json_integer_value(a);
            json_int_t y = json_integer_value(b);
            return x < y ? -1 : x > y;
        } else {
            double x = json_number_value(a);
            double y = json_number_value(b);
            return x < y ? -1 : x > y;
        }
    case 1:
        return json_is_true(a) - json_is_true(b);
    case 2: {
        size_t la = json_string_length(a);
        size_t lb = json_string_length(b);
        int c = memcmp(json_string_value(a), json_string_value(b),
                       la < lb ? la : lb);
        return c ? c : (la < lb ? -1 : la > lb);
    }
    case 3: {
        size_t la = json_array_size(a);
        size_t lb = json_array_size(b);
        for (size_t i = 0; i < la && i < lb; i++) {
            int c = atom_compare(json_array_get(a, i), json_array_get(b, i));
            if (c) {
                return c;
            }
        }
        return la < lb ? -1 : la > lb;
    }
    case 4:
        return 0;
    default: {
        /* Objects are never atoms; order them by their text so that the
         * order stays total. */
        if (json_equal((json_t *)a, (json_t *)b)) {
            return 0;
        }
        size_t flags = JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY;
        char *sa = json_dumps(a, flags);
        char *sb = json_dumps(b, flags);
        int c = strcmp(sa ? sa : "", sb ? sb : "");
        free(sa);
        free(sb);
        return c;
    }
    }
}

/* Sets and maps as sorted arrays of borrowed elements. */

struct elems {
    json_t **v; /* Atoms of a set, or [key, value] pairs of a map. */
    size_t n;
};

static int
compare_atom_ptrs(const void *a, const void *b)
{
    return atom_compare(*(json_t *const *)a, *(json_t *const *)b);
}

static int
compare_pair_keys(const void *a, const void *b)
{
    return atom_compare(json_array_get(*(json_t *const *)a, 0),
                        json_array_get(*(json_t *const *)b, 0));
}

/* Fills 'e' with the elements of 'array' (borrowed) and sorts them, by
 * key when 'map'. */
static void
elems_from_array(struct elems *e, const json_t *array, bool map)
{
    e->n = json_array_size(array);
    e->v = xmalloc(e->n * sizeof *e->v);
    for (size_t i = 0; i < e->n; i++) {
        e->v[i] = json_array_get(array, i);
    }
    qsort(e->v, e->n, sizeof *e->v,
          map ? compare_pair_keys : compare_atom_ptrs);
}

static void
elems_destroy(struct elems *e)
{
    free(e->v);
}

static int
elems_key_compare(const struct elems *a, size_t i, const struct elems *b,
                  size_t j, bool map)
{
    return map ? compare_pair_keys(&a->v[i], &b->v[j])
               : compare_atom_ptrs(&a->v[i], &b->v[j]);
}

/* Reads 'datum' (borrowed), a value or a diff ('what') of 'column', into
 * sorted 'e', checking its form, the types of its atoms and that its
 * elements (keys, for a map) are distinct.  Does not check the number of
 * elements. */
static int
elems_from_datum(const struct ovsdb_column *column, const json_t *datum,
                 const char *what, struct elems *e,
                 struct ovsdb_error **errorp)
{
    bool map = ovsdb_column_is_map(column);
    const char *kind = map ? "map key" : "element";
    const char *a_kind = map ? "a map key" : "an element";

    if (map) {
        const json_t *pairs = tagged_array(datum, "map");
        if (!pairs) {
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "The %s for column \"%s\" is not "
                                        "a map.",
                                        what, column->name));
        }
        for (size_t i = 0; i < json_array_size(pairs); i++) {
            const json_t *pair = json_array_get(pairs, i);
            if (!json_is_array(pair) || json_array_size(pair) != 2) {
                return ovsdb_error_set(
                    errorp, ovsdb_error_new(-EPROTO, NULL,
                                            "The %s for column \"%s\" has a "
                                            "map entry that is not a "
                                            "[key, value] pair.",
                                            what, column->name));
            }
            if (!atom_is_valid(json_array_get(pair, 1), column->value_type)) {
                return ovsdb_error_set(
                    errorp,
                    ovsdb_error_new(-EPROTO, NULL,
                                    "The %s for column \"%s\" has a "
                                    "map value that is not of type "
                                    "%s.",
                                    what, column->name,
                                    atomic_type_name(column->value_type)));
            }
        }
        elems_from_array(e, pairs, true);
    } else {
        const json_t *atoms = tagged_array(datum, "set");
        if (atoms) {
            elems_from_array(e, atoms, false);
        } else {
            e->n = 1;
            e->v = xmalloc(sizeof *e->v);
            e->v[0] = (json_t *)datum;
        }
    }

    for (size_t i = 0; i < e->n; i++) {
        const json_t *atom = map ? json_array_get(e->v[i], 0) : e->v[i];
        if (!atom_is_valid(atom, column->key_type)) {
            elems_destroy(e);
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "The %s for column \"%s\" has %s "
                                        "that is not of type %s.",
                                        what, column->name, a_kind,
                                        atomic_type_name(column->key_type)));
        }
        if (i && !elems_key_compare(e, i - 1, e, i, map)) {
            elems_destroy(e);
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EPROTO, NULL,
                                        "The %s for column \"%s\" has a "
                                        "duplicate %s.",
                                        what, column->name, kind));
        }
    }
    return 0;
}

/* Checks that 'n' elements fit 'column'. */
static int
check_count(const struct ovsdb_column *column, size_t n, const char *what,
            struct ovsdb_error **errorp)
{
    if (n < column->min) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EPROTO, NULL,
                                    "The %s for column \"%s\" has %zu "
                                    "elements, fewer than the column's "
                                    "minimum of %u.",
                                    what, column->name, n, column->min));
    }
    if (n > column->max) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EPROTO, NULL,
                                    "The %s for column \"%s\" has %zu "
                                    "elements, more than the column's "
                                    "maximum of %u.",
                                    what, column->name, n, column->max));
    }
    return 0;
}

int
ovsdb_datum_check(const struct ovsdb_column *column, const json_t *datum,
                  struct ovsdb_error **errorp)
{
    struct elems e;
    int error = elems_from_datum(column, datum, "value", &e, errorp);
    if (!error) {
        error = check_count(column, e.n, "value", errorp);
        elems_destroy(&e);
    }
    return error;
}

/* Equality. */

enum shape { SHAPE_SET, SHAPE_MAP, SHAPE_OTHER };

/* Classifies 'datum' and, for a set or map, fills sorted 'e'.  An atom is
 * a set of one; a "map" whose entries are not all pairs is "other". */
static enum shape
shape_of(const json_t *datum, struct elems *e)
{
    const json_t *inner = tagged_array(datum, "map");
    if (inner) {
        for (size_t i = 0; i < json_array_size(inner); i++) {
            const json_t *pair = json_array_get(inner, i);
            if (!json_is_array(pair) || json_array_size(pair) != 2) {
                return SHAPE_OTHER;
            }
        }
        elems_from_array(e, inner, true);
        return SHAPE_MAP;
    }
    inner = tagged_array(datum, "set");
    if (inner) {
        elems_from_array(e, inner, false);
        return SHAPE_SET;
    }
    if (json_is_object(datum)) {
        return SHAPE_OTHER;
    }
    e->n = 1;
    e->v = xmalloc(sizeof *e->v);
    e->v[0] = (json_t *)datum;
    return SHAPE_SET;
}

bool
ovsdb_datum_equal(const json_t *a, const json_t *b)
{
    if (!a || !b) {
        return a == b;
    }
    if (a == b) {
        return true;
    }

    struct elems ea = {NULL, 0};
    struct elems eb = {NULL, 0};
    enum shape sa = shape_of(a, &ea);
    enum shape sb = shape_of(b, &eb);
    bool equal;
    if (sa == SHAPE_OTHER || sb == SHAPE_OTHER) {
        equal = json_equal((json_t *)a, (json_t *)b);
    } else if (sa != sb || ea.n != eb.n) {
        equal = false;
    } else {
        equal = true;
        for (size_t i = 0; equal && i < ea.n; i++) {
            equal = !atom_compare(ea.v[i], eb.v[i]);
        }
    }
    elems_destroy(&ea);
    elems_destroy(&eb);
    return equal;
}

/* Diffs. */

/* Returns a new datum of 'column' made of the 'n' elements of 'v'
 * (borrowed). */
static json_t *
datum_from_elems(const struct ovsdb_column *column, json_t **v, size_t n)
{
    if (!ovsdb_column_is_map(column) && n == 1) {
        return json_incref(v[0]);
    }
    json_t *array = checked(json_array());
    for (size_t i = 0; i < n; i++) {
        json_array_append(array, v[i]);
    }
    return ovsdb_column_is_map(column) ? ovsdb_map(array) : ovsdb_set(array);
}

int
ovsdb_datum_apply_diff(const struct ovsdb_column *column, const json_t *old,
                       const json_t *diff, json_t **newp,
                       struct ovsdb_error **errorp)
{
    if (column->max <= 1) {
        /* Not a composite type: the diff is the new value. */
        int error = ovsdb_datum_check(column, diff, errorp);
        if (!error) {
            *newp = json_incref((json_t *)diff);
        }
        return error;
    }

    json_t *def = old ? NULL : ovsdb_datum_default(column);
    bool map = ovsdb_column_is_map(column);
    struct elems eo, ed;
    int error =
        elems_from_datum(column, old ? old : def, "old value", &eo, errorp);
    if (error) {
        json_decref(def);
        return error;
    }
    error = elems_from_datum(column, diff, "diff", &ed, errorp);
    if (error) {
        elems_destroy(&eo);
        json_decref(def);
        return error;
    }

    /* Merge the two sorted arrays: an element (key) in only one of them is
     * kept; one in both is removed, unless it is a map key whose value
     * differs, which takes the diff's pair. */
    json_t **v = xmalloc((eo.n + ed.n) * sizeof *v);
    size_t n = 0;
    size_t i = 0, j = 0;
    while (i < eo.n || j < ed.n) {
        int c = (i == eo.n   ? 1
                 : j == ed.n ? -1
                             : elems_key_compare(&eo, i, &ed, j, map));
        if (c < 0) {
            v[n++] = eo.v[i++];
        } else if (c > 0) {
            v[n++] = ed.v[j++];
        } else {
            if (map && atom_compare(json_array_get(eo.v[i], 1),
                                    json_array_get(ed.v[j], 1))) {
                v[n++] = ed.v[j];
            }
            i++;
            j++;
        }
    }

    error = check_count(column, n, "result of applying the diff", errorp);
    if (!error) {
        *newp = datum_from_elems(column, v, n);
    }
    free(v);
    elems_destroy(&eo);
    elems_destroy(&ed);
    json_decref(def);
    return error;
}

json_t *
ovsdb_datum_default(const struct ovsdb_column *column)
{
    if (ovsdb_column_is_map(column)) {
        json_t *pairs = checked(json_array());
        for (unsigned int i = 0; i < column->min; i++) {
            json_t *pair = checked(json_array());
            json_array_append_new(pair, default_atom(column->key_type));
            json_array_append_new(pair, default_atom(column->value_type));
            json_array_append_new(pairs, pair);
        }
        return ovsdb_map(pairs);
    }
    return column->min ? default_atom(column->key_type)
                       : ovsdb_set(json_array());
}
