/*
 * xl save [-c] DOM FILE
 *
 * Cooperative, as Xen saves a PVH guest: control/shutdown = "suspend";
 * the guest freezes its devices and makes SCHEDOP_shutdown(suspend); once
 * the hypervisor shows it shut down for that reason, xl writes its state
 * to FILE (docs/save-format.md): the domain's settings and the guest's own
 * xenstore keys, each vCPU's state, its RAM. Then the domain is destroyed,
 * or with -c (a checkpoint) it carries on, its suspend call returning 1.
 * If anything fails after the guest suspended, it is resumed the same way
 * and FILE removed: a failed save loses nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>
#include <xen/hvm/params.h>
#include <xen/sched.h>

#include "args.h"
#include "commands.h"
#include "ctl.h"
#include "ctl_save.h"
#include "domains.h"
#include "domain_userdata.h"
#include "save_format.h"
#include "teardown.h"
#include "util.h"
#include "xs_store.h"

/* Freezing processes and devices takes a guest a few seconds on a loaded
 * emulated host; a minute means it will not. */
#define SUSPEND_TIMEOUT_MS 60000

struct save_state {
    uint32_t domid;
    struct xs_handle *xs;
    struct sf_domain dom;
    char *xenstore;             /* the guest's keys: "path\0value\0"... */
    size_t xenstore_len;
    struct saved_disk {
        struct sf_disk head;
        char *pairs;            /* its /libxl record: "key\0value\0"... */
        size_t len;
    } disks[SF_MAX_DISKS];
    unsigned n_disks;
    char *config;               /* what xl create was given (domain_userdata.h), or NULL */
    size_t config_len;
    struct sf_writer w;
    uint8_t *buf;               /* BASALT_WRITE_MAX of hypercall memory */
    struct basalt_vcpu_state *state;
    uint64_t pages;
};

static char *read_dom(struct save_state *s, const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "/local/domain/%u/%s", s->domid, rel);
    return xsh_read(s->xs, path);
}

static uint64_t read_dom_number(struct save_state *s, const char *rel, uint64_t fallback)
{
    char *v = read_dom(s, rel);
    uint64_t n = v && *v ? strtoull(v, NULL, 10) : fallback;
    free(v);
    return n;
}

static void copy_action(struct save_state *s, const char *key, char *out)
{
    char path[64];
    snprintf(path, sizeof(path), "/libxl/%u/%s", s->domid, key);
    char *v = xsh_read(s->xs, path);
    snprintf(out, SF_ACTION_LEN, "%s", v ? v : "destroy");
    free(v);
}

/* Appends "key\0value\0" to *buf (*len bytes). */
static int add_pair(char **buf, size_t *len, const char *key, const char *value)
{
    size_t a = strlen(key) + 1, b = strlen(value) + 1;
    char *n = realloc(*buf, *len + a + b);
    if (!n)
        return -1;
    memcpy(n + *len, key, a);
    memcpy(n + *len + a, value, b);
    *buf = n;
    *len += a + b;
    return 0;
}

static int add_key(struct save_state *s, const char *rel, const char *value)
{
    return add_pair(&s->xenstore, &s->xenstore_len, rel, value);
}

/* The domain's disks as xl keeps them (/libxl/DOMID/device/vbd/DEVID),
 * key by key: a restore attaches them to the new domain from that record. */
static int gather_disks(struct save_state *s)
{
    char dir[64];
    unsigned n = 0;
    snprintf(dir, sizeof(dir), "/libxl/%u/device/vbd", s->domid);
    char **devs = xs_directory(s->xs, XBT_NULL, dir, &n);
    int rc = 0;
    for (unsigned i = 0; devs && i < n && !rc; i++) {
        if (s->n_disks == SF_MAX_DISKS)
            break;
        struct saved_disk *d = &s->disks[s->n_disks++];
        d->head.devid = (uint32_t)strtoul(devs[i], NULL, 10);
        char path[256];
        unsigned nk = 0;
        snprintf(path, sizeof(path), "%s/%s", dir, devs[i]);
        char **keys = xs_directory(s->xs, XBT_NULL, path, &nk);
        for (unsigned k = 0; keys && k < nk && !rc; k++) {
            char kp[512];
            snprintf(kp, sizeof(kp), "%s/%s", path, keys[k]);
            char *v = xsh_read(s->xs, kp);
            rc = v ? add_pair(&d->pairs, &d->len, keys[k], v) : 0;
            free(v);
        }
        free(keys);
    }
    free(devs);
    return rc;
}

