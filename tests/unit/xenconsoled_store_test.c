/* xenconsoled's xenstore client (store.c) against a scripted xenstored on
 * a unix socket: request framing, replies matched by req_id (stale ones
 * dropped), errors by name, watch events queued whenever they arrive —
 * also when they share a read() with a reply, which once left them stuck
 * unseen — messages split across reads, DIRECTORY_PART for big
 * directories (with a generation change), and a dead connection on EOF or
 * an oversized message. Replies are written before the request is made
 * (request ids are predictable), so everything runs in one thread. */
#include "dom0/xenconsoled/store.c"
#include "dom0/lib/log.c"
#include "dom0/lib/mem.c"
#include "dom0/lib/xenstored_path.c"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "tests/lib/tap.h"

static char sock_path[] = "/tmp/xenconsoled-store-XXXXXX";
static char sock_file[128];
static int listener = -1, srv = -1;
static uint32_t next_id;        /* the id of the client's next request */

static void srv_send(uint32_t type, uint32_t req, const char *payload, uint32_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = req, .tx_id = 0, .len = len };
    char buf[HDR_SIZE + 8192];

    memcpy(buf, &h, HDR_SIZE);
    memcpy(buf + HDR_SIZE, payload, len);
    if (write(srv, buf, HDR_SIZE + len) != (ssize_t)(HDR_SIZE + len))
        printf("# short write\n");
}

/* Appends one message to a buffer, to send several in one write. */
static size_t put_msg(char *buf, uint32_t type, uint32_t req, const char *payload, uint32_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = req, .tx_id = 0, .len = len };

    memcpy(buf, &h, HDR_SIZE);
    memcpy(buf + HDR_SIZE, payload, len);
    return HDR_SIZE + len;
}

/* Reads one request the client sent; returns its payload length. */
static int srv_recv(struct xsd_sockmsg *h, char *payload)
{
    if (read(srv, h, HDR_SIZE) != (ssize_t)HDR_SIZE)
        return -1;
    if (h->len && read(srv, payload, h->len) != (ssize_t)h->len)
        return -1;
    return (int)h->len;
}

static void connect_client(void)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };

    if (listener < 0) {
        snprintf(sock_file, sizeof(sock_file), "%s/socket", sock_path);
        memcpy(sun.sun_path, sock_file, strlen(sock_file) + 1);
        listener = socket(AF_UNIX, SOCK_STREAM, 0);
        if (bind(listener, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(listener, 4) < 0)
            printf("# cannot listen on %s\n", sock_file);
        setenv("XENSTORED_PATH", sock_file, 1);
    }
    if (store_open() < 0)
        printf("# store_open failed\n");
    srv = accept(listener, NULL, NULL);
    next_id = req_seq + 1;
}

static void test_requests(void)
{
    struct xsd_sockmsg h;
    char payload[4200], *v;
    int n;

    connect_client();
    CHECK("connects through $XENSTORED_PATH", srv >= 0 && store_alive(), "no connection");

    srv_send(XS_READ, next_id, "value", 5);
    v = store_read("/local/domain/5/name");
    n = srv_recv(&h, payload);
    CHECK("READ: request framing", n == 21 && h.type == XS_READ && h.req_id == next_id &&
          h.tx_id == 0 && !memcmp(payload, "/local/domain/5/name\0", 21), "len %d", n);
    CHECK("READ: value, NUL-terminated", v && !strcmp(v, "value"), "%s", v ? v : "(null)");
    store_free(v);
    next_id++;

    srv_send(XS_READ, next_id - 1, "stale", 5);           /* an old request's reply */
    srv_send(XS_READ, next_id, "fresh", 5);
    v = store_read("/x");
    srv_recv(&h, payload);
    CHECK("a reply with another req_id is dropped", v && !strcmp(v, "fresh"), "%s",
          v ? v : "(null)");
    store_free(v);
    next_id++;

    srv_send(XS_ERROR, next_id, "ENOENT", 7);
    errno = 0;
    v = store_read("/missing");
    srv_recv(&h, payload);
    CHECK("ERROR reply: NULL with errno from its name", !v && errno == ENOENT, "errno %d", errno);
    next_id++;

    srv_send(XS_WRITE, next_id, "OK", 3);
    n = store_write("/local/domain/5/console/tty", "/dev/pts/3");
    srv_recv(&h, payload);
    CHECK("WRITE: path NUL value, no trailing NUL", n == 0 && h.type == XS_WRITE &&
          h.len == 28 + 10 && !memcmp(payload, "/local/domain/5/console/tty\0/dev/pts/3", 38),
          "rc %d len %u", n, h.len);
    next_id++;

    srv_send(XS_ERROR, next_id, "ENOENT", 7);
    n = store_rm("/gone");
    srv_recv(&h, payload);
    CHECK("RM of a missing node is fine", n == 0 && h.type == XS_RM, "rc %d", n);
    next_id++;

    srv_send(XS_IS_DOMAIN_INTRODUCED, next_id, "F", 2);
    n = store_domain_introduced(7);
    srv_recv(&h, payload);
    CHECK("IS_DOMAIN_INTRODUCED F", !n && h.type == XS_IS_DOMAIN_INTRODUCED &&
          !memcmp(payload, "7", 2), "rc %d", n);
    next_id++;
    srv_send(XS_IS_DOMAIN_INTRODUCED, next_id, "T", 2);
    n = store_domain_introduced(7);
    srv_recv(&h, payload);
    CHECK("IS_DOMAIN_INTRODUCED T", n, "false");
    next_id++;

    srv_send(XS_READ, next_id, "1044479", 7);
    {
        uint64_t u = 0;

        n = store_read_u64("/r", UINT64_MAX, &u);
        srv_recv(&h, payload);
        CHECK("decimal value", n == 0 && u == 1044479, "rc %d", n);
        next_id++;
        srv_send(XS_READ, next_id, "12ab", 4);
        n = store_read_u64("/r", UINT64_MAX, &u);
        srv_recv(&h, payload);
        CHECK("garbage after digits refused", n == -EINVAL, "rc %d", n);
        next_id++;
        srv_send(XS_READ, next_id, "99999999999999999999999", 23);
        n = store_read_u64("/r", UINT64_MAX, &u);
        srv_recv(&h, payload);
        CHECK("overflow refused", n == -EINVAL, "rc %d", n);
        next_id++;
        srv_send(XS_READ, next_id, "70000", 5);
        n = store_read_u64("/r", 65535, &u);
        srv_recv(&h, payload);
        CHECK("value above max refused", n == -EINVAL, "rc %d", n);
        next_id++;
    }
}

