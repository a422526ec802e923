/*
 * HYPERVISOR_dm_op (41): a device model's operations on the HVM domain it
 * serves (xen/hvm/dm_op.h), as Xen 4.17 does them: ioreq servers, interrupt
 * lines, memory types, VRAM relocation, shutdown. Only the privileged
 * domain may call it. The buffers are read from the caller's memory with
 * their sizes checked: bufs[0] holds struct xen_dm_op, bufs[1] the bitmap
 * of track_dirty_vram or the extents of modified_memory. Long operations
 * write their progress back into bufs[0] and are re-executed (Xen's
 * -ERESTART continuation).
 */
#undef __XEN_INTERFACE_VERSION__
#define __XEN_TOOLS__ 1 /* HVMMEM_* and HVM_IOREQSRV_* are in the tools-only part */

#include <asm/hvm_domain.h>
#include <asm/hvm_ioreq.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/memory.h>
#include <basalt/mm.h>
#include <xen/hvm/dm_op.h>
#include <xen/hvm/hvm_op.h>

#define MAX_BUFS 2           /* as Xen: no operation takes more */
#define PAGES_PER_CALL 256   /* set_mem_type, relocate_memory: then a continuation */

struct dm_args {
    struct vcpu *v;
    struct domain *d;
    unsigned int nr_bufs;
    xen_dm_op_buf_t buf[MAX_BUFS];
};

static const uint8_t op_size[] = {
    [XEN_DMOP_create_ioreq_server] = sizeof(struct xen_dm_op_create_ioreq_server),
    [XEN_DMOP_get_ioreq_server_info] = sizeof(struct xen_dm_op_get_ioreq_server_info),
    [XEN_DMOP_map_io_range_to_ioreq_server] = sizeof(struct xen_dm_op_ioreq_server_range),
    [XEN_DMOP_unmap_io_range_from_ioreq_server] = sizeof(struct xen_dm_op_ioreq_server_range),
    [XEN_DMOP_set_ioreq_server_state] = sizeof(struct xen_dm_op_set_ioreq_server_state),
    [XEN_DMOP_destroy_ioreq_server] = sizeof(struct xen_dm_op_destroy_ioreq_server),
    [XEN_DMOP_track_dirty_vram] = sizeof(struct xen_dm_op_track_dirty_vram),
    [XEN_DMOP_set_pci_intx_level] = sizeof(struct xen_dm_op_set_pci_intx_level),
    [XEN_DMOP_set_isa_irq_level] = sizeof(struct xen_dm_op_set_isa_irq_level),
    [XEN_DMOP_set_pci_link_route] = sizeof(struct xen_dm_op_set_pci_link_route),
    [XEN_DMOP_modified_memory] = sizeof(struct xen_dm_op_modified_memory),
    [XEN_DMOP_set_mem_type] = sizeof(struct xen_dm_op_set_mem_type),
    [XEN_DMOP_inject_event] = sizeof(struct xen_dm_op_inject_event),
    [XEN_DMOP_inject_msi] = sizeof(struct xen_dm_op_inject_msi),
    [XEN_DMOP_map_mem_type_to_ioreq_server] = sizeof(struct xen_dm_op_map_mem_type_to_ioreq_server),
    [XEN_DMOP_remote_shutdown] = sizeof(struct xen_dm_op_remote_shutdown),
    [XEN_DMOP_relocate_memory] = sizeof(struct xen_dm_op_relocate_memory),
    [XEN_DMOP_pin_memory_cacheattr] = sizeof(struct xen_dm_op_pin_memory_cacheattr),
    [XEN_DMOP_nr_vcpus] = sizeof(struct xen_dm_op_nr_vcpus),
};

/* HVMMEM_ram_rw <-> HVMMEM_ram_ro on the domain's RAM: a read-only page's
 * writes are dropped (emulate.c). A run of pages per call. */
