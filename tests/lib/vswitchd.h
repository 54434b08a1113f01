/* vswitchd: an ovs-vswitchd for a sandbox ovsdb-server (sandbox.h), for
 * functional tests and benchmarks.
 *
 *   struct sbx_ovsdb db;         // ovsdb-server on vswitch.ovsschema
 *   struct vswitchd vs;
 *   vswitchd_init(&vs, dir, db.unix_remote);
 *   vswitchd_db_init(&vs);       // ovs-vsctl --no-wait init
 *   vswitchd_start(&vs);
 *   vswitchd_vsctl(&vs, &out, "show", NULL);
 *   vswitchd_clear(&vs);         // stops it
 *
 * Rules of this module:
 * - Every file of the daemon lives in the sandbox directory: its pidfile,
 *   log file and control socket, and, since it runs with OVS_RUNDIR set to
 *   that directory, each bridge's OpenFlow management socket
 *   (DIR/BRIDGE.mgmt).  Nothing is written under /var/run.
 * - The daemon is recorded with sbx_track_pid() like the sandbox's
 *   servers, so that a test that fails half-way leaves nothing behind.
 * - Where the kernel has no openvswitch module, bridges must use
 *   datapath_type=netdev.  The userspace datapath makes a tap device for
 *   each internal port in the daemon's network namespace, so two daemons
 *   in one namespace fight over names such as "br-int":
 *   vswitchd_private_netns() moves the calling process (and every daemon
 *   it starts afterwards) into a network namespace of its own.
 * - Functions return 0 (or a documented value) or a negative errno, and
 *   print what went wrong to stderr, as sandbox.h does.
 */
#ifndef VSWITCHD_H
#define VSWITCHD_H 1

#include <sys/types.h>

struct vswitchd {
    char *dir;       /* Sandbox directory, also OVS_RUNDIR. */
    char *db_remote; /* The ovsdb-server: "unix:SOCK". */
    char *pid_path, *log_path, *ctl_path;
    pid_t pid;       /* 0 when not running. */
};

/* Moves the calling process into a new network namespace with its
 * loopback interface up.  Returns 0, or a negative errno (-EPERM without
 * the privilege: callers may skip their tests then). */
int vswitchd_private_netns(void);

/* Fills 'vs' with the paths of a daemon in 'dir' that uses the
 * Open_vSwitch database at 'db_remote'. */
void vswitchd_init(struct vswitchd *vs, const char *dir,
                   const char *db_remote);

/* Runs "ovs-vsctl --no-wait init", which creates the root row. */
int vswitchd_db_init(const struct vswitchd *vs);

/* Starts ovs-vswitchd (detached: it returns once the daemon has read its
 * configuration) and records its PID. */
int vswitchd_start(struct vswitchd *vs);

/* Sends 'sig' to the daemon and waits until it is gone. */
int vswitchd_kill(struct vswitchd *vs, int sig);

/* Runs "ovs-vsctl --db=REMOTE --timeout=10 ARGS..." (NULL-terminated);
 * returns as sbx_run() does. */
int vswitchd_vsctl(const struct vswitchd *vs, char **outputp,
                   const char *arg0, ...) __attribute__((sentinel));

/* Runs "ovs-appctl -t CTL 'command' ARGS..." (NULL-terminated). */
int vswitchd_appctl(const struct vswitchd *vs, char **outputp,
                    const char *command, ...) __attribute__((sentinel));

/* Returns "unix:DIR/'bridge'.mgmt", the OpenFlow target of 'bridge' for
 * ovs-ofctl (a new string). */
char *vswitchd_mgmt(const struct vswitchd *vs, const char *bridge);

/* Returns the contents of the daemon's log file (a new string, or
 * NULL). */
char *vswitchd_log(const struct vswitchd *vs);

/* Stops the daemon if it runs and frees 'vs''s strings. */
void vswitchd_clear(struct vswitchd *vs);

#endif /* vswitchd.h */
