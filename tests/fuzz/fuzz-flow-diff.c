/* fuzz-flow-diff: libFuzzer harness for fabric/flow-diff.h.
 *
 * The input is two flow texts, the old and the new, separated by the
 * first NUL byte (all old when there is none).  flow_diff() either fails
 * with -EINVAL, an error and no diff, or returns N >= 0 and N lines, each
 * a command (add, modify_strict, delete_strict) and a flow; then the way
 * back (new to old) has as many lines, and a text against itself gives
 * none.  Any broken promise aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow-diff.h"
#include "ovsdb-error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int condition)
{
    if (!condition) {
        abort();
    }
}

/* Runs flow_diff(old, new), checks what it promises and returns its
 * result. */
static int
diff(const char *old, const char *new)
{
    char *text = NULL;
    struct ovsdb_error *error = NULL;
    int n = flow_diff(old, new, &text, &error);
    if (n < 0) {
        check(n == -EINVAL && error && !text);
        ovsdb_error_free(error);
        return n;
    }
    check(!error && text);
    int lines = 0;
    for (const char *p = text; *p; lines++) {
        size_t len = strcspn(p, "\n");
        check(p[len] == '\n' && len > 4);
        check(!strncmp(p, "add table=", 10) ||
              !strncmp(p, "modify_strict table=", 20) ||
              !strncmp(p, "delete_strict table=", 20));
        p += len + 1;
    }
    check(lines == n);
    free(text);
    return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 2);
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = '\0';
    const char *old = buf;
    const char *new = buf + strlen(buf) + (strlen(buf) < size ? 1 : 0);
    int n = diff(old, new);
    if (n >= 0) {
        check(diff(new, old) == n);
        check(diff(old, old) == 0);
        check(diff(new, new) == 0);
    }
    free(buf);
    return 0;
}
