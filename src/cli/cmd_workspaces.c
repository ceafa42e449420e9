/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync workspaces: add, list and remove the workspaces of one store. */
#include "base/common.h"

#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <unistd.h>

#include "base/datetime.h"
#include "sync/connection.h"
#include "sync/settings.h"

static void usage(FILE *out)
{
    fputs("usage: sfsync workspaces add NAME [--region XX]\n"
          "       sfsync workspaces list [--json]\n"
          "       sfsync workspaces remove NAME [--yes]\n"
          "Manage the workspaces of the store; other commands choose one "
          "with --workspace NAME.\n\n"
          "  add     create a workspace; NAME is 1 to 64 ASCII letters, "
          "digits, '.', '_'\n"
          "          and '-', starting with a letter or digit\n"
          "  --region XX  the ISO 3166 region of phones written without "
          "a country code\n"
          "          (default US)\n"
          "  list    show each workspace's region, integration, connected "
          "org, contacts\n"
          "          and last run\n"
          "  --json  print a JSON array instead of text\n"
          "  remove  delete the workspace and every row of it (contacts, "
          "links, runs,\n"
          "          errors, settings, users, the Salesforce connection) "
          "in one\n"
          "          transaction; without --yes it prints what it would "
          "delete and exits 1.\n"
          "          The Salesforce token is not revoked: run 'sfsync "
          "--workspace NAME\n"
          "          disconnect' first for that. A running pull, sync or "
          "worker round of\n"
          "          the workspace makes it fail.\n",
          out);
}

/* The number of contacts of workspace ws, archived ones when asked. */
static int count_contacts(struct store *s, int64_t ws, bool archived,
                          int64_t *out, struct err *err)
{
    struct store_contact_query q = {.include_archived = archived,
                                    .limit = 1};
    struct store_contact_list list = {0};
    int rc;

    if ((rc = store_contact_list(s, ws, &q, &list, err)) < 0)
        return rc;
    *out = list.total;
    store_contact_list_release(&list);
    return 0;
}

static int workspaces_add(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"region", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct store_workspace w = {0};
    const char *region = NULL, *name;
    struct err err;
    char *where;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'r':
            region = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return 2;
    }
    name = argv[optind];
    if (store_workspace_check_name(name, &err) < 0)
        return cli_fail_err(&err);
    if (region && !phone_region_supported(region))
        return cli_fail("invalid --region '%s': use an ISO 3166 two-letter "
                        "code such as 'US' or 'GB'",
                        region);
    if (cli_open_store(cli, true))
        return 1;
    where = store_target_display(cli->db_path);
    rc = store_workspace_get(cli->store, name, &w, &err);
    if (rc == 0) {
        cli_fail("workspace '%s' already exists in '%s': choose another "
                 "name, or see 'sfsync workspaces list'",
                 name, where);
        rc = 1;
        goto out;
    }
    if (rc != SYNC_ENOTFOUND ||
        store_workspace_get_or_create(cli->store, name, &w, &err) < 0 ||
        (region &&
         (store_workspace_set_region(cli->store, w.id, region, &err) < 0 ||
          store_workspace_get(cli->store, name, &w, &err) < 0))) {
        rc = cli_fail_err(&err);
        goto out;
    }
    printf("workspace '%s' is ready in %s (region %s)\n"
           "next: sfsync --workspace %s connect --login-url URL "
           "--client-id ID --client-secret-file FILE\n",
           name, where, w.default_region, name);
    rc = 0;
out:
    store_workspace_release(&w);
    free(where);
    return rc;
}

/* The state of one workspace that list shows. */
struct workspace_row {
    const struct store_workspace *ws;
    bool enabled;
    struct connection_status conn;
    int64_t contacts;
    struct store_run *last_run; /* NULL before the first run */
    size_t nruns;
};

static int row_load(struct store *s, const struct store_workspace *w,
                    struct workspace_row *row, struct err *err)
{
    int rc;

