/* Freestanding C library pieces and the logging interface. */
#ifndef BASALT_LIB_H
#define BASALT_LIB_H

#include <stdarg.h>
#include <basalt/errno.h>
#include <basalt/types.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);
/* Parses an unsigned number (0x prefix for hex); *end points past it. */
uint64_t strtou64(const char *s, const char **end, int base);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Log levels: a message is printed when its level <= the loglvl= option. */
enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void printk_level(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vprintk_level(enum log_level lvl, const char *fmt, va_list ap);
extern enum log_level log_level;

/* Lines operators and tests rely on: shown at every log level. */
#define pr_notice(...) printk_level(LOG_ERR, __VA_ARGS__)
#define pr_err(...) printk_level(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) printk_level(LOG_WARN, __VA_ARGS__)
#define pr_info(...) printk_level(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk_level(LOG_DEBUG, __VA_ARGS__)

void __noreturn panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define BUG_ON(cond)                                                           \
    do {                                                                       \
        if (unlikely(cond))                                                    \
            panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);              \
    } while (0)

#define ASSERT(cond) BUG_ON(!(cond))

#endif
