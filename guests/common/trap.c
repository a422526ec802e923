/* The shared IDT and the default exception handler: report, then stop
 * this vCPU (an AP goes offline; the boot vCPU crashes the domain). */
#include "guest.h"
#include "trap.h"
#include "x86.h"

struct idt_gate {
    uint16_t lo, sel;
    uint8_t ist, attr;
    uint16_t mid;
    uint32_t hi, zero;
} __attribute__((packed));

extern const uint64_t trap_stubs[32];
static struct idt_gate idt[32] __attribute__((aligned(16)));
static trap_handler_t handlers[32];

void guest_trap_set_raw(unsigned int vector, void (*entry)(void), unsigned int ist, unsigned int dpl)
{
    uint64_t a = (uint64_t)(uintptr_t)entry;
    idt[vector] = (struct idt_gate){ (uint16_t)a, 0x08, (uint8_t)ist, (uint8_t)(0x8e | (dpl << 5)),
                                     (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
}

void guest_trap_set(unsigned int vector, trap_handler_t h)
{
    handlers[vector] = h;
}

void guest_trap_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) d = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" ::"m"(d));
}

void guest_trap_set_default(unsigned int vector)
{
    guest_trap_set_raw(vector, (void (*)(void))(uintptr_t)trap_stubs[vector], 0, 0);
}

void guest_trap_init(void)
{
    for (unsigned int v = 0; v < 32; v++)
        if (!idt[v].attr)
            guest_trap_set_default(v);
    guest_trap_load();
}

void guest_trap(struct trap_frame *f)
{
    trap_handler_t h = f->vector < 32 ? handlers[f->vector] : NULL;
    if (h && h(f))
        return;
    uint64_t cpu = x86_rdmsr(MSR_APIC_BASE) & 0x100 ? 0 : 1;
    guest_printf("guest: %s vCPU: exception %lu error %lx at rip %lx rsp %lx\n", cpu ? "an AP" : "the boot",
                 f->vector, f->error, f->rip, f->rsp);
    if (!cpu)
        guest_shutdown(SHUTDOWN_crash);
    for (;;)
        __asm__ volatile("cli; hlt");
}
