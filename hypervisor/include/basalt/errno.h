/* Error numbers: the Xen ABI's own list (public/errno.h), as plain E* names. */
#ifndef BASALT_ERRNO_H
#define BASALT_ERRNO_H

#define XEN_ERRNO(name, value) name = value,
enum basalt_errno {
#include <xen/errno.h>
};

#endif
