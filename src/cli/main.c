/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync's entry point: global options, then one subcommand. */
#include "base/common.h"

#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef SFSYNC_JEMALLOC
#include <jemalloc/jemalloc.h>

/* jemalloc's options, read when it starts (MALLOC_CONF adds to them). One
 * arena and freed pages returned within a second keep the peak memory of a
 * large pull near the C library's malloc: about 90 MiB, measured for
 * 1,000,000 Contacts over Bulk. */
const char *malloc_conf =
    "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0,tcache_max:4096";
#endif

static const struct command {
    const char *name;
    int (*run)(struct cli *cli, int argc, char **argv);
    const char *summary;
} commands[] = {
    {"init", cmd_init, "create the database and the workspace"},
    {"connect", cmd_connect, "connect the workspace to a Salesforce org"},
    {"disconnect", cmd_disconnect, "forget the Salesforce connection"},
    {"status", cmd_status, "show the integration and its connection"},
    {"config", cmd_config, "get, set or list the settings"},
    {"pull", cmd_pull, "pull Salesforce Contacts or Leads now"},
    {"contacts", cmd_contacts, "list, show, add, change, delete or import contacts"},
    {"sync", cmd_sync, "run one two-way sync round now"},
    {"runs", cmd_runs, "list past pulls and sync rounds"},
    {"errors", cmd_errors, "list sync errors, or retry them"},
    {"conflicts", cmd_conflicts, "list fields changed on both sides"},
    {"migrate", cmd_migrate, "copy the store into a PostgreSQL database"},
    {"serve", cmd_serve, "serve the API and the admin page, and sync"},
    {"users", cmd_users, "manage the users of serve and their API tokens"},
    {"worker", cmd_worker, "sync every workspace of a PostgreSQL store"},
    {"workspaces", cmd_workspaces, "add, list or remove workspaces"},
};

static void usage(FILE *out)
{
    fputs("usage: sfsync [--db PATH] [--workspace NAME] [--log-level LEVEL]"
          " COMMAND [ARGS]\n"
          "Keep a contact center's contacts in step with Salesforce.\n\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("\nGlobal options:\n"
          "  --db PATH          the database file (default $SFSYNC_DB, or "
          "sfsync.db here)\n"
          "  --workspace NAME   the workspace (default 'default')\n"
          "  --log-level LEVEL  debug, info, warn, error or off "
          "(default warn)\n"
          "\nRun 'sfsync COMMAND --help' for a command's options.\n",
          out);
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("sfsync: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_fail_err(const struct err *err)
{
    return cli_fail("%s", err->msg);
}

void cli_print_json(json_t *value)
{
    json_dumpf(value, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
    fputc('\n', stdout);
    json_decref(value);
}

bool cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_open_store(struct cli *cli, bool create)
{
    struct stat st;
    struct err err;

    if (!create && store_target_is_file(cli->db_path) &&
        stat(cli->db_path, &st) < 0)
        return cli_fail("no database at '%s': run 'sfsync init' first, or "
                        "give --db PATH",
                        cli->db_path);
    if (store_open(&cli->store, cli->db_path, &err) < 0)
        return cli_fail_err(&err);
    return 0;
}

int cli_open(struct cli *cli, bool create)
{
    struct err err;
    int rc;

    if (cli_open_store(cli, create))
        return 1;
    rc = store_workspace_get(cli->store, cli->workspace_name, &cli->ws,
                             &err);
    /* Only a new workspace's name is checked, so that workspaces created
     * before names were checked stay usable. */
    if (rc == SYNC_ENOTFOUND && create) {
        if (store_workspace_check_name(cli->workspace_name, &err) < 0)
            return cli_fail_err(&err);
        rc = store_workspace_get_or_create(cli->store, cli->workspace_name,
                                           &cli->ws, &err);
    }
    /* An invalid name cannot be created, so init is no advice for it. A
     * valid name needs no quoting in the advice. */
    if (rc == SYNC_ENOTFOUND &&
        store_workspace_check_name(cli->workspace_name, &err) < 0)
        return cli_fail("%s; see 'sfsync workspaces list'", err.msg);
    if (rc == SYNC_ENOTFOUND) {
        char *where = store_target_display(cli->db_path);

        cli_fail("no workspace '%s' in '%s': run 'sfsync --workspace %s "
                 "init' to create it",
                 cli->workspace_name, where, cli->workspace_name);
        free(where);
        return 1;
    }
    if (rc < 0)
        return cli_fail_err(&err);
    return 0;
}

/* The lock that pull and sync take. */
#define CLI_LOCK_NAME "sync"

int cli_lock(struct cli *cli, const char *command)
{
    struct store_lock holder;
    struct err err;

    if (store_lock_acquire(cli->store, cli->ws.id, CLI_LOCK_NAME,
                           (int64_t)getpid(), command, &holder, &err) < 0)
        return cli_fail_err(&err);
    cli->locked = true;
    return 0;
}

void cli_close(struct cli *cli)
{
    if (cli->locked && cli->store)
        store_lock_release(cli->store, cli->ws.id, CLI_LOCK_NAME,
                           (int64_t)getpid(), NULL);
    cli->locked = false;
    if (cli->ws.name)
        store_workspace_release(&cli->ws);
    store_close(cli->store);
    cli->store = NULL;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"workspace", required_argument, NULL, 'w'},
        {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cli cli;
    int c, level, rc;

    memset(&cli, 0, sizeof(cli));
    cli.db_path = getenv("SFSYNC_DB");
    if (!cli.db_path || !*cli.db_path)
        cli.db_path = CLI_DEFAULT_DB;
    cli.workspace_name = CLI_DEFAULT_WORKSPACE;
    log_set_level(LOG_WARN);
    /* '+' stops at the command name, which parses its own options. */
    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            cli.db_path = optarg;
            break;
        case 'w':
            cli.workspace_name = optarg;
            cli.workspace_given = true;
            break;
        case 'l':
            level = log_level_parse(optarg);
            if (level < 0)
                return cli_fail("invalid --log-level '%s': use debug, info,"
                                " warn, error or off",
                                optarg);
            log_set_level((enum log_level)level);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        int first = optind;

        if (strcmp(argv[first], commands[i].name) != 0)
            continue;
        optind = 0; /* restart getopt for the command's own options */
        rc = commands[i].run(&cli, argc - first, argv + first);
        cli_close(&cli);
        return rc;
    }
    return cli_fail("unknown command '%s': run 'sfsync --help' for the "
                    "list",
                    argv[optind]);
}
