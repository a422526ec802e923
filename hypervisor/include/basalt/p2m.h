/*
 * A domain's physical-to-machine map: guest frame -> machine frame and type.
 * On x86 it is the nested page table itself (arch/x86/svm/npt.c).
 */
#ifndef BASALT_P2M_H
#define BASALT_P2M_H

#include <basalt/spinlock.h>
#include <basalt/types.h>

enum p2m_type {
    P2M_NONE = 0,
    P2M_RAM,          /* the domain's own memory */
    P2M_MMIO,         /* machine device space mapped 1:1 (Dom0), uncached */
    P2M_SPECIAL,      /* a hypervisor page given to the guest (shared_info, grant frames) */
    P2M_GRANT,        /* another domain's page, mapped through a grant */
    P2M_FOREIGN,      /* another domain's page, mapped by the privileged domain */
    P2M_RAM_RO,       /* own memory, read-only */
    P2M_GRANT_RO,     /* a grant mapped read-only */
};

struct domain;

/* One mapping: INVALID_MFN and P2M_NONE for none. */
struct p2m_entry {
    mfn_t mfn;
    enum p2m_type t;
};

/* Sets of types, for what p2m_exchange may replace. */
#define P2M_TYPE(t) (1u << (t))
#define P2M_EMPTY P2M_TYPE(P2M_NONE)
#define P2M_ANY 0xffffu
#define P2M_MAPPED (P2M_ANY & ~P2M_EMPTY)
#define P2M_GRANTS (P2M_TYPE(P2M_GRANT) | P2M_TYPE(P2M_GRANT_RO))
#define P2M_OWN_RAM (P2M_TYPE(P2M_RAM) | P2M_TYPE(P2M_RAM_RO))

/* Table pages any domain may have besides those for its RAM. */
#define P2M_BASE_TABLES 64

struct p2m {
    spinlock_t lock;           /* the tables and the fields below */
    uint64_t *root;            /* PML4 of the nested page table */
    paddr_t root_pa;
    uint64_t table_pages;      /* tables in use, the root included: the domain's charge */
    uint64_t max_table_pages;  /* its limit, from the domain's memory limit */
    void *dead_tables;         /* unlinked when they emptied; freed by the next flush */
    volatile uint64_t flush_gen; /* bumped when a mapping is removed or weakened */
};

int p2m_init(struct p2m *p2m);
/* Frees the tables (not the mapped frames: the caller releases those first). */
void p2m_teardown(struct p2m *p2m);
/*
 * The one way a mapping changes, in one step under the p2m lock: if gfn's
 * entry has a type in `expect` (P2M_EMPTY: nothing mapped) and, unless
 * expect_mfn is INVALID_MFN, maps expect_mfn, it becomes `new` (type
 * P2M_NONE: removed). *old is what was there, changed or not.
 * 0: changed; -EBUSY: not as expected, nothing changed; -ENOMEM: no memory
 * for the tables or over the domain's table limit, nothing changed (a large
 * mapping that would have to be split stays whole); -EINVAL: gfn too large.
 * What was removed or weakened may still be in a vCPU's TLB: with flush
 * NULL, every vCPU has dropped it when this returns (call it holding no
 * lock); otherwise *flush is set and the caller calls p2m_flush, holding no
 * lock, before it releases what was removed.
 */
int p2m_exchange(struct domain *d, gfn_t gfn, unsigned int expect, mfn_t expect_mfn,
                 struct p2m_entry new, struct p2m_entry *old, bool *flush);
/* Maps [gfn, gfn+n) to [mfn, mfn+n) where nothing is mapped yet, with large
 * mappings where both sides are aligned; stops at the first gfn that is
 * mapped (or when table memory runs out). Returns how many it mapped. */
uint64_t p2m_populate_range(struct domain *d, gfn_t gfn, mfn_t mfn, uint64_t n, enum p2m_type t);
/* What gfn maps now; stale as soon as the lock drops: for decisions that an
 * exchange re-checks, or for hypervisor-owned pages. */
mfn_t p2m_lookup(struct domain *d, gfn_t gfn, enum p2m_type *t);
/*
 * If gfn maps a page with a type in `types`, takes a reference on it in the
 * same step (so whatever d does with gfn meanwhile, the page stays allocated
 * until page_put) and returns it, its type in *t; else INVALID_MFN. Own RAM
 * must be d's; a grant or foreign mapping's page is another domain's (or
 * orphaned), kept allocated by the mapping until its entry goes; a special
 * page is a hypervisor page of d's, which lives as long as d. Device space
 * is never returned.
 */
mfn_t p2m_get_page(struct domain *d, gfn_t gfn, unsigned int types, enum p2m_type *t);
/* Calls fn for every mapped gfn (for teardown); the p2m must not change meanwhile. */
void p2m_for_each(struct domain *d, void (*fn)(struct domain *, gfn_t, mfn_t, enum p2m_type));
/* Makes every vCPU of d drop cached translations before it next runs; waits
 * for running ones, then frees the tables that emptied. Holding no lock. */
void p2m_flush(struct domain *d);

#endif
