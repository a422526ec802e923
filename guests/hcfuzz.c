/*
 * A hypercall fuzzer: every vCPU makes random hypercalls for `seconds=S`
 * (default 20) from a generator seeded with `seed=N` (default: from the
 * TSC; printed first, so that a failure can be replayed). The generator
 * leans towards what reaches deep code: real hypercall numbers and sub-ops,
 * structures whose fields are domain ids, ports, grant refs, frames and
 * pointers into our own memory, small counts and sizes at the edges; now
 * and then anything at all.
 *
 * So that the fuzzer survives its own calls, frames it names are never its
 * own image (only [32, 64) MiB, which it never touches, frames beyond its
 * RAM, and absurd ones), pointers point into a scratch area or nowhere, and
 * it does not ask to be shut down, blocked or stopped. It never enables
 * interrupts, so callback vectors and timers it sets up stay harmless.
 * Prints "hcfuzz: done: ..." and powers off. `trace_from=N` prints every
 * call from a vCPU's Nth on; with one vCPU a seed replays the same calls.
 */
#include "common/hcall.h"
#include "common/smp.h"
#include "common/trap.h"
#include "common/x86.h"

#define SCRATCH_BASE 0x1000000UL /* [16, 24) MiB: what hypercalls may read and write */
#define SCRATCH_PER_CPU (0x800000UL / SMP_MAX_CPUS)
#define BLOCK 4096               /* one call's argument area */
#define FUZZ_GFN_LO 0x2000UL     /* [32, 64) MiB: frames we may lose or have replaced */
#define FUZZ_GFN_HI 0x4000UL
#define MIN_MB 64
#define HYPERVISOR_BASALT_CTL 60
#define NR_COUNTED 64
#define STRAGGLER_US 60000000ULL /* how long vCPU 0 waits for the others to finish their last call */

struct rng {
    uint64_t s;
};

static uint64_t seed, trace_from;
static const char console_nuls[128 * 1024];
static uint64_t deadline_us;
static uint64_t calls[SMP_MAX_CPUS][NR_COUNTED + 1], deep[SMP_MAX_CPUS];
static volatile bool finished[SMP_MAX_CPUS];

static uint64_t next(struct rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dULL;
}

