/*
 * Nested page table structure: four levels; a run of frames aligned and
 * contiguous in both spaces is mapped with one 2 MiB or 1 GiB leaf, which
 * shortens every nested walk (an emulator's as much as a CPU's). Changing one
 * frame inside a large leaf first splits it into 512 smaller leaves. The p2m
 * type lives in the software-available bits 52-55 of each leaf. Guest
 * accesses count as user accesses under NPT, so every level sets U.
 *
 * Table pages are the domain's charge: a change that needs more than
 * p2m->max_table_pages fails, and it allocates every table it needs before
 * it links any, so it happens whole or not at all. A table that empties is
 * unlinked at once but freed only after the next flush (npt_free_tables):
 * until then a CPU may still walk through it.
 */
#include <asm/npt.h>
#include <asm/page.h>
#include <basalt/mm.h>

#define NPT_TABLE (PTE_P | PTE_W | PTE_U)
#define NPT_TYPE_SHIFT 52
#define NPT_TYPE_MASK (0xfULL << NPT_TYPE_SHIFT)

uint64_t npt_leaf_bits(enum p2m_type t)
{
    uint64_t bits = PTE_P | PTE_U | PTE_W;
    if (t == P2M_MMIO)
        bits |= PTE_PCD | PTE_PWT;
    if (t == P2M_RAM_RO || t == P2M_GRANT_RO)
        bits &= ~PTE_W;
    return bits | ((uint64_t)t << NPT_TYPE_SHIFT);
}

enum p2m_type npt_entry_type(uint64_t e)
{
    return (enum p2m_type)((e & NPT_TYPE_MASK) >> NPT_TYPE_SHIFT);
}

mfn_t npt_entry_mfn(uint64_t e, int level, gfn_t gfn)
{
    return ((e & PTE_ADDR_MASK) >> PAGE_SHIFT) + (gfn & (NPT_LEVEL_PAGES(level) - 1));
}

static bool is_table(uint64_t e, int level)
{
    return level > 1 && (e & PTE_P) && !(e & PTE_PS);
}

static uint64_t *child(uint64_t e)
{
    return phys_to_virt(e & PTE_ADDR_MASK);
}

/* The tables one change needs (at most one per level below the root). */
struct table_stock {
    uint64_t *t[3];
    int n;
};

static bool stock_up(struct p2m *p2m, int need, struct table_stock *s)
{
    s->n = 0;
    if (p2m->table_pages + (uint64_t)need > p2m->max_table_pages)
        return false;
    while (s->n < need) {
        uint64_t *t = alloc_hv_page();
        if (!t) {
            while (s->n)
                free_hv_page(s->t[--s->n]);
            return false;
        }
        s->t[s->n++] = t;
    }
    return true;
}

static uint64_t *take(struct p2m *p2m, struct table_stock *s)
{
    p2m->table_pages++;
    return s->t[--s->n];
}

/* Same frames and type one level down: the translations do not change, so
 * nothing needs flushing until one of the new leaves does. */
static void split(uint64_t *e, int level, uint64_t *t)
{
    uint64_t large = *e;
    uint64_t step = NPT_LEVEL_PAGES(level - 1) << PAGE_SHIFT;
    uint64_t bits = large & ~PTE_ADDR_MASK;
    if (level - 1 == 1)
        bits &= ~PTE_PS;
    for (int i = 0; i < PT_ENTRIES; i++)
        t[i] = ((large & PTE_ADDR_MASK) + i * step) | bits;
    __atomic_store_n(e, virt_to_phys(t) | NPT_TABLE, __ATOMIC_RELEASE);
}

uint64_t *npt_lookup(struct p2m *p2m, gfn_t gfn, int *level_out)
{
    uint64_t *table = p2m->root;
    uint64_t gpa = gfn << PAGE_SHIFT;
    for (int level = 4; level >= 1; level--) {
        uint64_t *e = &table[PT_INDEX(gpa, level)];
        if (!(*e & PTE_P))
            return NULL;
        if (level == 1 || (*e & PTE_PS)) {
            *level_out = level;
            return e;
        }
        table = child(*e);
    }
    return NULL;
}

uint64_t *npt_entry_for_change(struct p2m *p2m, gfn_t gfn)
{
    uint64_t gpa = gfn << PAGE_SHIFT;
    /* Every level from the first missing table or large leaf down needs a
     * new table. */
    int need = 0;
    uint64_t *table = p2m->root;
    for (int level = 4; level > 1; level--) {
        uint64_t e = table[PT_INDEX(gpa, level)];
        if (!is_table(e, level)) {
            need = level - 1;
            break;
        }
        table = child(e);
    }
    struct table_stock s;
    if (!stock_up(p2m, need, &s))
        return NULL;
    table = p2m->root;
    for (int level = 4; level > 1; level--) {
        uint64_t *e = &table[PT_INDEX(gpa, level)];
        if (!(*e & PTE_P))
            *e = virt_to_phys(take(p2m, &s)) | NPT_TABLE;
        else if (*e & PTE_PS)
            split(e, level, take(p2m, &s));
        table = child(*e);
    }
    return &table[PT_INDEX(gpa, 1)];
}

