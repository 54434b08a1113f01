/* Unit tests of controllers/domain-xml.h: the domain XML of a tiny guest,
 * of a VM on a disk overlay with a trunk and an access NIC under KVM, and
 * of a router VM, compared to golden files (tests/golden/domain-*.xml; set
 * FABRIC_REGEN_GOLDEN=1 to rewrite them) and each defined on libvirt's
 * test driver (test:///default), which must accept it and give back
 * fabric's metadata; escaping of every special character; the spec hash.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "domain-meta.h"
#include "domain-xml.h"
#include "golden.h"
#include "vm-spec.h"

static void
quiet_errors(void *aux, virErrorPtr error)
{
    (void)aux;
    (void)error;
}

/* Defines 'xml' on a fresh test:///default, which must accept it, and
 * checks that the domain is named 'name' and that libvirt gives back the
 * owner metadata of 'spec' with the hash 'xml' carries. */
static void
check_libvirt_accepts(const char *xml, const struct vm_spec *spec)
{
    virSetErrorFunc(NULL, quiet_errors);
    virConnectPtr conn = virConnectOpen("test:///default");
    assert_non_null(conn);
    virDomainPtr dom = virDomainDefineXML(conn, xml);
    if (!dom) {
        const char *msg = virGetLastErrorMessage();
        virConnectClose(conn);
        fail_msg("libvirt refuses the XML: %s", msg);
    }
    assert_string_equal(virDomainGetName(dom), spec->domain);
    char uuid[VIR_UUID_STRING_BUFLEN];
    assert_int_equal(virDomainGetUUIDString(dom, uuid), 0);
    assert_string_equal(uuid, spec->uuid);

    char *text = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
                                      DOMAIN_XML_NS, 0);
    assert_non_null(text);
    struct domain_meta meta;
    assert_int_equal(domain_meta_parse(text, &meta), 0);
    assert_string_equal(meta.lab, spec->lab);
    assert_string_equal(meta.guest, spec->guest);
    assert_string_equal(meta.host, spec->host);
    char hex[17];
    domain_xml_spec_hash(spec, hex);
    assert_string_equal(meta.spec, hex);
    domain_meta_clear(&meta);
    free(text);

    /* The test driver "runs" it too, which checks a little more. */
    assert_int_equal(virDomainCreate(dom), 0);
    assert_int_equal(virDomainDestroy(dom), 0);
    assert_int_equal(virDomainUndefine(dom), 0);
    virDomainFree(dom);
    virConnectClose(conn);
}

/* Counts the occurrences of 'needle' in 'haystack'. */
static int
count(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    return n;
}

static char *
xstrdup(const char *s)
{
    char *copy = s ? strdup(s) : NULL;
    if (s) {
        assert_non_null(copy);
    }
    return copy;
}

static void
set_nic(struct vm_nic *nic, int index, int vlan, int mtu)
{
    assert_true(asprintf(&nic->name, "eth%d", index) > 0);
    assert_true(asprintf(&nic->mac, "52:54:00:00:00:%02x", index + 1) > 0);
    assert_true(asprintf(&nic->port, "fv%08x", 0xa0 + index) > 0);
    assert_true(asprintf(&nic->iface_id,
                         "0b1a9c6e-5d3e-4c7a-9f00-00000000000%d", index) > 0);
    nic->vlan = vlan;
    nic->mtu = mtu;
}

