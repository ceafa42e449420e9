/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync sync: run one round of the two-way sync now. */
#include "base/common.h"

#include "cli.h"

#include <getopt.h>
#include <inttypes.h>

#include "sync/engine.h"

static void usage(FILE *out)
{
    fputs("usage: sfsync sync [--json] [--batch-size N]\n"
          "Run one sync round: pull the Salesforce changes since the last "
          "round, then\npush the local changes, as the settings 'direction' "
          "and 'objects' allow.\n\n"
          "  --json          print a summary object instead of text\n"
          "  --batch-size N  records per query page, 200 to 2000 (default "
          "2000)\n\n"
          "The summary counts records pushed to Salesforce and pulled into "
          "local contacts;\ncreated, updated and deleted count both "
          "directions together. The exit status\nis 0 when the round "
          "finished (or stopped at api_budget_percent) without\nerrors, "
          "and 1 otherwise; 'sfsync errors' lists what failed.\n",
          out);
}

static json_t *summary_json(const struct sync_result *res)
{
    const struct store_run_counts *c = &res->counts;

    return json_pack("{s:I, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:I, s:I}",
                     "run_id", (json_int_t)res->run_id, "status",
                     res->status[0] ? res->status : "failed", "message",
                     res->message[0] ? json_string(res->message)
                                     : json_null(),
                     "pushed",
                     (json_int_t)c->pushed, "pulled", (json_int_t)c->pulled,
                     "created", (json_int_t)c->created, "updated",
                     (json_int_t)c->updated, "deleted",
                     (json_int_t)c->deleted, "unchanged",
                     (json_int_t)c->unchanged, "conflicts",
                     (json_int_t)c->conflicts, "errors",
                     (json_int_t)c->errors, "api_calls",
                     (json_int_t)c->api_calls);
}

static void print_text(const struct sync_result *res)
{
    const struct store_run_counts *c = &res->counts;

    printf("sync %s: %" PRId64 " pushed, %" PRId64 " pulled (%" PRId64
           " created, %" PRId64 " updated, %" PRId64 " deleted), %" PRId64
           " conflicts, %" PRId64 " errors, %" PRId64 " API calls\n",
           res->status, c->pushed, c->pulled, c->created, c->updated,
           c->deleted, c->conflicts, c->errors, c->api_calls);
    if (res->stopped)
        printf("%s\n", res->message);
    if (c->errors)
        puts("run 'sfsync errors' to see what failed");
}

int cmd_sync(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"batch-size", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct sync_options opts = {0};
    struct sync_result res;
    struct connection conn;
    bool json = false;
    struct err err;
    char *end;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'b':
            opts.batch_size = (int)strtol(optarg, &end, 10);
            if (*end || opts.batch_size < 200 || opts.batch_size > 2000)
                return cli_fail("invalid --batch-size '%s': give 200 to "
                                "2000",
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
    if (cli_open(cli, false) || cli_lock(cli))
        return 1;
    memset(&res, 0, sizeof(res));
    rc = connection_open(&conn, cli->store, cli->ws.id, &err);
    if (rc == 0) {
        rc = sync_run(&conn, &opts, &res, &err);
        connection_close(&conn);
    }
    if (rc < 0 && !res.message[0])
        snprintf(res.message, sizeof(res.message), "%s", err.msg);
    if (json)
        cli_print_json(summary_json(&res));
    else if (rc == 0)
        print_text(&res);
    if (rc < 0) {
        if (!json)
            cli_fail("sync failed: %s", err.msg);
        return 1;
    }
    return res.counts.errors ? 1 : 0;
}
