/* A bounded FIFO of console output waiting for the pty: what the guest
 * printed that the pty has not accepted yet (nobody attached, or a slow
 * reader).
 *
 * Two policies, as Xen's xenconsoled `--overflow-data`:
 *  - discard (default): appending always succeeds; when the buffer is full
 *    the oldest bytes are dropped, so the guest never waits for a reader
 *    and whoever attaches sees the most recent output;
 *  - keep: appending stops at the capacity; the caller then leaves the rest
 *    in the guest's ring, and the guest waits (back-pressure).
 *
 * The storage is supplied by the caller so that this file needs no
 * allocator (it is shared with the unit test and the fuzzer). */
#ifndef XENCONSOLED_OUTBUF_H
#define XENCONSOLED_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outbuf {
    char *data;
    size_t cap;
    size_t head;        /* index of the oldest byte */
    size_t len;
    uint64_t dropped;   /* bytes discarded since outbuf_init */
};

void outbuf_init(struct outbuf *ob, char *storage, size_t cap);
/* Appends `n` bytes. With `discard`, all are accepted (the oldest bytes,
 * possibly including some of these, are dropped to make room); otherwise
 * only what fits. Returns the number of bytes of `src` accepted. */
size_t outbuf_append(struct outbuf *ob, const char *src, size_t n, bool discard);
/* Moves the contents into new storage of `cap` >= outbuf_len() bytes (to
 * grow the buffer); the old storage is the caller's to free. */
void outbuf_move(struct outbuf *ob, char *storage, size_t cap);
/* The oldest contiguous run of buffered bytes; returns its length. */
size_t outbuf_peek(const struct outbuf *ob, const char **p);
void outbuf_consume(struct outbuf *ob, size_t n);

static inline size_t outbuf_len(const struct outbuf *ob)
{
    return ob->len;
}

static inline size_t outbuf_space(const struct outbuf *ob)
{
    return ob->cap - ob->len;
}

#endif
