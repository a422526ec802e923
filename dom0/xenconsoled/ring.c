#include "ring.h"

#include <errno.h>
#include <string.h>

/* The guest writes these words concurrently; one atomic load each so that
 * the value we check is the value we use. */
static uint32_t load_acquire(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

int ring_out_pending(const struct xencons_interface *intf)
{
    uint32_t cons = load_acquire(&intf->out_cons);
    uint32_t prod = load_acquire(&intf->out_prod);
    uint32_t n = prod - cons;

    return n > RING_OUT_SIZE ? -EPROTO : (int)n;
}

int ring_out_take(struct xencons_interface *intf, char *dst, size_t max)
{
    uint32_t cons = load_acquire(&intf->out_cons);
    uint32_t prod = load_acquire(&intf->out_prod);
    uint32_t n = prod - cons, done = 0;

    if (n > RING_OUT_SIZE)
        return -EPROTO;
    if (n > max)
        n = (uint32_t)max;
    /* At most two pieces: up to the end of the array, then from its start. */
    while (done < n) {
        uint32_t off = MASK_XENCONS_IDX(cons + done, intf->out);
        uint32_t chunk = (uint32_t)RING_OUT_SIZE - off;

        if (chunk > n - done)
            chunk = n - done;
        memcpy(dst + done, intf->out + off, chunk);
        done += chunk;
    }
    if (n)
        store_release(&intf->out_cons, cons + n);
    return (int)n;
}

int ring_in_space(const struct xencons_interface *intf)
{
    uint32_t cons = load_acquire(&intf->in_cons);
    uint32_t prod = load_acquire(&intf->in_prod);
    uint32_t used = prod - cons;

    return used > RING_IN_SIZE ? -EPROTO : (int)(RING_IN_SIZE - used);
}

int ring_in_put(struct xencons_interface *intf, const char *src, size_t len)
{
    uint32_t cons = load_acquire(&intf->in_cons);
    uint32_t prod = load_acquire(&intf->in_prod);
    uint32_t used = prod - cons, n, done = 0;

    if (used > RING_IN_SIZE)
        return -EPROTO;
    n = (uint32_t)RING_IN_SIZE - used;
    if (n > len)
        n = (uint32_t)len;
    while (done < n) {
        uint32_t off = MASK_XENCONS_IDX(prod + done, intf->in);
        uint32_t chunk = (uint32_t)RING_IN_SIZE - off;

        if (chunk > n - done)
            chunk = n - done;
        memcpy(intf->in + off, src + done, chunk);
        done += chunk;
    }
    if (n)
        store_release(&intf->in_prod, prod + n);
    return (int)n;
}

int ring_check(const struct xencons_interface *intf)
{
    if (ring_out_pending(intf) < 0 || ring_in_space(intf) < 0)
        return -EPROTO;
    return 0;
}
