/*
 * Spinlocks: test-and-test-and-set. The _irqsave forms are for locks also
 * taken in interrupt handlers.
 *
 * Not ticket locks: their strict order hands a freed lock to the next
 * waiter even when that waiter is not running, and under QEMU's TCG every
 * physical CPU is a host thread that a busy host preempts for milliseconds
 * at a time. One preempted waiter then stalls every CPU queued behind it,
 * while the spinning ones take the host cores the others need; measured on
 * a loaded 2-core host, the global scheduler lock alone cost DomU-to-Dom0
 * networking about 9 CPU-seconds of spinning in 10 s. Here any running
 * waiter takes a free lock. With the few CPUs Basalt targets and its short
 * critical sections, the lost fairness does not show. Contention is counted
 * for the 'd' console key (spin_dump).
 *
 * Convention (docs/architecture.md, "Locks"): every lock is taken with
 * interrupts off, so a CPU that has interrupts on holds no lock. That is what
 * ASSERT_MAY_WAIT checks before any wait for another CPU or vCPU (a flush of
 * a domain's translations, a pause): waiting with a lock held or interrupts
 * off is how two CPUs deadlock each other.
 */
#ifndef BASALT_SPINLOCK_H
#define BASALT_SPINLOCK_H

#include <asm/x86.h>
#include <basalt/lib.h>

typedef struct {
    volatile uint32_t locked;
} spinlock_t;

#define SPINLOCK_INIT { 0 }

/* How often a lock was found held, and the TSC cycles spent waiting. */
extern uint64_t spin_contended, spin_wait_cycles;
void spin_dump(void);

#ifdef HOST_TEST
/* Host unit tests see every lock operation (tests/unit/hv/race.c), so that a
 * test can run a racing operation at a chosen point of another. */
enum lock_event { LOCK_EV_ACQUIRE, LOCK_EV_WAIT, LOCK_EV_RELEASED };
void host_lock_event(spinlock_t *l, enum lock_event ev);
#define LOCK_EVENT(l, ev) host_lock_event(l, ev)
#else
#define LOCK_EVENT(l, ev) do { } while (0)
#endif

static inline void spin_lock_init(spinlock_t *l)
{
    l->locked = 0;
}

static inline bool spin_grab(spinlock_t *l)
{
    return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(spinlock_t *l)
{
    LOCK_EVENT(l, LOCK_EV_ACQUIRE);
    if (spin_grab(l))
        return;
    LOCK_EVENT(l, LOCK_EV_WAIT);
#ifndef HOST_TEST
    uint64_t start = rdtsc();
#endif
    do {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            cpu_relax();
    } while (!spin_grab(l));
#ifndef HOST_TEST
    __atomic_fetch_add(&spin_contended, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&spin_wait_cycles, rdtsc() - start, __ATOMIC_RELAXED);
#endif
}

static inline bool spin_trylock(spinlock_t *l)
{
    LOCK_EVENT(l, LOCK_EV_ACQUIRE);
    return spin_grab(l);
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
    LOCK_EVENT(l, LOCK_EV_RELEASED);
}

static inline bool spin_is_locked(spinlock_t *l)
{
    return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

static inline uint64_t spin_lock_irqsave(spinlock_t *l)
{
    uint64_t flags = local_irq_save();
    spin_lock(l);
    return flags;
}

static inline void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags)
{
    spin_unlock(l);
    local_irq_restore(flags);
}

/* "Called with l held": checked in every build (held by some CPU; with
 * interrupts off, as every lock is). */
#define ASSERT_LOCKED(l) ASSERT(spin_is_locked(l) && !local_irq_enabled())
/* About to wait for another CPU or vCPU: no lock held, interrupts on. */
#define ASSERT_MAY_WAIT() ASSERT(local_irq_enabled())

#endif
