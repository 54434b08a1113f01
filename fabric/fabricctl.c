/* fabricctl: the command line of fabric.
 *
 *   fabricctl [--db=REMOTE] [--json] [--timeout=MS] [TLS options] COMMAND...
 *
 * The main only parses global options and finds the command in the
 * tables of the command files (ctl-*.c); see ctl.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const struct ctl_command *const tables[] = {
    ctl_topology_commands, ctl_status_commands, ctl_guest_commands,
    ctl_flows_commands,    ctl_trace_commands,
};

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: fabricctl [OPTIONS] COMMAND [ARG...]\n\n"
            "Options:\n"
            "  --db=REMOTE          fabric DB (default $FABRIC_DB or %s)\n"
            "  --json               machine-readable output\n"
            "  --timeout=MS         how long to try to reach the DB "
            "(default 5000)\n"
            "  --netns-prefix=PREFIX  guest namespaces' prefix (default "
            "$FABRIC_NETNS_PREFIX or fab-)\n"
            "  --rundir=DIR         fabricd's directory (default "
            "$FABRIC_RUNDIR or /run/fabric)\n"
            "  --private-key=FILE --certificate=FILE --ca-cert=FILE\n"
            "                       TLS for ssl: remotes\n\n"
            "Commands:\n",
            CTL_DEFAULT_DB);
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        for (const struct ctl_command *c = tables[i]; c->name; c++) {
            fprintf(out, "  %s %s\n      %s\n", c->name, c->usage, c->help);
        }
    }
}

/* Finds the command whose words start argv; stores how many words it has
 * in '*n_words'. */
static const struct ctl_command *
find_command(int argc, char *argv[], int *n_words)
{
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        for (const struct ctl_command *c = tables[i]; c->name; c++) {
            char name[64];
            snprintf(name, sizeof name, "%s", c->name);
            int words = 0;
            bool match = true;
            for (char *save, *w = strtok_r(name, " ", &save); w;
                 w = strtok_r(NULL, " ", &save)) {
                if (words >= argc || strcmp(argv[words], w)) {
                    match = false;
                    break;
                }
                words++;
            }
            if (match) {
                *n_words = words;
                return c;
            }
        }
    }
    return NULL;
}

int
main(int argc, char *argv[])
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"timeout", required_argument, NULL, 't'},
        {"private-key", required_argument, NULL, 'p'},
        {"certificate", required_argument, NULL, 'c'},
        {"ca-cert", required_argument, NULL, 'C'},
        {"netns-prefix", required_argument, NULL, 'n'},
        {"rundir", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ctl ctl = {.timeout_ms = 5000};
    ctl.netns_prefix =
        getenv("FABRIC_NETNS_PREFIX") ? getenv("FABRIC_NETNS_PREFIX") : "fab-";
    ctl.rundir =
        getenv("FABRIC_RUNDIR") ? getenv("FABRIC_RUNDIR") : "/run/fabric";
    ctl.db = getenv("FABRIC_DB") ? getenv("FABRIC_DB") : CTL_DEFAULT_DB;
    int c;
    /* '+': stop at the first command word; commands parse the rest. */
    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            ctl.db = optarg;
            break;
        case 'j':
            ctl.json = true;
            break;
        case 't':
            ctl.timeout_ms = atoi(optarg);
            break;
        case 'p':
            ctl.tls.private_key = optarg;
            break;
        case 'c':
            ctl.tls.certificate = optarg;
            break;
        case 'C':
            ctl.tls.ca_cert = optarg;
            break;
        case 'n':
            ctl.netns_prefix = optarg;
            break;
        case 'r':
            ctl.rundir = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    int words;
    const struct ctl_command *cmd =
        find_command(argc - optind, argv + optind, &words);
    if (!cmd) {
        if (optind < argc) {
            ctl_error("unknown command '%s'; see fabricctl --help",
                      argv[optind]);
        } else {
            usage(stderr);
        }
        return 1;
    }
    /* The command sees its last word as argv[0]. */
    int first = optind + words - 1;
    optind = 0; /* 0, not 1: glibc then forgets the "+" mode of main's
                 * options and lets commands take options after operands. */
    int status = cmd->run(&ctl, argc - first, argv + first);
    ctl_close(&ctl);
    return status;
}
