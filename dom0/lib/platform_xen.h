/* For a daemon's platform_xen.c: what lib/platform_xen.c offers besides
 * lib/platform.h, on the handles platform_open() opened. */
#ifndef DOM0_LIB_PLATFORM_XEN_H
#define DOM0_LIB_PLATFORM_XEN_H

#include <stdint.h>

#include "platform.h"

/* Binds a virtual IRQ (VIRQ_*); the local port, or -errno. */
int xendev_bind_virq(unsigned virq);

/* Maps one page of domain `domid` read-write: the page its grant reference
 * `ref` grants us, or the page at its guest frame `gfn`. 0 or -errno;
 * -ENODEV when that way of mapping is not available. xendev_unmap() needs
 * to be told which of the two mapped `addr`. */
enum xendev_mapping { XENDEV_GRANT = 1, XENDEV_FOREIGN };
int xendev_map_grant(unsigned domid, uint32_t ref, void **addr);
int xendev_map_foreign(unsigned domid, uint64_t gfn, void **addr);
void xendev_unmap(void *addr, enum xendev_mapping how);

#endif
