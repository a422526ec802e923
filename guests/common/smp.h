/*
 * SMP for test guests, the way a PVH guest starts its vCPUs: INIT and
 * STARTUP IPIs through the virtual local APIC (x2APIC mode, ICR by MSR).
 * An AP starts in real mode at the trampoline, enters long mode on the boot
 * vCPU's page tables and runs one function; when it returns the AP goes
 * offline (CLI; HLT), and smp_start() may run it again. vCPU n has APIC ID n.
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include <stdbool.h>
#include <stdint.h>

#define SMP_MAX_CPUS 8
#define SMP_TRAMPOLINE 0x8000 /* below 1 MiB: STARTUP vector 0x08 */

typedef void (*ap_fn_t)(unsigned int cpu);

/* Boot vCPU: x2APIC on, trampoline and IDT in place. Returns the vCPU count. */
unsigned int smp_init(void);
unsigned int smp_cpus(void);
/* INIT then STARTUP; waits (up to a second) until the AP runs fn. 0 or -1. */
int smp_start(unsigned int cpu, ap_fn_t fn);
/* INIT then STARTUP to real mode at page `page` (below 1 MiB), nothing more. */
void smp_send_startup(unsigned int cpu, unsigned int page);
/* Sends INIT: the vCPU stops where it is and goes offline. */
void smp_send_init(unsigned int cpu);
/* Any IPI (delivery mode and vector in lo) to the vCPU with APIC ID dest. */
void smp_send_ipi(uint32_t dest, uint32_t lo);
/* VCPUOP_is_up. */
bool smp_is_up(unsigned int cpu);
/* This vCPU's number (its x2APIC ID; x2APIC must be on, as smp_init and APs leave it). */
unsigned int smp_this_cpu(void);

#endif
