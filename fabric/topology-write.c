/* topology-write: a model -> a YAML topology (see topology.h).
 *
 * Every field is written, defaults included, in the order docs/topology.md
 * documents them, so the output is a complete record of the model and
 * loads back to an identical one.  Strings are written plain when no YAML
 * reader could take them for anything but a string, as a literal block
 * ("|") when they span several lines that a block can hold exactly, and
 * double-quoted otherwise. */
#include "topology.h"

#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

struct writer {
    FILE *out;
    regex_t special; /* Plain scalars that are not strings. */
    bool dash;       /* The next key starts a list item. */
};

/* Plain scalars that YAML 1.1 or 1.2 readers resolve to something other
 * than a string: booleans, nulls, integers, floats, and the merge and
 * value keys.  Strings that can start with '+', '-', '.' or '~' are always
 * quoted, so these patterns need not cover them. */
static const char special_re[] =
    "^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE"
    "|on|On|ON|off|Off|OFF|null|Null|NULL"
    "|0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*"
    "|[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?"
    "|[0-9][0-9_]*(\\.[0-9_]*)?([eE][-+]?[0-9]+)?)$";

static bool
plain_char(unsigned char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '_' || c == '/') {
        return true;
    }
    return !first && (c == '.' || c == '-' || c == ':' || c == '@' ||
                      c == '+' || c == '=');
}

/* True if 's' can be written as a plain scalar and read back as the same
 * string by any YAML reader. */
static bool
can_be_plain(const struct writer *w, const char *s)
{
    size_t len = strlen(s);

    if (!len || s[len - 1] == ':') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!plain_char(s[i], i == 0)) {
            return false;
        }
    }
    return regexec(&w->special, s, 0, NULL, 0) != 0;
}

/* Decodes the UTF-8 character at 's' into '*cp'.  Returns its length, or 0
 * if the byte at 's' does not start a valid character. */
static size_t
utf8_decode(const unsigned char *s, uint32_t *cp)
{
    size_t len;
    uint32_t c;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if ((s[0] & 0xe0) == 0xc0) {
        len = 2;
        c = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3;
        c = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3f);
    }
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
        (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }
    *cp = c;
    return len;
}

/* True if YAML lets the character 'c' appear as is in a scalar, and it is
 * not a line break. */
static bool
printable(uint32_t c)
{
    return ((c >= 0x20 && c <= 0x7e) ||
            (c >= 0xa0 && c <= 0xd7ff && c != 0x2028 && c != 0x2029) ||
            (c >= 0xe000 && c <= 0xfffd && c != 0xfeff) ||
            (c >= 0x10000 && c <= 0x10ffff));
}

/* True if 's' spans lines that a literal block scalar holds exactly:
 * only printable characters and new-lines, no tab or carriage return, a
 * first line that does not start with a space, and no line of spaces
 * only. */
static bool
can_be_literal(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    bool line_start = true, only_spaces = false, any_text = false;

    if (!strchr(s, '\n') || s[0] == ' ' || s[0] == '\n') {
        return false;
    }
    while (*p) {
        uint32_t c;
        size_t len = utf8_decode(p, &c);
        if (!len || (c != '\n' && !printable(c))) {
            return false;
        }
        if (c == '\n') {
            if (only_spaces) {
                return false;
            }
            line_start = true;
        } else {
            if (line_start) {
                only_spaces = true;
                line_start = false;
            }
            if (c != ' ') {
                only_spaces = false;
                any_text = true;
            }
        }
        p += len;
    }
    return any_text && !only_spaces;
}

static void
write_quoted(struct writer *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    fputc('"', w->out);
    while (*p) {
        uint32_t c;
        size_t len = utf8_decode(p, &c);
        if (!len) {
            fprintf(w->out, "\\x%02x", *p++);
            continue;
        }
        if (c == '"' || c == '\\') {
            fprintf(w->out, "\\%c", (char)c);
        } else if (c == '\n') {
            fputs("\\n", w->out);
        } else if (c == '\t') {
            fputs("\\t", w->out);
        } else if (c < 0x80 && !printable(c)) {
            fprintf(w->out, "\\x%02x", (unsigned)c);
        } else if (!printable(c)) {
            fprintf(w->out, c > 0xffff ? "\\U%08x" : "\\u%04x", (unsigned)c);
        } else {
            fwrite(p, 1, len, w->out);
        }
        p += len;
    }
    fputc('"', w->out);
}

