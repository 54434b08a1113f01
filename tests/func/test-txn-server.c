/* Functional tests of ovsdb/txn against a real ovsdb-server.
 *
 * Each test gets a fresh server on a fresh copy of tests/data/test.ovsschema
 * in its own temporary directory.  Transactions are built with ovsdb_txn_*,
 * sent with "ovsdb-client transact", and the printed result is checked with
 * ovsdb_txn_check_result(), so the module is tested against the server's
 * own idea of RFC 7047 without depending on the rest of the client.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ovsdb-error.h"
#include "txn.h"

#define SCHEMA FABRIC_SOURCE_DIR "/tests/data/test.ovsschema"
#define DB "Test"

extern char **environ;

struct server {
    char dir[64];     /* Temporary directory holding everything. */
    char remote[128]; /* "unix:DIR/db.sock". */
    pid_t pid;        /* The detached ovsdb-server, or 0. */
};

/* The running server, stopped at exit if a test left it behind. */
static struct server *current;

/* Runs 'argv' without a shell.  If 'outp' is non-NULL, stores the
 * program's standard output into '*outp' (new, NUL-terminated, the
 * caller frees it).  Returns the exit status, or -1 if the program could
 * not be run or did not exit normally. */
static int
run(char *const argv[], char **outp)
{
    int fds[2] = {-1, -1};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (outp) {
        if (pipe(fds) < 0) {
            posix_spawn_file_actions_destroy(&actions);
            return -1;
        }
        fcntl(fds[0], F_SETFD, FD_CLOEXEC);
        fcntl(fds[1], F_SETFD, FD_CLOEXEC);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    }

    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (outp) {
        close(fds[1]);
    }
    if (err) {
        fprintf(stderr, "%s: %s\n", argv[0], strerror(err));
        if (outp) {
            close(fds[0]);
        }
        return -1;
    }

    if (outp) {
        size_t len = 0, cap = 4096;
        char *buf = malloc(cap);
        ssize_t n;
        while (buf && (n = read(fds[0], buf + len, cap - len - 1)) != 0) {
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                break;
            }
            len += n;
            if (cap - len == 1) {
                cap *= 2;
                char *bigger = realloc(buf, cap);
                if (!bigger) {
                    free(buf);
                }
                buf = bigger;
            }
        }
        close(fds[0]);
        if (buf) {
            buf[len] = '\0';
        }
        *outp = buf;
    }

    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Returns true if process 'pid' has exited (or is a zombie nobody reaps,
 * which happens for a detached daemon in a container without an init). */
static bool
process_gone(pid_t pid)
{
    if (kill(pid, 0) < 0 && errno == ESRCH) {
        return true;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return true;
    }
    char state = '?';
    int n = fscanf(f, "%*d (%*[^)]) %c", &state);
    fclose(f);
    return n == 1 && state == 'Z';
}

/* Stops the server of 's' by the pid from its pidfile, and removes its
 * directory.  Accepts a server that was only partly started. */
static void
server_stop(struct server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        for (int i = 0; i < 500 && !process_gone(s->pid); i++) {
            nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
        if (!process_gone(s->pid)) {
            kill(s->pid, SIGKILL);
        }
        s->pid = 0;
    }
    if (s->dir[0]) {
        DIR *dir = opendir(s->dir);
        if (dir) {
            struct dirent *de;
            while ((de = readdir(dir)) != NULL) {
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                    char path[512];
                    snprintf(path, sizeof path, "%s/%s", s->dir, de->d_name);
                    unlink(path);
                }
            }
            closedir(dir);
        }
        rmdir(s->dir);
        s->dir[0] = '\0';
    }
}

static void
stop_current_at_exit(void)
{
    if (current) {
        server_stop(current);
        free(current);
        current = NULL;
    }
}

