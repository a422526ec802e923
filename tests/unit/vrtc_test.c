/*
 * Host unit test of an HVM domain's RTC and CMOS (hypervisor/arch/x86/hvm/
 * vrtc.c) through its ports 0x70/0x71, with the clock under the test's
 * control: the calendar against the C library's, BCD and binary, 12- and
 * 24-hour registers, setting the time, UIP, register C and the periodic
 * interrupt.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hypervisor/arch/x86/hvm/vrtc.c"
#include "tests/lib/tap.h"

static uint64_t fake_now;
static unsigned int irq8_pulses;

uint64_t now_ns(void) { return fake_now; }
void hvm_isa_irq_pulse(struct domain *d, unsigned int isa_irq) { irq8_pulses += isa_irq == 8; }
int ioport_register(struct domain *d, uint16_t base, uint16_t count, ioport_read_t r, ioport_write_t w) { return 0; }

static struct domain dom;
static struct hvm_domain hd;
static struct vcpu vc;

static uint8_t cmos(uint8_t idx)
{
    rtc_write(&vc, 0x70, 1, idx);
    return (uint8_t)rtc_read(&vc, 0x71, 1);
}

static void cmos_set(uint8_t idx, uint8_t val)
{
    rtc_write(&vc, 0x70, 1, idx);
    rtc_write(&vc, 0x71, 1, val);
}

int main(void)
{
    TAP_PLAN(10);

    int bad = 0;
    srand(13);
    for (int i = 0; i < 20000 && !bad; i++) {
        uint64_t t = ((uint64_t)rand() << 16 ^ (uint64_t)rand()) % (300ULL * 365 * 86400); /* to 2270 */
        struct rtc_time tm;
        vrtc_time_from_seconds(t, &tm);
        time_t tt = (time_t)t;
        struct tm g;
        gmtime_r(&tt, &g);
        bad = tm.year != (uint64_t)g.tm_year + 1900 || tm.month != (unsigned)g.tm_mon + 1 ||
              tm.day != (unsigned)g.tm_mday || tm.hour != (unsigned)g.tm_hour || tm.min != (unsigned)g.tm_min ||
              tm.sec != (unsigned)g.tm_sec || tm.weekday != (unsigned)g.tm_wday + 1 || vrtc_seconds_from_time(&tm) != t;
        if (bad)
            printf("# %llu: %llu-%u-%u %u:%u:%u wd %u\n", (unsigned long long)t, (unsigned long long)tm.year,
                   tm.month, tm.day, tm.hour, tm.min, tm.sec, tm.weekday);
    }
    CHECK("20000 times: the calendar agrees with gmtime and converts back", !bad, "see above");

    /* Booted at 2026-12-07 21:05:30 UTC (a Monday), 0.25 s into the second. */
    struct tm boot = { .tm_year = 126, .tm_mon = 11, .tm_mday = 7, .tm_hour = 21, .tm_min = 5, .tm_sec = 30 };
    wallclock_boot_sec = (uint64_t)timegm(&boot);
    wallclock_boot_nsec = 250000000;
    dom.arch.hvm = &hd;
    vc.dom = &dom;
    fake_now = 0;
    vrtc_init(&dom);

    CHECK("register D: valid; A: the BIOS's divider and rate", cmos(0x0d) == 0x80 && (cmos(0x0a) & 0x7f) == 0x26,
          "d %#x a %#x", cmos(0x0d), cmos(0x0a));
    CHECK("BCD, 24-hour: 21:05:30 on Monday 07.12.2026, century 20",
          cmos(0) == 0x30 && cmos(2) == 0x05 && cmos(4) == 0x21 && cmos(6) == 2 && cmos(7) == 0x07 &&
              cmos(8) == 0x12 && cmos(9) == 0x26 && cmos(0x32) == 0x20,
          "%02x:%02x:%02x wd %x %02x.%02x.%02x", cmos(4), cmos(2), cmos(0), cmos(6), cmos(7), cmos(8), cmos(9));
    cmos_set(0x0b, 0x00); /* BCD, 12-hour */
    CHECK("12-hour: 9 PM reads 0x89", cmos(4) == 0x89, "hour %#x", cmos(4));
    cmos_set(0x0b, 0x06); /* binary, 24-hour */
    CHECK("binary: 21 and 30", cmos(4) == 21 && cmos(0) == 30, "hour %u sec %u", cmos(4), cmos(0));

    fake_now = 2ULL * 1000000000; /* 2 s later */
    CHECK("the clock runs: 2 s later it reads 21:05:32", cmos(0) == 32, "sec %u", cmos(0));

    /* The guest sets 08:00:00 (binary) under SET; the clock goes on from there. */
    cmos_set(0x0b, 0x86);
    cmos_set(4, 8);
    cmos_set(2, 0);
    cmos_set(0, 0);
    fake_now += 5ULL * 1000000000;
    uint8_t held = cmos(0);
    cmos_set(0x0b, 0x06);
    fake_now += 3ULL * 1000000000;
    CHECK("SET holds the written time; cleared, it runs on from it",
          held == 0 && cmos(4) == 8 && cmos(2) == 0 && cmos(0) == 3, "held %u, then %u:%u:%u", held, cmos(4),
          cmos(2), cmos(0));

    /* UIP: in the last 244 us before a second ends (0.25 s boot offset). */
    fake_now += 750000000 - 100000;
    uint8_t a_in = cmos(0x0a);
    fake_now += 200000;
    uint8_t a_out = cmos(0x0a);
    CHECK("UIP is up just before a second ends and down after", (a_in & 0x80) && !(a_out & 0x80), "A %#x then %#x",
          a_in, a_out);

    /* Periodic interrupt: PIE at 1024 Hz; the timer fires, C says why. */
    cmos_set(0x0b, 0x46);
    CHECK("PIE arms a periodic timer of 1/1024 s", hd.rtc.period_ns >= 976000 && hd.rtc.period_ns <= 977000,
          "period %llu ns", (unsigned long long)hd.rtc.period_ns);
    periodic_fired(&hd.rtc);
    uint8_t c1 = cmos(0x0c), c2 = cmos(0x0c);
    CHECK("a period raises IRQ 8 and PF|IRQF in register C, which a read clears",
          irq8_pulses == 1 && c1 == 0xc0 && c2 == 0, "pulses %u C %#x then %#x", irq8_pulses, c1, c2);

    vrtc_destroy(&dom);
    TAP_EXIT();
}
