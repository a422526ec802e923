/* The HVM domain builder (see build_hvm.h). */
#include "build_hvm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xen/hvm/params.h>

#include "build_steps.h"
#include "ctl.h"
#include "disk_devices.h"
#include "lib/hvm_layout.h"
#include "lib/pvh_elf.h"
#include "lib/pvh_layout.h"
#include "qemu_dm.h"
#include "qemu_dm_args.h"
#include "qmp.h"
#include "read_file.h"
#include "util.h"
#include "xen_ops.h"
#include "xs_store.h"

#define start_step build_start_step
#define fail_step build_fail_step
#define START_INFO_MAX 8192

/* Where hvmloader may be: Debian's path, or where Basalt's Dom0 image
 * puts the copy it takes out of xen-utils-4.17 (images/Makefile). */
static const char *const loader_paths[] = { BUILD_HVM_LOADER, "/usr/lib/basalt/hvmloader" };

struct hvm_files {
    uint8_t *loader, *bios;
    size_t loader_len, bios_len;
    struct pvh_image img;
};

static int read_firmware(struct build_state *s, struct hvm_files *f)
{
    char why[512];
    const char *path = loader_paths[0];
    const char *perr;

    start_step(s, "reading hvmloader and SeaBIOS");
    for (size_t i = 0; i < sizeof(loader_paths) / sizeof(loader_paths[0]); i++)
        if (!access(loader_paths[i], R_OK)) {
            path = loader_paths[i];
            break;
        }
    if (read_file(path, BUILD_HVM_FILE_MAX, &f->loader, &f->loader_len, why, sizeof(why)))
        return fail_step(s, 0, "%s (is Debian's xen-utils-4.17 hvmloader installed?)", why);
    if (hvm_firmware_parse(f->loader, f->loader_len, &f->img, &perr))
        return fail_step(s, 0, "%s: %s", path, perr);
    if (read_file(BUILD_HVM_SEABIOS, BUILD_HVM_FILE_MAX, &f->bios, &f->bios_len, why, sizeof(why)))
        return fail_step(s, 0, "%s (is Debian's seabios installed?)", why);
    return 0;
}

static bool in_ram(const struct hvm_ram_range *r, unsigned n, uint64_t start, uint64_t size)
{
    for (unsigned i = 0; i < n; i++)
        if (start >= r[i].start && size <= r[i].end - start)
            return true;
    return false;
}

static int populate_range(struct build_state *s, uint64_t gfn, uint64_t nr)
{
    uint64_t done;
    int rc = xen_populate(s->domid, gfn, nr, &done);
    if (rc == -ENOMEM)
        return fail_step(s, 0, "out of memory: the pool could give only %llu of the %llu pages at "
                         "gfn 0x%llx",
                         (unsigned long long)done, (unsigned long long)nr,
                         (unsigned long long)gfn);
    return rc ? fail_step(s, rc, "gfn 0x%llx", (unsigned long long)gfn) : 0;
}

/* RAM, the special pages, hvmloader, SeaBIOS after it, the start info
 * after that, the hvm_info table and the memory map; returns the start
 * info's address in *si_gpa. */
