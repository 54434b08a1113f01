/* Unit tests of controllers/cloudinit.h: the three seed texts of a few
 * VMs compared to golden files (tests/golden/cloudinit-*.txt; set
 * FABRIC_REGEN_GOLDEN=1 to rewrite them), the texts read back by PyYAML
 * and Python's email parser (what cloud-init itself uses) when python3
 * has them, and a real seed ISO built with xorriso in a temporary
 * directory. */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cloudinit.h"
#include "golden.h"
#include "ovsdb-error.h"
#include "sandbox.h"
#include "vm-spec.h"

/* Building specs. */

static struct vm_spec *
spec_new(const char *guest, bool router)
{
    struct vm_spec *s = calloc(1, sizeof *s);
    s->domain = strdup(guest);
    s->lab = strdup("lab1");
    s->guest = strdup(guest);
    s->hostname = strdup(guest);
    s->router = router;
    return s;
}

static struct vm_nic *
add_nic(struct vm_spec *s, const char *name, const char *mac, int mtu,
        const char *gateway)
{
    s->nics = realloc(s->nics, (s->n_nics + 1) * sizeof *s->nics);
    struct vm_nic *n = &s->nics[s->n_nics++];
    *n = (struct vm_nic){
        .name = strdup(name),
        .mac = strdup(mac),
        .mtu = mtu,
        .gateway = gateway ? strdup(gateway) : NULL,
    };
    return n;
}

static void
add_address(struct vm_nic *n, const char *address)
{
    n->addresses =
        realloc(n->addresses, (n->n_addresses + 1) * sizeof *n->addresses);
    n->addresses[n->n_addresses++] = strdup(address);
}

static void
add_route(struct vm_nic *n, const char *to, const char *via)
{
    n->routes = realloc(n->routes, (n->n_routes + 1) * sizeof *n->routes);
    n->routes[n->n_routes++] = (struct vm_route){
        .to = strdup(to),
        .via = via ? strdup(via) : NULL,
    };
}

static void
add_key(struct vm_spec *s, const char *key)
{
    s->ssh_keys =
        realloc(s->ssh_keys, (s->n_ssh_keys + 1) * sizeof *s->ssh_keys);
    s->ssh_keys[s->n_ssh_keys++] = strdup(key);
}

/* The usual guest: eth0 with an address, a gateway and an MTU. */
static struct vm_spec *
one_nic_guest(void)
{
    struct vm_spec *s = spec_new("web", false);
    struct vm_nic *n =
        add_nic(s, "eth0", "52:54:00:12:34:56", 1442, "172.16.0.254");
    add_address(n, "172.16.0.1/24");
    return s;
}

static struct vm_spec *
router_vm(const char *user_data)
{
    struct vm_spec *s = spec_new("r1", true);
    struct vm_nic *n = add_nic(s, "eth0", "52:54:00:00:01:01", 1442, NULL);
    add_address(n, "172.16.0.254/24");
    n = add_nic(s, "eth1", "52:54:00:00:01:02", 1442, "10.1.0.1");
    add_address(n, "10.1.0.2/30");
    s->user_data = user_data ? strdup(user_data) : NULL;
    return s;
}

/* Returns the three texts of 's' as one text with headings. */
static char *
all_texts(const struct vm_spec *s)
{
    char *meta = cloudinit_meta_data(s);
    char *network = cloudinit_network_config(s);
    char *user = cloudinit_user_data(s);
    char *all;
    assert_true(asprintf(&all,
                         "### meta-data\n%s### network-config\n%s"
                         "### user-data\n%s",
                         meta, network, user) > 0);
    free(meta);
    free(network);
    free(user);
    return all;
}

static void
check_spec_golden(const struct vm_spec *s, const char *name)
{
    char *all = all_texts(s);
    golden_check(name, all);
    free(all);
}

/* Python's view of the texts. */

/* Runs python3 with 'script' on 'text' (given in a file) and returns what
 * it prints, as JSON (new reference).  Skips the test when python3 or a
 * module the script imports is missing. */
static json_t *
python_reads(const char *script, const char *text)
{
    char *dir = sbx_mkdtemp("cloudinit-py");
    assert_non_null(dir);
    char *path = sbx_path(dir, "input");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);

    char *output = NULL;
    int status = sbx_runl(&output, "python3", "-c",
                          "import sys\n"
                          "try:\n"
                          "    import yaml, email, json\n"
                          "except ImportError:\n"
                          "    sys.exit(77)\n",
                          NULL);
    if (status != 0) {
        free(output);
        sbx_rmtree(dir);
        free(dir);
        free(path);
        skip();
    }
    free(output);
    assert_int_equal(sbx_runl(&output, "python3", "-c", script, path, NULL),
                     0);
    json_error_t jerr;
    json_t *json = json_loads(output, 0, &jerr);
    if (!json) {
        fail_msg("python3 printed no JSON: %s", output);
    }
    free(output);
    sbx_rmtree(dir);
    free(dir);
    free(path);
    return json;
}