static void test_events(void)
{
    struct xsd_sockmsg h;
    char buf[4096], payload[4200];
    const char *path, *token;
    void *ev;
    size_t len;
    int n;

    /* The reply and an event behind it arrive in one read. */
    len = put_msg(buf, XS_WATCH, next_id, "OK", 3);
    len += put_msg(buf + len, XS_WATCH_EVENT, 0, "@introduceDomain\0introduce", 27);
    if (write(srv, buf, len) != (ssize_t)len)
        printf("# short write\n");
    n = store_watch("@introduceDomain", "introduce");
    srv_recv(&h, payload);
    CHECK("WATCH: framing", n == 0 && h.type == XS_WATCH && h.len == 27 &&
          !memcmp(payload, "@introduceDomain\0introduce\0", 27), "rc %d len %u", n, h.len);
    CHECK("an event behind the reply in the same read is queued", store_has_events(),
          "event stuck in the input buffer");
    ev = store_next_event(&path, &token);
    CHECK("...with its path and token", ev && !strcmp(path, "@introduceDomain") &&
          !strcmp(token, "introduce"), "wrong event");
    store_free(ev);
    CHECK("queue empty again", !store_has_events() && !store_next_event(&path, &token), "mismatch");
    next_id++;

    /* Events ahead of the reply. */
    len = put_msg(buf, XS_WATCH_EVENT, 0, "/local/domain/5/console\0dom5", 29);
    len += put_msg(buf + len, XS_WATCH_EVENT, 0, "/local/domain/6/console/tty\0dom6", 33);
    len += put_msg(buf + len, XS_READ, next_id, "v", 1);
    if (write(srv, buf, len) != (ssize_t)len)
        printf("# short write\n");
    {
        char *v = store_read("/y");

        srv_recv(&h, payload);
        CHECK("events ahead of a reply: reply still returned", v && !strcmp(v, "v"), "mismatch");
        store_free(v);
    }
    next_id++;
    ev = store_next_event(&path, &token);
    CHECK("...events kept in order (1)", ev && !strcmp(token, "dom5"), "mismatch");
    store_free(ev);
    ev = store_next_event(&path, &token);
    CHECK("...events kept in order (2)", ev && !strcmp(path, "/local/domain/6/console/tty") &&
          !strcmp(token, "dom6"), "mismatch");
    store_free(ev);

    /* An event split over two reads, and a malformed one. */
    len = put_msg(buf, XS_WATCH_EVENT, 0, "no-token-terminator\0tok", 23);
    len += put_msg(buf + len, XS_WATCH_EVENT, 0, "@releaseDomain\0release", 23);
    if (write(srv, buf, len - 10) != (ssize_t)(len - 10))
        printf("# short write\n");
    usleep(20000);
    n = store_pump();
    CHECK("half an event: nothing yet, malformed one dropped", n == 0 && !store_has_events(),
          "rc %d", n);
    if (write(srv, buf + len - 10, 10) != 10)
        printf("# short write\n");
    usleep(20000);
    store_pump();
    ev = store_next_event(&path, &token);
    CHECK("...the rest completes it", ev && !strcmp(path, "@releaseDomain") &&
          !strcmp(token, "release"), "mismatch");
    store_free(ev);
}

