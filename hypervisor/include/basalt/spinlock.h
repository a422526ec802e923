/*
 * Ticket spinlocks. The _irqsave forms are for locks also taken in interrupt
 * handlers.
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
    volatile uint16_t next;
    volatile uint16_t owner;
} spinlock_t;

#define SPINLOCK_INIT { 0, 0 }

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
    l->next = 0;
    l->owner = 0;
}

static inline void spin_lock(spinlock_t *l)
{
    LOCK_EVENT(l, LOCK_EV_ACQUIRE);
    uint16_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) == ticket)
        return;
    LOCK_EVENT(l, LOCK_EV_WAIT);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
        cpu_relax();
}

static inline bool spin_trylock(spinlock_t *l)
{
    LOCK_EVENT(l, LOCK_EV_ACQUIRE);
    uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
    uint16_t expected = owner;
    bool got = __atomic_compare_exchange_n(&l->next, &expected, (uint16_t)(owner + 1), false,
                                           __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
    if (!got)
        LOCK_EVENT(l, LOCK_EV_WAIT); /* the caller tries again later: it waits for the holder */
    return got;
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
    LOCK_EVENT(l, LOCK_EV_RELEASED);
}

static inline bool spin_is_locked(spinlock_t *l)
{
    return l->next != l->owner;
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
