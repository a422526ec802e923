/*
 * The nested page table's own structure, below the p2m interface
 * (basalt/p2m.h): walks, large leaves and their splitting. No locking here;
 * arch/x86/svm/npt.c holds the p2m lock around every call.
 */
#ifndef ASM_NPT_H
#define ASM_NPT_H

#include <basalt/p2m.h>
#include <basalt/types.h>

/* Frames one entry covers at a level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB). */
#define NPT_LEVEL_PAGES(level) (1ULL << (9 * ((level) - 1)))

/* The leaf bits (present, rights, type) of a mapping of type t. */
uint64_t npt_leaf_bits(enum p2m_type t);
enum p2m_type npt_entry_type(uint64_t e);
/* The frame that the present leaf e, at level, gives for gfn. */
mfn_t npt_entry_mfn(uint64_t e, int level, gfn_t gfn);
/*
 * The entry that maps gfn, and its level. With for_change, a large leaf on
 * the way is split and missing tables are created, so that gfn's own 4 KiB
 * entry comes back (NULL: out of memory); without, NULL means unmapped.
 */
uint64_t *npt_find(struct p2m *p2m, gfn_t gfn, bool for_change, int *level);
/*
 * Maps the largest leaf, up to max_level, that fits gfn -> mfn within n
 * frames where nothing is mapped yet; returns the frames mapped (0: something
 * is there already, or out of memory).
 */
uint64_t npt_populate_one(struct p2m *p2m, gfn_t gfn, mfn_t mfn, uint64_t n, uint64_t bits,
                          int max_level);
/* Calls fn for every mapped frame, large leaves frame by frame. */
void npt_for_each(struct p2m *p2m, void (*fn)(void *ctx, gfn_t, mfn_t, enum p2m_type), void *ctx);
/* Frees every table (not the frames they map). */
void npt_free(struct p2m *p2m);

#endif
