/*
 * Command-line parsing for xl's commands, getopt-like but without global
 * state so it can be tested: single-letter options that may be bundled
 * ("-cF"), options taking a value ("-f FILE" or "-fFILE"), "--help", "--"
 * ending the options; options and operands may be mixed, as GNU getopt
 * allows, which Xen's xl uses.
 */
#ifndef XL_ARGS_H
#define XL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARGS_MAX_OPERANDS 256

struct args {
    unsigned count[128];        /* times each option letter was given */
    const char *value[128];     /* the last value of an option with one */
    bool help;                  /* -h or --help */
    const char *operand[ARGS_MAX_OPERANDS];
    unsigned n_operands;
};

/*
 * Parses argv[1..argc) (argv[0] is the command's name, used in messages)
 * by spec, a getopt string: letters, ':' after one that takes a value.
 * Requires min..max operands. Returns 0, or -1 with a message in err.
 */
int args_parse(int argc, char *const argv[], const char *spec, unsigned min_operands,
               unsigned max_operands, struct args *a, char *err, size_t errlen);

/* Operands first.. joined with commas, as xl joins a device spec given in
 * several arguments; malloc'd (NULL when out of memory). */
char *args_join_operands(const struct args *a, unsigned first);

static inline bool args_has(const struct args *a, char opt)
{
    return a->count[(unsigned char)opt & 127] != 0;
}

#endif
