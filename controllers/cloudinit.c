/* cloudinit: see cloudinit.h for the rules of this module. */
#include "cloudinit.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "ovsdb-error.h"
#include "vm-files.h"
#include "vm-spec.h"

/* The three files of a seed, in the order the ISO lists them. */
enum { SEED_USER, SEED_META, SEED_NETWORK, N_SEED_FILES };
static const char *const seed_names[N_SEED_FILES] = {
    [SEED_USER] = "user-data",
    [SEED_META] = "meta-data",
    [SEED_NETWORK] = "network-config",
};

#define MIME_BOUNDARY "==fabric-cidata-boundary=="
#define MERGE_TYPE "list(append)+dict(recurse_array)+str()"

/* Growing text. */

struct text {
    char *buf;
    size_t len;
    FILE *f;
};

static void
text_init(struct text *t)
{
    t->buf = NULL;
    t->len = 0;
    t->f = open_memstream(&t->buf, &t->len);
    if (!t->f) {
        abort();
    }
}

/* Returns the text built in 't' (a new string). */
static char *
text_finish(struct text *t)
{
    fclose(t->f);
    return t->buf;
}

/* YAML scalars. */

static bool
is_yaml_word(const char *s)
{
    static const char *const words[] = {
        "y", "n", "yes", "no", "true", "false", "on", "off", "null",
    };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        if (!strcasecmp(s, words[i])) {
            return true;
        }
    }
    return false;
}

/* Returns true when 's' could be read as a number or a date by YAML 1.1
 * or 1.2 (ints, octal and hex, floats, sexagesimals, timestamps), which
 * all start with a digit and use few other characters; an IPv4 address,
 * with its three dots, is not such a number. */
static bool
looks_numeric(const char *s)
{
    if (!isdigit((unsigned char)s[0])) {
        return false;
    }
    if (s[0] == '0' && s[1] && strchr("xXoObB", s[1])) {
        return true;
    }
    int dots = 0;
    for (const char *p = s; *p; p++) {
        if (!strchr("0123456789_.:+-eEtTzZ", *p)) {
            return false;
        }
        dots += *p == '.';
    }
    return dots <= 1;
}

/* Returns true when 's' reads as the same string without quotes. */
static bool
yaml_plain_ok(const char *s)
{
    size_t len = strlen(s);
    if (!len || !isalnum((unsigned char)s[0]) || s[len - 1] == ':') {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr("._/:@+-", *p)) {
            return false;
        }
    }
    return !is_yaml_word(s) && !looks_numeric(s);
}

/* Writes 's' as a YAML scalar: plain when that is safe, otherwise in
 * double quotes with escapes; with 'force_quotes', always quoted. */
static void
put_scalar(FILE *f, const char *s, bool force_quotes)
{
    if (!force_quotes && yaml_plain_ok(s)) {
        fputs(s, f);
        return;
    }
    putc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fprintf(f, "\\%c", *p);
        } else if (*p == '\n') {
            fputs("\\n", f);
        } else if (*p == '\t') {
            fputs("\\t", f);
        } else if (*p < 0x20 || *p == 0x7f) {
            fprintf(f, "\\x%02x", *p);
        } else {
            putc(*p, f);
        }
    }
    putc('"', f);
}

/* Writes "KEY: VALUE\n" after 'indent' spaces. */
static void
put_key(FILE *f, int indent, const char *key, const char *value)
{
    fprintf(f, "%*s%s: ", indent, "", key);
    put_scalar(f, value, false);
    putc('\n', f);
}