static int
server_setup(void **state)
{
    struct server *s = calloc(1, sizeof *s);
    if (!s) {
        return -1;
    }
    current = s;
    *state = s;

    strcpy(s->dir, "/tmp/fabric-txn-XXXXXX");
    if (!mkdtemp(s->dir)) {
        s->dir[0] = '\0';
        goto error;
    }
    snprintf(s->remote, sizeof s->remote, "unix:%s/db.sock", s->dir);

    char db[96], remote[128], pidfile[96], unixctl[96], log[96];
    snprintf(db, sizeof db, "%s/t.db", s->dir);
    snprintf(remote, sizeof remote, "--remote=punix:%s/db.sock", s->dir);
    snprintf(pidfile, sizeof pidfile, "--pidfile=%s/pid", s->dir);
    snprintf(unixctl, sizeof unixctl, "--unixctl=%s/ctl", s->dir);
    snprintf(log, sizeof log, "--log-file=%s/log", s->dir);

    char *create[] = {"ovsdb-tool", "create", db, SCHEMA, NULL};
    if (run(create, NULL) != 0) {
        goto error;
    }
    /* With --detach, ovsdb-server returns once it is listening. */
    char *serve[] = {
        "ovsdb-server", db,  "-vconsole:off", remote,       pidfile,
        unixctl,        log, "--detach",      "--no-chdir", NULL};
    if (run(serve, NULL) != 0) {
        goto error;
    }

    char path[96];
    snprintf(path, sizeof path, "%s/pid", s->dir);
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (!f || fscanf(f, "%ld", &pid) != 1 || pid <= 0) {
        if (f) {
            fclose(f);
        }
        goto error;
    }
    fclose(f);
    s->pid = pid;
    return 0;

error:
    stop_current_at_exit();
    *state = NULL;
    return -1;
}

static int
server_teardown(void **state)
{
    stop_current_at_exit();
    return 0;
}

/* Sends the transaction built by 'txn' to 's' and returns its result (new
 * reference).  Fails the test if the transaction cannot be sent or the
 * reply is not JSON. */
static json_t *
transact(const struct server *s, const struct ovsdb_txn *txn)
{
    json_t *params = ovsdb_txn_params(txn);
    assert_non_null(params);
    char *text = json_dumps(params, JSON_COMPACT);
    json_decref(params);
    assert_non_null(text);

    char *out = NULL;
    char *argv[] = {"ovsdb-client",    "--timeout=30", "transact",
                    (char *)s->remote, text,           NULL};
    int status = run(argv, &out);
    free(text);
    if (status != 0 || !out) {
        free(out);
        fail_msg("ovsdb-client transact exited with status %d", status);
    }

    json_error_t jerr;
    json_t *result = json_loads(out, 0, &jerr);
    if (!result) {
        print_error("ovsdb-client printed: %s\n", out);
        free(out);
        fail_msg("result is not JSON: %s", jerr.text);
    }
    free(out);
    return result;
}

/* Sends 'txn' to 's', checks its result, and destroys 'txn'.  Returns the
 * code of ovsdb_txn_check_result(); stores the result (new reference)
 * into '*resultp' if non-NULL, and the error into '*errorp' if
 * non-NULL. */
static int
send_txn(const struct server *s, struct ovsdb_txn *txn, json_t **resultp,
         struct ovsdb_error **errorp)
{
    json_t *result = transact(s, txn);
    struct ovsdb_error *error = NULL;
    int r = ovsdb_txn_check_result(txn, result, &error);
    ovsdb_txn_destroy(txn);
    if (r && !errorp) {
        print_error("unexpected error: %s\n", error->msg);
    }
    if (errorp) {
        *errorp = error;
    } else {
        ovsdb_error_free(error);
    }
    if (resultp) {
        *resultp = result;
    } else {
        json_decref(result);
    }
    return r;
}

/* Returns a new where-clause matching "name" == 'name'. */
static json_t *
where_name(const char *name)
{
    return json_pack("[o]", ovsdb_cond("name", "==", json_string(name)));
}

/* Returns the rows of 'table' whose name is 'name' (new reference). */
static json_t *
select_rows(const struct server *s, const char *table, const char *name)
{
    struct ovsdb_txn *txn = ovsdb_txn_create(DB);
    size_t i = ovsdb_txn_select(txn, table, where_name(name), NULL);
    json_t *result;
    assert_int_equal(send_txn(s, txn, &result, NULL), 0);
    const json_t *rows = ovsdb_txn_selected_rows(result, i);
    assert_non_null(rows);
    json_t *copy = json_incref((json_t *)rows);
    json_decref(result);
    return copy;
}

/* Returns the one row of 'table' named 'name' (new reference). */
static json_t *
select_one(const struct server *s, const char *table, const char *name)
{
    json_t *rows = select_rows(s, table, name);
    assert_int_equal(json_array_size(rows), 1);
    json_t *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return row;
}

static int
compare_strings(const void *a_, const void *b_)
{
    const char *const *a = a_;
    const char *const *b = b_;
    return strcmp(*a, *b);
}

/* Returns the elements of 'datum' (borrowed), a set of strings or a map
 * of strings to strings, as sorted text: "a,b" or "k1=v1,k2=v2" (the
 * caller frees it). */
