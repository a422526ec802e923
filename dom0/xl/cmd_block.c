/*
 * Disk hot-plug, with Xen's xl command lines:
 *   xl block-attach DOM DISK-SPEC...   (the spec's parts may be separate
 *                                       arguments; they are joined by ',')
 *   xl block-detach [-f] DOM VDEV      (a name, xvdb, or a device number)
 *   xl block-list DOM...
 * Attaching writes the vbd's entries and, if the domain has no QEMU yet,
 * starts one; QEMU notices the new backend through its xenstore watch and
 * the guest's blkfront connects. Detaching is libxl's "safe remove": the
 * backend is switched off (online=0, state Closing), the guest's blkfront
 * closes the device once nothing uses it, QEMU closes the image, and then
 * the entries go; -f removes them without waiting for the guest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "args.h"
#include "commands.h"
#include "ctl.h"
#include "disk_devices.h"
#include "domains.h"
#include "util.h"
#include "xs_store.h"

/* How long the guest may take to let a disk go (libxl waits 10 s; a guest
 * under TCG on a loaded host is much slower). The wait ends as soon as it
 * has; only a disk the guest keeps in use waits this long. */
#define DETACH_MS 60000

static int open_domu(const char *spec, struct basalt_domain_info *info, struct xs_handle **xs,
                     const char *what)
{
    int rc = ctl_open();
    if (rc) {
        xl_err("cannot reach the hypervisor: %s", ctl_strerror(rc));
        return -1;
    }
    if (dom_resolve(spec, info))
        return -1;
    if (info->domid == 0) {
        xl_err("%s: Domain-0's disks are its own, not xl's", what);
        return -1;
    }
    *xs = xsh_open();
    if (!*xs) {
        xl_err("cannot connect to xenstored: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* The device number of a VDEV operand: a name (xvdb) or the number. */
static long devid_of(const char *vdev)
{
    long devid = vbd_devid(vdev);
    if (devid >= 0)
        return devid;
    char *end;
    unsigned long n = strtoul(vdev, &end, 10);
    return *vdev && !*end && n <= 0x7fffffff ? (long)n : -1;
}

/* Whether any of the vbd's three directories exists for domid. */
static bool disk_exists(struct xs_handle *xs, uint32_t domid, unsigned devid)
{
    char path[XS_PATH_MAX];
    void (*const where[])(unsigned, unsigned, char *, size_t) = {
        vbd_frontend_path, vbd_backend_path, vbd_libxl_path,
    };
    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        where[i](domid, devid, path, sizeof(path));
        unsigned n;
        char **keys = xs_directory(xs, XBT_NULL, path, &n);
        if (keys) {
            free(keys);
            return true;
        }
    }
    return false;
}

int cmd_block_attach(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "", 2, ARGS_MAX_OPERANDS, &a);
    if (rc >= 0)
        return rc;

    /* parse_disk_config_multistring: the parts joined with commas. */
    char *text = args_join_operands(&a, 1);
    if (!text) {
        xl_err("out of memory");
        return 1;
    }
    struct disk_spec spec;
    struct vbd v;
    char why[768];
    if (disk_spec_parse(text, &spec, why, sizeof(why))) {
        xl_err("invalid disk specification '%s': %s", text, why);
        free(text);
        return 1;
    }
    rc = vbd_from_spec(&spec, &v, why, sizeof(why));
    disk_spec_free(&spec);
    if (rc) {
        xl_err("disk '%s': %s", text, why);
        free(text);
        return 1;
    }
    free(text);
    v.source = "command line";
    v.line = 1;

    struct basalt_domain_info info;
    struct xs_handle *xs = NULL;
    rc = 1;
    if (open_domu(a.operand[0], &info, &xs, "block-attach"))
        goto out;
    if (disk_exists(xs, info.domid, v.devid)) {
        xl_err("domain %s (id %u) already has a disk %s (device %u)", info.name, info.domid,
               v.vdev, v.devid);
        goto out;
    }
    if (disks_check(xs, &v, 1, why, sizeof(why))) {
        fprintf(stderr, "%s\n", why);
        goto out;
    }
    uint64_t maxmem_mib = (info.max_pages * 4096) >> 20;
    if (disks_attach(xs, info.domid, info.name, maxmem_mib, &v, 1, why, sizeof(why))) {
        xl_err("cannot attach %s to domain %s: %s", v.vdev, info.name, why);
        goto out;
    }
    rc = 0;
out:
    vbd_free(&v);
    xsh_close(xs);
    return rc;
}

/* Asks QEMU and the guest to let the disk go (libxl's generic remove):
 * online=0 and, unless it is Closed already, state Closing; then waits
 * for Closed. Returns 0, or -1 after a message. */
static int release_disk(struct xs_handle *xs, uint32_t domid, unsigned devid, const char *vdev)
{
    char back[XS_PATH_MAX], state[XS_PATH_MAX + 8], online[XS_PATH_MAX + 8];
    vbd_backend_path(domid, devid, back, sizeof(back));
    snprintf(state, sizeof(state), "%s/state", back);
    snprintf(online, sizeof(online), "%s/online", back);
    for (int attempt = 0;; attempt++) {
        xs_transaction_t t = xs_transaction_start(xs);
        if (t == XBT_NULL) {
            xl_err("cannot start a xenstore transaction: %s", strerror(errno));
            return -1;
        }
        unsigned n;
        char *s = xs_read(xs, t, state, &n);
        if (!s) {
            xs_transaction_end(xs, t, true);
            return 0; /* no backend left: nothing to wait for */
        }
        bool closed = atoi(s) == 6;
        free(s);
        bool ok = xs_write(xs, t, online, "0", 1) && (closed || xs_write(xs, t, state, "5", 1));
        if (ok && xs_transaction_end(xs, t, false))
            break;
        if (!ok)
            xs_transaction_end(xs, t, true);
        if ((!ok || errno != EAGAIN) || attempt >= 10) {
            xl_err("cannot switch the backend of %s off: %s", vdev, strerror(errno));
            return -1;
        }
    }
    uint64_t deadline = xl_now_ms() + DETACH_MS;
    for (;;) {
        long st = disk_read_number(xs, state);
        if (st == 6 || st < 0)
            return 0;
        if (xl_now_ms() >= deadline) {
            xl_err("domain %u did not let %s go within %d s (is it mounted or in use?); "
                   "'xl block-detach -f' removes it regardless",
                   domid, vdev, DETACH_MS / 1000);
            return -1;
        }
        xl_sleep_ms(100);
    }
}

int cmd_block_detach(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "f", 2, 2, &a);
    if (rc >= 0)
        return rc;
    long devid = devid_of(a.operand[1]);
    if (devid < 0) {
        xl_err("'%s' is not a virtual disk (xvdb, or a device number)", a.operand[1]);
        return 2;
    }
    struct basalt_domain_info info;
    struct xs_handle *xs = NULL;
    rc = 1;
    if (open_domu(a.operand[0], &info, &xs, "block-detach"))
        goto out;
    if (!disk_exists(xs, info.domid, (unsigned)devid)) {
        fprintf(stderr, "Error: Device %s not connected.\n", a.operand[1]);
        goto out;
    }
    if (!args_has(&a, 'f') && release_disk(xs, info.domid, (unsigned)devid, a.operand[1]))
        goto out;
    disk_remove_entries(xs, info.domid, (unsigned)devid);
    rc = 0;
out:
    xsh_close(xs);
    return rc;
}

