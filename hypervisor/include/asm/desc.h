/* Segment selectors and per-CPU descriptor tables. */
#ifndef ASM_DESC_H
#define ASM_DESC_H

#include <asm/percpu.h>

#define HV_CS  0x08
#define HV_DS  0x10
#define HV_TSS 0x18

/* Loads this CPU's GDT, TSS and the shared IDT, and points GS at it. */
void cpu_desc_init(struct pcpu *p);
void idt_init(void);

#endif
