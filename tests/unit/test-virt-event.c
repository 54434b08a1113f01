/* Unit tests of controllers/virt-event.h: libvirt's event API
 * (virEventAddHandle() and friends) running on a libevent base, and
 * domain lifecycle events of libvirt's test driver arriving through it.
 * One base serves the whole process, as libvirt allows one event
 * implementation per process. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "virt-event.h"

static struct event_base *base;

/* Runs 'base' until '*done' is true, for 5 s at most. */
static void
run_until(const bool *done)
{
    struct timeval deadline;
    gettimeofday(&deadline, NULL);
    deadline.tv_sec += 5;
    while (!*done) {
        struct timeval now;
        gettimeofday(&now, NULL);
        if (timercmp(&now, &deadline, >)) {
            fail_msg("Timed out waiting for an event.");
        }
        /* EVLOOP_ONCE blocks until something happens; a 100 ms timer
         * keeps it from blocking for ever. */
        struct event *tick = evtimer_new(base, NULL, NULL);
        struct timeval tv = {0, 100 * 1000};
        evtimer_add(tick, &tv);
        event_base_loop(base, EVLOOP_ONCE);
        event_free(tick);
    }
}

/* Runs one non-blocking iteration of the loop. */
static void
run_once(void)
{
    event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

struct counter {
    int calls;       /* Callback calls. */
    int last_events; /* VIR_EVENT_HANDLE_* of the last handle call. */
    int frees;       /* Free function calls. */
    int remove_id;   /* Remove this handle from its callback, or 0. */
    bool done;
};

static void
count_free(void *c_)
{
    struct counter *c = c_;
    c->frees++;
}

static void
count_timeout(int timer, void *c_)
{
    struct counter *c = c_;
    c->calls++;
    c->done = true;
}

static void
count_handle(int watch, int fd, int events, void *c_)
{
    struct counter *c = c_;
    c->calls++;
    c->last_events = events;
    c->done = true;
    if (c->remove_id) {
        assert_int_equal(virEventRemoveHandle(c->remove_id), 0);
        c->remove_id = 0;
        /* Not yet: libvirt needs the free function called later. */
        assert_int_equal(c->frees, 0);
    }
}

static void
test_register_twice(void **state)
{
    (void)state;
    assert_true(virt_event_registered());
    assert_int_equal(virt_event_register(base), 0);
    struct event_base *other = event_base_new();
    assert_int_equal(virt_event_register(other), -EBUSY);
    event_base_free(other);
}

static void
test_timeouts(void **state)
{
    (void)state;

    /* 0: fires on every iteration. */
    struct counter zero = {0};
    int t0 = virEventAddTimeout(0, count_timeout, &zero, count_free);
    assert_true(t0 > 0);
    run_once();
    run_once();
    run_once();
    assert_true(zero.calls >= 2);

    /* -1: never, until enabled. */
    virEventUpdateTimeout(t0, -1);
    int before = zero.calls;
    run_once();
    run_once();
    assert_int_equal(zero.calls, before);

    /* 20 ms: fires, and again. */
    struct counter period = {0};
    int t1 = virEventAddTimeout(20, count_timeout, &period, count_free);
    assert_true(t1 > 0 && t1 != t0);
    run_until(&period.done);
    period.done = false;
    run_until(&period.done);
    assert_int_equal(period.calls, 2);
    assert_int_equal(zero.calls, before);

    /* Removal stops at once; the free functions run later. */
    assert_int_equal(virEventRemoveTimeout(t1), 0);
    assert_int_equal(virEventRemoveTimeout(t0), 0);
    assert_int_equal(period.frees, 0);
    assert_int_equal(zero.frees, 0);
    assert_int_equal(virEventRemoveTimeout(t0), -1);
    run_once();
    assert_int_equal(period.frees, 1);
    assert_int_equal(zero.frees, 1);
    usleep(30 * 1000);
    run_once();
    assert_int_equal(period.calls, 2);
    assert_int_equal(period.frees, 1);
}

static void
test_handles(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);

    struct counter c = {0};
    int h = virEventAddHandle(fds[0], VIR_EVENT_HANDLE_READABLE, count_handle,
                              &c, count_free);
    assert_true(h > 0);
    run_once();
    assert_int_equal(c.calls, 0);

    assert_int_equal(write(fds[1], "x", 1), 1);
    run_until(&c.done);
    assert_int_equal(c.last_events, VIR_EVENT_HANDLE_READABLE);

    /* No flags: disabled, even though the pipe stays readable. */
    virEventUpdateHandle(h, 0);
    int calls = c.calls;
    run_once();
    assert_int_equal(c.calls, calls);

    /* The writer gone: readable and hung up. */
    close(fds[1]);
    virEventUpdateHandle(h, VIR_EVENT_HANDLE_READABLE);
    c.done = false;
    run_until(&c.done);
    assert_true(c.last_events & VIR_EVENT_HANDLE_HANGUP);

    /* Removed from inside its own callback: the callback checks that the
     * free function has not run yet; it runs from the loop. */
    c.remove_id = h;
    c.done = false;
    run_until(&c.done);
    assert_int_equal(c.remove_id, 0);
    calls = c.calls;
    run_once();
    assert_int_equal(c.frees, 1);
    assert_int_equal(c.calls, calls);
    assert_int_equal(virEventRemoveHandle(h), -1);
    close(fds[0]);
}

