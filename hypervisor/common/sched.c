/*
 * Scheduler (see sched.h for the policy). Each physical CPU runs
 * sched_idle_loop: pick the best runnable vCPU it may run, run it until
 * something asks for a new pick (its slice ends, it blocks or yields, a
 * better vCPU wakes), put it back, repeat; halt when there is nothing to run.
 */
#include <asm/apic.h>
#include <asm/smp.h>
#include <basalt/boot.h>
#include <asm/x86.h>
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/sched.h>
#include <basalt/shared_info.h>
#include <xen/vcpu.h>
#include <xen/xen.h>
#include <basalt/time.h>
#include <basalt/timer.h>

#define CREDIT_INIT ((int64_t)SCHED_SLICE_NS)
#define MIN_SLICE_NS (1000 * 1000ULL)
#define CAP_PERIOD_NS (10 * 1000 * 1000ULL)

struct runqueue {
    struct timer slice_timer;
    volatile bool need_resched;
    volatile bool idle;
};

static spinlock_t sched_lock = SPINLOCK_INIT;
static struct vcpu *runq; /* runnable, not running, linked by rq_next */
static struct vcpu *all_vcpus; /* every vCPU, linked by sched_all_next */
uint64_t domu_cpu_mask;

uint64_t all_cpus_mask(void)
{
    uint64_t m = 0;
    for (unsigned int i = 0; i < nr_pcpus; i++)
        if (pcpus[i] && pcpus[i]->online)
            m |= BIT(i);
    return m;
}

/*
 * guest_cpus=LIST: the CPUs guest vCPUs may run on (every online one by
 * default); the others run only the hypervisor (its timers, interrupts and
 * console). The tests and `make run` keep CPU 0 free of guests this way:
 * QEMU's multi-threaded TCG corrupts the first CPU's state while it enters
 * and leaves guests (docs/architecture.md, "One fault of QEMU's TCG").
 */
static uint64_t guest_cpus_option = ~0ull;

static int set_guest_cpus(const char *value)
{
    uint64_t mask;
    if (!parse_cpu_list(value, &mask))
        return -1; /* reported and ignored: every CPU stays open */
    guest_cpus_option = mask;
    return 0;
}
CUSTOM_PARAM("guest_cpus", set_guest_cpus);

uint64_t guest_cpus_mask(void)
{
    uint64_t m = all_cpus_mask() & guest_cpus_option;
    return m ? m : all_cpus_mask();
}

unsigned int nth_cpu(uint64_t mask, unsigned int n)
{
    n %= (unsigned int)__builtin_popcountll(mask);
    for (unsigned int cpu = 0;; cpu++)
        if ((mask & BIT(cpu)) && !n--)
            return cpu;
}

static void slice_expired(void *data)
{
    this_cpu()->rq->need_resched = true;
}

void sched_init(void)
{
}

void sched_cpu_init(struct pcpu *p)
{
    p->rq = xnew(struct runqueue);
    if (!p->rq)
        panic("no memory for the run queue of CPU %u", p->id);
    timer_init(&p->rq->slice_timer, slice_expired, NULL);
    timers_cpu_init();
}

void sched_raise_resched(unsigned int cpu)
{
    pcpus[cpu]->rq->need_resched = true;
    smp_kick(cpu);
}

bool sched_resched_pending(void)
{
    return this_cpu()->rq->need_resched;
}

static bool can_run(const struct vcpu *v)
{
    return v->state == VCPU_RUNNABLE && !v->pause_count && !v->dom->pause_count &&
           v->dom->state == DOMAIN_RUNNING;
}

static void enqueue_locked(struct vcpu *v)
{
    if (v->sched_queued || v->running || !can_run(v))
        return;
    v->rq_next = runq;
    runq = v;
    v->sched_queued = true;
}

static void dequeue_locked(struct vcpu *v)
{
    for (struct vcpu **pp = &runq; *pp; pp = &(*pp)->rq_next) {
        if (*pp == v) {
            *pp = v->rq_next;
            v->sched_queued = false;
            return;
        }
    }
}

/* Wakes a CPU that should look at v: an idle one it may use, or the one
 * running the vCPU with the least credit if v has clearly more. */