/* Writes 's' as a scalar on the current line. */
static void
write_scalar(struct writer *w, const char *s)
{
    if (can_be_plain(w, s)) {
        fputs(s, w->out);
    } else {
        write_quoted(w, s);
    }
}

/* Writes the indentation and the key 'key' of a line at 'indent', up to
 * and including its ':', starting a list item if one is pending.  YAML
 * limits implicit keys to 1024 characters; longer keys (counting the up to
 * 4 characters that quoting may write per byte) are written as explicit
 * keys, "? KEY" on a line of their own. */
static void
write_key(struct writer *w, int indent, const char *key)
{
    if (w->dash) {
        fprintf(w->out, "%*s- ", indent - 2, "");
        w->dash = false;
    } else {
        fprintf(w->out, "%*s", indent, "");
    }
    if (strlen(key) > 200) {
        fputs("? ", w->out);
        write_scalar(w, key);
        fprintf(w->out, "\n%*s:", indent, "");
    } else {
        write_scalar(w, key);
        fputc(':', w->out);
    }
}

static void
write_string(struct writer *w, int indent, const char *key, const char *s)
{
    write_key(w, indent, key);
    if (!can_be_literal(s)) {
        fputc(' ', w->out);
        write_scalar(w, s);
        fputc('\n', w->out);
        return;
    }

    /* A literal block, with the chomping that keeps the final new-lines:
     * "|-" for none, "|" for one, "|+" for more. */
    size_t len = strlen(s), trailing = 0;
    while (trailing < len && s[len - 1 - trailing] == '\n') {
        trailing++;
    }
    fputs(trailing == 0 ? " |-\n" : trailing == 1 ? " |\n" : " |+\n", w->out);
    /* The lines of 's' without its final new-line, if it has one. */
    const char *p = s, *end = s + len - (trailing ? 1 : 0);
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        int n = (int)((nl ? nl : end) - p);
        if (n) {
            fprintf(w->out, "%*s%.*s\n", indent + 2, "", n, p);
        } else {
            fputc('\n', w->out);
        }
        if (!nl) {
            break;
        }
        p = nl + 1;
    }
}

static void
write_opt_string(struct writer *w, int indent, const char *key, const char *s)
{
    if (s) {
        write_string(w, indent, key, s);
    }
}

static void
write_int(struct writer *w, int indent, const char *key, long long n)
{
    write_key(w, indent, key);
    fprintf(w->out, " %lld\n", n);
}

static void
write_bool(struct writer *w, int indent, const char *key, bool b)
{
    write_key(w, indent, key);
    fputs(b ? " true\n" : " false\n", w->out);
}

/* Writes "KEY:" alone on its line, to open a list or mapping. */
static void
write_open(struct writer *w, int indent, const char *key)
{
    write_key(w, indent, key);
    fputc('\n', w->out);
}

static void
write_list_item(struct writer *w, int indent, const char *s)
{
    fprintf(w->out, "%*s- ", indent, "");
    write_scalar(w, s);
    fputc('\n', w->out);
}

static int
compare_smap_keys(const void *a, const void *b, void *smap_)
{
    const struct fabric_smap *smap = smap_;
    return strcmp(smap->keys[*(const size_t *)a],
                  smap->keys[*(const size_t *)b]);
}

/* Writes 'smap' in order of keys, as the loader sorts them. */
static void
write_smap(struct writer *w, int indent, const char *key,
           const struct fabric_smap *smap)
{
    if (!smap->n) {
        return;
    }
    size_t *order = malloc(smap->n * sizeof *order);
    if (!order) {
        abort();
    }
    for (size_t i = 0; i < smap->n; i++) {
        order[i] = i;
    }
    qsort_r(order, smap->n, sizeof *order, compare_smap_keys, (void *)smap);
    write_open(w, indent, key);
    for (size_t i = 0; i < smap->n; i++) {
        write_string(w, indent + 2, smap->keys[order[i]],
                     smap->values[order[i]]);
    }
    free(order);
}

