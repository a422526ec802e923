/*
 * Serial input. The UART interrupt collects bytes; Ctrl-A three times in a
 * row moves input to the next receiver: the hypervisor, then each domain
 * with a console on this line. Keys for the hypervisor itself:
 *   h  help    q  power off    r  reboot    d  list domains
 */
#include <asm/acpi.h>
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/x86.h>
#include <basalt/console.h>
#include <basalt/domain.h>
#include <basalt/event.h>
#include <basalt/guest_console.h>
#include <basalt/lib.h>
#include <basalt/pv_console.h>
#include <basalt/spinlock.h>
#include <basalt/timer.h>

#define CTRL_A 0x01
#define INPUT_BUF 1024
#define COM1_IRQ 4

static spinlock_t input_lock = SPINLOCK_INIT;
static int owner_id = -1; /* -1: the hypervisor */
static unsigned int ctrl_a_count;
static char buf[INPUT_BUF];
static unsigned int buf_head, buf_tail;

void uart_enable_rx_irq(void);
void machine_power_off(void);
void machine_restart(void);
void dump_domains(void);

void console_input_set_owner(struct domain *d)
{
    uint64_t flags = spin_lock_irqsave(&input_lock);
    owner_id = d ? (int)d->id : -1;
    buf_head = buf_tail = 0;
    spin_unlock_irqrestore(&input_lock, flags);
    if (d)
        pr_notice("serial input to domain %u (%s) (Ctrl-A three times to switch)\n", d->id, d->name);
}

struct domain *console_input_owner(void)
{
    int id = READ_ONCE(owner_id);
    return id < 0 ? NULL : domain_by_id((domid_t)id);
}

static bool can_receive(struct domain *d)
{
    return d && d->state == DOMAIN_RUNNING && (d->is_privileged || pv_console_is_local(d));
}

static void switch_owner(void)
{
    int next = -1;
    for (int id = owner_id + 1; id < MAX_DOMAINS; id++) {
        if (can_receive(domain_by_id((domid_t)id))) {
            next = id;
            break;
        }
    }
    owner_id = next;
    buf_head = buf_tail = 0;
    if (next < 0)
        pr_notice("serial input to the hypervisor (h for help; Ctrl-A three times to switch)\n");
    else
        pr_notice("serial input to domain %d (%s) (Ctrl-A three times to switch)\n", next,
                  domain_by_id((domid_t)next)->name);
}

void console_input_domain_gone(struct domain *d)
{
    if (owner_id == (int)d->id) {
        owner_id = (int)d->id - 1; /* so the switch picks the next one */
        uint64_t flags = spin_lock_irqsave(&input_lock);
        switch_owner();
        spin_unlock_irqrestore(&input_lock, flags);
    }
}

static void hypervisor_key(char c)
{
    switch (c) {
    case 'q':
        pr_notice("powering off (console key)\n");
        machine_power_off();
        break;
    case 'r':
        pr_notice("rebooting (console key)\n");
        machine_restart();
        break;
    case 'd':
        dump_domains();
        timers_dump();
        break;
    case 'e':
        evtchn_dump();
        break;
    case '\r':
    case '\n':
        break;
    default:
        pr_notice("keys: h help, d domains, e event channels, q power off, r reboot; Ctrl-A three times switches input\n");
        break;
    }
}

size_t console_input_read(char *dst, size_t n)
{
    uint64_t flags = spin_lock_irqsave(&input_lock);
    size_t got = 0;
    while (got < n && buf_tail != buf_head) {
        dst[got++] = buf[buf_tail % INPUT_BUF];
        buf_tail++;
    }
    spin_unlock_irqrestore(&input_lock, flags);
    return got;
}

static void deliver(char c)
{
    struct domain *d = console_input_owner();
    if (!d) {
        hypervisor_key(c);
        return;
    }
    if (pv_console_is_local(d)) {
        pv_console_input(d, c);
        return;
    }
    if (buf_head - buf_tail < INPUT_BUF)
        buf[buf_head++ % INPUT_BUF] = c;
    console_input_notify_dom0(d);
}

static void uart_interrupt(unsigned int vector, struct trap_frame *f)
{
    int c;
    uint64_t flags = spin_lock_irqsave(&input_lock);
    while ((c = uart_getc()) >= 0) {
        if (c == CTRL_A) {
            if (++ctrl_a_count == 3) {
                ctrl_a_count = 0;
                switch_owner();
            }
            continue;
        }
        /* Ctrl-As that did not make three are passed on. */
        for (; ctrl_a_count; ctrl_a_count--)
            deliver(CTRL_A);
        deliver((char)c);
    }
    spin_unlock_irqrestore(&input_lock, flags);
}

void console_start_input(void)
{
    const struct isa_irq *irq = &acpi.isa[COM1_IRQ];
    set_irq_handler(VEC_DEVICE_BASE + irq->gsi, uart_interrupt);
    ioapic_route(irq->gsi, (uint8_t)(VEC_DEVICE_BASE + irq->gsi), this_cpu()->apic_id, irq->level,
                 irq->active_low);
    uart_enable_rx_irq();
    pr_notice("serial input to the hypervisor (h for help; Ctrl-A three times to switch)\n");
}
