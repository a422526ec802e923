#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "dom0/lib/log.h"

#define DEFAULT_LOG_DIR "/var/log/xen/console"
#define DEFAULT_PID_FILE "/var/run/xenconsoled.pid"

struct options opts;

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: xenconsoled [options]\n"
            "Connects every guest's PV console ring to a pty (path in\n"
            "/local/domain/<id>/console/tty), optionally logging it.\n"
            "  -i, --interactive            stay in the foreground, log to stderr\n"
            "  -v, --verbose                debug messages\n"
            "  -l, --log=none|guest|hv|all  guest: write <log-dir>/guest-<name>.log\n"
            "                               (hv: no hypervisor log on Basalt yet)\n"
            "      --log-dir=DIR            default " DEFAULT_LOG_DIR "\n"
            "      --pid-file=FILE          default " DEFAULT_PID_FILE " when daemonized\n"
            "  -t, --timestamp=none|guest|hv|all  prefix guest log lines with the time\n"
            "  -o, --overflow-data=discard|keep   when nobody reads a pty: drop the\n"
            "                               oldest buffered output (default) or make\n"
            "                               the guest wait\n"
#ifdef XENCONSOLED_TEST_PLATFORM
            "      --test-platform=DIR      fake hypervisor in DIR (test binary only)\n"
#endif
            "  -V, --version                print the version\n"
            "  -h, --help                   this text\n"
            "Signals: SIGHUP reopens the log files, SIGUSR1 logs statistics,\n"
            "SIGTERM/SIGINT stop (tty keys removed, ptys closed).\n");
}

/* "none|guest|hv|all" into the guest flag; hv alone is accepted with a
 * warning, since Basalt has no hypervisor console log to read yet. */
static int parse_which(const char *opt, const char *val, bool *guest)
{
    if (!strcmp(val, "none")) {
        *guest = false;
    } else if (!strcmp(val, "guest")) {
        *guest = true;
    } else if (!strcmp(val, "all") || !strcmp(val, "hv")) {
        *guest = !strcmp(val, "all");
        log_msg(LOG_LVL_WARN, "%s=%s: the hypervisor log is not supported, ignored", opt, val);
    } else {
        fprintf(stderr, "xenconsoled: %s: expected none, guest, hv or all, not \"%s\"\n", opt,
                val);
        return -1;
    }
    return 0;
}

int options_parse(int argc, char **argv)
{
    enum { OPT_LOG_DIR = 256, OPT_PID_FILE, OPT_TEST_PLATFORM };
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "verbose", no_argument, NULL, 'v' },
        { "interactive", no_argument, NULL, 'i' },
        { "log", required_argument, NULL, 'l' },
        { "log-dir", required_argument, NULL, OPT_LOG_DIR },
        { "pid-file", required_argument, NULL, OPT_PID_FILE },
        { "timestamp", required_argument, NULL, 't' },
        { "overflow-data", required_argument, NULL, 'o' },
#ifdef XENCONSOLED_TEST_PLATFORM
        { "test-platform", required_argument, NULL, OPT_TEST_PLATFORM },
#endif
        { NULL, 0, NULL, 0 },
    };
    int opt;

    opts = (struct options){ .discard_overflow = true, .log_dir = DEFAULT_LOG_DIR };
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hVvil:t:o:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return 1;
        case 'V':
            printf("xenconsoled (Basalt) 1.0\n");
            return 1;
        case 'v':
            opts.verbose = true;
            break;
        case 'i':
            opts.interactive = true;
            break;
        case 'l':
            if (parse_which("--log", optarg, &opts.log_guest) < 0)
                return -1;
            break;
        case 't':
            if (parse_which("--timestamp", optarg, &opts.timestamp_guest) < 0)
                return -1;
            break;
        case 'o':
            if (!strcmp(optarg, "discard")) {
                opts.discard_overflow = true;
            } else if (!strcmp(optarg, "keep")) {
                opts.discard_overflow = false;
            } else {
                fprintf(stderr, "xenconsoled: --overflow-data: expected discard or keep\n");
                return -1;
            }
            break;
        case OPT_LOG_DIR:
            if (!*optarg) {
                fprintf(stderr, "xenconsoled: --log-dir needs a directory\n");
                return -1;
            }
            opts.log_dir = optarg;
            break;
        case OPT_PID_FILE:
            opts.pid_file = optarg;
            break;
        case OPT_TEST_PLATFORM:
            opts.platform_arg = optarg;
            break;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "xenconsoled: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
#ifdef XENCONSOLED_TEST_PLATFORM
    if (!opts.platform_arg) {
        fprintf(stderr, "xenconsoled-test: needs --test-platform DIR\n");
        return -1;
    }
#endif
    if (!opts.interactive && !opts.pid_file)
        opts.pid_file = DEFAULT_PID_FILE;
    return 0;
}
