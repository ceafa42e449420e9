/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync runs: the run log of pulls and sync rounds, newest first. */
#include "base/common.h"

#include "cli.h"

#include <getopt.h>
#include <inttypes.h>

#include "base/datetime.h"

#define RUNS_DEFAULT_LIMIT 20
#define RUNS_MAX_LIMIT 1000

static void usage(FILE *out)
{
    fputs("usage: sfsync runs [--limit N] [--json]\n"
          "List the latest pulls and sync rounds, newest first.\n\n"
          "  --limit N  runs to list, 1 to 1000 (default 20)\n"
          "  --json     print a JSON array instead of text\n",
          out);
}

static json_t *time_json(int64_t ms)
{
    char text[DATETIME_LEN];

    if (!ms)
        return json_null();
    datetime_format_z(ms, text);
    return json_string(text);
}

static json_t *run_json(const struct store_run *r)
{
    const struct store_run_counts *c = &r->counts;
    json_t *obj = json_pack(
        "{s:I, s:s, s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
        "s:I, s:o}",
        "id", (json_int_t)r->id, "kind", r->kind, "object",
        r->object >= 0
            ? json_string(mapping_object_name((enum sf_object)r->object))
            : json_null(),
        "status", r->status, "pushed", (json_int_t)c->pushed, "pulled",
        (json_int_t)c->pulled, "created", (json_int_t)c->created, "updated",
        (json_int_t)c->updated, "deleted", (json_int_t)c->deleted,
        "unchanged", (json_int_t)c->unchanged, "skipped",
        (json_int_t)c->skipped, "conflicts", (json_int_t)c->conflicts,
        "errors", (json_int_t)c->errors, "api_calls",
        (json_int_t)c->api_calls, "message",
        r->message ? json_string(r->message) : json_null());

    json_object_set_new(obj, "error_code", r->error_code
                                               ? json_string(r->error_code)
                                               : json_null());
    json_object_set_new(obj, "api", r->api ? json_string(r->api) : json_null());
    json_object_set_new(obj, "expected", r->expected >= 0
                                             ? json_integer(r->expected)
                                             : json_null());
    json_object_set_new(obj, "started_at", time_json(r->started_ms));
    json_object_set_new(obj, "finished_at", time_json(r->finished_ms));
    return obj;
}

static void print_run(const struct store_run *r)
{
    const struct store_run_counts *c = &r->counts;
    char started[DATETIME_LEN];

    datetime_format_z(r->started_ms, started);
    printf("%6" PRId64 "  %s  %-4s %-7s %-9s pushed %" PRId64
           ", pulled %" PRId64 ", created %" PRId64 ", updated %" PRId64
           ", unchanged %" PRId64 ", deleted %" PRId64
           ", conflicts %" PRId64 ", errors %" PRId64 ", API calls %" PRId64,
           r->id, started, r->kind,
           r->object >= 0 ? mapping_object_name((enum sf_object)r->object)
                          : "all",
           r->status, c->pushed, c->pulled, c->created, c->updated,
           c->unchanged, c->deleted, c->conflicts, c->errors, c->api_calls);
    /* A pull that has not finished well shows its records done out of
     * those expected. */
    if (r->api && r->expected >= 0 &&
        (r->finished_ms == 0 || strcmp(r->status, "ok") != 0))
        printf(" (%s API, %" PRId64 "/%" PRId64 " records)", r->api,
               c->created + c->updated + c->unchanged + c->errors,
               r->expected);
    else if (r->api)
        printf(" (%s API)", r->api);
    putchar('\n');
    if (r->message)
        printf("        %s\n", r->message);
}

int cmd_runs(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"limit", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct store_run *runs = NULL;
    long limit = RUNS_DEFAULT_LIMIT;
    bool json = false;
    size_t n = 0;
    struct err err;
    json_t *list;
    char *end;
    int c;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'n':
            limit = strtol(optarg, &end, 10);
            if (*end || limit < 1 || limit > RUNS_MAX_LIMIT)
                return cli_fail("invalid --limit '%s': give 1 to %d",
                                optarg, RUNS_MAX_LIMIT);
            break;
        case 'j':
            json = true;
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
    if (cli_open(cli, false))
        return 1;
    store_run_abandon_dead(cli->store, cli->ws.id, NULL, NULL);
    if (store_run_list(cli->store, cli->ws.id, (size_t)limit, &runs, &n,
                       &err) < 0)
        return cli_fail_err(&err);
    if (json) {
        list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, run_json(&runs[i]));
        cli_print_json(list);
    } else if (n == 0) {
        puts("no runs yet: run 'sfsync sync' or 'sfsync pull'");
    } else {
        for (size_t i = 0; i < n; i++)
            print_run(&runs[i]);
    }
    store_runs_free(runs, n);
    return 0;
}
