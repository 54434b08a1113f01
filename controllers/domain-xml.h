/* domain-xml: the libvirt domain XML of one VM.
 *
 * fabricd describes each VM it wants as a 'struct vm_spec' (vm-spec.h);
 * domain_xml() turns it into the XML given to virDomainDefineXML().  The
 * function is pure: the same spec always gives the same bytes, and nothing
 * here talks to libvirt or looks at the disk.
 *
 * Rules of this module:
 * - The domain type is spec->domain_type ("qemu" when NULL); "kvm" adds
 *   <cpu mode='host-passthrough'/>.  Memory is in MiB.
 * - Boot: direct kernel boot (<kernel>, <initrd>, <cmdline>) when
 *   spec->kernel is set, otherwise <boot dev='hd'/>.
 * - Disks: 'vda' is the VM's own disk when spec->image is set: its
 *   copy-on-write 'overlay' (qcow2), or 'image' itself when there is no
 *   overlay (qcow2 when its name ends in ".qcow2", raw otherwise).  The
 *   cloud-init seed ISO is a read-only raw virtio disk, 'vdb' after a
 *   'vda', else 'vda'.
 * - One <interface type='bridge'> per NIC on spec->bridge, with an
 *   Open vSwitch <virtualport> carrying the NIC's iface_id, the tap name
 *   as <target dev>, a virtio model, <mtu> when mtu > 0 and an access
 *   <vlan><tag> when vlan > 0.  Never <driver name='vhost'/>: there may be
 *   no /dev/vhost-net.
 * - A serial console on a unix socket (bound by QEMU) with a log file
 *   when spec->console is set; no graphics; <memballoon model='none'/>; a
 *   virtio RNG fed by /dev/urandom; <on_crash>destroy</on_crash>.
 * - Ownership: <metadata> holds <fabric:owner> in the namespace
 *   DOMAIN_XML_NS (see domain-meta.h) with the lab, guest and host names
 *   and 'spec', the FNV-1a 64-bit hash (16 lower-case hex digits) of the
 *   whole XML generated with spec="".  A later run compares that hash to
 *   decide whether a defined domain still matches what it wants.
 * - Every attribute value and text is XML-escaped (see
 *   domain_xml_escape()); optional
 *   strings that are NULL leave out their element, and libvirt judges
 *   whatever is missing when the XML is defined.
 */
#ifndef CONTROLLERS_DOMAIN_XML_H
#define CONTROLLERS_DOMAIN_XML_H 1

struct vm_spec;

/* The XML namespace of fabric's domain metadata. */
#define DOMAIN_XML_NS "urn:x-fabric:domain:1"

/* Returns the domain XML of 'spec' as a new string (never NULL). */
char *domain_xml(const struct vm_spec *spec);

/* Stores into 'hex' the 16 hex digits (and a null byte) of the spec hash
 * that domain_xml() writes into <fabric:owner spec='...'/>. */
void domain_xml_spec_hash(const struct vm_spec *spec, char hex[17]);

/* Returns 's' with & < > ' " replaced by XML entities and tabs and line
 * ends by character references (new string). */
char *domain_xml_escape(const char *s);

#endif /* domain-xml.h */
