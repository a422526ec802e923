/* hvmcheck: what its real-mode part (hvmcheck16.c), its entry and mode
 * switches (hvmcheck_entry.S) and its 32-bit part (hvmcheck.c) share. */
#ifndef HVMCHECK_H
#define HVMCHECK_H

#include <stdint.h>

struct rm_results {
    uint8_t imr_master;
    uint16_t pit_ticks, pit_count, soft_ints;
    uint8_t rtc_d, cmos_34, rtc_sec, rtc_year, rtc_b;
    uint16_t rtc_ticks;
    uint8_t out2_low, out2_high;
    uint32_t refresh_toggles;
    uint16_t vga_word, vga_rmw, vga_stos_cx;
    uint32_t vga_movzx;
    uint8_t vga_movs_ok;
};
extern struct rm_results rm;

/* hvmcheck_entry.S */
extern volatile uint16_t pit_ticks, rtc_ticks, soft_ints, ap_real;
extern volatile uint32_t ap_protected, smc_mode;
extern uint8_t ap_trampoline[];
void irq0_handler(void);
void irq8_handler(void);
void int80_handler(void);
void call16(void (*fn)(void));
void call64(void (*fn)(void));
void smc_run(unsigned int n);

/* hvmcheck16.c: real mode */
void rm_pic_pit(void);
void rm_rtc(void);
void rm_port61(void);
void rm_mmio(void);
void rm_bad_insn(void);
void rm_triple(void);

/* hvmcheck_entry.S: 64-bit */
void lm_mmio(void);
extern volatile uint64_t lm_unclaimed, lm_lapic_ver;

#endif
