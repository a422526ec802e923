/*
 * The MC146818 RTC and CMOS memory of an HVM domain (ports 0x70/0x71,
 * IRQ 8). The clock runs from the hypervisor's wall clock plus an offset
 * the guest sets by writing the time; BCD or binary and 12- or 24-hour as
 * register B says; UIP (register A) in the last 244 us of each second;
 * periodic, alarm and update-ended interrupts with their flags in register
 * C, which a read clears. The other CMOS bytes are plain memory (hvmloader
 * writes the memory size there for the BIOS).
 */
#include <asm/hvm_domain.h>
#include <asm/ioport.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/time.h>
#include <basalt/timer.h>

#define REG_SEC        0x00
#define REG_SEC_ALARM  0x01
#define REG_MIN        0x02
#define REG_MIN_ALARM  0x03
#define REG_HOUR       0x04
#define REG_HOUR_ALARM 0x05
#define REG_WEEKDAY    0x06
#define REG_DAY        0x07
#define REG_MONTH      0x08
#define REG_YEAR       0x09
#define REG_A          0x0a
#define REG_B          0x0b
#define REG_C          0x0c
#define REG_D          0x0d
#define REG_CENTURY    0x32

#define A_UIP  0x80
#define B_SET  0x80
#define B_PIE  0x40
#define B_AIE  0x20
#define B_UIE  0x10
#define B_DM   0x04 /* binary, not BCD */
#define B_24H  0x02
#define C_IRQF 0x80
#define C_PF   0x40
#define C_AF   0x20
#define C_UF   0x10

#define UIP_NS 244000

static struct vrtc *rtc_of(struct domain *d) { return &d->arch.hvm->rtc; }

/* Calendar arithmetic (proleptic Gregorian, UTC). */

