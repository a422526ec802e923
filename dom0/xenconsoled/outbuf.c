#include "outbuf.h"

#include <string.h>

void outbuf_init(struct outbuf *ob, char *storage, size_t cap)
{
    ob->data = storage;
    ob->cap = cap;
    ob->head = 0;
    ob->len = 0;
    ob->dropped = 0;
}

static void drop_oldest(struct outbuf *ob, size_t n)
{
    if (n > ob->len)
        n = ob->len;
    ob->head = (ob->head + n) % ob->cap;
    ob->len -= n;
    ob->dropped += n;
}

size_t outbuf_append(struct outbuf *ob, const char *src, size_t n, bool discard)
{
    size_t accepted = n, tail, first;

    if (!ob->cap)
        return 0;
    if (discard) {
        /* Only the newest `cap` bytes of src can survive. */
        if (n > ob->cap) {
            ob->dropped += n - ob->cap;
            src += n - ob->cap;
            n = ob->cap;
        }
        if (n > outbuf_space(ob))
            drop_oldest(ob, n - outbuf_space(ob));
    } else if (n > outbuf_space(ob)) {
        n = accepted = outbuf_space(ob);
    }
    tail = (ob->head + ob->len) % ob->cap;
    first = ob->cap - tail < n ? ob->cap - tail : n;
    memcpy(ob->data + tail, src, first);
    memcpy(ob->data, src + first, n - first);
    ob->len += n;
    return accepted;
}

void outbuf_move(struct outbuf *ob, char *storage, size_t cap)
{
    size_t first = ob->cap - ob->head < ob->len ? ob->cap - ob->head : ob->len;

    if (cap < ob->len)
        return;
    memcpy(storage, ob->data + ob->head, first);
    memcpy(storage + first, ob->data, ob->len - first);
    ob->data = storage;
    ob->cap = cap;
    ob->head = 0;
}

size_t outbuf_peek(const struct outbuf *ob, const char **p)
{
    size_t run = ob->cap - ob->head;

    *p = ob->data + ob->head;
    return ob->len < run ? ob->len : run;
}

void outbuf_consume(struct outbuf *ob, size_t n)
{
    if (n > ob->len)
        n = ob->len;
    ob->len -= n;
    /* An empty buffer restarts at 0 so that peeks are one run as long as
     * possible. */
    ob->head = ob->len ? (ob->head + n) % ob->cap : 0;
}
