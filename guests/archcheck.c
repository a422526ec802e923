/*
 * Checks that the machine a guest sees behaves as hardware does where a
 * hypervisor can get it wrong, and does what the hypervisor must contain.
 * mode= (default checks):
 *   checks  - debug registers and #DB delivery, the local APIC's error
 *             status, ring 3 string I/O through the page tables' U/S and W
 *             bits, guest-physical memory with nothing behind it, CR4 writes.
 *             Prints "archcheck: NAME ok" or "... FAILED (...)", then
 *             "archcheck: checks passed N/M" and powers off.
 *   drkeep  - sets DR0-DR3 from pattern=N and checks for seconds=N (with
 *             yields to whatever shares the CPU) that they stay its own.
 *   initstorm - (3 vCPUs) vCPUs 1 and 2 send each other INIT as fast as
 *             they can for seconds=N while vCPU 0 restarts whichever is down;
 *             neither may wait for the other.
 *   adgrant - grants a page table it wrote (no A or D bits set) read-only
 *             to domain peer=N, then watches the page for seconds=N.
 *   adwalk  - maps that grant as one of its page tables and makes a
 *             hypercall through it: the hypervisor must not set the
 *             accessed bit in a page it may only read.
 */
#include "common/guest.h"

#define X86_CR0_WP (1UL << 16)
#define X86_CR4_PGE (1UL << 7)
#define X86_CR4_VMXE (1UL << 13)
#define RFLAGS_TF (1UL << 8)
#define PTE_P 0x1UL
#define PTE_W 0x2UL
#define PTE_U 0x4UL
#define PTE_A 0x20UL
#define PTE_PS 0x80UL
#define PFEC_P 1
#define PFEC_W 2
#define PFEC_U 4

#define SUPERVISOR_PAGE 0x400000UL /* 2 MiB page 2: ring 0 only */
#define USER_RO_PAGE 0x600000UL    /* 2 MiB page 3: ring 3, read-only */
#define WALK_VA 0x800000UL         /* 2 MiB slot 4: the borrowed page table */
#define UNBACKED 0x3f000000UL      /* in our page tables, far past our RAM */
#define GRANT_TABLE_GFN 0x3e000UL  /* where adgrant maps its grant table */
#define GRANT_MAP_GPA 0x3d000000UL /* where adwalk maps the grant */
#define GRANT_REF 10
#define TRAMPOLINE 0x8000UL        /* STARTUP vector 0x08 */
#define AP_STACK_SIZE 8192
#define ICR_INIT 0x4500UL          /* INIT, level assert */
#define ICR_STARTUP 0x4600UL

struct exc_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

extern const uint64_t exc_stubs[32];
extern const char ap_trampoline[], ap_trampoline_end[], ap_gdtr[], ap_cr3[];
extern uint64_t user_rdi, user_rcx, user_rdx, user_return_rsp;
extern char user_return[], user_rep_insb[], user_rep_outsb[];
void run_user(uint64_t rip, uint64_t rsp, uint64_t rflags);

static volatile uint64_t exc_vector, exc_error, exc_cr2, exc_dr6;
static volatile unsigned int exc_skip; /* bytes past a ring 0 fault */
static int checks, failures;

static uint64_t gdt[7] __attribute__((aligned(16)));
static struct {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1, ist[7], reserved2;
    uint16_t reserved3, iomap_base;
} __attribute__((packed)) tss;
static struct {
    uint16_t lo, sel;
    uint8_t ist, attr;
    uint16_t mid;
    uint32_t hi, zero;
} __attribute__((packed)) idt[32];
static uint8_t ring0_stack[16384] __attribute__((aligned(16)));
static uint8_t ring3_stack[8192] __attribute__((aligned(16)));
static uint8_t ring3_buffer[64];
static uint64_t granted_table[512] __attribute__((aligned(4096)));
uint8_t ap_stacks[3][AP_STACK_SIZE] __attribute__((aligned(16)));
static volatile bool storm_over;
static volatile uint64_t inits_sent;

#define READ_CR(n)                                                             \
    ({                                                                         \
        uint64_t v_;                                                           \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_));                     \
        v_;                                                                    \
    })
