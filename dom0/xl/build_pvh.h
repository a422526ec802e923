/*
 * The PVH domain builder in Dom0: from a prepared kernel, ramdisk and
 * layout to a running domain, in the order of docs/abi/control.md's life
 * cycle. Any failure tears down what was made and says which step failed.
 */
#ifndef XL_BUILD_PVH_H
#define XL_BUILD_PVH_H

#include <stddef.h>
#include <stdint.h>

#include "build_request.h"
#include "prepare.h"

struct xs_handle;

/* Backend domain of the console and xenstore (where xenstored and
 * xenconsoled run). */
#define BUILD_BACKEND_DOMID 0

/*
 * Builds and starts the domain. xs is a xenstored connection. On success
 * *domid is the new domain's id. Returns 0, or -1 with "STEP: reason" in
 * err (the domain, if it was created, is gone again).
 */
int build_pvh(const struct build_request *r, const struct build_images *im,
              struct xs_handle *xs, uint32_t *domid, char *err, size_t errlen);

/* build_prepare + build_pvh + freeing the images: what a restart does. */
int build_domain(const struct build_request *r, struct xs_handle *xs, uint32_t *domid,
                 char *err, size_t errlen);

#endif
