/* Where xenstored's unix socket is: the rule libxenstore, xenstored and
 * every Dom0 tool agree on. */
#ifndef DOM0_LIB_XENSTORED_PATH_H
#define DOM0_LIB_XENSTORED_PATH_H

#include <stddef.h>

/* $XENSTORED_PATH, else ${XENSTORED_RUNDIR:-/var/run/xenstored}/socket (an
 * empty variable counts as unset), in buf. Returns buf, or NULL if the
 * path does not fit in len bytes. */
const char *xenstored_socket_path(char *buf, size_t len);

#endif
