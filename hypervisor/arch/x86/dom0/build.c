/*
 * Building Dom0: a PVH domain with SIF_INITDOMAIN whose RAM is the machine
 * RAM chosen by dom0_prepare(), mapped 1:1; its memory map is the machine's
 * with the RAM it does not own marked unusable; the firmware's ACPI tables
 * plus a MADT/XSDT/RSDP of ours that list its vCPUs; the kernel at its ELF
 * addresses; vCPUs pinned to the first CPUs open to guests (guest_cpus=).
 */
#include <asm/acpi.h>
#include <asm/apic.h>
#include <basalt/arch.h>
#include <basalt/boot.h>
#include <basalt/dom0.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/guest_console.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/sched.h>
#include <lib/pvh_elf.h>
#include <lib/pvh_layout.h>

#define DOM0_MAX_MEMMAP 128

static struct hvm_memmap_table_entry *map;
static unsigned int nr_map;

static void map_add(uint64_t start, uint64_t end, uint32_t type)
{
    if (start >= end || nr_map == DOM0_MAX_MEMMAP)
        return;
    /* merge with the previous entry when contiguous and alike */
    if (nr_map && map[nr_map - 1].type == type && map[nr_map - 1].addr + map[nr_map - 1].size == start) {
        map[nr_map - 1].size += end - start;
        return;
    }
    map[nr_map++] = (struct hvm_memmap_table_entry){ start, end - start, type, 0 };
}

/* The machine's map, RAM split into Dom0's (RAM) and not Dom0's (unusable,
 * so that Linux neither uses it nor puts device windows there). */
