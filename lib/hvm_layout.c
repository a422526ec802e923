/* The layout of an HVM domain (see hvm_layout.h). */
#include "hvm_layout.h"

static uint64_t low_end(uint64_t mem)
{
    return mem < HVM_MMIO_HOLE_START ? mem : HVM_MMIO_HOLE_START;
}

unsigned int hvm_ram_ranges(uint64_t mem, struct hvm_ram_range out[3])
{
    unsigned int n = 0;
    uint64_t low = low_end(mem);
    out[n++] = (struct hvm_ram_range){ 0, low < HVM_VGA_HOLE_START ? low : HVM_VGA_HOLE_START };
    if (low > HVM_VGA_HOLE_END)
        out[n++] = (struct hvm_ram_range){ HVM_VGA_HOLE_END, low };
    if (mem > low)
        out[n++] = (struct hvm_ram_range){ HVM_HIGHMEM_START, HVM_HIGHMEM_START + (mem - low) };
    return n;
}

unsigned int hvm_domu_memmap(uint64_t mem, struct hvm_memmap_table_entry *map)
{
    unsigned int n = 0;
    uint64_t low = low_end(mem);
    if (low > HVM_LOW_MEM_START)
        map[n++] = (struct hvm_memmap_table_entry){ HVM_LOW_MEM_START, low - HVM_LOW_MEM_START,
                                                    XEN_HVM_MEMMAP_TYPE_RAM, 0 };
    if (mem > low)
        map[n++] = (struct hvm_memmap_table_entry){ HVM_HIGHMEM_START, mem - low, XEN_HVM_MEMMAP_TYPE_RAM, 0 };
    return n;
}

void hvm_build_info_table(struct hvm_info_table *t, unsigned int vcpus, uint64_t mem)
{
    memset(t, 0, sizeof(*t));
    memcpy(t->signature, "HVM INFO", 8);
    t->length = sizeof(*t);
    t->apic_mode = 1;
    t->nr_vcpus = vcpus;
    for (unsigned int i = 0; i < vcpus && i < HVM_MAX_VCPUS; i++)
        t->vcpu_online[i / 8] |= (uint8_t)(1u << (i % 8));
    uint64_t low = low_end(mem);
    t->low_mem_pgend = (uint32_t)(low / HVM_PAGE_SIZE);
    t->high_mem_pgend = mem > low ? (uint32_t)((HVM_HIGHMEM_START + mem - low) / HVM_PAGE_SIZE) : 0;
    t->reserved_mem_pgstart = (uint32_t)HVM_IOREQ_SERVER_PFN;
    uint8_t sum = 0;
    for (size_t i = 0; i < sizeof(*t); i++)
        sum = (uint8_t)(sum + ((const uint8_t *)t)[i]);
    t->checksum = (uint8_t)-sum;
}
