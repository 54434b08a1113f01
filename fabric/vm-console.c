/* vm-console: see vm-console.h for the rules of this module.
 *
 * Everything is one poll() loop on a non-blocking socket against a
 * deadline taken from CLOCK_MONOTONIC; what the console printed is kept
 * in a growing buffer (vmcon_run()) or a sliding window (the waits). */
#include "vm-console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "ovsdb-error.h"

/* vmcon_run() gives up past this much output. */
#define MAX_OUTPUT (16 * 1024 * 1024)

/* How much of the end of the console's output a timeout error quotes. */
#define TAIL_LEN 160

/* Ctrl-], the escape of vmcon_attach(). */
#define ESCAPE_CHAR 0x1d

/* Time. */

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Milliseconds left until 'deadline', at least 0, at most INT_MAX-ish. */
static int
time_left(long long deadline)
{
    long long left = deadline - now_ms();
    return left < 0 ? 0 : left > 1000000000 ? 1000000000 : (int)left;
}

/* A byte buffer. */

struct buf {
    char *data;
    size_t len, cap;
};

static void
buf_append(struct buf *b, const char *data, size_t len)
{
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len + 1) {
            cap *= 2;
        }
        char *p = realloc(b->data, cap);
        if (!p) {
            abort();
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

/* Drops all but the last 'keep' bytes of 'b'. */
static void
buf_keep_tail(struct buf *b, size_t keep)
{
    if (b->len > keep) {
        memmove(b->data, b->data + b->len - keep, keep);
        b->len = keep;
        b->data[b->len] = '\0';
    }
}

/* The last TAIL_LEN bytes of 'data', control characters turned into
 * spaces and runs of spaces squeezed, as a new string for a message. */
static char *
printable_tail(const char *data, size_t len)
{
    size_t start = len > TAIL_LEN ? len - TAIL_LEN : 0;
    char *s = malloc(len - start + 1);
    size_t n = 0;
    for (size_t i = start; i < len; i++) {
        unsigned char c = data[i];
        if (c < 0x20 || c == 0x7f) {
            c = ' ';
        }
        if (c != ' ' || (n > 0 && s[n - 1] != ' ')) {
            s[n++] = c;
        }
    }
    while (n > 0 && s[n - 1] == ' ') {
        n--;
    }
    s[n] = '\0';
    return s;
}

/* The error of a wait for 'quoted' ("`COMMAND`" or "\"TEXT\"") on the
 * console or log 'where' that timed out with 'seen' as its last
 * output. */
static struct ovsdb_error *
timeout_error(int timeout_ms, const char *quoted, const char *text,
              const char *where, const struct buf *seen)
{
    char *tail = printable_tail(seen->data ? seen->data : "", seen->len);
    struct ovsdb_error *error =
        ovsdb_error_new(-ETIMEDOUT, NULL,
                        "Timed out after %d ms waiting for %c%s%c on %s "
                        "(it last printed: \"%s\").",
                        timeout_ms, quoted[0], text, quoted[1], where, tail);
    free(tail);
    return error;
}

/* Connecting. */

/* Returns a connected non-blocking socket for 'path', or a negative
 * errno with '*errorp' set. */
static int
console_connect(const char *path, struct ovsdb_error **errorp)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sun.sun_path) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-ENAMETOOLONG, NULL,
                                    "The console socket path %s is longer "
                                    "than a unix socket allows.",
                                    path));
    }
    strcpy(sun.sun_path, path);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int rc = -errno;
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(rc, NULL, "Cannot create a unix socket: %s.",
                            strerror(-rc)));
    }
    if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        int rc = -errno;
        close(fd);
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(rc, NULL, "Cannot connect to the console %s: %s.",
                            path, strerror(-rc)));
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

/* poll() on the console 'path' for at most 'timeout_ms' (-1: forever),
 * again after a signal.  Returns the number of ready descriptors (0 on
 * timeout), or a negative errno with '*errorp' set. */
static int
console_poll(struct pollfd *pfds, nfds_t n, int timeout_ms, const char *path,
             struct ovsdb_error **errorp)
{
    for (;;) {
        int ready = poll(pfds, n, timeout_ms);
        if (ready >= 0) {
            return ready;
        } else if (errno != EINTR) {
            int rc = -errno;
            *errorp = ovsdb_error_new(rc, NULL,
                                      "poll() on the console %s "
                                      "failed: %s.",
                                      path, strerror(-rc));
            return rc;
        }
    }
}

/* Running a command. */

