/*
 * Physical memory: a frame table with one entry per machine page, and buddy
 * allocators for two zones: the hypervisor's own memory and the pool from
 * which DomU memory comes. Dom0's RAM (mapped 1:1) belongs to neither.
 */
#ifndef BASALT_MM_H
#define BASALT_MM_H

#include <basalt/types.h>
#include <basalt/boot.h>

#define MAX_ORDER 20 /* 4 GiB blocks */

enum zone_id { ZONE_HV = 0, ZONE_POOL = 1, NR_ZONES = 2 };

/* page_info.flags */
#define PGF_FREE      0x01 /* head of a free buddy block */
#define PGF_ALLOCATOR 0x02 /* managed by a zone (free or allocated) */
#define PGF_HEAP      0x04 /* part of a heap allocation; order says which */
#define PGF_ZONE_POOL 0x08 /* belongs to ZONE_POOL (else ZONE_HV) */
#define PGF_UNALLOCATED 0x10 /* any page of a free block: freeing it again is a bug */

/* page_info.owner for frames not owned by a domain */
#define OWNER_NONE 0xffff
#define OWNER_HV   0xfff0
#define OWNER_ORPHAN 0xfff1 /* its domain is gone but someone still maps it */

struct page_info {
    uint16_t owner;    /* domain id, or OWNER_* */
    uint8_t order;     /* buddy order of the block this page heads */
    uint8_t flags;
    uint32_t refs;     /* foreign/grant mappings of a domain page */
};

extern struct page_info *frame_table;
extern mfn_t max_mfn;

static inline struct page_info *mfn_to_page(mfn_t mfn) { return &frame_table[mfn]; }
static inline mfn_t page_to_mfn(const struct page_info *pg) { return pg - frame_table; }
static inline void *mfn_to_virt(mfn_t mfn) { return (void *)(uintptr_t)(mfn << PAGE_SHIFT); }
static inline void *phys_to_virt(paddr_t pa) { return (void *)(uintptr_t)pa; }
static inline paddr_t virt_to_phys(const void *va) { return (paddr_t)(uintptr_t)va; }
static inline mfn_t virt_to_mfn(const void *va) { return virt_to_phys(va) >> PAGE_SHIFT; }

#define INVALID_MFN (~0ULL)

/* Boot: build the free-range list, the direct map and the frame table. */
void mm_init(void);
/* Boot: hand the remaining free ranges to the zones (after Dom0 carved its RAM). */
void mm_populate_zones(void);
/* Boot: takes [start, end) out of the free ranges; false if not all of it was free RAM. */
bool mm_claim_range(paddr_t start, paddr_t end);
/* Boot: gives [start, end) back to the free ranges (e.g. a module that moved). */
void mm_release_range(paddr_t start, paddr_t end);
/* Boot: the free ranges, ascending; returns how many were copied. */
struct mem_range;
unsigned int mm_free_ranges(struct mem_range *out, unsigned int max);
/* Boot: carves size bytes, aligned, from free RAM below limit (highest first). */
paddr_t mm_early_alloc(uint64_t size, uint64_t align, paddr_t limit);
/* True if [start, end) lies wholly inside RAM reported by the loader. */
bool mm_is_ram(paddr_t start, paddr_t end);
/* End of the highest RAM range the loader reported. */
paddr_t mm_ram_top(void);

/* Zone allocator. Returns INVALID_MFN on failure. */
mfn_t alloc_pages(enum zone_id z, unsigned int order);
void free_pages(mfn_t mfn, unsigned int order);
uint64_t zone_free_pages(enum zone_id z);
uint64_t zone_total_pages(enum zone_id z);

/* Mapping references on a domain's page (grant and foreign maps). */
void page_get(mfn_t mfn);
/* Drops one; frees an orphaned page with the last one. */
void page_put(mfn_t mfn);
/* The owner lets go of the page: freed now, or orphaned until its last put. */
void page_release(mfn_t mfn);

/* Hypervisor pages (zeroed). */
void *alloc_hv_pages(unsigned int order);
static inline void *alloc_hv_page(void) { return alloc_hv_pages(0); }
void free_hv_pages(void *va, unsigned int order);
static inline void free_hv_page(void *va) { free_hv_pages(va, 0); }

/* Heap. */
void *xmalloc(size_t size);
void *xzalloc(size_t size);
void xfree(void *p);
#define xnew(type) ((type *)xzalloc(sizeof(type)))
#define xnew_array(type, n) ((type *)xzalloc(sizeof(type) * (n)))

unsigned int order_for_size(uint64_t bytes);

/* Maps [pa, pa+size) uncached for device registers; returns its address. */
void *ioremap(paddr_t pa, size_t size);

#endif
