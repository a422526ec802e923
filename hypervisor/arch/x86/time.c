/*
 * The TSC is the hypervisor's clock. It is calibrated once against the PIT
 * (channel 2, gated through port 0x61, no interrupts needed); the wall clock
 * comes from the CMOS RTC at boot.
 */
#include <asm/x86.h>
#include <basalt/lib.h>
#include <basalt/time.h>

uint64_t tsc_khz;
uint64_t tsc_at_boot;
uint64_t tsc_to_ns_mul;
uint64_t wallclock_boot_sec;
uint32_t wallclock_boot_nsec;

#define PIT_HZ 1193182
#define CALIBRATE_MS 25

/* One reading of the PIT's channel 2 counter with the TSC at that moment.
 * The TSC is read on both sides; of a few tries the one with the narrowest
 * bracket wins, so a host that deschedules the emulator mid-reading (or an
 * SMI) cannot skew the pair: the error is at most that bracket. */
struct pit_sample {
    uint64_t tsc;
    uint16_t count;
};

static struct pit_sample pit_sample(void)
{
    struct pit_sample best = { 0, 0 };
    uint64_t narrowest = ~0ULL;
    for (int i = 0; i < 5; i++) {
        uint64_t before = rdtsc();
        outb(0x43, 0x80); /* latch channel 2 */
        uint16_t count = inb(0x42);
        count |= (uint16_t)(inb(0x42) << 8);
        uint64_t after = rdtsc();
        if (after - before < narrowest) {
            narrowest = after - before;
            best = (struct pit_sample){ before + (after - before) / 2, count };
        }
    }
    return best;
}

/* The TSC rate in kHz, measured over about CALIBRATE_MS of PIT time; 0 if the
 * counter went round under us (a delay longer than its whole period). */
static uint64_t pit_measure_tsc_khz(void)
{
    outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate on, speaker off */
    outb(0x43, 0xb0);                        /* channel 2, lo/hi, mode 0 */
    outb(0x42, 0xff);
    outb(0x42, 0xff);
    struct pit_sample start = pit_sample();
    uint16_t want = PIT_HZ * CALIBRATE_MS / 1000;
    while ((uint16_t)(start.count - pit_sample().count) < want)
        ;
    struct pit_sample end = pit_sample();
    uint16_t elapsed = (uint16_t)(start.count - end.count);
    if (elapsed < want || elapsed > 0xf000)
        return 0;
    return (end.tsc - start.tsc) * PIT_HZ / ((uint64_t)elapsed * 1000);
}

uint64_t tsc_to_ns(uint64_t delta)
{
    return (uint64_t)(((unsigned __int128)delta * tsc_to_ns_mul) >> 32);
}

uint64_t now_ns(void)
{
    return tsc_to_ns(rdtsc() - tsc_at_boot);
}

void udelay(uint64_t us)
{
    uint64_t end = rdtsc() + us * tsc_khz / 1000;
    while ((int64_t)(rdtsc() - end) < 0)
        cpu_relax();
}

void mdelay(uint64_t ms)
{
    udelay(ms * 1000);
}

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned int bcd(uint8_t v, bool is_bcd)
{
    return is_bcd ? (v & 0xf) + (v >> 4) * 10 : v;
}

/* Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
static uint64_t days_from_civil(unsigned int y, unsigned int m, unsigned int d)
{
    y -= m <= 2;
    uint64_t era = y / 400;
    unsigned int yoe = y - era * 400;
    unsigned int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void rtc_read_wallclock(void)
{
    /* Wait for the end of an update so the fields are consistent. */
    for (int i = 0; i < 1000000 && (cmos_read(0x0a) & 0x80); i++)
        cpu_relax();
    uint8_t status_b = cmos_read(0x0b);
    bool is_bcd = !(status_b & 0x04);
    unsigned int sec = bcd(cmos_read(0x00), is_bcd);
    unsigned int min = bcd(cmos_read(0x02), is_bcd);
    uint8_t hour_raw = cmos_read(0x04);
    unsigned int hour = bcd(hour_raw & 0x7f, is_bcd);
    unsigned int day = bcd(cmos_read(0x07), is_bcd);
    unsigned int mon = bcd(cmos_read(0x08), is_bcd);
    unsigned int year = bcd(cmos_read(0x09), is_bcd);
    unsigned int century = bcd(cmos_read(0x32), is_bcd);
    if (!(status_b & 0x02) && (hour_raw & 0x80))
        hour = (hour % 12) + 12;
    year += century >= 19 && century <= 21 ? century * 100 : 2000;
    if (mon < 1 || mon > 12 || day < 1 || day > 31)
        return;
    uint64_t secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
    wallclock_set(secs, 0);
}

void wallclock_set(uint64_t sec, uint32_t nsec)
{
    uint64_t now = now_ns();
    uint64_t wall_ns_at_boot = sec * NSEC_PER_SEC + nsec - now;
    wallclock_boot_sec = wall_ns_at_boot / NSEC_PER_SEC;
    wallclock_boot_nsec = (uint32_t)(wall_ns_at_boot % NSEC_PER_SEC);
}

void time_init(void)
{
    /* The median of three: one run spoiled in a way no bracket catches
     * cannot move it. */
    uint64_t khz[3];
    for (int i = 0, tries = 0; i < 3; tries++) {
        khz[i] = pit_measure_tsc_khz();
        if (khz[i] || tries >= 20)
            i++;
    }
    sort3(khz);
    tsc_khz = khz[1] ? khz[1] : khz[2];
    if (!tsc_khz)
        panic("cannot calibrate the TSC: the PIT's counter does not count");
    tsc_to_ns_mul = ((uint64_t)1000000 << 32) / tsc_khz;
    tsc_at_boot = rdtsc();
    rtc_read_wallclock();
    pr_info("TSC %lu.%03lu MHz\n", tsc_khz / 1000, tsc_khz % 1000);
}
