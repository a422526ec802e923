/*
 * xl's command-line parsing (dom0/xl/args.c; domain IDs: dom0/lib/domid.c)
 * and output formats (dom0/xl/format.c: `xl list` rows, state letters, CPU
 * lists, uptimes).
 */
#include "tests/lib/tap.h"

#include "dom0/xl/args.c"
#include "dom0/xl/format.c"
#include "dom0/lib/domid.c"

#include <stdio.h>
#include <string.h>

static char err[256];
static struct args a;

/* Parses a space-separated command line (argv[0] first). */
static int parse(const char *line, const char *spec, unsigned min, unsigned max)
{
    static char buf[512];
    static char *argv[64];
    int argc = 0;
    snprintf(buf, sizeof(buf), "%s", line);
    for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    err[0] = 0;
    return args_parse(argc, argv, spec, min, max, &a, err, sizeof(err));
}

static void test_args(void)
{
    char *joined = NULL;
    CHECK("operands after the first joined with commas (a device spec in pieces)",
          !parse("block-attach web format=qcow2 vdev=xvdb target=/x", "", 0, 9) &&
          (joined = args_join_operands(&a, 1)) && !strcmp(joined, "format=qcow2,vdev=xvdb,target=/x"),
          "%s", joined ? joined : "NULL");
    free(joined);
    CHECK("bundled flags and operands", !parse("create -cF demo.cfg memory=512", "cFf:", 0, 9) &&
          args_has(&a, 'c') && args_has(&a, 'F') && a.n_operands == 2 &&
          !strcmp(a.operand[0], "demo.cfg") && !strcmp(a.operand[1], "memory=512"), "%s", err);
    CHECK("options after operands (GNU style)", !parse("create demo.cfg -c", "cF", 0, 9) &&
          args_has(&a, 'c') && a.n_operands == 1, "%s", err);
    CHECK("option value separate", !parse("create -f x.cfg", "cf:", 0, 9) &&
          !strcmp(a.value['f'], "x.cfg") && a.n_operands == 0, "%s", err);
    CHECK("option value attached", !parse("create -fx.cfg -c", "cf:", 0, 9) &&
          !strcmp(a.value['f'], "x.cfg") && args_has(&a, 'c'), "%s", err);
    CHECK("flag then value in one word", !parse("create -cfx.cfg", "cf:", 0, 9) &&
          args_has(&a, 'c') && !strcmp(a.value['f'], "x.cfg"), "%s", err);
    CHECK("-- ends options", !parse("destroy -- -w", "w", 1, 1) && !args_has(&a, 'w') &&
          !strcmp(a.operand[0], "-w"), "%s", err);
    CHECK("- alone is an operand", !parse("console -", "", 1, 1) && !strcmp(a.operand[0], "-"),
          "%s", err);
    CHECK("--help", !parse("list --help", "", 0, 0) && a.help, "%s", err);
    CHECK("-h is help when not an option", !parse("list -h", "", 0, 0) && a.help, "%s", err);
    CHECK("help skips the operand count", !parse("domid -h", "", 1, 1) && a.help, "%s", err);
    CHECK("unknown option", parse("list -z", "", 0, 0) &&
          !strcmp(err, "list: unknown option '-z'"), "%s", err);
    CHECK("unknown long option", parse("list --long", "", 0, 0) &&
          strstr(err, "unknown option '--long'"), "%s", err);
    CHECK("missing value", parse("create -f", "f:", 0, 9) && strstr(err, "needs a value"),
          "%s", err);
    CHECK("missing operand", parse("destroy", "", 1, 1) && strstr(err, "missing argument"),
          "%s", err);
    CHECK("extra operand", parse("destroy a b", "", 1, 1) &&
          strstr(err, "unexpected argument 'b'"), "%s", err);
    CHECK("repeated option counted", !parse("xl -v -v", "v", 0, 0) && a.count['v'] == 2, "%s",
          err);
    CHECK("':' is not an option", parse("x -:", "f:", 0, 0), "accepted");
    CHECK("non-ASCII option refused", parse("x -\xe9", "", 0, 0), "accepted");

    uint32_t id = 99;
    CHECK("domid: digits", domid_parse("0", &id) && id == 0 && domid_parse("65535", &id) &&
          id == 65535, "%u", id);
    CHECK("domid: names and junk are not ids", !domid_parse("demo", &id) &&
          !domid_parse("", &id) && !domid_parse("12a", &id) && !domid_parse("65536", &id) &&
          !domid_parse("-1", &id) && !domid_parse("000001", &id), "accepted");
}

