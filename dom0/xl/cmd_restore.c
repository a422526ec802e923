/*
 * xl restore [-p] [-e] FILE
 *
 * The whole file is checked first (save_format.c: its kind and version,
 * truncation, the checksum, every record): a file that fails is refused
 * with the reason and nothing is created. Then, as Xen restores a PVH
 * guest: a new domain with the saved settings, its RAM at the same
 * frames, each vCPU's state (vCPU 0 returns 0 from its suspend call:
 * "resumed in a new domain"), fresh xenstore and console event channels
 * in the HVM parameters where Linux's resume path reads them, the
 * xenstore entries and the guest's own keys, xenstored told of the
 * domain, its disks and NICs attached (the guest's frontends reconnect as
 * it resumes); then it runs, with a monitor as after xl create that has
 * the saved configuration (so on_reboot=restart restarts it). -p leaves
 * it paused, -e starts no monitor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>
#include <xen/hvm/params.h>

#include "args.h"
#include "build_request.h"
#include "commands.h"
#include "ctl.h"
#include "ctl_save.h"
#include "disk_devices.h"
#include "domains.h"
#include "domain_userdata.h"
#include "guestmem.h"
#include "monitor.h"
#include "save_format.h"
#include "teardown.h"
#include "util.h"
#include "vif_devices.h"
#include "xen_ops.h"
#include "xs_entries.h"
#include "xs_store.h"
#include "xl_config.h"

struct restore_state {
    const struct sf_file *f;
    struct vbd *disks;          /* from the DISK records */
    unsigned n_disks;
    /* From the CONFIG record (has_config): what a restart builds, and the
     * NICs (vif=) attached to the restored domain. */
    bool has_config;
    struct xl_config cfg;
    struct build_request req;
    struct xs_handle *xs;
    uint32_t domid;
    uint8_t *buf;               /* BASALT_WRITE_MAX of hypercall memory */
    uint64_t step_start;
};

/* With -v, how long the step that returned rc took. */
static int timed(struct restore_state *s, const char *step, int rc)
{
    uint64_t now = xl_now_ms();
    xl_info("  %s: %llu ms", step, (unsigned long long)(now - s->step_start));
    s->step_start = now;
    return rc;
}

static int fail(const char *step, int rc)
{
    xl_err("cannot restore: %s: %s", step, ctl_strerror(rc));
    return -1;
}

static int create(struct restore_state *s)
{
    const struct sf_domain *d = s->f->domain;
    struct basalt_domain_create c;
    memset(&c, 0, sizeof(c));
    snprintf(c.name, sizeof(c.name), "%s", d->name);
    memcpy(c.handle, d->uuid, sizeof(c.handle));
    c.max_vcpus = d->max_vcpus;
    c.weight = d->weight;
    c.cap = d->cap;
    c.max_mem_kb = d->max_pages * 4;
    int rc = ctl_domain_create(&c, &s->domid);
    if (rc == -EEXIST) {
        xl_err("cannot restore: a domain named '%s' already exists", d->name);
        return -1;
    }
    if (rc)
        return fail("creating the domain", rc);
    for (unsigned i = 0; i < d->max_vcpus; i++) {
        rc = ctl_vcpu_set_affinity(s->domid, i, s->f->vcpu[i]->affinity);
        if (rc)
            fprintf(stderr, "xl: vCPU %u keeps the default affinity (0x%llx is not usable here)\n",
                    i, (unsigned long long)s->f->vcpu[i]->affinity);
    }
    return 0;
}

/* Populates the runs of present pages, merged across chunks so that
 * aligned 2 MiB runs become 2 MiB extents. */
static int populate(struct restore_state *s)
{
    const uint8_t *at = s->f->first_pages, *data;
    const struct sf_pages *p;
    uint64_t run_start = 0, run_len = 0, done;
    for (;;) {
        int more = sf_next_pages(s->f, &at, &p, &data);
        for (unsigned i = 0; more && i < p->count; i++) {
            if (!sf_page_bit(p->present, i))
                continue;
            uint64_t gfn = p->gfn + i;
            if (run_len && run_start + run_len == gfn) {
                run_len++;
                continue;
            }
            if (run_len) {
                int rc = xen_populate(s->domid, run_start, run_len, &done);
                if (rc)
                    return fail("populating memory", rc);
            }
            run_start = gfn;
            run_len = 1;
        }
        if (!more)
            break;
    }
    int rc = run_len ? xen_populate(s->domid, run_start, run_len, &done) : 0;
    return rc ? fail("populating memory", rc) : 0;
}

