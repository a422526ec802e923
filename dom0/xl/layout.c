/* A PVH DomU's guest-physical layout (see layout.h). */
#include "layout.h"

#include <stdio.h>
#include <string.h>

#define LAYOUT_EXTENT_ORDER 9   /* 2 MiB: the largest extent populate_physmap takes */

static uint64_t page_align_up(uint64_t x)
{
    return (x + PVH_PAGE_SIZE - 1) & ~(PVH_PAGE_SIZE - 1);
}

/* [start, start + size) lies inside [0, end). */
static int fits_below(uint64_t start, uint64_t size, uint64_t end)
{
    return size <= end && start <= end - size;
}

int layout_compute(const struct layout_params *p, struct domu_layout *l, char *err,
                   size_t errlen)
{
    const struct pvh_image *k = p->kernel;
    memset(l, 0, sizeof(*l));

    if (p->mem_bytes < (1ull << 20) || p->mem_bytes % PVH_PAGE_SIZE) {
        snprintf(err, errlen, "memory must be a whole number of MiB, at least 1");
        return LAYOUT_ERR_MEMORY;
    }
    l->mem_bytes = p->mem_bytes;
    l->low_end = p->mem_bytes < PVH_LOWMEM_END ? p->mem_bytes : PVH_LOWMEM_END;
    l->nr_memmap = pvh_domu_memmap(p->mem_bytes, l->memmap);

    /* The same pages the hypervisor's builder populates: every entry of
     * the map except reserved ones other than the special pages. */
    for (unsigned i = 0; i < l->nr_memmap; i++) {
        const struct hvm_memmap_table_entry *e = &l->memmap[i];
        if (e->type == XEN_HVM_MEMMAP_TYPE_RESERVED && e->addr != PVH_SPECIAL_START)
            continue;
        l->populate[l->nr_populate++] = (struct gfn_range){ e->addr / PVH_PAGE_SIZE,
                                                             e->size / PVH_PAGE_SIZE };
        l->populate_pages += e->size / PVH_PAGE_SIZE;
    }

    for (unsigned i = 0; i < k->nr_segments; i++)
        if (!fits_below(k->seg[i].paddr, k->seg[i].memsz, l->low_end)) {
            snprintf(err, errlen,
                     "the kernel (loaded at 0x%llx-0x%llx) does not fit in the domain's "
                     "%llu MiB of memory",
                     (unsigned long long)k->paddr_start, (unsigned long long)k->paddr_end,
                     (unsigned long long)(p->mem_bytes >> 20));
            return LAYOUT_ERR_MEMORY;
        }
    l->entry = k->entry;

    uint64_t next = page_align_up(k->paddr_end);
    if (p->initrd_size) {
        l->initrd_gpa = next;
        l->initrd_size = p->initrd_size;
        if (!fits_below(next, p->initrd_size, l->low_end)) {
            snprintf(err, errlen,
                     "the ramdisk (%llu KiB, placed after the kernel at 0x%llx) does not fit "
                     "in the domain's %llu MiB of memory",
                     (unsigned long long)(p->initrd_size >> 10), (unsigned long long)next,
                     (unsigned long long)(p->mem_bytes >> 20));
            return LAYOUT_ERR_MEMORY;
        }
        next = page_align_up(next + p->initrd_size);
    }

    if (p->cmdline && strlen(p->cmdline) > LAYOUT_CMDLINE_MAX) {
        snprintf(err, errlen, "the kernel command line is %zu bytes long; Linux takes at most %d",
                 strlen(p->cmdline), LAYOUT_CMDLINE_MAX);
        return LAYOUT_ERR_CMDLINE;
    }
    size_t acpi_len = p->vcpus && p->vcpus <= p->max_vcpus
                          ? pvh_build_acpi(l->acpi, p->max_vcpus, &l->rsdp_gpa) : 0;
    if (!acpi_len) {
        snprintf(err, errlen, "cannot build ACPI tables for %u vCPUs (%u online)", p->max_vcpus,
                 p->vcpus);
        return LAYOUT_ERR_VCPUS;
    }
    l->acpi_len = acpi_len;

    struct pvh_start_params sp = {
        .flags = 0, /* a DomU: no SIF_* flags */
        .cmdline = p->cmdline,
        .initrd_gpa = l->initrd_gpa,
        .initrd_size = l->initrd_size,
        .rsdp_gpa = l->rsdp_gpa,
        .memmap = l->memmap,
        .memmap_entries = l->nr_memmap,
    };
    l->start_info_gpa = next;
    l->start_info_len = pvh_build_start_info(l->start_info, sizeof(l->start_info), next, &sp);
    if (!l->start_info_len) {
        snprintf(err, errlen, "the start-info block does not fit in %d bytes",
                 LAYOUT_START_INFO_MAX);
        return LAYOUT_ERR_MEMORY;
    }
    uint64_t early_end = l->low_end < LAYOUT_EARLY_MAP_END ? l->low_end : LAYOUT_EARLY_MAP_END;
    if (!fits_below(next, l->start_info_len, early_end)) {
        snprintf(err, errlen,
                 "no room for the start-info block after the kernel and ramdisk (at 0x%llx; "
                 "it must lie in RAM below 1 GiB)",
                 (unsigned long long)next);
        return LAYOUT_ERR_MEMORY;
    }
    return 0;
}

unsigned layout_extent_runs(uint64_t gfn, uint64_t nr, struct extent_run out[3])
{
    const uint64_t big = 1ull << LAYOUT_EXTENT_ORDER;
    unsigned n = 0;
    uint64_t head = (big - (gfn & (big - 1))) & (big - 1);

    if (head > nr)
        head = nr;
    if (head) {
        out[n++] = (struct extent_run){ gfn, head, 0 };
        gfn += head;
        nr -= head;
    }
    if (nr >= big) {
        out[n++] = (struct extent_run){ gfn, nr / big, LAYOUT_EXTENT_ORDER };
        gfn += nr / big * big;
        nr %= big;
    }
    if (nr)
        out[n++] = (struct extent_run){ gfn, nr, 0 };
    return n;
}
