/*
 * hvmcheck: an HVM test guest (see guests/README.md). Entered as
 * hvmloader is, in 32-bit flat protected mode with EBX = start info, it
 * checks what a BIOS and a boot loader need of the hypervisor: Xen's CPUID
 * leaves and hypercall page, HVM parameters, MTRRs, the local APIC and the
 * 48-pin IOAPIC, device memory nobody claims, real mode with the PIC, PIT
 * and RTC interrupts through the IVT, port 0x61, the PM timer and its move,
 * the 0xCF8 latch, long mode, INIT/STARTUP of the second vCPU into real
 * mode, the event-channel callback as a GSI and as a PCI INTx with
 * shared_info in the MMIO hole. It prints through port 0xE9:
 * "hvmcheck: NAME ok" or "hvmcheck: NAME FAILED (...)", then
 * "hvmcheck: checks passed N/M", and powers off.
 *
 * mode= on its command line picks misbehaviour instead: `triple` (a triple
 * fault in real mode), `badinsn` (an instruction the emulator does not know
 * on device memory, in real mode), `flood` (device memory and ports nobody
 * claims, in a loop), `smc` (the second vCPU rewrites an instruction the
 * first keeps running on device memory); `dm` checks the way to a device
 * model (dom0/tools/xen-dmtest) instead of the platform.
 */
#include "hvmcheck.h"

#include <stdarg.h>
#include <stddef.h>
#include <xen/arch-x86/cpuid.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/event_channel.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include <xen/sched.h>
#include <xen/version.h>
#include <xen/xen.h>

/* Ports and registers */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return lo | (uint64_t)hi << 32;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline void cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}
static inline uint32_t mmio_read32(uint32_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write32(uint32_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

/* Output: port 0xE9 */

static void putc_e9(char c) { outb(0xe9, (uint8_t)c); }

static void put_str(const char *s)
{
    while (*s)
        putc_e9(*s++);
}

static void put_hex(uint64_t v)
{
    put_str("0x");
    int started = 0;
    for (int i = 60; i >= 0; i -= 4) {
        unsigned int d = (unsigned int)(v >> i) & 15;
        if (d || started || i == 0) {
            putc_e9("0123456789abcdef"[d]);
            started = 1;
        }
    }
}

static void put_dec(uint32_t v)
{
    char b[12];
    int n = 0;
    do {
        b[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putc_e9(b[--n]);
}

static unsigned int passed, total;

static void check(const char *name, int ok, uint64_t got, uint64_t want)
{
    total++;
    put_str("hvmcheck: ");
    put_str(name);
    if (ok) {
        passed++;
        put_str(" ok\n");
    } else {
        put_str(" FAILED (");
        put_hex(got);
        put_str(", ");
        put_hex(want);
        put_str(")\n");
    }
}

/* Hypercalls, through the page the Xen MSR writes */

static uint8_t hypercall_page[4096] __attribute__((aligned(4096)));

static long hypercall2(unsigned int nr, uint32_t a1, uint32_t a2)
{
    long ret;
    __asm__ volatile("call *%[fn]"
                     : "=a"(ret), "+b"(a1), "+c"(a2)
                     : [fn] "r"(hypercall_page + nr * 32)
                     : "memory", "edx", "esi", "edi");
    return ret;
}

static long hvm_param(int set, uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index, .value = *value };
    long rc = hypercall2(__HYPERVISOR_hvm_op, set ? HVMOP_set_param : HVMOP_get_param, (uint32_t)&p);
    *value = p.value;
    return rc;
}

/* The Xen leaves, wherever they are in 0x40000000-0x4000ff00. */
static uint32_t xen_cpuid_base(void)
{
    for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
        uint32_t r[4];
        cpuid(base, r);
        if (r[1] == 0x566e6558 && r[2] == 0x65584d4d && r[3] == 0x4d4d566e && r[0] - base >= 2)
            return base;
    }
    return 0;
}

static int str_has(const char *s, const char *word)
{
    for (; s && *s; s++) {
        const char *a = s, *b = word;
        while (*b && *a == *b)
            a++, b++;
        if (!*b)
            return 1;
    }
    return 0;
}

static void shutdown(unsigned int reason)
{
    struct sched_shutdown s = { .reason = reason };
    hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint32_t)&s);
}

