/* vswitchd: see vswitchd.h for the rules. */
#include "vswitchd.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"
#include "xstring.h"

#define ARGS_MAX 64

/* Runs 'argv' and prints its output to stderr if it fails. */
static int
run_checked(char *const argv[])
{
    char *output = NULL;
    int rc = sbx_run(argv, &output);
    if (rc != 0) {
        fprintf(stderr, "vswitchd: '%s %s' failed (%d):\n%s\n", argv[0],
                argv[1] ? argv[1] : "", rc, output ? output : "");
        rc = rc < 0 ? rc : -EIO;
    }
    free(output);
    return rc;
}

int
vswitchd_private_netns(void)
{
    if (unshare(CLONE_NEWNET) < 0) {
        int error = errno;
        fprintf(stderr, "vswitchd: unshare(CLONE_NEWNET): %s\n",
                strerror(error));
        return -error;
    }
    char *const argv[] = {"ip", "link", "set", "lo", "up", NULL};
    return run_checked(argv);
}

void
vswitchd_init(struct vswitchd *vs, const char *dir, const char *db_remote)
{
    memset(vs, 0, sizeof *vs);
    vs->dir = xasprintf("%s", dir);
    vs->db_remote = xasprintf("%s", db_remote);
    vs->pid_path = xasprintf("%s/ovs-vswitchd.pid", dir);
    vs->log_path = xasprintf("%s/ovs-vswitchd.log", dir);
    vs->ctl_path = xasprintf("%s/ovs-vswitchd.ctl", dir);
}

int
vswitchd_db_init(const struct vswitchd *vs)
{
    char *db = xasprintf("--db=%s", vs->db_remote);
    char *const argv[] = {"ovs-vsctl", db, "--no-wait", "init", NULL};
    int rc = run_checked(argv);
    free(db);
    return rc;
}

int
vswitchd_start(struct vswitchd *vs)
{
    if (vs->pid) {
        return -EALREADY;
    }
    /* "env" puts OVS_RUNDIR into the daemon's environment only, so that
     * the bridges' management sockets land in the sandbox. */
    char *rundir = xasprintf("OVS_RUNDIR=%s", vs->dir);
    char *pidfile = xasprintf("--pidfile=%s", vs->pid_path);
    char *logfile = xasprintf("--log-file=%s", vs->log_path);
    char *unixctl = xasprintf("--unixctl=%s", vs->ctl_path);
    char *const argv[] = {"env",        rundir,  "ovs-vswitchd", vs->db_remote,
                          pidfile,      logfile, unixctl,        "--detach",
                          "--no-chdir", NULL};
    int rc = run_checked(argv);
    free(rundir);
    free(pidfile);
    free(logfile);
    free(unixctl);
    if (rc) {
        char *log = vswitchd_log(vs);
        fprintf(stderr, "vswitchd: ovs-vswitchd log:\n%s\n", log ? log : "");
        free(log);
        return rc;
    }

    pid_t pid = sbx_read_pidfile(vs->pid_path);
    if (pid < 0) {
        fprintf(stderr, "vswitchd: cannot read %s: %s\n", vs->pid_path,
                strerror(-pid));
        return pid;
    }
    vs->pid = pid;
    sbx_track_pid(pid);
    return 0;
}

int
vswitchd_kill(struct vswitchd *vs, int sig)
{
    if (!vs->pid) {
        return 0;
    }
    int rc = sbx_kill(vs->pid, sig, 5000);
    if (!rc) {
        sbx_untrack_pid(vs->pid);
        vs->pid = 0;
    }
    return rc;
}

/* Runs 'fixed' (the first 'n_fixed' arguments) followed by the
 * NULL-terminated list 'args'. */
static int
run_va(char **outputp, const char **fixed, int n_fixed, const char *first,
       va_list args)
{
    const char *argv[ARGS_MAX];
    int n = 0;
    for (int i = 0; i < n_fixed; i++) {
        argv[n++] = fixed[i];
    }
    const char *arg = first;
    while (arg && n < ARGS_MAX - 1) {
        argv[n++] = arg;
        arg = va_arg(args, const char *);
    }
    argv[n] = NULL;
    return sbx_run((char *const *)argv, outputp);
}

int
vswitchd_vsctl(const struct vswitchd *vs, char **outputp, const char *arg0,
               ...)
{
    char *db = xasprintf("--db=%s", vs->db_remote);
    const char *fixed[] = {"ovs-vsctl", db, "--timeout=10"};
    va_list args;
    va_start(args, arg0);
    int rc = run_va(outputp, fixed, 3, arg0, args);
    va_end(args);
    free(db);
    return rc;
}

int
vswitchd_appctl(const struct vswitchd *vs, char **outputp, const char *command,
                ...)
{
    const char *fixed[] = {"ovs-appctl", "-t", vs->ctl_path};
    va_list args;
    va_start(args, command);
    int rc = run_va(outputp, fixed, 3, command, args);
    va_end(args);
    return rc;
}

char *
vswitchd_mgmt(const struct vswitchd *vs, const char *bridge)
{
    return xasprintf("unix:%s/%s.mgmt", vs->dir, bridge);
}

char *
vswitchd_log(const struct vswitchd *vs)
{
    FILE *f = fopen(vs->log_path, "r");
    if (!f) {
        return NULL;
    }
    size_t len = 0, size = 4096;
    char *text = malloc(size);
    size_t n;
    if (!text) {
        abort();
    }
    while ((n = fread(text + len, 1, size - len - 1, f)) > 0) {
        len += n;
        if (len + 1 >= size) {
            size *= 2;
            text = realloc(text, size);
            if (!text) {
                abort();
            }
        }
    }
    fclose(f);
    text[len] = '\0';
    return text;
}

void
vswitchd_clear(struct vswitchd *vs)
{
    if (!vs || !vs->dir) {
        return;
    }
    if (vs->pid && vswitchd_kill(vs, SIGTERM) < 0) {
        vswitchd_kill(vs, SIGKILL);
    }
    free(vs->dir);
    free(vs->db_remote);
    free(vs->pid_path);
    free(vs->log_path);
    free(vs->ctl_path);
    memset(vs, 0, sizeof *vs);
}
