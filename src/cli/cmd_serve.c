/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync serve: the JSON API, the admin page and the background sync. */
#include "base/common.h"

#include "cli.h"

#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>

#include "serve/serve.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"

static void usage(FILE *out)
{
    fputs("usage: sfsync serve [--listen HOST:PORT] [--log-level LEVEL]\n"
          "Serve the JSON API under /api/ and the admin page, and sync in "
          "the background:\na round runs when a change arrives through the "
          "API and every poll_interval\nseconds while the integration is "
          "enabled and connected.\n\n"
          "  --listen HOST:PORT  the IPv4 address and port (default "
          DEFAULT_LISTEN "; port 0\n"
          "                      picks a free one)\n"
          "  --log-level LEVEL   debug, info, warn, error or off (default "
          "info)\n\n"
          "The first line printed is 'sfsync serving http://HOST:PORT'. "
          "SIGTERM or SIGINT\nstops it: running pulls stop after their "
          "current page. Sign in with a user\nof 'sfsync users add'; "
          "docs/api.md describes the API.\n",
          out);
}

/* Split "HOST:PORT" into host (owned by the caller) and port. */
static int parse_listen(const char *value, char **host, int *port)
{
    const char *colon = strrchr(value, ':');
    char *end;
    long n;

    if (!colon || colon == value)
        return -1;
    errno = 0;
    n = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || n < 0 || n > 65535)
        return -1;
    *host = xstrndup(value, (size_t)(colon - value));
    *port = (int)n;
    return 0;
}

/* Whether host is a loopback address, which only this machine reaches. */
static bool is_loopback(const char *host)
{
    struct in_addr addr;

    if (strcmp(host, "localhost") == 0)
        return true;
    return inet_pton(AF_INET, host, &addr) == 1 &&
           (ntohl(addr.s_addr) >> 24) == 127;
}

int cmd_serve(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"listen", required_argument, NULL, 'l'},
        {"log-level", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *listen = DEFAULT_LISTEN;
    struct serve_options opts;
    char *host = NULL;
    struct err err;
    int c, level = LOG_INFO, port = 0, rc;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'l':
            listen = optarg;
            break;
        case 'v':
            level = log_level_parse(optarg);
            if (level < 0)
                return cli_fail("invalid --log-level '%s': use debug, "
                                "info, warn, error or off",
                                optarg);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (parse_listen(listen, &host, &port) < 0)
        return cli_fail("invalid --listen '%s': give HOST:PORT such as "
                        "127.0.0.1:8080",
                        listen);
    /* sfsync serve speaks plain HTTP only. */
    if (!is_loopback(host))
        fprintf(stderr,
                "sfsync: warning: listening on '%s' without TLS, so the "
                "page, sign-ins and session cookies travel unencrypted; "
                "put a TLS proxy in front and listen on 127.0.0.1\n",
                host);
    /* A long-running server logs its runs, so info is its default. */
    log_set_level((enum log_level)level);
    if (cli_open(cli, false)) {
        free(host);
        return 1;
    }
    cli_close(cli);
    memset(&opts, 0, sizeof(opts));
    opts.db_path = cli->db_path;
    opts.workspace_name = cli->workspace_name;
    opts.host = host;
    opts.port = port;
    rc = serve_run(&opts, &err);
    free(host);
    if (rc < 0)
        return cli_fail_err(&err);
    return 0;
}