static uint64_t below(struct rng *r, uint64_t n)
{
    return n ? next(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
    return below(r, 100) < percent;
}

static uint64_t pick(struct rng *r, const uint64_t *v, size_t n)
{
    return v[below(r, n)];
}
#define PICK(r, ...) pick(r, (const uint64_t[]){ __VA_ARGS__ }, sizeof((const uint64_t[]){ __VA_ARGS__ }) / 8)

/* Sizes and counts where off-by-one bugs live. */
static uint64_t edge(struct rng *r)
{
    if (chance(r, 15))
        return next(r);
    return PICK(r, 0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 511, 512, 513, 1023, 1024, 4095,
                4096, 4097, 8192, 65535, 65536, 0x7fffffffULL, 0x80000000ULL, 0xffffffffULL, 0x100000000ULL, ~0ULL);
}

static uint64_t small(struct rng *r)
{
    return chance(r, 80) ? below(r, 17) : edge(r);
}

static uint64_t domid(struct rng *r)
{
    return chance(r, 10) ? below(r, 65536) : PICK(r, DOMID_SELF, DOMID_SELF, DOMID_SELF, 0, 1, 2, 3, 4, DOMID_IO,
                                                   DOMID_XEN, DOMID_COW, DOMID_INVALID, DOMID_IDLE, 0x7fef);
}

/* A frame: never one of our own image, stack or scratch. */
static uint64_t gfn(struct rng *r)
{
    switch (below(r, 10)) {
    case 0 ... 3:
        return FUZZ_GFN_LO + below(r, FUZZ_GFN_HI - FUZZ_GFN_LO);
    case 4 ... 5:
        return FUZZ_GFN_HI + below(r, 0x40000 - FUZZ_GFN_HI); /* beyond our RAM, below 1 GiB */
    case 6 ... 7:
        return 0x100000 + below(r, (1ULL << 36) - 0x100000);
    case 8:
        return PICK(r, (1ULL << 36) - 1, 1ULL << 36, 1ULL << 40, 0xfeff8, 0xfeffc, 0xfc000, ~0ULL, ~0ULL >> 1);
    default:
        return next(r) | (1ULL << 40);
    }
}

/* A pointer: into this call's block, elsewhere in our scratch, or nowhere. */
static uint64_t ptr(struct rng *r, uint8_t *block, unsigned int cpu)
{
    switch (below(r, 10)) {
    case 0 ... 5:
        return (uint64_t)(uintptr_t)block + below(r, BLOCK / 8) * 8;
    case 6:
        return (uint64_t)(uintptr_t)block + below(r, BLOCK);
    case 7:
        return SCRATCH_BASE + cpu * SCRATCH_PER_CPU + below(r, SCRATCH_PER_CPU - 64);
    default:
        return PICK(r, 0, 8, 0x7fff00000000ULL, 0x8000000000000000ULL, 0x3f000000, 0xfffff000,
                    0xffff800000000000ULL, (uint64_t)(uintptr_t)block + BLOCK - 2);
    }
}

/* A pointer to nothing: unmapped, non-canonical, beyond our RAM. */
static uint64_t bad_ptr(struct rng *r)
{
    return PICK(r, 0x7fff00000000ULL, 0x8000000000000000ULL, 0x3f000000, 0xffff800000000000ULL, 0xfffffffffffff000ULL);
}

/* Where a hypercall finds its argument structure: the one we built, or
 * nowhere. Never random bytes: their fields could name our own frames. */
static uint64_t arg_ptr(struct rng *r, uint8_t *block)
{
    return chance(r, 95) ? (uint64_t)(uintptr_t)block : bad_ptr(r);
}

/* Any field: one of the kinds above, or noise. */
static uint64_t word(struct rng *r, uint8_t *block, unsigned int cpu)
{
    switch (below(r, 6)) {
    case 0:
        return small(r);
    case 1:
        return domid(r);
    case 2:
        return gfn(r);
    case 3:
        return ptr(r, block, cpu);
    case 4:
        return edge(r);
    default:
        return next(r);
    }
}

static void fill(struct rng *r, uint8_t *block, unsigned int cpu)
{
    uint64_t *w = (uint64_t *)block;
    for (unsigned int i = 0; i < BLOCK / 8; i++)
        w[i] = word(r, block, cpu);
}

/* A list of n frames (or ports, refs) at p. */
static void list_of(struct rng *r, uint64_t p, unsigned int n, uint64_t (*gen)(struct rng *))
{
    if (p < SCRATCH_BASE || p + n * 8 > SCRATCH_BASE + 0x800000UL)
        return;
    for (unsigned int i = 0; i < n; i++)
        ((uint64_t *)(uintptr_t)p)[i] = gen(r);
}

struct call {
    uint64_t nr, a[5];
};
static struct call last_call[SMP_MAX_CPUS], slowest_call[SMP_MAX_CPUS];
static uint64_t slowest_us[SMP_MAX_CPUS], slowest_index[SMP_MAX_CPUS];

static void memory_op(struct rng *r, uint8_t *b, unsigned int cpu, struct call *c)
{
    uint64_t op = PICK(r, XENMEM_populate_physmap, XENMEM_decrease_reservation, XENMEM_increase_reservation,
                       XENMEM_add_to_physmap, XENMEM_add_to_physmap_batch, XENMEM_remove_from_physmap,
                       XENMEM_memory_map, XENMEM_current_reservation, XENMEM_maximum_reservation,
                       XENMEM_maximum_gpfn, XENMEM_maximum_ram_page, XENMEM_exchange,
                       10 /* machine_memory_map */, 13 /* set_memory_map */, 24 /* claim_pages */,
                       28 /* acquire_resource */, 50, 63);
    c->a[0] = op;
    c->a[1] = arg_ptr(r, b);
    switch (op) {
    case XENMEM_populate_physmap:
    case XENMEM_decrease_reservation:
    case XENMEM_increase_reservation: {
        struct xen_memory_reservation *m = (void *)b;
        uint64_t list = (uint64_t)(uintptr_t)b + 64;
        /* Never more extents than the list holds: what follows it is noise
         * that could name our own frames. */
        m->nr_extents = chance(r, 80) ? below(r, 9) : edge(r) % ((BLOCK - 64) / 8 + 1);
        m->extent_order = chance(r, 85) ? 0 : PICK(r, 1, 2, 8, 9, 10, 18, 63, 255);
        m->mem_flags = chance(r, 80) ? 0 : (uint32_t)next(r);
        m->domid = (domid_t)domid(r);
        set_xen_guest_handle(m->extent_start, (xen_pfn_t *)(uintptr_t)(chance(r, 90) ? list : bad_ptr(r)));
        if (chance(r, 3)) {
            set_xen_guest_handle(m->extent_start, (xen_pfn_t *)(uintptr_t)bad_ptr(r));
            m->nr_extents = edge(r);
        }
        list_of(r, list, (BLOCK - 64) / 8, gfn);
        if (chance(r, 10)) /* a continuation's progress in the upper bits */
            c->a[0] |= small(r) << 6;
        break;
    }
    case XENMEM_add_to_physmap: {
        struct xen_add_to_physmap *m = (void *)b;
        m->domid = (domid_t)domid(r);
        m->size = (uint16_t)small(r);
        m->space = (unsigned int)(chance(r, 80) ? below(r, 6) : next(r));
        m->idx = chance(r, 80) ? small(r) : edge(r);
        m->gpfn = gfn(r);
        break;
    }
    case XENMEM_add_to_physmap_batch: {
        struct xen_add_to_physmap_batch *m = (void *)b;
        uint64_t idxs = (uint64_t)(uintptr_t)b + 512, gpfns = (uint64_t)(uintptr_t)b + 2048;
        m->domid = (domid_t)domid(r);
        m->space = (unsigned int)(chance(r, 80) ? below(r, 6) : next(r));
        m->size = (uint16_t)(chance(r, 80) ? below(r, 8) : edge(r) % 129);
        m->u.foreign_domid = (domid_t)domid(r);
        list_of(r, idxs, 128, gfn);
        list_of(r, gpfns, 128, gfn);
        set_xen_guest_handle(m->idxs, (xen_ulong_t *)(uintptr_t)idxs);
        set_xen_guest_handle(m->gpfns, (xen_pfn_t *)(uintptr_t)gpfns);
        set_xen_guest_handle(m->errs, (int *)(uintptr_t)((uint64_t)(uintptr_t)b + 3584));
        break;
    }
    case XENMEM_remove_from_physmap: {
        struct xen_remove_from_physmap *m = (void *)b;
        m->domid = (domid_t)domid(r);
        m->gpfn = gfn(r);
        break;
    }
    case XENMEM_memory_map:
    case 10: {
        struct xen_memory_map *m = (void *)b;
        m->nr_entries = (unsigned int)(chance(r, 80) ? below(r, 20) : edge(r) % 128);
        set_xen_guest_handle(m->buffer, (void *)(uintptr_t)((uint64_t)(uintptr_t)b + 256));
        break;
    }
    case XENMEM_current_reservation:
    case XENMEM_maximum_reservation:
    case XENMEM_maximum_gpfn:
        *(domid_t *)b = (domid_t)domid(r);
        break;
    default:
        break; /* noise from fill() */
    }
}

static void grant_table_op(struct rng *r, uint8_t *b, unsigned int cpu, struct call *c)
{
    uint64_t op = PICK(r, GNTTABOP_map_grant_ref, GNTTABOP_unmap_grant_ref, GNTTABOP_setup_table,
                       GNTTABOP_copy, GNTTABOP_query_size, GNTTABOP_set_version, GNTTABOP_get_version,
                       GNTTABOP_dump_table, GNTTABOP_transfer, GNTTABOP_unmap_and_replace,
                       GNTTABOP_get_status_frames, GNTTABOP_swap_grant_ref, GNTTABOP_cache_flush, 13, 40);
    /* With a real pointer, never more operations than the block holds
     * (what follows it is noise, whose host addresses could name our own
     * frames), but more than one batch, so that the hypervisor continues
     * the call. Huge counts run through our RAM in preemptible batches and
     * take minutes when our three vCPUs contend for the p2m lock under
     * emulation: only with a pointer that fails at once. */
    _Static_assert(sizeof(struct gnttab_unmap_grant_ref) <= sizeof(struct gnttab_map_grant_ref), "map's bound is unmap's");
    unsigned int max = BLOCK / sizeof(struct gnttab_map_grant_ref);
    unsigned int n = (unsigned int)(chance(r, 70) ? 1 : chance(r, 80) ? below(r, 8) : edge(r) % (max + 1));
    c->a[0] = op;
    c->a[1] = chance(r, 95) ? (uint64_t)(uintptr_t)b : ptr(r, b, cpu); /* map/unmap cannot hurt our RAM */
    c->a[2] = n;
    if (chance(r, 3)) {
        c->a[1] = bad_ptr(r);
        c->a[2] = edge(r);
    }
    if (op == GNTTABOP_map_grant_ref) {
        struct gnttab_map_grant_ref *m = (void *)b;
        for (unsigned int i = 0; i < BLOCK / sizeof(*m); i++) {
            m[i].host_addr = chance(r, 90) ? gfn(r) << 12 : next(r);
            m[i].flags = (uint32_t)(chance(r, 80) ? GNTMAP_host_map | (chance(r, 30) ? GNTMAP_readonly : 0)
                                                  : next(r));
            m[i].ref = (grant_ref_t)small(r);
            m[i].dom = (domid_t)domid(r);
        }
    } else if (op == GNTTABOP_unmap_grant_ref) {
        struct gnttab_unmap_grant_ref *m = (void *)b;
        for (unsigned int i = 0; i < BLOCK / sizeof(*m); i++) {
            m[i].host_addr = chance(r, 50) ? 0 : gfn(r) << 12;
            m[i].handle = (grant_handle_t)small(r);
        }
    } else if (op == GNTTABOP_copy) {
        /* The destination may be one of our frames: only ever the expendable ones. */
        struct gnttab_copy *m = (void *)b;
        max = BLOCK / sizeof(*m);
        if (c->a[1] != (uint64_t)(uintptr_t)b || n > max)
            c->a[2] = n = (unsigned int)below(r, max + 1);
        for (unsigned int i = 0; i < max; i++) {
            m[i].flags = (uint16_t)below(r, 4);
            m[i].len = (uint16_t)(chance(r, 70) ? below(r, 64) : edge(r));
            m[i].source.domid = (domid_t)domid(r);
            m[i].dest.domid = (domid_t)domid(r);
            m[i].source.offset = (uint16_t)(chance(r, 70) ? below(r, 64) : edge(r));
            m[i].dest.offset = (uint16_t)(chance(r, 70) ? below(r, 64) : edge(r));
            if (m[i].flags & GNTCOPY_source_gref)
                m[i].source.u.ref = (grant_ref_t)small(r);
            else
                m[i].source.u.gmfn = gfn(r);
            if (m[i].flags & GNTCOPY_dest_gref)
                m[i].dest.u.ref = (grant_ref_t)small(r);
            else
                m[i].dest.u.gmfn = gfn(r);
        }
        c->a[1] = (uint64_t)(uintptr_t)b;
    } else if (op == GNTTABOP_setup_table) {
        struct gnttab_setup_table *m = (void *)b;
        m->dom = (domid_t)domid(r);
        m->nr_frames = (uint32_t)(chance(r, 80) ? below(r, 40) : edge(r));
        set_xen_guest_handle(m->frame_list, (xen_pfn_t *)(uintptr_t)((uint64_t)(uintptr_t)b + 512));
    } else if (op == GNTTABOP_query_size) {
        ((struct gnttab_query_size *)b)->dom = (domid_t)domid(r);
    }
}

static void event_channel_op(struct rng *r, uint8_t *b, unsigned int cpu, struct call *c)
{
    c->a[0] = chance(r, 90) ? below(r, 15) : edge(r);
    c->a[1] = arg_ptr(r, b);
    /* Every EVTCHNOP structure is a few 32-bit fields: ports, domains, vCPUs, virqs. */
    uint32_t *f = (uint32_t *)b;
    for (unsigned int i = 0; i < 8; i++)
        f[i] = (uint32_t)(chance(r, 50) ? below(r, 8) : chance(r, 50) ? domid(r) : edge(r));
    if (c->a[0] == EVTCHNOP_init_control || c->a[0] == EVTCHNOP_expand_array)
        *(uint64_t *)b = gfn(r);
    if (c->a[0] == EVTCHNOP_bind_interdomain || c->a[0] == EVTCHNOP_alloc_unbound)
        ((uint16_t *)b)[0] = (uint16_t)domid(r);
}

static void vcpu_op(struct rng *r, uint8_t *b, unsigned int cpu, struct call *c)
{
    /* Not VCPUOP_down: it would stop one of us. */
    uint64_t op = PICK(r, VCPUOP_initialise, VCPUOP_up, VCPUOP_is_up, VCPUOP_get_runstate_info,
                       VCPUOP_register_runstate_memory_area, VCPUOP_set_periodic_timer,
                       VCPUOP_stop_periodic_timer, VCPUOP_set_singleshot_timer, VCPUOP_stop_singleshot_timer,
                       VCPUOP_register_vcpu_info, VCPUOP_send_nmi, VCPUOP_get_physid,
                       VCPUOP_register_vcpu_time_memory_area, 14, 33, 0xffffffff);
    c->a[0] = op;
    c->a[1] = chance(r, 80) ? below(r, smp_cpus() + 1) : edge(r);
    c->a[2] = arg_ptr(r, b);
    uint64_t *w = (uint64_t *)b;
    if (op == VCPUOP_register_vcpu_info) {
        struct vcpu_register_vcpu_info *v = (void *)b;
        v->mfn = gfn(r);
        v->offset = (uint32_t)(chance(r, 70) ? below(r, 64) * 64 : edge(r));
    } else if (op == VCPUOP_register_runstate_memory_area || op == VCPUOP_register_vcpu_time_memory_area) {
        w[0] = chance(r, 20) ? 0 : ptr(r, b, cpu);
    } else if (op == VCPUOP_set_periodic_timer || op == VCPUOP_set_singleshot_timer) {
        w[0] = chance(r, 50) ? edge(r) : next(r);
        w[1] = below(r, 4);
    }
}

static void sched_op(struct rng *r, uint8_t *b, unsigned int cpu, struct call *c)
{
    /* Not SCHEDOP_block, and SCHEDOP_shutdown only with reasons that do not exist. */
    uint64_t op = PICK(r, SCHEDOP_yield, SCHEDOP_shutdown, SCHEDOP_poll, SCHEDOP_poll, SCHEDOP_remote_shutdown,
                       SCHEDOP_shutdown_code, SCHEDOP_watchdog, SCHEDOP_pin_override, 8, 99);
    c->a[0] = op;
    c->a[1] = arg_ptr(r, b);
    uint32_t *f = (uint32_t *)b;
    switch (op) {
    case SCHEDOP_shutdown:
        f[0] = (uint32_t)(SHUTDOWN_MAX + 1 + below(r, 1000));
        break;
    case SCHEDOP_remote_shutdown:
        ((struct sched_remote_shutdown *)b)->domain_id = (domid_t)domid(r);
        ((struct sched_remote_shutdown *)b)->reason = (unsigned int)(SHUTDOWN_MAX + 1 + below(r, 1000));
        break;
    case SCHEDOP_poll: {
        struct sched_poll *p = (void *)b;
        uint64_t ports = (uint64_t)(uintptr_t)b + 64;
        set_xen_guest_handle(p->ports, (evtchn_port_t *)(uintptr_t)(chance(r, 90) ? ports : ptr(r, b, cpu)));
        p->nr_ports = (unsigned int)(chance(r, 80) ? below(r, 8) : edge(r));
        p->timeout = 1; /* already past: never blocks */
        for (unsigned int i = 0; i < 64; i++)
            ((uint32_t *)(uintptr_t)ports)[i] = (uint32_t)(chance(r, 80) ? below(r, 64) : edge(r));
        break;
    }
    case SCHEDOP_watchdog:
        ((struct sched_watchdog *)b)->id = (uint32_t)small(r);
        ((struct sched_watchdog *)b)->timeout = 0;
        break;
    default:
        break;
    }
}

static void other_op(struct rng *r, uint8_t *b, unsigned int cpu, struct call *c)
{
    switch (c->nr) {
    case __HYPERVISOR_hvm_op: {
        c->a[0] = chance(r, 80) ? PICK(r, HVMOP_set_param, HVMOP_get_param, HVMOP_get_time, HVMOP_pagetable_dying,
                                       HVMOP_set_evtchn_upcall_vector, HVMOP_flush_tlbs, HVMOP_get_mem_type)
                                : edge(r);
        c->a[1] = arg_ptr(r, b);
        struct xen_hvm_param *p = (void *)b;
        p->domid = (domid_t)domid(r);
        p->index = (uint32_t)(chance(r, 80) ? below(r, 40) : edge(r));
        p->value = chance(r, 50) ? ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56) | below(r, 256) : word(r, b, cpu);
        break;
    }
    case __HYPERVISOR_xen_version:
        c->a[0] = chance(r, 85) ? below(r, 11) : edge(r);
        c->a[1] = ptr(r, b, cpu);
        break;
    case __HYPERVISOR_console_io:
        /* NULs, which the console drops: the same path, no noise in the log. */
        c->a[0] = chance(r, 80) ? CONSOLEIO_write : chance(r, 50) ? CONSOLEIO_read : edge(r);
        c->a[1] = chance(r, 80) ? below(r, 300) : edge(r);
        c->a[2] = (uint64_t)(uintptr_t)console_nuls + below(r, sizeof(console_nuls) / 2);
        if (c->a[1] > sizeof(console_nuls) / 2 || chance(r, 10))
            c->a[2] = bad_ptr(r); /* beyond the NULs lies our image: printed, it would be noise */
        break;
    case __HYPERVISOR_vm_assist:
        c->a[0] = chance(r, 80) ? below(r, 2) : edge(r);
        c->a[1] = chance(r, 80) ? PICK(r, 0, 1, 2, 3, 4, 5, 32, 63) : edge(r);
        break;
    case __HYPERVISOR_set_timer_op:
        c->a[0] = chance(r, 30) ? 0 : chance(r, 50) ? edge(r) : guest_system_time_ns() + below(r, 1000000000);
        break;
    default: /* platform_op, physdev_op, basalt_ctl, and numbers nobody implements */
        for (unsigned int i = 0; i < 5; i++)
            c->a[i] = chance(r, 50) ? (uint64_t)(uintptr_t)b : word(r, b, cpu);
        break;
    }
}

