/* virt: see virt.h for the rules. */
#include "virt.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "domain-xml.h"
#include "ovsdb-error.h"
#include "virt-event.h"

struct virt {
    virConnectPtr conn;
    char *uri;
    int watch_id; /* virConnectDomainEventRegisterAny()'s, or -1. */
    void (*watch_cb)(const char *name, int event, int detail, void *aux);
    void *watch_aux;
};

/* Errors. */

static void
silent_error(void *aux, virErrorPtr error)
{
}

static void
init_libvirt(void)
{
    virInitialize();
    virSetErrorFunc(NULL, silent_error);
}

/* The errno closest to libvirt's last error. */
static int
last_error_code(void)
{
    switch (virGetLastErrorCode()) {
    case VIR_ERR_NO_DOMAIN:
        return -ENOENT;
    case VIR_ERR_DOM_EXIST:
        return -EEXIST;
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_XML_INVALID_SCHEMA:
    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_CONFIG_UNSUPPORTED:
        return -EINVAL;
    case VIR_ERR_OPERATION_INVALID:
        return -EBUSY;
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_OPERATION_UNSUPPORTED:
        return -ENOTSUP;
    case VIR_ERR_NO_MEMORY:
        return -ENOMEM;
    case VIR_ERR_OPERATION_TIMEOUT:
        return -ETIMEDOUT;
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_ACCESS_DENIED:
        return -EACCES;
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_INVALID_CONN:
        return -ENOTCONN;
    default:
        return -EIO;
    }
}

/* Sets '*errorp' to a new error whose message is 'what' (a printf
 * format) followed by libvirt's last error message, and returns its
 * code.  Call it before any other libvirt call resets that error. */
static int __attribute__((format(printf, 2, 3)))
fail(struct ovsdb_error **errorp, const char *what, ...)
{
    int code = last_error_code();
    char *prefix;
    va_list args;
    va_start(args, what);
    if (vasprintf(&prefix, what, args) < 0) {
        prefix = NULL;
    }
    va_end(args);
    struct ovsdb_error *error =
        ovsdb_error_new(code, NULL, "%s: %s", prefix ? prefix : what,
                        virGetLastErrorMessage());
    free(prefix);
    return ovsdb_error_set(errorp, error);
}

/* Connections. */

struct virt *
virt_open(const char *uri, struct ovsdb_error **errorp)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_libvirt);

    virConnectPtr conn = virConnectOpen(uri);
    if (!conn) {
        fail(errorp, "Cannot connect to libvirt at %s", uri);
        return NULL;
    }
    if (virt_event_registered()) {
        /* Notice a dead libvirtd: a keepalive every 5 s, dead after 3
         * unanswered.  Drivers without keepalives (test:///) refuse,
         * which is fine. */
        if (virConnectSetKeepAlive(conn, 5, 3) < 0) {
            virResetLastError();
        }
    }

    struct virt *v = calloc(1, sizeof *v);
    if (!v || !(v->uri = strdup(uri))) {
        free(v);
        virConnectClose(conn);
        ovsdb_error_set(errorp,
                        ovsdb_error_new(-ENOMEM, NULL, "Out of memory."));
        return NULL;
    }
    v->conn = conn;
    v->watch_id = -1;
    return v;
}

void
virt_close(struct virt *v)
{
    if (v) {
        if (v->watch_id >= 0) {
            virConnectDomainEventDeregisterAny(v->conn, v->watch_id);
        }
        virConnectClose(v->conn);
        free(v->uri);
        free(v);
    }
}

bool
virt_alive(const struct virt *v)
{
    return virConnectIsAlive(v->conn) == 1;
}

/* Listing. */

void
virt_domains_free(struct virt_domain *domains, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(domains[i].name);
        domain_meta_clear(&domains[i].meta);
    }
    free(domains);
}

static int
compare_domains(const void *a_, const void *b_)
{
    const struct virt_domain *a = a_, *b = b_;
    return strcmp(a->name, b->name);
}

/* Reads 'dom' into 'd' when it is fabric's on 'host'.  Returns 1 when it
 * is, 0 when it is foreign or gone, or a negative errno. */
