/* domain-xml: see domain-xml.h for the rules.
 *
 * The XML is written to a memory stream, two spaces of indentation per
 * level, attributes in single quotes, in libvirt's own order of elements
 * so that `virsh dumpxml` reads much like what was defined. */
#include "domain-xml.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm-spec.h"

#define FNV_OFFSET UINT64_C(14695981039346656037)
#define FNV_PRIME UINT64_C(1099511628211)

/* Writes 's' to 'f' with the five XML special characters escaped, and
 * tabs and line ends as character references. */
static void
put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\t':
        case '\n':
        case '\r':
            /* Kept as references: a parser turns them into spaces in an
             * attribute value. */
            fprintf(f, "&#%d;", *s);
            break;
        default:
            fputc(*s, f);
            break;
        }
    }
}

char *
domain_xml_escape(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        abort();
    }
    put_escaped(f, s);
    if (fclose(f)) {
        abort();
    }
    return buf;
}

/* Writes " name='value'" with 'value' escaped. */
static void
put_attr(FILE *f, const char *name, const char *value)
{
    fprintf(f, " %s='", name);
    put_escaped(f, value);
    fputc('\'', f);
}

/* Writes "<tag>text</tag>" and a new line after 'indent' spaces, when
 * 'text' is not NULL. */
static void
put_text_element(FILE *f, int indent, const char *tag, const char *text)
{
    if (text) {
        fprintf(f, "%*s<%s>", indent, "", tag);
        put_escaped(f, text);
        fprintf(f, "</%s>\n", tag);
    }
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static void
put_disk(FILE *f, const char *path, const char *format, const char *dev,
         bool readonly)
{
    fputs("    <disk type='file' device='disk'>\n", f);
    fprintf(f, "      <driver name='qemu' type='%s'/>\n", format);
    fputs("      <source", f);
    put_attr(f, "file", path);
    fputs("/>\n", f);
    fprintf(f, "      <target dev='%s' bus='virtio'/>\n", dev);
    if (readonly) {
        fputs("      <readonly/>\n", f);
    }
    fputs("    </disk>\n", f);
}

static void
put_nic(FILE *f, const struct vm_nic *nic, const char *bridge)
{
    fputs("    <interface type='bridge'>\n", f);
    if (nic->mac) {
        fputs("      <mac", f);
        put_attr(f, "address", nic->mac);
        fputs("/>\n", f);
    }
    if (bridge) {
        fputs("      <source", f);
        put_attr(f, "bridge", bridge);
        fputs("/>\n", f);
    }
    if (nic->vlan > 0) {
        fputs("      <vlan>\n", f);
        fprintf(f, "        <tag id='%d'/>\n", nic->vlan);
        fputs("      </vlan>\n", f);
    }
    fputs("      <virtualport type='openvswitch'>\n", f);
    if (nic->iface_id) {
        fputs("        <parameters", f);
        put_attr(f, "interfaceid", nic->iface_id);
        fputs("/>\n", f);
    }
    fputs("      </virtualport>\n", f);
    if (nic->port) {
        fputs("      <target", f);
        put_attr(f, "dev", nic->port);
        fputs("/>\n", f);
    }
    fputs("      <model type='virtio'/>\n", f);
    /* No checksum or segmentation offload between the guest and the
     * host: the tap feeds OVS's userspace datapath, which forwards a
     * frame with a partial checksum as it is, so a router guest would
     * pass it on and its receiver drop it (TCP and UDP stall, ping
     * works). */
    fputs("      <driver name='qemu'>\n"
          "        <host csum='off' gso='off' tso4='off' tso6='off' "
          "ecn='off' ufo='off' mrg_rxbuf='off'/>\n"
          "        <guest csum='off' tso4='off' tso6='off' ecn='off' "
          "ufo='off'/>\n"
          "      </driver>\n",
          f);
    if (nic->mtu > 0) {
        fprintf(f, "      <mtu size='%d'/>\n", nic->mtu);
    }
    fputs("    </interface>\n", f);
}

/* Writes the whole domain XML of 'spec' with 'spec_hash' as the owner's
 * spec attribute. */
static char *
format_xml(const struct vm_spec *spec, const char *spec_hash)
{
    const char *type = spec->domain_type ? spec->domain_type : "qemu";
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        abort();
    }

    fputs("<domain", f);
    put_attr(f, "type", type);
    fputs(">\n", f);
    put_text_element(f, 2, "name", spec->domain);
    put_text_element(f, 2, "uuid", spec->uuid);

    fputs("  <metadata>\n", f);
    fputs("    <fabric:owner", f);
    put_attr(f, "xmlns:fabric", DOMAIN_XML_NS);
    put_attr(f, "lab", spec->lab ? spec->lab : "");
    put_attr(f, "guest", spec->guest ? spec->guest : "");
    put_attr(f, "host", spec->host ? spec->host : "");
    put_attr(f, "spec", spec_hash);
    fputs("/>\n", f);
    fputs("  </metadata>\n", f);

    fprintf(f, "  <memory unit='MiB'>%d</memory>\n", spec->memory_mb);
    fprintf(f, "  <vcpu>%d</vcpu>\n", spec->vcpus);

    fputs("  <os>\n", f);
    fputs("    <type>hvm</type>\n", f);
    if (spec->kernel) {
        put_text_element(f, 4, "kernel", spec->kernel);
        put_text_element(f, 4, "initrd", spec->initrd);
        put_text_element(f, 4, "cmdline", spec->cmdline);
    } else {
        fputs("    <boot dev='hd'/>\n", f);
    }
    fputs("  </os>\n", f);
    fputs("  <features>\n", f);
    fputs("    <acpi/>\n", f);
    fputs("  </features>\n", f);
    if (!strcmp(type, "kvm")) {
        fputs("  <cpu mode='host-passthrough'/>\n", f);
    }
    fputs("  <clock offset='utc'/>\n", f);
    fputs("  <on_poweroff>destroy</on_poweroff>\n", f);
    fputs("  <on_reboot>restart</on_reboot>\n", f);
    fputs("  <on_crash>destroy</on_crash>\n", f);

    fputs("  <devices>\n", f);
    bool has_disk = spec->image != NULL;
    if (has_disk) {
        if (spec->overlay) {
            put_disk(f, spec->overlay, "qcow2", "vda", false);
        } else {
            put_disk(f, spec->image,
                     ends_with(spec->image, ".qcow2") ? "qcow2" : "raw", "vda",
                     false);
        }
    }
    if (spec->seed) {
        put_disk(f, spec->seed, "raw", has_disk ? "vdb" : "vda", true);
    }
    for (size_t i = 0; i < spec->n_nics; i++) {
        put_nic(f, &spec->nics[i], spec->bridge);
    }
    if (spec->console) {
        fputs("    <serial type='unix'>\n", f);
        fputs("      <source mode='bind'", f);
        put_attr(f, "path", spec->console);
        fputs("/>\n", f);
        if (spec->console_log) {
            fputs("      <log", f);
            put_attr(f, "file", spec->console_log);
            fputs(" append='on'/>\n", f);
        }
        fputs("      <target port='0'/>\n", f);
        fputs("    </serial>\n", f);
    }
    fputs("    <memballoon model='none'/>\n", f);
    fputs("    <rng model='virtio'>\n", f);
    fputs("      <backend model='random'>/dev/urandom</backend>\n", f);
    fputs("    </rng>\n", f);
    fputs("  </devices>\n", f);
    fputs("</domain>\n", f);

    if (fclose(f)) {
        abort();
    }
    return buf;
}

void
domain_xml_spec_hash(const struct vm_spec *spec, char hex[17])
{
    char *xml = format_xml(spec, "");
    uint64_t h = FNV_OFFSET;
    for (const char *p = xml; *p; p++) {
        h = (h ^ (unsigned char)*p) * FNV_PRIME;
    }
    free(xml);
    snprintf(hex, 17, "%016" PRIx64, h);
}

char *
domain_xml(const struct vm_spec *spec)
{
    char hex[17];
    domain_xml_spec_hash(spec, hex);
    return format_xml(spec, hex);
}