/* Any number: except those whose arguments must be built with care (a
 * noisy one could shut us down, block us or name our own frames). */
static void any_op(struct rng *r, uint8_t *b, unsigned int cpu, struct call *c)
{
    static const uint64_t careful[] = { __HYPERVISOR_sched_op, __HYPERVISOR_sched_op_compat, __HYPERVISOR_memory_op,
                                        __HYPERVISOR_grant_table_op, __HYPERVISOR_vcpu_op, __HYPERVISOR_hvm_op,
                                        __HYPERVISOR_xen_version, __HYPERVISOR_console_io, __HYPERVISOR_multicall };
    c->nr = chance(r, 80) ? below(r, 64) : next(r);
    for (unsigned int i = 0; i < sizeof(careful) / sizeof(careful[0]); i++)
        if (c->nr == careful[i])
            c->nr = 48 + below(r, 8); /* arch_N: nobody's */
}

typedef void (*builder_t)(struct rng *r, uint8_t *b, unsigned int cpu, struct call *c);

static const struct kind {
    uint64_t nr;
    unsigned int weight;
    builder_t build;
} kinds[] = {
    { __HYPERVISOR_memory_op, 20, memory_op },   { __HYPERVISOR_grant_table_op, 15, grant_table_op },
    { __HYPERVISOR_event_channel_op, 15, event_channel_op }, { __HYPERVISOR_vcpu_op, 10, vcpu_op },
    { __HYPERVISOR_sched_op, 8, sched_op },      { __HYPERVISOR_hvm_op, 8, other_op },
    { __HYPERVISOR_xen_version, 6, other_op },   { __HYPERVISOR_console_io, 3, other_op },
    { __HYPERVISOR_vm_assist, 3, other_op },     { __HYPERVISOR_set_timer_op, 3, other_op },
    { __HYPERVISOR_platform_op, 2, other_op },   { __HYPERVISOR_physdev_op, 2, other_op },
    { HYPERVISOR_BASALT_CTL, 2, other_op },      { 0, 3, any_op },
};

