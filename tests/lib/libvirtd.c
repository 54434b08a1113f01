/* libvirtd: see libvirtd.h. */
#include "libvirtd.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"
#include "xstring.h"

static const char *const state_dirs[][2] = {
    {"etc", "/etc/libvirt"},     {"run", "/run/libvirt"},
    {"lib", "/var/lib/libvirt"}, {"cache", "/var/cache/libvirt"},
    {"log", "/var/log/libvirt"},
};
#define N_STATE_DIRS (sizeof state_dirs / sizeof *state_dirs)

/* Kills the QEMU processes whose pidfiles are in DIR/run/qemu. */
static void
kill_qemus(const struct sbx_libvirtd *d)
{
    char *qdir = xasprintf("%s/run/qemu", d->dir);
    DIR *dir = opendir(qdir);
    struct dirent *e;
    while (dir && (e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        if (len > 4 && !strcmp(e->d_name + len - 4, ".pid")) {
            char *path = xasprintf("%s/%s", qdir, e->d_name);
            pid_t pid = sbx_read_pidfile(path);
            if (pid > 0 && sbx_pid_alive(pid)) {
                sbx_kill(pid, SIGKILL, 5000);
            }
            free(path);
        }
    }
    if (dir) {
        closedir(dir);
    }
    free(qdir);
}

/* The libvirtds running, for the cleanup hook. */
#define MAX_LIBVIRTDS 4
static struct sbx_libvirtd *running[MAX_LIBVIRTDS];

static void
kill_all_qemus(void)
{
    for (int i = 0; i < MAX_LIBVIRTDS; i++) {
        if (running[i]) {
            kill_qemus(running[i]);
        }
    }
}

/* Gives 'dir' a copy of the QEMU capabilities cache of a libvirtd that
 * runs already, if any, so that the new one need not probe QEMU. */
static void
copy_caps_cache(const char *dir)
{
    for (int i = 0; i < MAX_LIBVIRTDS; i++) {
        if (running[i]) {
            char *src = xasprintf("%s/cache/qemu", running[i]->dir);
            char *dst = xasprintf("%s/cache", dir);
            struct stat st;
            if (!stat(src, &st)) {
                sbx_runl(NULL, "cp", "-a", src, dst, NULL);
            }
            free(src);
            free(dst);
            return;
        }
    }
}

int
sbx_libvirtd_start(struct sbx_libvirtd *d, const char *dir,
                   const char *ovs_rundir)
{
    return sbx_libvirtd_start_in(d, dir, ovs_rundir, NULL);
}

int
sbx_libvirtd_start_in(struct sbx_libvirtd *d, const char *dir,
                      const char *ovs_rundir, const char *netns)
{
    memset(d, 0, sizeof *d);
    d->dir = strdup(dir);
    d->netns = netns ? strdup(netns) : NULL;
    mkdir(dir, 0755);
    chmod(dir, 0755);
    char *script = xasprintf("set -e\n");
    for (size_t i = 0; i < N_STATE_DIRS; i++) {
        char *sub = xasprintf("%s/%s", dir, state_dirs[i][0]);
        mkdir(sub, 0755);
        chmod(sub, 0755);
        if (!strcmp(state_dirs[i][0], "etc")) {
            /* Its own copy of the configuration, so that the domains it
             * defines are never the machine's. */
            char *src = xasprintf("%s/.", state_dirs[i][1]);
            sbx_runl(NULL, "cp", "-a", src, sub, NULL);
            free(src);
            char *qemu = xasprintf("%s/qemu", sub);
            char *rm =
                xasprintf("find %s -maxdepth 1 -name '*.xml' -delete", qemu);
            sbx_runl(NULL, "sh", "-c", rm, NULL);
            free(rm);
            free(qemu);
        }
        char *next =
            xasprintf("%smount --bind %s %s\n", script, sub, state_dirs[i][1]);
        free(script);
        script = next;
        free(sub);
    }
    copy_caps_cache(dir);
    char *logd_pid = xasprintf("%s/virtlogd.pid", dir);
    char *lv_pid = xasprintf("%s/libvirtd.pid", dir);
    char *next = xasprintf("%svirtlogd -d -p %s\nexec libvirtd -p %s\n",
                           script, logd_pid, lv_pid);
    free(script);
    script = next;
    d->uri = xasprintf("qemu:///system?socket=%s/run/libvirt-sock", dir);
    d->log = xasprintf("%s/libvirtd.out", dir);

    pid_t pid = fork();
    if (pid < 0) {
        return -errno;
    }
    if (!pid) {
        FILE *out = fopen(d->log, "w");
        if (out) {
            dup2(fileno(out), 1);
            dup2(fileno(out), 2);
        }
        setenv("OVS_RUNDIR", ovs_rundir, 1);
        if (netns) {
            char *net = xasprintf("--net=/run/netns/%s", netns);
            execlp("nsenter", "nsenter", net, "unshare", "-m", "--propagation",
                   "private", "sh", "-c", script, (char *)NULL);
        } else {
            execlp("unshare", "unshare", "-m", "--propagation", "private",
                   "sh", "-c", script, (char *)NULL);
        }
        _exit(127);
    }
    free(script);
    d->pid = pid; /* nsenter, unshare and sh exec into libvirtd. */
    sbx_track_pid(pid);
    for (int i = 0; i < MAX_LIBVIRTDS; i++) {
        if (!running[i]) {
            running[i] = d;
            break;
        }
    }
    sbx_at_cleanup(kill_all_qemus);

    int error = -ETIMEDOUT;
    long long deadline = sbx_now_ms() + 60000;
    while (sbx_now_ms() < deadline) {
        if (!sbx_pid_alive(pid)) {
            error = -ECHILD;
            break;
        }
        if (!d->logd) {
            pid_t l = sbx_read_pidfile(logd_pid);
            if (l > 0) {
                d->logd = l;
                sbx_track_pid(l);
            }
        }
        char *out = NULL;
        int status =
            sbx_runl(&out, "virsh", "-q", "-c", d->uri, "version", NULL);
        free(out);
        if (!status) {
            error = 0;
            break;
        }
        usleep(200 * 1000);
    }
    free(logd_pid);
    free(lv_pid);
    if (error) {
        fprintf(stderr,
                "libvirtd in %s%s%s did not come up (%s); its "
                "log:\n",
                dir, netns ? ", network namespace " : "", netns ? netns : "",
                strerror(-error));
        char *out = NULL;
        sbx_runl(&out, "tail", "-20", d->log, NULL);
        fprintf(stderr, "%s", out ? out : "");
        free(out);
        sbx_libvirtd_stop(d);
    }
    return error;
}

void
sbx_libvirtd_remove_domains(const struct sbx_libvirtd *d, const char *prefix)
{
    if (!d->uri) {
        return;
    }
    char *out = NULL;
    if (!sbx_runl(&out, "virsh", "-q", "-c", d->uri, "list", "--all", "--name",
                  NULL) &&
        out) {
        for (char *save, *line = strtok_r(out, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
            if (!strncmp(line, prefix, strlen(prefix))) {
                sbx_runl(NULL, "virsh", "-q", "-c", d->uri, "destroy", line,
                         NULL);
                sbx_runl(NULL, "virsh", "-q", "-c", d->uri, "undefine", line,
                         NULL);
            }
        }
    }
    free(out);
}

void
sbx_libvirtd_stop(struct sbx_libvirtd *d)
{
    if (!d->dir) {
        return;
    }
    kill_qemus(d);
    for (int i = 0; i < MAX_LIBVIRTDS; i++) {
        if (running[i] == d) {
            running[i] = NULL;
        }
    }
    if (d->pid > 0) {
        sbx_kill(d->pid, SIGTERM, 10000);
        if (sbx_pid_alive(d->pid)) {
            sbx_kill(d->pid, SIGKILL, 5000);
        }
        sbx_untrack_pid(d->pid);
    }
    if (d->logd > 0) {
        sbx_kill(d->logd, SIGTERM, 5000);
        sbx_untrack_pid(d->logd);
    }
    free(d->dir);
    free(d->uri);
    free(d->log);
    free(d->netns);
    memset(d, 0, sizeof *d);
}
