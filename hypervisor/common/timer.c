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
#include <asm/regs.h>
#include <asm/x86.h>
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

/* Past this, an overdue head means its timer interrupt was lost (not just
 * late because interrupts were off for a moment). */
#define LOST_INTERRUPT_NS (500 * NSEC_PER_MSEC)

/* s: the local APIC as it was before being programmed again. Its timer's
 * vector still requested means interrupts were off all that while; not
 * requested, nor in service, with the count run out means it was lost. */
static void report_rearm(unsigned int cpu, uint64_t late, const struct lapic_timer_state *s)
{
    static uint64_t reported_at;
    uint64_t now = now_ns();
    if (reported_at && now - reported_at < NSEC_PER_SEC)
        return;
    reported_at = now;
    uint32_t bit = BIT(VEC_TIMER % 32);
    bool requested = s->irr[VEC_TIMER / 32] & bit, in_service = s->isr[VEC_TIMER / 32] & bit;
    pr_warn("timer watchdog: cpu %u: its earliest timer is %lu ms overdue (%s; count %u of %u, "
            "ISR %08x IRR %08x): local APIC programmed again\n", cpu, (uint64_t)(late / NSEC_PER_MSEC),
            requested ? "its interrupt is pending: interrupts were off"
            : in_service ? "its vector is in service" : s->current ? "the count has not run out"
            : "a lost timer interrupt", s->current, s->initial, s->isr[7], s->irr[7]);
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
        /* An earlier head whose time has passed should have brought its
         * interrupt already: program the LAPIC again rather than trust it
         * (at worst one early interrupt). One lost timer interrupt would
         * otherwise stall this CPU's timers for good: everything armed
         * later sorts in behind that head. */
        uint64_t now = q->head != t ? now_ns() : 0;
        uint64_t late = q->head != t && q->head->deadline < now ? now - q->head->deadline : 0;
        bool lost = late > LOST_INTERRUPT_NS && !q->running;
        struct lapic_timer_state before;
        if (lost)
            lapic_timer_state(&before);
        if (q->head == t || late)
            reprogram(q);
        if (second != first)
            spin_unlock(&second->lock);
        spin_unlock(&first->lock);
        if (lost)
            report_rearm(cpu, late, &before);
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
 * lock. An overdue CPU is named once per head and sent its timer vector,
 * which runs its timers (a guest's lost timer comes late rather than never)
 * after it has reported its local APIC's state. If that vector is not taken
 * either (interrupts off, or a vector stuck in service at the timer's
 * priority), an NMI makes it record the same state and where it was, which
 * the watching CPU prints. Interrupts off for seconds (a spin on a contended
 * lock under the emulator) look the same here, and are worth a line too.
 */
#define WATCHDOG_PERIOD_NS (500 * NSEC_PER_MSEC)
#define OVERDUE_NS (2 * NSEC_PER_SEC)

struct watchdog_state {
    bool watched;               /* another CPU is looking at this one (one at a time) */
    uint64_t watched_at_ns;     /* when this CPU last looked at the others */
    uint64_t reported_deadline; /* the overdue head last reported */
    uint64_t reported_at_ns;
    bool nmi_sent;
    volatile bool state_wanted; /* report the local APIC's state */
    volatile bool nmi_state_ready;
    struct lapic_timer_state nmi_state; /* recorded by the NMI, printed by the watcher */
    uint64_t nmi_rip, nmi_rflags;
};

static struct watchdog_state watch[MAX_CPUS];

static void print_lapic_state(unsigned int cpu, const char *how, const struct lapic_timer_state *s,
                              const struct timer_queue *q, uint64_t now)
{
    pr_warn("timer watchdog: cpu %u (%s): local APIC timer lvt %#x count %u of %u, tpr %#x, "
            "ISR %08x %08x IRR %08x %08x (vectors e0-ff); programmed %lu us ago for %lu us; "
            "last timer run %lu us ago\n",
            cpu, how, s->lvt, s->current, s->initial, s->tpr, s->isr[7], s->isr[6], s->irr[7], s->irr[6],
            (now - q->programmed_at_ns) / 1000, q->programmed_ns / 1000, (now - q->last_run_ns) / 1000);
}

static void report_lapic_state(unsigned int cpu)
{
    watch[cpu].state_wanted = false;
    struct lapic_timer_state s;
    lapic_timer_state(&s);
    print_lapic_state(cpu, "from its timer vector", &s, &queues[cpu], now_ns());
}

bool timer_watchdog_nmi(const struct trap_frame *f)
{
    struct watchdog_state *w = &watch[smp_processor_id()];
    if (!w->state_wanted || !w->nmi_sent || w->nmi_state_ready)
        return false;
    lapic_timer_state(&w->nmi_state);
    w->nmi_rip = f->rip;
    w->nmi_rflags = f->rflags;
    __atomic_store_n(&w->nmi_state_ready, true, __ATOMIC_RELEASE);
    return true;
}

/* Called by one CPU at a time for the CPU it looks at. */
static void watch_one(unsigned int cpu, struct watchdog_state *w, uint64_t now)
{
    struct timer_queue *o = &queues[cpu];
    if (__atomic_load_n(&w->nmi_state_ready, __ATOMIC_ACQUIRE)) {
        print_lapic_state(cpu, "from an NMI", &w->nmi_state, o, now);
        pr_warn("timer watchdog: cpu %u was at %#lx with interrupts %s\n", cpu, w->nmi_rip,
                w->nmi_rflags & X86_EFLAGS_IF ? "on" : "off");
        w->state_wanted = false;
        w->nmi_state_ready = false;
    }
    if (!spin_trylock(&o->lock))
        return;
    const struct timer *head = o->head;
    uint64_t deadline = head ? head->deadline : 0, last_run = o->last_run_ns;
    void (*fn)(void *) = head ? head->fn : NULL;
    void *data = head ? head->data : NULL;
    spin_unlock(&o->lock);
    bool overdue = head && now > deadline && now - deadline > OVERDUE_NS;
    unsigned int vector = 0;
    if (overdue && deadline != w->reported_deadline) {
        w->reported_deadline = deadline;
        w->reported_at_ns = now;
        w->nmi_sent = false;
        w->state_wanted = true;
        vector = VEC_TIMER;
        pr_warn("timer watchdog: cpu %u's earliest timer (fn %p data %p) is overdue by %lu ms; "
                "its last timer run was %lu ms ago\n",
                cpu, fn, data, (uint64_t)((now - deadline) / NSEC_PER_MSEC),
                (uint64_t)((now - last_run) / NSEC_PER_MSEC));
    } else if (overdue && w->state_wanted && !w->nmi_sent && now - w->reported_at_ns > OVERDUE_NS) {
        w->nmi_sent = true;
        vector = 2;
        pr_warn("timer watchdog: cpu %u has not taken its timer vector in %lu ms: sending an NMI\n",
                cpu, (uint64_t)((now - w->reported_at_ns) / NSEC_PER_MSEC));
    }
    if (vector == VEC_TIMER)
        lapic_send_ipi(pcpus[cpu]->apic_id, VEC_TIMER);
    else if (vector == 2)
        lapic_send_nmi(pcpus[cpu]->apic_id);
}

static void watch_others(uint64_t now)
{
    for (unsigned int cpu = 0; cpu < nr_pcpus; cpu++) {
        if (cpu == smp_processor_id() || !pcpus[cpu] || !pcpus[cpu]->online)
            continue;
        struct watchdog_state *w = &watch[cpu];
        if (__atomic_exchange_n(&w->watched, true, __ATOMIC_ACQUIRE))
            continue;
        watch_one(cpu, w, now);
        __atomic_store_n(&w->watched, false, __ATOMIC_RELEASE);
    }
}

/* Runs the timers that were due when it was called; one a callback re-arms
 * (for a moment already past, or not) waits for the next interrupt. */
void timers_run(void)
{
    unsigned int cpu = smp_processor_id();
    struct timer_queue *q = &queues[cpu];
    if (watch[cpu].state_wanted && !watch[cpu].nmi_sent)
        report_lapic_state(cpu);
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
    if (now - watch[cpu].watched_at_ns >= WATCHDOG_PERIOD_NS) {
        watch[cpu].watched_at_ns = now;
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
