/* topology-tree: YAML or JSON text -> a tree of positioned nodes, with
 * libyaml's event API (see topology-private.h).
 *
 * Anchors and aliases are resolved by copying the anchored node, within a
 * budget of TOPO_MAX_ALIAS_NODES copied nodes so that a small file cannot
 * expand into a huge tree; nesting is limited to TOPO_MAX_DEPTH so that
 * recursion stays shallow.  Only the first document of the stream is read;
 * a second one is an error. */
#include "topology-private.h"
#include "xstring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct anchor {
    char *name;
    const struct topo_node *node;
};

struct tree_parser {
    struct topo_ctx *ctx;
    yaml_parser_t parser;
    const char *data;
    size_t len;
    struct anchor *anchors;
    size_t n_anchors;
    size_t copied; /* Nodes copied for aliases so far. */
};

static struct topo_pos
mark_pos(yaml_mark_t mark)
{
    struct topo_pos pos = {(int)mark.line + 1, (int)mark.column + 1};
    return pos;
}

/* Position of byte 'offset' of the input, for reader errors, which have
 * no mark. */
static struct topo_pos
offset_pos(const struct tree_parser *tp, size_t offset)
{
    struct topo_pos pos = {1, 1};
    for (size_t i = 0; i < offset && i < tp->len; i++) {
        if (tp->data[i] == '\n') {
            pos.line++;
            pos.column = 1;
        } else if ((tp->data[i] & 0xc0) != 0x80) {
            pos.column++;
        }
    }
    return pos;
}

/* Reports libyaml's error and returns -EINVAL. */
static int
syntax_error(struct tree_parser *tp)
{
    const yaml_parser_t *p = &tp->parser;
    const char *problem = p->problem ? p->problem : "cannot parse";
    char *text = NULL;

    if (p->error == YAML_READER_ERROR) {
        text = p->problem_value >= 0
                   ? xasprintf("%s (byte 0x%02x)", problem, p->problem_value)
                   : topo_xstrdup(problem);
        topo_msg_syntax(tp->ctx, offset_pos(tp, p->problem_offset), text, NULL,
                        (struct topo_pos){0, 0});
    } else if (p->error == YAML_MEMORY_ERROR) {
        abort();
    } else {
        topo_msg_syntax(tp->ctx, mark_pos(p->problem_mark), problem,
                        p->context, mark_pos(p->context_mark));
    }
    free(text);
    return -EINVAL;
}

static int
next_event(struct tree_parser *tp, yaml_event_t *event)
{
    return yaml_parser_parse(&tp->parser, event) ? 0 : syntax_error(tp);
}

bool
topo_node_is_null(const struct topo_node *node)
{
    if (!node || node->type != TOPO_SCALAR || !node->plain) {
        return false;
    }
    const char *s = node->scalar;
    return (!*s || !strcmp(s, "~") || !strcmp(s, "null") ||
            !strcmp(s, "Null") || !strcmp(s, "NULL"));
}

static struct topo_node *
node_new(enum topo_node_type type, struct topo_pos pos)
{
    struct topo_node *node = topo_xrealloc(NULL, 1, sizeof *node);
    memset(node, 0, sizeof *node);
    node->type = type;
    node->pos = pos;
    return node;
}

void
topo_node_free(struct topo_node *node)
{
    if (node) {
        for (size_t i = 0; i < node->n_kids; i++) {
            topo_node_free(node->kids[i]);
        }
        free(node->kids);
        free(node->scalar);
        free(node);
    }
}

static void
node_add_kid(struct topo_node *node, struct topo_node *kid)
{
    /* Grow by doubling: 'n_kids' is a power of 2 exactly when full. */
    if (!(node->n_kids & (node->n_kids - 1))) {
        node->kids =
            topo_xrealloc(node->kids, node->n_kids ? node->n_kids * 2 : 1,
                          sizeof *node->kids);
    }
    node->kids[node->n_kids++] = kid;
}

/* Returns a deep copy of 'node', or NULL if the alias budget ran out. */
static struct topo_node *
node_copy(struct tree_parser *tp, const struct topo_node *node)
{
    if (++tp->copied > TOPO_MAX_ALIAS_NODES) {
        return NULL;
    }
    struct topo_node *copy = node_new(node->type, node->pos);
    copy->plain = node->plain;
    copy->scalar = node->scalar ? topo_xstrdup(node->scalar) : NULL;
    for (size_t i = 0; i < node->n_kids; i++) {
        struct topo_node *kid = node_copy(tp, node->kids[i]);
        if (!kid) {
            topo_node_free(copy);
            return NULL;
        }
        node_add_kid(copy, kid);
    }
    return copy;
}

static void
add_anchor(struct tree_parser *tp, const yaml_char_t *name,
           const struct topo_node *node)
{
    if (name) {
        tp->anchors =
            topo_grow(tp->anchors, tp->n_anchors, sizeof *tp->anchors);
        tp->anchors[tp->n_anchors].name = topo_xstrdup((const char *)name);
        tp->anchors[tp->n_anchors].node = node;
        tp->n_anchors++;
    }
}