/* A spec with everything a guest has, and 'n_nics' NICs left to fill. */
static struct vm_spec *
new_spec(const char *guest, const char *uuid, size_t n_nics)
{
    struct vm_spec *s = calloc(1, sizeof *s);
    assert_non_null(s);
    assert_true(asprintf(&s->domain, "fabric-%s", guest) > 0);
    s->uuid = xstrdup(uuid);
    s->lab = xstrdup("classic");
    s->guest = xstrdup(guest);
    s->host = xstrdup("hv1");
    s->hostname = xstrdup(guest);
    s->domain_type = xstrdup("qemu");
    s->vcpus = 1;
    s->memory_mb = 128;
    assert_true(asprintf(&s->seed, "/var/lib/fabric/vm/%s/seed.iso", guest) >
                0);
    assert_true(asprintf(&s->console, "/run/fabric/vm/%s.console", guest) > 0);
    assert_true(asprintf(&s->console_log, "/var/log/fabric/%s.console.log",
                         guest) > 0);
    s->bridge = xstrdup("br-int");
    s->nics = calloc(n_nics, sizeof *s->nics);
    s->n_nics = n_nics;
    return s;
}

static void
check_spec(const char *golden, const struct vm_spec *spec)
{
    char *xml = domain_xml(spec);
    golden_check(golden, xml);
    check_libvirt_accepts(xml, spec);

    /* The same spec always gives the same bytes. */
    char *again = domain_xml(spec);
    assert_string_equal(xml, again);
    free(again);
    free(xml);
}

