/*
 * Using other domains' grants: map (into the caller's physical address
 * space, for backends in Dom0), unmap, and copy. A mapping pins the granted
 * page (page refs: it cannot be ballooned out or freed) and marks the grant
 * entry GTF_reading/GTF_writing so the granter cannot revoke it meanwhile,
 * as the v1 protocol requires. Every field read from a grant entry is the
 * granter's to change at any time; each is read once and checked.
 */
#include <basalt/domain.h>
#include <basalt/grant_table.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/memory.h>
#include <basalt/mm.h>

void foreign_map_released(struct domain *d, mfn_t mfn);

#define MAX_MAPS 4096
#define ENTRIES_PER_FRAME (PAGE_SIZE / sizeof(grant_entry_v1_t))
#define BATCH 64

struct grant_mapping {
    bool in_use;
    bool readonly;
    domid_t granter;
    grant_ref_t ref;
    gfn_t gfn;        /* where the caller sees it */
    mfn_t mfn;
};

/* Pins are kept in the granter's table: readers/writers per ref. */
struct grant_pins {
    uint16_t readers, writers;
};

static grant_entry_v1_t *entry_of(struct domain *d, grant_ref_t ref)
{
    unsigned int frame = ref / ENTRIES_PER_FRAME;
    if (frame >= d->grant.nr_frames)
        return NULL;
    return (grant_entry_v1_t *)d->grant.frames[frame] + ref % ENTRIES_PER_FRAME;
}

static struct grant_pins *pins_of(struct domain *d, grant_ref_t ref)
{
    struct grant_table *gt = &d->grant;
    if (!gt->pins) {
        gt->pins = xzalloc(gt->max_frames * ENTRIES_PER_FRAME * sizeof(struct grant_pins));
        if (!gt->pins)
            return NULL;
    }
    return ref < gt->max_frames * ENTRIES_PER_FRAME ? &gt->pins[ref] : NULL;
}

/*
 * Pins ref of granter rd for caller domid; returns the machine frame or
 * INVALID_MFN with *status set. Called with rd's grant lock held.
 */
