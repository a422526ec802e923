/* Writing a whole buffer to a file descriptor, blocking or not. */
#ifndef DOM0_LIB_WRITE_ALL_H
#define DOM0_LIB_WRITE_ALL_H

#include <stddef.h>

/* Writes all len bytes of buf to fd, retrying after a signal and, on a
 * non-blocking fd, waiting in poll() until it takes more. Returns 0, or
 * -1 with errno set (EIO if write() took nothing) when fd fails. */
int write_all(int fd, const void *buf, size_t len);

#endif
