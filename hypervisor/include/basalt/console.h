/* The hypervisor's console: COM1 output, a log ring, and serial input routing. */
#ifndef BASALT_CONSOLE_H
#define BASALT_CONSOLE_H

#include <basalt/types.h>

void console_init(void);
/* Writes raw bytes to the serial line and the log ring (takes the console lock). */
void console_write(const char *s, size_t n);
/* The same for one writer (a domain): its text goes after `prefix` unless it
 * continues the writer's own unfinished line; another writer's unfinished
 * line is ended first. */
void console_write_from(const void *writer, const char *prefix, const char *s, size_t n);
/* For panics and exceptions: write without waiting for the lock. */
void console_write_unlocked(const char *s, size_t n);
/* Copies up to n bytes of the log ring starting at *pos; returns bytes copied. */
size_t console_log_read(char *dst, size_t n, uint64_t *pos);

/* UART driver (arch). */
void uart_init(uint16_t port);
void uart_putc(char c);
int uart_getc(void); /* -1 if no byte is waiting */

#endif
