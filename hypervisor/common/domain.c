/*
 * Domain and vCPU life cycle. Destruction is two-phase: domain_destroy()
 * marks the domain dying and stops its vCPUs (it may be called from one of
 * them); domain_reap(), run by idle loops, frees it once no vCPU is still
 * on a CPU.
 */
#include <basalt/arch.h>
#include <basalt/boot_domains.h>
#include <basalt/dom0.h>
#include <basalt/domain.h>
#include <basalt/guest_console.h>
#include <basalt/lib.h>
#include <basalt/memory.h>
#include <basalt/mm.h>
#include <basalt/pv_console.h>
#include <basalt/sched.h>
#include <basalt/shared_info.h>
#include <basalt/time.h>
#include <xen/vcpu.h>

struct domain *domains[MAX_DOMAINS];
spinlock_t domains_lock = SPINLOCK_INIT;
static struct domain *dying_list;

struct domain *domain_by_id(domid_t id)
{
    return id < MAX_DOMAINS ? domains[id] : NULL;
}

struct domain *domain_get(domid_t id)
{
    if (id >= MAX_DOMAINS)
        return NULL;
    uint64_t flags = spin_lock_irqsave(&domains_lock);
    struct domain *d = domains[id];
    if (d && d->state != DOMAIN_DYING)
        d->refs++;
    else
        d = NULL;
    spin_unlock_irqrestore(&domains_lock, flags);
    return d;
}

void domain_put(struct domain *d)
{
    uint64_t flags = spin_lock_irqsave(&domains_lock);
    BUG_ON(!d->refs);
    d->refs--;
    spin_unlock_irqrestore(&domains_lock, flags);
}

static struct vcpu *vcpu_create(struct domain *d, unsigned int id, uint64_t affinity);
static void domain_free(struct domain *d);

/* Where DOMAIN_ID_ANY starts looking (under domains_lock). */
static domid_t next_any_id = 1;

/* The id d gets, or -errno: whether the name and the id are free and the
 * insertion happen under one hold of domains_lock. */
static int pick_id(const struct domain_config *cfg, const struct domain *d)
{
    ASSERT_LOCKED(&domains_lock);
    for (unsigned int id = 0; cfg->unique_name && id < MAX_DOMAINS; id++) {
        const struct domain *o = domains[id];
        if (o && READ_ONCE(o->state) != DOMAIN_DYING && !strcmp(o->name, d->name))
            return -EEXIST;
    }
    if (cfg->id != DOMAIN_ID_ANY)
        return domains[cfg->id] ? -EEXIST : cfg->id;
    for (unsigned int tries = 1; tries < MAX_DOMAINS; tries++) {
        domid_t id = next_any_id;
        next_any_id = id + 1 >= MAX_DOMAINS ? 1 : id + 1;
        if (!domains[id])
            return id;
    }
    return -ENOSPC;
}

int domain_create(const struct domain_config *cfg, struct domain **out)
{
    if ((cfg->id >= MAX_DOMAINS && cfg->id != DOMAIN_ID_ANY) || cfg->max_vcpus == 0 ||
        cfg->max_vcpus > MAX_VCPUS_PER_DOMAIN)
        return -EINVAL;
    struct domain *d = xnew(struct domain);
    if (!d)
        return -ENOMEM;
    d->id = cfg->id; /* DOMAIN_ID_ANY until inserted: nothing needs it before */
    strlcpy(d->name, cfg->name, sizeof(d->name));
    if (cfg->handle)
        memcpy(d->handle, cfg->handle, sizeof(d->handle));
    spin_lock_init(&d->lock);
    spin_lock_init(&d->physmap_lock);
    spin_lock_init(&d->pages_lock);
    spin_lock_init(&d->console_out.lock);
    d->state = DOMAIN_BUILDING;
    d->is_privileged = cfg->hardware_domain;
    d->boot_spec = cfg->boot_spec;
    d->created_ns = now_ns();
    d->max_vcpus = cfg->max_vcpus;
    d->max_pages = cfg->max_pages;
    d->weight = cfg->weight ? cfg->weight : SCHED_DEFAULT_WEIGHT;
    d->cap = cfg->cap;
    sched_domain_init(d);
    if (p2m_init(&d->p2m)) {
        xfree(d);
        return -ENOMEM;
    }
    int rc = arch_domain_create(d, cfg);
    if (!rc && (shared_info_init(d) || evtchn_domain_init(d) || grant_table_init(d)))
        rc = -ENOMEM;
    for (unsigned int i = 0; i < cfg->max_vcpus && !rc; i++) {
        uint64_t affinity = cfg->hardware_domain ? BIT(nth_cpu(guest_cpus_mask(), i))
                            : cfg->affinity ? cfg->affinity : domu_cpu_mask;
        if (!vcpu_create(d, i, affinity))
            rc = -ENOMEM;
    }
    uint64_t flags = spin_lock_irqsave(&domains_lock);
    int id = rc ? rc : pick_id(cfg, d);
    if (id >= 0) {
        d->id = (domid_t)id;
        domains[id] = d;
    } else {
        rc = id;
    }
    spin_unlock_irqrestore(&domains_lock, flags);
    if (rc) {
        domain_free(d); /* never visible: nothing else can hold it */
        return rc;
    }
    *out = d;
    return 0;
}