/* Checks */

static void check_xen_interface(uint32_t base)
{
    uint32_t r[4];
    check("Xen CPUID leaves", base != 0, base, 0x40000000);
    if (!base)
        return;
    cpuid(base + 2, r);
    wrmsr(r[1], (uint32_t)hypercall_page);
    long v = hypercall2(__HYPERVISOR_xen_version, XENVER_version, 0);
    check("hypercall page (xen_version 4.17)", v == ((4 << 16) | 17), (uint64_t)v, (4 << 16) | 17);
    cpuid(base + 4, r);
    check("CPUID leaf 4: vCPU id present", (r[0] & XEN_HVM_CPUID_VCPU_ID_PRESENT) && r[1] == 0, r[0], r[1]);

    uint64_t evtchn = 0, ioreq_pfn = 0, nr_pages = 0, forbidden = 0;
    long rc1 = hvm_param(0, HVM_PARAM_CONSOLE_EVTCHN, &evtchn);
    long rc2 = hvm_param(0, HVM_PARAM_IOREQ_SERVER_PFN, &ioreq_pfn);
    long rc3 = hvm_param(0, HVM_PARAM_NR_IOREQ_SERVER_PAGES, &nr_pages);
    (void)rc2;
    (void)rc3;
    /* The guest may read its rings, not the device models' pages. */
    long rc4 = hvm_param(1, HVM_PARAM_IOREQ_SERVER_PFN, &forbidden);
    check("HVM parameters: console channel readable, ioreq pages refused to the guest",
          rc1 == 0 && evtchn != 0 && rc2 == -1 && rc4 == -1, (uint64_t)rc2, (uint64_t)-1);
}

static void check_mtrr(void)
{
    uint64_t cap = rdmsr(0xfe);
    wrmsr(0x200, 0x00000006);           /* base 0, WB */
    wrmsr(0x201, 0xfff0000800ULL);      /* 1 GiB, valid */
    wrmsr(0x259, 0x0606060606060600ULL); /* a fixed range */
    wrmsr(0x2ff, 0xc06);
    int ok = (cap & 0xff) == 8 && rdmsr(0x200) == 6 && rdmsr(0x201) == 0xfff0000800ULL &&
             rdmsr(0x259) == 0x0606060606060600ULL && rdmsr(0x2ff) == 0xc06;
    check("MTRRs: 8 variable ranges, what is written reads back", ok, cap, 0x508);
}

static void check_apics(void)
{
    uint32_t id = mmio_read32(0xfee00020), ver = mmio_read32(0xfee00030);
    check("local APIC (MMIO): id 0, version 0x50014", id == 0 && ver == 0x50014, ((uint64_t)id << 32) | ver,
          0x50014);
    /* Virtual wire: the PIC's interrupts through LINT0, as hvmloader sets it. */
    mmio_write32(0xfee000f0, 0x1ff);
    mmio_write32(0xfee00350, 0x700);
    mmio_write32(0xfec00000, 1);
    uint32_t ioapic_ver = mmio_read32(0xfec00010);
    mmio_write32(0xfec00000, 0);
    uint32_t ioapic_id = mmio_read32(0xfec00010);
    check("IOAPIC (MMIO): 48 pins, id 1", ioapic_ver == 0x2f0011 && ioapic_id == 1u << 24, ioapic_ver, 0x2f0011);
}

static uint32_t buf32[16];

