/* Small helpers shared by xl's commands: messages, time. */
#ifndef XL_UTIL_H
#define XL_UTIL_H

#include <stdint.h>

/* Set by `xl -v`: say more about what is going on. */
extern int xl_verbose;

/* "xl: <message>" on stderr. */
void xl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, only with -v. */
void xl_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The logger to give Xen's libraries: their own messages only with -v
 * (xl says what failed itself, in terms of what the user asked). */
struct xentoollog_logger *xl_logger(void);

uint64_t xl_now_ms(void);   /* monotonic */
void xl_sleep_ms(unsigned ms);

#endif
