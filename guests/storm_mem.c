/*
 * Attacks on the domain's physical memory (issue 10, findings 1, 4, 5, 9
 * and 10): populate/decrease spread over the whole guest-frame space (every
 * new region costs the hypervisor page-table pages), the same frame
 * populated, released and given to shared_info and a grant frame from
 * several vCPUs at once, huge extents, and vcpu_info registered twice at once.
 */
#include "storm.h"

/* All vCPUs register the vcpu_info of every vCPU at the same moment: the
 * hypervisor allows it once per vCPU. */
static uint8_t vcpu_info_pages[SMP_MAX_CPUS][4096] __attribute__((aligned(4096)));
static volatile uint32_t vi_arrived, vi_wins[SMP_MAX_CPUS];

static void vcpu_info_worker(unsigned int cpu)
{
    __atomic_add_fetch(&vi_arrived, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&vi_arrived, __ATOMIC_ACQUIRE) < S.cpus && phase_running())
        spin_hot();
    for (unsigned int t = 0; t < S.cpus; t++) {
        struct vcpu_register_vcpu_info r = { .mfn = gfn_of(vcpu_info_pages[t]), .offset = 64 * cpu };
        if (HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, t, &r) == 0)
            __atomic_add_fetch(&vi_wins[t], 1, __ATOMIC_SEQ_CST);
    }
}

void phase_vcpu_info(void)
{
    vi_arrived = 0;
    on_all_cpus(vcpu_info_worker);
    for (unsigned int t = 0; t < S.cpus; t++) {
        if (vi_wins[t] > 1)
            storm_bug("vcpu_info of vCPU %u registered %u times at once (it may be registered once)", t, vi_wins[t]);
        vi_wins[t] = 0;
    }
    guest_printf("storm: vcpuinfo: %u vCPUs registered each vCPU's vcpu_info at once\n", S.cpus);
}

/*
 * Frame X: one vCPU populates and releases it, one moves shared_info between
 * X and Y, one moves grant frame 0 between X and Z. Each hypercall looks X
 * up and then changes it; done in parallel the hypervisor must neither free
 * a page twice nor overwrite one it counted.
 */
#define PHYS_X (BALLOON_GFN + 0x1000)
#define PHYS_Y (PHYS_X + 1)
#define PHYS_Z (PHYS_X + 2)
static uint64_t physmap_ops[SMP_MAX_CPUS];

static void physmap_worker(unsigned int cpu)
{
    unsigned int role = cpu == 0 ? 0 : 1 + (cpu - 1) % 2;
    if (S.cpus == 2 && cpu == 0)
        role = 3; /* one vCPU for both moves */
    for (uint64_t i = 0; phase_running(); i++) {
        switch (role) {
        case 0:
            guest_add_to_physmap(XENMAPSPACE_shared_info, 0, i & 1 ? PHYS_Y : PHYS_X);
            break;
        case 1:
            guest_reservation(XENMEM_populate_physmap, PHYS_X, 0);
            guest_reservation(XENMEM_decrease_reservation, PHYS_X, 0);
            break;
        case 2:
            guest_add_to_physmap(XENMAPSPACE_grant_table, 0, i & 1 ? PHYS_Z : PHYS_X);
            break;
        default:
            if (i & 2)
                guest_add_to_physmap(XENMAPSPACE_grant_table, 0, i & 1 ? PHYS_Z : PHYS_X);
            else
                guest_add_to_physmap(XENMAPSPACE_shared_info, 0, i & 1 ? PHYS_Y : PHYS_X);
            break;
        }
        physmap_ops[cpu]++;
    }
}

void phase_physmap(void)
{
    on_all_cpus(physmap_worker);
    guest_add_to_physmap(XENMAPSPACE_shared_info, 0, PHYS_Y);
    guest_add_to_physmap(XENMAPSPACE_grant_table, 0, PHYS_Z);
    guest_reservation(XENMEM_decrease_reservation, PHYS_X, 0);
    uint64_t ops = 0;
    for (unsigned int c = 0; c < S.cpus; c++) {
        ops += physmap_ops[c];
        physmap_ops[c] = 0;
    }
    guest_printf("storm: physmap: %lu populate/release/shared_info/grant-frame changes of one frame\n", ops);
}

/*
 * Finding 1: each populate in a new region of the 2^36 frames costs the
 * hypervisor up to three page-table pages. Batches of random frames,
 * populated and released again, from the boot vCPU alone: with no other
 * vCPU running, the TLB flush of each release costs no IPI, so the loop
 * covers as much of the space as a bounded phase allows.
 */
#define CHURN_BATCH 64

static long churn_op(unsigned int op, xen_pfn_t *list, unsigned int n)
{
    struct xen_memory_reservation r = { .nr_extents = n, .extent_order = 0, .domid = DOMID_SELF };
    set_xen_guest_handle(r.extent_start, list);
    return HYPERVISOR_memory_op(op, &r);
}

void phase_churn(void)
{
    static xen_pfn_t list[CHURN_BATCH];
    uint64_t done = 0, refused = 0;
    while (phase_running()) {
        for (unsigned int i = 0; i < CHURN_BATCH; i++)
            list[i] = CHURN_MIN_GFN + storm_rand(0) % ((1ULL << 36) - CHURN_MIN_GFN);
        long got = churn_op(XENMEM_populate_physmap, list, CHURN_BATCH);
        if (got < 0)
            got = 0;
        if (got < CHURN_BATCH)
            refused++;
        long put = got ? churn_op(XENMEM_decrease_reservation, list, (unsigned int)got) : 0;
        if (put != got) {
            storm_bug("releasing %ld frames just populated returned %ld", got, put);
            break;
        }
        done += (uint64_t)got;
    }
    guest_printf("storm: churn: %lu frames populated and released across the guest-frame space, "
                 "%lu batches refused\n", done, refused);
}

/* Finding 4: order-9 extents, 4096 frames per call each way. */
#define EXTENTS 8

static long extents_op(unsigned int op)
{
    static xen_pfn_t list[EXTENTS];
    for (unsigned int i = 0; i < EXTENTS; i++)
        list[i] = EXTENT_GFN + i * 512;
    struct xen_memory_reservation r = { .nr_extents = EXTENTS, .extent_order = 9, .domid = DOMID_SELF };
    set_xen_guest_handle(r.extent_start, list);
    return HYPERVISOR_memory_op(op, &r);
}

void phase_extents(void)
{
    uint64_t calls = 0, slowest_us = 0;
    while (phase_running()) {
        uint64_t t0 = guest_now_us();
        long got = extents_op(XENMEM_populate_physmap);
        long put = extents_op(XENMEM_decrease_reservation);
        uint64_t us = guest_now_us() - t0;
        if (us > slowest_us)
            slowest_us = us;
        if (got != EXTENTS || put != EXTENTS) {
            storm_bug("%d extents of 512 frames: populate returned %ld, decrease %ld", EXTENTS, got, put);
            break;
        }
        calls++;
    }
    guest_printf("storm: extents: %lu times %u x 2 MiB populated and released, slowest pair %lu us\n", calls,
                 EXTENTS, slowest_us);
}
