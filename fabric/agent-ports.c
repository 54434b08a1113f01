/* agent-ports: see agent-ports.h. */
#include "agent-ports.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent-desired.h"
#include "ovs-bridge.h"
#include "xstring.h"

struct agent_ports {
    char *bridge;
    /* The status (ovsb_status(): its result, the array and its size) and
     * the iface-ids of its numbered ports, sorted; read again when not
     * 'valid'. */
    bool valid;
    int error;
    struct ovsb_iface_status *st;
    size_t n_st;
    const char **numbered;
    size_t n_numbered;
    /* The iface-ids of the bound adopted ports, sorted. */
    char **flowed;
    size_t n_flowed;
};

/* True if sorted 'v' ('n' strings) holds 's'. */
static bool
sorted_has(const char *const *v, size_t n, const char *s)
{
    return n && bsearch(&s, v, n, sizeof *v, strptr_compare);
}

struct agent_ports *
agent_ports_create(const char *bridge)
{
    struct agent_ports *p = calloc(1, sizeof *p);
    p->bridge = strdup(bridge);
    return p;
}

static void
clear_status(struct agent_ports *p)
{
    ovsb_status_free(p->st, p->n_st);
    free(p->numbered);
    p->st = NULL;
    p->n_st = 0;
    p->numbered = NULL;
    p->n_numbered = 0;
    p->valid = false;
}

static void
clear_flowed(struct agent_ports *p)
{
    for (size_t i = 0; i < p->n_flowed; i++) {
        free(p->flowed[i]);
    }
    free(p->flowed);
    p->flowed = NULL;
    p->n_flowed = 0;
}

void
agent_ports_destroy(struct agent_ports *p)
{
    if (p) {
        clear_status(p);
        clear_flowed(p);
        free(p->bridge);
        free(p);
    }
}

void
agent_ports_invalidate(struct agent_ports *p)
{
    p->valid = false;
}

/* Reads the status again if it is not valid. */
static void
refresh(struct agent_ports *p, const struct replica *ovs)
{
    if (p->valid) {
        return;
    }
    clear_status(p);
    p->error = ovs ? ovsb_status(ovs, p->bridge, &p->st, &p->n_st) : -ENOENT;
    p->numbered = xrealloc(NULL, (p->n_st + 1) * sizeof *p->numbered);
    for (size_t i = 0; i < p->n_st; i++) {
        if (p->st[i].iface_id && p->st[i].ofport > 0) {
            p->numbered[p->n_numbered++] = p->st[i].iface_id;
        }
    }
    if (p->n_numbered) {
        qsort(p->numbered, p->n_numbered, sizeof *p->numbered, strptr_compare);
    }
    p->valid = true;
}

int
agent_ports_status(struct agent_ports *p, const struct replica *ovs,
                   const struct ovsb_iface_status **stp, size_t *np)
{
    refresh(p, ovs);
    *stp = p->st;
    *np = p->n_st;
    return p->error;
}

bool
agent_ports_numbered(struct agent_ports *p, const struct replica *ovs,
                     const char *iface_id)
{
    refresh(p, ovs);
    return sorted_has(p->numbered, p->n_numbered, iface_id);
}

bool
agent_ports_flowed(struct agent_ports *p, const struct replica *ovs,
                   const struct agent_desired *d)
{
    char **flowed = xrealloc(NULL, (d->n_port_ifaces + 1) * sizeof *flowed);
    size_t n = 0;
    bool grew = false;
    for (size_t i = 0; i < d->n_port_ifaces; i++) {
        const char *id = d->port_ifaces[i].iface_id;
        if (agent_ports_numbered(p, ovs, id)) {
            grew |=
                !sorted_has((const char *const *)p->flowed, p->n_flowed, id);
            flowed[n++] = xstrdup_or_null(id);
        }
    }
    if (n) {
        qsort(flowed, n, sizeof *flowed, strptr_compare);
    }
    clear_flowed(p);
    p->flowed = flowed;
    p->n_flowed = n;
    return grew;
}

size_t
agent_ports_n_flowed(const struct agent_ports *p)
{
    return p->n_flowed;
}

void
agent_ports_tag_later(const struct agent_ports *p, struct ovsb_bridge *bridge,
                      int *saved)
{
    for (size_t i = 0; i < bridge->n_ports; i++) {
        struct ovsb_port *port = &bridge->ports[i];
        saved[i] = port->tag;
        const char *id = fabric_smap_get(&port->external_ids, "iface-id");
        if (port->adopt && id &&
            !sorted_has((const char *const *)p->flowed, p->n_flowed, id)) {
            port->tag = OVSB_TAG_LATER;
        }
    }
}

void
agent_ports_tag_restore(struct ovsb_bridge *bridge, const int *saved)
{
    for (size_t i = 0; i < bridge->n_ports; i++) {
        bridge->ports[i].tag = saved[i];
    }
}

bool
agent_ports_guest_state(struct agent_ports *p, const struct replica *ovs,
                        const struct agent_desired *d, const char *name,
                        const char **statep, char **reasonp)
{
    /* The first interface of guest 'name'. */
    const struct agent_port_iface *v = d->port_ifaces;
    size_t lo = 0, hi = d->n_port_ifaces;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid].guest, name) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo >= d->n_port_ifaces || strcmp(v[lo].guest, name)) {
        return false;
    }
    const char *missing = NULL;
    for (size_t i = lo;
         i < d->n_port_ifaces && !strcmp(v[i].guest, name) && !missing; i++) {
        if (!agent_ports_numbered(p, ovs, v[i].iface_id)) {
            missing = v[i].iface_id;
        }
    }
    *statep = missing ? "unplugged" : "bound";
    *reasonp = missing ? xasprintf("no port with iface-id %s on %s yet",
                                   missing, p->bridge)
                       : xstrdup_or_null("");
    return true;
}
