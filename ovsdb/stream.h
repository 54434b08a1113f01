/* stream: the byte stream under one OVSDB connection, as a libevent
 * bufferevent.
 *
 * ovsdb_stream_open() starts a non-blocking connection to one remote (see
 * remote.h) over a Unix socket or TCP.  The bufferevent it returns later
 * reports BEV_EVENT_CONNECTED, or BEV_EVENT_ERROR / BEV_EVENT_EOF.  For an
 * ssl: remote, the caller then calls ovsdb_stream_start_tls(), which puts
 * a TLS stream (a fresh SSL object from the caller's SSL_CTX, see tls.h)
 * in its place on the same socket; that one reports BEV_EVENT_CONNECTED
 * once the handshake is done.  ovsdb_stream_error() turns an error or end
 * of stream into an error that names the remote and the system's or
 * OpenSSL's reason.
 *
 * Rules of this module:
 * - No callback runs from inside ovsdb_stream_open(): a connection that
 *   fails at once is an error return instead.
 * - The bufferevent owns the socket (and the SSL object); freeing it with
 *   bufferevent_free() closes everything.
 */
#ifndef OVSDB_STREAM_H
#define OVSDB_STREAM_H 1

#include <stdbool.h>

typedef struct ssl_ctx_st SSL_CTX;
struct bufferevent;
struct event_base;
struct ovsdb_error;
struct ovsdb_remote;

/* Starts connecting to 'remote' on 'base'.  Returns 0 and stores a new
 * bufferevent in '*bevp' (no callbacks set, not yet enabled for reading),
 * or a negative errno with '*errorp' set when the connection failed at
 * once. */
int ovsdb_stream_open(struct event_base *base,
                      const struct ovsdb_remote *remote,
                      struct bufferevent **bevp, struct ovsdb_error **errorp);

/* Replaces '*bevp', a connected stream to ssl: remote 'remote', by a TLS
 * stream on the same socket, in the handshake, with a new SSL object from
 * 'ssl_ctx'.  Frees the old bufferevent.  Returns 0, or a negative errno
 * with '*errorp' set (then '*bevp' is left as it was). */
int ovsdb_stream_start_tls(struct bufferevent **bevp,
                           const struct ovsdb_remote *remote, SSL_CTX *ssl_ctx,
                           struct ovsdb_error **errorp);

/* Returns a new error that explains why 'bev', a stream to 'remote', just
 * reported 'events' (BEV_EVENT_ERROR or BEV_EVENT_EOF).  'sys_errno' is
 * errno as the event callback found it on entry; 'connected' tells whether
 * the stream had come up before. */
struct ovsdb_error *ovsdb_stream_error(struct bufferevent *bev,
                                       const struct ovsdb_remote *remote,
                                       short events, int sys_errno,
                                       bool connected);

#endif /* stream.h */
