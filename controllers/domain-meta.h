/* domain-meta: fabric's ownership metadata, read back from libvirt.
 *
 * domain-xml.h writes <fabric:owner lab=... guest=... host=... spec=.../>
 * (namespace DOMAIN_XML_NS) into each domain's <metadata>.  libvirt gives
 * it back from virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
 * DOMAIN_XML_NS, 0) re-serialized, without prefix or namespace
 * declaration (libvirt 9.0):
 *
 *     <owner lab="lab" guest="g1" host="hv1" spec="3a5b686f644dba9d"/>
 *
 * domain_meta_parse() reads that element back.
 *
 * Rules of this module:
 * - The input is one element named "owner" or "PREFIX:owner", empty
 *   ("/>", or ">" with only white space before its end tag), with white
 *   space allowed around it and nothing else.  Attributes are quoted with
 *   ' or "; an attribute may appear once.  "xmlns" and "xmlns:PREFIX", if
 *   present, must name DOMAIN_XML_NS; other unknown attributes are
 *   ignored, so that a later version may add some.  lab, guest, host and
 *   spec must all be present (possibly empty).
 * - Values are decoded as XML does: the five entities (&amp; &lt; &gt;
 *   &apos; &quot;), decimal and hexadecimal character references (of
 *   XML characters only, written as UTF-8), and a literal tab or line end
 *   read as a space.  A raw '<', a lone '&' or a control character is an
 *   error.
 * - The scanner never reads past the input's terminating null byte.
 * - Returns 0 or -EINVAL; 'meta' is written only on success.
 */
#ifndef CONTROLLERS_DOMAIN_META_H
#define CONTROLLERS_DOMAIN_META_H 1

struct domain_meta {
    char *lab;
    char *guest;
    char *host;
    char *spec; /* 16 hex digits (see domain_xml_spec_hash()). */
};

int domain_meta_parse(const char *xml, struct domain_meta *meta);

/* Frees the strings of 'meta' and sets them to NULL.  Accepts NULL. */
void domain_meta_clear(struct domain_meta *meta);

#endif /* domain-meta.h */
