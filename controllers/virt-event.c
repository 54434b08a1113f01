/* virt-event: see virt-event.h for the rules.
 *
 * Every handle and timeout libvirt adds is a 'struct watch' on the list
 * 'live', with one libevent event.  Removing one frees its event at once
 * and moves the watch to the list 'dead'; the "reaper", a zero timer,
 * then calls the free functions and frees the watches from a later
 * callback of the loop, never from inside the remove call. */
#include "virt-event.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include <event2/event.h>
#include <libvirt/libvirt.h>

struct watch {
    struct watch *next;
    int id;              /* Handle or timer number given to libvirt. */
    struct event *event; /* NULL while disabled, and once removed. */
    void *opaque;        /* libvirt's. */
    virFreeCallback ff;  /* Frees 'opaque'; may be NULL. */

    /* Handles. */
    int fd;
    int events; /* VIR_EVENT_HANDLE_*. */
    virEventHandleCallback handle_cb;

    /* Timeouts. */
    int timeout; /* Milliseconds, or -1. */
    virEventTimeoutCallback timeout_cb;
};

static struct event_base *the_base;
static struct event *reaper;
static struct watch *live;
static struct watch *dead;
static int next_id = 1;

static struct watch *
find(int id, bool timer)
{
    for (struct watch *w = live; w; w = w->next) {
        if (w->id == id && (w->timeout_cb != NULL) == timer) {
            return w;
        }
    }
    return NULL;
}

static struct watch *
new_watch(void *opaque, virFreeCallback ff)
{
    struct watch *w = calloc(1, sizeof *w);
    if (w) {
        w->id = next_id++;
        w->opaque = opaque;
        w->ff = ff;
        w->fd = -1;
        w->next = live;
        live = w;
    }
    return w;
}

/* Calls the free functions of removed watches and frees them. */
static void
reap(evutil_socket_t fd, short what, void *aux)
{
    struct watch *list = dead;
    dead = NULL;
    while (list) {
        struct watch *w = list;
        list = w->next;
        if (w->ff) {
            w->ff(w->opaque);
        }
        free(w);
    }
}