/* Fills 'token' with 16 random hex digits. */
static void
make_token(char token[17])
{
    uint64_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r) {
        static unsigned int counter;
        r = ((uint64_t)getpid() << 32) ^ (uint64_t)now_ms() ^ ++counter;
    }
    snprintf(token, 17, "%016llx", (unsigned long long)r);
}

/* The line to type for 'command', or NULL if it is too long. */
static char *
command_line(const char *command, const char *token)
{
    struct buf b = {0};
    /* Ctrl-U first: clears anything typed but not run. */
    buf_append(&b, "\025echo @@fab-", 12);
    buf_append(&b, token, strlen(token));
    buf_append(&b, "-'B'@@; sh -c '", 15);
    for (const char *p = command; *p; p++) {
        if (*p == '\'') {
            buf_append(&b, "'\\''", 4);
        } else {
            buf_append(&b, p, 1);
        }
    }
    buf_append(&b, "'; echo @@fab-", 14);
    buf_append(&b, token, strlen(token));
    buf_append(&b, "-'E'@@ $?\n", 10);
    if (b.len > VMCON_MAX_COMMAND) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

int
vmcon_parse(const char *buf, size_t len, const char *token, char **outputp,
            int *statusp)
{
    char begin[64], end[64];
    int begin_len = snprintf(begin, sizeof begin, "@@fab-%s-B@@", token);
    int end_len = snprintf(end, sizeof end, "@@fab-%s-E@@ ", token);
    if (begin_len >= (int)sizeof begin || end_len >= (int)sizeof end) {
        return -EINVAL;
    }

    const char *stop = buf + len;
    const char *p = memmem(buf, len, begin, begin_len);
    if (!p) {
        return 0;
    }
    p = memchr(p, '\n', stop - p);
    if (!p) {
        return 0;
    }
    const char *start = p + 1;
    const char *e = memmem(start, stop - start, end, end_len);
    if (!e) {
        return 0;
    }

    /* The exit status: 1 to 3 digits, then the end of the line. */
    const char *s = e + end_len;
    int status = 0, digits = 0;
    for (; s < stop && *s >= '0' && *s <= '9'; s++) {
        if (++digits > 3) {
            return -EPROTO;
        }
        status = status * 10 + (*s - '0');
    }
    if (s == stop) {
        return 0;
    }
    if (!digits || (*s != '\r' && *s != '\n')) {
        return -EPROTO;
    }

    if (outputp) {
        char *out = malloc(e - start + 1);
        size_t n = 0;
        for (const char *q = start; q < e; q++) {
            if (*q != '\r') {
                out[n++] = *q;
            }
        }
        out[n] = '\0';
        *outputp = out;
    }
    if (statusp) {
        *statusp = status;
    }
    return 1;
}

/* Receives what the console printed, 'len' bytes of 'data'.  Returns 0
 * for more, 1 when done, or a negative errno with '*errorp' set. */
typedef int console_feed_func(void *aux, const char *data, size_t len,
                              struct ovsdb_error **errorp);

/* One connection to the console 'path': types 'line' (if non-NULL) and
 * hands everything the console prints to 'feed' until it is done, for at
 * most 'timeout_ms'.  'quoted' and 'what' name what is awaited in errors:
 * "``" and a command, or "\"\"" and a text.  Returns 0 or a negative
 * errno with '*errorp' set. */
static int
console_exchange(const char *path, const char *line, int timeout_ms,
                 const char *quoted, const char *what, console_feed_func *feed,
                 void *aux, struct ovsdb_error **errorp)
{
    long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    struct ovsdb_error *error = NULL;
    struct buf tail = {0};
    size_t line_len = line ? strlen(line) : 0, sent = 0;
    int fd = console_connect(path, &error);
    int rc = fd < 0 ? fd : 0;
    while (!rc) {
        struct pollfd pfd = {
            .fd = fd,
            .events = POLLIN | (sent < line_len ? POLLOUT : 0),
        };
        int n = console_poll(&pfd, 1, time_left(deadline), path, &error);
        if (n < 0) {
            rc = n;
            break;
        } else if (n == 0) {
            error = timeout_error(timeout_ms, quoted, what, path, &tail);
            rc = -ETIMEDOUT;
            break;
        }

        if (pfd.revents & POLLOUT) {
            ssize_t w = send(fd, line + sent, line_len - sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (w > 0) {
                sent += w;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                rc = -errno;
                error = ovsdb_error_new(rc, NULL,
                                        "Cannot write to the "
                                        "console %s: %s.",
                                        path, strerror(-rc));
                break;
            }
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            char chunk[4096];
            ssize_t r = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            } else if (r <= 0) {
                rc = r < 0 ? -errno : -ECONNRESET;
                error = ovsdb_error_new(rc, NULL,
                                        "The console %s closed "
                                        "while waiting for %c%s%c.",
                                        path, quoted[0], what, quoted[1]);
                break;
            }
            buf_append(&tail, chunk, r);
            buf_keep_tail(&tail, TAIL_LEN);
            int done = feed(aux, chunk, r, &error);
            if (done) {
                rc = done < 0 ? done : 0;
                break;
            }
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    free(tail.data);
    return rc ? ovsdb_error_set(errorp, error) : 0;
}

struct run_ctx {
    const char *path;
    const char *command;
    const char *token;
    struct buf seen;
    char *output;
    int status;
};

static int
run_feed(void *ctx_, const char *data, size_t len, struct ovsdb_error **errorp)
{
    struct run_ctx *ctx = ctx_;
    buf_append(&ctx->seen, data, len);
    if (ctx->seen.len > MAX_OUTPUT) {
        *errorp = ovsdb_error_new(-EFBIG, NULL,
                                  "`%s` printed more than %d "
                                  "bytes on the console %s.",
                                  ctx->command, MAX_OUTPUT, ctx->path);
        return -EFBIG;
    }
    if (!memchr(data, '\n', len)) {
        return 0;
    }
    int parsed = vmcon_parse(ctx->seen.data, ctx->seen.len, ctx->token,
                             &ctx->output, &ctx->status);
    if (parsed < 0) {
        *errorp = ovsdb_error_new(parsed, NULL,
                                  "The console %s printed no "
                                  "exit status after `%s`.",
                                  ctx->path, ctx->command);
    }
    return parsed;
}

int
vmcon_run(const char *socket_path, const char *command, int timeout_ms,
          char **outputp, int *statusp, struct ovsdb_error **errorp)
{
    for (const unsigned char *p = (const unsigned char *)command; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-EINVAL, NULL,
                                "A console command must be one line without "
                                "control characters: \"%s\".",
                                command));
        }
    }
    char token[17];
    make_token(token);
    char *line = command_line(command, token);
    if (!line) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-E2BIG, NULL,
                            "The console command \"%s\" is longer than %d "
                            "bytes once quoted.",
                            command, VMCON_MAX_COMMAND));
    }

    struct run_ctx ctx = {
        .path = socket_path,
        .command = command,
        .token = token,
    };
    int rc = console_exchange(socket_path, line, timeout_ms, "``", command,
                              run_feed, &ctx, errorp);
    if (!rc) {
        if (outputp) {
            *outputp = ctx.output;
            ctx.output = NULL;
        }
        if (statusp) {
            *statusp = ctx.status;
        }
    }
    free(ctx.output);
    free(ctx.seen.data);
    free(line);
    return rc;
}