static int
read_owned(virDomainPtr dom, const char *host, struct virt_domain *d,
           struct ovsdb_error **errorp)
{
    const char *name = virDomainGetName(dom);
    char *text = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
                                      DOMAIN_XML_NS, 0);
    if (!text) {
        int code = virGetLastErrorCode();
        if (code == VIR_ERR_NO_DOMAIN_METADATA || code == VIR_ERR_NO_DOMAIN) {
            return 0;
        }
        return fail(errorp, "Cannot read the metadata of domain %s", name);
    }
    struct domain_meta meta;
    int error = domain_meta_parse(text, &meta);
    free(text);
    if (error) {
        /* Not an element that fabric writes: not fabric's. */
        return 0;
    }
    if (strcmp(meta.host, host)) {
        domain_meta_clear(&meta);
        return 0;
    }

    int state, reason;
    if (virDomainGetState(dom, &state, &reason, 0) < 0 ||
        virDomainGetUUIDString(dom, d->uuid) < 0) {
        domain_meta_clear(&meta);
        if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN) {
            return 0;
        }
        return fail(errorp, "Cannot read the state of domain %s", name);
    }
    d->name = strdup(name);
    if (!d->name) {
        domain_meta_clear(&meta);
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-ENOMEM, NULL, "Out of memory."));
    }
    d->meta = meta;
    d->state = state;
    d->reason = reason;
    return 1;
}

int
virt_list_owned(struct virt *v, const char *host, const char *name_prefix,
                struct virt_domain **domainsp, size_t *np,
                struct ovsdb_error **errorp)
{
    virDomainPtr *doms = NULL;
    int n_doms = virConnectListAllDomains(v->conn, &doms, 0);
    if (n_doms < 0) {
        return fail(errorp, "Cannot list the domains of %s", v->uri);
    }

    struct virt_domain *domains = calloc(n_doms ? n_doms : 1, sizeof *domains);
    size_t n = 0;
    int error = domains ? 0 : -ENOMEM;
    for (int i = 0; i < n_doms; i++) {
        const char *name = virDomainGetName(doms[i]);
        if (!error && name &&
            !strncmp(name, name_prefix, strlen(name_prefix))) {
            int owned = read_owned(doms[i], host, &domains[n], errorp);
            if (owned < 0) {
                error = owned;
            } else if (owned) {
                n++;
            }
        }
        virDomainFree(doms[i]);
    }
    free(doms);

    if (error) {
        if (!domains) {
            ovsdb_error_set(errorp,
                            ovsdb_error_new(-ENOMEM, NULL, "Out of memory."));
        }
        virt_domains_free(domains, n);
        return error;
    }
    qsort(domains, n, sizeof *domains, compare_domains);
    *domainsp = domains;
    *np = n;
    return 0;
}

/* Changes. */

int
virt_define(struct virt *v, const char *xml, struct ovsdb_error **errorp)
{
    virDomainPtr dom = virDomainDefineXML(v->conn, xml);
    if (!dom) {
        return fail(errorp, "Cannot define a domain on %s", v->uri);
    }
    virDomainFree(dom);
    return 0;
}

/* Looks up domain 'name'.  Returns it, or NULL with libvirt's last error
 * set (VIR_ERR_NO_DOMAIN when it does not exist). */
static virDomainPtr
lookup(struct virt *v, const char *name)
{
    return virDomainLookupByName(v->conn, name);
}

static bool
missing(void)
{
    return virGetLastErrorCode() == VIR_ERR_NO_DOMAIN;
}

int
virt_start(struct virt *v, const char *name, struct ovsdb_error **errorp)
{
    virDomainPtr dom = lookup(v, name);
    if (!dom) {
        return fail(errorp, "Cannot start domain %s", name);
    }
    int error = 0;
    if (virDomainIsActive(dom) != 1 && virDomainCreate(dom) < 0) {
        /* Started meanwhile by someone else: fine. */
        if (virGetLastErrorCode() != VIR_ERR_OPERATION_INVALID ||
            virDomainIsActive(dom) != 1) {
            error = fail(errorp, "Cannot start domain %s", name);
        }
    }
    virDomainFree(dom);
    return error;
}

int
virt_stop(struct virt *v, const char *name, struct ovsdb_error **errorp)
{
    virDomainPtr dom = lookup(v, name);
    if (!dom) {
        return missing() ? 0 : fail(errorp, "Cannot stop domain %s", name);
    }
    int error = 0;
    if (virDomainIsActive(dom) != 0 && virDomainDestroy(dom) < 0) {
        /* Stopped meanwhile: fine. */
        int code = virGetLastErrorCode();
        if (code != VIR_ERR_NO_DOMAIN && (code != VIR_ERR_OPERATION_INVALID ||
                                          virDomainIsActive(dom) != 0)) {
            error = fail(errorp, "Cannot stop domain %s", name);
        }
    }
    virDomainFree(dom);
    return error;
}