/* What the guest wrote for itself and keeps across a restore: the
 * features it announced (control/feature-*) and its data/ keys. Its
 * devices' entries are the backends' to remake. */
static int gather_guest_keys(struct save_state *s)
{
    static const struct {
        const char *dir, *prefix;
    } dirs[] = { { "control", "feature-" }, { "data", "" } };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char path[256];
        unsigned n = 0;
        snprintf(path, sizeof(path), "/local/domain/%u/%s", s->domid, dirs[i].dir);
        char **names = xs_directory(s->xs, XBT_NULL, path, &n);
        for (unsigned k = 0; names && k < n; k++) {
            if (strncmp(names[k], dirs[i].prefix, strlen(dirs[i].prefix)))
                continue;
            char rel[256];
            snprintf(rel, sizeof(rel), "%s/%s", dirs[i].dir, names[k]);
            char *v = read_dom(s, rel);
            int rc = v ? add_key(s, rel, v) : 0;
            free(v);
            if (rc) {
                free(names);
                return -1;
            }
        }
        free(names);
    }
    return 0;
}

static int gather_settings(struct save_state *s, const struct basalt_domain_info *info)
{
    struct sf_domain *d = &s->dom;
    memset(d, 0, sizeof(*d));
    snprintf(d->name, sizeof(d->name), "%s", info->name);
    memcpy(d->uuid, info->handle, sizeof(d->uuid));
    d->max_vcpus = info->nr_vcpus;
    d->weight = info->weight;
    d->cap = info->cap;
    d->max_pages = info->max_pages;
    d->static_max_kib = read_dom_number(s, "memory/static-max", info->tot_pages * 4);
    d->target_kib = read_dom_number(s, "memory/target", d->static_max_kib);
    for (unsigned i = 0; i < d->max_vcpus && i < 64; i++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "cpu/%u/availability", i);
        char *v = read_dom(s, rel);
        if (!v || !strcmp(v, "online"))
            d->vcpus_online |= 1ull << i;
        free(v);
    }
    char *vm = read_dom(s, "vm");
    if (vm) {
        char path[256];
        snprintf(path, sizeof(path), "%s/start_time", vm);
        char *t = xsh_read(s->xs, path);
        if (t) {
            char *dot;
            d->start_time_sec = strtoull(t, &dot, 10);
            d->start_time_cs = *dot == '.' ? (uint32_t)strtoul(dot + 1, NULL, 10) : 0;
        }
        free(t);
        free(vm);
    }
    copy_action(s, "on_poweroff", d->on_poweroff);
    copy_action(s, "on_reboot", d->on_reboot);
    copy_action(s, "on_crash", d->on_crash);
    int rc = userdata_load(s->domid, d->uuid, &s->config, &s->config_len);
    if (rc)
        fprintf(stderr, "xl: domain %u's configuration is not kept (%s): the file will not hold "
                "it, and a restored domain cannot restart\n", s->domid,
                rc == -ENOENT ? "not created by this xl" : strerror(-rc));
    return gather_guest_keys(s) || gather_disks(s) ? -1 : 0;
}

