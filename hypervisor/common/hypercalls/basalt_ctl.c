/*
 * The control hypercall (docs/abi/control.md): the toolstack in Dom0
 * creates, starts, inspects and destroys domains with it. Every field that
 * comes in is checked; nothing a caller passes can hurt another domain or
 * the hypervisor, and only the privileged domain may call at all.
 */
#include <basalt/arch.h>
#include <basalt/console.h>
#include <basalt/dom0.h>
#include <basalt/domain.h>
#include <basalt/grant_table.h>
#include <basalt/guest_access.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/memory.h>
#include <basalt/mm.h>
#include <basalt/sched.h>
#include <basalt/time.h>
#include <basalt/version.h>
#include <lib/basalt_ctl.h>
#include <lib/pvh_layout.h>

#define MAX_MEMMAP DOMAIN_MAX_MEMMAP

/*
 * One operation on a domain at a time, whichever Dom0 vCPU makes it: pause
 * and unpause move a flag and a count that must stay in step, a new memory
 * map is written over the old one, start-up moves the state on. A caller
 * that finds another's operation under way re-executes its hypercall (as
 * Xen's domctl lock does), so nothing waits in here. A flag, not a lock:
 * pause waits for the domain's vCPUs while it is set, and none of them can
 * be waiting for it (only the privileged domain calls, and it is never a
 * target).
 */
static bool ctl_busy;