static bool table_empty(const uint64_t *t)
{
    for (int i = 0; i < PT_ENTRIES; i++)
        if (t[i] & PTE_P)
            return false;
    return true;
}

unsigned int npt_prune(struct p2m *p2m, gfn_t gfn)
{
    uint64_t gpa = gfn << PAGE_SHIFT;
    uint64_t *path[5] = { NULL };
    uint64_t *table = p2m->root;
    int level;
    for (level = 4; level > 1; level--) {
        uint64_t *e = &table[PT_INDEX(gpa, level)];
        if (!is_table(*e, level))
            break;
        path[level] = e;
        table = child(*e);
    }
    unsigned int freed = 0;
    for (level = 2; level <= 4 && path[level]; level++) {
        uint64_t *t = child(*path[level]);
        if (!table_empty(t))
            break;
        __atomic_store_n(path[level], 0, __ATOMIC_RELEASE);
        /* Linked through its first entry: a page-aligned pointer has the
         * present bit clear, so a walk that still reaches it finds nothing. */
        *(void **)t = p2m->dead_tables;
        p2m->dead_tables = t;
        p2m->table_pages--;
        freed++;
    }
    return freed;
}

void npt_free_tables(void *list)
{
    while (list) {
        void *next = *(void **)list;
        *(void **)list = NULL;
        free_hv_page(list);
        list = next;
    }
}

uint64_t npt_populate_one(struct p2m *p2m, gfn_t gfn, mfn_t mfn, uint64_t n, uint64_t bits,
                          int max_level)
{
    uint64_t gpa = gfn << PAGE_SHIFT;
    /* Find how deep the leaf goes and how many new tables that takes. */
    uint64_t *table = p2m->root;
    bool existing = true;
    int need = 0, leaf_level;
    for (leaf_level = 4; leaf_level >= 1; leaf_level--) {
        uint64_t pages = NPT_LEVEL_PAGES(leaf_level);
        bool fits = leaf_level <= max_level && leaf_level < 4 && !(gfn & (pages - 1)) &&
                    !(mfn & (pages - 1)) && n >= pages;
        if (existing) {
            uint64_t e = table[PT_INDEX(gpa, leaf_level)];
            if (e & PTE_P) {
                if (!is_table(e, leaf_level))
                    return 0; /* mapped already */
                table = child(e);
                continue;
            }
            existing = false;
        }
        if (fits || leaf_level == 1)
            break;
        need++;
    }
    struct table_stock s;
    if (!stock_up(p2m, need, &s))
        return 0;
    table = p2m->root;
    for (int level = 4; level > leaf_level; level--) {
        uint64_t *e = &table[PT_INDEX(gpa, level)];
        if (!(*e & PTE_P))
            *e = virt_to_phys(take(p2m, &s)) | NPT_TABLE;
        table = child(*e);
    }
    table[PT_INDEX(gpa, leaf_level)] = (mfn << PAGE_SHIFT) | bits | (leaf_level > 1 ? PTE_PS : 0);
    return NPT_LEVEL_PAGES(leaf_level);
}

static void walk(uint64_t *table, int level, gfn_t base,
                 void (*fn)(void *, gfn_t, mfn_t, enum p2m_type), void *ctx)
{
    for (int i = 0; i < PT_ENTRIES; i++) {
        uint64_t e = table[i];
        gfn_t gfn = base + (gfn_t)i * NPT_LEVEL_PAGES(level);
        if (is_table(e, level))
            walk(child(e), level - 1, gfn, fn, ctx);
        else if (e & PTE_P)
            for (uint64_t j = 0; j < NPT_LEVEL_PAGES(level); j++)
                fn(ctx, gfn + j, npt_entry_mfn(e, level, gfn + j), npt_entry_type(e));
    }
}

void npt_for_each(struct p2m *p2m, void (*fn)(void *, gfn_t, mfn_t, enum p2m_type), void *ctx)
{
    walk(p2m->root, 4, 0, fn, ctx);
}

static void free_level(uint64_t *table, int level)
{
    for (int i = 0; i < PT_ENTRIES; i++)
        if (is_table(table[i], level))
            free_level(child(table[i]), level - 1);
    free_hv_page(table);
}

void npt_free(struct p2m *p2m)
{
    if (p2m->root)
        free_level(p2m->root, 4);
    p2m->root = NULL;
    npt_free_tables(p2m->dead_tables);
    p2m->dead_tables = NULL;
    p2m->table_pages = 0;
}
