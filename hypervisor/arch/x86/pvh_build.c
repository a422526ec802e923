/*
 * The hypervisor's PVH domain builder for boot-time domains: RAM from the
 * pool, the kernel's segments at their physical addresses, the initrd and
 * the start-info block after it, ACPI tables and the special pages where
 * Xen puts them (lib/pvh_layout.h), vCPU 0 at the PVH entry point.
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
#include <lib/pvh_elf.h>
#include <lib/pvh_layout.h>

static int fail(struct domain *d, const char *why)
{
    domain_destroy(d, "build failed: %s", why);
    return -EINVAL;
}

static bool in_low_ram(uint64_t start, uint64_t size, uint64_t ram_end)
{
    return size <= ram_end && start <= ram_end - size;
}

int pvh_build_boot_domain(struct boot_domain_spec *spec)
{
    const struct boot_module *kmod = &boot_info.modules[spec->kernel_module];
    uint64_t mem = spec->memory_mb << 20;
    uint64_t low_end = MIN(mem, PVH_LOWMEM_END);

    struct domain_config cfg = {
        .id = spec->domid,
        .name = spec->name,
        .max_vcpus = spec->vcpus,
        .max_pages = (mem >> PAGE_SHIFT) + PVH_ACPI_PAGES + 8,
        .weight = spec->weight,
        .cap = spec->cap,
        .affinity = spec->cpus & all_cpus_mask(),
        .boot_spec = spec,
    };
    struct domain *d;
    int rc = domain_create(&cfg, &d);
    if (rc) {
        pr_err("domain %u (%s): cannot create (%s)\n", spec->domid, spec->name,
               rc == -EEXIST ? "id in use" : "out of memory");
        return rc;
    }

    struct pvh_image img;
    const char *err;
    if (pvh_elf_parse(phys_to_virt(kmod->start), kmod->end - kmod->start, &img, &err))
        return fail(d, err);
    for (unsigned int i = 0; i < img.nr_segments; i++)
        if (!in_low_ram(img.seg[i].paddr, img.seg[i].memsz, low_end))
            return fail(d, "the kernel does not fit in the domain's memory");

    struct hvm_memmap_table_entry *map = d->memmap = xmalloc(PVH_MAX_MEMMAP * sizeof(*map));
    if (!map)
        return fail(d, "out of hypervisor memory");
    unsigned int nr_map = pvh_domu_memmap(mem, map);
    d->memmap_entries = nr_map;
    for (unsigned int i = 0; i < nr_map; i++) {
        if (map[i].type == XEN_HVM_MEMMAP_TYPE_RESERVED && map[i].addr != PVH_SPECIAL_START)
            continue;
        if (domain_populate(d, map[i].addr >> PAGE_SHIFT, map[i].size >> PAGE_SHIFT))
            return fail(d, "not enough free memory in the pool");
    }

    for (unsigned int i = 0; i < img.nr_segments; i++) {
        const struct pvh_segment *s = &img.seg[i];
        if (copy_to_gpa(d, s->paddr, (const uint8_t *)phys_to_virt(kmod->start) + s->offset, s->filesz))
            return fail(d, "cannot load the kernel");
    }

    uint64_t next = ALIGN_UP(img.paddr_end, PAGE_SIZE);
    struct pvh_start_params sp = { .cmdline = spec->cmdline, .memmap = map, .memmap_entries = nr_map };
    if (spec->initrd_module >= 0) {
        const struct boot_module *im = &boot_info.modules[spec->initrd_module];
        sp.initrd_gpa = next;
        sp.initrd_size = im->end - im->start;
        if (!in_low_ram(next, sp.initrd_size, low_end) ||
            copy_to_gpa(d, next, phys_to_virt(im->start), sp.initrd_size))
            return fail(d, "the initrd does not fit in the domain's memory");
        next = ALIGN_UP(next + sp.initrd_size, PAGE_SIZE);
    }

    uint8_t *buf = xmalloc(PVH_ACPI_PAGES * PAGE_SIZE);
    if (!buf)
        return fail(d, "out of hypervisor memory");
    size_t acpi_len = pvh_build_acpi(buf, spec->vcpus, spec->vcpus, &sp.rsdp_gpa);
    rc = acpi_len ? copy_to_gpa(d, PVH_ACPI_BASE, buf, acpi_len) : -EINVAL;
    size_t si_len = rc ? 0 : pvh_build_start_info(buf, PVH_ACPI_PAGES * PAGE_SIZE, next, &sp);
    if (si_len && in_low_ram(next, si_len, low_end))
        rc = copy_to_gpa(d, next, buf, si_len);
    else
        rc = -EINVAL;
    xfree(buf);
    if (rc)
        return fail(d, "no room for the ACPI tables and start info");

    rc = pv_console_setup(d, PVH_CONSOLE_PFN);
    if (rc)
        return fail(d, "cannot set up the console");

    arch_vcpu_set_pvh_entry(d->vcpus[0], img.entry, (uint32_t)next);
    d->state = DOMAIN_RUNNING;
    pr_notice("domain %u (%s) created\n", d->id, d->name);
    vcpu_start(d->vcpus[0]);
    return 0;
}
