/*
 * Grant mappings and copies (common/grant_map.c), foreign mappings
 * (common/foreign_map.c): a backend domain maps a frontend's grant and the
 * pin counts, the grant entry's flags, the page's references, the maptrack
 * and the backend's p2m stay in step; also when the backend unmaps from two
 * vCPUs at once, maps twice at once, or the frontend balloons the frame out
 * meanwhile (every interleaving at lock granularity).
 */
#include "tests/lib/tap.h"
#include "tests/unit/hv/host.h"

#include "hypervisor/common/grant_map.c"

#include <basalt/shared_info.h>
#include <stdio.h>
#include <xen/memory.h>

#define F 0x500      /* the frontend's granted frame */
#define REF 9
#define G1 0x80000   /* where the backend maps it */
#define G2 0x80001
#define G3 0x80002

static struct domain *back, *front;
static uint64_t pool_total;

static grant_entry_v1_t *entry(void)
{
    return (grant_entry_v1_t *)grant_table_frame(front, 0) + REF;
}

static void world(void)
{
    back = hv_domain(0, 2, 1024);
    back->is_privileged = true;
    front = hv_domain(1, 2, 64);
    domain_populate(front, F, 1);
    entry()->domid = 0;
    entry()->frame = F;
    entry()->flags = GTF_permit_access;
}

static int16_t map_as(struct vcpu *v, gfn_t at, bool ro, grant_handle_t *h)
{
    struct gnttab_map_grant_ref op = { .host_addr = at << PAGE_SHIFT, .ref = REF, .dom = 1,
                                       .flags = GNTMAP_host_map | (ro ? GNTMAP_readonly : 0) };
    if (do_grant_table_op(v, GNTTABOP_map_grant_ref, (uintptr_t)&op, 1, 0, 0))
        return -100;
    *h = op.handle;
    return op.status;
}

static int16_t unmap_as(struct vcpu *v, grant_handle_t h, gfn_t at)
{
    struct gnttab_unmap_grant_ref op = { .host_addr = at << PAGE_SHIFT, .handle = h };
    if (do_grant_table_op(v, GNTTABOP_unmap_grant_ref, (uintptr_t)&op, 1, 0, 0))
        return -100;
    return op.status;
}

static long remove_at(struct domain *d, gfn_t g)
{
    struct xen_remove_from_physmap r = { .domid = DOMID_SELF, .gpfn = g };
    return do_memory_op(d->vcpus[0], XENMEM_remove_from_physmap, (uintptr_t)&r, 0, 0, 0);
}

static int foreign_map_as(struct vcpu *v, xen_ulong_t fgfn, xen_pfn_t at)
{
    int err = -1000;
    struct xen_add_to_physmap_batch b = { .domid = DOMID_SELF, .space = XENMAPSPACE_gmfn_foreign, .size = 1,
                                          .u.foreign_domid = 1 };
    set_xen_guest_handle(b.idxs, &fgfn);
    set_xen_guest_handle(b.gpfns, &at);
    set_xen_guest_handle(b.errs, &err);
    long rc = do_memory_op(v, XENMEM_add_to_physmap_batch, (uintptr_t)&b, 0, 0, 0);
    return rc ? (int)rc : err;
}

/*
 * The backend's grant mappings, its p2m, the frontend's pins and flags and
 * the page's references describe the same mappings.
 */
static bool grants_consistent(char *why, size_t len)
{
    unsigned int maps = 0, readers = 0, writers = 0, grant_entries = 0;
    for (unsigned int h = 0; back->grant.maps && h < MAX_MAPS; h++) {
        struct grant_mapping *m = &back->grant.maps[h];
        if (!m->in_use)
            continue;
        maps++;
        readers++;
        writers += !m->readonly;
        enum p2m_type t;
        mfn_t at = p2m_lookup(back, m->gfn, &t);
        if (at != m->mfn || t != (m->readonly ? P2M_GRANT_RO : P2M_GRANT)) {
            snprintf(why, len, "handle %u says %#lx is at %#lx, the p2m has %#lx (type %d)", h, m->mfn,
                     m->gfn, at, t);
            return false;
        }
    }
    for (gfn_t g = G1; g <= G3; g++) {
        enum p2m_type t;
        p2m_lookup(back, g, &t);
        grant_entries += t == P2M_GRANT || t == P2M_GRANT_RO;
    }
    struct grant_pins *p = front->grant.pins ? &front->grant.pins[REF] : &(struct grant_pins){ 0, 0 };
    uint16_t flags = entry()->flags & (GTF_reading | GTF_writing);
    uint16_t want = (readers ? GTF_reading : 0) | (writers ? GTF_writing : 0);
    if (grant_entries != maps || p->readers != readers || p->writers != writers || flags != want) {
        snprintf(why, len, "%u mappings, %u in the p2m; pins %u/%u, should be %u/%u; flags %#x, should be %#x",
                 maps, grant_entries, p->readers, p->writers, readers, writers, flags, want);
        return false;
    }
    return true;
}

