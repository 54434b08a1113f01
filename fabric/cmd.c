/* cmd: see cmd.h. */
#include "cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ovsdb-error.h"

extern char **environ;

struct cmd {
    char **argv;
    size_t n, cap;
    char **env; /* "NAME=VALUE" additions. */
    size_t n_env;
    char *input;
    size_t input_len;
    bool show_input; /* In a dry run. */
};

static FILE *dry_run_log;

void
cmd_set_dry_run(FILE *log)
{
    dry_run_log = log;
}

bool
cmd_is_dry_run(void)
{
    return dry_run_log != NULL;
}

void
cmd_keep_first_error(struct ovsdb_error **errorp, int *rcp,
                     struct ovsdb_error *error)
{
    if (!*errorp) {
        *rcp = error->code < 0 ? error->code : -EIO;
        *errorp = error;
    } else {
        ovsdb_error_free(error);
    }
}

struct cmd *
cmd_new(const char *program)
{
    struct cmd *cmd = calloc(1, sizeof *cmd);
    cmd_add(cmd, program);
    return cmd;
}

void
cmd_free(struct cmd *cmd)
{
    if (!cmd) {
        return;
    }
    for (size_t i = 0; i < cmd->n; i++) {
        free(cmd->argv[i]);
    }
    free(cmd->argv);
    for (size_t i = 0; i < cmd->n_env; i++) {
        free(cmd->env[i]);
    }
    free(cmd->env);
    free(cmd->input);
    free(cmd);
}

void
cmd_add(struct cmd *cmd, const char *arg)
{
    if (cmd->n + 2 > cmd->cap) {
        cmd->cap = cmd->cap ? cmd->cap * 2 : 8;
        cmd->argv = realloc(cmd->argv, cmd->cap * sizeof *cmd->argv);
    }
    cmd->argv[cmd->n++] = strdup(arg);
    cmd->argv[cmd->n] = NULL;
}

void
cmd_addf(struct cmd *cmd, const char *fmt, ...)
{
    char *arg;
    va_list args;
    va_start(args, fmt);
    if (vasprintf(&arg, fmt, args) < 0) {
        abort();
    }
    va_end(args);
    cmd_add(cmd, arg);
    free(arg);
}

void
cmd_addl(struct cmd *cmd, ...)
{
    va_list args;
    va_start(args, cmd);
    const char *arg;
    while ((arg = va_arg(args, const char *))) {
        cmd_add(cmd, arg);
    }
    va_end(args);
}

void
cmd_setenv(struct cmd *cmd, const char *name, const char *value)
{
    cmd->env = realloc(cmd->env, (cmd->n_env + 1) * sizeof *cmd->env);
    if (asprintf(&cmd->env[cmd->n_env++], "%s=%s", name, value) < 0) {
        abort();
    }
}

void
cmd_set_input(struct cmd *cmd, const char *data, size_t len)
{
    free(cmd->input);
    cmd->input = malloc(len + 1);
    memcpy(cmd->input, data, len);
    cmd->input[len] = '\0';
    cmd->input_len = len;
}

void
cmd_dry_run_shows_input(struct cmd *cmd)
{
    cmd->show_input = true;
}

static bool
needs_quotes(const char *s)
{
    return !*s || strpbrk(s, " \t\n'\"\\$`*?[]{}()<>|&;#~");
}

char *
cmd_to_string(const struct cmd *cmd)
{
    size_t len = 0;
    for (size_t i = 0; i < cmd->n; i++) {
        len += strlen(cmd->argv[i]) * 4 + 3;
    }
    char *s = malloc(len + 1), *p = s;
    for (size_t i = 0; i < cmd->n; i++) {
        const char *a = cmd->argv[i];
        if (i) {
            *p++ = ' ';
        }
        if (!needs_quotes(a)) {
            p = stpcpy(p, a);
            continue;
        }
        *p++ = '\'';
        for (; *a; a++) {
            if (*a == '\'') {
                p = stpcpy(p, "'\\''");
            } else {
                *p++ = *a;
            }
        }
        *p++ = '\'';
    }
    *p = '\0';
    return s;
}

