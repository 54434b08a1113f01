/* Unit tests of fabric/agent-netns.h: passes in slices, one host-wide
 * snapshot per pass, guests left alone unless needed, removals, retries.
 * Commands go to a dry run; reads are answered by a reader that says
 * nothing exists (or fails for one guest), so nothing touches the
 * system. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent-netns.h"
#include "cmd.h"
#include "netns.h"

#define N_GUESTS 5

struct world {
    char dir[64];
    struct netns_guest *guests[N_GUESTS];
    char *names[N_GUESTS];
    char *log;
    size_t log_len;
    FILE *log_file;
    const char *failing; /* A namespace whose reads fail, or NULL. */
};

/* Answers every read with nothing, except those about 'w->failing'. */
static char *
reader(const char *line, void *w_)
{
    struct world *w = w_;
    fprintf(w->log_file, "%s\n", line);
    char *out = NULL;
    if (w->failing && !strcmp(line, "ip -j netns list")) {
        /* It exists, so that an ensure reads inside it. */
        assert_true(asprintf(&out, "[{\"name\": \"%s\"}]", w->failing) > 0);
        return out;
    }
    if (w->failing && strstr(line, w->failing)) {
        return NULL;
    }
    return strdup("");
}

/* Guest 'i' with address 10.0.0.'host'. */
static struct netns_guest *
make_guest(int i, int host)
{
    char netns[32], peer[16], addr[32];
    snprintf(netns, sizeof netns, "fab-g%d", i);
    snprintf(peer, sizeof peer, "fg%d", i);
    snprintf(addr, sizeof addr, "10.0.0.%d/24", host);
    struct netns_guest *g = netns_guest_create(netns);
    netns_iface_add_address(
        netns_guest_add_iface(g, "eth0", peer, NULL, 0, NULL), addr);
    return g;
}

static int
setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "/tmp/test-agent-netns-%d-XXXXXX",
             (int)getpid());
    assert_non_null(mkdtemp(w->dir));
    for (int i = 0; i < N_GUESTS; i++) {
        w->guests[i] = make_guest(i, i + 1);
        assert_true(asprintf(&w->names[i], "g%d", i) > 0);
    }
    w->log_file = open_memstream(&w->log, &w->log_len);
    cmd_set_dry_run(w->log_file);
    netns_set_reader(reader, w);
    *state = w;
    return 0;
}

static int
teardown(void **state)
{
    struct world *w = *state;
    cmd_set_dry_run(NULL);
    netns_set_reader(NULL, NULL);
    fclose(w->log_file);
    free(w->log);
    for (int i = 0; i < N_GUESTS; i++) {
        netns_guest_free(w->guests[i]);
        free(w->names[i]);
    }
    char path[128];
    snprintf(path, sizeof path, "%s/namespaces", w->dir);
    unlink(path);
    rmdir(w->dir);
    free(w);
    return 0;
}

/* Calls agent_netns_run() until it says done, at most 'max' times;
 * returns how many calls it took and the failures in '*failuresp'. */
static int
run_until_done(struct agent_netns *an, struct world *w, size_t n,
               int budget_ms, int max, int *failuresp)
{
    for (int calls = 1; calls <= max; calls++) {
        if (agent_netns_run(an, w->guests, w->names, n, budget_ms,
                            failuresp)) {
            return calls;
        }
        assert_int_equal(*failuresp, 0);
    }
    fail_msg("agent_netns_run() not done after %d calls", max);
    return -1;
}

/* Returns the number of lines of the log that start with 'prefix'. */
static int
count(struct world *w, const char *prefix)
{
    fflush(w->log_file);
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = w->log; p && *p;
         p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        n += !strncmp(p, prefix, len);
    }
    return n;
}

static void
test_slices(void **state)
{
    struct world *w = *state;
    struct agent_netns *an = agent_netns_create(w->dir, "fab-", 1000);
    struct agent_netns_stats st;
    int failures;

    /* A budget of 0: one guest per slice, then the (empty) removals. */
    assert_int_equal(run_until_done(an, w, N_GUESTS, 0, 20, &failures),
                     N_GUESTS + 1);
    assert_int_equal(failures, 0);
    agent_netns_stats(an, &st);
    assert_int_equal(st.passes, 1);
    assert_int_equal(st.ensures, N_GUESTS);
    assert_int_equal(st.slices, N_GUESTS + 1);
    /* One host-wide read for the whole pass. */
    assert_int_equal(st.snapshot_reads, 1);
    assert_int_equal(count(w, "ip -j netns list"), 1);
    assert_int_equal(count(w, "ip -j -d link show"), 1);
    assert_int_equal(count(w, "ip netns add fab-g"), N_GUESTS);
    for (int i = 0; i < N_GUESTS; i++) {
        assert_true(agent_netns_is_made(an, w->guests[i]->netns));
    }

    /* Nothing changed: no pass, no read. */
    assert_true(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 0, &failures));
    agent_netns_stats(an, &st);
    assert_int_equal(st.passes, 1);
    assert_int_equal(count(w, "ip -j netns list"), 1);

    /* Owned: recorded in RUNDIR/namespaces; a new instance knows them. */
    agent_netns_destroy(an);
    an = agent_netns_create(w->dir, "fab-", 1000);

    /* A full pass inspects every guest once, even when the description
     * changes half-way: then it starts over, but what it made as now
     * described stays. */
    agent_netns_force(an);
    assert_false(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 0, &failures));
    assert_false(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 0, &failures));
    netns_guest_free(w->guests[3]);
    w->guests[3] = make_guest(3, 99);
    assert_int_equal(run_until_done(an, w, N_GUESTS, 0, 20, &failures),
                     N_GUESTS - 2 + 1);
    agent_netns_stats(an, &st);
    assert_int_equal(st.passes, 1);
    assert_int_equal(st.ensures, N_GUESTS);
    assert_int_equal(st.snapshot_reads, 2);
    assert_int_equal(count(w, "  address add 10.0.0.99/24 dev eth0"), 1);

    /* Two guests go: two removals, in slices too. */
    assert_int_equal(run_until_done(an, w, N_GUESTS - 2, 0, 20, &failures), 3);
    agent_netns_stats(an, &st);
    assert_int_equal(st.removals, 2);
    assert_int_equal(st.ensures, N_GUESTS);
    assert_false(agent_netns_is_made(an, "fab-g4"));
    assert_int_equal(count(w, "ip netns del fab-g"), 0); /* None existed. */
    agent_netns_destroy(an);

    /* What is owned now: the three guests left. */
    char path[128], line[64];
    snprintf(path, sizeof path, "%s/namespaces", w->dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
    }
    fclose(f);
    assert_int_equal(lines, N_GUESTS - 2);
}