/* In RAX, so that each is 3 bytes long (the length exc_skip assumes). */
#define READ_DR(n)                                                             \
    ({                                                                         \
        uint64_t v_;                                                           \
        __asm__ volatile("mov %%db" #n ", %0" : "=a"(v_));                     \
        v_;                                                                    \
    })
#define WRITE_DR(n, v) __asm__ volatile("mov %0, %%db" #n ::"a"((uint64_t)(v)))

static uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

void exc_handler(struct exc_frame *f);
void exc_handler(struct exc_frame *f)
{
    exc_vector = f->vector;
    exc_error = f->error;
    if (f->vector == 14)
        exc_cr2 = READ_CR(2);
    if (f->vector == 1) {
        exc_dr6 = READ_DR(6);
        WRITE_DR(6, 0xffff0ff0UL); /* status bits are sticky: clear for the next */
        f->rflags &= ~RFLAGS_TF;
    }
    if ((f->cs & 3) == 3) { /* from ring 3: back to whoever called run_user */
        f->rip = (uint64_t)(uintptr_t)user_return;
        f->cs = 0x08;
        f->ss = 0x10;
        f->rsp = user_return_rsp;
        f->rflags = 0x2;
        return;
    }
    if (f->vector != 1) /* #DB here is a trap: RIP is past the instruction */
        f->rip += exc_skip;
}

/* what: two numbers that say what happened instead (named in the call). */
static void check(const char *name, bool ok, uint64_t what1, uint64_t what2)
{
    checks++;
    if (ok) {
        guest_printf("archcheck: %s ok\n", name);
        return;
    }
    failures++;
    guest_printf("archcheck: %s FAILED (%lx, %lx)\n", name, what1, what2);
}

/* Runs an instruction that may fault; evaluates to the vector it raised (0: none). */
#define TRY(len, asm_text, ...)                                                \
    ({                                                                         \
        exc_vector = 0;                                                        \
        exc_skip = len;                                                        \
        __asm__ volatile(asm_text ::__VA_ARGS__ : "memory");                   \
        exc_vector;                                                            \
    })

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));
static struct desc_ptr idt_desc, gdt_desc; /* for the APs */

/* Our own GDT (with ring 3 segments and a TSS for the way back), an IDT for
 * vectors 0-31, and ring 3 access to the 2 MiB page we run in. */
static void setup_cpu(void)
{
    gdt[1] = 0x00af9a000000ffffUL; /* 0x08: ring 0 code */
    gdt[2] = 0x00cf92000000ffffUL; /* 0x10: ring 0 data */
    gdt[3] = 0x00cff2000000ffffUL; /* 0x1b: ring 3 data */
    gdt[4] = 0x00affa000000ffffUL; /* 0x23: ring 3 code */
    uint64_t base = (uint64_t)(uintptr_t)&tss;
    tss.rsp[0] = (uint64_t)(uintptr_t)&ring0_stack[sizeof(ring0_stack)];
    tss.iomap_base = sizeof(tss);
    gdt[5] = (sizeof(tss) - 1) | (base & 0xffffff) << 16 | 0x89UL << 40 | ((base >> 24) & 0xff) << 56;
    gdt[6] = base >> 32;
    struct desc_ptr g = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };
    struct desc_ptr i = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    for (int v = 0; v < 32; v++) {
        uint64_t a = exc_stubs[v];
        idt[v] = (typeof(idt[0])){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
    }
    __asm__ volatile("lgdt %0; lidt %1; mov $0x28, %%ax; ltr %%ax" ::"m"(g), "m"(i) : "rax", "memory");
    idt_desc = i;
    gdt_desc = g;

    uint64_t *pml4 = (uint64_t *)(uintptr_t)(READ_CR(3) & ~0xfffUL);
    uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4[0] & ~0xfffUL);
    uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[0] & ~0xfffUL);
    pml4[0] |= PTE_U;
    pdpt[0] |= PTE_U;
    pd[0] |= PTE_U;
    memset((void *)USER_RO_PAGE, 0x22, 4096);
    pd[3] = USER_RO_PAGE | PTE_P | PTE_U | PTE_PS;
    __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
}

static void check_cr4(void)
{
    uint64_t cr4 = READ_CR(4);
    uint64_t vec = TRY(3, "mov %%rax, %%cr4", "a"(cr4 | X86_CR4_VMXE));
    check("CR4.VMXE (not offered on AMD) raises #GP", vec == 13 && READ_CR(4) == cr4, vec, READ_CR(4));
    vec = TRY(3, "mov %%rax, %%cr4", "a"(cr4 | (1UL << 15)));
    check("reserved CR4 bit 15 raises #GP", vec == 13, vec, 0);
    vec = TRY(3, "mov %%rax, %%cr4", "a"(cr4 & ~X86_CR4_PGE));
    uint64_t cleared = READ_CR(4);
    uint64_t vec2 = TRY(3, "mov %%rax, %%cr4", "a"(cr4));
    check("CR4.PGE can be cleared and set again", !vec && !vec2 && cleared == (cr4 & ~X86_CR4_PGE) &&
          READ_CR(4) == cr4, vec, vec2);
}

