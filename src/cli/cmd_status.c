/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync status: the integration's settings, its last run and its
 * connection's health. */
#include "base/common.h"

#include "cli.h"

#include <inttypes.h>

#include "base/datetime.h"
#include "sync/connection.h"
#include "sync/settings.h"

static json_t *time_or_null(int64_t ms)
{
    char text[DATETIME_LEN];

    if (!ms)
        return json_null();
    datetime_format_z(ms, text);
    return json_string(text);
}

static const char *time_text(int64_t ms, char out[DATETIME_LEN])
{
    if (!ms)
        return "never";
    datetime_format_z(ms, out);
    return out;
}

/* Check the token against Salesforce now and store the outcome, which
 * sfsync serve shows too; false when the check failed. */
static bool verify_now(struct cli *cli, char **problem)
{
    struct connection conn;
    struct err err;
    int rc;

    *problem = NULL;
    if ((rc = connection_open(&conn, cli->store, cli->ws.id, &err)) == 0) {
        rc = connection_verify(&conn, &err);
        connection_close(&conn);
    }
    if (rc < 0) {
        *problem = xstrdup(err.msg);
        /* A rejection is stored as needs_reconnect already. */
        if (rc != SYNC_EAUTH)
            connection_note_check(cli->store, cli->ws.id, err.msg, NULL);
    }
    return rc == 0;
}

static bool last_run(struct cli *cli, struct store_run *out);

/* The newest run as {id, kind, status, started_at, errors}, or null. */
static json_t *last_run_json(struct cli *cli)
{
    struct store_run run;
    json_t *obj;

    if (!last_run(cli, &run))
        return json_null();
    obj = json_pack("{s:I, s:s, s:s, s:o, s:I}", "id", (json_int_t)run.id,
                    "kind", run.kind, "status", run.status, "started_at",
                    time_or_null(run.started_ms), "errors",
                    (json_int_t)run.counts.errors);
    store_run_release(&run);
    return obj;
}

static json_t *status_json(struct cli *cli, const struct connection_status *st,
                           const char *problem)
{
    json_t *obj = json_object(), *conn = json_object();

    for (const struct setting_def *d = settings_defs; d->key; d++) {
        char *v = NULL;

        settings_get(cli->store, cli->ws.id, d->key, &v, NULL);
        if (strcmp(d->key, "enabled") == 0)
            json_object_set_new(obj, d->key,
                                json_boolean(v && strcmp(v, "true") == 0));
        else
            json_object_set_new(obj, d->key, v ? json_string(v) : json_null());
        free(v);
    }
    json_object_set_new(obj, "workspace", json_string(cli->ws.name));
    json_object_set_new(conn, "connected", json_boolean(st->connected));
    json_object_set_new(conn, "healthy",
                        json_boolean(st->connected && !st->needs_reconnect &&
                                     !problem));
    json_object_set_new(conn, "needs_reconnect",
                        json_boolean(st->needs_reconnect));
    json_object_set_new(conn, "problem",
                        problem ? json_string(problem)
                        : st->reconnect_reason
                            ? json_string(st->reconnect_reason)
                            : json_null());
    json_object_set_new(conn, "problem_at",
                        time_or_null(st->needs_reconnect ? st->reconnect_ms
                                     : problem ? st->check_problem_ms
                                               : 0));
#define STR(k, v) json_object_set_new(conn, k, v ? json_string(v) : json_null())
    STR("login_url", st->login_url);
    STR("grant", st->grant);
    STR("instance_url", st->instance_url);
    STR("org_id", st->org_id);
    STR("user_id", st->user_id);
    STR("username", st->username);
#undef STR
    json_object_set_new(conn, "connected_at", time_or_null(st->connected_ms));
    json_object_set_new(conn, "last_refreshed_at",
                        time_or_null(st->last_refreshed_ms));
    json_object_set_new(conn, "last_verified_at",
                        time_or_null(st->last_verified_ms));
    json_object_set_new(obj, "connection", conn);
    json_object_set_new(obj, "last_run", last_run_json(cli));
    return obj;
}

/* Labels of the connection lines; the settings' keys come before them. */
static const char *const connection_labels[] = {
    "workspace", "connection", "org",           "user",
    "instance",  "grant",      "last refreshed", "last verified",
    "last run",  "problem",    "fix",
};

/* The width of the label column: the longest label, its colon and a
 * space. */
static int label_width(void)
{
    size_t width = 0;

    for (size_t i = 0; i < ARRAY_SIZE(connection_labels); i++)
        if (strlen(connection_labels[i]) > width)
            width = strlen(connection_labels[i]);
    for (const struct setting_def *d = settings_defs; d->key; d++)
        if (strlen(d->key) > width)
            width = strlen(d->key);
    return (int)width + 2;
}

/* Print one "label: value" line with the label padded to width. */
static void print_line(int width, const char *label, const char *value)
{
    char text[64];

    snprintf(text, sizeof(text), "%s:", label);
    printf("%-*s%s\n", width, text, value);
}