static void build_memmap(void)
{
    struct mem_range sorted[MAX_MEM_RANGES];
    unsigned int n = boot_info.nr_mem;
    memcpy(sorted, boot_info.mem, n * sizeof(sorted[0]));
    for (unsigned int i = 1; i < n; i++)
        for (unsigned int j = i; j > 0 && sorted[j].start < sorted[j - 1].start; j--) {
            struct mem_range t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    for (unsigned int i = 0; i < n; i++) {
        const struct mem_range *r = &sorted[i];
        if (r->type != MEM_RAM) {
            map_add(r->start, r->end, r->type);
            continue;
        }
        paddr_t at = r->start;
        for (unsigned int k = 0; k < dom0_plan.nr_ram; k++) {
            const struct mem_range *d = &dom0_plan.ram[k];
            paddr_t s = MAX(d->start, r->start), e = MIN(d->end, r->end);
            if (s >= e)
                continue;
            map_add(at, s, XEN_HVM_MEMMAP_TYPE_UNUSABLE);
            map_add(s, e, XEN_HVM_MEMMAP_TYPE_RAM);
            at = e;
        }
        map_add(at, r->end, XEN_HVM_MEMMAP_TYPE_UNUSABLE);
    }
}

/* Takes the last page of Dom0's highest RAM below 4 GiB for our ACPI tables. */
static paddr_t steal_acpi_page(void)
{
    for (int i = (int)nr_map - 1; i >= 0; i--) {
        struct hvm_memmap_table_entry *e = &map[i];
        if (e->type != XEN_HVM_MEMMAP_TYPE_RAM || e->addr >= GiB(4) || e->size < 2 * PAGE_SIZE)
            continue;
        uint64_t end = MIN(e->addr + e->size, GiB(4));
        paddr_t page = ALIGN_DOWN(end - PAGE_SIZE, PAGE_SIZE);
        if (page < MiB(1))
            continue;
        /* Split: [addr, page) RAM, [page, page+4K) ACPI, rest RAM. */
        uint64_t tail = e->addr + e->size - (page + PAGE_SIZE);
        e->size = page - e->addr;
        if (nr_map + 2 > DOM0_MAX_MEMMAP)
            return 0;
        memmove(&map[i + 3], &map[i + 1], (nr_map - i - 1) * sizeof(*map));
        map[i + 1] = (struct hvm_memmap_table_entry){ page, PAGE_SIZE, XEN_HVM_MEMMAP_TYPE_ACPI, 0 };
        map[i + 2] = (struct hvm_memmap_table_entry){ page + PAGE_SIZE, tail, XEN_HVM_MEMMAP_TYPE_RAM, 0 };
        nr_map += 2;
        if (!tail) {
            memmove(&map[i + 2], &map[i + 3], (nr_map - i - 3) * sizeof(*map));
            nr_map--;
        }
        return page;
    }
    return 0;
}

/* Firmware regions and the legacy hole, mapped 1:1 before Dom0 runs (the
 * rest of device space is mapped when first touched). */
static int map_firmware_regions(struct domain *d)
{
    for (gfn_t g = 0xa0; g < 0x100; g++)
        if (!dom0_owns_ram(g << PAGE_SHIFT, (g + 1) << PAGE_SHIFT) && p2m_populate_range(d, g, g, 1, P2M_MMIO) != 1)
            return -ENOMEM;
    for (unsigned int i = 0; i < nr_map; i++) {
        const struct hvm_memmap_table_entry *e = &map[i];
        if (e->type != XEN_HVM_MEMMAP_TYPE_RESERVED && e->type != XEN_HVM_MEMMAP_TYPE_ACPI &&
            e->type != XEN_HVM_MEMMAP_TYPE_NVS)
            continue;
        if (e->addr >= GiB(4) || mm_is_ram(e->addr, e->addr + PAGE_SIZE))
            continue; /* our stolen ACPI page is RAM: mapped as such */
        if (dom0_map_device_range(d, e->addr >> PAGE_SHIFT, (e->addr + e->size) >> PAGE_SHIFT))
            return -ENOMEM;
    }
    return 0;
}

static int fail(struct domain *d, const char *why)
{
    pr_err("Dom0: %s\n", why);
    domain_destroy(d, "build failed: %s", why);
    return -EINVAL;
}

static bool overlaps(paddr_t a, paddr_t a_end, paddr_t b, paddr_t b_end)
{
    return a < b_end && b < a_end;
}

/* A RAM range of Dom0 at or above `from` with room for `size` bytes. */
static paddr_t find_room(paddr_t from, uint64_t size)
{
    for (unsigned int i = 0; i < nr_map; i++) {
        const struct hvm_memmap_table_entry *e = &map[i];
        if (e->type != XEN_HVM_MEMMAP_TYPE_RAM)
            continue;
        paddr_t s = ALIGN_UP(MAX(e->addr, from), PAGE_SIZE);
        if (s + size <= e->addr + e->size)
            return s;
    }
    return 0;
}

int dom0_build(void)
{
    const struct boot_module *km = &boot_info.modules[dom0_plan.kernel_module];
    /* Its vCPUs are pinned to the first guest CPUs (start_domains(), common/main.c). */
    struct domain_config cfg = {
        .id = 0, .name = "Domain-0", .max_vcpus = dom0_plan.nr_vcpus, .hardware_domain = true,
    };
    struct domain *d;
    if (domain_create(&cfg, &d))
        panic("Dom0: cannot create the domain");

    map = d->memmap = xmalloc(DOM0_MAX_MEMMAP * sizeof(*map));
    if (!map)
        return fail(d, "out of hypervisor memory");
    build_memmap();
    paddr_t acpi_page = steal_acpi_page();
    if (!acpi_page)
        return fail(d, "no room for its ACPI tables");
    d->memmap_entries = nr_map;

    for (unsigned int i = 0; i < dom0_plan.nr_ram; i++) {
        gfn_t s = dom0_plan.ram[i].start >> PAGE_SHIFT, e = dom0_plan.ram[i].end >> PAGE_SHIFT;
        if (p2m_populate_range(d, s, s, e - s, P2M_RAM) != e - s)
            return fail(d, "cannot map its memory");
        d->tot_pages += e - s;
    }
    d->max_pages = d->tot_pages;
    if (map_firmware_regions(d))
        return fail(d, "cannot map the firmware's regions");

    /* The kernel and the initrd may still lie in Dom0's RAM where the loader
     * put them (dom0_prepare): place both before writing anything else. */
    struct pvh_image img;
    unsigned int order[PVH_MAX_SEGMENTS];
    const char *err;
    if (pvh_elf_parse(phys_to_virt(km->start), km->end - km->start, &img, &err))
        return fail(d, err);
    if (overlaps(img.paddr_start, img.paddr_end, acpi_page, acpi_page + PAGE_SIZE))
        return fail(d, "the kernel loads over the last page of its RAM below 4 GiB (dom0_mem too small?)");
    if (!pvh_elf_in_place_order(&img, km->start, order))
        return fail(d, "the kernel's file lies where its segments load");
    for (unsigned int i = 0; i < img.nr_segments; i++) {
        const struct pvh_segment *s = &img.seg[i];
        if (!dom0_owns_ram(s->paddr & PAGE_MASK, ALIGN_UP(s->paddr + s->memsz, PAGE_SIZE)))
            return fail(d, "the kernel's load address is not in Dom0's memory (dom0_mem too small?)");
    }
    pvh_elf_load_in_place(&img, km->start, order, (uintptr_t)phys_to_virt(0));

    struct pvh_start_params sp = {
        .flags = SIF_INITDOMAIN | SIF_PRIVILEGED,
        .cmdline = km->cmdline,
        .memmap = map,
        .memmap_entries = nr_map,
    };
    paddr_t next = ALIGN_UP(img.paddr_end, PAGE_SIZE);
    if (dom0_plan.initrd_module >= 0) {
        const struct boot_module *im = &boot_info.modules[dom0_plan.initrd_module];
        sp.initrd_size = im->end - im->start;
        bool in_place = dom0_owns_ram(ALIGN_DOWN(im->start, PAGE_SIZE), ALIGN_UP(im->end, PAGE_SIZE)) &&
                        !overlaps(im->start, im->end, img.paddr_start, img.paddr_end) &&
                        !overlaps(im->start, im->end, acpi_page, acpi_page + PAGE_SIZE);
        sp.initrd_gpa = in_place ? im->start : find_room(next, sp.initrd_size);
        if (!sp.initrd_gpa)
            return fail(d, "no room for the initrd");
        if (!in_place)
            memmove(phys_to_virt(sp.initrd_gpa), phys_to_virt(im->start), sp.initrd_size);
        next = MAX(next, ALIGN_UP(sp.initrd_gpa + sp.initrd_size, PAGE_SIZE));
    }

    sp.rsdp_gpa = dom0_build_acpi(phys_to_virt(acpi_page), PAGE_SIZE, acpi_page, dom0_plan.nr_vcpus);
    if (!sp.rsdp_gpa)
        return fail(d, "its ACPI tables do not fit in a page");
    paddr_t si = find_room(next, PAGE_SIZE * 2);
    size_t si_len = si ? pvh_build_start_info(phys_to_virt(si), PAGE_SIZE * 2, si, &sp) : 0;
    if (!si_len)
        return fail(d, "no room for the start info");

    arch_vcpu_set_pvh_entry(d->vcpus[0], img.entry, (uint32_t)si);
    d->state = DOMAIN_RUNNING;
    pr_notice("domain 0 (Domain-0) created\n");
    console_input_set_owner(d);
    vcpu_start(d->vcpus[0]);
    return 0;
}
