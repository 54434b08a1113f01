/* cluster: a Raft-clustered ovsdb-server on loopback TCP for tests.
 *
 * Rules of this module: built on sandbox.h, so every member is a
 * 'struct sbx_ovsdb' in one sandbox directory, recorded for cleanup at
 * exit like any other daemon.  Members listen for clients on loopback TCP
 * and talk Raft to each other on other loopback TCP ports.
 */
#ifndef CLUSTER_H
#define CLUSTER_H 1

#include "sandbox.h"

#define SBX_CLUSTER_MAX 5

struct sbx_cluster {
    char *dir;
    char *db_name;  /* From the schema. */
    char *remotes;  /* "tcp:127.0.0.1:P1,tcp:…" for clients. */
    int n;
    struct sbx_ovsdb members[SBX_CLUSTER_MAX];
    int raft_ports[SBX_CLUSTER_MAX];
};

/* Creates and starts an 'n'-member cluster of database 'db_name' with
 * 'schema' in 'dir', and waits until every member has joined.  Returns 0
 * or a negative errno. */
int sbx_cluster_start(struct sbx_cluster *cluster, const char *dir,
                      const char *schema, const char *db_name, int n);

/* Returns the index of the member that is the Raft leader now, or -1 when
 * none is (asks each running member with cluster/status). */
int sbx_cluster_leader(struct sbx_cluster *cluster);

/* Waits up to 'timeout_ms' for a leader; returns its index or -1. */
int sbx_cluster_wait_leader(struct sbx_cluster *cluster, int timeout_ms);

/* Stops every member and frees 'cluster''s strings. */
void sbx_cluster_clear(struct sbx_cluster *cluster);

#endif /* cluster.h */
