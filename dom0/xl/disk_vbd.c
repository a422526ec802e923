/*
 * Guest disks as qdisk vbds (see disk_vbd.h). The keys and their values
 * follow libxl 4.17 (tools/libs/light/libxl_disk.c, device_disk_add, and
 * libxl_device.c, libxl__device_generic_add); the device numbers follow
 * libxl__device_disk_dev_number and QEMU 7.2's xen_block_set_vdev, which
 * must agree, since QEMU names the backend directory by the number it
 * computes from "dev".
 */
#include "disk_vbd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_error.h"

/* The letters after a prefix in base 26 ("a" = 0, "z" = 25, "aa" = 26),
 * then an optional partition number without leading zeros. */
static int parse_disk_name(const char *s, long max_disk, long max_part, long *disk, long *part)
{
    long d = -1;
    if (*s < 'a' || *s > 'z')
        return -1;
    for (; *s >= 'a' && *s <= 'z'; s++) {
        d = (d + 1) * 26 + (*s - 'a');
        if (d > max_disk)
            return -1;
    }
    long p = 0;
    if (*s) {
        if (*s == '0')
            return -1;
        for (; *s; s++) {
            if (*s < '0' || *s > '9')
                return -1;
            p = p * 10 + (*s - '0');
            if (p > max_part)
                return -1;
        }
    }
    *disk = d;
    *part = p;
    return 0;
}

/* "dNpM": decimal disk and partition, as libxl's sscanf("d%ip%i") but
 * strict (no signs, blanks or leading zeros). */
static int parse_dp(const char *s, long *disk, long *part)
{
    long v[2] = { 0, 0 };
    if (*s++ != 'd')
        return -1;
    for (int i = 0; i < 2; i++) {
        if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
            return -1;
        for (; *s >= '0' && *s <= '9'; s++) {
            v[i] = v[i] * 10 + (*s - '0');
            if (v[i] >= (1L << 20))
                return -1;
        }
        if (i == 0 && *s++ != 'p')
            return -1;
    }
    if (*s || v[1] > 255)
        return -1;
    *disk = v[0];
    *part = v[1];
    return 0;
}

static long xvd_number(long disk, long part)
{
    if (disk <= 15 && part <= 15)
        return (202L << 8) | (disk << 4) | part;
    return (1L << 28) | (disk << 8) | part;
}

long vbd_devid(const char *vdev)
{
    long disk, part;
    if (!vdev || strlen(vdev) >= VBD_VDEV_MAX)
        return -1;
    if (!parse_dp(vdev, &disk, &part))
        return xvd_number(disk, part);
    if (!strncmp(vdev, "xvd", 3) && !parse_disk_name(vdev + 3, (1L << 20) - 1, 255, &disk, &part))
        return xvd_number(disk, part);
    if (!strncmp(vdev, "hd", 2) && !parse_disk_name(vdev + 2, 3, 63, &disk, &part))
        return ((disk < 2 ? 3L : 22L) << 8) | ((disk & 1) << 6) | part;
    if (!strncmp(vdev, "sd", 2) && !parse_disk_name(vdev + 2, 15, 15, &disk, &part))
        return (8L << 8) | (disk << 4) | part;
    return -1;
}

