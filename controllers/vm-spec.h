/* vm-spec: one virtual machine as fabric wants it, in plain C.
 *
 * fabricd turns each `kind: vm` guest or router placed on its host into a
 * 'struct vm_spec' (agent-desired.h); the domain XML (domain-xml.h), the
 * cloud-init seed (cloudinit.h) and the libvirt driver (virt.h) all read
 * it.  Nothing here talks to libvirt or the disk.
 *
 * Rules of this module:
 * - Plain data: every string is owned by the structure holding it (NULL
 *   when absent); arrays are owned with their counts.  vm_spec_free()
 *   frees everything.
 * - Addresses are text: "172.16.0.1/24" for interface addresses, MACs
 *   lower-case "xx:xx:xx:xx:xx:xx".
 */
#ifndef CONTROLLERS_VM_SPEC_H
#define CONTROLLERS_VM_SPEC_H 1

#include <stdbool.h>
#include <stddef.h>

struct vm_route {
    char *to;  /* "10.0.0.0/8", or "0.0.0.0/0". */
    char *via; /* "172.16.0.254". */
};

/* One network interface, plugged into the integration bridge. */
struct vm_nic {
    char *name;       /* Name inside the guest: "eth0". */
    char *mac;        /* "52:54:00:..." or whatever the model says. */
    int mtu;          /* Guest MTU; 0: leave libvirt's default. */
    char *port;       /* Host-side tap name, libvirt <target dev=...>:
                       * "fv" + 8 hex digits, as for namespace guests. */
    char *iface_id;   /* <virtualport> interfaceid: the fabric DB UUID of
                       * the Guest_Interface (or Router_Port) row. */
    int vlan;         /* Access VLAN tag; 0 for none (a trunk). */
    char **addresses; /* "172.16.0.1/24", ... */
    size_t n_addresses;
    char *gateway; /* Default gateway, or NULL. */
    struct vm_route *routes;
    size_t n_routes;
    bool dhcp; /* The network serves DHCP (lab-services.h): the guest
                * asks for its addresses, gateway, routes and MTU
                * instead of being given them in the seed. */
};

struct vm_spec {
    char *domain;      /* libvirt domain name: agent prefix + guest name. */
    char *uuid;        /* Domain UUID (the fabric DB row's UUID). */
    char *lab;         /* Metadata: the lab's name. */
    char *guest;       /* Metadata: the guest's (or router's) name. */
    char *host;        /* Metadata: the fabric host's name. */
    bool router;       /* A `kind: vm` router: IP forwarding on. */
    char *hostname;    /* cloud-init hostname (the guest's name). */
    char *domain_type; /* "kvm" or "qemu". */
    int vcpus;
    int memory_mb;
    char *image;   /* Base disk image (qcow2 or raw), or NULL. */
    char *overlay; /* Per-VM copy-on-write overlay of 'image'. */
    char *kernel;  /* Direct kernel boot, or NULL. */
    char *initrd;
    char *cmdline;
    char *seed;        /* cloud-init NoCloud seed ISO (volume "cidata"). */
    char *console;     /* Serial console: unix socket path. */
    char *console_log; /* Serial console: log file path. */
    char *bridge;      /* Integration bridge: "br-int". */
    char *user_data;   /* cloud-init user-data from the topology, or NULL. */
    char **ssh_keys;   /* Authorized keys for the default user. */
    size_t n_ssh_keys;
    struct vm_nic *nics;
    size_t n_nics;
};

void vm_spec_free(struct vm_spec *spec);

#endif /* vm-spec.h */
