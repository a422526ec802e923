/*
 * hvmcheck's real-mode part (built with gcc -m16, run below 64 KiB with
 * every segment 0): what a BIOS does before anything else. Each function
 * runs through call16 and leaves its findings in `rm` for the 32-bit part
 * to judge.
 */
#include "hvmcheck.h"

struct rm_results rm;

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* IVT entry vec (at 0:vec*4) = segment 0, offset handler. */
static void set_vector(unsigned int vec, void (*handler)(void))
{
    __asm__ volatile("movl %0, (%1)" ::"r"((uint32_t)(uintptr_t)handler), "r"(vec * 4) : "memory");
}

/* Waits for interrupts with HLT until *count reaches want (bounded). */
static void wait_ticks(volatile uint16_t *count, uint16_t want)
{
    for (unsigned int i = 0; i < 5000 && *count < want; i++)
        __asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* The two 8259s as a BIOS sets them up: vectors 0x08 and 0x70, cascade
 * on IRQ 2; then the PIT's channel 0 at 1 kHz (mode 2) through IRQ 0. */
void rm_pic_pit(void)
{
    set_vector(0x08, irq0_handler);
    set_vector(0x70, irq8_handler);
    set_vector(0x80, int80_handler);
    outb(0x20, 0x11);
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    outb(0xa0, 0x11);
    outb(0xa1, 0x70);
    outb(0xa1, 0x02);
    outb(0xa1, 0x01);
    outb(0x21, 0xfa); /* IRQ 0 and the cascade */
    outb(0xa1, 0xff);
    rm.imr_master = inb(0x21);
    outb(0x43, 0x34); /* channel 0, LSB then MSB, mode 2 */
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);
    pit_ticks = 0;
    wait_ticks(&pit_ticks, 20);
    rm.pit_ticks = pit_ticks;
    outb(0x21, 0xff); /* quiet again */
    /* A software interrupt goes through the IVT without the hypervisor. */
    __asm__ volatile("int $0x80" ::: "memory");
    rm.soft_ints = soft_ints;
    /* Latch and read channel 0's count: a value below the reload. */
    outb(0x43, 0x00);
    uint8_t lo = inb(0x40), hi = inb(0x40);
    rm.pit_count = (uint16_t)(lo | hi << 8);
}

static uint8_t cmos_read(uint8_t idx)
{
    outb(0x70, idx);
    return inb(0x71);
}

static void cmos_write(uint8_t idx, uint8_t v)
{
    outb(0x70, idx);
    outb(0x71, v);
}

/* The RTC: register D, CMOS memory, the clock, and the periodic interrupt
 * on IRQ 8 through the slave PIC. */
void rm_rtc(void)
{
    rm.rtc_d = cmos_read(0x0d);
    cmos_write(0x34, 0x5a);
    rm.cmos_34 = cmos_read(0x34);
    for (unsigned int i = 0; i < 100000 && (cmos_read(0x0a) & 0x80); i++)
        ; /* update in progress: wait */
    rm.rtc_sec = cmos_read(0x00);
    rm.rtc_year = cmos_read(0x09);
    rm.rtc_b = cmos_read(0x0b);
    cmos_write(0x0a, 0x26);        /* 1024 Hz */
    cmos_write(0x0b, rm.rtc_b | 0x40); /* PIE */
    (void)cmos_read(0x0c);
    outb(0x21, 0xfb);              /* the cascade */
    outb(0xa1, 0xfe);              /* IRQ 8 */
    rtc_ticks = 0;
    wait_ticks(&rtc_ticks, 5);
    rm.rtc_ticks = rtc_ticks;
    cmos_write(0x0b, rm.rtc_b);
    outb(0xa1, 0xff);
    outb(0x21, 0xff);
}

/* Channel 2 through port 0x61: gate it on in mode 0 and watch its output
 * come up; the refresh bit toggles meanwhile. */
