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
    struct timer *running; /* whose callback timers_run is calling */
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

void timers_run(void)
{
    struct timer_queue *q = &queues[smp_processor_id()];
    uint64_t flags = spin_lock_irqsave(&q->lock);
    uint64_t now = now_ns();
    while (q->head && q->head->deadline <= now) {
        struct timer *t = q->head;
        q->head = t->next;
        t->active = false;
        q->running = t;
        spin_unlock(&q->lock);
        t->fn(t->data);
        spin_lock(&q->lock);
        q->running = NULL;
        now = now_ns();
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
