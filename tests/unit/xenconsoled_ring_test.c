/* xenconsoled's ring and buffer logic: the backend half of the console
 * ring (index checks, wrap-around of the arrays and of the u32 indices,
 * what a corrupt index leaves untouched) and the bounded output buffer
 * (discard-oldest and keep policies, growth), the latter also against a
 * simple model over many random operations. */
#include "dom0/xenconsoled/ring.c"
#include "dom0/xenconsoled/outbuf.c"

#include <stdlib.h>

#include "tests/lib/tap.h"

static struct xencons_interface ring;

static void reset(uint32_t in_idx, uint32_t out_idx)
{
    memset(&ring, 0, sizeof(ring));
    ring.in_cons = ring.in_prod = in_idx;
    ring.out_cons = ring.out_prod = out_idx;
}

/* The guest's side: hvc_xen producing output. */
static void guest_print(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        ring.out[MASK_XENCONS_IDX(ring.out_prod + i, ring.out)] = s[i];
    ring.out_prod += (uint32_t)n;
}

static void test_output(void)
{
    char buf[4096];
    char big[RING_OUT_SIZE];
    int n;
    size_t i;

    reset(0, 0);
    CHECK("empty ring: nothing pending", ring_out_pending(&ring) == 0, "%d",
          ring_out_pending(&ring));
    CHECK("empty ring: take returns 0, out_cons unchanged",
          ring_out_take(&ring, buf, sizeof(buf)) == 0 && ring.out_cons == 0, "mismatch");

    guest_print("hello", 5);
    n = ring_out_take(&ring, buf, sizeof(buf));
    CHECK("take: bytes and out_cons", n == 5 && !memcmp(buf, "hello", 5) && ring.out_cons == 5,
          "n %d cons %u", n, ring.out_cons);

    guest_print("abcdefgh", 8);
    n = ring_out_take(&ring, buf, 3);
    CHECK("take honours max", n == 3 && !memcmp(buf, "abc", 3) && ring.out_cons == 8,
          "n %d cons %u", n, ring.out_cons);
    n = ring_out_take(&ring, buf, sizeof(buf));
    CHECK("take the rest", n == 5 && !memcmp(buf, "defgh", 5), "n %d", n);

    reset(0, RING_OUT_SIZE - 7);
    guest_print("0123456789ABCDEFGHIJ", 20);
    n = ring_out_take(&ring, buf, sizeof(buf));
    CHECK("take across the end of the array", n == 20 && !memcmp(buf, "0123456789ABCDEFGHIJ", 20),
          "n %d '%.20s'", n, buf);
    CHECK("wrapped bytes sit at the array's start", !memcmp(ring.out, "789ABCDEFGHIJ", 13), "mismatch");

    reset(0, 0xfffffff0u);
    guest_print("across the u32 wrap of the index!", 33);
    n = ring_out_take(&ring, buf, sizeof(buf));
    CHECK("take across the u32 index wrap", n == 33 && ring.out_cons == 0x11 &&
          !memcmp(buf, "across the u32 wrap of the index!", 33), "n %d cons %#x", n,
          ring.out_cons);

    reset(0, 100);
    for (i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7);
    guest_print(big, sizeof(big));
    n = ring_out_take(&ring, buf, sizeof(buf));
    CHECK("a completely full ring (2048 bytes) is valid", n == (int)RING_OUT_SIZE &&
          !memcmp(buf, big, sizeof(big)), "n %d", n);

    reset(0, 100);
    ring.out_prod = 100 + RING_OUT_SIZE + 1;
    memset(buf, 'q', sizeof(buf));
    n = ring_out_take(&ring, buf, sizeof(buf));
    CHECK("2049 bytes pending: -EPROTO", n == -EPROTO && ring_out_pending(&ring) == -EPROTO,
          "n %d", n);
    CHECK("...and nothing copied or consumed", buf[0] == 'q' && ring.out_cons == 100, "mismatch");

    reset(0, 100);
    ring.out_cons = 101;
    CHECK("producer behind consumer: -EPROTO", ring_out_take(&ring, buf, 1) == -EPROTO &&
          ring.out_cons == 101, "mismatch");
    CHECK("ring_check reports the out ring", ring_check(&ring) == -EPROTO, "mismatch");
}