static long set_mem_type(struct dm_args *a, struct xen_dm_op_set_mem_type *m, bool *progress)
{
    if (m->pad || (m->mem_type != HVMMEM_ram_rw && m->mem_type != HVMMEM_ram_ro))
        return -EINVAL;
    if (m->first_pfn + m->nr < m->first_pfn)
        return -EINVAL;
    enum p2m_type want = m->mem_type == HVMMEM_ram_ro ? P2M_RAM_RO : P2M_RAM;
    bool flush = false;
    long rc = 0;
    unsigned int done = 0;
    while (m->nr && done < PAGES_PER_CALL) {
        enum p2m_type t;
        mfn_t mfn = p2m_lookup(a->d, m->first_pfn, &t);
        if (mfn == INVALID_MFN || (t != P2M_RAM && t != P2M_RAM_RO)) {
            rc = -EINVAL;
            break;
        }
        struct p2m_entry old;
        if (t != want && p2m_exchange(a->d, m->first_pfn, P2M_TYPE(t), mfn, (struct p2m_entry){ mfn, want }, &old,
                                      &flush) == -ENOMEM) {
            rc = -ENOMEM;
            break;
        }
        /* -EBUSY: the page changed meanwhile (ballooned): its new state stands. */
        m->first_pfn++;
        m->nr--;
        done++;
    }
    if (flush)
        p2m_flush(a->d);
    *progress = true;
    return rc ? rc : m->nr ? HYPERCALL_RESTART : 0;
}

static long relocate_memory(struct dm_args *a, struct xen_dm_op_relocate_memory *r, bool *progress)
{
    if (r->pad)
        return -EINVAL;
    unsigned int done = 0;
    while (r->size && done < PAGES_PER_CALL) {
        int rc = domain_move_gfn(a->d, r->src_gfn, r->dst_gfn);
        if (rc)
            return rc;
        r->size--;
        r->src_gfn++;
        r->dst_gfn++;
        done++;
    }
    *progress = true;
    return r->size ? HYPERCALL_RESTART : 0;
}

static long dirty_vram(struct dm_args *a, const struct xen_dm_op_track_dirty_vram *t)
{
    if (t->pad || a->nr_bufs < 2)
        return -EINVAL;
    if (t->nr > (GiB(1) >> PAGE_SHIFT) || (t->nr + 7) / 8 > a->buf[1].size)
        return -EINVAL;
    /* No dirty tracking: the device model then redraws the whole frame
     * buffer, which is what -ENODATA tells it to do. */
    return -ENODATA;
}

static long dispatch(struct dm_args *a, struct xen_dm_op *op, bool *write_back)
{
    struct domain *d = a->d;
    domid_t caller = a->v->dom->id;
    switch (op->op) {
    case XEN_DMOP_create_ioreq_server: {
        struct xen_dm_op_create_ioreq_server *c = &op->u.create_ioreq_server;
        if (c->pad[0] || c->pad[1] || c->pad[2])
            return -EINVAL;
        *write_back = true;
        return ioreq_server_create(d, caller, c->handle_bufioreq, &c->id);
    }
    case XEN_DMOP_get_ioreq_server_info: {
        struct xen_dm_op_get_ioreq_server_info *g = &op->u.get_ioreq_server_info;
        if (g->flags & ~XEN_DMOP_no_gfns)
            return -EINVAL;
        if (!(g->flags & XEN_DMOP_no_gfns))
            return -EOPNOTSUPP; /* the pages are reached with XENMEM_acquire_resource only */
        *write_back = true;
        return ioreq_server_info(d, caller, g->id, &g->bufioreq_port);
    }
    case XEN_DMOP_map_io_range_to_ioreq_server:
    case XEN_DMOP_unmap_io_range_from_ioreq_server: {
        const struct xen_dm_op_ioreq_server_range *r = &op->u.map_io_range_to_ioreq_server;
        if (r->pad)
            return -EINVAL;
        return ioreq_server_map_range(d, caller, r->id, r->type, r->start, r->end,
                                      op->op == XEN_DMOP_map_io_range_to_ioreq_server);
    }
    case XEN_DMOP_set_ioreq_server_state: {
        const struct xen_dm_op_set_ioreq_server_state *st = &op->u.set_ioreq_server_state;
        if (st->pad)
            return -EINVAL;
        return ioreq_server_set_state(d, caller, st->id, st->enabled);
    }
    case XEN_DMOP_destroy_ioreq_server: {
        const struct xen_dm_op_destroy_ioreq_server *x = &op->u.destroy_ioreq_server;
        if (x->pad)
            return -EINVAL;
        return ioreq_server_destroy(d, caller, x->id);
    }
    case XEN_DMOP_track_dirty_vram:
        return dirty_vram(a, &op->u.track_dirty_vram);
    case XEN_DMOP_set_pci_intx_level: {
        const struct xen_dm_op_set_pci_intx_level *l = &op->u.set_pci_intx_level;
        if (l->domain || l->bus || l->device > 31 || l->intx > 3 || l->level > 1)
            return -EINVAL;
        return hvm_pci_intx_set_level(d, l->device, l->intx, l->level);
    }
    case XEN_DMOP_set_isa_irq_level: {
        const struct xen_dm_op_set_isa_irq_level *l = &op->u.set_isa_irq_level;
        if (l->isa_irq > 15 || l->level > 1)
            return -EINVAL;
        hvm_isa_irq_set_level(d, l->isa_irq, l->level);
        return 0;
    }
    case XEN_DMOP_set_pci_link_route:
        return hvm_pci_link_route(d, op->u.set_pci_link_route.link, op->u.set_pci_link_route.isa_irq);
    case XEN_DMOP_modified_memory:
        /* Without log-dirty mode (no migration) there is nothing to mark. */
        return a->nr_bufs == 2 ? 0 : -EINVAL;
    case XEN_DMOP_set_mem_type:
        return set_mem_type(a, &op->u.set_mem_type, write_back);
    case XEN_DMOP_inject_msi: {
        const struct xen_dm_op_inject_msi *m = &op->u.inject_msi;
        if (m->pad)
            return -EINVAL;
        return hvm_inject_msi(d, m->addr, m->data);
    }
    case XEN_DMOP_remote_shutdown:
        domain_shutdown(d, op->u.remote_shutdown.reason);
        return 0;
    case XEN_DMOP_relocate_memory:
        return relocate_memory(a, &op->u.relocate_memory, write_back);
    case XEN_DMOP_pin_memory_cacheattr: {
        /* Guest PAT and MTRRs are honoured under nested paging as they are:
         * nothing to pin. */
        const struct xen_dm_op_pin_memory_cacheattr *p = &op->u.pin_memory_cacheattr;
        if (p->pad || p->start > p->end)
            return -EINVAL;
        switch (p->type) {
        case XEN_DMOP_MEM_CACHEATTR_UC: case XEN_DMOP_MEM_CACHEATTR_WC: case XEN_DMOP_MEM_CACHEATTR_WT:
        case XEN_DMOP_MEM_CACHEATTR_WP: case XEN_DMOP_MEM_CACHEATTR_WB: case XEN_DMOP_MEM_CACHEATTR_UCM:
        case XEN_DMOP_DELETE_MEM_CACHEATTR:
            return 0;
        default:
            return -EINVAL;
        }
    }
    case XEN_DMOP_nr_vcpus:
        op->u.nr_vcpus.vcpus = d->max_vcpus;
        *write_back = true;
        return 0;
    default: /* inject_event, map_mem_type_to_ioreq_server */
        return -EOPNOTSUPP;
    }
}

