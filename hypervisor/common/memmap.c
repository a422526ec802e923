/*
 * A domain's memory map: what XENMEM_memory_map tells the guest. The
 * toolstack sets it while it builds the domain, with the control hypercall
 * (BCTL_DOMAIN_SET_MEMMAP) or Xen's XENMEM_set_memory_map; the hypervisor's
 * own builder sets it directly. The map is replaced in place, in the one
 * buffer a domain ever gets, so that a reader (XENMEM_maximum_gpfn from
 * another vCPU) never finds it freed; two setters at once are serialised
 * by the domain's lock.
 */
#undef __XEN_INTERFACE_VERSION__
#define __XEN_TOOLS__ 1 /* struct xen_foreign_memory_map is in the tools-only part */

#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <xen/memory.h>

int domain_set_memmap(struct domain *d, const struct hvm_memmap_table_entry *map, unsigned int n)
{
    if (!n || n > DOMAIN_MAX_MEMMAP)
        return -EINVAL;
    for (unsigned int i = 0; i < n; i++) {
        bool bad = !map[i].size || map[i].type < XEN_HVM_MEMMAP_TYPE_RAM ||
                   map[i].type > XEN_HVM_MEMMAP_TYPE_PMEM || map[i].addr + map[i].size < map[i].addr ||
                   (i && map[i].addr < map[i - 1].addr + map[i - 1].size);
        if (bad)
            return -EINVAL;
    }
    struct hvm_memmap_table_entry *buf = READ_ONCE(d->memmap);
    if (!buf) {
        buf = xmalloc(DOMAIN_MAX_MEMMAP * sizeof(*buf));
        if (!buf)
            return -ENOMEM;
    }
    uint64_t flags = spin_lock_irqsave(&d->lock);
    if (d->memmap && d->memmap != buf) {
        xfree(buf); /* another setter got there first */
        buf = d->memmap;
    }
    if (!d->memmap) {
        d->memmap_entries = 0;
        __atomic_store_n(&d->memmap, buf, __ATOMIC_RELEASE);
    }
    memcpy(d->memmap, map, n * sizeof(*map));
    __atomic_store_n(&d->memmap_entries, n, __ATOMIC_RELEASE);
    spin_unlock_irqrestore(&d->lock, flags);
    return 0;
}

/* XENMEM_set_memory_map: e820 entries (addr, size, type), as libxl sets them. */
long memory_set_memory_map(struct vcpu *v, uint64_t arg)
{
    struct xen_foreign_memory_map fm;
    if (copy_from_guest(v, &fm, arg, sizeof(fm)))
        return -EFAULT;
    if (!v->dom->is_privileged)
        return -EPERM;
    if (fm.map.nr_entries > DOMAIN_MAX_MEMMAP)
        return -EINVAL;
    struct hvm_memmap_table_entry map[DOMAIN_MAX_MEMMAP];
    for (unsigned int i = 0; i < fm.map.nr_entries; i++) {
        struct __attribute__((packed)) {
            uint64_t addr, size;
            uint32_t type;
        } e;
        if (copy_from_guest(v, &e, (gvaddr_t)(uintptr_t)fm.map.buffer.p + i * sizeof(e), sizeof(e)))
            return -EFAULT;
        map[i] = (struct hvm_memmap_table_entry){ .addr = e.addr, .size = e.size, .type = e.type };
    }
    struct domain *d = fm.domid == DOMID_SELF || fm.domid == v->dom->id ? NULL : domain_get(fm.domid);
    if (!d)
        return -ESRCH;
    long rc = d->state == DOMAIN_BUILDING && !d->boot_spec ? domain_set_memmap(d, map, fm.map.nr_entries) : -EINVAL;
    domain_put(d);
    return rc;
}
