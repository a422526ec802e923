/* Running Debian's tools (zfs, qemu-img) from xl and keeping what they say. */
#ifndef XL_RUN_CMD_H
#define XL_RUN_CMD_H

/*
 * Runs argv[0] (looked up in PATH, with /usr/sbin and /sbin added, where
 * zfs lives), stdin from /dev/null, stdout and stderr together into *out
 * (malloc'd, NUL-terminated, trailing newlines removed; NULL on failure
 * to start). Returns the exit status, 127 if the program was not found,
 * 128+N if signal N ended it, or -1 if it could not be run.
 */
int run_capture(char *const argv[], char **out);

#endif
