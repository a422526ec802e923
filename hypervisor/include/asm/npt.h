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
/* The present leaf that maps gfn, and its level; NULL if nothing does. */
uint64_t *npt_lookup(struct p2m *p2m, gfn_t gfn, int *level);
/*
 * gfn's own 4 KiB entry, for a change: missing tables are created and a
 * large leaf on the way is split. NULL, with nothing changed, if that takes
 * more table pages than the allocator gives or p2m->max_table_pages allows.
 */
uint64_t *npt_entry_for_change(struct p2m *p2m, gfn_t gfn);
/*
 * After gfn's 4 KiB entry was cleared: unlinks the tables on its path that
 * are now empty (never the root) onto p2m->dead_tables. Returns how many.
 */
unsigned int npt_prune(struct p2m *p2m, gfn_t gfn);
/* Frees a list of unlinked tables; only once no CPU can still walk them
 * (after a flush that began after they were unlinked). */
void npt_free_tables(void *list);
/*
 * Maps the largest leaf, up to max_level, that fits gfn -> mfn within n
 * frames where nothing is mapped yet; returns the frames mapped (0: something
 * is there already, or no memory for the tables).
 */
uint64_t npt_populate_one(struct p2m *p2m, gfn_t gfn, mfn_t mfn, uint64_t n, uint64_t bits,
                          int max_level);
/* Calls fn for every mapped frame, large leaves frame by frame. */
void npt_for_each(struct p2m *p2m, void (*fn)(void *ctx, gfn_t, mfn_t, enum p2m_type), void *ctx);
/* Frees every table, unlinked ones too (not the frames they map). */
void npt_free(struct p2m *p2m);

#endif
