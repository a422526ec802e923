/*
 * Where everything goes in a new PVH DomU's guest-physical memory, worked
 * out before anything is created: the same layout the hypervisor's own
 * builder (hypervisor/arch/x86/pvh_build.c) gives boot-time domains, from
 * the same shared code (lib/pvh_layout.h):
 *   RAM from 0 (above 4 GiB what does not fit below PVH_LOWMEM_END),
 *   the kernel's segments at their physical addresses,
 *   the initrd on the next page after the kernel,
 *   the start-info block (with command line and memory map) after that,
 *   ACPI tables at PVH_ACPI_BASE, eight special pages at PVH_SPECIAL_PFN.
 * Pure computation: no hypervisor calls.
 */
#ifndef XL_LAYOUT_H
#define XL_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/pvh_elf.h"
#include "lib/pvh_layout.h"

/* Linux copies at most COMMAND_LINE_SIZE (2048 on x86) bytes, NUL included. */
#define LAYOUT_CMDLINE_MAX 2047
/* start_info + command line + module + memory map always fit in this. */
#define LAYOUT_START_INFO_MAX 8192
/* Linux reads the start info's module list and memory map through its
 * early page tables, which map only the first GiB. */
#define LAYOUT_EARLY_MAP_END (1ull << 30)

struct gfn_range {
    uint64_t gfn;
    uint64_t nr;
};

struct layout_params {
    uint64_t mem_bytes;             /* the domain's RAM (memory=) */
    const struct pvh_image *kernel;
    uint64_t initrd_size;           /* 0: no initrd */
    const char *cmdline;            /* NULL: none */
    unsigned max_vcpus, vcpus;      /* MADT entries, and how many enabled */
};

struct domu_layout {
    uint64_t mem_bytes;
    uint64_t low_end;               /* RAM below 4 GiB ends here */
    struct hvm_memmap_table_entry memmap[PVH_MAX_MEMMAP];
    unsigned nr_memmap;
    /* What XENMEM_populate_physmap must fill: RAM, ACPI, special pages. */
    struct gfn_range populate[PVH_MAX_MEMMAP];
    unsigned nr_populate;
    uint64_t populate_pages;        /* sum of the above */
    uint64_t initrd_gpa, initrd_size;
    uint64_t start_info_gpa;
    uint8_t start_info[LAYOUT_START_INFO_MAX];
    size_t start_info_len;
    uint8_t acpi[PVH_ACPI_PAGES * PVH_PAGE_SIZE];
    size_t acpi_len;
    uint64_t rsdp_gpa;
    uint32_t entry;                 /* vCPU 0's PVH entry point */
};

/* Computes l from p. Returns 0, or one of these with a reason in err. */
enum {
    LAYOUT_ERR_MEMORY = -1,     /* something does not fit in the domain's memory */
    LAYOUT_ERR_CMDLINE = -2,    /* the command line is too long */
    LAYOUT_ERR_VCPUS = -3,      /* no ACPI tables for that many vCPUs */
};
int layout_compute(const struct layout_params *p, struct domu_layout *l, char *err,
                   size_t errlen);

/* A run of `count` extents of 2^order pages each, starting at gfn. */
struct extent_run {
    uint64_t gfn;
    uint64_t count;
    unsigned order;
};

/*
 * Splits [gfn, gfn + nr) into at most three runs for populate_physmap:
 * single pages up to a 2 MiB boundary, 2 MiB extents, single pages after.
 * Fewer, larger extents make building a big domain faster.
 */
unsigned layout_extent_runs(uint64_t gfn, uint64_t nr, struct extent_run out[3]);

#endif
