/*
 * Virtual local APIC. Registers live in a 4 KiB page laid out like the
 * xAPIC MMIO page; x2APIC mode reaches the same registers through MSRs.
 * Interrupts from other vCPUs (and later the vIOAPIC) set IRR bits; the run
 * loop injects the highest one above the processor priority.
 *
 * Nothing here waits for another vCPU. An IPI is sent after the sender's
 * lock is dropped (so no vCPU ever holds two local APIC locks), and INIT is
 * a flag the target acts on itself on its way into the guest (hvm/run.c):
 * two vCPUs sending each other INIT both carry on.
 */
#include <asm/apic.h>
#include <asm/hvm_vendor.h>
#include <asm/smp.h>
#include <asm/vlapic.h>
#include <asm/x86.h>
#include <basalt/domain.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/sched.h>
#include <basalt/time.h>
#include <basalt/timer.h>

#define VLAPIC_VERSION   0x50014 /* integrated APIC, 6 LVT entries */
#define LVT_MASK_BITS    0x1f0ff
#define TIMER_NS_PER_TICK 10      /* 100 MHz bus clock before the divider */
#define LVT_TIMER_PERIODIC BIT(17)
#define ESR_SEND_ILLEGAL   BIT(5)
#define ESR_RECV_ILLEGAL   BIT(6)

/* An IPI the guest asked for, sent once the sender's lock is dropped. */
struct ipi_request {
    bool send;
    uint32_t icr, dest;
};

struct vlapic {
    spinlock_t lock;
    uint32_t *regs;               /* register page */
    struct vcpu *vcpu;
    struct timer timer;
    uint64_t timer_start_ns;      /* when the current count was loaded */
    uint64_t timer_period_ns;     /* length of one count-down */
    bool hw_enabled;              /* IA32_APIC_BASE.EN */
    bool x2apic;
    uint32_t pending_esr;         /* errors since the last ESR write (atomic) */
    struct ipi_request ipi;       /* the owner's last ICR write, under lock */
};

#define REG(l, off) ((l)->regs[(off) / 4])

static struct vlapic *vl(const struct vcpu *v) { return v->arch.vlapic; }

static bool test_vec(struct vlapic *l, uint32_t base, unsigned int vec)
{
    return REG(l, base + (vec / 32) * 0x10) & (1U << (vec % 32));
}

static void set_vec(struct vlapic *l, uint32_t base, unsigned int vec)
{
    __atomic_or_fetch(&REG(l, base + (vec / 32) * 0x10), 1U << (vec % 32), __ATOMIC_SEQ_CST);
}

static void clear_vec(struct vlapic *l, uint32_t base, unsigned int vec)
{
    __atomic_and_fetch(&REG(l, base + (vec / 32) * 0x10), ~(1U << (vec % 32)), __ATOMIC_SEQ_CST);
}

static int highest(struct vlapic *l, uint32_t base)
{
    for (int i = 7; i >= 0; i--) {
        uint32_t w = READ_ONCE(REG(l, base + i * 0x10));
        if (w)
            return i * 32 + 31 - __builtin_clz(w);
    }
    return -1;
}

static bool sw_enabled(struct vlapic *l)
{
    return l->hw_enabled && (REG(l, APIC_SVR) & BIT(8));
}

/* HVM guests number their APICs 0, 2, 4 ... as on Xen (hvmloader's MADT
 * and its INIT/STARTUP targets say so); PVH ones 0, 1, 2 ... */
uint32_t vlapic_id(const struct vcpu *v)
{
    return is_hvm_domain(v->dom) ? v->id * 2 : v->id;
}

bool vlapic_x2apic_enabled(const struct vcpu *v)
{
    return vl(v) && vl(v)->x2apic;
}

/* The TPR lives where CR8 writes reach it without an exit. */
static uint32_t get_tpr(struct vlapic *l)
{
    return hvm_get_tpr(l->vcpu) << 4;
}

static void set_tpr(struct vlapic *l, uint32_t tpr)
{
    hvm_set_tpr(l->vcpu, (tpr >> 4) & 0xf);
}

