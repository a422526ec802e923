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
void udelay(uint64_t us);
void mdelay(uint64_t ms);

/* Wall-clock time (seconds and ns since 1970) at system time 0. */
extern uint64_t wallclock_boot_sec;
extern uint32_t wallclock_boot_nsec;
void wallclock_set(uint64_t sec, uint32_t nsec); /* "now" is this wall time */

#endif
