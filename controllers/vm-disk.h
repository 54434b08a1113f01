/* vm-disk: the copy-on-write overlay that is a VM's disk.
 *
 * A VM with a disk image boots from its own qcow2 overlay (spec->overlay)
 * whose backing file is the shared base image (spec->image): the VM
 * writes only to its overlay and many VMs share one base.
 *
 * Rules of this module:
 * - The base image is never written, moved or removed.  Removing a VM's
 *   disk removes its overlay only, and is refused when the overlay path
 *   names the base image.
 * - vm_disk_prepare() creates a missing overlay and leaves an existing
 *   one as it is (the VM's data lives there).  It reads the base image's
 *   format with `qemu-img info --output=json BASE` and creates
 *   `qemu-img create -q -f qcow2 -F FORMAT -b BASE OVERLAY.tmp`, renamed
 *   into place so that a half-made overlay is never taken for a good one.
 *   The overlay records the base's path as given, made absolute against
 *   the working directory when it is relative (links are not resolved).
 *   An existing overlay is not checked against spec->image.
 * - The overlay's directory and its missing parents are made with mode
 *   0755 (vm-files.h), so that QEMU running as libvirt-qemu traverses
 *   them.
 * - Commands go through cmd.h.  In a dry run the `qemu-img info` output
 *   comes from the reader set with vm_disk_set_reader() (empty without
 *   one, which is an error), and nothing is renamed.
 * - Functions return a negative errno on failure, with '*errorp' (when
 *   not NULL) set to an error naming the VM and the file at fault.
 */
#ifndef CONTROLLERS_VM_DISK_H
#define CONTROLLERS_VM_DISK_H 1

struct ovsdb_error;
struct vm_spec;

/* Creates spec->overlay on spec->image when it does not exist.  Returns 1
 * when it created the overlay, 0 when the overlay existed already or the
 * VM has no image. */
int vm_disk_prepare(const struct vm_spec *spec, struct ovsdb_error **errorp);

/* Removes spec->overlay (a missing overlay is fine), never spec->image. */
int vm_disk_remove(const struct vm_spec *spec, struct ovsdb_error **errorp);

/* For tests: with a non-NULL 'reader', the output of each read command
 * (`qemu-img info`) is reader(COMMAND-LINE, aux), a new string, or NULL
 * for a failed command, instead of running it. */
typedef char *vm_disk_reader_func(const char *command_line, void *aux);
void vm_disk_set_reader(vm_disk_reader_func *reader, void *aux);

#endif /* vm-disk.h */