long do_dm_op(struct vcpu *v, uint64_t domid, uint64_t nr_bufs, uint64_t bufs, uint64_t a4, uint64_t a5)
{
    if (!v->dom->is_privileged)
        return -EPERM;
    if (!nr_bufs)
        return -ENODATA;
    if (nr_bufs > MAX_BUFS)
        return -E2BIG;
    struct dm_args a = { .v = v, .nr_bufs = (unsigned int)nr_bufs };
    if (copy_from_guest(v, a.buf, bufs, a.nr_bufs * sizeof(a.buf[0])))
        return -EFAULT;
    if (domid == DOMID_SELF || domid == v->dom->id)
        return -EPERM; /* a device model serves another domain, as in Xen */
    if (domid >= DOMID_FIRST_RESERVED)
        return -ESRCH; /* not a domain id (the register is wider than domid_t) */
    a.d = domain_get((domid_t)domid);
    if (!a.d)
        return -ESRCH;
    long rc = -EINVAL;
    if (!is_hvm_domain(a.d))
        goto out;

    struct xen_dm_op op;
    const size_t head = offsetof(struct xen_dm_op, u);
    gvaddr_t where = (gvaddr_t)(uintptr_t)a.buf[0].h.p;
    rc = -EFAULT;
    if (a.buf[0].size < head || copy_from_guest(v, &op, where, head))
        goto out;
    if (op.op >= ARRAY_SIZE(op_size) || !op_size[op.op]) {
        rc = -EOPNOTSUPP;
        goto out;
    }
    if (a.buf[0].size < head + op_size[op.op] || copy_from_guest(v, &op.u, where + head, op_size[op.op]))
        goto out;
    rc = -EINVAL;
    if (op.pad)
        goto out;
    bool write_back = false;
    rc = dispatch(&a, &op, &write_back);
    if ((rc == 0 || rc == HYPERCALL_RESTART) && write_back &&
        copy_to_guest(v, where + head, &op.u, op_size[op.op]))
        rc = -EFAULT;
out:
    domain_put(a.d);
    return rc;
}
