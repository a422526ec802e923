/* Fuzzes xenconsoled's side of the console ring and its output buffer
 * with arbitrary ring contents and indices, and a hostile guest that
 * rewrites indices between our operations.
 *
 * Input: up to sizeof(struct xencons_interface) bytes are the initial
 * ring page (short inputs are zero-padded), the rest is a list of
 * operations, one selector byte each plus arguments:
 *   0  guest writes index (1 byte: which, 4 bytes: value)
 *   1  backend takes output (2 bytes: max) and appends it to the buffer
 *      (1 byte: discard or keep), as console.c's pull does
 *   2  backend puts keyboard input (2 bytes: length)
 *   3  backend drains the buffer to the "pty" (2 bytes: how much)
 *   4  buffer grows (outbuf_move into a bigger allocation)
 *   5  guest writes data bytes (2 bytes: offset, 1 byte: value)
 *
 * Checked: the page and every buffer are separate exact-size allocations,
 * so any access outside them is an ASan report; a take/put either returns
 * -EPROTO and changes nothing, or moves exactly min(available, asked)
 * bytes from/to the masked positions and advances only its own index by
 * that much; the buffer matches a plain model (discard drops the oldest,
 * keep accepts what fits) and what the "pty" receives is a suffix-ordered
 * subsequence of what was taken. */
#include "dom0/xenconsoled/ring.c"
#include "dom0/xenconsoled/outbuf.c"

#include <stdlib.h>

#define MODEL_MAX (1 << 16)

struct model {
    char data[MODEL_MAX];
    size_t len;
};

static uint32_t rd32(const uint8_t **p, size_t *left)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < 4 && *left; i++, (*p)++, (*left)--)
        v |= (uint32_t)**p << (8 * i);
    return v;
}

static unsigned rd16(const uint8_t **p, size_t *left)
{
    return (unsigned)(rd32(p, left) & 0xffff);
}

static unsigned rd8(const uint8_t **p, size_t *left)
{
    unsigned v = 0;

    if (*left) {
        v = **p;
        (*p)++;
        (*left)--;
    }
    return v;
}

static void model_append(struct model *m, size_t cap, const char *src, size_t n, bool discard,
                         size_t accepted)
{
    if (discard) {
        if (accepted != n)
            __builtin_trap();
        if (n >= cap) {
            memcpy(m->data, src + n - cap, cap);
            m->len = cap;
            return;
        }
        if (m->len + n > cap) {
            size_t drop = m->len + n - cap;

            memmove(m->data, m->data + drop, m->len - drop);
            m->len -= drop;
        }
    } else {
        size_t fit = cap - m->len < n ? cap - m->len : n;

        if (accepted != fit)
            __builtin_trap();
        n = fit;
    }
    memcpy(m->data + m->len, src, n);
    m->len += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xencons_interface *intf = calloc(1, sizeof(*intf));
    size_t page = size < sizeof(*intf) ? size : sizeof(*intf);
    const uint8_t *p = data + page;
    size_t left = size - page, cap = 64;
    static struct model m;
    struct outbuf ob;
    char *storage = malloc(cap);

    memcpy(intf, data, page);
    m.len = 0;
    outbuf_init(&ob, storage, cap);

    while (left) {
        unsigned op = rd8(&p, &left) % 6;

        switch (op) {
        case 0: {
            unsigned which = rd8(&p, &left) % 4;
            uint32_t v = rd32(&p, &left);
            uint32_t *idx[] = { &intf->in_cons, &intf->in_prod, &intf->out_cons,
                                &intf->out_prod };

            *idx[which] = v;
            break;
        }
        case 1: {
            size_t max = rd16(&p, &left) % (RING_OUT_SIZE + 64) + 1;
            bool discard = rd8(&p, &left) & 1;
            char *buf = malloc(max);
            struct xencons_interface before = *intf;
            uint32_t avail = before.out_prod - before.out_cons;
            int n = ring_out_take(intf, buf, max);
            size_t accepted;
            uint32_t i;

            if (avail > RING_OUT_SIZE) {
                if (n != -EPROTO || memcmp(&before, intf, sizeof(before)))
                    __builtin_trap();
                free(buf);
                break;
            }
            if (n < 0 || (uint32_t)n != (avail < max ? avail : max))
                __builtin_trap();
            if (intf->out_cons != before.out_cons + (uint32_t)n ||
                intf->out_prod != before.out_prod || intf->in_cons != before.in_cons ||
                intf->in_prod != before.in_prod || memcmp(intf->in, before.in, RING_IN_SIZE) ||
                memcmp(intf->out, before.out, RING_OUT_SIZE))
                __builtin_trap();
            for (i = 0; i < (uint32_t)n; i++)
                if (buf[i] != before.out[MASK_XENCONS_IDX(before.out_cons + i, before.out)])
                    __builtin_trap();
            accepted = outbuf_append(&ob, buf, (size_t)n, discard);
            model_append(&m, ob.cap, buf, (size_t)n, discard, accepted);
            free(buf);
            break;
        }
        case 2: {
            size_t len = rd16(&p, &left) % (RING_IN_SIZE + 64);
            char *src = malloc(len + 1);
            struct xencons_interface before;
            uint32_t used, room, i;
            int n;

            for (i = 0; i < len; i++)
                src[i] = (char)(i * 31 + 7);
            before = *intf;
            used = before.in_prod - before.in_cons;
            n = ring_in_put(intf, src, len);
            if (used > RING_IN_SIZE) {
                if (n != -EPROTO || memcmp(&before, intf, sizeof(before)))
                    __builtin_trap();
                free(src);
                break;
            }
            room = (uint32_t)RING_IN_SIZE - used;
            if (n < 0 || (uint32_t)n != (room < len ? room : len) ||
                intf->in_prod != before.in_prod + (uint32_t)n ||
                intf->in_cons != before.in_cons || intf->out_cons != before.out_cons ||
                intf->out_prod != before.out_prod ||
                memcmp(intf->out, before.out, RING_OUT_SIZE))
                __builtin_trap();
            for (i = 0; i < (uint32_t)n; i++)
                if (intf->in[MASK_XENCONS_IDX(before.in_prod + i, intf->in)] != src[i])
                    __builtin_trap();
            free(src);
            break;
        }
        case 3: {
            size_t want = rd16(&p, &left) % 200;

            while (want && outbuf_len(&ob)) {
                const char *run;
                size_t n = outbuf_peek(&ob, &run);

                if (n > want)
                    n = want;
                if (!n || n > m.len || memcmp(run, m.data, n))
                    __builtin_trap();
                outbuf_consume(&ob, n);
                memmove(m.data, m.data + n, m.len - n);
                m.len -= n;
                want -= n;
            }
            break;
        }
        case 4: {
            size_t ncap = cap * 2;
            char *ns;

            if (ncap > MODEL_MAX)
                break;
            ns = malloc(ncap);
            outbuf_move(&ob, ns, ncap);
            free(storage);
            storage = ns;
            cap = ncap;
            break;
        }
        case 5: {
            unsigned off = rd16(&p, &left) % sizeof(intf->out);

            intf->out[off] = (char)rd8(&p, &left);
            break;
        }
        }
        if (outbuf_len(&ob) != m.len || ob.cap != cap || m.len > cap ||
            (ob.len && ob.head >= ob.cap))
            __builtin_trap();
        (void)ring_check(intf);
    }
    free(storage);
    free(intf);
    return 0;
}
