/* agent-vms: see agent-vms.h. */
#include "agent-vms.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <libvirt/libvirt.h>

#include "cloudinit.h"
#include "domain-xml.h"
#include "log.h"
#include "ovsdb-error.h"
#include "virt-event.h"
#include "virt.h"
#include "vm-disk.h"
#include "vm-spec.h"
#include "xstring.h"

/* What the last reconcile saw of one VM. */
struct vm_seen {
    char *name; /* Guest or router. */
    char *domain;
    char *console;
    const char *state, *reason;
};

struct agent_vms {
    struct event_base *base;
    char *uri, *host, *prefix, *vm_dir;
    struct virt *virt;
    void (*changed)(void *aux);
    void *aux;
    struct vm_seen *seen;
    size_t n_seen;
};

struct agent_vms *
agent_vms_create(struct event_base *base, const char *uri, const char *host,
                 const char *prefix, const char *vm_dir,
                 void (*changed)(void *aux), void *aux)
{
    struct agent_vms *v = calloc(1, sizeof *v);
    v->base = base;
    v->uri = strdup(uri);
    v->host = strdup(host);
    v->prefix = strdup(prefix);
    v->vm_dir = strdup(vm_dir);
    v->changed = changed;
    v->aux = aux;
    return v;
}

static void
seen_clear(struct agent_vms *v)
{
    for (size_t i = 0; i < v->n_seen; i++) {
        free(v->seen[i].name);
        free(v->seen[i].domain);
        free(v->seen[i].console);
    }
    free(v->seen);
    v->seen = NULL;
    v->n_seen = 0;
}

void
agent_vms_destroy(struct agent_vms *v)
{
    if (v) {
        if (v->virt) {
            virt_close(v->virt);
        }
        seen_clear(v);
        free(v->uri);
        free(v->host);
        free(v->prefix);
        free(v->vm_dir);
        free(v);
    }
}

static void
on_event(const char *name, int event, int detail, void *v_)
{
    struct agent_vms *v = v_;
    log_info("libvirt: domain %s: event %d (%d)", name, event, detail);
    v->changed(v->aux);
}

static int
connect_virt(struct agent_vms *v, struct ovsdb_error **errorp)
{
    if (v->virt) {
        return 0;
    }
    int error = virt_event_register(v->base);
    if (error) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(error, NULL,
                                    "cannot run libvirt's events on "
                                    "the event loop"));
    }
    v->virt = virt_open(v->uri, errorp);
    if (!v->virt) {
        return -ENOTCONN;
    }
    log_info("connected to libvirt at %s", v->uri);
    virt_watch(v->virt, on_event, v);
    return 0;
}

/* Names of entries in the VM directory that start with our prefix. */
static size_t
leftover_dirs(const struct agent_vms *v, char ***namesp)
{
    char **names = NULL;
    size_t n = 0;
    DIR *dir = opendir(v->vm_dir);
    struct dirent *e;
    size_t len = strlen(v->prefix);
    while (dir && (e = readdir(dir))) {
        if (e->d_name[0] != '.' && !strncmp(e->d_name, v->prefix, len)) {
            names = realloc(names, (n + 1) * sizeof *names);
            names[n++] = strdup(e->d_name);
        }
    }
    if (dir) {
        closedir(dir);
    }
    *namesp = names;
    return n;
}

static void
free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
             struct FTW *ftw)
{
    return remove(path) && errno != ENOENT ? -1 : 0;
}

/* Removes VM_DIR/DOMAIN: the overlay, the seed and the console files. */
static int
remove_vm_dir(const struct agent_vms *v, const char *domain,
              struct ovsdb_error **errorp)
{
    char *path = xasprintf("%s/%s", v->vm_dir, domain);
    int error = 0;
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) &&
        errno != ENOENT) {
        error = ovsdb_error_set(
            errorp, ovsdb_error_new(-errno, NULL, "cannot remove %s: %s", path,
                                    strerror(errno)));
    }
    free(path);
    return error;
}

static const struct virt_domain *
find_domain(const struct virt_domain *doms, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(doms[i].name, name)) {
            return &doms[i];
        }
    }
    return NULL;
}

