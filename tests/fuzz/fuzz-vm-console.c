/* fuzz-vm-console: libFuzzer harness for vmcon_parse(), the parser of
 * what a serial console printed around a command.
 *
 * The input is console output; the token is fixed.  The parse must
 * return 1, 0 or -EPROTO.  On 1 the output holds no carriage return, is
 * no longer than the input, and its exit status is 0..999; the parse is
 * monotonic: any longer input that starts with this one parses to the
 * same output and status (the input followed by "x" is checked).  On 0
 * the input followed by nothing more must stay 0 when cut by one byte.
 * Any broken promise aborts. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm-console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOKEN "0123456789abcdef"

static void
check(int condition)
{
    if (!condition) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    char *output = NULL;
    int status = -1;
    int rc = vmcon_parse(buf, size, TOKEN, &output, &status);
    check(rc == 1 || rc == 0 || rc == -EPROTO);
    if (rc != 1) {
        check(!output);
        if (rc == 0 && size > 0) {
            check(vmcon_parse(buf, size - 1, TOKEN, NULL, NULL) == 0);
        }
        return 0;
    }

    check(output && strlen(output) <= size && !strchr(output, '\r'));
    check(status >= 0 && status <= 999);

    char *longer = malloc(size + 1);
    memcpy(longer, buf, size);
    longer[size] = 'x';
    char *output2 = NULL;
    int status2 = -1;
    check(vmcon_parse(longer, size + 1, TOKEN, &output2, &status2) == 1);
    check(!strcmp(output, output2) && status == status2);
    free(longer);
    free(output2);
    free(output);
    return 0;
}
