/* One guest console: its mapped ring page, the event channel bound to the
 * guest's port, the pty it is offered on, the output waiting for that pty
 * and the optional log file; and the moving of bytes between them.
 *
 * This file knows nothing of xenstore: domain.c decides when to connect
 * and disconnect and publishes the pty path. Functions that move bytes
 * return 0, -EPROTO when the guest corrupted the ring indices (the caller
 * stops serving the console), or -EIO when the pty failed. */
#ifndef XENCONSOLED_CONSOLE_H
#define XENCONSOLED_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xen/io/console.h>

#include "guestlog.h"
#include "outbuf.h"
#include "platform.h"
#include "pty.h"

/* A guest may notify at most this many times per window before we leave
 * its port masked until the window ends (then we catch up in one go): a
 * guest that kicks in a loop costs Dom0 a bounded amount of work. Xen's
 * daemon does the same (30 events per 200 ms); ours is looser because
 * each event moves up to a whole ring. */
#define CONSOLE_RATE_EVENTS 64
#define CONSOLE_RATE_WINDOW_MS 100

/* Bounds on the output buffer (xenstore `limit`, as libxl writes it). It
 * starts at CONSOLE_BUF_START and doubles while output waits for the pty,
 * up to the limit, so a console somebody reads costs little memory. */
#define CONSOLE_BUF_DEFAULT (1u << 20)
#define CONSOLE_BUF_MIN 1024u
#define CONSOLE_BUF_MAX (16u << 20)
#define CONSOLE_BUF_START 4096u

struct console {
    unsigned domid;
    bool connected;             /* ring mapped and port bound */
    struct platform_page page;
    struct xencons_interface *intf;
    int local_port;             /* -1 when unbound */
    bool by_grant;              /* mapped through grant ref 0, else by GFN */
    struct pty pty;
    struct guestlog log;
    struct outbuf out;
    char *out_storage;
    size_t out_limit;           /* the most out.cap may grow to */
    bool overflowing;           /* dropping output now (reported once) */
    /* Rate limiting, see CONSOLE_RATE_EVENTS. */
    unsigned events;
    int64_t window_end;
    bool deferred;
};

void console_init(struct console *c, unsigned domid);

/* Maps the ring (grant reference 0, else the GFN), binds the guest's
 * port, and opens a pty and the output buffer unless they exist already
 * (so a ring-ref or port change keeps the pty). 0 or -errno; on failure
 * the ring is left unmapped and unbound. */
int console_connect(struct console *c, uint64_t gfn, unsigned port, size_t bufsize);
/* Unbinds and unmaps only (before reconnecting to a new ring-ref/port). */
void console_release_ring(struct console *c);
/* Everything: ring, port, pty, log, buffer. */
void console_disconnect(struct console *c);
/* A new pty in place of a failed one (its path changes). 0 or -errno. */
int console_reopen_pty(struct console *c);

/* Moves what is ready in both directions without waiting for an event:
 * at connect time, and after a rate-limit window. */
int console_kick(struct console *c);
/* The guest notified our port. */
int console_event(struct console *c, int64_t now_ms);
/* Both rings' indices are sane (checked before every poll, so corrupt
 * input indices are noticed even if the guest never notifies). */
int console_check(const struct console *c);
/* poll() events wanted on the pty master; 0 when none. */
short console_poll_events(const struct console *c);
int console_pty_ready(struct console *c, short revents);

/* Rate limiting: when the console next needs console_tick() (INT64_MAX:
 * never), and the tick itself. */
int64_t console_deadline(const struct console *c);
int console_tick(struct console *c, int64_t now_ms);

#endif