static int flush(struct restore_state *s, uint64_t gfn, size_t bytes)
{
    int rc = bytes ? guestmem_write(s->domid, gfn * SF_PAGE_SIZE, s->buf, bytes) : 0;
    return rc ? fail("writing memory", rc) : 0;
}

/* The pages with data (fresh pages are zeroed): consecutive ones are
 * gathered into the hypercall buffer and written a MiB at a time. */
static int write_pages(struct restore_state *s)
{
    const uint8_t *at = s->f->first_pages, *data;
    const struct sf_pages *p;
    uint64_t start = 0;
    size_t have = 0;
    while (sf_next_pages(s->f, &at, &p, &data)) {
        for (unsigned i = 0; i < p->count; i++) {
            if (!sf_page_bit(p->present, i) || sf_page_bit(p->zero, i))
                continue;
            uint64_t gfn = p->gfn + i;
            if (have && (start + have / SF_PAGE_SIZE != gfn || have == BASALT_WRITE_MAX)) {
                if (flush(s, start, have))
                    return -1;
                have = 0;
            }
            if (!have)
                start = gfn;
            memcpy(s->buf + have, data, SF_PAGE_SIZE);
            data += SF_PAGE_SIZE;
            have += SF_PAGE_SIZE;
        }
    }
    return flush(s, start, have);
}

static int set_vcpus(struct restore_state *s)
{
    const struct sf_domain *d = s->f->domain;
    int rc = ctl_set_memmap(s->domid, d->memmap, d->nr_memmap);
    if (rc)
        return fail("setting the memory map", rc);
    struct basalt_vcpu_state *st = (struct basalt_vcpu_state *)s->buf;
    for (unsigned i = 0; i < d->max_vcpus; i++) {
        memcpy(st, &s->f->vcpu[i]->state, sizeof(*st));
        rc = ctl_vcpu_state(s->domid, i, st, 1);
        if (rc == -EINVAL) {
            xl_err("cannot restore: the hypervisor refused vCPU %u's state (saved on a machine "
                   "with other CPU features?)", i);
            return -1;
        }
        if (rc)
            return fail("setting a vCPU's state", rc);
    }
    return 0;
}

/* New event channels for the rings that stay where they were: Linux's
 * resume path reads the HVM parameters again (xenbus, hvc_xen). */
static int set_up_rings(struct restore_state *s, uint32_t *store_port, uint32_t *console_port)
{
    const struct sf_domain *d = s->f->domain;
    int rc;
    if ((rc = xen_evtchn_alloc_unbound(s->domid, 0, console_port)) ||
        (rc = xen_evtchn_alloc_unbound(s->domid, 0, store_port)))
        return fail("allocating event channels", rc);
    if ((rc = xen_hvm_set_param(s->domid, HVM_PARAM_STORE_PFN, d->store_pfn)) ||
        (rc = xen_hvm_set_param(s->domid, HVM_PARAM_STORE_EVTCHN, *store_port)) ||
        (rc = xen_hvm_set_param(s->domid, HVM_PARAM_CONSOLE_PFN, d->console_pfn)) ||
        (rc = xen_hvm_set_param(s->domid, HVM_PARAM_CONSOLE_EVTCHN, *console_port)))
        return fail("setting HVM parameters", rc);
    if ((rc = ctl_grant_seed(s->domid, 0, 0, d->console_pfn)) ||
        (rc = ctl_grant_seed(s->domid, 1, 0, d->store_pfn)))
        return fail("seeding grant entries", rc);
    return 0;
}

