/*
 * Attacks on grant mappings and event channels, against the partner
 * domain's grants (storm_proto.h). Findings 6 and 7 of issue 10: a
 * maptrack without a lock, released by the machine frame instead of the
 * mapping, and a page reference taken after the lookup.
 */
#include "storm.h"

static const char tag[8] = "STORMTAG";

/* Whatever we map must be gone once we let go of it. */
static void expect_empty(xen_pfn_t gfn, const char *after)
{
    long rc = guest_remove_from_physmap(gfn);
    if (rc != -ENOENT)
        storm_bug("gfn %lx still mapped after %s (remove_from_physmap returned %ld)", gfn, after, rc);
}

/*
 * One grant mapped at two frames; removing the second through the physmap
 * must release the second mapping, not the first. No race needed.
 */
void phase_alias(void)
{
    xen_pfn_t g1 = ALIAS_GFN, g2 = ALIAS_GFN + 1;
    int16_t s1, s2;
    grant_handle_t h1 = map_grant(REF_STABLE, g1, false, &s1);
    grant_handle_t h2 = map_grant(REF_STABLE, g2, false, &s2);
    if (s1 != GNTST_okay || s2 != GNTST_okay) {
        storm_bug("mapping the partner's stable grant twice failed: status %d, %d", s1, s2);
        if (s1 == GNTST_okay)
            unmap_grant(h1);
        if (s2 == GNTST_okay)
            unmap_grant(h2);
        return;
    }
    long removed = guest_remove_from_physmap(g2);
    int16_t u2 = unmap_grant(h2);
    int16_t u1 = unmap_grant(h1);
    if (u1 != GNTST_okay)
        storm_bug("removing gfn %lx released the mapping at gfn %lx: its handle then gave status %d", g2, g1, u1);
    expect_empty(g1, "both handles were unmapped");
    guest_printf("storm: alias: remove second %ld, unmap second %d, unmap first %d\n", removed, u2, u1);
}

/* One handle, released from every vCPU at once (unmap, and on the last of
 * three or more, remove_from_physmap): exactly one may succeed. */
static volatile uint32_t unmap_gen, unmap_arrived, unmap_wins;
static volatile grant_handle_t unmap_handle;
static uint64_t unmap_rounds, unmap_refused;

static bool release_once(unsigned int cpu)
{
    if (cpu > 1 && cpu == S.cpus - 1)
        return guest_remove_from_physmap(UNMAP_GFN) == 0;
    return unmap_grant(unmap_handle) == GNTST_okay;
}

static void unmap_worker(unsigned int cpu)
{
    if (cpu != 0) {
        uint32_t seen = 0;
        while (phase_running()) {
            uint32_t g = __atomic_load_n(&unmap_gen, __ATOMIC_ACQUIRE);
            if (g == seen) {
                spin_hot();
                continue;
            }
            seen = g;
            if (release_once(cpu))
                __atomic_add_fetch(&unmap_wins, 1, __ATOMIC_SEQ_CST);
            __atomic_add_fetch(&unmap_arrived, 1, __ATOMIC_SEQ_CST);
        }
        return;
    }
    while (phase_running()) {
        int16_t st;
        grant_handle_t h = map_grant(REF_STABLE, UNMAP_GFN, false, &st);
        if (st != GNTST_okay) {
            unmap_refused++;
            continue;
        }
        unmap_handle = h;
        unmap_wins = 0;
        unmap_arrived = 0;
        __atomic_add_fetch(&unmap_gen, 1, __ATOMIC_RELEASE);
        if (release_once(0))
            __atomic_add_fetch(&unmap_wins, 1, __ATOMIC_SEQ_CST);
        uint64_t until = guest_now_us() + 2000000;
        while (__atomic_load_n(&unmap_arrived, __ATOMIC_ACQUIRE) < S.cpus - 1 && guest_now_us() < until)
            spin_hot();
        if (__atomic_load_n(&unmap_arrived, __ATOMIC_ACQUIRE) < S.cpus - 1)
            break; /* the phase ended under the APs */
        unmap_rounds++;
        if (unmap_wins != 1) {
            storm_bug("one grant mapping was released %u times by %u vCPUs at once", unmap_wins, S.cpus);
            break;
        }
        expect_empty(UNMAP_GFN, "its handle was released");
    }
}

void phase_unmap(void)
{
    unmap_rounds = unmap_refused = 0;
    on_all_cpus(unmap_worker);
    /* If the last round was cut short, whatever is left goes now. */
    unmap_grant(unmap_handle);
    guest_remove_from_physmap(UNMAP_GFN);
    guest_printf("storm: unmap: %lu handles released from %u vCPUs at once, %lu maps refused\n", unmap_rounds,
                 S.cpus, unmap_refused);
}

/* The partner balloons REF_CHURN's frame out and in meanwhile. */
static uint64_t balloon_maps[SMP_MAX_CPUS], balloon_refused[SMP_MAX_CPUS];

static void balloon_worker(unsigned int cpu)
{
    xen_pfn_t gfn = BALLOON_MAP_GFN + cpu;
    while (phase_running()) {
        int16_t st;
        grant_handle_t h = map_grant(REF_CHURN, gfn, false, &st);
        if (st != GNTST_okay) {
            balloon_refused[cpu]++;
            continue;
        }
        volatile char *page = (volatile char *)(gfn << 12);
        for (unsigned int off = 64; off < 4096; off += 512)
            for (unsigned int i = 0; i < sizeof(tag); i++)
                page[off + i] = tag[i];
        st = unmap_grant(h);
        if (st != GNTST_okay)
            storm_bug("unmapping a live grant handle failed: status %d", st);
        expect_empty(gfn, "its handle was unmapped");
        balloon_maps[cpu]++;
    }
}

