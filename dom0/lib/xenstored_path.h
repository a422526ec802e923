/* Where xenstored's unix socket is: libxenstore's rule, which xenstored
 * and every Dom0 tool follow so that they all agree with Debian's
 * libxenstore clients (xenstore-*, xl's own requests). */
#ifndef DOM0_LIB_XENSTORED_PATH_H
#define DOM0_LIB_XENSTORED_PATH_H

#include <stddef.h>

/* $XENSTORED_PATH if it is set, else $XENSTORED_RUNDIR/socket, with
 * /var/run/xenstored if XENSTORED_RUNDIR is not set. As in libxenstore, a
 * variable set to the empty string counts as set. The path goes to buf;
 * returns buf, or NULL if the path does not fit in len bytes. */
const char *xenstored_socket_path(char *buf, size_t len);

#endif
