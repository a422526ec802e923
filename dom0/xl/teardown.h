/* Ending a domain the way the toolstack does it. */
#ifndef XL_TEARDOWN_H
#define XL_TEARDOWN_H

#include <stdbool.h>
#include <stdint.h>

struct xs_handle;

/*
 * Stops the domain's QEMU (qemu_dm_stop), if one serves its disks, pauses
 * domid and removes its devices (vifs), destroys it
 * (BCTL_DOMAIN_DESTROY; a domain already gone is fine), then has
 * xenstored forget it (XS_RELEASE) and removes its xenstore
 * entries. xs may be NULL (a connection is opened, if xenstored runs).
 * Returns 0, or -errno if the hypervisor refused to destroy it; xenstore
 * problems are reported but do not fail the teardown.
 */
int domain_teardown(uint32_t domid, struct xs_handle *xs);

#endif
