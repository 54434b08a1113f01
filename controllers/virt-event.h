/* virt-event: libvirt's event loop, run by libevent.
 *
 * libvirt needs an event loop for domain events (virt_watch() in virt.h),
 * connection keepalives and the remote driver's asynchronous messages.
 * Instead of running libvirt's own loop in a thread, fabricd hands libvirt
 * the callbacks of virEventRegisterImpl(), implemented here with libevent
 * events on fabricd's one event_base, so libvirt's work happens inside
 * event_base_loop() like everything else.
 *
 * Rules of this module:
 * - virt_event_register() is called once per process, before any
 *   virConnectOpen(); a second call with the same base does nothing, one
 *   with another base fails (libvirt keeps one implementation for the
 *   life of the process).
 * - Handles: VIR_EVENT_HANDLE_READABLE and WRITABLE become EV_READ and
 *   EV_WRITE of a persistent event; no flags at all disable the handle.
 *   When libevent reports the descriptor ready, a poll() with no wait
 *   reads its exact state, so libvirt sees ERROR and HANGUP as it would
 *   from its own poll() loop.
 * - Timeouts: a period in milliseconds; -1 disables the timer, 0 fires
 *   it on every loop iteration as soon as possible.  Updating a timer
 *   starts its period again from now.
 * - Removing a handle or timeout stops it at once, but its free function
 *   ('ff', given when it was added) runs later, from the loop: libvirt
 *   may remove from inside a callback while holding locks that 'ff' needs.
 * - Single-threaded: libvirt calls these functions from the threads that
 *   call libvirt, and libevent (without evthread) allows only the thread
 *   that runs the base.  fabricd makes every libvirt call from its main
 *   loop.
 */
#ifndef CONTROLLERS_VIRT_EVENT_H
#define CONTROLLERS_VIRT_EVENT_H 1

#include <stdbool.h>

struct event_base;

/* Makes libvirt run its events on 'base'.  Returns 0, or -EBUSY when
 * another base was registered before, or -ENOMEM. */
int virt_event_register(struct event_base *base);

/* True once virt_event_register() has succeeded in this process. */
bool virt_event_registered(void);

#endif /* virt-event.h */
