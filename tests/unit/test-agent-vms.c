/* Unit tests of fabric/agent-vms.h against libvirt's test driver
 * (test:///default: an in-memory hypervisor, fresh for each connection,
 * that already holds a domain "test" of its own): what the agent defines,
 * starts, redefines, restarts and removes, and what it leaves alone.
 * Seeds and overlays are real files in a temporary directory (xorriso and
 * qemu-img run). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <libvirt/libvirt.h>

#include "agent-vms.h"
#include "ovsdb-error.h"
#include "sandbox.h"
#include "virt-event.h"
#include "virt.h"
#include "vm-spec.h"
#include "xstring.h"

#define URI "test:///default"

/* libvirt takes one event loop per process. */
static struct event_base *base;

struct fixture {
    char *dir;
    struct agent_vms *vms;
    int changes; /* Calls of the 'changed' callback. */
};

static void
changed(void *f_)
{
    struct fixture *f = f_;
    f->changes++;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->dir = sbx_mkdtemp("agent-vms");
    char *vm_dir = sbx_path(f->dir, "vms");
    f->vms = agent_vms_create(base, URI, "hv1", "fab-", vm_dir, changed, f);
    free(vm_dir);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    agent_vms_destroy(f->vms);
    sbx_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* A VM spec for guest 'name' with one NIC at 'ip', files in the VM dir. */
static struct vm_spec *
make_spec(struct fixture *f, const char *name, const char *uuid,
          const char *ip)
{
    struct vm_spec *s = calloc(1, sizeof *s);
    s->domain = xasprintf("fab-%s", name);
    s->uuid = strdup(uuid);
    s->lab = strdup("lab1");
    s->guest = strdup(name);
    s->host = strdup("hv1");
    s->hostname = strdup(name);
    s->domain_type = strdup("qemu");
    s->vcpus = 1;
    s->memory_mb = 64;
    s->seed = xasprintf("%s/vms/%s/seed.iso", f->dir, s->domain);
    s->console = xasprintf("%s/vms/%s/console.sock", f->dir, s->domain);
    s->console_log = xasprintf("%s/vms/%s/console.log", f->dir, s->domain);
    s->bridge = strdup("br-int");
    s->nics = calloc(1, sizeof *s->nics);
    s->n_nics = 1;
    struct vm_nic *n = &s->nics[0];
    n->name = strdup("eth0");
    n->mac = strdup("02:fa:00:00:00:01");
    n->mtu = 1442;
    n->port = strdup("fv12345678");
    n->iface_id = strdup(uuid);
    n->vlan = 10;
    n->addresses = calloc(1, sizeof *n->addresses);
    n->addresses[n->n_addresses++] = strdup(ip);
    return s;
}

/* Reconciles 'specs' and fails the test on any error. */
static void
reconcile_ok(struct fixture *f, struct vm_spec **specs,
             const enum fabric_restart *restart, size_t n)
{
    struct ovsdb_error *error = NULL;
    int failures = agent_vms_reconcile(f->vms, specs, restart, n, &error);
    if (failures) {
        fail_msg("%d failures: %s", failures, error ? error->msg : "?");
    }
    assert_null(error);
}

static const char *
state_of(struct fixture *f, const char *name)
{
    const char *state = NULL, *reason = NULL;
    if (!agent_vms_state(f->vms, name, &state, &reason)) {
        return "(none)";
    }
    static char text[128];
    snprintf(text, sizeof text, "%s (%s)", state, reason);
    return text;
}

static bool
exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void
test_define_start_remove(void **state)
{
    struct fixture *f = *state;
    struct vm_spec *specs[2] = {
        make_spec(f, "g1", "11111111-1111-4111-8111-111111111111",
                  "10.0.0.1/24"),
        make_spec(f, "g2", "22222222-2222-4222-8222-222222222222",
                  "10.0.0.2/24"),
    };
    enum fabric_restart restart[2] = {FABRIC_RESTART_ON_FAILURE,
                                      FABRIC_RESTART_ALWAYS};

    /* Nothing wanted and nothing there: libvirt is not even reached. */
    reconcile_ok(f, NULL, NULL, 0);

    reconcile_ok(f, specs, restart, 2);
    assert_string_equal(state_of(f, "g1"), "running (booted)");
    assert_string_equal(state_of(f, "g2"), "running (booted)");
    assert_true(exists(specs[0]->seed));
    assert_non_null(agent_vms_console(f->vms, "g1"));
    assert_string_equal(agent_vms_console(f->vms, "g1"), specs[0]->console);

    /* Again: nothing changes (the seed keeps its inode). */
    struct stat before, after;
    assert_int_equal(stat(specs[0]->seed, &before), 0);
    reconcile_ok(f, specs, restart, 2);
    assert_int_equal(stat(specs[0]->seed, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_string_equal(state_of(f, "g1"), "running (booted)");

    /* A new address changes the seed only: the VM is redefined and
     * started again with the new seed. */
    free(specs[0]->nics[0].addresses[0]);
    specs[0]->nics[0].addresses[0] = strdup("10.0.0.9/24");
    reconcile_ok(f, specs, restart, 2);
    assert_int_equal(stat(specs[0]->seed, &after), 0);
    assert_int_not_equal(before.st_ino, after.st_ino);
    assert_string_equal(state_of(f, "g1"), "running (booted)");

    /* g2 goes: its domain and its files go, g1 and the test driver's own
     * domain "test" stay. */
    char *g2_dir = xasprintf("%s/vms/fab-g2", f->dir);
    assert_true(exists(g2_dir));
    reconcile_ok(f, specs, restart, 1);
    assert_false(exists(g2_dir));
    assert_string_equal(state_of(f, "g2"), "(none)");
    assert_string_equal(state_of(f, "g1"), "running (booted)");
    free(g2_dir);

    /* Everything goes but the test driver's own domain. */
    reconcile_ok(f, NULL, NULL, 0);
    char *vm_dir = xasprintf("%s/vms/fab-g1", f->dir);
    assert_false(exists(vm_dir));
    free(vm_dir);
    int st, reason;
    struct virt *v = agent_vms_virt(f->vms);
    assert_int_equal(virt_state(v, "fab-g1", &st, &reason, NULL), -ENOENT);
    assert_int_equal(virt_state(v, "test", &st, &reason, NULL), 0);
    assert_int_equal(st, VIR_DOMAIN_RUNNING);

    vm_spec_free(specs[0]);
    vm_spec_free(specs[1]);
}

/* Restart policies after a destroy from outside (a second connection to
 * test:///default would be another hypervisor: the test acts on the
 * agent's own connection). */
static void
test_restart_policies(void **state)
{
    struct fixture *f = *state;
    struct vm_spec *specs[3] = {
        make_spec(f, "a", "33333333-3333-4333-8333-333333333333",
                  "10.0.0.3/24"),
        make_spec(f, "b", "44444444-4444-4444-8444-444444444444",
                  "10.0.0.4/24"),
        make_spec(f, "c", "55555555-5555-4555-8555-555555555555",
                  "10.0.0.5/24"),
    };
    enum fabric_restart restart[3] = {FABRIC_RESTART_ON_FAILURE,
                                      FABRIC_RESTART_ALWAYS,
                                      FABRIC_RESTART_NEVER};
    reconcile_ok(f, specs, restart, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(state_of(f, specs[i]->guest), "running (booted)");
    }

    /* Destroyed from outside: only 'always' comes back. */
    struct virt *v = agent_vms_virt(f->vms);
    assert_non_null(v);
    assert_int_equal(virt_stop(v, "fab-a", NULL), 0);
    assert_int_equal(virt_stop(v, "fab-b", NULL), 0);
    assert_int_equal(virt_stop(v, "fab-c", NULL), 0);
    reconcile_ok(f, specs, restart, 3);
    assert_string_equal(state_of(f, "a"), "shut off (destroyed)");
    assert_string_equal(state_of(f, "b"), "running (booted)");
    assert_string_equal(state_of(f, "c"), "shut off (destroyed)");

    reconcile_ok(f, NULL, NULL, 0);
    for (size_t i = 0; i < 3; i++) {
        vm_spec_free(specs[i]);
    }
}

int
main(void)
{
    base = event_base_new();
    if (virt_event_register(base)) {
        fprintf(stderr, "cannot register libvirt's event loop\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_define_start_remove, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_restart_policies, setup,
                                        teardown),
    };
    int failures = cmocka_run_group_tests(tests, NULL, NULL);
    /* libvirt keeps the loop's events: the base stays for the process. */
    return failures;
}
