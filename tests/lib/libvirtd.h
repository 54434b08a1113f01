/* libvirtd: a private libvirtd (and virtlogd) for tests and benchmarks.
 *
 * A test that runs VMs needs a libvirtd whose QEMU driver plugs ports into
 * the test's own ovs-vswitchd: libvirt runs ovs-vsctl with its own
 * environment, so OVS_RUNDIR must be the test's.  A machine has one system
 * libvirtd at most, with fixed paths, so the test runs its own in a
 * private mount namespace (unshare -m) where /etc/libvirt (a copy),
 * /run/libvirt,
 * /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt are
 * directories of the sandbox.  Clients reach it with
 * "qemu:///system?socket=DIR/run/libvirt-sock" (sbx_libvirtd.uri); a
 * system libvirtd, if one runs, is neither used nor disturbed.
 *
 * A test of several simulated hosts runs one such libvirtd per host, each
 * inside that host's network namespace (sbx_libvirtd_start_in()), so the
 * QEMU taps it makes appear there and plug into that host's ovs-vswitchd.
 * Two of them never share a path: everything a libvirtd, its virtlogd and
 * its QEMUs write (sockets, pidfiles, domain state, logs) is under the
 * bind-mounted directories of its own DIR.
 *
 * Rules of this module:
 * - The daemons are started by PID and tracked by the sandbox, so they are
 *   killed at exit even when a test fails; QEMU processes they leave are
 *   killed by the PIDs in the pidfiles of DIR/run/qemu.
 * - A libvirtd started while another of this process runs gets a copy of
 *   the other's QEMU capabilities cache (DIR/cache/qemu), so that only the
 *   first one probes QEMU: the cache describes this machine's QEMU, and
 *   libvirt checks it against the binaries' times and versions anyway.
 * - Every directory is mode 0755: QEMU runs as libvirt-qemu and must reach
 *   the kernel, disks and sockets that tests put there.
 */
#ifndef TESTS_LIB_LIBVIRTD_H
#define TESTS_LIB_LIBVIRTD_H 1

#include <sys/types.h>

struct sbx_libvirtd {
    char *dir;   /* Its state, under the sandbox directory. */
    char *uri;   /* "qemu:///system?socket=DIR/run/libvirt-sock". */
    char *log;   /* Its output. */
    char *netns; /* Network namespace it runs in, or NULL: the caller's. */
    pid_t pid;   /* libvirtd. */
    pid_t logd;  /* virtlogd. */
};

/* Starts a private libvirtd in 'dir' (made if missing) whose children see
 * OVS_RUNDIR='ovs_rundir', and waits until it answers (up to 60 s: the
 * first start on a machine probes QEMU for a while).  Returns 0 or a
 * negative errno (printing why). */
int sbx_libvirtd_start(struct sbx_libvirtd *d, const char *dir,
                       const char *ovs_rundir);

/* The same, inside the named network namespace 'netns'
 * (/run/netns/NETNS, entered with nsenter), or in the caller's when
 * 'netns' is NULL.  The QEMU processes of its domains live there too. */
int sbx_libvirtd_start_in(struct sbx_libvirtd *d, const char *dir,
                          const char *ovs_rundir, const char *netns);

/* Destroys and undefines every domain of 'd' whose name starts with
 * 'prefix': the safety net of a test whose agent did not get to remove its
 * domains.  Does nothing when 'd' is not running. */
void sbx_libvirtd_remove_domains(const struct sbx_libvirtd *d,
                                 const char *prefix);

/* Stops it: QEMU processes it left, libvirtd, virtlogd.  Idempotent. */
void sbx_libvirtd_stop(struct sbx_libvirtd *d);

#endif /* libvirtd.h */