    memset(row, 0, sizeof(*row));
    row->ws = w;
    row->enabled = settings_enabled(s, w->id);
    if ((rc = connection_status_get(s, w->id, &row->conn, err)) < 0)
        return rc;
    if ((rc = count_contacts(s, w->id, false, &row->contacts, err)) < 0)
        return rc;
    store_run_abandon_dead(s, w->id, NULL, NULL);
    return store_run_list(s, w->id, 1, &row->last_run, &row->nruns, err);
}

static void row_release(struct workspace_row *row)
{
    connection_status_release(&row->conn);
    store_runs_free(row->last_run, row->nruns);
}

static json_t *time_json(int64_t ms)
{
    char text[DATETIME_LEN];

    if (!ms)
        return json_null();
    datetime_format_z(ms, text);
    return json_string(text);
}

static json_t *opt_string(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static json_t *row_json(const struct workspace_row *row)
{
    const struct connection_status *c = &row->conn;
    json_t *obj = json_pack("{s:I, s:s, s:s, s:b, s:I}", "id",
                            (json_int_t)row->ws->id, "name", row->ws->name,
                            "region", row->ws->default_region, "enabled",
                            row->enabled, "contacts",
                            (json_int_t)row->contacts);

    json_object_set_new(obj, "created_at", time_json(row->ws->created_ms));
    json_object_set_new(
        obj, "connection",
        json_pack("{s:b, s:b, s:o, s:o, s:o}", "connected", c->connected,
                  "needs_reconnect", c->needs_reconnect, "org_id",
                  opt_string(c->org_id), "instance_url",
                  opt_string(c->instance_url), "username",
                  opt_string(c->username)));
    if (row->nruns) {
        const struct store_run *r = row->last_run;

        json_object_set_new(
            obj, "last_run",
            json_pack("{s:I, s:s, s:s, s:o, s:o}", "id", (json_int_t)r->id,
                      "kind", r->kind, "status", r->status, "started_at",
                      time_json(r->started_ms), "finished_at",
                      time_json(r->finished_ms)));
    } else {
        json_object_set_new(obj, "last_run", json_null());
    }
    return obj;
}

static void row_print(const struct workspace_row *row)
{
    const struct connection_status *c = &row->conn;
    char org[128], started[DATETIME_LEN];

    if (!c->connected)
        snprintf(org, sizeof(org), "not connected");
    else
        snprintf(org, sizeof(org), "%s%s",
                 c->org_id && *c->org_id ? c->org_id : "connected",
                 c->needs_reconnect ? " (needs reconnect)" : "");
    printf("%-20s %-6s %-7s %-32s %8" PRId64 "  ", row->ws->name,
           row->ws->default_region, row->enabled ? "yes" : "no", org,
           row->contacts);
    if (!row->nruns) {
        puts("no runs");
        return;
    }
    datetime_format_z(row->last_run->started_ms, started);
    printf("%s %s %s\n", row->last_run->kind, row->last_run->status,
           started);
}

static int workspaces_list(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct store_workspace *list = NULL;
    size_t count = 0;
    bool json = false;
    json_t *array = NULL;
    struct err err;
    int c, rc = 0;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
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
    if (cli_open_store(cli, false))
        return 1;
    if (store_workspace_list(cli->store, &list, &count, &err) < 0)
        return cli_fail_err(&err);
    if (json)
        array = json_array();
    else if (count)
        printf("%-20s %-6s %-7s %-32s %8s  %s\n", "NAME", "REGION",
               "ENABLED", "ORG", "CONTACTS", "LAST RUN");
    else
        puts("no workspaces yet: run 'sfsync workspaces add NAME'");
    for (size_t i = 0; i < count; i++) {
        struct workspace_row row;

        if (row_load(cli->store, &list[i], &row, &err) < 0) {
            row_release(&row);
            rc = cli_fail_err(&err);
            goto out;
        }
        if (json)
            json_array_append_new(array, row_json(&row));
        else
            row_print(&row);
        row_release(&row);
    }
    if (json) {
        cli_print_json(array);
        array = NULL;
    }
out:
    json_decref(array);
    store_workspaces_free(list, count);
    return rc;
}

/* Print the rows that a removal deleted. Tables with none are left out,
 * and so is the workspace's lock, which the removal itself took. */
static void print_removed(const char *name,
                          const struct store_table_count *counts)
{
    int64_t total = 0;

    printf("removed workspace '%s':", name);
    for (size_t i = 0; i < STORE_WORKSPACE_TABLES; i++) {
        total += counts[i].rows;
        if (counts[i].rows && strcmp(counts[i].table, "workspaces") != 0 &&
            strcmp(counts[i].table, "locks") != 0)
            printf(" %s %" PRId64 ",", counts[i].table, counts[i].rows);
    }
    printf(" %" PRId64 " rows in all\n", total);
}

static int workspaces_remove(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"yes", no_argument, NULL, 'y'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct store_table_count counts[STORE_WORKSPACE_TABLES];
    struct store_workspace w = {0};
    struct store_user *users = NULL;
    size_t nusers = 0;
    struct store_lock holder;
    int64_t contacts = 0;
    const char *name;
    bool yes = false;
    struct err err;
    char *where = NULL;
    int c, rc;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'y':
            yes = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind + 1 != argc) {
        usage(stderr);
        return 2;
    }
    name = argv[optind];
    if (cli_open_store(cli, false))
        return 1;
    where = store_target_display(cli->db_path);
    rc = store_workspace_get(cli->store, name, &w, &err);
    if (rc == SYNC_ENOTFOUND) {
        rc = cli_fail("no workspace '%s' in '%s': see 'sfsync workspaces "
                      "list'",
                      name, where);
        goto out;
    }
    if (rc < 0 ||
        count_contacts(cli->store, w.id, true, &contacts, &err) < 0 ||
        store_user_list(cli->store, w.id, &users, &nusers, &err) < 0) {
        rc = cli_fail_err(&err);
        goto out;
    }
    if (!yes) {
        rc = cli_fail("not removed: workspace '%s' has %" PRId64
                      " %s and %zu %s, with its links, runs, "
                      "sync errors, settings and Salesforce connection; "
                      "run 'sfsync workspaces remove %s --yes' to delete "
                      "them all",
                      name, contacts, contacts == 1 ? "contact" : "contacts",
                      nusers, nusers == 1 ? "user" : "users", name);
        goto out;
    }
    /* Holding the sync lock keeps pull, sync and worker rounds out while
     * the rows go; the lock's own row is deleted with them. */
    rc = store_lock_acquire(cli->store, w.id, "sync", (int64_t)getpid(),
                            "sfsync workspaces remove", &holder, &err);
    if (rc < 0) {
        rc = cli_fail("cannot remove workspace '%s': %s", name, err.msg);
        goto out;
    }
    if (store_workspace_delete(cli->store, w.id, counts, &err) < 0) {
        store_lock_release(cli->store, w.id, "sync", (int64_t)getpid(),
                           NULL);
        rc = cli_fail("cannot remove workspace '%s': %s; nothing was "
                      "deleted",
                      name, err.msg);
        goto out;
    }
    print_removed(name, counts);
    rc = 0;
out:
    store_users_free(users, nusers);
    store_workspace_release(&w);
    free(where);
    return rc;
}

int cmd_workspaces(struct cli *cli, int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    /* Each subcommand parses its options after its own name. */
    if (strcmp(argv[1], "add") == 0)
        return workspaces_add(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return workspaces_list(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "remove") == 0)
        return workspaces_remove(cli, argc - 1, argv + 1);
    return cli_fail("unknown workspaces command '%s': use add, list or "
                    "remove",
                    argv[1]);
}
