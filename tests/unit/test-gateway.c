/* Unit tests of the host side of nat and routed networks: gateway port
 * names and MACs (controllers/gateway-names.h), the nftables script
 * (controllers/nat-table.h) and the commands a first reconcile runs
 * (controllers/gateway.h, nat_table_sync()), compared to golden files in
 * a dry run (tests/golden/gateway-*.txt, nat-table-*.nft; set
 * FABRIC_REGEN_GOLDEN=1 to rewrite them). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd.h"
#include "gateway-names.h"
#include "gateway.h"
#include "golden.h"
#include "nat-table.h"
#include "ovsdb-error.h"

static void
test_names(void **state)
{
    (void)state;
    char name[16], mac[18];
    gateway_port_name("lan", name);
    gateway_mac("lan", mac);
    /* FNV-1a 32 of "gateway/lan" is 0xcca7154d. */
    assert_string_equal(name, "fgcca7154d");
    assert_string_equal(mac, "02:fb:cc:a7:15:4d");
    gateway_port_name("a-network-with-a-long-name-of-63-characters-"
                      "xxxxxxxxxxxxxxxxxx",
                      name);
    assert_int_equal(strlen(name), 10);
    gateway_port_name("lan2", mac);
    assert_string_not_equal(name, mac);
}

static struct nat_forward forwards[] = {
    {FABRIC_PROTO_TCP, 8080, "192.168.50.10", 80},
    {FABRIC_PROTO_UDP, 5353, "192.168.50.11", 53},
};

static const struct nat_network nets[] = {
    {"lan", "192.168.50.0/24", "fgcca7154d", forwards, 2},
    {"lab", "10.9.0.0/16", "fg00000001", NULL, 0},
};

static void
test_nat_script(void **state)
{
    (void)state;
    char *text = nat_table_text(nets, 2);
    golden_check("nat-table-two.nft", text);
    /* Our table only, replaced in one transaction. */
    assert_true(!strncmp(text,
                         "table ip fabric\ndelete table ip fabric\n"
                         "table ip fabric {\n",
                         55));
    assert_non_null(strstr(text, "ip saddr 10.9.0.0/16 oifname != "
                                 "\"fg00000001\" masquerade"));
    assert_non_null(strstr(text, "fib daddr type local udp dport 5353 "
                                 "dnat to 192.168.50.11:53"));
    free(text);
}

/* Runs 'fn' in a dry run and returns the command lines (a new string). */
static char *
dry_run(void (*fn)(void *), void *aux)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&buf, &len);
    cmd_set_dry_run(log);
    fn(aux);
    cmd_set_dry_run(NULL);
    fclose(log);
    return buf;
}

static void
reconcile_two(void *path)
{
    struct gateway_port ports[] = {
        {"lan", "fgcca7154d", "02:fb:cc:a7:15:4d", "192.168.50.1/24"},
        {"dmz", "fg57b3c795", "02:fb:57:b3:c7:95", "10.50.0.254/24"},
    };
    int changes = -1;
    assert_int_equal(gateway_reconcile(ports, 2, path, &changes, NULL), 0);
    /* Per port: MAC, address, up; then forwarding. */
    assert_int_equal(changes, 7);
}

static void
sync_table(void *state_)
{
    struct nat_table_state *state = state_;
    char *text = nat_table_text(nets, 1);
    int changes = -1;
    assert_int_equal(nat_table_sync(state, text, &changes, NULL), 0);
    assert_int_equal(changes, 1);
    free(text);
}

static void
delete_table(void *state_)
{
    int changes = -1;
    assert_int_equal(nat_table_sync(state_, NULL, &changes, NULL), 0);
    /* The dry run lists no table: nothing to delete. */
    assert_int_equal(changes, 0);
}

static void
test_dry_runs(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/test-gateway-%d.ip_forward",
             (int)getpid());
    char *cmds = dry_run(reconcile_two, path);
    golden_check("gateway-reconcile.txt", cmds);
    free(cmds);
    /* A dry run writes no state. */
    assert_int_not_equal(access(path, F_OK), 0);

    struct nat_table_state st = {0};
    cmds = dry_run(sync_table, &st);
    assert_string_equal(cmds, "nft list table ip fabric\nnft -f -\n"
                              "nft list table ip fabric\n");
    free(cmds);
    assert_non_null(st.script);
    cmds = dry_run(delete_table, &st);
    assert_string_equal(cmds, "nft list table ip fabric\n");
    free(cmds);
    assert_null(st.script);
    nat_table_state_clear(&st);
}

/* Forwarding goes back to what it was: the state file says so.  A dry
 * run reads "" for the current value, so only the decision shows. */
static void
no_ports(void *path)
{
    int changes = -1;
    assert_int_equal(gateway_reconcile(NULL, 0, path, &changes, NULL), 0);
}

static void
test_forwarding_restored(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/test-gateway-%d.ip_forward",
             (int)getpid());
    /* Fabric never turned it on: nothing runs. */
    unlink(path);
    char *cmds = dry_run(no_ports, path);
    assert_string_equal(cmds, "");
    free(cmds);
    /* It was 0 before fabric: back to 0. */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("0\n", f);
    fclose(f);
    cmds = dry_run(no_ports, path);
    assert_string_equal(cmds, "sysctl -n net.ipv4.ip_forward\n"
                              "sysctl -q -w net.ipv4.ip_forward=0\n");
    free(cmds);
    /* A dry run leaves the state file; a real run removes it once
     * restored. */
    assert_int_equal(access(path, F_OK), 0);
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_nat_script),
        cmocka_unit_test(test_dry_runs),
        cmocka_unit_test(test_forwarding_restored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