/* Asks the guest to suspend and waits until it has. */
static int suspend_guest(struct save_state *s)
{
    char path[64];
    snprintf(path, sizeof(path), "/local/domain/%u/control/shutdown", s->domid);
    int rc = xsh_write(s->xs, path, "suspend");
    if (rc) {
        xl_err("cannot ask domain %u to suspend: %s", s->domid, strerror(-rc));
        return -1;
    }
    uint64_t start = xl_now_ms();
    for (;;) {
        struct basalt_domain_info info;
        rc = ctl_domain_info(s->domid, &info);
        if (rc) {
            xl_err("domain %u: %s", s->domid, ctl_strerror(rc));
            return -1;
        }
        if (info.flags & BDOM_SHUTDOWN) {
            /* Asked once more: a hypervisor before 1.2 could show the
             * state before the reason. */
            if (info.shutdown_reason != SHUTDOWN_suspend && !ctl_domain_info(s->domid, &info) &&
                info.shutdown_reason == SHUTDOWN_suspend)
                return 0;
            if (info.shutdown_reason == SHUTDOWN_suspend)
                return 0;
            xl_err("domain %u shut down (reason %u) instead of suspending", s->domid,
                   info.shutdown_reason);
            return -1;
        }
        if (xl_now_ms() - start > SUSPEND_TIMEOUT_MS) {
            xsh_write(s->xs, path, "");
            xl_err("domain %u did not suspend within %d s (does its kernel support Xen's PV "
                   "suspend? is it busy?); it keeps running",
                   s->domid, SUSPEND_TIMEOUT_MS / 1000);
            return -1;
        }
        xl_sleep_ms(50);
    }
}

static int write_settings(struct save_state *s)
{
    struct basalt_domain_info info;
    unsigned n = SF_MAX_MEMMAP;
    uint64_t store = 0, console = 0;
    int rc = ctl_domain_info(s->domid, &info);
    if (!rc)
        rc = ctl_get_memmap(s->domid, s->dom.memmap, &n);
    if (!rc)
        rc = xen_hvm_get_param(s->domid, HVM_PARAM_STORE_PFN, &store);
    if (!rc)
        rc = xen_hvm_get_param(s->domid, HVM_PARAM_CONSOLE_PFN, &console);
    if (rc) {
        xl_err("cannot read domain %u's settings: %s", s->domid, ctl_strerror(rc));
        return -1;
    }
    s->dom.nr_memmap = n;
    s->dom.tot_pages = info.tot_pages;
    s->dom.store_pfn = store;
    s->dom.console_pfn = console;
    const void *d[] = { &s->dom };
    size_t dl[] = { sizeof(s->dom) };
    const void *x[] = { s->xenstore };
    size_t xl[] = { s->xenstore_len };
    rc = sf_write_header(&s->w, (uint64_t)time(NULL));
    if (!rc)
        rc = sf_write_record(&s->w, SF_REC_DOMAIN, d, dl, 1);
    if (!rc)
        rc = sf_write_record(&s->w, SF_REC_XENSTORE, x, xl, 1);
    const void *c[] = { s->config };
    size_t cl[] = { s->config_len };
    if (!rc && s->config)
        rc = sf_write_record(&s->w, SF_REC_CONFIG, c, cl, 1);
    for (unsigned i = 0; !rc && i < s->n_disks; i++) {
        const void *p[] = { &s->disks[i].head, s->disks[i].pairs };
        size_t l[] = { sizeof(s->disks[i].head), s->disks[i].len };
        rc = sf_write_record(&s->w, SF_REC_DISK, p, l, 2);
    }
    if (rc)
        xl_err("cannot write the save file: %s", strerror(-rc));
    return rc ? -1 : 0;
}

static int write_vcpus(struct save_state *s)
{
    for (uint32_t i = 0; i < s->dom.max_vcpus; i++) {
        struct basalt_vcpu_info vi;
        int rc = ctl_vcpu_info(s->domid, i, &vi);
        if (!rc)
            rc = ctl_vcpu_state(s->domid, i, s->state, 0);
        if (rc) {
            xl_err("cannot read the state of domain %u's vCPU %u: %s", s->domid, i,
                   ctl_strerror(rc));
            return -1;
        }
        struct sf_vcpu head = { .vcpu = i, .affinity = vi.affinity };
        const void *p[] = { &head, s->state };
        size_t l[] = { offsetof(struct sf_vcpu, state), sizeof(*s->state) };
        rc = sf_write_record(&s->w, SF_REC_VCPU, p, l, 2);
        if (rc) {
            xl_err("cannot write the save file: %s", strerror(-rc));
            return -1;
        }
    }
    return 0;
}

static int all_zero(const uint8_t *p)
{
    static const uint8_t zeros[SF_PAGE_SIZE];
    return !memcmp(p, zeros, SF_PAGE_SIZE);
}

/* One chunk of up to SF_CHUNK_PAGES pages from gfn: read, and written as a
 * PAGES record if any of them is RAM. */
