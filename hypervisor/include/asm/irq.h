/* Host interrupt vectors and handler registration. */
#ifndef ASM_IRQ_H
#define ASM_IRQ_H

#include <asm/regs.h>

#define VEC_DEVICE_BASE 0x30   /* GSI n arrives on 0x30 + n (n < 0xa0) */
#define VEC_KICK        0xf1   /* IPI: leave the guest and look at pending work */
#define VEC_CALL        0xf2   /* IPI: run a function on another CPU */
#define VEC_TIMER       0xf0
#define VEC_SPURIOUS    0xff

typedef void (*irq_handler_t)(unsigned int vector, struct trap_frame *f);

void set_irq_handler(unsigned int vector, irq_handler_t h);
void trap_dispatch(struct trap_frame *f);
/* Prints the frame's registers. */
void dump_frame(const struct trap_frame *f);

#endif