int
virt_undefine(struct virt *v, const char *name, struct ovsdb_error **errorp)
{
    /* The flags to try, until the driver accepts some. */
    static const unsigned int flag_sets[] = {
        VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE,
        VIR_DOMAIN_UNDEFINE_MANAGED_SAVE,
        0,
    };

    virDomainPtr dom = lookup(v, name);
    if (!dom) {
        return (missing() ? 0
                          : fail(errorp, "Cannot undefine domain %s", name));
    }
    size_t n_sets = sizeof flag_sets / sizeof *flag_sets;
    int error = 0;
    for (size_t i = 0; virDomainUndefineFlags(dom, flag_sets[i]) < 0; i++) {
        int code = virGetLastErrorCode();
        if (code == VIR_ERR_NO_DOMAIN) {
            break; /* Undefined meanwhile. */
        }
        bool unsupported =
            (code == VIR_ERR_INVALID_ARG || code == VIR_ERR_NO_SUPPORT ||
             code == VIR_ERR_OPERATION_UNSUPPORTED);
        if (!unsupported || i + 1 == n_sets) {
            error = fail(errorp, "Cannot undefine domain %s", name);
            break;
        }
    }
    virDomainFree(dom);
    return error;
}

int
virt_state(struct virt *v, const char *name, int *statep, int *reasonp,
           struct ovsdb_error **errorp)
{
    virDomainPtr dom = lookup(v, name);
    if (!dom) {
        return fail(errorp, "Cannot read the state of domain %s", name);
    }
    int state, reason;
    int error = 0;
    if (virDomainGetState(dom, &state, &reason, 0) < 0) {
        error = fail(errorp, "Cannot read the state of domain %s", name);
    } else {
        *statep = state;
        *reasonp = reason;
    }
    virDomainFree(dom);
    return error;
}

/* Events. */

static int
on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail,
             void *v_)
{
    struct virt *v = v_;
    if (v->watch_cb) {
        v->watch_cb(virDomainGetName(dom), event, detail, v->watch_aux);
    }
    return 0;
}

int
virt_watch(struct virt *v,
           void (*cb)(const char *name, int event, int detail, void *aux),
           void *aux)
{
    if (v->watch_id >= 0) {
        virConnectDomainEventDeregisterAny(v->conn, v->watch_id);
        v->watch_id = -1;
    }
    v->watch_cb = cb;
    v->watch_aux = aux;
    int id = virConnectDomainEventRegisterAny(
        v->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
        VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), v, NULL);
    if (id < 0) {
        return last_error_code();
    }
    v->watch_id = id;
    return 0;
}

/* Names. */

const char *
virt_state_name(int state)
{
    static const char *const names[] = {
        [VIR_DOMAIN_NOSTATE] = "no state",
        [VIR_DOMAIN_RUNNING] = "running",
        [VIR_DOMAIN_BLOCKED] = "blocked",
        [VIR_DOMAIN_PAUSED] = "paused",
        [VIR_DOMAIN_SHUTDOWN] = "shutdown",
        [VIR_DOMAIN_SHUTOFF] = "shut off",
        [VIR_DOMAIN_CRASHED] = "crashed",
        [VIR_DOMAIN_PMSUSPENDED] = "pmsuspended",
    };
    return (state >= 0 && (size_t)state < sizeof names / sizeof *names
                ? names[state]
                : "unknown");
}