static int publish(struct restore_state *s, uint32_t store_port, uint32_t console_port)
{
    const struct sf_domain *d = s->f->domain;
    struct xs_domain_desc desc = {
        .domid = s->domid,
        .name = d->name,
        .uuid = d->uuid,
        .max_vcpus = d->max_vcpus,
        .vcpus = d->max_vcpus,
        .static_max_kib = d->static_max_kib,
        .target_kib = d->target_kib,
        .store_port = store_port,
        .console_port = console_port,
        .store_gfn = d->store_pfn,
        .console_gfn = d->console_pfn,
        .backend_domid = 0,
        .type = "pvh",
        .start_time_sec = d->start_time_sec,
        .start_time_cs = d->start_time_cs,
        .on_poweroff = d->on_poweroff,
        .on_reboot = d->on_reboot,
        .on_crash = d->on_crash,
    };
    struct xs_entry_list l;
    if (xs_entries_build(&desc, &l))
        return fail("writing xenstore entries", -ENOMEM);
    int rc = xsh_write_entries(s->xs, &l);
    xs_entries_free(&l);
    char path[256];
    for (unsigned i = 0; !rc && i < d->max_vcpus; i++) {
        snprintf(path, sizeof(path), "/local/domain/%u/cpu/%u/availability", s->domid, i);
        rc = xsh_write(s->xs, path, (d->vcpus_online >> i) & 1 ? "online" : "offline");
    }
    /* The guest's own keys, as it left them. */
    for (const char *k = s->f->xenstore; !rc && k && k < s->f->xenstore + s->f->xenstore_len;) {
        const char *v = k + strlen(k) + 1;
        snprintf(path, sizeof(path), "/local/domain/%u/%s", s->domid, k);
        rc = xsh_write(s->xs, path, v);
        k = v + strlen(v) + 1;
    }
    if (rc)
        return fail("writing xenstore entries", rc);
    if (!xs_introduce_domain(s->xs, s->domid, d->store_pfn, store_port))
        return fail("introducing the domain to xenstored", -errno);
    return 0;
}

/* vbd_from_record's key reader over a DISK record's pairs. */
struct pairs {
    const char *at, *end;
};

static const char *pair_value(void *ctx, const char *key)
{
    const struct pairs *p = ctx;
    for (const char *k = p->at; k < p->end;) {
        const char *v = k + strlen(k) + 1;
        if (v >= p->end)
            return NULL;
        if (!strcmp(k, key))
            return v;
        k = v + strlen(v) + 1;
    }
    return NULL;
}

/* The saved disks, checked as xl create checks a configuration's: each
 * target there and not another domain's. */
static int read_disks(struct restore_state *s, struct xs_handle *xs)
{
    char why[512];
    s->disks = calloc(s->f->n_disks ? s->f->n_disks : 1, sizeof(*s->disks));
    if (!s->disks)
        return -1;
    for (unsigned i = 0; i < s->f->n_disks; i++) {
        const struct sf_record *r = s->f->disk[i];
        const struct sf_disk *d = (const void *)(r + 1);
        struct pairs p = { (const char *)(d + 1), (const char *)(r + 1) + r->length };
        if (vbd_from_record(d->devid, pair_value, &p, &s->disks[i], why, sizeof(why))) {
            xl_err("cannot restore: disk %u: %s", d->devid, why);
            return -1;
        }
        s->disks[i].source = "the save file";
        s->n_disks++;
    }
    if (disks_check(xs, s->disks, s->n_disks, why, sizeof(why))) {
        xl_err("cannot restore: %s", why);
        return -1;
    }
    return 0;
}

/* The disks, served to the new domain by a QEMU of its own: the guest's
 * block frontends reconnect to them as they resume. */
static int attach_disks(struct restore_state *s)
{
    char why[768];
    if (!s->n_disks)
        return 0;
    if (disks_attach(s->xs, s->domid, s->f->domain->name, s->f->domain->max_pages >> 8, s->disks,
                     s->n_disks, why, sizeof(why))) {
        xl_err("cannot restore: attaching disks: %s", why);
        return -1;
    }
    return 0;
}

/* The saved configuration, read as xl create reads it. One this xl cannot
 * read (a file from another version) is named and left out: the domain is
 * restored without NICs and cannot restart. */
