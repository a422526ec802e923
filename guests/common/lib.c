/* Console output, command-line access and shutdown for test guests. */
#include "guest.h"

static const struct hvm_start_info *start_info;
static uint8_t hypercall_page[4096] __attribute__((aligned(4096)));

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            break;
    }
    return 0;
}

void guest_init_hypercall_page(void)
{
    uint64_t gpa = (uint64_t)(uintptr_t)hypercall_page;
    __asm__ volatile("wrmsr" ::"c"(0x40000000), "a"((uint32_t)gpa), "d"((uint32_t)(gpa >> 32)));
}

long page_hypercall3(unsigned long nr, unsigned long a1, unsigned long a2, unsigned long a3)
{
    long ret;
    void *stub = hypercall_page + nr * 32;
    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3)
                     : [stub] "r"(stub)
                     : "memory", "rcx", "r8", "r9", "r10", "r11");
    return ret;
}

void guest_write(const char *s, size_t n)
{
    hypercall3(__HYPERVISOR_console_io, CONSOLEIO_write, n, (unsigned long)s);
}

static void put_number(char *buf, size_t *pos, size_t cap, uint64_t v, unsigned int base)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (n && *pos < cap)
        buf[(*pos)++] = tmp[--n];
}

/* %s %d %u %x %lu %lx %ld only: all the guests need. Returns the length. */
size_t guest_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
    size_t pos = 0;
    for (; *fmt && pos < cap; fmt++) {
        if (*fmt != '%') {
            buf[pos++] = *fmt;
            continue;
        }
        bool lng = false;
        if (*++fmt == 'l') {
            lng = true;
            fmt++;
        }
        switch (*fmt) {
        case 's':
            for (const char *s = va_arg(ap, const char *); *s && pos < cap; s++)
                buf[pos++] = *s;
            break;
        case 'd': {
            long v = lng ? va_arg(ap, long) : va_arg(ap, int);
            if (v < 0) {
                buf[pos++] = '-';
                v = -v;
            }
            put_number(buf, &pos, cap, (uint64_t)v, 10);
            break;
        }
        case 'u':
            put_number(buf, &pos, cap, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int), 10);
            break;
        case 'x':
            put_number(buf, &pos, cap, lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int), 16);
            break;
        default:
            buf[pos++] = *fmt;
            break;
        }
    }
    return pos;
}

void guest_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    size_t n = guest_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    guest_write(buf, n);
}

void guest_vprint_line(const char *prefix, const char *fmt, va_list ap)
{
    char buf[256];
    size_t n = strlen(prefix);
    if (n > 128)
        n = 128;
    memcpy(buf, prefix, n);
    n += guest_vsnprintf(buf + n, sizeof(buf) - 1 - n, fmt, ap);
    buf[n++] = '\n';
    guest_write(buf, n);
}

void guest_shutdown(unsigned int reason)
{
    struct sched_shutdown s = { .reason = reason };
    hypercall2(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (unsigned long)&s);
    for (;;)
        __asm__ volatile("cli; hlt");
}

const char *guest_arg(const char *key, char *buf, size_t len)
{
    if (!start_info || !start_info->cmdline_paddr)
        return NULL;
    const char *p = (const char *)(uintptr_t)start_info->cmdline_paddr;
    size_t klen = strlen(key);
    while (*p) {
        while (*p == ' ')
            p++;
        if (!strncmp(p, key, klen) && p[klen] == '=') {
            p += klen + 1;
            size_t n = 0;
            while (p[n] && p[n] != ' ' && n + 1 < len) {
                buf[n] = p[n];
                n++;
            }
            buf[n] = '\0';
            return buf;
        }
        while (*p && *p != ' ')
            p++;
    }
    return NULL;
}

uint64_t guest_arg_u64(const char *key, uint64_t dflt)
{
    char buf[32];
    if (!guest_arg(key, buf, sizeof(buf)))
        return dflt;
    uint64_t v = 0;
    for (const char *p = buf; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    return v;
}

uint64_t guest_tsc_khz(void)
{
    uint32_t a, b, c, d;
    cpuid(0x40000003, &a, &b, &c, &d);
    return c;
}

long guest_map_space(unsigned int space, unsigned long idx, unsigned long gfn)
{
    struct xen_add_to_physmap a = {
        .domid = DOMID_SELF, .space = space, .idx = idx, .gpfn = gfn,
    };
    return hypercall2(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (unsigned long)&a);
}

uint64_t guest_pvclock_ns(volatile struct vcpu_time_info *t)
{
    uint32_t ver;
    uint64_t ns;
    do {
        ver = t->version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        uint64_t delta = rdtsc() - t->tsc_timestamp;
        int8_t shift = t->tsc_shift;
        delta = shift < 0 ? delta >> -shift : delta << shift;
        ns = t->system_time + (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((ver & 1) || ver != t->version);
    return ns;
}

long guest_poll(evtchn_port_t port, uint64_t deadline_ns)
{
    struct sched_poll p = { .nr_ports = 1, .timeout = deadline_ns };
    set_xen_guest_handle(p.ports, &port);
    return hypercall2(__HYPERVISOR_sched_op, SCHEDOP_poll, (unsigned long)&p);
}

void guest_main(uint32_t start_info_gpa)
{
    start_info = (const struct hvm_start_info *)(uintptr_t)start_info_gpa;
    if (start_info->magic != XEN_HVM_START_MAGIC_VALUE) {
        guest_printf("bad start info magic %x\n", start_info->magic);
        guest_shutdown(SHUTDOWN_crash);
    }
    int rc = guest_main_entry(start_info);
    guest_shutdown(rc == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash);
}