static volatile uint64_t watched;

static void check_debug_registers(void)
{
    uint64_t dr0 = 0, dr1 = 0, dr2 = 0, dr3 = 0, dr6 = 0, dr7 = 0;
    exc_vector = 0;
    exc_skip = 3;
    dr0 = READ_DR(0);
    dr1 = READ_DR(1);
    dr2 = READ_DR(2);
    dr3 = READ_DR(3);
    dr6 = READ_DR(6);
    dr7 = READ_DR(7);
    check("reading DR0-DR3, DR6, DR7 at start-up raises nothing", exc_vector == 0, exc_vector, 0);
    check("DR0-DR3 start at 0", !(dr0 | dr1 | dr2 | dr3), dr0 | dr1 | dr2 | dr3, 0);
    check("DR6 and DR7 start at their reset values", dr6 == 0xffff0ff0UL && dr7 == 0x400, dr6, dr7);
    WRITE_DR(0, 0x1000);
    WRITE_DR(1, 0x2000);
    WRITE_DR(2, 0x3000);
    WRITE_DR(3, 0x4000);
    check("DR0-DR3 keep what is written",
          READ_DR(0) == 0x1000 && READ_DR(1) == 0x2000 && READ_DR(2) == 0x3000 && READ_DR(3) == 0x4000,
          READ_DR(0), READ_DR(3));

    exc_vector = 0;
    __asm__ volatile("pushfq; orq %0, (%%rsp); popfq; nop" ::"i"(RFLAGS_TF) : "memory");
    check("single step raises #DB with DR6.BS", exc_vector == 1 && (exc_dr6 & (1UL << 14)), exc_vector,
          exc_dr6);

    exc_vector = 0;
    WRITE_DR(0, (uint64_t)(uintptr_t)&watched);
    WRITE_DR(7, 0x400UL | 1 | (1UL << 16) | (3UL << 18)); /* L0, on writes, 8 bytes */
    watched = 1;
    WRITE_DR(7, 0x400UL);
    check("a data breakpoint raises #DB with DR6.B0", exc_vector == 1 && (exc_dr6 & 1), exc_vector, exc_dr6);
}

static void check_apic_error_status(void)
{
    wrmsr(0x1b, rdmsr(0x1b) | (1UL << 11) | (1UL << 10)); /* x2APIC on */
    wrmsr(0x80f, 0x1ff);                                  /* SVR: enabled, spurious 0xff */
    wrmsr(0x828, 0);
    wrmsr(0x830, (1UL << 18) | 5); /* fixed IPI to self, vector 5: illegal */
    wrmsr(0x828, 0);               /* latch the errors */
    uint64_t esr = rdmsr(0x828);
    check("an illegal IPI vector sets ESR send and receive illegal vector (0x60)", esr == 0x60, esr, 0);
    wrmsr(0x828, 0);
    esr = rdmsr(0x828);
    check("writing ESR again clears it", esr == 0, esr, 0);
}

static void check_unbacked(void)
{
    volatile uint64_t *q = (volatile uint64_t *)UNBACKED;
    uint64_t before = *q;
    *q = 0x1234;
    uint64_t after = *q;
    uint8_t byte = *(volatile uint8_t *)UNBACKED;
    uint32_t word = *(volatile uint32_t *)(UNBACKED + 8);
    check("memory with nothing behind it reads all ones, writes are dropped",
          before == ~0UL && after == ~0UL && byte == 0xff && word == 0xffffffffU, before, after);
    /* A probe in a loop: the hypervisor's log lines about it are rate-limited. */
    for (int i = 0; i < 100; i++)
        before &= *q;
}

static uint64_t ring3_io(char *code, uint64_t addr, uint64_t count)
{
    user_rdi = addr;
    user_rcx = count;
    user_rdx = 0x80; /* a port the hypervisor emulates: reads all ones */
    exc_vector = 0;
    run_user((uint64_t)(uintptr_t)code, (uint64_t)(uintptr_t)&ring3_stack[sizeof(ring3_stack)], 0x3002);
    return exc_vector; /* IOPL 3 above; the code ends in UD2 */
}