const char *
virt_reason_name(int state, int reason)
{
    static const char *const running[] = {
        [VIR_DOMAIN_RUNNING_UNKNOWN] = "unknown",
        [VIR_DOMAIN_RUNNING_BOOTED] = "booted",
        [VIR_DOMAIN_RUNNING_MIGRATED] = "migrated",
        [VIR_DOMAIN_RUNNING_RESTORED] = "restored",
        [VIR_DOMAIN_RUNNING_FROM_SNAPSHOT] = "from snapshot",
        [VIR_DOMAIN_RUNNING_UNPAUSED] = "unpaused",
        [VIR_DOMAIN_RUNNING_MIGRATION_CANCELED] = "migration canceled",
        [VIR_DOMAIN_RUNNING_SAVE_CANCELED] = "save canceled",
        [VIR_DOMAIN_RUNNING_WAKEUP] = "wakeup",
        [VIR_DOMAIN_RUNNING_CRASHED] = "crashed",
        [VIR_DOMAIN_RUNNING_POSTCOPY] = "post-copy",
        [VIR_DOMAIN_RUNNING_POSTCOPY_FAILED] = "post-copy failed",
    };
    static const char *const paused[] = {
        [VIR_DOMAIN_PAUSED_UNKNOWN] = "unknown",
        [VIR_DOMAIN_PAUSED_USER] = "user",
        [VIR_DOMAIN_PAUSED_MIGRATION] = "migrating",
        [VIR_DOMAIN_PAUSED_SAVE] = "saving",
        [VIR_DOMAIN_PAUSED_DUMP] = "dumping",
        [VIR_DOMAIN_PAUSED_IOERROR] = "I/O error",
        [VIR_DOMAIN_PAUSED_WATCHDOG] = "watchdog",
        [VIR_DOMAIN_PAUSED_FROM_SNAPSHOT] = "from snapshot",
        [VIR_DOMAIN_PAUSED_SHUTTING_DOWN] = "shutting down",
        [VIR_DOMAIN_PAUSED_SNAPSHOT] = "creating snapshot",
        [VIR_DOMAIN_PAUSED_CRASHED] = "crashed",
        [VIR_DOMAIN_PAUSED_STARTING_UP] = "starting up",
        [VIR_DOMAIN_PAUSED_POSTCOPY] = "post-copy",
        [VIR_DOMAIN_PAUSED_POSTCOPY_FAILED] = "post-copy failed",
    };
    static const char *const shutdown[] = {
        [VIR_DOMAIN_SHUTDOWN_UNKNOWN] = "unknown",
        [VIR_DOMAIN_SHUTDOWN_USER] = "user",
    };
    static const char *const shutoff[] = {
        [VIR_DOMAIN_SHUTOFF_UNKNOWN] = "unknown",
        [VIR_DOMAIN_SHUTOFF_SHUTDOWN] = "shutdown",
        [VIR_DOMAIN_SHUTOFF_DESTROYED] = "destroyed",
        [VIR_DOMAIN_SHUTOFF_CRASHED] = "crashed",
        [VIR_DOMAIN_SHUTOFF_MIGRATED] = "migrated",
        [VIR_DOMAIN_SHUTOFF_SAVED] = "saved",
        [VIR_DOMAIN_SHUTOFF_FAILED] = "failed",
        [VIR_DOMAIN_SHUTOFF_FROM_SNAPSHOT] = "from snapshot",
        [VIR_DOMAIN_SHUTOFF_DAEMON] = "daemon",
    };
    static const char *const crashed[] = {
        [VIR_DOMAIN_CRASHED_UNKNOWN] = "unknown",
        [VIR_DOMAIN_CRASHED_PANICKED] = "panicked",
    };
#define REASON(ARRAY)                                                         \
    (reason >= 0 && (size_t)reason < sizeof ARRAY / sizeof *ARRAY             \
         ? ARRAY[reason]                                                      \
         : "unknown")

    switch (state) {
    case VIR_DOMAIN_RUNNING:
        return REASON(running);
    case VIR_DOMAIN_PAUSED:
        return REASON(paused);
    case VIR_DOMAIN_SHUTDOWN:
        return REASON(shutdown);
    case VIR_DOMAIN_SHUTOFF:
        return REASON(shutoff);
    case VIR_DOMAIN_CRASHED:
        return REASON(crashed);
    default:
        /* No state, blocked and pmsuspended have only "unknown". */
        return "unknown";
    }
#undef REASON
}

/* The domain type. */

/* True when a "flags" line of the cpuinfo file 'path' lists "vmx" (Intel
 * VT-x) or "svm" (AMD-V). */
static bool
cpu_has_virt(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return false;
    }
    bool found = false;
    char *line = NULL;
    size_t cap = 0;
    while (!found && getline(&line, &cap, f) > 0) {
        if (strncmp(line, "flags", 5)) {
            continue;
        }
        char *p = line + 5 + strspn(line + 5, " \t");
        if (*p != ':') {
            continue;
        }
        char *save;
        for (char *tok = strtok_r(p + 1, " \t\n", &save); tok && !found;
             tok = strtok_r(NULL, " \t\n", &save)) {
            found = !strcmp(tok, "vmx") || !strcmp(tok, "svm");
        }
    }
    free(line);
    fclose(f);
    return found;
}

/* KVM needs three things.  /dev/kvm open for reading and writing (what
 * QEMU does), and answering KVM_GET_API_VERSION with the one stable API
 * version, 12.  And the CPU's hardware virtualization, vmx or svm in
 * /proc/cpuinfo: a kernel can offer /dev/kvm without it, as the PVM
 * variant of KVM does inside cloud VMs, and there the guests we boot
 * (Debian's kernel) hang or fault early while QEMU reports nothing
 * wrong.  Without all three, guests run under QEMU's emulator (TCG). */
const char *
virt_detect_domain_type_at(const char *kvm_dev, const char *cpuinfo)
{
    int fd = open(kvm_dev, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return "qemu";
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    close(fd);
    return version == KVM_API_VERSION && cpu_has_virt(cpuinfo) ? "kvm"
                                                               : "qemu";
}

const char *
virt_detect_domain_type(void)
{
    return virt_detect_domain_type_at("/dev/kvm", "/proc/cpuinfo");
}
