/* nat-table: see nat-table.h for the rules.
 *
 * The listing that nft prints for a table is its own canonical form, not
 * the script's text, so drift is detected by comparing a listing with the
 * one taken right after the last load, not with the script. */
#include "nat-table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ovsdb-error.h"

char *
nat_table_text(const struct nat_network *nets, size_t n)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    if (!f) {
        abort();
    }
    const char *t = NAT_TABLE_NAME;
    /* Create it (a no-op when it exists), so that the delete never
     * fails, then make it anew: one transaction. */
    fprintf(f, "table ip %s\ndelete table ip %s\n", t, t);
    fprintf(f, "table ip %s {\n", t);

    fprintf(f,
            "\tchain forward {\n"
            "\t\ttype filter hook forward priority filter; policy accept;\n");
    for (size_t i = 0; i < n; i++) {
        const struct nat_network *net = &nets[i];
        fprintf(f,
                "\t\toifname \"%s\" ct state established,related accept "
                "comment \"%s\"\n"
                "\t\toifname \"%s\" ct status dnat accept comment \"%s\"\n"
                "\t\toifname \"%s\" drop comment \"%s\"\n",
                net->port, net->name, net->port, net->name, net->port,
                net->name);
    }
    fprintf(f, "\t}\n");

    fprintf(f,
            "\tchain postrouting {\n"
            "\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
    for (size_t i = 0; i < n; i++) {
        const struct nat_network *net = &nets[i];
        fprintf(f,
                "\t\tip saddr %s oifname != \"%s\" masquerade comment \"%s\"\n"
                "\t\tip saddr %s oifname \"%s\" ct status dnat masquerade "
                "comment \"%s\"\n",
                net->subnet, net->port, net->name, net->subnet, net->port,
                net->name);
    }
    fprintf(f, "\t}\n");

    /* "dstnat" (-100) is a name nft only knows for prerouting. */
    static const char *const dnat_hooks[] = {"prerouting", "output"};
    for (size_t c = 0; c < 2; c++) {
        fprintf(f,
                "\tchain %s {\n"
                "\t\ttype nat hook %s priority -100; policy accept;\n",
                dnat_hooks[c], dnat_hooks[c]);
        for (size_t i = 0; i < n; i++) {
            const struct nat_network *net = &nets[i];
            for (size_t j = 0; j < net->n_forwards; j++) {
                const struct nat_forward *fw = &net->forwards[j];
                fprintf(f,
                        "\t\tfib daddr type local %s dport %d dnat to %s:%d "
                        "comment \"%s\"\n",
                        fabric_proto_name(fw->proto), fw->host_port,
                        fw->guest_ip, fw->port, net->name);
            }
        }
        fprintf(f, "\t}\n");
    }
    fprintf(f, "}\n");
    if (fclose(f)) {
        abort();
    }
    return s;
}

void
nat_table_state_clear(struct nat_table_state *state)
{
    free(state->script);
    free(state->listing);
    memset(state, 0, sizeof *state);
}

void
nat_network_clear(struct nat_network *net)
{
    free(net->name);
    free(net->subnet);
    free(net->port);
    for (size_t i = 0; i < net->n_forwards; i++) {
        free(net->forwards[i].guest_ip);
    }
    free(net->forwards);
    memset(net, 0, sizeof *net);
}

/* Stores the listing of our table in '*listingp' (a new string; "" when
 * the table does not exist). */
static void
list_table(char **listingp)
{
    struct cmd *c = cmd_new("nft");
    cmd_addl(c, "list", "table", "ip", NAT_TABLE_NAME, NULL);
    char *out = NULL;
    if (cmd_run(c, &out, NULL)) {
        /* "No such file or directory": no table. */
        free(out);
        out = strdup("");
    }
    cmd_free(c);
    *listingp = out;
}

/* Loads 'script' with `nft -f -`. */
static int
load(const char *script, struct ovsdb_error **errorp)
{
    struct cmd *c = cmd_new("nft");
    cmd_addl(c, "-f", "-", NULL);
    cmd_set_input(c, script, strlen(script));
    int error = cmd_run(c, NULL, errorp);
    cmd_free(c);
    return error;
}

int
nat_table_sync(struct nat_table_state *state, const char *script,
               int *changesp, struct ovsdb_error **errorp)
{
    *changesp = 0;
    char *listing;
    list_table(&listing);
    if (!script) {
        int error = 0;
        if (listing[0]) {
            static const char delete[] =
                "table ip " NAT_TABLE_NAME "\n"
                "delete table ip " NAT_TABLE_NAME "\n";
            error = load(delete, errorp);
            *changesp = 1;
        }
        free(listing);
        if (!error) {
            nat_table_state_clear(state);
        }
        return error;
    }
    if (state->script && !strcmp(state->script, script) && state->listing &&
        !strcmp(state->listing, listing) && listing[0]) {
        free(listing);
        return 0;
    }
    free(listing);
    nat_table_state_clear(state);
    int error = load(script, errorp);
    if (error) {
        return error;
    }
    *changesp = 1;
    state->script = strdup(script);
    list_table(&state->listing);
    return 0;
}