static void check_ring3_string_io(void)
{
    memset(ring3_buffer, 0, sizeof(ring3_buffer));
    uint64_t vec = ring3_io(user_rep_insb, (uint64_t)(uintptr_t)ring3_buffer, 4);
    check("ring 3 REP INSB into its own page works", vec == 6 && ring3_buffer[3] == 0xff, vec,
          ring3_buffer[3]);

    volatile uint8_t *sup = (volatile uint8_t *)SUPERVISOR_PAGE;
    sup[0] = 0x11;
    vec = ring3_io(user_rep_insb, SUPERVISOR_PAGE, 4);
    check("ring 3 REP INSB into a ring 0 page raises #PF (U, W, P)",
          vec == 14 && exc_error == (PFEC_U | PFEC_W | PFEC_P) && exc_cr2 == SUPERVISOR_PAGE && sup[0] == 0x11,
          vec, exc_error);

    vec = ring3_io(user_rep_outsb, SUPERVISOR_PAGE, 4);
    check("ring 3 REP OUTSB from a ring 0 page raises #PF (U, P)",
          vec == 14 && exc_error == (PFEC_U | PFEC_P) && exc_cr2 == SUPERVISOR_PAGE, vec, exc_error);

    uint64_t cr0 = READ_CR(0);
    __asm__ volatile("mov %0, %%cr0" ::"r"(cr0 & ~X86_CR0_WP) : "memory");
    vec = ring3_io(user_rep_insb, USER_RO_PAGE, 4);
    __asm__ volatile("mov %0, %%cr0" ::"r"(cr0) : "memory");
    check("ring 3 REP INSB into a read-only page raises #PF even with CR0.WP clear",
          vec == 14 && exc_error == (PFEC_U | PFEC_W | PFEC_P) && *(volatile uint8_t *)USER_RO_PAGE == 0x22,
          vec, exc_error);
}

static int run_checks(void)
{
    /* What a hypervisor without the fix gets wrong fatally comes last. */
    check_debug_registers();
    check_apic_error_status();
    check_ring3_string_io();
    check_unbacked();
    check_cr4();
    guest_printf("archcheck: checks passed %d/%d\n", checks - failures, checks);
    return failures ? 1 : 0;
}

static int debug_registers_kept(void)
{
    uint64_t pattern = guest_arg_u64("pattern", 1) << 12;
    uint64_t seconds = guest_arg_u64("seconds", 3);
    WRITE_DR(0, pattern);
    WRITE_DR(1, pattern + 1);
    WRITE_DR(2, pattern + 2);
    WRITE_DR(3, pattern + 3);
    uint64_t end = rdtsc() + seconds * guest_tsc_khz() * 1000, rounds = 0;
    while (rdtsc() < end) {
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
        rounds++;
        uint64_t d0 = READ_DR(0), d3 = READ_DR(3);
        if (d0 != pattern || READ_DR(1) != pattern + 1 || READ_DR(2) != pattern + 2 || d3 != pattern + 3) {
            guest_printf("archcheck: DR0-DR3 changed under us after %lu rounds: DR0 %lx, want %lx\n", rounds, d0,
                         pattern);
            return 1;
        }
    }
    guest_printf("archcheck: DR0-DR3 kept for %lu rounds\n", rounds);
    return 0;
}

static bool vcpu_is_up(unsigned int id)
{
    return hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, id, 0) == 1;
}

/* vCPUs 1 and 2: INIT the other one until told to stop (or INITed). */
void ap_main(uint32_t cpu);
void ap_main(uint32_t cpu)
{
    __asm__ volatile("lidt %0" ::"m"(idt_desc));
    wrmsr(0x1b, 0xfee00000UL | (1UL << 11) | (1UL << 10)); /* x2APIC on */
    uint64_t other = cpu == 1 ? 2 : 1;
    while (!storm_over) {
        wrmsr(0x830, (other << 32) | ICR_INIT);
        __atomic_fetch_add(&inits_sent, 1, __ATOMIC_RELAXED);
    }
}

