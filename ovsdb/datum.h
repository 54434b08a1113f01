/* datum: OVSDB values in their RFC 7047 JSON form.
 *
 *   atom:  1, 2.5, true, "s", ["uuid", "…"], ["named-uuid", "…"]
 *   set:   an atom (a set of one), or ["set", [atom, …]]
 *   map:   ["map", [[key, value], …]]
 *
 * Rules of this module:
 * - Pure functions on json_t.  Ownership is stated on each function.
 * - ovsdb_datum_apply_diff() implements the "modify" of update2
 *   notifications (RFC 7047 as extended by OVS, ovsdb-server(7)): for a
 *   set, the diff's elements are toggled (added if absent, removed if
 *   present); for a map, a key absent from the old value is added, a key
 *   present with the same value is removed, a key present with another
 *   value takes the new value; any other column takes the diff as its new
 *   value.  Only columns whose "max" is greater than 1 count as sets or
 *   maps here: ovsdb-server sends the new value of a column whose "max"
 *   is 1, so an optional scalar (min 0, max 1) takes the diff as its new
 *   value too (1 -> 2 arrives as 2, 2 -> empty as ["set", []]).
 */
#ifndef OVSDB_DATUM_H
#define OVSDB_DATUM_H 1

#include <jansson.h>
#include <stdbool.h>

struct ovsdb_column;
struct ovsdb_error;

/* Returns a new ["uuid", UUID] / ["named-uuid", NAME]. */
json_t *ovsdb_uuid(const char *uuid);
json_t *ovsdb_named_uuid(const char *name);

/* If 'atom' is ["uuid", S], returns S (borrowed), else NULL. */
const char *ovsdb_atom_uuid(const json_t *atom);

/* Returns a new ["set", elements]; 'elements' (an array) is stolen. */
json_t *ovsdb_set(json_t *elements);
/* Returns a new ["map", pairs]; 'pairs' (array of [k, v]) is stolen. */
json_t *ovsdb_map(json_t *pairs);
/* Returns a new map datum from a JSON object of string keys and string
 * values ('object' borrowed). */
json_t *ovsdb_map_from_object(const json_t *object);

/* Returns a new array holding the elements of set datum 'datum'
 * (borrowed): an atom gives one element, ["set", […]] its elements. */
json_t *ovsdb_set_elements(const json_t *datum);

/* If 'datum' is a map with string key 'key', returns its value (borrowed),
 * else NULL. */
const json_t *ovsdb_map_get(const json_t *datum, const char *key);

/* Returns true if 'a' and 'b' are the same datum (sets and maps compared
 * without regard to order). */
bool ovsdb_datum_equal(const json_t *a, const json_t *b);

/* Applies update2 'diff' (borrowed) to 'old' (borrowed, may be NULL for
 * the column's default) for 'column'.  Returns 0 and a new reference in
 * '*newp', or -EPROTO with '*errorp' set when the diff does not fit the
 * column's type. */
int ovsdb_datum_apply_diff(const struct ovsdb_column *column,
                           const json_t *old, const json_t *diff,
                           json_t **newp, struct ovsdb_error **errorp);

/* Checks that 'datum' (borrowed) is a value of 'column''s type: atoms of
 * the column's types, distinct set elements or map keys, and between the
 * column's "min" and "max" elements.  Returns 0, or -EPROTO with '*errorp'
 * set (the message names the column). */
int ovsdb_datum_check(const struct ovsdb_column *column, const json_t *datum,
                      struct ovsdb_error **errorp);

/* Returns a new reference to the default value of 'column': 0, 0.0,
 * false, "", the all-zero UUID for a scalar; an empty set or map
 * otherwise. */
json_t *ovsdb_datum_default(const struct ovsdb_column *column);

#endif /* datum.h */