static uint32_t
fnv1a32(uint32_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static const char *
hostname_of(const struct vm_spec *spec)
{
    return spec->hostname ? spec->hostname
           : spec->guest  ? spec->guest
                          : "localhost";
}

/* meta-data. */

char *
cloudinit_meta_data(const struct vm_spec *spec)
{
    char *network = cloudinit_network_config(spec);
    char *user = cloudinit_user_data(spec);
    uint32_t hash = fnv1a32(fnv1a32(2166136261u, network), user);
    free(network);
    free(user);

    char *id;
    if (asprintf(&id, "%s-%s-%08x", spec->lab ? spec->lab : "fabric",
                 spec->guest ? spec->guest : hostname_of(spec), hash) < 0) {
        abort();
    }
    struct text t;
    text_init(&t);
    put_key(t.f, 0, "instance-id", id);
    put_key(t.f, 0, "local-hostname", hostname_of(spec));
    free(id);
    return text_finish(&t);
}

/* network-config. */

static void
put_route(FILE *f, const char *to, const char *via)
{
    fputs("      - to: ", f);
    put_scalar(f, to, false);
    putc('\n', f);
    if (via) {
        put_key(f, 8, "via", via);
    } else {
        fputs("        scope: link\n", f);
    }
}

static void
put_nic(FILE *f, const struct vm_nic *nic, size_t index)
{
    char *fallback = NULL;
    const char *name = nic->name;
    if (!name) {
        if (asprintf(&fallback, "eth%zu", index) < 0) {
            abort();
        }
        name = fallback;
    }
    fputs("  ", f);
    put_scalar(f, name, false);
    fputs(":\n", f);
    if (nic->mac) {
        fputs("    match:\n      macaddress: ", f);
        put_scalar(f, nic->mac, true);
        putc('\n', f);
        put_key(f, 4, "set-name", name);
    }
    if (nic->dhcp) {
        /* Addresses, gateway, routes and MTU come from fabric's DHCP. */
        fputs("    dhcp4: true\n", f);
        free(fallback);
        return;
    }
    if (nic->mtu > 0) {
        fprintf(f, "    mtu: %d\n", nic->mtu);
    }
    if (nic->n_addresses) {
        fputs("    addresses:\n", f);
        for (size_t i = 0; i < nic->n_addresses; i++) {
            fputs("      - ", f);
            put_scalar(f, nic->addresses[i], false);
            putc('\n', f);
        }
    }
    if (nic->gateway || nic->n_routes) {
        fputs("    routes:\n", f);
        if (nic->gateway) {
            put_route(f, strchr(nic->gateway, ':') ? "::/0" : "0.0.0.0/0",
                      nic->gateway);
        }
        for (size_t i = 0; i < nic->n_routes; i++) {
            put_route(f, nic->routes[i].to, nic->routes[i].via);
        }
    }
    free(fallback);
}

char *
cloudinit_network_config(const struct vm_spec *spec)
{
    struct text t;
    text_init(&t);
    fputs("version: 2\n", t.f);
    if (!spec->n_nics) {
        fputs("ethernets: {}\n", t.f);
    } else {
        fputs("ethernets:\n", t.f);
        for (size_t i = 0; i < spec->n_nics; i++) {
            put_nic(t.f, &spec->nics[i], i);
        }
    }
    return text_finish(&t);
}

/* user-data. */

static void
put_router_config(FILE *f)
{
    fputs("write_files:\n"
          "  - path: /etc/sysctl.d/90-fabric-router.conf\n"
          "    content: |\n"
          "      net.ipv4.ip_forward=1\n"
          "runcmd:\n"
          "  - [sysctl, -w, net.ipv4.ip_forward=1]\n",
          f);
}

static char *
generated_config(const struct vm_spec *spec)
{
    struct text t;
    text_init(&t);
    fputs("#cloud-config\n", t.f);
    put_key(t.f, 0, "hostname", hostname_of(spec));
    fputs("manage_etc_hosts: true\n"
          "preserve_hostname: false\n",
          t.f);
    if (spec->n_ssh_keys) {
        fputs("ssh_authorized_keys:\n", t.f);
        for (size_t i = 0; i < spec->n_ssh_keys; i++) {
            fputs("  - ", t.f);
            put_scalar(t.f, spec->ssh_keys[i], false);
            putc('\n', t.f);
        }
    }
    if (spec->router) {
        put_router_config(t.f);
    }
    return text_finish(&t);
}

static bool
is_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80) {
            return false;
        }
    }
    return true;
}

