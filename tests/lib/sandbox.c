/* sandbox: see sandbox.h for the rules. */
#include "sandbox.h"
#include "xstring.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define SBX_MAX 64

/* What the sandbox made, for cleanup at exit.  Plain arrays so that the
 * signal handler can walk them. */
static pid_t tracked_pids[SBX_MAX];
static char *tracked_dirs[SBX_MAX];
static bool cleanup_installed;

static void *
xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        abort();
    }
    return p;
}

static char *
xstrdup(const char *s)
{
    return strcpy(xmalloc(strlen(s) + 1), s);
}

char *
sbx_path(const char *dir, const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

long long
sbx_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Cleanup. */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (remove(path) < 0 && errno != ENOENT) {
        fprintf(stderr, "sandbox: cannot remove %s: %s\n", path,
                strerror(errno));
    }
    return 0;
}

static void
kill_tracked(void)
{
    for (int i = 0; i < SBX_MAX; i++) {
        if (tracked_pids[i] > 0) {
            kill(tracked_pids[i], SIGKILL);
        }
    }
}

/* Functions to call before the tracked daemons are killed. */
#define SBX_MAX_HOOKS 8
static void (*cleanup_hooks[SBX_MAX_HOOKS])(void);

static void install_cleanup(void);

void
sbx_at_cleanup(void (*hook)(void))
{
    install_cleanup();
    for (int i = 0; i < SBX_MAX_HOOKS; i++) {
        if (cleanup_hooks[i] == hook) {
            return;
        }
        if (!cleanup_hooks[i]) {
            cleanup_hooks[i] = hook;
            return;
        }
    }
}

static void
run_hooks(void)
{
    for (int i = 0; i < SBX_MAX_HOOKS; i++) {
        void (*hook)(void) = cleanup_hooks[i];
        cleanup_hooks[i] = NULL;
        if (hook) {
            hook();
        }
    }
}

static void
cleanup_at_exit(void)
{
    run_hooks();
    for (int i = 0; i < SBX_MAX; i++) {
        if (tracked_pids[i] > 0) {
            sbx_kill(tracked_pids[i], SIGKILL, 2000);
            tracked_pids[i] = 0;
        }
    }
    for (int i = 0; i < SBX_MAX; i++) {
        if (tracked_dirs[i]) {
            nftw(tracked_dirs[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
            free(tracked_dirs[i]);
            tracked_dirs[i] = NULL;
        }
    }
}

static void
cleanup_on_signal(int sig)
{
    run_hooks();
    kill_tracked();
    for (int i = 0; i < SBX_MAX; i++) {
        if (tracked_dirs[i]) {
            nftw(tracked_dirs[i], rm_one, 16, FTW_DEPTH | FTW_PHYS);
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* A sanitizer that finds an error ends the process without running
 * atexit() handlers, but calls this one if it is registered. */
extern void __sanitizer_set_death_callback(void (*)(void))
    __attribute__((weak));

static void
cleanup_on_sanitizer_death(void)
{
    run_hooks();
    kill_tracked();
    cleanup_at_exit();
}

static void
install_cleanup(void)
{
    if (!cleanup_installed) {
        cleanup_installed = true;
        atexit(cleanup_at_exit);
        signal(SIGTERM, cleanup_on_signal);
        signal(SIGINT, cleanup_on_signal);
        signal(SIGHUP, cleanup_on_signal);
        signal(SIGABRT, cleanup_on_signal);
        if (__sanitizer_set_death_callback) {
            __sanitizer_set_death_callback(cleanup_on_sanitizer_death);
        }
    }
}

char *
sbx_mkdtemp(const char *tag)
{
    char *dir = xasprintf("/tmp/fabric-%s-XXXXXX", tag);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "sandbox: mkdtemp %s: %s\n", dir, strerror(errno));
        free(dir);
        return NULL;
    }
    install_cleanup();
    for (int i = 0; i < SBX_MAX; i++) {
        if (!tracked_dirs[i]) {
            tracked_dirs[i] = xstrdup(dir);
            break;
        }
    }
    return dir;
}

int
sbx_rmtree(const char *dir)
{
    int rc = nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
    for (int i = 0; i < SBX_MAX; i++) {
        if (tracked_dirs[i] && !strcmp(tracked_dirs[i], dir)) {
            free(tracked_dirs[i]);
            tracked_dirs[i] = NULL;
        }
    }
    return rc;
}

/* Processes. */

void
sbx_track_pid(pid_t pid)
{
    install_cleanup();
    for (int i = 0; i < SBX_MAX; i++) {
        if (tracked_pids[i] == pid) {
            return;
        }
    }
    for (int i = 0; i < SBX_MAX; i++) {
        if (tracked_pids[i] <= 0) {
            tracked_pids[i] = pid;
            return;
        }
    }
}

void
sbx_untrack_pid(pid_t pid)
{
    for (int i = 0; i < SBX_MAX; i++) {
        if (tracked_pids[i] == pid) {
            tracked_pids[i] = 0;
        }
    }
}

bool
sbx_pid_alive(pid_t pid)
{
    if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH)) {
        return false;
    }
    /* A daemon is not our child, so nobody here reaps it: look at its
     * state to tell a zombie from a live process. */
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        return false;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) {
        return false;
    }
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

int
sbx_kill(pid_t pid, int sig, int timeout_ms)
{
    if (pid <= 0) {
        return -EINVAL;
    }
    kill(pid, sig);
    long long deadline = sbx_now_ms() + timeout_ms;
    while (sbx_pid_alive(pid)) {
        /* Our own children have to be reaped to be gone. */
        waitpid(pid, NULL, WNOHANG);
        if (sbx_now_ms() > deadline) {
            fprintf(stderr, "sandbox: pid %d still alive after signal %d\n",
                    (int)pid, sig);
            return -ETIMEDOUT;
        }
        sleep_ms(5);
    }
    waitpid(pid, NULL, WNOHANG);
    return 0;
}

pid_t
sbx_read_pidfile(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return -errno;
    }
    long pid = 0;
    int n = fscanf(f, "%ld", &pid);
    fclose(f);
    return n == 1 && pid > 0 ? (pid_t)pid : -EINVAL;
}

