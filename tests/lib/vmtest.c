/* vmtest: see vmtest.h. */
#include "vmtest.h"

#include <stdio.h>
#include <stdlib.h>

#include "ovsdb-error.h"
#include "sandbox.h"
#include "vm-console.h"

bool
vmt_wait_ready(const char *log, long long offset, int timeout_ms)
{
    struct ovsdb_error *error = NULL;
    int rc = vmcon_wait_log_from(log, offset, "fabric-tiny: ready", timeout_ms,
                                 &error);
    if (rc) {
        fprintf(stderr, "%s: %s\n", log, error ? error->msg : "?");
        ovsdb_error_free(error);
        char *out = NULL;
        sbx_runl(&out, "tail", "-c", "2000", log, NULL);
        fprintf(stderr, "--- %s:\n%s\n", log, out ? out : "");
        free(out);
    }
    return rc == 0;
}

int
vmt_console(const char *fabricctl, const char *db_opt, const char *rundir_opt,
            const char *guest, const char *command, char **outp)
{
    char *out = NULL;
    char *argv[] = {(char *)fabricctl,
                    (char *)db_opt,
                    (char *)rundir_opt,
                    "--timeout=30000",
                    "guest",
                    "console",
                    (char *)guest,
                    "--",
                    (char *)command,
                    NULL};
    int rc = sbx_run(argv, &out);
    if (outp) {
        *outp = out;
    } else {
        free(out);
    }
    return rc;
}
