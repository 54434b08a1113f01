/* bed: a lab of simulated hosts for functional tests.
 *
 * bed_setup() brings up N simulated hosts with scripts/testbed (run name
 * TAG + a number from the PID, so concurrent tests do not meet), a fabric
 * DB and one fabricd per host (guest namespaces "RUN-hvN-GUEST");
 * bed_teardown() stops the agents by PID and takes everything down.
 *
 * Rules of this module:
 * - Everything a bed makes lives in its run's namespaces (RUN-*) and its
 *   temporary folder: `testbed down` removes it all, at teardown and at
 *   exit after a failure (sbx_at_cleanup()); what a test starts in the
 *   hosts by itself goes in its 'before_down' hook, called on both ways.
 * - Helpers return what they got; the tests assert.
 */
#ifndef BED_H
#define BED_H 1

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"

#define BED_MAX_SERVERS 8
#define BED_MAX_AGENTS 8
#define BED_MAX_AGENT_OPTIONS 6

struct bed {
    char run[16];    /* Test bed run name. */
    char prefix[24]; /* "RUN-" */
    char bed_dir[256];
    int n_hosts;
    int n_agents;
    char *dir; /* Its temporary folder: the fabric DB and bed_dir. */
    struct sbx_ovsdb fabric;
    char db_opt[512];
    pid_t servers[BED_MAX_SERVERS];
    int n_servers;
    /* [N - 1]: more options of hvN's fabricd (bed_agent_option()). */
    char *agent_options[BED_MAX_AGENTS][BED_MAX_AGENT_OPTIONS];
    void (*before_down)(struct bed *); /* From the options. */
};

/* What a test adds to a bed; every member may be left out. */
struct bed_options {
    /* More arguments of `testbed up` (e.g. "--underlay-mtu", "1500"). */
    const char *up_args[4];
    /* Runs for each host number after `testbed up`, before the fabric DB
     * and the agents start (return nonzero to fail). */
    int (*prepare)(struct bed *, int host);
    /* Runs when the bed goes (teardown, or exit after a failure), after
     * the agents stopped and before `testbed down`: for what the test
     * started in the hosts itself. */
    void (*before_down)(struct bed *);
};

/* Brings up a bed of 'n_hosts' hosts with run name 'tag' (2 letters) and
 * a number, and fabricd on the first 'n_agents' of them (the others serve
 * as the world outside), with 'options' if nonnull.  Returns 0 and the
 * bed in '*bp', or -1. */
int bed_setup(struct bed **bp, const char *tag, int n_hosts, int n_agents,
              const struct bed_options *options);

/* Stops the agents and takes the bed down (nothing for a null bed);
 * bed_teardown_state() does it as a cmocka teardown, for the bed in
 * '*state'. */
void bed_teardown(struct bed *);
int bed_teardown_state(void **state);

/* Adds a printf-formatted option to the command line of hvN's fabricd,
 * for 'prepare' or before bed_start_agent(). */
void bed_agent_option(struct bed *, int host, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Starts hvN's fabricd (it detaches); returns its exit status.
 * bed_stop_agent() stops it with SIGTERM and waits up to 5 s (0 once it is
 * gone).  bed_agent_pid() reads its pidfile: its PID, or a negative
 * errno. */
int bed_start_agent(struct bed *, int host);
int bed_stop_agent(struct bed *, int host);
pid_t bed_agent_pid(const struct bed *, int host);

/* Runs a command (NULL-terminated arguments) in host hvN with its OVS
 * (`testbed exec`); returns its exit status, its output in '*outp' if
 * nonnull. */
int bed_host_run(struct bed *, int host, char **outp, ...)
    __attribute__((sentinel));

/* Runs ovs-vsctl (NULL-terminated arguments) against hvN's OVS; returns
 * its output (a new string). */
char *bed_vsctl(struct bed *, int host, ...) __attribute__((sentinel));

/* Namespace RUN-'what', and the namespace of guest 'guest' on hvN. */
void bed_ns_name(const struct bed *, const char *what, char *ns, size_t size);
void bed_guest_ns(const struct bed *, int host, const char *guest, char *ns,
                  size_t size);

/* Runs a command (NULL-terminated arguments) inside namespace 'ns';
 * returns its exit status, its output in '*outp' if nonnull. */
int bed_ns_run(char **outp, const char *ns, ...) __attribute__((sentinel));

/* One ping from 'ns' to 'ip', answered within 1 s; bed_reaches() tries
 * up to three times: the first packet to a new port may be slow on a
 * loaded machine. */
bool bed_ping(const char *ns, const char *ip);
bool bed_reaches(const char *ns, const char *ip);
/* Pings until one answer, for up to 'ms'. */
bool bed_pings(const char *ns, const char *ip, int ms);

/* What busybox udhcpc got on eth0 in namespace 'ns': the lease's
 * variables as "lease.NAME=VALUE" lines (a new string, "" when it got
 * none).  The script only prints: the namespace keeps its addresses. */
char *bed_dhcp_lease(struct bed *, const char *ns);
/* An nstcp server on 'port' in 'ns', stopped by bed_stop_servers() or
 * the teardown.  Returns its PID or -1. */
pid_t bed_start_server(struct bed *, const char *ns, int port);
void bed_stop_servers(struct bed *);

/* nstcp_connect() with up to three tries of 2 s: the first packets
 * through a new port may be slow on a loaded machine. */
bool bed_connects(const char *ns, const char *ip, int port, char *reply,
                  size_t size);

/* Runs fabricctl against the bed's fabric DB (NULL-terminated). */
int bed_fabricctl(struct bed *, char **outp, ...) __attribute__((sentinel));

/* Writes 'text' to a file in the bed's folder and applies it (waits up
 * to 60 s).  Returns fabricctl's status. */
int bed_apply_text(struct bed *, const char *text);

#endif /* bed.h */