/* Commands. */

int
sbx_run(char *const argv[], char **outputp)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        return -errno;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int error = errno;
        close(fds[0]);
        close(fds[1]);
        return -error;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);

    /* Read until every holder of the pipe closed it.  A daemon that
     * detaches closes its inherited descriptors, so this ends. */
    size_t len = 0, size = 256;
    char *out = xmalloc(size);
    for (;;) {
        if (len + 1 >= size) {
            size *= 2;
            out = realloc(out, size);
            if (!out) {
                abort();
            }
        }
        ssize_t n = read(fds[0], out + len, size - len - 1);
        if (n < 0 && errno == EINTR) {
            continue;
        } else if (n <= 0) {
            break;
        }
        len += n;
    }
    out[len] = '\0';
    close(fds[0]);

    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            free(out);
            return -errno;
        }
    }
    if (outputp) {
        *outputp = out;
    } else {
        free(out);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int
sbx_runl(char **outputp, const char *arg0, ...)
{
    const char *argv[64];
    int n = 0;
    va_list args;

    argv[n++] = arg0;
    va_start(args, arg0);
    while (n < 63 && (argv[n] = va_arg(args, const char *)) != NULL) {
        n++;
    }
    va_end(args);
    argv[n] = NULL;
    return sbx_run((char *const *)argv, outputp);
}

/* Runs 'argv' and prints its output to stderr if it fails. */
static int
run_checked(char *const argv[])
{
    char *output = NULL;
    int rc = sbx_run(argv, &output);
    if (rc != 0) {
        fprintf(stderr, "sandbox: '%s' failed (%d):\n%s\n", argv[0], rc,
                output ? output : "");
        rc = rc < 0 ? rc : -EIO;
    }
    free(output);
    return rc;
}

/* Network. */

int
sbx_free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sin;
    int rc = 0;
    if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
        rc = -errno;
    } else {
        rc = ntohs(sin.sin_port);
    }
    close(fd);
    return rc;
}

/* Event loop. */

bool
sbx_loop_until(struct event_base *base, bool (*done)(void *aux), void *aux,
               int timeout_ms)
{
    long long deadline = sbx_now_ms() + timeout_ms;
    while (!done(aux)) {
        long long left = deadline - sbx_now_ms();
        if (left <= 0) {
            return false;
        }
        struct timeval tv = {0, (left < 10 ? left : 10) * 1000};
        event_base_loopexit(base, &tv);
        event_base_dispatch(base);
    }
    return true;
}

static bool
never(void *aux)
{
    return false;
}

void
sbx_loop_for(struct event_base *base, int ms)
{
    sbx_loop_until(base, never, NULL, ms);
}

/* Certificates. */

