/* Dispatch of one complete request to its handler. */
#ifndef XENSTORED_REQUEST_H
#define XENSTORED_REQUEST_H

#include "xs_abi.h"

struct conn;

/* body holds hdr->len bytes followed by a NUL. */
void request_handle(struct conn *c, const struct xsd_sockmsg *hdr, const char *body);

#endif
