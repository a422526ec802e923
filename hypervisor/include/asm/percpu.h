/*
 * Per-physical-CPU state. Each CPU's GS base points at its struct pcpu, whose
 * first field points at itself, so this_cpu() is one load.
 */
#ifndef ASM_PERCPU_H
#define ASM_PERCPU_H

#include <basalt/types.h>

#define MAX_CPUS 64
#define STACK_SIZE (16 * 1024)
#define IST_STACK_SIZE 4096

struct vcpu;

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __packed;

struct pcpu {
    struct pcpu *self;
    unsigned int id;        /* index in pcpus[] */
    uint32_t apic_id;
    uint32_t acpi_id;
    volatile bool online;
    bool halted;            /* stopped after a fatal error */

    uint8_t *stack;         /* STACK_SIZE bytes */
    uint64_t gdt[8] __aligned(16);
    struct tss64 tss __aligned(16);
    uint8_t *ist_stacks;    /* three IST stacks: NMI, #DF, #MC */

    /* SVM */
    void *hsave;            /* VM_HSAVE_PA page */
    void *host_vmcb;        /* host state saved with VMSAVE */
    uint32_t asid_next, asid_generation;

    /* scheduling */
    struct vcpu *current;   /* vCPU whose context is loaded, or NULL */
    struct runqueue *rq;
    volatile uint32_t softirqs;
    uint64_t timer_deadline; /* ns; 0 = none armed */
    uint64_t idle_ns, idle_since;
    struct timer_heap *timers;
};

extern struct pcpu *pcpus[MAX_CPUS];
extern unsigned int nr_pcpus;

#ifdef HOST_TEST
extern __thread struct pcpu *host_cpu; /* tests/unit/hv/host.c: one per thread */
static inline struct pcpu *this_cpu(void) { return host_cpu; }
#else
static inline struct pcpu *this_cpu(void)
{
    struct pcpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}
#endif

static inline unsigned int smp_processor_id(void)
{
    return this_cpu()->id;
}

#endif