static void check_unclaimed_mmio(void)
{
    uint32_t a = mmio_read32(0xfed00000);
    uint32_t b, c, d;
    __asm__ volatile("movzwl 0xfed00002, %0" : "=r"(b));
    mmio_write32(0xfed00004, 0x12345678);
    __asm__ volatile("addl $7, 0xfed00004\n\t"
                     "movl 0xfed00004, %0"
                     : "=r"(c)::"memory");
    d = 0x55;
    __asm__ volatile("xchgl %0, 0xfed00008" : "+r"(d)::"memory");
    for (int i = 0; i < 16; i++)
        buf32[i] = 0;
    uint32_t left = 16, src = 0xfed00000, dst = (uint32_t)buf32;
    __asm__ volatile("cld\n\trep movsl" : "+c"(left), "+S"(src), "+D"(dst) : : "memory");
    int movs_ok = left == 0;
    for (int i = 0; i < 16; i++)
        movs_ok &= buf32[i] == 0xffffffff;
    left = 32;
    dst = 0xfed00100;
    __asm__ volatile("rep stosl" : "+c"(left), "+D"(dst) : "a"(0x1111) : "memory");
    check("device memory nobody claims: reads all ones (MOV, MOVZX, XCHG, REP MOVS)",
          a == 0xffffffff && b == 0xffff && d == 0xffffffff && movs_ok, ((uint64_t)a << 32) | b, 0xffffffff);
    check("... writes go nowhere (MOV, ADD, REP STOS)", c == 0xffffffff && left == 0, c, 0xffffffff);
}

static void check_real_mode(void)
{
    call16(rm_pic_pit);
    check("real mode: PIT IRQ 0 through the PIC and the IVT", rm.pit_ticks >= 20 && rm.imr_master == 0xfa,
          rm.pit_ticks, 20);
    check("real mode: INT 0x80 through the IVT, PIT counter latch", rm.soft_ints == 1 && rm.pit_count < 1193,
          ((uint64_t)rm.soft_ints << 16) | rm.pit_count, 1193);
    call16(rm_rtc);
    int bcd = (rm.rtc_sec & 0xf) < 10 && (rm.rtc_sec >> 4) < 6 && (rm.rtc_year & 0xf) < 10;
    check("real mode: RTC (register D, CMOS memory, BCD clock)",
          rm.rtc_d == 0x80 && rm.cmos_34 == 0x5a && bcd && (rm.rtc_b & 0x02), ((uint64_t)rm.rtc_d << 8) | rm.cmos_34,
          0x805a);
    check("real mode: RTC periodic IRQ 8 through the slave PIC", rm.rtc_ticks >= 5, rm.rtc_ticks, 5);
    call16(rm_port61);
    check("real mode: PIT channel 2 gated through port 0x61, refresh toggling",
          rm.out2_low && rm.out2_high && rm.refresh_toggles > 0, rm.refresh_toggles,
          ((uint64_t)rm.out2_low << 1) | rm.out2_high);
    call16(rm_mmio);
    check("real mode: device memory nobody claims (MOV, MOVZX, ADD, REP MOVSW, REP STOSW)",
          rm.vga_word == 0xffff && rm.vga_rmw == 0xffff && rm.vga_movzx == 0xff && rm.vga_movs_ok &&
              rm.vga_stos_cx == 0,
          ((uint64_t)rm.vga_word << 16) | rm.vga_rmw, 0xffffffff);
}

static void check_long_mode(void)
{
    call64(lm_mmio);
    check("long mode: device memory (64-bit MOV and ADD, the local APIC)",
          lm_unclaimed == ~0ULL && lm_lapic_ver == 0x50014, lm_unclaimed, lm_lapic_ver);
}

static uint32_t pm_read(uint16_t port)
{
    return inl(port);
}

