/* The PVH domain builder (see build_pvh.h). */
#include "build_pvh.h"
#include "build_hvm.h"
#include "build_steps.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>
#include <xen/hvm/params.h>

#include "ctl.h"
#include "disk_devices.h"
#include "guestmem.h"
#include "runtime_args.h"
#include "teardown.h"
#include "util.h"
#include "vif_devices.h"
#include "xen_ops.h"
#include "xs_entries.h"
#include "xs_store.h"

#define start_step build_start_step
#define fail_step build_fail_step


void build_start_step(struct build_state *s, const char *step)
{
    if (s->step)
        xl_info("  %s: %llu ms", s->step, (unsigned long long)(xl_now_ms() - s->step_start));
    s->step = step;
    s->step_start = xl_now_ms();
}

int build_fail_step(struct build_state *s, int rc, const char *fmt, ...)
{
    char why[256] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
    }
    snprintf(s->err, s->errlen, "%s: %s%s%s", s->step, why, *why && rc ? ": " : "",
             rc ? ctl_strerror(rc) : "");
    return -1;
}

int build_create_domain(struct build_state *s)
{
    const struct build_request *r = s->r;
    struct basalt_domain_create c;
    memset(&c, 0, sizeof(c));
    snprintf(c.name, sizeof(c.name), "%s", r->name);
    memcpy(c.handle, r->uuid, sizeof(c.handle));
    c.max_vcpus = r->max_vcpus;
    c.weight = r->weight;
    c.cap = r->cap;
    c.max_mem_kb = s->max_mem_kb ? s->max_mem_kb : runtime_limit_kib(r->maxmem_mib << 10);
    c.flags = s->create_flags;
    c.cpu_affinity = r->affinity;

    start_step(s, "creating the domain");
    int rc = ctl_domain_create(&c, &s->domid);
    if (rc == -EEXIST)
        return fail_step(s, 0, "a domain named '%s' already exists", r->name);
    if (rc == -EINVAL && r->affinity)
        return fail_step(s, rc,
                         "the hypervisor refused it (is cpus= a subset of the online CPUs?)");
    if (rc)
        return fail_step(s, rc, NULL);
    s->created = 1;

    /* cpus=["LIST", ...]: one mask per listed vCPU. */
    start_step(s, "setting vCPU affinities");
    for (unsigned i = 0; i < r->n_vcpu_affinity; i++) {
        rc = ctl_vcpu_set_affinity(s->domid, i, r->vcpu_affinity[i]);
        if (rc)
            return fail_step(s, rc, "vCPU %u", i);
    }
    return 0;
}

static int populate_memory(struct build_state *s)
{
    const struct domu_layout *l = &s->im->layout;
    start_step(s, "populating memory");
    for (unsigned i = 0; i < l->nr_populate; i++) {
        uint64_t done;
        int rc = xen_populate(s->domid, l->populate[i].gfn, l->populate[i].nr, &done);
        if (rc == -ENOMEM)
            return fail_step(s, 0,
                             "out of memory: the pool could give only %llu of the %llu pages at "
                             "gfn 0x%llx",
                             (unsigned long long)done, (unsigned long long)l->populate[i].nr,
                             (unsigned long long)l->populate[i].gfn);
        if (rc)
            return fail_step(s, rc, "gfn 0x%llx", (unsigned long long)l->populate[i].gfn);
    }
    return 0;
}

int build_write_to_guest(struct build_state *s, uint64_t gpa, const void *src, size_t len,
                          const char *what)
{
    /* Everything goes into pages populated (zeroed) just before. */
    int rc = guestmem_write_fresh(s->domid, gpa, src, len);
    return rc ? fail_step(s, rc, "%s at 0x%llx", what, (unsigned long long)gpa) : 0;
}

