/* Unit tests of controllers/virt.h against libvirt's test driver
 * (test:///default, a fresh in-memory hypervisor for each connection):
 * which domains are fabric's, define/start/stop/undefine and their
 * idempotence, state and reason names, errors with libvirt's message and
 * nothing on stderr, lifecycle events through the libevent loop, and the
 * KVM test on made-up files. */
#include <errno.h>
#include <fcntl.h>
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

#include "domain-xml.h"
#include "ovsdb-error.h"
#include "virt-event.h"
#include "virt.h"
#include "vm-spec.h"

#define URI "test:///default"
/* The remote driver, to a socket that is not there. */
#define BAD_URI "test+unix:///default?socket=/nonexistent/test-virt.sock"

static struct event_base *base;
static char prefix[32]; /* "fab<PID>-": names unique to this run. */

/* The XML of a VM named PREFIX'guest' owned by 'host', as fabricd makes
 * it. */
static char *
owned_xml(const char *guest, const char *host, const char *uuid)
{
    struct vm_spec s = {
        .lab = (char *)"lab1",
        .guest = (char *)guest,
        .host = (char *)host,
        .uuid = (char *)uuid,
        .domain_type = (char *)"qemu",
        .vcpus = 1,
        .memory_mb = 64,
    };
    assert_true(asprintf(&s.domain, "%s%s", prefix, guest) > 0);
    char *xml = domain_xml(&s);
    free(s.domain);
    return xml;
}

/* The XML of a domain that fabric did not make. */
static char *
foreign_xml(const char *name)
{
    char *xml;
    assert_true(asprintf(&xml,
                         "<domain type='test'><name>%s</name>"
                         "<memory unit='MiB'>64</memory>"
                         "<os><type>hvm</type></os></domain>",
                         name) > 0);
    return xml;
}

static char *
full_name(const char *guest)
{
    char *name;
    assert_true(asprintf(&name, "%s%s", prefix, guest) > 0);
    return name;
}

static struct virt *
open_test(void)
{
    struct ovsdb_error *error = NULL;
    struct virt *v = virt_open(URI, &error);
    if (!v) {
        fail_msg("%s", error->msg);
    }
    assert_true(virt_alive(v));
    return v;
}

static void
define_ok(struct virt *v, char *xml)
{
    struct ovsdb_error *error = NULL;
    if (virt_define(v, xml, &error)) {
        fail_msg("%s", error->msg);
    }
    free(xml);
}