static void make_call(struct rng *r, uint8_t *b, unsigned int cpu, struct call *c)
{
    unsigned int total = 0, n = sizeof(kinds) / sizeof(kinds[0]);
    for (unsigned int i = 0; i < n; i++)
        total += kinds[i].weight;
    unsigned int x = (unsigned int)below(r, total), i = 0;
    while (x >= kinds[i].weight)
        x -= kinds[i++].weight;
    fill(r, b, cpu);
    memset(c, 0, sizeof(*c));
    c->nr = kinds[i].nr;
    for (unsigned int k = 0; k < 5; k++)
        c->a[k] = word(r, b, cpu);
    kinds[i].build(r, b, cpu, c);
}

/* A pause that does not depend on what the calls did to us: SCHEDOP_poll
 * returns at once while an event is pending, and the calls leave events
 * pending. */
static void pause_ms(uint64_t ms)
{
    uint64_t until = guest_now_us() + ms * 1000;
    while (guest_now_us() < until)
        x86_pause();
}

static void fuzz(unsigned int cpu)
{
    struct rng r = { seed ^ (0x9e3779b97f4a7c15ULL * (cpu + 1)) };
    uint8_t *scratch = (uint8_t *)(SCRATCH_BASE + cpu * SCRATCH_PER_CPU);
    for (uint64_t i = 0; guest_now_us() < deadline_us; i++) {
        uint8_t *b = scratch + below(&r, SCRATCH_PER_CPU / BLOCK - 1) * BLOCK;
        struct call c;
        make_call(&r, b, cpu, &c);
        last_call[cpu] = c;
        if (i % 16384 == 0 && i)
            guest_printf("hcfuzz: vCPU %u: %lu calls\n", cpu, i); /* where a hang happened, roughly */
        if (i >= trace_from) {
            const uint64_t *w = (const uint64_t *)b;
            guest_printf("hcfuzz: vCPU %u call %lu: %lu (%lx, %lx, %lx, %lx, %lx) block %lx: %lx %lx\n", cpu, i, c.nr,
                         c.a[0], c.a[1], c.a[2], c.a[3], c.a[4], (uint64_t)(uintptr_t)b, w[0], w[1]);
            pause_ms(2); /* within the console's rate limit, so that no line is lost */
        }
        uint64_t start = guest_now_us();
        long rc = hypercall5(c.nr, c.a[0], c.a[1], c.a[2], c.a[3], c.a[4]);
        uint64_t took = guest_now_us() - start;
        if (took > slowest_us[cpu]) {
            slowest_us[cpu] = took;
            slowest_call[cpu] = c;
            slowest_index[cpu] = i;
        }
        calls[cpu][c.nr < NR_COUNTED ? c.nr : NR_COUNTED]++;
        if (rc != -ENOSYS && rc != -EPERM)
            deep[cpu]++;
    }
    finished[cpu] = true;
}