static int load_images(struct build_state *s)
{
    const struct build_images *im = s->im;
    const struct domu_layout *l = &im->layout;

    start_step(s, "loading the kernel");
    /* Fresh pages are zeroed by the hypervisor: only file contents are
     * copied, not the zero-filled tail (BSS) of a segment, nor pages of
     * zeros in the file. */
    for (unsigned i = 0; i < im->kernel.info.nr_segments; i++) {
        const struct pvh_segment *seg = &im->kernel.info.seg[i];
        if (build_write_to_guest(s, seg->paddr, im->kernel.elf + seg->offset, seg->filesz, "segment"))
            return -1;
    }
    if (im->ramdisk_len) {
        start_step(s, "loading the ramdisk");
        if (build_write_to_guest(s, l->initrd_gpa, im->ramdisk, im->ramdisk_len, "ramdisk"))
            return -1;
    }
    start_step(s, "writing the ACPI tables");
    if (build_write_to_guest(s, PVH_ACPI_BASE, l->acpi, l->acpi_len, "ACPI tables"))
        return -1;
    start_step(s, "writing the start info");
    if (build_write_to_guest(s, l->start_info_gpa, l->start_info, l->start_info_len, "start info"))
        return -1;
    start_step(s, "setting the memory map");
    int rc = ctl_set_memmap(s->domid, l->memmap, l->nr_memmap);
    return rc ? fail_step(s, rc, NULL) : 0;
}

/* The console and xenstore rings: event channels, the HVM parameters the
 * guest finds them by, and their grant entries. */
int build_set_up_rings(struct build_state *s, uint32_t *console_port, uint32_t *store_port)
{
    int rc;
    start_step(s, "allocating event channels");
    if ((rc = xen_evtchn_alloc_unbound(s->domid, BUILD_BACKEND_DOMID, console_port)))
        return fail_step(s, rc, "console");
    if ((rc = xen_evtchn_alloc_unbound(s->domid, BUILD_BACKEND_DOMID, store_port)))
        return fail_step(s, rc, "xenstore");

    start_step(s, "setting HVM parameters");
    const struct {
        uint32_t index;
        uint64_t value;
        const char *name;
    } params[] = {
        { HVM_PARAM_STORE_PFN, s->store_gfn, "STORE_PFN" },
        { HVM_PARAM_STORE_EVTCHN, *store_port, "STORE_EVTCHN" },
        { HVM_PARAM_CONSOLE_PFN, s->console_gfn, "CONSOLE_PFN" },
        { HVM_PARAM_CONSOLE_EVTCHN, *console_port, "CONSOLE_EVTCHN" },
    };
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
        if ((rc = xen_hvm_set_param(s->domid, params[i].index, params[i].value)))
            return fail_step(s, rc, "%s", params[i].name);

    /* Xen's toolstack convention: grant ref 0 is the console ring, 1 the
     * xenstore ring, so backends can map them by grant. */
    start_step(s, "seeding grant entries");
    if ((rc = ctl_grant_seed(s->domid, 0, BUILD_BACKEND_DOMID, s->console_gfn)))
        return fail_step(s, rc, "ref 0 (console)");
    if ((rc = ctl_grant_seed(s->domid, 1, BUILD_BACKEND_DOMID, s->store_gfn)))
        return fail_step(s, rc, "ref 1 (xenstore)");
    return 0;
}

int build_set_entry_point(struct build_state *s, uint32_t entry, uint64_t start_info_gpa)
{
    int rc;
    start_step(s, "setting the entry point");
    if ((rc = ctl_vcpu_set_entry(s->domid, entry, (uint32_t)start_info_gpa)))
        return fail_step(s, rc, "entry 0x%x, start info 0x%llx", entry,
                         (unsigned long long)start_info_gpa);
    return 0;
}

int build_publish_in_xenstore(struct build_state *s, uint32_t console_port, uint32_t store_port)
{
    const struct build_request *r = s->r;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct xs_domain_desc d = {
        .domid = s->domid,
        .name = r->name,
        .uuid = r->uuid,
        .max_vcpus = r->max_vcpus,
        .vcpus = r->vcpus,
        /* Equal: the guest keeps the RAM it was built with (see
         * xs_entries.c); maxmem= is the hypervisor's limit only. */
        .static_max_kib = r->memory_mib << 10,
        .target_kib = r->memory_mib << 10,
        .store_port = store_port,
        .console_port = console_port,
        .store_gfn = s->store_gfn,
        .console_gfn = s->console_gfn,
        .hvm = s->create_flags & BCTL_CREATE_HVM,
        .acpi = r->hvm_opts.acpi,
        .backend_domid = BUILD_BACKEND_DOMID,
        .type = s->create_flags & BCTL_CREATE_HVM ? "hvm" : "pvh",
        .start_time_sec = (uint64_t)now.tv_sec,
        .start_time_cs = (unsigned)(now.tv_nsec / 10000000),
        .on_poweroff = shutdown_action_name(r->on_poweroff),
        .on_reboot = shutdown_action_name(r->on_reboot),
        .on_crash = shutdown_action_name(r->on_crash),
    };
    struct xs_entry_list l;

    start_step(s, "writing xenstore entries");
    if (xs_entries_build(&d, &l))
        return fail_step(s, -ENOMEM, NULL);
    int rc = xsh_write_entries(s->xs, &l);
    xs_entries_free(&l);
    if (rc)
        return fail_step(s, rc, NULL);

    start_step(s, "introducing the domain to xenstored");
    if (!xs_introduce_domain(s->xs, s->domid, s->store_gfn, store_port))
        return fail_step(s, -errno, NULL);
    return 0;
}