/* Returns true when cloud-init takes 'data' for a MIME message: it looks
 * for "mime-version:" in the first 4096 bytes. */
static bool
is_mime(const char *data)
{
    size_t len = strnlen(data, 4096);
    static const char needle[] = "mime-version:";
    for (size_t i = 0; i + sizeof needle - 1 <= len; i++) {
        if (!strncasecmp(data + i, needle, sizeof needle - 1)) {
            return true;
        }
    }
    return false;
}

/* Writes 'data' in base64, 76 characters a line. */
static void
put_base64(FILE *f, const char *data)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = (const unsigned char *)data;
    size_t len = strlen(data), column = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = p[i] << 16;
        v |= i + 1 < len ? p[i + 1] << 8 : 0;
        v |= i + 2 < len ? p[i + 2] : 0;
        char out[4] = {
            digits[v >> 18],
            digits[(v >> 12) & 63],
            i + 1 < len ? digits[(v >> 6) & 63] : '=',
            i + 2 < len ? digits[v & 63] : '=',
        };
        fwrite(out, 1, 4, f);
        column += 4;
        if (column == 76 && i + 3 < len) {
            putc('\n', f);
            column = 0;
        }
    }
}

/* Returns a boundary that no line of 'data' can contain (a new string). */
static char *
mime_boundary(const char *data)
{
    char *boundary = strdup(MIME_BOUNDARY);
    for (int i = 1; strstr(data, boundary); i++) {
        free(boundary);
        if (asprintf(&boundary, "%s%d", MIME_BOUNDARY, i) < 0) {
            abort();
        }
    }
    return boundary;
}

/* A router with topology user_data: fabric's forwarding part, then the
 * topology's part. */
static char *
multipart(const char *user_data)
{
    char *boundary = mime_boundary(user_data);
    struct text t;
    text_init(&t);
    fprintf(t.f,
            "Content-Type: multipart/mixed; boundary=\"%s\"\n"
            "MIME-Version: 1.0\n"
            "\n"
            "--%s\n"
            "Content-Type: text/cloud-config; charset=\"us-ascii\"\n"
            "MIME-Version: 1.0\n"
            "Content-Transfer-Encoding: 7bit\n"
            "Content-Disposition: attachment; "
            "filename=\"fabric-router.cfg\"\n"
            "\n"
            "#cloud-config\n",
            boundary, boundary);
    put_router_config(t.f);
    fprintf(t.f, "\n--%s\n", boundary);
    if (is_mime(user_data)) {
        /* A MIME message of its own: its headers head the part. */
        fputs(user_data, t.f);
    } else {
        bool config = !strncmp(user_data, "#cloud-config", 13);
        bool ascii = is_ascii(user_data);
        fprintf(t.f,
                "Content-Type: %s; charset=\"%s\"\n"
                "MIME-Version: 1.0\n"
                "Content-Transfer-Encoding: %s\n",
                config ? "text/cloud-config" : "text/plain",
                ascii ? "us-ascii" : "utf-8", ascii ? "7bit" : "base64");
        if (config) {
            fputs("Merge-Type: " MERGE_TYPE "\n", t.f);
        }
        fputs("Content-Disposition: attachment; filename=\"user-data\"\n"
              "\n",
              t.f);
        if (ascii) {
            fputs(user_data, t.f);
        } else {
            put_base64(t.f, user_data);
        }
    }
    /* The line end before a boundary belongs to the boundary. */
    fprintf(t.f, "\n--%s--\n", boundary);
    free(boundary);
    return text_finish(&t);
}

char *
cloudinit_user_data(const struct vm_spec *spec)
{
    if (!spec->user_data) {
        return generated_config(spec);
    } else if (spec->router) {
        return multipart(spec->user_data);
    } else {
        return strdup(spec->user_data);
    }
}

