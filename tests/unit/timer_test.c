/*
 * Hypervisor timers (common/timer.c) and the guest's time values that reach
 * them (common/hypercalls/vcpu_op.c): no value a guest passes may make a
 * CPU loop in its timer interrupt, or program the local APIC's count from an
 * overflowed product; a stopped periodic timer stays stopped even while its
 * callback re-arms it on another CPU. The clock is simulated (fake_now), the
 * local APIC is a recorder.
 */
#include "tests/lib/tap.h"
#include "tests/unit/hv/host.h"

#include "hypervisor/common/timer.c"

#include <asm/percpu.h>
#include <basalt/sched.h>
#include <xen/vcpu.h>

#include <stdarg.h>
#include <string.h>

static uint64_t fake_now = 1000 * NSEC_PER_SEC;
static uint64_t programmed_ns, programs;

uint64_t now_ns(void)
{
    return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}

void lapic_timer_oneshot(uint64_t ns)
{
    programmed_ns = ns;
    programs++;
}

void lapic_timer_stop(void)
{
    programmed_ns = 0;
}

void set_irq_handler(unsigned int vector, irq_handler_t h)
{
}

/* The watchdog's ways out: what it sent to whom, and what it printed. */
static unsigned int ipis, nmis, last_ipi_apic, last_ipi_vector, last_nmi_apic;
static char hv_log[8192];

void lapic_send_ipi(uint32_t apic_id, uint32_t vector)
{
    ipis++;
    last_ipi_apic = apic_id;
    last_ipi_vector = vector;
}

void lapic_send_nmi(uint32_t apic_id)
{
    nmis++;
    last_nmi_apic = apic_id;
}

void lapic_timer_state(struct lapic_timer_state *s)
{
    memset(s, 0, sizeof(*s));
    s->lvt = VEC_TIMER;
    s->isr[7] = BIT(VEC_KICK % 32); /* as if a kick were stuck in service */
}

void vprintk_level(enum log_level lvl, const char *fmt, va_list ap)
{
    size_t used = strlen(hv_log);
    vsnprintf(hv_log + used, sizeof(hv_log) - used, fmt, ap);
}

static unsigned int lost_fired;

static void lost_fire(void *unused)
{
    lost_fired++;
}

/* A timer armed on CPU 1 (simulated by switching the thread's CPU), then
 * fake time passes with CPU 1 taking no interrupt. */
static void arm_on_cpu1(struct timer *t, uint64_t in_ns)
{
    host_cpu = pcpus[1];
    timer_set(t, now_ns() + in_ns);
    host_cpu = pcpus[0];
}

static long vcpu_op(struct vcpu *v, int cmd, void *arg)
{
    return do_vcpu_op(v, (uint64_t)cmd, v->id, (uint64_t)(uintptr_t)arg, 0, 0);
}

static long set_periodic(struct vcpu *v, uint64_t period)
{
    struct vcpu_set_periodic_timer p = { .period_ns = period };
    return vcpu_op(v, VCPUOP_set_periodic_timer, &p);
}

/* A timer whose callback re-arms it for a moment already past. */
static struct timer past;
static unsigned int past_calls;

static void rearm_in_past(void *data)
{
    past_calls++;
    if (past_calls < 1000) /* without the bound, the broken loop never returns */
        timer_set(&past, now_ns() - 1);
}

/* The race: the periodic timer's callback runs on CPU 0 (timers_run) while
 * its vCPU, on CPU 1, stops it. */
static struct domain *race_dom;

static void race_setup(void)
{
    race_dom = hv_domain(2, 1, 64);
    struct vcpu *v = race_dom->vcpus[0];
    hv_as(v);
    set_periodic(v, NSEC_PER_MSEC);
    hv_as(NULL);
    fake_now += 2 * NSEC_PER_MSEC;
}

static void race_fire(void *unused)
{
    timers_run();
}

static void race_stop(void *unused)
{
    struct vcpu *v = race_dom->vcpus[0];
    pcpus[1]->current = v;
    vcpu_op(v, VCPUOP_stop_periodic_timer, NULL);
    pcpus[1]->current = NULL;
}

static bool race_stopped(char *why, size_t len)
{
    struct vcpu *v = race_dom->vcpus[0];
    bool ok = !v->periodic.active && !v->periodic_period_ns;
    if (!ok)
        snprintf(why, len, "after the stop the timer is %s, the period %lu ns",
                 v->periodic.active ? "armed" : "not armed", v->periodic_period_ns);
    timer_kill(&v->periodic);
    hv_destroy(race_dom);
    return ok;
}