static void
test_list_owned(void **state)
{
    (void)state;
    struct virt *v = open_test();
    /* Ours on hv1, twice; another host's; one without metadata; one of
     * ours on hv1 but without the prefix (test:///default already has a
     * foreign domain named "test", too). */
    define_ok(v,
              owned_xml("b", "hv1", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0b02"));
    define_ok(v,
              owned_xml("a", "hv1", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0b01"));
    define_ok(v, owned_xml("other-host", "hv2",
                           "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0b03"));
    char *name = full_name("foreign");
    define_ok(v, foreign_xml(name));
    free(name);
    char *unprefixed =
        owned_xml("c", "hv1", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0b04");
    char *at = strstr(unprefixed, prefix);
    assert_non_null(at);
    memcpy(at, "xyz", 3);
    define_ok(v, unprefixed);

    struct virt_domain *doms = NULL;
    size_t n = 0;
    struct ovsdb_error *error = NULL;
    assert_int_equal(virt_list_owned(v, "hv1", prefix, &doms, &n, &error), 0);
    assert_int_equal(n, 2);
    char *a = full_name("a"), *b = full_name("b");
    assert_string_equal(doms[0].name, a);
    assert_string_equal(doms[1].name, b);
    assert_string_equal(doms[0].uuid, "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0b01");
    assert_string_equal(doms[0].meta.lab, "lab1");
    assert_string_equal(doms[0].meta.guest, "a");
    assert_string_equal(doms[0].meta.host, "hv1");
    assert_string_equal(doms[1].meta.guest, "b");
    assert_int_equal(strlen(doms[0].meta.spec), 16);
    assert_string_not_equal(doms[0].meta.spec, doms[1].meta.spec);
    assert_int_equal(doms[0].state, VIR_DOMAIN_SHUTOFF);
    virt_domains_free(doms, n);

    /* A running one says so; hv2 sees only its own. */
    assert_int_equal(virt_start(v, a, NULL), 0);
    assert_int_equal(virt_list_owned(v, "hv1", prefix, &doms, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(doms[0].state, VIR_DOMAIN_RUNNING);
    assert_int_equal(doms[0].reason, VIR_DOMAIN_RUNNING_BOOTED);
    assert_int_equal(doms[1].state, VIR_DOMAIN_SHUTOFF);
    virt_domains_free(doms, n);
    assert_int_equal(virt_list_owned(v, "hv2", prefix, &doms, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(doms[0].meta.host, "hv2");
    virt_domains_free(doms, n);

    /* No such prefix: nothing, and a valid empty result. */
    assert_int_equal(
        virt_list_owned(v, "hv1", "nosuchprefix-", &doms, &n, NULL), 0);
    assert_int_equal(n, 0);
    virt_domains_free(doms, n);

    free(a);
    free(b);
    virt_close(v);
}

static void
expect_state(struct virt *v, const char *name, int state, int reason)
{
    int s = -1, r = -1;
    struct ovsdb_error *error = NULL;
    if (virt_state(v, name, &s, &r, &error)) {
        fail_msg("%s", error->msg);
    }
    assert_int_equal(s, state);
    assert_int_equal(r, reason);
}

static void
test_lifecycle(void **state)
{
    (void)state;
    struct virt *v = open_test();
    char *name = full_name("life");
    define_ok(
        v, owned_xml("life", "hv1", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0c01"));

    assert_int_equal(virt_start(v, name, NULL), 0);
    expect_state(v, name, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);
    assert_int_equal(virt_start(v, name, NULL), 0);
    expect_state(v, name, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);

    assert_int_equal(virt_stop(v, name, NULL), 0);
    expect_state(v, name, VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED);
    assert_int_equal(virt_stop(v, name, NULL), 0);

    /* Redefining the same domain is fine. */
    define_ok(
        v, owned_xml("life", "hv1", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0c01"));

    assert_int_equal(virt_undefine(v, name, NULL), 0);
    assert_int_equal(virt_undefine(v, name, NULL), 0);
    assert_int_equal(virt_stop(v, name, NULL), 0);

    /* Gone: start and state say so, by name. */
    struct ovsdb_error *error = NULL;
    assert_int_equal(virt_start(v, name, &error), -ENOENT);
    assert_non_null(strstr(error->msg, name));
    assert_int_equal(error->code, -ENOENT);
    ovsdb_error_free(error);
    error = NULL;
    int s = 42, r = 43;
    assert_int_equal(virt_state(v, name, &s, &r, &error), -ENOENT);
    assert_int_equal(s, 42);
    assert_int_equal(r, 43);
    ovsdb_error_free(error);

    /* Undefining a running domain leaves it running, transient, until it
     * stops. */
    define_ok(
        v, owned_xml("life", "hv1", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0c01"));
    assert_int_equal(virt_start(v, name, NULL), 0);
    assert_int_equal(virt_undefine(v, name, NULL), 0);
    expect_state(v, name, VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED);
    assert_int_equal(virt_stop(v, name, NULL), 0);
    assert_int_equal(virt_state(v, name, &s, &r, NULL), -ENOENT);

    free(name);
    virt_close(v);
}

/* Runs fd 2 into a file while 'fn' runs and returns what was written. */
static char *
capture_stderr(void (*fn)(void *), void *aux)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/test-virt-%d.stderr", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    fn(aux);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);

    char *text = calloc(1, 4096);
    assert_non_null(text);
    assert_true(pread(fd, text, 4095, 0) >= 0);
    close(fd);
    return text;
}

struct bad_open {
    struct virt *v;
    struct ovsdb_error *error;
};

static void
open_bad(void *b_)
{
    struct bad_open *b = b_;
    b->v = virt_open(BAD_URI, &b->error);
}

static void
test_errors(void **state)
{
    (void)state;
    struct bad_open b = {NULL, NULL};
    char *printed = capture_stderr(open_bad, &b);
    assert_null(b.v);
    assert_non_null(b.error);
    assert_true(b.error->code < 0);
    /* Ours, then libvirt's. */
    const char *ours = "Cannot connect to libvirt at " BAD_URI ": ";
    assert_memory_equal(b.error->msg, ours, strlen(ours));
    assert_true(strlen(b.error->msg) > strlen(ours) + 5);
    assert_string_equal(printed, "");
    free(printed);
    ovsdb_error_free(b.error);

    struct virt *v = open_test();
    struct ovsdb_error *error = NULL;
    assert_int_equal(virt_define(v, "<domain type='test'><name>x", &error),
                     -EINVAL);
    ours = "Cannot define a domain on " URI ": ";
    assert_memory_equal(error->msg, ours, strlen(ours));
    /* libvirt's message follows: libxml2's words for the broken XML. */
    assert_non_null(strstr(error->msg + strlen(ours), "Premature end"));
    ovsdb_error_free(error);

    /* A second domain with the same name and another UUID. */
    define_ok(v,
              owned_xml("dup", "hv1", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0d01"));
    char *xml =
        owned_xml("dup", "hv1", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0d02");
    error = NULL;
    assert_true(virt_define(v, xml, &error) < 0);
    assert_non_null(strstr(error->msg, "already"));
    ovsdb_error_free(error);
    free(xml);
    virt_close(v);
    virt_close(NULL);
}

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(virt_state_name(VIR_DOMAIN_NOSTATE), "no state");
    assert_string_equal(virt_state_name(VIR_DOMAIN_RUNNING), "running");
    assert_string_equal(virt_state_name(VIR_DOMAIN_BLOCKED), "blocked");
    assert_string_equal(virt_state_name(VIR_DOMAIN_PAUSED), "paused");
    assert_string_equal(virt_state_name(VIR_DOMAIN_SHUTDOWN), "shutdown");
    assert_string_equal(virt_state_name(VIR_DOMAIN_SHUTOFF), "shut off");
    assert_string_equal(virt_state_name(VIR_DOMAIN_CRASHED), "crashed");
    assert_string_equal(virt_state_name(VIR_DOMAIN_PMSUSPENDED),
                        "pmsuspended");
    assert_string_equal(virt_state_name(-1), "unknown");
    assert_string_equal(virt_state_name(99), "unknown");

    static const struct {
        int state, reason;
        const char *name;
    } reasons[] = {
        {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_UNKNOWN, "unknown"},
        {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SHUTDOWN, "shutdown"},
        {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED, "destroyed"},
        {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_CRASHED, "crashed"},
        {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_MIGRATED, "migrated"},
        {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SAVED, "saved"},
        {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FAILED, "failed"},
        {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT,
         "from snapshot"},
        {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DAEMON, "daemon"},
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_UNKNOWN, "unknown"},
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED, "booted"},
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_MIGRATED, "migrated"},
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_RESTORED, "restored"},
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_FROM_SNAPSHOT,
         "from snapshot"},
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_UNPAUSED, "unpaused"},
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_MIGRATION_CANCELED,
         "migration canceled"},
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_SAVE_CANCELED,
         "save canceled"},
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_WAKEUP, "wakeup"},
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_CRASHED, "crashed"},
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_POSTCOPY, "post-copy"},
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_POSTCOPY_FAILED,
         "post-copy failed"},
        {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER, "user"},
        {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_IOERROR, "I/O error"},
        {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_STARTING_UP, "starting up"},
        {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_POSTCOPY_FAILED,
         "post-copy failed"},
        {VIR_DOMAIN_SHUTDOWN, VIR_DOMAIN_SHUTDOWN_USER, "user"},
        {VIR_DOMAIN_CRASHED, VIR_DOMAIN_CRASHED_UNKNOWN, "unknown"},
        {VIR_DOMAIN_CRASHED, VIR_DOMAIN_CRASHED_PANICKED, "panicked"},
        {VIR_DOMAIN_PMSUSPENDED, VIR_DOMAIN_PMSUSPENDED_UNKNOWN, "unknown"},
        {VIR_DOMAIN_SHUTOFF, 99, "unknown"},
        {VIR_DOMAIN_RUNNING, -1, "unknown"},
        {99, 1, "unknown"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++) {
        const char *name =
            virt_reason_name(reasons[i].state, reasons[i].reason);
        if (strcmp(name, reasons[i].name)) {
            fail_msg("State %d reason %d: \"%s\", not \"%s\".",
                     reasons[i].state, reasons[i].reason, name,
                     reasons[i].name);
        }
    }

    /* Every reason of every state has a name of its own. */
    static const struct {
        int state, last;
    } ranges[] = {
        {VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_POSTCOPY_FAILED},
        {VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_POSTCOPY_FAILED},
        {VIR_DOMAIN_SHUTDOWN, VIR_DOMAIN_SHUTDOWN_USER},
        {VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DAEMON},
        {VIR_DOMAIN_CRASHED, VIR_DOMAIN_CRASHED_PANICKED},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++) {
        for (int r = 1; r <= ranges[i].last; r++) {
            const char *name = virt_reason_name(ranges[i].state, r);
            assert_non_null(name);
            assert_string_not_equal(name, "unknown");
            for (int q = 0; q < r; q++) {
                assert_string_not_equal(name,
                                        virt_reason_name(ranges[i].state, q));
            }
        }
    }
}

/* Events. */

struct seen {
    char name[64];
    bool started, stopped;
};

static void
on_event(const char *name, int event, int detail, void *s_)
{
    struct seen *s = s_;
    if (strcmp(name, s->name)) {
        return;
    }
    if (event == VIR_DOMAIN_EVENT_STARTED) {
        s->started = true;
    } else if (event == VIR_DOMAIN_EVENT_STOPPED &&
               detail == VIR_DOMAIN_EVENT_STOPPED_DESTROYED) {
        s->stopped = true;
    }
}

static void
run_until(const bool *done)
{
    struct timeval deadline, now;
    gettimeofday(&deadline, NULL);
    deadline.tv_sec += 5;
    struct event *tick = evtimer_new(base, NULL, NULL);
    while (!*done) {
        gettimeofday(&now, NULL);
        if (timercmp(&now, &deadline, >)) {
            event_free(tick);
            fail_msg("Timed out waiting for a domain event.");
        }
        struct timeval tv = {0, 100 * 1000};
        evtimer_add(tick, &tv);
        event_base_loop(base, EVLOOP_ONCE);
    }
    event_free(tick);
}

static void
test_watch(void **state)
{
    (void)state;
    struct virt *v = open_test();
    struct seen seen = {.started = false};
    char *name = full_name("watched");
    snprintf(seen.name, sizeof seen.name, "%s", name);
    assert_int_equal(virt_watch(v, on_event, &seen), 0);

    define_ok(v, owned_xml("watched", "hv1",
                           "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0e01"));
    assert_int_equal(virt_start(v, name, NULL), 0);
    run_until(&seen.started);
    assert_int_equal(virt_stop(v, name, NULL), 0);
    run_until(&seen.stopped);

    /* A second watch replaces the first. */
    struct seen again = seen;
    again.started = again.stopped = false;
    seen.started = false;
    assert_int_equal(virt_watch(v, on_event, &again), 0);
    assert_int_equal(virt_start(v, name, NULL), 0);
    run_until(&again.started);
    assert_false(seen.started);

    assert_int_equal(virt_stop(v, name, NULL), 0);
    assert_int_equal(virt_undefine(v, name, NULL), 0);
    free(name);
    virt_close(v);
}

/* The KVM test. */

static char cpuinfo_path[64];

static void
write_cpuinfo(const char *flags)
{
    FILE *f = fopen(cpuinfo_path, "w");
    assert_non_null(f);
    fprintf(f,
            "processor\t: 0\nvendor_id\t: GenuineIntel\n"
            "flags\t\t: %s\nbugs\t\t: vmx svm\n\n",
            flags);
    fclose(f);
}

static void
test_detect(void **state)
{
    (void)state;
    snprintf(cpuinfo_path, sizeof cpuinfo_path, "/tmp/test-virt-%d.cpuinfo",
             (int)getpid());

    /* No KVM device, or a device that is not KVM. */
    write_cpuinfo("fpu vme vmx");
    assert_string_equal(
        virt_detect_domain_type_at("/nonexistent/kvm", cpuinfo_path), "qemu");
    assert_string_equal(virt_detect_domain_type_at("/dev/null", cpuinfo_path),
                        "qemu");

    /* With the real device, the CPU flags decide. */
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        assert_string_equal(
            virt_detect_domain_type_at("/dev/kvm", cpuinfo_path), "kvm");
        write_cpuinfo("fpu svm pae");
        assert_string_equal(
            virt_detect_domain_type_at("/dev/kvm", cpuinfo_path), "kvm");
        /* Whole words only, and only on the flags line. */
        write_cpuinfo("fpu vmxx xsvm hypervisor");
        assert_string_equal(
            virt_detect_domain_type_at("/dev/kvm", cpuinfo_path), "qemu");
        assert_string_equal(
            virt_detect_domain_type_at("/dev/kvm", "/nonexistent"), "qemu");
    }
    unlink(cpuinfo_path);

    /* This host: without vmx or svm (a PVM /dev/kvm), never "kvm". */
    FILE *f = fopen("/proc/cpuinfo", "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    bool virt_flag = false;
    while (getline(&line, &cap, f) > 0) {
        if (!strncmp(line, "flags", 5) &&
            (strstr(line, " vmx") || strstr(line, " svm"))) {
            virt_flag = true;
        }
    }
    free(line);
    fclose(f);
    const char *type = virt_detect_domain_type();
    if (!virt_flag) {
        assert_string_equal(type, "qemu");
    } else {
        assert_true(!strcmp(type, "kvm") || !strcmp(type, "qemu"));
    }
}

static int
setup(void **state)
{
    snprintf(prefix, sizeof prefix, "fab%d-", (int)getpid());
    base = event_base_new();
    return base && virt_event_register(base) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
    if (cpuinfo_path[0]) {
        unlink(cpuinfo_path);
    }
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_owned), cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_errors),     cmocka_unit_test(test_names),
        cmocka_unit_test(test_watch),      cmocka_unit_test(test_detect),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
