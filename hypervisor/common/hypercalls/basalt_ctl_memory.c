/*
 * BCTL_DOMAIN_WRITE: the toolstack copies bytes into a domain's RAM, a
 * page at a time: each page is looked up with a reference taken in the
 * same step (so the guest ballooning it out meanwhile cannot free it under
 * the copy) and written through the hypervisor's map. One call instead of
 * mapping each page into Dom0 and unmapping it again (two hypercalls per
 * page through privcmd): what building a domain spends its time on.
 */
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/p2m.h>
#include <lib/basalt_ctl.h>

long basalt_ctl_domain_write(struct vcpu *v, struct domain *d, struct basalt_mem_write *w)
{
    if (w->size > BASALT_WRITE_MAX || w->pad || w->gpa + w->size < w->gpa) {
        w->size = 0;
        return -EINVAL;
    }
    uint32_t done = 0;
    long rc = 0;
    while (done < w->size) {
        gpaddr_t gpa = w->gpa + done;
        size_t off = gpa & (PAGE_SIZE - 1);
        size_t n = MIN(PAGE_SIZE - off, (size_t)(w->size - done));
        enum p2m_type t;
        mfn_t mfn = p2m_get_page(d, gpa >> PAGE_SHIFT, P2M_TYPE(P2M_RAM), &t);
        if (mfn == INVALID_MFN) {
            rc = -EINVAL; /* not the domain's writable RAM */
            break;
        }
        int err = copy_from_guest(v, (uint8_t *)mfn_to_virt(mfn) + off, w->buffer + done, n);
        page_put(mfn);
        if (err) {
            rc = -EFAULT;
            break;
        }
        done += (uint32_t)n;
    }
    w->size = done;
    return rc;
}
