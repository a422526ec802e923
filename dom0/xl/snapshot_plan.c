/* Snapshot decisions and parsing (see snapshot_plan.h). */
#include "snapshot_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_error.h"

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == ':' || c == '+' || c == '-';
}

int snap_name_check(const char *name, char *why, size_t whylen)
{
    char q[CFG_QUOTE_BUF];
    size_t len = strlen(name);
    bool digits = true;
    if (!len || len > SNAP_NAME_MAX)
        return cfg_fail(why, whylen, "a snapshot name has 1 to %d characters", SNAP_NAME_MAX);
    if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
          (name[0] >= '0' && name[0] <= '9')))
        return cfg_fail(why, whylen, "snapshot name '%s' must start with a letter or digit",
                   cfg_quote(name, q, sizeof(q)));
    for (const char *p = name; *p; p++) {
        if (!name_char(*p))
            return cfg_fail(why, whylen,
                       "snapshot name '%s': only letters, digits and _ . : + - are allowed",
                       cfg_quote(name, q, sizeof(q)));
        digits &= *p >= '0' && *p <= '9';
    }
    if (digits)
        return cfg_fail(why, whylen,
                   "snapshot name '%s' is all digits, which qemu-img would take for a "
                   "snapshot ID",
                   name);
    return 0;
}

int snap_zvol_dataset(const char *path, char *out, size_t len)
{
    static const char prefix[] = "/dev/zvol/";
    if (!path || strncmp(path, prefix, sizeof(prefix) - 1))
        return -1;
    const char *ds = path + sizeof(prefix) - 1;
    size_t n = strlen(ds);
    /* POOL/NAME..., each component non-empty; no snapshot devices. */
    if (!n || n >= len || ds[0] == '/' || ds[n - 1] == '/' || strstr(ds, "//") ||
        strchr(ds, '@') || !strchr(ds, '/') || strstr(ds, "/./") || strstr(ds, "/../"))
        return -1;
    memcpy(out, ds, n + 1);
    return 0;
}

int snap_classify(struct snap_disk *d, const struct vbd *v, const char *dataset, char *why,
                  size_t whylen)
{
    memset(d, 0, sizeof(*d));
    d->v = v;
    if (!v->readwrite || !v->target) {
        d->kind = SNAP_SKIP;
        return 0;
    }
    if (v->format == DISK_FORMAT_QCOW2) {
        d->kind = SNAP_QCOW2;
        return 0;
    }
    if (v->format == DISK_FORMAT_RAW && dataset) {
        if (strlen(dataset) >= sizeof(d->dataset))
            return cfg_fail(why, whylen, "disk %s: ZFS dataset name too long", v->vdev);
        d->kind = SNAP_ZVOL;
        strcpy(d->dataset, dataset);
        return 0;
    }
    return cfg_fail(why, whylen,
               "disk %s (%s, %s) cannot be snapshotted: xl snapshots ZFS volumes and qcow2 "
               "images",
               v->vdev, v->target, v->format == DISK_FORMAT_RAW ? "raw, not a ZFS volume"
                                                                : disk_format_name(v->format));
}

static struct snap_entry *snap_list_append(struct snap_list *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct snap_entry *e = realloc(l->e, cap * sizeof(*e));
        if (!e)
            return NULL;
        l->e = e;
        l->cap = cap;
    }
    struct snap_entry *e = &l->e[l->n++];
    memset(e, 0, sizeof(*e));
    return e;
}

int snap_parse_zfs_list(struct snap_list *l, const char *text, const char *dataset,
                        const char *vdev)
{
    size_t dl = strlen(dataset);
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *tab = memchr(line, '\t', len);
        if (len && !tab)
            return -1;
        if (len && (size_t)(tab - line) > dl + 1 && !strncmp(line, dataset, dl) &&
            line[dl] == '@') {
            struct snap_entry *e = snap_list_append(l);
            if (!e)
                return -1;
            size_t nl = (size_t)(tab - line) - dl - 1;
            if (nl >= sizeof(e->name) || (size_t)(tab - line) >= sizeof(e->where))
                return -1;
            memcpy(e->name, line + dl + 1, nl);
            memcpy(e->where, line, (size_t)(tab - line));
            snprintf(e->vdev, sizeof(e->vdev), "%s", vdev);
            char num[32];
            size_t tl = len - (size_t)(tab - line) - 1;
            char *stop;
            if (tl >= sizeof(num))
                return -1;
            memcpy(num, tab + 1, tl);
            num[tl] = '\0';
            e->created = strtoll(num, &stop, 10);
            if (*stop || stop == num)
                e->created = -1;
        }
        line += len + (end ? 1 : 0);
    }
    return 0;
}

int snap_parse_qemu(struct snap_list *l, const struct json *snapshots, const char *file,
                    const char *vdev)
{
    if (!snapshots)
        return 0;
    if (snapshots->type != JSON_ARRAY)
        return -1;
    for (size_t i = 0; i < snapshots->n; i++) {
        const char *name = json_get_string(snapshots->items[i], "name");
        if (!name)
            return -1;
        struct snap_entry *e = snap_list_append(l);
        if (!e)
            return -1;
        snprintf(e->name, sizeof(e->name), "%s", name);
        snprintf(e->vdev, sizeof(e->vdev), "%s", vdev);
        snprintf(e->where, sizeof(e->where), "%s", file);
        e->created = json_get_int(snapshots->items[i], "date-sec", -1);
    }
    return 0;
}

bool snap_list_has(const struct snap_list *l, const char *vdev, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->e[i].vdev, vdev) && !strcmp(l->e[i].name, name))
            return true;
    return false;
}

static int by_time(const void *a, const void *b)
{
    const struct snap_entry *x = a, *y = b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->vdev, y->vdev);
}

void snap_list_sort(struct snap_list *l)
{
    if (l->n)
        qsort(l->e, l->n, sizeof(*l->e), by_time);
}

void snap_list_free(struct snap_list *l)
{
    free(l->e);
    memset(l, 0, sizeof(*l));
}

int snap_find_node(const struct json *blocks, const char *file, char *node, size_t len,
                   const struct json **image)
{
    if (!blocks || blocks->type != JSON_ARRAY)
        return -1;
    for (size_t i = 0; i < blocks->n; i++) {
        const struct json *ins = json_get(blocks->items[i], "inserted");
        const char *f = json_get_string(ins, "file");
        const char *name = json_get_string(ins, "node-name");
        if (!f || !name || strcmp(f, file))
            continue;
        if (strlen(name) >= len)
            return -1;
        strcpy(node, name);
        if (image)
            *image = json_get(ins, "image");
        return 0;
    }
    return -1;
}
