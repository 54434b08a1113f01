/* log: see log.h. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static FILE *log_file;
static char *log_path;
static bool log_debug_on;

int
log_open(const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f) {
        return -errno;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    log_close();
    log_file = f;
    log_path = strdup(path);
    return 0;
}

int
log_reopen(void)
{
    if (!log_path) {
        return 0;
    }
    char *path = strdup(log_path);
    int error = log_open(path);
    free(path);
    return error;
}

void
log_set_debug(bool on)
{
    log_debug_on = on;
}

void
log_close(void)
{
    if (log_file) {
        fclose(log_file);
        log_file = NULL;
    }
    free(log_path);
    log_path = NULL;
}

static void
log_v(const char *level, const char *fmt, va_list args)
{
    FILE *out = log_file ? log_file : stderr;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(out, "%s.%03ldZ|%s|", stamp, (long) tv.tv_usec / 1000, level);
    vfprintf(out, fmt, args);
    fputc('\n', out);
}

#define LOG_FUNCTION(NAME, LEVEL, COND)                                       \
    void NAME(const char *fmt, ...)                                           \
    {                                                                         \
        if (COND) {                                                           \
            va_list args;                                                     \
            va_start(args, fmt);                                              \
            log_v(LEVEL, fmt, args);                                          \
            va_end(args);                                                     \
        }                                                                     \
    }

LOG_FUNCTION(log_debug, "DBG", log_debug_on)
LOG_FUNCTION(log_info, "INFO", true)
LOG_FUNCTION(log_warn, "WARN", true)
LOG_FUNCTION(log_err, "ERR", true)