static int init_storm(void)
{
    if (!vcpu_is_up(0) || hypercall3(__HYPERVISOR_vcpu_op, VCPUOP_is_up, 2, 0) < 0) {
        guest_printf("archcheck: initstorm needs 3 vCPUs\n");
        return 1;
    }
    memcpy((void *)TRAMPOLINE, ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
    uint8_t *copy_gdtr = (uint8_t *)TRAMPOLINE + (ap_gdtr - ap_trampoline);
    memcpy(copy_gdtr, &gdt_desc.limit, 2);
    uint32_t gdt_base = (uint32_t)gdt_desc.base;
    memcpy(copy_gdtr + 2, &gdt_base, 4);
    uint32_t cr3 = (uint32_t)READ_CR(3);
    memcpy((uint8_t *)TRAMPOLINE + (ap_cr3 - ap_trampoline), &cr3, 4);
    wrmsr(0x1b, rdmsr(0x1b) | (1UL << 11) | (1UL << 10)); /* x2APIC on */

    uint64_t restarts = 0, end = rdtsc() + guest_arg_u64("seconds", 5) * guest_tsc_khz() * 1000;
    while (rdtsc() < end) {
        for (uint64_t cpu = 1; cpu <= 2; cpu++) {
            if (vcpu_is_up((unsigned int)cpu))
                continue;
            wrmsr(0x830, (cpu << 32) | ICR_INIT);
            wrmsr(0x830, (cpu << 32) | ICR_STARTUP | (TRAMPOLINE >> 12));
            restarts++;
        }
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    }
    storm_over = true;
    end = rdtsc() + 5 * guest_tsc_khz() * 1000;
    while ((vcpu_is_up(1) || vcpu_is_up(2)) && rdtsc() < end)
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    bool down = !vcpu_is_up(1) && !vcpu_is_up(2);
    guest_printf("archcheck: INIT storm: %lu INITs sent, %lu restarts, vCPUs 1 and 2 %s\n", inits_sent, restarts,
                 down ? "down again" : "STILL UP");
    return down && restarts ? 0 : 1;
}

static int grant_page_table(void)
{
    domid_t peer = (domid_t)guest_arg_u64("peer", 0);
    struct xen_add_to_physmap ap = { .domid = DOMID_SELF, .space = XENMAPSPACE_grant_table, .idx = 0,
                                     .gpfn = GRANT_TABLE_GFN };
    long rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (unsigned long)&ap);
    if (rc) {
        guest_printf("archcheck: cannot map the grant table: %ld\n", rc);
        return 1;
    }
    granted_table[0] = 0x200000UL | PTE_P | PTE_W; /* no A, no D */
    grant_entry_v1_t *gt = (grant_entry_v1_t *)(GRANT_TABLE_GFN << 12);
    gt[GRANT_REF].domid = peer;
    gt[GRANT_REF].frame = (uint32_t)((uint64_t)(uintptr_t)granted_table >> 12);
    __atomic_store_n(&gt[GRANT_REF].flags, GTF_permit_access | GTF_readonly, __ATOMIC_RELEASE);
    guest_printf("archcheck: page table granted read-only to domain %u\n", peer);
    uint64_t end = rdtsc() + guest_arg_u64("seconds", 20) * guest_tsc_khz() * 1000;
    while (rdtsc() < end) {
        if (__atomic_load_n(&granted_table[0], __ATOMIC_ACQUIRE) & (PTE_A | 0x40UL)) {
            guest_printf("archcheck: our read-only granted page was changed: %lx\n", granted_table[0]);
            return 1;
        }
        hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    }
    guest_printf("archcheck: granted page unchanged\n");
    return 0;
}

static int walk_granted_page_table(void)
{
    domid_t peer = (domid_t)guest_arg_u64("peer", 0);
    struct gnttab_map_grant_ref m;
    uint64_t end = rdtsc() + 20 * guest_tsc_khz() * 1000;
    do {
        m = (struct gnttab_map_grant_ref){ .host_addr = GRANT_MAP_GPA, .flags = GNTMAP_host_map | GNTMAP_readonly,
                                           .ref = GRANT_REF, .dom = peer };
        hypercall3(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, (unsigned long)&m, 1);
        if (m.status != GNTST_okay)
            hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
    } while (m.status != GNTST_okay && rdtsc() < end);
    if (m.status != GNTST_okay) {
        guest_printf("archcheck: cannot map the grant: %d\n", m.status);
        return 1;
    }
    uint64_t *pml4 = (uint64_t *)(uintptr_t)(READ_CR(3) & ~0xfffUL);
    uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4[0] & ~0xfffUL);
    uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[0] & ~0xfffUL);
    pd[WALK_VA >> 21] = GRANT_MAP_GPA | PTE_P | PTE_W | PTE_A;
    __asm__ volatile("mov %%cr3, %%rax; mov %%rax, %%cr3" ::: "rax", "memory");
    /* Only the hypervisor walks through it: a CPU walk would need to set the
     * accessed bit and fault. */
    long rc = hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, 1, WALK_VA);
    guest_printf("\narchcheck: console_io through the read-only page table returned %ld\n", rc);
    return 0;
}

int guest_main_entry(const struct hvm_start_info *si)
{
    char mode[16];
    if (!guest_arg("mode", mode, sizeof(mode)))
        mode[0] = '\0';
    setup_cpu();
    if (!strncmp(mode, "drkeep", 7))
        return debug_registers_kept();
    if (!strncmp(mode, "initstorm", 10))
        return init_storm();
    if (!strncmp(mode, "adgrant", 8))
        return grant_page_table();
    if (!strncmp(mode, "adwalk", 7))
        return walk_granted_page_table();
    return run_checks();
}
