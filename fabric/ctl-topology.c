/* ctl-topology: fabricctl topology plan|apply|destroy|show|export.
 *
 * Rules of these commands:
 * - A topology file is validated completely before anything else; any
 *   error is printed (all of them, FILE:LINE:COLUMN: ...) and nothing is
 *   written to the fabric DB.
 * - apply and destroy write in one transaction that waits on the
 *   generation they read and bumps it (dbmodel_build_apply()); when
 *   another apply got there first the transaction fails as a whole and
 *   the command says so.
 * - --wait waits for every host of the lab to report the new generation
 *   as applied, and names those that did not.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "ctl.h"
#include "dbmodel.h"
#include "model.h"
#include "ovsdb-error.h"
#include "plan.h"
#include "print.h"
#include "replica.h"
#include "topology.h"
#include "txn.h"

#define DEFAULT_WAIT_S 60

/* Loads 'path'; prints every error and returns NULL if it is invalid. */
static struct fabric_model *
load_topology(const char *path)
{
    struct fabric_model *model = NULL;
    struct topology_errors errors = {0};
    if (topology_load_file(path, &model, &errors) < 0) {
        for (size_t i = 0; i < errors.n; i++) {
            fprintf(stderr, "%s\n", errors.lines[i]);
        }
        ctl_error("%s: %zu error%s; nothing was changed", path, errors.n,
                  errors.n == 1 ? "" : "s");
        topology_errors_clear(&errors);
        return NULL;
    }
    return model;
}

static struct fabric_model *
read_current(struct ctl *ctl)
{
    struct fabric_model *current = NULL;
    struct ovsdb_error *error = NULL;
    if (dbmodel_read(ctl_replica(ctl), &current, &error) < 0) {
        ctl_error("the fabric DB holds an inconsistent lab: %s", error->msg);
        ovsdb_error_free(error);
        return NULL;
    }
    return current;
}

static void
print_plan(const struct fabric_plan *plan)
{
    if (print_is_json()) {
        print_json_value("changes", plan_to_json(plan));
    } else if (plan->n) {
        plan_print_text(plan, stdout);
    } else {
        printf("No changes: the fabric DB already holds this lab.\n");
    }
}

/* topology plan FILE */
static int
cmd_plan(struct ctl *ctl, int argc, char *argv[])
{
    if (argc != 2) {
        ctl_error("usage: fabricctl topology plan FILE");
        return 1;
    }
    struct fabric_model *desired = load_topology(argv[1]);
    if (!desired) {
        return 1;
    }
    int status = 1;
    struct fabric_model *current = NULL;
    if (ctl_connect(ctl) || !(current = read_current(ctl))) {
        goto out;
    }
    struct fabric_plan *plan = plan_compute(current, desired);
    print_begin(ctl->json, stdout);
    print_plan(plan);
    print_end();
    status = plan->n ? 2 : 0;
    plan_destroy(plan);
out:
    fabric_model_destroy(current);
    fabric_model_destroy(desired);
    return status;
}

/* Waiting for hosts to report a generation. */

struct host_wait {
    const struct replica *replica;
    long long generation;
    const struct fabric_model *hosts_of; /* Hosts to wait for. */
};

/* Returns the applied generation that host 'name' reports, or -1 when no
 * agent has reported for it (no row, or a heartbeat of 0). */
static long long
host_applied(const struct replica *replica, const char *name)
{
    size_t iter = 0;
    const struct replica_row *row;
    while ((row = replica_next(replica, "Host", &iter))) {
        const char *n = json_string_value(replica_row_get(row, "name"));
        if (n && !strcmp(n, name)) {
            if (!json_integer_value(replica_row_get(row, "heartbeat"))) {
                return -1;
            }
            return json_integer_value(
                replica_row_get(row, "applied_generation"));
        }
    }
    return -1;
}

