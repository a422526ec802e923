/*
 * A guest disk as Basalt serves it: a virtual block device (vbd) whose
 * backend is QEMU's qdisk in Dom0 (Xen's backendtype=qdisk), never Linux's
 * in-kernel blkback, which DMAs on grant-mapped pages and so is wrong on
 * Basalt's 1:1 Dom0 until the hypervisor drives an IOMMU (DESIGN.md,
 * decision 4). This file is pure: from an xl-disk-configuration(5) entry
 * to a vbd, the vbd's xenstore entries as libxl writes them, and back from
 * what xenstore holds.
 */
#ifndef XL_DISK_VBD_H
#define XL_DISK_VBD_H

#include <stdbool.h>
#include <stddef.h>

#include "disk_spec.h"
#include "xs_entries.h"

/* Where the disk backend runs: QEMU in Dom0. */
#define VBD_BACKEND_DOMID 0
#define VBD_VDEV_MAX 32

struct vbd {
    unsigned devid;             /* virtual-device: 51712 for xvda */
    char vdev[VBD_VDEV_MAX];    /* "xvda" */
    char *target;               /* absolute path; NULL: an empty CD-ROM */
    enum disk_format format;
    bool readwrite;
    bool is_cdrom;
    bool removable;
    bool direct_io_safe;
    bool discard;               /* discard-enable: default on for read-write disks */
    bool trusted;               /* frontend's trusted: default on */
    /* Where it was configured, for messages: "demo.cfg" and line 7, or
     * "command line" for xl block-attach. */
    const char *source;
    unsigned line;
};

/*
 * The device number Xen and QEMU give a vdev name (xen-vbd-interface(7)):
 * xvdX (202<<8 | disk<<4 | part for disk < 16 and part < 16, else
 * 1<<28 | disk<<8 | part), dNpM (the same numbers), hdX (IDE majors 3 and
 * 22), sdX (8). Returns -1 for anything else, including a bare number
 * (QEMU 7.2 cannot take one as its vdev).
 */
long vbd_devid(const char *vdev);

/*
 * Checks a parsed disk= entry against what Basalt serves and fills v
 * (v->target is malloc'd; vbd_free). A target without a leading '/' gets
 * "/dev/" in front, as xl-disk-configuration(5) says. Returns 0, or -1
 * with the reason in why, naming the key that is wrong:
 * backendtype=phy/tap/standalone, backend= another domain, script=,
 * specification=virtio, colo, a vdev QEMU cannot serve, and what Debian's
 * QEMU 7.2 fails to open: a read-only disk (other than a CD-ROM) and
 * direct-io-safe.
 */
int vbd_from_spec(const struct disk_spec *spec, struct vbd *v, char *why, size_t whylen);

/* The longest target vbd_from_spec takes (after "/dev/" is put in front):
 * its backend's params entry, "FORMAT:TARGET", is written whole, never cut
 * short (a shorter path would be another file). */
#define VBD_TARGET_MAX 1024
#define VBD_PARAMS_MAX (VBD_TARGET_MAX + 16)

void vbd_free(struct vbd *v);
/* A deep copy; 0 or -1 (out of memory). */
int vbd_copy(struct vbd *dst, const struct vbd *src);

/* The backend's "params": "FORMAT:PATH" with libxl's names for the format
 * (raw is "aio"), e.g. "aio:/dev/zvol/tank/web". */
void vbd_params(const struct vbd *v, char *out, size_t len);
/* The reverse: format and path from a params value. Returns 0, or -1 if
 * the format is not one xl writes. *path points into params. */
int vbd_parse_params(const char *params, enum disk_format *format, const char **path);

/* /local/domain/0/backend/qdisk/DOMID/DEVID, and the frontend's
 * /local/domain/DOMID/device/vbd/DEVID; /libxl/DOMID/device/vbd/DEVID. */
void vbd_backend_path(unsigned domid, unsigned devid, char *out, size_t len);
void vbd_frontend_path(unsigned domid, unsigned devid, char *out, size_t len);
void vbd_libxl_path(unsigned domid, unsigned devid, char *out, size_t len);

/*
 * Appends the entries libxl's device_disk_add writes for a qdisk vbd of
 * domid: the frontend directory (owned by the guest, readable by the
 * backend), the backend directory (owned by Dom0, readable by the guest),
 * and the toolstack's copy under /libxl. Both sides start in state 1
 * (Initialising); QEMU and blkfront take it from there. Returns 0 or -1.
 */
int vbd_entries(unsigned domid, const struct vbd *v, struct xs_entry_list *out);

/*
 * A vbd back from the toolstack's record (/libxl/DOMID/device/vbd/DEVID:
 * dev, params, mode, device-type, removable, direct-io-safe,
 * discard-enable), each key read through get (NULL: absent). The guest
 * cannot write there, so the record is trusted as far as its form goes,
 * and checked for it. Returns 0, or -1 with the reason in why.
 */
int vbd_from_record(unsigned devid, const char *(*get)(void *ctx, const char *key), void *ctx,
                    struct vbd *v, char *why, size_t whylen);

#endif
