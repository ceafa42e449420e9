/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Shared state of the sfsync command line: the global options, the open
 * store and workspace, and how commands report failures. Only this layer
 * prints to the terminal or exits.
 */
#ifndef SFSYNC_CLI_H
#define SFSYNC_CLI_H

#include <stdbool.h>

#include "store/store.h"

#define CLI_DEFAULT_DB "sfsync.db"
#define CLI_DEFAULT_WORKSPACE "default"

struct cli {
    const char *db_path;        /* --db, $SFSYNC_DB or CLI_DEFAULT_DB */
    const char *workspace_name; /* --workspace or CLI_DEFAULT_WORKSPACE */
    bool workspace_given;       /* --workspace was on the command line */
    struct store *store;        /* NULL until cli_open */
    struct store_workspace ws;
    bool locked; /* cli_lock took the workspace lock */
};

/*
 * Open the store and the workspace. With create false, a missing database
 * file or workspace is an error that says to run 'sfsync init'. Return 0
 * or 1 after printing the reason.
 */
int cli_open(struct cli *cli, bool create);

/*
 * Open the store without a workspace. With create false, a missing
 * database file is an error that tells the user to run 'sfsync init'.
 * Return 0, or 1 after printing the reason.
 */
int cli_open_store(struct cli *cli, bool create);

/* Close what cli_open opened, releasing the lock of cli_lock; safe to
 * call when nothing is open. */
void cli_close(struct cli *cli);

/*
 * Take the workspace's "sync" lock for this process, which pull and sync
 * hold while they run, so that two of them never write one workspace at
 * once. command (such as "sfsync sync") names this process in the
 * refusal that another one gets. Return 0, or 1 after printing who holds
 * it.
 */
int cli_lock(struct cli *cli, const char *command);

/* Print "sfsync: MESSAGE" to stderr and return 1, the failure status. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print err's message as cli_fail does and return 1. */
int cli_fail_err(const struct err *err);

/* Print a JSON value to stdout, indented, and take the reference. */
void cli_print_json(json_t *value);

/* Whether arg is "-h" or "--help". */
bool cli_is_help(const char *arg);

/* The commands; each parses its own arguments after the command name. */
int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_config(struct cli *cli, int argc, char **argv);
int cmd_connect(struct cli *cli, int argc, char **argv);
int cmd_disconnect(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_pull(struct cli *cli, int argc, char **argv);
int cmd_contacts(struct cli *cli, int argc, char **argv);
int cmd_sync(struct cli *cli, int argc, char **argv);
int cmd_runs(struct cli *cli, int argc, char **argv);
int cmd_errors(struct cli *cli, int argc, char **argv);
int cmd_conflicts(struct cli *cli, int argc, char **argv);
int cmd_migrate(struct cli *cli, int argc, char **argv);
int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_users(struct cli *cli, int argc, char **argv);
int cmd_worker(struct cli *cli, int argc, char **argv);
int cmd_workspaces(struct cli *cli, int argc, char **argv);

/* The command that clears external_id_field, for the advice of its
 * errors (sync_external_id_advice). */
#define CLEAR_EXTERNAL_ID "'sfsync config set external_id_field \"\"'"

#endif