/* The seed ISO. */

/* Stores an error "Cannot VERB the cloud-init seed of VM ..." around
 * 'inner' (freed). */
static int
fail(const struct vm_spec *spec, const char *verb, struct ovsdb_error **errorp,
     struct ovsdb_error *inner)
{
    struct ovsdb_error *error = ovsdb_error_new(
        inner->code, NULL, "Cannot %s the cloud-init seed of VM %s: %s", verb,
        spec->domain ? spec->domain : hostname_of(spec), inner->msg);
    ovsdb_error_free(inner);
    return ovsdb_error_set(errorp, error);
}

static char *
seed_path(const char *dir, int which)
{
    char *path;
    if (asprintf(&path, "%s/%s", dir, seed_names[which]) < 0) {
        abort();
    }
    return path;
}

/* Builds the ISO 'seed' from 'paths'. */
static int
build_iso(const char *seed, char *paths[N_SEED_FILES],
          struct ovsdb_error **errorp)
{
    char *tmp = vm_files_tmp_name(seed);
    struct cmd *cmd = cmd_new("xorriso");
    cmd_addl(cmd, "-as", "genisoimage", "-quiet", "-output", tmp, "-volid",
             "cidata", "-joliet", "-rock", NULL);
    for (int i = 0; i < N_SEED_FILES; i++) {
        cmd_add(cmd, paths[i]);
    }
    int rc = vm_files_run_to(cmd, tmp, seed, errorp);
    cmd_free(cmd);
    free(tmp);
    return rc;
}

int
cloudinit_write_seed(const struct vm_spec *spec, const char *dir,
                     struct ovsdb_error **errorp)
{
    if (!spec->seed) {
        return fail(spec, "write", errorp,
                    ovsdb_error_new(-EINVAL, NULL, "It has no seed path."));
    }
    char *texts[N_SEED_FILES] = {
        [SEED_USER] = cloudinit_user_data(spec),
        [SEED_META] = cloudinit_meta_data(spec),
        [SEED_NETWORK] = cloudinit_network_config(spec),
    };
    char *paths[N_SEED_FILES];
    bool same = vm_files_exists(spec->seed);
    for (int i = 0; i < N_SEED_FILES; i++) {
        paths[i] = seed_path(dir, i);
        same = same && vm_files_same(paths[i], texts[i]);
    }

    struct ovsdb_error *error = NULL;
    int rc = 0;
    if (!same) {
        /* No ISO while the files change: a crash cannot leave an old ISO
         * next to new files. */
        rc = vm_files_remove(spec->seed, &error);
        rc = rc ? rc : vm_files_mkdirs(dir, &error);
        rc = rc ? rc : vm_files_mkparent(spec->seed, &error);
        for (int i = 0; !rc && i < N_SEED_FILES; i++) {
            rc = vm_files_write(paths[i], texts[i], &error);
        }
        rc = rc ? rc : build_iso(spec->seed, paths, &error);
        rc = rc ? fail(spec, "write", errorp, error) : 1;
    }
    for (int i = 0; i < N_SEED_FILES; i++) {
        free(texts[i]);
        free(paths[i]);
    }
    return rc;
}

int
cloudinit_remove_seed(const struct vm_spec *spec, const char *dir,
                      struct ovsdb_error **errorp)
{
    struct ovsdb_error *error = NULL;
    int rc = 0;
    for (int i = 0; !rc && i < N_SEED_FILES; i++) {
        char *path = seed_path(dir, i);
        rc = vm_files_remove(path, &error);
        free(path);
    }
    if (!rc && spec->seed) {
        char *tmp = vm_files_tmp_name(spec->seed);
        rc = vm_files_remove(spec->seed, &error);
        rc = rc ? rc : vm_files_remove(tmp, &error);
        free(tmp);
    }
    return rc ? fail(spec, "remove", errorp, error) : 0;
}
