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

#define MAX_MAPS 4096
#define ENTRIES_PER_FRAME (PAGE_SIZE / sizeof(grant_entry_v1_t))
#define BATCH 64
#define PIN_TRIES 16 /* attempts to mark an entry in use that its granter keeps changing */

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

/* Called with d's grant lock held (frames grow under it). */
static grant_entry_v1_t *entry_of(struct domain *d, grant_ref_t ref)
{
    ASSERT_LOCKED(&d->grant.lock);
    unsigned int frame = ref / ENTRIES_PER_FRAME;
    if (frame >= d->grant.nr_frames)
        return NULL;
    return (grant_entry_v1_t *)d->grant.frames[frame] + ref % ENTRIES_PER_FRAME;
}

/* Called with d's grant lock held. */
static struct grant_pins *pins_of(struct domain *d, grant_ref_t ref)
{
    ASSERT_LOCKED(&d->grant.lock);
    struct grant_table *gt = &d->grant;
    if (!gt->pins) {
        gt->pins = xzalloc(gt->max_frames * ENTRIES_PER_FRAME * sizeof(struct grant_pins));
        if (!gt->pins)
            return NULL;
    }
    return ref < gt->max_frames * ENTRIES_PER_FRAME ? &gt->pins[ref] : NULL;
}

/*
 * Pins ref of granter rd for caller domid; returns the machine frame, with a
 * page reference taken in the same step as the lookup, or INVALID_MFN with
 * *status set.
 */
