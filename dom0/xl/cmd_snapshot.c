/*
 * Disk snapshots of a domain, for both kinds of volume xl can snapshot:
 *   xl snapshot-create DOM NAME    every writable disk gets snapshot NAME
 *   xl snapshot-list DOM
 *   xl snapshot-revert DOM NAME    (the domain must not exist)
 *   xl snapshot-delete DOM NAME
 * DOM is a domain's name or id, or the path of its xl.cfg file (what
 * names a domain that is not running: the file says which disks it has).
 *
 * A ZFS volume is snapshotted with zfs (one `zfs snapshot` for all of
 * them, which ZFS makes atomic); a qcow2 image with QEMU's internal
 * snapshots: through QMP while the domain's QEMU has it open (a
 * transaction, atomic across images), with qemu-img otherwise. While the
 * domain runs it is paused for the moment of the snapshot: QEMU's
 * transaction first drains the I/O in flight, then Dom0's cache of each
 * volume is flushed. The result is crash-consistent: every write the
 * guest had completed is in the snapshot, as after a power cut; data the
 * guest still held in its own page cache is not (run `sync` in the guest,
 * or shut it down, for a clean file system).
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "build_request.h"
#include "commands.h"
#include "ctl.h"
#include "disk_devices.h"
#include "domains.h"
#include "qemu_dm.h"
#include "qmp.h"
#include "run_cmd.h"
#include "snapshot_plan.h"
#include "util.h"
#include "xl_config.h"
#include "xs_store.h"

struct snap_ctx {
    bool exists;                    /* a domain of that name exists */
    struct basalt_domain_info info;
    char name[BASALT_NAME_LEN];
    struct xs_handle *xs;
    struct vbd *disks;              /* owned */
    unsigned n;
    struct snap_disk *plan;         /* n entries */
    bool via_qmp;                   /* qcow2 images through the running QEMU */
    struct qmp qmp;
    struct json *blocks;            /* query-block's reply */
};

static bool looks_like_file(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 4 && !strcmp(s + n - 4, ".cfg"));
}

/* The disks of a domain that is not running, from its configuration. */
static int disks_from_file(struct snap_ctx *c, const char *file)
{
    struct xl_config cfg;
    struct build_request r;
    struct strlist notes = { 0 };
    char err[1024];
    if (xl_config_load(file, NULL, 0, &cfg, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    int rc = build_request_from_config(&cfg, &r, &notes, err, sizeof(err));
    strlist_free(&notes);
    if (rc) {
        fprintf(stderr, "%s\n", err);
        xl_config_free(&cfg);
        return -1;
    }
    snprintf(c->name, sizeof(c->name), "%s", r.name);
    c->disks = r.disks;
    c->n = r.n_disks;
    /* r.disks' targets are its own; their source points into cfg. */
    for (unsigned i = 0; i < c->n; i++)
        c->disks[i].source = NULL;
    xl_config_free(&cfg);
    return 0;
}

/* The ZFS volume behind a block device that is not named by its
 * /dev/zvol/ path: the /dev/zvol link to the same device. */
static int find_zvol_link(const char *dir, dev_t rdev, char *out, size_t len, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = -1;
    if (!d)
        return -1;
    while (found && (e = readdir(d))) {
        char path[512];
        struct stat st;
        if (e->d_name[0] == '.' || strchr(e->d_name, '@'))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (lstat(path, &st))
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth < 16)
                found = find_zvol_link(path, rdev, out, len, depth + 1);
        } else if (!stat(path, &st) && S_ISBLK(st.st_mode) && st.st_rdev == rdev &&
                   !snap_zvol_dataset(path, out, len)) {
            found = 0;
        }
    }
    closedir(d);
    return found;
}

static int zvol_dataset_of(const char *target, char *out, size_t len)
{
    struct stat st;
    if (stat(target, &st) || !S_ISBLK(st.st_mode))
        return -1;
    if (!snap_zvol_dataset(target, out, len))
        return 0;
    return find_zvol_link("/dev/zvol", st.st_rdev, out, len, 0);
}

static void ctx_free(struct snap_ctx *c)
{
    if (c->qmp.fd >= 0)
        qmp_close(&c->qmp);
    json_free(c->blocks);
    free(c->plan);
    disks_free(c->disks, c->n);
    xsh_close(c->xs);
}

