/* log: the daemon's log.
 *
 * Rules of this module: only programs log (fabricd); library modules
 * report errors to their callers instead.  Lines are
 * "2026-11-22T04:32:21.123Z|LEVEL|message" on stderr, or appended to the
 * file given to log_open(), which log_reopen() opens again (for log
 * rotation).  Debug lines are written only after log_set_debug(true).
 */
#ifndef FABRIC_LOG_H
#define FABRIC_LOG_H 1

#include <stdbool.h>

int log_open(const char *path);
int log_reopen(void);
void log_set_debug(bool on);
void log_close(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* log.h */