static void test_format(void)
{
    char s[7];
    fmt_state(BDOM_RUNNING, 0, s);
    CHECK("state r-----", !strcmp(s, "r-----"), "%s", s);
    fmt_state(BDOM_BLOCKED | BDOM_PAUSED, 0, s);
    CHECK("state -bp---", !strcmp(s, "-bp---"), "%s", s);
    fmt_state(BDOM_BUILDING, 0, s);
    CHECK("a domain being built shows paused", !strcmp(s, "--p---"), "%s", s);
    fmt_state(BDOM_SHUTDOWN, SHUTDOWN_crash, s);
    CHECK("state ---sc- for a crash", !strcmp(s, "---sc-"), "%s", s);
    fmt_state(BDOM_SHUTDOWN, SHUTDOWN_poweroff, s);
    CHECK("state ---s-- for a poweroff", !strcmp(s, "---s--"), "%s", s);
    fmt_state(BDOM_DYING, 0, s);
    CHECK("state -----d", !strcmp(s, "-----d"), "%s", s);

    char c[64];
    fmt_cpulist(0xf, 4, c, sizeof(c));
    CHECK("cpulist all", !strcmp(c, "all"), "%s", c);
    fmt_cpulist(0xe, 4, c, sizeof(c));
    CHECK("cpulist 1-3", !strcmp(c, "1-3"), "%s", c);
    fmt_cpulist(0x2d, 8, c, sizeof(c));
    CHECK("cpulist 0,2-3,5", !strcmp(c, "0,2-3,5"), "%s", c);
    fmt_cpulist(0, 4, c, sizeof(c));
    CHECK("cpulist none", !strcmp(c, "none"), "%s", c);
    fmt_cpulist(1ull << 63, 64, c, sizeof(c));
    CHECK("cpulist 63", !strcmp(c, "63"), "%s", c);
    fmt_cpulist(~0ull, 64, c, sizeof(c));
    CHECK("cpulist all of 64", !strcmp(c, "all"), "%s", c);
    fmt_cpulist(0x5555555555555555ull, 0, c, 8);
    CHECK("cpulist cut to the buffer", strlen(c) < 8, "%s", c);

    fmt_uptime(3725, c, sizeof(c));
    CHECK("uptime 1:02:05", !strcmp(c, " 1:02:05"), "'%s'", c);
    fmt_uptime(86400 + 59, c, sizeof(c));
    CHECK("uptime 1 day", !strcmp(c, "1 day,  0:00:59"), "'%s'", c);
    fmt_uptime(3 * 86400 + 36000, c, sizeof(c));
    CHECK("uptime 3 days", !strcmp(c, "3 days, 10:00:00"), "'%s'", c);

    CHECK("shutdown reasons", !strcmp(fmt_shutdown_reason(SHUTDOWN_poweroff), "poweroff") &&
          !strcmp(fmt_shutdown_reason(SHUTDOWN_reboot), "reboot") &&
          !strcmp(fmt_shutdown_reason(SHUTDOWN_crash), "crash") &&
          !strcmp(fmt_shutdown_reason(99), "unknown"), "wrong");

    struct basalt_domain_info info;
    memset(&info, 0, sizeof(info));
    info.domid = 0;
    strcpy(info.name, "dom0");
    info.tot_pages = 196607;
    info.nr_online_vcpus = 1;
    info.flags = BDOM_RUNNING | BDOM_PRIVILEGED;
    info.cpu_time_ns = 10234000000ull;
    char row[256];
    fmt_list_row(&info, row, sizeof(row));
    CHECK("list row for Domain-0 (Xen's columns)",
          !strcmp(row, "Domain-0                                     0   767     1     r-----"
                       "      10.2"), "'%s'", row);
    info.domid = 12;
    strcpy(info.name, "demo");
    info.tot_pages = 65548;
    info.nr_online_vcpus = 2;
    info.flags = BDOM_BLOCKED;
    info.cpu_time_ns = 7000000000ull;
    fmt_list_row(&info, row, sizeof(row));
    CHECK("list row for a DomU",
          !strcmp(row, "demo                                        12   256     2     -b----"
                       "       7.0"), "'%s'", row);
    memset(info.name, 'x', sizeof(info.name)); /* no NUL from a broken hypervisor */
    fmt_list_row(&info, row, sizeof(row));
    CHECK("list row survives an unterminated name", strlen(row) < sizeof(row), "overflow");
    CHECK("list header", !strcmp(fmt_list_header,
                                 "Name                                        ID   Mem VCPUs\t"
                                 "State\tTime(s)"), "'%s'", fmt_list_header);
}

int main(void)
{
    TAP_PLAN(42);
    test_args();
    test_format();
    TAP_EXIT();
}
