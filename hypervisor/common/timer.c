/*
 * Per-CPU timer lists, sorted by deadline, driven by the local APIC timer in
 * one-shot mode programmed for the earliest deadline.
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
};

static struct timer_queue queues[MAX_CPUS];

static void reprogram(struct timer_queue *q)
{
    if (!q->head) {
        lapic_timer_stop();
        return;
    }
    uint64_t now = now_ns();
    lapic_timer_oneshot(q->head->deadline > now ? q->head->deadline - now : 1);
}

static void unlink_locked(struct timer_queue *q, struct timer *t)
{
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

void timer_stop(struct timer *t)
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
        spin_unlock_irqrestore(&q->lock, flags);
        return;
    }
}

void timer_set(struct timer *t, uint64_t deadline)
{
    timer_stop(t);
    unsigned int cpu = smp_processor_id();
    struct timer_queue *q = &queues[cpu];
    uint64_t flags = spin_lock_irqsave(&q->lock);
    t->cpu = cpu;
    t->deadline = deadline;
    t->active = true;
    struct timer **pp = &q->head;
    while (*pp && (*pp)->deadline <= deadline)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    if (q->head == t)
        reprogram(q);
    spin_unlock_irqrestore(&q->lock, flags);
}

void timers_run(void)
{
    struct timer_queue *q = &queues[smp_processor_id()];
    uint64_t flags = spin_lock_irqsave(&q->lock);
    uint64_t now = now_ns();
    while (q->head && q->head->deadline <= now) {
        struct timer *t = q->head;
        q->head = t->next;
        t->active = false;
        spin_unlock(&q->lock);
        t->fn(t->data);
        spin_lock(&q->lock);
        now = now_ns();
    }
    reprogram(q);
    spin_unlock_irqrestore(&q->lock, flags);
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
