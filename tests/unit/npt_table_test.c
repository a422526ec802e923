/*
 * The nested page table structure (hypervisor/arch/x86/svm/npt_table.c):
 * large leaves where both spaces are aligned, splitting them when one frame
 * changes, lookups and walks that see the same frames either way, the table
 * limit (a change that would pass it changes nothing), tables that empty
 * unlinked and freed only when asked, and every table freed. Tables come
 * from the C heap here (the hypervisor's are identity-mapped, so a pointer
 * stands for a physical address).
 */
#include "tests/lib/tap.h"

#include "hypervisor/arch/x86/svm/npt_table.c"

#include <stdlib.h>
#include <string.h>

static bool alloc_fails;
static long tables_live;

void *alloc_hv_pages(unsigned int order)
{
    if (alloc_fails)
        return NULL;
    void *p = aligned_alloc(PAGE_SIZE << order, PAGE_SIZE << order);
    if (p) {
        memset(p, 0, PAGE_SIZE << order);
        tables_live++;
    }
    return p;
}

void free_hv_pages(void *va, unsigned int order)
{
    if (va)
        tables_live--;
    free(va);
}

static struct p2m fresh(void)
{
    struct p2m p = { .root = alloc_hv_page(), .table_pages = 1, .max_table_pages = 1 << 20 };
    return p;
}

static bool maps(struct p2m *p, gfn_t gfn, mfn_t mfn, enum p2m_type t)
{
    int level;
    uint64_t *e = npt_lookup(p, gfn, &level);
    return e && (*e & PTE_P) && npt_entry_mfn(*e, level, gfn) == mfn && npt_entry_type(*e) == t;
}

static int level_of(struct p2m *p, gfn_t gfn)
{
    int level;
    uint64_t *e = npt_lookup(p, gfn, &level);
    return e && (*e & PTE_P) ? level : 0;
}

static uint64_t populate(struct p2m *p, gfn_t gfn, mfn_t mfn, uint64_t n, enum p2m_type t, int max_level)
{
    uint64_t done = 0;
    while (done < n) {
        uint64_t got = npt_populate_one(p, gfn + done, mfn + done, n - done, npt_leaf_bits(t), max_level);
        if (!got)
            break;
        done += got;
    }
    return done;
}

struct count { uint64_t frames, wrong; gfn_t gfn0; mfn_t mfn0; };

static void count_one(void *ctx, gfn_t gfn, mfn_t mfn, enum p2m_type t)
{
    struct count *c = ctx;
    c->frames++;
    if (mfn - c->mfn0 != gfn - c->gfn0 || t != P2M_RAM)
        c->wrong++;
}

