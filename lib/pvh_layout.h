/*
 * Guest-physical layout of a PVH DomU, the same whether the hypervisor
 * (boot-time domains) or the toolstack in Dom0 builds it. It follows Xen's
 * layout so that guests and tools that know Xen find things where they expect.
 */
#ifndef LIB_PVH_LAYOUT_H
#define LIB_PVH_LAYOUT_H

#include "compat.h"

#include <xen/arch-x86/hvm/start_info.h>

#define PVH_PAGE_SIZE       4096ULL
#define PVH_LOWMEM_END      0xfc000000ULL /* RAM below 4 GiB ends here: the MMIO hole */
#define PVH_HIGHMEM_START   0x100000000ULL
#define PVH_ACPI_BASE       0xfc000000ULL /* ACPI tables (PVH_ACPI_PAGES pages) */
#define PVH_ACPI_PAGES      4
#define PVH_SPECIAL_PFN(i)  (0xfeff8ULL + (i)) /* eight special pages */
#define PVH_XENSTORE_PFN    PVH_SPECIAL_PFN(4)
#define PVH_CONSOLE_PFN     PVH_SPECIAL_PFN(7)
#define PVH_SPECIAL_START   (PVH_SPECIAL_PFN(0) * PVH_PAGE_SIZE)
#define PVH_SPECIAL_END     (PVH_SPECIAL_PFN(8) * PVH_PAGE_SIZE)
#define PVH_MAX_VCPUS       128
#define PVH_MAX_MEMMAP      8

/* The memory map of a DomU with `mem` bytes of RAM. Returns the entry count. */
unsigned int pvh_domu_memmap(uint64_t mem, struct hvm_memmap_table_entry *map);

/*
 * Writes the start-info block (struct hvm_start_info, command line, module
 * list, memory map) into buf, which the guest will see at gpa. Returns its
 * size, or 0 if it does not fit in buflen.
 */
struct pvh_start_params {
    uint32_t flags;                 /* SIF_* (Dom0: SIF_INITDOMAIN | SIF_PRIVILEGED) */
    const char *cmdline;
    uint64_t initrd_gpa, initrd_size; /* size 0: no initrd */
    const char *initrd_cmdline;     /* the module's string, or NULL ("firmware" for hvmloader) */
    uint64_t rsdp_gpa;
    const struct hvm_memmap_table_entry *memmap;
    unsigned int memmap_entries;
};
size_t pvh_build_start_info(void *buf, size_t buflen, uint64_t gpa, const struct pvh_start_params *p);

/*
 * Writes the ACPI tables of a PVH DomU into buf (PVH_ACPI_PAGES pages,
 * seen by the guest at PVH_ACPI_BASE): RSDP, XSDT, FADT, FACS, DSDT and a
 * MADT with one local APIC per vCPU (APIC ID = vCPU id), every one enabled.
 * Linux can start only a CPU it found enabled at boot (a disabled entry
 * gets no APIC ID; adding one later takes ACPI processor hotplug, whose
 * SCI a PVH DomU has not), so vCPUs that are to start offline are listed
 * enabled too: Linux brings them up, then takes down those whose
 * cpu/N/availability in xenstore says "offline" as soon as xenbus is up,
 * and can bring them back when it changes. Returns the size used, or 0 on
 * bad arguments. *rsdp_gpa gets the RSDP's address.
 */
size_t pvh_build_acpi(void *buf, unsigned int max_vcpus, uint64_t *rsdp_gpa);

#endif
