/* stream: opening the byte stream of an OVSDB connection; see stream.h for
 * the rules.
 *
 * The socket is created and connect() is called here, so that a failure
 * the kernel reports at once (no such socket file, connection refused by a
 * Unix socket) comes back with its exact errno.  A connection still in
 * progress is then handed to bufferevent_socket_connect(), which reports
 * BEV_EVENT_CONNECTED, or BEV_EVENT_ERROR with errno set, when it is done.
 * TLS starts only on a connected socket, so that a failed TCP connection
 * is told apart from a failed handshake.
 */
#include "stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ovsdb-error.h"
#include "remote.h"

/* Fills '*ss' and '*lenp' with the address of 'remote'. */
static int
remote_sockaddr(const struct ovsdb_remote *remote, struct sockaddr_storage *ss,
                socklen_t *lenp, struct ovsdb_error **errorp)
{
    memset(ss, 0, sizeof *ss);
    if (remote->kind == OVSDB_REMOTE_UNIX) {
        struct sockaddr_un *sun = (struct sockaddr_un *)ss;
        size_t len = strlen(remote->path);
        if (len >= sizeof sun->sun_path) {
            return ovsdb_error_set(
                errorp,
                ovsdb_error_new(-ENAMETOOLONG, NULL,
                                "%s: socket path is longer than %zu "
                                "bytes.",
                                remote->name, sizeof sun->sun_path - 1));
        }
        sun->sun_family = AF_UNIX;
        memcpy(sun->sun_path, remote->path, len + 1);
        *lenp = sizeof *sun;
        return 0;
    }

    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, remote->host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(remote->port);
        *lenp = sizeof *sin;
    } else if (inet_pton(AF_INET6, remote->host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(remote->port);
        *lenp = sizeof *sin6;
    } else {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-EINVAL, NULL, "%s: '%s' is not an IP address.",
                            remote->name, remote->host));
    }
    return 0;
}

int
ovsdb_stream_open(struct event_base *base, const struct ovsdb_remote *remote,
                  struct bufferevent **bevp, struct ovsdb_error **errorp)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int error = remote_sockaddr(remote, &ss, &len, errorp);
    if (error) {
        return error;
    }
    int fd =
        socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error = errno;
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-error, NULL, "%s: cannot create a socket: %s.",
                            remote->name, strerror(error)));
    }
    if (remote->kind != OVSDB_REMOTE_UNIX) {
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
        error = errno;
        close(fd);
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-error, NULL, "%s: cannot connect: %s.",
                                    remote->name, strerror(error)));
    }

    struct bufferevent *bev =
        bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        close(fd);
    } else if (bufferevent_socket_connect(bev, NULL, 0) < 0) {
        bufferevent_free(bev);
        bev = NULL;
    }
    if (!bev) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-ENOMEM, NULL, "%s: cannot set up the connection.",
                            remote->name));
    }
    *bevp = bev;
    return 0;
}

int
ovsdb_stream_start_tls(struct bufferevent **bevp,
                       const struct ovsdb_remote *remote, SSL_CTX *ssl_ctx,
                       struct ovsdb_error **errorp)
{
    struct bufferevent *plain = *bevp;
    struct event_base *base = bufferevent_get_base(plain);
    int fd = bufferevent_getfd(plain);

    ERR_clear_error();
    SSL *ssl = SSL_new(ssl_ctx);
    if (!ssl) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-ENOMEM, NULL, "%s: cannot create a TLS session.",
                            remote->name));
    }
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        base, fd, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        SSL_free(ssl);
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-ENOMEM, NULL, "%s: cannot set up TLS.",
                                    remote->name));
    }
    /* The socket now belongs to the TLS stream: detach it from the plain
     * one, so that freeing that one does not close it. */
    bufferevent_setfd(plain, -1);
    bufferevent_free(plain);
    /* A peer that closes without a TLS close_notify (ovsdb-server killed,
     * for one) is an end of stream, not a TLS error. */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    *bevp = bev;
    return 0;
}

/* Appends the OpenSSL errors that 'bev' recorded to 'buf' ('size' bytes,
 * already a string), separated by "; ".  Returns true if there were any. */
static bool
append_openssl_errors(struct bufferevent *bev, char *buf, size_t size)
{
    bool any = false;
    unsigned long code;

    while ((code = bufferevent_get_openssl_error(bev)) != 0) {
        /* libevent also records SSL_get_error() results, which are small
         * numbers and not library error codes: skip those. */
        if (!ERR_GET_LIB(code) && !ERR_SYSTEM_ERROR(code)) {
            continue;
        }
        char one[256];
        ERR_error_string_n(code, one, sizeof one);
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", any ? "; " : "", one);
        any = true;
    }
    return any;
}

struct ovsdb_error *
ovsdb_stream_error(struct bufferevent *bev, const struct ovsdb_remote *remote,
                   short events, int sys_errno, bool connected)
{
    bool tls = remote->kind == OVSDB_REMOTE_SSL;
    char reasons[1024] = "";

    if (tls && append_openssl_errors(bev, reasons, sizeof reasons)) {
        SSL *ssl = bufferevent_openssl_get_ssl(bev);
        long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
        char detail[300] = "";
        if (verify != X509_V_OK) {
            snprintf(detail, sizeof detail,
                     " (the server's certificate was refused: %s)",
                     X509_verify_cert_error_string(verify));
        }
        return ovsdb_error_new(
            -EPROTO, NULL, "%s: %s: %s%s.", remote->name,
            connected ? "TLS error" : "TLS handshake failed", reasons, detail);
    }
    if (events & BEV_EVENT_EOF) {
        return ovsdb_error_new(-ECONNRESET, NULL, "%s: %s.", remote->name,
                               connected ? "connection closed by the server"
                               : tls     ? "connection closed by the server "
                                           "during the TLS handshake"
                                         : "connection closed by the server "
                                           "while connecting");
    }
    if (sys_errno) {
        return ovsdb_error_new(-sys_errno, NULL, "%s: %s: %s.", remote->name,
                               connected ? "connection error"
                                         : "cannot connect",
                               strerror(sys_errno));
    }
    return ovsdb_error_new(-EIO, NULL, "%s: %s.", remote->name,
                           connected ? "connection error"
                                     : "connection failed");
}