/* Waiting for text. */

/* Feeds 'len' bytes of 'data' to the sliding window 'w' and tells whether
 * 'text' is in it; the window keeps enough of the past for a 'text' split
 * across two feeds, and for a timeout's message. */
static bool
window_feed(struct buf *w, const char *text, const char *data, size_t len)
{
    size_t tlen = strlen(text);
    buf_append(w, data, len);
    if (memmem(w->data, w->len, text, tlen)) {
        return true;
    }
    buf_keep_tail(w, tlen > TAIL_LEN ? tlen - 1 : TAIL_LEN);
    return false;
}

struct wait_ctx {
    const char *text;
    struct buf window;
};

static int
wait_feed(void *ctx_, const char *data, size_t len,
          struct ovsdb_error **errorp)
{
    struct wait_ctx *ctx = ctx_;
    return window_feed(&ctx->window, ctx->text, data, len);
}

int
vmcon_wait_line(const char *socket_path, const char *text, int timeout_ms,
                struct ovsdb_error **errorp)
{
    struct wait_ctx ctx = {.text = text};
    int rc = console_exchange(socket_path, NULL, timeout_ms, "\"\"", text,
                              wait_feed, &ctx, errorp);
    free(ctx.window.data);
    return rc;
}

long long
vmcon_log_size(const char *log_path)
{
    struct stat st;
    return stat(log_path, &st) ? 0 : (long long)st.st_size;
}

/* Reads what 'log_path' holds past '*pos' into 'window'; a log shorter
 * than '*pos' was truncated and is read again from its start.  Returns
 * true once 'text' is in the window. */