static void
write_hosts(struct writer *w, const struct fabric_model *m)
{
    write_open(w, 0, "hosts");
    for (size_t i = 0; i < m->n_hosts; i++) {
        const struct fabric_host *h = &m->hosts[i];
        w->dash = true;
        write_string(w, 4, "name", h->name);
        write_opt_string(w, 4, "underlay", h->underlay_ip);
        write_string(w, 4, "encap", h->encap ? h->encap : "geneve");
        write_int(w, 4, "underlay_mtu", h->underlay_mtu);
        write_smap(w, 4, "external_ids", &h->external_ids);
    }
}

static void
write_networks(struct writer *w, const struct fabric_model *m)
{
    if (!m->n_networks) {
        fputs("networks: []\n", w->out);
        return;
    }
    write_open(w, 0, "networks");
    for (size_t i = 0; i < m->n_networks; i++) {
        const struct fabric_network *n = &m->networks[i];
        w->dash = true;
        write_string(w, 4, "name", n->name);
        write_string(w, 4, "subnet", n->subnet);
        write_string(w, 4, "mode", fabric_net_mode_name(n->mode));
        write_int(w, 4, "vlan", n->vlan);
        write_int(w, 4, "vni", n->vni);
        write_int(w, 4, "mtu", n->mtu);
        write_bool(w, 4, "dhcp", n->dhcp);
        if (n->host_ip) {
            write_string(w, 4, "host_ip", n->host_ip);
        }
        if (n->n_forwards) {
            write_open(w, 4, "forwards");
        }
        for (size_t j = 0; j < n->n_forwards; j++) {
            const struct fabric_forward *f = &n->forwards[j];
            w->dash = true;
            write_int(w, 8, "host_port", f->host_port);
            write_string(w, 8, "guest",
                         f->guest < m->n_guests ? m->guests[f->guest].name
                                                : "");
            write_int(w, 8, "port", f->port);
            write_string(w, 8, "proto", fabric_proto_name(f->proto));
        }
        if (n->n_uplinks) {
            write_open(w, 4, "uplinks");
        }
        for (size_t j = 0; j < n->n_uplinks; j++) {
            const struct fabric_uplink *u = &n->uplinks[j];
            w->dash = true;
            write_string(w, 8, "host",
                         u->host < m->n_hosts ? m->hosts[u->host].name : "");
            write_string(w, 8, "interface", u->interface);
            if (u->vlan) {
                write_int(w, 8, "vlan", u->vlan);
            }
        }
        write_smap(w, 4, "external_ids", &n->external_ids);
    }
}

static const char *
network_name(const struct fabric_model *m, size_t index)
{
    return index < m->n_networks ? m->networks[index].name : "";
}

/* A VM's settings (guests and routers of kind vm). */
static void
write_vm(struct writer *w, const struct fabric_vm *vm)
{
    write_int(w, 4, "vcpus", vm->vcpus);
    write_int(w, 4, "memory", vm->memory_mb);
    write_opt_string(w, 4, "image", vm->image);
    write_opt_string(w, 4, "kernel", vm->kernel);
    write_opt_string(w, 4, "initrd", vm->initrd);
    write_opt_string(w, 4, "cmdline", vm->cmdline);
    write_opt_string(w, 4, "user_data", vm->user_data);
    if (vm->restart != FABRIC_RESTART_ON_FAILURE) {
        write_string(w, 4, "restart", fabric_restart_name(vm->restart));
    }
}

static void
write_routers(struct writer *w, const struct fabric_model *m)
{
    if (!m->n_routers) {
        return;
    }
    write_open(w, 0, "routers");
    for (size_t i = 0; i < m->n_routers; i++) {
        const struct fabric_router *r = &m->routers[i];
        w->dash = true;
        write_string(w, 4, "name", r->name);
        write_string(w, 4, "kind", fabric_router_kind_name(r->kind));
        if (r->has_host && r->host < m->n_hosts) {
            write_string(w, 4, "host", m->hosts[r->host].name);
        }
        if (r->kind == FABRIC_ROUTER_VM) {
            write_vm(w, &r->vm);
        }
        if (r->n_ports) {
            write_open(w, 4, "interfaces");
        }
        for (size_t j = 0; j < r->n_ports; j++) {
            const struct fabric_router_port *p = &r->ports[j];
            w->dash = true;
            write_string(w, 8, "network", network_name(m, p->network));
            write_string(w, 8, "ip", p->ip);
            write_string(w, 8, "mac", p->mac);
        }
        write_smap(w, 4, "external_ids", &r->external_ids);
    }
}