#define YAML_SCRIPT                                                           \
    "import sys, yaml, json\n"                                                \
    "print(json.dumps(yaml.safe_load(open(sys.argv[1]).read()), "             \
    "default=str))\n"

/* Reads a MIME message as cloud-init does and prints its parts. */
#define MIME_SCRIPT                                                           \
    "import sys, email, json\n"                                               \
    "msg = email.message_from_string(open(sys.argv[1]).read())\n"             \
    "parts = []\n"                                                            \
    "for p in msg.walk():\n"                                                  \
    "    if p.is_multipart():\n"                                              \
    "        continue\n"                                                      \
    "    parts.append({'type': p.get_content_type(),\n"                       \
    "                  'merge': p.get('Merge-Type'),\n"                       \
    "                  'payload': p.get_payload(decode=True)"                 \
    ".decode('utf-8')})\n"                                                    \
    "print(json.dumps({'multipart': msg.is_multipart(), 'parts': parts}))\n"

static json_t *
yaml_reads(const char *text)
{
    return python_reads(YAML_SCRIPT, text);
}

/* Golden tests. */

static void
test_one_nic(void **state)
{
    struct vm_spec *s = one_nic_guest();
    check_spec_golden(s, "cloudinit-one-nic.txt");
    vm_spec_free(s);
}

/* A NIC on a network with DHCP asks for everything. */
static void
test_dhcp_nic(void **state)
{
    struct vm_spec *s = spec_new("web", false);
    struct vm_nic *n =
        add_nic(s, "eth0", "52:54:00:00:00:01", 1442, "172.16.0.254");
    add_address(n, "172.16.0.2/24");
    add_route(n, "10.0.0.0/8", "172.16.0.253");
    n->dhcp = true;
    n = add_nic(s, "eth1", "52:54:00:00:00:02", 0, NULL);
    add_address(n, "192.168.7.1/24");
    char *network = cloudinit_network_config(s);
    assert_non_null(strstr(network, "  eth0:\n"
                                    "    match:\n"
                                    "      macaddress: \"52:54:00:00:00:01\"\n"
                                    "    set-name: eth0\n"
                                    "    dhcp4: true\n"
                                    "  eth1:\n"));
    assert_null(strstr(network, "172.16.0"));
    assert_null(strstr(network, "mtu"));
    assert_non_null(strstr(network, "192.168.7.1/24"));
    free(network);
    vm_spec_free(s);
}

static void
test_two_nics_routes(void **state)
{
    struct vm_spec *s = spec_new("db", false);
    struct vm_nic *n =
        add_nic(s, "eth0", "52:54:00:00:00:01", 1442, "172.16.0.254");
    add_address(n, "172.16.0.2/24");
    add_route(n, "10.0.0.0/8", "172.16.0.253");
    n = add_nic(s, "eth1", "52:54:00:00:00:02", 0, NULL);
    add_address(n, "192.168.7.1/24");
    add_address(n, "fd00:0:0:1::1/64");
    add_route(n, "192.168.8.0/24", "192.168.7.254");
    add_route(n, "fd00:99::/48", "fd00:0:0:1::fe");
    add_route(n, "192.168.9.0/24", NULL);
    check_spec_golden(s, "cloudinit-two-nics.txt");

    /* The routes of eth1 follow its addresses; eth1 has no mtu. */
    char *network = cloudinit_network_config(s);
    json_t *j = yaml_reads(network);
    json_t *eth1 = json_object_get(json_object_get(j, "ethernets"), "eth1");
    assert_null(json_object_get(eth1, "mtu"));
    json_t *routes = json_object_get(eth1, "routes");
    assert_int_equal(json_array_size(routes), 3);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(routes, 1), "via")),
        "fd00:0:0:1::fe");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(routes, 2), "scope")),
        "link");
    json_t *eth0 = json_object_get(json_object_get(j, "ethernets"), "eth0");
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(eth0, "routes"), 0), "to")),
        "0.0.0.0/0");
    json_decref(j);
    free(network);
    vm_spec_free(s);
}