static bool
log_poll(const char *log_path, long long *pos, const char *text,
         struct buf *window, bool *existsp)
{
    int fd = open(log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    *existsp = true;
    struct stat st;
    if (!fstat(fd, &st) && st.st_size < *pos) {
        *pos = 0;
        window->len = 0;
    }
    bool found = false;
    char chunk[4096];
    ssize_t r;
    while (!found && (r = pread(fd, chunk, sizeof chunk, *pos)) > 0) {
        *pos += r;
        found = window_feed(window, text, chunk, r);
    }
    close(fd);
    return found;
}

int
vmcon_wait_log_from(const char *log_path, long long offset, const char *text,
                    int timeout_ms, struct ovsdb_error **errorp)
{
    long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    long long pos = offset > 0 ? offset : 0;
    struct buf window = {0};
    bool exists = false;
    int rc = 0;
    while (!log_poll(log_path, &pos, text, &window, &exists)) {
        int left = time_left(deadline);
        if (!left) {
            struct ovsdb_error *error;
            if (exists) {
                error =
                    timeout_error(timeout_ms, "\"\"", text, log_path, &window);
            } else {
                error = ovsdb_error_new(-ETIMEDOUT, NULL,
                                        "Timed out after "
                                        "%d ms waiting for \"%s\": the "
                                        "console log %s does not exist.",
                                        timeout_ms, text, log_path);
            }
            rc = ovsdb_error_set(errorp, error);
            break;
        }
        struct timespec ts = {0, (left < 50 ? left : 50) * 1000000L};
        nanosleep(&ts, NULL);
    }
    free(window.data);
    return rc;
}

int
vmcon_wait_log(const char *log_path, const char *text, int timeout_ms,
               struct ovsdb_error **errorp)
{
    return vmcon_wait_log_from(log_path, 0, text, timeout_ms, errorp);
}

/* Interactive sessions. */

/* Writes all of 'data' to 'fd', which may be non-blocking. */
static int
write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = fd == STDOUT_FILENO ? write(fd, data, len)
                                        : send(fd, data, len, MSG_NOSIGNAL);
        if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            poll(&pfd, 1, 1000);
            continue;
        } else if (w < 0) {
            return -errno;
        }
        data += w;
        len -= w;
    }
    return 0;
}

int
vmcon_attach(const char *socket_path, struct ovsdb_error **errorp)
{
    struct ovsdb_error *error = NULL;
    int fd = console_connect(socket_path, &error);
    if (fd < 0) {
        return ovsdb_error_set(errorp, error);
    }

    struct termios saved;
    bool tty = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved);
    if (tty) {
        struct termios raw = saved;
        cfmakeraw(&raw);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
    }
    fprintf(stderr, "Connected to %s (escape: Ctrl-])%s\n", socket_path,
            tty ? "\r" : "");

    /* With standard input at its end (not a terminal), what the console
     * still prints for LINGER_MS is relayed before returning. */
    enum { LINGER_MS = 500 };
    bool input_done = false;
    int rc = 0;
    for (;;) {
        struct pollfd pfds[2] = {
            {.fd = fd, .events = POLLIN},
            {.fd = input_done ? -1 : STDIN_FILENO, .events = POLLIN},
        };
        int n = console_poll(pfds, 2, input_done ? LINGER_MS : -1, socket_path,
                             &error);
        if (n < 0) {
            rc = n;
            break;
        } else if (n == 0) {
            break;
        }

        char chunk[4096];
        if (pfds[0].revents) {
            ssize_t r = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            } else if (r <= 0) {
                break;
            }
            rc = write_all(STDOUT_FILENO, chunk, r);
            if (rc) {
                error = ovsdb_error_new(rc, NULL,
                                        "Cannot write the "
                                        "console's output: %s.",
                                        strerror(-rc));
                break;
            }
        }
        if (pfds[1].revents) {
            ssize_t r = read(STDIN_FILENO, chunk, sizeof chunk);
            if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
                continue;
            } else if (r <= 0) {
                input_done = true;
                continue;
            }
            char *esc = memchr(chunk, ESCAPE_CHAR, r);
            size_t len = esc ? (size_t)(esc - chunk) : (size_t)r;
            rc = write_all(fd, chunk, len);
            if (rc) {
                error = ovsdb_error_new(rc, NULL,
                                        "Cannot write to the "
                                        "console %s: %s.",
                                        socket_path, strerror(-rc));
                break;
            }
            if (esc) {
                break;
            }
        }
    }

    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    }
    fprintf(stderr, "\nDisconnected from %s.\n", socket_path);
    close(fd);
    return rc ? ovsdb_error_set(errorp, error) : 0;
}