static bool leap(uint64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned int month_days(uint64_t y, unsigned int m)
{
    static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return days[m - 1] + (m == 2 && leap(y));
}

struct rtc_time {
    uint64_t year;
    unsigned int month, day, hour, min, sec, weekday; /* weekday 1 = Sunday */
};

static void vrtc_time_from_seconds(uint64_t t, struct rtc_time *tm)
{
    uint64_t days = t / 86400, rem = t % 86400;
    tm->hour = (unsigned int)(rem / 3600);
    tm->min = (unsigned int)(rem / 60 % 60);
    tm->sec = (unsigned int)(rem % 60);
    tm->weekday = (unsigned int)((days + 4) % 7) + 1; /* 1970-01-01 was a Thursday */
    uint64_t y = 1970;
    while (days >= (leap(y) ? 366u : 365u)) {
        days -= leap(y) ? 366 : 365;
        y++;
    }
    unsigned int m = 1;
    while (days >= month_days(y, m)) {
        days -= month_days(y, m);
        m++;
    }
    tm->year = y;
    tm->month = m;
    tm->day = (unsigned int)days + 1;
}

static uint64_t vrtc_seconds_from_time(const struct rtc_time *tm)
{
    uint64_t days = 0;
    for (uint64_t y = 1970; y < tm->year; y++)
        days += leap(y) ? 366 : 365;
    for (unsigned int m = 1; m < tm->month && m <= 12; m++)
        days += month_days(tm->year, m);
    days += tm->day ? tm->day - 1 : 0;
    return days * 86400 + tm->hour * 3600ULL + tm->min * 60ULL + tm->sec;
}

static uint8_t to_reg(const struct vrtc *r, unsigned int v)
{
    return (r->cmos[REG_B] & B_DM) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned int from_reg(const struct vrtc *r, uint8_t v)
{
    return (r->cmos[REG_B] & B_DM) ? v : (unsigned int)((v >> 4) * 10 + (v & 15));
}

static uint8_t hour_to_reg(const struct vrtc *r, unsigned int h)
{
    if (r->cmos[REG_B] & B_24H)
        return to_reg(r, h);
    unsigned int h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(to_reg(r, h12) | (h >= 12 ? 0x80 : 0));
}

static unsigned int hour_from_reg(const struct vrtc *r, uint8_t v)
{
    if (r->cmos[REG_B] & B_24H)
        return from_reg(r, v);
    unsigned int h = from_reg(r, v & 0x7f) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* The guest's time now, in seconds since 1970, and the ns into the second. */
static uint64_t guest_seconds(const struct vrtc *r, uint64_t now, uint64_t *frac)
{
    uint64_t ns = wallclock_boot_nsec + now;
    *frac = ns % NSEC_PER_SEC;
    int64_t t = (int64_t)(wallclock_boot_sec + ns / NSEC_PER_SEC) + r->offset_sec;
    return t > 0 ? (uint64_t)t : 0;
}

/* Writes the clock registers from the guest's time (unless SET holds them). */
static void refresh_clock(struct vrtc *r, uint64_t now)
{
    if (r->cmos[REG_B] & B_SET)
        return;
    uint64_t frac;
    struct rtc_time tm;
    vrtc_time_from_seconds(guest_seconds(r, now, &frac), &tm);
    r->cmos[REG_SEC] = to_reg(r, tm.sec);
    r->cmos[REG_MIN] = to_reg(r, tm.min);
    r->cmos[REG_HOUR] = hour_to_reg(r, tm.hour);
    r->cmos[REG_WEEKDAY] = to_reg(r, tm.weekday);
    r->cmos[REG_DAY] = to_reg(r, tm.day);
    r->cmos[REG_MONTH] = to_reg(r, tm.month);
    r->cmos[REG_YEAR] = to_reg(r, (unsigned int)(tm.year % 100));
    r->cmos[REG_CENTURY] = to_reg(r, (unsigned int)(tm.year / 100));
    if (frac >= NSEC_PER_SEC - UIP_NS)
        r->cmos[REG_A] |= A_UIP;
    else
        r->cmos[REG_A] &= ~A_UIP;
}

/* SET was cleared: the clock goes on from what the guest wrote. */
static void take_written_time(struct vrtc *r, uint64_t now)
{
    struct rtc_time tm = {
        .year = from_reg(r, r->cmos[REG_CENTURY]) * 100 + from_reg(r, r->cmos[REG_YEAR]),
        .month = from_reg(r, r->cmos[REG_MONTH]),
        .day = from_reg(r, r->cmos[REG_DAY]),
        .hour = hour_from_reg(r, r->cmos[REG_HOUR]),
        .min = from_reg(r, r->cmos[REG_MIN]),
        .sec = from_reg(r, r->cmos[REG_SEC]),
    };
    if (tm.year < 1970 || tm.month < 1 || tm.month > 12 || tm.day < 1 || tm.day > 31 || tm.hour > 23 ||
        tm.min > 59 || tm.sec > 59)
        return; /* nonsense: the clock keeps its time */
    uint64_t frac;
    r->offset_sec = 0;
    r->offset_sec = (int64_t)vrtc_seconds_from_time(&tm) - (int64_t)guest_seconds(r, now, &frac);
}

/* Raises IRQ 8 for the flags in `flags` whose interrupt is enabled. */
static bool set_flags_locked(struct vrtc *r, uint8_t flags)
{
    r->cmos[REG_C] |= flags;
    uint8_t enabled = r->cmos[REG_B] & (B_PIE | B_AIE | B_UIE);
    if (!(r->cmos[REG_C] & C_IRQF) && (flags & enabled)) {
        r->cmos[REG_C] |= C_IRQF;
        return true;
    }
    return false;
}

/* The periodic rate of register A, in ns; 0 for none. */
static uint64_t periodic_ns(const struct vrtc *r)
{
    unsigned int rs = r->cmos[REG_A] & 15;
    if (!rs)
        return 0;
    if (rs <= 2)
        rs += 7; /* 256 Hz and 128 Hz */
    return (NSEC_PER_SEC << (rs - 1)) / 32768;
}

static void rearm_locked(struct vrtc *r, uint64_t now)
{
    uint64_t period = (r->cmos[REG_B] & B_PIE) ? periodic_ns(r) : 0;
    if (period != r->period_ns) {
        r->period_ns = period;
        timer_stop(&r->periodic);
        if (period)
            timer_set(&r->periodic, now + period);
    }
    timer_stop(&r->second);
    if (r->cmos[REG_B] & (B_UIE | B_AIE)) {
        uint64_t frac;
        guest_seconds(r, now, &frac);
        timer_set(&r->second, now + (NSEC_PER_SEC - frac));
    }
}

static void periodic_fired(void *data)
{
    struct vrtc *r = data;
    uint64_t flags = spin_lock_irqsave(&r->lock);
    bool irq = false;
    if (r->period_ns) {
        irq = set_flags_locked(r, C_PF);
        timer_set(&r->periodic, now_ns() + r->period_ns);
    }
    spin_unlock_irqrestore(&r->lock, flags);
    if (irq)
        hvm_isa_irq_pulse(r->d, HVM_RTC_IRQ);
}

static bool alarm_field(uint8_t alarm, uint8_t now)
{
    return alarm >= 0xc0 || alarm == now; /* 0xC0-0xFF: don't care */
}

static void second_fired(void *data)
{
    struct vrtc *r = data;
    uint64_t now = now_ns();
    uint64_t flags = spin_lock_irqsave(&r->lock);
    refresh_clock(r, now + UIP_NS); /* the second that just began */
    uint8_t f = C_UF;
    if (alarm_field(r->cmos[REG_SEC_ALARM], r->cmos[REG_SEC]) &&
        alarm_field(r->cmos[REG_MIN_ALARM], r->cmos[REG_MIN]) &&
        alarm_field(r->cmos[REG_HOUR_ALARM], r->cmos[REG_HOUR]))
        f |= C_AF;
    bool irq = set_flags_locked(r, f);
    if (r->cmos[REG_B] & (B_UIE | B_AIE)) {
        uint64_t frac;
        guest_seconds(r, now, &frac);
        timer_set(&r->second, now + (NSEC_PER_SEC - frac) + 1000);
    }
    spin_unlock_irqrestore(&r->lock, flags);
    if (irq)
        hvm_isa_irq_pulse(r->d, HVM_RTC_IRQ);
}

static uint32_t rtc_read(struct vcpu *v, uint16_t port, unsigned int size)
{
    struct vrtc *r = rtc_of(v->dom);
    if (port == 0x70)
        return 0xffffffff; /* the index register is write-only */
    uint64_t now = now_ns();
    uint64_t flags = spin_lock_irqsave(&r->lock);
    uint8_t idx = r->index;
    if (idx <= REG_A || idx == REG_CENTURY)
        refresh_clock(r, now);
    uint8_t val = r->cmos[idx];
    if (idx == REG_C)
        r->cmos[REG_C] = 0; /* reading acknowledges */
    spin_unlock_irqrestore(&r->lock, flags);
    return size == 1 ? val : val | 0xffffff00u;
}

static void rtc_write(struct vcpu *v, uint16_t port, unsigned int size, uint32_t val)
{
    struct vrtc *r = rtc_of(v->dom);
    uint8_t b = (uint8_t)val;
    uint64_t now = now_ns();
    uint64_t flags = spin_lock_irqsave(&r->lock);
    if (port == 0x70) {
        r->index = b & 0x7f; /* bit 7 masks NMIs: nothing to mask here */
        spin_unlock_irqrestore(&r->lock, flags);
        return;
    }
    uint8_t idx = r->index;
    switch (idx) {
    case REG_A:
        refresh_clock(r, now);
        r->cmos[REG_A] = (uint8_t)((b & ~A_UIP) | (r->cmos[REG_A] & A_UIP));
        rearm_locked(r, now);
        break;
    case REG_B: {
        bool was_set = r->cmos[REG_B] & B_SET;
        if (!was_set && (b & B_SET))
            refresh_clock(r, now); /* the registers hold the time when SET came */
        r->cmos[REG_B] = b;
        if (b & B_SET)
            r->cmos[REG_B] &= ~B_UIE; /* SET clears UIE */
        else if (was_set)
            take_written_time(r, now);
        rearm_locked(r, now);
        break;
    }
    case REG_C:
    case REG_D:
        break; /* read-only */
    case REG_SEC: case REG_MIN: case REG_HOUR: case REG_WEEKDAY: case REG_DAY: case REG_MONTH:
    case REG_YEAR: case REG_CENTURY:
        if (!(r->cmos[REG_B] & B_SET))
            refresh_clock(r, now);
        r->cmos[idx] = b;
        if (!(r->cmos[REG_B] & B_SET))
            take_written_time(r, now); /* a write outside SET sets the clock too */
        break;
    default:
        r->cmos[idx] = b;
        break;
    }
    spin_unlock_irqrestore(&r->lock, flags);
}

int vrtc_init(struct domain *d)
{
    struct vrtc *r = rtc_of(d);
    spin_lock_init(&r->lock);
    r->d = d;
    timer_init(&r->periodic, periodic_fired, r);
    timer_init(&r->second, second_fired, r);
    r->cmos[REG_A] = 0x26; /* 32.768 kHz, 1024 Hz periodic rate */
    r->cmos[REG_B] = B_24H;
    r->cmos[REG_D] = 0x80; /* valid RAM and time */
    refresh_clock(r, now_ns());
    return ioport_register(d, 0x70, 2, rtc_read, rtc_write);
}

void vrtc_destroy(struct domain *d)
{
    timer_kill(&rtc_of(d)->periodic);
    timer_kill(&rtc_of(d)->second);
}
