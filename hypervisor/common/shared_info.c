/*
 * shared_info and vcpu_info: the pages through which the hypervisor tells a
 * guest about pending events and the time. The pvclock record lets a guest
 * compute system time from its TSC without exits; it is refreshed whenever
 * a vCPU is scheduled in.
 */
#include <basalt/arch.h>
#include <basalt/domain.h>
#include <basalt/guest_access.h>
#include <basalt/lib.h>
#include <basalt/memory.h>
#include <basalt/mm.h>
#include <basalt/shared_info.h>
#include <basalt/time.h>
#include <xen/vcpu.h>

static uint32_t pvclock_mul;
static int8_t pvclock_shift;

/* Scale such that ns = ((tsc_delta << shift) * mul) >> 32. */
static void compute_pvclock_scale(void)
{
    uint64_t num = NSEC_PER_SEC, den = tsc_khz * 1000;
    int shift = 0;
    while (num >= den) {
        den <<= 1;
        shift++;
    }
    while (num * 2 < den) {
        num <<= 1;
        shift--;
    }
    pvclock_mul = (uint32_t)(((unsigned __int128)num << 32) / den);
    pvclock_shift = (int8_t)shift;
}

int shared_info_init(struct domain *d)
{
    if (!pvclock_mul)
        compute_pvclock_scale();
    d->shared_info = alloc_hv_page();
    if (!d->shared_info)
        return -ENOMEM;
    d->shared_info_gfn = INVALID_GFN;
    domain_update_wallclock(d);
    return 0;
}

/* Nothing reaches it any more: the event channels are closed and the vCPUs
 * are stopped for good. */
void shared_info_destroy(struct domain *d)
{
    free_hv_page(d->shared_info);
    d->shared_info = NULL;
}

int shared_info_map(struct domain *d, gfn_t gfn)
{
    mfn_t mfn = virt_to_mfn(d->shared_info);
    struct physmap_gone at_gfn = { .e.t = P2M_NONE }, at_old = { .e.t = P2M_NONE };
    bool flush = false;
    int rc = 0;
    /* It replaces RAM (which is freed) or nothing, and leaves where it was:
     * one move under the physmap lock. */
    uint64_t flags = spin_lock_irqsave(&d->physmap_lock);
    gfn_t was = d->shared_info_gfn;
    if (was != gfn) {
        rc = physmap_exchange_locked(d, gfn, P2M_EMPTY | P2M_TYPE(P2M_RAM), INVALID_MFN,
                                     (struct p2m_entry){ mfn, P2M_SPECIAL }, &at_gfn, &flush);
        if (!rc && was != INVALID_GFN)
            physmap_exchange_locked(d, was, P2M_TYPE(P2M_SPECIAL), mfn,
                                    (struct p2m_entry){ INVALID_MFN, P2M_NONE }, &at_old, &flush);
        if (!rc)
            d->shared_info_gfn = gfn;
    }
    spin_unlock_irqrestore(&d->physmap_lock, flags);
    if (flush)
        p2m_flush(d);
    physmap_release(d, &at_gfn);
    physmap_release(d, &at_old);
    return rc;
}

void domain_update_wallclock(struct domain *d)
{
    struct shared_info *s = d->shared_info;
    __atomic_add_fetch(&s->wc_version, 1, __ATOMIC_SEQ_CST);
    s->wc_sec = (uint32_t)wallclock_boot_sec;
    s->wc_sec_hi = (uint32_t)(wallclock_boot_sec >> 32);
    s->wc_nsec = wallclock_boot_nsec;
    __atomic_add_fetch(&s->wc_version, 1, __ATOMIC_SEQ_CST);
}

static void write_time(struct vcpu_time_info *t, uint64_t tsc, uint64_t ns)
{
    uint32_t ver = t->version;
    WRITE_ONCE(t->version, (ver | 1) + 0); /* odd: update in progress */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    t->tsc_timestamp = tsc;
    t->system_time = ns;
    t->tsc_to_system_mul = pvclock_mul;
    t->tsc_shift = pvclock_shift;
    t->flags = XEN_PVCLOCK_TSC_STABLE_BIT;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    WRITE_ONCE(t->version, (ver | 1) + 1);
}