static void read_config(struct restore_state *s)
{
    struct sf_config sc;
    struct strlist notes = { 0 };
    char err[1024];
    if (!s->f->config || sf_config_split(s->f->config, s->f->config_len, &sc))
        return;
    if (xl_config_parse_buffer(sc.source, sc.text, sc.text_len, sc.overrides, sc.n_overrides,
                               &s->cfg, err, sizeof(err))) {
        fprintf(stderr, "xl: the saved configuration does not read (%s); restoring without its "
                "NICs, and the domain cannot restart\n", err);
        return;
    }
    if (build_request_from_config(&s->cfg, &s->req, &notes, err, sizeof(err))) {
        fprintf(stderr, "xl: the saved configuration is not usable (%s); restoring without its "
                "NICs, and the domain cannot restart\n", err);
        xl_config_free(&s->cfg);
        strlist_free(&notes);
        return;
    }
    strlist_free(&notes);
    s->req.saved_config = s->f->config;
    s->req.saved_config_len = s->f->config_len;
    s->has_config = true;
}

static void free_config(struct restore_state *s)
{
    if (!s->has_config)
        return;
    build_request_free(&s->req);
    xl_config_free(&s->cfg);
    s->has_config = false;
}

/* The NICs of the saved configuration, as xl create adds them (the MAC
 * of one without mac= comes from the UUID, which is the saved one): the
 * guest's netfront reconnects to them as it resumes. */
static int attach_vifs(struct restore_state *s)
{
    char why[768];
    if (!s->has_config || !s->req.n_vifs)
        return 0;
    if (vif_devices_add_all(s->xs, s->domid, &s->req, why, sizeof(why))) {
        xl_err("cannot restore: attaching NICs: %s", why);
        return -1;
    }
    return 0;
}

static enum shutdown_action action_named(const char *name)
{
    static const enum shutdown_action all[] = {
        SHUTDOWN_ACTION_DESTROY, SHUTDOWN_ACTION_PRESERVE, SHUTDOWN_ACTION_COREDUMP_DESTROY,
    };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (!strcmp(name, shutdown_action_name(all[i])))
            return all[i];
    return SHUTDOWN_ACTION_DESTROY;
}

/* The monitor of a restored domain: with the saved configuration, that of
 * the domain xl create made (a restart builds it from the configuration,
 * with the disks the domain has then); without one (a file of version 1,
 * or a domain this xl did not create) the saved actions, except that
 * restart, rename-restart and soft-reset destroy it. */
static void start_monitor(struct restore_state *s, uint32_t domid)
{
    const struct sf_domain *d = s->f->domain;
    struct build_request bare, *r = &s->req;
    if (!s->has_config) {
        r = &bare;
        memset(r, 0, sizeof(*r));
        snprintf(r->name, sizeof(r->name), "%s", d->name);
        memcpy(r->uuid, d->uuid, sizeof(r->uuid));
        r->on_poweroff = action_named(d->on_poweroff);
        r->on_reboot = action_named(d->on_reboot);
        r->on_crash = action_named(d->on_crash);
        r->on_watchdog = SHUTDOWN_ACTION_DESTROY;
        r->on_soft_reset = SHUTDOWN_ACTION_DESTROY;
    }
    ctl_close(); /* the children open their own */
    pid_t pid = monitor_spawn(r, domid);
    if (pid < 0)
        xl_err("cannot start the monitor for domain %u: %s", domid, strerror(errno));
    else
        waitpid(pid, NULL, 0);
}