/* The newest run of the workspace into *out; false when there is none. */
static bool last_run(struct cli *cli, struct store_run *out)
{
    struct store_run *runs = NULL;
    size_t n = 0;

    /* A run left running by a process that ended is abandoned, as
     * 'sfsync runs' shows it. */
    store_run_abandon_dead(cli->store, cli->ws.id, NULL, NULL);
    if (store_run_list(cli->store, cli->ws.id, 1, &runs, &n, NULL) < 0 ||
        n == 0) {
        store_runs_free(runs, n);
        return false;
    }
    *out = runs[0];
    free(runs);
    return true;
}

static void print_last_run(struct cli *cli, int width)
{
    char started[DATETIME_LEN], *text;
    struct store_run run;

    if (!last_run(cli, &run)) {
        print_line(width, "last run", "none");
        return;
    }
    datetime_format_z(run.started_ms, started);
    /* A failed run counts the error that failed it, which 'sfsync runs'
     * shows and 'sfsync errors' does not list. */
    text = xasprintf("%s %s at %s, %" PRId64 " %s%s", run.kind, run.status,
                     started, run.counts.errors,
                     run.counts.errors == 1 ? "error" : "errors",
                     strcmp(run.status, "failed") == 0
                         ? "; 'sfsync runs' shows why it failed"
                     : run.counts.errors ? "; run 'sfsync errors'"
                                         : "");
    print_line(width, "last run", text);
    free(text);
    store_run_release(&run);
}

static void print_text(struct cli *cli, const struct connection_status *st,
                       const char *problem)
{
    char a[DATETIME_LEN], *v = NULL, *user;
    int w = label_width();

    print_line(w, "workspace", cli->ws.name);
    for (const struct setting_def *d = settings_defs; d->key; d++) {
        settings_get(cli->store, cli->ws.id, d->key, &v, NULL);
        print_line(w, d->key, v ? v : "");
        free(v);
        v = NULL;
    }
    print_last_run(cli, w);
    if (!st->connected) {
        print_line(w, "connection", "not connected; run 'sfsync connect "
                                    "--help'");
        return;
    }
    /* Verification marks the connection for reconnecting only when
     * Salesforce rejects it, so any other problem leaves it usable. */
    print_line(w, "connection",
               st->needs_reconnect ? "NEEDS RECONNECTING"
               : problem           ? "NOT VERIFIED"
                                   : "healthy");
    print_line(w, "org", st->org_id ? st->org_id : "");
    user = xasprintf("%s (%s)", st->username ? st->username : "",
                     st->user_id ? st->user_id : "");
    print_line(w, "user", user);
    free(user);
    print_line(w, "instance", st->instance_url ? st->instance_url : "");
    print_line(w, "grant", st->grant ? st->grant : "");
    print_line(w, "last refreshed", time_text(st->last_refreshed_ms, a));
    print_line(w, "last verified", time_text(st->last_verified_ms, a));
    if (problem && !st->needs_reconnect && st->check_problem_ms) {
        char *text = xasprintf("%s (checked at %s)", problem,
                               time_text(st->check_problem_ms, a));

        print_line(w, "problem", text);
        free(text);
    } else if (st->needs_reconnect || problem) {
        print_line(w, "problem",
                   problem ? problem
                   : st->reconnect_reason ? st->reconnect_reason
                                          : "authentication was rejected");
    }
    if (st->needs_reconnect || problem) {
        if (st->needs_reconnect)
            print_line(w, "fix",
                       "run 'sfsync connect' again with the same options; "
                       "contacts, links and settings are kept");
        else
            print_line(w, "fix",
                       connection_problem_fix(
                           problem,
                           "Salesforce did not reject the connection, so "
                           "it is kept; run 'sfsync status' again once "
                           "Salesforce can be reached"));
    }
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
    struct connection_status st;
    bool json = false, offline = false;
    char *problem = NULL;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            puts("usage: sfsync status [--json] [--offline]\n"
                 "Show the settings and the Salesforce connection. Unless "
                 "--offline is given,\nthe token is verified against "
                 "Salesforce (userinfo) first. Exits 0 when the\n"
                 "connection is healthy or there is none, 3 when it needs "
                 "reconnecting or could\nnot be verified.");
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (strcmp(argv[i], "--offline") == 0)
            offline = true;
        else
            return cli_fail("unknown status option '%s'", argv[i]);
    }
    if (cli_open(cli, false))
        return 1;
    connection_status_get(cli->store, cli->ws.id, &st, NULL);
    if (st.connected && !st.needs_reconnect && !offline) {
        /* Verifying stores new times or the reconnect flag either way, so
         * read the status again to show them. */
        verify_now(cli, &problem);
        connection_status_release(&st);
        connection_status_get(cli->store, cli->ws.id, &st, NULL);
    } else if (st.connected && !st.needs_reconnect && st.check_problem) {
        /* Offline: the last stored check, by this command or serve. */
        problem = xstrdup(st.check_problem);
    }
    if (json)
        cli_print_json(status_json(cli, &st, problem));
    else
        print_text(cli, &st, problem);
    /* A distinct status lets scripts and monitors tell "unhealthy" from a
     * failed command (1) or a usage error (2). */
    rc = st.connected && (st.needs_reconnect || problem) ? 3 : 0;
    free(problem);
    connection_status_release(&st);
    return rc;
}
