/*
 * Foreign mappings: the privileged domain maps another domain's RAM pages
 * into its own physical address space (XENMEM_add_to_physmap_batch with
 * XENMAPSPACE_gmfn_foreign, what privcmd's mmapbatch uses). Each mapping
 * holds a page reference, so the page outlives its domain until unmapped;
 * the unmap (any removal of the entry) drops it (memory.c, physmap_release).
 */
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/memory.h>
#include <basalt/mm.h>
#include <xen/memory.h>

#define BATCH 128

/* The reference is taken in the same step as the lookup: a page the
 * foreign domain balloons out meanwhile is orphaned, not freed under us. */
static int map_one(struct domain *d, struct domain *fd, xen_ulong_t fgfn, xen_pfn_t gfn)
{
    mfn_t mfn = p2m_get_page(fd, fgfn, P2M_OWN_RAM, NULL);
    if (mfn == INVALID_MFN)
        return -EINVAL;
    /* Replaces whatever the caller had there (usually nothing: Linux uses
     * unpopulated pages), releasing it: its own RAM is freed, as in Xen. */
    int rc = physmap_replace(d, gfn, P2M_ANY, (struct p2m_entry){ mfn, P2M_FOREIGN });
    if (rc)
        page_put(mfn);
    return rc;
}

long foreign_map_batch(struct vcpu *v, uint64_t cmd, uint64_t arg)
{
    struct xen_add_to_physmap_batch b;
    if (copy_from_guest(v, &b, arg, sizeof(b)))
        return -EFAULT;
    struct domain *d = v->dom;
    if (b.domid != DOMID_SELF && b.domid != d->id)
        return -EPERM; /* only into one's own space */
    if (b.space != XENMAPSPACE_gmfn_foreign)
        return -EOPNOTSUPP;
    if (!d->is_privileged)
        return -EPERM;
    struct domain *fd = domain_get(b.u.foreign_domid);
    if (!fd)
        return -ESRCH;
    if (fd == d) {
        domain_put(fd);
        return -EINVAL;
    }
    long rc = 0;
    uint16_t i;
    for (i = 0; i < b.size; i++) {
        if (i == BATCH) {
            b.size -= i;
            b.idxs.p = (void *)((uintptr_t)b.idxs.p + i * sizeof(xen_ulong_t));
            b.gpfns.p = (void *)((uintptr_t)b.gpfns.p + i * sizeof(xen_pfn_t));
            b.errs.p = (void *)((uintptr_t)b.errs.p + i * sizeof(int));
            if (copy_to_guest(v, arg, &b, sizeof(b)))
                rc = -EFAULT;
            domain_put(fd);
            return rc ? rc : hypercall_continue(v, 1, cmd);
        }
        xen_ulong_t idx;
        xen_pfn_t gpfn;
        if (copy_from_guest(v, &idx, (uintptr_t)b.idxs.p + i * sizeof(idx), sizeof(idx)) ||
            copy_from_guest(v, &gpfn, (uintptr_t)b.gpfns.p + i * sizeof(gpfn), sizeof(gpfn))) {
            rc = -EFAULT;
            break;
        }
        int err = map_one(d, fd, idx, gpfn);
        if (copy_to_guest(v, (uintptr_t)b.errs.p + i * sizeof(err), &err, sizeof(err))) {
            rc = -EFAULT;
            break;
        }
    }
    domain_put(fd);
    return rc;
}