static bool valid_name(const char *name, size_t len)
{
    size_t n = strnlen(name, len);
    if (n == 0 || n == len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '+' || c == '@' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

static long host_info(struct basalt_host_info *h)
{
    memset(h, 0, sizeof(*h));
    h->nr_cpus = nr_pcpus;
    h->nr_cpus_online = (uint32_t)__builtin_popcountll(all_cpus_mask());
    h->cpu_khz = (uint32_t)tsc_khz;
    h->xen_major = XEN_ABI_MAJOR;
    h->xen_minor = XEN_ABI_MINOR;
    strlcpy(h->xen_extra, XEN_ABI_EXTRAVERSION, sizeof(h->xen_extra));
    h->total_pages = zone_total_pages(ZONE_POOL);
    h->free_pages = zone_free_pages(ZONE_POOL);
    h->hv_pages = zone_total_pages(ZONE_HV);
    for (unsigned int i = 0; i < dom0_plan.nr_ram; i++)
        h->dom0_pages += (dom0_plan.ram[i].end - dom0_plan.ram[i].start) >> PAGE_SHIFT;
    h->uptime_ns = now_ns();
    h->wallclock_boot_sec = wallclock_boot_sec;
    for (unsigned int id = 0; id < MAX_DOMAINS; id++)
        h->nr_domains += domains[id] != NULL;
    return 0;
}

static long domain_create_op(struct basalt_ctl *op)
{
    struct basalt_domain_create *c = &op->u.create;
    if (!valid_name(c->name, sizeof(c->name)) || c->max_vcpus < 1 ||
        c->max_vcpus > MAX_VCPUS_PER_DOMAIN || c->max_mem_kb < 1024 || c->max_mem_kb > (1ULL << 40) ||
        c->weight > 65535 || c->cap > 100 * c->max_vcpus || (c->flags & ~BCTL_CREATE_HVM) ||
        (c->cpu_affinity && !(c->cpu_affinity & guest_cpus_mask())))
        return -EINVAL;

    struct domain_config cfg = {
        .id = DOMAIN_ID_ANY,
        .name = c->name,
        .unique_name = true,
        .handle = c->handle,
        .max_vcpus = c->max_vcpus,
        .max_pages = c->max_mem_kb >> 2,
        .weight = c->weight,
        .cap = c->cap,
        .affinity = c->cpu_affinity & guest_cpus_mask(),
        .hvm = c->flags & BCTL_CREATE_HVM,
    };
    struct domain *d;
    int rc = domain_create(&cfg, &d);
    if (rc)
        return rc;
    op->domid = d->id;
    return 0;
}

/* A domain the toolstack may act on: not Dom0, not being torn down. */
static struct domain *target(struct basalt_ctl *op, long *rc)
{
    if (op->domid == 0) {
        *rc = -EPERM;
        return NULL;
    }
    struct domain *d = domain_get((domid_t)op->domid);
    *rc = d ? 0 : -ESRCH;
    return d;
}

static long domain_info_op(struct basalt_ctl *op)
{
    for (unsigned int id = op->domid; id < MAX_DOMAINS; id++) {
        struct domain *d = domain_get((domid_t)id);
        if (!d)
            continue;
        struct basalt_domain_info *i = &op->u.info;
        memset(i, 0, sizeof(*i));
        i->domid = d->id;
        /* The state before the reason: domain_shutdown writes the reason
         * first, so a domain seen shut down shows why (a toolstack waiting
         * for a suspend must not read the reason from before it). */
        enum domain_state state = READ_ONCE(d->state);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        i->shutdown_reason = READ_ONCE(d->shutdown_reason);
        i->nr_vcpus = d->max_vcpus;
        i->weight = d->weight;
        i->cap = d->cap;
        strlcpy(i->name, d->name, sizeof(i->name));
        memcpy(i->handle, d->handle, sizeof(i->handle));
        i->tot_pages = d->tot_pages;
        i->max_pages = d->max_pages;
        i->created_ns = d->created_ns;
        bool any_running = false, all_blocked = true;
        for (unsigned int k = 0; k < d->max_vcpus; k++) {
            struct vcpu *v = d->vcpus[k];
            if (!v)
                continue;
            i->cpu_time_ns += vcpu_runtime_ns(v);
            if (v->state != VCPU_DOWN)
                i->nr_online_vcpus++;
            any_running |= v->running;
            all_blocked &= v->state != VCPU_RUNNABLE;
        }
        if (state == DOMAIN_SHUTDOWN)
            i->flags |= BDOM_SHUTDOWN;
        else if (state == DOMAIN_BUILDING)
            i->flags |= BDOM_BUILDING;
        if (d->user_paused)
            i->flags |= BDOM_PAUSED;
        if (any_running)
            i->flags |= BDOM_RUNNING;
        else if (all_blocked && d->state == DOMAIN_RUNNING)
            i->flags |= BDOM_BLOCKED;
        if (d->is_privileged)
            i->flags |= BDOM_PRIVILEGED;
        if (is_hvm_domain(d))
            i->flags |= BDOM_HVM;
        op->domid = d->id;
        domain_put(d);
        return 0;
    }
    return -ESRCH;
}

/* Only for a domain the toolstack builds (the hypervisor builds boot-time
 * ones itself, also when they restart). */
static long set_memmap(struct vcpu *v, struct domain *d, const struct basalt_memmap *m)
{
    if (d->state != DOMAIN_BUILDING || d->boot_spec || !m->nr_entries || m->nr_entries > MAX_MEMMAP)
        return -EINVAL;
    struct hvm_memmap_table_entry map[MAX_MEMMAP];
    if (copy_from_guest(v, map, m->entries, m->nr_entries * sizeof(*map)))
        return -EFAULT;
    return domain_set_memmap(d, map, m->nr_entries);
}

static long unpause(struct domain *d)
{
    uint64_t flags = spin_lock_irqsave(&d->lock);
    bool start = d->state == DOMAIN_BUILDING && (d->entry_set || d->restored_up);
    bool building = d->state == DOMAIN_BUILDING;
    if (start)
        d->state = DOMAIN_RUNNING; /* unless it is being destroyed */
    spin_unlock_irqrestore(&d->lock, flags);
    if (building) {
        if (!start)
            return -EINVAL;
        d->user_paused = false;
        if (!d->restored) {
            pr_notice("domain %u (%s) created\n", d->id, d->name);
            vcpu_start(d->vcpus[0]);
            return 0;
        }
        /* Restored: every vCPU that was up carries on where it was. */
        pr_notice("domain %u (%s) restored\n", d->id, d->name);
        for (unsigned int i = 0; i < d->max_vcpus; i++)
            if (d->vcpus[i] && (d->restored_up & (1ULL << i)))
                vcpu_start(d->vcpus[i]);
        return 0;
    }
    if (d->user_paused) {
        d->user_paused = false;
        domain_unpause(d);
    }
    return 0;
}

static long pause(struct domain *d)
{
    if (d->state != DOMAIN_RUNNING || d->user_paused)
        return 0;
    d->user_paused = true;
    ASSERT_MAY_WAIT(); /* it waits for the domain's vCPUs to leave their CPUs */
    domain_pause_sync(d);
    return 0;
}

static long read_log(struct vcpu *v, struct basalt_log *l)
{
    char buf[512];
    uint32_t want = l->size, done = 0;
    while (done < want) {
        size_t n = console_log_read(buf, MIN(sizeof(buf), (size_t)(want - done)), &l->pos);
        if (!n)
            break;
        if (copy_to_guest(v, l->buffer + done, buf, n))
            return -EFAULT;
        done += (uint32_t)n;
    }
    l->size = done;
    return 0;
}

static long dispatch(struct vcpu *v, struct basalt_ctl *op)
{
    long rc;
    struct domain *d;
    switch (op->cmd) {
    case BCTL_HOST_INFO:
        return host_info(&op->u.host);
    case BCTL_DOMAIN_CREATE:
        return domain_create_op(op);
    case BCTL_DOMAIN_INFO:
        return domain_info_op(op);
    case BCTL_READ_LOG:
        return read_log(v, &op->u.log);
    }

    if (__atomic_test_and_set(&ctl_busy, __ATOMIC_ACQUIRE))
        return HYPERCALL_RESTART;
    if (!(d = target(op, &rc))) {
        __atomic_clear(&ctl_busy, __ATOMIC_RELEASE);
        return rc;
    }
    switch (op->cmd) {
    case BCTL_DOMAIN_DESTROY:
        if (d->state == DOMAIN_SHUTDOWN)
            domain_destroy(d, "%s", d->crash_reason[0] ? d->crash_reason
                                                         : shutdown_reason_name(d->shutdown_reason));
        else
            domain_destroy(d, "destroyed by the toolstack");
        break;
    case BCTL_DOMAIN_PAUSE:
        rc = pause(d);
        break;
    case BCTL_DOMAIN_UNPAUSE:
        rc = unpause(d);
        break;
    case BCTL_DOMAIN_SET_MEMMAP:
        rc = set_memmap(v, d, &op->u.memmap);
        break;
    case BCTL_VCPU_SET_ENTRY:
        if (d->state != DOMAIN_BUILDING || d->boot_spec || !d->vcpus[0] || d->restored) {
            rc = -EINVAL;
            break;
        }
        arch_vcpu_set_pvh_entry(d->vcpus[0], op->u.entry.entry, op->u.entry.start_info);
        d->entry_set = true;
        break;
    case BCTL_VCPU_INFO:
    case BCTL_VCPU_SET_AFFINITY: {
        struct basalt_vcpu_info *vi = &op->u.vcpu;
        struct vcpu *t = vi->vcpu < d->max_vcpus ? d->vcpus[vi->vcpu] : NULL;
        if (!t) {
            rc = -ENOENT;
            break;
        }
        if (op->cmd == BCTL_VCPU_SET_AFFINITY) {
            if (!(vi->affinity & guest_cpus_mask())) {
                rc = -EINVAL;
                break;
            }
            vcpu_set_affinity(t, vi->affinity & guest_cpus_mask());
        }
        vi->state = t->state;
        vi->running = t->running;
        vi->cpu = t->processor;
        vi->affinity = t->affinity;
        vi->cpu_time_ns = vcpu_runtime_ns(t);
        break;
    }
    case BCTL_SCHED: {
        struct basalt_sched *s = &op->u.sched;
        if (s->set) {
            if (s->weight < 1 || s->weight > 65535 || s->cap > 100 * d->max_vcpus) {
                rc = -EINVAL;
                break;
            }
            d->weight = s->weight;
            d->cap = s->cap;
        }
        s->weight = d->weight;
        s->cap = d->cap;
        break;
    }
    case BCTL_GRANT_SEED:
        if (op->u.grant.ref >= 8 || op->u.grant.backend >= DOMID_FIRST_RESERVED)
            rc = -EINVAL;
        else
            rc = grant_table_seed(d, op->u.grant.ref, (domid_t)op->u.grant.backend, op->u.grant.gfn);
        break;
    case BCTL_SET_MAX_MEM: {
        if (op->u.max_mem_kb > (1ULL << 40))
            rc = -EINVAL;
        else
            rc = domain_set_max_pages(d, op->u.max_mem_kb >> 2);
        break;
    }
    case BCTL_DOMAIN_WRITE:
        rc = basalt_ctl_domain_write(v, d, &op->u.write);
        break;
    case BCTL_DOMAIN_READ:
        rc = basalt_ctl_domain_read(v, d, &op->u.read);
        break;
    case BCTL_VCPU_GET_STATE:
    case BCTL_VCPU_SET_STATE:
        rc = basalt_ctl_vcpu_state(v, d, &op->u.state, op->cmd == BCTL_VCPU_SET_STATE);
        break;
    case BCTL_DOMAIN_GET_MEMMAP:
        rc = basalt_ctl_get_memmap(v, d, &op->u.memmap);
        break;
    case BCTL_DOMAIN_RESUME:
        rc = basalt_ctl_domain_resume(d);
        break;
    case BCTL_DOMAIN_SHUTDOWN:
        if (op->u.shutdown_reason > SHUTDOWN_MAX)
            rc = -EINVAL;
        else
            domain_shutdown(d, op->u.shutdown_reason);
        break;
    default:
        rc = -EOPNOTSUPP;
        break;
    }
    domain_put(d);
    __atomic_clear(&ctl_busy, __ATOMIC_RELEASE);
    return rc;
}

long do_basalt_ctl(struct vcpu *v, uint64_t arg, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    if (!v->dom->is_privileged)
        return -EPERM;
    struct basalt_ctl op;
    if (copy_from_guest(v, &op, arg, sizeof(op)))
        return -EFAULT;
    /* Compatible additions raise the minor half: older callers still work. */
    if ((op.version >> 16) != (BASALT_CTL_VERSION >> 16) || (op.version & 0xffff) > (BASALT_CTL_VERSION & 0xffff))
        return -EACCES;
    long rc = dispatch(v, &op);
    if (rc == HYPERCALL_RESTART)
        return rc; /* nothing done: the guest calls again */
    if (copy_to_guest(v, arg, &op, sizeof(op)))
        return -EFAULT;
    return rc;
}
