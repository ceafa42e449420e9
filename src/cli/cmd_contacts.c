/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* sfsync contacts list|show: the local contact list. */
#include "base/common.h"

#include "cli.h"

#include <getopt.h>
#include <inttypes.h>

#include "sync/connection.h"
#include "sync/pull.h"

/* The contact as JSON with its Salesforce link, when it has one. */
static json_t *contact_json(struct cli *cli, const struct contact *c,
                            const char *instance_url)
{
    json_t *obj = contact_to_json(c);
    struct store_link link;
    char *url;

    if (!obj)
        obj = json_pack("{s:I, s:s}", "id", (json_int_t)c->id, "error",
                        "a stored value is not valid UTF-8");
    store_link_init(&link);
    if (store_link_get(cli->store, cli->ws.id, c->id, &link, NULL) == 0) {
        json_object_set_new(obj, "salesforce_object",
                            json_string(mapping_object_name(link.object)));
        json_object_set_new(obj, "salesforce_id", json_string(link.sf_id));
        url = instance_url ? pull_record_url(instance_url, link.object,
                                             link.sf_id)
                           : NULL;
        json_object_set_new(obj, "salesforce_url",
                            url ? json_string(url) : json_null());
        free(url);
    } else {
        json_object_set_new(obj, "salesforce_object", json_null());
        json_object_set_new(obj, "salesforce_id", json_null());
        json_object_set_new(obj, "salesforce_url", json_null());
    }
    store_link_release(&link);
    return obj;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Decode the UTF-8 sequence at s into *cp; return its length in bytes. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;

    *cp = len == 1 ? s[0] : s[0] & (0x3f >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return i;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    return len;
}

/* Terminal columns of a code point: 2 for East Asian wide characters, 0 for
 * combining marks, else 1. */
static int columns(uint32_t cp)
{
    if (cp >= 0x300 && cp <= 0x36f)
        return 0;
    if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
        (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
        (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
        (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x20000)
        return 2;
    return 1;
}

/* Print s cut and padded to width terminal columns, then a space. */
static void print_cell(const char *s, int width)
{
    const unsigned char *p = (const unsigned char *)s;
    int used = 0;

    while (*p) {
        uint32_t cp;
        size_t len = utf8_next(p, &cp);
        int w = columns(cp);

        if (used + w > width)
            break;
        fwrite(p, 1, len, stdout);
        used += w;
        p += len;
    }
    printf("%*s ", width - used, "");
}

static int list(struct cli *cli, int argc, char **argv, const char *inst)
{
    static const struct option options[] = {
        {"search", required_argument, NULL, 's'},
        {"limit", required_argument, NULL, 'l'},
        {"offset", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct store_contact_query q;
    struct store_contact_list page;
    bool json = false;
    struct err err;
    json_t *items;
    char *end;
    int c;

    memset(&q, 0, sizeof(q));
    q.limit = 50;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 's':
            q.search = optarg;
            break;
        case 'l':
        case 'o': {
            long long n = strtoll(optarg, &end, 10);

            if (*end || n < 0 || (c == 'l' && (n < 1 || n > STORE_LIST_MAX)))
                return cli_fail("invalid --%s '%s': give a whole number%s",
                                c == 'l' ? "limit" : "offset", optarg,
                                c == 'l' ? " from 1 to 1000" : "");
            if (c == 'l')
                q.limit = (size_t)n;
            else
                q.offset = (size_t)n;
            break;
        }
        case 'j':
            json = true;
            break;
        case 'h':
            puts("usage: sfsync contacts list [--search TEXT] [--limit N] "
                 "[--offset N] [--json]\n"
                 "List contacts; TEXT matches names, company, email or "
                 "phone digits.");
            return 0;
        default:
            return 2;
        }
    }
    if (store_contact_list(cli->store, cli->ws.id, &q, &page, &err) < 0)
        return cli_fail_err(&err);
    if (json) {
        items = json_array();
        for (size_t i = 0; i < page.count; i++)
            json_array_append_new(items,
                                  contact_json(cli, &page.items[i], inst));
        cli_print_json(json_pack("{s:I, s:I, s:I, s:o}", "total",
                                 (json_int_t)page.total, "offset",
                                 (json_int_t)q.offset, "limit",
                                 (json_int_t)q.limit, "contacts", items));
    } else {
        printf("%-8s %-28s %-28s %-16s %s\n", "ID", "NAME", "COMPANY",
               "PHONE", "SALESFORCE");
        for (size_t i = 0; i < page.count; i++) {
            const struct contact *ct = &page.items[i];
            struct store_link link;
            char name[128];

            snprintf(name, sizeof(name), "%s %s",
                     or_empty(contact_text(ct, CONTACT_FIRST_NAME)),
                     or_empty(contact_text(ct, CONTACT_LAST_NAME)));
            store_link_init(&link);
            printf("%-8" PRId64 " ", ct->id);
            print_cell(name, 28);
            print_cell(or_empty(contact_text(ct, CONTACT_COMPANY)), 28);
            print_cell(or_empty(ct->values[CONTACT_PHONE].e164
                                    ? ct->values[CONTACT_PHONE].e164
                                    : contact_text(ct, CONTACT_PHONE)),
                       16);
            puts(store_link_get(cli->store, cli->ws.id, ct->id, &link,
                                NULL) == 0
                     ? mapping_object_name(link.object)
                     : "-");
            store_link_release(&link);
        }
        printf("%zu of %" PRId64 " contacts shown\n", page.count, page.total);
    }
    store_contact_list_release(&page);
    return 0;
}

static int show(struct cli *cli, int argc, char **argv, const char *inst)
{
    const char *idtext = NULL;
    bool json = false;
    struct contact ct;
    struct err err;
    json_t *obj, *v;
    const char *key;
    char *end;
    long long id;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (cli_is_help(argv[i])) {
            puts("usage: sfsync contacts show ID [--json]");
            return 0;
        } else if (!idtext)
            idtext = argv[i];
        else
            return cli_fail("unexpected argument '%s'", argv[i]);
    }
    if (!idtext)
        return cli_fail("usage: sfsync contacts show ID [--json]");
    id = strtoll(idtext, &end, 10);
    if (*end || id <= 0)
        return cli_fail("invalid contact id '%s': give the number that "
                        "'sfsync contacts list' shows",
                        idtext);
    contact_init(&ct);
    if (store_contact_get(cli->store, cli->ws.id, id, &ct, &err) < 0) {
        contact_release(&ct);
        return err.code == SYNC_ENOTFOUND
                   ? cli_fail("no contact %lld in workspace '%s': run "
                              "'sfsync contacts list' to see the ids",
                              id, cli->ws.name)
                   : cli_fail_err(&err);
    }
    obj = contact_json(cli, &ct, inst);
    contact_release(&ct);
    if (json) {
        cli_print_json(obj);
        return 0;
    }
    json_object_foreach(obj, key, v)
    {
        if (json_is_string(v))
            printf("%-20s %s\n", key, json_string_value(v));
        else if (json_is_boolean(v))
            printf("%-20s %s\n", key, json_is_true(v) ? "true" : "false");
        else if (json_is_integer(v))
            printf("%-20s %" JSON_INTEGER_FORMAT "\n", key,
                   json_integer_value(v));
    }
    json_decref(obj);
    return 0;
}

int cmd_contacts(struct cli *cli, int argc, char **argv)
{
    const char *verb = argc > 1 ? argv[1] : NULL;
    struct connection_status st;
    int rc;

    if (!verb || cli_is_help(verb)) {
        fputs("usage: sfsync contacts list [--search TEXT] [--json]\n"
              "       sfsync contacts show ID [--json]\n",
              verb ? stdout : stderr);
        return verb ? 0 : 2;
    }
    if (strcmp(verb, "list") != 0 && strcmp(verb, "show") != 0)
        return cli_fail("unknown contacts command '%s': use list or show",
                        verb);
    if (cli_open(cli, false))
        return 1;
    connection_status_get(cli->store, cli->ws.id, &st, NULL);
    if (strcmp(verb, "list") == 0)
        rc = list(cli, argc - 1, argv + 1, st.instance_url);
    else
        rc = show(cli, argc - 1, argv + 1, st.instance_url);
    connection_status_release(&st);
    return rc;
}
