/*
 * Console output: every byte goes to the serial line and into a ring that
 * Dom0 can read back (xl dmesg). Lines of hypervisor messages carry the
 * "basalt: " prefix; guest output is prefixed by its domain elsewhere.
 */
#include <basalt/boot.h>
#include <basalt/console.h>
#include <basalt/lib.h>
#include <basalt/spinlock.h>

#define LOG_RING_SIZE (64 * 1024)

static char log_ring[LOG_RING_SIZE];
static uint64_t log_head; /* total bytes ever written */
static spinlock_t console_lock = SPINLOCK_INIT;

enum log_level log_level = LOG_INFO;

void console_init(void)
{
    uart_init(0x3f8);
}

static void emit(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            uart_putc('\r');
        uart_putc(s[i]);
        log_ring[log_head++ % LOG_RING_SIZE] = s[i];
    }
}

/* Who wrote the line the serial line is in the middle of (NULL: none). A
 * writer's partial line (a prompt, a line written in pieces) is broken off
 * before anyone else's text, and the writer's next text starts a line of
 * its own with its prefix again: lines of two writers never share a line,
 * where a test or a reader would take them for one. */
static const void *open_line_writer;
static const char hypervisor_writer;

void console_write_from(const void *writer, const char *prefix, const char *s, size_t n)
{
    if (!n)
        return;
    uint64_t flags = spin_lock_irqsave(&console_lock);
    if (open_line_writer != writer) {
        if (open_line_writer)
            emit("\n", 1);
        emit(prefix, strlen(prefix));
    }
    emit(s, n);
    open_line_writer = s[n - 1] == '\n' ? NULL : writer;
    spin_unlock_irqrestore(&console_lock, flags);
}

void console_write(const char *s, size_t n)
{
    console_write_from(&hypervisor_writer, "", s, n);
}

void console_write_unlocked(const char *s, size_t n)
{
    emit(s, n);
}

size_t console_log_read(char *dst, size_t n, uint64_t *pos)
{
    uint64_t flags = spin_lock_irqsave(&console_lock);
    uint64_t oldest = log_head > LOG_RING_SIZE ? log_head - LOG_RING_SIZE : 0;
    if (*pos < oldest)
        *pos = oldest;
    size_t copied = 0;
    while (copied < n && *pos < log_head)
        dst[copied++] = log_ring[(*pos)++ % LOG_RING_SIZE];
    spin_unlock_irqrestore(&console_lock, flags);
    return copied;
}

void vprintk_level(enum log_level lvl, const char *fmt, va_list ap)
{
    char buf[512];
    if (lvl > log_level)
        return;
    int n = vsnprintf(buf + 8, sizeof(buf) - 8, fmt, ap);
    memcpy(buf, "basalt: ", 8);
    n += 8;
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    console_write(buf, n);
}

void printk_level(enum log_level lvl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk_level(lvl, fmt, ap);
    va_end(ap);
}

void printk(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    console_write(buf, n);
}

static int set_loglvl(const char *v)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
        if (!strcmp(v, names[i]) || (v[0] == '0' + (char)i && !v[1])) {
            log_level = (enum log_level)i;
            return 0;
        }
    }
    if (!strcmp(v, "all")) {
        log_level = LOG_DEBUG;
        return 0;
    }
    return -1;
}
CUSTOM_PARAM("loglvl", set_loglvl);