static char *
datum_text(const json_t *datum)
{
    const char *kind = json_string_value(json_array_get(datum, 0));
    bool is_set = kind && !strcmp(kind, "set");
    bool is_map = kind && !strcmp(kind, "map");
    const json_t *elems = is_set || is_map ? json_array_get(datum, 1) : NULL;
    size_t n = elems ? json_array_size(elems) : 1;
    char **items = calloc(n ? n : 1, sizeof *items);
    assert_non_null(items);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = elems ? json_array_get(elems, i) : datum;
        char buf[256];
        if (is_map) {
            snprintf(buf, sizeof buf, "%s=%s",
                     json_string_value(json_array_get(e, 0)),
                     json_string_value(json_array_get(e, 1)));
        } else {
            snprintf(buf, sizeof buf, "%s", json_string_value(e));
        }
        items[i] = strdup(buf);
        assert_non_null(items[i]);
    }
    qsort(items, n, sizeof *items, compare_strings);

    size_t len = 1;
    for (size_t i = 0; i < n; i++) {
        len += strlen(items[i]) + 1;
    }
    char *text = calloc(1, len);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++) {
        if (i) {
            strcat(text, ",");
        }
        strcat(text, items[i]);
        free(items[i]);
    }
    free(items);
    return text;
}

/* Fails unless the text of 'datum' (borrowed) is 'expected'. */
static void
assert_datum(const json_t *datum, const char *expected)
{
    char *text = datum_text(datum);
    if (strcmp(text, expected)) {
        print_error("expected %s, got %s\n", expected, text);
        free(text);
        fail();
    }
    free(text);
}

/* Inserts Parent 'name' with 'count', tags {a} and options {k=v, k2=v2}.
 * Returns its UUID (the caller frees it). */
static char *
insert_parent(const struct server *s, const char *name, int count)
{
    struct ovsdb_txn *txn = ovsdb_txn_create(DB);
    json_t *row =
        json_pack("{sssis[s[s]]s[s[[ss][ss]]]}", "name", name, "count", count,
                  "tags", "set", "a", "options", "map", "k", "v", "k2", "v2");
    size_t i = ovsdb_txn_insert(txn, "Parent", row, NULL);
    json_t *result;
    assert_int_equal(send_txn(s, txn, &result, NULL), 0);
    const char *uuid = ovsdb_txn_inserted_uuid(result, i);
    assert_non_null(uuid);
    char *copy = strdup(uuid);
    json_decref(result);
    return copy;
}

static void
test_insert_named_uuid_and_select(void **state)
{
    const struct server *s = *state;
    struct ovsdb_txn *txn = ovsdb_txn_create(DB);
    size_t c = ovsdb_txn_insert(
        txn, "Child", json_pack("{sssi}", "name", "c1", "size", 3), "kid");
    size_t p = ovsdb_txn_insert(
        txn, "Parent",
        json_pack("{sssis[ss]s[s[ss]]s[s[[ss]]]}", "name", "p1", "count", 1,
                  "child", "named-uuid", "kid", "tags", "set", "x", "y",
                  "options", "map", "color", "red"),
        NULL);
    ovsdb_txn_comment(txn, "inserting p1");
    json_t *result;
    assert_int_equal(send_txn(s, txn, &result, NULL), 0);
    const char *child_uuid = ovsdb_txn_inserted_uuid(result, c);
    const char *parent_uuid = ovsdb_txn_inserted_uuid(result, p);
    assert_non_null(child_uuid);
    assert_non_null(parent_uuid);
    assert_null(ovsdb_txn_inserted_uuid(result, 2));

    /* Select with a column list. */
    txn = ovsdb_txn_create(DB);
    size_t sel = ovsdb_txn_select(
        txn, "Parent", ovsdb_where_uuid(parent_uuid),
        json_pack("[sssss]", "_uuid", "name", "child", "tags", "options"));
    json_t *sel_result;
    assert_int_equal(send_txn(s, txn, &sel_result, NULL), 0);
    const json_t *rows = ovsdb_txn_selected_rows(sel_result, sel);
    assert_non_null(rows);
    assert_int_equal(json_array_size(rows), 1);
    const json_t *row = json_array_get(rows, 0);
    assert_int_equal(json_object_size(row), 5);
    assert_string_equal(json_string_value(json_object_get(row, "name")), "p1");
    const json_t *child = json_object_get(row, "child");
    assert_string_equal(json_string_value(json_array_get(child, 0)), "uuid");
    assert_string_equal(json_string_value(json_array_get(child, 1)),
                        child_uuid);
    assert_datum(json_object_get(row, "tags"), "x,y");
    assert_datum(json_object_get(row, "options"), "color=red");
    json_decref(sel_result);
    json_decref(result);

    json_t *kid = select_one(s, "Child", "c1");
    assert_int_equal(json_integer_value(json_object_get(kid, "size")), 3);
    json_decref(kid);
}

