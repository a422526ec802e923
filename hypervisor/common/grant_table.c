/*
 * Grant tables, v1 (see grant_table.h). The frames are hypervisor pages the
 * guest maps into its physical address space with add_to_physmap; entries
 * are written by the guest and read by the hypervisor when another domain
 * maps or copies a granted page (grant_map.c).
 */
#include <basalt/domain.h>
#include <basalt/grant_table.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/memory.h>
#include <basalt/mm.h>
#include <xen/memory.h>

#define DEFAULT_MAX_FRAMES 32

int grant_table_init(struct domain *d)
{
    struct grant_table *gt = &d->grant;
    spin_lock_init(&gt->lock);
    gt->max_frames = DEFAULT_MAX_FRAMES;
    for (unsigned int i = 0; i < GRANT_MAX_FRAMES; i++)
        gt->frame_gfn[i] = INVALID_GFN;
    return grant_table_frame(d, 0) ? 0 : -ENOMEM;
}

void grant_table_destroy(struct domain *d)
{
    struct grant_table *gt = &d->grant;
    grant_maps_release(d);
    for (unsigned int i = 0; i < gt->nr_frames; i++) {
        free_hv_page(gt->frames[i]);
        gt->frames[i] = NULL;
    }
    gt->nr_frames = 0;
}

void *grant_table_frame(struct domain *d, unsigned int idx)
{
    struct grant_table *gt = &d->grant;
    if (idx >= gt->max_frames)
        return NULL;
    uint64_t flags = spin_lock_irqsave(&gt->lock);
    while (gt->nr_frames <= idx) {
        void *f = alloc_hv_page();
        if (!f)
            break;
        gt->frames[gt->nr_frames++] = f;
    }
    void *frame = idx < gt->nr_frames ? gt->frames[idx] : NULL;
    spin_unlock_irqrestore(&gt->lock, flags);
    return frame;
}

int grant_table_map_frame(struct domain *d, unsigned int idx, gfn_t gfn)
{
    if (idx & XENMAPIDX_grant_table_status)
        return -EINVAL; /* status frames belong to v2 */
    void *frame = grant_table_frame(d, idx);
    if (!frame)
        return -EINVAL;
    mfn_t mfn = virt_to_mfn(frame);
    struct grant_table *gt = &d->grant;
    struct physmap_gone at_gfn = { .e.t = P2M_NONE }, at_old = { .e.t = P2M_NONE };
    bool flush = false;
    int rc = 0;
    /* Whatever is at gfn goes (RAM is freed, as in Xen), and the frame
     * leaves where it was: one move under the physmap lock. */
    uint64_t flags = spin_lock_irqsave(&d->physmap_lock);
    gfn_t was = gt->frame_gfn[idx];
    if (was != gfn) {
        rc = physmap_exchange_locked(d, gfn, P2M_ANY, INVALID_MFN, (struct p2m_entry){ mfn, P2M_SPECIAL },
                                     &at_gfn, &flush);
        if (!rc && was != INVALID_GFN)
            physmap_exchange_locked(d, was, P2M_TYPE(P2M_SPECIAL), mfn,
                                    (struct p2m_entry){ INVALID_MFN, P2M_NONE }, &at_old, &flush);
        if (!rc)
            gt->frame_gfn[idx] = gfn;
    }
    spin_unlock_irqrestore(&d->physmap_lock, flags);
    if (flush)
        p2m_flush(d);
    physmap_release(d, &at_gfn);
    physmap_release(d, &at_old);
    return rc;
}

void grant_table_frame_unmapped(struct domain *d, gfn_t gfn, mfn_t mfn)
{
    ASSERT_LOCKED(&d->physmap_lock);
    for (unsigned int i = 0; i < d->grant.nr_frames; i++)
        if (d->grant.frame_gfn[i] == gfn && virt_to_mfn(d->grant.frames[i]) == mfn)
            d->grant.frame_gfn[i] = INVALID_GFN;
}