static long frontend_number(struct xs_handle *xs, const char *front, const char *key)
{
    char path[XS_PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/%s", front, key);
    return disk_read_number(xs, path);
}

int cmd_block_list(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "", 1, ARGS_MAX_OPERANDS, &a);
    if (rc >= 0)
        return rc;
    if ((rc = ctl_open())) {
        xl_err("cannot reach the hypervisor: %s", ctl_strerror(rc));
        return 1;
    }
    struct xs_handle *xs = xsh_open();
    if (!xs) {
        xl_err("cannot connect to xenstored: %s", strerror(errno));
        return 1;
    }
    printf("%-5s %-3s %-6s %-5s %-6s %-8s %-30s\n", "Vdev", "BE", "handle", "state", "evt-ch",
           "ring-ref", "BE-path");
    int status = 0;
    for (unsigned i = 0; i < a.n_operands; i++) {
        struct basalt_domain_info info;
        if (dom_resolve(a.operand[i], &info)) {
            status = 1;
            continue;
        }
        struct vbd *disks;
        unsigned n;
        char why[256];
        if (disks_read(xs, info.domid, &disks, &n, why, sizeof(why))) {
            xl_err("domain %u: %s", info.domid, why);
            status = 1;
            continue;
        }
        for (unsigned d = 0; d < n; d++) {
            char front[XS_PATH_MAX], back[XS_PATH_MAX];
            vbd_frontend_path(info.domid, disks[d].devid, front, sizeof(front));
            vbd_backend_path(info.domid, disks[d].devid, back, sizeof(back));
            printf("%-5u %-3d %-6u %-5ld %-6ld %-8ld %-30s\n", disks[d].devid, VBD_BACKEND_DOMID,
                   info.domid, frontend_number(xs, front, "state"),
                   frontend_number(xs, front, "event-channel"),
                   frontend_number(xs, front, "ring-ref"), back);
        }
        disks_free(disks, n);
    }
    xsh_close(xs);
    return status;
}
