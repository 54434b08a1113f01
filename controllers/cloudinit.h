/* cloudinit: the cloud-init NoCloud seed of a VM.
 *
 * A VM learns its hostname, addresses and routes, SSH keys and whatever
 * the topology adds from a small ISO 9660 image with volume label
 * "cidata" holding three files: meta-data, network-config (version 2)
 * and user-data.  The domain (domain-xml.h) attaches it as a read-only
 * disk.  The tiny test guest reads the same files with busybox, line by
 * line, so their layout is fixed.
 *
 * Rules of this module:
 * - The three texts are pure functions of a 'struct vm_spec' (new strings
 *   the caller frees); the same spec always gives the same bytes.
 * - meta-data is exactly
 *       instance-id: LAB-GUEST-HASH8
 *       local-hostname: HOSTNAME
 *   with HASH8 the FNV-1a 32-bit hash (8 hex digits) of the network-config
 *   text followed by the user-data text: any change of either makes a new
 *   instance, so cloud-init applies it again.  HOSTNAME is spec->hostname,
 *   or spec->guest when it is NULL.
 * - network-config lists each NIC under its name, in this order of keys,
 *   indented by 2 spaces, one value per line: match/macaddress (always in
 *   double quotes), set-name, mtu (not when 0), addresses (not when none),
 *   routes (not when none; the gateway is the first, to 0.0.0.0/0, or ::/0
 *   for an IPv6 gateway).  A route without 'via' is on-link (scope: link).
 * - user-data is the topology's user_data verbatim when there is one;
 *   otherwise a generated #cloud-config with hostname, manage_etc_hosts,
 *   preserve_hostname and, when there are any, ssh_authorized_keys.  For a
 *   router (spec->router) the generated cloud-config also turns IPv4
 *   forwarding on (a sysctl.d file and a runcmd); with topology user_data
 *   as well, the result is a MIME multipart/mixed message: fabric's
 *   forwarding part first, then the topology's part unchanged, marked
 *   "Merge-Type: list(append)+dict(recurse_array)+str()" when it is a
 *   cloud-config so that its write_files and runcmd add to fabric's
 *   instead of replacing them.  A topology part that is not plain ASCII is
 *   base64-encoded so cloud-init gets its exact bytes back.  The boundary
 *   is fixed (a suffix is added only if the topology text contains it).
 * - Every YAML value that could read as anything but a plain string
 *   (numbers, booleans, null, dates, indicators, spaces, quotes, control
 *   characters) is written in double quotes with escapes.
 * - cloudinit_write_seed() rebuilds nothing when the three files already
 *   hold the same texts and the ISO exists: re-applying an unchanged
 *   topology does not touch the seed.  When something differs it first
 *   removes the old ISO, then writes the files and builds the ISO (with
 *   xorriso, through cmd.h) under a temporary name that it renames into
 *   place, so a crash half-way leaves no ISO that disagrees with them.
 *   In a dry run (cmd.h) the files are written and the xorriso command
 *   is only logged, so no ISO results and the next real run builds it.
 * - Functions return a negative errno on failure, with '*errorp' (when
 *   not NULL) set to an error naming the VM.
 */
#ifndef CONTROLLERS_CLOUDINIT_H
#define CONTROLLERS_CLOUDINIT_H 1

struct ovsdb_error;
struct vm_spec;

char *cloudinit_meta_data(const struct vm_spec *spec);
char *cloudinit_network_config(const struct vm_spec *spec);
char *cloudinit_user_data(const struct vm_spec *spec);

/* Writes DIR/meta-data, DIR/user-data and DIR/network-config (making
 * 'dir' when needed) and builds spec->seed from them.  Returns 1 when it
 * (re)built the seed, 0 when the seed was already up to date. */
int cloudinit_write_seed(const struct vm_spec *spec, const char *dir,
                         struct ovsdb_error **errorp);

/* Removes the three files from 'dir' and the ISO spec->seed; missing
 * files are fine.  Leaves 'dir' itself. */
int cloudinit_remove_seed(const struct vm_spec *spec, const char *dir,
                          struct ovsdb_error **errorp);

#endif /* cloudinit.h */
