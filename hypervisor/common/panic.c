/* panic(): say why, stop every CPU. */
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <asm/x86.h>
#include <basalt/console.h>
#include <basalt/lib.h>
#include <basalt/timer.h>

static volatile bool panicking;

void __noreturn panic(const char *fmt, ...)
{
    char buf[512];
    local_irq_disable();
    bool first = !__atomic_exchange_n(&panicking, true, __ATOMIC_SEQ_CST);
    if (!first)
        halt_forever();
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(buf, sizeof(buf), "basalt: PANIC: ");
    n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 2)
        n = sizeof(buf) - 2;
    buf[n++] = '\n';
    console_write_unlocked(buf, n);
    if (nr_pcpus > 1)
        lapic_send_nmi_others();
    console_write_unlocked("basalt: system halted\n", 22);
    halt_forever();
}

void nmi_handler(struct trap_frame *f)
{
    if (panicking)
        halt_forever();
    if (timer_watchdog_nmi(f))
        return;
    pr_warn("cpu %u: NMI\n", smp_processor_id());
}