static struct vcpu *vcpu_create(struct domain *d, unsigned int id, uint64_t affinity)
{
    struct vcpu *v = xnew(struct vcpu);
    if (!v)
        return NULL;
    v->id = id;
    v->dom = d;
    v->state = VCPU_DOWN;
    v->affinity = affinity;
    v->processor = 0;
    timer_init(&v->singleshot, vcpu_singleshot_fired, v);
    timer_init(&v->periodic, vcpu_periodic_fired, v);
    timer_init(&v->poll_timer, vcpu_poll_timeout, v);
    v->vcpu_info_mfn = INVALID_MFN;
    v->vcpu_info = id < XEN_LEGACY_MAX_VCPUS ? &d->shared_info->vcpu_info[id] : NULL;
    v->runstate = RUNSTATE_offline;
    if (arch_vcpu_create(v)) {
        xfree(v);
        return NULL;
    }
    d->vcpus[id] = v;
    sched_add_vcpu(v);
    return v;
}

/* Everything but memory and vCPUs, in an order where nothing still points
 * at what is freed: channels first (peers stop signalling us), then grant
 * mappings (pages pinned in others go), then the shared page. */
void domain_release_resources(struct domain *d)
{
    arch_domain_destroy(d);
    pv_console_release(d);
    evtchn_domain_destroy(d);
    grant_table_destroy(d);
    if (d->shared_info)
        shared_info_destroy(d);
}

/* The vCPUs go last but for memory: until the event channels are closed a
 * peer's send still reaches them (finding the port's vCPU). */
static void domain_free(struct domain *d)
{
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpus[i])
            sched_remove_vcpu(d->vcpus[i]); /* and its timers: none fires any more */
    timer_kill(&d->cap_timer);
    domain_release_resources(d);
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = d->vcpus[i];
        if (!v)
            continue;
        vcpu_release_vcpu_info(v);
        arch_vcpu_destroy(v);
        d->vcpus[i] = NULL;
        xfree(v);
    }
    domain_release_memory(d);
    p2m_teardown(&d->p2m);
    xfree(d->memmap);
    xfree(d);
}

void domain_destroy(struct domain *d, const char *fmt, ...)
{
    uint64_t flags = spin_lock_irqsave(&d->lock);
    if (d->state == DOMAIN_DYING) {
        spin_unlock_irqrestore(&d->lock, flags);
        return;
    }
    d->state = DOMAIN_DYING;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->destroy_reason, sizeof(d->destroy_reason), fmt, ap);
    va_end(ap);
    spin_unlock_irqrestore(&d->lock, flags);

    guest_console_flush(d);
    console_input_domain_gone(d);
    /* Stop every vCPU; those on other CPUs notice at their next exit. */
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpus[i])
            vcpu_pause(d->vcpus[i]);

    flags = spin_lock_irqsave(&domains_lock);
    d->next_dying = dying_list;
    dying_list = d;
    spin_unlock_irqrestore(&domains_lock, flags);
}

