/* golden: see golden.h. */
#include "golden.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void
golden_check_in(const char *source_dir, const char *name, const char *actual)
{
    char *path;
    assert_true(asprintf(&path, "%s/tests/golden/%s", source_dir, name) > 0);
    const char *regen = getenv("FABRIC_REGEN_GOLDEN");
    if (regen && !strcmp(regen, "1")) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(actual, f);
        assert_int_equal(fclose(f), 0);
        free(path);
        return;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        fail_msg("Cannot open %s (FABRIC_REGEN_GOLDEN=1 makes it).", path);
    }
    char *expected = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&expected, &cap, '\0', f);
    fclose(f);
    if (n < 0 || strcmp(expected, actual)) {
        fprintf(stderr, "--- %s\n%s--- actual\n%s---\n", path,
                expected ? expected : "", actual);
        fail_msg("Output differs from %s.", path);
    }
    free(expected);
    free(path);
}
