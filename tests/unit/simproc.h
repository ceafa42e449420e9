/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Test helpers for the Salesforce client tests, all static inline so that
 * a test includes this header and needs no extra source file (and gets no
 * warning for the helpers it does not use):
 *
 * - simproc_*: run the real sfsim binary on 127.0.0.1 with a free port.
 *   The binary is $SFSIM, or ../sim/sfsim relative to the working
 *   directory, which CTest sets to build-X/tests.
 * - canned_*: a one-thread HTTP/1.1 server on 127.0.0.1 that replies to
 *   each request with the next raw reply from a script, for exchanges sfsim
 *   cannot produce (truncated bodies, silence, a token rejected twice).
 * - sim_http: a plain libcurl request to a /sim/ control endpoint.
 */
#ifndef SFSYNC_TEST_SIMPROC_H
#define SFSYNC_TEST_SIMPROC_H

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define SIMPROC_START_TIMEOUT_MS 15000
#define SIMPROC_STOP_TIMEOUT_MS 15000

struct simproc {
    pid_t pid;
    int port;
    char url[64];      /* http://127.0.0.1:PORT */
    char dir[64];      /* temporary directory of the output files */
    char out_path[96]; /* sfsim's stdout */
    char err_path[96]; /* sfsim's stderr */
};

static inline void simproc_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* The sfsim binary to run: $SFSIM, else ../sim/sfsim. */
static inline const char *simproc_binary(void)
{
    const char *env = getenv("SFSIM");

    return env && *env ? env : "../sim/sfsim";
}

/* Print the last bytes of sfsim's stderr, to explain a failure. */
static inline void simproc_dump_log(const struct simproc *sp)
{
    FILE *f = fopen(sp->err_path, "r");
    char chunk[4096];
    long size;
    size_t n;

    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, size > 4000 ? size - 4000 : 0, SEEK_SET);
    fprintf(stderr, "---- sfsim stderr (last 4000 bytes) ----\n");
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, stderr);
    fprintf(stderr, "---- end of sfsim stderr ----\n");
    fclose(f);
}

static inline void simproc_cleanup_files(struct simproc *sp)
{
    unlink(sp->out_path);
    unlink(sp->err_path);
    rmdir(sp->dir);
}

/* Read "sfsim listening on http://127.0.0.1:NNNNN" from the stdout file;
 * 1 when found, 0 when not yet written, -1 when malformed. */
static inline int simproc_read_banner(struct simproc *sp)
{
    FILE *f = fopen(sp->out_path, "r");
    char line[256];
    int port = 0;

    if (!f)
        return 0;
    if (!fgets(line, sizeof(line), f) || !strchr(line, '\n')) {
        fclose(f);
        return 0;
    }
    fclose(f);
    if (sscanf(line, "sfsim listening on http://127.0.0.1:%d", &port) != 1 ||
        port <= 0 || port > 65535) {
        fprintf(stderr, "simproc: unexpected first line from sfsim: %s", line);
        return -1;
    }
    sp->port = port;
    snprintf(sp->url, sizeof(sp->url), "http://127.0.0.1:%d", port);
    return 1;
}

/* Fork and exec sfsim with --listen 127.0.0.1:0 and the extra arguments
 * of args (NULL-terminated, or NULL). */
