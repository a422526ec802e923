/* A domain's disks in xenstore and QEMU (see disk_devices.h). */
#include "disk_devices.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xenstore.h>

#include "cfg_error.h"
#include "ctl.h"
#include "dom0/lib/domid.h"
#include "qemu_dm.h"
#include "util.h"
#include "xs_store.h"

long disk_read_number(struct xs_handle *xs, const char *path)
{
    char *v = xsh_read(xs, path), *end;
    long n = -1;
    if (v && *v) {
        n = strtol(v, &end, 10);
        if (*end || n < 0)
            n = -1;
    }
    free(v);
    return n;
}

/* What makes two targets the same disk: the device for block devices,
 * the inode for files (symlinks and /dev/zvol links followed). */
struct target_id {
    bool block;
    dev_t dev;
    ino_t ino;
};

static int target_id_of(const char *path, struct target_id *id)
{
    struct stat st;
    if (stat(path, &st))
        return -errno;
    if (S_ISBLK(st.st_mode)) {
        *id = (struct target_id){ true, st.st_rdev, 0 };
        return 0;
    }
    if (S_ISREG(st.st_mode)) {
        *id = (struct target_id){ false, st.st_dev, st.st_ino };
        return 0;
    }
    return -EINVAL;
}

static bool same_target(const struct target_id *a, const struct target_id *b)
{
    return a->block == b->block && a->dev == b->dev && a->ino == b->ino;
}

struct reader_ctx {
    struct xs_handle *xs;
    char base[XS_PATH_MAX];
    char *held[16];
    unsigned n;
};

/* vbd_from_record's key reader: values live until reader_done. */
static const char *read_key(void *p, const char *key)
{
    struct reader_ctx *c = p;
    char path[XS_PATH_MAX + 32];
    if (c->n == sizeof(c->held) / sizeof(c->held[0]))
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", c->base, key);
    char *v = xsh_read(c->xs, path);
    if (v)
        c->held[c->n++] = v;
    return v;
}

static void reader_done(struct reader_ctx *c)
{
    for (unsigned i = 0; i < c->n; i++)
        free(c->held[i]);
    c->n = 0;
}

void disks_free(struct vbd *v, unsigned n)
{
    for (unsigned i = 0; v && i < n; i++)
        vbd_free(&v[i]);
    free(v);
}

int disks_read(struct xs_handle *xs, uint32_t domid, struct vbd **out, unsigned *n, char *err,
               size_t errlen)
{
    char dir[64];
    unsigned count = 0;
    *out = NULL;
    *n = 0;
    snprintf(dir, sizeof(dir), "/libxl/%u/device/vbd", domid);
    char **names = xs_directory(xs, XBT_NULL, dir, &count);
    if (!names)
        return errno == ENOENT ? 0 : cfg_fail(err, errlen, "cannot read %s: %s", dir, strerror(errno));
    struct vbd *v = calloc(count ? count : 1, sizeof(*v));
    if (!v) {
        free(names);
        return cfg_fail(err, errlen, "out of memory");
    }
    unsigned got = 0;
    for (unsigned i = 0; i < count; i++) {
        char *end;
        unsigned long devid = strtoul(names[i], &end, 10);
        if (*end || end == names[i])
            continue;
        struct reader_ctx c = { .xs = xs };
        snprintf(c.base, sizeof(c.base), "%s/%lu", dir, devid);
        int rc = vbd_from_record((unsigned)devid, read_key, &c, &v[got], err, errlen);
        reader_done(&c);
        if (rc) {
            free(names);
            disks_free(v, got);
            return -1;
        }
        got++;
    }
    free(names);
    *out = v;
    *n = got;
    return 0;
}

/* Domains with disk records (the ids under /libxl with a device/vbd). */
static uint32_t *domains_with_disks(struct xs_handle *xs, unsigned *n)
{
    unsigned count = 0;
    char **names = xs_directory(xs, XBT_NULL, "/libxl", &count);
    uint32_t *ids = calloc(count ? count : 1, sizeof(*ids));
    *n = 0;
    if (!names || !ids) {
        free(names);
        return ids;
    }
    for (unsigned i = 0; i < count; i++) {
        uint32_t id;
        if (domid_parse(names[i], &id) && id != 0)
            ids[(*n)++] = id;
    }
    free(names);
    return ids;
}

/* Is one of ours (want) also used by an existing domain? */
static int check_other_domains(struct xs_handle *xs, const struct vbd *disks,
                               const struct target_id *ids, unsigned n, char *err, size_t errlen)
{
    unsigned ndom;
    uint32_t *doms = domains_with_disks(xs, &ndom);
    int rc = 0;
    for (unsigned d = 0; d < ndom && !rc; d++) {
        struct basalt_domain_info info;
        if (ctl_domain_info(doms[d], &info))
            continue; /* gone: its record does not count */
        struct vbd *theirs;
        unsigned nt;
        char why[256];
        if (disks_read(xs, doms[d], &theirs, &nt, why, sizeof(why)))
            continue;
        for (unsigned t = 0; t < nt && !rc; t++) {
            struct target_id tid;
            if (!theirs[t].target || target_id_of(theirs[t].target, &tid))
                continue;
            for (unsigned i = 0; i < n && !rc; i++) {
                if (!disks[i].target || !same_target(&ids[i], &tid))
                    continue;
                if (!disks[i].readwrite && !theirs[t].readwrite)
                    continue;
                rc = cfg_fail(err, errlen,
                          "%s:%u: disk %s: %s is in use by domain %s (id %u) as %s%s; a disk "
                          "may be shared between running guests only if all of them only read it",
                          disks[i].source, disks[i].line, disks[i].vdev, disks[i].target,
                          info.name, doms[d], theirs[t].vdev,
                          theirs[t].readwrite ? ", read-write" : ", read-only");
            }
        }
        disks_free(theirs, nt);
    }
    free(doms);
    return rc;
}

