/*
 * xl create [-c] [-F] [-p] [-e] [-n] [-q] [-v] [-f] CONFIG [KEY=VALUE...]
 *
 * Reads the configuration (errors: FILE:LINE: reason, nothing created),
 * loads the kernel and ramdisk and lays out the domain (still nothing
 * created), builds and starts it (build_pvh.c), then leaves a monitor
 * behind that applies on_poweroff/on_reboot/on_crash (monitor.c): a
 * background process, or this one with -F. -c attaches the console.
 * -p leaves the domain paused, -e starts no monitor, -n (dry run) stops
 * after the layout and prints it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "build_hvm.h"
#include "build_pvh.h"
#include "build_request.h"
#include "cfg_error.h"
#include "commands.h"
#include "console.h"
#include "ctl.h"
#include "disk_devices.h"
#include "domain_userdata.h"
#include "monitor.h"
#include "prepare.h"
#include "util.h"
#include "uuid.h"
#include "vif_devices.h"
#include "xl_config.h"
#include "xs_store.h"

#define CREATE_LOG_DIR "/var/log/xen"

static void print_notes(const struct xl_config *c, const struct strlist *notes, bool verbose)
{
    for (size_t i = 0; i < c->dc.warnings.count; i++)
        fprintf(stderr, "%s\n", c->dc.warnings.items[i]);
    for (size_t i = 0; i < notes->count; i++)
        fprintf(stderr, "%s\n", notes->items[i]);
    if (!verbose)
        return;
    for (size_t i = 0; i < c->dc.n_ignored; i++)
        fprintf(stderr, "%s:%u: '%s' is not used by Basalt's xl; ignored\n",
                c->dc.ignored[i].source, c->dc.ignored[i].line, c->dc.ignored[i].key);
}

static void print_dry_run(const struct build_request *r, const struct build_images *im)
{
    const struct domu_layout *l = &im->layout;
    const struct pvh_image *k = &im->kernel.info;
    char uuid[UUID_STR_LEN];
    uuid_format(r->uuid, uuid);
    printf("Dry run: domain %s would be built as follows\n", r->name);
    printf("  uuid        %s\n", uuid);
    printf("  vcpus       %u (max %u)\n", r->vcpus, r->max_vcpus);
    printf("  memory      %llu MiB (maxmem %llu MiB), %llu pages populated\n",
           (unsigned long long)r->memory_mib, (unsigned long long)r->maxmem_mib,
           (unsigned long long)l->populate_pages);
    printf("  kernel      %s: %s, entry 0x%x, 0x%llx-0x%llx, %u segments\n", r->kernel,
           im->kernel.format, k->entry, (unsigned long long)k->paddr_start,
           (unsigned long long)k->paddr_end, k->nr_segments);
    if (im->ramdisk_len)
        printf("  ramdisk     %s: %zu bytes at 0x%llx\n", r->ramdisk, im->ramdisk_len,
               (unsigned long long)l->initrd_gpa);
    printf("  start info  0x%llx (%zu bytes), cmdline \"%s\"\n",
           (unsigned long long)l->start_info_gpa, l->start_info_len, r->cmdline ? r->cmdline : "");
    printf("  ACPI        0x%llx (%zu bytes), RSDP at 0x%llx\n",
           (unsigned long long)PVH_ACPI_BASE, l->acpi_len, (unsigned long long)l->rsdp_gpa);
    for (unsigned i = 0; i < l->nr_memmap; i++)
        printf("  memmap      0x%010llx-0x%010llx type %u\n",
               (unsigned long long)l->memmap[i].addr,
               (unsigned long long)(l->memmap[i].addr + l->memmap[i].size - 1), l->memmap[i].type);
    for (unsigned i = 0; i < r->n_disks; i++) {
        char params[512];
        vbd_params(&r->disks[i], params, sizeof(params));
        printf("  disk        %s (%u): qdisk %s, %s%s\n", r->disks[i].vdev, r->disks[i].devid,
               params, r->disks[i].readwrite ? "read-write" : "read-only",
               r->disks[i].is_cdrom ? ", cdrom" : "");
    }
    printf("  actions     on_poweroff=%s on_reboot=%s on_crash=%s\n",
           shutdown_action_name(r->on_poweroff), shutdown_action_name(r->on_reboot),
           shutdown_action_name(r->on_crash));
}

/* Reads, checks and prepares; on failure prints FILE:LINE: reason. */
static int read_and_prepare(const char *file, const char *const *overrides, size_t n_overrides,
                            bool quiet, struct xl_config *c, struct build_request *r,
                            struct build_images *im)
{
    char err[1024];
    struct strlist notes = { 0 };