static uint32_t ppr(struct vlapic *l)
{
    uint32_t tpr = get_tpr(l);
    int isr = highest(l, APIC_ISR);
    uint32_t isr_class = isr < 0 ? 0 : (uint32_t)isr & 0xf0;
    return tpr >= isr_class ? tpr : isr_class;
}

int vlapic_pending_vector(struct vcpu *v)
{
    struct vlapic *l = vl(v);
    if (!l || !sw_enabled(l))
        return -1;
    int irr = highest(l, APIC_IRR);
    if (irr < 0 || (uint32_t)(irr & 0xf0) <= ppr(l))
        return -1;
    return irr;
}

bool vlapic_has_pending(struct vcpu *v)
{
    return vlapic_pending_vector(v) >= 0;
}

void vlapic_ack(struct vcpu *v, int vector)
{
    struct vlapic *l = vl(v);
    clear_vec(l, APIC_IRR, (unsigned int)vector);
    set_vec(l, APIC_ISR, (unsigned int)vector);
}

static void kick(struct vcpu *v)
{
    hvm_vcpu_kick(v);
}

/* An APIC error: latched into ESR by the guest's next ESR write, and
 * signalled through LVT ERR if that is unmasked. */
static void report_error(struct vlapic *l, uint32_t bits)
{
    uint32_t old = __atomic_fetch_or(&l->pending_esr, bits, __ATOMIC_SEQ_CST);
    uint32_t lvt = REG(l, APIC_LVT_ERR);
    /* Only a new error raises the interrupt; an illegal LVT ERR vector then
     * reports itself once instead of recursing. */
    if ((old & bits) != bits && !(lvt & APIC_LVT_MASKED))
        vlapic_set_irq(l->vcpu, lvt & 0xff, false);
}

void vlapic_set_irq(struct vcpu *v, uint8_t vector, bool level)
{
    struct vlapic *l = vl(v);
    if (!l)
        return;
    if (vector < 16) {
        report_error(l, ESR_RECV_ILLEGAL);
        return;
    }
    if (level)
        set_vec(l, APIC_TMR, vector);
    else
        clear_vec(l, APIC_TMR, vector);
    set_vec(l, APIC_IRR, vector);
    kick(v);
}

static void do_eoi(struct vlapic *l)
{
    int isr = highest(l, APIC_ISR);
    if (isr < 0)
        return;
    clear_vec(l, APIC_ISR, (unsigned int)isr);
    if (test_vec(l, APIC_TMR, (unsigned int)isr))
        hvm_vioapic_eoi(l->vcpu->dom, (uint8_t)isr);
}

/* Timer */

static uint64_t timer_divisor(struct vlapic *l)
{
    uint32_t dcr = REG(l, APIC_TDCR);
    uint32_t shift = ((dcr & 3) | ((dcr >> 1) & 4)) + 1;
    return shift == 8 ? 1 : 1ULL << shift;
}

static void timer_fired(void *data)
{
    struct vlapic *l = data;
    uint32_t lvt = REG(l, APIC_LVT_TIMER);
    if (!(lvt & APIC_LVT_MASKED))
        vlapic_set_irq(l->vcpu, lvt & 0xff, false);
    if ((lvt & LVT_TIMER_PERIODIC) && l->timer_period_ns) {
        /* Periods that passed while the CPU could not take the interrupt
         * are one interrupt, as on hardware (IRR holds one): catching up
         * one by one could take as many interrupts as a guest wished. */
        uint64_t period = l->timer_period_ns, now = now_ns();
        l->timer_start_ns += period;
        if (now >= l->timer_start_ns + period)
            l->timer_start_ns += (now - l->timer_start_ns) / period * period;
        timer_set(&l->timer, l->timer_start_ns + period);
    }
}

static void timer_load(struct vlapic *l, uint32_t count)
{
    timer_stop(&l->timer);
    REG(l, APIC_TMICT) = count;
    if (!count) {
        l->timer_period_ns = 0;
        return;
    }
    l->timer_period_ns = (uint64_t)count * timer_divisor(l) * TIMER_NS_PER_TICK;
    if (l->timer_period_ns < 50000)
        l->timer_period_ns = 50000; /* a guest may not make us take interrupts faster than 20 kHz */
    l->timer_start_ns = now_ns();
    timer_set(&l->timer, l->timer_start_ns + l->timer_period_ns);
}

