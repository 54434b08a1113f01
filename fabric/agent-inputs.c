/* agent-inputs: see agent-inputs.h. */
#include "agent-inputs.h"

#include <string.h>

#include "replica.h"

/* Returns true if 'column' of fabric DB table 'table' is written by
 * agents as status. */
static bool
is_fabric_status(const char *table, const char *column)
{
    static const char *const host[] = {
        "applied_generation", "heartbeat", "version", "datapath_type",
        "tunnel_status",      "error",     NULL,
    };
    static const char *const state[] = {"state", "state_reason", NULL};
    const char *const *names =
        !strcmp(table, "Host")                                ? host
        : !strcmp(table, "Guest") || !strcmp(table, "Router") ? state
                                                              : NULL;
    for (size_t i = 0; names && names[i]; i++) {
        if (!strcmp(column, names[i])) {
            return true;
        }
    }
    return false;
}

/* Returns true if 'column' of Open_vSwitch DB table 'table' is
 * statistics. */
static bool
is_ovs_status(const char *table, const char *column)
{
    return !strcmp(column, "statistics");
}

/* Returns true if the values of 'column' differ between 'old' and
 * 'new'. */
static bool
column_changed(const struct replica_row *old, const struct replica_row *new,
               const char *column)
{
    const json_t *a = replica_row_get(old, column);
    const json_t *b = replica_row_get(new, column);
    if (!a || !b) {
        /* A column the schema does not know: compare what is there. */
        a = json_object_get(old->columns, column);
        b = json_object_get(new->columns, column);
    }
    if (!strcmp(new->table, "Host") && !strcmp(column, "heartbeat")) {
        return (json_integer_value(a) != 0) != (json_integer_value(b) != 0);
    }
    return !json_equal((json_t *)a, (json_t *)b) && (a || b);
}

/* Returns true if a column of 'a' outside the status columns (those for
 * which 'is_status' returns true) changed between 'old' and 'new'. */
static bool
any_changed(const struct replica_row *old, const struct replica_row *new,
            const struct replica_row *a,
            bool (*is_status)(const char *table, const char *column))
{
    const char *column;
    json_t *value;
    json_object_foreach(a->columns, column, value)
    {
        /* _version changes with every write. */
        if (strcmp(column, "_version") &&
            (!is_status(new->table, column) || !strcmp(column, "heartbeat")) &&
            column_changed(old, new, column)) {
            return true;
        }
    }
    return false;
}

/* Returns true if 'old' and 'new' differ in a column that is not
 * status. */
static bool
row_changed(const struct replica_row *old, const struct replica_row *new,
            bool (*is_status)(const char *table, const char *column))
{
    if (!old || !new || strcmp(old->table, new->table)) {
        return true;
    }
    /* Columns at their default are absent: look at both sides. */
    return any_changed(old, new, old, is_status) ||
           any_changed(old, new, new, is_status);
}

bool
agent_inputs_changed(const struct replica_row *old,
                     const struct replica_row *new)
{
    return row_changed(old, new, is_fabric_status);
}

bool
agent_inputs_ovs_changed(const struct replica_row *old,
                         const struct replica_row *new)
{
    return row_changed(old, new, is_ovs_status);
}