static int parse_node(struct tree_parser *, yaml_event_t *, int depth,
                      struct topo_node **);

/* Parses the items of the sequence or mapping 'node' up to 'end'. */
static int
parse_kids(struct tree_parser *tp, struct topo_node *node,
           yaml_event_type_t end, int depth)
{
    for (;;) {
        yaml_event_t event;
        int error = next_event(tp, &event);
        if (error) {
            return error;
        }
        if (event.type == end) {
            yaml_event_delete(&event);
            return 0;
        }

        struct topo_node *kid;
        error = parse_node(tp, &event, depth + 1, &kid);
        if (error) {
            return error;
        }
        node_add_kid(node, kid);
    }
}

/* Builds the node that starts with 'event', which it consumes. */
static int
parse_node(struct tree_parser *tp, yaml_event_t *event, int depth,
           struct topo_node **nodep)
{
    struct topo_pos pos = mark_pos(event->start_mark);
    struct topo_node *node = NULL;
    const yaml_char_t *anchor = NULL;
    int error = 0;

    *nodep = NULL;
    if (depth > TOPO_MAX_DEPTH) {
        topo_msg_too_deep(tp->ctx, pos);
        yaml_event_delete(event);
        return -EINVAL;
    }

    switch (event->type) {
    case YAML_SCALAR_EVENT: {
        const char *tag = (const char *)event->data.scalar.tag;
        node = node_new(TOPO_SCALAR, pos);
        node->scalar = topo_xstrdup((const char *)event->data.scalar.value);
        node->plain = (event->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                       !(tag && !strcmp(tag, YAML_STR_TAG)));
        if (strlen(node->scalar) != event->data.scalar.length) {
            topo_msg_nul(tp->ctx, pos);
        }
        anchor = event->data.scalar.anchor;
        break;
    }

    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool seq = event->type == YAML_SEQUENCE_START_EVENT;
        node = node_new(seq ? TOPO_SEQ : TOPO_MAP, pos);
        error = parse_kids(
            tp, node, (seq ? YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT),
            depth);
        anchor = (seq ? event->data.sequence_start.anchor
                      : event->data.mapping_start.anchor);
        break;
    }

    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)event->data.alias.anchor;
        const struct topo_node *target = NULL;
        for (size_t i = tp->n_anchors; i-- > 0;) {
            if (!strcmp(tp->anchors[i].name, name)) {
                target = tp->anchors[i].node;
                break;
            }
        }
        if (!target) {
            topo_msg_unknown_anchor(tp->ctx, pos, name);
            error = -EINVAL;
        } else if (!(node = node_copy(tp, target))) {
            topo_msg_alias_budget(tp->ctx, pos);
            error = -EINVAL;
        } else {
            node->pos = pos;
        }
        break;
    }

    default:
        /* libyaml produces no other event inside a document. */
        abort();
    }

    if (error) {
        topo_node_free(node);
    } else {
        add_anchor(tp, anchor, node);
        *nodep = node;
    }
    yaml_event_delete(event);
    return error;
}

/* Parses the stream up to the end of its first document. */
static int
parse_stream(struct tree_parser *tp, struct topo_node **rootp)
{
    yaml_event_t event;
    int error;

    *rootp = NULL;
    if ((error = next_event(tp, &event))) {
        return error;
    }
    /* STREAM-START. */
    yaml_event_delete(&event);
    if ((error = next_event(tp, &event))) {
        return error;
    }
    if (event.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&event);
        return 0;
    }
    /* DOCUMENT-START. */
    yaml_event_delete(&event);

    if ((error = next_event(tp, &event)) ||
        (error = parse_node(tp, &event, 1, rootp))) {
        return error;
    }

    /* DOCUMENT-END, then STREAM-END or another document. */
    if ((error = next_event(tp, &event))) {
        return error;
    }
    yaml_event_delete(&event);
    if ((error = next_event(tp, &event))) {
        return error;
    }
    if (event.type == YAML_DOCUMENT_START_EVENT) {
        topo_msg_second_document(tp->ctx, mark_pos(event.start_mark));
        error = -EINVAL;
    }
    yaml_event_delete(&event);
    return error;
}

int
topo_tree_parse(struct topo_ctx *ctx, const char *data, size_t len,
                struct topo_node **rootp)
{
    struct tree_parser tp = {.ctx = ctx, .data = data, .len = len};
    struct topo_node *root;

    if (!yaml_parser_initialize(&tp.parser)) {
        abort();
    }
    yaml_parser_set_input_string(&tp.parser, (const unsigned char *)data, len);
    int error = parse_stream(&tp, &root);
    yaml_parser_delete(&tp.parser);
    for (size_t i = 0; i < tp.n_anchors; i++) {
        free(tp.anchors[i].name);
    }
    free(tp.anchors);

    if (error) {
        topo_node_free(root);
        return error;
    }
    *rootp = root;
    return 0;
}
