/*
 * Host harness for the hypervisor's common code (see host.h): simulated
 * machine memory, weak stubs for everything outside the code under test,
 * and the race injector.
 */
#include "tests/unit/hv/host.h"

#include <asm/apic.h>
#include <asm/percpu.h>
#include <asm/svm.h>
#include <basalt/arch.h>
#include <basalt/dom0.h>
#include <basalt/sched.h>
#include <basalt/time.h>
#include <lib/basalt_ctl.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define WEAK __attribute__((weak))

void zone_add_range(paddr_t start, paddr_t end, enum zone_id zid);

__thread bool host_irqs_on = true;
__thread struct pcpu *host_cpu;
static struct pcpu cpu0 = { .id = 0 }, cpu1 = { .id = 1 };
struct pcpu *pcpus[MAX_CPUS] = { &cpu0, &cpu1 };
unsigned int nr_pcpus = 2;

unsigned long hv_flushes;
uint64_t hv_continued[6];
unsigned int hv_continued_mask;
unsigned long hv_continuations;
uint64_t hv_console_bytes;
uint64_t hv_range_checked;
__thread jmp_buf *hv_panic_jmp;
char hv_panic_msg[256];

void hv_init(void)
{
    void *mem = mmap((void *)HV_MEM_BASE, HV_MEM_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
    if (mem != (void *)HV_MEM_BASE) {
        printf("not ok - simulated machine memory: cannot map it at %#lx\n", HV_MEM_BASE);
        exit(1);
    }
    max_mfn = (HV_MEM_BASE + HV_MEM_SIZE) >> PAGE_SHIFT;
    frame_table = calloc(max_mfn, sizeof(*frame_table));
    for (mfn_t m = 0; m < max_mfn; m++)
        frame_table[m].owner = OWNER_NONE;
    zone_add_range(HV_MEM_BASE, HV_MEM_BASE + HV_ZONE_HV_SIZE, ZONE_HV);
    zone_add_range(HV_MEM_BASE + HV_ZONE_HV_SIZE, HV_MEM_BASE + HV_MEM_SIZE, ZONE_POOL);
    host_cpu = &cpu0;
    host_irqs_on = true;
}

struct domain *hv_domain(domid_t id, unsigned int nr_vcpus, uint64_t max_pages)
{
    struct domain_config cfg = { .id = id, .name = "test", .max_vcpus = nr_vcpus,
                                 .max_pages = max_pages };
    struct domain *d;
    if (domain_create(&cfg, &d))
        return NULL;
    d->state = DOMAIN_RUNNING;
    return d;
}

void hv_destroy(struct domain *d)
{
    domain_destroy(d, "test");
    domain_reap();
}

void hv_as(struct vcpu *v)
{
    host_cpu->current = v;
}

static uint16_t count_owner;
static uint64_t counted;

uint64_t hv_pages_owned(uint16_t id)
{
    uint64_t n = 0;
    for (mfn_t m = HV_MEM_BASE >> PAGE_SHIFT; m < max_mfn; m++)
        n += frame_table[m].owner == id;
    return n;
}

static void count_ram(struct domain *d, gfn_t gfn, mfn_t mfn, enum p2m_type t)
{
    counted += t == P2M_RAM;
}

uint64_t hv_ram_mapped(struct domain *d)
{
    counted = 0;
    (void)count_owner;
    p2m_for_each(d, count_ram);
    return counted;
}

/* Races */

enum race_state { RACE_IDLE, RACE_RUNNING, RACE_WAITING, RACE_DONE };

static struct {
    spinlock_t *lock;
    enum lock_event ev;
    unsigned int nth, seen;
    void (*fn)(void *);
    void *arg;
    bool armed, fired;
    pthread_t thread;
    volatile int state;
} race;
static __thread bool in_race_thread;

void race_at(spinlock_t *l, enum lock_event ev, unsigned int nth, void (*fn)(void *), void *arg)
{
    race.lock = l;
    race.ev = ev;
    race.nth = nth;
    race.seen = 0;
    race.fn = fn;
    race.arg = arg;
    race.fired = false;
    race.state = RACE_IDLE;
    race.armed = true;
}

static void *race_thread(void *unused)
{
    in_race_thread = true;
    host_cpu = &cpu1;
    host_irqs_on = true;
    race.fn(race.arg);
    __atomic_store_n(&race.state, RACE_DONE, __ATOMIC_SEQ_CST);
    return NULL;
}

void race_join(void)
{
    race.armed = false;
    if (race.fired) {
        pthread_join(race.thread, NULL);
        race.fired = false;
    }
}

bool race_fired(void)
{
    return race.state != RACE_IDLE;
}

void host_lock_event(spinlock_t *l, enum lock_event ev)
{
    if (in_race_thread) {
        if (ev == LOCK_EV_WAIT)
            __atomic_store_n(&race.state, RACE_WAITING, __ATOMIC_SEQ_CST);
        return;
    }
    if (ev == LOCK_EV_WAIT && (race.state == RACE_IDLE || race.state == RACE_DONE)) {
        /* One thread, and the lock is taken: nobody will ever release it. */
        panic("deadlock: lock %p is already held", (void *)l);
    }
    if (!race.armed || (race.lock && race.lock != l) || race.ev != ev || ++race.seen != race.nth)
        return;
    race.armed = false;
    race.fired = true;
    race.state = RACE_RUNNING;
    pthread_create(&race.thread, NULL, race_thread, NULL);
    while (__atomic_load_n(&race.state, __ATOMIC_SEQ_CST) == RACE_RUNNING)
        sched_yield();
}

/* The racing thread spinning for something the paused one must do (a
 * callback to finish, a flag to clear): it waits, as for a lock. */
void host_cpu_relax(void)
{
    if (in_race_thread)
        __atomic_store_n(&race.state, RACE_WAITING, __ATOMIC_SEQ_CST);
    sched_yield();
}

bool hv_call(void (*fn)(void *), void *arg)
{
    return hv_try(fn(arg));
}

bool race_every(const char *name, const struct race_case *c, char *why, size_t len)
{
    static const char *const names[] = { "acquire", "wait", "release" };
    static const enum lock_event evs[] = { LOCK_EV_ACQUIRE, LOCK_EV_RELEASED };
    unsigned int tried = 0;
    for (unsigned int nth = 1;; nth++) {
        bool any = false;
        for (unsigned int e = 0; e < 2; e++) {
            c->setup();
            race_at(NULL, evs[e], nth, c->race, NULL);
            bool panicked = hv_call(c->op, NULL);
            bool fired = race_fired();
            race_join();
            if (panicked) {
                printf("not ok - %s: racing at the %s of lock #%u, the hypervisor panicked: %s\n", name,
                       names[evs[e]], nth, hv_panic_msg);
                exit(1);
            }
            char bad[300] = "";
            bool ok = c->check(bad, sizeof(bad));
            if (!fired)
                continue;
            any = true;
            tried++;
            if (!ok) {
                snprintf(why, len, "racing at the %s of lock #%u: %s (after %u interleavings)",
                         names[evs[e]], nth, bad, tried);
                return false;
            }
        }
        if (!any)
            break;
    }
    fprintf(stderr, "# %s: %u interleavings\n", name, tried);
    snprintf(why, len, "the race never came in");
    return tried > 0;
}

/* Stubs for what lies outside the code under test. */

WEAK void vprintk_level(enum log_level lvl, const char *fmt, va_list ap)
{
    if (getenv("HV_LOG")) {
        fprintf(stderr, "# hv: ");
        vfprintf(stderr, fmt, ap);
    }
}

WEAK void printk_level(enum log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk_level(lvl, fmt, ap);
    va_end(ap);
}

WEAK void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk_level(LOG_INFO, fmt, ap);
    va_end(ap);
}