int vbd_from_spec(const struct disk_spec *spec, struct vbd *v, char *why, size_t whylen)
{
    char q[CFG_QUOTE_BUF];

    memset(v, 0, sizeof(*v));
    switch (spec->backendtype) {
    case DISK_BACKEND_DEFAULT:
    case DISK_BACKEND_QDISK:
        break;
    case DISK_BACKEND_PHY:
    case DISK_BACKEND_TAP:
        return cfg_fail(why, whylen,
                      "backendtype=%s is not available: Linux's blkback DMAs to grant-mapped "
                      "pages, which is wrong without an IOMMU and Basalt does not drive one yet; "
                      "every disk is served by QEMU (backendtype=qdisk, the default here)",
                      spec->backendtype == DISK_BACKEND_PHY ? "phy" : "tap");
    case DISK_BACKEND_STANDALONE:
        return cfg_fail(why, whylen,
                      "backendtype=standalone (virtio) is not available: Basalt serves disks "
                      "with QEMU's qdisk (backendtype=qdisk)");
    }
    if (spec->specification == DISK_SPECIFICATION_VIRTIO)
        return cfg_fail(why, whylen,
                      "specification=virtio is not available: Basalt's guests use Xen's PV "
                      "block protocol (specification=xen)");
    if (spec->backend_domain && strcmp(spec->backend_domain, "0") &&
        strcmp(spec->backend_domain, "Domain-0"))
        return cfg_fail(why, whylen,
                      "backend=%s: disks are served by Dom0 only (no driver domains yet)",
                      cfg_quote(spec->backend_domain, q, sizeof(q)));
    if (spec->script)
        return cfg_fail(why, whylen,
                      "script=%s: QEMU's qdisk opens the target itself and runs no block "
                      "scripts (libxl refuses script= with qdisk too)",
                      cfg_quote(spec->script, q, sizeof(q)));
    if (spec->colo == TRISTATE_TRUE)
        return cfg_fail(why, whylen, "colo: COLO replication is not available");
    if (!spec->readwrite && !spec->is_cdrom)
        return cfg_fail(why, whylen,
                        "access=ro: Debian's QEMU 7.2 cannot serve a read-only disk (its xen-block "
                        "opens the image read-write over a read-only file and fails with \"Block "
                        "node is read-only\"); give the disk read-write and mount it read-only "
                        "in the guest");
    if (spec->direct_io_safe)
        return cfg_fail(why, whylen,
                        "direct-io-safe: QEMU's xen-block asks for Linux native AIO with it, "
                        "which Debian's QEMU 7.2 is built without (\"aio=native was specified, "
                        "but is not supported in this build\"); QEMU uses Dom0's page cache");
    long devid = vbd_devid(spec->vdev);
    if (devid < 0)
        return cfg_fail(why, whylen,
                      "vdev=%s: not a virtual disk name (xvda, xvdb, ..., xvdaa; or hda-hdd, "
                      "sda-sdp, dNpM)",
                      cfg_quote(spec->vdev, q, sizeof(q)));
    v->devid = (unsigned)devid;
    snprintf(v->vdev, sizeof(v->vdev), "%s", spec->vdev);
    if (spec->target) {
        const char *t = spec->target;
        size_t n = strlen(t) + 6;
        v->target = malloc(n);
        if (!v->target)
            return cfg_fail(why, whylen, "out of memory");
        snprintf(v->target, n, "%s%s", t[0] == '/' ? "" : "/dev/", t);
        size_t len = strlen(v->target);
        if (len > VBD_TARGET_MAX) {
            free(v->target);
            v->target = NULL;
            return cfg_fail(why, whylen, "target: a path of %zu characters; at most %d",
                            len, VBD_TARGET_MAX);
        }
    }
    v->format = spec->format;
    v->readwrite = spec->readwrite;
    v->is_cdrom = spec->is_cdrom;
    v->removable = spec->removable;
    v->direct_io_safe = spec->direct_io_safe;
    /* libxl__device_disk_setdefault: discard defaults to readwrite,
     * trusted to true. */
    v->discard = spec->discard == TRISTATE_DEFAULT ? spec->readwrite
                                                   : spec->discard == TRISTATE_TRUE;
    v->trusted = spec->trusted != TRISTATE_FALSE;
    return 0;
}

void vbd_free(struct vbd *v)
{
    free(v->target);
    v->target = NULL;
}

int vbd_copy(struct vbd *dst, const struct vbd *src)
{
    *dst = *src;
    dst->target = NULL;
    if (src->target && !(dst->target = strdup(src->target)))
        return -1;
    return 0;
}

