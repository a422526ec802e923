/*
 * The 8254 PIT of an HVM domain (ports 0x40-0x43) and port 0x61 (channel
 * 2's gate and output, the speaker bit, the refresh toggle). QEMU does not
 * create a PIT for a Xen guest, so the BIOS timer tick (IRQ 0) and the
 * delay loops calibrated on channel 2 depend on this one.
 *
 * Counters are not stepped: each channel keeps when it started counting,
 * and its count and output are computed from the time (Intel 82C54
 * datasheet, modes 0-5). Channel 0's interrupt is a timer: once at the
 * terminal count (modes 0, 1, 4, 5), every period (modes 2, 3); a late
 * timer raises one interrupt, not the ones it missed.
 */
#include <asm/hvm_domain.h>
#include <asm/ioport.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/time.h>
#include <basalt/timer.h>

#define PIT_HZ 1193182ULL
#define MIN_IRQ_PERIOD_NS 50000 /* a guest may not have us raise IRQ 0 faster than 20 kHz */

static uint64_t ticks_since(const struct vpit_channel *c, uint64_t now)
{
    if (now <= c->start_ns)
        return 0;
    return (uint64_t)((unsigned __int128)(now - c->start_ns) * PIT_HZ / NSEC_PER_SEC);
}

static uint64_t ticks_to_ns(uint64_t ticks)
{
    return (uint64_t)((unsigned __int128)ticks * NSEC_PER_SEC / PIT_HZ);
}

static uint32_t reload_value(const struct vpit_channel *c)
{
    return c->reload ? c->reload : 0x10000;
}

static uint16_t vpit_count(const struct vpit_channel *c, uint64_t now)
{
    if (!c->counting)
        return c->reload;
    uint64_t d = ticks_since(c, now);
    uint32_t n = reload_value(c);
    switch (c->mode) {
    case 2:
        return (uint16_t)(n - d % n);
    case 3: /* counts down by two, twice per period */
        return (uint16_t)((n - (2 * d) % n) & 0xfffe);
    default: /* 0, 1, 4, 5: down through zero and on */
        return (uint16_t)((n - d) & 0xffff);
    }
}

static bool vpit_out(const struct vpit_channel *c, uint64_t now)
{
    if (!c->counting)
        return c->mode != 0; /* mode 0 starts low, the others high */
    uint64_t d = ticks_since(c, now);
    uint32_t n = reload_value(c);
    switch (c->mode) {
    case 0:
    case 1:
        return d >= n;
    case 2: /* low for the one clock at count 1 */
        return d % n != n - 1;
    case 3: /* high for the first half of each period */
        return d % n < (n + 1) / 2;
    default: /* 4, 5: low for the one clock at the terminal count */
        return d != n;
    }
}

static struct vpit *pit_of(struct domain *d) { return &d->arch.hvm->pit; }

static bool periodic(const struct vpit_channel *c)
{
    return c->mode == 2 || c->mode == 3;
}

/* Channel 0's next interrupt, from its state; 0 for none. */
static uint64_t next_irq(const struct vpit_channel *c, uint64_t after)
{
    if (!c->counting)
        return 0;
    uint64_t n = reload_value(c);
    uint64_t period = ticks_to_ns(n);
    if (!periodic(c))
        return c->start_ns + period > after ? c->start_ns + period : 0;
    if (period < MIN_IRQ_PERIOD_NS)
        period = MIN_IRQ_PERIOD_NS;
    uint64_t k = after >= c->start_ns ? (after - c->start_ns) / period + 1 : 1;
    return c->start_ns + k * period;
}

static void arm_locked(struct vpit *pit, uint64_t now)
{
    timer_stop(&pit->timer);
    pit->next_irq_ns = next_irq(&pit->ch[0], now);
    if (pit->next_irq_ns)
        timer_set(&pit->timer, pit->next_irq_ns);
}

static void irq0_fired(void *data)
{
    struct vpit *pit = data;
    uint64_t flags = spin_lock_irqsave(&pit->lock);
    bool raise = pit->next_irq_ns && pit->next_irq_ns <= now_ns();
    if (raise && periodic(&pit->ch[0]))
        arm_locked(pit, now_ns());
    else if (raise)
        pit->next_irq_ns = 0;
    spin_unlock_irqrestore(&pit->lock, flags);
    if (raise)
        hvm_isa_irq_pulse(pit->d, 0);
}

static void load_count(struct vpit *pit, unsigned int ch, uint16_t value, uint64_t now)
{
    struct vpit_channel *c = &pit->ch[ch];
    c->reload = value;
    c->start_ns = now;
    c->counting = true;
    c->null_count = false;
    if (ch == 0)
        arm_locked(pit, now);
}

static uint8_t status_byte(const struct vpit_channel *c, uint64_t now)
{
    return (uint8_t)((vpit_out(c, now) << 7) | (c->null_count << 6) | (c->rw_mode << 4) | (c->mode << 1) |
                     c->bcd);
}