static int restore(struct restore_state *s, bool paused, uint32_t *domid)
{
    const struct sf_file *f = s->f;
    struct xs_handle *xs = s->xs;
    struct basalt_host_info host;
    struct basalt_domain_info other;
    /* Named first: the disks of a domain of that name are its own. */
    if (dom_find_name(f->domain->name, &other) > 0) {
        xl_err("cannot restore: a domain named '%s' already exists", f->domain->name);
        return -1;
    }
    int rc = ctl_host_info(&host);
    if (rc)
        return fail("asking the hypervisor", rc);
    if (host.free_pages < f->domain->tot_pages) {
        xl_err("cannot restore: the domain needs %llu MiB, the pool has %llu MiB free",
               (unsigned long long)(f->domain->tot_pages >> 8),
               (unsigned long long)(host.free_pages >> 8));
        return -1;
    }
    s->buf = ctl_save_buffer(BASALT_WRITE_MAX);
    uint32_t store_port = 0, console_port = 0;
    if (!s->buf)
        xl_err("out of memory");
    char why[1024];
    if (s->buf && s->has_config && vif_devices_check_host(&s->cfg, &s->req, why, sizeof(why))) {
        xl_err("cannot restore: %s", why);
        ctl_save_buffer_free(s->buf, BASALT_WRITE_MAX);
        return -1;
    }
    if (!s->buf || read_disks(s, xs) || create(s)) {
        ctl_save_buffer_free(s->buf, BASALT_WRITE_MAX);
        disks_free(s->disks, s->n_disks);
        return -1;
    }
    s->step_start = xl_now_ms();
    if (timed(s, "populating memory", populate(s)) || timed(s, "writing memory", write_pages(s)) ||
        timed(s, "setting vCPU states", set_vcpus(s)) ||
        timed(s, "setting up rings", set_up_rings(s, &store_port, &console_port)) ||
        timed(s, "writing xenstore entries", publish(s, store_port, console_port)) ||
        timed(s, "attaching disks", attach_disks(s)) ||
        timed(s, "attaching NICs", attach_vifs(s)))
        goto fail;
    if (!paused && (rc = ctl_domain_op(BCTL_DOMAIN_UNPAUSE, s->domid))) {
        fail("starting the domain", rc);
        goto fail;
    }
    ctl_save_buffer_free(s->buf, BASALT_WRITE_MAX);
    disks_free(s->disks, s->n_disks);
    if (f->config && (rc = userdata_store(s->domid, f->domain->uuid, f->config, f->config_len)))
        fprintf(stderr, "xl: cannot keep domain %u's configuration in " USERDATA_DIR ": %s; a save "
                "of it will not hold its configuration\n", s->domid, strerror(-rc));
    *domid = s->domid;
    return 0;
fail:
    ctl_save_buffer_free(s->buf, BASALT_WRITE_MAX);
    disks_free(s->disks, s->n_disks);
    rc = domain_teardown(s->domid, xs);
    if (rc)
        xl_err("cannot destroy the half-restored domain %u: %s", s->domid, ctl_strerror(rc));
    return -1;
}

/* Maps FILE and checks it whole; on any problem says why (nothing made). */
static void *load(const char *file, size_t *len, struct sf_file *f)
{
    char err[256];
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        xl_err("cannot restore from %s: %s", file, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    *len = (size_t)st.st_size;
    void *map = *len ? mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (*len && map == MAP_FAILED) {
        xl_err("cannot restore from %s: %s", file, strerror(errno));
        return NULL;
    }
    static const uint64_t empty;
    if (sf_read(*len ? map : (const void *)&empty, *len, f, err, sizeof(err))) {
        xl_err("cannot restore from %s: %s", file, err);
        if (*len)
            munmap(map, *len);
        return NULL;
    }
    return map;
}

int cmd_restore(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "pe", 1, 1, &a);
    if (rc >= 0)
        return rc;
    const char *file = a.operand[0];
    struct sf_file f;
    struct restore_state s = { .f = &f };
    size_t len;
    uint64_t t0 = xl_now_ms();
    void *map = load(file, &len, &f);
    if (!map)
        return 1;
    uint64_t t1 = xl_now_ms();
    int status = 1;
    struct xs_handle *xs = NULL;
    if ((rc = ctl_open())) {
        xl_err("cannot reach the hypervisor: %s", ctl_strerror(rc));
        goto out;
    }
    if (!(xs = xsh_open())) {
        xl_err("cannot connect to xenstored: %s (is xenstored running?)", strerror(errno));
        goto out;
    }
    uint32_t domid;
    s.xs = xs;
    read_config(&s);
    if (restore(&s, args_has(&a, 'p'), &domid))
        goto out;
    uint64_t t2 = xl_now_ms();
    fprintf(stderr, "Restored domain %s as domain %u: %llu pages in %llu.%03llu s (checking the "
            "file %llu ms)\n", f.domain->name, domid, (unsigned long long)f.nr_pages,
            (unsigned long long)(t2 - t0) / 1000, (unsigned long long)(t2 - t0) % 1000,
            (unsigned long long)(t1 - t0));
    xsh_close(xs);
    xs = NULL;
    if (!args_has(&a, 'e'))
        start_monitor(&s, domid);
    status = 0;
out:
    free_config(&s);
    if (xs)
        xsh_close(xs);
    munmap(map, len);
    return status;
}