void phase_balloon(void)
{
    __atomic_store_n(&S.ctl->churn, 1, __ATOMIC_RELEASE);
    on_all_cpus(balloon_worker);
    __atomic_store_n(&S.ctl->churn, 0, __ATOMIC_RELEASE);
    uint64_t maps = 0, refused = 0;
    for (unsigned int c = 0; c < S.cpus; c++) {
        maps += balloon_maps[c];
        refused += balloon_refused[c];
        balloon_maps[c] = balloon_refused[c] = 0;
    }
    guest_printf("storm: balloon: %lu maps of the page the partner balloons (%lu refused), partner cycles %u\n",
                 maps, refused, S.ctl ? S.ctl->churned : 0);
}

/*
 * Finding 10: the hypervisor's page walker sets accessed/dirty bits in the
 * guest's page tables even where the guest may only read them. Our page
 * table for [1 GiB, 1 GiB + 2 MiB) is the partner's read-only grant; a
 * hypercall whose buffer lies there makes the hypervisor walk it.
 */
static uint64_t walker_pd[512] __attribute__((aligned(4096)));
static const char walker_text[] = "storm: walker: console text read through a read-only page table\n";

void phase_walker(void)
{
    if ((uintptr_t)walker_text + sizeof(walker_text) > 0x200000) {
        guest_printf("storm: walker: skipped (our text lies beyond the partner's page table)\n");
        return;
    }
    int16_t st;
    grant_handle_t h = map_grant(REF_PAGETABLE, PAGETABLE_GFN, true, &st);
    if (st != GNTST_okay) {
        storm_bug("mapping the partner's read-only page-table grant failed: status %d", st);
        return;
    }
    uint64_t *pdpt = guest_pdpt();
    walker_pd[0] = (PAGETABLE_GFN << 12) | 0x3;
    pdpt[1] = (uint64_t)(uintptr_t)walker_pd | 0x3;
    guest_flush_tlb();
    uint64_t va = 0x40000000ULL + (uint64_t)(uintptr_t)walker_text;
    long rc = HYPERVISOR_console_write((const void *)va, sizeof(walker_text) - 1);
    volatile const uint64_t *pt = (volatile const uint64_t *)(PAGETABLE_GFN << 12);
    uint64_t idx = (uint64_t)(uintptr_t)walker_text >> 12, e = pt[idx];
    if (e != ((idx << 12) | PT_ENTRY_FLAGS))
        storm_bug("the hypervisor wrote %lx into a page table we may only read (console_io returned %ld)", e, rc);
    pdpt[1] = 0;
    guest_flush_tlb();
    st = unmap_grant(h);
    if (st != GNTST_okay)
        storm_bug("unmapping the read-only grant failed: status %d", st);
    guest_printf("storm: walker: console_io through a read-only page table returned %ld\n", rc);
}

/* Close and rebind our end while the other vCPUs (and the partner) send. */
static uint64_t evtchn_sends[SMP_MAX_CPUS], evtchn_rebinds;

static void evtchn_worker(unsigned int cpu)
{
    while (phase_running()) {
        if (cpu == 0) {
            struct evtchn_close c = { .port = S.port };
            long closed = HYPERVISOR_event_channel_op(EVTCHNOP_close, &c);
            struct evtchn_bind_interdomain b = { .remote_dom = S.partner, .remote_port = S.ctl->port };
            long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b);
            if (rc) {
                /* Seen once (-EINVAL), not reproduced: what each side held. */
                struct evtchn_status ours = { .dom = DOMID_SELF, .port = c.port };
                struct evtchn_status theirs = { .dom = S.partner, .port = b.remote_port };
                long rs_ours = HYPERVISOR_event_channel_op(EVTCHNOP_status, &ours);
                long rs_theirs = HYPERVISOR_event_channel_op(EVTCHNOP_status, &theirs);
                storm_bug("rebinding to the partner's port %u after closing ours (%u: %ld) failed: %ld; "
                          "status of ours %ld/%u, of theirs %ld/%u; control page magic %x", b.remote_port, c.port,
                          closed, rc, rs_ours, ours.status, rs_theirs, theirs.status, S.ctl->magic);
                return;
            }
            __atomic_store_n(&S.port, b.local_port, __ATOMIC_RELEASE);
            evtchn_rebinds++;
        } else {
            struct evtchn_send s = { .port = __atomic_load_n(&S.port, __ATOMIC_ACQUIRE) };
            HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
            struct evtchn_status st = { .dom = DOMID_SELF, .port = s.port };
            HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
            struct evtchn_unmask um = { .port = s.port };
            HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &um);
            evtchn_sends[cpu]++;
        }
    }
}

void phase_evtchn(void)
{
    evtchn_rebinds = 0;
    __atomic_store_n(&S.ctl->spam, 1, __ATOMIC_RELEASE);
    on_all_cpus(evtchn_worker);
    __atomic_store_n(&S.ctl->spam, 0, __ATOMIC_RELEASE);
    uint64_t sends = 0;
    for (unsigned int c = 0; c < S.cpus; c++) {
        sends += evtchn_sends[c];
        evtchn_sends[c] = 0;
    }
    guest_printf("storm: evtchn: %lu rebinds of the channel to the partner under %lu sends\n", evtchn_rebinds, sends);
}