/* libxl__device_disk_string_of_format */
static const char *params_format(enum disk_format f)
{
    switch (f) {
    case DISK_FORMAT_QCOW: return "qcow";
    case DISK_FORMAT_QCOW2: return "qcow2";
    case DISK_FORMAT_VHD: return "vhd";
    case DISK_FORMAT_QED: return "qed";
    case DISK_FORMAT_RAW:
    case DISK_FORMAT_EMPTY: return "aio";
    }
    return "aio";
}

void vbd_params(const struct vbd *v, char *out, size_t len)
{
    snprintf(out, len, "%s:%s", params_format(v->format), v->target ? v->target : "");
}

int vbd_parse_params(const char *params, enum disk_format *format, const char **path)
{
    static const struct { const char *name; enum disk_format f; } names[] = {
        { "aio", DISK_FORMAT_RAW }, { "qcow", DISK_FORMAT_QCOW },
        { "qcow2", DISK_FORMAT_QCOW2 }, { "vhd", DISK_FORMAT_VHD },
        { "qed", DISK_FORMAT_QED },
    };
    const char *colon = params ? strchr(params, ':') : NULL;
    if (!colon)
        return -1;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i].name);
        if ((size_t)(colon - params) == n && !strncmp(params, names[i].name, n)) {
            *format = names[i].f;
            *path = colon + 1;
            return 0;
        }
    }
    return -1;
}

void vbd_backend_path(unsigned domid, unsigned devid, char *out, size_t len)
{
    snprintf(out, len, "/local/domain/%u/backend/qdisk/%u/%u", VBD_BACKEND_DOMID, domid, devid);
}

void vbd_frontend_path(unsigned domid, unsigned devid, char *out, size_t len)
{
    snprintf(out, len, "/local/domain/%u/device/vbd/%u", domid, devid);
}

void vbd_libxl_path(unsigned domid, unsigned devid, char *out, size_t len)
{
    snprintf(out, len, "/libxl/%u/device/vbd/%u", domid, devid);
}

struct kv {
    const char *key, *value;
};

/* The directory dir and its keys (those with a value), with perms. */
static int add_dir(struct xs_entry_list *out, const char *dir, const struct kv *kv, size_t n,
                   const struct xs_perm *perms, unsigned nperms)
{
    int rc = xs_entry_add(out, perms, nperms, NULL, "%s", dir);
    for (size_t i = 0; i < n && !rc; i++)
        if (kv[i].value)
            rc = xs_entry_add(out, perms, nperms, kv[i].value, "%s/%s", dir, kv[i].key);
    return rc;
}

