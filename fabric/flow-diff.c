/* flow-diff: see flow-diff.h.
 *
 * Both texts are cut into flows, each sorted by its key, then merged:
 * O(N log N) for N flows. */
#include "flow-diff.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ovsdb-error.h"

struct flow {
    char *key;        /* The line without cookie and actions. */
    const char *line; /* The whole line, 'len' bytes. */
    size_t len;
    const char *cookie; /* The cookie field's value, 'cookie_len' bytes. */
    size_t cookie_len;
    const char *actions; /* After "actions=", to the end of the line. */
    size_t index;        /* Order in its text. */
};

struct flows {
    struct flow *v;
    size_t n;
};

static void
flows_clear(struct flows *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->v[i].key);
    }
    free(fs->v);
}

static bool
starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && !memcmp(s, prefix, n);
}

/* Reads the flow of line 'line' ('len' bytes) into 'f'.  Returns false if
 * it is not a flow. */
static bool
parse_flow(const char *line, size_t len, struct flow *f)
{
    const char *actions = NULL;
    for (size_t i = 0; i + 8 <= len; i++) {
        if (!memcmp(line + i, "actions=", 8) && (!i || line[i - 1] == ',')) {
            actions = line + i;
            break;
        }
    }
    if (!actions || !starts_with(line, len, "table=")) {
        return false;
    }
    /* The fields before the actions, but the cookie. */
    size_t head = actions - line;
    f->key = malloc(head + 1);
    size_t k = 0;
    bool priority = false;
    f->cookie = "";
    f->cookie_len = 0;
    for (size_t i = 0; i < head;) {
        size_t n = strcspn(line + i, ",");
        if (i + n > head) {
            n = head - i;
        }
        if (starts_with(line + i, n, "cookie=")) {
            f->cookie = line + i + 7;
            f->cookie_len = n - 7;
        } else if (n) {
            priority |= starts_with(line + i, n, "priority=");
            if (k) {
                f->key[k++] = ',';
            }
            memcpy(f->key + k, line + i, n);
            k += n;
        }
        i += n + 1;
    }
    f->key[k] = '\0';
    if (!priority) {
        free(f->key);
        return false;
    }
    f->line = line;
    f->len = len;
    f->actions = actions + 8;
    return true;
}

/* The length of the actions of 'f'. */
static size_t
actions_len(const struct flow *f)
{
    return f->line + f->len - f->actions;
}

static int
compare_keys(const void *a_, const void *b_)
{
    const struct flow *a = a_, *b = b_;
    return strcmp(a->key, b->key);
}

static int
compare_index(const void *a_, const void *b_)
{
    const struct flow *const *a = a_, *const *b = b_;
    return (*a)->index < (*b)->index ? -1 : (*a)->index > (*b)->index;
}

/* Cuts 'text' ('which' names it in errors) into flows sorted by key. */
static int
parse_flows(const char *text, const char *which, struct flows *fs,
            struct ovsdb_error **errorp)
{
    memset(fs, 0, sizeof *fs);
    size_t cap = 0;
    int lineno = 0;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        const char *line = p;
        p += len + (p[len] == '\n');
        lineno++;
        while (len && (line[len - 1] == ' ' || line[len - 1] == '\r')) {
            len--;
        }
        if (!len || line[0] == '#') {
            continue;
        }
        if (fs->n == cap) {
            cap = cap ? cap * 2 : 64;
            fs->v = realloc(fs->v, cap * sizeof *fs->v);
        }
        struct flow *f = &fs->v[fs->n];
        if (!parse_flow(line, len, f)) {
            flows_clear(fs);
            return ovsdb_error_set(
                errorp, ovsdb_error_new(-EINVAL, NULL,
                                        "%s flows, line %d: not a flow with "
                                        "table, priority and actions.",
                                        which, lineno));
        }
        f->index = fs->n++;
    }
    if (fs->n) {
        qsort(fs->v, fs->n, sizeof *fs->v, compare_keys);
    }
    for (size_t i = 1; i < fs->n; i++) {
        if (!strcmp(fs->v[i - 1].key, fs->v[i].key)) {
            int error = ovsdb_error_set(
                errorp, ovsdb_error_new(-EINVAL, NULL,
                                        "%s flows: \"%s\" is given twice.",
                                        which, fs->v[i].key));
            flows_clear(fs);
            return error;
        }
    }
    return 0;
}

/* Writes "COMMAND TEXT\n" for each of the 'n' flows of 'v', in their
 * order in their text; with 'key' the key, else the whole line. */
static void
write_flows(FILE *out, const char *command, struct flow **v, size_t n,
            bool key)
{
    if (n) {
        qsort(v, n, sizeof *v, compare_index);
    }
    for (size_t i = 0; i < n; i++) {
        if (key) {
            fprintf(out, "%s %s\n", command, v[i]->key);
        } else {
            fprintf(out, "%s %.*s\n", command, (int)v[i]->len, v[i]->line);
        }
    }
}

int
flow_diff(const char *old, const char *new, char **diffp,
          struct ovsdb_error **errorp)
{
    *diffp = NULL;
    struct flows a, b;
    int error = parse_flows(old, "old", &a, errorp);
    if (error) {
        return error;
    }
    error = parse_flows(new, "new", &b, errorp);
    if (error) {
        flows_clear(&a);
        return error;
    }

    /* Merge: what goes, what changes, what comes. */
    struct flow **dels = calloc(a.n + 1, sizeof *dels);
    struct flow **mods = calloc(b.n + 1, sizeof *mods);
    struct flow **adds = calloc(b.n + 1, sizeof *adds);
    size_t n_dels = 0, n_mods = 0, n_adds = 0;
    size_t i = 0, j = 0;
    while (i < a.n || j < b.n) {
        int c = i == a.n ? 1 : j == b.n ? -1 : strcmp(a.v[i].key, b.v[j].key);
        if (c < 0) {
            dels[n_dels++] = &a.v[i++];
        } else if (c > 0) {
            adds[n_adds++] = &b.v[j++];
        } else {
            const struct flow *x = &a.v[i++];
            struct flow *y = &b.v[j++];
            if (x->cookie_len != y->cookie_len ||
                memcmp(x->cookie, y->cookie, x->cookie_len)) {
                adds[n_adds++] = y;
            } else if (actions_len(x) != actions_len(y) ||
                       memcmp(x->actions, y->actions, actions_len(x))) {
                mods[n_mods++] = y;
            }
        }
    }

    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    write_flows(out, "delete_strict", dels, n_dels, true);
    write_flows(out, "modify_strict", mods, n_mods, false);
    write_flows(out, "add", adds, n_adds, false);
    fclose(out);
    free(dels);
    free(mods);
    free(adds);
    flows_clear(&a);
    flows_clear(&b);
    *diffp = buf;
    return (int)(n_dels + n_mods + n_adds);
}