static bool
hosts_converged(void *hw_)
{
    struct host_wait *hw = hw_;
    for (size_t i = 0; i < hw->hosts_of->n_hosts; i++) {
        if (host_applied(hw->replica, hw->hosts_of->hosts[i].name) <
            hw->generation) {
            return false;
        }
    }
    return true;
}

/* Waits up to 'seconds' for every host of 'model' to apply 'generation';
 * returns 0, or 1 after naming the hosts that did not. */
static int
wait_hosts(struct ctl *ctl, const struct fabric_model *model,
           long long generation, int seconds)
{
    struct host_wait hw = {ctl_replica(ctl), generation, model};
    if (ctl_run_until(ctl, hosts_converged, &hw, seconds * 1000)) {
        return 0;
    }
    char names[1024] = "";
    for (size_t i = 0; i < model->n_hosts; i++) {
        long long applied = host_applied(hw.replica, model->hosts[i].name);
        if (applied < generation) {
            size_t len = strlen(names);
            snprintf(names + len, sizeof names - len, "%s%s (%s)",
                     len ? ", " : "", model->hosts[i].name,
                     applied < 0 ? "no agent has reported" : "still applying");
        }
    }
    ctl_error("after %d s these hosts had not applied generation %lld: %s",
              seconds, generation, names);
    return 1;
}

struct txn_outcome {
    bool done;
    int code;
    char msg[512];
};

static void
txn_done(void *o_, const json_t *result, const struct ovsdb_error *error)
{
    struct txn_outcome *o = o_;
    o->done = true;
    if (error) {
        o->code = error->code;
        snprintf(o->msg, sizeof o->msg, "%s", error->msg);
    }
}

static bool
txn_finished(void *o)
{
    return ((struct txn_outcome *)o)->done;
}

/* Writes 'desired' (NULL: destroy) in one transaction.  Returns 0 and the
 * new generation in '*generationp' (unchanged when nothing changed), or 1
 * after printing why not. */
static int
write_lab(struct ctl *ctl, const struct fabric_model *desired,
          long long *generationp)
{
    struct ovsdb_txn *txn = ovsdb_txn_create("Fabric");
    long long generation = dbmodel_generation(ctl_replica(ctl));
    int n = dbmodel_build_apply(ctl_replica(ctl), desired, txn, &generation);
    if (n <= 0) {
        ovsdb_txn_destroy(txn);
        if (n < 0) {
            ctl_error("cannot build the transaction: %s", strerror(-n));
            return 1;
        }
        *generationp = generation;
        return 0;
    }
    /* Only Fabric and Host matter from here on (--wait); without the
     * other tables the server need not echo every row just written. */
    for (const char *const *t = dbmodel_tables; *t; t++) {
        if (strcmp(*t, "Fabric") && strcmp(*t, "Host")) {
            ovsdb_client_unmonitor(ctl->client, *t);
        }
    }
    struct txn_outcome o = {0};
    if (ovsdb_client_transact(ctl->client, txn, txn_done, &o) < 0) {
        ctl_error("lost the connection to the fabric DB at %s before "
                  "writing; nothing was changed",
                  ctl->db);
        return 1;
    }
    if (!ctl_run_until(ctl, txn_finished, &o, ctl->timeout_ms * 4)) {
        ctl_error("the fabric DB at %s did not answer the transaction; "
                  "run 'fabricctl topology plan' to see whether it "
                  "was applied",
                  ctl->db);
        return 1;
    }
    if (o.code == -ETIMEDOUT) {
        ctl_error("another apply changed the lab while this one was being "
                  "prepared; nothing was written. Run the command again "
                  "to apply on top of it.");
        return 1;
    } else if (o.code) {
        ctl_error("the fabric DB refused the change: %s", o.msg);
        return 1;
    }
    *generationp = generation;
    return 0;
}

/* Parses "--wait" / "--wait=SECONDS" / "--dry-run" for apply and destroy;
 * returns the index of the first operand, or -1 on a usage error. */