int grant_table_seed(struct domain *d, unsigned int ref, domid_t backend, gfn_t gfn)
{
    grant_entry_v1_t *e = grant_table_frame(d, 0);
    if (!e || ref >= PAGE_SIZE / sizeof(*e))
        return -EINVAL;
    e[ref].domid = backend;
    e[ref].frame = (uint32_t)gfn;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    e[ref].flags = GTF_permit_access;
    return 0;
}

static struct domain *gnt_target(struct vcpu *v, domid_t id)
{
    if (id == DOMID_SELF || id == v->dom->id)
        return v->dom;
    return v->dom->is_privileged ? domain_get(id) : NULL;
}

static void gnt_target_done(struct vcpu *v, struct domain *d)
{
    if (d != v->dom)
        domain_put(d);
}

static long op_query_size(struct vcpu *v, uint64_t arg)
{
    struct gnttab_query_size q;
    if (copy_from_guest(v, &q, arg, sizeof(q)))
        return -EFAULT;
    struct domain *d = gnt_target(v, q.dom);
    if (!d) {
        q.status = GNTST_bad_domain;
    } else {
        q.nr_frames = d->grant.nr_frames;
        q.max_nr_frames = d->grant.max_frames;
        q.status = GNTST_okay;
        gnt_target_done(v, d);
    }
    return copy_to_guest(v, arg, &q, sizeof(q)) ? -EFAULT : 0;
}

/* For translated guests the frame list holds the GFNs where the frames
 * are mapped (or ~0 where they are not), as Xen reports them. */
static long op_setup_table(struct vcpu *v, uint64_t arg)
{
    struct gnttab_setup_table s;
    if (copy_from_guest(v, &s, arg, sizeof(s)))
        return -EFAULT;
    struct domain *d = gnt_target(v, s.dom);
    if (!d) {
        s.status = GNTST_bad_domain;
    } else if (s.nr_frames > d->grant.max_frames || (s.nr_frames && !grant_table_frame(d, s.nr_frames - 1))) {
        s.status = GNTST_general_error;
        gnt_target_done(v, d);
    } else {
        s.status = GNTST_okay;
        xen_pfn_t gfns[GRANT_MAX_FRAMES];
        uint64_t flags = spin_lock_irqsave(&d->physmap_lock);
        for (unsigned int i = 0; i < s.nr_frames; i++)
            gfns[i] = d->grant.frame_gfn[i];
        spin_unlock_irqrestore(&d->physmap_lock, flags);
        gnt_target_done(v, d);
        if (s.nr_frames && copy_to_guest(v, (gvaddr_t)(uintptr_t)s.frame_list.p, gfns, s.nr_frames * sizeof(*gfns)))
            return -EFAULT;
    }
    return copy_to_guest(v, arg, &s, sizeof(s)) ? -EFAULT : 0;
}

long do_grant_table_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t count, uint64_t a4, uint64_t a5)
{
    switch (cmd) {
    case GNTTABOP_query_size:
        return count == 1 ? op_query_size(v, arg) : -EINVAL;
    case GNTTABOP_setup_table:
        return count == 1 ? op_setup_table(v, arg) : -EINVAL;
    case GNTTABOP_set_version: {
        struct gnttab_set_version sv;
        if (count != 1 || copy_from_guest(v, &sv, arg, sizeof(sv)))
            return -EFAULT;
        long rc = sv.version == 1 || sv.version == 0 ? 0 : -EINVAL; /* only v1 exists here */
        sv.version = 1;
        if (copy_to_guest(v, arg, &sv, sizeof(sv)))
            return -EFAULT;
        return rc;
    }
    case GNTTABOP_get_version: {
        struct gnttab_get_version gv;
        if (count != 1 || copy_from_guest(v, &gv, arg, sizeof(gv)))
            return -EFAULT;
        gv.version = 1;
        return copy_to_guest(v, arg, &gv, sizeof(gv)) ? -EFAULT : 0;
    }
    case GNTTABOP_map_grant_ref:
    case GNTTABOP_unmap_grant_ref:
    case GNTTABOP_copy:
        return grant_map_op(v, cmd, arg, count);
    default:
        return -ENOSYS;
    }
}