static void check_pm_timer_and_ports(void)
{
    uint32_t a = pm_read(0x1f48);
    for (volatile int i = 0; i < 100000; i++)
        ;
    uint32_t b = pm_read(0x1f48);
    uint64_t one = 1;
    long rc = hvm_param(1, HVM_PARAM_ACPI_IOPORTS_LOCATION, &one);
    uint32_t c = pm_read(0xb008);
    for (volatile int i = 0; i < 100000; i++)
        ;
    uint32_t d = pm_read(0xb008);
    uint32_t old = pm_read(0x1f48);
    check("PM timer counts at 0x1F48, then at 0xB008 (ACPI_IOPORTS_LOCATION)",
          rc == 0 && b != a && d != c && old == 0xffffffff, ((uint64_t)a << 32) | b, ((uint64_t)c << 32) | d);
    outl(0xcf8, 0x80000000);
    uint32_t dev = inl(0xcfc), latch = inl(0xcf8);
    uint8_t com1 = inb(0x3f8);
    check("no device model: PCI config reads all ones, 0xCF8 reads back, COM1 all ones",
          dev == 0xffffffff && latch == 0x80000000 && com1 == 0xff, dev, latch);
}

static void lapic_ipi(uint32_t apic_id, uint32_t icr)
{
    mmio_write32(0xfee00310, apic_id << 24);
    mmio_write32(0xfee00300, icr);
}

static void wait_for(volatile uint32_t *p, uint32_t want)
{
    for (unsigned long i = 0; i < 200000000UL && *p < want; i++)
        __asm__ volatile("pause");
}

static void check_init_sipi(void)
{
    uint32_t vector = (uint32_t)ap_trampoline >> 12;
    for (int round = 1; round <= 2; round++) {
        lapic_ipi(2, 0x4500);           /* INIT, assert, to APIC ID 2: vCPU 1 */
        lapic_ipi(2, 0x4600 | vector);  /* STARTUP */
        wait_for(&ap_protected, (uint32_t)round);
    }
    check("INIT/STARTUP: vCPU 1 starts in real mode, goes to protected mode, twice",
          ap_real == 2 && ap_protected == 2, ((uint64_t)ap_real << 32) | ap_protected, 0x200000002ULL);
}

/* The event-channel upcall as an interrupt line (HVM_PARAM_CALLBACK_IRQ,
 * GSI and PCI INTx forms): an event on an IPI channel to vCPU 0 raises
 * the line; the IOAPIC hands its vector to the local APIC, seen in IRR. */
static struct shared_info *shinfo = (struct shared_info *)0xfc000000;

static int callback_raises(uint64_t via, unsigned int pin, uint8_t vector, evtchn_port_t port)
{
    mmio_write32(0xfec00000, 0x10 + 2 * pin + 1);
    mmio_write32(0xfec00010, 0);                /* to APIC ID 0 */
    mmio_write32(0xfec00000, 0x10 + 2 * pin);
    mmio_write32(0xfec00010, vector | 1u << 15); /* level-triggered, unmasked */
    uint64_t v = via;
    if (hvm_param(1, HVM_PARAM_CALLBACK_IRQ, &v))
        return 0;
    struct evtchn_send send = { .port = port };
    /* Xen gives a 32-bit guest the 32-bit shared_info layout; Basalt keeps
     * the 64-bit one for now: evtchn_pending_sel is cleared in both (bytes
     * 4-15 of vcpu_info; ports 0-31 are the first word of either). */
    shinfo->vcpu_info[0].evtchn_upcall_pending = 0;
    for (unsigned int i = 4; i < 16; i++)
        ((volatile uint8_t *)&shinfo->vcpu_info[0])[i] = 0;
    shinfo->evtchn_pending[0] = 0;
    hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint32_t)&send);
    uint32_t irr = mmio_read32(0xfee00200 + (vector / 32) * 0x10);
    /* Taken back down: the upcall flag cleared, masked again at the IOAPIC. */
    shinfo->vcpu_info[0].evtchn_upcall_pending = 0;
    mmio_write32(0xfec00000, 0x10 + 2 * pin);
    mmio_write32(0xfec00010, 1u << 16);
    return (irr >> (vector % 32)) & 1;
}

