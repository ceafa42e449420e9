/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync errors [retry]: the sync errors of the workspace. */
#include "base/common.h"

#include "cli.h"

#include <getopt.h>
#include <inttypes.h>

#include "base/datetime.h"
#include "sync/engine.h"

#define ERRORS_DEFAULT_LIMIT 100
#define ERRORS_MAX_LIMIT 1000
/* NOTE: 'errors retry' counts the retryable errors among this many of the
 * newest, so a larger backlog is undercounted in its output. */
#define ERRORS_COUNT_MAX 100000

static void usage(FILE *out)
{
    fputs("usage: sfsync errors [--limit N] [--json]\n"
          "       sfsync errors retry\n"
          "List the sync errors, newest first: contacts the push could not "
          "send and\nrecords the pull could not store. A retryable error is "
          "tried again by every\nsync round; a permanent one waits until the "
          "contact changes again.\n'errors retry' marks every permanent "
          "error retryable, so that the next round\ntries them all again; "
          "it skips the notices of contacts archived because a\nmerge or "
          "lead conversion in Salesforce made them one with another.\n"
          "A notice is listed as such and counts as no error.\n\n"
          "  --limit N  errors to list, 1 to 1000 (default 100)\n"
          "  --json     print a JSON array instead of text; \"notice\": true "
          "marks a notice\n",
          out);
}

static json_t *error_json(const struct store_sync_error *e)
{
    char created[DATETIME_LEN];

    datetime_format_z(e->created_ms, created);
    return json_pack(
        "{s:I, s:o, s:o, s:o, s:s, s:s, s:b, s:b, s:I, s:s}", "id",
        (json_int_t)e->id, "contact_id",
        e->contact_id ? json_integer(e->contact_id) : json_null(), "object",
        e->object >= 0
            ? json_string(mapping_object_name((enum sf_object)e->object))
            : json_null(),
        "salesforce_id", e->sf_id[0] ? json_string(e->sf_id) : json_null(),
        "code", e->code, "message", e->message, "retryable", e->retryable,
        "notice", sync_error_is_notice(e->code), "version",
        (json_int_t)e->version, "created_at", created);
}

/* The label of e in the listing: notice, retryable or permanent. */
static const char *error_kind(const struct store_sync_error *e)
{
    if (sync_error_is_notice(e->code))
        return "notice";
    return e->retryable ? "retryable" : "permanent";
}

static void print_error(const struct store_sync_error *e)
{
    char created[DATETIME_LEN];

    datetime_format_z(e->created_ms, created);
    printf("%s  ", created);
    if (e->contact_id)
        printf("contact %" PRId64 " ", e->contact_id);
    if (e->sf_id[0])
        printf("%s %s ",
               e->object >= 0 ? mapping_object_name((enum sf_object)e->object)
                              : "record",
               e->sf_id);
    printf("%s (%s): %s\n", e->code, error_kind(e), e->message);
}

/* Set *out to the number of retryable errors among the newest
 * ERRORS_COUNT_MAX of the workspace. */
static int count_retryable(struct cli *cli, int64_t *out, struct err *err)
{
    struct store_sync_error *errors = NULL;
    size_t n = 0;
    int rc;

    *out = 0;
    if ((rc = store_sync_error_list(cli->store, cli->ws.id, 0,
                                    ERRORS_COUNT_MAX, &errors, &n, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (errors[i].retryable)
            (*out)++;
    store_sync_errors_free(errors, n);
    return 0;
}

static int errors_retry(struct cli *cli)
{
    int64_t count = 0, skipped = 0, retryable = 0;
    struct err err;

    if (cli_open(cli, false))
        return 1;
    /* Counted first, because the retry makes the marked ones retryable. */
    if (count_retryable(cli, &retryable, &err) < 0 ||
        sync_retry_errors(cli->store, cli->ws.id, &count, &skipped, &err) <
            0)
        return cli_fail_err(&err);
    if (count)
        printf("%" PRId64 " %s marked for retry; the next 'sfsync sync' "
               "tries %s again\n",
               count, count == 1 ? "error" : "errors",
               count == 1 ? "it" : "them");
    else
        puts("0 errors marked for retry: no error was permanent");
    if (retryable)
        printf("%" PRId64 " retryable %s tried again by the next "
               "'sfsync sync' anyway\n",
               retryable, retryable == 1 ? "error is" : "errors are");
    if (skipped)
        printf("skipped %" PRId64 " %s of contacts archived because a merge "
               "or lead conversion in\nSalesforce made them one with "
               "another contact (MERGED_INTO_LINKED_RECORD,\n"
               "CONVERTED_CONTACT_LINKED): there is nothing to retry\n",
               skipped, skipped == 1 ? "notice" : "notices");
    return 0;
}

int cmd_errors(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"limit", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct store_sync_error *errors = NULL;
    long limit = ERRORS_DEFAULT_LIMIT;
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
            if (*end || limit < 1 || limit > ERRORS_MAX_LIMIT)
                return cli_fail("invalid --limit '%s': give 1 to %d",
                                optarg, ERRORS_MAX_LIMIT);
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
    if (optind == argc - 1 && strcmp(argv[optind], "retry") == 0)
        return errors_retry(cli);
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (cli_open(cli, false))
        return 1;
    if (store_sync_error_list(cli->store, cli->ws.id, 0, (size_t)limit,
                              &errors, &n, &err) < 0)
        return cli_fail_err(&err);
    if (json) {
        list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, error_json(&errors[i]));
        cli_print_json(list);
    } else if (n == 0) {
        puts("no sync errors");
    } else {
        for (size_t i = 0; i < n; i++)
            print_error(&errors[i]);
    }
    store_sync_errors_free(errors, n);
    return 0;
}
