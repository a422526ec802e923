/* hvm_op: HVM parameters (callback vector, console and xenstore rings). */
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/time.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

/* What a guest may do with its own parameters (the rest is the toolstack's). */
static bool guest_may_read(uint32_t idx)
{
    switch (idx) {
    case HVM_PARAM_CALLBACK_IRQ:
    case HVM_PARAM_STORE_PFN:
    case HVM_PARAM_STORE_EVTCHN:
    case HVM_PARAM_CONSOLE_PFN:
    case HVM_PARAM_CONSOLE_EVTCHN:
        return true;
    default:
        return false;
    }
}

static bool guest_may_write(uint32_t idx)
{
    return idx == HVM_PARAM_CALLBACK_IRQ;
}

static long param_op(struct vcpu *v, bool set, uint64_t arg)
{
    struct xen_hvm_param p;
    if (copy_from_guest(v, &p, arg, sizeof(p)))
        return -EFAULT;
    if (p.index >= ARRAY_SIZE(v->dom->hvm_params))
        return -EINVAL;
    struct domain *d = v->dom;
    bool self = p.domid == DOMID_SELF || p.domid == d->id;
    if (!self) {
        if (!d->is_privileged)
            return -EPERM;
        d = domain_get(p.domid);
        if (!d)
            return -ESRCH;
    } else if (!(set ? guest_may_write(p.index) : guest_may_read(p.index))) {
        return -EPERM;
    }
    long rc = 0;
    if (set) {
        if (p.index == HVM_PARAM_CALLBACK_IRQ && p.value &&
            ((p.value >> 56) != HVM_PARAM_CALLBACK_TYPE_VECTOR || (p.value & 0xff) < 16))
            rc = -EINVAL; /* PVH has no GSI or PCI INTx callback */
        else
            d->hvm_params[p.index] = p.value;
    } else {
        p.value = d->hvm_params[p.index];
        rc = copy_to_guest(v, arg, &p, sizeof(p)) ? -EFAULT : 0;
    }
    if (!self)
        domain_put(d);
    return rc;
}

long do_hvm_op(struct vcpu *v, uint64_t op, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    switch (op) {
    case HVMOP_set_param:
        return param_op(v, true, arg);
    case HVMOP_get_param:
        return param_op(v, false, arg);
    case HVMOP_get_time: {
        struct xen_hvm_get_time t = { .now = now_ns() };
        return copy_to_guest(v, arg, &t, sizeof(t)) ? -EFAULT : 0;
    }
    default:
        /* pagetable_dying and per-vCPU upcall vectors are not offered;
         * Linux treats their failure as "not available". */
        return -ENOSYS;
    }
}