static void tickle_locked(struct vcpu *v)
{
    int target = -1;
    int64_t lowest = v->credit;
    for (unsigned int i = 0; i < nr_pcpus; i++) {
        struct pcpu *p = pcpus[i];
        if (!p || !p->online || !(v->affinity & BIT(i)))
            continue;
        if (p->rq->idle) {
            if (target < 0 || i == v->processor || !pcpus[target]->rq->idle)
                target = i;
            if (i == v->processor)
                break;
            continue;
        }
        struct vcpu *cur = p->current;
        if (cur && (target < 0 || !pcpus[target]->rq->idle) &&
            cur->credit + (int64_t)MIN_SLICE_NS < lowest) {
            lowest = cur->credit;
            target = i;
        }
    }
    if (target >= 0)
        sched_raise_resched(target);
}

/* Tops up the vCPUs that compete for `cpu`: resets triggered by one CPU
 * must not disturb the proportions among vCPUs confined to another. */
static void credit_reset_locked(unsigned int cpu)
{
    for (struct vcpu *v = all_vcpus; v; v = v->sched_all_next) {
        if (!(v->affinity & BIT(cpu)))
            continue;
        int64_t c = v->credit + CREDIT_INIT;
        v->credit = (int)(c > CREDIT_INIT ? CREDIT_INIT : c);
    }
}

/*
 * Caps: a capped domain may run cap% of one CPU per CAP_PERIOD_NS, across
 * all its vCPUs. Its budget is charged when a vCPU leaves a CPU and refilled
 * at the start of each period; a domain out of budget is skipped by pick,
 * and a timer kicks the CPUs when its budget comes back.
 */
static bool budget_left(struct domain *d, uint64_t now)
{
    if (!d->cap)
        return true;
    if (now >= d->budget_refill_at) {
        /* Overspending (a slice cannot end exactly on budget) is paid back
         * from the next periods, so the long-run share is the cap. */
        int64_t quota = (int64_t)(CAP_PERIOD_NS * d->cap / 100);
        uint64_t periods = d->budget_refill_at ? (now - d->budget_refill_at) / CAP_PERIOD_NS + 1 : 1;
        int64_t budget = d->budget_ns + (int64_t)periods * quota;
        d->budget_ns = budget > quota ? quota : budget;
        d->budget_refill_at = now - (now % CAP_PERIOD_NS) + CAP_PERIOD_NS;
    }
    return d->budget_ns > 0;
}

static void budget_refilled(void *data)
{
    struct domain *d = data;
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpus[i] && d->vcpus[i]->sched_queued)
            tickle_locked(d->vcpus[i]);
    spin_unlock_irqrestore(&sched_lock, flags);
}

void sched_domain_init(struct domain *d)
{
    timer_init(&d->cap_timer, budget_refilled, d);
}

void sched_add_vcpu(struct vcpu *v)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    v->credit = CREDIT_INIT;
    v->sched_all_next = all_vcpus;
    all_vcpus = v;
    spin_unlock_irqrestore(&sched_lock, flags);
}

static struct vcpu *pick_locked(unsigned int cpu, uint64_t now)
{
    struct vcpu *best = NULL;
    for (int round = 0; round < 2; round++) {
        for (struct vcpu *v = runq; v; v = v->rq_next) {
            if (!(v->affinity & BIT(cpu)))
                continue;
            if (!budget_left(v->dom, now)) {
                if (!v->dom->cap_timer.active)
                    timer_set(&v->dom->cap_timer, v->dom->budget_refill_at);
                continue;
            }
            if (!best || v->credit > best->credit)
                best = v;
        }
        if (!best || best->credit > 0 || round == 1)
            break;
        credit_reset_locked(cpu);
        best = NULL;
    }
    if (best) {
        dequeue_locked(best);
        best->running = true;
        best->processor = cpu;
    }
    return best;
}

static void burn_credit(struct vcpu *v, uint64_t now)
{
    uint64_t ran = now - v->run_start_ns;
    v->runtime_ns += ran;
    if (v->dom->cap)
        v->dom->budget_ns -= (int64_t)ran;
    uint32_t weight = v->dom->weight ? v->dom->weight : SCHED_DEFAULT_WEIGHT;
    int64_t burn = (int64_t)(ran * SCHED_DEFAULT_WEIGHT / weight);
    int64_t c = v->credit - burn;
    v->credit = (int)(c < -CREDIT_INIT ? -CREDIT_INIT : c);
    v->run_start_ns = now;
}

