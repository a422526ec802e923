/*
 * memory_op: the guest's physical memory. Populate and decrease work on
 * extent lists in guest memory, at most CALL_PAGES pages per call: then the
 * hypercall is restarted with its progress in the command's upper bits, as
 * Xen does, so that a huge request never holds a CPU for long. A decrease
 * flushes the domain's translations once per batch of pages.
 */
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/grant_table.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/memory.h>
#include <basalt/mm.h>
#include <basalt/shared_info.h>
#include <xen/memory.h>

long foreign_map_batch(struct vcpu *v, uint64_t cmd, uint64_t arg);

#define MEMOP_EXTENT_SHIFT 6
#define MEMOP_CMD_MASK ((1 << MEMOP_EXTENT_SHIFT) - 1)
#define MAX_EXTENT_ORDER 9
#define CALL_PAGES 1024 /* at least one extent of the largest order */

/* Takes d away from the caller's reach unless it may touch it. */
static struct domain *target(struct vcpu *v, domid_t id)
{
    if (id == DOMID_SELF || id == v->dom->id)
        return v->dom;
    return v->dom->is_privileged ? domain_get(id) : NULL;
}

static void target_done(struct vcpu *v, struct domain *d)
{
    if (d != v->dom)
        domain_put(d);
}

/* struct xen_memory_reservation as a 32-bit caller (hvmloader) lays it
 * out; its extent list holds 32-bit frame numbers. */
struct reservation32 {
    uint32_t extent_start, nr_extents, extent_order, mem_flags;
    uint16_t domid;
};

static long reservation(struct vcpu *v, unsigned int op, uint64_t cmd, uint64_t arg)
{
    struct xen_memory_reservation r;
    bool is32 = arch_hypercall_from_32bit(v);
    if (is32) {
        struct reservation32 r32;
        if (copy_from_guest(v, &r32, arg, sizeof(r32)))
            return -EFAULT;
        r = (struct xen_memory_reservation){ .nr_extents = r32.nr_extents,
                                             .extent_order = r32.extent_order,
                                             .mem_flags = r32.mem_flags, .domid = r32.domid };
        r.extent_start.p = (xen_pfn_t *)(uintptr_t)r32.extent_start;
    } else if (copy_from_guest(v, &r, arg, sizeof(r))) {
        return -EFAULT;
    }
    size_t pfn_size = is32 ? sizeof(uint32_t) : sizeof(xen_pfn_t);
    uint64_t start = cmd >> MEMOP_EXTENT_SHIFT;
    if (r.extent_order > MAX_EXTENT_ORDER || start > r.nr_extents)
        return -EINVAL;
    struct domain *d = target(v, r.domid);
    if (!d)
        return -ESRCH;

    uint64_t i, pages = 0;
    long rc = 0;
    struct page_batch batch = { 0 };
    for (i = start; i < r.nr_extents; i++) {
        uint64_t n = 1ULL << r.extent_order;
        if (pages + n > CALL_PAGES) {
            page_batch_release(d, &batch);
            target_done(v, d);
            return hypercall_continue(v, 1, op | (i << MEMOP_EXTENT_SHIFT));
        }
        pages += n;
        xen_pfn_t gfn = 0; /* little-endian: a 32-bit entry fills the low half */
        if (copy_from_guest(v, &gfn, (gvaddr_t)(uintptr_t)r.extent_start.p + i * pfn_size, pfn_size)) {
            rc = -EFAULT;
            break;
        }
        if (gfn & (n - 1))
            break;
        if (op == XENMEM_decrease_reservation) {
            bool ok = true;
            for (uint64_t j = 0; j < n && ok; j++)
                ok = domain_release_gfn(d, gfn + j, &batch) == 0;
            if (!ok)
                break;
        } else if (op == XENMEM_populate_physmap) {
            if (domain_populate(d, gfn, n))
                break;
        } else {
            break; /* increase_reservation is for PV guests (no gfn to put pages at) */
        }
    }
    page_batch_release(d, &batch);
    target_done(v, d);
    return rc ? rc : (long)i;
}

/* struct xen_add_to_physmap as a 32-bit caller (an HVM firmware loader in
 * protected mode) lays it out: xen_ulong_t and xen_pfn_t are 32 bits wide. */
struct add_to_physmap32 {
    uint16_t domid, size;
    uint32_t space, idx, gpfn;
};