static mfn_t pin(struct domain *rd, grant_ref_t ref, domid_t caller, bool readonly, int16_t *status)
{
    uint64_t flags = spin_lock_irqsave(&rd->grant.lock);
    grant_entry_v1_t *e = entry_of(rd, ref);
    struct grant_pins *p = pins_of(rd, ref);
    mfn_t mfn = INVALID_MFN;
    *status = GNTST_bad_gntref;
    if (!e || !p)
        goto out;
    uint16_t want = readonly ? GTF_reading : GTF_reading | GTF_writing;
    uint16_t old = READ_ONCE(e->flags);
    /* The granter may change the flags under every attempt, from as many
     * vCPUs as it has, while we hold its lock with interrupts off: give up
     * after a few, as Xen does with an entry it calls unstable. */
    for (unsigned int tries = 0;; tries++) {
        if ((old & GTF_type_mask) != GTF_permit_access || READ_ONCE(e->domid) != caller ||
            (!readonly && (old & GTF_readonly))) {
            *status = GNTST_permission_denied;
            goto out;
        }
        if (tries == PIN_TRIES) {
            *status = GNTST_general_error;
            goto out;
        }
        if (__atomic_compare_exchange_n(&e->flags, &old, (uint16_t)(old | want), false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            break;
    }
    uint32_t frame = READ_ONCE(e->frame);
    mfn = p2m_get_page(rd, frame, P2M_TYPE(P2M_RAM), NULL);
    if (mfn == INVALID_MFN) {
        if (!p->readers && !p->writers)
            __atomic_and_fetch(&e->flags, (uint16_t)~(GTF_reading | GTF_writing), __ATOMIC_SEQ_CST);
        *status = GNTST_bad_page;
        goto out;
    }
    p->readers++;
    if (!readonly)
        p->writers++;
    *status = GNTST_okay;
out:
    spin_unlock_irqrestore(&rd->grant.lock, flags);
    return mfn;
}

static void unpin(struct domain *rd, grant_ref_t ref, mfn_t mfn, bool readonly)
{
    uint64_t flags = spin_lock_irqsave(&rd->grant.lock);
    grant_entry_v1_t *e = entry_of(rd, ref);
    struct grant_pins *p = pins_of(rd, ref);
    BUG_ON(!p || !p->readers || (!readonly && !p->writers));
    p->readers--;
    if (!readonly)
        p->writers--;
    uint16_t clear = (p->writers ? 0 : GTF_writing) | (p->readers ? 0 : GTF_reading);
    if (clear && e)
        __atomic_and_fetch(&e->flags, (uint16_t)~clear, __ATOMIC_SEQ_CST);
    spin_unlock_irqrestore(&rd->grant.lock, flags);
    page_put(mfn);
}

/* The maptrack, allocated on first use (outside the physmap lock). */
static bool maptrack_ready(struct domain *d)
{
    if (READ_ONCE(d->grant.maps))
        return true;
    struct grant_mapping *maps = xzalloc(MAX_MAPS * sizeof(struct grant_mapping));
    if (!maps)
        return false;
    uint64_t flags = spin_lock_irqsave(&d->physmap_lock);
    if (!d->grant.maps) {
        d->grant.maps = maps;
        maps = NULL;
    }
    spin_unlock_irqrestore(&d->physmap_lock, flags);
    xfree(maps);
    return true;
}

static int map_one(struct vcpu *v, struct gnttab_map_grant_ref *op)
{
    struct domain *d = v->dom;
    bool readonly = op->flags & GNTMAP_readonly;
    if (!(op->flags & GNTMAP_host_map) || (op->host_addr & (PAGE_SIZE - 1)))
        return GNTST_bad_virt_addr;
    gfn_t gfn = op->host_addr >> PAGE_SHIFT;
    struct domain *rd = op->dom == d->id ? NULL : domain_get(op->dom);
    if (!rd)
        return GNTST_bad_domain;
    if (!maptrack_ready(d)) {
        domain_put(rd);
        return GNTST_no_space;
    }
    int16_t status;
    mfn_t mfn = pin(rd, op->ref, d->id, readonly, &status);
    if (mfn == INVALID_MFN) {
        domain_put(rd);
        return status;
    }

    /* Only over an empty slot, or Dom0's 1:1 device space in a hole. */
    struct physmap_gone gone;
    bool flush = false;
    int rc = -ENOSPC;
    uint64_t flags = spin_lock_irqsave(&d->physmap_lock);
    struct grant_table *mt = &d->grant;
    unsigned int h;
    for (h = 0; h < MAX_MAPS && mt->maps[h].in_use; h++)
        ;
    if (h < MAX_MAPS) {
        struct p2m_entry new = { mfn, readonly ? P2M_GRANT_RO : P2M_GRANT };
        rc = physmap_exchange_locked(d, gfn, P2M_EMPTY | P2M_TYPE(P2M_MMIO), INVALID_MFN, new, &gone, &flush);
    }
    if (!rc) {
        /* The reference on rd is kept for as long as the mapping exists. */
        mt->maps[h] = (struct grant_mapping){ true, readonly, rd->id, op->ref, gfn, mfn };
        mt->nr_maps++;
    }
    spin_unlock_irqrestore(&d->physmap_lock, flags);
    if (flush)
        p2m_flush(d);
    if (rc) {
        unpin(rd, op->ref, mfn, readonly);
        domain_put(rd);
        return rc == -ENOSPC ? GNTST_no_space : rc == -EBUSY ? GNTST_bad_virt_addr : GNTST_general_error;
    }
    physmap_release(d, &gone);
    op->handle = h;
    op->dev_bus_addr = 0; /* no device may DMA to it (no IOMMU): the CPU copies */
    return GNTST_okay;
}

/* Called with d's physmap lock held, the mapping's p2m entry just gone. */
static void detach(struct domain *d, struct grant_mapping *m, struct grant_unmapped *out)
{
    ASSERT_LOCKED(&d->physmap_lock);
    *out = (struct grant_unmapped){ true, m->readonly, m->granter, m->ref, m->mfn };
    m->in_use = false;
    d->grant.nr_maps--;
}

void grant_mapping_detach(struct domain *d, gfn_t gfn, mfn_t mfn, struct grant_unmapped *out)
{
    for (unsigned int h = 0; d->grant.maps && h < MAX_MAPS; h++) {
        struct grant_mapping *m = &d->grant.maps[h];
        if (m->in_use && m->gfn == gfn) {
            /* Every grant entry of the p2m has its mapping here, and only
             * one: both change together under the physmap lock. */
            ASSERT(m->mfn == mfn);
            detach(d, m, out);
            return;
        }
    }
    panic("d%u: grant entry at gfn %#lx without its mapping", d->id, gfn);
}

void grant_unmapped_release(struct grant_unmapped *g)
{
    if (!g->valid)
        return;
    /* The mapping held a reference on its granter: still there. */
    struct domain *rd = domain_by_id(g->granter);
    BUG_ON(!rd);
    unpin(rd, g->ref, g->mfn, g->readonly);
    domain_put(rd);
    g->valid = false;
}

/* Unmaps the mapping op names; what went is left in *gone, to release once
 * the domain's vCPUs can no longer reach it (after a flush if *flush). */
static int16_t unmap_one(struct domain *d, struct gnttab_unmap_grant_ref *op, struct physmap_gone *gone,
                         bool *flush)
{
    int16_t status = GNTST_okay;
    uint64_t flags = spin_lock_irqsave(&d->physmap_lock);
    struct grant_mapping *m = d->grant.maps && op->handle < MAX_MAPS ? &d->grant.maps[op->handle] : NULL;
    if (!m || !m->in_use)
        status = GNTST_bad_handle;
    else if (op->host_addr && (op->host_addr >> PAGE_SHIFT) != m->gfn)
        status = GNTST_bad_virt_addr;
    else if (p2m_exchange(d, m->gfn, P2M_GRANTS, m->mfn, (struct p2m_entry){ INVALID_MFN, P2M_NONE }, &gone->e,
                          flush))
        status = GNTST_general_error; /* a split found no memory: still mapped */
    else
        detach(d, m, &gone->grant); /* the handle says which: no search */
    spin_unlock_irqrestore(&d->physmap_lock, flags);
    return status;
}

/*
 * Up to BATCH unmaps with one flush for all of them (netback unmaps a
 * packet's pages together): each flush makes every other vCPU of the
 * domain leave guest mode, so one per page cost as many interrupts and
 * waits. The pages stay pinned until the flush is done.
 */
static long unmap_ops(struct vcpu *v, uint64_t arg, uint64_t count)
{
    struct physmap_gone gone[BATCH];
    unsigned int n = 0;
    bool flush = false;
    long rc = 0;
    uint64_t i;
    for (i = 0; i < count && i < BATCH; i++) {
        struct gnttab_unmap_grant_ref op;
        if (copy_from_guest(v, &op, arg, sizeof(op))) {
            rc = -EFAULT;
            break;
        }
        op.status = unmap_one(v->dom, &op, &gone[n], &flush);
        if (op.status == GNTST_okay)
            n++;
        if (copy_to_guest(v, arg, &op, sizeof(op))) {
            rc = -EFAULT;
            break;
        }
        arg += sizeof(op);
    }
    if (flush)
        p2m_flush(v->dom);
    for (unsigned int k = 0; k < n; k++)
        physmap_release(v->dom, &gone[k]);
    if (!rc && i < count) {
        hypercall_continue(v, 2, arg);
        return hypercall_continue(v, 3, count - i);
    }
    return rc;
}

void grant_maps_release(struct domain *d)
{
    for (unsigned int h = 0; d->grant.maps && h < MAX_MAPS; h++) {
        struct gnttab_unmap_grant_ref op = { .handle = (grant_handle_t)h };
        struct physmap_gone gone;
        bool flush = false;
        if (!d->grant.maps[h].in_use || unmap_one(d, &op, &gone, &flush) != GNTST_okay)
            continue;
        if (flush)
            p2m_flush(d);
        physmap_release(d, &gone);
    }
    xfree(d->grant.maps);
    d->grant.maps = NULL;
    xfree(d->grant.pins);
    d->grant.pins = NULL;
}

/*
 * One side of a copy: a grant of another domain, or the caller's own frame.
 * A side stays held from one op of a call to the next while they name the
 * same frame (netback fills one frontend page from several pieces of a
 * packet), and its domain while they name the same domain (every op of a
 * qdisk request): a pin, a page reference and a domain reference each cost
 * a lock or an atomic operation, the domain's a global one. All of it is
 * let go before the call returns (copy_sides_release), as Xen does.
 */
struct copy_side {
    struct domain *d;   /* referenced if not the caller; NULL if none yet */
    bool by_ref;
    uint64_t key;       /* the grant reference, or the frame number */
    mfn_t mfn;          /* INVALID_MFN if nothing is held */
};

struct copy_sides {
    struct copy_side src, dst;
};

static void drop_frame(struct copy_side *s, bool write)
{
    if (s->mfn == INVALID_MFN)
        return;
    if (s->by_ref)
        unpin(s->d, (grant_ref_t)s->key, s->mfn, !write);
    else
        page_put(s->mfn);
    s->mfn = INVALID_MFN;
}

static void drop_side(struct vcpu *v, struct copy_side *s, bool write)
{
    drop_frame(s, write);
    if (s->d && s->d != v->dom)
        domain_put(s->d);
    s->d = NULL;
}

static int16_t resolve(struct vcpu *v, const struct gnttab_copy_ptr *ptr, bool by_ref, bool write,
                       struct copy_side *s)
{
    struct domain *d = v->dom;
    /* A frame by number: only through DOMID_SELF, privileged or not
     * (Xen: "Only DOMID_SELF may reference via frame"). */
    if (!by_ref && ptr->domid != DOMID_SELF)
        return GNTST_permission_denied;
    domid_t id = ptr->domid == DOMID_SELF ? d->id : ptr->domid;
    uint64_t key = by_ref ? ptr->u.ref : ptr->u.gmfn;
    if (s->mfn != INVALID_MFN && s->d->id == id && s->by_ref == by_ref && s->key == key)
        return GNTST_okay; /* held since the op before */
    drop_frame(s, write);
    if (s->d && s->d->id != id)
        drop_side(v, s, write);
    if (!s->d)
        s->d = id == d->id ? d : domain_get(id);
    if (!s->d)
        return GNTST_bad_domain;
    s->by_ref = by_ref;
    s->key = key;
    if (by_ref) {
        int16_t status;
        s->mfn = pin(s->d, ptr->u.ref, d->id, !write, &status);
        return status;
    }
    /* Only RAM, with the reference taken in the lookup: a grant-mapped,
     * foreign or special frame is refused, and s->mfn stays invalid. */
    s->mfn = p2m_get_page(s->d, ptr->u.gmfn, P2M_TYPE(P2M_RAM) | (write ? 0 : P2M_TYPE(P2M_RAM_RO)), NULL);
    return s->mfn == INVALID_MFN ? GNTST_bad_page : GNTST_okay;
}

static void copy_sides_release(struct vcpu *v, struct copy_sides *c)
{
    drop_side(v, &c->dst, true);
    drop_side(v, &c->src, false);
}

static int16_t copy_one(struct vcpu *v, const struct gnttab_copy *op, struct copy_sides *c)
{
    if ((uint32_t)op->source.offset + op->len > PAGE_SIZE || (uint32_t)op->dest.offset + op->len > PAGE_SIZE)
        return GNTST_bad_copy_arg;
    int16_t st = resolve(v, &op->source, op->flags & GNTCOPY_source_gref, false, &c->src);
    if (st == GNTST_okay)
        st = resolve(v, &op->dest, op->flags & GNTCOPY_dest_gref, true, &c->dst);
    if (st == GNTST_okay)
        memmove((uint8_t *)mfn_to_virt(c->dst.mfn) + op->dest.offset,
                (const uint8_t *)mfn_to_virt(c->src.mfn) + op->source.offset, op->len);
    return st;
}

/* Ops are read and written back CHUNK at a time, one guest walk for all of
 * them rather than two per op: those walks were most of a copy's cost. */
#define CHUNK 16

union op_chunk {
    struct gnttab_map_grant_ref map[CHUNK];
    struct gnttab_copy copy[CHUNK];
};

long grant_map_op(struct vcpu *v, uint64_t cmd, uint64_t arg, uint64_t count)
{
    if (cmd == GNTTABOP_unmap_grant_ref)
        return unmap_ops(v, arg, count);
    bool copy = cmd == GNTTABOP_copy;
    size_t size = copy ? sizeof(struct gnttab_copy) : sizeof(struct gnttab_map_grant_ref);
    union op_chunk ops;
    struct copy_sides sides = { { .mfn = INVALID_MFN }, { .mfn = INVALID_MFN } };
    long rc = 0;
    uint64_t i = 0;
    while (i < count) {
        if (i == BATCH) {
            hypercall_continue(v, 2, arg);
            rc = hypercall_continue(v, 3, count - i);
            break;
        }
        unsigned int n = (unsigned int)MIN(MIN(count - i, (uint64_t)CHUNK), BATCH - i);
        /* A chunk that runs into a page the guest cannot give us is done op
         * by op, so that the ops before the bad one still happen. */
        if (copy_from_guest(v, &ops, arg, n * size)) {
            n = 1;
            if (copy_from_guest(v, &ops, arg, size)) {
                rc = -EFAULT;
                break;
            }
        }
        for (unsigned int k = 0; k < n; k++) {
            if (copy)
                ops.copy[k].status = copy_one(v, &ops.copy[k], &sides);
            else
                ops.map[k].status = (int16_t)map_one(v, &ops.map[k]);
        }
        if (copy_to_guest(v, arg, &ops, n * size)) {
            rc = -EFAULT;
            break;
        }
        arg += n * size;
        i += n;
    }
    copy_sides_release(v, &sides);
    return rc;
}