int
sbx_ca_create(const char *dir, const char *name, struct sbx_ca *ca)
{
    char *cert = xasprintf("%s/%s-cacert.pem", dir, name);
    char *key = xasprintf("%s/%s-cakey.pem", dir, name);
    char *subj = xasprintf("/CN=%s", name);
    char *const argv[] = {"openssl",
                          "req",
                          "-x509",
                          "-newkey",
                          "ec",
                          "-pkeyopt",
                          "ec_paramgen_curve:prime256v1",
                          "-nodes",
                          "-keyout",
                          key,
                          "-out",
                          cert,
                          "-days",
                          "1",
                          "-subj",
                          subj,
                          "-addext",
                          "basicConstraints=critical,CA:TRUE",
                          "-addext",
                          "keyUsage=critical,keyCertSign,cRLSign",
                          NULL};
    int rc = run_checked(argv);
    free(subj);
    if (rc) {
        free(cert);
        free(key);
        return rc;
    }
    ca->cert = cert;
    ca->key = key;
    return 0;
}

void
sbx_ca_clear(struct sbx_ca *ca)
{
    if (ca) {
        free(ca->cert);
        free(ca->key);
        ca->cert = ca->key = NULL;
    }
}

int
sbx_cert_create(const struct sbx_ca *ca, const char *dir, const char *name,
                struct sbx_cert *c)
{
    char *cert = xasprintf("%s/%s-cert.pem", dir, name);
    char *key = xasprintf("%s/%s-privkey.pem", dir, name);
    char *subj = xasprintf("/CN=%s", name);
    char *const argv[] = {"openssl",
                          "req",
                          "-x509",
                          "-newkey",
                          "ec",
                          "-pkeyopt",
                          "ec_paramgen_curve:prime256v1",
                          "-nodes",
                          "-keyout",
                          key,
                          "-out",
                          cert,
                          "-days",
                          "1",
                          "-subj",
                          subj,
                          "-CA",
                          ca->cert,
                          "-CAkey",
                          ca->key,
                          "-addext",
                          "basicConstraints=CA:FALSE",
                          NULL};
    int rc = run_checked(argv);
    free(subj);
    if (rc) {
        free(cert);
        free(key);
        return rc;
    }
    c->cert = cert;
    c->key = key;
    return 0;
}

void
sbx_cert_clear(struct sbx_cert *c)
{
    if (c) {
        free(c->cert);
        free(c->key);
        c->cert = c->key = NULL;
    }
}

/* ovsdb-server. */

void
sbx_ovsdb_init(struct sbx_ovsdb *db, const char *dir, const char *name)
{
    memset(db, 0, sizeof *db);
    db->dir = xstrdup(dir);
    db->name = xstrdup(name);
    db->db_path = xasprintf("%s/%s.db", dir, name);
    db->sock_path = xasprintf("%s/%s.sock", dir, name);
    db->ctl_path = xasprintf("%s/%s.ctl", dir, name);
    db->pid_path = xasprintf("%s/%s.pid", dir, name);
    db->log_path = xasprintf("%s/%s.log", dir, name);
    db->unix_remote = xasprintf("unix:%s", db->sock_path);
}

int
sbx_ovsdb_create_db(struct sbx_ovsdb *db, const char *schema)
{
    char *const argv[] = {"ovsdb-tool", "create", db->db_path, (char *)schema,
                          NULL};
    return run_checked(argv);
}

/* Picks a port into '*portp' unless it has one already. */
static int
keep_port(int *portp)
{
    if (!*portp) {
        int port = sbx_free_tcp_port();
        if (port < 0) {
            return port;
        }
        *portp = port;
    }
    return 0;
}

