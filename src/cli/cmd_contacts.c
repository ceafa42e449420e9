/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sfsync contacts list|show|add|update|delete|import: the local contact
 * list and local changes to it. The changes are made by sync/changes.c and
 * sync/import.c, which the HTTP API calls too; this file parses arguments
 * and prints.
 */
#include "base/common.h"

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>

#include "base/unicode.h"
#include "model/contact_csv.h"
#include "sync/changes.h"
#include "sync/connection.h"
#include "sync/import.h"
#include "sync/pull.h"

/* getopt_long value of the option of field 0; field f has FIELD_OPT + f. */
#define FIELD_OPT 256

/* Maximum size of a field option's name, with its NUL and without the
 * leading "--". */
#define FIELD_OPT_NAME_MAX 32

/* Contacts that 'contacts list' shows without --limit. */
#define LIST_DEFAULT_LIMIT 50

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

/* contact_json with the count of pending outbox entries, for one contact:
 * null when the store cannot be read. */
static json_t *contact_json_pending(struct cli *cli, const struct contact *c,
                                    const char *instance_url)
{
    json_t *obj = contact_json(cli, c, instance_url);
    int64_t pending;

    struct store_tombstone tomb;
    bool gone;

    if (changes_pending_count(cli->store, c, &pending, NULL) == 0)
        json_object_set_new(obj, "pending_changes", json_integer(pending));
    else
        json_object_set_new(obj, "pending_changes", json_null());
    /* A tombstone matters only while the contact has no link; its keys
     * are left out when there is none. */
    gone = json_is_null(json_object_get(obj, "salesforce_id")) &&
           store_tombstone_get(cli->store, cli->ws.id, c->id, &tomb,
                               NULL) == 0;
    if (gone && !tomb.survivor_id)
        json_object_set_new(obj, "deleted_in_salesforce",
                            json_string(tomb.sf_id));
    else if (gone)
        json_object_set_new(obj, "merged_into",
                            json_integer(tomb.survivor_id));
    return obj;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Decode the character at s into *cp and return its length in bytes; a
 * malformed byte counts as one U+FFFD. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    size_t len = unicode_utf8_decode(s, 4, cp);

    if (len == 0) {
        *cp = 0xFFFD;
        len = 1;
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

/* Write the contact's first and last name, or the one it has, to name. */
static void format_name(const struct contact *ct, char *name, size_t size)
{
    const char *first = or_empty(contact_text(ct, CONTACT_FIRST_NAME));
    const char *last = or_empty(contact_text(ct, CONTACT_LAST_NAME));

    snprintf(name, size, "%s%s%s", first, *first && *last ? " " : "", last);
}

static int list(struct cli *cli, int argc, char **argv, const char *inst)
{
    static const struct option options[] = {
        {"search", required_argument, NULL, 's'},
        {"limit", required_argument, NULL, 'l'},
        {"offset", required_argument, NULL, 'o'},
        {"all", no_argument, NULL, 'a'},
        {"include-archived", no_argument, NULL, 'a'},
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
    q.limit = LIST_DEFAULT_LIMIT;
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
        case 'a':
            q.include_archived = true;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            printf("usage: sfsync contacts list [--search TEXT] [--limit N] "
                   "[--offset N] [--all] [--json]\n"
                   "List contacts; TEXT matches names, company, email or "
                   "phone digits.\n"
                   "--limit N lists at most N contacts, 1 to %d (default "
                   "%d), and --offset N\nskips the first N of them.\n"
                   "--all (or --include-archived) also lists deleted "
                   "contacts, marked 'deleted'.\n",
                   STORE_LIST_MAX, LIST_DEFAULT_LIMIT);
            return 0;
        default:
            return 2;
        }
    }
    if (store_contact_list(cli->store, cli->ws.id, &q, &page, &err) < 0)
        return cli_fail_err(&err);
    if (json) {
        int64_t *pending = xcalloc(page.count + 1, sizeof(*pending));
        bool counted = changes_pending_counts(cli->store, cli->ws.id,
                                              page.items, page.count,
                                              pending, NULL) == 0;

        items = json_array();
        for (size_t i = 0; i < page.count; i++) {
            json_t *obj = contact_json(cli, &page.items[i], inst);

            json_object_set_new(obj, "pending_changes",
                                counted ? json_integer(pending[i])
                                        : json_null());
            json_array_append_new(items, obj);
        }
        free(pending);
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

            format_name(ct, name, sizeof(name));
            store_link_init(&link);
            printf("%-8" PRId64 " ", ct->id);
            print_cell(name, 28);
            print_cell(or_empty(contact_text(ct, CONTACT_COMPANY)), 28);
            /* An E.164 form that libphonenumber does not know as valid may
             * be a guess in the wrong country, so the text as typed is
             * shown for it: an agent must not dial a made-up number. */
            print_cell(or_empty(ct->values[CONTACT_PHONE].e164 &&
                                        ct->values[CONTACT_PHONE].valid
                                    ? ct->values[CONTACT_PHONE].e164
                                    : contact_text(ct, CONTACT_PHONE)),
                       16);
            fputs(store_link_get(cli->store, cli->ws.id, ct->id, &link,
                                 NULL) == 0
                      ? mapping_object_name(link.object)
                      : "-",
                  stdout);
            puts(ct->archived ? " deleted" : "");
            store_link_release(&link);
        }
        printf("%zu of %" PRId64 " contacts shown\n", page.count, page.total);
    }
    store_contact_list_release(&page);
    return 0;
}