/* After both domains are gone, every page is back where it came from. */
static bool world_end(char *why, size_t len)
{
    hv_destroy(back);
    hv_destroy(front);
    if (domains[0] || domains[1]) {
        snprintf(why, len, "a domain was never freed (references left)");
        return false;
    }
    if (zone_free_pages(ZONE_POOL) != pool_total) {
        snprintf(why, len, "the pool has %lu of its %lu pages", zone_free_pages(ZONE_POOL), pool_total);
        return false;
    }
    return true;
}

/* Races */

static grant_handle_t h0;
static int16_t st_main, st_race;

static void world_mapped(void)
{
    world();
    map_as(back->vcpus[0], G1, false, &h0);
    st_main = st_race = -99;
}

static void op_unmap(void *unused) { st_main = unmap_as(back->vcpus[0], h0, G1); }
static void race_unmap(void *unused) { st_race = unmap_as(back->vcpus[1], h0, G1); }

static bool unmapped_once(char *why, size_t len)
{
    bool once = (st_main == GNTST_okay) + (st_race == GNTST_okay) == 1;
    bool ok = grants_consistent(why, len);
    if (ok && !once)
        snprintf(why, len, "unmap statuses %d and %d", st_main, st_race);
    mfn_t m = p2m_lookup(front, F, NULL);
    if (ok && once && mfn_to_page(m)->refs) {
        snprintf(why, len, "the page keeps %u references", mfn_to_page(m)->refs);
        ok = false;
    }
    return world_end(why + strlen(why), 1) && ok && once;
}

static grant_handle_t h_main, h_race;

static void world_fresh(void)
{
    world();
    st_main = st_race = -99;
}

static void op_map_g1(void *unused) { st_main = map_as(back->vcpus[0], G1, false, &h_main); }
static void race_map_g2(void *unused) { st_race = map_as(back->vcpus[1], G2, true, &h_race); }

static bool mapped_twice(char *why, size_t len)
{
    bool ok = grants_consistent(why, len);
    if (ok && (st_main != GNTST_okay || st_race != GNTST_okay || h_main == h_race)) {
        snprintf(why, len, "statuses %d %d, handles %u %u", st_main, st_race, h_main, h_race);
        ok = false;
    }
    return world_end(why + strlen(why), 1) && ok;
}

/* The frontend balloons the granted frame out while the backend maps it. */
static void race_balloon_out(void *unused) { domain_release_gfn(front, F, NULL); }

/* Whatever the backend maps is the frontend's page or one it let go of
 * while mapped (an orphan), never a free or reused page. */
static bool mapped_page_alive(gfn_t at, char *why, size_t len)
{
    enum p2m_type t;
    mfn_t m = p2m_lookup(back, at, &t);
    if (m == INVALID_MFN)
        return true;
    uint16_t owner = mfn_to_page(m)->owner;
    if ((owner != 1 && owner != OWNER_ORPHAN) || !mfn_to_page(m)->refs) {
        snprintf(why, len, "the backend maps page %#lx, owned by %#x with %u references", m, owner,
                 mfn_to_page(m)->refs);
        return false;
    }
    return true;
}

static bool map_saw_live_page(char *why, size_t len)
{
    bool ok = mapped_page_alive(G1, why, len) && grants_consistent(why, len);
    return world_end(why + strlen(why), 1) && ok;
}

static int fm_err;
static void op_foreign_map(void *unused) { fm_err = foreign_map_as(back->vcpus[0], F, G3); }

static bool foreign_saw_live_page(char *why, size_t len)
{
    bool ok = mapped_page_alive(G3, why, len);
    return world_end(why + strlen(why), 1) && ok;
}