void rm_port61(void)
{
    uint8_t p61 = inb(0x61);
    outb(0x61, (uint8_t)((p61 & ~0x02) | 0x01));
    outb(0x43, 0xb0); /* channel 2, LSB then MSB, mode 0 */
    outb(0x42, 0x00);
    outb(0x42, 0x10); /* 4096 ticks: 3.4 ms */
    unsigned int polls = 0, toggles = 0;
    uint8_t last = inb(0x61);
    rm.out2_low = !(last & 0x20);
    while (polls < 200000) {
        uint8_t now = inb(0x61);
        polls++;
        if ((now ^ last) & 0x10)
            toggles++;
        last = now;
        if (now & 0x20)
            break;
    }
    rm.out2_high = (last & 0x20) != 0;
    rm.refresh_toggles = toggles;
    outb(0x61, p61);
}

/* Device memory with nobody behind it (the VGA hole, no device model):
 * reads are all ones, writes go nowhere, whatever the instruction. */
void rm_mmio(void)
{
    uint16_t a, b;
    uint32_t c;
    /* Results in registers: the block pushes ES, so a memory operand
     * addressed from ESP would point elsewhere meanwhile. */
    __asm__ volatile("pushw %%es\n\t"
                     "mov $0xa000, %%ax\n\t"
                     "mov %%ax, %%es\n\t"
                     "movw $0x1234, %%es:0\n\t"
                     "movw %%es:0, %%bx\n\t"
                     "movzbl %%es:3, %%ecx\n\t"
                     "mov $5, %%dx\n\t"
                     "addw %%dx, %%es:8\n\t"         /* read-modify-write */
                     "movw %%es:8, %%dx\n\t"
                     "popw %%es"
                     : "=&b"(a), "=&d"(b), "=&c"(c)
                     :
                     : "ax", "memory");
    rm.vga_word = a;
    rm.vga_rmw = b;
    rm.vga_movzx = c;
    /* REP MOVSW from the hole into RAM, then REP STOSW into the hole. */
    static uint16_t buf[8];
    for (unsigned int i = 0; i < 8; i++)
        buf[i] = 0x1111;
    uint16_t left;
    __asm__ volatile("pushw %%ds\n\t"
                     "pushw %%es\n\t"
                     "mov $0xa000, %%ax\n\t"
                     "mov %%ax, %%ds\n\t"
                     "xor %%ax, %%ax\n\t"
                     "mov %%ax, %%es\n\t"
                     "xor %%si, %%si\n\t"
                     "mov %1, %%di\n\t"
                     "mov $8, %%cx\n\t"
                     "cld\n\t"
                     "rep movsw\n\t"
                     "mov $0xa000, %%ax\n\t"
                     "mov %%ax, %%es\n\t"
                     "xor %%di, %%di\n\t"
                     "mov $0x5555, %%ax\n\t"
                     "mov $16, %%cx\n\t"
                     "rep stosw\n\t"
                     "popw %%es\n\t"
                     "popw %%ds"
                     : "=c"(left) : "r"((uint16_t)(uintptr_t)buf)
                     : "ax", "si", "di", "memory");
    rm.vga_stos_cx = left;
    rm.vga_movs_ok = 1;
    for (unsigned int i = 0; i < 8; i++)
        if (buf[i] != 0xffff)
            rm.vga_movs_ok = 0;
}

/* Hostile: an instruction the emulator does not know, on device memory. */
void rm_bad_insn(void)
{
    __asm__ volatile("pushw %%es\n\t"
                     "mov $0xa000, %%ax\n\t"
                     "mov %%ax, %%es\n\t"
                     "mulw %%es:0\n\t"
                     "popw %%es" ::: "ax", "dx", "memory");
}

/* Hostile: a triple fault in real mode (an empty IVT, then INT3). */
void rm_triple(void)
{
    static const struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } empty = { 0, 0 };
    __asm__ volatile("lidt %0\n\tint3" ::"m"(empty));
}