int main(void)
{
    TAP_PLAN(20);
    /* Aligned on both sides: 2 MiB leaves in the middle, 4 KiB at the ends. */
    struct p2m p = fresh();
    uint64_t n = populate(&p, 1, 0x1001, 1100, P2M_RAM, 2);
    bool all = n == 1100;
    for (gfn_t g = 1; g < 1101; g++)
        all = all && maps(&p, g, g + 0x1000, P2M_RAM);
    CHECK("populate maps every frame of an unaligned run", all, "mapped %lu", n);
    CHECK("the aligned middle is one 2 MiB leaf", level_of(&p, 512) == 2 && level_of(&p, 1023) == 2,
          "levels %d %d", level_of(&p, 512), level_of(&p, 1023));
    CHECK("the ends are 4 KiB leaves", level_of(&p, 1) == 1 && level_of(&p, 511) == 1 &&
          level_of(&p, 1024) == 1 && level_of(&p, 1100) == 1, "levels %d %d %d %d", level_of(&p, 1),
          level_of(&p, 511), level_of(&p, 1024), level_of(&p, 1100));
    CHECK("beyond the run nothing is mapped", level_of(&p, 0) == 0 && level_of(&p, 1101) == 0, "mapped");
    CHECK("populate stops at what is mapped", populate(&p, 1000, 5, 10, P2M_RAM, 2) == 0 &&
          maps(&p, 1000, 1000 + 0x1000, P2M_RAM), "overwrote");

    /* gfn and mfn aligned differently: no large leaf is possible. */
    struct p2m q = fresh();
    n = populate(&q, 512, 513, 1024, P2M_RAM, 3);
    CHECK("misaligned frames get 4 KiB leaves", n == 1024 && level_of(&q, 512) == 1 && level_of(&q, 1535) == 1 &&
          maps(&q, 1000, 1001, P2M_RAM), "n %lu level %d", n, level_of(&q, 512));

    /* 1 GiB, and splitting it down to one frame. */
    struct p2m g = fresh();
    uint64_t gig = NPT_LEVEL_PAGES(3);
    n = populate(&g, gig, 3 * gig, gig, P2M_RAM, 3);
    CHECK("an aligned GiB is one leaf", n == gig && level_of(&g, gig) == 3 && g.table_pages == 2,
          "n %lu level %d tables %lu", n, level_of(&g, gig), g.table_pages);
    struct count c = { 0, 0, gig, 3 * gig };
    npt_for_each(&g, count_one, &c);
    CHECK("a walk sees every frame of a large leaf", c.frames == gig && !c.wrong, "frames %lu wrong %lu",
          c.frames, c.wrong);
    gfn_t mid = gig + 3 * 512 + 7;
    uint64_t *e = npt_entry_for_change(&g, mid);
    int level = 0;
    CHECK("splitting for a change reaches the frame's own entry",
          e && npt_lookup(&g, mid, &level) == e && level == 1 && g.table_pages == 4 &&
          level_of(&g, gig + 3 * 512) == 1 && level_of(&g, gig) == 2,
          "level %d tables %lu", level, g.table_pages);
    all = true;
    for (gfn_t x = gig; x < 2 * gig; x += 97)
        all = all && maps(&g, x, x + 2 * gig, P2M_RAM);
    CHECK("a split keeps every translation", all && maps(&g, mid, mid + 2 * gig, P2M_RAM), "changed");
    *e = 0;
    c = (struct count){ 0, 0, gig, 3 * gig };
    npt_for_each(&g, count_one, &c);
    CHECK("one frame removed from a split GiB", c.frames == gig - 1 && !c.wrong && level_of(&g, mid) == 0 &&
          maps(&g, mid + 1, mid + 1 + 2 * gig, P2M_RAM), "frames %lu", c.frames);

    /* Without 1 GiB leaves the same range takes 2 MiB ones. */
    struct p2m h = fresh();
    n = populate(&h, 0, 0, gig, P2M_MMIO, 2);
    CHECK("max level 2 maps a GiB with 2 MiB leaves", n == gig && level_of(&h, 0) == 2 &&
          level_of(&h, gig - 1) == 2 && maps(&h, 777, 777, P2M_MMIO), "level %d", level_of(&h, 0));

    /* Out of memory while splitting: nothing changes. */
    struct p2m k = fresh();
    populate(&k, 512, 512, 512, P2M_RAM, 2);
    uint64_t tables = k.table_pages;
    alloc_fails = true;
    e = npt_entry_for_change(&k, 600);
    alloc_fails = false;
    CHECK("a split without memory fails and keeps the leaf", !e && level_of(&k, 600) == 2 &&
          maps(&k, 600, 600, P2M_RAM) && k.table_pages == tables, "e %p level %d", (void *)e, level_of(&k, 600));

    /* The limit: a change that needs more tables changes nothing. */
    struct p2m l = fresh();
    l.max_table_pages = 3;
    long before = tables_live;
    e = npt_entry_for_change(&l, 5ULL << 27);
    CHECK("a change over the table limit fails whole", !e && l.table_pages == 1 && tables_live == before &&
          level_of(&l, 5ULL << 27) == 0, "e %p tables %lu", (void *)e, l.table_pages);
    CHECK("and populate too", populate(&l, 7ULL << 27, 0, 1, P2M_RAM, 2) == 0 && l.table_pages == 1 &&
          tables_live == before, "tables %lu", l.table_pages);
    l.max_table_pages = 4;
    e = npt_entry_for_change(&l, 5ULL << 27);
    CHECK("within it, it creates them all", e && l.table_pages == 4, "tables %lu", l.table_pages);

    /* Emptied tables are unlinked, and freed only when asked. */
    *e = (0x1234ULL << PAGE_SHIFT) | npt_leaf_bits(P2M_RAM);
    uint64_t *e2 = npt_entry_for_change(&l, (5ULL << 27) + 1);
    *e2 = (0x1235ULL << PAGE_SHIFT) | npt_leaf_bits(P2M_RAM);
    *e = 0;
    unsigned int pruned = npt_prune(&l, 5ULL << 27);
    CHECK("a table with a mapping left stays",
          pruned == 0 && l.table_pages == 4 && maps(&l, (5ULL << 27) + 1, 0x1235, P2M_RAM), "pruned %u", pruned);
    *e2 = 0;
    long live = tables_live;
    pruned = npt_prune(&l, (5ULL << 27) + 1);
    CHECK("the last mapping gone, its tables are unlinked up to the root", pruned == 3 && l.table_pages == 1 &&
          l.root[5] == 0 && tables_live == live && l.dead_tables, "pruned %u tables %lu", pruned, l.table_pages);
    void *dead = l.dead_tables;
    l.dead_tables = NULL;
    npt_free_tables(dead);
    CHECK("and freed when asked", tables_live == live - 3, "%ld live", tables_live - live);
    populate(&l, 9ULL << 27, 0, 1, P2M_RAM, 2);
    e = npt_entry_for_change(&l, 9ULL << 27);
    *e = 0;
    npt_prune(&l, 9ULL << 27);

    npt_free(&l);
    npt_free(&p);
    npt_free(&q);
    npt_free(&g);
    npt_free(&h);
    npt_free(&k);
    CHECK("every table is freed", tables_live == 0, "%ld tables left", tables_live);
    TAP_EXIT();
}