/* Replies that depend on the request before them need a server that
 * answers in turn: a child process plays the script and reports each
 * request's payload back through a pipe. */
struct step {
    uint32_t type;
    const char *payload;
    uint32_t len;
};

static pid_t serve(const struct step *steps, int n, int report[2])
{
    pid_t pid;

    fflush(stdout);
    if (pipe(report) < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        struct xsd_sockmsg h;
        char payload[4200];
        int i, len;

        close(report[0]);
        for (i = 0; i < n; i++) {
            len = srv_recv(&h, payload);
            if (len < 0)
                _exit(1);
            payload[len] = '\0';
            /* "<type> <payload with NULs as '|'>\n" */
            dprintf(report[1], "%u ", h.type);
            for (int k = 0; k < len; k++)
                dprintf(report[1], "%c", payload[k] ? payload[k] : '|');
            dprintf(report[1], "\n");
            srv_send(steps[i].type, h.req_id, steps[i].payload, steps[i].len);
        }
        _exit(0);
    }
    close(report[1]);
    return pid;
}

static const char *served(int report[2], pid_t pid)
{
    static char log[4096];
    ssize_t n, got = 0;

    while ((n = read(report[0], log + got, sizeof(log) - 1 - (size_t)got)) > 0)
        got += n;
    log[got] = '\0';
    close(report[0]);
    waitpid(pid, NULL, 0);
    return log;
}

static void test_directory(void)
{
    static const struct step small[] = {
        { XS_DIRECTORY, "1\0" "2\0" "17\0", 7 },
    };
    static const struct step parts[] = {
        { XS_ERROR, "E2BIG", 6 },
        { XS_DIRECTORY_PART, "7\0a\0b\0", 6 },
        { XS_DIRECTORY_PART, "8\0c\0", 4 },          /* generation changed */
        { XS_DIRECTORY_PART, "8\0a\0b\0", 6 },
        { XS_DIRECTORY_PART, "8\0c\0d\0\0", 7 },    /* last: one more NUL */
    };
    static const struct step empty[] = {
        { XS_ERROR, "E2BIG", 6 },
        { XS_DIRECTORY_PART, "3\0\0", 3 },
    };
    int report[2];
    const char *log;
    char **v;
    unsigned n = 0;
    pid_t pid;

    pid = serve(small, 1, report);
    v = store_list("/local/domain", &n);
    log = served(report, pid);
    CHECK("DIRECTORY", v && n == 3 && !strcmp(v[0], "1") && !strcmp(v[1], "2") &&
          !strcmp(v[2], "17") && !strcmp(log, "1 /local/domain|\n"), "n %u, sent %s", n, log);
    store_free(v);

    pid = serve(parts, 5, report);
    v = store_list("/big", &n);
    log = served(report, pid);
    CHECK("E2BIG: DIRECTORY_PART from offset 0, next offset = bytes so far, restart on a "
          "new generation", !strcmp(log, "1 /big|\n22 /big|0|\n22 /big|4|\n22 /big|0|\n"
                                          "22 /big|4|\n"), "sent:\n%s", log);
    CHECK("DIRECTORY_PART: all names, once", v && n == 4 && !strcmp(v[0], "a") &&
          !strcmp(v[1], "b") && !strcmp(v[2], "c") && !strcmp(v[3], "d"), "n %u", n);
    store_free(v);

    pid = serve(empty, 2, report);
    v = store_list("/empty-but-big", &n);
    served(report, pid);
    CHECK("DIRECTORY_PART: an empty last part ends the list", v && n == 0, "n %u", n);
    store_free(v);
    next_id = req_seq + 1;
}

static void test_dead(void)
{
    struct xsd_sockmsg h = { .type = XS_READ, .req_id = next_id, .len = 5000 };
    char *v;

    if (write(srv, &h, HDR_SIZE) != (ssize_t)HDR_SIZE)
        printf("# short write\n");
    v = store_read("/z");
    CHECK("oversized reply: connection dead", !v && !store_alive(), "alive");
    CHECK("...and later requests fail at once", store_write("/a", "b") == -EPIPE, "mismatch");
    store_close();
    close(srv);

    connect_client();
    CHECK("reconnect after close", store_alive(), "mismatch");
    close(srv);
    srv = -1;
    v = store_read("/after-eof");
    CHECK("xenstored closing the socket: dead", !v && !store_alive(), "alive");
    store_close();
}

int main(void)
{
    TAP_PLAN(31);
    struct mem_stats m;

    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(sock_path)) {
        printf("not ok - mkdtemp\n");
        return 1;
    }
    test_requests();
    test_events();
    test_directory();
    test_dead();
    mem_get_stats(&m);
    CHECK("no allocation left", m.blocks == 0, "%zu blocks", m.blocks);
    close(listener);
    unlink(sock_file);
    rmdir(sock_path);
    TAP_EXIT();
}
