/* pipeline-private: what the halves of the pipeline module share.
 *
 * pipeline.c writes the flows; pipeline-cookie.c names what made them
 * (cookies, table names).  Nothing outside controllers/pipeline* includes
 * this header.  The rules of the module are in pipeline.h.
 */
#ifndef CONTROLLERS_PIPELINE_PRIVATE_H
#define CONTROLLERS_PIPELINE_PRIVATE_H 1

#include <stdint.h>

#include "pipeline.h"

/* The cookie of the object of 'kind' named "'a'/'b'" (a guest interface
 * "GUEST/IFACE", a router port "ROUTER/NETWORK"). */
uint64_t pipeline_cookie_pair(enum pipeline_cookie_kind kind, const char *a,
                              const char *b);

#endif /* pipeline-private.h */
