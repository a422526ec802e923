/*
 * Per-CPU timer lists, sorted by deadline, driven by the local APIC timer in
 * one-shot mode programmed for the earliest deadline.
 *
 * Deadlines come from guests too (their timers, poll timeouts): any value
 * must be safe here. A far deadline is reached in steps of at most
 * MAX_PROGRAM_NS, and timers_run runs only what was due when it started, so
 * a callback that re-arms its timer in the past cannot keep the CPU in the
 * interrupt handler.
 */
#include <asm/apic.h>
#include <asm/irq.h>
#include <asm/percpu.h>
#include <basalt/lib.h>
#include <basalt/spinlock.h>
#include <basalt/time.h>
#include <basalt/timer.h>

struct timer_queue {
    spinlock_t lock;
    struct timer *head;
    struct timer *running; /* whose callback timers_run is calling */
    uint64_t runs;         /* timers_run calls started */
};

static struct timer_queue queues[MAX_CPUS];

/* The longest the LAPIC timer is programmed for at once. */
#define MAX_PROGRAM_NS NSEC_PER_SEC

static void reprogram(struct timer_queue *q)
{
    if (!q->head) {
        lapic_timer_stop();
        return;
    }
    uint64_t now = now_ns();
    uint64_t delta = q->head->deadline > now ? q->head->deadline - now : 1;
    lapic_timer_oneshot(delta < MAX_PROGRAM_NS ? delta : MAX_PROGRAM_NS);
}

static void unlink_locked(struct timer_queue *q, struct timer *t)
{
    ASSERT_LOCKED(&q->lock);
    for (struct timer **pp = &q->head; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->active = false;
}

void timer_init(struct timer *t, void (*fn)(void *), void *data)
{
    t->fn = fn;
    t->data = data;
    t->active = false;
    t->next = NULL;
    t->cpu = 0;
}

/* Unlinks t; returns whether its callback is running on another CPU. */
static bool stop(struct timer *t)
{
    for (;;) {
        unsigned int cpu = READ_ONCE(t->cpu);
        struct timer_queue *q = &queues[cpu];
        uint64_t flags = spin_lock_irqsave(&q->lock);
        if (t->cpu != cpu) { /* moved meanwhile */
            spin_unlock_irqrestore(&q->lock, flags);
            continue;
        }
        if (t->active)
            unlink_locked(q, t);
        bool running = q->running == t && cpu != smp_processor_id();
        spin_unlock_irqrestore(&q->lock, flags);
        return running;
    }
}

void timer_stop(struct timer *t)
{
    stop(t);
}

void timer_kill(struct timer *t)
{
    ASSERT_MAY_WAIT(); /* the callback may need a lock we would hold */
    while (stop(t)) {
        const struct timer_queue *q = &queues[READ_ONCE(t->cpu)];
        while (READ_ONCE(q->running) == t)
            cpu_relax();
    }
}

/*
 * Moving a timer between CPUs holds both queues' locks, so that a timer_set
 * racing with another timer_set or timer_stop of the same timer on another
 * CPU (a vCPU re-arming its timer while the old CPU's callback re-arms it
 * too) cannot put one timer on two lists.
 */
void timer_set(struct timer *t, uint64_t deadline)
{
    uint64_t flags = local_irq_save();
    unsigned int cpu = smp_processor_id();
    struct timer_queue *q = &queues[cpu];
    for (;;) {
        unsigned int old = READ_ONCE(t->cpu);
        struct timer_queue *oq = &queues[old];
        struct timer_queue *first = old < cpu ? oq : q, *second = old < cpu ? q : oq;
        spin_lock(&first->lock);
        if (second != first)
            spin_lock(&second->lock);
        if (t->cpu != old) { /* moved meanwhile */
            if (second != first)
                spin_unlock(&second->lock);
            spin_unlock(&first->lock);
            continue;
        }
        if (t->active)
            unlink_locked(oq, t);
        t->cpu = cpu;
        t->deadline = deadline;
        t->armed_in = q->runs;
        t->active = true;
        struct timer **pp = &q->head;
        while (*pp && (*pp)->deadline <= deadline)
            pp = &(*pp)->next;
        t->next = *pp;
        *pp = t;
        if (q->head == t)
            reprogram(q);
        if (second != first)
            spin_unlock(&second->lock);
        spin_unlock(&first->lock);
        break;
    }
    local_irq_restore(flags);
}

/* Runs the timers that were due when it was called; one a callback re-arms
 * (for a moment already past, or not) waits for the next interrupt. */
void timers_run(void)
{
    struct timer_queue *q = &queues[smp_processor_id()];
    uint64_t flags = spin_lock_irqsave(&q->lock);
    uint64_t now = now_ns(), run = ++q->runs;
    while (q->head && q->head->deadline <= now && q->head->armed_in != run) {
        struct timer *t = q->head;
        q->head = t->next;
        t->active = false;
        q->running = t;
        spin_unlock(&q->lock);
        t->fn(t->data);
        spin_lock(&q->lock);
        q->running = NULL;
    }
    reprogram(q);
    spin_unlock_irqrestore(&q->lock, flags);
}

/* One line per CPU: when its earliest timer is due. A deadline long past on
 * a CPU means its timer interrupt never arrived. */
void timers_dump(void)
{
    uint64_t now = now_ns();
    for (unsigned int cpu = 0; cpu < nr_pcpus; cpu++) {
        if (!pcpus[cpu] || !pcpus[cpu]->online)
            continue;
        struct timer_queue *q = &queues[cpu];
        uint64_t flags = spin_lock_irqsave(&q->lock);
        uint64_t deadline = q->head ? q->head->deadline : 0;
        spin_unlock_irqrestore(&q->lock, flags);
        if (!deadline)
            printk("  cpu %u: no timer\n", cpu);
        else if (deadline >= now)
            printk("  cpu %u: next timer in %lu us\n", cpu, (deadline - now) / 1000);
        else
            printk("  cpu %u: next timer overdue by %lu us\n", cpu, (now - deadline) / 1000);
    }
}

static void timer_interrupt(unsigned int vector, struct trap_frame *f)
{
    timers_run();
}

void timers_cpu_init(void)
{
    spin_lock_init(&queues[smp_processor_id()].lock);
    set_irq_handler(VEC_TIMER, timer_interrupt);
}
