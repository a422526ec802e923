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

struct p2m {
    spinlock_t lock;
    uint64_t *root;          /* PML4 of the nested page table */
    paddr_t root_pa;
    uint64_t table_pages;    /* pages used by the tables themselves */
    volatile uint64_t flush_gen; /* bumped when a mapping is removed or weakened */
};

#define P2M_READONLY 0x1 /* flag for p2m_set */

int p2m_init(struct p2m *p2m);
/* Frees the tables (not the mapped frames: the caller releases those first). */
void p2m_teardown(struct p2m *p2m);
/* Maps gfn to mfn with type t; replaces whatever was there. */
int p2m_set(struct domain *d, gfn_t gfn, mfn_t mfn, enum p2m_type t);
/* Maps [gfn, gfn+n) to [mfn, mfn+n) where nothing is mapped yet, with large
 * mappings where both sides are aligned; stops at the first gfn that is
 * mapped. Returns how many it mapped. */
uint64_t p2m_populate_range(struct domain *d, gfn_t gfn, mfn_t mfn, uint64_t n, enum p2m_type t);
/* Removes the mapping; returns the old mfn and its type. INVALID_MFN: nothing
 * was mapped, or a large mapping could not be split (out of memory) and
 * stays as it was. */
mfn_t p2m_clear(struct domain *d, gfn_t gfn, enum p2m_type *old);
mfn_t p2m_lookup(struct domain *d, gfn_t gfn, enum p2m_type *t);
/* Calls fn for every mapped gfn (for teardown); the p2m must not change meanwhile. */
void p2m_for_each(struct domain *d, void (*fn)(struct domain *, gfn_t, mfn_t, enum p2m_type));
/* Makes every vCPU of d drop cached translations before it next runs; waits for running ones. */
void p2m_flush(struct domain *d);

#endif
