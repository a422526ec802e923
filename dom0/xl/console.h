/*
 * `xl console`: the terminal connected to a domain's console pty, which
 * xenconsoled creates and names in /local/domain/N/console/tty. Ctrl-]
 * detaches.
 */
#ifndef XL_CONSOLE_H
#define XL_CONSOLE_H

#include <stdint.h>

#define CONSOLE_ESCAPE 0x1d            /* Ctrl-] */
#define CONSOLE_TTY_WAIT_MS 10000      /* for xenconsoled to publish the pty */

/* Returns the exit status: 0 after a detach or when the console closes. */
int console_attach(uint32_t domid);

#endif