WEAK void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(hv_panic_msg, sizeof(hv_panic_msg), fmt, ap);
    va_end(ap);
    host_irqs_on = true;
    if (hv_panic_jmp)
        longjmp(*hv_panic_jmp, 1);
    printf("not ok - the hypervisor panicked: %s\n", hv_panic_msg);
    exit(1);
}

WEAK size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(dst, src, c);
        dst[c] = 0;
    }
    return n;
}

uint64_t tsc_khz = 1000000, tsc_at_boot, tsc_to_ns_mul, wallclock_boot_sec;
uint32_t wallclock_boot_nsec;
uint64_t domu_cpu_mask = 1;
struct svm_features svm_features;
struct dom0_plan dom0_plan;

WEAK uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
WEAK uint64_t tsc_to_ns(uint64_t tsc_delta) { return tsc_delta; }
WEAK bool dom0_owns_ram(paddr_t start, paddr_t end) { return false; }
WEAK void machine_shutdown_from_dom0(bool reboot, const char *why) { }

WEAK void sched_domain_init(struct domain *d) { }
WEAK uint64_t guest_cpus_mask(void) { return 1; }
WEAK unsigned int nth_cpu(uint64_t mask, unsigned int n) { return 0; }
WEAK void sched_add_vcpu(struct vcpu *v) { }
WEAK void sched_remove_vcpu(struct vcpu *v) { }
WEAK void sched_watchdog(uint64_t now) { }
WEAK void sched_sync_domain(struct domain *d) { hv_flushes++; }
WEAK void vcpu_wake(struct vcpu *v) { }
WEAK void vcpu_set_affinity(struct vcpu *v, uint64_t affinity) { v->affinity = affinity; }
WEAK int vcpu_up(struct vcpu *v) { return 0; }
WEAK bool vcpu_down(struct vcpu *v, bool reset) { return false; }
WEAK void vcpu_mark_initialised(struct vcpu *v) { }
WEAK int arch_vcpu_initialise(struct vcpu *v, const struct vcpu_hvm_context *ctx) { return -EINVAL; }
WEAK void vcpu_pause(struct vcpu *v) { }
WEAK void vcpu_unpause(struct vcpu *v) { }
WEAK void domain_pause_sync(struct domain *d) { }
WEAK void domain_unpause(struct domain *d) { }
WEAK uint64_t vcpu_runtime_ns(const struct vcpu *v) { return 0; }
WEAK void smp_kick(unsigned int cpu) { }
WEAK void vcpu_poll_timeout(void *data) { }
WEAK bool arch_vcpu_interrupt_pending(struct vcpu *v) { return false; }
WEAK bool arch_vcpu_in_guest(const struct vcpu *v, uint64_t *entry) { return false; }
WEAK void arch_evtchn_upcall_raised(struct vcpu *v) { }
WEAK bool arch_hypercall_from_32bit(struct vcpu *v) { return false; }
WEAK void arch_domain_memory_released(struct domain *d) { }
WEAK uint64_t arch_vcpu_guest_tsc(const struct vcpu *v, uint64_t host_tsc) { return host_tsc; }
WEAK void arch_vcpu_save_state(struct vcpu *v, struct basalt_vcpu_state *s) { memset(s, 0, sizeof(*s)); }
WEAK int arch_vcpu_load_state(struct vcpu *v, const struct basalt_vcpu_state *s) { return 0; }
WEAK void arch_vcpu_set_hypercall_return(struct vcpu *v, uint64_t val) { }
WEAK long memory_acquire_resource(struct vcpu *v, uint64_t arg) { return -ENOSYS; }

