/*
 * The buddy allocator and page references (hypervisor/common/mm/page_alloc.c)
 * over simulated machine memory: blocks are aligned and disjoint, freeing
 * everything merges back to the zone's original blocks, the free counts
 * match, a double free is caught, and a page its owner lets go of while
 * another domain maps it lives until the last reference is dropped.
 */
#include "tests/lib/tap.h"
#include "tests/unit/hv/host.h"

#include "hypervisor/common/mm/page_alloc.c"

#include <stdlib.h>

static uint64_t largest_free_order(enum zone_id zid)
{
    for (int o = MAX_ORDER; o >= 0; o--)
        if (zones[zid].free[o])
            return (uint64_t)o;
    return ~0ULL;
}

/* Pages on the free lists, counted block by block. */
static uint64_t listed_free(enum zone_id zid)
{
    uint64_t n = 0;
    for (unsigned int o = 0; o <= MAX_ORDER; o++)
        for (struct free_block *b = zones[zid].free[o]; b; b = b->next)
            n += 1ULL << o;
    return n;
}

int main(void)
{
    TAP_PLAN(16);
    hv_init();
    uint64_t pool_total = zone_total_pages(ZONE_POOL), hv_total = zone_total_pages(ZONE_HV);
    CHECK("the zones hold the simulated memory", pool_total == (HV_MEM_SIZE - HV_ZONE_HV_SIZE) >> PAGE_SHIFT &&
          hv_total == HV_ZONE_HV_SIZE >> PAGE_SHIFT && zone_free_pages(ZONE_POOL) == pool_total,
          "pool %lu hv %lu", pool_total, hv_total);
    uint64_t top_order = largest_free_order(ZONE_POOL);

    /* Every order: aligned, inside the zone, never overlapping. */
    static uint8_t seen[(HV_MEM_BASE + HV_MEM_SIZE) >> PAGE_SHIFT];
    mfn_t got[64];
    unsigned int ngot = 0;
    bool aligned = true, inside = true, disjoint = true;
    for (unsigned int order = 0; order <= 10; order++) {
        for (int k = 0; k < 3; k++) {
            mfn_t m = alloc_pages(ZONE_POOL, order);
            got[ngot++] = m | ((mfn_t)order << 56);
            aligned = aligned && !(m & ((1ULL << order) - 1));
            inside = inside && m >= (HV_MEM_BASE + HV_ZONE_HV_SIZE) >> PAGE_SHIFT && m + (1ULL << order) <= max_mfn;
            for (mfn_t i = m; inside && i < m + (1ULL << order); i++)
                disjoint = disjoint && !seen[i]++;
        }
    }
    CHECK("blocks are aligned to their order", aligned, "misaligned block");
    CHECK("blocks lie in their zone", inside, "block outside the pool");
    CHECK("blocks never overlap", disjoint, "a page was handed out twice");
    uint64_t used = 0;
    for (unsigned int i = 0; i < ngot; i++)
        used += 1ULL << (got[i] >> 56);
    CHECK("the free count drops by what was taken", zone_free_pages(ZONE_POOL) == pool_total - used &&
          listed_free(ZONE_POOL) == pool_total - used, "free %lu listed %lu expected %lu",
          zone_free_pages(ZONE_POOL), listed_free(ZONE_POOL), pool_total - used);
    for (unsigned int i = 0; i < ngot; i++)
        free_pages(got[i] & ((1ULL << 56) - 1), (unsigned int)(got[i] >> 56));
    CHECK("freeing everything merges the blocks back", zone_free_pages(ZONE_POOL) == pool_total &&
          listed_free(ZONE_POOL) == pool_total && largest_free_order(ZONE_POOL) == top_order,
          "free %lu listed %lu largest order %lu (was %lu)", zone_free_pages(ZONE_POOL),
          listed_free(ZONE_POOL), largest_free_order(ZONE_POOL), top_order);

    /* Exhaust the hypervisor zone page by page, then give it all back. */
    uint64_t n = 0;
    mfn_t *all = malloc(hv_total * sizeof(*all));
    mfn_t m;
    while ((m = alloc_pages(ZONE_HV, 0)) != INVALID_MFN)
        all[n++] = m;
    CHECK("a zone gives out exactly its pages", n == hv_total && zone_free_pages(ZONE_HV) == 0,
          "got %lu of %lu", n, hv_total);
    for (uint64_t i = 0; i < n; i++)
        free_pages(all[n - 1 - i], 0);
    CHECK("and takes them all back", zone_free_pages(ZONE_HV) == hv_total && listed_free(ZONE_HV) == hv_total,
          "free %lu", zone_free_pages(ZONE_HV));
    free(all);

    /* Two buddies merge when freed; freeing either again is still caught,
     * though only the lower one heads the merged block. */
    mfn_t a = alloc_pages(ZONE_POOL, 1);
    free_pages(a, 0);
    free_pages(a + 1, 0);
    bool caught = hv_try(free_pages(a, 0)) && hv_try(free_pages(a + 1, 0));
    CHECK("a double free is caught, inside a merged block too", caught, "freed twice without a BUG");
    CHECK("and changes nothing", zone_free_pages(ZONE_POOL) == pool_total && listed_free(ZONE_POOL) == pool_total,
          "free %lu listed %lu", zone_free_pages(ZONE_POOL), listed_free(ZONE_POOL));

    uint8_t *hv = alloc_hv_pages(1);
    bool zero = hv != NULL;
    for (size_t i = 0; hv && i < 2 * PAGE_SIZE; i++)
        zero = zero && !hv[i];
    CHECK("hypervisor pages come zeroed and owned by it", zero && mfn_to_page(virt_to_mfn(hv))->owner == OWNER_HV,
          "dirty or unowned");
    free_hv_pages(hv, 1);

    /* References: released while mapped elsewhere, freed by the last put. */
    uint64_t before = zone_free_pages(ZONE_POOL);
    m = alloc_pages(ZONE_POOL, 0);
    mfn_to_page(m)->owner = 7;
    page_get(m);
    page_get(m);
    page_release(m);
    CHECK("a referenced page outlives its owner", mfn_to_page(m)->owner == OWNER_ORPHAN &&
          zone_free_pages(ZONE_POOL) == before - 1, "owner %#x", mfn_to_page(m)->owner);
    page_put(m);
    CHECK("and stays until the last reference", mfn_to_page(m)->owner == OWNER_ORPHAN &&
          zone_free_pages(ZONE_POOL) == before - 1, "owner %#x", mfn_to_page(m)->owner);
    page_put(m);
    CHECK("which frees it", mfn_to_page(m)->owner == OWNER_NONE && zone_free_pages(ZONE_POOL) == before,
          "owner %#x free %lu", mfn_to_page(m)->owner, zone_free_pages(ZONE_POOL));
    m = alloc_pages(ZONE_POOL, 0);
    mfn_to_page(m)->owner = 7;
    page_release(m);
    CHECK("an unreferenced page is freed at once", mfn_to_page(m)->owner == OWNER_NONE &&
          zone_free_pages(ZONE_POOL) == before, "owner %#x", mfn_to_page(m)->owner);
    caught = hv_try(page_put(m));
    CHECK("dropping a reference nobody holds is caught", caught, "no BUG");
    TAP_EXIT();
}
