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
#include <basalt/sched.h>
#include <basalt/spinlock.h>
#include <basalt/time.h>
#include <basalt/timer.h>

struct timer_queue {
    spinlock_t lock;
    struct timer *head;
    struct timer *running; /* whose callback timers_run is calling */
    uint64_t runs;         /* timers_run calls started */
    /* For the watchdog (below). */
    uint64_t last_run_ns;       /* when timers_run last started */
    uint64_t programmed_at_ns;  /* when the local APIC was last programmed, */
    uint64_t programmed_ns;     /* and for how long (0: stopped) */
    uint64_t watched_at_ns;     /* when this CPU last looked at the others */
    uint64_t reported_deadline; /* the overdue head last reported */
    volatile bool state_wanted; /* report the local APIC's timer state */
};

static struct timer_queue queues[MAX_CPUS];

/* The longest the LAPIC timer is programmed for at once. */
#define MAX_PROGRAM_NS NSEC_PER_SEC

static void reprogram(struct timer_queue *q)
{
    uint64_t now = now_ns();
    q->programmed_at_ns = now;
    if (!q->head) {
        q->programmed_ns = 0;
        lapic_timer_stop();
        return;
    }
    uint64_t delta = q->head->deadline > now ? q->head->deadline - now : 1;
    q->programmed_ns = delta < MAX_PROGRAM_NS ? delta : MAX_PROGRAM_NS;
    lapic_timer_oneshot(q->programmed_ns);
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

/*
 * The watchdog. A CPU whose earliest timer is long overdue missed its timer
 * interrupt (or has had interrupts off all that while); nothing else would
 * notice: every later timer_set there sorts in behind the overdue head and
 * leaves the local APIC alone. Each CPU looks at the others from its own
 * timer interrupt, at most every WATCHDOG_PERIOD_NS, without waiting for a
 * lock. An overdue CPU is named once per head, and sent its timer vector:
 * that runs its timers (a guest's lost timer comes late rather than never)
 * and, first, makes it report its local APIC's timer state, which tells a
 * lost interrupt (count run out, nothing requested) from a CPU that was
 * never programmed (count running or stopped). Interrupts off for seconds
 * (a spin on a contended lock under the emulator) look the same here, and
 * the report then comes from the CPU only once it takes interrupts again.
 */
#define WATCHDOG_PERIOD_NS (500 * NSEC_PER_MSEC)
#define OVERDUE_NS (2 * NSEC_PER_SEC)

static void report_lapic_state(struct timer_queue *q)
{
    q->state_wanted = false;
    struct lapic_timer_state s;
    lapic_timer_state(&s);
    uint64_t now = now_ns();
    pr_warn("timer watchdog: cpu %u: local APIC timer lvt %#x count %u of %u, vector %s%s; "
            "programmed %lu us ago for %lu us; last timer run %lu us ago\n",
            smp_processor_id(), s.lvt, s.current, s.initial, s.in_service ? "in service" : "idle",
            s.requested ? " and requested" : "", (now - q->programmed_at_ns) / 1000,
            q->programmed_ns / 1000, (now - q->last_run_ns) / 1000);
}

static void watch_others(uint64_t now)
{
    for (unsigned int cpu = 0; cpu < nr_pcpus; cpu++) {
        if (cpu == smp_processor_id() || !pcpus[cpu] || !pcpus[cpu]->online)
            continue;
        struct timer_queue *o = &queues[cpu];
        if (!spin_trylock(&o->lock))
            continue;
        const struct timer *head = o->head;
        uint64_t deadline = head ? head->deadline : 0;
        bool report = head && now > deadline && now - deadline > OVERDUE_NS &&
                      deadline != o->reported_deadline;
        if (report) {
            o->reported_deadline = deadline;
            o->state_wanted = true;
            pr_warn("timer watchdog: cpu %u's earliest timer (fn %p data %p) is overdue by %lu ms; "
                    "its last timer run was %lu ms ago\n",
                    cpu, head->fn, head->data, (uint64_t)((now - deadline) / NSEC_PER_MSEC),
                    (uint64_t)((now - o->last_run_ns) / NSEC_PER_MSEC));
        }
        spin_unlock(&o->lock);
        if (report)
            lapic_send_ipi(pcpus[cpu]->apic_id, VEC_TIMER);
    }
}

/* Runs the timers that were due when it was called; one a callback re-arms
 * (for a moment already past, or not) waits for the next interrupt. */
void timers_run(void)
{
    struct timer_queue *q = &queues[smp_processor_id()];
    if (q->state_wanted)
        report_lapic_state(q);
    uint64_t flags = spin_lock_irqsave(&q->lock);
    uint64_t now = now_ns(), run = ++q->runs;
    q->last_run_ns = now;
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
    spin_unlock(&q->lock);
    if (now - q->watched_at_ns >= WATCHDOG_PERIOD_NS) {
        q->watched_at_ns = now;
        watch_others(now);
        sched_watchdog(now);
    }
    local_irq_restore(flags);
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