uint64_t vcpu_runtime_ns(const struct vcpu *v)
{
    /* A vCPU alone on its CPU may run for seconds without coming back to
     * the scheduler: count the stint in progress too. */
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    uint64_t t = v->runtime_ns;
    if (v->running && READ_ONCE(pcpus[v->processor]->current) == v)
        t += now_ns() - v->run_start_ns;
    spin_unlock_irqrestore(&sched_lock, flags);
    return t;
}

void vcpu_wake(struct vcpu *v)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    if (v->state == VCPU_BLOCKED) {
        v->state = VCPU_RUNNABLE;
        v->state_entry_ns = now_ns();
        if (!v->running) {
            enqueue_locked(v);
            if (v->sched_queued)
                tickle_locked(v);
        }
    }
    spin_unlock_irqrestore(&sched_lock, flags);
}

static void start_locked(struct vcpu *v)
{
    if (v->state != VCPU_DOWN)
        return;
    v->state = VCPU_RUNNABLE;
    v->state_entry_ns = now_ns();
    enqueue_locked(v);
    if (v->sched_queued)
        tickle_locked(v);
}

void vcpu_start(struct vcpu *v)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    v->initialised = true;
    start_locked(v);
    spin_unlock_irqrestore(&sched_lock, flags);
}

int vcpu_up(struct vcpu *v)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    int rc = v->initialised ? 0 : -EINVAL;
    if (!rc)
        start_locked(v);
    spin_unlock_irqrestore(&sched_lock, flags);
    return rc;
}

void vcpu_mark_initialised(struct vcpu *v)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    v->initialised = true;
    spin_unlock_irqrestore(&sched_lock, flags);
}

bool vcpu_reset_if_down(struct vcpu *v)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    bool down = v->state == VCPU_DOWN;
    if (down)
        v->initialised = false;
    spin_unlock_irqrestore(&sched_lock, flags);
    return down;
}

bool vcpu_block(struct vcpu *v, bool (*wake_pending)(struct vcpu *))
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    if (v->state == VCPU_DOWN) {
        /* Taken down (VCPUOP_down from another vCPU) while on its way
         * here: it stays down, and stops at its next chance. */
        spin_unlock_irqrestore(&sched_lock, flags);
        return false;
    }
    v->state = VCPU_BLOCKED;
    v->state_entry_ns = now_ns();
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    bool blocked = !wake_pending(v);
    if (!blocked)
        v->state = VCPU_RUNNABLE;
    else
        this_cpu()->rq->need_resched = true;
    spin_unlock_irqrestore(&sched_lock, flags);
    return blocked;
}

bool vcpu_down(struct vcpu *v, bool reset)
{
    struct domain *d = v->dom;
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    if (v->state != VCPU_DOWN) {
        v->state = VCPU_DOWN;
        v->state_entry_ns = now_ns();
    }
    if (reset)
        v->initialised = false;
    if (!v->running)
        dequeue_locked(v);
    else if (v == current_vcpu())
        this_cpu()->rq->need_resched = true;
    else
        sched_raise_resched(v->processor); /* it stops at its next exit */
    /* Under the lock: of two vCPUs going down at once, the second sees
     * the first down. */
    bool all_down = true;
    for (unsigned int i = 0; i < d->max_vcpus && all_down; i++)
        all_down = !d->vcpus[i] || d->vcpus[i]->state == VCPU_DOWN;
    spin_unlock_irqrestore(&sched_lock, flags);
    return all_down;
}

void vcpu_set_affinity(struct vcpu *v, uint64_t affinity)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    v->affinity = affinity;
    if (v->running && !(affinity & BIT(v->processor)))
        sched_raise_resched(v->processor); /* it moves when it leaves that CPU */
    else if (v->sched_queued)
        tickle_locked(v); /* a CPU it may use now looks at it */
    spin_unlock_irqrestore(&sched_lock, flags);
}