static int
parse_apply_options(int argc, char *argv[], bool *dry_run, int *wait_s)
{
    static const struct option options[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"wait", optional_argument, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (!dry_run) {
                return -1;
            }
            *dry_run = true;
            break;
        case 'w':
            *wait_s = optarg ? atoi(optarg) : DEFAULT_WAIT_S;
            if (*wait_s <= 0) {
                return -1;
            }
            break;
        default:
            return -1;
        }
    }
    return optind;
}

/* topology apply FILE [--dry-run] [--wait[=SECONDS]] */
static int
cmd_apply(struct ctl *ctl, int argc, char *argv[])
{
    bool dry_run = false;
    int wait_s = 0;
    int first = parse_apply_options(argc, argv, &dry_run, &wait_s);
    if (first < 0 || argc - first != 1) {
        ctl_error("usage: fabricctl topology apply FILE [--dry-run] "
                  "[--wait[=SECONDS]]");
        return 1;
    }
    const char *path = argv[first];
    struct fabric_model *desired = load_topology(path);
    if (!desired) {
        return 1;
    }
    int status = 1;
    struct fabric_model *current = NULL;
    struct fabric_plan *plan = NULL;
    if (ctl_connect(ctl) || !(current = read_current(ctl))) {
        goto out;
    }
    plan = plan_compute(current, desired);
    print_begin(ctl->json, stdout);
    print_plan(plan);
    long long generation = dbmodel_generation(ctl_replica(ctl));
    if (!dry_run && write_lab(ctl, desired, &generation)) {
        print_end();
        goto out;
    }
    print_bool("dry_run", NULL, dry_run);
    print_int("generation", NULL, generation);
    if (!dry_run && plan->n) {
        print_text("Applied %zu change%s: generation %lld.\n", plan->n,
                   plan->n == 1 ? "" : "s", generation);
    }
    print_end();
    status = 0;
    if (!dry_run && wait_s) {
        status = wait_hosts(ctl, desired, generation, wait_s);
        if (!status && !ctl->json) {
            printf("Every host applied generation %lld.\n", generation);
        }
    }
out:
    plan_destroy(plan);
    fabric_model_destroy(current);
    fabric_model_destroy(desired);
    return status;
}

/* topology destroy [--wait[=SECONDS]] */
static int
cmd_destroy(struct ctl *ctl, int argc, char *argv[])
{
    int wait_s = 0;
    int first = parse_apply_options(argc, argv, NULL, &wait_s);
    if (first < 0 || argc != first) {
        ctl_error("usage: fabricctl topology destroy [--wait[=SECONDS]]");
        return 1;
    }
    int status = 1;
    struct fabric_model *current = NULL;
    struct fabric_plan *plan = NULL;
    if (ctl_connect(ctl) || !(current = read_current(ctl))) {
        goto out;
    }
    plan = plan_compute(current, NULL);
    print_begin(ctl->json, stdout);
    print_plan(plan);
    long long generation = 0;
    if (write_lab(ctl, NULL, &generation)) {
        print_end();
        goto out;
    }
    print_int("generation", NULL, generation);
    print_text("Destroyed lab '%s': generation %lld.\n", current->name,
               generation);
    print_end();
    status = wait_s ? wait_hosts(ctl, current, generation, wait_s) : 0;
out:
    plan_destroy(plan);
    fabric_model_destroy(current);
    return status;
}

