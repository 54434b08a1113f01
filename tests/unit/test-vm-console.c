/* Unit tests of fabric/vm-console.h against a fake serial console.
 *
 * The fake is a unix socket served by a thread that behaves like a shell
 * on a terminal: it echoes every byte typed (wrapping long lines the way
 * busybox's line editor does), and when a line is complete it runs it
 * with the host's /bin/sh, stderr merged as on a terminal, and prints the
 * output with "\r\n" line ends and a prompt.  So the quoting of
 * vmcon_run() meets a real shell, and its parsing meets a terminal's
 * echo, console noise and stale markers.  Socket and log names carry the
 * PID and are removed by the group teardown. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd.h"
#include "ovsdb-error.h"
#include "vm-console.h"

static char sock_path[108];
static char log_path[108];
static int listen_fd = -1;

enum fake_mode {
    FAKE_SHELL,  /* Echo and run each line. */
    FAKE_MUTE,   /* Echo, never run. */
    FAKE_BANNER, /* Print 'banner' in pieces, then echo nothing. */
    FAKE_HANGUP, /* Echo, then close when a line is complete. */
};

struct fake {
    enum fake_mode mode;
    const char *noise; /* Printed on connection and after each prompt. */
    const char **banner;
    pthread_t thread;
    char last_line[4096]; /* The last line typed. */
};

static void
fake_send(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = send(fd, data, len, MSG_NOSIGNAL);
        if (w <= 0) {
            return;
        }
        data += w;
        len -= w;
    }
}

static void
fake_sends(int fd, const char *s)
{
    fake_send(fd, s, strlen(s));
}

/* Runs 'line' with /bin/sh and sends its output as a terminal would. */
static void
fake_run(int fd, const char *line)
{
    struct cmd *c = cmd_new("sh");
    char *script = NULL;
    assert_true(asprintf(&script, "exec 2>&1; %s", line) > 0);
    cmd_addl(c, "-c", script, NULL);
    char *out = NULL;
    struct ovsdb_error *error = NULL;
    if (cmd_run(c, &out, &error)) {
        fake_sends(fd, error->msg);
        ovsdb_error_free(error);
    } else {
        for (char *p = out; *p; p++) {
            fake_send(fd, *p == '\n' ? "\r\n" : p, *p == '\n' ? 2 : 1);
        }
    }
    free(out);
    free(script);
    cmd_free(c);
}

static void *
fake_main(void *fake_)
{
    struct fake *fake = fake_;
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0) {
        return NULL;
    }
    if (fake->noise) {
        fake_sends(fd, fake->noise);
    }
    if (fake->mode == FAKE_BANNER) {
        for (const char **b = fake->banner; *b; b++) {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
            fake_sends(fd, *b);
        }
    }

    char line[4096];
    size_t len = 0, column = 4;
    char c;
    while (recv(fd, &c, 1, 0) == 1 && fake->mode != FAKE_BANNER) {
        if (c == '\025') {
            len = 0;
            continue;
        } else if (c != '\n') {
            if (len < sizeof line - 1) {
                line[len++] = c;
            }
            fake_send(fd, &c, 1);
            if (++column == 80) {
                fake_sends(fd, "\r\r\n");
                column = 0;
            }
            continue;
        }
        fake_sends(fd, "\r\n");
        line[len] = '\0';
        memcpy(fake->last_line, line, len + 1);
        len = 0;
        column = 4;
        if (fake->mode == FAKE_HANGUP) {
            break;
        } else if (fake->mode == FAKE_SHELL) {
            fake_run(fd, line);
            fake_sends(fd, "/ # \033[6n");
            if (fake->noise) {
                fake_sends(fd, fake->noise);
            }
        }
    }
    close(fd);
    return NULL;
}

static void
fake_start(struct fake *fake)
{
    assert_int_equal(pthread_create(&fake->thread, NULL, fake_main, fake), 0);
}

static void
fake_join(struct fake *fake)
{
    pthread_join(fake->thread, NULL);
}