WEAK void timer_init(struct timer *t, void (*fn)(void *), void *data) { t->fn = fn; t->data = data; }
WEAK void timer_set(struct timer *t, uint64_t deadline) { }
WEAK void timer_stop(struct timer *t) { }
WEAK void timer_kill(struct timer *t) { }
WEAK void lapic_timer_state(struct lapic_timer_state *s) { memset(s, 0, sizeof(*s)); }
WEAK void lapic_send_ipi(uint32_t apic_id, uint32_t vector) { }
WEAK void lapic_send_nmi(uint32_t apic_id) { }

WEAK int arch_domain_create(struct domain *d, const struct domain_config *cfg) { return 0; }
WEAK void arch_domain_destroy(struct domain *d) { }
WEAK int arch_vcpu_create(struct vcpu *v) { return 0; }
WEAK void arch_vcpu_destroy(struct vcpu *v) { }
WEAK void arch_vcpu_dump(struct vcpu *v) { }
WEAK void pv_console_release(struct domain *d) { }
WEAK void guest_console_flush(struct domain *d) { }
WEAK void guest_console_write(struct domain *d, const char *buf, size_t n) { hv_console_bytes += n; }
WEAK struct domain *console_input_owner(void) { return NULL; }
WEAK size_t console_input_read(char *buf, size_t n) { return 0; }
WEAK void console_input_domain_gone(struct domain *d) { }
WEAK void boot_domain_schedule_rebuild(const struct boot_domain_spec *spec) { }
WEAK void boot_domains_after_destroy(uint16_t domid) { }
WEAK paddr_t mm_early_alloc(uint64_t size, uint64_t align, paddr_t limit) { abort(); }
WEAK paddr_t mm_ram_top(void) { abort(); }

/* Guest pointers are host pointers; the first page and everything from
 * HV_BAD_GUEST_VA up stand for unmapped ones. */
static bool bad_guest_range(gvaddr_t va, size_t n)
{
    return va < PAGE_SIZE || va + n < va || va + n > HV_BAD_GUEST_VA;
}

WEAK int copy_from_guest(struct vcpu *v, void *dst, gvaddr_t src, size_t n)
{
    if (bad_guest_range(src, n))
        return -EFAULT;
    memcpy(dst, (const void *)src, n);
    return 0;
}

WEAK int copy_to_guest(struct vcpu *v, gvaddr_t dst, const void *src, size_t n)
{
    if (bad_guest_range(dst, n))
        return -EFAULT;
    memcpy((void *)dst, src, n);
    return 0;
}

WEAK int guest_range_check(struct vcpu *v, gvaddr_t va, size_t n, bool write)
{
    hv_range_checked += n;
    return bad_guest_range(va, n) ? -EFAULT : 0;
}

WEAK long hypercall_continue(struct vcpu *v, unsigned int argno, uint64_t val)
{
    if (argno >= 1 && argno <= 5) {
        hv_continued[argno] = val;
        hv_continued_mask |= 1u << argno;
    }
    hv_continuations++;
    return HYPERCALL_RESTART;
}