static void
test_writable(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct counter c = {0};
    int h = virEventAddHandle(fds[1], VIR_EVENT_HANDLE_WRITABLE, count_handle,
                              &c, NULL);
    assert_true(h > 0);
    run_until(&c.done);
    assert_int_equal(c.last_events, VIR_EVENT_HANDLE_WRITABLE);
    assert_int_equal(virEventRemoveHandle(h), 0);
    run_once();
    close(fds[0]);
    close(fds[1]);
}

/* Domain lifecycle events. */

struct lifecycle {
    int events[8];
    size_t n;
    char name[64];
    bool stopped; /* VIR_DOMAIN_EVENT_STOPPED seen. */
};

static int
on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
             void *l_)
{
    struct lifecycle *l = l_;
    if (l->n < sizeof l->events / sizeof *l->events) {
        l->events[l->n++] = event;
    }
    snprintf(l->name, sizeof l->name, "%s", virDomainGetName(dom));
    if (event == VIR_DOMAIN_EVENT_STOPPED) {
        l->stopped = true;
    }
    return 0;
}

static bool
has_event(const struct lifecycle *l, int event)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->events[i] == event) {
            return true;
        }
    }
    return false;
}

static void
quiet_errors(void *aux, virErrorPtr error)
{
}

static void
test_lifecycle(void **state)
{
    (void)state;
    virSetErrorFunc(NULL, quiet_errors);
    virConnectPtr conn = virConnectOpen("test:///default");
    assert_non_null(conn);

    struct lifecycle l = {.n = 0};
    int id = virConnectDomainEventRegisterAny(
        conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
        VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), &l, NULL);
    assert_true(id >= 0);

    char xml[256];
    snprintf(xml, sizeof xml,
             "<domain type='test'><name>ev-%d</name>"
             "<memory unit='MiB'>64</memory><os><type>hvm</type></os>"
             "</domain>",
             (int)getpid());
    virDomainPtr dom = virDomainDefineXML(conn, xml);
    assert_non_null(dom);
    assert_int_equal(virDomainCreate(dom), 0);
    assert_int_equal(virDomainDestroy(dom), 0);

    /* Nothing arrives without the loop. */
    assert_int_equal(l.n, 0);
    run_until(&l.stopped);
    assert_true(has_event(&l, VIR_DOMAIN_EVENT_DEFINED));
    assert_true(has_event(&l, VIR_DOMAIN_EVENT_STARTED));
    char name[64];
    snprintf(name, sizeof name, "ev-%d", (int)getpid());
    assert_string_equal(l.name, name);

    assert_int_equal(virDomainUndefine(dom), 0);
    virDomainFree(dom);
    assert_int_equal(virConnectDomainEventDeregisterAny(conn, id), 0);
    virConnectClose(conn);
}

static int
setup(void **state)
{
    base = event_base_new();
    return base && virt_event_register(base) == 0 ? 0 : -1;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_twice), cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_handles),        cmocka_unit_test(test_writable),
        cmocka_unit_test(test_lifecycle),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
