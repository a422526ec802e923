/*
 * One entry of xl.cfg's disk=[...] list, in the syntax of
 * xl-disk-configuration(5): comma-separated positional parameters
 * (target, format, vdev, access), KEY=VALUE parameters, flags (cdrom,
 * discard, ...), a final "target=" that takes the rest of the string,
 * and the deprecated prefixes ("phy:", "file:", "tap:aio:", "raw:",
 * "qcow2:", "iscsi:", ...).
 */
#ifndef XL_DISK_SPEC_H
#define XL_DISK_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "tristate.h"

enum disk_format {
    DISK_FORMAT_RAW,        /* the default */
    DISK_FORMAT_QCOW,
    DISK_FORMAT_QCOW2,
    DISK_FORMAT_VHD,
    DISK_FORMAT_QED,
    DISK_FORMAT_EMPTY,      /* an empty removable drive */
};

enum disk_backend {
    DISK_BACKEND_DEFAULT,   /* the toolstack chooses */
    DISK_BACKEND_PHY,
    DISK_BACKEND_TAP,
    DISK_BACKEND_QDISK,
    DISK_BACKEND_STANDALONE,
};

enum disk_specification {
    DISK_SPECIFICATION_DEFAULT,
    DISK_SPECIFICATION_XEN,
    DISK_SPECIFICATION_VIRTIO,
};

struct disk_spec {
    char *target;           /* path or script argument; NULL: empty CD-ROM */
    enum disk_format format;
    char *vdev;             /* guest device name, e.g. "xvda"; never NULL */
    bool readwrite;         /* access=rw (false for CD-ROMs) */
    bool is_cdrom;
    bool removable;         /* CD-ROMs are */
    enum disk_backend backendtype;
    char *backend_domain;   /* backend=; NULL: Dom0 */
    char *script;           /* script=, or block-X for an "X:" prefix */
    enum disk_specification specification;
    bool direct_io_safe;
    enum tristate discard;
    enum tristate trusted;
    enum tristate grant_usage;
    /* COLO replication parameters, kept so specs that use them parse. */
    enum tristate colo;
    char *colo_host;
    int colo_port;          /* 0: not given */
    char *colo_export;
    char *active_disk;
    char *hidden_disk;
    unsigned line;          /* where the entry was in its file (set by its reader) */
};

/* Parses text into disk (overwritten). Returns 0, or -1 with a reason
 * (no location) in why; disk then holds nothing to free. */
int disk_spec_parse(const char *text, struct disk_spec *disk,
                    char *why, size_t whylen);

void disk_spec_free(struct disk_spec *disk);

const char *disk_format_name(enum disk_format format);

#endif
