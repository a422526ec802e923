/*
 * Exceptions in the hypervisor are bugs: print the vector, error code and
 * registers, then stop this CPU; the others keep running. Interrupts go to
 * the registered handler and are acknowledged at the local APIC.
 */
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/x86.h>
#include <basalt/lib.h>

static irq_handler_t handlers[256];

static const char *const exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
    "#BR bound range", "#UD invalid opcode", "#NM device not available",
    "#DF double fault", "coprocessor overrun", "#TS invalid TSS",
    "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
    "#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

void set_irq_handler(unsigned int vector, irq_handler_t h)
{
    handlers[vector] = h;
}

void dump_frame(const struct trap_frame *f)
{
    printk("  rip %016lx  cs %04lx  rflags %016lx\n"
           "  rsp %016lx  ss %04lx  cr2 %016lx  cr3 %016lx\n"
           "  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n"
           "  rsi %016lx  rdi %016lx  rbp %016lx  r8  %016lx\n"
           "  r9  %016lx  r10 %016lx  r11 %016lx  r12 %016lx\n"
           "  r13 %016lx  r14 %016lx  r15 %016lx\n",
           f->rip, f->cs, f->rflags,
           f->rsp, f->ss, read_cr2(),
           read_cr3(), f->rax, f->rbx,
           f->rcx, f->rdx, f->rsi,
           f->rdi, f->rbp, f->r8,
           f->r9, f->r10, f->r11,
           f->r12, f->r13, f->r14,
           f->r15);
    /* A short raw stack dump helps when frame pointers are intact. */
    const uint64_t *sp = (const uint64_t *)(uintptr_t)f->rsp;
    if (f->rsp > PAGE_SIZE && !(f->rsp & 7)) {
        printk("  stack:");
        for (int i = 0; i < 8; i++)
            printk(" %016lx", sp[i]);
        printk("\n");
    }
}

void nmi_handler(struct trap_frame *f);

static void __noreturn fatal_exception(struct trap_frame *f)
{
    unsigned int v = (unsigned int)f->vector;
    const char *name = v < 32 && exception_names[v] ? exception_names[v] : "exception";
    pr_err("cpu %u: fatal %s (vector %u, error code %#lx) in the hypervisor\n",
           smp_processor_id(), name, v, f->error_code);
    dump_frame(f);
    pr_err("cpu %u stopped\n", smp_processor_id());
    this_cpu()->halted = true;
    halt_forever();
}

void trap_dispatch(struct trap_frame *f)
{
    unsigned int v = (unsigned int)f->vector;
    if (v == 2) {
        nmi_handler(f);
        return;
    }
    if (v < 32)
        fatal_exception(f);
    if (v == VEC_SPURIOUS)
        return;
    if (handlers[v])
        handlers[v](v, f);
    else
        pr_warn("cpu %u: unexpected interrupt vector %#x\n", smp_processor_id(), v);
    lapic_eoi();
}
