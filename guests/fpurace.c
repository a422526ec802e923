/*
 * Reproducer of the emulator fault (docs/architecture.md, "One fault of
 * QEMU's TCG"): every vCPU makes #VMEXITs as fast as it can (port I/O to
 * the PCI configuration ports, which the hypervisor emulates) and runs
 * fldenv=N FLDENVs after each (default 16). Under QEMU's multi-threaded TCG
 * each FLDENV clears IGNNE# in the first CPU's flags with an unlocked
 * read-modify-write, which races with that CPU's VMRUN and #VMEXIT: a domain
 * with a vCPU on CPU 0 dies within seconds, of a triple fault or of the
 * named fault; with fldenv=0 only the hypervisor's own XRSTORs race, rarely.
 * seconds=S (default 20); prints "fpurace: done, N exits" at the end.
 */
#include "common/guest.h"
#include "common/hcall.h"
#include "common/smp.h"
#include "common/x86.h"

static volatile uint64_t exits[SMP_MAX_CPUS];
static volatile bool finished[SMP_MAX_CPUS];
static uint64_t deadline_us, fldenvs;

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void work(unsigned int cpu)
{
    uint8_t fenv[28] __attribute__((aligned(16)));
    __asm__ volatile("fnstenv %0" : "=m"(fenv)); /* a valid environment to load again */
    uint64_t n = 0;
    while (guest_now_us() < deadline_us) {
        for (unsigned int dev = 0; dev < 256; dev++) {
            outl(0xcf8, 0x80000000u | (dev << 11));
            (void)inl(0xcfc);
            for (uint64_t k = 0; k < fldenvs; k++)
                __asm__ volatile("fldenv %0" ::"m"(fenv));
        }
        n += 512;
    }
    exits[cpu] = n;
    finished[cpu] = true;
}

int guest_main_entry(const struct hvm_start_info *si)
{
    uint64_t seconds = guest_arg_u64("seconds", 20);
    fldenvs = guest_arg_u64("fldenv", 16);
    unsigned int cpus = smp_init();
    guest_printf("fpurace: %u vCPUs, %lu s, %lu FLDENVs per exit\n", cpus, seconds, fldenvs);
    deadline_us = guest_now_us() + seconds * 1000000;
    for (unsigned int cpu = 1; cpu < cpus; cpu++)
        if (smp_start(cpu, work))
            guest_printf("fpurace: vCPU %u did not start\n", cpu);
    work(0);
    uint64_t total = 0;
    for (unsigned int cpu = 0; cpu < cpus; cpu++) {
        while (!finished[cpu])
            x86_pause();
        total += exits[cpu];
    }
    guest_printf("fpurace: done, %lu exits\n", total);
    return 0;
}
