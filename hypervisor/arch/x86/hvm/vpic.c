/*
 * The 8259A pair of an HVM domain: master at 0x20/0x21, slave at
 * 0xA0/0xA1 cascaded on the master's IRQ 2, edge/level control (ELCR) at
 * 0x4D0/0x4D1. Initialization words, masks, fully nested priorities with
 * rotation, specific and non-specific EOI, auto-EOI, special mask mode,
 * poll mode, IRR/ISR reads (Intel 8259A datasheet).
 *
 * The state is plain data: the caller holds the domain's interrupt lock
 * and looks at the master's int_output afterwards to wake the vCPU that
 * takes the PIC's interrupts (hvm/irq.c). Nothing here depends on the rest
 * of the hypervisor, so it is also built on the host for tests.
 */
#include <asm/hvm_domain.h>
#include <asm/vpic.h>

/* ELCR bits that exist: IRQ 0, 1, 2 (master) and 8, 13 (slave) are edge only. */
static uint8_t elcr_mask(const struct vpic *p)
{
    return p->is_master ? 0xf8 : 0xde;
}

/* The highest priority (0 best) among the IRQs in mask, 8 if none. */
static unsigned int priority(const struct vpic *p, uint8_t mask)
{
    for (unsigned int prio = 0; prio < 8; prio++)
        if (mask & (1u << ((prio + p->priority_add) & 7)))
            return prio;
    return 8;
}

/* The IRQ the PIC would raise now, or -1. */
static int highest_irq(const struct vpic *p)
{
    unsigned int prio = priority(p, p->irr & ~p->imr);
    if (prio == 8)
        return -1;
    int irq = (int)((prio + p->priority_add) & 7);
    uint8_t in_service = p->isr;
    /* Special fully nested mode: the slave's own in-service IRQ does not
     * block another from the slave. Special mask mode: masked IRQs do not
     * block lower ones. */
    if (p->special_fully_nested && p->is_master && irq == 2)
        in_service &= ~(1u << 2);
    if (p->special_mask)
        in_service &= ~p->imr;
    return prio < priority(p, in_service) ? irq : -1;
}

static void update_output(struct vpic pic[2], unsigned int which)
{
    struct vpic *p = &pic[which];
    bool out = !p->init_state && highest_irq(p) >= 0;
    if (out == p->int_output)
        return;
    p->int_output = out;
    if (!p->is_master) {
        /* The slave's INT is the master's IRQ 2, level-sensitive. */
        if (out)
            pic[0].irr |= 1u << 2;
        else
            pic[0].irr &= ~(1u << 2);
        update_output(pic, 0);
    }
}

void vpic_reset(struct vpic pic[2])
{
    for (unsigned int i = 0; i < 2; i++) {
        pic[i] = (struct vpic){ .is_master = i == 0, .elcr = 0 };
    }
}

void vpic_set_irq_level(struct vpic pic[2], unsigned int irq, bool level)
{
    struct vpic *p = &pic[irq >> 3];
    uint8_t mask = (uint8_t)(1u << (irq & 7));
    if (level) {
        p->irr |= mask;
    } else if (p->elcr & mask) {
        p->irr &= ~mask; /* a level IRQ that goes away is no longer requested */
    }
    update_output(pic, irq >> 3);
}

/* Edge IRQs forget their request when acknowledged; level ones keep it
 * while the line stays up (the caller re-raises it otherwise). */
static void ack_one(struct vpic pic[2], unsigned int which, unsigned int irq)
{
    struct vpic *p = &pic[which];
    uint8_t mask = (uint8_t)(1u << irq);
    /* The master's IRQ 2 is the slave's output: level, whatever ELCR says. */
    if (!(p->elcr & mask) && !(p->is_master && irq == 2))
        p->irr &= ~mask;
    if (!p->auto_eoi)
        p->isr |= mask;
    else if (p->rotate_on_auto_eoi)
        p->priority_add = (uint8_t)((irq + 1) & 7);
    update_output(pic, which);
}

