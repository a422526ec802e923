/*
 * Domain RAM and the physmap. Pages come from the pool zone, are zeroed
 * before a guest sees them (no domain reads another's old data) and carry
 * their owner's id in the frame table, which grant and foreign mappings
 * check.
 *
 * The rules: a page is charged to the domain (tot_pages, under pages_lock)
 * before it is allocated, so no two vCPUs both pass the limit; every change
 * of the p2m is an exchange that says what it replaced, and only what it
 * replaced is released, after the flush; entries tracked elsewhere (grant
 * mappings, shared_info, grant frames) change only under physmap_lock,
 * together with their tracking.
 */
#include <basalt/dom0.h>
#include <basalt/domain.h>
#include <basalt/grant_table.h>
#include <basalt/lib.h>
#include <basalt/memory.h>
#include <basalt/mm.h>

#define CHUNK_ORDER 9 /* 2 MiB: fewer allocator calls when building */

static const struct p2m_entry nothing = { INVALID_MFN, P2M_NONE };

/* Charges n pages to d if that keeps it within its limit. */
static bool charge(struct domain *d, uint64_t n, bool limited)
{
    uint64_t flags = spin_lock_irqsave(&d->pages_lock);
    bool ok = !limited || (n <= d->max_pages && d->tot_pages <= d->max_pages - n);
    if (ok)
        d->tot_pages += n;
    spin_unlock_irqrestore(&d->pages_lock, flags);
    return ok;
}

static void uncharge(struct domain *d, uint64_t n)
{
    uint64_t flags = spin_lock_irqsave(&d->pages_lock);
    BUG_ON(d->tot_pages < n);
    d->tot_pages -= n;
    spin_unlock_irqrestore(&d->pages_lock, flags);
}

int domain_set_max_pages(struct domain *d, uint64_t pages)
{
    uint64_t flags = spin_lock_irqsave(&d->pages_lock);
    int rc = pages < d->tot_pages ? -EINVAL : 0;
    if (!rc)
        d->max_pages = pages;
    spin_unlock_irqrestore(&d->pages_lock, flags);
    return rc;
}

/* Gives a fresh block of 2^order pages to d at gfn; returns how many pages
 * were mapped (the rest went back to the pool: something was already there). */
static uint64_t map_new(struct domain *d, gfn_t gfn, mfn_t mfn, unsigned int order)
{
    uint64_t n = 1ULL << order;
    memset(mfn_to_virt(mfn), 0, n << PAGE_SHIFT);
    for (uint64_t i = 0; i < n; i++) {
        mfn_to_page(mfn + i)->owner = d->id;
        mfn_to_page(mfn + i)->refs = 0;
    }
    uint64_t done = p2m_populate_range(d, gfn, mfn, n, P2M_RAM);
    for (uint64_t j = done; j < n; j++) {
        mfn_to_page(mfn + j)->owner = OWNER_NONE;
        free_pages(mfn + j, 0);
    }
    return done;
}

/* Dom0's RAM is 1:1: it can only get back the frames of its own range. */
static int dom0_populate(struct domain *d, gfn_t gfn, uint64_t nr)
{
    for (; nr; gfn++, nr--) {
        paddr_t pa = gfn << PAGE_SHIFT;
        if (!dom0_owns_ram(pa, pa + PAGE_SIZE))
            return -ENOMEM;
        if (p2m_lookup(d, gfn, NULL) != INVALID_MFN)
            continue;
        memset(mfn_to_virt(gfn), 0, PAGE_SIZE);
        if (p2m_populate_range(d, gfn, gfn, 1, P2M_RAM) == 1)
            charge(d, 1, false);
        else if (p2m_lookup(d, gfn, NULL) == INVALID_MFN)
            return -ENOMEM; /* no memory for the tables */
    }
    return 0;
}

int domain_populate(struct domain *d, gfn_t gfn, uint64_t nr)
{
    if (d->id == 0 && dom0_plan.present)
        return dom0_populate(d, gfn, nr);
    while (nr) {
        if (p2m_lookup(d, gfn, NULL) != INVALID_MFN) {
            gfn++, nr--; /* already populated */
            continue;
        }
        unsigned int order = 0;
        if (!(gfn & ((1ULL << CHUNK_ORDER) - 1)) && nr >= (1ULL << CHUNK_ORDER) &&
            charge(d, 1ULL << CHUNK_ORDER, true))
            order = CHUNK_ORDER;
        mfn_t mfn = order ? alloc_pages(ZONE_POOL, order) : INVALID_MFN;
        if (mfn == INVALID_MFN) {
            if (order)
                uncharge(d, 1ULL << order);
            order = 0;
            if (!charge(d, 1, true))
                return -ENOMEM;
            mfn = alloc_pages(ZONE_POOL, 0);
            if (mfn == INVALID_MFN) {
                uncharge(d, 1);
                return -ENOMEM;
            }
        }
        uint64_t done = map_new(d, gfn, mfn, order);
        uncharge(d, (1ULL << order) - done);
        if (!done && p2m_lookup(d, gfn, NULL) == INVALID_MFN)
            return -ENOMEM; /* could not even build the page tables */
        gfn += done ? done : 1;
        nr -= done ? done : 1;
    }
    return 0;
}

