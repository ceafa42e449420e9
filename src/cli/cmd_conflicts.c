/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync conflicts: the fields that changed on both sides, and who won. */
#include "base/common.h"

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>

#include "base/datetime.h"
#include "model/mapping.h"

#define CONFLICTS_DEFAULT_LIMIT 50
#define CONFLICTS_MAX_LIMIT 1000

static void usage(FILE *out)
{
    fputs("usage: sfsync conflicts [--run ID] [--limit N] [--json]\n"
          "List the fields that changed both in sfsync and in Salesforce "
          "since they last\nagreed, newest first: both values, the side "
          "that won and the conflict_policy\nthat chose it. The losing "
          "value is kept here only.\n\n"
          "  --run ID   only the conflicts of that run ('sfsync runs' lists "
          "them)\n"
          "  --limit N  conflicts to list, 1 to 1000 (default 50)\n"
          "  --json     print a JSON array instead of text\n",
          out);
}

static json_t *conflict_json(const struct store_conflict *c)
{
    char created[DATETIME_LEN];

    datetime_format_z(c->created_ms, created);
    return json_pack(
        "{s:I, s:o, s:I, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:s}", "id",
        (json_int_t)c->id, "run_id",
        c->run_id ? json_integer(c->run_id) : json_null(), "contact_id",
        (json_int_t)c->contact_id, "object",
        mapping_object_name((enum sf_object)c->object), "salesforce_id",
        c->sf_id, "field", c->field, "local_value", c->local_value,
        "salesforce_value", c->remote_value, "winner", c->winner, "policy",
        c->policy, "created_at", created);
}

/* Print v quoted, or "(empty)" for NULL. */
static void print_value(const char *label, const char *v)
{
    if (v)
        printf("  %-11s '%s'\n", label, v);
    else
        printf("  %-11s (empty)\n", label);
}

static void print_conflict(const struct store_conflict *c)
{
    char created[DATETIME_LEN];

    datetime_format_z(c->created_ms, created);
    printf("%s  contact %" PRId64 " %s %s field %s: %s won (%s)", created,
           c->contact_id, mapping_object_name((enum sf_object)c->object),
           c->sf_id, c->field, c->winner, c->policy);
    if (c->run_id)
        printf(", run %" PRId64, c->run_id);
    putchar('\n');
    print_value("sfsync", c->local_value);
    print_value("Salesforce", c->remote_value);
}

static int parse_number(const char *option, const char *text, long max,
                        long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > max)
        return cli_fail("invalid %s '%s': give 1 to %ld", option, text, max);
    *out = v;
    return 0;
}

int cmd_conflicts(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"run", required_argument, NULL, 'r'},
        {"limit", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct store_conflict *conflicts = NULL;
    long limit = CONFLICTS_DEFAULT_LIMIT, run = 0;
    bool json = false;
    size_t n = 0;
    struct err err;
    json_t *list;
    int c;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (parse_number("--run", optarg, LONG_MAX, &run))
                return 1;
            break;
        case 'n':
            if (parse_number("--limit", optarg, CONFLICTS_MAX_LIMIT, &limit))
                return 1;
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
    if (store_conflict_list(cli->store, cli->ws.id, (int64_t)run,
                            (size_t)limit, &conflicts, &n, &err) < 0)
        return cli_fail_err(&err);
    if (json) {
        list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, conflict_json(&conflicts[i]));
        cli_print_json(list);
    } else if (n == 0) {
        puts(run ? "no conflicts in that run" : "no conflicts");
    } else {
        for (size_t i = 0; i < n; i++)
            print_conflict(&conflicts[i]);
    }
    store_conflicts_free(conflicts, n);
    return 0;
}
