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
 *   exit after a failure (sbx_at_cleanup()).
 * - Helpers return what they got; the tests assert.
 */
#ifndef BED_H
#define BED_H 1

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"

#define BED_MAX_SERVERS 8

struct bed {
    char run[16];    /* Test bed run name. */
    char prefix[24]; /* "RUN-" */
    char bed_dir[256];
    int n_hosts;
    int n_agents;
    char *dir;
    struct sbx_ovsdb fabric;
    char db_opt[512];
    pid_t servers[BED_MAX_SERVERS];
    int n_servers;
    char agent_option[8][128]; /* [N - 1]: one more option of hvN's
                                * fabricd, or "" ('prepare' may set it). */
};

/* Brings up a bed of 'n_hosts' hosts with run name 'tag' (2 letters) and
 * a number, and fabricd on the first 'n_agents' of them (the others serve
 * as the world outside); 'prepare', if nonnull, runs for each host number
 * before the agents start (return nonzero to fail).  Returns 0 and the
 * bed in '*bp', or -1. */
int bed_setup(struct bed **bp, const char *tag, int n_hosts, int n_agents,
              int (*prepare)(struct bed *, int host));

/* Runs a command (NULL-terminated arguments) in host hvN with its OVS
 * (`testbed exec`); returns its exit status. */
int bed_host_run(struct bed *, int host, ...) __attribute__((sentinel));
void bed_teardown(struct bed *);

/* Namespace RUN-'what', and the namespace of guest 'guest' on hvN. */
void bed_ns_name(const struct bed *, const char *what, char *ns, size_t size);
void bed_guest_ns(const struct bed *, int host, const char *guest, char *ns,
                  size_t size);

/* Runs a command (NULL-terminated arguments) inside namespace 'ns';
 * returns its exit status, its output in '*outp' if nonnull. */
int bed_ns_run(char **outp, const char *ns, ...) __attribute__((sentinel));

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
