/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync serve: the JSON API, the admin page and the background sync. */
#include "base/common.h"

#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>

#include "serve/serve.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"

static void usage(FILE *out)
{
    fputs("usage: sfsync serve [--listen HOST:PORT] [--all-workspaces] "
          "[--allow-host NAME]...\n"
          "                    [--log-level LEVEL]\n"
          "Serve the JSON API under /api/ and the admin page, and sync in "
          "the background:\na round runs when a change arrives through the "
          "API and every poll_interval\nseconds while the integration is "
          "enabled and connected.\n\n"
          "  --listen HOST:PORT  the IPv4 address and port (default "
          DEFAULT_LISTEN "; port 0\n"
          "                      picks a free one)\n"
          "  --all-workspaces    serve every workspace of the store instead "
          "of --workspace:\n"
          "                      sign-in takes the workspace name, and each "
          "user sees only\n"
          "                      their own workspace. No background rounds "
          "run then; run\n"
          "                      'sfsync worker' (PostgreSQL) or 'sfsync "
          "--workspace NAME\n"
          "                      sync' for them; pulls requested through "
          "the API still run.\n"
          "                      The Host check then takes no public_url; "
          "give its host\n"
          "                      with --allow-host\n"
          "  --allow-host NAME   accept requests whose Host header names "
          "NAME, with any\n"
          "                      port; repeatable. Without it, only the "
          "listen address,\n"
          "                      localhost and 127.0.0.1 with the listen "
          "port and the host\n"
          "                      of the public_url setting are accepted; "
          "others get 421\n"
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

/* Whether name is a host name or a bracketed IPv6 address, with no port. */
static bool is_host_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 253)
        return false;
    if (name[0] == '[')
        return len > 2 && name[len - 1] == ']' &&
               strspn(name + 1, "0123456789abcdefABCDEF:.") == len - 2;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-')
            return false;
    return true;
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
        {"allow-host", required_argument, NULL, 'a'},
        {"all-workspaces", no_argument, NULL, 'A'},
        {"log-level", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *listen = DEFAULT_LISTEN;
    struct serve_options opts;
    const char **allow = NULL;
    size_t nallow = 0, allow_cap = 0;
    bool all_workspaces = false;
    char *host = NULL;
    struct err err;
    int c, level = LOG_INFO, port = 0, rc;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'l':
            listen = optarg;
            break;
        case 'a':
            if (!is_host_name(optarg)) {
                rc = cli_fail("invalid --allow-host '%s': give a host name "
                              "such as sfsync.example.com, without a port",
                              optarg);
                goto out;
            }
            allow = xgrow(allow, &allow_cap, nallow + 1, sizeof(*allow));
            allow[nallow++] = optarg;
            break;
        case 'A':
            all_workspaces = true;
            break;
        case 'v':
            level = log_level_parse(optarg);
            if (level < 0) {
                rc = cli_fail("invalid --log-level '%s': use debug, info, "
                              "warn, error or off",
                              optarg);
                goto out;
            }
            break;
        case 'h':
            usage(stdout);
            rc = 0;
            goto out;
        default:
            usage(stderr);
            rc = 2;
            goto out;
        }
    }
    if (optind != argc) {
        usage(stderr);
        rc = 2;
        goto out;
    }
    if (all_workspaces && cli->workspace_given) {
        rc = cli_fail("--workspace '%s' and --all-workspaces cannot be "
                      "combined: drop --workspace to serve every "
                      "workspace, or --all-workspaces to serve only that "
                      "one",
                      cli->workspace_name);
        goto out;
    }
    if (parse_listen(listen, &host, &port) < 0) {
        rc = cli_fail("invalid --listen '%s': give HOST:PORT such as "
                      "127.0.0.1:8080",
                      listen);
        goto out;
    }
    /* sfsync serve speaks plain HTTP only. */
    if (!is_loopback(host))
        fprintf(stderr,
                "sfsync: warning: listening on '%s' without TLS, so the "
                "page, sign-ins and session cookies travel unencrypted; "
                "put a TLS proxy in front and listen on 127.0.0.1\n",
                host);
    /* A long-running server logs its runs, so info is its default. */
    log_set_level((enum log_level)level);
    if (all_workspaces ? cli_open_store(cli, false) : cli_open(cli, false)) {
        rc = 1;
        goto out;
    }
    cli_close(cli);
    memset(&opts, 0, sizeof(opts));
    opts.db_path = cli->db_path;
    opts.workspace_name = cli->workspace_name;
    opts.host = host;
    opts.port = port;
    opts.all_workspaces = all_workspaces;
    opts.allow_hosts = allow;
    opts.nallow_hosts = nallow;
    rc = serve_run(&opts, &err) < 0 ? cli_fail_err(&err) : 0;
out:
    free(allow);
    free(host);
    return rc;
}
