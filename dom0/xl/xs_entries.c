/* A new domain's xenstore entries (see xs_entries.h). */
#include "xs_entries.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uuid.h"

/* Permission sets, as libxl names them. */
enum entry_perms {
    PERMS_RO,      /* owner Dom0, the domain may read */
    PERMS_RW,      /* owned by the domain */
    PERMS_PRIV,    /* Dom0 only */
    PERMS_BACKEND, /* owner the backend domain, the domain may read */
};

struct entry_builder {
    struct xs_entry_list *list;
    const struct xs_domain_desc *d;
    int failed;
};

static int add_entry_v(struct xs_entry_list *l, const struct xs_perm *perms, unsigned nperms,
                       const char *value, const char *fmt, va_list ap)
{
    if (nperms > XS_ENTRY_MAX_PERMS)
        return -1;
    if (l->count == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        struct xs_entry *n = realloc(l->items, ncap * sizeof(*n));
        if (!n)
            return -1;
        l->items = n;
        l->cap = ncap;
    }
    struct xs_entry *e = &l->items[l->count];
    memset(e, 0, sizeof(*e));
    char path[XS_PATH_MAX];
    int n = vsnprintf(path, sizeof(path), fmt, ap);
    if (n < 0 || (size_t)n >= sizeof(path) || !(e->path = strdup(path)))
        return -1;
    if (value && !(e->value = strdup(value))) {
        free(e->path);
        return -1;
    }
    memcpy(e->perms, perms, nperms * sizeof(*perms));
    e->nperms = nperms;
    l->count++;
    return 0;
}

int xs_entry_add(struct xs_entry_list *l, const struct xs_perm *perms, unsigned nperms,
                 const char *value, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = add_entry_v(l, perms, nperms, value, fmt, ap);
    va_end(ap);
    return rc;
}

