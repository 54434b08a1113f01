/* Unit tests of the host side of uplinks (controllers/uplink.h): port
 * names, and the commands a first reconcile runs, compared with a golden
 * file in a dry run (tests/golden/uplink-reconcile.txt; set
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
test_names(void **state)
{
    (void)state;
    char a[16], b[16], c[16];
    uplink_port_name("lan", "eth1", 100, a);
    assert_int_equal(strlen(a), 10);
    assert_memory_equal(a, "fu", 2);
    /* Another VLAN, interface or network: another device. */
    uplink_port_name("lan", "eth1", 200, b);
    assert_string_not_equal(a, b);
    uplink_port_name("lan", "eth2", 100, b);
    assert_string_not_equal(a, b);
    uplink_port_name("dmz", "eth1", 100, c);
    assert_string_not_equal(a, c);
    uplink_port_name("lan", "eth1", 100, c);
    assert_string_equal(a, c);
    /* Untagged: the interface itself. */
    uplink_port_name("lan", "enp1s0f1", 0, c);
    assert_string_equal(c, "enp1s0f1");
}

static void
test_dry_run(void **state)
{
    (void)state;
    char port[16];
    uplink_port_name("lan", "eth1", 100, port);
    struct uplink_dev devs[] = {
        {.network = "lan", .device = port, .parent = "eth1", .vlan = 100},
        {.network = "wire", .device = "eth2", .parent = "eth2", .vlan = 0},
    };
    char *buf = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&buf, &len);
    cmd_set_dry_run(log);
    int changes = -1;
    struct ovsdb_error *error = NULL;
    int rc = uplink_reconcile(devs, 2, "fabric", &changes, &error);
    cmd_set_dry_run(NULL);
    fclose(log);
    assert_int_equal(rc, 0);
    assert_null(error);
    /* The VLAN device: add, alias, up; the interface: up. */
    assert_int_equal(changes, 4);
    assert_true(devs[0].ready);
    assert_true(devs[1].ready);
    golden_check("uplink-reconcile.txt", buf);
    free(buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_dry_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