/* Parse a contact id argument into *out; return 0, or 1 after printing. */
static int parse_id(const char *text, int64_t *out)
{
    long long id;
    char *end;

    errno = 0;
    id = strtoll(text, &end, 10);
    if (!*text || *end || id <= 0 || errno == ERANGE)
        return cli_fail("invalid contact id '%s': give the number that "
                        "'sfsync contacts list' shows",
                        text);
    *out = id;
    return 0;
}

/* Print why contact id could not be read or changed; return 1. For a
 * conflict, read_version is the version the change was based on,
 * if_version the one --if-version gave (0 for none) and current the
 * version stored. */
static int fail_contact(struct cli *cli, int64_t id, int64_t read_version,
                        int64_t if_version, int64_t current,
                        const struct err *err)
{
    if (err->code == SYNC_ENOTFOUND)
        return cli_fail("no contact %" PRId64 " in workspace '%s': run "
                        "'sfsync contacts list' to see the ids",
                        id, cli->ws.name);
    if (err->code == SYNC_ECONFLICT && if_version && current &&
        current != if_version)
        return cli_fail("contact %" PRId64 " is at version %" PRId64
                        ", not %" PRId64 " as --if-version gave, so nothing "
                        "was written: check it with 'sfsync contacts show "
                        "%" PRId64 "' and repeat the change with "
                        "--if-version %" PRId64,
                        id, current, if_version, id, current);
    if (err->code == SYNC_ECONFLICT)
        return cli_fail("contact %" PRId64 " was changed by someone else "
                        "since version %" PRId64 " was read, so nothing "
                        "was written: check it with 'sfsync contacts show "
                        "%" PRId64 "' and run the command again",
                        id, read_version, id);
    return cli_fail_err(err);
}

/* Print s with its control characters escaped (\n, \t, \r, \xNN), so
 * that a stored value cannot move the cursor or break the layout. */
static void print_escaped(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p == '\t')
            fputs("\\t", stdout);
        else if (*p == '\r')
            fputs("\\r", stdout);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
}

static int show(struct cli *cli, int argc, char **argv, const char *inst)
{
    const char *idtext = NULL;
    bool json = false;
    struct contact ct;
    struct err err;
    json_t *obj, *v;
    const char *key;
    int64_t id;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (cli_is_help(argv[i])) {
            puts("usage: sfsync contacts show ID [--json]\n"
                 "Show a contact, its version and its changes not yet "
                 "pushed (pending_changes).");
            return 0;
        } else if (!idtext)
            idtext = argv[i];
        else
            return cli_fail("unexpected argument '%s'", argv[i]);
    }
    if (!idtext)
        return cli_fail("usage: sfsync contacts show ID [--json]");
    if (parse_id(idtext, &id))
        return 1;
    contact_init(&ct);
    if (store_contact_get(cli->store, cli->ws.id, id, &ct, &err) < 0) {
        contact_release(&ct);
        return fail_contact(cli, id, 0, 0, 0, &err);
    }
    obj = contact_json_pending(cli, &ct, inst);
    contact_release(&ct);
    if (json) {
        cli_print_json(obj);
        return 0;
    }
    json_object_foreach(obj, key, v)
    {
        if (json_is_string(v)) {
            printf("%-20s ", key);
            print_escaped(json_string_value(v));
            putchar('\n');
        }
        else if (json_is_boolean(v))
            printf("%-20s %s\n", key, json_is_true(v) ? "true" : "false");
        else if (json_is_integer(v))
            printf("%-20s %" JSON_INTEGER_FORMAT "\n", key,
                   json_integer_value(v));
    }
    json_decref(obj);
    return 0;
}

