/* The 8259A pair of an HVM domain (hvm/vpic.c). Every function is called
 * with the domain's interrupt lock held; pic[0] is the master. */
#ifndef ASM_VPIC_H
#define ASM_VPIC_H

#include <basalt/types.h>

struct vpic;

void vpic_reset(struct vpic pic[2]);
/* Line irq (0-15) of the pair goes up or down. */
void vpic_set_irq_level(struct vpic pic[2], unsigned int irq, bool level);
/* INTA: the vector of the highest request, now in service; -1 if none. */
int vpic_intack(struct vpic pic[2]);
/* Port access: `which` 0 master, 1 slave; `odd` the port's low bit. */
void vpic_write(struct vpic pic[2], unsigned int which, bool odd, uint8_t val);
uint8_t vpic_read(struct vpic pic[2], unsigned int which, bool odd);
void vpic_elcr_write(struct vpic pic[2], unsigned int which, uint8_t val);
uint8_t vpic_elcr_read(const struct vpic pic[2], unsigned int which);

#endif