int vpic_intack(struct vpic pic[2])
{
    if (!pic[0].int_output)
        return -1;
    int irq = highest_irq(&pic[0]);
    if (irq < 0)
        return -1;
    ack_one(pic, 0, (unsigned int)irq);
    if (irq != 2)
        return pic[0].irq_base + irq;
    int sirq = highest_irq(&pic[1]);
    if (sirq < 0)
        return pic[1].irq_base + 7; /* spurious IRQ 15, as the hardware gives */
    ack_one(pic, 1, (unsigned int)sirq);
    return pic[1].irq_base + sirq;
}

static void eoi(struct vpic pic[2], unsigned int which, unsigned int irq, bool rotate)
{
    struct vpic *p = &pic[which];
    p->isr &= ~(1u << irq);
    if (rotate)
        p->priority_add = (uint8_t)((irq + 1) & 7);
    update_output(pic, which);
}

void vpic_write(struct vpic pic[2], unsigned int which, bool odd, uint8_t val)
{
    struct vpic *p = &pic[which];
    if (!odd) {
        if (val & 0x10) {
            /* ICW1: start initialization */
            p->irr &= p->elcr; /* edge-sense latches are cleared */
            p->imr = p->isr = 0;
            p->priority_add = 0;
            p->rotate_on_auto_eoi = false;
            p->special_mask = false;
            p->readsel_isr = false;
            p->poll = false;
            if (!(val & 1)) {
                p->auto_eoi = false;
                p->special_fully_nested = false;
            }
            p->init_state = (uint8_t)(((val & 3) << 2) | 1);
        } else if (val & 0x08) {
            /* OCW3 */
            if (val & 0x04)
                p->poll = true;
            if (val & 0x02)
                p->readsel_isr = val & 1;
            if (val & 0x40)
                p->special_mask = (val >> 5) & 1;
        } else {
            /* OCW2 */
            unsigned int cmd = val >> 5;
            switch (cmd) {
            case 0: /* rotate in auto-EOI mode: clear */
            case 4: /* ... set */
                p->rotate_on_auto_eoi = cmd == 4;
                break;
            case 1: /* non-specific EOI */
            case 5: { /* ... and rotate */
                uint8_t mask = p->isr;
                if (p->special_mask)
                    mask &= ~p->imr;
                unsigned int prio = priority(p, mask);
                if (prio < 8)
                    eoi(pic, which, (prio + p->priority_add) & 7, cmd == 5);
                return;
            }
            case 3: /* specific EOI */
            case 7: /* ... and rotate */
                eoi(pic, which, val & 7, cmd == 7);
                return;
            case 6: /* set priority: IRQ val&7 becomes the lowest */
                p->priority_add = (uint8_t)((val + 1) & 7);
                break;
            default: /* 2: no operation */
                break;
            }
        }
    } else {
        switch (p->init_state & 3) {
        case 0: /* OCW1: the mask */
            p->imr = val;
            break;
        case 1: /* ICW2: vector base */
            p->irq_base = val & 0xf8;
            p->init_state++;
            if (!(p->init_state & 8))
                break; /* cascaded: ICW3 next */
            /* single: no ICW3 */
            /* fall through */
        case 2: /* ICW3: cascade wiring, fixed here */
            p->init_state++;
            if (!(p->init_state & 4))
                p->init_state = 0; /* no ICW4 */
            break;
        default: /* ICW4 */
            p->special_fully_nested = (val >> 4) & 1;
            p->auto_eoi = (val >> 1) & 1;
            p->init_state = 0;
            break;
        }
    }
    update_output(pic, which);
}

uint8_t vpic_read(struct vpic pic[2], unsigned int which, bool odd)
{
    struct vpic *p = &pic[which];
    if (p->poll) {
        /* Poll mode: the read acknowledges the highest request. */
        p->poll = false;
        int irq = highest_irq(p);
        if (irq < 0)
            return 0;
        ack_one(pic, which, (unsigned int)irq);
        return (uint8_t)(0x80 | irq);
    }
    if (!odd)
        return p->readsel_isr ? p->isr : p->irr;
    return p->imr;
}

void vpic_elcr_write(struct vpic pic[2], unsigned int which, uint8_t val)
{
    pic[which].elcr = val & elcr_mask(&pic[which]);
}

uint8_t vpic_elcr_read(const struct vpic pic[2], unsigned int which)
{
    return pic[which].elcr & elcr_mask(&pic[which]);
}
