/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync status: the integration's settings and its connection's health. */
#include "base/common.h"

#include "cli.h"

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

/* Check the token against Salesforce now; false when it was rejected. */
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
    if (rc < 0)
        *problem = xstrdup(err.msg);
    return rc == 0;
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
    return obj;
}

static void print_text(struct cli *cli, const struct connection_status *st,
                       const char *problem)
{
    char a[DATETIME_LEN], *v = NULL;

    printf("workspace:      %s\n", cli->ws.name);
    for (const struct setting_def *d = settings_defs; d->key; d++) {
        char label[32];

        settings_get(cli->store, cli->ws.id, d->key, &v, NULL);
        snprintf(label, sizeof(label), "%s:", d->key);
        printf("%-16s%s\n", label, v ? v : "");
        free(v);
        v = NULL;
    }
    if (!st->connected) {
        puts("connection:     not connected; run 'sfsync connect --help'");
        return;
    }
    /* Verification marks the connection for reconnecting only when
     * Salesforce rejects it, so any other problem leaves it usable. */
    printf("connection:     %s\n",
           st->needs_reconnect ? "NEEDS RECONNECTING"
           : problem           ? "NOT VERIFIED"
                               : "healthy");
    printf("org:            %s\n", st->org_id ? st->org_id : "");
    printf("user:           %s (%s)\n", st->username ? st->username : "",
           st->user_id ? st->user_id : "");
    printf("instance:       %s\n", st->instance_url ? st->instance_url : "");
    printf("grant:          %s\n", st->grant ? st->grant : "");
    printf("last refreshed: %s\n", time_text(st->last_refreshed_ms, a));
    printf("last verified:  %s\n", time_text(st->last_verified_ms, a));
    if (st->needs_reconnect || problem) {
        printf("problem:        %s\n",
               problem ? problem
               : st->reconnect_reason ? st->reconnect_reason
                                      : "authentication was rejected");
        if (st->needs_reconnect)
            puts("fix:            run 'sfsync connect' again with the same "
                 "options; contacts,\n                links and settings "
                 "are kept");
        else
            puts("fix:            Salesforce did not reject the connection, "
                 "so it is kept; run\n                'sfsync status' again "
                 "once Salesforce can be reached");
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
