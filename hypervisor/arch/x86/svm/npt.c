/*
 * The p2m interface over nested page tables (structure in npt_table.c):
 * locking, and making the domain's vCPUs drop translations that went away.
 */
#include <asm/npt.h>
#include <asm/page.h>
#include <asm/svm.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/sched.h>

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

void p2m_teardown(struct p2m *p2m)
{
    npt_free(p2m);
}

int p2m_set(struct domain *d, gfn_t gfn, mfn_t mfn, enum p2m_type t)
{
    struct p2m *p2m = &d->p2m;
    if (gfn >= MAX_GFN)
        return -EINVAL;
    int level;
    uint64_t flags = spin_lock_irqsave(&p2m->lock);
    uint64_t *e = npt_find(p2m, gfn, true, &level);
    if (!e) {
        spin_unlock_irqrestore(&p2m->lock, flags);
        return -ENOMEM;
    }
    bool replaced = *e & PTE_P;
    *e = (mfn << PAGE_SHIFT) | npt_leaf_bits(t);
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
    int max_level = svm_features.npt_1g_pages ? 3 : 2;
    uint64_t bits = npt_leaf_bits(t), done = 0;
    uint64_t flags = spin_lock_irqsave(&p2m->lock);
    while (done < n) {
        uint64_t got = npt_populate_one(p2m, gfn + done, mfn + done, n - done, bits, max_level);
        if (!got)
            break;
        done += got;
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
    int level;
    mfn_t mfn = INVALID_MFN;
    uint64_t flags = spin_lock_irqsave(&p2m->lock);
    uint64_t *e = npt_find(p2m, gfn, false, &level);
    if (e && level > 1)
        e = npt_find(p2m, gfn, true, &level); /* split down to gfn's own entry */
    if (e && (*e & PTE_P)) {
        mfn = npt_entry_mfn(*e, 1, gfn);
        if (old)
            *old = npt_entry_type(*e);
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
    int level;
    mfn_t mfn = INVALID_MFN;
    uint64_t flags = spin_lock_irqsave(&p2m->lock);
    uint64_t *e = npt_find(p2m, gfn, false, &level);
    if (e && (*e & PTE_P)) {
        mfn = npt_entry_mfn(*e, level, gfn);
        if (t)
            *t = npt_entry_type(*e);
    }
    spin_unlock_irqrestore(&p2m->lock, flags);
    return mfn;
}

struct for_each_ctx {
    struct domain *d;
    void (*fn)(struct domain *, gfn_t, mfn_t, enum p2m_type);
};

static void for_each_one(void *ctx, gfn_t gfn, mfn_t mfn, enum p2m_type t)
{
    struct for_each_ctx *c = ctx;
    c->fn(c->d, gfn, mfn, t);
}

void p2m_for_each(struct domain *d, void (*fn)(struct domain *, gfn_t, mfn_t, enum p2m_type))
{
    struct for_each_ctx c = { d, fn };
    npt_for_each(&d->p2m, for_each_one, &c);
}

void p2m_flush(struct domain *d)
{
    __atomic_add_fetch(&d->p2m.flush_gen, 1, __ATOMIC_SEQ_CST);
    sched_sync_domain(d);
}
