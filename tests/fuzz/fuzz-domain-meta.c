/* fuzz-domain-meta: libFuzzer harness for domain-meta (fabric's owner
 * element as libvirt gives it back).
 *
 * The input is the text of an element.  Parsing must succeed or fail with
 * -EINVAL, leaving the output untouched on failure.  On success the four
 * fields are set, and the element written again from them (values escaped
 * by domain_xml_escape(), in both quoting styles, with and without a
 * prefix) must parse to the same values.  Any broken promise aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain-meta.h"
#include "domain-xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int condition)
{
    if (!condition) {
        abort();
    }
}

/* Returns 's' escaped, with every ' turned back into itself when the
 * value is to be quoted with " (a legal spelling the parser must read). */
static char *
escape(const char *s, char quote)
{
    char *e = domain_xml_escape(s);
    if (quote == '"') {
        char *p;
        while ((p = strstr(e, "&apos;")) != NULL) {
            *p = '\'';
            memmove(p + 1, p + 6, strlen(p + 6) + 1);
        }
    }
    return e;
}

static void
check_again(const struct domain_meta *m, char quote, const char *element)
{
    char *lab = escape(m->lab, quote);
    char *guest = escape(m->guest, quote);
    char *host = escape(m->host, quote);
    char *spec = escape(m->spec, quote);
    char *xml;
    check(asprintf(&xml,
                   "<%s spec=%c%s%c host=%c%s%c guest=%c%s%c lab=%c%s%c/>",
                   element, quote, spec, quote, quote, host, quote, quote,
                   guest, quote, quote, lab, quote) > 0);

    struct domain_meta again;
    check(domain_meta_parse(xml, &again) == 0);
    check(!strcmp(again.lab, m->lab) && !strcmp(again.guest, m->guest) &&
          !strcmp(again.host, m->host) && !strcmp(again.spec, m->spec));
    domain_meta_clear(&again);
    free(xml);
    free(lab);
    free(guest);
    free(host);
    free(spec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A null-terminated copy of exactly the input, so that ASan sees any
     * read past its end. */
    char *text = malloc(size + 1);
    check(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';

    static char sentinel[] = "untouched";
    struct domain_meta meta = {sentinel, sentinel, sentinel, sentinel};
    int retval = domain_meta_parse(text, &meta);
    if (retval == 0) {
        check(meta.lab && meta.guest && meta.host && meta.spec);
        check(meta.lab != sentinel && meta.spec != sentinel);
        check_again(&meta, '\'', "owner");
        check_again(&meta, '"',
                    "fabric:owner xmlns:fabric='" DOMAIN_XML_NS "'");
        domain_meta_clear(&meta);
        check(!meta.lab && !meta.guest && !meta.host && !meta.spec);
    } else {
        check(retval == -EINVAL);
        check(meta.lab == sentinel && meta.guest == sentinel &&
              meta.host == sentinel && meta.spec == sentinel);
    }
    free(text);
    return 0;
}
