/* cmd: running programs (ip, ethtool, ovs-ofctl, ...) without a shell.
 *
 *   struct cmd *c = cmd_new("ip");
 *   cmd_add(c, "link"); cmd_addf(c, "dev%d", 3);
 *   int status = cmd_run(c, &output, &error);
 *   cmd_free(c);
 *
 * Rules of this module:
 * - Arguments are an argv list; nothing is interpreted by a shell.
 * - cmd_run() returns 0 when the program exited 0; otherwise a negative
 *   errno and one error whose message names the command line, its exit
 *   status and the first line it printed to stderr.
 * - A dry-run hook (cmd_set_dry_run()) captures each command line instead
 *   of running it (followed, for a command that asks for it, by what it
 *   would read on stdin, each line indented by two spaces), so tests
 *   compare what would run against golden files; in dry-run mode every
 *   command "succeeds" with empty output.
 * - The child gets the caller's environment plus any cmd_setenv() pairs
 *   (OVS_RUNDIR and friends).
 */
#ifndef FABRIC_CMD_H
#define FABRIC_CMD_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ovsdb_error;
struct cmd;

struct cmd *cmd_new(const char *program);
void cmd_free(struct cmd *cmd);

void cmd_add(struct cmd *cmd, const char *arg);
void cmd_addf(struct cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Adds every argument up to a NULL. */
void cmd_addl(struct cmd *cmd, ...) __attribute__((sentinel));
void cmd_setenv(struct cmd *cmd, const char *name, const char *value);
/* Data written to the program's stdin ('len' bytes, copied). */
void cmd_set_input(struct cmd *cmd, const char *data, size_t len);
/* A dry run writes the input of 'cmd' after its command line, each line
 * indented by two spaces: for input that says what the command does, as
 * that of `ip -batch -`. */
void cmd_dry_run_shows_input(struct cmd *cmd);

/* The command line as text, arguments quoted where needed (new string). */
char *cmd_to_string(const struct cmd *cmd);

/* Runs 'cmd' and waits.  With 'outputp', stores its stdout as a new
 * string.  Returns 0, or a negative errno with '*errorp' set. */
int cmd_run(struct cmd *cmd, char **outputp, struct ovsdb_error **errorp);

/* Dry run: while 'log' is non-NULL every command line is written to it,
 * one per line, instead of being run. */
void cmd_set_dry_run(FILE *log);

/* Returns true during a dry run, so that a module that follows a command
 * with its own file operations (renaming what the command made) can skip
 * them. */
bool cmd_is_dry_run(void);

/* For a module that goes on after a failed command: keeps the first of
 * the errors in '*errorp' (and its code, a negative errno, in '*rcp') and
 * frees the others. */
void cmd_keep_first_error(struct ovsdb_error **errorp, int *rcp,
                          struct ovsdb_error *error);

#endif /* cmd.h */
