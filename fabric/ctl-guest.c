/* ctl-guest and agent commands: fabricctl guest exec|console, fabricctl
 * agent status|reconcile.
 *
 * guest exec runs a command inside a namespace guest on this machine: the
 * guest's namespace is the agent's prefix (--netns-prefix, default
 * "fab-", as fabricd's) followed by the guest's name.  Its exit status is
 * the command's.  VM guests have no namespace to enter: the command says
 * so and points at the console.
 *
 * guest console attaches to a VM's serial console on this machine (the
 * agent on this machine names its socket); with "-- COMMAND" it runs one
 * shell command through the console instead, for guests whose console
 * runs a shell (the tiny test guest does), prints its output and exits
 * with its status.
 *
 * agent commands talk to a fabricd on this machine through its control
 * socket (RUNDIR/fabricd.ctl, --rundir or $FABRIC_RUNDIR, default
 * /run/fabric) and need no fabric DB.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "agent-ctl.h"
#include "ctl.h"
#include "netns.h"
#include "ovsdb-error.h"
#include "replica.h"
#include "vm-console.h"

static const struct replica_row *
find_guest(const struct replica *replica, const char *name)
{
    size_t iter = 0;
    const struct replica_row *row;
    while ((row = replica_next(replica, "Guest", &iter))) {
        const char *n = json_string_value(replica_row_get(row, "name"));
        if (n && !strcmp(n, name)) {
            return row;
        }
    }
    return NULL;
}

/* guest exec GUEST -- COMMAND... */
static int
cmd_guest_exec(struct ctl *ctl, int argc, char *argv[])
{
    int sep = 2;
    if (argc < 4 || strcmp(argv[sep], "--")) {
        ctl_error("usage: fabricctl guest exec GUEST -- COMMAND [ARG...]");
        return 1;
    }
    const char *name = argv[1];
    if (ctl_connect(ctl)) {
        return 1;
    }
    const struct replica_row *guest = find_guest(ctl_replica(ctl), name);
    if (!guest) {
        ctl_error("the lab has no guest named %s", name);
        return 1;
    }
    const char *kind = json_string_value(replica_row_get(guest, "kind"));
    if (kind && !strcmp(kind, "vm")) {
        ctl_error("guest %s is a VM: exec enters namespace guests only; "
                  "use 'fabricctl guest console %s [-- COMMAND]' on its "
                  "host, or SSH",
                  name, name);
        return 1;
    }
    if (kind && !strcmp(kind, "port")) {
        ctl_error("guest %s is of kind port: another program plugged its "
                  "ports, and fabric has no namespace of it to enter",
                  name);
        return 1;
    }
    char netns[256];
    snprintf(netns, sizeof netns, "%s%s", ctl->netns_prefix, name);
    char path[300];
    snprintf(path, sizeof path, "/run/netns/%s", netns);
    if (access(path, F_OK)) {
        ctl_error("guest %s has no namespace %s on this machine (it runs "
                  "on another host, or its agent has not made it yet)",
                  name, netns);
        return 1;
    }
    int status = netns_exec(netns, argv + sep + 1);
    if (status < 0) {
        ctl_error("cannot run %s in %s: %s", argv[sep + 1], netns,
                  strerror(-status));
        return 1;
    }
    return status;
}

/* Sends 'command' to the fabricd on this machine; returns its JSON reply
 * (new reference), or NULL after reporting why. */
static json_t *
agent_request(struct ctl *ctl, const char *command)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fabricd.ctl", ctl->rundir);
    char *reply = NULL;
    int error = agent_ctl_call(path, command, &reply);
    if (error) {
        ctl_error("cannot reach fabricd at %s: %s", path, strerror(-error));
        return NULL;
    }
    json_t *j = json_loads(reply, 0, NULL);
    free(reply);
    if (!j) {
        ctl_error("fabricd at %s sent a reply that is not JSON", path);
    }
    return j;
}

/* guest console GUEST [-- COMMAND...] */
static int
cmd_guest_console(struct ctl *ctl, int argc, char *argv[])
{
    if (argc < 2 || (argc > 2 && (strcmp(argv[2], "--") || argc < 4))) {
        ctl_error("usage: fabricctl guest console GUEST [-- COMMAND...]");
        return 1;
    }
    char *request;
    if (asprintf(&request, "console %s", argv[1]) < 0) {
        abort();
    }
    json_t *j = agent_request(ctl, request);
    free(request);
    if (!j) {
        return 1;
    }
    const char *path = json_string_value(json_object_get(j, "console"));
    if (!path) {
        ctl_error("%s (is %s a VM on this machine?)",
                  json_string_value(json_object_get(j, "error")), argv[1]);
        json_decref(j);
        return 1;
    }
    struct ovsdb_error *error = NULL;
    int status = 0;
    if (argc == 2) {
        if (vmcon_attach(path, &error) < 0) {
            status = 1;
        }
    } else {
        /* One line: the words joined by spaces, as a shell reads them. */
        size_t len = 1;
        for (int i = 3; i < argc; i++) {
            len += strlen(argv[i]) + 1;
        }
        char *line = calloc(1, len);
        for (int i = 3; i < argc; i++) {
            strcat(line, argv[i]);
            if (i + 1 < argc) {
                strcat(line, " ");
            }
        }
        char *out = NULL;
        /* --timeout is for reaching the DB; a command in a VM under
         * emulation may take longer. */
        int timeout = ctl->timeout_ms > 60000 ? ctl->timeout_ms : 60000;
        if (vmcon_run(path, line, timeout, &out, &status, &error) < 0) {
            status = 1;
        } else {
            fputs(out, stdout);
        }
        free(out);
        free(line);
    }
    if (error) {
        ctl_error("%s", error->msg);
        ovsdb_error_free(error);
    }
    json_decref(j);
    return status;
}

static int
agent_call(struct ctl *ctl, const char *command)
{
    json_t *j = agent_request(ctl, command);
    if (!j) {
        return 1;
    }
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
    putchar('\n');
    int status = json_is_false(json_object_get(j, "ok")) ? 1 : 0;
    json_decref(j);
    return status;
}

static int
cmd_agent_status(struct ctl *ctl, int argc, char *argv[])
{
    return agent_call(ctl, "status");
}

static int
cmd_agent_reconcile(struct ctl *ctl, int argc, char *argv[])
{
    return agent_call(ctl, "reconcile");
}

const struct ctl_command ctl_guest_commands[] = {
    {"guest exec", "GUEST -- COMMAND [ARG...]",
     "run COMMAND in a namespace guest on this machine (its exit status)",
     cmd_guest_exec},
    {"guest console", "GUEST [-- COMMAND...]",
     "attach to a VM's serial console on this machine (Ctrl-] leaves), or "
     "run one shell command through it",
     cmd_guest_console},
    {"agent status", "",
     "what the fabricd on this machine owns and last applied (JSON)",
     cmd_agent_status},
    {"agent reconcile", "",
     "ask the fabricd on this machine for a full reconcile now",
     cmd_agent_reconcile},
    {NULL, NULL, NULL, NULL},
};