void vcpu_update_time(struct vcpu *v)
{
    uint64_t host_tsc = rdtsc();
    uint64_t ns = tsc_to_ns(host_tsc - tsc_at_boot);
    /* The stamp is in the guest's TSC: after a restore it is offset. */
    uint64_t tsc = arch_vcpu_guest_tsc(v, host_tsc);
    struct shared_info *s = v->dom->shared_info;
    if (v->id < XEN_LEGACY_MAX_VCPUS)
        write_time(&s->vcpu_info[v->id].time, tsc, ns);
    if (v->vcpu_info && v->vcpu_info_mfn != INVALID_MFN)
        write_time(&v->vcpu_info->time, tsc, ns);
}

/* Once only, as in Xen; under the domain's lock, so that two vCPUs
 * registering for one at once do not both take a reference. */
int vcpu_register_vcpu_info(struct vcpu *v, gfn_t gfn, uint32_t offset)
{
    if (offset > PAGE_SIZE - sizeof(struct vcpu_info) || (offset & 7))
        return -EINVAL;
    struct domain *d = v->dom;
    uint64_t flags = spin_lock_irqsave(&d->lock);
    /* The page must outlive a balloon-out while we write it. */
    mfn_t mfn = v->vcpu_info_mfn != INVALID_MFN ? INVALID_MFN : p2m_get_page(d, gfn, P2M_TYPE(P2M_RAM), NULL);
    if (mfn == INVALID_MFN) {
        spin_unlock_irqrestore(&d->lock, flags);
        return -EINVAL;
    }
    struct vcpu_info *new = (struct vcpu_info *)((uint8_t *)mfn_to_virt(mfn) + offset);
    struct vcpu_info *old = v->vcpu_info;
    memset(new, 0, sizeof(*new));
    if (old) {
        new->evtchn_pending_sel = __atomic_exchange_n(&old->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
        new->evtchn_upcall_pending = old->evtchn_upcall_pending;
    }
    /* Events raised before registration are not lost: ask the guest to scan. */
    new->evtchn_upcall_pending = 1;
    new->evtchn_pending_sel = ~0UL;
    v->vcpu_info_mfn = mfn;
    __atomic_store_n(&v->vcpu_info, new, __ATOMIC_SEQ_CST);
    spin_unlock_irqrestore(&d->lock, flags);
    vcpu_update_time(v);
    return 0;
}

void vcpu_release_vcpu_info(struct vcpu *v)
{
    if (v->vcpu_info_mfn != INVALID_MFN) {
        page_put(v->vcpu_info_mfn);
        v->vcpu_info_mfn = INVALID_MFN;
    }
    struct shared_info *s = v->dom->shared_info;
    v->vcpu_info = s && v->id < XEN_LEGACY_MAX_VCPUS ? &s->vcpu_info[v->id] : NULL;
}

void vcpu_runstate_change(struct vcpu *v, int new_state, uint64_t now)
{
    if (v->runstate >= 0 && v->runstate < 4 && now > v->runstate_entry_ns)
        v->runstate_time[v->runstate] += now - v->runstate_entry_ns;
    v->runstate = new_state;
    v->runstate_entry_ns = now;
}

void vcpu_runstate_publish(struct vcpu *v)
{
    if (!v->runstate_va)
        return;
    struct vcpu_runstate_info r = { .state = v->runstate, .state_entry_time = v->runstate_entry_ns };
    memcpy(r.time, v->runstate_time, sizeof(r.time));
    if (v->dom->vmassist_runstate_flag) {
        /* Tell readers an update is in progress, as the flag asks. */
        uint64_t busy = r.state_entry_time | XEN_RUNSTATE_UPDATE;
        copy_to_guest(v, v->runstate_va + offsetof(struct vcpu_runstate_info, state_entry_time),
                      &busy, sizeof(busy));
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    }
    copy_to_guest(v, v->runstate_va, &r, sizeof(r));
}
