/* Lock contention counts (see spinlock.h). */
#include <basalt/lib.h>
#include <basalt/spinlock.h>
#include <basalt/time.h>

uint64_t spin_contended, spin_wait_cycles;

void spin_dump(void)
{
    printk("  locks: found held %lu times, %lu ms waited in all\n",
           __atomic_load_n(&spin_contended, __ATOMIC_RELAXED),
           __atomic_load_n(&spin_wait_cycles, __ATOMIC_RELAXED) / (tsc_khz ? tsc_khz : 1));
}