void vcpu_yield(struct vcpu *v)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    /* Only give up the CPU if someone else could use it. */
    for (struct vcpu *o = runq; o; o = o->rq_next)
        if (o->affinity & BIT(v->processor)) {
            this_cpu()->rq->need_resched = true;
            break;
        }
    spin_unlock_irqrestore(&sched_lock, flags);
}

void vcpu_pause(struct vcpu *v)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    v->pause_count++;
    dequeue_locked(v);
    if (v->running)
        sched_raise_resched(v->processor);
    spin_unlock_irqrestore(&sched_lock, flags);
}

/* Waiting for another vCPU to stop: only with no lock held and interrupts
 * on, so that the CPU it runs on can never be waiting for us. */
static void wait_not_running(struct vcpu *v)
{
    if (v == current_vcpu())
        return;
    ASSERT(local_irq_enabled());
    while (READ_ONCE(v->running))
        cpu_relax();
}

void vcpu_unpause(struct vcpu *v)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    BUG_ON(!v->pause_count);
    if (--v->pause_count == 0) {
        enqueue_locked(v);
        if (v->sched_queued)
            tickle_locked(v);
    }
    spin_unlock_irqrestore(&sched_lock, flags);
}

void domain_pause_sync(struct domain *d)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    d->pause_count++;
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (!v)
            continue;
        dequeue_locked(v);
        if (v->running && v->processor != smp_processor_id())
            sched_raise_resched(v->processor);
        else if (v->running)
            this_cpu()->rq->need_resched = true;
    }
    spin_unlock_irqrestore(&sched_lock, flags);
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpus[i])
            wait_not_running(d->vcpus[i]);
}

void domain_unpause(struct domain *d)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    BUG_ON(!d->pause_count);
    if (--d->pause_count == 0) {
        for (unsigned int i = 0; i < d->max_vcpus; i++) {
            struct vcpu *v = d->vcpus[i];
            if (!v)
                continue;
            enqueue_locked(v);
            if (v->sched_queued)
                tickle_locked(v);
        }
    }
    spin_unlock_irqrestore(&sched_lock, flags);
}

void sched_remove_vcpu(struct vcpu *v)
{
    uint64_t flags = spin_lock_irqsave(&sched_lock);
    BUG_ON(v->running);
    dequeue_locked(v);
    for (struct vcpu **pp = &all_vcpus; *pp; pp = &(*pp)->sched_all_next) {
        if (*pp == v) {
            *pp = v->sched_all_next;
            break;
        }
    }
    spin_unlock_irqrestore(&sched_lock, flags);
    timer_kill(&v->singleshot);
    timer_kill(&v->periodic);
    timer_kill(&v->poll_timer);
}

void sched_sync_domain(struct domain *d)
{
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        uint64_t entry, now;
        if (!v || v == current_vcpu() || !arch_vcpu_in_guest(v, &entry))
            continue;
        smp_kick(v->processor);
        while (arch_vcpu_in_guest(v, &now) && now == entry)
            cpu_relax();
    }
}

/*
 * The watchdog's look at the vCPUs (timer.c calls this from the CPU
 * interrupts' watchdog): a blocked vCPU whose one-shot timer is long
 * overdue, and a vCPU that could run but is neither running nor queued,
 * were lost by the hypervisor; a guest would only see a timer that never
 * comes. At most one report every VCPU_REPORT_GAP_NS, and never a wait for
 * the lock.
 */
#define VCPU_OVERDUE_NS (2 * NSEC_PER_SEC)
#define VCPU_REPORT_GAP_NS (5 * NSEC_PER_SEC)

static void report_vcpu(const struct vcpu *v, uint64_t now, const char *what)
{
    const struct timer *t = &v->singleshot;
    const struct shared_info *s = v->dom->shared_info;
    const struct vcpu_info *vi = v->vcpu_info;
    evtchn_port_t port = v->virq_to_port[VIRQ_TIMER];
    unsigned int word = port / (sizeof(xen_ulong_t) * 8), bit = port % (sizeof(xen_ulong_t) * 8);
    bool armed = READ_ONCE(t->active);
    uint64_t deadline = READ_ONCE(t->deadline);
    pr_warn("timer watchdog: vCPU d%u v%u %s: state %d for %lu ms, %s on cpu %u, one-shot timer %s "
            "%ld ms from now on cpu %u; upcall_pending %u sel %#lx, VIRQ_TIMER port %u pending %u masked %u\n",
            v->dom->id, v->id, what, v->state, (now - v->state_entry_ns) / 1000000,
            v->running ? "running" : v->sched_queued ? "queued" : "idle", v->processor,
            armed ? "armed for" : "not armed, was", ((int64_t)deadline - (int64_t)now) / 1000000,
            READ_ONCE(t->cpu), vi ? vi->evtchn_upcall_pending : 0, vi ? vi->evtchn_pending_sel : 0, port,
            s && port ? (unsigned int)((s->evtchn_pending[word] >> bit) & 1) : 0,
            s && port ? (unsigned int)((s->evtchn_mask[word] >> bit) & 1) : 0);
}

