/* Unit tests of ovsdb/remote: parsing of remote names and remote lists,
 * good ones field by field and bad ones by their error message. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ovsdb-error.h"
#include "remote.h"

/* Fails unless parsing 'name' fails with -EINVAL and a message that
 * contains 'needle'. */
static void
assert_bad_remote(const char *name, const char *needle)
{
    struct ovsdb_remote remote;
    struct ovsdb_error *error = NULL;

    memset(&remote, 0x5a, sizeof remote);
    int rc = ovsdb_remote_parse(name, &remote, &error);
    if (rc != -EINVAL || !error || !strstr(error->msg, needle)) {
        print_error("remote '%s': rc %d, message '%s', expected '%s'\n", name,
                    rc, error ? error->msg : "(none)", needle);
        ovsdb_error_free(error);
        fail();
    }
    assert_int_equal(error->code, -EINVAL);
    /* The out-parameter is left alone on failure. */
    assert_int_equal(remote.port, 0x5a5a5a5a);
    ovsdb_error_free(error);
}

static void
test_unix(void **state)
{
    struct ovsdb_remote r;
    assert_int_equal(ovsdb_remote_parse("unix:/tmp/db.sock", &r, NULL), 0);
    assert_int_equal(r.kind, OVSDB_REMOTE_UNIX);
    assert_string_equal(r.name, "unix:/tmp/db.sock");
    assert_string_equal(r.path, "/tmp/db.sock");
    assert_null(r.host);
    ovsdb_remote_clear(&r);
    assert_null(r.name);

    /* A relative path and a path with a colon are paths as written. */
    assert_int_equal(ovsdb_remote_parse("unix:db:1.sock", &r, NULL), 0);
    assert_string_equal(r.path, "db:1.sock");
    ovsdb_remote_clear(&r);
}

static void
test_tcp_ssl(void **state)
{
    struct ovsdb_remote r;
    assert_int_equal(ovsdb_remote_parse("tcp:127.0.0.1:6641", &r, NULL), 0);
    assert_int_equal(r.kind, OVSDB_REMOTE_TCP);
    assert_string_equal(r.name, "tcp:127.0.0.1:6641");
    assert_string_equal(r.host, "127.0.0.1");
    assert_int_equal(r.port, 6641);
    assert_null(r.path);
    ovsdb_remote_clear(&r);

    assert_int_equal(ovsdb_remote_parse("ssl:10.0.0.1:65535", &r, NULL), 0);
    assert_int_equal(r.kind, OVSDB_REMOTE_SSL);
    assert_string_equal(r.host, "10.0.0.1");
    assert_int_equal(r.port, 65535);
    ovsdb_remote_clear(&r);

    assert_int_equal(ovsdb_remote_parse("tcp:[::1]:1", &r, NULL), 0);
    assert_int_equal(r.kind, OVSDB_REMOTE_TCP);
    assert_string_equal(r.host, "::1");
    assert_int_equal(r.port, 1);
    ovsdb_remote_clear(&r);

    assert_int_equal(ovsdb_remote_parse("ssl:[fe80::1:2:3]:6640", &r, NULL),
                     0);
    assert_string_equal(r.host, "fe80::1:2:3");
    assert_string_equal(r.name, "ssl:[fe80::1:2:3]:6640");
    assert_int_equal(r.port, 6640);
    ovsdb_remote_clear(&r);
}