static int save_chunk(struct save_state *s, uint64_t gfn, uint32_t count)
{
    struct sf_pages p = { .gfn = gfn, .count = count };
    int rc = ctl_domain_read(s->domid, gfn * SF_PAGE_SIZE, s->buf, count * SF_PAGE_SIZE, p.present);
    if (rc) {
        xl_err("cannot read domain %u's memory at gfn 0x%llx: %s", s->domid,
               (unsigned long long)gfn, ctl_strerror(rc));
        return -1;
    }
    const void *parts[1 + SF_CHUNK_PAGES];
    size_t lens[1 + SF_CHUNK_PAGES];
    unsigned n = 1, present = 0;
    for (unsigned i = 0; i < count; i++) {
        if (!sf_page_bit(p.present, i))
            continue;
        present++;
        const uint8_t *page = s->buf + (size_t)i * SF_PAGE_SIZE;
        if (all_zero(page)) {
            p.zero[i / 64] |= 1ull << (i % 64);
            continue;
        }
        /* Pages with data next to each other go out in one write. */
        if (n > 1 && (const uint8_t *)parts[n - 1] + lens[n - 1] == page) {
            lens[n - 1] += SF_PAGE_SIZE;
            continue;
        }
        parts[n] = page;
        lens[n++] = SF_PAGE_SIZE;
    }
    if (!present)
        return 0;
    parts[0] = &p;
    lens[0] = sizeof(p);
    rc = sf_write_record(&s->w, SF_REC_PAGES, parts, lens, n);
    if (rc) {
        xl_err("cannot write the save file: %s", strerror(-rc));
        return -1;
    }
    s->pages += present;
    return 0;
}

static int save_range(struct save_state *s, uint64_t gfn, uint64_t end)
{
    for (; gfn < end && s->pages < s->dom.tot_pages; gfn += SF_CHUNK_PAGES) {
        uint64_t n = end - gfn < SF_CHUNK_PAGES ? end - gfn : SF_CHUNK_PAGES;
        if (save_chunk(s, gfn, (uint32_t)n))
            return -1;
    }
    return 0;
}

/*
 * The domain's RAM: every range of its memory map (RAM, and the ACPI and
 * special pages the builder put in reserved ranges), in order, then above
 * the last one (where Linux hot-adds memory its balloon asks for) until
 * every page the hypervisor counts is found, within maxmem's span.
 */
static int write_memory(struct save_state *s)
{
    struct hvm_memmap_table_entry map[SF_MAX_MEMMAP];
    unsigned n = s->dom.nr_memmap;
    memcpy(map, s->dom.memmap, sizeof(map));
    for (unsigned i = 1; i < n; i++)
        for (unsigned k = i; k > 0 && map[k].addr < map[k - 1].addr; k--) {
            struct hvm_memmap_table_entry t = map[k];
            map[k] = map[k - 1];
            map[k - 1] = t;
        }
    uint64_t top = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t start = map[i].addr / SF_PAGE_SIZE;
        uint64_t end = (map[i].addr + map[i].size + SF_PAGE_SIZE - 1) / SF_PAGE_SIZE;
        if (start < top)
            start = top;
        if (end > start && save_range(s, start, end))
            return -1;
        if (end > top)
            top = end;
    }
    if (s->pages < s->dom.tot_pages && save_range(s, top, top + 2 * s->dom.max_pages))
        return -1;
    if (s->pages != s->dom.tot_pages) {
        xl_err("found %llu of domain %u's %llu pages of memory; not saved",
               (unsigned long long)s->pages, s->domid, (unsigned long long)s->dom.tot_pages);
        return -1;
    }
    int rc = sf_write_end(&s->w, s->pages);
    if (rc)
        xl_err("cannot write the save file: %s", strerror(-rc));
    return rc ? -1 : 0;
}

