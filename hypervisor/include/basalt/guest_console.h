/* Guest text on the hypervisor's serial line, and serial input routing. */
#ifndef BASALT_GUEST_CONSOLE_H
#define BASALT_GUEST_CONSOLE_H

#include <basalt/spinlock.h>
#include <basalt/types.h>

struct domain;

#define GUEST_LINE_MAX 256

struct guest_console_out {
    spinlock_t lock;
    char line[GUEST_LINE_MAX + 1]; /* + the line end a full line is given */
    unsigned int len;
    uint64_t budget_bytes;  /* rate limit: bytes it may still print this period */
    uint64_t budget_period; /* period the budget belongs to */
    bool dropping;          /* reported that output is being dropped */
};

/* Prints guest output line by line as "(dID) text"; Dom0's is unprefixed. */
void guest_console_write(struct domain *d, const char *buf, size_t n);
void guest_console_flush(struct domain *d);

/* Serial input: Ctrl-A three times moves it to the next receiver. */
void console_start_input(void);
/* The domain whose console receives serial input now (NULL: the hypervisor). */
struct domain *console_input_owner(void);
void console_input_set_owner(struct domain *d);
/* Called when a domain goes away, so input never points at a dead domain. */
void console_input_domain_gone(struct domain *d);
/* Hooks for receivers: Dom0 reads through CONSOLEIO_read, boot-time DomUs
 * through their PV console ring (served by the hypervisor). */
size_t console_input_read(char *buf, size_t n); /* for the owner Dom0 */

#endif