/* topology show */
static int
cmd_show(struct ctl *ctl, int argc, char *argv[])
{
    struct fabric_model *m = NULL;
    if (ctl_connect(ctl) || !(m = read_current(ctl))) {
        return 1;
    }
    print_begin(ctl->json, stdout);
    print_string("name", "lab %s", m->name[0] ? m->name : "(none)");
    print_int("generation", ", generation %lld\n",
              dbmodel_generation(ctl_replica(ctl)));
    print_open_list("networks");
    for (size_t i = 0; i < m->n_networks; i++) {
        const struct fabric_network *n = &m->networks[i];
        print_open_object(NULL);
        print_string("name", "network %-14s", n->name);
        print_string("subnet", " %-18s", n->subnet);
        print_string("mode", " %-8s", fabric_net_mode_name(n->mode));
        print_int("vlan", " vlan %-4lld", n->vlan);
        print_int("vni", " vni %-8lld", n->vni);
        print_int("mtu", " mtu %lld", n->mtu);
        print_string("gateway", " gateway %s\n", n->gateway);
        print_close();
    }
    print_close();
    print_open_list("routers");
    for (size_t i = 0; i < m->n_routers; i++) {
        const struct fabric_router *r = &m->routers[i];
        print_open_object(NULL);
        print_string("name", "router  %-14s", r->name);
        print_string("kind", " %s", fabric_router_kind_name(r->kind));
        print_open_list("ports");
        for (size_t j = 0; j < r->n_ports; j++) {
            print_open_object(NULL);
            print_string("network", " %s",
                         m->networks[r->ports[j].network].name);
            print_string("ip", "=%s", r->ports[j].ip);
            print_string("mac", NULL, r->ports[j].mac);
            print_close();
        }
        print_close();
        print_nl();
        print_close();
    }
    print_close();
    print_open_list("guests");
    for (size_t i = 0; i < m->n_guests; i++) {
        const struct fabric_guest *g = &m->guests[i];
        print_open_object(NULL);
        print_string("name", "guest   %-14s", g->name);
        print_string("kind", " %-5s", fabric_guest_kind_name(g->kind));
        print_string("host", " on %s", m->hosts[g->host].name);
        print_open_list("interfaces");
        for (size_t j = 0; j < g->n_interfaces; j++) {
            const struct fabric_interface *f = &g->interfaces[j];
            print_open_object(NULL);
            print_string("name", " %s", f->name);
            print_string("network", "(%s", m->networks[f->network].name);
            print_string("mac", " %s", f->mac);
            print_open_list("addresses");
            for (size_t k = 0; k < f->n_addresses; k++) {
                print_string(NULL, " %s", f->addresses[k]);
            }
            print_close();
            print_text(")");
            print_close();
        }
        print_close();
        print_nl();
        print_close();
    }
    print_close();
    print_end();
    fabric_model_destroy(m);
    return 0;
}

/* topology export [-o FILE] */
static int
cmd_export(struct ctl *ctl, int argc, char *argv[])
{
    const char *out_path = NULL;
    if (argc == 3 && !strcmp(argv[1], "-o")) {
        out_path = argv[2];
    } else if (argc != 1) {
        ctl_error("usage: fabricctl topology export [-o FILE]");
        return 1;
    }
    struct fabric_model *m = NULL;
    if (ctl_connect(ctl) || !(m = read_current(ctl))) {
        return 1;
    }
    FILE *out = out_path ? fopen(out_path, "w") : stdout;
    if (!out) {
        ctl_error("%s: cannot write: %s", out_path, strerror(errno));
        fabric_model_destroy(m);
        return 1;
    }
    int error = topology_write_yaml(m, out);
    if (out_path && fclose(out)) {
        error = -errno;
    }
    fabric_model_destroy(m);
    if (error) {
        ctl_error("export failed: %s", strerror(-error));
        return 1;
    }
    return 0;
}

const struct ctl_command ctl_topology_commands[] = {
    {"topology plan", "FILE",
     "show what apply would change (exit 0: nothing, 2: something)", cmd_plan},
    {"topology apply", "FILE [--dry-run] [--wait[=SECONDS]]",
     "validate FILE and make it the lab's desired state", cmd_apply},
    {"topology destroy", "[--wait[=SECONDS]]",
     "remove the lab's desired state; agents remove what they made",
     cmd_destroy},
    {"topology show", "", "show the lab held in the fabric DB", cmd_show},
    {"topology export", "[-o FILE]",
     "write the lab in the fabric DB as a topology file", cmd_export},
    {NULL, NULL, NULL, NULL},
};
