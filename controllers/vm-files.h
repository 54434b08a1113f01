/* vm-files: the small file operations behind a VM's files on disk.
 *
 * fabricd keeps a few files per VM (the cloud-init seed and its sources,
 * the disk overlay); cloudinit.h and vm-disk.h write and remove them with
 * these helpers.
 *
 * Rules of this module:
 * - Directories are made with mode 0755, whatever the umask leaves, so
 *   that QEMU running as another user (libvirt-qemu) can traverse them.
 * - A file is written whole or not at all: into PATH.tmp, then renamed
 *   over PATH; the same for files that a command (cmd.h) makes.
 * - Removing a file that does not exist succeeds.
 * - Functions return 0 or a negative errno with '*errorp' (when not NULL)
 *   set to one error whose message names the path.
 */
#ifndef CONTROLLERS_VM_FILES_H
#define CONTROLLERS_VM_FILES_H 1

#include <stdbool.h>

struct cmd;
struct ovsdb_error;

/* Makes directory 'dir' and its missing parents. */
int vm_files_mkdirs(const char *dir, struct ovsdb_error **errorp);

/* Makes the directory that holds 'path' and its missing parents. */
int vm_files_mkparent(const char *path, struct ovsdb_error **errorp);

/* Returns true when 'path' is a regular file (or a link to one). */
bool vm_files_exists(const char *path);

/* Returns true when 'path' is a file holding exactly 'content'. */
bool vm_files_same(const char *path, const char *content);

/* Writes 'content' to 'path' (atomically, mode 0644). */
int vm_files_write(const char *path, const char *content,
                   struct ovsdb_error **errorp);

/* Removes 'path'; a missing file is not an error. */
int vm_files_remove(const char *path, struct ovsdb_error **errorp);

/* Returns a new string "PATH.tmp". */
char *vm_files_tmp_name(const char *path);

/* Makes 'path' with 'cmd', a command that writes the file 'tmp' (from
 * vm_files_tmp_name(path)): removes any old 'tmp', runs 'cmd' and renames
 * 'tmp' to 'path'; on failure removes 'tmp'.  In a dry run (cmd.h) only
 * the command is logged.  The caller still owns and frees 'cmd'. */
int vm_files_run_to(struct cmd *cmd, const char *tmp, const char *path,
                    struct ovsdb_error **errorp);

#endif /* vm-files.h */
