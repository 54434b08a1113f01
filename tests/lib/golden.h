/* golden: comparing test output with golden files.
 *
 * Rules of this module:
 * - Golden files live in tests/golden/ of the source tree, which
 *   golden_check() finds through FABRIC_SOURCE_DIR (tests define it).
 * - With FABRIC_REGEN_GOLDEN=1 in the environment, a check rewrites its
 *   file instead of comparing, so a deliberate change of output is one
 *   run away; review the diff before committing it.
 * - A mismatch prints the expected and the actual text to stderr and
 *   fails the running cmocka test.
 */
#ifndef GOLDEN_H
#define GOLDEN_H 1

/* Compares 'actual' with 'source_dir'/tests/golden/'name', or rewrites
 * that file when FABRIC_REGEN_GOLDEN=1. */
void golden_check_in(const char *source_dir, const char *name,
                     const char *actual);

/* The same in the source tree of the test being built. */
#define golden_check(NAME, ACTUAL)                                            \
    golden_check_in(FABRIC_SOURCE_DIR, NAME, ACTUAL)

#endif /* golden.h */
