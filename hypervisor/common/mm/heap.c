/*
 * The hypervisor heap: power-of-two size classes carved from whole pages,
 * larger requests straight from the page allocator. A page's class is kept
 * in its page_info, so xfree needs no header.
 */
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/spinlock.h>

#define MIN_CLASS_SHIFT 4   /* 16 bytes */
#define MAX_CLASS_SHIFT 11  /* 2048 bytes */
#define NR_CLASSES (MAX_CLASS_SHIFT - MIN_CLASS_SHIFT + 1)
#define CLASS_ORDER_BASE 0x80 /* page_info.order for a small-object page: base + class */

struct free_obj {
    struct free_obj *next;
};

static struct free_obj *free_lists[NR_CLASSES];
static spinlock_t heap_lock = SPINLOCK_INIT;
/* For leak checks: bytes handed out and not yet freed (whole size classes
 * and pages), and pages carved into small objects (kept for reuse). */
static uint64_t bytes_in_use, object_pages;

void heap_usage(uint64_t *bytes, uint64_t *pages)
{
    *bytes = __atomic_load_n(&bytes_in_use, __ATOMIC_RELAXED);
    *pages = __atomic_load_n(&object_pages, __ATOMIC_RELAXED);
}

static unsigned int class_of(size_t size)
{
    unsigned int c = 0;
    while ((1UL << (c + MIN_CLASS_SHIFT)) < size)
        c++;
    return c;
}

void *xmalloc(size_t size)
{
    if (size == 0)
        size = 1;
    if (size > (1UL << MAX_CLASS_SHIFT)) {
        unsigned int order = order_for_size(size);
        void *p = alloc_hv_pages(order);
        if (p) {
            mfn_to_page(virt_to_mfn(p))->flags |= PGF_HEAP;
            __atomic_add_fetch(&bytes_in_use, PAGE_SIZE << order, __ATOMIC_RELAXED);
        }
        return p;
    }

    unsigned int c = class_of(size);
    uint64_t flags = spin_lock_irqsave(&heap_lock);
    if (!free_lists[c]) {
        spin_unlock_irqrestore(&heap_lock, flags);
        char *page = alloc_hv_page();
        if (!page)
            return NULL;
        struct page_info *pg = mfn_to_page(virt_to_mfn(page));
        pg->flags |= PGF_HEAP;
        pg->order = CLASS_ORDER_BASE + c;
        size_t objsize = 1UL << (c + MIN_CLASS_SHIFT);
        __atomic_add_fetch(&object_pages, 1, __ATOMIC_RELAXED);
        flags = spin_lock_irqsave(&heap_lock);
        for (size_t off = 0; off < PAGE_SIZE; off += objsize) {
            struct free_obj *o = (struct free_obj *)(page + off);
            o->next = free_lists[c];
            free_lists[c] = o;
        }
    }
    struct free_obj *o = free_lists[c];
    free_lists[c] = o->next;
    __atomic_add_fetch(&bytes_in_use, 1UL << (c + MIN_CLASS_SHIFT), __ATOMIC_RELAXED);
    spin_unlock_irqrestore(&heap_lock, flags);
    return o;
}

void *xzalloc(size_t size)
{
    void *p = xmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void xfree(void *p)
{
    if (!p)
        return;
    struct page_info *pg = mfn_to_page(virt_to_mfn(p));
    BUG_ON(!(pg->flags & PGF_HEAP));
    if (pg->order < CLASS_ORDER_BASE) {
        BUG_ON(!IS_ALIGNED((uintptr_t)p, PAGE_SIZE));
        __atomic_sub_fetch(&bytes_in_use, PAGE_SIZE << pg->order, __ATOMIC_RELAXED);
        free_pages(virt_to_mfn(p), pg->order);
        return;
    }
    unsigned int c = pg->order - CLASS_ORDER_BASE;
    struct free_obj *o = p;
    uint64_t flags = spin_lock_irqsave(&heap_lock);
    o->next = free_lists[c];
    free_lists[c] = o;
    __atomic_sub_fetch(&bytes_in_use, 1UL << (c + MIN_CLASS_SHIFT), __ATOMIC_RELAXED);
    spin_unlock_irqrestore(&heap_lock, flags);
}
