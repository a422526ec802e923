/* Text that xl prints, in the formats of Xen's xl. Pure functions. */
#ifndef XL_FORMAT_H
#define XL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/basalt_ctl.h"

/* `xl list`'s six state letters "rbpscd" (a '-' where a flag is clear). */
void fmt_state(uint32_t flags, uint32_t shutdown_reason, char out[7]);

/* SHUTDOWN_* as a word: "poweroff", "reboot", "suspend", "crash", ... */
const char *fmt_shutdown_reason(uint32_t reason);

/* A CPU mask as xl prints affinities: "all" when it holds every one of
 * the nr_cpus CPUs, else ranges such as "0-3,5"; "none" when empty. */
void fmt_cpulist(uint64_t mask, unsigned nr_cpus, char *out, size_t len);

/* Uptime as `xl uptime` prints it: "H:MM:SS", with "N day(s), " in front
 * when it is a day or more. */
void fmt_uptime(uint64_t secs, char *out, size_t len);

/* The name xl shows for a domain: "Domain-0" for domain 0, else its name. */
const char *fmt_domain_name(const struct basalt_domain_info *info);

/* One `xl list` line (no newline), and its header. */
extern const char fmt_list_header[];
void fmt_list_row(const struct basalt_domain_info *info, char *out, size_t len);

#endif
