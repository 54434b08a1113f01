/* fuzz-topology: libFuzzer harness for the topology loader and writer.
 *
 * The input is loaded as a topology file.  When it does not load, the load
 * must have failed with -EINVAL, left the model alone, and reported at
 * least one error, each a single line "fuzz.yaml:LINE:COLUMN: ..." in
 * order of position.  When it loads, the model is written as YAML, which
 * must load again, and writing that second model must give the same text:
 * the export of any model the loader accepts round-trips.
 *
 * An input that starts with a NUL byte (which no YAML or JSON file may
 * contain) tests the writer's quoting instead: the rest of the input, if it
 * is valid UTF-8 without NUL, becomes a string put in every kind of place a
 * model holds free text (a lab's external_ids key and value, a guest's
 * image and user_data), and the written model must load back with exactly
 * that string in each place.  Any broken promise aborts. */
#include <errno.h>
#include <stdbool.h>
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
        check(line > last_line ||
              (line == last_line && column >= last_column));
        last_line = line;
        last_column = column;
    }
}

/* True if the 'size' bytes at 's' are valid UTF-8 without NUL. */
static bool
valid_utf8(const uint8_t *s, size_t size)
{
    for (size_t i = 0; i < size;) {
        uint32_t c = s[i];
        size_t len = (c < 0x80             ? 1
                      : (c & 0xe0) == 0xc0 ? 2
                      : (c & 0xf0) == 0xe0 ? 3
                      : (c & 0xf8) == 0xf0 ? 4
                                           : 0);
        if (!c || !len || i + len > size) {
            return false;
        }
        if (len > 1) {
            c &= 0x3f >> (len - 1);
            for (size_t k = 1; k < len; k++) {
                if ((s[i + k] & 0xc0) != 0x80) {
                    return false;
                }
                c = (c << 6) | (s[i + k] & 0x3f);
            }
            if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
                (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
                (c >= 0xd800 && c <= 0xdfff)) {
                return false;
            }
        }
        i += len;
    }
    return true;
}

static const char base_lab[] =
    "name: lab\n"
    "networks: [{name: n, subnet: 10.0.0.0/24}]\n"
    "guests: [{name: g, kind: vm, interfaces: [{network: n}]}]\n";

/* Puts the string 'data' in the free-text fields of a model and checks
 * that it survives writing and loading. */
static void
check_string(const uint8_t *data, size_t size)
{
    if (!valid_utf8(data, size)) {
        return;
    }
    char *s = strndup((const char *)data, size);
    struct fabric_model *model = NULL;
    check(topology_load_buffer("base.yaml", base_lab, strlen(base_lab), &model,
                               NULL) == 0);
    fabric_smap_add(&model->networks[0].external_ids, s, s);
    model->guests[0].vm.image = strdup(s);
    model->guests[0].vm.user_data = strdup(s);

    char *text = write_yaml(model);
    struct fabric_model *again = NULL;
    struct topology_errors errors = {0};
    if (topology_load_buffer(NAME, text, strlen(text), &again, &errors)) {
        for (size_t i = 0; i < errors.n; i++) {
            fprintf(stderr, "%s\n", errors.lines[i]);
        }
        fprintf(stderr, "--- written:\n%s", text);
        abort();
    }
    const struct fabric_smap *ids = &again->networks[0].external_ids;
    check(ids->n == 1);
    check(!strcmp(ids->keys[0], s) && !strcmp(ids->values[0], s));
    check(!strcmp(again->guests[0].vm.image, s));
    check(!strcmp(again->guests[0].vm.user_data, s));
    char *text2 = write_yaml(again);
    check(!strcmp(text, text2));

    free(text2);
    free(text);
    fabric_model_destroy(again);
    fabric_model_destroy(model);
    free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size && !data[0]) {
        check_string(data + 1, size - 1);
        return 0;
    }

    struct topology_errors errors = {0};
    struct fabric_model *sentinel = (struct fabric_model *)&errors;
    struct fabric_model *model = sentinel;

    int retval =
        topology_load_buffer(NAME, (const char *)data, size, &model, &errors);
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