static int load_firmware(struct build_state *s, const struct hvm_files *f, uint64_t *si_gpa)
{
    uint64_t mem = s->r->memory_mib << 20;
    struct hvm_ram_range ram[3];
    unsigned nr_ram = hvm_ram_ranges(mem, ram);

    start_step(s, "populating memory");
    for (unsigned i = 0; i < nr_ram; i++)
        if (populate_range(s, ram[i].start / HVM_PAGE_SIZE, (ram[i].end - ram[i].start) / HVM_PAGE_SIZE))
            return -1;
    if (populate_range(s, HVM_SPECIAL_PFN(0), 8))
        return -1;

    start_step(s, "loading hvmloader");
    for (unsigned i = 0; i < f->img.nr_segments; i++) {
        const struct pvh_segment *seg = &f->img.seg[i];
        if (!in_ram(ram, nr_ram, seg->paddr, seg->memsz))
            return fail_step(s, 0, "segment at 0x%llx is outside the domain's RAM",
                             (unsigned long long)seg->paddr);
        if (build_write_to_guest(s, seg->paddr, f->loader + seg->offset, seg->filesz,
                                 "hvmloader segment"))
            return -1;
    }
    struct hvm_memmap_table_entry map[HVM_MAX_MEMMAP];
    unsigned nr_map = hvm_domu_memmap(mem, map);
    uint64_t bios_gpa = (f->img.paddr_end + HVM_PAGE_SIZE - 1) & ~(HVM_PAGE_SIZE - 1);
    uint64_t next = (bios_gpa + f->bios_len + HVM_PAGE_SIZE - 1) & ~(HVM_PAGE_SIZE - 1);
    if (!in_ram(ram, nr_ram, bios_gpa, f->bios_len))
        return fail_step(s, 0, "SeaBIOS does not fit in the domain's RAM");
    if (build_write_to_guest(s, bios_gpa, f->bios, f->bios_len, "SeaBIOS"))
        return -1;

    struct pvh_start_params sp = { .memmap = map, .memmap_entries = nr_map,
                                   .initrd_gpa = bios_gpa, .initrd_size = f->bios_len,
                                   .initrd_cmdline = "firmware" };
    uint8_t *buf = malloc(START_INFO_MAX);
    if (!buf)
        return fail_step(s, -ENOMEM, "start info");
    size_t si_len = pvh_build_start_info(buf, START_INFO_MAX, next, &sp);
    int rc = -1;
    if (!si_len || !in_ram(ram, nr_ram, next, si_len))
        fail_step(s, 0, "no room for the start info");
    else
        rc = build_write_to_guest(s, next, buf, si_len, "start info");
    free(buf);
    if (rc)
        return -1;
    *si_gpa = next;

    struct hvm_info_table info;
    hvm_build_info_table(&info, s->r->max_vcpus, mem);
    if (build_write_to_guest(s, HVM_INFO_PADDR, &info, sizeof(info), "hvm_info table"))
        return -1;
    start_step(s, "setting the memory map");
    rc = ctl_set_memmap(s->domid, map, nr_map);
    return rc ? fail_step(s, rc, NULL) : 0;
}

/* The ioreq-server pages QEMU's server may be given (Xen's layout). */
static int set_ioreq_params(struct build_state *s)
{
    int rc;
    start_step(s, "setting the ioreq-server parameters");
    if ((rc = xen_hvm_set_param(s->domid, HVM_PARAM_IOREQ_SERVER_PFN, HVM_IOREQ_SERVER_PFN)) ||
        (rc = xen_hvm_set_param(s->domid, HVM_PARAM_NR_IOREQ_SERVER_PAGES,
                                HVM_NR_IOREQ_SERVER_PAGES)))
        return fail_step(s, rc, NULL);
    return 0;
}

static void write_domain_key(struct build_state *s, const char *key, const char *value)
{
    char path[128];
    snprintf(path, sizeof(path), "/local/domain/%u/%s", s->domid, key);
    if (xsh_write(s->xs, path, value))
        xl_err("cannot write %s: %s", path, strerror(errno));
}

/* What libxl records after QEMU's start (libxl_dm.c): where its VNC server
 * listens (xl vncviewer reads console/vnc-*) and the pty of a serial port
 * (serial/0/tty, for xl console -t serial). */