static void
test_update_mutate_delete(void **state)
{
    const struct server *s = *state;
    free(insert_parent(s, "p", 5));
    free(insert_parent(s, "q", 1));

    struct ovsdb_txn *txn = ovsdb_txn_create(DB);
    size_t u = ovsdb_txn_update(txn, "Parent", where_name("p"),
                                json_pack("{si}", "count", 7));
    json_t *mutations = json_pack(
        "[ooo]", ovsdb_mutation("count", "+=", json_integer(3)),
        ovsdb_mutation("tags", "insert", json_pack("[s[s]]", "set", "b")),
        ovsdb_mutation("options", "delete", json_pack("[s[s]]", "set", "k")));
    size_t m = ovsdb_txn_mutate(txn, "Parent", where_name("p"), mutations);
    json_t *result;
    assert_int_equal(send_txn(s, txn, &result, NULL), 0);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(result, u), "count")),
                     1);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(result, m), "count")),
                     1);
    json_decref(result);

    json_t *row = select_one(s, "Parent", "p");
    assert_int_equal(json_integer_value(json_object_get(row, "count")), 10);
    assert_datum(json_object_get(row, "tags"), "a,b");
    assert_datum(json_object_get(row, "options"), "k2=v2");
    json_decref(row);

    txn = ovsdb_txn_create(DB);
    size_t d = ovsdb_txn_delete(txn, "Parent", where_name("p"));
    assert_int_equal(send_txn(s, txn, &result, NULL), 0);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(result, d), "count")),
                     1);
    json_decref(result);

    json_t *rows = select_rows(s, "Parent", "p");
    assert_int_equal(json_array_size(rows), 0);
    json_decref(rows);
    row = select_one(s, "Parent", "q");
    json_decref(row);
}

static void
test_wait(void **state)
{
    const struct server *s = *state;
    free(insert_parent(s, "p", 5));

    /* The rows are as expected: both waits succeed at once. */
    struct ovsdb_txn *txn = ovsdb_txn_create(DB);
    ovsdb_txn_wait(txn, "Parent", where_name("p"),
                   json_pack("[ss]", "name", "count"),
                   "==", json_pack("[{sssi}]", "name", "p", "count", 5), 0);
    ovsdb_txn_wait(txn, "Parent", where_name("p"), json_pack("[s]", "count"),
                   "!=", json_pack("[{si}]", "count", 99), 1000);
    ovsdb_txn_comment(txn, "waited");
    assert_int_equal(send_txn(s, txn, NULL, NULL), 0);

    /* They are not, and the timeout is 0: "timed out". */
    txn = ovsdb_txn_create(DB);
    ovsdb_txn_comment(txn, "before");
    ovsdb_txn_wait(txn, "Parent", where_name("p"), json_pack("[s]", "count"),
                   "==", json_pack("[{si}]", "count", 6), 0);
    ovsdb_txn_insert(txn, "Parent", json_pack("{ss}", "name", "r"), NULL);
    json_t *result;
    struct ovsdb_error *error;
    assert_int_equal(send_txn(s, txn, &result, &error), -ETIMEDOUT);
    assert_int_equal(error->code, -ETIMEDOUT);
    assert_string_equal(error->tag, "timed out");
    assert_non_null(strstr(error->msg, "transaction operation 1 (wait on "
                                       "Parent) failed: timed out"));
    assert_true(json_is_null(json_array_get(result, 2)));
    ovsdb_error_free(error);
    json_decref(result);

    json_t *rows = select_rows(s, "Parent", "r");
    assert_int_equal(json_array_size(rows), 0);
    json_decref(rows);
}

static void
test_comment_and_commit(void **state)
{
    const struct server *s = *state;
    struct ovsdb_txn *txn = ovsdb_txn_create(DB);
    ovsdb_txn_comment(txn, "fabric test");
    ovsdb_txn_insert(txn, "Parent", json_pack("{ss}", "name", "p"), NULL);
    ovsdb_txn_commit(txn, false);
    assert_int_equal(ovsdb_txn_n_ops(txn), 3);
    assert_int_equal(send_txn(s, txn, NULL, NULL), 0);
    json_decref(select_one(s, "Parent", "p"));
}

