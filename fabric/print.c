/* print: see print.h. */
#include "print.h"

#include <stdarg.h>
#include <stdlib.h>

#define PRINT_MAX_DEPTH 16

static struct {
    bool json;
    FILE *out;
    json_t *stack[PRINT_MAX_DEPTH]; /* JSON containers being built. */
    int depth;
} p;

void
print_begin(bool json, FILE *out)
{
    p.json = json;
    p.out = out ? out : stdout;
    p.depth = 0;
    if (json) {
        p.stack[p.depth++] = json_object();
    }
}

void
print_end(void)
{
    if (p.json && p.depth > 0) {
        json_dumpf(p.stack[0], p.out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', p.out);
        json_decref(p.stack[0]);
        p.depth = 0;
    }
    fflush(p.out);
}

bool
print_is_json(void)
{
    return p.json;
}

/* Adds 'value' (stolen) to the innermost container. */
static void
add(const char *key, json_t *value)
{
    json_t *top = p.depth ? p.stack[p.depth - 1] : NULL;
    if (json_is_array(top)) {
        json_array_append_new(top, value);
    } else if (json_is_object(top) && key) {
        json_object_set_new(top, key, value);
    } else {
        json_decref(value);
    }
}

static void
open_container(const char *key, json_t *container)
{
    if (!p.json || p.depth >= PRINT_MAX_DEPTH) {
        json_decref(container);
        return;
    }
    add(key, json_incref(container));
    p.stack[p.depth++] = container;
}

void
print_open_object(const char *key)
{
    open_container(key, json_object());
}

void
print_open_list(const char *key)
{
    open_container(key, json_array());
}

void
print_close(void)
{
    if (p.json && p.depth > 1) {
        json_decref(p.stack[--p.depth]);
    }
}

void
print_string(const char *key, const char *fmt, const char *value)
{
    if (p.json) {
        add(key, value ? json_string(value) : json_null());
    } else if (fmt) {
        fprintf(p.out, fmt, value ? value : "-");
    }
}

void
print_int(const char *key, const char *fmt, long long value)
{
    if (p.json) {
        add(key, json_integer(value));
    } else if (fmt) {
        fprintf(p.out, fmt, value);
    }
}

void
print_bool(const char *key, const char *fmt, bool value)
{
    if (p.json) {
        add(key, json_boolean(value));
    } else if (fmt) {
        fprintf(p.out, fmt, value ? "yes" : "no");
    }
}

void
print_json_value(const char *key, json_t *value)
{
    if (p.json) {
        add(key, value);
    } else {
        json_decref(value);
    }
}

void
print_text(const char *fmt, ...)
{
    if (!p.json) {
        va_list args;
        va_start(args, fmt);
        vfprintf(p.out, fmt, args);
        va_end(args);
    }
}

void
print_nl(void)
{
    if (!p.json) {
        fputc('\n', p.out);
    }
}
