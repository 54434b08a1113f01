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

#endif /* pipeline-private.h */