int disks_check(struct xs_handle *xs, const struct vbd *disks, unsigned n, char *err,
                size_t errlen)
{
    if (!n)
        return 0;
    struct target_id *ids = calloc(n, sizeof(*ids));
    if (!ids)
        return cfg_fail(err, errlen, "out of memory");
    int rc = 0;
    for (unsigned i = 0; i < n && !rc; i++) {
        const struct vbd *v = &disks[i];
        if (!v->target)
            continue;
        int e = target_id_of(v->target, &ids[i]);
        if (e == -EINVAL)
            rc = cfg_fail(err, errlen, "%s:%u: disk %s: %s is neither a block device nor a file",
                      v->source, v->line, v->vdev, v->target);
        else if (e)
            rc = cfg_fail(err, errlen, "%s:%u: disk %s: target %s: %s", v->source, v->line, v->vdev,
                      v->target, e == -ENOENT ? "does not exist" : strerror(-e));
        for (unsigned j = 0; j < i && !rc; j++)
            if (disks[j].target && same_target(&ids[i], &ids[j]) &&
                (v->readwrite || disks[j].readwrite))
                rc = cfg_fail(err, errlen, "%s:%u: disk %s: %s is already this domain's %s; a disk "
                          "may be given twice only read-only",
                          v->source, v->line, v->vdev, v->target, disks[j].vdev);
    }
    if (!rc)
        rc = check_other_domains(xs, disks, ids, n, err, errlen);
    free(ids);
    return rc;
}

void disk_remove_entries(struct xs_handle *xs, uint32_t domid, unsigned devid)
{
    char path[XS_PATH_MAX];
    vbd_frontend_path(domid, devid, path, sizeof(path));
    xs_rm(xs, XBT_NULL, path);
    vbd_backend_path(domid, devid, path, sizeof(path));
    xs_rm(xs, XBT_NULL, path);
    vbd_libxl_path(domid, devid, path, sizeof(path));
    xs_rm(xs, XBT_NULL, path);
}

/* Waits until QEMU has taken up every disk: it writes the backend's state
 * 2 (InitWait) when it has opened the image; an image it cannot open
 * leaves state 1 and a line in its log. */
static int wait_taken_up(struct xs_handle *xs, uint32_t domid, const char *name,
                         const struct vbd *disks, unsigned n, long long log_from, char *err,
                         size_t errlen)
{
    uint64_t deadline = xl_now_ms() + DISK_TAKE_UP_MS;
    for (unsigned i = 0; i < n; i++) {
        char path[XS_PATH_MAX + 8], refused[64];
        vbd_backend_path(domid, disks[i].devid, path, sizeof(path));
        strcat(path, "/state");
        /* QEMU's words when it cannot make the device (xen_bus_backend_create). */
        snprintf(refused, sizeof(refused), "device '%u':", disks[i].devid);
        for (;;) {
            long state = disk_read_number(xs, path);
            if (state >= 2)
                break;
            if (xl_now_ms() >= deadline || !qemu_dm_find(domid) ||
                qemu_dm_log_has(name, log_from, refused)) {
                char tail[512];
                qemu_dm_log_tail(name, tail, sizeof(tail));
                return cfg_fail(err, errlen, "QEMU did not open disk %s (%s)%s%s", disks[i].vdev,
                            disks[i].target ? disks[i].target : "empty", *tail ? ": " : "",
                            tail);
            }
            xl_sleep_ms(50);
        }
    }
    return 0;
}

int disks_attach(struct xs_handle *xs, uint32_t domid, const char *name, uint64_t maxmem_mib,
                 const struct vbd *disks, unsigned n, char *err, size_t errlen)
{
    struct xs_entry_list l = { 0 };
    int rc = 0;
    for (unsigned i = 0; i < n && !rc; i++)
        rc = vbd_entries(domid, &disks[i], &l);
    if (rc) {
        xs_entries_free(&l);
        return cfg_fail(err, errlen, "out of memory");
    }
    long long log_from = qemu_dm_log_size(name);
    rc = xsh_write_entries(xs, &l);
    xs_entries_free(&l);
    if (rc)
        return cfg_fail(err, errlen, "cannot write the disks' xenstore entries: %s", strerror(-rc));
    if (!qemu_dm_find(domid) && qemu_dm_start(xs, domid, name, maxmem_mib, err, errlen) < 0)
        rc = -1;
    if (!rc)
        rc = wait_taken_up(xs, domid, name, disks, n, log_from, err, errlen);
    if (rc)
        for (unsigned i = 0; i < n; i++)
            disk_remove_entries(xs, domid, disks[i].devid);
    return rc;
}
