/* agent-vms: fabricd's virtual machines, through libvirt.
 *
 * The agent hands this module the VMs its host should run (agent-desired.h
 * makes a 'struct vm_spec' for each guest and router of kind vm placed
 * here); this module makes libvirt hold exactly those, each with its
 * copy-on-write disk (vm-disk.h) and cloud-init seed (cloudinit.h), and
 * reports their states.
 *
 * Rules of this module:
 * - Ownership: a domain is this agent's when its name starts with the
 *   agent's prefix and its fabric metadata (domain-xml.h) names this host.
 *   Other domains are never touched.  A domain of ours that is no longer
 *   wanted is stopped and undefined, and its directory (overlay, seed,
 *   console) removed; the base image never is.
 * - Re-apply changes nothing: a domain is redefined, and restarted, only
 *   when its XML (compared through the spec hash in its metadata) or its
 *   seed changed.
 * - libvirt is reached lazily: only when VMs are wanted, or when the VM
 *   directory holds a VM's files from before (so that a restarted agent
 *   still cleans up).  Without VMs, no libvirtd is needed.
 * - Restart policy (enum fabric_restart): a domain that is shut off is
 *   started again when it never ran since it was defined, when it crashed
 *   or failed (on-failure, always), or whatever the reason (always).
 * - libvirt's lifecycle events (virt_watch) call 'changed' so the agent
 *   reconciles at once; the calls to libvirt block the caller (the
 *   remote driver does its own I/O while waiting).
 */
#ifndef FABRIC_AGENT_VMS_H
#define FABRIC_AGENT_VMS_H 1

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

struct event_base;
struct json_t;
struct ovsdb_error;
struct virt;
struct vm_spec;

struct agent_vms;

struct agent_vms *agent_vms_create(struct event_base *base, const char *uri,
                                   const char *host, const char *prefix,
                                   const char *vm_dir,
                                   void (*changed)(void *aux), void *aux);
void agent_vms_destroy(struct agent_vms *vms);

/* Makes libvirt hold the 'n' VMs of 'specs' (with 'restart' policies).
 * Returns the number of VMs that failed (0 when all is in place), with
 * the first error in '*errorp'. */
int agent_vms_reconcile(struct agent_vms *vms, struct vm_spec *const *specs,
                        const enum fabric_restart *restart, size_t n,
                        struct ovsdb_error **errorp);

/* The state of the VM of guest or router 'name' in words ("running",
 * "shut off", ...) and libvirt's reason ("booted", "destroyed", ...), as
 * of the last reconcile; false if it has none. */
bool agent_vms_state(const struct agent_vms *vms, const char *name,
                     const char **statep, const char **reasonp);

/* The console socket of the VM of guest or router 'name', or NULL. */
const char *agent_vms_console(const struct agent_vms *vms, const char *name);

/* The libvirt connection, or NULL before the first need of one (for
 * tests, which act "from outside" on it). */
struct virt *agent_vms_virt(const struct agent_vms *vms);

/* A JSON array describing the VMs (new reference). */
struct json_t *agent_vms_status_json(const struct agent_vms *vms);

#endif /* agent-vms.h */
