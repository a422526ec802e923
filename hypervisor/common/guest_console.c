/*
 * Guest console output on the serial line. Each domain's text is collected
 * into lines so lines of different domains never interleave mid-line. A
 * domain may print at most OUTPUT_BUDGET bytes per second: a guest must not
 * be able to drown the hypervisor's log or stall a CPU on the UART.
 */
#include <basalt/console.h>
#include <basalt/domain.h>
#include <basalt/guest_console.h>
#include <basalt/lib.h>
#include <basalt/time.h>

#define OUTPUT_BUDGET (64 * 1024)

/* Writes what the line buffer holds; the "(dN) " prefix starts each line
 * (Dom0's output is the machine's console and goes unprefixed). The console
 * adds the prefix when the text does not continue this domain's own line. */
static void emit(struct domain *d, bool end_line)
{
    struct guest_console_out *o = &d->console_out;
    char prefix[16] = "";
    if (d->id != 0)
        snprintf(prefix, sizeof(prefix), "(d%u) ", d->id);
    if (end_line && (!o->len || o->line[o->len - 1] != '\n'))
        o->line[o->len++] = '\n';
    console_write_from(d, prefix, o->line, o->len);
    o->len = 0;
}

static void emit_line(struct domain *d)
{
    emit(d, true);
}

static void emit_partial(struct domain *d)
{
    emit(d, false);
}

static bool take_budget(struct guest_console_out *o, size_t n)
{
    uint64_t period = now_ns() / NSEC_PER_SEC + 1; /* 0 means "never set" */
    if (period != o->budget_period) {
        o->budget_period = period;
        o->budget_bytes = OUTPUT_BUDGET;
        o->dropping = false;
    }
    if (o->budget_bytes < n)
        return false;
    o->budget_bytes -= n;
    return true;
}

void guest_console_write(struct domain *d, const char *buf, size_t n)
{
    struct guest_console_out *o = &d->console_out;
    uint64_t flags = spin_lock_irqsave(&o->lock);
    if (d->id != 0 && !take_budget(o, n)) {
        if (!o->dropping) {
            o->dropping = true;
            spin_unlock_irqrestore(&o->lock, flags);
            pr_warn("d%u: console output over %u bytes/s, dropping\n", d->id, OUTPUT_BUDGET);
            return;
        }
        spin_unlock_irqrestore(&o->lock, flags);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (c == '\r' || c == '\0')
            continue;
        o->line[o->len++] = c;
        if (c == '\n' || o->len == GUEST_LINE_MAX)
            emit_line(d);
    }
    /* The domain someone is typing to shows its prompt (a line without its
     * end) at once; the others keep lines whole so that they never mix. */
    if (o->len && console_input_owner() == d)
        emit_partial(d);
    spin_unlock_irqrestore(&o->lock, flags);
}

void guest_console_flush(struct domain *d)
{
    struct guest_console_out *o = &d->console_out;
    uint64_t flags = spin_lock_irqsave(&o->lock);
    if (o->len)
        emit_line(d);
    spin_unlock_irqrestore(&o->lock, flags);
}
