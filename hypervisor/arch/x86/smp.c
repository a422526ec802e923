/*
 * Application processor start-up (INIT, STARTUP, STARTUP through the local
 * APIC, one CPU at a time) and the two IPIs the hypervisor uses: a kick that
 * forces a CPU out of guest mode, and a cross-CPU function call.
 */
#include <asm/acpi.h>
#include <asm/apic.h>
#include <asm/desc.h>
#include <asm/irq.h>
#include <asm/smp.h>
#include <asm/x86.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/sched.h>
#include <basalt/spinlock.h>
#include <basalt/time.h>

struct pcpu *pcpus[MAX_CPUS];
unsigned int nr_pcpus;

extern char ap_trampoline_start[], ap_trampoline_end[];
extern uint64_t ap_boot_stack;
static struct pcpu *volatile ap_booting;

struct pcpu *pcpu_create(unsigned int id, uint32_t apic_id, uint32_t acpi_id)
{
    struct pcpu *p = alloc_hv_pages(order_for_size(sizeof(*p)));
    if (!p)
        panic("no memory for CPU %u", id);
    p->id = id;
    p->apic_id = apic_id;
    p->acpi_id = acpi_id;
    p->stack = alloc_hv_pages(order_for_size(STACK_SIZE));
    p->ist_stacks = alloc_hv_pages(order_for_size(4 * IST_STACK_SIZE));
    if (!p->stack || !p->ist_stacks)
        panic("no memory for CPU %u stacks", id);
    pcpus[id] = p;
    return p;
}

void cpu_start_common(struct pcpu *p); /* per-CPU set-up shared with the BSP */

void __noreturn ap_main(void)
{
    struct pcpu *p = ap_booting;
    cpu_desc_init(p);
    lapic_init();
    cpu_start_common(p);
    p->online = true;
    sched_idle_loop();
}

static paddr_t trampoline_page(void)
{
    for (paddr_t pa = 0x8000; pa < 0x9f000; pa += PAGE_SIZE)
        if (mm_is_ram(pa, pa + PAGE_SIZE))
            return pa;
    panic("no RAM below 1 MiB for the AP start-up code");
}

static bool wait_online(struct pcpu *p, uint64_t ms)
{
    uint64_t end = now_ns() + ms * NSEC_PER_MSEC;
    while (!p->online && now_ns() < end)
        cpu_relax();
    return p->online;
}

unsigned int smp_boot_cpus(unsigned int max_cpus)
{
    paddr_t tramp = trampoline_page();
    memcpy(phys_to_virt(tramp), ap_trampoline_start, ap_trampoline_end - ap_trampoline_start);

    uint32_t bsp = lapic_id();
    unsigned int online = 1;
    for (unsigned int i = 0; i < acpi.nr_cpus && nr_pcpus < max_cpus; i++) {
        if (acpi.cpus[i].apic_id == bsp)
            continue;
        struct pcpu *p = pcpu_create(nr_pcpus, acpi.cpus[i].apic_id, acpi.cpus[i].acpi_id);
        nr_pcpus++;
        ap_booting = p;
        ap_boot_stack = (uint64_t)(uintptr_t)(p->stack + STACK_SIZE);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);

        lapic_send_init(p->apic_id);
        lapic_send_startup(p->apic_id, (uint8_t)(tramp >> 12));
        if (!wait_online(p, 10)) {
            lapic_send_startup(p->apic_id, (uint8_t)(tramp >> 12));
            wait_online(p, 1000);
        }
        if (p->online)
            online++;
        else
            pr_err("cpu %u (APIC id %u) did not start\n", p->id, p->apic_id);
    }
    return online;
}

/* Cross-CPU calls: one at a time, which is all the hypervisor needs. */
static spinlock_t call_lock = SPINLOCK_INIT;
static void (*volatile call_fn)(void *);
static void *volatile call_arg;
static volatile bool call_done;

static void call_ipi(unsigned int vector, struct trap_frame *f)
{
    void (*fn)(void *) = call_fn;
    void *arg = call_arg;
    fn(arg);
    call_done = true;
}

void smp_call(unsigned int cpu, void (*fn)(void *), void *arg)
{
    if (cpu == smp_processor_id()) {
        fn(arg);
        return;
    }
    spin_lock(&call_lock);
    call_fn = fn;
    call_arg = arg;
    call_done = false;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    lapic_send_ipi(pcpus[cpu]->apic_id, VEC_CALL);
    while (!call_done)
        cpu_relax();
    spin_unlock(&call_lock);
}

static void kick_ipi(unsigned int vector, struct trap_frame *f)
{
    /* Nothing to do: arriving here already left guest mode or woke HLT. */
}

void smp_kick(unsigned int cpu)
{
    if (cpu != smp_processor_id())
        lapic_send_ipi(pcpus[cpu]->apic_id, VEC_KICK);
}

void smp_init_ipis(void)
{
    set_irq_handler(VEC_KICK, kick_ipi);
    set_irq_handler(VEC_CALL, call_ipi);
}
