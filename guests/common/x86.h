/* CPU instructions the test guests use beyond guest.h's. */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <stdint.h>

#define MSR_APIC_BASE 0x1b
#define MSR_X2APIC_ID 0x802
#define MSR_X2APIC_EOI 0x80b
#define MSR_X2APIC_SVR 0x80f
#define MSR_X2APIC_ESR 0x828
#define MSR_X2APIC_ICR 0x830

static inline uint64_t x86_rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void x86_wrmsr(uint32_t msr, uint64_t val)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)) : "memory");
}

static inline void x86_pause(void)
{
    __asm__ volatile("pause" ::: "memory");
}

static inline uint64_t x86_read_cr3(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void x86_write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}

static inline void x86_invlpg(const volatile void *p)
{
    __asm__ volatile("invlpg (%0)" ::"r"(p) : "memory");
}

#endif
