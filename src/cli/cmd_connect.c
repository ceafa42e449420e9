/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync connect and disconnect: the workspace's Salesforce connection. */
#include "base/common.h"

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>

#include "salesforce/sf_http.h"
#include "sync/connection.h"
#include "sync/settings.h"

static void usage(FILE *out)
{
    fputs("usage: sfsync connect --login-url URL --client-id ID\n"
          "                      [--client-secret SECRET | "
          "--client-secret-file FILE]\n"
          "                      [--grant client_credentials|jwt|password]\n"
          "                      [--jwt-key FILE] [--username NAME] "
          "[--password-file FILE]\n\n"
          "Connect the workspace to a Salesforce org and verify the "
          "connection. The\nconsumer secret may also come from "
          "$SFSYNC_CLIENT_SECRET; prefer a file or the\nvariable, since "
          "command-line arguments are visible to other users.\n\n"
          "  --login-url URL      the org's My Domain URL, "
          "https://login.salesforce.com,\n"
          "                       or the URL of a local sfsim\n"
          "  --client-id ID       the connected app's consumer key\n"
          "  --client-secret SECRET  the consumer secret (visible in the "
          "process list)\n"
          "  --client-secret-file FILE  a file holding the consumer "
          "secret\n"
          "  --grant GRANT        client_credentials (default), jwt or "
          "password\n"
          "  --jwt-key FILE       PEM RSA private key for the jwt grant\n"
          "  --username NAME      the Salesforce user of the jwt and "
          "password grants\n"
          "  --password-file FILE the password of the password grant\n",
          out);
}

/* Warn when other users may read a file that contains a secret. */
static void warn_if_exposed(FILE *f, const char *path, const char *what)
{
    struct stat st;

    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
        (st.st_mode & (S_IRWXG | S_IRWXO)))
        fprintf(stderr,
                "sfsync: warning: the %s file '%s' is readable by other "
                "users (mode %03o); run 'chmod 600 %s'\n",
                what, path, (unsigned)(st.st_mode & 0777), path);
}

/* Read the first line of path into a heap string the caller frees with
 * free_secret. */
static char *read_secret_file(const char *path, const char *what)
{
    char line[4096];
    FILE *f = fopen(path, "r");
    size_t len;

    if (!f) {
        cli_fail("cannot read %s file '%s': %s", what, path,
                 strerror(errno));
        return NULL;
    }
    warn_if_exposed(f, path, what);
    if (!fgets(line, sizeof(line), f))
        line[0] = '\0';
    fclose(f);
    len = strcspn(line, "\r\n");
    line[len] = '\0';
    if (len == 0) {
        cli_fail("the %s file '%s' is empty", what, path);
        return NULL;
    }
    return xstrdup(line);
}

/* Name where the secret came from in the advice of a refused client id or
 * secret: the file of --client-secret-file (secret_file), or else the
 * option or SFSYNC_CLIENT_SECRET. */
static void name_secret_source(struct err *err, const char *secret_file)
{
    size_t len = strlen(err->msg), end = strlen(SF_HTTP_CHECK_CLIENT);

    if (len < end || strcmp(err->msg + len - end, SF_HTTP_CHECK_CLIENT) != 0)
        return;
    if (secret_file)
        snprintf(err->msg + len - end, sizeof(err->msg) - (len - end),
                 "check --client-id and the secret in the file '%s'",
                 secret_file);
    else
        snprintf(err->msg + len - end, sizeof(err->msg) - (len - end),
                 "check --client-id and the secret of --client-secret or "
                 "SFSYNC_CLIENT_SECRET");
}

