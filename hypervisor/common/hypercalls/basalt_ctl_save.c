/*
 * Saving and restoring a domain (docs/abi/control.md, docs/save-format.md):
 * the toolstack reads a suspended domain's RAM and vCPU states out, and
 * puts them into a new domain before it first runs. A checkpoint (xl save
 * -c) resumes the suspended domain instead, its suspend call returning 1
 * ("cancelled"), as Xen's toolstack does for a PVH or HVM guest.
 */
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/p2m.h>
#include <basalt/sched.h>
#include <lib/basalt_ctl.h>
#include <xen/sched.h>

long basalt_ctl_domain_read(struct vcpu *v, struct domain *d, struct basalt_mem_read *r)
{
    if (r->size > BASALT_WRITE_MAX || r->pad || ((r->gpa | r->size) & (PAGE_SIZE - 1)) ||
        r->gpa + r->size < r->gpa)
        return -EINVAL;
    memset(r->present, 0, sizeof(r->present));
    for (uint32_t i = 0; i < r->size / PAGE_SIZE; i++) {
        enum p2m_type t;
        /* A reference for the copy: the page stays allocated whatever the
         * guest does with its gfn meanwhile. */
        mfn_t mfn = p2m_get_page(d, (r->gpa >> PAGE_SHIFT) + i, P2M_OWN_RAM, &t);
        if (mfn == INVALID_MFN)
            continue; /* a hole costs a lookup, not a copy */
        int err = copy_to_guest(v, r->buffer + (uint64_t)i * PAGE_SIZE, mfn_to_virt(mfn), PAGE_SIZE);
        page_put(mfn);
        if (err)
            return -EFAULT;
        r->present[i / 64] |= 1ULL << (i % 64);
    }
    return 0;
}

static bool suspended(struct domain *d)
{
    return d->state == DOMAIN_SHUTDOWN && d->shutdown_reason == SHUTDOWN_suspend;
}

long basalt_ctl_vcpu_state(struct vcpu *v, struct domain *d, struct basalt_vcpu_state_buf *b, bool set)
{
    struct vcpu *t = b->vcpu < d->max_vcpus ? d->vcpus[b->vcpu] : NULL;
    if (b->size != sizeof(struct basalt_vcpu_state))
        return -EINVAL;
    if (!t)
        return -ENOENT;
    /* An HVM domain's device model and platform state are not saved. */
    if (is_hvm_domain(d))
        return -EOPNOTSUPP;
    if (set ? d->state != DOMAIN_BUILDING || d->boot_spec || d->entry_set : !suspended(d))
        return -EINVAL;
    struct basalt_vcpu_state *s = xmalloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    long rc = 0;
    if (!set) {
        /* Suspended, its vCPUs are paused; the one that made the call may
         * still be finishing it on its CPU. */
        ASSERT_MAY_WAIT();
        domain_pause_sync(d);
        arch_vcpu_save_state(t, s);
        domain_unpause(d);
        if (copy_to_guest(v, b->buffer, s, sizeof(*s)))
            rc = -EFAULT;
    } else if (copy_from_guest(v, s, b->buffer, sizeof(*s))) {
        rc = -EFAULT;
    } else if (!(rc = arch_vcpu_load_state(t, s))) {
        /* The guest resumes with its event channels bound anew, each of
         * them masked until it enables it (Linux's rebind says "the new
         * event channel will also be masked"; a disabled one, such as
         * its spinlock kicker, must stay so), as Xen's restore leaves
         * shared_info. */
        if (!d->restored)
            memset(d->shared_info->evtchn_mask, 0xff, sizeof(d->shared_info->evtchn_mask));
        d->restored = true;
        if (s->flags & BASALT_VCPU_UP) {
            d->restored_up |= 1ULL << t->id;
            vcpu_mark_initialised(t);
        } else {
            d->restored_up &= ~(1ULL << t->id);
        }
    }
    xfree(s);
    return rc;
}

long basalt_ctl_get_memmap(struct vcpu *v, struct domain *d, struct basalt_memmap *m)
{
    unsigned int n = READ_ONCE(d->memmap_entries);
    if (m->pad || m->nr_entries < n)
        return -EINVAL;
    if (n && copy_to_guest(v, m->entries, d->memmap, n * sizeof(*d->memmap)))
        return -EFAULT;
    m->nr_entries = n;
    return 0;
}

long basalt_ctl_domain_resume(struct domain *d)
{
    uint64_t flags = spin_lock_irqsave(&d->lock);
    bool ok = suspended(d);
    spin_unlock_irqrestore(&d->lock, flags);
    if (!ok)
        return -EINVAL;
    ASSERT_MAY_WAIT();
    domain_pause_sync(d);
    /* Linux suspends on its first CPU (vCPU 0): its SCHEDOP_shutdown
     * returns 1, "cancelled", so it carries on in this domain with every
     * binding it had. Xen's toolstack sets vCPU 0's RAX alike. */
    arch_vcpu_set_hypercall_return(d->vcpus[0], 1);
    flags = spin_lock_irqsave(&d->lock);
    d->state = DOMAIN_RUNNING;
    d->shutdown_reason = 0;
    spin_unlock_irqrestore(&d->lock, flags);
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpus[i])
            vcpu_unpause(d->vcpus[i]);
    domain_unpause(d);
    pr_notice("domain %u (%s) resumed after a checkpoint\n", d->id, d->name);
    return 0;
}
