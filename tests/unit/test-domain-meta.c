/* Unit tests of controllers/domain-meta.h: fabric's owner element in the
 * forms libvirt returns and in others XML allows, every kind of value
 * decoding, and malformed input of each kind refused with 'meta' left
 * untouched. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain-meta.h"

static void
expect_meta(const char *xml, const char *lab, const char *guest,
            const char *host, const char *spec)
{
    struct domain_meta m = {NULL, NULL, NULL, NULL};
    int rc = domain_meta_parse(xml, &m);
    if (rc) {
        fail_msg("Parse of %s failed with %d.", xml, rc);
    }
    assert_string_equal(m.lab, lab);
    assert_string_equal(m.guest, guest);
    assert_string_equal(m.host, host);
    assert_string_equal(m.spec, spec);
    domain_meta_clear(&m);
    assert_null(m.lab);
    assert_null(m.spec);
}

static void
expect_invalid(const char *xml)
{
    static char sentinel[] = "sentinel";
    struct domain_meta m = {sentinel, sentinel, sentinel, sentinel};
    int rc = domain_meta_parse(xml, &m);
    if (rc != -EINVAL) {
        fail_msg("Parse of %s returned %d, not -EINVAL.", xml, rc);
    }
    assert_ptr_equal(m.lab, sentinel);
    assert_ptr_equal(m.guest, sentinel);
    assert_ptr_equal(m.host, sentinel);
    assert_ptr_equal(m.spec, sentinel);
}

/* What libvirt 9.0 returns from virDomainGetMetadata(). */
static void
test_libvirt_form(void **state)
{
    (void)state;
    expect_meta("<owner lab=\"lab1\" guest=\"g1\" host=\"hv1\" "
                "spec=\"3a5b686f644dba9d\"/>",
                "lab1", "g1", "hv1", "3a5b686f644dba9d");
}

static void
test_other_forms(void **state)
{
    (void)state;
    /* As domain-xml.h writes it. */
    expect_meta("<fabric:owner xmlns:fabric='urn:x-fabric:domain:1' "
                "lab='l' guest='g' host='h' spec=''/>",
                "l", "g", "h", "");
    /* Default namespace, white space everywhere, an end tag, an unknown
     * attribute and another prefix's declaration. */
    expect_meta(" \n<owner\txmlns = \"urn:x-fabric:domain:1\" "
                "xmlns:x='urn:other' version='2'\r\n spec='s' host='h' "
                "guest='g' lab='l' >\n </owner>\n",
                "l", "g", "h", "s");
    /* Empty values and each quote inside the other. */
    expect_meta("<owner lab=\"it's\" guest='say \"hi\"' host='' spec=\"\"/>",
                "it's", "say \"hi\"", "", "");
}

static void
test_references(void **state)
{
    (void)state;
    expect_meta("<owner lab='&amp;&lt;&gt;&apos;&quot;' "
                "guest='&#65;&#x42;&#x4a;&#0000067;' "
                "host='&#233;&#x20AC;&#x1F600;' spec='&#9;&#10;&#13;'/>",
                "&<>'\"", "ABJC", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
                "\t\n\r");
}

/* Literal white space in a value reads as a space, as in any XML parser;
 * references keep it. */
static void
test_white_space(void **state)
{
    (void)state;
    expect_meta("<owner lab='a\tb' guest='c\r\nd' host='e\nf' spec='g\rh'/>",
                "a b", "c d", "e f", "g h");
}

static void
test_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "   ",
        "owner lab='l' guest='g' host='h' spec='s'/>",
        "<other lab='l' guest='g' host='h' spec='s'/>",
        "<owners lab='l' guest='g' host='h' spec='s'/>",
        "<:owner lab='l' guest='g' host='h' spec='s'/>",
        "<a:b:owner lab='l' guest='g' host='h' spec='s'/>",
        "< owner lab='l' guest='g' host='h' spec='s'/>",
        /* Missing, repeated or misspelt attributes. */
        "<owner lab='l' guest='g' host='h'/>",
        "<owner guest='g' host='h' spec='s'/>",
        "<owner lab='l' guest='g' host='h' spec='s' lab='l'/>",
        "<owner lab='l' guest='g' host='h' spec='s' spec=''/>",
        "<owner lab='l'guest='g' host='h' spec='s'/>",
        "<owner lab=l guest='g' host='h' spec='s'/>",
        "<owner lab guest='g' host='h' spec='s'/>",
        "<owner lab='l' guest='g' host='h' spec='s\"/>",
        "<owner ='l' guest='g' host='h' spec='s'/>",
        /* Someone else's namespace. */
        "<owner xmlns='urn:other' lab='l' guest='g' host='h' spec='s'/>",
        "<f:owner xmlns:f='urn:other' lab='l' guest='g' host='h' "
        "spec='s'/>",
        /* Bad values. */
        "<owner lab='<' guest='g' host='h' spec='s'/>",
        "<owner lab='&' guest='g' host='h' spec='s'/>",
        "<owner lab='&amp' guest='g' host='h' spec='s'/>",
        "<owner lab='&nbsp;' guest='g' host='h' spec='s'/>",
        "<owner lab='&#;' guest='g' host='h' spec='s'/>",
        "<owner lab='&#x;' guest='g' host='h' spec='s'/>",
        "<owner lab='&#X41;' guest='g' host='h' spec='s'/>",
        "<owner lab='&#0;' guest='g' host='h' spec='s'/>",
        "<owner lab='&#1;' guest='g' host='h' spec='s'/>",
        "<owner lab='&#xd800;' guest='g' host='h' spec='s'/>",
        "<owner lab='&#xfffe;' guest='g' host='h' spec='s'/>",
        "<owner lab='&#x110000;' guest='g' host='h' spec='s'/>",
        "<owner lab='&#99999999999999999999;' guest='g' host='h' "
        "spec='s'/>",
        "<owner lab='&#65' guest='g' host='h' spec='s'/>",
        "<owner lab='a\x01' guest='g' host='h' spec='s'/>",
        /* Bad ends. */
        "<owner lab='l' guest='g' host='h' spec='s'",
        "<owner lab='l' guest='g' host='h' spec='s'/",
        "<owner lab='l' guest='g' host='h' spec='s' /x>",
        "<owner lab='l' guest='g' host='h' spec='s'>",
        "<owner lab='l' guest='g' host='h' spec='s'>text</owner>",
        "<owner lab='l' guest='g' host='h' spec='s'></other>",
        "<owner lab='l' guest='g' host='h' spec='s'></ownerx>",
        "<owner lab='l' guest='g' host='h' spec='s'></owner",
        "<owner lab='l' guest='g' host='h' spec='s'/><owner/>",
        "<owner lab='l' guest='g' host='h' spec='s'/>x",
        "<owner lab='",
        "<owner lab='l",
        "<owner lab='l&",
        "<owner lab='l&#x1",
        "<",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect_invalid(bad[i]);
    }
    expect_invalid(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libvirt_form),
        cmocka_unit_test(test_other_forms),
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_white_space),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