    if (!quiet)
        fprintf(stderr, "Parsing config from %s\n", file);
    if (xl_config_load(file, overrides, n_overrides, c, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (build_request_from_config(c, r, &notes, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        strlist_free(&notes);
        xl_config_free(c);
        return -1;
    }
    print_notes(c, &notes, xl_verbose);
    strlist_free(&notes);
    if (r->hvm)
        return 0; /* hvmloader and SeaBIOS are read by the HVM builder */

    enum build_blame blame;
    uint64_t t0 = xl_now_ms();
    if (build_prepare(r, im, &blame, err, sizeof(err))) {
        const char *source;
        unsigned line;
        xl_config_where(c, build_blame_keys(blame), &source, &line);
        fprintf(stderr, "%s:%u: %s\n", source, line, err);
        build_request_free(r);
        xl_config_free(c);
        return -1;
    }
    xl_info("  reading the kernel (%s) and ramdisk: %llu ms", im->kernel.format,
            (unsigned long long)(xl_now_ms() - t0));
    return 0;
}

/* Where a background monitor writes: /var/log/xen/xl-NAME.log, as Xen's. */
static void redirect_to_log(const char *name)
{
    char path[256];
    int fd = -1;
    struct stat st;
    if (!stat(CREATE_LOG_DIR, &st) && S_ISDIR(st.st_mode)) {
        snprintf(path, sizeof(path), CREATE_LOG_DIR "/xl-%s.log", name);
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    }
    if (fd < 0)
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in >= 0) {
        dup2(in, STDIN_FILENO);
        close(in);
    }
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
}

pid_t monitor_spawn(struct build_request *r, uint32_t domid)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* Child: its own session, so the shell's hangup or job control never
     * reaches it; a second fork so it is not a session leader that could
     * acquire a terminal. */
    setsid();
    if (fork() > 0)
        _exit(0);
    redirect_to_log(r->name);
    _exit(monitor_run(r, domid));
}

int cmd_create(int argc, char **argv)
{
    struct args a;
    int rc = cmd_args(argc, argv, "cFpenqf:vdV", 0, ARGS_MAX_OPERANDS, &a);
    if (rc >= 0)
        return rc;
    if (args_has(&a, 'v'))
        xl_verbose++;

    /* The first operand is the file unless -f gave it or it is KEY=VALUE. */
    const char *file = a.value['f'];
    unsigned first = 0;
    if (!file && a.n_operands && !strchr(a.operand[0], '='))
        file = a.operand[first++];
    if (!file) {
        xl_err("create: no configuration file given");
        return 2;
    }

    struct xl_config c;
    struct build_request r;
    struct build_images *im = calloc(1, sizeof(*im));
    if (!im) {
        xl_err("out of memory");
        return 1;
    }
    if (read_and_prepare(file, a.operand + first, a.n_operands - first, args_has(&a, 'q'), &c, &r,
                         im)) {
        free(im);
        return 1;
    }
    r.start_paused = args_has(&a, 'p');
    /* Kept while the domain exists, for xl save (domain_userdata.h). */
    char *saved_config = NULL;
    char err[1024];
    if (!args_has(&a, 'n') &&
        userdata_config_make(file, a.operand + first, a.n_operands - first, &saved_config,
                             &r.saved_config_len, err, sizeof(err)))
        fprintf(stderr, "xl: %s; a save of this domain will not hold its configuration\n", err);
    r.saved_config = saved_config;
    if (args_has(&a, 'n')) {
        if (r.hvm)
            printf("Dry run: HVM domain %s: %u vCPUs, %llu MiB, hvmloader and SeaBIOS, "
                   "%u IDE disks, vnc %s\n",
                   r.name, r.max_vcpus, (unsigned long long)r.memory_mib, r.n_disks,
                   *r.hvm_opts.vnc ? r.hvm_opts.vnc : "none");
        else
            print_dry_run(&r, im);
        build_images_free(im);
        free(im);
        build_request_free(&r);
        free(saved_config);
        xl_config_free(&c);
        return 0;
    }

    if (vif_devices_check_host(&c, &r, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        goto fail;
    }
    rc = ctl_open();
    if (rc) {
        xl_err("cannot reach the hypervisor: %s", ctl_strerror(rc));
        goto fail;
    }
    struct xs_handle *xs = xsh_open();
    if (!xs) {
        xl_err("cannot connect to xenstored: %s (is xenstored running?)", strerror(errno));
        goto fail;
    }
    uint32_t domid;
    uint64_t t0 = xl_now_ms();
    /* Disk targets that are missing or taken: refused before anything
     * is built. */
    if (disks_check(xs, r.disks, r.n_disks, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        xsh_close(xs);
        goto fail;
    }
    rc = r.hvm ? build_hvm(&r, xs, &domid, err, sizeof(err))
               : build_pvh(&r, im, xs, &domid, err, sizeof(err));
    xsh_close(xs);
    /* The monitor lives on: it should not keep the kernel's memory. */
    build_images_free(im);
    free(im);
    im = NULL;
    if (rc) {
        xl_err("cannot create domain %s: %s", r.name, err);
        build_request_free(&r);
        free(saved_config);
        xl_config_free(&c);
        return 1;
    }
    if (r.saved_config && (rc = userdata_store(domid, r.uuid, r.saved_config, r.saved_config_len)))
        fprintf(stderr, "xl: cannot keep domain %u's configuration in " USERDATA_DIR ": %s; a save "
                "of it will not hold its configuration\n", domid, strerror(-rc));
    xl_info("domain %s created with id %u in %llu ms", r.name, domid,
            (unsigned long long)(xl_now_ms() - t0));

    /* Handles are not shared with forked children: each reopens its own. */
    ctl_close();
    int status = 0;
    if (args_has(&a, 'F')) {
        pid_t console = -1;
        if (args_has(&a, 'c')) {
            fflush(NULL);
            console = fork();
            if (console == 0)
                _exit(console_attach(domid));
        }
        status = args_has(&a, 'e') ? 0 : monitor_run(&r, domid);
        if (console > 0)
            waitpid(console, NULL, 0);
    } else {
        if (!args_has(&a, 'e')) {
            pid_t pid = monitor_spawn(&r, domid);
            if (pid < 0)
                xl_err("cannot start the monitor for domain %u: %s", domid, strerror(errno));
            else
                waitpid(pid, NULL, 0); /* the first child exits at once */
        }
        if (args_has(&a, 'c'))
            status = console_attach(domid);
    }
    build_request_free(&r);
    free(saved_config);
    xl_config_free(&c);
    return status;

fail:
    build_images_free(im);
    free(im);
    build_request_free(&r);
    free(saved_config);
    xl_config_free(&c);
    return 1;
}