static void
test_router_generated(void **state)
{
    struct vm_spec *s = router_vm(NULL);
    check_spec_golden(s, "cloudinit-router.txt");

    char *user = cloudinit_user_data(s);
    json_t *j = yaml_reads(user);
    assert_string_equal(json_string_value(json_object_get(j, "hostname")),
                        "r1");
    json_t *file = json_array_get(json_object_get(j, "write_files"), 0);
    assert_string_equal(json_string_value(json_object_get(file, "content")),
                        "net.ipv4.ip_forward=1\n");
    json_t *cmd = json_array_get(json_object_get(j, "runcmd"), 0);
    assert_string_equal(json_string_value(json_array_get(cmd, 2)),
                        "net.ipv4.ip_forward=1");
    json_decref(j);
    free(user);
    vm_spec_free(s);
}

#define TOPOLOGY_CONFIG                                                       \
    "#cloud-config\n"                                                         \
    "packages: [frr]\n"                                                       \
    "runcmd:\n"                                                               \
    "  - [systemctl, restart, frr]\n"

static void
test_router_multipart(void **state)
{
    struct vm_spec *s = router_vm(TOPOLOGY_CONFIG);
    check_spec_golden(s, "cloudinit-router-multipart.txt");

    char *user = cloudinit_user_data(s);
    json_t *j = python_reads(MIME_SCRIPT, user);
    assert_true(json_is_true(json_object_get(j, "multipart")));
    json_t *parts = json_object_get(j, "parts");
    assert_int_equal(json_array_size(parts), 2);
    json_t *ours = json_array_get(parts, 0),
           *theirs = json_array_get(parts, 1);
    assert_string_equal(json_string_value(json_object_get(ours, "type")),
                        "text/cloud-config");
    assert_non_null(strstr(json_string_value(json_object_get(ours, "payload")),
                           "  - [sysctl, -w, net.ipv4.ip_forward=1]\n"));
    assert_string_equal(json_string_value(json_object_get(theirs, "type")),
                        "text/cloud-config");
    assert_string_equal(json_string_value(json_object_get(theirs, "merge")),
                        "list(append)+dict(recurse_array)+str()");
    /* The topology's text comes back byte for byte. */
    assert_string_equal(json_string_value(json_object_get(theirs, "payload")),
                        TOPOLOGY_CONFIG);
    json_decref(j);
    free(user);
    vm_spec_free(s);
}

static void
test_router_multipart_utf8_script(void **state)
{
    /* Not ASCII, no final newline, and it holds the usual boundary. */
    static const char script[] = "#!/bin/sh\n"
                                 "echo 'h\xc3\xa9 ==fabric-cidata-boundary=="
                                 "' > /etc/motd";
    struct vm_spec *s = router_vm(script);
    char *user = cloudinit_user_data(s);
    assert_non_null(strstr(user, "Content-Transfer-Encoding: base64\n"));
    json_t *j = python_reads(MIME_SCRIPT, user);
    json_t *parts = json_object_get(j, "parts");
    assert_int_equal(json_array_size(parts), 2);
    json_t *theirs = json_array_get(parts, 1);
    assert_string_equal(json_string_value(json_object_get(theirs, "type")),
                        "text/plain");
    assert_null(json_string_value(json_object_get(theirs, "merge")));
    assert_string_equal(json_string_value(json_object_get(theirs, "payload")),
                        script);
    json_decref(j);
    free(user);
    vm_spec_free(s);
}

static void
test_user_data_verbatim(void **state)
{
    struct vm_spec *s = one_nic_guest();
    s->user_data = strdup("#!/bin/sh\necho hello\n");
    add_key(s, "ssh-ed25519 AAAAC3Nza test@lab");
    char *user = cloudinit_user_data(s);
    assert_string_equal(user, s->user_data);
    free(user);
    vm_spec_free(s);
}