/* Finds the domain and its disks, and decides what to do with each. */
static int ctx_open(struct snap_ctx *c, const char *operand)
{
    char why[512];
    memset(c, 0, sizeof(*c));
    c->qmp.fd = -1;
    int rc = ctl_open();
    if (rc) {
        xl_err("cannot reach the hypervisor: %s", ctl_strerror(rc));
        return -1;
    }
    if (!(c->xs = xsh_open())) {
        xl_err("cannot connect to xenstored: %s", strerror(errno));
        return -1;
    }
    if (looks_like_file(operand)) {
        if (disks_from_file(c, operand))
            return -1;
        rc = dom_find_name(c->name, &c->info);
        if (rc < 0)
            return -1;
        c->exists = rc == 1;
        if (c->exists) {
            /* Running: what it has now (hot-plug included) counts. */
            disks_free(c->disks, c->n);
            c->disks = NULL;
            c->n = 0;
        }
    } else {
        if (dom_resolve(operand, &c->info)) {
            fprintf(stderr, "(for a domain that is not running, give its configuration file)\n");
            return -1;
        }
        c->exists = true;
    }
    if (c->exists) {
        if (c->info.domid == 0) {
            xl_err("Domain-0's disks are not xl's to snapshot");
            return -1;
        }
        snprintf(c->name, sizeof(c->name), "%s", c->info.name);
        if (disks_read(c->xs, c->info.domid, &c->disks, &c->n, why, sizeof(why))) {
            xl_err("domain %s: %s", c->name, why);
            return -1;
        }
        c->via_qmp = qemu_dm_find(c->info.domid) > 0;
    }
    c->plan = calloc(c->n ? c->n : 1, sizeof(*c->plan));
    if (!c->plan) {
        xl_err("out of memory");
        return -1;
    }
    unsigned useful = 0;
    for (unsigned i = 0; i < c->n; i++) {
        char dataset[SNAP_WHERE_MAX];
        const struct vbd *v = &c->disks[i];
        bool zvol = v->target && v->format == DISK_FORMAT_RAW &&
                    !zvol_dataset_of(v->target, dataset, sizeof(dataset));
        if (snap_classify(&c->plan[i], v, zvol ? dataset : NULL, why, sizeof(why))) {
            xl_err("domain %s: %s", c->name, why);
            return -1;
        }
        useful += c->plan[i].kind != SNAP_SKIP;
    }
    if (!useful) {
        xl_err("domain %s has no writable disk to snapshot", c->name);
        return -1;
    }
    return 0;
}

/* QMP for the qcow2 images of a running domain: connected on first use,
 * with the answer to query-block kept. */
static int qmp_ready(struct snap_ctx *c)
{
    char err[512];
    if (c->blocks)
        return 0;
    if (qmp_open(&c->qmp, c->info.domid, err, sizeof(err))) {
        xl_err("domain %s: %s", c->name, err);
        return -1;
    }
    c->blocks = qmp_call(&c->qmp, "{\"execute\":\"query-block\"}", err, sizeof(err));
    if (!c->blocks) {
        xl_err("domain %s: query-block: %s", c->name, err);
        return -1;
    }
    return 0;
}

static int node_of(struct snap_ctx *c, const struct vbd *v, char *node, size_t len,
                   const struct json **image)
{
    if (qmp_ready(c))
        return -1;
    if (snap_find_node(json_get(c->blocks, "return"), v->target, node, len, image)) {
        xl_err("domain %s: QEMU has no open image %s (disk %s)", c->name, v->target, v->vdev);
        return -1;
    }
    return 0;
}

/* Runs a tool; on failure says what it said. */
static int tool(char *const argv[], char **output)
{
    char *out = NULL;
    int st = run_capture(argv, &out);
    if (st != 0) {
        char cmd[512] = "";
        for (int i = 0; argv[i]; i++) {
            strncat(cmd, argv[i], sizeof(cmd) - strlen(cmd) - 2);
            strncat(cmd, " ", sizeof(cmd) - strlen(cmd) - 1);
        }
        xl_err("%s failed%s%s", cmd, out && *out ? ": " : "",
               out ? out : (st == 127 ? " (not installed?)" : ""));
        free(out);
        return -1;
    }
    if (output)
        *output = out;
    else
        free(out);
    return 0;
}

static int qmp_command(struct snap_ctx *c, const char *cmd)
{
    char err[512];
    if (qmp_ready(c))
        return -1;
    struct json *r = qmp_call(&c->qmp, cmd, err, sizeof(err));
    if (!r) {
        xl_err("domain %s: %s", c->name, err);
        return -1;
    }
    json_free(r);
    return 0;
}

