/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync config get|set|list: the workspace's admin settings. */
#include "base/common.h"

#include "cli.h"

#include <inttypes.h>

#include "sync/engine.h"
#include "sync/settings.h"

/* The length of the longest setting key, for the key column. */
static int key_width(void)
{
    size_t width = 0;

    for (const struct setting_def *d = settings_defs; d->key; d++)
        if (strlen(d->key) > width)
            width = strlen(d->key);
    return (int)width;
}

static void usage(FILE *out)
{
    int width = key_width();

    fputs("usage: sfsync config list [--json]\n"
          "       sfsync config get KEY\n"
          "       sfsync config set KEY VALUE\n\n"
          "Settings:\n",
          out);
    for (const struct setting_def *d = settings_defs; d->key; d++)
        fprintf(out, "  %-*s  %s (%s; default %s)\n", width, d->key, d->help,
                d->valid, d->default_value);
}

static int config_list(struct cli *cli, bool json)
{
    json_t *obj = json_object();
    struct err err;

    for (const struct setting_def *d = settings_defs; d->key; d++) {
        char *value = NULL;

        if (settings_get(cli->store, cli->ws.id, d->key, &value, &err) < 0) {
            json_decref(obj);
            return cli_fail_err(&err);
        }
        if (json)
            json_object_set_new(obj, d->key, json_string(value));
        else
            printf("%s=%s\n", d->key, value);
        free(value);
    }
    if (json)
        cli_print_json(obj);
    else
        json_decref(obj);
    return 0;
}

/* Check a new external_id_field against the org when the workspace is
 * connected; without a connection, each sync round checks it. */
static int check_external_id(struct cli *cli, const char *key,
                             const char *value, struct err *err)
{
    struct connection conn;
    int rc;

    if (strcmp(key, "external_id_field") != 0 || !*value)
        return 0;
    rc = connection_open(&conn, cli->store, cli->ws.id, err);
    if (rc == SYNC_ENOTFOUND) {
        err_clear(err);
        return 0;
    }
    if (rc < 0)
        return rc;
    rc = sync_check_external_id_field(&conn, value, err);
    connection_close(&conn);
    if (rc < 0)
        sync_external_id_advice(err, CLEAR_EXTERNAL_ID);
    return rc;
}

/* Set default_region to value (normalised, owned and freed here) and print
 * how many contacts got new E.164 forms with it, when any did, and how
 * many of them lost a valid phone. */
static int set_region(struct cli *cli, char *value)
{
    int64_t changed = 0, invalidated = 0;
    struct err err;
    int rc = 0;

    if (cli_open(cli, false))
        rc = 1;
    else if (settings_set_region(cli->store, cli->ws.id, value, &changed,
                                 &invalidated, &err) < 0)
        rc = cli_fail_err(&err);
    else
        printf("default_region=%s\n", value);
    /* Scripts read the first line, as for every other setting. */
    if (rc == 0 && changed > 0)
        printf("phones normalised again with it: %" PRId64 " %s got new "
               "E.164 forms\n",
               changed, changed == 1 ? "contact" : "contacts");
    /* 'contacts list' has no filter for them, so the hint names the
     * fields of its JSON that tell. */
    if (rc == 0 && invalidated > 0)
        printf("%" PRId64 " %s a valid phone number that is invalid with "
               "region %s:\n'sfsync contacts list --json' shows %s with "
               "phone_valid or mobile_phone_valid false\n",
               invalidated, invalidated == 1 ? "contact had" : "contacts had",
               value, invalidated == 1 ? "it" : "them");
    free(value);
    return rc;
}

/* Warn when objects and new_contacts_as, after key was set, leave new
 * local contacts nowhere to go: the push keeps them pending until the
 * object they are created as syncs. */
static void warn_new_contacts_object(struct cli *cli, const char *key)
{
    bool as_contact;
    enum sf_object object;

    if (strcmp(key, "objects") != 0 && strcmp(key, "new_contacts_as") != 0)
        return;
    as_contact = settings_is(cli->store, cli->ws.id, "new_contacts_as",
                             "contact");
    object = as_contact ? SF_OBJECT_CONTACT : SF_OBJECT_LEAD;
    if (settings_object_enabled(cli->store, cli->ws.id, object))
        return;
    fprintf(stderr,
            "warning: new_contacts_as is %s but objects has no %s, so new "
            "local contacts\nstay pending and are not created in "
            "Salesforce: run 'sfsync config set\nnew_contacts_as %s' or add "
            "%s to objects\n",
            as_contact ? "contact" : "lead", as_contact ? "contacts" : "leads",
            as_contact ? "lead" : "contact", as_contact ? "contacts" : "leads");
}

int cmd_config(struct cli *cli, int argc, char **argv)
{
    const char *verb = argc > 1 ? argv[1] : NULL;
    struct err err;
    char *value = NULL;

    if (!verb || cli_is_help(verb)) {
        usage(verb ? stdout : stderr);
        return verb ? 0 : 2;
    }
    for (int i = 2; i < argc; i++)
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return 0;
        }
    if (strcmp(verb, "list") == 0) {
        bool json = argc == 3 && strcmp(argv[2], "--json") == 0;

        if (argc > 3 || (argc == 3 && !json))
            return cli_fail("usage: sfsync config list [--json]");
        return cli_open(cli, false) || config_list(cli, json);
    }
    if (strcmp(verb, "get") == 0) {
        if (argc != 3)
            return cli_fail("usage: sfsync config get KEY");
        if (!settings_find(argv[2])) {
            settings_normalize(argv[2], "", &value, &err);
            return cli_fail_err(&err);
        }
        if (cli_open(cli, false))
            return 1;
        if (settings_get(cli->store, cli->ws.id, argv[2], &value, &err) < 0)
            return cli_fail_err(&err);
        puts(value);
        free(value);
        return 0;
    }
    if (strcmp(verb, "set") == 0) {
        if (argc != 4)
            return cli_fail("usage: sfsync config set KEY VALUE");
        if (settings_normalize(argv[2], argv[3], &value, &err) < 0)
            return cli_fail_err(&err);
        if (strcmp(argv[2], "default_region") == 0)
            return set_region(cli, value);
        if (cli_open(cli, false) ||
            check_external_id(cli, argv[2], value, &err) < 0 ||
            settings_set(cli->store, cli->ws.id, argv[2], value, &err) < 0) {
            free(value);
            return cli->store ? cli_fail_err(&err) : 1;
        }
        printf("%s=%s\n", argv[2], value);
        warn_new_contacts_object(cli, argv[2]);
        free(value);
        return 0;
    }
    return cli_fail("unknown config command '%s': use get, set or list",
                    verb);
}
