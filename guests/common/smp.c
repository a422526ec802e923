/* INIT/STARTUP start-up of APs (see smp.h). */
#include "hcall.h"
#include "smp.h"
#include "trap.h"
#include "x86.h"

#define APIC_BASE_ADDR 0xfee00000ULL
#define APIC_BASE_BSP (1ULL << 8)
#define APIC_BASE_EXTD (1ULL << 10)
#define APIC_BASE_EN (1ULL << 11)
#define ICR_INIT 0x4500    /* INIT, level assert, edge */
#define ICR_STARTUP 0x4600 /* STARTUP, level assert */
#define AP_STACK_SIZE 16384

extern const char ap_trampoline[], ap_trampoline_end[];

/* Read by ap_boot.S on the way in; one AP starts at a time. */
volatile uint64_t ap_boot_stack;
volatile uint32_t ap_boot_cpu;

static ap_fn_t volatile ap_fn[SMP_MAX_CPUS];
static volatile uint32_t ap_starts[SMP_MAX_CPUS];
static uint8_t ap_stacks[SMP_MAX_CPUS][AP_STACK_SIZE] __attribute__((aligned(16)));
static unsigned int nr_cpus;

static void x2apic_on(bool bsp)
{
    x86_wrmsr(MSR_APIC_BASE, APIC_BASE_ADDR | APIC_BASE_EN | APIC_BASE_EXTD | (bsp ? APIC_BASE_BSP : 0));
}

bool smp_is_up(unsigned int cpu)
{
    return HYPERVISOR_vcpu_op(VCPUOP_is_up, cpu, NULL) == 1;
}

unsigned int smp_init(void)
{
    memcpy((void *)SMP_TRAMPOLINE, ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
    x2apic_on(true);
    guest_trap_init();
    nr_cpus = 1;
    while (nr_cpus < SMP_MAX_CPUS && HYPERVISOR_vcpu_op(VCPUOP_is_up, nr_cpus, NULL) >= 0)
        nr_cpus++;
    return nr_cpus;
}

unsigned int smp_cpus(void)
{
    return nr_cpus;
}

unsigned int smp_this_cpu(void)
{
    return (unsigned int)x86_rdmsr(MSR_X2APIC_ID);
}

void smp_send_ipi(uint32_t dest, uint32_t lo)
{
    x86_wrmsr(MSR_X2APIC_ICR, ((uint64_t)dest << 32) | lo);
}

void smp_send_init(unsigned int cpu)
{
    smp_send_ipi(cpu, ICR_INIT);
}

void smp_send_startup(unsigned int cpu, unsigned int page)
{
    smp_send_init(cpu);
    smp_send_ipi(cpu, ICR_STARTUP | (page & 0xff));
}

int smp_start(unsigned int cpu, ap_fn_t fn)
{
    if (cpu == 0 || cpu >= nr_cpus)
        return -1;
    uint32_t before = ap_starts[cpu];
    ap_fn[cpu] = fn;
    ap_boot_cpu = cpu;
    ap_boot_stack = (uint64_t)(uintptr_t)&ap_stacks[cpu][AP_STACK_SIZE];
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    smp_send_startup(cpu, SMP_TRAMPOLINE >> 12);
    uint64_t deadline = guest_now_us() + 1000000;
    while (__atomic_load_n(&ap_starts[cpu], __ATOMIC_ACQUIRE) == before) {
        if (guest_now_us() > deadline)
            return -1;
        x86_pause();
    }
    return 0;
}

/* Called by ap_boot.S on the AP's own stack. */
void ap_main(uint32_t cpu)
{
    x2apic_on(false);
    guest_trap_load();
    ap_fn_t fn = ap_fn[cpu];
    __atomic_add_fetch(&ap_starts[cpu], 1, __ATOMIC_RELEASE);
    fn(cpu);
}