/* VCPUOP_send_nmi is one of the calls: our NMIs are nothing to worry about. */
static bool ignore_nmi(struct trap_frame *f)
{
    return true;
}

int guest_main_entry(const struct hvm_start_info *si)
{
    seed = guest_arg_u64("seed", 0);
    if (!seed)
        seed = rdtsc() | 1;
    uint64_t seconds = guest_arg_u64("seconds", 20);
    trace_from = guest_arg_u64("trace_from", ~0ULL); /* print each call from the Nth on (with vcpus=1: replayable) */
    if (guest_ram_bytes(si) < ((uint64_t)MIN_MB << 20)) {
        guest_printf("hcfuzz: needs memory=%u or more\n", MIN_MB);
        return 1;
    }
    unsigned int cpus = smp_init();
    guest_trap_set(2, ignore_nmi);
    guest_printf("hcfuzz: seed %lu, %u vCPUs, %lu s\n", seed, cpus, seconds);
    deadline_us = guest_now_us() + seconds * 1000000;
    for (unsigned int cpu = 1; cpu < cpus; cpu++)
        if (smp_start(cpu, fuzz))
            guest_printf("hcfuzz: vCPU %u did not start\n", cpu);
    fuzz(0);

    /* A call may legitimately take many seconds under emulation (the
     * slowest is printed below): "never came back" means a minute. */
    uint64_t until = guest_now_us() + STRAGGLER_US;
    for (unsigned int cpu = 1; cpu < cpus; cpu++)
        while (smp_is_up(cpu) && guest_now_us() < until)
            x86_pause();
    /* Console writes may have used up this second's budget: the report
     * must not be dropped. */
    pause_ms(1100);
    uint64_t per_nr[NR_COUNTED + 1] = { 0 }, total = 0, reached = 0, stuck = 0;
    for (unsigned int cpu = 0; cpu < cpus; cpu++) {
        for (unsigned int n = 0; n <= NR_COUNTED; n++) {
            per_nr[n] += calls[cpu][n];
            total += calls[cpu][n];
        }
        reached += deep[cpu];
        struct call *w = &slowest_call[cpu];
        guest_printf("hcfuzz: vCPU %u: slowest call #%lu took %lu us: %lu (%lx, %lx, %lx, %lx, %lx)\n", cpu,
                     slowest_index[cpu], slowest_us[cpu], w->nr, w->a[0], w->a[1], w->a[2], w->a[3], w->a[4]);
        if (!finished[cpu]) {
            struct call *c = &last_call[cpu];
            guest_printf("hcfuzz: vCPU %u never came back from hypercall %lu (%lx, %lx, %lx, %lx, %lx)\n", cpu,
                         c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4]);
            stuck++;
        }
    }
    guest_printf("hcfuzz: memory_op %lu, grant_table_op %lu, event_channel_op %lu, vcpu_op %lu, sched_op %lu, "
                 "hvm_op %lu\n", per_nr[__HYPERVISOR_memory_op], per_nr[__HYPERVISOR_grant_table_op],
                 per_nr[__HYPERVISOR_event_channel_op], per_nr[__HYPERVISOR_vcpu_op], per_nr[__HYPERVISOR_sched_op],
                 per_nr[__HYPERVISOR_hvm_op]);
    guest_printf("hcfuzz: done: seed %lu, %lu calls on %u vCPUs, %lu answered other than -ENOSYS/-EPERM, "
                 "%lu vCPUs stuck\n", seed, total, cpus, reached, stuck);
    return stuck ? 1 : 0;
}