static void check_callback_via(void)
{
    struct xen_add_to_physmap xatp = { .domid = DOMID_SELF, .space = XENMAPSPACE_shared_info, .idx = 0,
                                       .gpfn = 0xfc000 };
    long rc = hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (uint32_t)&xatp);
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    long rc2 = hypercall2(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_ipi, (uint32_t)&ipi);
    check("shared_info mapped in the MMIO hole", rc == 0 && rc2 == 0 && shinfo->vcpu_info[0].time.version,
          (uint64_t)rc, (uint64_t)rc2);
    int gsi = callback_raises(20, 20, 0x41, ipi.port);
    /* PCI device 3, INTA: GSI 16 + ((3 * 4 + 0 + 0) mod 32) = 28 */
    int intx = callback_raises((1ULL << 56) | (3u << 11), 28, 0x42, ipi.port);
    check("event-channel callback as a GSI and as a PCI INTx reaches the IOAPIC", gsi && intx, gsi, intx);
}

static void run_checks(void)
{
    uint32_t base = xen_cpuid_base();
    check_xen_interface(base);
    check_mtrr();
    check_apics();
    check_unclaimed_mmio();
    check_real_mode();
    check_long_mode();
    check_pm_timer_and_ports();
    check_init_sipi();
    check_callback_via();
    put_str("hvmcheck: checks passed ");
    put_dec(passed);
    putc_e9('/');
    put_dec(total);
    putc_e9('\n');
}

/* mode=dm: a device model in Dom0 (dom0/tools/xen-dmtest) serves ports
 * 0x600-0x607 and the page at 0xFE000000; the accesses go to it as ioreqs
 * and the vCPU waits for each answer. */

#define DM_MMIO 0xfe000000u

static uint32_t dm_src[16], dm_dst[16];

/* Polls its port until it answers, up to ten minutes by the PM timer
 * (3.58 MHz; 24 bits are enough between two looks). */
static int dm_wait(void)
{
    uint32_t last = inl(0x1f48) & 0xffffff;
    uint64_t ticks = 0;
    while (ticks < 600ULL * 3579545) {
        if (inl(0x600) == 0x12345678)
            return 1;
        for (volatile int i = 0; i < 20000; i++)
            ;
        uint32_t now = inl(0x1f48) & 0xffffff;
        ticks += (now - last) & 0xffffff;
        last = now;
    }
    return 0;
}

