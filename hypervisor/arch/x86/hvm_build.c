/*
 * The hypervisor's HVM domain builder for boot-time domains, laid out as
 * libxl builds an HVM guest (lib/hvm_layout.h): RAM with the VGA hole, the
 * hvm_info table, the special pages, the memory map; the firmware loader
 * (hvmloader, or a test guest) at its ELF addresses, entered like a PVH
 * kernel (32-bit flat, EBX = start info), with the BIOS image as its
 * "firmware" module. Its console is the hypervisor's (as for PVH boot-time
 * domains), its serial line and emulated devices are the device model's:
 * none, until one attaches.
 */
#include <basalt/arch.h>
#include <basalt/boot.h>
#include <basalt/boot_domains.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/lib.h>
#include <basalt/memory.h>
#include <basalt/mm.h>
#include <basalt/pv_console.h>
#include <basalt/sched.h>
#include <lib/hvm_layout.h>
#include <lib/pvh_elf.h>
#include <lib/pvh_layout.h>
#include <xen/hvm/params.h>

#define EXTRA_PAGES 256 /* the firmware's own tables above RAM (libxl's 1 MiB) */
#define START_INFO_MAX (2 * PAGE_SIZE)

static bool in_ram(const struct hvm_ram_range *r, unsigned int n, uint64_t start, uint64_t size)
{
    for (unsigned int i = 0; i < n; i++)
        if (start >= r[i].start && size <= r[i].end - start)
            return true;
    return false;
}

int hvm_build_boot_domain(struct boot_domain_spec *spec)
{
    const struct boot_module *kmod = &boot_info.modules[spec->kernel_module];
    uint64_t mem = spec->memory_mb << 20;
    struct domain *d;
    int rc = boot_domain_create(spec, (mem >> PAGE_SHIFT) + 8 + EXTRA_PAGES, true, &d);
    if (rc)
        return rc;

    struct pvh_image img;
    const char *err;
    if (hvm_firmware_parse(phys_to_virt(kmod->start), kmod->end - kmod->start, &img, &err))
        return boot_domain_fail(d, err);

    struct hvm_ram_range ram[3];
    unsigned int nr_ram = hvm_ram_ranges(mem, ram);
    for (unsigned int i = 0; i < nr_ram; i++)
        if (domain_populate(d, ram[i].start >> PAGE_SHIFT, (ram[i].end - ram[i].start) >> PAGE_SHIFT))
            return boot_domain_fail(d, "not enough free memory in the pool");
    if (domain_populate(d, HVM_SPECIAL_PFN(0), 8))
        return boot_domain_fail(d, "not enough free memory in the pool");

    for (unsigned int i = 0; i < img.nr_segments; i++) {
        const struct pvh_segment *s = &img.seg[i];
        if (!in_ram(ram, nr_ram, s->paddr, s->memsz) ||
            copy_to_gpa(d, s->paddr, (const uint8_t *)phys_to_virt(kmod->start) + s->offset, s->filesz))
            return boot_domain_fail(d, "the firmware loader does not fit in the domain's memory");
    }

    struct hvm_memmap_table_entry map[HVM_MAX_MEMMAP];
    unsigned int nr_map = hvm_domu_memmap(mem, map);
    if (domain_set_memmap(d, map, nr_map))
        return boot_domain_fail(d, "no memory map");

    struct hvm_info_table info;
    hvm_build_info_table(&info, spec->vcpus, mem);
    if (copy_to_gpa(d, HVM_INFO_PADDR, &info, sizeof(info)))
        return boot_domain_fail(d, "no room for the hvm_info table");

    uint64_t next = ALIGN_UP(img.paddr_end, PAGE_SIZE);
    struct pvh_start_params sp = { .cmdline = spec->cmdline, .memmap = map, .memmap_entries = nr_map };
    if (spec->firmware_module >= 0) {
        const struct boot_module *fm = &boot_info.modules[spec->firmware_module];
        sp.initrd_gpa = next;
        sp.initrd_size = fm->end - fm->start;
        sp.initrd_cmdline = "firmware";
        if (!in_ram(ram, nr_ram, next, sp.initrd_size) || copy_to_gpa(d, next, phys_to_virt(fm->start), sp.initrd_size))
            return boot_domain_fail(d, "the firmware module does not fit in the domain's memory");
        next = ALIGN_UP(next + sp.initrd_size, PAGE_SIZE);
    }
    uint8_t *buf = xmalloc(START_INFO_MAX);
    if (!buf)
        return boot_domain_fail(d, "out of hypervisor memory");
    size_t si_len = pvh_build_start_info(buf, START_INFO_MAX, next, &sp);
    rc = si_len && in_ram(ram, nr_ram, next, si_len) ? copy_to_gpa(d, next, buf, si_len) : -EINVAL;
    xfree(buf);
    if (rc)
        return boot_domain_fail(d, "no room for the start info");

    rc = pv_console_setup(d, HVM_CONSOLE_PFN);
    if (rc)
        return boot_domain_fail(d, "cannot set up the console");
    d->hvm_params[HVM_PARAM_STORE_PFN] = HVM_XENSTORE_PFN;
    d->hvm_params[HVM_PARAM_IOREQ_SERVER_PFN] = HVM_IOREQ_SERVER_PFN;
    d->hvm_params[HVM_PARAM_NR_IOREQ_SERVER_PAGES] = HVM_NR_IOREQ_SERVER_PAGES;

    boot_domain_start(d, img.entry, (uint32_t)next);
    return 0;
}
