/* underlay: see underlay.h for the rules of this module.
 *
 * One reconcile: load the state file; put back what a state file for
 * another device or bridge records; read the device, the bridge's
 * interface and the main routing table; compute the plan
 * (underlay-plan.c); write the state file when the plan says so, run the
 * commands in order, and remove the state file once everything is back.
 */
#include "underlay.h"
#include "underlay-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "ovs-bridge.h"
#include "ovsdb-error.h"

static underlay_reader_func *reader_func;
static void *reader_aux;

void
underlay_set_reader(underlay_reader_func *reader, void *aux)
{
    reader_func = reader;
    reader_aux = aux;
}

struct ovsb_bridge *
underlay_bridge(const struct underlay_config *cfg)
{
    struct ovsb_bridge *bridge =
        ovsb_bridge_create(cfg->bridge, cfg->datapath_type, "standalone");
    ovsb_bridge_add_port(bridge, cfg->dev, "", 0);
    return bridge;
}

/* Reads. */

/* Runs 'cmd' (freed), a read that prints a JSON array, and stores the
 * array in '*arrayp' (new reference).  Empty output is an empty array.
 * Returns -ENODEV, without an error, when the device the command names
 * does not exist (`ip` then says 'Device "NAME" does not exist.'). */
static int
run_read(struct cmd *cmd, json_t **arrayp, struct ovsdb_error **errorp)
{
    char *line = cmd_to_string(cmd);
    char *output = NULL;
    struct ovsdb_error *error = NULL;
    int rc;
    if (reader_func) {
        rc = reader_func(line, &output, reader_aux);
        if (rc && rc != -ENODEV) {
            error = ovsdb_error_new(rc, NULL, "`%s` failed.", line);
        }
    } else {
        rc = cmd_run(cmd, &output, &error);
        if (rc && strstr(error->msg, "does not exist")) {
            rc = -ENODEV;
        }
    }
    cmd_free(cmd);
    if (rc == -ENODEV) {
        ovsdb_error_free(error);
        free(output);
        free(line);
        return rc;
    }

    json_t *array = NULL;
    if (!rc) {
        const char *p = output + strspn(output, " \t\r\n");
        array = *p ? json_loads(p, 0, NULL) : json_array();
        if (!json_is_array(array)) {
            json_decref(array);
            array = NULL;
            rc = -EPROTO;
            error = ovsdb_error_new(rc, NULL,
                                    "`%s` did not print a JSON array.", line);
        }
    }
    free(output);
    free(line);
    if (rc) {
        return ovsdb_error_set(errorp, error);
    }
    *arrayp = array;
    return 0;
}

/* Reads interface 'name' into 'link' (empty); a device that does not
 * exist is no error. */
static int
read_link(const char *name, struct underlay_link *link,
          struct ovsdb_error **errorp)
{
    struct cmd *cmd = cmd_new("ip");
    cmd_addl(cmd, "-j", "address", "show", "dev", name, NULL);
    json_t *array = NULL;
    int rc = run_read(cmd, &array, errorp);
    if (rc == -ENODEV) {
        return 0;
    } else if (rc) {
        return rc;
    }
    rc = underlay_link_parse(link, array, name, errorp);
    json_decref(array);
    return rc;
}

/* Reads the main IPv4 routing table into the routes of 'dev' and 'br'. */
static int
read_routes(const struct underlay_config *cfg, struct underlay_link *dev,
            struct underlay_link *br, struct ovsdb_error **errorp)
{
    struct cmd *cmd = cmd_new("ip");
    cmd_addl(cmd, "-j", "-4", "route", "show", "table", "main", NULL);
    json_t *array = NULL;
    int rc = run_read(cmd, &array, errorp);
    if (rc == -ENODEV) {
        rc = 0;
    }
    if (array) {
        underlay_link_parse_routes(dev, array, cfg->dev);
        underlay_link_parse_routes(br, array, cfg->bridge);
        json_decref(array);
    }
    return rc;
}

/* The state file. */

/* Stores the state file at 'path' into '*recp' (a new record), or NULL
 * when there is none. */
static int
record_load(const char *path, struct underlay_record **recp,
            struct ovsdb_error **errorp)
{
    *recp = NULL;
    if (access(path, F_OK) && errno == ENOENT) {
        return 0;
    }
    json_error_t jerr;
    json_t *json = json_load_file(path, 0, &jerr);
    if (!json) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EPROTO, NULL,
                                    "Cannot read the underlay state file "
                                    "%s: %s.",
                                    path, jerr.text));
    }
    struct underlay_record *rec = calloc(1, sizeof *rec);
    struct ovsdb_error *error = NULL;
    int rc = underlay_record_parse(rec, json, &error);
    json_decref(json);
    if (rc) {
        underlay_record_destroy(rec);
        free(rec);
        ovsdb_error_set(
            errorp, ovsdb_error_new(rc, NULL, "%s (%s)", error->msg, path));
        ovsdb_error_free(error);
        return rc;
    }
    *recp = rec;
    return 0;
}

/* Writes 'rec' to 'path' (through a temporary file and a rename, so that
 * the file is always whole). */
