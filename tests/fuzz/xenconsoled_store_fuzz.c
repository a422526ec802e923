/* Fuzzes the message parsing of xenconsoled's xenstore client: arbitrary
 * bytes arrive from the connection in arbitrary pieces (a socketpair
 * stands in for xenstored) and are pumped through store_pump(), and the
 * name-list splitter gets arbitrary directory payloads.
 *
 * Input: [n][n bytes of stream]... pieces (n = one byte), then the rest is
 * a directory payload. Checked (besides ASan/UBSan): every queued event
 * has a NUL-terminated path and token inside its block, a malformed header
 * kills the connection rather than desynchronising it, split_strings gives
 * exactly the names the payload holds, and nothing is left allocated. */
#include "dom0/xenconsoled/store.c"
#include "dom0/lib/mem.c"
#include "dom0/lib/xenstored_path.c"

#include <stdarg.h>
#include <stdlib.h>

/* In place of log.c: lost connections are the normal case here, and a
 * line each would fill the fuzz log. The message is still formatted. */
void log_msg(enum log_level lvl, const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    (void)lvl;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];
    size_t i = 0;
    struct mem_stats m;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 0;
    fd = sv[0];
    fcntl(fd, F_SETFL, O_NONBLOCK);
    dead = false;
    in_len = 0;
    while (i < size && size - i > 1 && data[i] != 0xff) {
        size_t n = data[i++];
        const char *path, *token;
        void *ev;

        if (n > size - i)
            n = size - i;
        if (write(sv[1], data + i, n) != (ssize_t)n)
            break;
        i += n;
        store_pump();
        while ((ev = store_next_event(&path, &token))) {
            if (strlen(path) + strlen(token) + 2 > 2 * XENSTORE_PAYLOAD_MAX)
                __builtin_trap();
            store_free(ev);
        }
        if (dead)
            break;
        if (in_len >= HDR_SIZE && ((struct xsd_sockmsg *)inbuf)->len > XENSTORE_PAYLOAD_MAX)
            __builtin_trap();           /* should have been refused */
    }
    if (i < size) {
        unsigned count = 0, want = 0, k;
        size_t len = size - i, off;
        char **v = split_strings((const char *)data + i, len, &count);

        for (off = 0; off < len; off += strnlen((const char *)data + i + off, len - off) + 1)
            want++;
        if (count != want)
            __builtin_trap();
        for (k = 0; k < count; k++)
            if (!v[k] || (size_t)(v[k] - (char *)(v + count + 1)) > len)
                __builtin_trap();
        store_free(v);
    }
    store_close();
    close(sv[1]);
    mem_get_stats(&m);
    if (m.blocks)
        __builtin_trap();
    return 0;
}
