/*
 * xl: Basalt's toolstack command, with the command line of Xen's xl for
 * the commands it has. Global options come before the command:
 *   xl [-v] COMMAND [ARGS...]
 */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "util.h"

struct xl_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
    const char *summary;
};

static const struct xl_command xl_commands[] = {
    { "create", cmd_create, "create [-c] [-F] [-p] [-e] [-n] [-q] [-f] CONFIG [KEY=VALUE...]",
      "build and start a PVH domain from an xl.cfg file" },
    { "list", cmd_list, "list [DOM...]", "list domains" },
    { "info", cmd_info, "info", "show the hypervisor and host" },
    { "console", cmd_console, "console [-t pv] DOM", "attach to a domain's console (Ctrl-] detaches)" },
    { "shutdown", cmd_shutdown, "shutdown [-w] DOM", "ask a domain to power off" },
    { "reboot", cmd_reboot, "reboot [-w] DOM", "ask a domain to reboot" },
    { "destroy", cmd_destroy, "destroy DOM", "end a domain at once" },
    { "pause", cmd_pause, "pause DOM", "stop a domain's vCPUs" },
    { "unpause", cmd_unpause, "unpause DOM", "let a paused domain run again" },
    { "vcpu-list", cmd_vcpu_list, "vcpu-list [DOM...]", "list vCPUs" },
    { "domid", cmd_domid, "domid NAME", "print a domain's id" },
    { "domname", cmd_domname, "domname ID", "print a domain's name" },
    { "uptime", cmd_uptime, "uptime [-s] [DOM...]", "show how long domains have run" },
    { "dmesg", cmd_dmesg, "dmesg", "print the hypervisor's log" },
    { "block-attach", cmd_block_attach, "block-attach DOM DISK-SPEC...",
      "give a running domain a disk (xl-disk-configuration(5))" },
    { "block-detach", cmd_block_detach, "block-detach [-f] DOM VDEV",
      "take a disk from a running domain (-f: without waiting for the guest)" },
    { "block-list", cmd_block_list, "block-list DOM...", "list a domain's disks" },
    { "snapshot-create", cmd_snapshot_create, "snapshot-create DOM|CONFIG NAME",
      "snapshot every writable disk of a domain (ZFS volumes, qcow2)" },
    { "snapshot-list", cmd_snapshot_list, "snapshot-list DOM|CONFIG", "list a domain's snapshots" },
    { "snapshot-revert", cmd_snapshot_revert, "snapshot-revert CONFIG NAME",
      "put a domain's disks back to a snapshot (the domain must be off)" },
    { "snapshot-delete", cmd_snapshot_delete, "snapshot-delete DOM|CONFIG NAME",
      "delete a snapshot of a domain's disks" },
    /* Changing a running domain (cmd_vcpu.c, cmd_mem.c, cmd_sched.c). */
    { "vcpu-set", cmd_vcpu_set, "vcpu-set [-i] DOM N", "set how many vCPUs a domain has online" },
    { "vcpu-pin", cmd_vcpu_pin, "vcpu-pin DOM VCPU|all CPUS|all [-|all]",
      "set the CPUs a vCPU may run on" },
    { "mem-set", cmd_mem_set, "mem-set DOM SIZE", "set a domain's memory target (its balloon)" },
    { "mem-max", cmd_mem_max, "mem-max DOM SIZE", "set the most memory a domain may hold" },
    { "sched-credit", cmd_sched_credit, "sched-credit [-d DOM [-w WEIGHT] [-c CAP]] [-s]",
      "show or set domains' weight and cap" },
    { "sched-credit2", cmd_sched_credit, "sched-credit2 [-d DOM [-w WEIGHT] [-c CAP]] [-s]",
      "the same as sched-credit (Basalt has one scheduler)" },
    { "network-attach", cmd_network_attach, "network-attach DOM [KEY=VALUE...]",
      "give a running domain a new NIC (vif)" },
    { "network-detach", cmd_network_detach, "network-detach DOM DEVID|MAC",
      "take a NIC away from a domain" },
    { "network-list", cmd_network_list, "network-list DOM...", "list domains' NICs" },
    /* Saving and restoring (cmd_save.c, cmd_restore.c, docs/save-format.md). */
    { "save", cmd_save, "save [-c] DOM FILE", "save a domain's state to a file and end it (-c: keep it running)" },
    { "restore", cmd_restore, "restore [-p] [-e] FILE", "bring a saved domain back" },
};

#define XL_N_COMMANDS (sizeof(xl_commands) / sizeof(xl_commands[0]))

static void print_usage(FILE *f)
{
    fprintf(f, "Usage: xl [-v] COMMAND [ARGS]\n\nCommands:\n");
    for (size_t i = 0; i < XL_N_COMMANDS; i++)
        fprintf(f, "  %-16s %s\n", xl_commands[i].name, xl_commands[i].summary);
    fprintf(f, "\nDOM is a domain name or id. 'xl COMMAND -h' shows a command's usage.\n");
}

int cmd_args(int argc, char **argv, const char *spec, unsigned min, unsigned max,
             struct args *a)
{
    char err[256];
    const char *usage = argv[0];
    for (size_t i = 0; i < XL_N_COMMANDS; i++)
        if (!strcmp(xl_commands[i].name, argv[0]))
            usage = xl_commands[i].usage;
    if (args_parse(argc, argv, spec, min, max, a, err, sizeof(err))) {
        fprintf(stderr, "xl: %s\nUsage: xl %s\n", err, usage);
        return 2;
    }
    if (a->help) {
        printf("Usage: xl %s\n", usage);
        return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-v")) {
            xl_verbose++;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            print_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "xl: unknown option '%s'\n", argv[i]);
            print_usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        print_usage(stderr);
        return 2;
    }
    if (!strcmp(argv[i], "help")) {
        print_usage(stdout);
        return 0;
    }
    for (size_t c = 0; c < XL_N_COMMANDS; c++)
        if (!strcmp(xl_commands[c].name, argv[i]))
            return xl_commands[c].fn(argc - i, argv + i);
    fprintf(stderr, "xl: unknown command '%s' (try 'xl help')\n", argv[i]);
    return 2;
}