int cmd_connect(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"login-url", required_argument, NULL, 'l'},
        {"client-id", required_argument, NULL, 'i'},
        {"client-secret", required_argument, NULL, 's'},
        {"client-secret-file", required_argument, NULL, 'S'},
        {"grant", required_argument, NULL, 'g'},
        {"jwt-key", required_argument, NULL, 'k'},
        {"username", required_argument, NULL, 'u'},
        {"password-file", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct connection_params p;
    struct connection_status st;
    char *secret = NULL, *password = NULL;
    const char *secret_file = NULL;
    struct err err;
    int c, grant, rc = 1;

    memset(&p, 0, sizeof(p));
    p.grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'l':
            p.login_url = optarg;
            break;
        case 'i':
            p.client_id = optarg;
            break;
        case 's':
            free_secret(secret);
            secret_file = NULL;
            secret = xstrdup(optarg);
            break;
        case 'S':
            free_secret(secret);
            secret_file = optarg;
            if (!(secret = read_secret_file(optarg, "client secret")))
                goto out;
            break;
        case 'g':
            grant = connection_grant_parse(optarg);
            if (grant < 0 || grant == SF_AUTH_GRANT_AUTHORIZATION_CODE) {
                cli_fail("invalid --grant '%s': use client_credentials, jwt "
                         "or password",
                         optarg);
                goto out;
            }
            p.grant = (enum sf_auth_grant)grant;
            break;
        case 'k':
            p.jwt_key_file = optarg;
            {
                FILE *kf = fopen(optarg, "r");

                if (kf) {
                    warn_if_exposed(kf, optarg, "JWT private key");
                    fclose(kf);
                }
            }
            break;
        case 'u':
            p.username = optarg;
            break;
        case 'P':
            free_secret(password);
            if (!(password = read_secret_file(optarg, "password")))
                goto out;
            break;
        case 'h':
            usage(stdout);
            rc = 0;
            goto out;
        default:
            usage(stderr);
            goto out;
        }
    }
    if (!secret && getenv("SFSYNC_CLIENT_SECRET"))
        secret = xstrdup(getenv("SFSYNC_CLIENT_SECRET"));
    if (!p.login_url || !p.client_id) {
        cli_fail("connect needs --login-url and --client-id; see 'sfsync "
                 "connect --help'");
        goto out;
    }
    if (p.grant == SF_AUTH_GRANT_JWT_BEARER && (!p.jwt_key_file ||
                                                 !p.username)) {
        cli_fail("the jwt grant needs --jwt-key FILE and --username NAME");
        goto out;
    }
    if (p.grant == SF_AUTH_GRANT_PASSWORD && (!password || !p.username)) {
        cli_fail("the password grant needs --username NAME and "
                 "--password-file FILE");
        goto out;
    }
    if (p.grant != SF_AUTH_GRANT_JWT_BEARER && !secret) {
        cli_fail("missing consumer secret: give --client-secret-file FILE or "
                 "set SFSYNC_CLIENT_SECRET");
        goto out;
    }
    p.client_secret = secret;
    p.password = password;
    if (cli_open(cli, true))
        goto out;
    if (connection_connect(cli->store, cli->ws.id, &p, &err) < 0) {
        name_secret_source(&err, secret_file);
        /* A refused or timed-out connection carries no advice of its own. */
        cli_fail("cannot connect to Salesforce at '%s': %s%s", p.login_url,
                 err.msg,
                 err.code == SYNC_ETRANSIENT
                     ? "; check --login-url and that the server is reachable"
                     : "");
        goto out;
    }
    connection_status_get(cli->store, cli->ws.id, &st, NULL);
    printf("connected workspace '%s' to org %s as %s\n"
           "instance: %s\n",
           cli->ws.name, st.org_id, st.username, st.instance_url);
    connection_status_release(&st);
    /* connection_connect turns 'enabled' on unless an admin set it. */
    if (settings_enabled(cli->store, cli->ws.id))
        puts("the integration is now enabled, so 'sfsync sync' and 'sfsync "
             "serve' sync this\n"
             "workspace; 'sfsync config set enabled "
             "false' disables it");
    else
        puts("the integration stays disabled, as 'enabled' was set to "
             "false; 'sfsync config\n"
             "set enabled true' enables it");
    puts("next: sfsync pull contacts, sfsync pull leads");
    rc = 0;
out:
    free_secret(secret);
    free_secret(password);
    return rc;
}

int cmd_disconnect(struct cli *cli, int argc, char **argv)
{
    struct err err;

    if (argc > 1 && cli_is_help(argv[1])) {
        puts("usage: sfsync disconnect\n"
             "Revoke and forget the Salesforce tokens and secrets. "
             "Contacts, links and\nsettings stay, so a later connect goes "
             "on where this one stopped.");
        return 0;
    }
    if (argc > 1)
        return cli_fail("disconnect takes no arguments; got '%s'", argv[1]);
    if (cli_open(cli, false))
        return 1;
    if (connection_disconnect(cli->store, cli->ws.id, &err) < 0)
        return cli_fail_err(&err);
    printf("workspace '%s' is disconnected from Salesforce\n", cli->ws.name);
    return 0;
}
