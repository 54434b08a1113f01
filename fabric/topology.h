/* topology: topology files (YAML or JSON) to a model, and back.
 *
 * A user describes a lab in one file (docs/topology.md documents every
 * field); topology_load_*() turn it into a 'struct fabric_model' (model.h)
 * that the rest of the system works from, and topology_write_yaml() turns a
 * model, for example one read back from the fabric DB, into a file again.
 *
 * Rules of this module:
 * - Loading is all or nothing.  A model comes out only when the file is
 *   entirely valid, and then it is complete: defaults are filled in,
 *   references are resolved to indexes, arrays are sorted by name.  The
 *   same file always gives the same model: every default (VLANs, VNIs,
 *   MACs, MTUs, interface names) is derived from names, never from time,
 *   randomness or the order of a hash table.
 * - When a file is not valid, every problem found is reported, not just the
 *   first, each as one line "FILE:LINE:COLUMN: sentence naming the object",
 *   sorted by position.  LINE and COLUMN are 1-based and point at the
 *   offending key or value, or at the start of the object for a missing
 *   field.  Each kind of message is written in one place
 *   (topology-msg.c), so a user can grep the sources for it.
 * - YAML and JSON go through the same parser (JSON is YAML flow syntax), so
 *   the same lab written in either gives the same model.
 * - topology_write_yaml() writes every field explicitly, defaults included,
 *   so that what it writes loads back to an identical model and writing
 *   that model again gives identical text.
 * - Out-parameters are written only on success.
 */
#ifndef FABRIC_TOPOLOGY_H
#define FABRIC_TOPOLOGY_H 1

#include <stddef.h>
#include <stdio.h>

struct fabric_model;

/* Diagnostics of a failed load, one "FILE:LINE:COLUMN: message" per line
 * (without a trailing new-line), in the order of their positions. */
struct topology_errors {
    char **lines;
    size_t n;
};

/* Frees the lines of 'errors' and empties it.  Accepts NULL. */
void topology_errors_clear(struct topology_errors *errors);

/* Loads the YAML or JSON topology of 'len' bytes at 'data' ('name' is the
 * file name used in messages).  On success returns 0 and stores in '*modelp'
 * a new model, which the caller frees with fabric_model_destroy().  On
 * failure returns -EINVAL, leaves '*modelp' untouched and, if 'errors' is
 * nonnull, appends every problem found to it. */
int topology_load_buffer(const char *name, const char *data, size_t len,
                         struct fabric_model **modelp,
                         struct topology_errors *errors);

/* Like topology_load_buffer() for the file at 'path'.  A file that cannot
 * be read gives one error "PATH: cannot read: REASON" and its negative
 * errno as return value. */
int topology_load_file(const char *path, struct fabric_model **modelp,
                       struct topology_errors *errors);

/* Writes 'model', which must be valid (as topology_load_*() make them), to
 * 'out' as a YAML topology that loads back to an identical model.  Returns
 * 0, or a negative errno if writing to 'out' failed. */
int topology_write_yaml(const struct fabric_model *model, FILE *out);

#endif /* topology.h */