int main(void)
{
    TAP_PLAN(14);
    hv_init();
    timers_cpu_init();
    struct domain *d = hv_domain(1, 1, 64);
    struct vcpu *v = d->vcpus[0];
    hv_as(v);

    long rc_max = set_periodic(v, ~0ULL), rc_over = set_periodic(v, 1ULL << 62);
    long rc_short = set_periodic(v, NSEC_PER_MSEC - 1);
    CHECK("VCPUOP_set_periodic_timer refuses periods Xen refuses (< 1 ms, > 2^62 - 1 ns)",
          rc_max == -EINVAL && rc_over == -EINVAL && rc_short == -EINVAL && !v->periodic.active,
          "2^64-1: %ld, 2^62: %ld, 1 ms - 1: %ld, timer %s", rc_max, rc_over, rc_short,
          v->periodic.active ? "armed" : "not armed");

    uint64_t longest = (1ULL << 62) - 1;
    long rc = set_periodic(v, longest);
    fake_now += longest; /* the first period has passed */
    timers_run();
    CHECK("the longest period is taken and its timer re-arms into the future",
          rc == 0 && v->periodic.active && v->periodic.deadline > now_ns(),
          "rc %ld, timer %s, deadline %#lx, now %#lx", rc, v->periodic.active ? "armed" : "not armed",
          v->periodic.deadline, now_ns());
    CHECK("a deadline centuries away programs the local APIC for at most a second",
          programmed_ns > 0 && programmed_ns <= NSEC_PER_SEC, "programmed %lu ns", programmed_ns);
    vcpu_op(v, VCPUOP_stop_periodic_timer, NULL);

    struct vcpu_set_singleshot_timer s = { .timeout_abs_ns = ~0ULL };
    rc = vcpu_op(v, VCPUOP_set_singleshot_timer, &s);
    CHECK("a one-shot timer at 2^64 - 1 ns is armed, the local APIC programmed for at most a second",
          rc == 0 && v->singleshot.active && programmed_ns > 0 && programmed_ns <= NSEC_PER_SEC,
          "rc %ld, timer %s, programmed %lu ns", rc, v->singleshot.active ? "armed" : "not armed", programmed_ns);

    uint64_t now = now_ns();
    do_set_timer_op(v, (uint64_t)INT64_MIN + 5, 0, 0, 0, 0);
    uint64_t negative = v->singleshot.deadline;
    do_set_timer_op(v, now + (1ULL << 51), 0, 0, 0, 0);
    uint64_t far = v->singleshot.deadline;
    do_set_timer_op(v, now + 5 * NSEC_PER_SEC, 0, 0, 0, 0);
    uint64_t near = v->singleshot.deadline;
    CHECK("set_timer_op: a negative or > 2^50 ns away timeout fires in 100 ms, as Xen's does",
          negative == now + 100 * NSEC_PER_MSEC && far == now + 100 * NSEC_PER_MSEC &&
          near == now + 5 * NSEC_PER_SEC,
          "negative -> +%ld ns, 2^51 ahead -> +%ld ns, 5 s ahead -> +%ld ns", (long)(negative - now),
          (long)(far - now), (long)(near - now));
    timer_stop(&v->singleshot);

    timer_init(&past, rearm_in_past, NULL);
    timer_set(&past, now_ns() - 1);
    timers_run();
    unsigned int first = past_calls;
    uint64_t programs_before = programs;
    timers_run();
    CHECK("a callback that re-arms its timer in the past runs once per timer interrupt",
          first == 1 && past_calls == 2 && past.active && programs > programs_before,
          "%u calls in the first run, %u after the second, timer %s", first, past_calls,
          past.active ? "armed" : "not armed");
    CHECK("...and the local APIC is programmed to come back at once for it",
          programmed_ns == 1, "programmed %lu ns", programmed_ns);
    timer_stop(&past);

    hv_as(NULL);
    hv_destroy(d);
    RACE_CHECK("the periodic timer's vCPU stops it while its callback re-arms it on another CPU: it stays stopped",
               .setup = race_setup, .op = race_fire, .race = race_stop, .check = race_stopped);

    /* A lost timer interrupt: the head's time passes with no timers_run.
     * The next timer armed on that CPU sorts in behind the overdue head,
     * and must program the local APIC again (or nothing ever would). */
    struct timer head, behind;
    timer_init(&head, lost_fire, NULL);
    timer_init(&behind, lost_fire, NULL);
    timer_set(&head, now_ns() + NSEC_PER_MSEC);
    uint64_t programs_then = programs;
    fake_now += NSEC_PER_SEC;
    hv_log[0] = 0;
    timer_set(&behind, now_ns() + 10 * NSEC_PER_MSEC);
    CHECK("a timer armed behind a head whose interrupt was lost programs the local APIC again, and says so",
          programs == programs_then + 1 && programmed_ns == 1 && queues[0].head == &head &&
          strstr(hv_log, "cpu 0: its earliest timer is 999 ms overdue (a lost timer interrupt"),
          "%lu programs since, the last for %lu ns, log: %s", programs - programs_then, programmed_ns, hv_log);
    timers_run();
    CHECK("...and the lost timer then runs", lost_fired == 1 && !head.active && behind.active,
          "fired %u, head %s, behind %s", lost_fired, head.active ? "armed" : "not armed",
          behind.active ? "armed" : "not armed");
    timer_stop(&behind);
    lost_fired = 0;

    /* The watchdog: CPU 1 misses its timer interrupt; CPU 0 notices. */
    pcpus[1]->online = true;
    pcpus[1]->apic_id = 7;
    struct timer lost;
    timer_init(&lost, lost_fire, NULL);
    arm_on_cpu1(&lost, NSEC_PER_MSEC);
    fake_now += 3 * NSEC_PER_SEC;
    hv_log[0] = 0;
    timers_run();
    CHECK("the watchdog names a CPU whose earliest timer is 2 s overdue and sends it its timer vector",
          ipis == 1 && last_ipi_apic == 7 && last_ipi_vector == VEC_TIMER &&
          strstr(hv_log, "cpu 1's earliest timer") && strstr(hv_log, "overdue by 2999 ms"),
          "%u IPIs (last to %u, vector %#x), log: %s", ipis, last_ipi_apic, last_ipi_vector, hv_log);
    fake_now += NSEC_PER_SEC;
    timers_run();
    bool once = ipis == 1 && nmis == 0;
    hv_log[0] = 0;
    host_cpu = pcpus[1]; /* CPU 1 takes the vector */
    timers_run();
    host_cpu = pcpus[0];
    CHECK("...once per overdue timer; CPU 1 then reports its local APIC state and runs the lost timer",
          once && lost_fired == 1 && !lost.active && strstr(hv_log, "cpu 1 (from its timer vector)") &&
          strstr(hv_log, "ISR 00020000"),
          "%u IPIs %u NMIs before, fired %u, log: %s", ipis, nmis, lost_fired, hv_log);

    arm_on_cpu1(&lost, NSEC_PER_MSEC);
    fake_now += 3 * NSEC_PER_SEC;
    timers_run(); /* the vector: CPU 1 does not take it */
    fake_now += 3 * NSEC_PER_SEC;
    timers_run();
    bool nmi_sent = nmis == 1 && last_nmi_apic == 7;
    host_cpu = pcpus[1];
    struct trap_frame frame = { .rip = 0xffff800000123456, .rflags = 0 };
    bool taken = timer_watchdog_nmi(&frame);
    bool again = timer_watchdog_nmi(&frame);
    host_cpu = pcpus[0];
    hv_log[0] = 0;
    fake_now += NSEC_PER_SEC;
    timers_run();
    CHECK("a CPU that does not take its timer vector gets an NMI, whose record CPU 0 prints",
          nmi_sent && taken && !again && strstr(hv_log, "cpu 1 (from an NMI)") &&
          strstr(hv_log, "was at 0xffff800000123456 with interrupts off"),
          "NMI %s, taken %d, taken again %d, log: %s", nmi_sent ? "sent" : "not sent", taken, again, hv_log);
    host_cpu = pcpus[1];
    timer_stop(&lost);
    host_cpu = pcpus[0];
    pcpus[1]->online = false;

    fake_now += NSEC_PER_SEC;
    timers_run();
    CHECK("with every timer gone the local APIC timer is stopped", programmed_ns == 0 && !queues[0].head,
          "programmed %lu ns, queue %s", programmed_ns, queues[0].head ? "not empty" : "empty");
    TAP_EXIT();
}
