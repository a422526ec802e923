/* Command line, following Xen's xenconsoled where the option exists there. */
#ifndef XENCONSOLED_OPTIONS_H
#define XENCONSOLED_OPTIONS_H

#include <stdbool.h>

struct options {
    bool interactive;           /* -i: stay in the foreground, log to stderr */
    bool verbose;
    bool log_guest;             /* --log=guest|all */
    bool timestamp_guest;       /* --timestamp=guest|all */
    bool discard_overflow;      /* --overflow-data=discard (default) | keep */
    const char *log_dir;
    const char *pid_file;       /* NULL: none in interactive mode */
    const char *platform_arg;   /* --test-platform DIR (test builds only) */
};

/* The settings every part of the daemon reads. */
extern struct options opts;

/* Fills `opts`. Returns 0, 1 when the program should exit successfully
 * (--help, --version), or -1 after printing why the arguments are bad. */
int options_parse(int argc, char **argv);

#endif