static void
test_bad_remotes(void **state)
{
    assert_bad_remote("tcp:1.2.3.4", "tcp:1.2.3.4: missing port");
    assert_bad_remote("tcp:1.2.3.4:", "tcp:1.2.3.4:: missing port");
    assert_bad_remote("tcp:[::1]", "missing port");
    assert_bad_remote("tcp:", "missing address");
    assert_bad_remote("tcp::6640", "missing host");
    assert_bad_remote("foo:bar", "unknown remote type 'foo:'");
    assert_bad_remote("TCP:1.2.3.4:5", "unknown remote type 'TCP:'");
    assert_bad_remote("punix:/tmp/x", "unknown remote type 'punix:'");
    assert_bad_remote("/tmp/db.sock", "'/tmp/db.sock' is not a remote");
    assert_bad_remote("", "'' is not a remote");
    assert_bad_remote("unix:", "missing socket path");
    assert_bad_remote("tcp:1.2.3.4:0", "port 0 out of range");
    assert_bad_remote("tcp:1.2.3.4:65536", "port 65536 out of range");
    assert_bad_remote("tcp:1.2.3.4:99999999999999999999", "out of range");
    assert_bad_remote("tcp:1.2.3.4:-1", "invalid port '-1'");
    assert_bad_remote("tcp:1.2.3.4:+80", "invalid port '+80'");
    assert_bad_remote("tcp:1.2.3.4:80x", "invalid port '80x'");
    assert_bad_remote("tcp:localhost:6640",
                      "host 'localhost' is not an IP address literal");
    assert_bad_remote("ssl:1.2.3:6640", "host '1.2.3' is not an IP");
    assert_bad_remote("tcp:256.1.1.1:6640", "not an IP address literal");
    assert_bad_remote("tcp:::1:6640", "must be written in brackets");
    assert_bad_remote("tcp:[::1:6640", "missing ']'");
    assert_bad_remote("tcp:[::1]6640", "expected ':'");
    assert_bad_remote("tcp:[1.2.3.4]:6640", "not an IPv6 address literal");
    assert_bad_remote("tcp:[nope]:6640", "'nope' is not an IPv6");
    /* Errors name the remote. */
    assert_bad_remote("ssl:1.2.3.4:0", "ssl:1.2.3.4:0: ");
}

static void
test_list(void **state)
{
    struct ovsdb_remote_list list;

    assert_int_equal(ovsdb_remote_list_parse("unix:/a", &list, NULL), 0);
    assert_int_equal(list.n, 1);
    assert_string_equal(list.remotes[0].path, "/a");
    ovsdb_remote_list_clear(&list);
    assert_int_equal(list.n, 0);
    assert_null(list.remotes);

    assert_int_equal(
        ovsdb_remote_list_parse(" tcp:127.0.0.1:1 ,ssl:[::1]:2,\tunix:/x ",
                                &list, NULL),
        0);
    assert_int_equal(list.n, 3);
    assert_int_equal(list.remotes[0].kind, OVSDB_REMOTE_TCP);
    assert_string_equal(list.remotes[0].name, "tcp:127.0.0.1:1");
    assert_int_equal(list.remotes[0].port, 1);
    assert_int_equal(list.remotes[1].kind, OVSDB_REMOTE_SSL);
    assert_string_equal(list.remotes[1].host, "::1");
    assert_int_equal(list.remotes[1].port, 2);
    assert_int_equal(list.remotes[2].kind, OVSDB_REMOTE_UNIX);
    assert_string_equal(list.remotes[2].name, "unix:/x");
    ovsdb_remote_list_clear(&list);

    /* Clearing NULL and an empty list is fine. */
    ovsdb_remote_list_clear(NULL);
    ovsdb_remote_clear(NULL);
}

/* Fails unless parsing the list 'names' fails with a message containing
 * 'needle' and leaves the list untouched. */
static void
assert_bad_list(const char *names, const char *needle)
{
    struct ovsdb_remote_list list = {(void *)1, 42};
    struct ovsdb_error *error = NULL;
    int rc = ovsdb_remote_list_parse(names, &list, &error);
    if (rc != -EINVAL || !error || !strstr(error->msg, needle)) {
        print_error("list '%s': rc %d, message '%s', expected '%s'\n", names,
                    rc, error ? error->msg : "(none)", needle);
        ovsdb_error_free(error);
        fail();
    }
    assert_ptr_equal(list.remotes, (void *)1);
    assert_int_equal(list.n, 42);
    ovsdb_error_free(error);
}

static void
test_bad_lists(void **state)
{
    assert_bad_list("", "empty");
    assert_bad_list("   ", "empty");
    assert_bad_list("unix:/a,", "has an empty member");
    assert_bad_list(",unix:/a", "has an empty member");
    assert_bad_list("unix:/a, ,unix:/b", "has an empty member");
    /* The bad member is named, after good ones were parsed (and freed:
     * the leak checker sees it). */
    assert_bad_list("unix:/a, tcp:127.0.0.1:1, tcp:1.2.3.4",
                    "tcp:1.2.3.4: missing port");
    assert_bad_list("unix:/a,foo:x", "unknown remote type 'foo:'");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unix),        cmocka_unit_test(test_tcp_ssl),
        cmocka_unit_test(test_bad_remotes), cmocka_unit_test(test_list),
        cmocka_unit_test(test_bad_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
