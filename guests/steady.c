/*
 * A well-behaved domain to run beside hostile ones: it fills `pattern_mb`
 * MiB of its RAM (default 8, from 4 MiB up) with a pattern derived from each
 * word's address, and every `beat_ms` (default 1000) checks all of it and
 * prints "steady: beat N pattern ok" (or "pattern CORRUPT", with the first
 * bad word). It sleeps between beats (SCHEDOP_poll with a timeout), so it
 * needs the hypervisor's timers and scheduler to keep working. After
 * `beats=N` beats it powers off (default: never).
 */
#include "common/hcall.h"

#define PATTERN_BASE 0x400000UL

static uint64_t pattern_word(uint64_t addr)
{
    uint64_t x = addr * 0x9e3779b97f4a7c15ULL;
    return x ^ (x >> 29) ^ 0x5354454144590000ULL; /* "STEADY" */
}

int guest_main_entry(const struct hvm_start_info *si)
{
    uint64_t mb = guest_arg_u64("pattern_mb", 8), beat_ms = guest_arg_u64("beat_ms", 1000);
    uint64_t max_beats = guest_arg_u64("beats", 0);
    volatile uint64_t *p = (volatile uint64_t *)PATTERN_BASE;
    uint64_t words = (mb << 20) / sizeof(uint64_t);

    for (uint64_t i = 0; i < words; i++)
        p[i] = pattern_word((uint64_t)(uintptr_t)&p[i]);
    guest_printf("steady: %lu MiB pattern written at 0x%lx, beating every %lu ms\n", mb, PATTERN_BASE, beat_ms);

    uint64_t bad_total = 0;
    for (uint64_t beat = 1; !max_beats || beat <= max_beats; beat++) {
        uint64_t start = guest_system_time_ns();
        uint64_t bad = 0, first = 0, got = 0;
        for (uint64_t i = 0; i < words; i++) {
            uint64_t want = pattern_word((uint64_t)(uintptr_t)&p[i]);
            uint64_t v = p[i];
            if (v != want && !bad++) {
                first = (uint64_t)(uintptr_t)&p[i];
                got = v;
            }
        }
        bad_total += bad;
        if (bad)
            guest_printf("steady: beat %lu pattern CORRUPT: %lu words differ, first at 0x%lx (got %lx, want %lx)\n",
                         beat, bad, first, got, pattern_word(first));
        else
            guest_printf("steady: beat %lu pattern ok\n", beat);
        uint64_t spent_ms = (guest_system_time_ns() - start) / 1000000;
        guest_sleep_ms(spent_ms < beat_ms ? beat_ms - spent_ms : 1);
    }
    guest_printf("steady: done, pattern %s\n", bad_total ? "CORRUPT" : "intact");
    return bad_total ? 1 : 0;
}
