/* tls: client TLS contexts; see tls.h for the rules.
 *
 * Files are opened once with fopen() first, so that a missing or unreadable
 * file is reported with the system's reason, and only then handed to
 * OpenSSL, whose reason is reported when the contents are wrong.
 */
#include "tls.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ovsdb-error.h"

int
ovsdb_tls_config_is_complete(const struct ovsdb_tls_config *config)
{
    return config && config->private_key && config->certificate &&
           config->ca_cert;
}

/* Returns the reason of the oldest OpenSSL error queued in this thread, or
 * a generic text when there is none, and empties the queue.  The string
 * lives in 'buf'. */
static const char *
openssl_reason(char *buf, size_t size)
{
    unsigned long code = ERR_get_error();
    if (!code) {
        snprintf(buf, size, "unknown error");
    } else {
        ERR_error_string_n(code, buf, size);
    }
    ERR_clear_error();
    return buf;
}

/* Checks that 'file' (a 'what', e.g. "private key") can be opened. */
static int
check_readable(const char *what, const char *file, struct ovsdb_error **errorp)
{
    FILE *stream = fopen(file, "r");
    if (!stream) {
        int error = errno;
        return ovsdb_error_set(errorp,
                               ovsdb_error_new(-error, NULL,
                                               "Cannot open TLS %s '%s': %s.",
                                               what, file, strerror(error)));
    }
    fclose(stream);
    return 0;
}

int
ovsdb_tls_ctx_create(const struct ovsdb_tls_config *config, SSL_CTX **ctxp,
                     struct ovsdb_error **errorp)
{
    char reason[256];
    int error;

    if (!ovsdb_tls_config_is_complete(config)) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-EINVAL, NULL,
                            "TLS needs a private key, a certificate "
                            "and a CA certificate, but the %s is "
                            "missing.",
                            !config || !config->private_key ? "private key"
                            : !config->certificate          ? "certificate"
                                                   : "CA certificate"));
    }
    if ((error = check_readable("private key", config->private_key, errorp)) ||
        (error = check_readable("certificate", config->certificate, errorp)) ||
        (error = check_readable("CA certificate", config->ca_cert, errorp))) {
        return error;
    }

    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        return ovsdb_error_set(
            errorp,
            ovsdb_error_new(-ENOMEM, NULL, "Cannot create a TLS context: %s.",
                            openssl_reason(reason, sizeof reason)));
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);

    struct ovsdb_error *e = NULL;
    if (SSL_CTX_use_certificate_chain_file(ctx, config->certificate) != 1) {
        e = ovsdb_error_new(
            -EINVAL, NULL, "Cannot load TLS certificate '%s': %s.",
            config->certificate, openssl_reason(reason, sizeof reason));
    } else if (SSL_CTX_use_PrivateKey_file(ctx, config->private_key,
                                           SSL_FILETYPE_PEM) != 1) {
        bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) ==
                        X509_R_KEY_VALUES_MISMATCH;
        e = ovsdb_error_new(-EINVAL, NULL,
                            mismatch ? "TLS private key '%s' does not match "
                                       "the certificate: %s."
                                     : "Cannot load TLS private key '%s': "
                                       "%s.",
                            config->private_key,
                            openssl_reason(reason, sizeof reason));
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        e = ovsdb_error_new(-EINVAL, NULL,
                            "TLS private key '%s' does not match "
                            "certificate '%s': %s.",
                            config->private_key, config->certificate,
                            openssl_reason(reason, sizeof reason));
    } else if (SSL_CTX_load_verify_locations(ctx, config->ca_cert, NULL) !=
               1) {
        e = ovsdb_error_new(
            -EINVAL, NULL, "Cannot load TLS CA certificate '%s': %s.",
            config->ca_cert, openssl_reason(reason, sizeof reason));
    }
    if (e) {
        SSL_CTX_free(ctx);
        return ovsdb_error_set(errorp, e);
    }

    /* Trust is the CA's: verify the peer's chain, require a certificate,
     * and do not compare names. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);
    /* A peer that closes without a TLS close_notify (a server that was
     * killed, say) ends the stream like any closed socket. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    *ctxp = ctx;
    return 0;
}
