/*
 * Buddy allocator over the frame table. Free blocks are linked through their
 * own first bytes (they are free memory, reachable through the direct map),
 * so a page_info stays 8 bytes.
 */
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/spinlock.h>

struct page_info *frame_table;
mfn_t max_mfn;

struct free_block {
    struct free_block *next, *prev;
};

struct zone {
    spinlock_t lock;
    struct free_block *free[MAX_ORDER + 1];
    uint64_t free_pages, total_pages;
};

static struct zone zones[NR_ZONES];

void frame_table_init(void)
{
    max_mfn = mm_ram_top() >> PAGE_SHIFT;
    uint64_t bytes = max_mfn * sizeof(struct page_info);
    frame_table = phys_to_virt(mm_early_alloc(bytes, PAGE_SIZE, ~0ULL));
    for (mfn_t m = 0; m < max_mfn; m++)
        frame_table[m].owner = OWNER_NONE;
}

static void list_push(struct zone *z, unsigned int order, mfn_t mfn)
{
    struct free_block *b = mfn_to_virt(mfn);
    b->prev = NULL;
    b->next = z->free[order];
    if (b->next)
        b->next->prev = b;
    z->free[order] = b;
    struct page_info *pg = mfn_to_page(mfn);
    pg->flags |= PGF_FREE;
    pg->order = order;
}

static void list_remove(struct zone *z, unsigned int order, mfn_t mfn)
{
    struct free_block *b = mfn_to_virt(mfn);
    if (b->prev)
        b->prev->next = b->next;
    else
        z->free[order] = b->next;
    if (b->next)
        b->next->prev = b->prev;
    mfn_to_page(mfn)->flags &= ~PGF_FREE;
}

static void free_block_locked(struct zone *z, mfn_t mfn, unsigned int order)
{
    ASSERT_LOCKED(&z->lock);
    uint8_t zone_flag = mfn_to_page(mfn)->flags & PGF_ZONE_POOL;
    while (order < MAX_ORDER) {
        mfn_t buddy = mfn ^ (1ULL << order);
        if (buddy >= max_mfn)
            break;
        struct page_info *bp = mfn_to_page(buddy);
        if (!(bp->flags & PGF_FREE) || bp->order != order ||
            (bp->flags & PGF_ZONE_POOL) != zone_flag)
            break;
        list_remove(z, order, buddy);
        mfn &= ~(1ULL << order);
        order++;
    }
    list_push(z, order, mfn);
}

void zone_add_range(paddr_t start, paddr_t end, enum zone_id zid)
{
    struct zone *z = &zones[zid];
    mfn_t s = start >> PAGE_SHIFT, e = end >> PAGE_SHIFT;
    for (mfn_t m = s; m < e; m++) {
        struct page_info *pg = mfn_to_page(m);
        pg->flags = PGF_ALLOCATOR | PGF_UNALLOCATED | (zid == ZONE_POOL ? PGF_ZONE_POOL : 0);
        pg->owner = OWNER_NONE;
    }
    uint64_t flags = spin_lock_irqsave(&z->lock);
    /* Largest aligned blocks first. */
    while (s < e) {
        unsigned int order = 0;
        while (order < MAX_ORDER && !(s & (1ULL << order)) && s + (2ULL << order) <= e)
            order++;
        free_block_locked(z, s, order);
        s += 1ULL << order;
    }
    z->free_pages += e - (start >> PAGE_SHIFT);
    z->total_pages += e - (start >> PAGE_SHIFT);
    spin_unlock_irqrestore(&z->lock, flags);
}

mfn_t alloc_pages(enum zone_id zid, unsigned int order)
{
    struct zone *z = &zones[zid];
    uint64_t flags = spin_lock_irqsave(&z->lock);
    unsigned int o = order;
    while (o <= MAX_ORDER && !z->free[o])
        o++;
    if (o > MAX_ORDER) {
        spin_unlock_irqrestore(&z->lock, flags);
        return INVALID_MFN;
    }
    mfn_t mfn = virt_to_mfn(z->free[o]);
    list_remove(z, o, mfn);
    while (o > order) {
        o--;
        list_push(z, o, mfn + (1ULL << o));
    }
    struct page_info *pg = mfn_to_page(mfn);
    pg->order = order;
    for (mfn_t m = mfn; m < mfn + (1ULL << order); m++)
        mfn_to_page(m)->flags &= ~PGF_UNALLOCATED;
    z->free_pages -= 1ULL << order;
    spin_unlock_irqrestore(&z->lock, flags);
    return mfn;
}