static mfn_t pin(struct domain *rd, grant_ref_t ref, domid_t caller, bool readonly, int16_t *status)
{
    grant_entry_v1_t *e = entry_of(rd, ref);
    struct grant_pins *p = pins_of(rd, ref);
    if (!e || !p) {
        *status = GNTST_bad_gntref;
        return INVALID_MFN;
    }
    uint16_t want = readonly ? GTF_reading : GTF_reading | GTF_writing;
    uint16_t old = READ_ONCE(e->flags);
    for (;;) {
        if ((old & GTF_type_mask) != GTF_permit_access || READ_ONCE(e->domid) != caller ||
            (!readonly && (old & GTF_readonly))) {
            *status = GNTST_permission_denied;
            return INVALID_MFN;
        }
        if (__atomic_compare_exchange_n(&e->flags, &old, (uint16_t)(old | want), false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            break;
    }
    uint32_t frame = READ_ONCE(e->frame);
    enum p2m_type t;
    mfn_t mfn = p2m_lookup(rd, frame, &t);
    if (mfn == INVALID_MFN || t != P2M_RAM || mfn_to_page(mfn)->owner != rd->id) {
        if (!p->readers && !p->writers)
            __atomic_and_fetch(&e->flags, (uint16_t)~(GTF_reading | GTF_writing), __ATOMIC_SEQ_CST);
        *status = GNTST_bad_page;
        return INVALID_MFN;
    }
    page_get(mfn);
    p->readers++;
    if (!readonly)
        p->writers++;
    *status = GNTST_okay;
    return mfn;
}

static void unpin(struct domain *rd, grant_ref_t ref, mfn_t mfn, bool readonly)
{
    grant_entry_v1_t *e = entry_of(rd, ref);
    struct grant_pins *p = pins_of(rd, ref);
    page_put(mfn);
    if (!p || !e)
        return;
    p->readers--;
    if (!readonly)
        p->writers--;
    uint16_t clear = (p->writers ? 0 : GTF_writing) | (p->readers ? 0 : GTF_reading);
    if (clear)
        __atomic_and_fetch(&e->flags, (uint16_t)~clear, __ATOMIC_SEQ_CST);
}

static int map_one(struct vcpu *v, struct gnttab_map_grant_ref *op)
{
    struct domain *d = v->dom;
    bool readonly = op->flags & GNTMAP_readonly;
    if (!(op->flags & GNTMAP_host_map) || (op->host_addr & (PAGE_SIZE - 1)))
        return GNTST_bad_virt_addr;
    gfn_t gfn = op->host_addr >> PAGE_SHIFT;
    enum p2m_type old;
    if (p2m_lookup(d, gfn, &old) != INVALID_MFN) {
        /* Only over an empty slot, or Dom0's 1:1 device space in a hole. */
        if (old != P2M_MMIO || domain_remove_gfn(d, gfn))
            return GNTST_bad_virt_addr;
    }

    struct domain *rd = op->dom == d->id ? NULL : domain_get(op->dom);
    if (!rd)
        return GNTST_bad_domain;
    struct grant_table *mt = &d->grant;
    if (!mt->maps) {
        mt->maps = xzalloc(MAX_MAPS * sizeof(struct grant_mapping));
        if (!mt->maps) {
            domain_put(rd);
            return GNTST_no_space;
        }
    }
    unsigned int h;
    for (h = 0; h < MAX_MAPS && mt->maps[h].in_use; h++)
        ;
    if (h == MAX_MAPS) {
        domain_put(rd);
        return GNTST_no_space;
    }

    int16_t status;
    uint64_t flags = spin_lock_irqsave(&rd->grant.lock);
    mfn_t mfn = pin(rd, op->ref, d->id, readonly, &status);
    spin_unlock_irqrestore(&rd->grant.lock, flags);
    if (mfn == INVALID_MFN) {
        domain_put(rd);
        return status;
    }
    if (p2m_set(d, gfn, mfn, readonly ? P2M_GRANT_RO : P2M_GRANT)) {
        flags = spin_lock_irqsave(&rd->grant.lock);
        unpin(rd, op->ref, mfn, readonly);
        spin_unlock_irqrestore(&rd->grant.lock, flags);
        domain_put(rd);
        return GNTST_general_error;
    }
    /* The reference on rd is kept for as long as the mapping exists. */
    mt->maps[h] = (struct grant_mapping){ true, readonly, rd->id, op->ref, gfn, mfn };
    mt->nr_maps++;
    op->handle = h;
    op->dev_bus_addr = 0; /* no device may DMA to it (no IOMMU): the CPU copies */
    return GNTST_okay;
}

static void release_mapping(struct domain *d, struct grant_mapping *m)
{
    p2m_clear(d, m->gfn, NULL);
    struct domain *rd = domain_by_id(m->granter);
    if (rd) {
        uint64_t flags = spin_lock_irqsave(&rd->grant.lock);
        unpin(rd, m->ref, m->mfn, m->readonly);
        spin_unlock_irqrestore(&rd->grant.lock, flags);
        domain_put(rd);
    }
    m->in_use = false;
    d->grant.nr_maps--;
}

static int unmap_one(struct vcpu *v, struct gnttab_unmap_grant_ref *op)
{
    struct domain *d = v->dom;
    if (!d->grant.maps || op->handle >= MAX_MAPS || !d->grant.maps[op->handle].in_use)
        return GNTST_bad_handle;
    struct grant_mapping *m = &d->grant.maps[op->handle];
    if (op->host_addr && (op->host_addr >> PAGE_SHIFT) != m->gfn)
        return GNTST_bad_virt_addr;
    release_mapping(d, m);
    return GNTST_okay;
}

/* Unmapping through XENMEM_remove_from_physmap of a grant-mapped gfn. */
void foreign_mapping_released(struct domain *d, mfn_t mfn, enum p2m_type t)
{
    if (t != P2M_GRANT && t != P2M_GRANT_RO) {
        foreign_map_released(d, mfn);
        return;
    }
    for (unsigned int h = 0; d->grant.maps && h < MAX_MAPS; h++) {
        struct grant_mapping *m = &d->grant.maps[h];
        if (m->in_use && m->mfn == mfn) {
            struct domain *rd = domain_by_id(m->granter);
            if (rd) {
                uint64_t flags = spin_lock_irqsave(&rd->grant.lock);
                unpin(rd, m->ref, m->mfn, m->readonly);
                spin_unlock_irqrestore(&rd->grant.lock, flags);
                domain_put(rd);
            }
            m->in_use = false;
            d->grant.nr_maps--;
            return;
        }
    }
}

void grant_maps_release(struct domain *d)
{
    for (unsigned int h = 0; d->grant.maps && h < MAX_MAPS; h++)
        if (d->grant.maps[h].in_use)
            release_mapping(d, &d->grant.maps[h]);
    xfree(d->grant.maps);
    d->grant.maps = NULL;
    xfree(d->grant.pins);
    d->grant.pins = NULL;
}

/* One side of a copy: a grant of another domain, or the caller's own frame. */
struct copy_side {
    struct domain *d;   /* referenced if not the caller */
    grant_ref_t ref;
    bool by_ref;
    mfn_t mfn;
};

static int16_t resolve(struct vcpu *v, const struct gnttab_copy_ptr *ptr, bool by_ref, bool write,
                       struct copy_side *s)
{
    struct domain *d = v->dom;
    s->by_ref = by_ref;
    /* A frame by number: only through DOMID_SELF, privileged or not
     * (Xen: "Only DOMID_SELF may reference via frame"). */
    if (!by_ref && ptr->domid != DOMID_SELF)
        return GNTST_permission_denied;
    s->d = ptr->domid == DOMID_SELF || ptr->domid == d->id ? d : domain_get(ptr->domid);
    if (!s->d)
        return GNTST_bad_domain;
    if (by_ref) {
        int16_t status;
        s->ref = ptr->u.ref;
        uint64_t flags = spin_lock_irqsave(&s->d->grant.lock);
        s->mfn = pin(s->d, s->ref, d->id, !write, &status);
        spin_unlock_irqrestore(&s->d->grant.lock, flags);
        return status;
    }
    enum p2m_type t;
    mfn_t mfn = p2m_lookup(s->d, ptr->u.gmfn, &t);
    /* Only RAM: a grant-mapped, foreign or special frame is refused, and
     * s->mfn stays invalid so that release_side drops no reference it
     * never took. */
    if (mfn == INVALID_MFN || (t != P2M_RAM && !(t == P2M_RAM_RO && !write)))
        return GNTST_bad_page;
    page_get(mfn);
    s->mfn = mfn;
    return GNTST_okay;
}

static void release_side(struct vcpu *v, struct copy_side *s, bool write)
{
    if (s->mfn != INVALID_MFN) {
        if (s->by_ref) {
            uint64_t flags = spin_lock_irqsave(&s->d->grant.lock);
            unpin(s->d, s->ref, s->mfn, !write);
            spin_unlock_irqrestore(&s->d->grant.lock, flags);
        } else {
            page_put(s->mfn);
        }
    }
    if (s->d && s->d != v->dom)
        domain_put(s->d);
}

static int16_t copy_one(struct vcpu *v, const struct gnttab_copy *op)
{
    if ((uint32_t)op->source.offset + op->len > PAGE_SIZE || (uint32_t)op->dest.offset + op->len > PAGE_SIZE)
        return GNTST_bad_copy_arg;
    struct copy_side src = { .mfn = INVALID_MFN }, dst = { .mfn = INVALID_MFN };
    int16_t st = resolve(v, &op->source, op->flags & GNTCOPY_source_gref, false, &src);
    if (st == GNTST_okay)
        st = resolve(v, &op->dest, op->flags & GNTCOPY_dest_gref, true, &dst);
    if (st == GNTST_okay)
        memmove((uint8_t *)mfn_to_virt(dst.mfn) + op->dest.offset,
                (const uint8_t *)mfn_to_virt(src.mfn) + op->source.offset, op->len);
    release_side(v, &dst, true);
    release_side(v, &src, false);
    return st;
}

long grant_map_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t count)
{
    for (uint64_t i = 0; i < count; i++) {
        if (i == BATCH) {
            hypercall_continue(v, 2, arg);
            return hypercall_continue(v, 3, count - i);
        }
        if (cmd == GNTTABOP_map_grant_ref) {
            struct gnttab_map_grant_ref op;
            if (copy_from_guest(v, &op, arg, sizeof(op)))
                return -EFAULT;
            op.status = (int16_t)map_one(v, &op);
            if (copy_to_guest(v, arg, &op, sizeof(op)))
                return -EFAULT;
            arg += sizeof(op);
        } else if (cmd == GNTTABOP_unmap_grant_ref) {
            struct gnttab_unmap_grant_ref op;
            if (copy_from_guest(v, &op, arg, sizeof(op)))
                return -EFAULT;
            op.status = (int16_t)unmap_one(v, &op);
            if (copy_to_guest(v, arg, &op, sizeof(op)))
                return -EFAULT;
            arg += sizeof(op);
        } else {
            struct gnttab_copy op;
            if (copy_from_guest(v, &op, arg, sizeof(op)))
                return -EFAULT;
            op.status = copy_one(v, &op);
            if (copy_to_guest(v, arg, &op, sizeof(op)))
                return -EFAULT;
            arg += sizeof(op);
        }
    }
    return 0;
}
