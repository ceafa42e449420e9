/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync pull contacts|leads: fetch Salesforce records now. */
#include "base/common.h"

#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <time.h>
#include <unistd.h>

#include "base/datetime.h"
#include "sync/pull.h"

struct progress {
    int64_t started_ms;
    bool shown;
};

/* Draw "[####....] 1200/5000  24%  3400/s  ETA 1s" on stderr. */
static void show_progress(long long done, long long total, void *payload)
{
    struct progress *p = payload;
    double secs = (double)(datetime_now_ms() - p->started_ms) / 1000.0;
    double rate = secs > 0 ? (double)done / secs : 0;
    int width = 30, filled;
    char bar[32];

    if (total < done)
        total = done;
    filled = total ? (int)((double)done / (double)total * width) : width;
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %lld/%lld %3d%%  %.0f/s  ETA %.0fs ", bar, done,
            total, total ? (int)(100 * done / total) : 100, rate,
            rate > 0 ? (double)(total - done) / rate : 0.0);
    fflush(stderr);
    p->shown = true;
}

/*
 * The message of a failed pull, heap-allocated. A failure after the run
 * started came from Salesforce or the store, so the message adds what to
 * do next: reconnect after a rejected login, or else run the pull again.
 */
static char *failure_text(const struct err *err, const char *what,
                          bool started)
{
    if (!started)
        return xstrdup(err->msg);
    if (err->code == SYNC_EAUTH)
        return xasprintf("%s; run 'sfsync connect' again", err->msg);
    return xasprintf("%s; run 'sfsync pull %s' again later, the records "
                     "stored so far are kept",
                     err->msg, what);
}

/* Print the reasons of the records this pull skipped, the newest sync
 * errors of the workspace, at most ten of them. */
static void print_skipped(struct cli *cli, int64_t count)
{
    struct store_sync_error *errors = NULL;
    size_t n = 0;

    if (store_sync_error_list(cli->store, cli->ws.id, 0,
                              count < 10 ? (size_t)count : 10, &errors, &n,
                              NULL) < 0)
        return;
    printf("records not stored (run 'sfsync pull' again once they are "
           "fixed in Salesforce):\n");
    for (size_t i = 0; i < n; i++)
        printf("  %s %s: %s\n", errors[i].sf_id, errors[i].code,
               errors[i].message);
    if ((int64_t)n < count)
        printf("  ... and %" PRId64 " more\n", count - (int64_t)n);
    store_sync_errors_free(errors, n);
}

static void usage(FILE *out)
{
    fputs("usage: sfsync pull contacts|leads [--json] [--batch-size N]\n"
          "Read every Salesforce Contact or Lead into the local contact "
          "list. Linked\ncontacts are updated, unlinked ones with the same "
          "phone or email are linked,\nand the rest are created. An "
          "interrupted pull goes on where it stopped.\nA pull of more "
          "records than the setting bulk_threshold reads through Bulk\n"
          "API 2.0.\n\n"
          "  --json          print a summary object instead of text\n"
          "  --batch-size N  records per query page or Bulk API results "
          "page, 200 to\n                  2000 (default 2000 for REST; Bulk "
          "API pages hold 5000\n                  unless this is given)\n",
          out);
}

int cmd_pull(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"batch-size", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct pull_options opts;
    struct pull_result res;
    struct progress prog = {datetime_now_ms(), false};
    struct connection conn;
    bool json = false;
    char *end, *failure = NULL;
    struct err err;
    int c, rc;

    memset(&opts, 0, sizeof(opts));
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
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[optind], "contacts") == 0)
        opts.object = SF_OBJECT_CONTACT;
    else if (strcmp(argv[optind], "leads") == 0)
        opts.object = SF_OBJECT_LEAD;
    else
        return cli_fail("cannot pull '%s': use contacts or leads",
                        argv[optind]);
    if (!json && isatty(STDERR_FILENO)) {
        opts.progress = show_progress;
        opts.payload = &prog;
    }
    if (cli_open(cli, false) ||
        cli_lock(cli, opts.object == SF_OBJECT_LEAD ? "sfsync pull leads"
                                                    : "sfsync pull contacts"))
        return 1;
    /* A connection that cannot be opened fails the pull like any other
     * error, so that --json still prints a summary. */
    memset(&res, 0, sizeof(res));
    rc = connection_open(&conn, cli->store, cli->ws.id, &err);
    if (rc == 0) {
        rc = pull_run(&conn, &opts, &res, &err);
        connection_close(&conn);
    }
    if (rc < 0)
        failure = failure_text(&err, argv[optind], res.run_id != 0);
    if (prog.shown)
        fputc('\n', stderr);
    if (json) {
        cli_print_json(json_pack(
            "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s*}",
            "object", mapping_object_name(opts.object), "run_id",
            (json_int_t)res.run_id, "total", (json_int_t)res.total,
            "created", (json_int_t)res.counts.created, "updated",
            (json_int_t)res.counts.updated, "unchanged",
            (json_int_t)res.counts.unchanged, "skipped",
            (json_int_t)res.counts.skipped, "errors",
            (json_int_t)res.counts.errors, "api_calls",
            (json_int_t)res.counts.api_calls, "resumed", res.resumed,
            "error", failure));
    } else if (rc == 0) {
        printf("pulled %lld %s%s: %" PRId64 " created, %" PRId64
               " updated, %" PRId64 " unchanged, %" PRId64 " %s, %" PRId64
               " API %s\n",
               res.total,
               opts.object == SF_OBJECT_LEAD ? "Leads" : "Contacts",
               res.resumed ? " (resumed)" : "", res.counts.created,
               res.counts.updated, res.counts.unchanged, res.counts.errors,
               res.counts.errors == 1 ? "error" : "errors",
               res.counts.api_calls,
               res.counts.api_calls == 1 ? "call" : "calls");
        if (res.counts.errors)
            print_skipped(cli, res.counts.errors);
    }
    if (rc < 0) {
        if (!json)
            cli_fail("pull of %s failed: %s", argv[optind], failure);
        free(failure);
        return 1;
    }
    return res.counts.errors ? 1 : 0;
}
