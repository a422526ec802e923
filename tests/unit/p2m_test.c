/*
 * The p2m and a domain's memory (arch/x86/svm/npt.c, common/memory.c) over
 * simulated machine memory: what a domain owns, what it is charged for and
 * what its p2m maps stay equal through populate, decrease, remove and
 * special pages, also when two vCPUs race (every interleaving at lock
 * granularity); page-table pages are charged with a limit and freed when
 * they empty.
 */
#include "tests/lib/tap.h"
#include "tests/unit/hv/host.h"

#include "hypervisor/arch/x86/svm/npt.c"

#include <basalt/memory.h>
#include <basalt/shared_info.h>
#include <stdio.h>

#define G 0x1234 /* a guest frame the races fight over */

static struct domain *d;
static uint64_t pool_total, hv_free0;

/* Pages owned, pages charged and RAM mapped agree; the pool has lost
 * exactly what domains own or what is orphaned. */
static bool consistent(struct domain *dom, char *why, size_t len)
{
    uint64_t owned = hv_pages_owned(dom->id), mapped = hv_ram_mapped(dom);
    uint64_t orphans = hv_pages_owned(OWNER_ORPHAN), in_domains = 0;
    for (unsigned int id = 0; id < MAX_DOMAINS; id++)
        if (domains[id])
            in_domains += hv_pages_owned((uint16_t)id);
    uint64_t free = zone_free_pages(ZONE_POOL);
    if (owned != dom->tot_pages || mapped != dom->tot_pages || free + in_domains + orphans != pool_total) {
        snprintf(why, len, "owned %lu, charged %lu, mapped %lu; pool free %lu + owned %lu + orphaned %lu != %lu",
                 owned, dom->tot_pages, mapped, free, in_domains, orphans, pool_total);
        return false;
    }
    return true;
}

static gfn_t spread(unsigned int i)
{
    /* A new top-level entry for each of the first 512, then new 1 GiB regions. */
    return ((gfn_t)(i % 512) << 27) | ((gfn_t)(i / 512 + 1) << 18);
}

/* Races */

static void fresh(void)
{
    d = hv_domain(1, 2, 64);
    domain_populate(d, G, 1);
}

static bool consistent_and_gone(char *why, size_t len)
{
    bool ok = consistent(d, why, len);
    gfn_t si = d->shared_info_gfn;
    enum p2m_type t;
    mfn_t at = si == INVALID_GFN ? INVALID_MFN : p2m_lookup(d, si, &t);
    if (ok && si != INVALID_GFN && (at != virt_to_mfn(d->shared_info) || t != P2M_SPECIAL)) {
        snprintf(why, len, "shared_info is said to be at %#lx, which maps %#lx", si, at);
        ok = false;
    }
    hv_destroy(d);
    if (ok && zone_free_pages(ZONE_POOL) != pool_total) {
        snprintf(why, len, "the pool has %lu pages of %lu after the domain went", zone_free_pages(ZONE_POOL),
                 pool_total);
        ok = false;
    }
    return ok;
}

static void op_decrease(void *unused) { domain_release_gfn(d, G, NULL); }
static void op_remove(void *unused) { domain_remove_gfn(d, G); }
static void op_shared_info_at_g(void *unused) { shared_info_map(d, G); }
static void op_populate_g(void *unused) { domain_populate(d, G, 1); }

static void fresh_empty(void)
{
    d = hv_domain(1, 2, 64);
}

/* At its limit less one: two populates must not both get a page. */
static void fresh_nearly_full(void)
{
    d = hv_domain(1, 2, 2);
    domain_populate(d, 0x100, 1);
}
static void op_populate_other(void *unused) { domain_populate(d, G + 1, 1); }

static bool within_limit(char *why, size_t len)
{
    bool ok = d->tot_pages <= d->max_pages;
    if (!ok)
        snprintf(why, len, "%lu pages charged, the limit is %lu", d->tot_pages, d->max_pages);
    return consistent_and_gone(why, len) && ok;
}