static uint32_t timer_current(struct vlapic *l)
{
    if (!l->timer_period_ns)
        return 0;
    uint64_t elapsed = now_ns() - l->timer_start_ns;
    if (elapsed >= l->timer_period_ns)
        return 0;
    uint64_t left = (l->timer_period_ns - elapsed) / (timer_divisor(l) * TIMER_NS_PER_TICK);
    return (uint32_t)MIN(left, (uint64_t)REG(l, APIC_TMICT));
}

/* IPIs */

static bool matches_logical(struct vlapic *l, uint32_t dest)
{
    if (l->x2apic) {
        uint32_t ldr = REG(l, APIC_LDR);
        return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
    }
    uint32_t ldr = REG(l, APIC_LDR) >> 24;
    if ((REG(l, APIC_DFR) >> 28) == 0xf) /* flat */
        return (dest & ldr) != 0;
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf); /* cluster */
}

bool vlapic_match_logical(struct vcpu *v, uint32_t dest)
{
    return vl(v) && matches_logical(vl(v), dest);
}

/* The PIC's interrupts reach this APIC through LINT0 (LVT0 set to ExtINT
 * and unmasked), or the APIC is off and they reach the CPU directly. */
bool vlapic_accepts_extint(struct vcpu *v)
{
    struct vlapic *l = vl(v);
    if (!l->hw_enabled)
        return true;
    return (READ_ONCE(REG(l, APIC_LVT_LINT0)) & (APIC_LVT_MASKED | 0x700)) == 0x700;
}

static bool is_target(struct vlapic *src, struct vcpu *t, uint32_t icr, uint32_t dest)
{
    switch ((icr >> 18) & 3) {
    case 1: return t == src->vcpu;
    case 2: return true;
    case 3: return t != src->vcpu;
    }
    struct vlapic *tl = vl(t);
    if (icr & BIT(11)) /* logical */
        return matches_logical(tl, dest);
    uint32_t bcast = src->x2apic ? 0xffffffff : 0xff;
    return dest == bcast || dest == vlapic_id(t);
}

/* A vCPU that is down waits for STARTUP at once; a running one is asked to
 * go down and does so itself before it next enters the guest. */
static void init_vcpu(struct vcpu *t)
{
    if (t == t->dom->vcpus[0] && t->state != VCPU_DOWN)
        return; /* INIT to the boot vCPU while running: ignore (Linux never does it) */
    if (vcpu_reset_if_down(t)) {
        __atomic_store_n(&t->arch.sipi_pending, true, __ATOMIC_RELEASE);
        return;
    }
    __atomic_store_n(&t->arch.init_pending, true, __ATOMIC_RELEASE);
    kick(t);
}

void vlapic_take_init(struct vcpu *v)
{
    /* Waiting for STARTUP before it is down, so a STARTUP that finds it
     * down also finds it waiting. */
    __atomic_store_n(&v->arch.sipi_pending, true, __ATOMIC_RELEASE);
    vcpu_down(v, true);
}

static void startup_vcpu(struct vcpu *t, uint8_t vector)
{
    if (t->state != VCPU_DOWN)
        return; /* STARTUP to a running CPU is ignored, as on hardware */
    /* An INIT it has not acted on (it went down by itself meanwhile) counts. */
    bool waiting = __atomic_exchange_n(&t->arch.sipi_pending, false, __ATOMIC_ACQ_REL);
    waiting |= __atomic_exchange_n(&t->arch.init_pending, false, __ATOMIC_ACQ_REL);
    if (!waiting)
        return;
    hvm_set_real_mode_entry(t, (uint16_t)(vector << 8), 0);
    vlapic_reset(t);
    vcpu_start(t);
}

