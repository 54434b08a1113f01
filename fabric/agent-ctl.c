/* agent-ctl: see agent-ctl.h. */
#include "agent-ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>

#include "agent.h"
#include "log.h"

struct agent_ctl {
    struct evconnlistener *listener;
    struct agent *agent;
    char *path;
};

static void
conn_event(struct bufferevent *bev, short what, void *ctl)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        bufferevent_free(bev);
    }
}

static void
conn_written(struct bufferevent *bev, void *ctl)
{
    bufferevent_free(bev);
}

static void
conn_read(struct bufferevent *bev, void *ctl_)
{
    struct agent_ctl *ctl = ctl_;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t len;
    char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_ANY);
    if (!line) {
        if (evbuffer_get_length(in) > 4096) {
            bufferevent_free(bev);
        }
        return;
    }
    json_t *reply;
    if (!strcmp(line, "status")) {
        reply = agent_status_json(ctl->agent);
    } else if (!strcmp(line, "reconcile")) {
        agent_force_reconcile(ctl->agent);
        reply = json_pack("{s:b}", "ok", 1);
    } else if (!strncmp(line, "console ", 8)) {
        const char *path = agent_vm_console(ctl->agent, line + 8);
        reply = (path ? json_pack("{s:b, s:s}", "ok", 1, "console", path)
                      : json_pack("{s:b, s:s+}", "ok", 0, "error",
                                  "no VM on this host named ", line + 8));
    } else {
        reply = json_pack("{s:b, s:s+}", "ok", 0, "error",
                          "unknown command: ", line);
    }
    free(line);
    char *text = json_dumps(reply, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(reply);
    bufferevent_write(bev, text, strlen(text));
    bufferevent_write(bev, "\n", 1);
    free(text);
    bufferevent_setcb(bev, NULL, conn_written, conn_event, ctl);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
          int len, void *ctl)
{
    struct bufferevent *bev = bufferevent_socket_new(
        evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, conn_read, NULL, conn_event, ctl);
    bufferevent_enable(bev, EV_READ);
}

int
agent_ctl_create(struct event_base *base, const char *path,
                 struct agent *agent, struct agent_ctl **ctlp)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sun.sun_path) {
        return -ENAMETOOLONG;
    }
    strcpy(sun.sun_path, path);
    unlink(path);
    mode_t old = umask(0077);
    struct evconnlistener *l = evconnlistener_new_bind(
        base, accept_cb, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
        16, (struct sockaddr *)&sun, sizeof sun);
    umask(old);
    if (!l) {
        return -errno;
    }
    struct agent_ctl *ctl = calloc(1, sizeof *ctl);
    ctl->listener = l;
    ctl->agent = agent;
    ctl->path = strdup(path);
    evconnlistener_set_cb(l, accept_cb, ctl);
    *ctlp = ctl;
    return 0;
}

void
agent_ctl_destroy(struct agent_ctl *ctl)
{
    if (ctl) {
        evconnlistener_free(ctl->listener);
        unlink(ctl->path);
        free(ctl->path);
        free(ctl);
    }
}

int
agent_ctl_call(const char *path, const char *command, char **replyp)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sun.sun_path) {
        return -ENAMETOOLONG;
    }
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        int error = -errno;
        close(fd);
        return error;
    }
    size_t len = strlen(command);
    if (write(fd, command, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
        int error = -errno;
        close(fd);
        return error;
    }
    char *buf = NULL;
    size_t n = 0;
    char chunk[4096];
    ssize_t r;
    while ((r = read(fd, chunk, sizeof chunk)) > 0) {
        buf = realloc(buf, n + r + 1);
        memcpy(buf + n, chunk, r);
        n += r;
        buf[n] = '\0';
    }
    close(fd);
    if (!buf) {
        return -EPROTO;
    }
    *replyp = buf;
    return 0;
}