static void
test_ssh_keys(void **state)
{
    struct vm_spec *s = one_nic_guest();
    add_key(s, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3fabric alice@lab");
    add_key(s, "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob");
    check_spec_golden(s, "cloudinit-ssh-keys.txt");

    char *user = cloudinit_user_data(s);
    json_t *j = yaml_reads(user);
    json_t *keys = json_object_get(j, "ssh_authorized_keys");
    assert_int_equal(json_array_size(keys), 2);
    assert_string_equal(json_string_value(json_array_get(keys, 1)),
                        s->ssh_keys[1]);
    assert_true(json_is_true(json_object_get(j, "manage_etc_hosts")));
    assert_true(json_is_false(json_object_get(j, "preserve_hostname")));
    json_decref(j);
    free(user);
    vm_spec_free(s);
}

static void
test_hostile_values(void **state)
{
    struct vm_spec *s = one_nic_guest();
    free(s->hostname);
    s->hostname = strdup("web: 1 # \"x\"\\y\n- z");
    free(s->lab);
    s->lab = strdup("no");
    add_key(s, "ssh-ed25519 AAAA \"quoted\" #not-a-comment\ttab");
    add_key(s, "true");
    add_key(s, "1.5");
    add_key(s, "2024-01-01");
    add_key(s, "0x1F");
    add_key(s, "a:");
    check_spec_golden(s, "cloudinit-hostile.txt");

    char *user = cloudinit_user_data(s);
    json_t *j = yaml_reads(user);
    assert_string_equal(json_string_value(json_object_get(j, "hostname")),
                        s->hostname);
    json_t *keys = json_object_get(j, "ssh_authorized_keys");
    assert_int_equal(json_array_size(keys), s->n_ssh_keys);
    for (size_t i = 0; i < s->n_ssh_keys; i++) {
        assert_string_equal(json_string_value(json_array_get(keys, i)),
                            s->ssh_keys[i]);
    }
    json_decref(j);
    free(user);

    char *meta = cloudinit_meta_data(s);
    j = yaml_reads(meta);
    assert_string_equal(
        json_string_value(json_object_get(j, "local-hostname")), s->hostname);
    assert_int_equal(
        strncmp(json_string_value(json_object_get(j, "instance-id")),
                "no-web-", 7),
        0);
    json_decref(j);
    free(meta);
    vm_spec_free(s);
}

/* FNV-1a 32 of 'a' then 'b', written independently of the module. */
static uint32_t
fnv(const char *a, const char *b)
{
    uint32_t h = 0x811c9dc5;
    const char *texts[] = {a, b};
    for (int i = 0; i < 2; i++) {
        for (const char *p = texts[i]; *p; p++) {
            h = (h ^ (unsigned char)*p) * 0x01000193;
        }
    }
    return h;
}

static void
test_instance_id(void **state)
{
    struct vm_spec *s = one_nic_guest();
    char *network = cloudinit_network_config(s);
    char *user = cloudinit_user_data(s);
    char *expected;
    assert_true(asprintf(&expected,
                         "instance-id: lab1-web-%08x\n"
                         "local-hostname: web\n",
                         fnv(network, user)) > 0);
    char *meta = cloudinit_meta_data(s);
    assert_string_equal(meta, expected);
    free(network);
    free(user);
    free(expected);

    /* Another address or other user-data: another instance. */
    free(s->nics[0].addresses[0]);
    s->nics[0].addresses[0] = strdup("172.16.0.9/24");
    char *meta2 = cloudinit_meta_data(s);
    assert_string_not_equal(meta, meta2);
    s->user_data = strdup("#cloud-config\n");
    char *meta3 = cloudinit_meta_data(s);
    assert_string_not_equal(meta2, meta3);
    free(meta);
    free(meta2);
    free(meta3);
    vm_spec_free(s);
}

/* The seed ISO. */

static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fail_msg("Cannot open %s.", path);
    }
    char *text = NULL;
    size_t cap = 0;
    assert_true(getdelim(&text, &cap, '\0', f) >= 0);
    fclose(f);
    return text;
}

/* Checks that ISO 'iso' has volume id "cidata" and holds the three texts
 * of 's', extracting them under 'dir'/'tag'. */
static void
check_iso(const char *iso, const struct vm_spec *s, const char *dir,
          const char *tag)
{
    /* The volume identifier: 32 bytes at offset 40 of the primary volume
     * descriptor, which is at sector 16. */
    FILE *f = fopen(iso, "rb");
    assert_non_null(f);
    char pvd[2048];
    assert_int_equal(fseek(f, 16 * 2048, SEEK_SET), 0);
    assert_int_equal(fread(pvd, 1, sizeof pvd, f), sizeof pvd);
    fclose(f);
    assert_int_equal(pvd[0], 1);
    assert_memory_equal(pvd + 1, "CD001", 5);
    assert_memory_equal(pvd + 40, "cidata                          ", 32);

    char *out = sbx_path(dir, tag);
    char *output = NULL;
    int status = sbx_runl(&output, "xorriso", "-osirrox", "on", "-indev", iso,
                          "-extract", "/", out, NULL);
    if (status) {
        fail_msg("xorriso failed: %s", output);
    }
    free(output);

    struct {
        const char *name;
        char *(*text)(const struct vm_spec *);
    } files[] = {
        {"meta-data", cloudinit_meta_data},
        {"user-data", cloudinit_user_data},
        {"network-config", cloudinit_network_config},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char *path = sbx_path(out, files[i].name);
        char *actual = read_file(path);
        char *expected = files[i].text(s);
        assert_string_equal(actual, expected);
        free(actual);
        free(expected);
        free(path);
    }
    free(out);
}

