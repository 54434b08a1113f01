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
 * Rules of this module:
 * - The daemons are started by PID and tracked by the sandbox, so they are
 *   killed at exit even when a test fails; QEMU processes they leave are
 * *   killed by the PIDs in the pidfiles of DIR/run/qemu.
 * - Every directory is mode 0755: QEMU runs as libvirt-qemu and must reach
 *   the kernel, disks and sockets that tests put there.
 */
#ifndef TESTS_LIB_LIBVIRTD_H
#define TESTS_LIB_LIBVIRTD_H 1

#include <sys/types.h>

struct sbx_libvirtd {
    char *dir;     /* Its state, under the sandbox directory. */
    char *uri;     /* "qemu:///system?socket=DIR/run/libvirt-sock". */
    char *log;     /* Its output. */
    pid_t pid;     /* libvirtd. */
    pid_t logd;    /* virtlogd. */
};

/* Starts a private libvirtd in 'dir' (made if missing) whose children see
 * OVS_RUNDIR='ovs_rundir', and waits until it answers (up to 60 s: the
 * first start on a machine probes QEMU for a while).  Returns 0 or a
 * negative errno (printing why). */
int sbx_libvirtd_start(struct sbx_libvirtd *d, const char *dir,
                       const char *ovs_rundir);

/* Stops it: QEMU processes it left, libvirtd, virtlogd.  Idempotent. */
void sbx_libvirtd_stop(struct sbx_libvirtd *d);

#endif /* libvirtd.h */