static void add_entry(struct entry_builder *c, enum entry_perms perms, const char *value,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void add_entry(struct entry_builder *c, enum entry_perms perms, const char *value,
                      const char *fmt, ...)
{
    unsigned dom = c->d->domid;
    struct xs_perm p[XS_ENTRY_MAX_PERMS];
    unsigned np = 1;
    switch (perms) {
    case PERMS_RO:
        p[0] = (struct xs_perm){ 0, 'n' };
        p[1] = (struct xs_perm){ dom, 'r' };
        np = 2;
        break;
    case PERMS_RW:
        p[0] = (struct xs_perm){ dom, 'n' };
        break;
    case PERMS_PRIV:
        p[0] = (struct xs_perm){ 0, 'n' };
        break;
    case PERMS_BACKEND:
        p[0] = (struct xs_perm){ c->d->backend_domid, 'n' };
        p[1] = (struct xs_perm){ dom, 'r' };
        np = 2;
        break;
    }
    if (c->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (add_entry_v(c->list, p, np, value, fmt, ap))
        c->failed = 1;
    va_end(ap);
}

int xs_entries_build(const struct xs_domain_desc *d, struct xs_entry_list *out)
{
    struct entry_builder c = { out, d, 0 };
    char uuid[UUID_STR_LEN], num[32], dom[64], vm[64];

    memset(out, 0, sizeof(*out));
    uuid_format(d->uuid, uuid);
    snprintf(dom, sizeof(dom), "/local/domain/%u", d->domid);
    snprintf(vm, sizeof(vm), "/vm/%s", uuid);

    /* The domain's home, readable by it; its name and identity. */
    add_entry(&c, PERMS_RO, NULL, "%s", dom);
    add_entry(&c, PERMS_RO, vm, "%s/vm", dom);
    add_entry(&c, PERMS_RO, d->name, "%s/name", dom);
    snprintf(num, sizeof(num), "%u", d->domid);
    add_entry(&c, PERMS_RO, num, "%s/domid", dom);

    /* vCPU hotplug state: Linux watches cpu/ and unplugs "offline" ones. */
    add_entry(&c, PERMS_RO, NULL, "%s/cpu", dom);
    for (unsigned i = 0; i < d->max_vcpus; i++)
        add_entry(&c, PERMS_RO, i < d->vcpus ? "online" : "offline", "%s/cpu/%u/availability", dom,
                  i);

    /* The balloon driver compares target with static-max on its first
     * look; equal values mean "keep what you have" (no ballooning). */
    add_entry(&c, PERMS_RO, NULL, "%s/memory", dom);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)d->static_max_kib);
    add_entry(&c, PERMS_RO, num, "%s/memory/static-max", dom);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)d->target_kib);
    add_entry(&c, PERMS_RO, num, "%s/memory/target", dom);

    /* Frontend devices go under device/; the guest writes the rest. */
    add_entry(&c, PERMS_RO, NULL, "%s/device", dom);
    add_entry(&c, PERMS_RW, "", "%s/device/suspend/event-channel", dom);

    /* The PV shutdown protocol: xl writes control/shutdown, the guest
     * answers by clearing it and advertises what it supports. */
    add_entry(&c, PERMS_RO, NULL, "%s/control", dom);
    add_entry(&c, PERMS_RW, "", "%s/control/shutdown", dom);
    add_entry(&c, PERMS_RW, "", "%s/control/feature-poweroff", dom);
    add_entry(&c, PERMS_RW, "", "%s/control/feature-reboot", dom);
    add_entry(&c, PERMS_RW, "", "%s/control/feature-suspend", dom);
    add_entry(&c, PERMS_RW, "", "%s/control/sysrq", dom);
    add_entry(&c, PERMS_RO, "1", "%s/control/platform-feature-multiprocessor-suspend", dom);
    add_entry(&c, PERMS_RO, "1", "%s/control/platform-feature-xs_reset_watches", dom);
    static const char *const own_dirs[] = { "data", "drivers", "feature", "attr", "error" };
    for (size_t i = 0; i < sizeof(own_dirs) / sizeof(own_dirs[0]); i++)
        add_entry(&c, PERMS_RW, NULL, "%s/%s", dom, own_dirs[i]);

    /* The xenstore ring (ring-ref is a GFN despite its name). */
    add_entry(&c, PERMS_RO, NULL, "%s/store", dom);
    snprintf(num, sizeof(num), "%u", d->store_port);
    add_entry(&c, PERMS_RO, num, "%s/store/port", dom);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)d->store_gfn);
    add_entry(&c, PERMS_RO, num, "%s/store/ring-ref", dom);

    /* The primary console, served by xenconsoled, which writes tty. */
    char backend[96];
    snprintf(backend, sizeof(backend), "/local/domain/%u/backend/console/%u/0", d->backend_domid,
             d->domid);
    add_entry(&c, PERMS_BACKEND, NULL, "%s/console", dom);
    add_entry(&c, PERMS_BACKEND, backend, "%s/console/backend", dom);
    snprintf(num, sizeof(num), "%u", d->backend_domid);
    add_entry(&c, PERMS_BACKEND, num, "%s/console/backend-id", dom);
    add_entry(&c, PERMS_BACKEND, "1048576", "%s/console/limit", dom);
    add_entry(&c, PERMS_BACKEND, "xenconsoled", "%s/console/type", dom);
    add_entry(&c, PERMS_BACKEND, "pty", "%s/console/output", dom);
    add_entry(&c, PERMS_BACKEND, "", "%s/console/tty", dom);
    snprintf(num, sizeof(num), "%u", d->console_port);
    add_entry(&c, PERMS_BACKEND, num, "%s/console/port", dom);
    snprintf(num, sizeof(num), "%llu", (unsigned long long)d->console_gfn);
    add_entry(&c, PERMS_BACKEND, num, "%s/console/ring-ref", dom);
    char front[96];
    snprintf(front, sizeof(front), "%s/console", dom);
    add_entry(&c, PERMS_BACKEND, NULL, "%s", backend);
    add_entry(&c, PERMS_BACKEND, front, "%s/frontend", backend);
    snprintf(num, sizeof(num), "%u", d->domid);
    add_entry(&c, PERMS_BACKEND, num, "%s/frontend-id", backend);
    add_entry(&c, PERMS_BACKEND, "1", "%s/online", backend);
    add_entry(&c, PERMS_BACKEND, "1", "%s/state", backend); /* XenbusStateInitialising */
    add_entry(&c, PERMS_BACKEND, "vt100", "%s/protocol", backend);

    /* What hvmloader reads (libxl_create.c, libxl_dm.c): which BIOS to
     * load (the "firmware" module holds SeaBIOS), that RAM may not be
     * moved above 4 GiB to make room for PCI BARs (qemu-xen's mapcache
     * cannot follow), the ACPI tables to build, the device model. */
    if (d->hvm) {
        add_entry(&c, PERMS_RO, NULL, "%s/hvmloader", dom);
        add_entry(&c, PERMS_RO, "seabios", "%s/hvmloader/bios", dom);
        add_entry(&c, PERMS_RO, "0", "%s/hvmloader/allow-memory-relocate", dom);
        add_entry(&c, PERMS_RO, NULL, "%s/platform", dom);
        add_entry(&c, PERMS_RO, d->acpi ? "1" : "0", "%s/platform/acpi", dom);
        add_entry(&c, PERMS_RO, d->acpi ? "1" : "0", "%s/platform/acpi_s3", dom);
        add_entry(&c, PERMS_RO, d->acpi ? "1" : "0", "%s/platform/acpi_s4", dom);
        add_entry(&c, PERMS_RO, "0", "%s/platform/acpi_laptop_slate", dom);
        add_entry(&c, PERMS_RO, "qemu_xen", "%s/platform/device-model", dom);
    }

    /* /vm/<uuid>: the domain's identity across restarts. */
    add_entry(&c, PERMS_RO, NULL, "%s", vm);
    add_entry(&c, PERMS_RO, uuid, "%s/uuid", vm);
    add_entry(&c, PERMS_RO, d->name, "%s/name", vm);
    snprintf(num, sizeof(num), "%llu.%02u", (unsigned long long)d->start_time_sec,
             d->start_time_cs % 100);
    add_entry(&c, PERMS_RO, num, "%s/start_time", vm);

    /* /libxl/N: the toolstack's private record. */
    add_entry(&c, PERMS_PRIV, NULL, "/libxl/%u", d->domid);
    add_entry(&c, PERMS_PRIV, d->type, "/libxl/%u/type", d->domid);
    add_entry(&c, PERMS_PRIV, d->on_poweroff, "/libxl/%u/on_poweroff", d->domid);
    add_entry(&c, PERMS_PRIV, d->on_reboot, "/libxl/%u/on_reboot", d->domid);
    add_entry(&c, PERMS_PRIV, d->on_crash, "/libxl/%u/on_crash", d->domid);

    if (c.failed) {
        xs_entries_free(out);
        return -1;
    }
    return 0;
}

