/*
 * What `xl snapshot-*` does to each of a domain's disks, decided without
 * touching anything (pure, unit-tested): which disks can be snapshotted
 * and how (a ZFS volume with ZFS, a qcow2 image with QEMU's internal
 * snapshots), whether a snapshot name is one both can hold, and reading
 * what `zfs list`, `qemu-img info --output=json` and QMP's query-block say
 * about existing snapshots.
 */
#ifndef XL_SNAPSHOT_PLAN_H
#define XL_SNAPSHOT_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "disk_vbd.h"
#include "json.h"

#define SNAP_NAME_MAX 64
#define SNAP_WHERE_MAX 320

enum snap_kind {
    SNAP_ZVOL,      /* raw on a ZFS volume: zfs snapshot/rollback/destroy */
    SNAP_QCOW2,     /* qcow2 internal snapshots: QMP while QEMU runs, qemu-img otherwise */
    SNAP_SKIP,      /* read-only or empty: the guest cannot change it */
};

struct snap_disk {
    const struct vbd *v;
    enum snap_kind kind;
    char dataset[SNAP_WHERE_MAX];   /* SNAP_ZVOL: "tank/web" */
};

/*
 * A snapshot name: 1-64 characters from [A-Za-z0-9_.:+-], starting with a
 * letter or digit and not all digits (qemu-img takes a number for a
 * snapshot ID). Returns 0, or -1 with the reason in why.
 */
int snap_name_check(const char *name, char *why, size_t whylen);

/* The dataset of a /dev/zvol/POOL/NAME path ("POOL/NAME"); -1 if path is
 * not of that form (or names a snapshot, "@"). */
int snap_zvol_dataset(const char *path, char *out, size_t len);

/*
 * Decides how d->v is snapshotted. dataset is the ZFS volume behind a raw
 * block-device target (NULL if it is not one; the caller finds it, see
 * snap_zvol_dataset). Returns 0, or -1 with why: a read-write disk that is
 * neither a zvol nor qcow2 (a raw file, vhd, ...) cannot be snapshotted.
 */
int snap_classify(struct snap_disk *d, const struct vbd *v, const char *dataset, char *why,
                  size_t whylen);

/* One existing snapshot of one disk. */
struct snap_entry {
    char name[SNAP_WHERE_MAX];
    char vdev[VBD_VDEV_MAX];
    long long created;          /* seconds since the epoch; -1 unknown */
    char where[SNAP_WHERE_MAX]; /* "tank/web@clean" or the qcow2 file */
};

struct snap_list {
    struct snap_entry *e;
    size_t n, cap;
};

/* Appends the snapshots of `zfs list -H -p -o name,creation -t snapshot
 * -d 1 DATASET` (lines "DATASET@NAME<TAB>SECONDS"). Lines of other
 * datasets are ignored. Returns 0, or -1 (out of memory, bad line). */
int snap_parse_zfs_list(struct snap_list *l, const char *text, const char *dataset,
                        const char *vdev);

/* Appends the snapshots of a qcow2 image from a JSON array of QEMU's
 * SnapshotInfo (qemu-img info's "snapshots", or query-block's
 * inserted.image.snapshots); a NULL array means none. 0 or -1. */
int snap_parse_qemu(struct snap_list *l, const struct json *snapshots, const char *file,
                    const char *vdev);

/* Whether l has a snapshot called name on disk vdev. */
bool snap_list_has(const struct snap_list *l, const char *vdev, const char *name);
/* Sorts by creation time, then name, then disk. */
void snap_list_sort(struct snap_list *l);
void snap_list_free(struct snap_list *l);

/*
 * In query-block's return value, the format node QEMU opened for file:
 * its node-name (for blockdev-snapshot-internal-sync) and its image info
 * (for the snapshot list). Returns 0, or -1 if QEMU has no such disk.
 */
int snap_find_node(const struct json *blocks, const char *file, char *node, size_t len,
                   const struct json **image);

#endif