static void dm_checks(void)
{
    if (!dm_wait()) {
        put_str("hvmcheck: no device model answered\n");
        return;
    }
    put_str("hvmcheck: device model answers\n");
    uint32_t l = inl(0x600);
    uint8_t b = inb(0x601);
    uint16_t w;
    __asm__ volatile("inw %1, %0" : "=a"(w) : "Nd"((uint16_t)0x602));
    check("dm: IN of 4, 1 and 2 bytes answered by the device model", l == 0x12345678 && b == 0x56 && w == 0x1234,
          ((uint64_t)b << 16) | w, 0x561234);
    outl(0x604, 0xcafef00d);
    uint32_t back = inl(0x604);
    check("dm: OUT then IN through its register", back == 0xcafef00d, back, 0xcafef00d);

    mmio_write32(DM_MMIO + 0x10, 0xdeadbeef);
    uint32_t m1 = mmio_read32(DM_MMIO + 0x10);
    __asm__ volatile("addl $1, %0" : "+m"(*(volatile uint32_t *)(DM_MMIO + 0x10)));
    uint32_t m2 = mmio_read32(DM_MMIO + 0x10);
    uint32_t x = 0x11223344;
    __asm__ volatile("xchgl %0, %1" : "+r"(x), "+m"(*(volatile uint32_t *)(DM_MMIO + 0x20)));
    uint32_t m3 = mmio_read32(DM_MMIO + 0x20);
    check("dm: device memory: MOV, ADD (read answered, then write), XCHG",
          m1 == 0xdeadbeef && m2 == 0xdeadbef0 && x == 0 && m3 == 0x11223344, ((uint64_t)m1 << 32) | m2, m3);

    for (unsigned int i = 0; i < 16; i++) {
        dm_src[i] = 0x1000u * i + 7;
        dm_dst[i] = 0;
    }
    uint32_t n = 16, si = (uint32_t)dm_src, di = DM_MMIO + 0x100;
    __asm__ volatile("cld\n\trep movsl" : "+c"(n), "+S"(si), "+D"(di) : : "memory");
    n = 16, si = DM_MMIO + 0x100, di = (uint32_t)dm_dst;
    __asm__ volatile("rep movsl" : "+c"(n), "+S"(si), "+D"(di) : : "memory");
    int same = 1;
    for (unsigned int i = 0; i < 16; i++)
        same &= dm_dst[i] == dm_src[i] && mmio_read32(DM_MMIO + 0x100 + 4 * i) == dm_src[i];
    check("dm: REP MOVS from RAM to its memory and back (the model copies guest memory)", same && n == 0,
          dm_dst[15], dm_src[15]);

    for (unsigned int i = 0; i < 16; i++)
        dm_dst[i] = 0;
    n = 4, di = (uint32_t)dm_dst;
    __asm__ volatile("rep insl" : "+c"(n), "+D"(di) : "d"(0x600) : "memory");
    n = 3, si = (uint32_t)dm_src;
    __asm__ volatile("rep outsl" : "+c"(n), "+S"(si) : "d"(0x604) : "memory");
    uint32_t last = inl(0x604);
    check("dm: REP INS and REP OUTS on its ports",
          dm_dst[0] == 0x12345678 && dm_dst[3] == 0x12345678 && dm_dst[4] == 0 && last == dm_src[2],
          dm_dst[3], last);
    /* Last: the model goes away while this vCPU waits for its answer. */
    outl(0x604, 0xdead0001);
    uint32_t after = inl(0x600);
    check("dm: the model destroys its server while the vCPU waits: the vCPU carries on, its port reads all ones",
          after == 0xffffffff, after, 0xffffffff);
    put_str("hvmcheck: dm checks passed ");
    put_dec(passed);
    putc_e9('/');
    put_dec(total);
    putc_e9('\n');
}

/* Misbehaviour */

static void flood(void)
{
    uint32_t sum = 0;
    for (int i = 0; i < 20000; i++) {
        sum += mmio_read32(0xfed00000 + (uint32_t)(i & 0xff) * 4);
        sum += inb(0x3f8);
        mmio_write32(0xfed01000, (uint32_t)i);
    }
    put_str("hvmcheck: flood done ");
    put_hex(sum);
    putc_e9('\n');
}

static void smc(void)
{
    smc_mode = 1;
    lapic_ipi(2, 0x4500);
    lapic_ipi(2, 0x4600 | ((uint32_t)ap_trampoline >> 12));
    wait_for(&ap_protected, 1);
    smc_run(20000);
    smc_mode = 0;
    put_str("hvmcheck: smc done\n");
}

void hvmcheck_main(const struct hvm_start_info *si)
{
    const char *cmdline = si && si->magic == XEN_HVM_START_MAGIC_VALUE && si->cmdline_paddr
                              ? (const char *)(uint32_t)si->cmdline_paddr : "";
    put_str("hvmcheck: started in 32-bit protected mode\n");
    uint32_t base = xen_cpuid_base();
    if (base) { /* the hypercall page, for every mode */
        uint32_t r[4];
        cpuid(base + 2, r);
        wrmsr(r[1], (uint32_t)hypercall_page);
    }
    if (str_has(cmdline, "mode=triple")) {
        put_str("hvmcheck: triple fault in real mode\n");
        call16(rm_triple);
    } else if (str_has(cmdline, "mode=badinsn")) {
        put_str("hvmcheck: MUL on device memory in real mode\n");
        call16(rm_bad_insn);
    } else if (str_has(cmdline, "mode=flood")) {
        flood();
    } else if (str_has(cmdline, "mode=dm")) {
        dm_checks();
    } else if (str_has(cmdline, "mode=smc")) {
        smc();
    } else {
        run_checks();
    }
    shutdown(SHUTDOWN_poweroff);
}
