/* print: one output layer for text and JSON.
 *
 * Commands describe what they show once, through these calls; with
 * print_json mode the same calls build one JSON document printed at
 * print_end(), otherwise text is written as it comes.  So every command
 * that shows something has --json without a second code path.
 *
 *   print_begin(json);
 *   print_open_list("hosts");            text: nothing
 *   print_open_object(NULL);             text: nothing
 *   print_string("name", "%-10s ", h);   JSON: "name": h
 *   print_int("generation", "gen %d", g);
 *   print_close();                       text: newline? no: print_nl()
 *   print_close();
 *   print_end();
 *
 * Rules of this module:
 * - In text mode 'fmt' formats the value (printf style, one conversion);
 *   a NULL 'fmt' prints nothing.  In JSON mode 'fmt' is ignored and 'key'
 *   names the member (NULL inside a list).
 * - print_text() writes text in text mode only; print_nl() a newline.
 * - Not thread-safe: one document at a time per process.
 */
#ifndef FABRIC_PRINT_H
#define FABRIC_PRINT_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

void print_begin(bool json, FILE *out);
void print_end(void);
bool print_is_json(void);

void print_open_object(const char *key);
void print_open_list(const char *key);
void print_close(void);

void print_string(const char *key, const char *fmt, const char *value);
void print_int(const char *key, const char *fmt, long long value);
void print_bool(const char *key, const char *fmt, bool value);
/* Adds 'value' (stolen) as member 'key' in JSON mode; text prints
 * nothing. */
void print_json_value(const char *key, json_t *value);

void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_nl(void);

#endif /* print.h */
