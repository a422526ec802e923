/*
 * XENMEM_acquire_resource: a device model maps a resource of the domain it
 * serves into its own physical address space, at the frames it names
 * (privcmd gives unpopulated pages of a PVH Dom0). The one resource is an
 * ioreq server's pages (frame 0 the buffered ring, 1 the ioreq page), for
 * the server's creator only; each mapping holds a page reference, dropped
 * when the entry goes (memory.c, physmap_release), so the page outlives the
 * server and the domain until then. Grant-table frames are hypervisor
 * pages freed with their domain, so they are not offered (-EOPNOTSUPP; the
 * toolstack seeds grants with the control hypercall).
 */
#undef __XEN_INTERFACE_VERSION__
#define __XEN_TOOLS__ 1 /* struct xen_mem_acquire_resource is in the tools-only part */

#include <asm/hvm_domain.h>
#include <asm/hvm_ioreq.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/memory.h>
#include <basalt/mm.h>
#include <xen/memory.h>

_Static_assert(MEMORY_OP_ACQUIRE_RESOURCE == XENMEM_acquire_resource, "XENMEM_acquire_resource");

long memory_acquire_resource(struct vcpu *v, uint64_t arg)
{
    struct xen_mem_acquire_resource r;
    if (copy_from_guest(v, &r, arg, sizeof(r)))
        return -EFAULT;
    if (r.pad)
        return -EINVAL;
    if (!v->dom->is_privileged)
        return -EPERM;
    if (r.domid == DOMID_SELF || r.domid == v->dom->id)
        return -EOPNOTSUPP; /* no resource of one's own to map */
    if (r.type != XENMEM_resource_ioreq_server)
        return -EOPNOTSUPP;
    struct domain *d = domain_get(r.domid);
    if (!d)
        return -ESRCH;
    long rc = 0;
    if (!is_hvm_domain(d)) {
        rc = -EINVAL;
    } else if (!r.nr_frames) {
        /* How many frames the resource has. */
        if (r.frame_list.p) {
            rc = -EINVAL;
        } else {
            r.nr_frames = HVM_IOREQ_FRAMES;
            rc = copy_to_guest(v, arg, &r, sizeof(r)) ? -EFAULT : 0;
        }
    } else if (r.frame >= HVM_IOREQ_FRAMES || r.nr_frames > HVM_IOREQ_FRAMES - r.frame || r.id > 0xffff) {
        rc = -EINVAL;
    } else {
        for (uint32_t i = 0; i < r.nr_frames && !rc; i++) {
            xen_pfn_t gfn;
            mfn_t mfn;
            if (copy_from_guest(v, &gfn, (gvaddr_t)(uintptr_t)r.frame_list.p + i * sizeof(gfn), sizeof(gfn))) {
                rc = i ? -EIO : -EFAULT; /* -EIO: some frames are mapped, the caller unmaps them */
                break;
            }
            rc = ioreq_server_frame(d, v->dom->id, (ioservid_t)r.id, (unsigned int)(r.frame + i), &mfn);
            if (rc)
                break;
            /* Whatever the caller had there goes (an unpopulated page: nothing). */
            rc = physmap_replace(v->dom, gfn, P2M_ANY, (struct p2m_entry){ mfn, P2M_FOREIGN });
            if (rc) {
                page_put(mfn);
                rc = i ? -EIO : rc;
            }
        }
    }
    domain_put(d);
    return rc;
}