static int check_savable(const struct basalt_domain_info *info)
{
    if (info->domid == 0) {
        xl_err("cannot save Domain-0");
        return -1;
    }
    if (info->flags & BDOM_HVM) {
        xl_err("domain %u is an HVM domain: saving HVM domains is not supported yet", info->domid);
        return -1;
    }
    if (info->flags & (BDOM_SHUTDOWN | BDOM_DYING | BDOM_BUILDING)) {
        xl_err("domain %u is not running", info->domid);
        return -1;
    }
    if (info->flags & BDOM_PAUSED) {
        xl_err("domain %u is paused: it cannot answer the request to suspend (xl unpause it first)",
               info->domid);
        return -1;
    }
    return 0;
}

int cmd_save(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "c", 2, 2, &a);
    if (rc >= 0)
        return rc;
    const char *file = a.operand[1];
    bool checkpoint = args_has(&a, 'c');
    struct basalt_domain_info info;
    if ((rc = ctl_open())) {
        xl_err("cannot reach the hypervisor: %s", ctl_strerror(rc));
        return 1;
    }
    if (dom_resolve(a.operand[0], &info) || check_savable(&info))
        return 1;
    struct save_state s = { .domid = info.domid };
    s.xs = xsh_open();
    if (!s.xs) {
        xl_err("cannot connect to xenstored: %s", strerror(errno));
        return 1;
    }
    s.buf = ctl_save_buffer(BASALT_WRITE_MAX);
    s.state = ctl_save_buffer(sizeof(*s.state));
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int status = 1;
    if (!s.buf || !s.state) {
        xl_err("out of memory");
        goto out;
    }
    if (fd < 0) {
        xl_err("cannot create %s: %s", file, strerror(errno));
        goto out;
    }
    sf_writer_init(&s.w, fd);
    if (gather_settings(&s, &info)) {
        xl_err("out of memory");
        goto fail_file;
    }
    uint64_t t0 = xl_now_ms();
    fprintf(stderr, "Saving domain %u (%s) to %s%s\n", s.domid, info.name, file,
            checkpoint ? " (checkpoint)" : "");
    if (suspend_guest(&s))
        goto fail_file;
    uint64_t t1 = xl_now_ms();
    if (write_settings(&s) || write_vcpus(&s))
        goto fail_resume;
    uint64_t tm = xl_now_ms();
    if (write_memory(&s))
        goto fail_resume;
    if (fsync(fd)) {
        xl_err("cannot write %s: %s", file, strerror(errno));
        goto fail_resume;
    }
    close(fd);
    fd = -1;
    uint64_t t2 = xl_now_ms();
    xl_info("  suspending: %llu ms, settings and vCPU states: %llu ms, memory: %llu ms",
            (unsigned long long)(t1 - t0), (unsigned long long)(tm - t1), (unsigned long long)(t2 - tm));
    if (checkpoint) {
        rc = ctl_domain_op(BCTL_DOMAIN_RESUME, s.domid);
        if (rc) {
            xl_err("saved, but cannot resume domain %u: %s", s.domid, ctl_strerror(rc));
            goto out;
        }
    } else if ((rc = domain_teardown(s.domid, s.xs))) {
        xl_err("saved, but cannot destroy domain %u: %s", s.domid, ctl_strerror(rc));
        goto out;
    }
    fprintf(stderr, "Saved domain %u: %llu pages (%llu MiB of file) in %llu.%03llu s\n", s.domid,
            (unsigned long long)s.pages, (unsigned long long)(s.w.offset >> 20),
            (unsigned long long)(t2 - t1) / 1000, (unsigned long long)(t2 - t1) % 1000);
    status = 0;
    goto out;

fail_resume:
    /* The guest is suspended: it carries on as after a checkpoint. */
    rc = ctl_domain_op(BCTL_DOMAIN_RESUME, s.domid);
    if (rc)
        xl_err("cannot resume domain %u after the failed save: %s", s.domid, ctl_strerror(rc));
    else
        fprintf(stderr, "Domain %u resumed; nothing was saved\n", s.domid);
fail_file:
    close(fd);
    fd = -1;
    unlink(file);
out:
    if (fd >= 0)
        close(fd);
    ctl_save_buffer_free(s.buf, BASALT_WRITE_MAX);
    ctl_save_buffer_free(s.state, sizeof(*s.state));
    free(s.xenstore);
    free(s.config);
    for (unsigned i = 0; i < s.n_disks; i++)
        free(s.disks[i].pairs);
    xsh_close(s.xs);
    return status;
}
