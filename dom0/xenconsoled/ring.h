/* The backend's half of a PV console ring (struct xencons_interface from
 * xen/io/console.h): the guest produces into `out` and we consume, we
 * produce into `in` (keyboard input) and the guest consumes.
 *
 * The page is shared with the guest, which may change any byte of it at any
 * time. Every function here reads each index once, checks that the two
 * indices of a ring are at most the ring's size apart (free-running u32
 * counters, so the distance is prod - cons modulo 2^32), and only then
 * touches the data, always through a masked index. A bad distance returns
 * -EPROTO and changes nothing; what to do about it is the caller's choice.
 *
 * Ordering: the producer's index is read with acquire semantics before the
 * bytes it covers, and our own index is published with release semantics
 * after the bytes (the write barrier Xen's protocol asks for). The caller
 * notifies the event channel after an index moved. */
#ifndef XENCONSOLED_RING_H
#define XENCONSOLED_RING_H

#include <stddef.h>
#include <stdint.h>
#include <xen/io/console.h>

#define RING_OUT_SIZE sizeof(((struct xencons_interface *)0)->out)
#define RING_IN_SIZE sizeof(((struct xencons_interface *)0)->in)

/* Bytes the guest has produced and we have not consumed, or -EPROTO. */
int ring_out_pending(const struct xencons_interface *intf);
/* Copies up to `max` pending output bytes to `dst` and consumes them
 * (advances out_cons). Returns the count, or -EPROTO. */
int ring_out_take(struct xencons_interface *intf, char *dst, size_t max);

/* Free bytes in the guest's input ring, or -EPROTO. */
int ring_in_space(const struct xencons_interface *intf);
/* Copies up to `len` bytes (as many as fit) into the input ring and
 * publishes them (advances in_prod). Returns the count, or -EPROTO. */
int ring_in_put(struct xencons_interface *intf, const char *src, size_t len);

/* 0 when both rings' indices are consistent, else -EPROTO. */
int ring_check(const struct xencons_interface *intf);

#endif
