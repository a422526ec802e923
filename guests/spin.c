/* A CPU-bound guest: spins without ever blocking, for scheduler tests.
 * seconds=N stops after N seconds (default: never). */
#include "common/guest.h"

int guest_main_entry(const struct hvm_start_info *si)
{
    uint64_t khz = guest_tsc_khz();
    uint64_t seconds = guest_arg_u64("seconds", 0);
    uint64_t end = seconds ? rdtsc() + seconds * khz * 1000 : ~0ULL;
    guest_printf("spin: spinning\n");
    while (rdtsc() < end)
        __asm__ volatile("" ::: "memory");
    guest_printf("spin: done\n");
    return 0;
}