/* The options of add, update and delete: one per field, named after it
 * with '-' for '_' (--first-name), then the command's own. */
struct edit_options {
    char names[CONTACT_FIELD_COUNT][FIELD_OPT_NAME_MAX];
    struct option table[CONTACT_FIELD_COUNT + 6];
};

/* Fill eo with the field options when with_fields, then --json, --help
 * and, when with_version, --if-version; add and update get
 * --allow-duplicate. */
static void edit_options_init(struct edit_options *eo, bool with_fields,
                              bool with_version)
{
    size_t n = 0;

    memset(eo, 0, sizeof(*eo));
    for (int f = 0; with_fields && f < CONTACT_FIELD_COUNT; f++) {
        char *name = eo->names[f];

        snprintf(name, FIELD_OPT_NAME_MAX, "%s", contact_fields[f].name);
        for (char *p = name; *p; p++)
            if (*p == '_')
                *p = '-';
        eo->table[n++] = (struct option){name, required_argument, NULL,
                                         FIELD_OPT + f};
    }
    eo->table[n++] = (struct option){"json", no_argument, NULL, 'j'};
    eo->table[n++] = (struct option){"help", no_argument, NULL, 'h'};
    if (with_version)
        eo->table[n++] = (struct option){"if-version", required_argument,
                                         NULL, 'v'};
    if (with_version && with_fields)
        eo->table[n++] = (struct option){"relink", no_argument, NULL, 'r'};
    if (with_fields)
        eo->table[n++] = (struct option){"allow-duplicate", no_argument,
                                         NULL, 'd'};
}

/* Print one line of help per field option. */
static void print_field_options(FILE *out)
{
    fputs("\nFields:\n", out);
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const struct contact_field_info *info = &contact_fields[f];
        char name[FIELD_OPT_NAME_MAX];
        const char *kind;

        snprintf(name, sizeof(name), "%s", info->name);
        for (char *p = name; *p; p++)
            if (*p == '_')
                *p = '-';
        if (info->type == CONTACT_TYPE_BOOL) {
            fprintf(out, "  --%-15s true or false (or yes/no, 1/0)\n", name);
            continue;
        }
        if (f == CONTACT_OWNER) {
            fprintf(out,
                    "  --%-15s the Salesforce id (15 or 18 characters) of "
                    "the owning User,\n"
                    "  %-17s such as 005xx000001Sv6tAAC, or Queue (00G...), "
                    "sent as OwnerId;\n"
                    "  %-17s other values are rejected, and '' clears it\n",
                    name, "", "");
            continue;
        }
        kind = info->type == CONTACT_TYPE_EMAIL   ? "an email address"
               : info->type == CONTACT_TYPE_PHONE ? "a phone number"
                                                  : "text";
        fprintf(out, "  --%-15s %s of up to %zu characters\n", name, kind,
                info->max_len);
    }
    fputs("A phone without a country code is read in the workspace's "
          "region.\n",
          out);
}

static void add_usage(FILE *out)
{
    fputs("usage: sfsync contacts add --FIELD VALUE ... [--allow-duplicate] "
          "[--json]\n"
          "Add a local contact. While the integration is enabled and "
          "pushes to Salesforce,\na last name is required, because "
          "Salesforce needs one; otherwise a last name,\na company, an "
          "email or a phone is enough.\n"
          "The next push sends it to Salesforce; no connection is needed "
          "now.\n"
          "A contact with the email (in any letter case) or the phone "
          "number of a stored\n"
          "contact is rejected, naming that contact; 'sfsync contacts "
          "update ID' changes it.\n"
          "By phone, a stored contact with another email does not match, "
          "nor, without\n"
          "emails on both sides, one with another last name or first "
          "name.\n"
          "A deleted contact whose Salesforce record was kept matches "
          "too.\n"
          "  --allow-duplicate  add the contact even so\n",
          out);
    print_field_options(out);
}

