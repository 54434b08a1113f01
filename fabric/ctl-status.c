/* ctl-status: fabricctl status — what every host and guest reports.
 *
 * A host is "up" when its agent's heartbeat is younger than
 * STATUS_HOST_TIMEOUT_MS, "down" when older, and "unknown" when no agent
 * ever reported.  Times compare the agent's wall clock with ours: hosts of
 * one lab are expected to keep time (NTP), as OVN's do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ctl.h"
#include "datum.h"
#include "dbmodel.h"
#include "print.h"
#include "replica.h"

#define STATUS_HOST_TIMEOUT_MS 10000

static long long
wall_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static const char *
row_string(const struct replica_row *row, const char *column)
{
    const json_t *v = replica_row_get(row, column);
    if (json_is_array(v)) {
        /* An optional string: ["set", []] or ["set", ["x"]].  The
         * elements stay alive in 'v' after 'elems' is gone. */
        json_t *elems = ovsdb_set_elements(v);
        const char *s = json_string_value(json_array_get(elems, 0));
        json_decref(elems);
        return s;
    }
    return json_string_value(v);
}

static long long
row_int(const struct replica_row *row, const char *column)
{
    return json_integer_value(replica_row_get(row, column));
}

/* Name of the Host row that 'ref' (a uuid datum) points to. */
static const char *
host_name(const struct replica *replica, const json_t *ref)
{
    json_t *elems = ovsdb_set_elements(ref);
    const char *uuid = ovsdb_atom_uuid(json_array_get(elems, 0));
    const struct replica_row *host =
        uuid ? replica_get(replica, "Host", uuid) : NULL;
    json_decref(elems);
    return host ? row_string(host, "name") : NULL;
}

static int
compare_by_name(const void *a_, const void *b_)
{
    const struct replica_row *const *a = a_, *const *b = b_;
    const char *na = json_string_value(replica_row_get(*a, "name"));
    const char *nb = json_string_value(replica_row_get(*b, "name"));
    return strcmp(na ? na : "", nb ? nb : "");
}

/* The rows of 'table' sorted by name (a new array of borrowed rows). */
static const struct replica_row **
sorted_rows(const struct replica *replica, const char *table, size_t *np)
{
    size_t n = replica_count(replica, table), i = 0, iter = 0;
    const struct replica_row **rows = calloc(n ? n : 1, sizeof *rows);
    const struct replica_row *row;
    while (i < n && (row = replica_next(replica, table, &iter))) {
        rows[i++] = row;
    }
    qsort(rows, i, sizeof *rows, compare_by_name);
    *np = i;
    return rows;
}

static void
print_hosts(const struct replica *replica, long long generation)
{
    long long now = wall_ms();
    print_open_list("hosts");
    size_t n;
    const struct replica_row **rows = sorted_rows(replica, "Host", &n);
    if (!print_is_json()) {
        printf("%-12s %-8s %-10s %-8s %s\n", "HOST", "STATE", "APPLIED",
               "DATAPATH", "TUNNELS");
    }
    for (size_t r = 0; r < n; r++) {
        const struct replica_row *row = rows[r];
        long long beat = row_int(row, "heartbeat");
        const char *state = !beat                                 ? "unknown"
                            : now - beat < STATUS_HOST_TIMEOUT_MS ? "up"
                                                                  : "down";
        char applied[32];
        snprintf(applied, sizeof applied, "%lld/%lld",
                 row_int(row, "applied_generation"), generation);
        print_open_object(NULL);
        print_string("name", "%-12s ", row_string(row, "name"));
        print_string("state", "%-8s ", state);
        print_int("applied_generation", NULL,
                  row_int(row, "applied_generation"));
        print_text("%-10s ", applied);
        print_int("heartbeat_age_ms", NULL, beat ? now - beat : -1);
        print_string("datapath", "%-8s ", row_string(row, "datapath_type"));
        const json_t *tunnels = replica_row_get(row, "tunnel_status");
        json_t *pairs = json_array_get(tunnels, 1);
        print_open_object("tunnels");
        size_t i;
        json_t *pair;
        json_array_foreach(pairs, i, pair)
        {
            const char *k = json_string_value(json_array_get(pair, 0));
            const char *v = json_string_value(json_array_get(pair, 1));
            print_string(k, NULL, v);
            print_text("%s%s=%s", i ? "," : "", k, v);
        }
        print_close();
        const char *error = row_string(row, "error");
        if (error && error[0]) {
            print_string("error", "  error: %s", error);
        }
        print_nl();
        print_close();
    }
    print_close();
    free(rows);
}

/* The state of a guest or router row: as its agent wrote it, with the
 * reason libvirt gives for a VM ("shut off (destroyed)"); "pending" until
 * an agent wrote one. */