static void
stat_ok(const char *path, struct stat *st)
{
    if (stat(path, st) < 0) {
        fail_msg("Cannot stat %s: %s", path, strerror(errno));
    }
}

static void
test_write_seed(void **state)
{
    char *dir = sbx_mkdtemp("cloudinit");
    assert_non_null(dir);
    struct vm_spec *s = one_nic_guest();
    add_key(s, "ssh-ed25519 AAAA test@lab");
    char *seed_dir = sbx_path(dir, "vm/seed");
    s->seed = sbx_path(dir, "vm/seed.iso");

    struct ovsdb_error *error = NULL;
    assert_int_equal(cloudinit_write_seed(s, seed_dir, &error), 1);
    assert_null(error);
    check_iso(s->seed, s, dir, "x1");
    struct stat st;
    stat_ok(seed_dir, &st);
    assert_int_equal(st.st_mode & 07777, 0755);

    /* The same spec: nothing is written again. */
    struct stat iso1, meta1, iso2, meta2;
    char *meta = sbx_path(seed_dir, "meta-data");
    stat_ok(s->seed, &iso1);
    stat_ok(meta, &meta1);
    assert_int_equal(cloudinit_write_seed(s, seed_dir, &error), 0);
    stat_ok(s->seed, &iso2);
    stat_ok(meta, &meta2);
    assert_int_equal(iso1.st_ino, iso2.st_ino);
    assert_int_equal(iso1.st_mtim.tv_nsec, iso2.st_mtim.tv_nsec);
    assert_int_equal(iso1.st_mtim.tv_sec, iso2.st_mtim.tv_sec);
    assert_int_equal(meta1.st_ino, meta2.st_ino);

    /* A changed spec: a new ISO with the new texts. */
    s->nics[0].mtu = 1400;
    assert_int_equal(cloudinit_write_seed(s, seed_dir, &error), 1);
    check_iso(s->seed, s, dir, "x2");
    char *tmp = sbx_path(dir, "vm/seed.iso.tmp");
    assert_int_equal(access(tmp, F_OK), -1);

    /* A lost ISO is built again even though the files are the same. */
    assert_int_equal(unlink(s->seed), 0);
    assert_int_equal(cloudinit_write_seed(s, seed_dir, &error), 1);
    check_iso(s->seed, s, dir, "x3");

    /* Removal, twice. */
    assert_int_equal(cloudinit_remove_seed(s, seed_dir, &error), 0);
    assert_int_equal(access(s->seed, F_OK), -1);
    assert_int_equal(access(meta, F_OK), -1);
    assert_int_equal(cloudinit_remove_seed(s, seed_dir, &error), 0);
    assert_null(error);

    free(tmp);
    free(meta);
    free(seed_dir);
    vm_spec_free(s);
    sbx_rmtree(dir);
    free(dir);
}

static void
test_write_seed_errors(void **state)
{
    char *dir = sbx_mkdtemp("cloudinit");
    assert_non_null(dir);
    struct vm_spec *s = one_nic_guest();
    struct ovsdb_error *error = NULL;

    /* No seed path. */
    assert_int_equal(cloudinit_write_seed(s, dir, &error), -EINVAL);
    assert_string_equal(error->msg, "Cannot write the cloud-init seed of VM "
                                    "web: It has no seed path.");
    ovsdb_error_free(error);
    error = NULL;

    /* The seed directory cannot be made: a file is in the way. */
    char *file = sbx_path(dir, "file");
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    char *seed_dir = sbx_path(file, "seed");
    s->seed = sbx_path(dir, "seed.iso");
    assert_int_equal(cloudinit_write_seed(s, seed_dir, &error), -ENOTDIR);
    assert_non_null(strstr(error->msg, file));
    assert_int_equal(access(s->seed, F_OK), -1);
    ovsdb_error_free(error);

    free(seed_dir);
    free(file);
    vm_spec_free(s);
    sbx_rmtree(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_nic),
        cmocka_unit_test(test_two_nics_routes),
        cmocka_unit_test(test_dhcp_nic),
        cmocka_unit_test(test_router_generated),
        cmocka_unit_test(test_router_multipart),
        cmocka_unit_test(test_router_multipart_utf8_script),
        cmocka_unit_test(test_user_data_verbatim),
        cmocka_unit_test(test_ssh_keys),
        cmocka_unit_test(test_hostile_values),
        cmocka_unit_test(test_instance_id),
        cmocka_unit_test(test_write_seed),
        cmocka_unit_test(test_write_seed_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
