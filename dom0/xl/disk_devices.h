/*
 * A domain's disks in xenstore and in QEMU: the checks made before
 * anything is built, attaching (the vbd entries, then the domain's QEMU,
 * then waiting until QEMU has opened every disk), reading a domain's disks
 * back from the toolstack's record, and detaching one.
 */
#ifndef XL_DISK_DEVICES_H
#define XL_DISK_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include "disk_vbd.h"

struct xs_handle;

/* How long QEMU may take to open a disk it was given (it writes the
 * backend's state 2, InitWait, once it has). */
#define DISK_TAKE_UP_MS 20000

/*
 * Before anything is built: every target exists and is a regular file or
 * a block device (an empty CD-ROM has none), no target is used twice in
 * disks, and none is in use by a domain that exists unless both sides
 * only read it. Returns 0, or -1 with "SOURCE:LINE: reason" in err.
 * Needs ctl_open() (a record of a domain that is gone does not count).
 */
int disks_check(struct xs_handle *xs, const struct vbd *disks, unsigned n, char *err,
                size_t errlen);

/*
 * Attaches disks to domid: writes their entries (one transaction), starts
 * the domain's QEMU unless it runs, and waits until QEMU has opened each
 * one. On failure the entries written here are removed again (QEMU, if
 * this call started it, is left to the caller's teardown) and err says
 * why, with the last line of QEMU's log.
 */
int disks_attach(struct xs_handle *xs, uint32_t domid, const char *name, uint64_t maxmem_mib,
                 const struct vbd *disks, unsigned n, char *err, size_t errlen);

/* The domain's disks from /libxl/DOMID/device/vbd, by device number.
 * Returns 0 (*n may be 0), or -1 with err set. */
int disks_read(struct xs_handle *xs, uint32_t domid, struct vbd **out, unsigned *n, char *err,
               size_t errlen);
void disks_free(struct vbd *v, unsigned n);

/* Removes one disk's frontend, backend and record directories. */
void disk_remove_entries(struct xs_handle *xs, uint32_t domid, unsigned devid);

/* A xenstore value as a number; -1 if absent or not a number. */
long disk_read_number(struct xs_handle *xs, const char *path);

#endif
