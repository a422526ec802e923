/* Option parsing for xl's commands (see args.h). */
#include "args.h"

#include <stdlib.h>

#include <stdio.h>
#include <string.h>

/* 0: not an option, 1: a flag, 2: takes a value. */
static int args_kind(const char *spec, char c)
{
    if (c == ':' || !c)
        return 0;
    const char *p = strchr(spec, c);
    if (!p)
        return 0;
    return p[1] == ':' ? 2 : 1;
}

int args_parse(int argc, char *const argv[], const char *spec, unsigned min_operands,
               unsigned max_operands, struct args *a, char *err, size_t errlen)
{
    const char *cmd = argc > 0 ? argv[0] : "xl";
    bool options_done = false;

    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || arg[1] == 0) {
            if (a->n_operands == ARGS_MAX_OPERANDS) {
                snprintf(err, errlen, "%s: too many arguments", cmd);
                return -1;
            }
            a->operand[a->n_operands++] = arg;
            continue;
        }
        if (!strcmp(arg, "--")) {
            options_done = true;
            continue;
        }
        if (!strcmp(arg, "--help")) {
            a->help = true;
            continue;
        }
        if (arg[1] == '-') {
            snprintf(err, errlen, "%s: unknown option '%s'", cmd, arg);
            return -1;
        }
        for (const char *p = arg + 1; *p; p++) {
            unsigned char c = (unsigned char)*p;
            int kind = c < 128 ? args_kind(spec, (char)c) : 0;
            if (c == 'h' && !kind) {
                a->help = true;
                continue;
            }
            if (!kind) {
                if (c >= 0x20 && c < 0x7f)
                    snprintf(err, errlen, "%s: unknown option '-%c'", cmd, c);
                else
                    snprintf(err, errlen, "%s: unknown option in '%s'", cmd, arg);
                return -1;
            }
            a->count[c]++;
            if (kind == 2) {
                if (p[1]) {
                    a->value[c] = p + 1;
                } else if (i + 1 < argc) {
                    a->value[c] = argv[++i];
                } else {
                    snprintf(err, errlen, "%s: option '-%c' needs a value", cmd, c);
                    return -1;
                }
                break;
            }
        }
    }
    if (a->help)
        return 0;
    if (a->n_operands < min_operands) {
        snprintf(err, errlen, "%s: missing argument", cmd);
        return -1;
    }
    if (a->n_operands > max_operands) {
        snprintf(err, errlen, "%s: unexpected argument '%s'", cmd, a->operand[max_operands]);
        return -1;
    }
    return 0;
}

char *args_join_operands(const struct args *a, unsigned first)
{
    size_t len = 1;
    for (unsigned i = first; i < a->n_operands; i++)
        len += strlen(a->operand[i]) + 1;
    char *text = calloc(1, len);
    if (!text)
        return NULL;
    for (unsigned i = first; i < a->n_operands; i++) {
        if (i > first)
            strcat(text, ",");
        strcat(text, a->operand[i]);
    }
    return text;
}