static inline pid_t simproc_spawn(struct simproc *sp, const char *bin,
                                  const char *const *args)
{
    const char *argv[64];
    size_t n = 0;
    pid_t pid;

    argv[n++] = bin;
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    for (size_t i = 0; args && args[i] && n + 1 < 64; i++)
        argv[n++] = args[i];
    argv[n] = NULL;

    pid = fork();
    if (pid == 0) {
        int out = open(sp->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(sp->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        if (out < 0 || err < 0)
            _exit(126);
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        close(out);
        close(err);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/*
 * Start sfsim and wait for its banner. Returns 0 with sp filled, or -1
 * after printing why (binary missing, early exit, no banner in time).
 */
static inline int simproc_start(struct simproc *sp, const char *const *args)
{
    const char *bin = simproc_binary();
    int status;

    memset(sp, 0, sizeof(*sp));
    sp->pid = -1;
    if (access(bin, X_OK) != 0) {
        fprintf(stderr,
                "simproc: sfsim binary '%s' is not executable: build the "
                "sfsim target or set SFSIM\n",
                bin);
        return -1;
    }
    snprintf(sp->dir, sizeof(sp->dir), "/tmp/sfsim-test-XXXXXX");
    if (!mkdtemp(sp->dir)) {
        perror("simproc: mkdtemp");
        return -1;
    }
    snprintf(sp->out_path, sizeof(sp->out_path), "%s/stdout", sp->dir);
    snprintf(sp->err_path, sizeof(sp->err_path), "%s/stderr", sp->dir);
    sp->pid = simproc_spawn(sp, bin, args);
    if (sp->pid < 0) {
        perror("simproc: fork");
        simproc_cleanup_files(sp);
        return -1;
    }
    for (int waited = 0; waited < SIMPROC_START_TIMEOUT_MS; waited += 20) {
        int found = simproc_read_banner(sp);

        if (found == 1)
            return 0;
        if (found < 0)
            break;
        if (waitpid(sp->pid, &status, WNOHANG) == sp->pid) {
            fprintf(stderr,
                    "simproc: sfsim exited before listening "
                    "(status %d)\n",
                    status);
            sp->pid = -1;
            simproc_dump_log(sp);
            simproc_cleanup_files(sp);
            return -1;
        }
        simproc_sleep_ms(20);
    }
    fprintf(stderr, "simproc: no banner from sfsim\n");
    kill(sp->pid, SIGKILL);
    waitpid(sp->pid, &status, 0);
    sp->pid = -1;
    simproc_dump_log(sp);
    simproc_cleanup_files(sp);
    return -1;
}

/*
 * Stop sfsim with SIGTERM and wait for it. Returns 0 when it exited with
 * status 0, or -1 (after SIGKILL if it hung) with its log printed.
 */
static inline int simproc_stop(struct simproc *sp)
{
    int status = 0, rc = -1;

    if (sp->pid <= 0)
        return -1;
    kill(sp->pid, SIGTERM);
    for (int waited = 0; waited < SIMPROC_STOP_TIMEOUT_MS; waited += 20) {
        if (waitpid(sp->pid, &status, WNOHANG) == sp->pid) {
            rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
            if (rc < 0)
                fprintf(stderr, "simproc: sfsim ended with status %d\n",
                        status);
            break;
        }
        simproc_sleep_ms(20);
    }
    if (waitpid(sp->pid, &status, WNOHANG) == 0) {
        fprintf(stderr, "simproc: sfsim ignored SIGTERM\n");
        kill(sp->pid, SIGKILL);
        waitpid(sp->pid, &status, 0);
    }
    if (rc < 0)
        simproc_dump_log(sp);
    sp->pid = -1;
    simproc_cleanup_files(sp);
    return rc;
}

/* A TCP port on 127.0.0.1 that nothing listens on (bound, then closed). */
static inline int simproc_closed_port(void)
{
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port = -1;

    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* ---- plain libcurl requests to /sim/ control endpoints ---- */

struct sim_http_reply {
    long status;
    char body[8192];
    size_t len;
    char location[2048]; /* Location header, or "" */
};

static inline size_t sim_http_on_body(char *data, size_t size, size_t nmemb,
                                      void *payload)
{
    struct sim_http_reply *r = payload;
    size_t len = size * nmemb;
    size_t room = sizeof(r->body) - 1 - r->len;

    memcpy(r->body + r->len, data, len < room ? len : room);
    r->len += len < room ? len : room;
    r->body[r->len] = '\0';
    return len;
}

static inline size_t sim_http_on_header(char *data, size_t size, size_t nmemb,
                                        void *payload)
{
    struct sim_http_reply *r = payload;
    size_t len = size * nmemb;

    if (len > 9 && strncasecmp(data, "location:", 9) == 0) {
        size_t start = 9, end = len;

        while (start < end && data[start] == ' ')
            start++;
        while (end > start && (data[end - 1] == '\r' || data[end - 1] == '\n'))
            end--;
        if (end - start < sizeof(r->location)) {
            memcpy(r->location, data + start, end - start);
            r->location[end - start] = '\0';
        }
    }
    return len;
}

/* Send method to url with an optional body of content_type; no redirects
 * are followed. Returns 0 with out filled, or -1 on a transport error. */
static inline int sim_http(const char *method, const char *url,
                           const char *content_type, const char *body,
                           struct sim_http_reply *out)
{
    CURL *c = curl_easy_init();
    struct curl_slist *headers = NULL;
    CURLcode cc;

    memset(out, 0, sizeof(*out));
    if (!c)
        return -1;
    if (content_type) {
        char line[128];

        snprintf(line, sizeof(line), "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, line);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sim_http_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sim_http_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    cc = curl_easy_perform(c);
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    else
        fprintf(stderr, "sim_http: %s %s: %s\n", method, url,
                curl_easy_strerror(cc));
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return cc == CURLE_OK ? 0 : -1;
}

/* PUT /sim/faults with a JSON object; 0 when sfsim returned 200. */
static inline int simproc_set_faults(const struct simproc *sp, const char *json)
{
    struct sim_http_reply r;
    char url[128];

    snprintf(url, sizeof(url), "%s/sim/faults", sp->url);
    if (sim_http("PUT", url, "application/json", json, &r) < 0)
        return -1;
    if (r.status != 200) {
        fprintf(stderr, "simproc: PUT /sim/faults %s gave %ld: %s\n", json,
                r.status, r.body);
        return -1;
    }
    return 0;
}

/* ---- canned HTTP server ---- */

#define CANNED_MAX_REPLIES 16

/* What the canned server does after reading one request. */
enum canned_action {
    CANNED_REPLY,       /* send the raw reply and keep the connection */
    CANNED_REPLY_CLOSE, /* send the raw reply, then close */
    CANNED_CLOSE,       /* close without replying */
    CANNED_SILENT,      /* never reply; hold the connection until stop */
};

struct canned_step {
    enum canned_action action;
    const char *raw; /* full HTTP response: status line, headers, body */
};

struct canned_server {
    int listen_fd;
    int port;
    char url[64];
    pthread_t thread;
    int stop_pipe[2];
    struct canned_step steps[CANNED_MAX_REPLIES];
    size_t nsteps;
    /* Filled by the thread; read after canned_stop. */
    int connections;
    int requests;
    char last_request[8192]; /* head and body of the last request */
};

/* Read one request (head and Content-Length body) into cs->last_request.
 * Returns 1 for a request, 0 at EOF or on stop. */
static inline int canned_read_request(struct canned_server *cs, int fd)
{
    size_t len = 0, need = 0;
    char *buf = cs->last_request;
    size_t cap = sizeof(cs->last_request) - 1;

    for (;;) {
        struct pollfd pfd[2] = {{fd, POLLIN, 0}, {cs->stop_pipe[0], POLLIN, 0}};
        char *head_end;
        ssize_t n;

        if (poll(pfd, 2, -1) < 0 && errno != EINTR)
            return 0;
        if (pfd[1].revents)
            return 0;
        if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        n = read(fd, buf + len, cap - len);
        if (n <= 0)
            return 0;
        len += (size_t)n;
        buf[len] = '\0';
        head_end = strstr(buf, "\r\n\r\n");
        if (head_end && need == 0) {
            const char *cl = strcasestr(buf, "\r\ncontent-length:");
            size_t body = cl && cl < head_end ? strtoul(cl + 17, NULL, 10) : 0;

            need = (size_t)(head_end + 4 - buf) + body;
        }
        if (need && len >= need)
            return 1;
        if (len >= cap)
            return 1;
    }
}

static inline void canned_write_all(int fd, const char *data)
{
    size_t len = strlen(data), off = 0;

    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);

        if (n <= 0)
            return;
        off += (size_t)n;
    }
}

/* Serve one connection; returns 0 to go on, -1 on stop. */
static inline int canned_serve(struct canned_server *cs, int fd)
{
    for (;;) {
        const struct canned_step *step;

        if (!canned_read_request(cs, fd))
            return 0;
        if (cs->requests >= (int)cs->nsteps) {
            cs->requests++;
            return 0;
        }
        step = &cs->steps[cs->requests++];
        switch (step->action) {
        case CANNED_REPLY:
            canned_write_all(fd, step->raw);
            break;
        case CANNED_REPLY_CLOSE:
            canned_write_all(fd, step->raw);
            return 0;
        case CANNED_CLOSE:
            return 0;
        case CANNED_SILENT:
            /* Wait for the client to give up, or for canned_stop. */
            for (;;) {
                struct pollfd pfd[2] = {{fd, POLLIN, 0},
                                        {cs->stop_pipe[0], POLLIN, 0}};
                char sink[512];

                if (poll(pfd, 2, -1) < 0 && errno != EINTR)
                    return -1;
                if (pfd[1].revents)
                    return -1;
                if (pfd[0].revents && read(fd, sink, sizeof(sink)) <= 0)
                    return 0;
            }
        }
    }
}

static inline void *canned_thread(void *arg)
{
    struct canned_server *cs = arg;

    for (;;) {
        struct pollfd pfd[2] = {{cs->listen_fd, POLLIN, 0},
                                {cs->stop_pipe[0], POLLIN, 0}};
        int fd, stop;

        if (poll(pfd, 2, -1) < 0 && errno != EINTR)
            break;
        if (pfd[1].revents)
            break;
        if (!(pfd[0].revents & POLLIN))
            continue;
        fd = accept(cs->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        cs->connections++;
        stop = canned_serve(cs, fd);
        close(fd);
        if (stop < 0)
            break;
    }
    return NULL;
}

/* Bind a listening socket on 127.0.0.1 and set cs->port and cs->url, so
 * that replies can name the server before it starts. 0 or -1. */
static inline int canned_bind(struct canned_server *cs)
{
    struct sockaddr_in addr = {0};
    socklen_t len = sizeof(addr);

    memset(cs, 0, sizeof(*cs));
    cs->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (cs->listen_fd < 0 ||
        bind(cs->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(cs->listen_fd, 8) < 0 ||
        getsockname(cs->listen_fd, (struct sockaddr *)&addr, &len) < 0 ||
        pipe(cs->stop_pipe) < 0) {
        perror("canned_bind");
        return -1;
    }
    cs->port = ntohs(addr.sin_port);
    snprintf(cs->url, sizeof(cs->url), "http://127.0.0.1:%d", cs->port);
    return 0;
}

/* Start serving the n steps on a bound server. The raw replies are used
 * in place and must outlive the server. 0 or -1. */
static inline int canned_run(struct canned_server *cs,
                             const struct canned_step *steps, size_t n)
{
    if (n > CANNED_MAX_REPLIES)
        return -1;
    memcpy(cs->steps, steps, n * sizeof(*steps));
    cs->nsteps = n;
    if (pthread_create(&cs->thread, NULL, canned_thread, cs) != 0)
        return -1;
    return 0;
}

/* canned_bind and canned_run in one call. 0 or -1. */
static inline int canned_start(struct canned_server *cs,
                               const struct canned_step *steps, size_t n)
{
    if (canned_bind(cs) < 0)
        return -1;
    return canned_run(cs, steps, n);
}

static inline void canned_stop(struct canned_server *cs)
{
    if (write(cs->stop_pipe[1], "x", 1) != 1)
        perror("canned_stop");
    pthread_join(cs->thread, NULL);
    close(cs->listen_fd);
    close(cs->stop_pipe[0]);
    close(cs->stop_pipe[1]);
}

#endif