static long add_to_physmap(struct vcpu *v, uint64_t arg)
{
    struct xen_add_to_physmap a;
    if (arch_hypercall_from_32bit(v)) {
        struct add_to_physmap32 a32;
        if (copy_from_guest(v, &a32, arg, sizeof(a32)))
            return -EFAULT;
        a = (struct xen_add_to_physmap){ .domid = a32.domid, .size = a32.size, .space = a32.space,
                                         .idx = a32.idx, .gpfn = a32.gpfn };
    } else if (copy_from_guest(v, &a, arg, sizeof(a))) {
        return -EFAULT;
    }
    struct domain *d = target(v, a.domid);
    if (!d)
        return -ESRCH;
    long rc;
    switch (a.space) {
    case XENMAPSPACE_shared_info:
        rc = a.idx == 0 ? shared_info_map(d, a.gpfn) : -EINVAL;
        break;
    case XENMAPSPACE_grant_table:
        rc = grant_table_map_frame(d, a.idx, a.gpfn);
        break;
    default:
        rc = -EINVAL;
        break;
    }
    target_done(v, d);
    return rc;
}

static long remove_from_physmap(struct vcpu *v, uint64_t arg)
{
    struct xen_remove_from_physmap r;
    if (copy_from_guest(v, &r, arg, sizeof(r)))
        return -EFAULT;
    struct domain *d = target(v, r.domid);
    if (!d)
        return -ESRCH;
    long rc = domain_remove_gfn(d, r.gpfn);
    target_done(v, d);
    return rc;
}

/* struct xen_memory_map as a 32-bit caller (hvmloader) lays it out: the
 * buffer handle is a 32-bit pointer right after the count. */
struct memory_map32 {
    uint32_t nr_entries, buffer;
};

static long memory_map(struct vcpu *v, uint64_t arg)
{
    struct xen_memory_map m;
    bool is32 = arch_hypercall_from_32bit(v);
    if (is32) {
        struct memory_map32 m32;
        if (copy_from_guest(v, &m32, arg, sizeof(m32)))
            return -EFAULT;
        m.nr_entries = m32.nr_entries;
        m.buffer.p = (void *)(uintptr_t)m32.buffer;
    } else if (copy_from_guest(v, &m, arg, sizeof(m))) {
        return -EFAULT;
    }
    struct domain *d = v->dom;
    unsigned int n = MIN(m.nr_entries, d->memmap_entries);
    for (unsigned int i = 0; i < n; i++) {
        struct __attribute__((packed)) {
            uint64_t addr, size;
            uint32_t type;
        } e = { d->memmap[i].addr, d->memmap[i].size, d->memmap[i].type };
        if (copy_to_guest(v, (gvaddr_t)(uintptr_t)m.buffer.p + i * sizeof(e), &e, sizeof(e)))
            return -EFAULT;
    }
    /* Only the count changes: the caller's handle stays as it wrote it. */
    m.nr_entries = n;
    return copy_to_guest(v, arg, &m.nr_entries, sizeof(m.nr_entries)) ? -EFAULT : 0;
}

static long domain_query(struct vcpu *v, unsigned int op, uint64_t arg)
{
    domid_t id;
    if (copy_from_guest(v, &id, arg, sizeof(id)))
        return -EFAULT;
    struct domain *d = target(v, id);
    if (!d)
        return -ESRCH;
    long rc;
    switch (op) {
    case XENMEM_current_reservation:
        rc = (long)d->tot_pages;
        break;
    case XENMEM_maximum_reservation:
        rc = (long)d->max_pages;
        break;
    default: { /* maximum_gpfn */
        uint64_t top = 0;
        for (unsigned int i = 0; i < d->memmap_entries; i++)
            if (d->memmap[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
                top = MAX(top, d->memmap[i].addr + d->memmap[i].size);
        rc = top ? (long)((top >> PAGE_SHIFT) - 1) : 0;
        break;
    }
    }
    target_done(v, d);
    return rc;
}

long do_memory_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    unsigned int op = cmd & MEMOP_CMD_MASK;
    switch (op) {
    case XENMEM_populate_physmap:
    case XENMEM_decrease_reservation:
    case XENMEM_increase_reservation:
        return reservation(v, op, cmd, arg);
    case XENMEM_add_to_physmap:
        return add_to_physmap(v, arg);
    case XENMEM_remove_from_physmap:
        return remove_from_physmap(v, arg);
    case XENMEM_memory_map:
        return memory_map(v, arg);
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:
        return domain_query(v, op, arg);
    case XENMEM_add_to_physmap_batch:
        return foreign_map_batch(v, cmd, arg);
    case XENMEM_maximum_ram_page:
        return (long)max_mfn;
    case XENMEM_set_memory_map:
        return memory_set_memory_map(v, arg);
    case MEMORY_OP_ACQUIRE_RESOURCE:
        return memory_acquire_resource(v, arg);
    default:
        return -ENOSYS;
    }
}
