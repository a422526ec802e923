/* xl's commands: each takes its own argv (argv[0] = the command's name)
 * and returns the process exit status. */
#ifndef XL_COMMANDS_H
#define XL_COMMANDS_H

int cmd_create(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_reboot(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_vcpu_list(int argc, char **argv);
int cmd_domid(int argc, char **argv);
int cmd_domname(int argc, char **argv);
int cmd_uptime(int argc, char **argv);
int cmd_dmesg(int argc, char **argv);
int cmd_block_attach(int argc, char **argv);
int cmd_block_detach(int argc, char **argv);
int cmd_block_list(int argc, char **argv);
int cmd_snapshot_create(int argc, char **argv);
int cmd_snapshot_list(int argc, char **argv);
int cmd_snapshot_revert(int argc, char **argv);
int cmd_snapshot_delete(int argc, char **argv);
int cmd_vcpu_set(int argc, char **argv);
int cmd_vcpu_pin(int argc, char **argv);
int cmd_mem_set(int argc, char **argv);
int cmd_mem_max(int argc, char **argv);
int cmd_sched_credit(int argc, char **argv);
int cmd_network_attach(int argc, char **argv);
int cmd_network_detach(int argc, char **argv);
int cmd_network_list(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_restore(int argc, char **argv);

/* Parses argv with args_parse and prints usage on -h or an error: returns
 * -1 to go on, else the exit status (0 after --help, 2 after an error). */
struct args;
int cmd_args(int argc, char **argv, const char *spec, unsigned min, unsigned max,
             struct args *a);

#endif