static void
print_state(const struct replica_row *row)
{
    const char *state = row_string(row, "state");
    const char *reason = row_string(row, "state_reason");
    const char *kind = row_string(row, "kind");
    bool vm = kind && !strcmp(kind, "vm");
    if (print_is_json()) {
        print_string("state", NULL, state && state[0] ? state : "pending");
        print_string("reason", NULL, reason ? reason : "");
        return;
    }
    char text[64];
    snprintf(text, sizeof text, "%s%s%s%s",
             state && state[0] ? state : "pending",
             vm && reason && reason[0] ? " (" : "",
             vm && reason && reason[0] ? reason : "",
             vm && reason && reason[0] ? ")" : "");
    print_string("state", "%-22s ", text);
}

/* Routers of kind vm: their VMs' states and addresses. */
static void
print_router_vms(const struct replica *replica)
{
    size_t n;
    const struct replica_row **rows = sorted_rows(replica, "Router", &n);
    bool any = false;
    for (size_t r = 0; r < n; r++) {
        const char *kind = row_string(rows[r], "kind");
        any |= kind && !strcmp(kind, "vm");
    }
    if (!any) {
        free(rows);
        return;
    }
    print_open_list("router_vms");
    if (!print_is_json()) {
        printf("\n%-12s %-6s %-12s %-22s %s\n", "ROUTER", "KIND", "HOST",
               "STATE", "ADDRESSES");
    }
    for (size_t r = 0; r < n; r++) {
        const struct replica_row *row = rows[r];
        const char *kind = row_string(row, "kind");
        if (!kind || strcmp(kind, "vm")) {
            continue;
        }
        print_open_object(NULL);
        print_string("name", "%-12s ", row_string(row, "name"));
        print_string("kind", "%-6s ", kind);
        print_string("host", "%-12s ",
                     host_name(replica, replica_row_get(row, "host")));
        print_state(row);
        print_open_list("addresses");
        json_t *ports = ovsdb_set_elements(replica_row_get(row, "ports"));
        size_t i;
        json_t *ref;
        json_array_foreach(ports, i, ref)
        {
            const char *uuid = ovsdb_atom_uuid(ref);
            const struct replica_row *port =
                uuid ? replica_get(replica, "Router_Port", uuid) : NULL;
            if (port) {
                print_string(NULL, "%s ", row_string(port, "ip"));
            }
        }
        json_decref(ports);
        print_close();
        print_nl();
        print_close();
    }
    print_close();
    free(rows);
}

static void
print_guests(const struct replica *replica)
{
    print_open_list("guests");
    if (!print_is_json()) {
        printf("\n%-12s %-6s %-12s %-22s %s\n", "GUEST", "KIND", "HOST",
               "STATE", "ADDRESSES");
    }
    size_t n;
    const struct replica_row **rows = sorted_rows(replica, "Guest", &n);
    for (size_t r = 0; r < n; r++) {
        const struct replica_row *row = rows[r];
        print_open_object(NULL);
        print_string("name", "%-12s ", row_string(row, "name"));
        print_string("kind", "%-6s ", row_string(row, "kind"));
        print_string("host", "%-12s ",
                     host_name(replica, replica_row_get(row, "host")));
        print_state(row);
        print_open_list("addresses");
        json_t *ifaces =
            ovsdb_set_elements(replica_row_get(row, "interfaces"));
        size_t i;
        json_t *ref;
        json_array_foreach(ifaces, i, ref)
        {
            const char *uuid = ovsdb_atom_uuid(ref);
            const struct replica_row *iface =
                uuid ? replica_get(replica, "Guest_Interface", uuid) : NULL;
            if (!iface) {
                continue;
            }
            json_t *addrs =
                ovsdb_set_elements(replica_row_get(iface, "addresses"));
            size_t j;
            json_t *a;
            json_array_foreach(addrs, j, a)
            {
                print_string(NULL, "%s ", json_string_value(a));
            }
            json_decref(addrs);
        }
        print_close();
        const char *kind = row_string(row, "kind");
        if (kind && !strcmp(kind, "port")) {
            /* What the program that plugs the ports sets. */
            print_open_list("iface_ids");
            json_array_foreach(ifaces, i, ref)
            {
                const char *uuid = ovsdb_atom_uuid(ref);
                const struct replica_row *iface =
                    uuid ? replica_get(replica, "Guest_Interface", uuid)
                         : NULL;
                const char *id = iface ? row_string(iface, "iface_id") : NULL;
                if (iface) {
                    print_string(NULL, "iface-id=%s ",
                                 id && id[0] ? id : uuid);
                }
            }
            print_close();
        }
        json_decref(ifaces);
        print_nl();
        print_close();
    }
    print_close();
    free(rows);
}

/* status */
static int
cmd_status(struct ctl *ctl, int argc, char *argv[])
{
    if (argc != 1) {
        ctl_error("usage: fabricctl status");
        return 1;
    }
    if (ctl_connect(ctl)) {
        return 1;
    }
    const struct replica *replica = ctl_replica(ctl);
    long long generation = dbmodel_generation(replica);
    print_begin(ctl->json, stdout);
    print_int("generation", NULL, generation);
    print_hosts(replica, generation);
    print_guests(replica);
    print_router_vms(replica);
    print_end();
    return 0;
}

const struct ctl_command ctl_status_commands[] = {
    {"status", "", "hosts and guests as their agents report them", cmd_status},
    {NULL, NULL, NULL, NULL},
};
