/* Hypercall helpers shared by the SMP test guests. */
#include "hcall.h"
#include "x86.h"

long guest_reservation(unsigned int op, xen_pfn_t gfn, unsigned int order)
{
    xen_pfn_t list[1] = { gfn };
    struct xen_memory_reservation r = { .nr_extents = 1, .extent_order = order, .domid = DOMID_SELF };
    set_xen_guest_handle(r.extent_start, list);
    return HYPERVISOR_memory_op(op, &r);
}

long guest_add_to_physmap(unsigned int space, unsigned long idx, xen_pfn_t gfn)
{
    struct xen_add_to_physmap a = { .domid = DOMID_SELF, .space = space, .idx = idx, .gpfn = gfn };
    return HYPERVISOR_memory_op(XENMEM_add_to_physmap, &a);
}

long guest_remove_from_physmap(xen_pfn_t gfn)
{
    struct xen_remove_from_physmap r = { .domid = DOMID_SELF, .gpfn = gfn };
    return HYPERVISOR_memory_op(XENMEM_remove_from_physmap, &r);
}

uint64_t guest_system_time_ns(void)
{
    struct xen_hvm_get_time t = { 0 };
    HYPERVISOR_hvm_op(HVMOP_get_time, &t);
    return t.now;
}

void guest_sleep_ms(uint64_t ms)
{
    struct sched_poll p = { .nr_ports = 0, .timeout = guest_system_time_ns() + ms * 1000000ULL };
    HYPERVISOR_sched_op(SCHEDOP_poll, &p);
}

uint64_t guest_now_us(void)
{
    static uint64_t khz;
    if (!khz)
        khz = guest_tsc_khz();
    uint64_t tsc = rdtsc();
    return tsc / khz * 1000 + tsc % khz * 1000 / khz;
}

uint64_t guest_ram_bytes(const struct hvm_start_info *si)
{
    const struct hvm_memmap_table_entry *m = (const void *)(uintptr_t)si->memmap_paddr;
    uint64_t total = 0;
    for (unsigned int i = 0; i < si->memmap_entries; i++)
        if (m[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
            total += m[i].size;
    return total;
}

uint64_t *guest_pdpt(void)
{
    uint64_t *pml4 = (uint64_t *)(uintptr_t)(x86_read_cr3() & ~0xfffULL);
    return (uint64_t *)(uintptr_t)(pml4[0] & 0x000ffffffffff000ULL);
}

void guest_flush_tlb(void)
{
    x86_write_cr3(x86_read_cr3());
}
