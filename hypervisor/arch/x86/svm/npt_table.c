/*
 * Nested page table structure: four levels; a run of frames aligned and
 * contiguous in both spaces is mapped with one 2 MiB or 1 GiB leaf, which
 * shortens every nested walk (an emulator's as much as a CPU's). Changing one
 * frame inside a large leaf first splits it into 512 smaller leaves. The p2m
 * type lives in the software-available bits 52-55 of each leaf. Guest
 * accesses count as user accesses under NPT, so every level sets U.
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

static uint64_t *new_table(struct p2m *p2m, uint64_t *e)
{
    uint64_t *t = alloc_hv_page();
    if (t) {
        p2m->table_pages++;
        *e = virt_to_phys(t) | NPT_TABLE;
    }
    return t;
}

/* Same frames and type one level down: the translations do not change, so
 * nothing needs flushing until one of the new leaves does. */
static bool split(struct p2m *p2m, uint64_t *e, int level)
{
    uint64_t large = *e;
    uint64_t step = NPT_LEVEL_PAGES(level - 1) << PAGE_SHIFT;
    uint64_t bits = large & ~PTE_ADDR_MASK;
    if (level - 1 == 1)
        bits &= ~PTE_PS;
    uint64_t *t = alloc_hv_page();
    if (!t)
        return false;
    p2m->table_pages++;
    for (int i = 0; i < PT_ENTRIES; i++)
        t[i] = ((large & PTE_ADDR_MASK) + i * step) | bits;
    __atomic_store_n(e, virt_to_phys(t) | NPT_TABLE, __ATOMIC_RELEASE);
    return true;
}

uint64_t *npt_find(struct p2m *p2m, gfn_t gfn, bool for_change, int *level_out)
{
    uint64_t *table = p2m->root;
    uint64_t gpa = gfn << PAGE_SHIFT;
    for (int level = 4; level > 1; level--) {
        uint64_t *e = &table[PT_INDEX(gpa, level)];
        if (!(*e & PTE_P)) {
            if (!for_change || !new_table(p2m, e))
                return NULL;
        } else if (*e & PTE_PS) {
            if (!for_change) {
                *level_out = level;
                return e;
            }
            if (!split(p2m, e, level))
                return NULL;
        }
        table = phys_to_virt(*e & PTE_ADDR_MASK);
    }
    *level_out = 1;
    return &table[PT_INDEX(gpa, 1)];
}

uint64_t npt_populate_one(struct p2m *p2m, gfn_t gfn, mfn_t mfn, uint64_t n, uint64_t bits,
                          int max_level)
{
    uint64_t *table = p2m->root;
    uint64_t gpa = gfn << PAGE_SHIFT;
    for (int level = 4; level >= 1; level--) {
        uint64_t *e = &table[PT_INDEX(gpa, level)];
        uint64_t pages = NPT_LEVEL_PAGES(level);
        bool fits = level <= max_level && level < 4 && !(gfn & (pages - 1)) &&
                    !(mfn & (pages - 1)) && n >= pages;
        if (!(*e & PTE_P) && fits) {
            *e = (mfn << PAGE_SHIFT) | bits | (level > 1 ? PTE_PS : 0);
            return pages;
        }
        if (level == 1 || ((*e & PTE_P) && !is_table(*e, level)))
            return 0; /* mapped already */
        if (!(*e & PTE_P) && !new_table(p2m, e))
            return 0;
        table = phys_to_virt(*e & PTE_ADDR_MASK);
    }
    return 0;
}

static void walk(uint64_t *table, int level, gfn_t base,
                 void (*fn)(void *, gfn_t, mfn_t, enum p2m_type), void *ctx)
{
    for (int i = 0; i < PT_ENTRIES; i++) {
        uint64_t e = table[i];
        gfn_t gfn = base + (gfn_t)i * NPT_LEVEL_PAGES(level);
        if (is_table(e, level))
            walk(phys_to_virt(e & PTE_ADDR_MASK), level - 1, gfn, fn, ctx);
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
            free_level(phys_to_virt(table[i] & PTE_ADDR_MASK), level - 1);
    free_hv_page(table);
}

void npt_free(struct p2m *p2m)
{
    if (p2m->root)
        free_level(p2m->root, 4);
    p2m->root = NULL;
}
