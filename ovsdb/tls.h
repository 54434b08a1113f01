/* tls: TLS configuration for ssl: remotes, as OVS's --private-key,
 * --certificate and --ca-cert.
 *
 * Rules of this module: the peer's certificate must be signed by the CA
 * certificate ('ca_cert'); a peer that presents no certificate or one the
 * CA did not sign is refused.  Like OVS, the peer's name is not checked
 * against the certificate: trust is the CA's.
 */
#ifndef OVSDB_TLS_H
#define OVSDB_TLS_H 1

typedef struct ssl_ctx_st SSL_CTX;
struct ovsdb_error;

struct ovsdb_tls_config {
    const char *private_key; /* PEM file. */
    const char *certificate; /* PEM file. */
    const char *ca_cert;     /* PEM file. */
};

/* Returns true if all three files are named in 'config'. */
int ovsdb_tls_config_is_complete(const struct ovsdb_tls_config *config);

/* Builds a client SSL_CTX from 'config'.  Returns 0 and stores it in
 * '*ctxp' (the caller frees it with SSL_CTX_free()), or a negative errno
 * with '*errorp' naming the file that could not be used. */
int ovsdb_tls_ctx_create(const struct ovsdb_tls_config *config,
                         SSL_CTX **ctxp, struct ovsdb_error **errorp);

#endif /* tls.h */