int vbd_entries(unsigned domid, const struct vbd *v, struct xs_entry_list *out)
{
    char front[XS_PATH_MAX], back[XS_PATH_MAX], priv[XS_PATH_MAX];
    char params[VBD_PARAMS_MAX], fid[16], devid[16], bid[16];
    /* libxl__device_generic_add: the frontend is the guest's, the backend
     * may read it; the backend is Dom0's, the guest may read it; the
     * toolstack's copy is Dom0's alone. */
    const struct xs_perm front_perms[] = { { domid, 'n' }, { VBD_BACKEND_DOMID, 'r' } };
    const struct xs_perm back_perms[] = { { VBD_BACKEND_DOMID, 'n' }, { domid, 'r' } };
    const struct xs_perm priv_perms[] = { { 0, 'n' } };

    vbd_frontend_path(domid, v->devid, front, sizeof(front));
    vbd_backend_path(domid, v->devid, back, sizeof(back));
    vbd_libxl_path(domid, v->devid, priv, sizeof(priv));
    vbd_params(v, params, sizeof(params));
    snprintf(fid, sizeof(fid), "%u", domid);
    snprintf(devid, sizeof(devid), "%u", v->devid);
    snprintf(bid, sizeof(bid), "%u", VBD_BACKEND_DOMID);
    const char *devtype = v->is_cdrom ? "cdrom" : "disk";
    const char *trusted = v->trusted ? "1" : "0";

    const struct kv fents[] = {
        { "backend", back },
        { "backend-id", bid },
        { "state", "1" },
        { "virtual-device", devid },
        { "device-type", devtype },
        { "trusted", trusted },
    };
    /* The backend's keys; the toolstack's record has the same (libxl's
     * copy) and, beyond libxl, trusted, so that a restart rebuilds the disk
     * as configured (the frontend's copy is the guest's to change). */
    const struct kv bents[] = {
        { "frontend", front },
        { "params", params },
        { "frontend-id", fid },
        { "online", "1" },
        { "removable", v->removable ? "1" : "0" },
        { "bootable", "1" },
        { "state", "1" },
        { "dev", v->vdev },
        { "type", "qdisk" },
        { "mode", v->readwrite ? "w" : "r" },
        { "device-type", devtype },
        { "direct-io-safe", v->direct_io_safe ? "1" : NULL },
        { "discard-enable", v->discard ? "1" : "0" },
        { "specification", "xen" },
        { "backend", NULL },
        { "trusted", NULL },
    };
    struct kv record[sizeof(bents) / sizeof(bents[0])];
    memcpy(record, bents, sizeof(bents));
    record[sizeof(bents) / sizeof(bents[0]) - 2].value = back;
    record[sizeof(bents) / sizeof(bents[0]) - 1].value = trusted;

    int rc = add_dir(out, front, fents, sizeof(fents) / sizeof(fents[0]), front_perms, 2);
    rc = rc ? rc : add_dir(out, back, bents, sizeof(bents) / sizeof(bents[0]), back_perms, 2);
    rc = rc ? rc : add_dir(out, priv, record, sizeof(record) / sizeof(record[0]), priv_perms, 1);
    return rc;
}

static bool flag_of(const char *(*get)(void *, const char *), void *ctx, const char *key)
{
    const char *s = get(ctx, key);
    return s && !strcmp(s, "1");
}

int vbd_from_record(unsigned devid, const char *(*get)(void *ctx, const char *key), void *ctx,
                    struct vbd *v, char *why, size_t whylen)
{
    char q[CFG_QUOTE_BUF];
    const char *dev = get(ctx, "dev"), *params = get(ctx, "params");
    const char *mode = get(ctx, "mode"), *type = get(ctx, "device-type");
    const char *path;

    memset(v, 0, sizeof(*v));
    if (!dev || vbd_devid(dev) != (long)devid)
        return cfg_fail(why, whylen, "device %u: its record names vdev '%s', which is not device %u",
                      devid, dev ? cfg_quote(dev, q, sizeof(q)) : "(none)", devid);
    if (vbd_parse_params(params, &v->format, &path))
        return cfg_fail(why, whylen, "device %u (%s): params '%s' is not FORMAT:PATH", devid, dev,
                      params ? cfg_quote(params, q, sizeof(q)) : "(none)");
    if (!mode || (strcmp(mode, "w") && strcmp(mode, "r")))
        return cfg_fail(why, whylen, "device %u (%s): mode is neither w nor r", devid, dev);
    v->devid = devid;
    snprintf(v->vdev, sizeof(v->vdev), "%s", dev);
    if (*path && !(v->target = strdup(path)))
        return cfg_fail(why, whylen, "out of memory");
    v->readwrite = !strcmp(mode, "w");
    v->is_cdrom = type && !strcmp(type, "cdrom");
    if (v->is_cdrom && !v->target)
        v->format = DISK_FORMAT_EMPTY;
    v->removable = flag_of(get, ctx, "removable");
    v->direct_io_safe = flag_of(get, ctx, "direct-io-safe");
    v->discard = flag_of(get, ctx, "discard-enable");
    const char *trusted = get(ctx, "trusted");
    v->trusted = !trusted || strcmp(trusted, "0");
    return 0;
}
