/*
 * A guest that misbehaves on purpose. It first probes what must fail
 * without harming it (unknown hypercalls, bad pointers, privileged
 * instructions), printing "hostile: probe NAME ok" or "... FAILED", then
 * does what its mode= asks: npf (write to guest-physical memory that does
 * not exist), triple (a triple fault), or probe (stop after the probes).
 */
#include "common/guest.h"

#define ENOSYS 38
#define EFAULT 14
#define EINVAL 22

/* Set by the exception stubs in hostile_exc.S. */
extern volatile uint64_t exc_vector, exc_skip;
void exc_ud_stub(void);
void exc_gp_stub(void);

struct idt_gate {
    uint16_t lo, sel;
    uint8_t ist, attr;
    uint16_t mid;
    uint32_t hi, zero;
} __attribute__((packed));

static struct idt_gate idt[32];
static int probes, failures;

static void set_gate(int vec, void (*fn)(void))
{
    uint64_t a = (uint64_t)(uintptr_t)fn;
    idt[vec] = (struct idt_gate){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
}

static void load_idt(void)
{
    set_gate(6, exc_ud_stub);
    set_gate(13, exc_gp_stub);
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) d = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" ::"m"(d));
}

static void expect(const char *name, long got, long want)
{
    probes++;
    if (got == want) {
        guest_printf("hostile: probe %s ok\n", name);
    } else {
        failures++;
        guest_printf("hostile: probe %s FAILED (got %ld, want %ld)\n", name, got, want);
    }
}

static long console_write(const void *p, unsigned long n)
{
    return hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, n, (unsigned long)p);
}

/* Runs a privileged instruction and reports which exception it raised. */
#define TRY_INSN(name, len, want_vec, asm_text, ...)                           \
    do {                                                                       \
        exc_vector = 0;                                                        \
        exc_skip = len;                                                        \
        __asm__ volatile(asm_text ::__VA_ARGS__ : "memory");                   \
        expect(name, (long)exc_vector, want_vec);                              \
    } while (0)

static void run_probes(void)
{
    static const char ok_text[] = "hostile: a valid write still works\n";
    uint64_t ram_top;

    expect("unknown hypercall 64", hypercall2(64, 0, 0), -ENOSYS);
    expect("unknown hypercall 4096", hypercall2(4096, 0, 0), -ENOSYS);
    expect("unknown hypercall -1", hypercall2(~0UL, 0, 0), -ENOSYS);
    expect("sched_op bad command", hypercall2(__HYPERVISOR_sched_op, 77, 0), -ENOSYS);
    expect("xen_version bad command", hypercall2(__HYPERVISOR_xen_version, 9999, 0), -ENOSYS);

    /* Pointers: unmapped in our page tables, non-canonical, past our RAM. */
    expect("console_io unmapped pointer", console_write((void *)0x7fff00000000UL, 16), -EFAULT);
    expect("console_io non-canonical pointer", console_write((void *)0x8000000000000000UL, 16), -EFAULT);
    ram_top = 0x3f000000; /* identity-mapped by us, far beyond our RAM */
    expect("console_io pointer past RAM", console_write((void *)ram_top, 16), -EFAULT);
    expect("console_io length past RAM", console_write(ok_text, 0xffffffffUL), -EFAULT);
    expect("xen_version bad pointer",
           hypercall2(__HYPERVISOR_xen_version, XENVER_extraversion, 0x7fff00000000UL), -EFAULT);
    expect("get_features bad pointer",
           hypercall2(__HYPERVISOR_xen_version, XENVER_get_features, 0x3f000000UL), -EFAULT);
    expect("shutdown bad pointer", hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, 0x3f000000UL), -EFAULT);
    struct sched_shutdown bad = { .reason = 99 };
    expect("shutdown bad reason", hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (unsigned long)&bad), -EINVAL);
    expect("console_io after the bad calls", console_write(ok_text, sizeof(ok_text) - 1), 0);

    /* Instructions we must refuse without trouble. */
    TRY_INSN("vmrun raises #UD", 3, 6, "vmrun %%rax", "a"(0));
    TRY_INSN("vmload raises #UD", 3, 6, "vmload %%rax", "a"(0));
    TRY_INSN("unknown MSR read raises #GP", 2, 13, "rdmsr", "c"(0xdeadbeef));
    TRY_INSN("EFER reserved bit raises #GP", 2, 13, "wrmsr", "c"(0xc0000080), "a"(1u << 20), "d"(0));
    uint64_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | (1UL << 18))); /* OSXSAVE, so XSETBV reaches us */
    TRY_INSN("xsetbv without x87 raises #GP", 3, 13, "xsetbv", "c"(0), "a"(0), "d"(0));
    TRY_INSN("xsetbv to XCR1 raises #GP", 3, 13, "xsetbv", "c"(1), "a"(1), "d"(0));
    TRY_INSN("rdpmc raises #GP", 2, 13, "rdpmc", "c"(0));
    TRY_INSN("hypercall MSR at bad address raises #GP", 2, 13, "wrmsr", "c"(0x40000000), "a"(0x123), "d"(0));

    guest_printf("hostile: probes passed %d/%d\n", probes - failures, probes);
}

int guest_main_entry(const struct hvm_start_info *si)
{
    char mode[16];
    if (!guest_arg("mode", mode, sizeof(mode)))
        mode[0] = '\0';
    load_idt();
    run_probes();

    if (!strncmp(mode, "npf", 4)) {
        guest_printf("hostile: writing to guest-physical memory that does not exist\n");
        *(volatile uint64_t *)0x3f000000UL = 0xbad;
    } else if (!strncmp(mode, "triple", 7)) {
        guest_printf("hostile: triple fault\n");
        struct {
            uint16_t limit;
            uint64_t base;
        } __attribute__((packed)) none = { 0, 0 };
        __asm__ volatile("lidt %0; int3" ::"m"(none));
    } else {
        guest_printf("hostile: probes done\n");
        return failures ? 1 : 0;
    }
    guest_printf("hostile: still running after the fatal act: hypervisor bug\n");
    return 1;
}
