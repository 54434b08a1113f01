/* ctl: what every fabricctl command shares: global options, the
 * connection to the fabric DB, and the way errors reach the user.
 *
 * Rules of this module:
 * - Commands return an exit status: 0 success, 1 failure, 2 "changes
 *   pending" where a command documents it (topology plan).
 * - A command that needs the fabric DB calls ctl_connect(), which waits
 *   (up to --timeout) for a synchronized replica of the fabric tables and
 *   otherwise prints one clear sentence naming the remote and the reason,
 *   and returns non-zero.
 * - Messages for the user go to stderr prefixed "fabricctl: "; results
 *   go to stdout through print.h.
 */
#ifndef FABRIC_CTL_H
#define FABRIC_CTL_H 1

#include <stdbool.h>

#include "tls.h"

struct event_base;
struct ovsdb_client;
struct replica;

#define CTL_DEFAULT_DB "unix:/run/fabric/db.sock"

struct ctl {
    const char *db;              /* --db, $FABRIC_DB, or the default. */
    struct ovsdb_tls_config tls; /* --private-key, --certificate, --ca-cert. */
    bool json;                   /* --json */
    int timeout_ms;              /* --timeout, for reaching the DB. */
    const char *netns_prefix;    /* --netns-prefix (guest namespaces). */
    const char *rundir;          /* --rundir (fabricd's control socket). */

    /* Set by ctl_connect(). */
    struct event_base *base;
    struct ovsdb_client *client;
    char last_error[512]; /* Why the connection failed, if it did. */
};

/* A subcommand: 'argv[0]' is the last word of its name. */
struct ctl_command {
    const char *name;  /* "topology apply" */
    const char *usage; /* "FILE [--dry-run] [--wait[=SECONDS]]" */
    const char *help;
    int (*run)(struct ctl *, int argc, char *argv[]);
};

/* Connects to the fabric DB and waits for a synchronized replica.
 * Returns 0, or 1 after printing why not. */
int ctl_connect(struct ctl *ctl);

/* Runs the event loop until 'done(aux)' or 'timeout_ms'; returns true if
 * 'done' became true. */
bool ctl_run_until(struct ctl *ctl, bool (*done)(void *aux), void *aux,
                   int timeout_ms);

const struct replica *ctl_replica(const struct ctl *ctl);

/* Frees what ctl_connect() made. */
void ctl_close(struct ctl *ctl);

/* Prints "fabricctl: MESSAGE" to stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The command tables of each command file. */
extern const struct ctl_command ctl_topology_commands[];
extern const struct ctl_command ctl_status_commands[];
extern const struct ctl_command ctl_guest_commands[];
extern const struct ctl_command ctl_flows_commands[];
extern const struct ctl_command ctl_trace_commands[];

#endif /* ctl.h */
