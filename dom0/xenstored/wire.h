/* The xenstore wire protocol (xen/io/xs_wire.h): request payload parsing
 * and the replies, errors and watch events sent back. */
#ifndef XENSTORED_WIRE_H
#define XENSTORED_WIRE_H

#include <errno.h>
#include <stdint.h>
#include "xs_abi.h"

struct conn;
struct txn;

/* One request being handled. body has hdr.len bytes plus a terminating NUL
 * added by the daemon, so string functions cannot run off its end. */
struct request {
    struct conn *conn;
    struct txn *txn;
    struct xsd_sockmsg hdr;
    const char *body;
};

const char *wire_type_name(uint32_t type);
/* Name from the xsd_errors table; unknown numbers become EINVAL, as in Xen. */
const char *wire_error_name(int err);
/* Number of NUL-terminated strings in the payload (bytes after the last NUL
 * are not a string). */
unsigned wire_count_strings(const struct request *r);
/* Pointers to the first `max` strings; returns wire_count_strings(). */
unsigned wire_strings(const struct request *r, const char **vec, unsigned max);
/* The payload if it is exactly one string, else NULL. */
const char *wire_onearg(const struct request *r);

void reply_data(struct request *r, const void *data, unsigned len);
void reply_string(struct request *r, const char *s);
void reply_ok(struct request *r);
void reply_error(struct request *r, int err);
void wire_send_event(struct conn *c, const char *path, const char *token);

#endif