static void update_usage(FILE *out)
{
    fputs("usage: sfsync contacts update ID --FIELD VALUE ... "
          "[--if-version N] [--json]\n"
          "Change only the given fields of a contact; --FIELD '' clears "
          "one.\n"
          "  --if-version N  change nothing unless the contact is still at "
          "version N\n"
          "  --relink        create the contact's record in Salesforce again "
          "with the next\n"
          "                  push, after it was deleted there and kept here "
          "(on_salesforce_delete\n"
          "                  keep); without it, such a contact is not sent\n"
          "  --allow-duplicate  keep a new email or phone that another stored "
          "contact has\n",
          out);
    print_field_options(out);
}

static void delete_usage(FILE *out)
{
    fputs("usage: sfsync contacts delete ID [--if-version N] [--json]\n"
          "Delete (archive) a contact: 'sfsync contacts list' shows it only "
          "with --all,\n"
          "and the archive is queued for the next push.\n"
          "  --if-version N  change nothing unless the contact is still at "
          "version N\n",
          out);
}

/* The parsed arguments of add, update or delete. */
struct edit_request {
    struct contact values; /* the given fields, in mask */
    uint32_t mask;
    bool json;
    int64_t if_version; /* 0 when not given */
    bool relink;        /* --relink */
    bool allow_duplicate; /* --allow-duplicate */
    int64_t id;         /* 0 for add */
};

static int parse_version(const char *text, int64_t *out)
{
    long long n;
    char *end;

    errno = 0;
    n = strtoll(text, &end, 10);
    if (!*text || *end || n <= 0 || errno == ERANGE)
        return cli_fail("invalid --if-version '%s': give the version that "
                        "'sfsync contacts show ID' shows",
                        text);
    *out = n;
    return 0;
}

/*
 * Parse the arguments of a command that changes one contact: with_id for
 * update and delete, with_fields for add and update. Return -1 to go on,
 * or the exit status after printing help or an error.
 */
