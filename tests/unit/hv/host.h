/*
 * The hypervisor's common memory, grant and event code on the host, for unit
 * tests (host.c). The sources are compiled with -DHOST_TEST: interrupts and
 * the current CPU are per-thread variables, every lock operation is seen by
 * the race injector, and what lies outside (scheduler, timers, SVM, guest
 * page walks) is replaced by weak stubs a test may override.
 *
 * Machine memory is simulated: HV_MEM_SIZE bytes mapped at HV_MEM_BASE, so
 * that a machine address is also a host pointer, as in the hypervisor's
 * direct map. Guest pointers passed to hypercalls are host pointers (the
 * weak copy_from_guest and friends in host.c), except in a test that builds
 * arch/x86/hvm/guest_access.c in: there they are guest-linear addresses that
 * the real code translates through the guest's page tables.
 */
#ifndef TESTS_UNIT_HV_HOST_H
#define TESTS_UNIT_HV_HOST_H

#include <basalt/domain.h>
#include <basalt/hypercall.h>
#include <basalt/lib.h>
#include <basalt/mm.h>
#include <basalt/spinlock.h>

#include <setjmp.h>

#define HV_MEM_BASE 0x40000000UL
#define HV_MEM_SIZE (128UL << 20)
#define HV_ZONE_HV_SIZE (32UL << 20) /* the first part; the pool is the rest */
#define HV_BAD_GUEST_VA (1UL << 47)  /* guest pointers from here up fault */

/* Sets up memory, both zones and CPU 0 for the calling thread. */
void hv_init(void);
/* A running domain with nr_vcpus vCPUs and a memory limit. */
struct domain *hv_domain(domid_t id, unsigned int nr_vcpus, uint64_t max_pages);
/* Destroys d and reaps it (as an idle loop would). */
void hv_destroy(struct domain *d);
/* The calling thread now runs on behalf of v (current_vcpu()). */
void hv_as(struct vcpu *v);

/* Pages whose frame-table owner is id. */
uint64_t hv_pages_owned(uint16_t id);
/* P2M_RAM entries in d's p2m. */
uint64_t hv_ram_mapped(struct domain *d);

/* Counters kept by the stubs. */
extern unsigned long hv_flushes;      /* sched_sync_domain calls */
extern uint64_t hv_continued[6];      /* arguments rewritten by hypercall_continue */
extern unsigned int hv_continued_mask; /* which (bit n: argument n), since last cleared */
extern unsigned long hv_continuations;
extern uint64_t hv_console_bytes;     /* bytes given to guest_console_write */
extern uint64_t hv_range_checked;     /* bytes guest_range_check was asked about */

/*
 * Panics: hv_try(expr) evaluates expr and says whether the hypervisor
 * panicked meanwhile (the message is in hv_panic_msg). A panic outside
 * hv_try ends the test with "not ok".
 */
extern __thread jmp_buf *hv_panic_jmp;
/* The same for fn(arg). */
bool hv_call(void (*fn)(void *), void *arg);
extern char hv_panic_msg[256];
#define hv_try(expr)                                                           \
    ({                                                                         \
        jmp_buf jb_;                                                           \
        volatile bool panicked_ = false;                                       \
        hv_panic_jmp = &jb_;                                                   \
        if (setjmp(jb_) == 0)                                                  \
            (void)(expr);                                                      \
        else                                                                   \
            panicked_ = true;                                                  \
        hv_panic_jmp = NULL;                                                   \
        panicked_;                                                             \
    })

/*
 * Races: when this thread next meets lock event ev on lock l (NULL: any lock)
 * for the nth time, fn(arg) runs on a second thread, as another CPU would,
 * until it finishes or waits for a lock this thread holds; then both go on.
 * race_join waits for it to end.
 */
void race_at(spinlock_t *l, enum lock_event ev, unsigned int nth, void (*fn)(void *), void *arg);
void race_join(void);
/* Whether the racing operation has run (started) at all. */
bool race_fired(void);

/*
 * Every interleaving at lock granularity: for each lock event of op in turn
 * (each acquire, each release), a fresh world from setup(), op() on this
 * thread with race() coming in at that event on another, then check(), which
 * says whether the outcome is consistent (and tears the world down). Stops
 * at the first inconsistent outcome and says which in why. A panic ends the
 * test (locks may still be held).
 */
struct race_case {
    void (*setup)(void);
    void (*op)(void *);
    void (*race)(void *);
    bool (*check)(char *why, size_t len);
};
bool race_every(const char *name, const struct race_case *c, char *why, size_t len);
/* One check line for race_every (tests/lib/tap.h). */
#define RACE_CHECK(name, ...)                                                  \
    do {                                                                       \
        char why_[400];                                                        \
        bool ok_ = race_every(name, &(struct race_case){ __VA_ARGS__ }, why_, sizeof(why_)); \
        CHECK(name, ok_, "%s", why_);                                           \
    } while (0)

#endif