static void record_qemu_endpoints(struct build_state *s)
{
    struct qmp q;
    char why[256];
    if (qmp_open(&q, s->domid, why, sizeof(why))) {
        xl_err("domain %u: cannot ask QEMU where VNC listens: %s", s->domid, why);
        return;
    }
    struct json *vnc = qmp_call(&q, "{\"execute\":\"query-vnc\"}", why, sizeof(why));
    const struct json *ret = vnc ? json_get(vnc, "return") : NULL;
    const char *host = ret ? json_get_string(ret, "host") : NULL;
    const char *port = ret ? json_get_string(ret, "service") : NULL;
    if (host && port) {
        write_domain_key(s, "console/vnc-listen", host);
        write_domain_key(s, "console/vnc-port", port);
    }
    json_free(vnc);
    struct json *chr = qmp_call(&q, "{\"execute\":\"query-chardev\"}", why, sizeof(why));
    ret = chr ? json_get(chr, "return") : NULL;
    for (size_t i = 0; ret && ret->type == JSON_ARRAY && i < ret->n; i++) {
        const char *label = json_get_string(ret->items[i], "label");
        const char *file = json_get_string(ret->items[i], "filename");
        if (label && file && !strcmp(label, "serial0") && !strncmp(file, "pty:", 4))
            write_domain_key(s, "serial/0/tty", file + 4);
    }
    json_free(chr);
    qmp_close(&q);
}

static int start_device_model(struct build_state *s)
{
    struct qemu_dm_args *a = malloc(sizeof(*a));
    char why[768];
    start_step(s, "starting QEMU (the device model)");
    if (!a)
        return fail_step(s, -ENOMEM, NULL);
    if (qemu_dm_args_build_hvm(a, s->domid, s->r)) {
        free(a);
        return fail_step(s, 0, "QEMU's command line is too long");
    }
    pid_t pid = qemu_dm_start_args(s->xs, s->domid, s->r->name, a, why, sizeof(why));
    free(a);
    if (pid < 0)
        return fail_step(s, 0, "%s", why);
    record_qemu_endpoints(s);
    return 0;
}

/* With the platform device, each disk (not the CD-ROMs) is also a vbd
 * that QEMU serves as qdisk, as libxl does: the guest's PV drivers unplug
 * the IDE disk through the platform device and blkfront takes over. */
static int attach_pv_disks(struct build_state *s)
{
    const struct build_request *r = s->r;
    struct vbd pv[BUILD_HVM_MAX_IDE]; /* read_ide_disks allows no more */
    unsigned n = 0;
    char why[768];
    for (unsigned i = 0; r->hvm_opts.platform_pci && i < r->n_disks && n < BUILD_HVM_MAX_IDE; i++)
        if (!r->disks[i].is_cdrom)
            pv[n++] = r->disks[i];
    if (!n)
        return 0;
    start_step(s, "attaching the disks' PV vbds");
    if (disks_attach(s->xs, s->domid, r->name, r->maxmem_mib, pv, n, why, sizeof(why)))
        return fail_step(s, 0, "%s", why);
    return 0;
}

int build_hvm(const struct build_request *r, struct xs_handle *xs, uint32_t *domid, char *err,
              size_t errlen)
{
    struct build_state s = {
        .r = r, .xs = xs, .err = err, .errlen = errlen,
        .create_flags = BCTL_CREATE_HVM,
        .max_mem_kb = (r->memory_mib << 10) + BUILD_HVM_EXTRA_KIB,
        .store_gfn = HVM_XENSTORE_PFN, .console_gfn = HVM_CONSOLE_PFN,
    };
    struct hvm_files f = { 0 };
    uint32_t console_port = 0, store_port = 0;
    uint64_t si_gpa = 0;

    if (read_firmware(&s, &f) || build_check_free_memory(&s, s.max_mem_kb >> 2)) {
        free(f.loader);
        free(f.bios);
        return -1;
    }
    bool ok = !(build_create_domain(&s) || load_firmware(&s, &f, &si_gpa) ||
                build_set_up_rings(&s, &console_port, &store_port) || set_ioreq_params(&s) ||
                build_set_entry_point(&s, f.img.entry, si_gpa) ||
                build_publish_in_xenstore(&s, console_port, store_port) ||
                start_device_model(&s) || attach_pv_disks(&s));
    free(f.loader);
    free(f.bios);
    return build_finish(&s, ok, domid);
}
