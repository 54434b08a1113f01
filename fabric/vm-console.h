/* vm-console: a client for a VM's serial console on a unix socket.
 *
 * A VM domain's first serial port is a unix socket that QEMU listens on
 * (libvirt `<serial type='unix'><source mode='bind' path=...>`), and a
 * log file that holds everything the guest printed since it started
 * (`<log file=... append='on'/>`).  The tiny test guest
 * (scripts/build-tiny-guest) prints `fabric-tiny: ready` when its network
 * is configured and then runs a root shell on that port.
 *
 * Rules of this module:
 * - Every call opens its own connection and closes it before returning.
 *   QEMU serves one client at a time: while another is connected (a
 *   person in vmcon_attach(), say), a call waits, then times out.
 * - The socket only carries what the guest prints while connected; to
 *   wait for something printed at boot, read the log with
 *   vmcon_wait_log().
 * - vmcon_run() speaks to a POSIX shell with a terminal that echoes input
 *   and may wrap, redraw or be interleaved with kernel messages.  It sends
 *   one line, "echo BEGIN; sh -c 'COMMAND'; echo END $?", where BEGIN and
 *   END carry a random token and are written quoted (@@fab-TOKEN-'B'@@),
 *   so that the terminal's echo of the line never contains them as they
 *   are printed.  The output is what comes between the line of BEGIN and
 *   END, carriage returns removed.  COMMAND runs in its own `sh -c`, so
 *   `cd`, variables and `exit` do not outlive it, and a syntax error is
 *   only an exit status of 2.
 * - Times are in milliseconds; a timeout is -ETIMEDOUT with an error that
 *   quotes the end of what the console printed.
 * - Errors: a negative errno, and one new error object in '*errorp' when
 *   'errorp' is non-NULL.  Out-parameters are written only on success.
 */
#ifndef FABRIC_VM_CONSOLE_H
#define FABRIC_VM_CONSOLE_H 1

#include <stddef.h>

struct ovsdb_error;

/* The longest command vmcon_run() accepts, in bytes, after quoting: the
 * guest's line editor stops at 1,024. */
#define VMCON_MAX_COMMAND 900

/* Runs the shell command 'command' (one line, no control characters) on
 * the console at 'socket_path', waiting at most 'timeout_ms'.  On success
 * stores its output (a new string, '\r' removed) in '*outputp' if
 * 'outputp' is non-NULL and its exit status in '*statusp' if 'statusp' is
 * non-NULL, and returns 0, whatever the exit status. */
int vmcon_run(const char *socket_path, const char *command, int timeout_ms,
              char **outputp, int *statusp, struct ovsdb_error **errorp);

/* Connects to the console at 'socket_path' and returns 0 once 'text' has
 * been printed there, or -ETIMEDOUT after 'timeout_ms'.  Only what is
 * printed after connecting counts. */
int vmcon_wait_line(const char *socket_path, const char *text, int timeout_ms,
                    struct ovsdb_error **errorp);

/* Returns 0 once the console log 'log_path' contains 'text', or
 * -ETIMEDOUT after 'timeout_ms'.  The log need not exist yet.  A log
 * written with append='on' keeps earlier boots: pass the log's size
 * before the domain started as 'offset' (vmcon_log_size()) to look only
 * at what came after; vmcon_wait_log() looks at the whole file. */
int vmcon_wait_log(const char *log_path, const char *text, int timeout_ms,
                   struct ovsdb_error **errorp);
int vmcon_wait_log_from(const char *log_path, long long offset,
                        const char *text, int timeout_ms,
                        struct ovsdb_error **errorp);

/* The size of the file 'log_path' in bytes, 0 if it does not exist. */
long long vmcon_log_size(const char *log_path);

/* Interactive session: relays standard input to the console at
 * 'socket_path' and the console to standard output, the terminal in raw
 * mode when standard input is one.  Ends on Ctrl-] (0x1d), when the
 * console closes, or (standard input not a terminal) shortly after
 * standard input ends.  Returns 0 or a negative errno. */
int vmcon_attach(const char *socket_path, struct ovsdb_error **errorp);

/* The parser behind vmcon_run(), for tests: looks in the 'len' bytes the
 * console printed, 'buf', for the output between the BEGIN and END lines
 * of 'token'.  Returns 1 with a new string in '*outputp' and the exit
 * status in '*statusp' when both lines are there, 0 when more input is
 * needed, -EPROTO when the END line holds no exit status. */
int vmcon_parse(const char *buf, size_t len, const char *token, char **outputp,
                int *statusp);

#endif /* vm-console.h */
