/* System time: nanoseconds since boot from the TSC; wall-clock from the RTC. */
#ifndef BASALT_TIME_H
#define BASALT_TIME_H

#include <basalt/types.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL

extern uint64_t tsc_khz;
extern uint64_t tsc_at_boot;
/* ns = (tsc delta * tsc_to_ns_mul) >> 32 */
extern uint64_t tsc_to_ns_mul;

void time_init(void);
uint64_t now_ns(void);
uint64_t tsc_to_ns(uint64_t tsc_delta);
/* Sorts three calibration runs in place, smallest first: v[1] is then the
 * median, which one run spoiled in a way no bracket catches cannot move. */
static inline void sort3(uint64_t v[3])
{
    for (int i = 0; i < 2; i++)
        for (int j = i + 1; j < 3; j++)
            if (v[j] < v[i]) {
                uint64_t t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
}
void udelay(uint64_t us);
void mdelay(uint64_t ms);

/* Wall-clock time (seconds and ns since 1970) at system time 0. */
extern uint64_t wallclock_boot_sec;
extern uint32_t wallclock_boot_nsec;
void wallclock_set(uint64_t sec, uint32_t nsec); /* "now" is this wall time */

#endif
