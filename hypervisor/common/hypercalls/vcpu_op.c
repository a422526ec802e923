/* vcpu_op: vcpu_info and runstate registration, timers, bringing vCPUs
 * up and down, state queries. */
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/event.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/sched.h>
#include <basalt/shared_info.h>
#include <basalt/time.h>
#include <xen/hvm/hvm_vcpu.h>
#include <xen/vcpu.h>

/* The longest period a guest may ask for (Xen's STIME_DELTA_MAX). */
#define MAX_TIMER_DELTA_NS ((1ULL << 62) - 1)

void vcpu_singleshot_fired(void *data)
{
    send_guest_vcpu_virq(data, VIRQ_TIMER);
}

void vcpu_periodic_fired(void *data)
{
    struct vcpu *v = data;
    send_guest_vcpu_virq(v, VIRQ_TIMER);
    uint64_t period = READ_ONCE(v->periodic_period_ns);
    if (period)
        timer_set(&v->periodic, now_ns() + period);
}

/* The callback may be re-arming the timer on another CPU: the old period
 * is gone for good only once it has finished. */
static void periodic_stop(struct vcpu *v)
{
    WRITE_ONCE(v->periodic_period_ns, 0);
    timer_kill(&v->periodic);
}

/* Arms v's one-shot timer for absolute system time `deadline`. */
long vcpu_set_singleshot(struct vcpu *v, uint64_t deadline, bool must_be_future)
{
    uint64_t now = now_ns();
    if (deadline <= now) {
        if (must_be_future)
            return -ETIME;
        timer_stop(&v->singleshot);
        send_guest_vcpu_virq(v, VIRQ_TIMER);
        return 0;
    }
    timer_set(&v->singleshot, deadline);
    return 0;
}

/* A register state for t to start from at its VCPUOP_up (PVH: struct
 * vcpu_hvm_context). Only once: a vCPU that has one (it ran, or was
 * initialised already) must take INIT first, as in Xen (-EEXIST). */
static long vcpu_initialise(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
    struct vcpu_hvm_context ctx;
    if (!t->vcpu_info)
        return -EINVAL; /* no vcpu_info yet: it could take no events (Xen's rule) */
    if (copy_from_guest(v, &ctx, arg, sizeof(ctx)))
        return -EFAULT;
    struct domain *d = t->dom;
    /* The domain's lock orders two initialisations of one vCPU; up, down
     * and INIT meet `initialised` under the scheduler's lock. */
    uint64_t flags = spin_lock_irqsave(&d->lock);
    long rc = READ_ONCE(t->initialised) ? -EEXIST : arch_vcpu_initialise(t, &ctx);
    if (!rc)
        vcpu_mark_initialised(t);
    spin_unlock_irqrestore(&d->lock, flags);
    return rc;
}

long do_vcpu_op(struct vcpu *v, uint64_t cmd, uint64_t vcpuid, uint64_t arg, uint64_t a4, uint64_t a5)
{
    struct domain *d = v->dom;
    if (vcpuid >= d->max_vcpus || !d->vcpus[vcpuid])
        return -ENOENT;
    struct vcpu *t = d->vcpus[vcpuid];

    switch (cmd) {
    case VCPUOP_register_vcpu_info: {
        struct vcpu_register_vcpu_info r;
        if (copy_from_guest(v, &r, arg, sizeof(r)))
            return -EFAULT;
        return vcpu_register_vcpu_info(t, r.mfn, r.offset);
    }
    case VCPUOP_register_runstate_memory_area: {
        struct vcpu_register_runstate_memory_area r;
        if (copy_from_guest(v, &r, arg, sizeof(r)))
            return -EFAULT;
        /* A guest-virtual address, read through the target's page tables
         * when it runs. Another vCPU may register one for a vCPU that is
         * down (Linux does for each after a restore, in stop_machine), not
         * for one that runs and would race the hypervisor's own writes. */
        if (t != v && r.addr.v && t->state != VCPU_DOWN)
            return -EINVAL;
        t->runstate_va = (gvaddr_t)r.addr.v;
        vcpu_runstate_publish(t);
        return 0;
    }
    case VCPUOP_get_runstate_info: {
        struct vcpu_runstate_info r = { .state = t->runstate, .state_entry_time = t->runstate_entry_ns };
        memcpy(r.time, t->runstate_time, sizeof(r.time));
        return copy_to_guest(v, arg, &r, sizeof(r)) ? -EFAULT : 0;
    }
    case VCPUOP_set_singleshot_timer: {
        struct vcpu_set_singleshot_timer s;
        if (t != v)
            return -EINVAL;
        if (copy_from_guest(v, &s, arg, sizeof(s)))
            return -EFAULT;
        return vcpu_set_singleshot(v, s.timeout_abs_ns, s.flags & VCPU_SSHOTTMR_future);
    }
    case VCPUOP_stop_singleshot_timer:
        if (t != v)
            return -EINVAL;
        timer_stop(&v->singleshot);
        return 0;
    case VCPUOP_set_periodic_timer: {
        struct vcpu_set_periodic_timer p;
        if (t != v)
            return -EINVAL;
        if (copy_from_guest(v, &p, arg, sizeof(p)))
            return -EFAULT;
        /* Xen's bounds: 1 ms, and 2^62 - 1 ns (STIME_DELTA_MAX), so that
         * no next deadline can wrap into the past. */
        if (p.period_ns < NSEC_PER_MSEC || p.period_ns > MAX_TIMER_DELTA_NS)
            return -EINVAL;
        periodic_stop(v);
        WRITE_ONCE(v->periodic_period_ns, p.period_ns);
        timer_set(&v->periodic, now_ns() + p.period_ns);
        return 0;
    }
    case VCPUOP_stop_periodic_timer:
        /* Any vCPU of the domain, as in Xen: Linux stops every CPU's
         * from one of them after a restore (xen_timer_resume). */
        periodic_stop(t);
        return 0;
    case VCPUOP_initialise:
        return vcpu_initialise(v, t, arg);
    case VCPUOP_up:
        return vcpu_up(t);
    case VCPUOP_down:
        /* Any vCPU of the domain, the caller included (it stops once this
         * returns, and carries on here at its VCPUOP_up). The last one to
         * go down powers the domain off, as in Xen. */
        if (vcpu_down(t, false))
            domain_shutdown(d, SHUTDOWN_poweroff);
        return 0;
    case VCPUOP_is_up:
        return t->state != VCPU_DOWN;
    default:
        return -ENOSYS;
    }
}

long do_set_timer_op(struct vcpu *v, uint64_t timeout, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    if (timeout == 0) {
        timer_stop(&v->singleshot);
        return 0;
    }
    /* Xen's rule for this call: a timeout negative as a signed number, or
     * more than 2^50 ns (13 days) ahead, is a guest's wrapped arithmetic;
     * it gets an event in 100 ms. */
    uint64_t now = now_ns();
    if ((int64_t)timeout < 0 || (timeout > now && (timeout - now) >> 50))
        timeout = now + 100 * NSEC_PER_MSEC;
    return vcpu_set_singleshot(v, timeout, false);
}

long do_vm_assist(struct vcpu *v, uint64_t cmd, uint64_t type, uint64_t a3, uint64_t a4, uint64_t a5)
{
    if (type != VMASST_TYPE_runstate_update_flag)
        return -EINVAL;
    if (cmd == VMASST_CMD_enable)
        v->dom->vmassist_runstate_flag = true;
    else if (cmd == VMASST_CMD_disable)
        v->dom->vmassist_runstate_flag = false;
    else
        return -ENOSYS;
    return 0;
}
