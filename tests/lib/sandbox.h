/* sandbox: temporary directories, daemons, certificates and commands for
 * functional tests and benchmarks.
 *
 * Rules of this module:
 * - Everything a test makes lives under a directory from sbx_mkdtemp()
 *   (/tmp/fabric-TAG-XXXXXX, unique to the run).
 * - Every directory and daemon the sandbox makes is recorded; an atexit()
 *   handler (and a handler for SIGTERM, SIGINT and SIGHUP) kills the
 *   recorded daemons by PID and removes the recorded directories, so a
 *   test that fails half-way leaves nothing behind.  Tests still stop
 *   their daemons in their teardown functions.
 * - Commands run without a shell, from an argv list.
 * - Functions return 0 (or a documented value) or a negative errno, and
 *   print what went wrong to stderr, so that a failing test shows why.
 * - Network use is loopback only.
 *
 * An ovsdb-server is described by a 'struct sbx_ovsdb': one member name in
 * a sandbox directory gives every file its path (DIR/NAME.db, NAME.sock,
 * NAME.ctl, NAME.pid, NAME.log).  Creating the database and starting the
 * server are separate steps, so that a helper for a Raft cluster can
 * create each member's file with ovsdb-tool create-cluster/join-cluster
 * and then start the members like any standalone server.
 */
#ifndef SANDBOX_H
#define SANDBOX_H 1

#include <stdarg.h>
#include <stdbool.h>
#include <sys/types.h>

struct event_base;

/* Directories. */

/* Creates /tmp/fabric-'tag'-XXXXXX and records it for removal at exit.
 * Returns its path (the caller frees it), or NULL on failure. */
char *sbx_mkdtemp(const char *tag);

/* Removes 'dir' and everything under it now, and forgets it. */
int sbx_rmtree(const char *dir);

/* Returns a new string "'dir'/'name'". */
char *sbx_path(const char *dir, const char *name);

/* Processes. */

/* Records 'pid' to be killed at exit; sbx_untrack_pid() forgets it. */
void sbx_track_pid(pid_t pid);
void sbx_untrack_pid(pid_t pid);

/* Calls 'hook' at exit, on a fatal signal or a sanitizer's death, before
 * the tracked daemons are killed: for processes the sandbox does not know
 * by PID (QEMU, started by a test's libvirtd). */
void sbx_at_cleanup(void (*hook)(void));

/* Returns true if process 'pid' exists and is not a zombie. */
bool sbx_pid_alive(pid_t pid);

/* Sends 'sig' to 'pid' and waits up to 'timeout_ms' for it to be gone.
 * Returns 0 once it is, -ETIMEDOUT otherwise. */
int sbx_kill(pid_t pid, int sig, int timeout_ms);

/* Reads the PID in pidfile 'path'.  Returns it, or a negative errno. */
pid_t sbx_read_pidfile(const char *path);

/* Commands. */

/* Runs 'argv' (argv[0] looked up in PATH) and waits for it.  Returns its
 * exit status (0..255; 128 + N for a death by signal N) or a negative
 * errno if it could not run.  With 'outputp', stores what it wrote to
 * stdout and stderr as a new string. */
int sbx_run(char *const argv[], char **outputp);

/* Like sbx_run() with the arguments given as a NULL-terminated list. */
int sbx_runl(char **outputp, const char *arg0, ...) __attribute__((sentinel));

/* Runs 'arg0' 'arg1' followed by the arguments in 'args' (up to a NULL),
 * as sbx_run() does.  With 'report', a failure prints the command's
 * output to stderr, so that a failing test shows why. */
int sbx_run_va(char **outputp, bool report, const char *arg0, const char *arg1,
               va_list args);

/* Network. */

/* Returns a TCP port on 127.0.0.1 that was free a moment ago, or a
 * negative errno. */
int sbx_free_tcp_port(void);

/* Event loop. */

/* Runs 'base' until 'done'('aux') returns true or 'timeout_ms' passes.
 * Returns true if 'done' became true. */
bool sbx_loop_until(struct event_base *base, bool (*done)(void *aux),
                    void *aux, int timeout_ms);

/* Runs 'base' for 'ms' milliseconds. */
void sbx_loop_for(struct event_base *base, int ms);

/* Milliseconds on a monotonic clock. */
long long sbx_now_ms(void);

/* Certificates (openssl command line, EC P-256 keys, valid one day). */

struct sbx_ca {
    char *cert; /* PEM certificate. */
    char *key;  /* PEM private key. */
};

struct sbx_cert {
    char *cert; /* PEM certificate signed by the CA. */
    char *key;  /* PEM private key. */
};

/* Makes a self-signed CA named 'name' in 'dir' (NAME-cacert.pem,
 * NAME-cakey.pem). */
int sbx_ca_create(const char *dir, const char *name, struct sbx_ca *ca);
void sbx_ca_clear(struct sbx_ca *ca);

/* Makes a key and a certificate for common name 'name', signed by 'ca',
 * in 'dir' (NAME-cert.pem, NAME-privkey.pem). */
int sbx_cert_create(const struct sbx_ca *ca, const char *dir, const char *name,
                    struct sbx_cert *cert);
void sbx_cert_clear(struct sbx_cert *cert);

/* ovsdb-server. */

struct sbx_ovsdb_config {
    bool tcp;                      /* Listen on ptcp:PORT:127.0.0.1. */
    bool ssl;                      /* Listen on pssl:PORT:127.0.0.1. */
    const char *private_key;       /* For 'ssl'. */
    const char *certificate;       /* For 'ssl'. */
    const char *ca_cert;           /* For 'ssl'. */
    const char *const *extra_args; /* More arguments, NULL-terminated. */
};

struct sbx_ovsdb {
    char *dir;  /* Sandbox directory (not owned by this server). */
    char *name; /* Member name: prefix of every file. */
    char *db_path, *sock_path, *ctl_path, *pid_path, *log_path;
    char *unix_remote;      /* "unix:SOCK_PATH". */
    char *tcp_remote;       /* "tcp:127.0.0.1:PORT" once started with tcp. */
    char *ssl_remote;       /* "ssl:127.0.0.1:PORT" once started with ssl. */
    int tcp_port, ssl_port; /* Kept across restarts. */
    pid_t pid;              /* 0 when not running. */
};

/* Fills 'db' with the paths of member 'name' in 'dir'. */
void sbx_ovsdb_init(struct sbx_ovsdb *db, const char *dir, const char *name);

/* Creates the standalone database file with 'schema'. */
int sbx_ovsdb_create_db(struct sbx_ovsdb *db, const char *schema);

/* Starts ovsdb-server on the database file (detached, waits until it
 * listens).  Ports are chosen on the first start and kept on later
 * starts, so that clients can reconnect to the same remotes. */
int sbx_ovsdb_start(struct sbx_ovsdb *db,
                    const struct sbx_ovsdb_config *config);

/* Sends 'sig' to the server and waits until it is gone. */
int sbx_ovsdb_kill(struct sbx_ovsdb *db, int sig);

/* Runs "ovs-appctl -t CTL 'command' [args...]" (NULL-terminated). */
int sbx_ovsdb_appctl(struct sbx_ovsdb *db, char **outputp, const char *command,
                     ...) __attribute__((sentinel));

/* Stops the server if it runs and frees 'db''s strings. */
void sbx_ovsdb_clear(struct sbx_ovsdb *db);

/* Returns the contents of the server's log file (a new string, or NULL). */
char *sbx_ovsdb_log(const struct sbx_ovsdb *db);

#endif /* sandbox.h */