static int
record_save(const char *path, const struct underlay_record *rec,
            struct ovsdb_error **errorp)
{
    char *tmp;
    if (asprintf(&tmp, "%s.tmp", path) < 0) {
        abort();
    }
    json_t *json = underlay_record_to_json(rec);
    int rc = 0;
    errno = 0;
    if (json_dump_file(json, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
        rc = errno ? -errno : -EIO;
    } else if (rename(tmp, path)) {
        rc = -errno;
    }
    if (rc) {
        ovsdb_error_set(errorp,
                        ovsdb_error_new(rc, NULL,
                                        "Cannot write the underlay state "
                                        "file %s: %s.",
                                        path, strerror(-rc)));
        unlink(tmp);
    }
    json_decref(json);
    free(tmp);
    return rc;
}

static int
record_remove(const char *path, struct ovsdb_error **errorp)
{
    if (unlink(path) && errno != ENOENT) {
        int rc = -errno;
        return ovsdb_error_set(
            errorp, ovsdb_error_new(rc, NULL,
                                    "Cannot remove the underlay state file "
                                    "%s: %s.",
                                    path, strerror(-rc)));
    }
    return 0;
}

/* One reconcile for 'cfg', whose device and bridge are those of 'rec'
 * (NULL when there is no state file). */
static int
reconcile_one(const struct underlay_config *cfg, bool wanted, const char *ip,
              const struct underlay_record *rec,
              struct underlay_result *result, struct ovsdb_error **errorp)
{
    if (!wanted && !rec) {
        /* Nothing to put back: the OVS bridge goes, and with it its
         * interface. */
        result->bridge = false;
        return 0;
    }
    struct underlay_link dev = {0}, br = {0};
    struct underlay_plan plan = {0};
    int rc = read_link(cfg->dev, &dev, errorp);
    if (!rc) {
        rc = read_link(cfg->bridge, &br, errorp);
    }
    if (!rc) {
        rc = read_routes(cfg, &dev, &br, errorp);
    }
    if (!rc) {
        rc = underlay_plan_compute(cfg, wanted, ip, &dev, &br, rec, &plan,
                                   errorp);
    }
    if (!rc && plan.record_op == UNDERLAY_RECORD_WRITE) {
        rc = record_save(cfg->state_path, &plan.record, errorp);
    }
    for (size_t i = 0; !rc && i < plan.n_cmds; i++) {
        struct ovsdb_error *error = NULL;
        rc = cmd_run(plan.cmds[i], NULL, &error);
        if (rc) {
            ovsdb_error_set(
                errorp,
                wanted ? ovsdb_error_new(rc, NULL,
                                         "Cannot move the underlay from %s "
                                         "to %s: %s",
                                         cfg->dev, cfg->bridge, error->msg)
                       : ovsdb_error_new(rc, NULL,
                                         "Cannot put the underlay back from "
                                         "%s on %s: %s",
                                         cfg->bridge, cfg->dev, error->msg));
            ovsdb_error_free(error);
        } else {
            result->changes++;
        }
    }
    if (!rc && plan.record_op == UNDERLAY_RECORD_REMOVE) {
        rc = record_remove(cfg->state_path, errorp);
    }
    if (!rc) {
        result->bridge = plan.bridge;
        result->pending = plan.pending;
    }
    underlay_plan_destroy(&plan);
    underlay_link_destroy(&dev);
    underlay_link_destroy(&br);
    return rc;
}

int
underlay_reconcile(const struct underlay_config *cfg, bool wanted,
                   const char *ip, struct underlay_result *result,
                   struct ovsdb_error **errorp)
{
    memset(result, 0, sizeof *result);
    if (!underlay_valid_ifname(cfg->dev) ||
        !underlay_valid_ifname(cfg->bridge) ||
        !strcmp(cfg->dev, cfg->bridge) || !cfg->state_path) {
        return ovsdb_error_set(
            errorp, ovsdb_error_new(-EINVAL, NULL,
                                    "The underlay device \"%s\" and bridge "
                                    "\"%s\" must be two different "
                                    "interface names of 1 to 15 bytes.",
                                    cfg->dev ? cfg->dev : "",
                                    cfg->bridge ? cfg->bridge : ""));
    }
    struct underlay_record *rec = NULL;
    int rc = record_load(cfg->state_path, &rec, errorp);
    if (rc) {
        return rc;
    }
    if (rec &&
        (strcmp(rec->dev, cfg->dev) || strcmp(rec->bridge, cfg->bridge))) {
        /* Moved to another bridge, or from another device, by an agent
         * with other options: put that back first. */
        struct underlay_config old = *cfg;
        old.dev = rec->dev;
        old.bridge = rec->bridge;
        struct underlay_result r = {0};
        rc = reconcile_one(&old, false, NULL, rec, &r, errorp);
        result->changes += r.changes;
        underlay_record_destroy(rec);
        free(rec);
        rec = NULL;
        if (rc) {
            return rc;
        }
    }
    struct underlay_result r = {0};
    rc = reconcile_one(cfg, wanted, ip, rec, &r, errorp);
    result->changes += r.changes;
    result->bridge = r.bridge;
    result->pending = r.pending;
    if (rec) {
        underlay_record_destroy(rec);
        free(rec);
    }
    return rc;
}
