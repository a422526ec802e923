/*
 * Nested page tables as the p2m. Four levels of 4 KiB pages; the p2m type
 * lives in the software-available bits 52-55 of each leaf. Guest accesses
 * count as user accesses under NPT, so every level sets U.
 */
#include <asm/page.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/sched.h>

#define NPT_TABLE (PTE_P | PTE_W | PTE_U)
#define NPT_TYPE_SHIFT 52
#define NPT_TYPE_MASK (0xfULL << NPT_TYPE_SHIFT)
#define MAX_GFN (1ULL << (48 - PAGE_SHIFT))

int p2m_init(struct p2m *p2m)
{
    spin_lock_init(&p2m->lock);
    p2m->root = alloc_hv_page();
    if (!p2m->root)
        return -ENOMEM;
    p2m->root_pa = virt_to_phys(p2m->root);
    p2m->table_pages = 1;
    p2m->flush_gen = 0;
    return 0;
}

static void free_level(uint64_t *table, int level)
{
    if (level > 1)
        for (int i = 0; i < PT_ENTRIES; i++)
            if (table[i] & PTE_P)
                free_level(phys_to_virt(table[i] & PTE_ADDR_MASK), level - 1);
    free_hv_page(table);
}

void p2m_teardown(struct p2m *p2m)
{
    if (p2m->root)
        free_level(p2m->root, 4);
    p2m->root = NULL;
}

/* Finds the leaf entry for gfn, creating tables if asked. */
static uint64_t *leaf_entry(struct p2m *p2m, gfn_t gfn, bool create)
{
    uint64_t *table = p2m->root;
    uint64_t gpa = gfn << PAGE_SHIFT;
    for (int level = 4; level > 1; level--) {
        uint64_t *e = &table[PT_INDEX(gpa, level)];
        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            uint64_t *next = alloc_hv_page();
            if (!next)
                return NULL;
            p2m->table_pages++;
            *e = virt_to_phys(next) | NPT_TABLE;
        }
        table = phys_to_virt(*e & PTE_ADDR_MASK);
    }
    return &table[PT_INDEX(gpa, 1)];
}

static uint64_t leaf_bits(enum p2m_type t)
{
    uint64_t bits = PTE_P | PTE_U | PTE_W;
    if (t == P2M_MMIO)
        bits |= PTE_PCD | PTE_PWT;
    if (t == P2M_RAM_RO || t == P2M_GRANT_RO)
        bits &= ~PTE_W;
    return bits | ((uint64_t)t << NPT_TYPE_SHIFT);
}

int p2m_set(struct domain *d, gfn_t gfn, mfn_t mfn, enum p2m_type t)
{
    struct p2m *p2m = &d->p2m;
    if (gfn >= MAX_GFN)
        return -EINVAL;
    uint64_t flags = spin_lock_irqsave(&p2m->lock);
    uint64_t *e = leaf_entry(p2m, gfn, true);
    if (!e) {
        spin_unlock_irqrestore(&p2m->lock, flags);
        return -ENOMEM;
    }
    bool replaced = *e & PTE_P;
    *e = (mfn << PAGE_SHIFT) | leaf_bits(t);
    spin_unlock_irqrestore(&p2m->lock, flags);
    if (replaced)
        p2m_flush(d);
    return 0;
}

uint64_t p2m_populate_range(struct domain *d, gfn_t gfn, mfn_t mfn, uint64_t n, enum p2m_type t)
{
    struct p2m *p2m = &d->p2m;
    if (gfn >= MAX_GFN || n > MAX_GFN - gfn)
        return 0;
    uint64_t bits = leaf_bits(t), done = 0;
    uint64_t flags = spin_lock_irqsave(&p2m->lock);
    uint64_t *leaf = NULL;
    while (done < n) {
        gfn_t g = gfn + done;
        /* One walk per leaf table, not per page. */
        if (!leaf || !(g & (PT_ENTRIES - 1))) {
            leaf = leaf_entry(p2m, g, true);
            if (!leaf)
                break;
            leaf -= g & (PT_ENTRIES - 1);
        }
        uint64_t *e = &leaf[g & (PT_ENTRIES - 1)];
        if (*e & PTE_P)
            break;
        *e = ((mfn + done) << PAGE_SHIFT) | bits;
        done++;
    }
    spin_unlock_irqrestore(&p2m->lock, flags);
    return done;
}

mfn_t p2m_clear(struct domain *d, gfn_t gfn, enum p2m_type *old)
{
    struct p2m *p2m = &d->p2m;
    if (old)
        *old = P2M_NONE;
    if (gfn >= MAX_GFN)
        return INVALID_MFN;
    uint64_t flags = spin_lock_irqsave(&p2m->lock);
    uint64_t *e = leaf_entry(p2m, gfn, false);
    mfn_t mfn = INVALID_MFN;
    if (e && (*e & PTE_P)) {
        mfn = (*e & PTE_ADDR_MASK) >> PAGE_SHIFT;
        if (old)
            *old = (enum p2m_type)((*e & NPT_TYPE_MASK) >> NPT_TYPE_SHIFT);
        *e = 0;
    }
    spin_unlock_irqrestore(&p2m->lock, flags);
    if (mfn != INVALID_MFN)
        p2m_flush(d);
    return mfn;
}

mfn_t p2m_lookup(struct domain *d, gfn_t gfn, enum p2m_type *t)
{
    struct p2m *p2m = &d->p2m;
    if (t)
        *t = P2M_NONE;
    if (gfn >= MAX_GFN)
        return INVALID_MFN;
    uint64_t flags = spin_lock_irqsave(&p2m->lock);
    uint64_t *e = leaf_entry(p2m, gfn, false);
    mfn_t mfn = INVALID_MFN;
    if (e && (*e & PTE_P)) {
        mfn = (*e & PTE_ADDR_MASK) >> PAGE_SHIFT;
        if (t)
            *t = (enum p2m_type)((*e & NPT_TYPE_MASK) >> NPT_TYPE_SHIFT);
    }
    spin_unlock_irqrestore(&p2m->lock, flags);
    return mfn;
}

static void walk(struct domain *d, uint64_t *table, int level, gfn_t base,
                 void (*fn)(struct domain *, gfn_t, mfn_t, enum p2m_type))
{
    for (int i = 0; i < PT_ENTRIES; i++) {
        uint64_t e = table[i];
        if (!(e & PTE_P))
            continue;
        gfn_t gfn = base + ((gfn_t)i << (9 * (level - 1)));
        if (level == 1)
            fn(d, gfn, (e & PTE_ADDR_MASK) >> PAGE_SHIFT,
               (enum p2m_type)((e & NPT_TYPE_MASK) >> NPT_TYPE_SHIFT));
        else
            walk(d, phys_to_virt(e & PTE_ADDR_MASK), level - 1, gfn, fn);
    }
}

void p2m_for_each(struct domain *d, void (*fn)(struct domain *, gfn_t, mfn_t, enum p2m_type))
{
    walk(d, d->p2m.root, 4, 0, fn);
}

void p2m_flush(struct domain *d)
{
    __atomic_add_fetch(&d->p2m.flush_gen, 1, __ATOMIC_SEQ_CST);
    sched_sync_domain(d);
}