/* Stops 'w' and hands it to the reaper. */
static int
remove_watch(struct watch *w)
{
    if (!w) {
        return -1;
    }
    for (struct watch **p = &live; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    if (w->event) {
        /* Allowed even from inside this event's own callback. */
        event_free(w->event);
        w->event = NULL;
    }
    w->next = dead;
    dead = w;
    if (!evtimer_pending(reaper, NULL)) {
        static const struct timeval now = {0, 0};
        evtimer_add(reaper, &now);
    }
    return 0;
}

/* Handles. */

/* Asks poll() for the state of 'fd' among 'events' and returns it as
 * VIR_EVENT_HANDLE_* flags, as libvirt's own loop does; 0 when there is
 * nothing to report, -1 when poll() fails. */
static int
poll_events(int fd, int events)
{
    struct pollfd pfd = {
        .fd = fd,
        .events = ((events & VIR_EVENT_HANDLE_READABLE ? POLLIN : 0) |
                   (events & VIR_EVENT_HANDLE_WRITABLE ? POLLOUT : 0)),
        .revents = 0,
    };
    if (poll(&pfd, 1, 0) < 0) {
        return -1;
    }
    return ((pfd.revents & POLLIN ? VIR_EVENT_HANDLE_READABLE : 0) |
            (pfd.revents & POLLOUT ? VIR_EVENT_HANDLE_WRITABLE : 0) |
            (pfd.revents & (POLLERR | POLLNVAL) ? VIR_EVENT_HANDLE_ERROR : 0) |
            (pfd.revents & POLLHUP ? VIR_EVENT_HANDLE_HANGUP : 0));
}

static void
on_fd(evutil_socket_t fd, short what, void *w_)
{
    struct watch *w = w_;
    int events = poll_events(fd, w->events);
    if (events < 0) {
        events = ((what & EV_READ ? VIR_EVENT_HANDLE_READABLE : 0) |
                  (what & EV_WRITE ? VIR_EVENT_HANDLE_WRITABLE : 0));
    }
    if (events) {
        /* 'w' may be updated or removed by the callback; it stays
         * allocated until the reaper runs, but is not touched after. */
        w->handle_cb(w->id, fd, events, w->opaque);
    }
}

/* Gives 'w' a libevent event for its 'events', or none when they are
 * 0.  Returns 0 or -1. */
static int
arm_handle(struct watch *w)
{
    if (w->event) {
        event_free(w->event);
        w->event = NULL;
    }
    short what = ((w->events & VIR_EVENT_HANDLE_READABLE ? EV_READ : 0) |
                  (w->events & VIR_EVENT_HANDLE_WRITABLE ? EV_WRITE : 0));
    if (!what) {
        return 0;
    }
    w->event = event_new(the_base, w->fd, what | EV_PERSIST, on_fd, w);
    if (!w->event || event_add(w->event, NULL)) {
        return -1;
    }
    return 0;
}

static int
add_handle(int fd, int events, virEventHandleCallback cb, void *opaque,
           virFreeCallback ff)
{
    struct watch *w = new_watch(opaque, ff);
    if (!w) {
        return -1;
    }
    w->fd = fd;
    w->events = events;
    w->handle_cb = cb;
    if (arm_handle(w)) {
        /* libvirt keeps 'opaque' when adding fails: no free function. */
        w->ff = NULL;
        remove_watch(w);
        return -1;
    }
    return w->id;
}

static void
update_handle(int id, int events)
{
    struct watch *w = find(id, false);
    if (w && w->events != events) {
        w->events = events;
        arm_handle(w);
    }
}

static int
remove_handle(int id)
{
    return remove_watch(find(id, false));
}

/* Timeouts. */

/* Starts the period of 'w' from now, or stops it when it is -1.  Returns
 * 0 or -1. */
static int
arm_timer(struct watch *w)
{
    evtimer_del(w->event);
    if (w->timeout < 0) {
        return 0;
    }
    struct timeval tv = {
        .tv_sec = w->timeout / 1000,
        .tv_usec = (w->timeout % 1000) * 1000,
    };
    return event_add(w->event, &tv) ? -1 : 0;
}

static void
on_timer(evutil_socket_t fd, short what, void *w_)
{
    struct watch *w = w_;
    /* The next period starts now (the callback may change it).  Not an
     * EV_PERSIST timer: libevent does not repeat a persistent timer of
     * zero. */
    arm_timer(w);
    w->timeout_cb(w->id, w->opaque);
}

static int
add_timeout(int timeout, virEventTimeoutCallback cb, void *opaque,
            virFreeCallback ff)
{
    struct watch *w = new_watch(opaque, ff);
    if (!w) {
        return -1;
    }
    w->timeout = timeout;
    w->timeout_cb = cb;
    w->event = evtimer_new(the_base, on_timer, w);
    if (!w->event || arm_timer(w)) {
        w->ff = NULL;
        remove_watch(w);
        return -1;
    }
    return w->id;
}

static void
update_timeout(int id, int timeout)
{
    struct watch *w = find(id, true);
    if (w) {
        w->timeout = timeout;
        arm_timer(w);
    }
}

static int
remove_timeout(int id)
{
    return remove_watch(find(id, true));
}

int
virt_event_register(struct event_base *base)
{
    if (the_base) {
        return the_base == base ? 0 : -EBUSY;
    }
    reaper = evtimer_new(base, reap, NULL);
    if (!reaper) {
        return -ENOMEM;
    }
    the_base = base;
    virEventRegisterImpl(add_handle, update_handle, remove_handle, add_timeout,
                         update_timeout, remove_timeout);
    return 0;
}

bool
virt_event_registered(void)
{
    return the_base != NULL;
}