/* Runs 'command' on a fresh fake and checks its output and status. */
static void
check_run(const struct fake *model, const char *command,
          const char *want_output, int want_status)
{
    struct fake fake = *model;
    fake_start(&fake);
    char *output = NULL;
    int status = -1;
    struct ovsdb_error *error = NULL;
    int rc = vmcon_run(sock_path, command, 5000, &output, &status, &error);
    fake_join(&fake);
    if (rc) {
        fail_msg("%s", error->msg);
    }
    assert_string_equal(output, want_output);
    assert_int_equal(status, want_status);
    free(output);
}

static void
test_run_output_and_status(void **state)
{
    struct fake fake = {.mode = FAKE_SHELL};
    check_run(&fake, "echo hello; echo world", "hello\nworld\n", 0);
    check_run(&fake, "echo out; exit 3", "out\n", 3);
    check_run(&fake, "true", "", 0);
    /* No newline at the end: the END marker shares the line. */
    check_run(&fake, "printf abc", "abc", 0);
}

static void
test_run_quoting(void **state)
{
    struct fake fake = {.mode = FAKE_SHELL};
    check_run(&fake, "printf '%s|' \"it's\" 'a b' \"$((1+2))\"", "it's|a b|3|",
              0);
    /* What would end the line or comment out the marker stays inside. */
    check_run(&fake, "echo a; # comment", "a\n", 0);
    check_run(&fake, "sleep 0 &", "", 0);
    /* A syntax error is an exit status, not a lost marker. */
    struct fake f2 = fake;
    fake_start(&f2);
    char *output = NULL;
    int status = -1;
    assert_int_equal(vmcon_run(sock_path, "if", 5000, &output, &status, NULL),
                     0);
    fake_join(&f2);
    assert_int_equal(status, 2);
    assert_non_null(strstr(output, "yntax error"));
    free(output);
}

static void
test_run_noise_and_wrapping(void **state)
{
    /* A stale END marker of another run, kernel messages and a prompt's
     * terminal query around every prompt; the long command wraps. */
    struct fake fake = {
        .mode = FAKE_SHELL,
        .noise = "[   12.5] random: crng init done\r\n"
                 "@@fab-0123456789abcdef-B@@\r\nold\r\n"
                 "@@fab-0123456789abcdef-E@@ 7\r\n/ # \033[6n",
    };
    char command[300];
    snprintf(command, sizeof command, "echo %0200d | wc -c", 5);
    check_run(&fake, command, "201\n", 0);
    check_run(&fake, "echo '@@fab-x-E@@ 9'", "@@fab-x-E@@ 9\n", 0);
}

static void
test_run_bad_commands(void **state)
{
    struct ovsdb_error *error = NULL;
    char *output = NULL;
    assert_int_equal(
        vmcon_run(sock_path, "echo a\necho b", 1000, &output, NULL, &error),
        -EINVAL);
    assert_non_null(strstr(error->msg, "one line"));
    ovsdb_error_free(error);
    error = NULL;

    char big[VMCON_MAX_COMMAND + 1];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(vmcon_run(sock_path, big, 1000, &output, NULL, &error),
                     -E2BIG);
    ovsdb_error_free(error);
    assert_null(output);
}

static void
test_run_timeout(void **state)
{
    struct fake fake = {.mode = FAKE_MUTE, .noise = "booting\r\n"};
    fake_start(&fake);
    struct ovsdb_error *error = NULL;
    char *output = NULL;
    int status = -1;
    assert_int_equal(
        vmcon_run(sock_path, "echo never", 300, &output, &status, &error),
        -ETIMEDOUT);
    fake_join(&fake);
    assert_null(output);
    assert_int_equal(status, -1);
    assert_non_null(strstr(error->msg, "Timed out after 300 ms"));
    assert_non_null(strstr(error->msg, "echo never"));
    /* The error quotes what the console last printed. */
    assert_non_null(strstr(error->msg, "booting"));
    ovsdb_error_free(error);
}