static void control_word(struct vpit *pit, uint8_t val, uint64_t now)
{
    unsigned int ch = val >> 6;
    if (ch == 3) { /* read-back: bits 1-3 select, bit 5 clear latches counts, bit 4 clear statuses */
        for (unsigned int i = 0; i < 3; i++) {
            struct vpit_channel *c = &pit->ch[i];
            if (!(val & (2u << i)))
                continue;
            if (!(val & 0x20) && !c->latched) {
                c->latched = true;
                c->latch = vpit_count(c, now);
            }
            if (!(val & 0x10) && !c->status_latched) {
                c->status_latched = true;
                c->status = status_byte(c, now);
            }
        }
        return;
    }
    struct vpit_channel *c = &pit->ch[ch];
    unsigned int access = (val >> 4) & 3;
    if (access == 0) { /* counter latch */
        if (!c->latched) {
            c->latched = true;
            c->latch = vpit_count(c, now);
        }
        return;
    }
    c->rw_mode = (uint8_t)access;
    c->mode = (val >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4; /* 6 and 7 are 2 and 3 */
    c->bcd = val & 1;
    c->counting = false;
    c->null_count = true;
    c->latched = c->status_latched = false;
    c->write_msb_next = c->read_msb_next = false;
    if (ch == 0)
        arm_locked(pit, now);
}

static void counter_write(struct vpit *pit, unsigned int ch, uint8_t val, uint64_t now)
{
    struct vpit_channel *c = &pit->ch[ch];
    switch (c->rw_mode) {
    case 1:
        load_count(pit, ch, val, now);
        break;
    case 2:
        load_count(pit, ch, (uint16_t)(val << 8), now);
        break;
    case 3:
        if (!c->write_msb_next) {
            c->write_lsb = val;
            c->write_msb_next = true;
        } else {
            c->write_msb_next = false;
            load_count(pit, ch, (uint16_t)(c->write_lsb | val << 8), now);
        }
        break;
    default: /* no control word yet */
        break;
    }
}

static uint8_t counter_read(struct vpit *pit, unsigned int ch, uint64_t now)
{
    struct vpit_channel *c = &pit->ch[ch];
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v = c->latched ? c->latch : vpit_count(c, now);
    uint8_t b;
    switch (c->rw_mode) {
    case 1:
        b = (uint8_t)v;
        c->latched = false;
        break;
    case 2:
        b = (uint8_t)(v >> 8);
        c->latched = false;
        break;
    default:
        b = c->read_msb_next ? (uint8_t)(v >> 8) : (uint8_t)v;
        if (c->read_msb_next)
            c->latched = false;
        c->read_msb_next = !c->read_msb_next;
        break;
    }
    return b;
}

static uint32_t pit_read(struct vcpu *v, uint16_t port, unsigned int size)
{
    struct vpit *pit = pit_of(v->dom);
    uint64_t now = now_ns();
    uint64_t flags = spin_lock_irqsave(&pit->lock);
    uint32_t val;
    if (port == 0x61) {
        /* Bit 4 toggles every 15 us (DRAM refresh), which BIOS delays count. */
        val = (uint32_t)(((now / 15000) & 1) << 4) | (vpit_out(&pit->ch[2], now) << 5) |
              (pit->speaker_data << 1) | pit->ch[2].gate;
    } else if (port == 0x43) {
        val = 0xff; /* the control register cannot be read */
    } else {
        val = counter_read(pit, port - 0x40, now);
    }
    spin_unlock_irqrestore(&pit->lock, flags);
    return size == 1 ? val : val | (0xffffffffu << 8);
}

static void pit_write(struct vcpu *v, uint16_t port, unsigned int size, uint32_t val)
{
    struct vpit *pit = pit_of(v->dom);
    uint64_t now = now_ns();
    uint64_t flags = spin_lock_irqsave(&pit->lock);
    uint8_t b = (uint8_t)val;
    if (port == 0x61) {
        bool gate = b & 1;
        struct vpit_channel *c = &pit->ch[2];
        if (gate && !c->gate && c->counting)
            c->start_ns = now; /* a rising gate (re)starts channel 2 */
        c->gate = gate;
        pit->speaker_data = (b >> 1) & 1;
    } else if (port == 0x43) {
        control_word(pit, b, now);
    } else {
        counter_write(pit, port - 0x40, b, now);
    }
    spin_unlock_irqrestore(&pit->lock, flags);
}

int vpit_init(struct domain *d)
{
    struct vpit *pit = pit_of(d);
    spin_lock_init(&pit->lock);
    pit->d = d;
    timer_init(&pit->timer, irq0_fired, pit);
    for (unsigned int i = 0; i < 3; i++)
        pit->ch[i] = (struct vpit_channel){ .mode = 3, .rw_mode = 3, .gate = i != 2 };
    int rc = ioport_register(d, 0x40, 4, pit_read, pit_write);
    return rc ? rc : ioport_register(d, 0x61, 1, pit_read, pit_write);
}

void vpit_destroy(struct domain *d)
{
    timer_kill(&pit_of(d)->timer);
}
