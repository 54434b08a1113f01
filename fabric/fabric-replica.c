/* fabric-replica: replicates an OVSDB database with fabric's client and
 * reports what it holds.
 *
 *   fabric-replica [--watch] [--json] [TLS options] REMOTE DATABASE [TABLE...]
 *
 * Monitors every column of TABLEs (default: every table of the schema),
 * prints one line per table with its row count once the replica is in
 * step with the server, and exits; with --watch it goes on printing each
 * change as it arrives.  With --json it prints the replica's rows as one
 * JSON object instead of counts.  It is the smallest complete user of
 * ovsdb/client.h: scripts and benchmarks use it to see the library at
 * work against a real server.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "client.h"
#include "ovsdb-error.h"
#include "replica.h"
#include "schema.h"

struct app {
    struct event_base *base;
    struct ovsdb_client *client;
    bool watch;
    bool json;
    bool done;
    int n_tables;
    char **tables;
    int exit_code;
};

static void
log_stderr(void *aux, enum jsonrpc_log_level level, const char *msg)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (level >= JSONRPC_LOG_WARN || getenv("FABRIC_DEBUG")) {
        fprintf(stderr, "fabric-replica: %s: %s\n", names[level], msg);
    }
}

static void
print_change(void *aux, enum replica_change change,
             const struct replica_row *old, const struct replica_row *new)
{
    static const char *names[] = {"insert", "modify", "delete"};
    const struct replica_row *row = new ? new : old;
    char *text = json_dumps(row->columns, JSON_COMPACT | JSON_SORT_KEYS);
    printf("%s %s %s %s\n", names[change], row->table, row->uuid,
           change == REPLICA_DELETE ? "" : text);
    free(text);
    fflush(stdout);
}

static void
print_replica(struct app *app)
{
    const struct replica *replica = ovsdb_client_replica(app->client);
    json_t *all = json_object();
    for (int i = 0; i < app->n_tables; i++) {
        const char *table = app->tables[i];
        if (app->json) {
            json_t *rows = json_object();
            size_t iter = 0;
            const struct replica_row *row;
            while ((row = replica_next(replica, table, &iter))) {
                json_object_set(rows, row->uuid, row->columns);
            }
            json_object_set_new(all, table, rows);
        } else {
            printf("%-24s %zu rows\n", table, replica_count(replica, table));
        }
    }
    if (app->json) {
        json_dumpf(all, stdout, JSON_COMPACT | JSON_SORT_KEYS);
        putchar('\n');
    }
    json_decref(all);
    fflush(stdout);
}

static void
on_synced(void *app_)
{
    struct app *app = app_;
    if (app->done) {
        return;
    }
    app->done = true;
    print_replica(app);
    if (app->watch) {
        for (int i = 0; i < app->n_tables; i++) {
            ovsdb_client_on_change(app->client, app->tables[i],
                                   print_change, app);
        }
    } else {
        event_base_loopbreak(app->base);
    }
}

static void
usage(void)
{
    printf("usage: fabric-replica [--watch] [--json] [--private-key=FILE "
           "--certificate=FILE --ca-cert=FILE]\n"
           "                      REMOTE DATABASE [TABLE...]\n");
}

/* Reads the table names of 'db' from a schema fetched once, when the user
 * named none: the client must know what to monitor before it connects. */
static int
all_tables(struct event_base *base, const struct ovsdb_client_options *o,
           struct app *app)
{
    struct ovsdb_client *probe;
    struct ovsdb_error *error = NULL;
    if (ovsdb_client_create(base, o, NULL, &probe, &error) < 0) {
        fprintf(stderr, "fabric-replica: %s\n", error->msg);
        ovsdb_error_free(error);
        return -EINVAL;
    }
    /* A client with no monitored table syncs as soon as it has the
     * schema. */
    while (!ovsdb_client_schema(probe)) {
        if (event_base_loop(base, EVLOOP_ONCE) < 0) {
            break;
        }
    }
    const struct ovsdb_schema *schema = ovsdb_client_schema(probe);
    app->tables = calloc(schema->n_tables, sizeof *app->tables);
    for (size_t i = 0; i < schema->n_tables; i++) {
        app->tables[app->n_tables++] = strdup(schema->tables[i].name);
    }
    ovsdb_client_destroy(probe);
    return 0;
}

int
main(int argc, char *argv[])
{
    static const struct option long_options[] = {
        {"watch", no_argument, NULL, 'w'},
        {"json", no_argument, NULL, 'j'},
        {"private-key", required_argument, NULL, 'p'},
        {"certificate", required_argument, NULL, 'c'},
        {"ca-cert", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct app app = {.exit_code = 0};
    struct ovsdb_client_options options = {.log = log_stderr};
    int c;
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case 'w': app.watch = true; break;
        case 'j': app.json = true; break;
        case 'p': options.tls.private_key = optarg; break;
        case 'c': options.tls.certificate = optarg; break;
        case 'C': options.tls.ca_cert = optarg; break;
        case 'h': usage(); return 0;
        default: usage(); return 2;
        }
    }
    if (argc - optind < 2) {
        usage();
        return 2;
    }
    options.remotes = argv[optind];
    options.db = argv[optind + 1];
    app.base = event_base_new();

    if (argc - optind > 2) {
        app.n_tables = argc - optind - 2;
        app.tables = calloc(app.n_tables, sizeof *app.tables);
        for (int i = 0; i < app.n_tables; i++) {
            app.tables[i] = strdup(argv[optind + 2 + i]);
        }
    } else if (all_tables(app.base, &options, &app) < 0) {
        return 1;
    }

    struct ovsdb_client_callbacks cbs = {.synced = on_synced, .aux = &app};
    struct ovsdb_error *error = NULL;
    if (ovsdb_client_create(app.base, &options, &cbs, &app.client,
                            &error) < 0) {
        fprintf(stderr, "fabric-replica: %s\n", error->msg);
        ovsdb_error_free(error);
        return 1;
    }
    for (int i = 0; i < app.n_tables; i++) {
        ovsdb_client_monitor(app.client, app.tables[i], NULL);
    }
    event_base_dispatch(app.base);

    ovsdb_client_destroy(app.client);
    for (int i = 0; i < app.n_tables; i++) {
        free(app.tables[i]);
    }
    free(app.tables);
    event_base_free(app.base);
    return app.exit_code;
}
