/*
 * libFuzzer target for what xl reads from QEMU and zfs when it handles
 * disks (dom0/xl/json.c, snapshot_plan.c) and for the vbd it makes of a
 * disk= entry (disk_vbd.c). The input is a QMP reply, `qemu-img info`
 * output or `zfs list` output; its first line is also a disk= entry.
 * Invariants: every string json_quote writes parses back to itself; a vbd's
 * device number is its vdev's; its entries and its record read back.
 */
#include "dom0/xl/cfg_error.c"
#include "dom0/xl/disk_spec.c"
#include "dom0/xl/uuid.c"
#include "dom0/xl/xs_entries.c"
#include "dom0/xl/disk_vbd.c"
#include "dom0/xl/json.c"
#include "dom0/xl/snapshot_plan.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_check(int cond)
{
    if (!cond)
        abort();
}

/* Every string in the tree survives json_quote and a second parse. */
static void quote_strings(const struct json *j)
{
    char out[4096], err[64];
    if (j->type == JSON_STRING && strlen(j->string) < 512 && !json_quote(j->string, out, sizeof(out))) {
        struct json *back = json_parse(out, strlen(out), err, sizeof(err));
        fuzz_check(back && back->type == JSON_STRING && !strcmp(back->string, j->string));
        json_free(back);
    }
    for (size_t i = 0; i < j->n; i++)
        quote_strings(j->items[i]);
}

static const struct xs_entry *entry_at(const struct xs_entry_list *l, const char *path)
{
    for (size_t i = 0; i < l->count; i++)
        if (!strcmp(l->items[i].path, path))
            return &l->items[i];
    return NULL;
}

struct record {
    const struct xs_entry_list *l;
    char dir[XS_PATH_MAX];
};

static const char *record_key(void *p, const char *key)
{
    struct record *r = p;
    char path[XS_PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", r->dir, key);
    const struct xs_entry *e = entry_at(r->l, path);
    return e ? e->value : NULL;
}

static void disk_entry(const char *line)
{
    struct disk_spec spec;
    struct vbd v, back;
    char why[512];
    if (disk_spec_parse(line, &spec, why, sizeof(why)))
        return;
    int rc = vbd_from_spec(&spec, &v, why, sizeof(why));
    disk_spec_free(&spec);
    if (rc)
        return;
    fuzz_check(vbd_devid(v.vdev) == (long)v.devid);
    struct xs_entry_list l = { 0 };
    if (!vbd_entries(9, &v, &l)) {
        struct record r = { &l, "" };
        vbd_libxl_path(9, v.devid, r.dir, sizeof(r.dir));
        fuzz_check(!vbd_from_record(v.devid, record_key, &r, &back, why, sizeof(why)));
        fuzz_check(back.devid == v.devid && back.readwrite == v.readwrite &&
                   back.format == v.format && !strcmp(back.vdev, v.vdev) &&
                   (!back.target) == (!v.target) && (!v.target || !strcmp(back.target, v.target)));
        vbd_free(&back);
    }
    xs_entries_free(&l);
    vbd_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), err[128];
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    struct json *j = json_parse(text, size, err, sizeof(err));
    if (j) {
        quote_strings(j);
        struct snap_list l = { 0 };
        char node[64];
        const struct json *image = NULL;
        const struct json *blocks = json_get(j, "return");
        if (!snap_find_node(blocks, "/srv/a.qcow2", node, sizeof(node), &image))
            fuzz_check(strlen(node) < sizeof(node));
        snap_parse_qemu(&l, json_get(image, "snapshots"), "/srv/a.qcow2", "xvda");
        snap_parse_qemu(&l, json_get(j, "snapshots"), "/srv/a.qcow2", "xvdb");
        snap_list_sort(&l);
        snap_list_free(&l);
        json_free(j);
    }
    struct snap_list l = { 0 };
    snap_parse_zfs_list(&l, text, "tank/web", "xvda");
    for (size_t i = 0; i < l.n; i++)
        fuzz_check(snap_list_has(&l, l.e[i].vdev, l.e[i].name));
    snap_list_free(&l);

    char *nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    disk_entry(text);
    free(text);
    return 0;
}