static void
test_run_hangup(void **state)
{
    struct fake fake = {.mode = FAKE_HANGUP};
    fake_start(&fake);
    struct ovsdb_error *error = NULL;
    assert_int_equal(vmcon_run(sock_path, "echo x", 5000, NULL, NULL, &error),
                     -ECONNRESET);
    fake_join(&fake);
    assert_non_null(strstr(error->msg, "closed while waiting"));
    ovsdb_error_free(error);
}

static void
test_no_console(void **state)
{
    struct ovsdb_error *error = NULL;
    char path[128];
    snprintf(path, sizeof path, "/tmp/fabric-vmcon-%ld-none.sock",
             (long)getpid());
    assert_int_equal(vmcon_run(path, "true", 1000, NULL, NULL, &error),
                     -ENOENT);
    assert_non_null(strstr(error->msg, "Cannot connect to the console"));
    ovsdb_error_free(error);
}

/* The parser alone: every prefix of a transcript is incomplete, the whole
 * one is complete, and a bad status is a protocol error. */
static void
test_parse(void **state)
{
    const char *token = "00112233aabbccdd";
    const char *transcript =
        "\025echo @@fab-00112233aabbccdd-'B'@@; sh -c 'ls'; echo "
        "@@fab-00112233aabbccdd-'E'@@ $?\r\n"
        "@@fab-00112233aabbccdd-B@@\r\n"
        "a\r\nb\r\n"
        "@@fab-00112233aabbccdd-E@@ 42\r\n/ # ";
    size_t full = strlen(transcript) - strlen("\n/ # ");
    char *output = NULL;
    int status = -1;
    for (size_t len = 0; len < full; len++) {
        assert_int_equal(vmcon_parse(transcript, len, token, &output, &status),
                         0);
    }
    assert_null(output);
    assert_int_equal(vmcon_parse(transcript, full, token, &output, &status),
                     1);
    assert_string_equal(output, "a\nb\n");
    assert_int_equal(status, 42);
    free(output);

    /* Another token's markers are not ours. */
    assert_int_equal(vmcon_parse(transcript, strlen(transcript),
                                 "00112233aabbccde", &output, &status),
                     0);

    const char *bad[] = {
        "@@fab-00112233aabbccdd-B@@\r\n@@fab-00112233aabbccdd-E@@ x\r\n",
        "@@fab-00112233aabbccdd-B@@\r\n@@fab-00112233aabbccdd-E@@ 1x\r\n",
        "@@fab-00112233aabbccdd-B@@\r\n@@fab-00112233aabbccdd-E@@ 1234\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(
            vmcon_parse(bad[i], strlen(bad[i]), token, &output, &status),
            -EPROTO);
    }
}

static void
test_wait_line(void **state)
{
    const char *pieces[] = {"booting\r\nfabric-tiny: re", "ady\r\n", NULL};
    struct fake fake = {.mode = FAKE_BANNER, .banner = pieces};
    fake_start(&fake);
    struct ovsdb_error *error = NULL;
    int rc = vmcon_wait_line(sock_path, "fabric-tiny: ready", 5000, &error);
    fake_join(&fake);
    if (rc) {
        fail_msg("%s", error->msg);
    }

    const char *other[] = {"fabric-tiny: not yet\r\n", NULL};
    struct fake f2 = {.mode = FAKE_BANNER, .banner = other};
    fake_start(&f2);
    assert_int_equal(
        vmcon_wait_line(sock_path, "fabric-tiny: ready", 300, &error),
        -ETIMEDOUT);
    fake_join(&f2);
    assert_non_null(strstr(error->msg, "not yet"));
    ovsdb_error_free(error);
}

static void
append_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void *
append_later(void *text)
{
    struct timespec ts = {0, 150 * 1000000L};
    nanosleep(&ts, NULL);
    append_file(log_path, text);
    return NULL;
}

