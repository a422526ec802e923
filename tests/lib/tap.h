/*
 * Minimal test reporting for host unit tests (tests/README.md has the
 * protocol): main() starts with TAP_PLAN(n), n being the number of CHECKs
 * the program reports when everything runs; each CHECK prints
 * "ok - NAME" or "not ok - NAME: why"; SETUP is for a step the checks need
 * (a temporary file), reported only when it fails; main() ends with
 * TAP_EXIT().
 */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <stdio.h>

static int tap_failures;

/* Line-buffered, so the lines before a crash (a sanitizer's abort) reach
 * the runner. */
#define TAP_PLAN(n)                                                            \
    do {                                                                       \
        setvbuf(stdout, NULL, _IOLBF, 0);                                      \
        printf("1..%d\n", (n));                                                \
    } while (0)

/* One failed check or step: counted, and its line printed. */
#define TAP_FAIL(name, ...)                                                    \
    do {                                                                       \
        tap_failures++;                                                        \
        printf("not ok - %s: ", name);                                         \
        printf(__VA_ARGS__);                                                   \
        printf("\n");                                                          \
    } while (0)

#define CHECK(name, cond, ...)                                                 \
    do {                                                                       \
        if (cond)                                                              \
            printf("ok - %s\n", name);                                         \
        else                                                                   \
            TAP_FAIL(name, __VA_ARGS__);                                       \
    } while (0)

#define SETUP(name, cond, ...)                                                 \
    do {                                                                       \
        if (!(cond))                                                           \
            TAP_FAIL(name, __VA_ARGS__);                                       \
    } while (0)

#define TAP_EXIT() return tap_failures ? 1 : 0

#endif