int main(void)
{
    TAP_PLAN(19);
    hv_init();
    pool_total = zone_total_pages(ZONE_POOL);
    /* The heap keeps the pages it carved into small objects: measure after
     * it has what a domain needs. */
    hv_destroy(hv_domain(1, 1, 16));
    hv_free0 = zone_free_pages(ZONE_HV);
    char why[300] = "";

    /* Plain use. */
    d = hv_domain(1, 1, 4096);
    uint64_t hv_after_create = zone_free_pages(ZONE_HV);
    int rc = domain_populate(d, 0, 2048) | domain_populate(d, 0x100000, 100);
    CHECK("populate maps and charges what the domain owns",
          !rc && d->tot_pages == 2148 && consistent(d, why, sizeof(why)), "rc %d: %s", rc, why);
    rc = domain_populate(d, 0x200000, 4096);
    CHECK("populate stops at the limit", rc == -ENOMEM && d->tot_pages == 4096 && consistent(d, why, sizeof(why)),
          "rc %d tot %lu: %s", rc, d->tot_pages, why);
    bool all = true;
    for (gfn_t g = 0; g < 2048; g += 2)
        all = all && !domain_release_gfn(d, g, NULL);
    CHECK("decrease gives pages back, splitting large mappings", all && d->tot_pages == 4096 - 1024 &&
          consistent(d, why, sizeof(why)), "tot %lu: %s", d->tot_pages, why);
    CHECK("decrease of what is not RAM fails",
          domain_release_gfn(d, 0, NULL) != 0 && domain_release_gfn(d, 0x7fffff, NULL) != 0, "succeeded");
    rc = shared_info_map(d, 1);
    CHECK("shared_info replaces the RAM at its frame", !rc && d->shared_info_gfn == 1 &&
          p2m_lookup(d, 1, NULL) == virt_to_mfn(d->shared_info) && consistent(d, why, sizeof(why)),
          "rc %d: %s", rc, why);
    rc = shared_info_map(d, 0x100000);
    CHECK("and moves, freeing its old frame", !rc && d->shared_info_gfn == 0x100000 &&
          p2m_lookup(d, 1, NULL) == INVALID_MFN && consistent(d, why, sizeof(why)), "rc %d: %s", rc, why);
    hv_destroy(d);
    CHECK("a destroyed domain gives every page back", zone_free_pages(ZONE_POOL) == pool_total &&
          zone_free_pages(ZONE_HV) == hv_free0, "pool %lu of %lu, hypervisor %lu of %lu",
          zone_free_pages(ZONE_POOL), pool_total, zone_free_pages(ZONE_HV), hv_free0);

    /* Finding 1: populate and decrease all over the guest-frame space. */
    d = hv_domain(1, 1, 4096);
    hv_after_create = zone_free_pages(ZONE_HV);
    all = true;
    for (unsigned int i = 0; i < 2000; i++)
        all = all && !domain_populate(d, spread(i), 1) && !domain_release_gfn(d, spread(i), NULL);
    CHECK("tables that empty are freed", all && d->p2m.table_pages == 1 && zone_free_pages(ZONE_HV) == hv_after_create,
          "%s; %lu table pages, hypervisor zone %lu pages short", all ? "ok" : "failed", d->p2m.table_pages,
          hv_after_create - zone_free_pages(ZONE_HV));
    rc = 0;
    unsigned int placed = 0;
    while (placed < 4096 && !(rc = domain_populate(d, spread(placed), 1)))
        placed++;
    uint64_t lost = hv_after_create - zone_free_pages(ZONE_HV);
    CHECK("table pages are charged to the domain, with a limit", rc == -ENOMEM && lost < zone_total_pages(ZONE_HV) / 16,
          "rc %d after %u spread pages: the hypervisor zone lost %lu of its %lu pages", rc, placed, lost,
          zone_total_pages(ZONE_HV));
    CHECK("the limit leaves the domain consistent", consistent(d, why, sizeof(why)), "%s", why);
    hv_destroy(d);
    CHECK("and its tables all go with it",
          zone_free_pages(ZONE_HV) == hv_free0 && zone_free_pages(ZONE_POOL) == pool_total,
          "hypervisor %lu of %lu, pool %lu of %lu", zone_free_pages(ZONE_HV), hv_free0, zone_free_pages(ZONE_POOL),
          pool_total);

    /* The lock rules are checked, in this build as in the hypervisor's. */
    d = hv_domain(1, 1, 16);
    uint64_t f = spin_lock_irqsave(&d->pages_lock);
    bool caught = hv_try(p2m_flush(d));
    spin_unlock_irqrestore(&d->pages_lock, f);
    CHECK("a flush (a wait for other vCPUs) with a lock held is caught", caught, "no ASSERT");
    struct physmap_gone gone;
    caught = hv_try(physmap_exchange_locked(d, G, P2M_ANY, INVALID_MFN, (struct p2m_entry){ INVALID_MFN, P2M_NONE },
                                            &gone, NULL));
    CHECK("a physmap change without the physmap lock is caught", caught, "no ASSERT");
    hv_destroy(d);

    /* Findings 5 and 9: two vCPUs at one frame. */
    RACE_CHECK("decrease racing shared_info at the same frame frees one page once",
               fresh, op_decrease, op_shared_info_at_g, consistent_and_gone);
    RACE_CHECK("shared_info racing decrease at the same frame frees one page once",
               fresh, op_shared_info_at_g, op_decrease, consistent_and_gone);
    RACE_CHECK("remove racing decrease of the same frame releases it once",
               fresh, op_remove, op_decrease, consistent_and_gone);
    RACE_CHECK("shared_info racing populate of its frame leaks no page",
               fresh_empty, op_shared_info_at_g, op_populate_g, consistent_and_gone);
    RACE_CHECK("two populates at once stay within the limit",
               fresh_nearly_full, op_populate_g, op_populate_other, within_limit);
    RACE_CHECK("two populates of one frame map one page",
               fresh_empty, op_populate_g, op_populate_g, consistent_and_gone);
    TAP_EXIT();
}