/* The tiny test guest: direct kernel boot, the seed as its only disk. */
static void
test_tiny(void **state)
{
    (void)state;
    struct vm_spec *s =
        new_spec("tiny1", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0a01", 1);
    s->kernel = xstrdup("/boot/vmlinuz-6.1.0-28-amd64");
    s->initrd = xstrdup("/var/lib/fabric/tiny/initrd.gz");
    s->cmdline = xstrdup("console=ttyS0 panic=-1 quiet");
    set_nic(&s->nics[0], 0, 0, 1442);
    check_spec("domain-tiny.xml", s);

    char *xml = domain_xml(s);
    assert_non_null(strstr(xml, "<target dev='vda' bus='virtio'/>\n"
                                "      <readonly/>"));
    assert_null(strstr(xml, "vdb"));
    assert_null(strstr(xml, "<boot"));
    assert_null(strstr(xml, "<cpu"));
    assert_null(strstr(xml, "vhost"));
    assert_null(strstr(xml, "<vlan>"));
    assert_null(strstr(xml, "<graphics"));
    free(xml);
    vm_spec_free(s);
}

/* A disk image through its overlay, under KVM, a trunk and an access
 * NIC. */
static void
test_overlay_kvm(void **state)
{
    (void)state;
    struct vm_spec *s =
        new_spec("web", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0a02", 2);
    free(s->domain_type);
    s->domain_type = xstrdup("kvm");
    s->vcpus = 2;
    s->memory_mb = 1024;
    s->image = xstrdup("/var/lib/fabric/images/debian-12.qcow2");
    s->overlay = xstrdup("/var/lib/fabric/vm/web/disk.qcow2");
    set_nic(&s->nics[0], 0, 0, 1442);
    set_nic(&s->nics[1], 1, 10, 0);
    check_spec("domain-overlay-kvm.xml", s);

    char *xml = domain_xml(s);
    assert_non_null(strstr(xml, "<domain type='kvm'>"));
    assert_non_null(strstr(xml, "<cpu mode='host-passthrough'/>"));
    assert_non_null(strstr(xml, "<boot dev='hd'/>"));
    assert_null(strstr(xml, "<kernel"));
    assert_non_null(strstr(xml, "<source file='/var/lib/fabric/vm/web/"
                                "disk.qcow2'/>\n"
                                "      <target dev='vda'"));
    assert_non_null(strstr(xml, "seed.iso'/>\n"
                                "      <target dev='vdb'"));
    /* Only the access NIC has a tag, and only the first an MTU. */
    const char *tag = strstr(xml, "<tag id='10'/>");
    assert_non_null(tag);
    assert_true(tag > strstr(xml, "fv000000a0"));
    assert_true(tag < strstr(xml, "fv000000a1"));
    assert_int_equal(count(xml, "<tag"), 1);
    assert_int_equal(count(xml, "<mtu size='1442'/>"), 1);
    assert_int_equal(count(xml, "<mtu"), 1);
    free(xml);
    vm_spec_free(s);
}

/* A router VM: its own disk without an overlay, three NICs. */
static void
test_router(void **state)
{
    (void)state;
    struct vm_spec *s =
        new_spec("r1", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0a03", 3);
    s->router = true;
    s->image = xstrdup("/var/lib/fabric/images/vyos.raw");
    set_nic(&s->nics[0], 0, 0, 1442);
    set_nic(&s->nics[1], 1, 0, 1442);
    set_nic(&s->nics[2], 2, 0, 1442);
    check_spec("domain-router.xml", s);

    char *xml = domain_xml(s);
    assert_non_null(strstr(xml, "<driver name='qemu' type='raw'/>\n"
                                "      <source file='/var/lib/fabric/"
                                "images/vyos.raw'/>"));
    free(xml);
    vm_spec_free(s);
}

static void
test_escaping(void **state)
{
    (void)state;
    struct vm_spec *s =
        new_spec("a&b<c>d'e\"f", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0a04", 1);
    free(s->lab);
    s->lab = xstrdup("lab \"one\" & <two>");
    s->kernel = xstrdup("/boot/vmlinuz");
    s->cmdline = xstrdup("console=ttyS0 fabric.x='<&>'\tend");
    set_nic(&s->nics[0], 0, 0, 0);

    char *xml = domain_xml(s);
    assert_non_null(strstr(xml, "<name>fabric-a&amp;b&lt;c&gt;d&apos;e"
                                "&quot;f</name>"));
    assert_non_null(strstr(xml, "lab='lab &quot;one&quot; &amp; "
                                "&lt;two&gt;'"));
    assert_non_null(strstr(xml, "guest='a&amp;b&lt;c&gt;d&apos;e&quot;f'"));
    assert_non_null(strstr(xml, "<cmdline>console=ttyS0 fabric.x=&apos;"
                                "&lt;&amp;&gt;&apos;&#9;end</cmdline>"));
    check_libvirt_accepts(xml, s);
    free(xml);

    char *e = domain_xml_escape("&<>'\"\t\n\r plain é");
    assert_string_equal(e, "&amp;&lt;&gt;&apos;&quot;&#9;&#10;&#13; "
                           "plain é");
    free(e);
    vm_spec_free(s);
}

static uint64_t
fnv1a64(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    }
    return h;
}

/* The spec hash is FNV-1a 64 of the XML with spec='', and changes with
 * anything in the spec. */
static void
test_spec_hash(void **state)
{
    (void)state;
    struct vm_spec *s =
        new_spec("h1", "6f1c5c1e-4f34-4bb8-9a4d-5a2c3e1f0a05", 1);
    set_nic(&s->nics[0], 0, 0, 1442);

    char hex[17];
    domain_xml_spec_hash(s, hex);
    assert_int_equal(strlen(hex), 16);
    assert_int_equal(strspn(hex, "0123456789abcdef"), 16);

    char *xml = domain_xml(s);
    char *attr;
    assert_true(asprintf(&attr, " spec='%s'/>", hex) > 0);
    char *at = strstr(xml, attr);
    assert_non_null(at);
    /* Blank the hash out of the XML and hash it here. */
    memmove(at + 7, at + 7 + 16, strlen(at + 7 + 16) + 1);
    char expected[17];
    snprintf(expected, sizeof expected, "%016" PRIx64, fnv1a64(xml));
    assert_string_equal(hex, expected);
    free(attr);
    free(xml);

    s->nics[0].mtu = 1500;
    char other[17];
    domain_xml_spec_hash(s, other);
    assert_string_not_equal(hex, other);
    s->nics[0].mtu = 1442;
    domain_xml_spec_hash(s, other);
    assert_string_equal(hex, other);
    vm_spec_free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny),      cmocka_unit_test(test_overlay_kvm),
        cmocka_unit_test(test_router),    cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_spec_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
