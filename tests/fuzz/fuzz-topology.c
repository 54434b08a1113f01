/* fuzz-topology: libFuzzer harness for the topology loader and writer.
 *
 * The input is loaded as a topology file.  When it does not load, the load
 * must have failed with -EINVAL, left the model alone, and reported at
 * least one error, each a single line "fuzz.yaml:LINE:COLUMN: ..." in
 * order of position.  When it loads, the model is written as YAML, which
 * must load again, and writing that second model must give the same text:
 * the export of any model the loader accepts round-trips.  Any broken
 * promise aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.yaml"

static void
check(int condition)
{
    if (!condition) {
        abort();
    }
}

/* Returns what topology_write_yaml() writes for 'model', as a new
 * string. */
static char *
write_yaml(const struct fabric_model *model)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    check(f != NULL);
    check(topology_write_yaml(model, f) == 0);
    check(fclose(f) == 0);
    check(strlen(text) == len);
    return text;
}

/* Checks the form and order of the lines of 'errors'. */
static void
check_errors(const struct topology_errors *errors)
{
    long last_line = 0, last_column = 0;

    check(errors->n > 0);
    for (size_t i = 0; i < errors->n; i++) {
        const char *s = errors->lines[i];
        char *end;

        check(!strncmp(s, NAME ":", strlen(NAME ":")));
        check(strchr(s, '\n') == NULL);
        s += strlen(NAME ":");
        long line = strtol(s, &end, 10);
        check(end != s && *end == ':' && line >= 1);
        s = end + 1;
        long column = strtol(s, &end, 10);
        check(end != s && !strncmp(end, ": ", 2) && column >= 1);
        check(end[2] != '\0');
        check(line > last_line
              || (line == last_line && column >= last_column));
        last_line = line;
        last_column = column;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct topology_errors errors = {0};
    struct fabric_model *sentinel = (struct fabric_model *) &errors;
    struct fabric_model *model = sentinel;

    int retval = topology_load_buffer(NAME, (const char *) data, size, &model,
                                      &errors);
    if (retval) {
        check(retval == -EINVAL);
        check(model == sentinel);
        check_errors(&errors);
        topology_errors_clear(&errors);
        return 0;
    }
    check(errors.n == 0 && model != sentinel && model != NULL);

    char *text = write_yaml(model);
    struct fabric_model *again = NULL;
    retval = topology_load_buffer(NAME, text, strlen(text), &again, &errors);
    if (retval) {
        for (size_t i = 0; i < errors.n; i++) {
            fprintf(stderr, "%s\n", errors.lines[i]);
        }
        fprintf(stderr, "--- written:\n%s", text);
        abort();
    }
    char *text2 = write_yaml(again);
    if (strcmp(text, text2)) {
        fprintf(stderr, "--- first:\n%s--- second:\n%s", text, text2);
        abort();
    }

    free(text2);
    free(text);
    fabric_model_destroy(again);
    fabric_model_destroy(model);
    return 0;
}
