/* Xen's xenstore ABI header, included the one way that compiles: it uses
 * uint32_t and only defines its error table when errno names exist. */
#ifndef XENSTORED_XS_ABI_H
#define XENSTORED_XS_ABI_H

#include <errno.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#endif