/* A page freed twice would be handed out twice (to two domains, or to a
 * domain and the hypervisor): every page of the block is checked. */
void free_pages(mfn_t mfn, unsigned int order)
{
    struct page_info *pg = mfn_to_page(mfn);
    BUG_ON(!(pg->flags & PGF_ALLOCATOR));
    struct zone *z = &zones[pg->flags & PGF_ZONE_POOL ? ZONE_POOL : ZONE_HV];
    uint64_t flags = spin_lock_irqsave(&z->lock);
    for (mfn_t m = mfn; m < mfn + (1ULL << order); m++) {
        if (mfn_to_page(m)->flags & PGF_UNALLOCATED) {
            spin_unlock_irqrestore(&z->lock, flags);
            panic("page %#lx freed twice", m);
        }
    }
    for (mfn_t m = mfn; m < mfn + (1ULL << order); m++) {
        struct page_info *p = mfn_to_page(m);
        p->owner = OWNER_NONE;
        p->flags = (p->flags & ~PGF_HEAP) | PGF_UNALLOCATED;
    }
    free_block_locked(z, mfn, order);
    z->free_pages += 1ULL << order;
    spin_unlock_irqrestore(&z->lock, flags);
}

uint64_t zone_free_pages(enum zone_id z) { return zones[z].free_pages; }
uint64_t zone_total_pages(enum zone_id z) { return zones[z].total_pages; }

void *alloc_hv_pages(unsigned int order)
{
    mfn_t mfn = alloc_pages(ZONE_HV, order);
    if (mfn == INVALID_MFN)
        return NULL;
    for (mfn_t m = mfn; m < mfn + (1ULL << order); m++)
        mfn_to_page(m)->owner = OWNER_HV;
    void *va = mfn_to_virt(mfn);
    memset(va, 0, PAGE_SIZE << order);
    return va;
}

void free_hv_pages(void *va, unsigned int order)
{
    if (va)
        free_pages(virt_to_mfn(va), order);
}

unsigned int order_for_size(uint64_t bytes)
{
    unsigned int order = 0;
    while ((PAGE_SIZE << order) < bytes)
        order++;
    return order;
}

/* Serializes reference counts against a page's owner going away. */
static spinlock_t page_ref_lock = SPINLOCK_INIT;

void page_get(mfn_t mfn)
{
    uint64_t flags = spin_lock_irqsave(&page_ref_lock);
    mfn_to_page(mfn)->refs++;
    spin_unlock_irqrestore(&page_ref_lock, flags);
}

void page_put(mfn_t mfn)
{
    struct page_info *pg = mfn_to_page(mfn);
    uint64_t flags = spin_lock_irqsave(&page_ref_lock);
    BUG_ON(!pg->refs);
    bool free = --pg->refs == 0 && pg->owner == OWNER_ORPHAN;
    if (free)
        pg->owner = OWNER_NONE;
    spin_unlock_irqrestore(&page_ref_lock, flags);
    if (free)
        free_pages(mfn, 0);
}

void page_release(mfn_t mfn)
{
    struct page_info *pg = mfn_to_page(mfn);
    if (!(pg->flags & PGF_ALLOCATOR))
        return; /* Dom0's 1:1 memory: stays Dom0's, merely unmapped */
    uint64_t flags = spin_lock_irqsave(&page_ref_lock);
    bool free = pg->refs == 0;
    pg->owner = free ? OWNER_NONE : OWNER_ORPHAN;
    spin_unlock_irqrestore(&page_ref_lock, flags);
    if (free)
        free_pages(mfn, 0);
}