static int parse_edit(int argc, char **argv, bool with_id, bool with_fields,
                      void (*usage)(FILE *), struct edit_request *req)
{
    struct edit_options eo;
    struct err err;
    int c;

    edit_options_init(&eo, with_fields, with_id);
    while ((c = getopt_long(argc, argv, "h", eo.table, NULL)) != -1) {
        if (c >= FIELD_OPT && c < FIELD_OPT + CONTACT_FIELD_COUNT) {
            int f = c - FIELD_OPT;

            if (contact_parse_value(&req->values, f, optarg, &err) < 0)
                return cli_fail("invalid --%s '%s': give true or false (or "
                                "yes/no, 1/0)",
                                eo.names[f], optarg);
            req->mask |= CONTACT_FIELD_BIT(f);
            continue;
        }
        switch (c) {
        case 'j':
            req->json = true;
            break;
        case 'v':
            if (parse_version(optarg, &req->if_version))
                return 1;
            break;
        case 'r':
            req->relink = true;
            break;
        case 'd':
            req->allow_duplicate = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!with_id && optind < argc)
        return cli_fail("unexpected argument '%s': give each value after "
                        "its option, as in --last-name Smith",
                        argv[optind]);
    if (with_id && optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    if (with_id && parse_id(argv[optind], &req->id))
        return 1;
    return -1;
}

static int add(struct cli *cli, int argc, char **argv, const char *inst)
{
    struct edit_request req;
    struct err err;
    int rc;

    memset(&req, 0, sizeof(req));
    contact_init(&req.values);
    if ((rc = parse_edit(argc, argv, false, true, add_usage, &req)) >= 0)
        goto out;
    req.values.workspace_id = cli->ws.id;
    if (changes_add(cli->store, &req.values,
                    req.allow_duplicate ? CHANGES_ADD_ALLOW_DUPLICATE : 0,
                    NULL, &err) < 0) {
        rc = cli_fail("contact not added: %s", err.msg);
        goto out;
    }
    if (req.json)
        cli_print_json(contact_json_pending(cli, &req.values, inst));
    else
        printf("added contact %" PRId64 " (version %" PRId64 ")\n",
               req.values.id, req.values.version);
    rc = 0;
out:
    contact_release(&req.values);
    return rc;
}

/* The names of the fields in mask, as a JSON array. */
static json_t *field_names(uint32_t mask)
{
    json_t *names = json_array();

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        if (mask & CONTACT_FIELD_BIT(f))
            json_array_append_new(names, json_string(contact_fields[f].name));
    return names;
}

static void print_update(const struct contact *ct, uint32_t changed)
{
    const char *sep = ": ";

    if (!changed) {
        printf("contact %" PRId64 " unchanged: it already has the given "
               "values (version %" PRId64 ")\n",
               ct->id, ct->version);
        return;
    }
    printf("updated contact %" PRId64 " to version %" PRId64, ct->id,
           ct->version);
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        if (!(changed & CONTACT_FIELD_BIT(f)))
            continue;
        printf("%s%s", sep, contact_fields[f].name);
        sep = ", ";
    }
    putchar('\n');
}

static int update(struct cli *cli, int argc, char **argv, const char *inst)
{
    struct changes_duplicate duplicate = {0};
    struct edit_request req;
    struct contact ct;
    uint32_t changed = 0;
    struct err err;
    json_t *obj;
    int rc;

    memset(&req, 0, sizeof(req));
    contact_init(&req.values);
    contact_init(&ct);
    if ((rc = parse_edit(argc, argv, true, true, update_usage, &req)) >= 0)
        goto out;
    if (req.mask == 0 && !req.relink) {
        rc = cli_fail("no field given: give one or more, as in --title VP; "
                      "see 'sfsync contacts update --help'");
        goto out;
    }
    if (req.relink &&
        changes_relink(cli->store, cli->ws.id, req.id, &err) < 0) {
        rc = err.code == SYNC_EINVALID
                 ? cli_fail_err(&err)
                 : fail_contact(cli, req.id, 0, 0, 0, &err);
        goto out;
    }
    if (changes_update_unique(cli->store, cli->ws.id, req.id, &req.values,
                              req.mask, req.if_version,
                              req.allow_duplicate
                                  ? CHANGES_ADD_ALLOW_DUPLICATE
                                  : 0,
                              &duplicate, &ct, &changed, &err) < 0) {
        /* The message of an archived contact names it already. */
        if (err.code == SYNC_ECONFLICT && duplicate.contact_id)
            rc = cli_fail("contact %" PRId64 " not updated: %s", req.id,
                          err.msg);
        else if (err.code == SYNC_EINVALID && ct.archived)
            rc = cli_fail_err(&err);
        else if (err.code == SYNC_EINVALID)
            rc = cli_fail("contact %" PRId64 " not updated: %s", req.id,
                          err.msg);
        else
            rc = fail_contact(cli, req.id,
                              req.if_version ? req.if_version : ct.version,
                              req.if_version, ct.version, &err);
        goto out;
    }
    if (req.json) {
        obj = contact_json_pending(cli, &ct, inst);
        json_object_set_new(obj, "changed", json_boolean(changed != 0));
        json_object_set_new(obj, "changed_fields", field_names(changed));
        cli_print_json(obj);
    } else {
        if (req.mask)
            print_update(&ct, changed);
        if (req.relink)
            printf("contact %" PRId64 " creates its Salesforce record again "
                   "with the next push\n",
                   req.id);
    }
    rc = 0;
out:
    contact_release(&ct);
    contact_release(&req.values);
    return rc;
}

static int delete(struct cli *cli, int argc, char **argv, const char *inst)
{
    struct edit_request req;
    struct contact ct;
    bool changed = false;
    struct err err;
    json_t *obj;
    int rc;

    memset(&req, 0, sizeof(req));
    contact_init(&req.values);
    contact_init(&ct);
    if ((rc = parse_edit(argc, argv, true, false, delete_usage, &req)) >= 0)
        goto out;
    if (changes_archive(cli->store, cli->ws.id, req.id, req.if_version, &ct,
                        &changed, &err) < 0) {
        rc = fail_contact(cli, req.id,
                          req.if_version ? req.if_version : ct.version,
                          req.if_version, ct.version, &err);
        goto out;
    }
    if (req.json) {
        obj = contact_json_pending(cli, &ct, inst);
        json_object_set_new(obj, "changed", json_boolean(changed));
        cli_print_json(obj);
    } else if (changed) {
        printf("deleted contact %" PRId64 " (archived at version %" PRId64
               "); 'sfsync contacts list --all' still shows it\n",
               ct.id, ct.version);
    } else {
        printf("contact %" PRId64 " was deleted already; nothing changed\n",
               ct.id);
    }
    rc = 0;
out:
    contact_release(&ct);
    contact_release(&req.values);
    return rc;
}

static void import_usage(FILE *out)
{
    char *columns = contact_csv_accepted_columns(2);

    fprintf(out,
            "usage: sfsync contacts import FILE.csv [--dry-run] "
            "[--skip-invalid]\n"
            "                              [--ignore-unknown-columns] "
            "[--json]\n"
            "Import contacts from an RFC 4180 CSV file ('-' reads standard "
            "input) in one\n"
            "transaction. The first row names the columns. Every row is "
            "checked, and when\n"
            "any is rejected nothing is imported unless --skip-invalid is "
            "given.\n"
            "A row with the email or phone of one stored contact, or of an "
            "earlier row of\n"
            "the file, updates that contact with its non-empty cells (rows "
            "of one person\n"
            "are merged into one contact); a row matching several contacts "
            "is rejected.\n"
            "By phone, a row matches no contact with another email, nor, "
            "without emails on\n"
            "both sides, one with another last name or first name. The "
            "report lists the\n"
            "line of each row that updated a contact and that contact's "
            "id.\n"
            "A false do_not_call or email_opt_out never clears a true one; "
            "the report lists\nsuch rows with the command that clears it.\n"
            "The next pull links new contacts to Salesforce records by the "
            "same rule.\n\n"
            "  --dry-run                 check every row, write nothing\n"
            "  --skip-invalid            import the valid rows, report the "
            "rejected ones\n"
            "  --ignore-unknown-columns  ignore the columns that name no "
            "field\n"
            "  --json                    print {imported, rejected: [{line, "
            "reason}],\n"
            "                            kept_opt_outs: [{line, field, "
            "contact_id, message}],\n"
            "                            updated_rows: [{line, contact_id}], "
            "...}\n\n"
            "Columns, in any letter case, with or without spaces, '_' or "
            "'-', and after an\n"
            "optional 'Contact: ' or 'Lead: ' (aliases in brackets):\n%s",
            columns);
    free(columns);
}

static json_t *string_array(char *const *items, size_t count)
{
    json_t *array = json_array();

    for (size_t i = 0; i < count; i++)
        json_array_append_new(array, json_string(items[i]));
    return array;
}

/* The command-line option of field f: its name with '-' for '_'. */
static void option_name(enum contact_field f, char out[FIELD_OPT_NAME_MAX])
{
    snprintf(out, FIELD_OPT_NAME_MAX, "%s", contact_fields[f].name);
    for (char *p = out; *p; p++)
        if (*p == '_')
            *p = '-';
}

/* The message of a kept opt-out, as the text and JSON reports give it. */
static char *kept_message(const struct import_kept_opt_out *k)
{
    char option[FIELD_OPT_NAME_MAX];

    option_name(k->field, option);
    return xasprintf("field '%s' is false but contact %" PRId64 " has it "
                     "true: kept true; clear it with 'sfsync contacts update "
                     "%" PRId64 " --%s false'",
                     contact_fields[k->field].name, k->contact_id,
                     k->contact_id, option);
}

static json_t *kept_json(const struct import_result *res)
{
    json_t *kept = json_array();

    for (size_t i = 0; i < res->kept_count; i++) {
        const struct import_kept_opt_out *k = &res->kept[i];
        char *message = kept_message(k);

        json_array_append_new(
            kept, json_pack("{s:I, s:s, s:I, s:s}", "line",
                            (json_int_t)k->line, "field",
                            contact_fields[k->field].name, "contact_id",
                            (json_int_t)k->contact_id, "message", message));
        free(message);
    }
    return kept;
}

static json_t *updates_json(const struct import_result *res)
{
    json_t *updates = json_array();

    for (size_t i = 0; i < res->update_count; i++)
        json_array_append_new(
            updates,
            json_pack("{s:I, s:I}", "line", (json_int_t)res->updates[i].line,
                      "contact_id", (json_int_t)res->updates[i].contact_id));
    return updates;
}

static void print_import_json(const char *path,
                              const struct import_options *opts,
                              const struct import_result *res)
{
    json_t *rejected = json_array();

    for (size_t i = 0; i < res->rejected_count; i++)
        json_array_append_new(
            rejected, json_pack("{s:I, s:s}", "line",
                                (json_int_t)res->rejected[i].line, "reason",
                                res->rejected[i].reason));
    cli_print_json(json_pack(
        "{s:s?, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:o, "
        "s:I, s:o}",
        "file", path, "dry_run", opts->dry_run, "rows", (json_int_t)res->rows,
        "valid", (json_int_t)res->valid, "imported", (json_int_t)res->imported,
        "updated", (json_int_t)res->updated, "unchanged",
        (json_int_t)res->unchanged, "rejected_count",
        (json_int_t)res->rejected_total, "rejected", rejected,
        "unknown_columns",
        string_array(res->unknown_columns, res->unknown_count),
        "kept_opt_out_count", (json_int_t)res->kept_total, "kept_opt_outs",
        kept_json(res), "updated_row_count", (json_int_t)res->update_total,
        "updated_rows", updates_json(res)));
}

static void print_import_text(const char *path,
                              const struct import_options *opts,
                              const struct import_result *res, int rc)
{
    long long more = res->rejected_total - (long long)res->rejected_count;

    for (size_t i = 0; i < res->rejected_count; i++)
        printf("line %lld: %s\n", res->rejected[i].line,
               res->rejected[i].reason);
    if (more > 0)
        printf("%lld more rejected %s not listed\n", more,
               more == 1 ? "row is" : "rows are");
    for (size_t i = 0; i < res->kept_count; i++) {
        char *message = kept_message(&res->kept[i]);

        printf("line %lld: %s\n", res->kept[i].line, message);
        free(message);
    }
    more = res->kept_total - (long long)res->kept_count;
    if (more > 0)
        printf("%lld more kept %s not listed\n", more,
               more == 1 ? "opt-out is" : "opt-outs are");
    for (size_t i = 0; i < res->update_count; i++)
        printf("line %lld: %s contact %" PRId64 "\n", res->updates[i].line,
               opts->dry_run ? "would update" : "updated",
               res->updates[i].contact_id);
    more = res->update_total - (long long)res->update_count;
    if (more > 0)
        printf("%lld more updated %s not listed\n", more,
               more == 1 ? "row is" : "rows are");
    if (res->unknown_count > 0) {
        fputs("ignored columns:", stdout);
        for (size_t i = 0; i < res->unknown_count; i++)
            printf("%s '%s'", i ? "," : "", res->unknown_columns[i]);
        putchar('\n');
    }
    if (opts->dry_run)
        printf("dry run: %lld of %lld rows of '%s' are valid; nothing was "
               "written\n",
               res->valid, res->rows, path);
    else if (rc == 0 && res->rejected_total > 0)
        printf("imported %lld contact%s from '%s'; %lld rejected %s "
               "skipped\n",
               res->imported, res->imported == 1 ? "" : "s", path,
               res->rejected_total,
               res->rejected_total == 1 ? "row was" : "rows were");
    else if (rc == 0)
        printf("imported %lld contact%s from '%s'\n", res->imported,
               res->imported == 1 ? "" : "s", path);
    if (rc == 0 && (res->updated || res->unchanged))
        printf("%lld %s, %lld %s\n", res->updated,
               res->updated == 1 ? "row updated an existing contact"
                                 : "rows updated existing contacts",
               res->unchanged,
               res->unchanged == 1 ? "matched a contact without changing it"
                                   : "matched contacts without changing them");
}

/* Print why an import failed and what to do; return 1. */
static int fail_import(const struct import_options *opts,
                       const struct import_result *res,
                       const struct err *err)
{
    char *columns;

    if (res->complete && res->rejected_total > 0 && res->valid == 0)
        return cli_fail("%s; no row is valid, so fix the rows and import "
                        "the file again",
                        err->msg);
    if (res->complete && res->rejected_total > 0)
        return cli_fail("%s; fix them, or give --skip-invalid to import "
                        "the %lld valid %s and skip the rest",
                        err->msg, res->valid, res->valid == 1 ? "row" : "rows");
    cli_fail_err(err);
    if (res->unknown_count == 0 || opts->ignore_unknown_columns)
        return 1;
    columns = contact_csv_accepted_columns(2);
    fprintf(stderr,
            "give --ignore-unknown-columns to ignore the %zu unknown "
            "%s, or rename %s to\n"
            "%s, in any letter case, with or without spaces "
            "(aliases in brackets):\n%s",
            res->unknown_count, res->unknown_count == 1 ? "column" : "columns",
            res->unknown_count == 1 ? "it" : "them",
            res->unknown_count == 1 ? "an accepted one" : "accepted ones",
            columns);
    free(columns);
    return 1;
}

static int import(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"skip-invalid", no_argument, NULL, 's'},
        {"ignore-unknown-columns", no_argument, NULL, 'i'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct import_options opts;
    struct import_result res;
    bool json = false;
    const char *path;
    struct err err;
    FILE *in;
    int c, rc;

    memset(&opts, 0, sizeof(opts));
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'n':
            opts.dry_run = true;
            break;
        case 's':
            opts.skip_invalid = true;
            break;
        case 'i':
            opts.ignore_unknown_columns = true;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            import_usage(stdout);
            return 0;
        default:
            import_usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        import_usage(stderr);
        return 2;
    }
    path = argv[optind];
    in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!in)
        return cli_fail("cannot open '%s': %s", path, strerror(errno));
    import_result_init(&res);
    rc = import_csv(cli->store, cli->ws.id, in, path, &opts, &res, &err);
    if (in != stdin)
        fclose(in);
    if (res.complete && json)
        print_import_json(path, &opts, &res);
    else if (res.complete)
        print_import_text(path, &opts, &res, rc);
    rc = rc < 0 ? fail_import(&opts, &res, &err) : 0;
    import_result_release(&res);
    return rc;
}