static bool
wanted(struct vm_spec *const *specs, size_t n, const char *domain)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(specs[i]->domain, domain)) {
            return true;
        }
    }
    return false;
}

/* Stops and undefines domain 'name' and removes its files. */
static int
remove_vm(struct agent_vms *v, const char *name, struct ovsdb_error **errorp)
{
    log_info("removing VM %s", name);
    int error = virt_stop(v->virt, name, errorp);
    if (!error) {
        error = virt_undefine(v->virt, name, errorp);
    }
    if (!error) {
        error = remove_vm_dir(v, name, errorp);
    }
    return error;
}

/* Returns true if a domain shut off for 'reason' should start under
 * 'restart'. */
static bool
should_start(const struct virt_domain *d, enum fabric_restart restart)
{
    if (d->state != VIR_DOMAIN_SHUTOFF && d->state != VIR_DOMAIN_CRASHED) {
        return false;
    }
    if (d->state == VIR_DOMAIN_SHUTOFF &&
        d->reason == VIR_DOMAIN_SHUTOFF_UNKNOWN) {
        return true; /* Defined, never started. */
    }
    bool failed = (d->state == VIR_DOMAIN_CRASHED ||
                   d->reason == VIR_DOMAIN_SHUTOFF_CRASHED ||
                   d->reason == VIR_DOMAIN_SHUTOFF_FAILED ||
                   d->reason == VIR_DOMAIN_SHUTOFF_DAEMON);
    return (restart == FABRIC_RESTART_ALWAYS ||
            (restart == FABRIC_RESTART_ON_FAILURE && failed));
}

/* Makes libvirt hold VM 'spec'.  'd' is its domain as listed, or NULL. */
static int
ensure_vm(struct agent_vms *v, const struct vm_spec *spec,
          enum fabric_restart restart, const struct virt_domain *d,
          struct ovsdb_error **errorp)
{
    char *dir = xasprintf("%s/%s", v->vm_dir, spec->domain);
    char *seed_dir = xasprintf("%s/seed", dir);
    mkdir(v->vm_dir, 0755);
    mkdir(dir, 0755);
    mkdir(seed_dir, 0755);
    int error = 0;
    int seed_changed = 0;
    if (spec->image) {
        error = vm_disk_prepare(spec, errorp);
    }
    if (error >= 0) {
        seed_changed = error = cloudinit_write_seed(spec, seed_dir, errorp);
    }
    free(seed_dir);
    free(dir);
    if (error < 0) {
        return error;
    }

    char hash[17];
    domain_xml_spec_hash(spec, hash);
    bool same = d && d->meta.spec && !strcmp(d->meta.spec, hash) &&
                !strcmp(d->uuid, spec->uuid) && !seed_changed;
    if (same) {
        if (should_start(d, restart)) {
            log_info("starting VM %s (%s, %s)", spec->domain,
                     virt_state_name(d->state),
                     virt_reason_name(d->state, d->reason));
            return virt_start(v->virt, spec->domain, errorp);
        }
        return 0;
    }
    if (d) {
        log_info("redefining VM %s: its %s changed", spec->domain,
                 seed_changed ? "cloud-init seed" : "definition");
        error = virt_stop(v->virt, spec->domain, errorp);
        if (!error && strcmp(d->uuid, spec->uuid)) {
            /* Another incarnation of the guest: libvirt keeps a name to
             * one UUID. */
            error = virt_undefine(v->virt, spec->domain, errorp);
        }
        if (error) {
            return error;
        }
    } else {
        log_info("defining VM %s", spec->domain);
    }
    char *xml = domain_xml(spec);
    error = virt_define(v->virt, xml, errorp);
    free(xml);
    if (!error) {
        error = virt_start(v->virt, spec->domain, errorp);
    }
    return error;
}

static void
keep_error(struct ovsdb_error **first, struct ovsdb_error *e)
{
    if (!*first) {
        *first = e;
    } else {
        ovsdb_error_free(e);
    }
}