static void test_input(void)
{
    char data[1500], got[RING_IN_SIZE];
    uint32_t i;
    int n;

    for (i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    reset(0, 0);
    memset(ring.out, 'o', sizeof(ring.out));
    CHECK("empty input ring: 1024 free", ring_in_space(&ring) == (int)RING_IN_SIZE, "%d",
          ring_in_space(&ring));
    n = ring_in_put(&ring, data, sizeof(data));
    CHECK("put stops at the ring's size", n == (int)RING_IN_SIZE && ring.in_prod == RING_IN_SIZE,
          "n %d prod %u", n, ring.in_prod);
    CHECK("put wrote the bytes in order", !memcmp(ring.in, data, RING_IN_SIZE), "mismatch");
    CHECK("put touched neither out[] nor the output indices",
          ring.out[0] == 'o' && ring.out[RING_OUT_SIZE - 1] == 'o' && ring.out_cons == 0 &&
          ring.out_prod == 0, "mismatch");
    CHECK("full: no space, put takes nothing", ring_in_space(&ring) == 0 &&
          ring_in_put(&ring, data, 5) == 0 && ring.in_prod == RING_IN_SIZE, "mismatch");

    ring.in_cons = 1000;            /* the guest read 1000 bytes */
    n = ring_in_put(&ring, "WXYZ0123456789", 14);
    CHECK("put after the guest consumed, wrapping", n == 14 && ring.in_prod == RING_IN_SIZE + 14,
          "n %d", n);
    for (i = 0; i < 14; i++)
        got[i] = ring.in[MASK_XENCONS_IDX(RING_IN_SIZE + i, ring.in)];
    CHECK("wrapped input lands at the array's start", !memcmp(got, "WXYZ0123456789", 14), "mismatch");

    reset(0xfffffffeu, 0);
    n = ring_in_put(&ring, "wrap", 4);
    CHECK("put across the u32 index wrap", n == 4 && ring.in_prod == 2 &&
          ring.in[RING_IN_SIZE - 2] == 'w' && ring.in[1] == 'p', "n %d prod %u", n, ring.in_prod);

    reset(0, 0);
    ring.in_prod = 10;
    ring.in_cons = 10 + 3000;       /* consumer ahead of producer */
    memset(ring.in, 'i', sizeof(ring.in));
    CHECK("in_cons ahead of in_prod: -EPROTO", ring_in_space(&ring) == -EPROTO &&
          ring_in_put(&ring, "x", 1) == -EPROTO, "mismatch");
    CHECK("...and nothing written", ring.in[10] == 'i' && ring.in_prod == 10, "mismatch");
    CHECK("ring_check reports the in ring", ring_check(&ring) == -EPROTO, "mismatch");
    reset(5, 5);
    ring.in_prod = 5 + RING_IN_SIZE + 1;
    CHECK("1025 bytes unconsumed: -EPROTO", ring_in_space(&ring) == -EPROTO, "mismatch");
    reset(5, 5);
    CHECK("ring_check of a sane ring", ring_check(&ring) == 0, "mismatch");
}

static void test_outbuf(void)
{
    char store[8], big[16], *p2;
    const char *p;
    struct outbuf ob;
    size_t n;

    outbuf_init(&ob, store, sizeof(store));
    CHECK("outbuf: starts empty", outbuf_len(&ob) == 0 && outbuf_space(&ob) == 8, "mismatch");
    n = outbuf_append(&ob, "abcde", 5, true);
    CHECK("outbuf: append", n == 5 && outbuf_len(&ob) == 5, "mismatch");
    n = outbuf_peek(&ob, &p);
    CHECK("outbuf: peek", n == 5 && !memcmp(p, "abcde", 5), "mismatch");
    outbuf_consume(&ob, 2);
    n = outbuf_append(&ob, "fghij", 5, true);
    CHECK("outbuf: append up to full, nothing dropped", n == 5 && outbuf_len(&ob) == 8 &&
          ob.dropped == 0, "len %zu dropped %llu", outbuf_len(&ob),
          (unsigned long long)ob.dropped);
    n = outbuf_peek(&ob, &p);
    CHECK("outbuf: peek gives the run up to the array end", n == 6 && !memcmp(p, "cdefgh", 6),
          "n %zu", n);
    n = outbuf_append(&ob, "XYZ", 3, true);
    CHECK("outbuf discard: full buffer drops the oldest", n == 3 && outbuf_len(&ob) == 8 &&
          ob.dropped == 3, "len %zu dropped %llu", outbuf_len(&ob),
          (unsigned long long)ob.dropped);
    n = outbuf_peek(&ob, &p);
    memcpy(big, p, n);
    outbuf_consume(&ob, n);
    n += outbuf_peek(&ob, &p);
    memcpy(big + (n - outbuf_len(&ob)), p, outbuf_len(&ob));
    CHECK("outbuf discard: newest 8 bytes kept, in order", n == 8 && !memcmp(big, "fghijXYZ", 8),
          "'%.8s'", big);
    outbuf_consume(&ob, 8);
    CHECK("outbuf: consuming everything restarts at 0", ob.len == 0 && ob.head == 0, "mismatch");

    n = outbuf_append(&ob, "0123456789ABCDEF", 16, true);
    outbuf_peek(&ob, &p);
    CHECK("outbuf discard: more than the capacity keeps the tail", n == 16 &&
          outbuf_len(&ob) == 8 && !memcmp(p, "89ABCDEF", 8) && ob.dropped == 3 + 8, "mismatch");

    outbuf_init(&ob, store, sizeof(store));
    outbuf_append(&ob, "abcdef", 6, false);
    n = outbuf_append(&ob, "ghijk", 5, false);
    CHECK("outbuf keep: accepts only what fits", n == 2 && outbuf_len(&ob) == 8 &&
          ob.dropped == 0, "n %zu", n);
    CHECK("outbuf keep: full accepts nothing", outbuf_append(&ob, "z", 1, false) == 0, "mismatch");

    outbuf_init(&ob, store, sizeof(store));
    outbuf_append(&ob, "abcdef", 6, true);
    outbuf_consume(&ob, 4);
    outbuf_append(&ob, "ghijk", 5, true);      /* wraps: "efghijk" */
    p2 = malloc(32);
    outbuf_move(&ob, p2, 32);
    n = outbuf_peek(&ob, &p);
    CHECK("outbuf_move linearizes into the new storage", n == 7 && p == p2 &&
          !memcmp(p, "efghijk", 7) && ob.cap == 32, "n %zu", n);
    n = outbuf_append(&ob, "0123456789", 10, false);
    CHECK("...and the new capacity is usable", n == 10 && outbuf_len(&ob) == 17, "mismatch");
    outbuf_move(&ob, store, 8);
    CHECK("outbuf_move refuses storage that is too small", ob.data == p2, "mismatch");
    free(p2);
}

/* Random appends, consumes and moves against a plain array model. */
static void test_outbuf_model(void)
{
    enum { CAP = 61, OPS = 200000 };
    static char store[2][4 * CAP], model[1 << 16], chunk[3 * CAP];
    struct outbuf ob;
    size_t mlen = 0, cap = CAP;
    uint64_t dropped = 0, seed = 12345;
    int i, bad = 0, which = 0;

    outbuf_init(&ob, store[0], CAP);
    for (i = 0; i < OPS && !bad; i++) {
        unsigned op, n, k;
        bool discard;
        const char *p;
        size_t run;

        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        op = (unsigned)(seed >> 33) % 7;
        n = (unsigned)(seed >> 40) % (unsigned)(3 * CAP);
        discard = (seed >> 20) & 1;
        if (op < 3) {
            size_t acc;

            for (k = 0; k < n; k++)
                chunk[k] = (char)(i + k);
            acc = outbuf_append(&ob, chunk, n, discard);
            if (discard) {
                memcpy(model + mlen, chunk, n);
                mlen += n;
                if (mlen > cap) {
                    dropped += mlen - cap;
                    memmove(model, model + mlen - cap, cap);
                    mlen = cap;
                }
                bad |= acc != n;
            } else {
                size_t fit = cap - mlen < n ? cap - mlen : n;

                memcpy(model + mlen, chunk, fit);
                mlen += fit;
                bad |= acc != fit;
            }
        } else if (op < 6) {
            run = outbuf_peek(&ob, &p);
            bad |= run > mlen || (mlen && !run) || memcmp(p, model, run) != 0;
            k = run ? n % (unsigned)(run + 1) : 0;
            outbuf_consume(&ob, k);
            memmove(model, model + k, mlen - k);
            mlen -= k;
        } else if (cap < sizeof(store[0])) {
            which ^= 1;
            cap = cap * 2 > sizeof(store[0]) ? sizeof(store[0]) : cap * 2;
            outbuf_move(&ob, store[which], cap);
        }
        bad |= outbuf_len(&ob) != mlen || ob.cap != cap || ob.dropped != dropped ||
               ob.head >= ob.cap;
    }
    CHECK("outbuf matches a model over 200000 random operations", !bad,
          "diverged at op %d (len %zu model %zu)", i, outbuf_len(&ob), mlen);
}

/* Random ring states and guest races: whatever the indices say, the
 * functions either refuse or stay within the arrays and the limits. */
static void test_ring_random(void)
{
    char buf[RING_OUT_SIZE + 16], src[RING_IN_SIZE + 16];
    uint64_t seed = 99;
    int i, bad = 0;

    memset(src, 's', sizeof(src));
    for (i = 0; i < 100000 && !bad; i++) {
        uint32_t ic, ip, oc, op, dist;
        int n;

        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        oc = (uint32_t)(seed >> 32);
        dist = (uint32_t)seed % 4 == 0 ? (uint32_t)(seed >> 7) : (uint32_t)(seed >> 40) % 2100;
        op = oc + dist;
        ic = (uint32_t)(seed >> 16);
        ip = ic + ((uint32_t)seed % 3 == 0 ? (uint32_t)(seed >> 3) : (uint32_t)(seed >> 44) % 1100);
        ring.out_cons = oc;
        ring.out_prod = op;
        ring.in_cons = ic;
        ring.in_prod = ip;
        n = ring_out_take(&ring, buf, (seed >> 5) % 3000);
        if (op - oc > RING_OUT_SIZE)
            bad |= n != -EPROTO || ring.out_cons != oc;
        else
            bad |= n < 0 || (uint32_t)n > op - oc || ring.out_cons != oc + (uint32_t)n;
        n = ring_in_put(&ring, src, (seed >> 9) % 2000);
        if (ip - ic > RING_IN_SIZE)
            bad |= n != -EPROTO || ring.in_prod != ip;
        else
            bad |= n < 0 || (uint32_t)n > RING_IN_SIZE - (ip - ic) || ring.in_prod != ip + (uint32_t)n;
    }
    CHECK("100000 random index states: refused or within limits", !bad, "case %d", i);
}

int main(void)
{
    TAP_PLAN(42);
    test_output();
    test_input();
    test_outbuf();
    test_outbuf_model();
    test_ring_random();
    TAP_EXIT();
}
