/*
 * The p2m interface over nested page tables (structure in npt_table.c):
 * locking, the table charge and its limit, and making the domain's vCPUs
 * drop translations that went away. Every change is an exchange under the
 * p2m lock that says what it replaced, so that exactly one caller releases
 * what a mapping pointed to.
 */
#include <asm/npt.h>
#include <asm/page.h>
#include <asm/svm.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/sched.h>

#define MAX_GFN (1ULL << (48 - PAGE_SHIFT))

static const struct p2m_entry no_entry = { INVALID_MFN, P2M_NONE };

int p2m_init(struct p2m *p2m)
{
    spin_lock_init(&p2m->lock);
    p2m->root = alloc_hv_page();
    if (!p2m->root)
        return -ENOMEM;
    p2m->root_pa = virt_to_phys(p2m->root);
    p2m->table_pages = 1;
    p2m->max_table_pages = P2M_BASE_TABLES;
    p2m->dead_tables = NULL;
    p2m->flush_gen = 0;
    return 0;
}

void p2m_teardown(struct p2m *p2m)
{
    npt_free(p2m);
}

/*
 * Twice what mapping all of the domain's RAM with 4 KiB leaves takes, on top
 * of a base for special pages and grant mappings. The privileged domain maps
 * other domains' memory too (foreign mappings), so it may map all of it.
 */
static uint64_t table_limit(struct domain *d)
{
    uint64_t pages = d->is_privileged ? max_mfn : MIN(d->max_pages, zone_total_pages(ZONE_POOL));
    return P2M_BASE_TABLES + pages / (PT_ENTRIES / 4);
}

static struct p2m_entry entry_at(struct p2m *p2m, gfn_t gfn)
{
    int level;
    uint64_t *e = npt_lookup(p2m, gfn, &level);
    if (!e)
        return no_entry;
    return (struct p2m_entry){ npt_entry_mfn(*e, level, gfn), npt_entry_type(*e) };
}

int p2m_exchange(struct domain *d, gfn_t gfn, unsigned int expect, mfn_t expect_mfn,
                 struct p2m_entry new, struct p2m_entry *old, bool *flush)
{
    struct p2m *p2m = &d->p2m;
    *old = no_entry;
    if (gfn >= MAX_GFN)
        return -EINVAL;
    uint64_t now = new.t == P2M_NONE ? 0 : (new.mfn << PAGE_SHIFT) | npt_leaf_bits(new.t);
    bool dropped = false;
    int rc = 0;
    uint64_t flags = spin_lock_irqsave(&p2m->lock);
    p2m->max_table_pages = table_limit(d);
    *old = entry_at(p2m, gfn);
    if (!(expect & P2M_TYPE(old->t)) || (expect_mfn != INVALID_MFN && old->mfn != expect_mfn)) {
        rc = -EBUSY;
    } else if (old->t != P2M_NONE || now) {
        uint64_t *e = npt_entry_for_change(p2m, gfn);
        if (!e) {
            rc = -ENOMEM;
        } else {
            uint64_t was = *e;
            __atomic_store_n(e, now, __ATOMIC_RELEASE);
            dropped = (was & PTE_P) && was != now;
            if (!now)
                npt_prune(p2m, gfn);
        }
    }
    spin_unlock_irqrestore(&p2m->lock, flags);
    if (dropped && flush)
        *flush = true;
    else if (dropped)
        p2m_flush(d);
    return rc;
}

uint64_t p2m_populate_range(struct domain *d, gfn_t gfn, mfn_t mfn, uint64_t n, enum p2m_type t)
{
    struct p2m *p2m = &d->p2m;
    if (gfn >= MAX_GFN || n > MAX_GFN - gfn)
        return 0;
    int max_level = svm_features.npt_1g_pages ? 3 : 2;
    uint64_t bits = npt_leaf_bits(t), done = 0;
    uint64_t flags = spin_lock_irqsave(&p2m->lock);
    p2m->max_table_pages = table_limit(d);
    while (done < n) {
        uint64_t got = npt_populate_one(p2m, gfn + done, mfn + done, n - done, bits, max_level);
        if (!got)
            break;
        done += got;
    }
    spin_unlock_irqrestore(&p2m->lock, flags);
    return done;
}

mfn_t p2m_lookup(struct domain *d, gfn_t gfn, enum p2m_type *t)
{
    struct p2m *p2m = &d->p2m;
    struct p2m_entry e = no_entry;
    if (gfn < MAX_GFN) {
        uint64_t flags = spin_lock_irqsave(&p2m->lock);
        e = entry_at(p2m, gfn);
        spin_unlock_irqrestore(&p2m->lock, flags);
    }
    if (t)
        *t = e.t;
    return e.mfn;
}

/* Whether the page an entry of d's maps is what its type says (so that a
 * reference on it means something); called with the p2m lock held. */
static bool page_as_mapped(struct domain *d, struct p2m_entry e)
{
    if (e.mfn >= max_mfn)
        return false;
    uint16_t owner = mfn_to_page(e.mfn)->owner;
    switch (e.t) {
    case P2M_RAM:
    case P2M_RAM_RO:
        return owner == d->id;
    case P2M_GRANT:
    case P2M_GRANT_RO:
    case P2M_FOREIGN:
        /* The mapping holds a reference of its own until its entry goes:
         * another domain's page, or orphaned, but allocated. */
        return owner != OWNER_NONE && owner != OWNER_HV;
    case P2M_SPECIAL:
        return owner == OWNER_HV;
    default:
        return false; /* device space has no page to hold */
    }
}

mfn_t p2m_get_page(struct domain *d, gfn_t gfn, unsigned int types, enum p2m_type *t)
{
    struct p2m *p2m = &d->p2m;
    struct p2m_entry e = no_entry;
    if (gfn < MAX_GFN) {
        uint64_t flags = spin_lock_irqsave(&p2m->lock);
        e = entry_at(p2m, gfn);
        if ((types & P2M_TYPE(e.t)) && page_as_mapped(d, e))
            page_get(e.mfn); /* a removal takes this lock too: it sees the reference */
        else
            e = no_entry;
        spin_unlock_irqrestore(&p2m->lock, flags);
    }
    if (t)
        *t = e.t;
    return e.mfn;
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
    ASSERT_MAY_WAIT();
    struct p2m *p2m = &d->p2m;
    uint64_t flags = spin_lock_irqsave(&p2m->lock);
    void *dead = p2m->dead_tables; /* unlinked before this flush began */
    p2m->dead_tables = NULL;
    __atomic_add_fetch(&p2m->flush_gen, 1, __ATOMIC_SEQ_CST);
    spin_unlock_irqrestore(&p2m->lock, flags);
    sched_sync_domain(d);
    npt_free_tables(dead);
}