/* Records the states of 'specs' from 'doms'. */
static void
record_states(struct agent_vms *v, struct vm_spec *const *specs, size_t n,
              const struct virt_domain *doms, size_t n_doms)
{
    seen_clear(v);
    v->seen = calloc(n + 1, sizeof *v->seen);
    for (size_t i = 0; i < n; i++) {
        const struct virt_domain *d =
            find_domain(doms, n_doms, specs[i]->domain);
        struct vm_seen *s = &v->seen[v->n_seen++];
        s->name = strdup(specs[i]->guest);
        s->domain = strdup(specs[i]->domain);
        s->console = strdup(specs[i]->console);
        s->state = d ? virt_state_name(d->state) : "undefined";
        s->reason = d ? virt_reason_name(d->state, d->reason) : "";
    }
}

int
agent_vms_reconcile(struct agent_vms *v, struct vm_spec *const *specs,
                    const enum fabric_restart *restart, size_t n,
                    struct ovsdb_error **errorp)
{
    char **dirs;
    size_t n_dirs = leftover_dirs(v, &dirs);
    if (!n && !n_dirs && !v->virt) {
        seen_clear(v);
        return 0;
    }
    struct ovsdb_error *first = NULL, *e = NULL;
    if (connect_virt(v, &e) < 0) {
        free_names(dirs, n_dirs);
        ovsdb_error_set(errorp, e);
        return n ? (int)n : 1;
    }
    struct virt_domain *doms = NULL;
    size_t n_doms = 0;
    if (virt_list_owned(v->virt, v->host, v->prefix, &doms, &n_doms, &e)) {
        /* The connection may be gone (libvirtd restarted): reconnect
         * next time. */
        virt_close(v->virt);
        v->virt = NULL;
        free_names(dirs, n_dirs);
        ovsdb_error_set(errorp, e);
        return n ? (int)n : 1;
    }

    int failures = 0;
    for (size_t i = 0; i < n_doms; i++) {
        if (!wanted(specs, n, doms[i].name)) {
            if (remove_vm(v, doms[i].name, &e) < 0) {
                keep_error(&first, e);
                e = NULL;
                failures++;
            }
        }
    }
    for (size_t i = 0; i < n_dirs; i++) {
        if (!wanted(specs, n, dirs[i]) &&
            !find_domain(doms, n_doms, dirs[i]) &&
            remove_vm_dir(v, dirs[i], &e) < 0) {
            keep_error(&first, e);
            e = NULL;
            failures++;
        }
    }
    free_names(dirs, n_dirs);

    for (size_t i = 0; i < n; i++) {
        const struct virt_domain *d =
            find_domain(doms, n_doms, specs[i]->domain);
        if (ensure_vm(v, specs[i], restart[i], d, &e) < 0) {
            keep_error(&first, e);
            e = NULL;
            failures++;
        }
    }
    if (n) {
        /* The states after what was just done. */
        virt_domains_free(doms, n_doms);
        doms = NULL;
        n_doms = 0;
        if (virt_list_owned(v->virt, v->host, v->prefix, &doms, &n_doms, &e)) {
            keep_error(&first, e);
            e = NULL;
            failures++;
        }
    }
    record_states(v, specs, n, doms, n_doms);
    virt_domains_free(doms, n_doms);
    if (first) {
        ovsdb_error_set(errorp, first);
    }
    return failures;
}

bool
agent_vms_state(const struct agent_vms *v, const char *name,
                const char **statep, const char **reasonp)
{
    for (size_t i = 0; i < v->n_seen; i++) {
        if (!strcmp(v->seen[i].name, name)) {
            *statep = v->seen[i].state;
            *reasonp = v->seen[i].reason;
            return true;
        }
    }
    return false;
}

const char *
agent_vms_console(const struct agent_vms *v, const char *name)
{
    for (size_t i = 0; i < v->n_seen; i++) {
        if (!strcmp(v->seen[i].name, name)) {
            return v->seen[i].console;
        }
    }
    return NULL;
}

struct virt *
agent_vms_virt(const struct agent_vms *v)
{
    return v->virt;
}

json_t *
agent_vms_status_json(const struct agent_vms *v)
{
    json_t *list = json_array();
    for (size_t i = 0; i < v->n_seen; i++) {
        const struct vm_seen *s = &v->seen[i];
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", s->name,
                            "domain", s->domain, "state", s->state, "reason",
                            s->reason, "console", s->console));
    }
    return list;
}
