/* XS_CONTROL: daemon housekeeping commands for privileged clients
 * (xenstore-control). Implementation-specific by definition. */
#ifndef XENSTORED_CONTROL_H
#define XENSTORED_CONTROL_H

struct request;

int control_handle(struct request *r);

#endif
