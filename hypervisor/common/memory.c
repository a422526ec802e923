/*
 * Domain RAM. Pages come from the pool zone, are zeroed before a guest sees
 * them (no domain reads another's old data) and carry their owner's id in
 * the frame table, which grant and foreign mappings check.
 */
#include <basalt/dom0.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/memory.h>
#include <basalt/mm.h>

#define CHUNK_ORDER 9 /* 2 MiB: fewer allocator calls when building */

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
    d->tot_pages += done;
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
        if (p2m_populate_range(d, gfn, gfn, 1, P2M_RAM) != 1)
            return -ENOMEM;
        d->tot_pages++;
    }
    return 0;
}

int domain_populate(struct domain *d, gfn_t gfn, uint64_t nr)
{
    if (d->id == 0 && dom0_plan.present)
        return dom0_populate(d, gfn, nr);
    while (nr) {
        if (d->tot_pages >= d->max_pages)
            return -ENOMEM;
        enum p2m_type t;
        if (p2m_lookup(d, gfn, &t) != INVALID_MFN) {
            gfn++, nr--; /* already populated */
            continue;
        }
        unsigned int order = 0;
        if (!(gfn & ((1ULL << CHUNK_ORDER) - 1)) && nr >= (1ULL << CHUNK_ORDER) &&
            d->max_pages - d->tot_pages >= (1ULL << CHUNK_ORDER))
            order = CHUNK_ORDER;
        mfn_t mfn = alloc_pages(ZONE_POOL, order);
        if (mfn == INVALID_MFN && order) {
            order = 0;
            mfn = alloc_pages(ZONE_POOL, 0);
        }
        if (mfn == INVALID_MFN)
            return -ENOMEM;
        uint64_t done = map_new(d, gfn, mfn, order);
        if (!done && p2m_lookup(d, gfn, &t) == INVALID_MFN)
            return -ENOMEM; /* could not even build the page tables */
        gfn += done ? done : 1;
        nr -= done ? done : 1;
    }
    return 0;
}

int domain_release_gfn(struct domain *d, gfn_t gfn)
{
    enum p2m_type t;
    mfn_t mfn = p2m_lookup(d, gfn, &t);
    if (mfn == INVALID_MFN || t != P2M_RAM)
        return -EINVAL;
    struct page_info *pg = mfn_to_page(mfn);
    if (pg->owner != d->id)
        return -EINVAL;
    /* Flushes every vCPU's TLB before we free; fails if splitting a large
     * mapping found no memory, and then the page stays the domain's. */
    if (p2m_clear(d, gfn, NULL) == INVALID_MFN)
        return -ENOMEM;
    d->tot_pages--;
    /* Still mapped by a backend or the toolstack: the last page_put frees it. */
    page_release(mfn);
    return 0;
}

void grant_table_unmapped_gfn(struct domain *d, gfn_t gfn);
void foreign_mapping_released(struct domain *d, mfn_t mfn, enum p2m_type t);

int domain_remove_gfn(struct domain *d, gfn_t gfn)
{
    enum p2m_type t;
    mfn_t mfn = p2m_lookup(d, gfn, &t);
    if (mfn == INVALID_MFN)
        return -ENOENT;
    switch (t) {
    case P2M_RAM:
        return domain_release_gfn(d, gfn);
    case P2M_SPECIAL:
        p2m_clear(d, gfn, NULL);
        if (gfn == d->shared_info_gfn)
            d->shared_info_gfn = INVALID_GFN;
        else
            grant_table_unmapped_gfn(d, gfn);
        return 0;
    case P2M_FOREIGN:
    case P2M_GRANT:
    case P2M_GRANT_RO:
        p2m_clear(d, gfn, NULL);
        foreign_mapping_released(d, mfn, t);
        return 0;
    case P2M_MMIO:
        /* Dom0's identity-mapped device space: Linux puts grant and foreign
         * mappings in holes of its map, which may already be mapped 1:1. */
        p2m_clear(d, gfn, NULL);
        return 0;
    default:
        return -EINVAL;
    }
}