void xs_entries_free(struct xs_entry_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].path);
        free(list->items[i].value);
    }
    free(list->items);
    memset(list, 0, sizeof(*list));
}

/* "/vm/X" with X one non-empty component of safe characters. */
static int is_safe_vm_path(const char *p)
{
    if (!p || strncmp(p, "/vm/", 4) || !p[4] || strlen(p) >= XS_PATH_MAX)
        return 0;
    for (const char *s = p + 4; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              *s == '-' || *s == '_'))
            return 0;
    return 1;
}

unsigned xs_cleanup_paths(unsigned domid, unsigned backend_domid, const char *vm_path,
                          char paths[XS_CLEANUP_MAX][XS_PATH_MAX])
{
    unsigned n = 0;
    if (domid == 0 || domid == backend_domid)
        return 0; /* never Dom0's own entries */
    snprintf(paths[n++], XS_PATH_MAX, "/local/domain/%u", domid);
    if (is_safe_vm_path(vm_path))
        snprintf(paths[n++], XS_PATH_MAX, "%s", vm_path);
    snprintf(paths[n++], XS_PATH_MAX, "/libxl/%u", domid);
    snprintf(paths[n++], XS_PATH_MAX, "/local/domain/%u/backend/console/%u", backend_domid, domid);
    snprintf(paths[n++], XS_PATH_MAX, "/local/domain/%u/backend/qdisk/%u", backend_domid, domid);
    snprintf(paths[n++], XS_PATH_MAX, "/local/domain/%u/device-model/%u", backend_domid, domid);
    return n;
}
