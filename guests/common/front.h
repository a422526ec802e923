/*
 * What a hand-written PV frontend needs, and nothing a well-behaved Linux
 * guest would notice missing: shared_info and grant frame 0 mapped, grants
 * to Dom0, masked event channels waited on with SCHEDOP_poll, a minimal
 * xenstore client on the domain's ring and xenbus state waits. Used by the
 * hostile frontends, which then break the ring protocols on purpose.
 */
#ifndef FRONT_H
#define FRONT_H

#include "guest.h"

#include <xen/io/xenbus.h>

#define FRONT_PAGE_SIZE 4096
#define NS_PER_MS 1000000ULL

extern struct shared_info *front_shared;
extern grant_entry_v1_t *front_grants;

/* Identity-maps the first 4 GiB (the xenstore page lies near 4 GiB), maps
 * shared_info and grant frame 0 and finds the xenstore ring. `who` starts
 * every line this module prints. */
void front_init(const char *who);

/* Prints "<who>: <what> failed: <rc>" and crashes the domain. */
void front_fail(const char *what, long rc) __attribute__((noreturn));

uint64_t front_now_ns(void);
/* Blocks until the domain is destroyed. */
void front_idle(void) __attribute__((noreturn));
unsigned long front_gfn_of(const void *p);

/* Grants `to` the frame `gfn` through the next free reference. */
grant_ref_t front_grant_gfn(unsigned long gfn, domid_t to, bool readonly);
grant_ref_t front_grant(const void *page, bool readonly); /* to Dom0 */
/* A reference nobody has granted yet (for the attacks on grants). */
grant_ref_t front_unused_ref(void);

/* An unbound port for Dom0, masked: events only set the pending bit,
 * which front_wait_event polls. */
evtchn_port_t front_alloc_port(void);
void front_notify(evtchn_port_t port);
void front_wait_event(evtchn_port_t port, uint64_t ms);

/* xenstore: read returns 0, or -1 for an error reply (its text in out);
 * a write that fails crashes the domain. */
int front_xs_read(const char *path, char *out, size_t outlen);
void front_xs_write(const char *path, const char *value);
void front_xs_write_u(const char *path, unsigned long value);

/* The xenbus state in dir/state, or -1. */
int front_read_state(const char *dir);
/* Waits up to ms for dir/state == want; false when it never came. */
bool front_wait_state(const char *dir, int want, uint64_t ms);

/* Text: buf = dir [i] "/" name (i == ~0u: no number). */
void front_key(char *buf, size_t len, const char *dir, unsigned int i, const char *name);
void front_append(char *buf, size_t len, const char *s);
void front_append_u(char *buf, size_t len, unsigned long v);
int front_hex(char c);

#endif