void sched_watchdog(uint64_t now)
{
    static uint64_t last_report;
    if (last_report && now - last_report < VCPU_REPORT_GAP_NS)
        return;
    if (!spin_trylock(&sched_lock))
        return;
    for (struct vcpu *v = all_vcpus; v; v = v->sched_all_next) {
        const struct timer *t = &v->singleshot;
        uint64_t deadline = READ_ONCE(t->deadline);
        const char *what = NULL;
        if (v->dom->state != DOMAIN_RUNNING)
            continue; /* a dying domain's vCPUs are not waited for */
        if (v->state == VCPU_BLOCKED && READ_ONCE(t->active) && now > deadline &&
            now - deadline > VCPU_OVERDUE_NS)
            what = "blocked past its timer";
        else if (can_run(v) && !v->running && !v->sched_queued)
            what = "runnable but on no CPU and in no queue";
        if (what) {
            report_vcpu(v, now, what);
            last_report = now;
        }
    }
    spin_unlock(&sched_lock);
}

/* What a guest sees change when its vCPU gets or loses a CPU. */
static void vcpu_context_enter(struct vcpu *v, uint64_t now)
{
    vcpu_poll_done(v);
    vcpu_runstate_change(v, RUNSTATE_running, now);
    vcpu_update_time(v);
    vcpu_runstate_publish(v);
}

static void vcpu_context_leave(struct vcpu *v, uint64_t now)
{
    int rs = v->state == VCPU_RUNNABLE ? RUNSTATE_runnable
             : v->state == VCPU_BLOCKED ? RUNSTATE_blocked : RUNSTATE_offline;
    vcpu_runstate_change(v, rs, now);
    vcpu_runstate_publish(v);
}

void __noreturn sched_idle_loop(void)
{
    struct pcpu *p = this_cpu();
    unsigned int cpu = p->id;
    for (;;) {
        local_irq_enable();
        domain_reap();

        local_irq_disable();
        spin_lock(&sched_lock);
        p->rq->need_resched = false;
        struct vcpu *v = pick_locked(cpu, now_ns());
        p->rq->idle = !v;
        spin_unlock(&sched_lock);

        if (!v) {
            uint64_t start = now_ns();
            if (!p->rq->need_resched)
                safe_halt();
            local_irq_disable();
            p->idle_ns += now_ns() - start;
            continue;
        }

        uint64_t now = now_ns();
        v->run_start_ns = now;
        int64_t slice = v->credit > (int)MIN_SLICE_NS ? v->credit : (int64_t)MIN_SLICE_NS;
        if (slice > (int64_t)SCHED_SLICE_NS)
            slice = SCHED_SLICE_NS;
        if (v->dom->cap && slice > v->dom->budget_ns)
            slice = MAX(v->dom->budget_ns, (int64_t)(MIN_SLICE_NS / 10));
        timer_set(&p->rq->slice_timer, now + slice);
        p->current = v;
        vcpu_context_enter(v, now);

        arch_vcpu_run(v); /* returns with interrupts disabled when a new pick is due */

        timer_stop(&p->rq->slice_timer);
        vcpu_context_leave(v, now_ns());
        spin_lock(&sched_lock);
        burn_credit(v, now_ns());
        p->current = NULL;
        v->running = false;
        enqueue_locked(v);
        if (v->sched_queued && !(v->affinity & BIT(cpu)))
            tickle_locked(v); /* pinned elsewhere meanwhile: wake a CPU it may use */
        spin_unlock(&sched_lock);
    }
}