int main(void)
{
    TAP_PLAN(20);
    hv_init();
    pool_total = zone_total_pages(ZONE_POOL);
    char why[300] = "";

    world();
    mfn_t page = p2m_lookup(front, F, NULL);
    grant_handle_t h1, h2;
    long rc;
    int16_t st = map_as(back->vcpus[0], G1, false, &h1);
    CHECK("a grant maps read-write", st == GNTST_okay && p2m_lookup(back, G1, NULL) == page &&
          mfn_to_page(page)->refs == 1 && grants_consistent(why, sizeof(why)), "status %d: %s", st, why);
    st = map_as(back->vcpus[0], G2, true, &h2);
    CHECK("and again read-only", st == GNTST_okay && h2 != h1 && mfn_to_page(page)->refs == 2 &&
          grants_consistent(why, sizeof(why)), "status %d: %s", st, why);
    st = map_as(back->vcpus[0], G1, false, &h2);
    CHECK("but not over another mapping", st != GNTST_okay && grants_consistent(why, sizeof(why)), "status %d", st);
    st = unmap_as(back->vcpus[0], h1, G2);
    CHECK("unmap checks the address", st == GNTST_bad_virt_addr && grants_consistent(why, sizeof(why)),
          "status %d", st);
    st = unmap_as(back->vcpus[0], h1, G1);
    int16_t st2 = unmap_as(back->vcpus[0], h1, G1);
    CHECK("unmap releases a mapping once",
          st == GNTST_okay && st2 == GNTST_bad_handle && mfn_to_page(page)->refs == 1 &&
          grants_consistent(why, sizeof(why)), "statuses %d %d: %s", st, st2, why);
    unmap_as(back->vcpus[0], 1, G2);
    CHECK("and the last one clears the flags",
          !mfn_to_page(page)->refs && !(entry()->flags & (GTF_reading | GTF_writing)) &&
          grants_consistent(why, sizeof(why)), "refs %u flags %#x", mfn_to_page(page)->refs, entry()->flags);

    /* Netback unmaps a packet's pages in one call: one flush for them all,
     * and the pages let go only after it. */
    grant_handle_t h3;
    map_as(back->vcpus[0], G1, true, &h1);
    map_as(back->vcpus[0], G2, true, &h2);
    map_as(back->vcpus[0], G3, true, &h3);
    struct gnttab_unmap_grant_ref ops[3] = {
        { .host_addr = (uint64_t)G1 << PAGE_SHIFT, .handle = h1 },
        { .host_addr = (uint64_t)G2 << PAGE_SHIFT, .handle = h2 },
        { .host_addr = (uint64_t)G3 << PAGE_SHIFT, .handle = h3 },
    };
    unsigned long flushes = hv_flushes;
    rc = do_grant_table_op(back->vcpus[0], GNTTABOP_unmap_grant_ref, (uintptr_t)ops, 3, 0, 0);
    CHECK("three unmaps in one call take one flush and release all three",
          !rc && ops[0].status == GNTST_okay && ops[1].status == GNTST_okay && ops[2].status == GNTST_okay &&
          hv_flushes - flushes == 1 && !mfn_to_page(page)->refs &&
          !(entry()->flags & (GTF_reading | GTF_writing)) && grants_consistent(why, sizeof(why)),
          "rc %ld statuses %d %d %d, %lu flushes, refs %u: %s", rc, ops[0].status, ops[1].status,
          ops[2].status, hv_flushes - flushes, mfn_to_page(page)->refs, why);

    /* Finding 7: one grant at two frames, one of them removed. */
    map_as(back->vcpus[0], G1, false, &h1);
    map_as(back->vcpus[0], G2, false, &h2);
    rc = remove_at(back, G2);
    st = unmap_as(back->vcpus[0], h2, G2);
    CHECK("removing one of two mappings of a grant releases that one", !rc && st != GNTST_okay &&
          p2m_lookup(back, G1, NULL) == page && mfn_to_page(page)->refs == 1 && grants_consistent(why, sizeof(why)),
          "rc %ld, unmap of its handle %d, refs %u: %s", rc, st, mfn_to_page(page)->refs, why);
    st = unmap_as(back->vcpus[0], h1, G1);
    CHECK("and the other stays until unmapped", st == GNTST_okay && !mfn_to_page(page)->refs &&
          grants_consistent(why, sizeof(why)), "status %d refs %u: %s", st, mfn_to_page(page)->refs, why);

    /* The frontend goes while mapped: its page stays until the unmap. */
    map_as(back->vcpus[0], G1, false, &h1);
    domain_release_gfn(front, F, NULL);
    CHECK("a frame ballooned out while mapped is orphaned", mfn_to_page(page)->owner == OWNER_ORPHAN &&
          p2m_lookup(back, G1, NULL) == page, "owner %#x", mfn_to_page(page)->owner);
    unmap_as(back->vcpus[0], h1, G1);
    CHECK("and freed by the unmap", mfn_to_page(page)->owner == OWNER_NONE, "owner %#x", mfn_to_page(page)->owner);
    CHECK("and everything comes back", world_end(why, sizeof(why)), "%s", why);

    /* Copy: the grant is pinned for the copy only. */
    world();
    page = p2m_lookup(front, F, NULL);
    memset(mfn_to_virt(page), 0x5a, PAGE_SIZE);
    domain_populate(back, 0x300, 1);
    struct gnttab_copy c = { .source.u.ref = REF, .source.domid = 1, .source.offset = 8,
                             .dest.u.gmfn = 0x300, .dest.domid = DOMID_SELF, .dest.offset = 16,
                             .len = 100, .flags = GNTCOPY_source_gref };
    rc = do_grant_table_op(back->vcpus[0], GNTTABOP_copy, (uintptr_t)&c, 1, 0, 0);
    uint8_t *dst = mfn_to_virt(p2m_lookup(back, 0x300, NULL));
    CHECK("a copy from a grant copies and unpins",
          !rc && c.status == GNTST_okay && dst[16] == 0x5a && dst[115] == 0x5a && !dst[116] &&
          !mfn_to_page(page)->refs && grants_consistent(why, sizeof(why)), "rc %ld status %d", rc, c.status);
    CHECK("and everything comes back", world_end(why, sizeof(why)), "%s", why);

    /* One call of many ops: a side held from op to op while it names the
     * same frame or domain, dropped when it does not, and all let go when
     * the call returns; 20 ops cross the 16-op chunks the ops are read in. */
    world();
    page = p2m_lookup(front, F, NULL);
    memset(mfn_to_virt(page), 0x3c, PAGE_SIZE);
    domain_populate(back, 0x300, 1);
    struct gnttab_copy cs[20];
    for (unsigned int i = 0; i < 20; i++)
        cs[i] = (struct gnttab_copy){ .source.u.ref = REF, .source.domid = 1, .dest.u.gmfn = 0x300,
                                      .dest.domid = DOMID_SELF, .dest.offset = (uint16_t)(i * 100),
                                      .len = 100, .flags = GNTCOPY_source_gref };
    cs[2].source.domid = 7;      /* no such domain */
    cs[5].dest.domid = 0;        /* a frame by number, but not through DOMID_SELF */
    cs[9].source.u.ref = REF + 1; /* not granted */
    cs[17].dest.u.gmfn = 0x301;  /* not the backend's RAM */
    rc = do_grant_table_op(back->vcpus[0], GNTTABOP_copy, (uintptr_t)cs, 20, 0, 0);
    dst = mfn_to_virt(p2m_lookup(back, 0x300, NULL));
    bool statuses = true, data = true;
    for (unsigned int i = 0; i < 20; i++) {
        int16_t want = i == 2 ? GNTST_bad_domain : i == 5 ? GNTST_permission_denied
                     : i == 9 ? GNTST_permission_denied : i == 17 ? GNTST_bad_page : GNTST_okay;
        statuses &= cs[i].status == want;
        data &= dst[i * 100 + 50] == (want == GNTST_okay ? 0x3c : 0);
    }
    CHECK("20 copies in one call: each op's own status and data, nothing held after",
          !rc && statuses && data && !mfn_to_page(page)->refs && !(entry()->flags & (GTF_reading | GTF_writing)) &&
          grants_consistent(why, sizeof(why)),
          "rc %ld statuses %d data %d refs %u flags %#x %s", rc, statuses, data, mfn_to_page(page)->refs,
          entry()->flags, why);
    CHECK("and everything comes back", world_end(why, sizeof(why)), "%s", why);

    RACE_CHECK("two vCPUs unmapping one handle release it once",
               world_mapped, op_unmap, race_unmap, unmapped_once);
    RACE_CHECK("two vCPUs mapping at once get a handle each",
               world_fresh, op_map_g1, race_map_g2, mapped_twice);
    RACE_CHECK("a grant map racing a balloon-out maps a live page",
               world_fresh, op_map_g1, race_balloon_out, map_saw_live_page);
    RACE_CHECK("a foreign map racing a balloon-out maps a live page",
               world_fresh, op_foreign_map, race_balloon_out, foreign_saw_live_page);
    TAP_EXIT();
}