/* One internal-snapshot QMP command ("blockdev-snapshot-internal-sync" or
 * "blockdev-snapshot-delete-internal-sync") as a transaction action or a
 * plain command. */
static int qmp_snapshot_args(char *out, size_t len, const char *node, const char *name)
{
    char qn[256], qs[256];
    if (json_quote(node, qn, sizeof(qn)) || json_quote(name, qs, sizeof(qs)))
        return -1;
    int n = snprintf(out, len, "{\"device\":%s,\"name\":%s}", qn, qs);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int qcow2_delete(struct snap_ctx *c, const struct snap_disk *d, const char *name)
{
    if (c->via_qmp) {
        char node[256], args[600], cmd[700];
        if (node_of(c, d->v, node, sizeof(node), NULL) ||
            qmp_snapshot_args(args, sizeof(args), node, name))
            return -1;
        snprintf(cmd, sizeof(cmd),
                 "{\"execute\":\"blockdev-snapshot-delete-internal-sync\",\"arguments\":%s}", args);
        return qmp_command(c, cmd);
    }
    char *argv[] = { "qemu-img", "snapshot", "-d", (char *)name, d->v->target, NULL };
    return tool(argv, NULL);
}

/* Every snapshot of the domain's disks. */
static int collect(struct snap_ctx *c, struct snap_list *l)
{
    for (unsigned i = 0; i < c->n; i++) {
        const struct snap_disk *d = &c->plan[i];
        char *out = NULL;
        int rc = 0;
        if (d->kind == SNAP_ZVOL) {
            char *argv[] = { "zfs", "list", "-H", "-p", "-o", "name,creation", "-t", "snapshot",
                             "-s", "creation", "-d", "1", (char *)d->dataset, NULL };
            if (tool(argv, &out))
                return -1;
            rc = snap_parse_zfs_list(l, out, d->dataset, d->v->vdev);
        } else if (d->kind == SNAP_QCOW2 && c->via_qmp) {
            char node[256];
            const struct json *image = NULL;
            if (node_of(c, d->v, node, sizeof(node), &image))
                return -1;
            rc = snap_parse_qemu(l, json_get(image, "snapshots"), d->v->target, d->v->vdev);
        } else if (d->kind == SNAP_QCOW2) {
            char *argv[] = { "qemu-img", "info", "-U", "--output=json", d->v->target, NULL };
            char why[256];
            if (tool(argv, &out))
                return -1;
            struct json *info = json_parse(out, strlen(out), why, sizeof(why));
            rc = info ? snap_parse_qemu(l, json_get(info, "snapshots"), d->v->target, d->v->vdev)
                      : -1;
            json_free(info);
        }
        free(out);
        if (rc) {
            xl_err("cannot read the snapshots of disk %s (%s)", d->v->vdev, d->v->target);
            return -1;
        }
    }
    snap_list_sort(l);
    return 0;
}

/* Flushes Dom0's cache of a volume, so that what QEMU wrote is in ZFS
 * before the snapshot. */
static int flush_volume(const struct snap_disk *d)
{
    int fd = open(d->v->target, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd)) {
        xl_err("cannot flush %s: %s", d->v->target, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* The qcow2 part of a snapshot: one QMP transaction, or qemu-img per
 * image (undone if a later one fails). Returns the number made, or -1. */
static int create_qcow2(struct snap_ctx *c, const char *name)
{
    int made = 0;
    if (c->via_qmp) {
        char *cmd = malloc(64 + c->n * 700);
        if (!cmd)
            return -1;
        strcpy(cmd, "{\"execute\":\"transaction\",\"arguments\":{\"actions\":[");
        for (unsigned i = 0; i < c->n; i++) {
            char node[256], args[600];
            if (c->plan[i].kind != SNAP_QCOW2)
                continue;
            if (node_of(c, c->plan[i].v, node, sizeof(node), NULL) ||
                qmp_snapshot_args(args, sizeof(args), node, name)) {
                free(cmd);
                return -1;
            }
            sprintf(cmd + strlen(cmd), "%s{\"type\":\"blockdev-snapshot-internal-sync\",\"data\":%s}",
                    made ? "," : "", args);
            made++;
        }
        strcat(cmd, "]}}");
        int rc = made ? qmp_command(c, cmd) : 0;
        free(cmd);
        return rc ? -1 : made;
    }
    for (unsigned i = 0; i < c->n; i++) {
        if (c->plan[i].kind != SNAP_QCOW2)
            continue;
        char *argv[] = { "qemu-img", "snapshot", "-c", (char *)name, c->plan[i].v->target, NULL };
        if (tool(argv, NULL)) {
            for (unsigned j = 0; j < i; j++)
                if (c->plan[j].kind == SNAP_QCOW2)
                    qcow2_delete(c, &c->plan[j], name);
            return -1;
        }
        made++;
    }
    return made;
}

static int create_zvols(struct snap_ctx *c, const char *name)
{
    char **argv = calloc(c->n + 3, sizeof(*argv));
    char (*snaps)[SNAP_WHERE_MAX + SNAP_NAME_MAX + 2] = calloc(c->n ? c->n : 1, sizeof(*snaps));
    unsigned n = 0;
    int rc = -1;
    if (!argv || !snaps)
        goto out;
    argv[n++] = "zfs";
    argv[n++] = "snapshot";
    for (unsigned i = 0; i < c->n; i++) {
        if (c->plan[i].kind != SNAP_ZVOL)
            continue;
        if (c->exists && flush_volume(&c->plan[i]))
            goto out;
        snprintf(snaps[i], sizeof(snaps[i]), "%s@%s", c->plan[i].dataset, name);
        argv[n++] = snaps[i];
    }
    rc = n > 2 ? tool(argv, NULL) : 0;
out:
    free(argv);
    free(snaps);
    return rc;
}

static int do_create(struct snap_ctx *c, const char *name)
{
    struct snap_list have = { 0 };
    if (collect(c, &have))
        return 1;
    for (unsigned i = 0; i < c->n; i++)
        if (c->plan[i].kind != SNAP_SKIP && snap_list_has(&have, c->plan[i].v->vdev, name)) {
            xl_err("disk %s of domain %s already has a snapshot %s", c->plan[i].v->vdev, c->name,
                   name);
            snap_list_free(&have);
            return 1;
        }
    snap_list_free(&have);

    bool paused = false;
    if (c->exists && !(c->info.flags & BDOM_PAUSED)) {
        int rc = ctl_domain_op(BCTL_DOMAIN_PAUSE, c->info.domid);
        if (rc) {
            xl_err("cannot pause domain %s: %s", c->name, ctl_strerror(rc));
            return 1;
        }
        paused = true;
    }
    int status = 0;
    if (create_qcow2(c, name) < 0) {
        status = 1;
    } else if (create_zvols(c, name)) {
        for (unsigned i = 0; i < c->n; i++)
            if (c->plan[i].kind == SNAP_QCOW2)
                qcow2_delete(c, &c->plan[i], name);
        status = 1;
    }
    if (paused) {
        int rc = ctl_domain_op(BCTL_DOMAIN_UNPAUSE, c->info.domid);
        if (rc) {
            xl_err("cannot unpause domain %s: %s", c->name, ctl_strerror(rc));
            status = 1;
        }
    }
    if (status)
        return status;
    printf("Snapshot %s of domain %s%s:", name, c->name,
           c->exists ? " (crash-consistent: taken while it ran)" : "");
    for (unsigned i = 0; i < c->n; i++) {
        const struct snap_disk *d = &c->plan[i];
        if (d->kind == SNAP_ZVOL)
            printf(" %s (zfs %s@%s)", d->v->vdev, d->dataset, name);
        else if (d->kind == SNAP_QCOW2)
            printf(" %s (qcow2 %s)", d->v->vdev, d->v->target);
    }
    printf("\n");
    return 0;
}

static int do_list(struct snap_ctx *c)
{
    struct snap_list l = { 0 };
    if (collect(c, &l))
        return 1;
    printf("%-24s %-6s %-19s %s\n", "Name", "Disk", "Created", "Where");
    for (size_t i = 0; i < l.n; i++) {
        char when[32] = "-";
        if (l.e[i].created >= 0) {
            time_t t = (time_t)l.e[i].created;
            struct tm tm;
            if (localtime_r(&t, &tm))
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        }
        printf("%-24s %-6s %-19s %s\n", l.e[i].name, l.e[i].vdev, when, l.e[i].where);
    }
    snap_list_free(&l);
    return 0;
}

/* ZFS rolls back only to a volume's latest snapshot; say so before
 * anything is changed rather than halfway through. */
static int zfs_latest(const struct snap_list *l, const struct snap_disk *d, const char *name)
{
    const struct snap_entry *last = NULL;
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->e[i].vdev, d->v->vdev))
            last = &l->e[i];
    if (last && strcmp(last->name, name)) {
        xl_err("%s@%s is not the latest snapshot of %s (%s is): ZFS rolls back to the latest "
               "only; delete the later ones first (xl snapshot-delete), or use zfs rollback -r",
               d->dataset, name, d->dataset, last->where);
        return -1;
    }
    return 0;
}

static int do_revert(struct snap_ctx *c, const char *name)
{
    if (c->exists) {
        xl_err("domain %s (id %u) exists: shut it down first (xl shutdown -w %s); a running "
               "guest's caches would not match the reverted disks",
               c->name, c->info.domid, c->name);
        return 1;
    }
    struct snap_list l = { 0 };
    int status = 1;
    if (collect(c, &l))
        return 1;
    for (unsigned i = 0; i < c->n; i++) {
        const struct snap_disk *d = &c->plan[i];
        if (d->kind == SNAP_SKIP)
            continue;
        if (!snap_list_has(&l, d->v->vdev, name)) {
            xl_err("disk %s (%s) has no snapshot %s; nothing reverted", d->v->vdev,
                   d->kind == SNAP_ZVOL ? d->dataset : d->v->target, name);
            goto out;
        }
        if (d->kind == SNAP_ZVOL && zfs_latest(&l, d, name))
            goto out;
    }
    for (unsigned i = 0; i < c->n; i++) {
        const struct snap_disk *d = &c->plan[i];
        char snap[SNAP_WHERE_MAX + SNAP_NAME_MAX + 2];
        snprintf(snap, sizeof(snap), "%s@%s", d->dataset, name);
        char *zfs[] = { "zfs", "rollback", snap, NULL };
        char *img[] = { "qemu-img", "snapshot", "-a", (char *)name, d->v->target, NULL };
        if ((d->kind == SNAP_ZVOL && tool(zfs, NULL)) || (d->kind == SNAP_QCOW2 && tool(img, NULL)))
            goto out;
    }
    printf("Domain %s's disks reverted to snapshot %s\n", c->name, name);
    status = 0;
out:
    snap_list_free(&l);
    return status;
}

static int do_delete(struct snap_ctx *c, const char *name)
{
    struct snap_list l = { 0 };
    if (collect(c, &l))
        return 1;
    unsigned found = 0, deleted = 0;
    int status = 0;
    for (unsigned i = 0; i < c->n; i++) {
        const struct snap_disk *d = &c->plan[i];
        if (d->kind == SNAP_SKIP || !snap_list_has(&l, d->v->vdev, name))
            continue;
        found++;
        char snap[SNAP_WHERE_MAX + SNAP_NAME_MAX + 2];
        snprintf(snap, sizeof(snap), "%s@%s", d->dataset, name);
        char *zfs[] = { "zfs", "destroy", snap, NULL };
        if (d->kind == SNAP_ZVOL ? tool(zfs, NULL) : qcow2_delete(c, d, name))
            status = 1;
        else
            deleted++;
    }
    snap_list_free(&l);
    if (!found) {
        xl_err("domain %s has no snapshot %s", c->name, name);
        return 1;
    }
    if (!status)
        printf("Snapshot %s of domain %s deleted (%u disk%s)\n", name, c->name, deleted,
               deleted == 1 ? "" : "s");
    return status;
}

static int snapshot_command(int argc, char **argv, bool takes_name,
                            int (*fn)(struct snap_ctx *, const char *))
{
    struct args a;
    unsigned want = takes_name ? 2 : 1;
    int rc = cmd_args(argc, argv, "", want, want, &a);
    if (rc >= 0)
        return rc;
    char why[256];
    if (takes_name && snap_name_check(a.operand[1], why, sizeof(why))) {
        xl_err("%s", why);
        return 2;
    }
    struct snap_ctx c;
    rc = ctx_open(&c, a.operand[0]) ? 1 : fn(&c, takes_name ? a.operand[1] : NULL);
    ctx_free(&c);
    return rc;
}

static int list_fn(struct snap_ctx *c, const char *name)
{
    (void)name;
    return do_list(c);
}

int cmd_snapshot_create(int argc, char **argv)
{
    return snapshot_command(argc, argv, true, do_create);
}

int cmd_snapshot_list(int argc, char **argv)
{
    return snapshot_command(argc, argv, false, list_fn);
}

int cmd_snapshot_revert(int argc, char **argv)
{
    return snapshot_command(argc, argv, true, do_revert);
}

int cmd_snapshot_delete(int argc, char **argv)
{
    return snapshot_command(argc, argv, true, do_delete);
}