static void send_ipi(struct vlapic *l, uint32_t icr, uint32_t dest)
{
    struct domain *d = l->vcpu->dom;
    uint32_t mode = icr & 0x700;
    uint8_t vector = icr & 0xff;
    if ((mode == APIC_DM_FIXED || mode == 0x100) && vector < 16)
        report_error(l, ESR_SEND_ILLEGAL); /* and each target reports receiving it */
    for (unsigned int i = 0; i < d->max_vcpus; i++) {
        struct vcpu *t = d->vcpus[i];
        if (!t || !is_target(l, t, icr, dest))
            continue;
        switch (mode) {
        case APIC_DM_FIXED:
        case 0x100: /* lowest priority: delivered to every match; harmless for guests */
            vlapic_set_irq(t, vector, false);
            break;
        case APIC_DM_NMI:
            t->arch.nmi_pending = true;
            kick(t);
            break;
        case APIC_DM_INIT:
            if (icr & APIC_LEVEL_ASSERT || !(icr & APIC_TRIGGER_LEVEL))
                init_vcpu(t);
            break;
        case APIC_DM_STARTUP:
            startup_vcpu(t, vector);
            break;
        default:
            break; /* SMI, ExtINT: ignored */
        }
    }
}

/* Register access */

static uint32_t reg_read(struct vlapic *l, uint32_t off)
{
    switch (off) {
    case APIC_ID:
        return l->x2apic ? vlapic_id(l->vcpu) : vlapic_id(l->vcpu) << 24;
    case APIC_TPR:
        return get_tpr(l);
    case 0xa0: /* PPR */
        return ppr(l);
    case APIC_TMCCT:
        return timer_current(l);
    case APIC_EOI:
    case APIC_SELF_IPI:
        return 0;
    default:
        return off < PAGE_SIZE ? REG(l, off) : 0;
    }
}

static int reg_write(struct vlapic *l, uint32_t off, uint32_t val)
{
    switch (off) {
    case APIC_ID:
        if (!l->x2apic)
            REG(l, APIC_ID) = val & 0xff000000;
        break;
    case APIC_TPR:
        set_tpr(l, val & 0xff);
        break;
    case APIC_EOI:
        do_eoi(l);
        break;
    case APIC_LDR:
        if (l->x2apic)
            return -EINVAL;
        REG(l, APIC_LDR) = val & 0xff000000;
        break;
    case APIC_DFR:
        if (l->x2apic)
            return -EINVAL;
        REG(l, APIC_DFR) = val | 0x0fffffff;
        break;
    case APIC_SVR:
        REG(l, APIC_SVR) = val & 0x13ff;
        if (!(val & BIT(8))) /* software disable masks every LVT */
            for (uint32_t o = APIC_LVT_TIMER; o <= APIC_LVT_ERR; o += 0x10)
                REG(l, o) |= APIC_LVT_MASKED;
        break;
    case APIC_ESR:
        if (l->x2apic && val)
            return -EINVAL;
        REG(l, APIC_ESR) = __atomic_exchange_n(&l->pending_esr, 0, __ATOMIC_SEQ_CST);
        break;
    case APIC_ICR:
        REG(l, APIC_ICR) = val & ~APIC_ICR_BUSY;
        l->ipi = (struct ipi_request){
            .send = true, .icr = val, .dest = l->x2apic ? REG(l, APIC_ICR2) : REG(l, APIC_ICR2) >> 24,
        };
        break;
    case APIC_ICR2:
        REG(l, APIC_ICR2) = l->x2apic ? val : val & 0xff000000;
        break;
    case APIC_LVT_TIMER:
    case APIC_LVT_THERMAL:
    case APIC_LVT_PMC:
    case APIC_LVT_LINT0:
    case APIC_LVT_LINT1:
    case APIC_LVT_ERR:
        if (!(REG(l, APIC_SVR) & BIT(8)))
            val |= APIC_LVT_MASKED;
        REG(l, off) = val & (off == APIC_LVT_TIMER ? (LVT_MASK_BITS | LVT_TIMER_PERIODIC) : 0x1f7ff);
        break;
    case APIC_TMICT:
        timer_load(l, val);
        break;
    case APIC_TDCR:
        REG(l, APIC_TDCR) = val & 0xb;
        break;
    case APIC_SELF_IPI:
        if (!l->x2apic)
            return -EINVAL;
        vlapic_set_irq(l->vcpu, val & 0xff, false);
        break;
    default:
        break; /* read-only or reserved: writes ignored */
    }
    return 0;
}

