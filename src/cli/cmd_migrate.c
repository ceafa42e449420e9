/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync migrate: copy a SQLite store into an empty PostgreSQL database. */
#include "base/common.h"

#include "cli.h"

#include <getopt.h>
#include <inttypes.h>

static void usage(FILE *out)
{
    fputs("usage: sfsync [--db FILE] migrate --to URI [--json]\n"
          "Copy every workspace and row of the SQLite store FILE into the "
          "empty\n"
          "PostgreSQL database URI in one transaction, and check the row "
          "counts.\n\n"
          "  --to URI  the target, postgresql://user@host:port/dbname\n"
          "  --json    print the copied row counts as JSON\n\n"
          "Credentials stay encrypted under the SQLite store's key: run "
          "sfsync on\n"
          "the target with SFSYNC_SECRET_KEY set to that key, or with\n"
          "SFSYNC_SECRET_KEY_FILE naming the key file FILE.key.\n",
          out);
}

static void print_counts(const struct store_copy_count *counts,
                         const char *where, bool json)
{
    json_t *obj;

    if (!json) {
        printf("migrated to %s:\n", where);
        for (size_t i = 0; i < STORE_COPY_TABLES; i++)
            printf("  %-15s %" PRId64 "\n", counts[i].table, counts[i].rows);
        return;
    }
    obj = json_object();
    for (size_t i = 0; i < STORE_COPY_TABLES; i++)
        json_object_set_new(obj, counts[i].table,
                            json_integer((json_int_t)counts[i].rows));
    cli_print_json(json_pack("{s:s, s:o}", "target", where, "rows", obj));
}

int cmd_migrate(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"to", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct store_copy_count counts[STORE_COPY_TABLES];
    const char *target = NULL;
    bool json = false;
    char *where;
    struct err err;
    int c;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 't':
            target = optarg;
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
    if (optind < argc)
        return cli_fail("migrate takes no arguments; got '%s'", argv[optind]);
    if (!target || !*target)
        return cli_fail("migrate needs --to URI, the PostgreSQL database to "
                        "copy into");
    err_clear(&err);
    if (store_copy_to_postgres(cli->db_path, target, counts, &err) < 0)
        return cli_fail_err(&err);
    where = store_target_display(target);
    print_counts(counts, where, json);
    free(where);
    return 0;
}