static void
write_iface(struct writer *w, const struct fabric_model *m,
            const struct fabric_interface *iface, bool gateway_none)
{
    w->dash = true;
    write_string(w, 8, "name", iface->name);
    write_string(w, 8, "network", network_name(m, iface->network));
    if (iface->n_addresses == 1) {
        write_string(w, 8, "ip", iface->addresses[0]);
    } else if (iface->n_addresses > 1) {
        write_open(w, 8, "ips");
        for (size_t i = 0; i < iface->n_addresses; i++) {
            write_list_item(w, 10, iface->addresses[i]);
        }
    }
    write_string(w, 8, "mac", iface->mac);
    if (iface->gateway) {
        write_string(w, 8, "gateway", iface->gateway);
    } else if (gateway_none) {
        write_string(w, 8, "gateway", "none");
    }
    if (iface->n_routes) {
        write_open(w, 8, "routes");
    }
    for (size_t i = 0; i < iface->n_routes; i++) {
        w->dash = true;
        write_string(w, 12, "to", iface->routes[i].prefix);
        write_string(w, 12, "via", iface->routes[i].via);
    }
    write_string(w, 8, "vlan_mode", fabric_vlan_mode_name(iface->vlan_mode));
    if (iface->n_trunks) {
        write_open(w, 8, "trunks");
    }
    for (size_t i = 0; i < iface->n_trunks; i++) {
        write_list_item(w, 10, network_name(m, iface->trunks[i]));
    }
    write_bool(w, 8, "port_security", iface->port_security);
    write_int(w, 8, "mtu", iface->mtu);
    if (iface->iface_id) {
        write_string(w, 8, "iface_id", iface->iface_id);
    }
}

static void
write_guest(struct writer *w, const struct fabric_model *m,
            const struct fabric_guest *g)
{
    w->dash = true;
    write_string(w, 4, "name", g->name);
    if (g->host < m->n_hosts) {
        write_string(w, 4, "host", m->hosts[g->host].name);
    }
    write_string(w, 4, "kind", fabric_guest_kind_name(g->kind));
    if (g->kind == FABRIC_GUEST_VM) {
        write_vm(w, &g->vm);
    }

    /* Without any gateway, the loader would give the first interface
     * with a router or the hosts' address in its network one: "none"
     * keeps it without. */
    bool any_gateway = false;
    for (size_t j = 0; j < g->n_interfaces; j++) {
        any_gateway |= g->interfaces[j].gateway != NULL;
    }
    if (g->n_interfaces) {
        write_open(w, 4, "interfaces");
    }
    for (size_t j = 0; j < g->n_interfaces; j++) {
        const struct fabric_interface *iface = &g->interfaces[j];
        bool routed = (iface->network < m->n_networks &&
                       (m->networks[iface->network].gateway ||
                        m->networks[iface->network].host_ip));
        write_iface(w, m, iface, !any_gateway && routed);
    }
    write_smap(w, 4, "external_ids", &g->external_ids);
}

int
topology_write_yaml(const struct fabric_model *m, FILE *out)
{
    struct writer w = {.out = out};

    if (regcomp(&w.special, special_re, REG_EXTENDED | REG_NOSUB)) {
        return -ENOMEM;
    }
    write_string(&w, 0, "name", m->name);
    write_hosts(&w, m);
    write_networks(&w, m);
    write_routers(&w, m);
    if (m->n_guests) {
        write_open(&w, 0, "guests");
    }
    for (size_t i = 0; i < m->n_guests; i++) {
        write_guest(&w, m, &m->guests[i]);
    }
    regfree(&w.special);

    if (fflush(out) || ferror(out)) {
        return errno ? -errno : -EIO;
    }
    return 0;
}
