/* Unit tests of the host side of uplinks (controllers/uplink.h): the
 * commands a first reconcile runs, compared with a golden file in a dry
 * run (tests/golden/uplink-reconcile.txt; set
 * FABRIC_REGEN_GOLDEN=1 to rewrite it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmd.h"
#include "golden.h"
#include "ovsdb-error.h"
#include "uplink.h"

static void
test_dry_run(void **state)
{
    (void)state;
    struct uplink_dev devs[] = {
        {.network = "lan", .interface = "eth1", .vlan = 100},
        {.network = "wire", .interface = "eth2", .vlan = 0},
    };
    char *buf = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&buf, &len);
    cmd_set_dry_run(log);
    int changes = -1;
    struct ovsdb_error *error = NULL;
    int rc = uplink_reconcile(devs, 2, &changes, &error);
    cmd_set_dry_run(NULL);
    fclose(log);
    assert_int_equal(rc, 0);
    assert_null(error);
    /* A tagged uplink's interface is left alone; an untagged one's, the
     * network's, is brought up. */
    assert_int_equal(changes, 1);
    assert_true(devs[0].ready);
    assert_true(devs[1].ready);
    golden_check("uplink-reconcile.txt", buf);
    free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dry_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
