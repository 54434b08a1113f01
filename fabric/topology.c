/* topology: see topology.h for the rules, topology-private.h for how the
 * loading stages fit together. */
#include "topology.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "topology-private.h"
#include "xstring.h"

void
topology_errors_clear(struct topology_errors *errors)
{
    if (errors) {
        for (size_t i = 0; i < errors->n; i++) {
            free(errors->lines[i]);
        }
        free(errors->lines);
        errors->lines = NULL;
        errors->n = 0;
    }
}

static void
errors_append(struct topology_errors *errors, char *line)
{
    errors->lines =
        topo_xrealloc(errors->lines, errors->n + 1, sizeof *errors->lines);
    errors->lines[errors->n++] = line;
}

void
topo_ctx_init(struct topo_ctx *ctx, const char *file)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->file = file;
}

void
topo_ctx_destroy(struct topo_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_diags; i++) {
        free(ctx->diags[i].text);
    }
    free(ctx->diags);
    memset(ctx, 0, sizeof *ctx);
}

void
topo_ctx_add(struct topo_ctx *ctx, struct topo_pos pos, const char *fmt, ...)
{
    va_list args;
    char *msg;

    va_start(args, fmt);
    if (vasprintf(&msg, fmt, args) < 0) {
        abort();
    }
    va_end(args);

    if (ctx->n_diags == ctx->allocated) {
        ctx->allocated = ctx->allocated ? ctx->allocated * 2 : 8;
        ctx->diags =
            topo_xrealloc(ctx->diags, ctx->allocated, sizeof *ctx->diags);
    }
    struct topo_diag *diag = &ctx->diags[ctx->n_diags];
    diag->pos = pos;
    diag->seq = ctx->n_diags++;
    diag->text =
        xasprintf("%s:%d:%d: %s", ctx->file, pos.line, pos.column, msg);
    free(msg);
}

static int
compare_diags(const void *a_, const void *b_)
{
    const struct topo_diag *a = a_, *b = b_;

    if (a->pos.line != b->pos.line) {
        return a->pos.line < b->pos.line ? -1 : 1;
    }
    if (a->pos.column != b->pos.column) {
        return a->pos.column < b->pos.column ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Moves the diagnostics of 'ctx', sorted by position, to 'errors' (which
 * may be NULL to drop them). */
static void
move_diags(struct topo_ctx *ctx, struct topology_errors *errors)
{
    if (ctx->n_diags) {
        qsort(ctx->diags, ctx->n_diags, sizeof *ctx->diags, compare_diags);
    }
    for (size_t i = 0; i < ctx->n_diags; i++) {
        if (errors) {
            errors_append(errors, ctx->diags[i].text);
        } else {
            free(ctx->diags[i].text);
        }
    }
    ctx->n_diags = 0;
}

int
topology_load_buffer(const char *name, const char *data, size_t len,
                     struct fabric_model **modelp,
                     struct topology_errors *errors)
{
    struct fabric_model *model = NULL;
    struct topo_node *root = NULL;
    struct topo_ctx ctx;

    topo_ctx_init(&ctx, name);
    if (!topo_tree_parse(&ctx, data, len, &root)) {
        if (!root || topo_node_is_null(root)) {
            topo_msg_empty(&ctx);
        } else if (root->type != TOPO_MAP) {
            topo_msg_top_type(&ctx, root);
        } else {
            struct ld_topology topo;
            topo_parse(&ctx, root, &topo);
            topo_check(&ctx, &topo);
            if (!ctx.n_diags) {
                model = topo_build(&ctx, &topo);
            }
            topo_ld_destroy(&topo);
        }
    }
    topo_node_free(root);

    int retval = 0;
    if (ctx.n_diags) {
        fabric_model_destroy(model);
        move_diags(&ctx, errors);
        retval = -EINVAL;
    } else {
        *modelp = model;
    }
    topo_ctx_destroy(&ctx);
    return retval;
}

int
topology_load_file(const char *path, struct fabric_model **modelp,
                   struct topology_errors *errors)
{
    size_t len = 0, allocated = 4096;
    char *data = NULL;
    int error = 0;

    FILE *f = fopen(path, "rb");
    if (!f) {
        error = errno;
        goto cleanup;
    }
    data = topo_xrealloc(NULL, allocated, 1);
    for (;;) {
        size_t n = fread(data + len, 1, allocated - len, f);
        len += n;
        if (len < allocated) {
            if (ferror(f)) {
                error = errno ? errno : EIO;
                goto cleanup;
            }
            break;
        }
        allocated *= 2;
        data = topo_xrealloc(data, allocated, 1);
    }

cleanup:
    if (f) {
        fclose(f);
    }
    int retval;
    if (error) {
        if (errors) {
            errors_append(errors, xasprintf("%s: cannot read: %s", path,
                                            strerror(error)));
        }
        retval = -error;
    } else {
        retval = topology_load_buffer(path, data, len, modelp, errors);
    }
    free(data);
    return retval;
}