static void contacts_usage(FILE *out)
{
    fputs("usage: sfsync contacts list [--search TEXT] [--limit N] "
          "[--offset N] [--all]\n"
          "                             [--json]\n"
          "       sfsync contacts show ID [--json]\n"
          "       sfsync contacts add --FIELD VALUE ... [--json]\n"
          "       sfsync contacts update ID --FIELD VALUE ... "
          "[--if-version N] [--relink]\n"
          "                             [--json]\n"
          "       sfsync contacts delete ID [--if-version N] [--json]\n"
          "       sfsync contacts import FILE.csv [--dry-run] "
          "[--skip-invalid] [--json]\n"
          "Run 'sfsync contacts VERB --help' for a verb's options.\n",
          out);
}

int cmd_contacts(struct cli *cli, int argc, char **argv)
{
    static const struct verb {
        const char *name;
        int (*run)(struct cli *cli, int argc, char **argv,
                   const char *instance_url);
    } verbs[] = {
        {"list", list}, {"show", show},     {"add", add},
        {"update", update}, {"delete", delete},
    };
    const char *name = argc > 1 ? argv[1] : NULL;
    const struct verb *verb = NULL;
    struct connection_status st;
    int rc;

    if (!name || cli_is_help(name)) {
        contacts_usage(name ? stdout : stderr);
        return name ? 0 : 2;
    }
    for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
        if (strcmp(name, verbs[i].name) == 0)
            verb = &verbs[i];
    if (!verb && strcmp(name, "import") != 0)
        return cli_fail("unknown contacts command '%s': use list, show, add, "
                        "update, delete or import",
                        name);
    /* Help needs no database. */
    for (int i = 2; i < argc; i++)
        if (cli_is_help(argv[i]))
            return verb ? verb->run(cli, argc - 1, argv + 1, NULL)
                        : import(cli, argc - 1, argv + 1);
    if (cli_open(cli, false))
        return 1;
    if (!verb)
        return import(cli, argc - 1, argv + 1);
    connection_status_get(cli->store, cli->ws.id, &st, NULL);
    rc = verb->run(cli, argc - 1, argv + 1, st.instance_url);
    connection_status_release(&st);
    return rc;
}