void domain_crash(struct domain *d, const char *fmt, ...)
{
    char why[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    pr_warn("domain %u (%s) crashed: %s\n", d->id, d->name, why);
    if (!d->boot_spec && !d->is_privileged) {
        strlcpy(d->crash_reason, why, sizeof(d->crash_reason));
        domain_shutdown(d, SHUTDOWN_crash); /* the toolstack applies on_crash */
        return;
    }
    domain_destroy(d, "%s", why);
}

static const char *const shutdown_names[] = {
    [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
    [SHUTDOWN_suspend] = "suspend",   [SHUTDOWN_crash] = "crash",
    [SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
};

void domain_shutdown(struct domain *d, unsigned int reason)
{
    if (reason > SHUTDOWN_MAX)
        reason = SHUTDOWN_crash;
    d->shutdown_reason = reason;
    if (d->id == 0 && d->is_privileged) {
        if (reason == SHUTDOWN_crash)
            pr_err("Dom0 crashed\n");
        machine_shutdown_from_dom0(reason != SHUTDOWN_poweroff,
                                   reason == SHUTDOWN_crash ? "Dom0 crashed" :
                                   reason == SHUTDOWN_poweroff ? "Dom0 powered off" : "Dom0 rebooted");
        return;
    }
    if (d->boot_spec) {
        /* Built by the hypervisor: it decides what happens next. */
        bool rebuild = reason == SHUTDOWN_reboot;
        domain_destroy(d, "%s", shutdown_names[reason]);
        if (rebuild)
            boot_domain_schedule_rebuild(d->boot_spec);
        return;
    }
    /* Built by the toolstack: stop it, keep it, tell Dom0 (on_poweroff etc.
     * are the toolstack's to apply). */
    uint64_t flags = spin_lock_irqsave(&d->lock);
    if (d->state != DOMAIN_RUNNING) {
        spin_unlock_irqrestore(&d->lock, flags);
        return;
    }
    d->state = DOMAIN_SHUTDOWN;
    spin_unlock_irqrestore(&d->lock, flags);
    guest_console_flush(d);
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpus[i])
            vcpu_pause(d->vcpus[i]);
    pr_notice("domain %u (%s) shut down: %s\n", d->id, d->name, shutdown_names[reason]);
    notify_dom0_domain_change();
}

const char *shutdown_reason_name(unsigned int reason)
{
    return reason <= SHUTDOWN_MAX ? shutdown_names[reason] : "unknown";
}

void notify_dom0_domain_change(void)
{
    struct domain *d0 = domain_get(0);
    if (d0) {
        send_guest_global_virq(d0, VIRQ_DOM_EXC);
        domain_put(d0);
    }
}

static bool vcpus_stopped(struct domain *d)
{
    for (unsigned int i = 0; i < d->max_vcpus; i++)
        if (d->vcpus[i] && READ_ONCE(d->vcpus[i]->running))
            return false;
    return true;
}

void domain_reap(void)
{
    if (!READ_ONCE(dying_list))
        return;
    for (;;) {
        struct domain *found = NULL;
        uint64_t flags = spin_lock_irqsave(&domains_lock);
        for (struct domain **pp = &dying_list; *pp; pp = &(*pp)->next_dying) {
            if (vcpus_stopped(*pp) && !(*pp)->refs) {
                found = *pp;
                *pp = found->next_dying;
                domains[found->id] = NULL;
                break;
            }
        }
        spin_unlock_irqrestore(&domains_lock, flags);
        if (!found)
            break;
        domid_t id = found->id;
        char name[DOMAIN_NAME_LEN], reason[96];
        strlcpy(name, found->name, sizeof(name));
        strlcpy(reason, found->destroy_reason, sizeof(reason));
        domain_free(found);
        pr_notice("domain %u (%s) destroyed: %s\n", id, name, reason);
        mm_report_usage("after the reap");
        notify_dom0_domain_change();
        boot_domains_after_destroy(id);
    }
}

static const char *const state_names[] = {
    [DOMAIN_BUILDING] = "building", [DOMAIN_RUNNING] = "running",
    [DOMAIN_SHUTDOWN] = "shutdown", [DOMAIN_DYING] = "dying",
};

void dump_domains(void)
{
    printk("  pool: %lu pages free of %lu\n", zone_free_pages(ZONE_POOL), zone_total_pages(ZONE_POOL));
    mm_report_usage("now");
    for (unsigned int id = 0; id < MAX_DOMAINS; id++) {
        struct domain *d = domains[id];
        if (!d)
            continue;
        printk("  domain %u (%s): %s, %lu pages, %u vcpus\n", d->id, d->name,
               state_names[d->state], d->tot_pages, d->max_vcpus);
        for (unsigned int i = 0; i < d->max_vcpus; i++) {
            struct vcpu *v = d->vcpus[i];
            if (v) {
                printk("    vcpu %u: state %d%s on cpu %u, ran %lu ms, credit %d us, affinity %lx\n", v->id,
                       v->state, v->running ? " running" : "", v->processor, vcpu_runtime_ns(v) / 1000000,
                       v->credit / 1000, v->affinity);
                arch_vcpu_dump(v);
            }
        }
    }
}
