/*
 * The hypervisor's address space: all of physical memory mapped at VA == PA,
 * write-back where the 2 MiB (or 1 GiB) page holds RAM, uncached where it
 * holds only device space. Page 0 stays unmapped to catch null pointers.
 */
#include <asm/page.h>
#include <asm/x86.h>
#include <basalt/boot.h>
#include <basalt/lib.h>
#include <basalt/mm.h>

uint64_t *hv_pml4;

static uint64_t *new_table(void)
{
    return phys_to_virt(mm_early_alloc(PAGE_SIZE, PAGE_SIZE, GiB(4)));
}

static bool range_has_ram(paddr_t start, paddr_t end)
{
    for (unsigned int i = 0; i < boot_info.nr_mem; i++) {
        const struct mem_range *r = &boot_info.mem[i];
        if (r->type == MEM_RAM && r->start < end && r->end > start)
            return true;
    }
    return false;
}

static uint64_t *next_level(uint64_t *table, unsigned int idx)
{
    if (!(table[idx] & PTE_P))
        table[idx] = virt_to_phys(new_table()) | PTE_P | PTE_W;
    return phys_to_virt(table[idx] & PTE_ADDR_MASK);
}

void directmap_init(paddr_t top)
{
    bool gb_pages = cpuid(0x80000001).edx & BIT(26);
    paddr_t end = ALIGN_UP(MAX(top, GiB(4)), GiB(1));
    hv_pml4 = new_table();

    for (paddr_t pa = 0; pa < end;) {
        uint64_t *pdpt = next_level(hv_pml4, PT_INDEX(pa, 4));
        bool low = pa < GiB(4);
        if (gb_pages && !low) {
            uint64_t attr = range_has_ram(pa, pa + GiB(1)) ? 0 : PTE_PCD | PTE_PWT;
            pdpt[PT_INDEX(pa, 3)] = pa | PTE_P | PTE_W | PTE_PS | attr;
            pa += GiB(1);
            continue;
        }
        uint64_t *pd = next_level(pdpt, PT_INDEX(pa, 3));
        for (unsigned int i = 0; i < PT_ENTRIES; i++, pa += MiB(2)) {
            uint64_t attr = range_has_ram(pa, pa + MiB(2)) ? 0 : PTE_PCD | PTE_PWT;
            pd[i] = pa | PTE_P | PTE_W | PTE_PS | attr;
        }
    }

    /* Unmap page 0: split the first 2 MiB into 4 KiB pages. */
    uint64_t *pd0 = next_level(next_level(hv_pml4, 0), 0);
    uint64_t *pt0 = new_table();
    for (unsigned int i = 0; i < PT_ENTRIES; i++)
        pt0[i] = (i * PAGE_SIZE) | PTE_P | PTE_W;
    pt0[0] = 0;
    pd0[0] = virt_to_phys(pt0) | PTE_P | PTE_W;

    write_cr3(virt_to_phys(hv_pml4));
}

void *ioremap(paddr_t pa, size_t size)
{
    /* The direct map covers all of the low 4 GiB uncached outside RAM. */
    if (pa + size > GiB(4))
        panic("ioremap of %#lx above 4 GiB is not supported yet", pa);
    return phys_to_virt(pa);
}
