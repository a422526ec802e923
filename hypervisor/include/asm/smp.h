/* Bringing up application processors and talking to them. */
#ifndef ASM_SMP_H
#define ASM_SMP_H

#include <asm/percpu.h>

/* Starts up to max_cpus CPUs (counting the BSP); returns how many are online. */
unsigned int smp_boot_cpus(unsigned int max_cpus);
struct pcpu *pcpu_create(unsigned int id, uint32_t apic_id, uint32_t acpi_id);
/* Runs fn(arg) on cpu and waits for it to finish. */
void smp_call(unsigned int cpu, void (*fn)(void *), void *arg);
/* Makes cpu leave guest mode and re-evaluate its pending work. */
void smp_kick(unsigned int cpu);
void smp_init_ipis(void);

#endif
