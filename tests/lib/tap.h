/* Minimal test reporting for host unit tests: "ok - NAME" / "not ok - NAME: why". */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <stdio.h>

static int tap_failures;

#define CHECK(name, cond, ...)                                                 \
    do {                                                                       \
        if (cond) {                                                            \
            printf("ok - %s\n", name);                                         \
        } else {                                                               \
            tap_failures++;                                                    \
            printf("not ok - %s: ", name);                                     \
            printf(__VA_ARGS__);                                               \
            printf("\n");                                                      \
        }                                                                      \
    } while (0)

#define TAP_EXIT() return tap_failures ? 1 : 0

#endif