int vlapic_mmio_read(struct vcpu *v, uint32_t offset, uint32_t *val)
{
    struct vlapic *l = vl(v);
    uint64_t flags = spin_lock_irqsave(&l->lock);
    *val = l->hw_enabled ? reg_read(l, offset & 0xff0) : 0xffffffff;
    spin_unlock_irqrestore(&l->lock, flags);
    return 0;
}

/* Sends the IPI the last ICR write asked for: called by the owner vCPU
 * with no lock held. */
static void send_requested_ipi(struct vlapic *l)
{
    struct ipi_request r = l->ipi;
    l->ipi.send = false;
    if (r.send)
        send_ipi(l, r.icr, r.dest);
}

int vlapic_mmio_write(struct vcpu *v, uint32_t offset, uint32_t val)
{
    struct vlapic *l = vl(v);
    if (!l->hw_enabled)
        return 0;
    uint64_t flags = spin_lock_irqsave(&l->lock);
    reg_write(l, offset & 0xff0, val);
    spin_unlock_irqrestore(&l->lock, flags);
    send_requested_ipi(l);
    return 0;
}

int vlapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    struct vlapic *l = vl(v);
    if (!l->x2apic)
        return -EINVAL;
    uint32_t off = (msr - 0x800) << 4;
    uint64_t flags = spin_lock_irqsave(&l->lock);
    if (off == APIC_ICR)
        *val = ((uint64_t)REG(l, APIC_ICR2) << 32) | REG(l, APIC_ICR);
    else if (off == APIC_DFR || off == APIC_ICR2 || off == APIC_EOI || off == APIC_SELF_IPI)
        off = 0; /* not readable in x2APIC mode */
    else
        *val = reg_read(l, off);
    spin_unlock_irqrestore(&l->lock, flags);
    return off ? 0 : -EINVAL;
}

int vlapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    struct vlapic *l = vl(v);
    if (msr == MSR_APIC_BASE) {
        bool en = val & APIC_BASE_EN, x2 = val & APIC_BASE_EXTD;
        if ((val & ~(0xfffff000ULL | APIC_BASE_EN | APIC_BASE_EXTD | APIC_BASE_BSP)) ||
            (val & 0xfffff000ULL) != VLAPIC_BASE || (x2 && !en) ||
            (l->x2apic && en && !x2)) /* x2APIC -> xAPIC needs a disable first */
            return -EINVAL;
        uint64_t flags = spin_lock_irqsave(&l->lock);
        l->hw_enabled = en;
        if (x2 && !l->x2apic) {
            uint32_t id = vlapic_id(v);
            REG(l, APIC_LDR) = ((id >> 4) << 16) | (1U << (id & 0xf));
        }
        l->x2apic = x2;
        v->arch.apic_base_msr = (val & ~APIC_BASE_BSP) | (v->id == 0 ? APIC_BASE_BSP : 0);
        spin_unlock_irqrestore(&l->lock, flags);
        return 0;
    }
    if (!l->x2apic)
        return -EINVAL;
    uint32_t off = (msr - 0x800) << 4;
    int rc = 0;
    uint64_t flags = spin_lock_irqsave(&l->lock);
    if (off == APIC_ICR) {
        REG(l, APIC_ICR2) = (uint32_t)(val >> 32);
        rc = reg_write(l, APIC_ICR, (uint32_t)val);
    } else if (off == APIC_ICR2 || off == APIC_DFR || off == APIC_ID || off == APIC_LDR ||
               (off >= APIC_ISR && off < APIC_ESR) || off == APIC_LVR || off == 0xa0 ||
               off == APIC_TMCCT) {
        rc = -EINVAL; /* read-only in x2APIC mode */
    } else {
        rc = reg_write(l, off, (uint32_t)val);
    }
    spin_unlock_irqrestore(&l->lock, flags);
    send_requested_ipi(l);
    return rc;
}

