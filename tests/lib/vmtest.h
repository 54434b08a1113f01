/* vmtest: what tests of VM guests do to the tiny guests fabricd runs.
 *
 * Rules of this module:
 * - The tiny guest (scripts/build-tiny-guest) prints "fabric-tiny: ready"
 *   on its console once it is configured; its console log is
 *   VM_DIR/DOMAIN/console.log (fabric/agent-desired.h).
 * - Commands run in a guest through `fabricctl guest console GUEST --
 *   COMMAND`, the path a person uses, never through QEMU directly.
 * - Failures print what a person needs to see (the console's last output)
 *   to stderr and return false or a nonzero status; the caller asserts.
 */
#ifndef TESTS_LIB_VMTEST_H
#define TESTS_LIB_VMTEST_H 1

#include <stdbool.h>

/* Waits up to 'timeout_ms' for "fabric-tiny: ready" in console log 'log'
 * past byte 'offset' (a log keeps earlier boots). */
bool vmt_wait_ready(const char *log, long long offset, int timeout_ms);

/* Runs 'command' in VM 'guest' with `FABRICCTL DB_OPT RUNDIR_OPT guest
 * console GUEST -- COMMAND`; returns its exit status, with its output in
 * '*outp' (a new string) when 'outp' is not NULL. */
int vmt_console(const char *fabricctl, const char *db_opt,
                const char *rundir_opt, const char *guest, const char *command,
                char **outp);

/* In a cmocka test: fails, showing 'text', unless it contains 'want'. */
#define assert_contains(text, want)                                           \
    do {                                                                      \
        if (!(text) || !strstr(text, want)) {                                 \
            fail_msg("'%s' not in:\n%s", want, (text) ? (text) : "(null)");   \
        }                                                                     \
    } while (0)

#endif /* vmtest.h */