static void
test_wait_log(void **state)
{
    struct ovsdb_error *error = NULL;
    unlink(log_path);
    assert_int_equal(vmcon_log_size(log_path), 0);
    assert_int_equal(vmcon_wait_log(log_path, "ready", 100, &error),
                     -ETIMEDOUT);
    assert_non_null(strstr(error->msg, "does not exist"));
    ovsdb_error_free(error);
    error = NULL;

    /* An earlier boot's line counts only without an offset. */
    append_file(log_path, "boot 1\nfabric-tiny: ready\n");
    long long size = vmcon_log_size(log_path);
    assert_int_equal(size, 26);
    assert_int_equal(vmcon_wait_log(log_path, "fabric-tiny: ready", 100, NULL),
                     0);
    assert_int_equal(
        vmcon_wait_log_from(log_path, size, "fabric-tiny: ready", 100, &error),
        -ETIMEDOUT);
    ovsdb_error_free(error);
    error = NULL;

    /* A line written while waiting. */
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, append_later,
                                    "boot 2\nfabric-tiny: ready\n"),
                     0);
    int rc = vmcon_wait_log_from(log_path, size, "fabric-tiny: ready", 5000,
                                 &error);
    pthread_join(thread, NULL);
    if (rc) {
        fail_msg("%s", error->msg);
    }
    unlink(log_path);
}

/* Runs vmcon_attach() with 'input' as standard input; returns what it
 * wrote to standard output (new string). */
static char *
attach_with_input(struct fake *fake, const char *input)
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    assert_int_equal(write(in[1], input, strlen(input)),
                     (ssize_t)strlen(input));
    close(in[1]);
    fflush(stdout);
    int saved_in = dup(STDIN_FILENO), saved_out = dup(STDOUT_FILENO);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    close(in[0]);
    close(out[1]);

    fake_start(fake);
    struct ovsdb_error *error = NULL;
    int rc = vmcon_attach(sock_path, &error);
    fake_join(fake);

    dup2(saved_in, STDIN_FILENO);
    dup2(saved_out, STDOUT_FILENO);
    close(saved_in);
    close(saved_out);
    if (rc) {
        fail_msg("%s", error->msg);
    }
    char *output = calloc(1, 65536);
    ssize_t n = read(out[0], output, 65535);
    close(out[0]);
    assert_true(n >= 0);
    return output;
}

static void
test_attach(void **state)
{
    /* Standard input is not a terminal: what it holds is typed, and the
     * console's answer is relayed until it falls silent. */
    struct fake fake = {.mode = FAKE_SHELL};
    char *output = attach_with_input(&fake, "echo attached-$((6 * 7))\n");
    assert_non_null(strstr(output, "attached-42\r\n"));
    assert_string_equal(fake.last_line, "echo attached-$((6 * 7))");
    free(output);

    /* Ctrl-] ends the session: what follows it is never typed. */
    struct fake f2 = {.mode = FAKE_SHELL};
    output = attach_with_input(&f2, "echo one\n\035echo two\n");
    assert_string_equal(f2.last_line, "echo one");
    free(output);
}

static int
setup(void **state)
{
    snprintf(sock_path, sizeof sock_path, "/tmp/fabric-vmcon-%ld.sock",
             (long)getpid());
    snprintf(log_path, sizeof log_path, "/tmp/fabric-vmcon-%ld.log",
             (long)getpid());
    unlink(sock_path);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, sock_path);
    if (listen_fd < 0 ||
        bind(listen_fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
        listen(listen_fd, 4) < 0) {
        perror(sock_path);
        return -1;
    }
    return 0;
}

static int
teardown(void **state)
{
    if (listen_fd >= 0) {
        close(listen_fd);
    }
    unlink(sock_path);
    unlink(log_path);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_run_output_and_status),
        cmocka_unit_test(test_run_quoting),
        cmocka_unit_test(test_run_noise_and_wrapping),
        cmocka_unit_test(test_run_bad_commands),
        cmocka_unit_test(test_run_timeout),
        cmocka_unit_test(test_run_hangup),
        cmocka_unit_test(test_no_console),
        cmocka_unit_test(test_wait_line),
        cmocka_unit_test(test_wait_log),
        cmocka_unit_test(test_attach),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