/* Builds the child's environment: ours plus 'cmd''s additions, which
 * replace variables of the same name. */
static char **
child_env(const struct cmd *cmd)
{
    size_t n = 0;
    while (environ[n]) {
        n++;
    }
    char **env = calloc(n + cmd->n_env + 1, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool replaced = false;
        for (size_t j = 0; j < cmd->n_env; j++) {
            size_t name_len = strcspn(cmd->env[j], "=");
            if (!strncmp(environ[i], cmd->env[j], name_len + 1)) {
                replaced = true;
            }
        }
        if (!replaced) {
            env[k++] = environ[i];
        }
    }
    for (size_t j = 0; j < cmd->n_env; j++) {
        env[k++] = cmd->env[j];
    }
    return env;
}

/* Appends what is readable on 'fd' to '*buf'; returns false at EOF. */
static bool
drain(int fd, char **buf, size_t *len)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) {
        return n < 0 && errno == EINTR;
    }
    *buf = realloc(*buf, *len + n + 1);
    memcpy(*buf + *len, chunk, n);
    *len += n;
    (*buf)[*len] = '\0';
    return true;
}

int
cmd_run(struct cmd *cmd, char **outputp, struct ovsdb_error **errorp)
{
    if (dry_run_log) {
        char *line = cmd_to_string(cmd);
        fprintf(dry_run_log, "%s\n", line);
        free(line);
        /* Then its input, each line indented by two spaces. */
        for (size_t i = 0; cmd->show_input && i < cmd->input_len;) {
            size_t n = strcspn(cmd->input + i, "\n");
            fprintf(dry_run_log, "  %.*s\n", (int)n, cmd->input + i);
            i += n + 1;
        }
        if (outputp) {
            *outputp = strdup("");
        }
        return 0;
    }

    int out[2], err[2], in[2];
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ||
        pipe2(in, O_CLOEXEC)) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-errno, NULL, "Cannot create pipes: %s",
                                    strerror(errno)));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    char **env = child_env(cmd);
    pid_t pid;
    int rc = posix_spawnp(&pid, cmd->argv[0], &fa, NULL, cmd->argv, env);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (rc) {
        close(in[1]);
        close(out[0]);
        close(err[0]);
        return ovsdb_error_set(errorp,
                               ovsdb_error_new(-rc, NULL, "Cannot run %s: %s",
                                               cmd->argv[0], strerror(rc)));
    }

    /* Feed stdin, then collect stdout and stderr until both close. */
    if (cmd->input_len) {
        void (*old)(int) = signal(SIGPIPE, SIG_IGN);
        size_t off = 0;
        while (off < cmd->input_len) {
            ssize_t n = write(in[1], cmd->input + off, cmd->input_len - off);
            if (n < 0 && errno == EINTR) {
                continue;
            } else if (n <= 0) {
                break;
            }
            off += n;
        }
        signal(SIGPIPE, old);
    }
    close(in[1]);
    char *obuf = NULL, *ebuf = NULL;
    size_t olen = 0, elen = 0;
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd >= 0 && fds[i].revents) {
                bool more = i ? drain(fds[i].fd, &ebuf, &elen)
                              : drain(fds[i].fd, &obuf, &olen);
                if (!more) {
                    close(fds[i].fd);
                    fds[i].fd = -1;
                    open_fds--;
                }
            }
        }
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        continue;
    }

    int error = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        char *line = cmd_to_string(cmd);
        size_t first = ebuf ? strcspn(ebuf, "\n") : 0;
        char how[64];
        if (WIFEXITED(status)) {
            snprintf(how, sizeof how, "exit status %d", WEXITSTATUS(status));
        } else {
            snprintf(how, sizeof how, "signal %d", WTERMSIG(status));
        }
        error = ovsdb_error_set(
            errorp,
            ovsdb_error_new(-ECHILD, NULL, "`%s` failed (%s)%s%.*s", line, how,
                            first ? ": " : "", (int)first, ebuf ? ebuf : ""));
        free(line);
    }
    free(ebuf);
    if (!error && outputp) {
        *outputp = obuf ? obuf : strdup("");
    } else {
        free(obuf);
    }
    return error;
}
