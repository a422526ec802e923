/* What every test guest has: hypercalls, console output, its command line. */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/version.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include <xen/vcpu.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/arch-x86/hvm/start_info.h>

/* Raw VMMCALL with the 64-bit Xen convention. */
static inline long hypercall5(unsigned long nr, unsigned long a1, unsigned long a2,
                              unsigned long a3, unsigned long a4, unsigned long a5)
{
    long ret;
    register unsigned long r10 __asm__("r10") = a4;
    register unsigned long r8 __asm__("r8") = a5;
    __asm__ volatile("vmmcall"
                     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                     : "a"(nr)
                     : "memory", "rcx", "r11");
    return ret;
}

static inline long hypercall2(unsigned long nr, unsigned long a1, unsigned long a2)
{
    return hypercall5(nr, a1, a2, 0, 0, 0);
}

static inline long hypercall3(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3)
{
    return hypercall5(nr, a1, a2, a3, 0, 0);
}

/* Through the hypercall page (set up by guest_init_hypercall_page). */
long page_hypercall3(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3);
void guest_init_hypercall_page(void);

void guest_write(const char *s, size_t n);
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t guest_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);
/* prefix, the formatted text and a newline, in one console write (one line). */
void guest_vprint_line(const char *prefix, const char *fmt, va_list ap);
void guest_shutdown(unsigned int reason) __attribute__((noreturn));

/* Command line: value of key=... (copied into buf), or NULL. */
const char *guest_arg(const char *key, char *buf, size_t len);
uint64_t guest_arg_u64(const char *key, uint64_t dflt);

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

/* TSC kHz from the hypervisor's CPUID leaf 0x40000003. */
uint64_t guest_tsc_khz(void);

/* System time in ns from a vCPU's pvclock record (no exit needed). */
uint64_t guest_pvclock_ns(volatile struct vcpu_time_info *t);

/* XENMEM_add_to_physmap of (space, idx) at gfn; 0 or a negative errno. */
long guest_map_space(unsigned int space, unsigned long idx, unsigned long gfn);

/* SCHEDOP_poll on one port until it is pending or the system time
 * deadline_ns passes; 0 or a negative errno. */
long guest_poll(evtchn_port_t port, uint64_t deadline_ns);

int guest_main_entry(const struct hvm_start_info *si);

size_t strlen(const char *s);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int strncmp(const char *a, const char *b, size_t n);

#endif