void page_batch_release(struct domain *d, struct page_batch *b)
{
    if (b->flush)
        p2m_flush(d);
    b->flush = false;
    /* Still mapped by a backend or the toolstack: the last page_put frees it. */
    for (unsigned int i = 0; i < b->n; i++)
        page_release(b->mfn[i]);
    b->n = 0;
}

int domain_release_gfn(struct domain *d, gfn_t gfn, struct page_batch *b)
{
    struct page_batch one = { 0 };
    struct page_batch *batch = b ? b : &one;
    if (batch->n == PAGE_BATCH)
        page_batch_release(d, batch);
    struct p2m_entry old;
    int rc = p2m_exchange(d, gfn, P2M_TYPE(P2M_RAM), INVALID_MFN, nothing, &old, &batch->flush);
    if (!rc) {
        /* It was d's RAM in d's p2m, and this exchange took it out: d's. */
        ASSERT(mfn_to_page(old.mfn)->owner == d->id);
        uncharge(d, 1);
        batch->mfn[batch->n++] = old.mfn;
    }
    if (!b)
        page_batch_release(d, batch);
    return rc == -EBUSY ? -EINVAL : rc;
}

int physmap_exchange_locked(struct domain *d, gfn_t gfn, unsigned int expect, mfn_t expect_mfn,
                            struct p2m_entry new, struct physmap_gone *gone, bool *flush)
{
    ASSERT_LOCKED(&d->physmap_lock);
    int rc = p2m_exchange(d, gfn, expect, expect_mfn, new, &gone->e, flush);
    if (rc) {
        gone->e = nothing;
        return rc;
    }
    switch (gone->e.t) {
    case P2M_RAM:
    case P2M_RAM_RO:
        uncharge(d, 1);
        break;
    case P2M_GRANT:
    case P2M_GRANT_RO:
        grant_mapping_detach(d, gfn, gone->e.mfn, &gone->grant);
        break;
    case P2M_SPECIAL:
        if (gone->e.mfn == virt_to_mfn(d->shared_info) && d->shared_info_gfn == gfn)
            d->shared_info_gfn = INVALID_GFN;
        else
            grant_table_frame_unmapped(d, gfn, gone->e.mfn);
        break;
    default:
        break;
    }
    return 0;
}

void physmap_release(struct domain *d, struct physmap_gone *gone)
{
    ASSERT_MAY_WAIT();
    switch (gone->e.t) {
    case P2M_RAM:
    case P2M_RAM_RO:
        page_release(gone->e.mfn);
        break;
    case P2M_GRANT:
    case P2M_GRANT_RO:
        grant_unmapped_release(&gone->grant);
        break;
    case P2M_FOREIGN:
        page_put(gone->e.mfn);
        break;
    default:
        break; /* special pages and device space: nothing to give back */
    }
    gone->e = nothing;
}

int physmap_replace(struct domain *d, gfn_t gfn, unsigned int expect, struct p2m_entry new)
{
    struct physmap_gone gone;
    bool flush = false;
    uint64_t flags = spin_lock_irqsave(&d->physmap_lock);
    int rc = physmap_exchange_locked(d, gfn, expect, INVALID_MFN, new, &gone, &flush);
    spin_unlock_irqrestore(&d->physmap_lock, flags);
    if (flush)
        p2m_flush(d);
    physmap_release(d, &gone);
    return rc;
}

int domain_remove_gfn(struct domain *d, gfn_t gfn)
{
    int rc = physmap_replace(d, gfn, P2M_MAPPED, nothing);
    return rc == -EBUSY ? -ENOENT : rc;
}

static void release_at_teardown(struct domain *d, gfn_t gfn, mfn_t mfn, enum p2m_type t)
{
    if (t == P2M_RAM || t == P2M_RAM_RO) {
        struct page_info *pg = mfn_to_page(mfn);
        if (pg->owner == d->id && (pg->flags & PGF_ALLOCATOR))
            page_release(mfn); /* still mapped by another domain: freed by its last unmap */
    } else if (t == P2M_FOREIGN) {
        page_put(mfn);
    }
}

void domain_release_memory(struct domain *d)
{
    p2m_for_each(d, release_at_teardown);
}
