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
          "The summary counts the pull and the push apart: records pulled "
          "from Salesforce\nthat created, updated or deleted local "
          "contacts, and records that the push\ncreated, updated or "
          "deleted in Salesforce. A contact kept after its record was\n"
          "deleted in Salesforce (on_salesforce_delete keep) counts as "
          "unlinked. API calls\ncount every call the round sent, failed "
          "ones too, and a failed round counts its\nerror. The exit status "
          "is 0 when the round finished (or stopped at\n"
          "api_budget_percent) without errors, and 1 otherwise. 'sfsync "
          "errors' lists the\nrecords and contacts that failed, and "
          "'sfsync runs' why a whole round failed.\n",
          out);
}

/* The counts of one step; records is what the step read or wrote. */
static json_t *counts_json(const struct store_run_counts *c, int64_t records)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "records",
                     (json_int_t)records, "created",
                     (json_int_t)c->created, "updated",
                     (json_int_t)c->updated, "deleted",
                     (json_int_t)c->deleted, "unchanged",
                     (json_int_t)c->unchanged, "conflicts",
                     (json_int_t)c->conflicts, "errors",
                     (json_int_t)c->errors);
}

static json_t *summary_json(const struct sync_result *res)
{
    const struct store_run_counts *c = &res->counts;
    json_t *obj, *pull;

    obj = json_pack("{s:I, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
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
    json_object_set_new(obj, "unlinked", json_integer(res->unlinked));
    pull = counts_json(&res->pull_counts, res->pull_counts.pulled);
    json_object_set_new(pull, "unlinked", json_integer(res->unlinked));
    json_object_set_new(obj, "pull", pull);
    json_object_set_new(obj, "push",
                        counts_json(&res->push_counts,
                                    res->push_counts.pushed));
    json_object_set_new(obj, "held_back", json_integer(res->held_back));
    json_object_set_new(obj, "recovered", json_integer(res->recovered));
    return obj;
}

static const char *plural(int64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void print_text(const struct sync_result *res)
{
    const struct store_run_counts *c = &res->counts;
    const struct store_run_counts *in = &res->pull_counts;
    const struct store_run_counts *out = &res->push_counts;
    bool failed = !res->status[0] || strcmp(res->status, "failed") == 0;
    /* The counts of a failed round include the error that failed it. */
    int64_t errors = c->errors;

    printf("sync %s\n", res->status[0] ? res->status : "failed");
    printf("  pulled from Salesforce: %" PRId64 " %s (%" PRId64
           " created, %" PRId64 " updated, %" PRId64 " deleted locally",
           in->pulled, plural(in->pulled, "record", "records"), in->created,
           in->updated, in->deleted);
    if (res->unlinked)
        printf(", %" PRId64 " unlinked", res->unlinked);
    printf("), %" PRId64 " %s\n", in->conflicts,
           plural(in->conflicts, "conflict", "conflicts"));
    printf("  pushed to Salesforce:   %" PRId64 " %s (%" PRId64
           " created, %" PRId64 " updated, %" PRId64
           " deleted in Salesforce)\n",
           out->pushed, plural(out->pushed, "record", "records"),
           out->created, out->updated, out->deleted);
    if (res->held_back)
        printf("  held back %" PRId64 " %s with pending changes, because "
               "direction is from-salesforce\n  (run 'sfsync config set "
               "direction both' to push them)\n",
               res->held_back,
               plural(res->held_back, "contact", "contacts"));
    if (res->unlinked)
        printf("  kept %" PRId64 " %s whose Salesforce record was deleted "
               "(on_salesforce_delete keep)\n",
               res->unlinked, plural(res->unlinked, "contact", "contacts"));
    if (res->recovered)
        printf("  linked %" PRId64 " %s to the records an earlier push "
               "created before its reply was lost\n",
               res->recovered, plural(res->recovered, "contact", "contacts"));
    printf("  %" PRId64 " %s, %" PRId64 " API %s\n", errors,
           plural(errors, "error", "errors"), c->api_calls,
           plural(c->api_calls, "call", "calls"));
    if (res->stopped || (failed && res->message[0]))
        printf("%s\n", res->message);
    if (c->errors > (failed ? 1 : 0))
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
        fprintf(stderr, "sfsync: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (cli_open(cli, false) || cli_lock(cli, "sfsync sync"))
        return 1;
    memset(&res, 0, sizeof(res));
    rc = connection_open(&conn, cli->store, cli->ws.id, &err);
    if (rc == 0) {
        rc = sync_run(&conn, &opts, &res, &err);
        connection_close(&conn);
    }
    if (rc < 0) {
        sync_external_id_advice(&err, CLEAR_EXTERNAL_ID);
        snprintf(res.message, sizeof(res.message), "%s", err.msg);
    }
    if (json)
        cli_print_json(summary_json(&res));
    else if (rc == 0 || res.run_id)
        print_text(&res);
    if (rc < 0) {
        if (!json)
            cli_fail("sync failed: %s", err.msg);
        return 1;
    }
    return res.counts.errors ? 1 : 0;
}