static void
test_abort(void **state)
{
    const struct server *s = *state;
    struct ovsdb_txn *txn = ovsdb_txn_create(DB);
    ovsdb_txn_insert(txn, "Parent", json_pack("{ss}", "name", "p"), NULL);
    ovsdb_txn_abort(txn);
    ovsdb_txn_comment(txn, "never");
    struct ovsdb_error *error;
    assert_int_equal(send_txn(s, txn, NULL, &error), -ECANCELED);
    assert_string_equal(error->tag, "aborted");
    assert_non_null(strstr(error->msg, "transaction operation 1 (abort) "
                                       "failed: aborted"));
    ovsdb_error_free(error);

    json_t *rows = select_rows(s, "Parent", "p");
    assert_int_equal(json_array_size(rows), 0);
    json_decref(rows);
}

static void
test_assert_lock_not_held(void **state)
{
    const struct server *s = *state;
    struct ovsdb_txn *txn = ovsdb_txn_create(DB);
    ovsdb_txn_assert(txn, "fabric_lock");
    ovsdb_txn_insert(txn, "Parent", json_pack("{ss}", "name", "p"), NULL);
    struct ovsdb_error *error;
    assert_int_equal(send_txn(s, txn, NULL, &error), -EPERM);
    assert_int_equal(error->code, -EPERM);
    assert_string_equal(error->tag, "not owner");
    assert_non_null(strstr(error->msg, "transaction operation 0 (assert) "
                                       "failed: not owner"));
    ovsdb_error_free(error);
}

/* A duplicate in an index is found at commit, after every operation
 * succeeded: the error is the extra entry at the end of the result. */
static void
test_constraint_violation(void **state)
{
    const struct server *s = *state;
    char *uuid = insert_parent(s, "p", 1);

    struct ovsdb_txn *txn = ovsdb_txn_create(DB);
    ovsdb_txn_insert(txn, "Parent", json_pack("{ss}", "name", "p"), NULL);
    json_t *result;
    struct ovsdb_error *error;
    assert_int_equal(send_txn(s, txn, &result, &error), -EINVAL);
    assert_int_equal(json_array_size(result), 2);
    assert_non_null(ovsdb_txn_inserted_uuid(result, 0));
    assert_int_equal(error->code, -EINVAL);
    assert_string_equal(error->tag, "constraint violation");
    assert_non_null(error->details);
    assert_non_null(strstr(error->details, "index on column \"name\""));
    assert_non_null(strstr(error->details, uuid));
    assert_non_null(strstr(error->msg, "constraint violation: "));
    assert_non_null(strstr(error->msg, error->details));
    ovsdb_error_free(error);
    json_decref(result);
    free(uuid);
}

/* Deleting a row that is still referenced also fails at commit. */
static void
test_referential_integrity(void **state)
{
    const struct server *s = *state;
    struct ovsdb_txn *txn = ovsdb_txn_create(DB);
    ovsdb_txn_insert(txn, "Child", json_pack("{ss}", "name", "c"), "c");
    ovsdb_txn_insert(
        txn, "Parent",
        json_pack("{sss[ss]}", "name", "p", "child", "named-uuid", "c"), NULL);
    assert_int_equal(send_txn(s, txn, NULL, NULL), 0);

    txn = ovsdb_txn_create(DB);
    ovsdb_txn_delete(txn, "Child", where_name("c"));
    struct ovsdb_error *error;
    assert_int_equal(send_txn(s, txn, NULL, &error), -EINVAL);
    assert_string_equal(error->tag, "referential integrity violation");
    assert_non_null(strstr(error->msg, "transaction failed to commit: "
                                       "referential integrity violation"));
    ovsdb_error_free(error);
}

/* An operation the server cannot parse fails where it stands. */
static void
test_operation_error(void **state)
{
    const struct server *s = *state;
    struct ovsdb_txn *txn = ovsdb_txn_create(DB);
    ovsdb_txn_comment(txn, "first");
    ovsdb_txn_insert(txn, "NoSuchTable", NULL, NULL);
    ovsdb_txn_comment(txn, "last");
    struct ovsdb_error *error;
    assert_int_equal(send_txn(s, txn, NULL, &error), -EINVAL);
    assert_non_null(error->tag);
    assert_non_null(strstr(error->msg, "transaction operation 1 (insert "
                                       "into NoSuchTable) failed: "));
    ovsdb_error_free(error);
}

int
main(void)
{
    atexit(stop_current_at_exit);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
#define T(NAME)                                                               \
    cmocka_unit_test_setup_teardown(NAME, server_setup, server_teardown)
        T(test_insert_named_uuid_and_select),
        T(test_update_mutate_delete),
        T(test_wait),
        T(test_comment_and_commit),
        T(test_abort),
        T(test_assert_lock_not_held),
        T(test_constraint_violation),
        T(test_referential_integrity),
        T(test_operation_error),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
