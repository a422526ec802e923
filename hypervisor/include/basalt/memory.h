/* A domain's RAM and physmap: allocation from the pool, accounting, release. */
#ifndef BASALT_MEMORY_H
#define BASALT_MEMORY_H

#include <basalt/grant_table.h>
#include <basalt/p2m.h>
#include <basalt/types.h>

struct domain;

/* Gives d zeroed RAM at [gfn, gfn + nr); stops at max_pages. 0 or -errno. */
int domain_populate(struct domain *d, gfn_t gfn, uint64_t nr);
/* Sets the limit; -EINVAL below what d has now. */
int domain_set_max_pages(struct domain *d, uint64_t pages);

/* RAM pages taken out of a p2m, released together after one flush. */
#define PAGE_BATCH 64
struct page_batch {
    unsigned int n;
    bool flush;
    mfn_t mfn[PAGE_BATCH];
};
/*
 * Takes the RAM page at gfn away from d (balloon down); -EINVAL if gfn is
 * not d's RAM. With a batch, the page is released by page_batch_release
 * (also when the batch fills up); without, before this returns.
 */
int domain_release_gfn(struct domain *d, gfn_t gfn, struct page_batch *b);
void page_batch_release(struct domain *d, struct page_batch *b);

/* What a physmap change took out: released after the flush. */
struct physmap_gone {
    struct p2m_entry e;
    struct grant_unmapped grant; /* when e was a grant mapping */
};
/*
 * p2m_exchange, with physmap_lock held, that also updates what tracks the
 * replaced entry (a grant mapping leaves the maptrack, a special page its
 * place) and uncharges replaced RAM. The caller unlocks, flushes if *flush,
 * then calls physmap_release.
 */
int physmap_exchange_locked(struct domain *d, gfn_t gfn, unsigned int expect, mfn_t expect_mfn,
                            struct p2m_entry new, struct physmap_gone *gone, bool *flush);
void physmap_release(struct domain *d, struct physmap_gone *gone);
/* Both, in one call: puts new at gfn if what is there has a type in expect,
 * and releases that. 0 or -errno as p2m_exchange. */
int physmap_replace(struct domain *d, gfn_t gfn, unsigned int expect, struct p2m_entry new);
/* XENMEM_remove_from_physmap: whatever is at gfn goes (RAM is freed);
 * -ENOENT if nothing was. */
int domain_remove_gfn(struct domain *d, gfn_t gfn);
/* Teardown: gives back the RAM and the foreign pages the p2m still maps. */
void domain_release_memory(struct domain *d);

#endif
