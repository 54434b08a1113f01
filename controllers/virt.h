/* virt: fabricd's libvirt driver.
 *
 * One connection to libvirt ('struct virt') through which fabricd lists
 * the domains it owns, defines, starts, stops and undefines them, reads
 * their state and hears about their lifecycle.  The XML comes from
 * domain-xml.h; ownership is read back with domain-meta.h.
 *
 * Rules of this module:
 * - Ownership: a domain is fabric's on host H when its name starts with
 *   the agent's prefix AND its <metadata> holds fabric's owner element
 *   (namespace DOMAIN_XML_NS) with host=H.  Every other domain is
 *   foreign: virt_list_owned() does not return it, whatever its name.
 * - Domains are named by their libvirt name.
 * - Errors: functions return 0 or a negative errno and, where they take
 *   one, fill '*errorp' with one sentence naming what failed and the
 *   domain, followed by libvirt's own message.  libvirt's default error
 *   handler, which prints to stderr, is replaced by a silent one for the
 *   whole process at the first virt_open().
 * - Idempotence: starting a running domain, stopping one that is not
 *   running (or does not exist) and undefining one that does not exist
 *   succeed.
 * - Events: virt_watch() needs libvirt's event loop (virt-event.h)
 *   registered before virt_open().
 */
#ifndef CONTROLLERS_VIRT_H
#define CONTROLLERS_VIRT_H 1

#include <stdbool.h>
#include <stddef.h>

#include "domain-meta.h"

struct ovsdb_error;
struct virt;

/* One domain that fabric owns (see virt_list_owned()). */
struct virt_domain {
    char *name;
    char uuid[37];           /* "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0a01". */
    struct domain_meta meta; /* Lab, guest, host and spec hash. */
    int state;               /* virDomainState: VIR_DOMAIN_RUNNING, ... */
    int reason;              /* Its reason: VIR_DOMAIN_SHUTOFF_CRASHED... */
};

/* Connects to libvirt at 'uri' ("qemu:///system", "test:///default").
 * Returns the connection, or NULL with '*errorp' set. */
struct virt *virt_open(const char *uri, struct ovsdb_error **errorp);

/* Closes 'v' and stops its watch.  Accepts NULL. */
void virt_close(struct virt *v);

/* True while the connection to libvirt works (virConnectIsAlive()). */
bool virt_alive(const struct virt *v);

/* Stores in '*domainsp' and '*np' the domains, active or not, whose name
 * starts with 'name_prefix' and whose fabric metadata names 'host',
 * sorted by name (a new array; free with virt_domains_free()).  A domain
 * that disappears while it is being read is left out. */
int virt_list_owned(struct virt *v, const char *host, const char *name_prefix,
                    struct virt_domain **domainsp, size_t *np,
                    struct ovsdb_error **errorp);

void virt_domains_free(struct virt_domain *domains, size_t n);

/* Defines (or redefines, same name and UUID) the domain of 'xml'. */
int virt_define(struct virt *v, const char *xml, struct ovsdb_error **errorp);

/* Starts the defined domain 'name' (virDomainCreate()); success when it
 * is running already.  -ENOENT when there is no such domain. */
int virt_start(struct virt *v, const char *name, struct ovsdb_error **errorp);

/* Stops domain 'name' at once, as pulling the plug (virDomainDestroy());
 * success when it is not running or does not exist. */
int virt_stop(struct virt *v, const char *name, struct ovsdb_error **errorp);

/* Undefines domain 'name' with its NVRAM and managed save image, where
 * the driver has them; success when it does not exist.  A running domain
 * keeps running, as a transient domain, until it stops. */
int virt_undefine(struct virt *v, const char *name,
                  struct ovsdb_error **errorp);

/* Stores the state (virDomainState) and its reason of domain 'name'.
 * -ENOENT when there is no such domain. */
int virt_state(struct virt *v, const char *name, int *statep, int *reasonp,
               struct ovsdb_error **errorp);

/* Calls 'cb' with the domain's name, the event (virDomainEventType) and
 * its detail for every lifecycle event of any domain, from the event loop
 * (virt-event.h).  Replaces an earlier watch of 'v'.  Returns 0 or a
 * negative errno. */
int virt_watch(struct virt *v,
               void (*cb)(const char *name, int event, int detail, void *aux),
               void *aux);

/* Names of a virDomainState and of the reason of a state, as words:
 * "shut off", "destroyed".  Unknown values give "unknown". */
const char *virt_state_name(int state);
const char *virt_reason_name(int state, int reason);

/* "kvm" when KVM can run guests here, "qemu" (TCG emulation) otherwise;
 * see virt.c for the test. */
const char *virt_detect_domain_type(void);

/* The same test on other files, for tests: 'kvm_dev' as /dev/kvm and
 * 'cpuinfo' as /proc/cpuinfo. */
const char *virt_detect_domain_type_at(const char *kvm_dev,
                                       const char *cpuinfo);

#endif /* virt.h */
