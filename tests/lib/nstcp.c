/* nstcp: see nstcp.h. */
#include "nstcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

/* Enters namespace 'ns' (in a child process), or exits. */
static void
enter_ns(const char *ns)
{
    char path[256];
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET)) {
        _exit(2);
    }
    close(fd);
}

static void
serve(int s)
{
    for (;;) {
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        int c = accept(s, (struct sockaddr *)&peer, &len);
        if (c < 0) {
            continue;
        }
        char text[64];
        snprintf(text, sizeof text, "%s\n", inet_ntoa(peer.sin_addr));
        if (write(c, text, strlen(text)) < 0) {
            /* The client went away. */
        }
        close(c);
    }
}

/* Answers DNS queries on 's' with one A record, 'answer'. */
static void
serve_dns(int s, struct in_addr answer)
{
    for (;;) {
        uint8_t msg[512 + 16];
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        ssize_t n = recvfrom(s, msg, 512, 0, (struct sockaddr *)&peer, &len);
        if (n < 12 || (msg[2] & 0x80)) {
            continue;
        }
        /* The id and the question stay; QR, RD and RA; one answer that
         * points at the question's name. */
        msg[2] = 0x81;
        msg[3] = 0x80;
        msg[6] = 0;
        msg[7] = 1;
        msg[8] = msg[9] = msg[10] = msg[11] = 0;
        static const uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
        memcpy(msg + n, rr, sizeof rr);
        memcpy(msg + n + sizeof rr, &answer, 4);
        sendto(s, msg, (size_t)n + sizeof rr + 4, 0, (struct sockaddr *)&peer,
               len);
    }
}

/* Forks a server in namespace 'ns' on 'port' (TCP, or UDP for DNS with
 * 'dns_answer'), and returns its PID once it listens, or -1. */
static pid_t
start(const char *ns, int port, const char *dns_answer)
{
    int ready[2];
    if (pipe(ready)) {
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        enter_ns(ns);
        int s = socket(AF_INET, dns_answer ? SOCK_DGRAM : SOCK_STREAM, 0);
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in sin = {
            .sin_family = AF_INET,
            .sin_port = htons(port),
        };
        struct in_addr answer;
        if (bind(s, (struct sockaddr *)&sin, sizeof sin) ||
            (!dns_answer && listen(s, 128)) ||
            (dns_answer && inet_pton(AF_INET, dns_answer, &answer) != 1)) {
            _exit(3);
        }
        if (write(ready[1], "r", 1) != 1) {
            _exit(4);
        }
        close(ready[1]);
        if (dns_answer) {
            serve_dns(s, answer);
        }
        serve(s);
    }
    close(ready[1]);
    char c;
    bool ok = pid > 0 && read(ready[0], &c, 1) == 1;
    close(ready[0]);
    if (!ok) {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        return -1;
    }
    sbx_track_pid(pid);
    return pid;
}

pid_t
nstcp_server_start(const char *ns, int port)
{
    return start(ns, port, NULL);
}

pid_t
nstcp_dns_server_start(const char *ns, const char *answer)
{
    return start(ns, 53, answer);
}

void
nstcp_server_stop(pid_t pid)
{
    if (pid > 0) {
        sbx_kill(pid, SIGKILL, 2000);
        waitpid(pid, NULL, WNOHANG);
        sbx_untrack_pid(pid);
    }
}

/* One connection from the current namespace; stores the server's line
 * (up to 'size' - 1 bytes, not terminated) and returns its length, or
 * -1. */
static ssize_t
connect_once(const char *ip, int port, int timeout_ms, char *buf, size_t size)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {
        .sin_family = AF_INET,
        .sin_port = htons(port),
    };
    inet_pton(AF_INET, ip, &sin.sin_addr);
    struct timeval tv = {timeout_ms / 1000, timeout_ms % 1000 * 1000};
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = -1;
    if (!connect(s, (struct sockaddr *)&sin, sizeof sin)) {
        n = read(s, buf, size - 1);
        n = n > 0 ? n : -1;
    }
    close(s);
    return n;
}

/* Waits up to 'timeout_ms' for child 'pid' and the data it writes to
 * 'fd' (closed), stored in 'buf' (terminated).  Returns the child's exit
 * status, or -1 if it had to be killed. */
static int
collect(pid_t pid, int fd, int timeout_ms, char *buf, size_t size)
{
    size_t len = 0;
    bool eof = false;
    struct pollfd pfd = {fd, POLLIN, 0};
    long long deadline = sbx_now_ms() + timeout_ms;
    while (sbx_now_ms() < deadline && len < size - 1) {
        if (poll(&pfd, 1, 100) > 0) {
            ssize_t n = read(fd, buf + len, size - 1 - len);
            if (n <= 0) {
                eof = true;
                break;
            }
            len += n;
        }
    }
    buf[len] = '\0';
    close(fd);
    int status;
    /* At the end of its output the child is exiting: wait for it (it may
     * not be a zombie yet).  Otherwise it overran its time. */
    if (waitpid(pid, &status, eof ? 0 : WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool
nstcp_connect(const char *ns, const char *ip, int port, int timeout_ms,
              char *reply, size_t size)
{
    int out[2];
    if (pipe(out)) {
        return false;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(out[0]);
        enter_ns(ns);
        char buf[128];
        ssize_t n = connect_once(ip, port, timeout_ms, buf, sizeof buf);
        _exit(n > 0 && write(out[1], buf, n) == n ? 0 : 1);
    }
    close(out[1]);
    if (pid < 0) {
        close(out[0]);
        return false;
    }
    char buf[128];
    int status = collect(pid, out[0], timeout_ms + 2000, buf, sizeof buf);
    buf[strcspn(buf, "\n")] = '\0';
    snprintf(reply, size, "%s", buf);
    return status == 0;
}

long
nstcp_connect_rate(const char *ns, const char *ip, int port, int ms)
{
    int out[2];
    if (pipe(out)) {
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(out[0]);
        enter_ns(ns);
        long n = 0;
        long long end = sbx_now_ms() + ms;
        char buf[128];
        while (sbx_now_ms() < end) {
            /* A failed connection (refused, timed out) costs its time
             * and does not count. */
            n += connect_once(ip, port, 2000, buf, sizeof buf) > 0;
        }
        char text[32];
        int len = snprintf(text, sizeof text, "%ld", n);
        _exit(write(out[1], text, len) == len ? 0 : 1);
    }
    close(out[1]);
    if (pid < 0) {
        close(out[0]);
        return -1;
    }
    char buf[64];
    int status = collect(pid, out[0], ms + 5000, buf, sizeof buf);
    return status == 0 ? atol(buf) : -1;
}
