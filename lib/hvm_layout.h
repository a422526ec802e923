/*
 * Guest-physical layout of an HVM domain, as libxl and libxenguest 4.17
 * build it, so that Xen's hvmloader finds things where it looks: RAM from 0
 * with the VGA hole at 0xA0000-0xBFFFF, up to the MMIO hole at 0xF0000000
 * (the rest above 4 GiB); the hvm_info table at 0x9F800; the special pages
 * and ioreq-server pages just below 0xFF000000. The same for the
 * hypervisor's boot-time builder and the toolstack.
 */
#ifndef LIB_HVM_LAYOUT_H
#define LIB_HVM_LAYOUT_H

#include "compat.h"

#include <xen/arch-x86/hvm/start_info.h>
#include <xen/hvm/hvm_info_table.h>

#define HVM_PAGE_SIZE          4096ULL
#define HVM_VGA_HOLE_START     0xa0000ULL
#define HVM_VGA_HOLE_END       0xc0000ULL
#define HVM_MMIO_HOLE_START    0xf0000000ULL /* HVM_BELOW_4G_MMIO_START */
#define HVM_HIGHMEM_START      0x100000000ULL
#define HVM_LOW_MEM_START      0x100000ULL   /* the memory map's first RAM (hvmloader adds below 1 MiB) */
#define HVM_SPECIAL_PFN(i)     (0xfeff8ULL + (i)) /* X86_HVM_END_SPECIAL_REGION - 8 + i */
#define HVM_BUFIOREQ_PFN       HVM_SPECIAL_PFN(3)
#define HVM_XENSTORE_PFN       HVM_SPECIAL_PFN(4)
#define HVM_IOREQ_PFN          HVM_SPECIAL_PFN(5)
#define HVM_CONSOLE_PFN        HVM_SPECIAL_PFN(7)
#define HVM_IOREQ_SERVER_PFN   0xfeff0ULL    /* eight pages, below the special ones */
#define HVM_NR_IOREQ_SERVER_PAGES 8
#define HVM_MAX_MEMMAP         4

/* A populated range of guest RAM. */
struct hvm_ram_range {
    uint64_t start, end; /* [start, end) */
};

/* Where the RAM of an HVM domain with `mem` bytes lies (the VGA hole left
 * out, the special pages not included). Returns the number of ranges (<= 3). */
unsigned int hvm_ram_ranges(uint64_t mem, struct hvm_ram_range out[3]);

/* The memory map the toolstack gives the domain (XENMEM_set_memory_map):
 * RAM from 1 MiB up to the hole, and above 4 GiB. Returns the entry count. */
unsigned int hvm_domu_memmap(uint64_t mem, struct hvm_memmap_table_entry *map);

/* Fills the hvm_info table (at HVM_INFO_PADDR) for `vcpus` vCPUs, all online. */
void hvm_build_info_table(struct hvm_info_table *t, unsigned int vcpus, uint64_t mem);

#endif