void vlapic_reset(struct vcpu *v)
{
    struct vlapic *l = vl(v);
    uint64_t flags = spin_lock_irqsave(&l->lock);
    timer_stop(&l->timer);
    memset(l->regs, 0, PAGE_SIZE);
    REG(l, APIC_ID) = vlapic_id(v) << 24;
    REG(l, APIC_LVR) = VLAPIC_VERSION;
    REG(l, APIC_DFR) = 0xffffffff;
    REG(l, APIC_SVR) = 0xff;
    for (uint32_t o = APIC_LVT_TIMER; o <= APIC_LVT_ERR; o += 0x10)
        REG(l, o) = APIC_LVT_MASKED;
    l->timer_period_ns = 0;
    l->hw_enabled = true;
    l->x2apic = false;
    l->pending_esr = 0;
    v->arch.apic_base_msr = VLAPIC_BASE | APIC_BASE_EN | (v->id == 0 ? APIC_BASE_BSP : 0);
    set_tpr(l, 0);
    spin_unlock_irqrestore(&l->lock, flags);
}

int vlapic_init(struct vcpu *v)
{
    struct vlapic *l = xnew(struct vlapic);
    if (!l)
        return -ENOMEM;
    l->regs = alloc_hv_page();
    if (!l->regs) {
        xfree(l);
        return -ENOMEM;
    }
    spin_lock_init(&l->lock);
    l->vcpu = v;
    timer_init(&l->timer, timer_fired, l);
    v->arch.vlapic = l;
    vlapic_reset(v);
    return 0;
}

void vlapic_destroy(struct vcpu *v)
{
    struct vlapic *l = vl(v);
    if (!l)
        return;
    timer_kill(&l->timer);
    free_hv_page(l->regs);
    xfree(l);
    v->arch.vlapic = NULL;
}

/* Saving and restoring (hvm/vcpu_save.c): the first `len` bytes of the
 * register page as the guest reads them (TPR and the timer's current count
 * filled in), the enable bits, and the timer as time left and period. */
void vlapic_save(struct vcpu *v, uint8_t *regs, size_t len, uint32_t *flags_out,
                 uint64_t *left_ns, uint64_t *period_ns)
{
    struct vlapic *l = vl(v);
    uint64_t flags = spin_lock_irqsave(&l->lock);
    memcpy(regs, l->regs, len);
    ((uint32_t *)regs)[APIC_TPR / 4] = get_tpr(l);
    ((uint32_t *)regs)[APIC_TMCCT / 4] = timer_current(l);
    *flags_out = (l->hw_enabled ? 1 : 0) | (l->x2apic ? 2 : 0);
    *period_ns = l->timer_period_ns;
    uint64_t elapsed = now_ns() - l->timer_start_ns;
    *left_ns = l->timer_period_ns && elapsed < l->timer_period_ns ? l->timer_period_ns - elapsed : 0;
    spin_unlock_irqrestore(&l->lock, flags);
}

/* The inverse, for a vCPU that is not running. The version and the timer's
 * count are the hypervisor's own again; a timer period below what
 * timer_load allows is refused. */
int vlapic_load(struct vcpu *v, const uint8_t *regs, size_t len, uint32_t lapic_flags,
                uint64_t left_ns, uint64_t period_ns)
{
    struct vlapic *l = vl(v);
    bool en = lapic_flags & 1, x2 = lapic_flags & 2;
    if ((lapic_flags & ~3u) || (x2 && !en) || len > PAGE_SIZE || (period_ns && period_ns < 50000) ||
        left_ns > period_ns)
        return -EINVAL;
    uint64_t flags = spin_lock_irqsave(&l->lock);
    timer_stop(&l->timer);
    memcpy(l->regs, regs, len);
    REG(l, APIC_LVR) = VLAPIC_VERSION;
    REG(l, APIC_TMCCT) = 0;
    set_tpr(l, REG(l, APIC_TPR));
    l->hw_enabled = en;
    l->x2apic = x2;
    l->pending_esr = 0;
    l->ipi.send = false;
    v->arch.apic_base_msr = VLAPIC_BASE | (en ? APIC_BASE_EN : 0) | (x2 ? APIC_BASE_EXTD : 0) |
                            (v->id == 0 ? APIC_BASE_BSP : 0);
    l->timer_period_ns = period_ns;
    if (period_ns) {
        l->timer_start_ns = now_ns() - (period_ns - left_ns);
        timer_set(&l->timer, l->timer_start_ns + period_ns);
    }
    spin_unlock_irqrestore(&l->lock, flags);
    return 0;
}