/* disk=: the vbds, served by the domain's QEMU (disk_devices.c). */
static int attach_disks(struct build_state *s)
{
    const struct build_request *r = s->r;
    char why[768];
    if (!r->n_disks)
        return 0;
    start_step(s, "attaching disks");
    if (disks_attach(s->xs, s->domid, r->name, r->maxmem_mib, r->disks, r->n_disks, why,
                     sizeof(why)))
        return fail_step(s, 0, "%s", why);
    return 0;
}

static int add_vifs(struct build_state *s)
{
    char why[512];
    if (!s->r->n_vifs)
        return 0;
    start_step(s, "adding network devices");
    if (vif_devices_add_all(s->xs, s->domid, s->r, why, sizeof(why)))
        return fail_step(s, 0, "%s", why);
    return 0;
}

int build_pvh(const struct build_request *r, const struct build_images *im,
              struct xs_handle *xs, uint32_t *domid, char *err, size_t errlen)
{
    struct build_state s = { .r = r, .im = im, .xs = xs, .err = err, .errlen = errlen,
                             .store_gfn = PVH_XENSTORE_PFN, .console_gfn = PVH_CONSOLE_PFN };
    uint32_t console_port = 0, store_port = 0;

    if (build_check_free_memory(&s, im->layout.populate_pages))
        return -1;
    const struct domu_layout *l = &im->layout;
    bool ok = !(build_create_domain(&s) || populate_memory(&s) || load_images(&s) ||
                build_set_up_rings(&s, &console_port, &store_port) ||
                build_set_entry_point(&s, l->entry, l->start_info_gpa) ||
                build_publish_in_xenstore(&s, console_port, store_port) || add_vifs(&s) ||
                attach_disks(&s));
    return build_finish(&s, ok, domid);
}

int build_check_free_memory(struct build_state *s, uint64_t need)
{
    struct basalt_host_info host;

    /* A clear message before anything exists; the hypervisor checks again. */
    start_step(s, "checking free memory");
    int rc = ctl_host_info(&host);
    if (rc)
        return fail_step(s, rc, "cannot query the hypervisor");
    if (host.free_pages < need)
        return fail_step(s, 0, "the domain needs %llu MiB, the pool has %llu MiB free",
                         (unsigned long long)(need >> 8),
                         (unsigned long long)(host.free_pages >> 8));
    return 0;
}

int build_finish(struct build_state *s, bool ok, uint32_t *domid)
{
    int rc;
    if (ok && !s->r->start_paused) {
        start_step(s, "starting the domain");
        if ((rc = ctl_domain_op(BCTL_DOMAIN_UNPAUSE, s->domid))) {
            fail_step(s, rc, NULL);
            ok = false;
        }
    }
    if (ok) {
        start_step(s, "done");
        *domid = s->domid;
        return 0;
    }
    if (s->created) {
        rc = domain_teardown(s->domid, s->xs);
        if (rc)
            xl_err("cannot destroy the half-built domain %u: %s", s->domid, ctl_strerror(rc));
    }
    return -1;
}

int build_domain(const struct build_request *r, struct xs_handle *xs, uint32_t *domid,
                 char *err, size_t errlen)
{
    if (r->hvm)
        return build_hvm(r, xs, domid, err, errlen);
    struct build_images *im = malloc(sizeof(*im));
    enum build_blame blame;
    if (!im) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = build_prepare(r, im, &blame, err, errlen);
    if (!rc) {
        rc = build_pvh(r, im, xs, domid, err, errlen);
        build_images_free(im);
    }
    free(im);
    return rc;
}