/* Calls agent_netns_run() with a budget of 0 until no pass is under way;
 * returns the number of calls. */
static int
run_until_idle(struct agent_netns *an, struct world *w, size_t n)
{
    int calls = 0, failures;
    do {
        calls++;
        assert_true(agent_netns_run(an, w->guests, w->names, n, 0, &failures));
        assert_int_equal(failures, 0);
    } while (agent_netns_busy(an) && calls < 100);
    return calls;
}

static void
test_repair(void **state)
{
    struct world *w = *state;
    struct agent_netns *an = agent_netns_create(w->dir, "fab-", 1000);
    struct agent_netns_stats st;
    int failures;
    assert_true(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 10000, &failures));
    assert_false(agent_netns_busy(an));

    /* A repair does not hold convergence back: the guests are as
     * described all along, and it goes on a guest per slice. */
    agent_netns_force(an);
    assert_true(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 0, &failures));
    assert_true(agent_netns_busy(an));
    agent_netns_stats(an, &st);
    assert_int_equal(st.ensures, N_GUESTS + 1);

    /* Another request during it: covered, not started over. */
    agent_netns_force(an);
    assert_true(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 0, &failures));
    agent_netns_stats(an, &st);
    assert_int_equal(st.ensures, N_GUESTS + 2);

    /* A change during it goes first, then the repair goes on without
     * inspecting again what it did. */
    netns_guest_free(w->guests[4]);
    w->guests[4] = make_guest(4, 99);
    assert_false(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 0, &failures));
    agent_netns_stats(an, &st);
    assert_int_equal(st.ensures, N_GUESTS + 3);
    assert_int_equal(count(w, "  address add 10.0.0.99/24 dev eth0"), 1);
    run_until_idle(an, w, N_GUESTS);
    agent_netns_stats(an, &st);
    assert_int_equal(st.passes, 2);
    assert_int_equal(st.ensures, 2 * N_GUESTS);

    /* The periodic repair waits its period after the last one ended. */
    agent_netns_repair(an, 60000);
    assert_true(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 0, &failures));
    assert_false(agent_netns_busy(an));
    agent_netns_repair(an, 0);
    assert_true(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 0, &failures));
    assert_true(agent_netns_busy(an));
    run_until_idle(an, w, N_GUESTS);
    agent_netns_stats(an, &st);
    assert_int_equal(st.passes, 3);
    assert_int_equal(st.ensures, 3 * N_GUESTS);
    agent_netns_destroy(an);
}

static void
test_budget(void **state)
{
    /* A large budget makes the whole pass in one call. */
    struct world *w = *state;
    struct agent_netns *an = agent_netns_create(w->dir, "fab-", 1000);
    int failures;
    assert_true(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 10000, &failures));
    assert_int_equal(failures, 0);
    agent_netns_destroy(an);
}

static void
test_failure_and_retry(void **state)
{
    struct world *w = *state;
    struct agent_netns *an = agent_netns_create(w->dir, "fab-", 60000);
    struct agent_netns_stats st;
    int failures;
    w->failing = "fab-g2";
    assert_true(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 10000, &failures));
    assert_int_equal(failures, 1);
    assert_string_equal(agent_netns_error(an),
                        "guest g2: Cannot set up "
                        "netns guest fab-g2: `ip -n fab-g2 -j -d address "
                        "show` failed.");
    assert_false(agent_netns_is_made(an, "fab-g2"));
    assert_true(agent_netns_is_made(an, "fab-g3"));

    /* Not again before the retry delay. */
    w->failing = NULL;
    assert_true(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 10000, &failures));
    assert_int_equal(failures, 1);
    agent_netns_stats(an, &st);
    assert_int_equal(st.passes, 1);
    assert_int_equal(st.ensures, N_GUESTS);
    agent_netns_destroy(an);

    /* After it (0 here): only the failed guest again. */
    an = agent_netns_create(w->dir, "fab-", 0);
    w->failing = "fab-g2";
    assert_true(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 10000, &failures));
    assert_int_equal(failures, 1);
    w->failing = NULL;
    assert_true(
        agent_netns_run(an, w->guests, w->names, N_GUESTS, 10000, &failures));
    assert_int_equal(failures, 0);
    assert_string_equal(agent_netns_error(an), "");
    assert_true(agent_netns_is_made(an, "fab-g2"));
    agent_netns_stats(an, &st);
    assert_int_equal(st.passes, 2);
    assert_int_equal(st.ensures, N_GUESTS + 1);
    agent_netns_destroy(an);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_budget, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_and_retry, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
