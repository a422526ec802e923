/* GDT, TSS (with IST stacks for NMI, #DF, #MC) and the IDT. */
#include <asm/desc.h>
#include <asm/x86.h>
#include <basalt/lib.h>

#define STUB_SIZE 16
#define IST_NMI 1
#define IST_DF  2
#define IST_MC  3

struct idt_gate {
    uint16_t offset_lo, selector;
    uint8_t ist, type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi, reserved;
} __packed;

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __packed;

static struct idt_gate idt[256] __aligned(16);
extern char trap_stubs[];

static void set_gate(unsigned int vec, unsigned int ist)
{
    uint64_t addr = (uint64_t)(uintptr_t)(trap_stubs + vec * STUB_SIZE);
    idt[vec] = (struct idt_gate){
        .offset_lo = (uint16_t)addr,
        .selector = HV_CS,
        .ist = (uint8_t)ist,
        .type_attr = 0x8e, /* present, DPL 0, interrupt gate */
        .offset_mid = (uint16_t)(addr >> 16),
        .offset_hi = (uint32_t)(addr >> 32),
    };
}

void idt_init(void)
{
    for (unsigned int v = 0; v < 256; v++)
        set_gate(v, 0);
    set_gate(2, IST_NMI);
    set_gate(8, IST_DF);
    set_gate(18, IST_MC);
}

void cpu_desc_init(struct pcpu *p)
{
    p->gdt[0] = 0;
    p->gdt[1] = 0x00af9a000000ffffULL; /* HV_CS: 64-bit code */
    p->gdt[2] = 0x00cf92000000ffffULL; /* HV_DS */
    uint64_t tss = (uint64_t)(uintptr_t)&p->tss;
    uint64_t limit = sizeof(p->tss) - 1;
    p->gdt[3] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x89ULL << 40) |
                (((limit >> 16) & 0xf) << 48) | (((tss >> 24) & 0xff) << 56);
    p->gdt[4] = tss >> 32;

    p->tss.rsp[0] = (uint64_t)(uintptr_t)(p->stack + STACK_SIZE);
    for (int i = 0; i < 3; i++)
        p->tss.ist[i] = (uint64_t)(uintptr_t)(p->ist_stacks + (i + 1) * IST_STACK_SIZE);
    p->tss.iomap_base = sizeof(p->tss);

    struct desc_ptr gdtr = { sizeof(p->gdt) - 1, (uint64_t)(uintptr_t)p->gdt };
    struct desc_ptr idtr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile(
        "lgdt %0\n\t"
        "lidt %1\n\t"
        "pushq %2\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "mov %3, %%ds\n\t"
        "mov %3, %%es\n\t"
        "mov %3, %%ss\n\t"
        "ltr %w4\n\t"
        :
        : "m"(gdtr), "m"(idtr), "i"(HV_CS), "r"(HV_DS), "r"(HV_TSS)
        : "rax", "memory");
    __asm__ volatile("mov %0, %%fs; mov %0, %%gs" ::"r"(0));
    p->self = p;
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
}