int
sbx_ovsdb_start(struct sbx_ovsdb *db, const struct sbx_ovsdb_config *config)
{
    static const struct sbx_ovsdb_config no_config;
    const char *argv[64];
    char *owned[16];
    int n = 0, n_owned = 0, rc;

    if (!config) {
        config = &no_config;
    }
    if ((config->tcp && (rc = keep_port(&db->tcp_port))) ||
        (config->ssl && (rc = keep_port(&db->ssl_port)))) {
        return rc;
    }

    argv[n++] = "ovsdb-server";
    argv[n++] = db->db_path;
    argv[n++] = owned[n_owned++] =
        xasprintf("--remote=punix:%s", db->sock_path);
    if (config->tcp) {
        argv[n++] = owned[n_owned++] =
            xasprintf("--remote=ptcp:%d:127.0.0.1", db->tcp_port);
    }
    if (config->ssl) {
        argv[n++] = owned[n_owned++] =
            xasprintf("--remote=pssl:%d:127.0.0.1", db->ssl_port);
        argv[n++] = owned[n_owned++] =
            xasprintf("--private-key=%s", config->private_key);
        argv[n++] = owned[n_owned++] =
            xasprintf("--certificate=%s", config->certificate);
        argv[n++] = owned[n_owned++] =
            xasprintf("--ca-cert=%s", config->ca_cert);
    }
    argv[n++] = owned[n_owned++] = xasprintf("--unixctl=%s", db->ctl_path);
    argv[n++] = owned[n_owned++] = xasprintf("--pidfile=%s", db->pid_path);
    argv[n++] = owned[n_owned++] = xasprintf("--log-file=%s", db->log_path);
    argv[n++] = "--detach";
    argv[n++] = "--no-chdir";
    for (int i = 0; config->extra_args && config->extra_args[i] && n < 63;
         i++) {
        argv[n++] = config->extra_args[i];
    }
    argv[n] = NULL;

    install_cleanup();
    rc = run_checked((char *const *)argv);
    for (int i = 0; i < n_owned; i++) {
        free(owned[i]);
    }
    if (rc) {
        char *log = sbx_ovsdb_log(db);
        fprintf(stderr, "sandbox: ovsdb-server log:\n%s\n", log ? log : "");
        free(log);
        return rc;
    }

    pid_t pid = sbx_read_pidfile(db->pid_path);
    if (pid < 0) {
        fprintf(stderr, "sandbox: cannot read %s: %s\n", db->pid_path,
                strerror(-pid));
        return pid;
    }
    db->pid = pid;
    sbx_track_pid(pid);

    free(db->tcp_remote);
    free(db->ssl_remote);
    db->tcp_remote =
        config->tcp ? xasprintf("tcp:127.0.0.1:%d", db->tcp_port) : NULL;
    db->ssl_remote =
        config->ssl ? xasprintf("ssl:127.0.0.1:%d", db->ssl_port) : NULL;
    return 0;
}

int
sbx_ovsdb_kill(struct sbx_ovsdb *db, int sig)
{
    if (!db->pid) {
        return 0;
    }
    int rc = sbx_kill(db->pid, sig, 5000);
    if (!rc) {
        sbx_untrack_pid(db->pid);
        db->pid = 0;
    }
    return rc;
}

int
sbx_ovsdb_appctl(struct sbx_ovsdb *db, char **outputp, const char *command,
                 ...)
{
    const char *argv[64];
    int n = 0;
    va_list args;

    argv[n++] = "ovs-appctl";
    argv[n++] = "-t";
    argv[n++] = db->ctl_path;
    argv[n++] = command;
    va_start(args, command);
    while (n < 63 && (argv[n] = va_arg(args, const char *)) != NULL) {
        n++;
    }
    va_end(args);
    argv[n] = NULL;
    return sbx_run((char *const *)argv, outputp);
}

char *
sbx_ovsdb_log(const struct sbx_ovsdb *db)
{
    FILE *f = fopen(db->log_path, "r");
    if (!f) {
        return NULL;
    }
    size_t len = 0, size = 4096;
    char *text = xmalloc(size);
    size_t n;
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
    text[len] = '\0';
    fclose(f);
    return text;
}

void
sbx_ovsdb_clear(struct sbx_ovsdb *db)
{
    if (!db || !db->dir) {
        return;
    }
    if (db->pid) {
        if (sbx_ovsdb_kill(db, SIGTERM) < 0) {
            sbx_ovsdb_kill(db, SIGKILL);
        }
    }
    free(db->dir);
    free(db->name);
    free(db->db_path);
    free(db->sock_path);
    free(db->ctl_path);
    free(db->pid_path);
    free(db->log_path);
    free(db->unix_remote);
    free(db->tcp_remote);
    free(db->ssl_remote);
    memset(db, 0, sizeof *db);
}

int
sbx_run_va(char **outputp, bool report, const char *arg0, const char *arg1,
           va_list args)
{
    char *argv[64] = {(char *)arg0, (char *)arg1};
    int n = 2;
    const char *arg;
    while ((arg = va_arg(args, const char *)) && n < 63) {
        argv[n++] = (char *)arg;
    }
    argv[n] = NULL;
    char *out = NULL;
    int rc = sbx_run(argv, &out);
    if (rc && report) {
        fprintf(stderr, "%s failed (%d):\n%s\n", arg0, rc, out ? out : "");
    }
    if (outputp) {
        *outputp = out;
    } else {
        free(out);
    }
    return rc;
}
