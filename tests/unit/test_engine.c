/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sync_run against the real sfsim over HTTP. The cases: what each
 * direction and set of objects lets flow, conflicts and their policies,
 * do-not-call, and echo suppression over many rounds. Then lost create
 * replies, conversions, deletes, merges, late commits, shared stamps, the
 * API budget and sync errors.
 * Local changes are made through the store with STORE_ORIGIN_LOCAL, as
 * the CLI and the HTTP API make them; Salesforce changes are made by a
 * sales rep through the REST API with a password-grant token.
 */
#include "base/common.h"

#include <ftw.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "salesforce/sf_query.h"
#include "salesforce/sf_sobject.h"
#include "store/store.h"
#include "sync/connection.h"
#include "sync/engine.h"
#include "sync/pull.h"
#include "sync/settings.h"

#include "simproc.h"
#include "test.h"
#include "test_store_target.h"

#define REP_USER "rep@sfsim.local"
#define REP_PASSWORD "rep-password"

struct fixture {
    char dir[64];
    struct test_db db;
    struct simproc sim;
    struct store *store;
    struct store_workspace ws;
    struct connection conn;
    struct sf_client *rep; /* the sales rep, another Salesforce user */
    char user_id[SFID_SIZE]; /* the integration user */
    char rep_id[SFID_SIZE];
    bool ready;
};

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static struct sf_client *rep_client(const char *url, struct err *err)
{
    struct sf_auth_config cfg;
    struct sf_auth *auth;

    memset(&cfg, 0, sizeof(cfg));
    cfg.login_url = url;
    cfg.client_id = "sfsim-client-id";
    cfg.client_secret = "sfsim-client-secret";
    cfg.grant = SF_AUTH_GRANT_PASSWORD;
    cfg.username = REP_USER;
    cfg.password = REP_PASSWORD;
    auth = sf_auth_new(&cfg, err);
    return auth ? sf_client_new(NULL, auth, err) : NULL;
}

static void user_ids(struct fixture *fx)
{
    char *id = NULL;
    json_t *doc = NULL;
    struct sf_client_request req = {.method = "GET",
                                    .path = "/services/oauth2/userinfo"};

    if (store_setting_get(fx->store, fx->ws.id, "connection.user_id", &id,
                          NULL) == 0 &&
        id)
        sfid_to18(id, fx->user_id);
    free(id);
    if (sf_client_send(fx->rep, &req, NULL, &doc, NULL) == 0)
        sfid_to18(json_string_value(json_object_get(doc, "user_id")),
                  fx->rep_id);
    json_decref(doc);
}

/* Start sfsim with a sales rep and extra arguments (NULL-terminated, or
 * NULL), open a new store and connect it as the integration user. */
static bool fixture_open_args(struct fixture *fx, const char *const *extra)
{
    struct connection_params p = {
        .client_id = "sfsim-client-id",
        .client_secret = "sfsim-client-secret",
        .grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS,
    };
    const char *args[32];
    size_t n = 0;
    struct err err;

    memset(fx, 0, sizeof(*fx));
    log_set_level(LOG_WARN);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/sfsync-engine-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        perror("mkdtemp");
        return false;
    }
    args[n++] = "--user";
    args[n++] = REP_USER ":" REP_PASSWORD;
    for (size_t i = 0; extra && extra[i] && n < 30; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    test_db_init(&fx->db, "sfsync-engine-db");
    err_clear(&err);
    if (simproc_start(&fx->sim, args) < 0)
        return false;
    p.login_url = fx->sim.url;
    if (store_open(&fx->store, fx->db.target, &err) < 0 ||
        store_workspace_get_or_create(fx->store, "main", &fx->ws, &err) < 0 ||
        connection_connect(fx->store, fx->ws.id, &p, &err) < 0 ||
        connection_open(&fx->conn, fx->store, fx->ws.id, &err) < 0 ||
        !(fx->rep = rep_client(fx->sim.url, &err))) {
        fprintf(stderr, "fixture setup failed: %s\n", err.msg);
        return false;
    }
    user_ids(fx);
    fx->ready = fx->user_id[0] && fx->rep_id[0];
    if (!fx->ready)
        fprintf(stderr, "fixture: no user ids (integration '%s', rep '%s')\n",
                fx->user_id, fx->rep_id);
    return fx->ready;
}

static bool fixture_open(struct fixture *fx)
{
    return fixture_open_args(fx, NULL);
}

static void fixture_close(struct fixture *fx)
{
    connection_close(&fx->conn);
    sf_client_free(fx->rep);
    if (fx->ws.name)
        store_workspace_release(&fx->ws);
    store_close(fx->store);
    if (fx->sim.pid > 0)
        CHECK_INT(simproc_stop(&fx->sim), 0);
    nftw(fx->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    test_db_release(&fx->db);
}

#define OPEN_OR_RETURN(fx, ...)                                             \
    do {                                                                    \
        static const char *const extra_[] = {__VA_ARGS__};                  \
        if (!fixture_open_args(fx, extra_)) {                               \
            CHECK((fx)->ready);                                             \
            fixture_close(fx);                                              \
            return;                                                         \
        }                                                                   \
    } while (0)

static void set(struct fixture *fx, const char *key, const char *value)
{
    struct err err;

    err_clear(&err);
    if (settings_set(fx->store, fx->ws.id, key, value, &err) < 0) {
        fprintf(stderr, "setting %s=%s failed: %s\n", key, value, err.msg);
        test_failures++;
    }
}

/* One sync round; prints the error of a failed one. */
static int sync_round(struct fixture *fx, struct sync_result *res)
{
    struct sync_options opts = {0};
    struct err err;
    int rc;

    err_clear(&err);
    rc = sync_run(&fx->conn, &opts, res, &err);
    if (rc < 0)
        fprintf(stderr, "sync failed: %s\n", err.msg);
    return rc;
}

/* A round that must succeed, for setting the scene. */
static void sync_ok(struct fixture *fx)
{
    struct sync_result res;

    CHECK_INT(sync_round(fx, &res), 0);
    CHECK_STR(res.status, "ok");
}

/* ---- Salesforce side, as the sales rep ---- */

static int rep_send(struct fixture *fx, const char *method, const char *path,
                    const char *json, json_t **out)
{
    struct sf_client_request req = {.method = method, .path = path};
    json_t *body = json ? json_loads(json, 0, NULL) : NULL, *doc = NULL;
    struct err err;
    int rc;

    req.body = body;
    err_clear(&err);
    rc = sf_client_send(fx->rep, &req, NULL, &doc, &err);
    if (rc < 0)
        fprintf(stderr, "%s %s failed: %s\n", method, path, err.msg);
    json_decref(body);
    if (out)
        *out = doc;
    else
        json_decref(doc);
    return rc;
}

/* Create a record as the rep; out receives its id, "" on failure. */
static const char *rep_create(struct fixture *fx, const char *type,
                              const char *json, char out[SFID_SIZE])
{
    char *path = xasprintf("/sobjects/%s", type);
    json_t *doc = NULL;

    out[0] = '\0';
    if (rep_send(fx, "POST", path, json, &doc) == 0)
        snprintf(out, SFID_SIZE, "%s",
                 json_string_value(json_object_get(doc, "id")));
    CHECK(out[0] != '\0');
    json_decref(doc);
    free(path);
    return out;
}

static int rep_update(struct fixture *fx, const char *type, const char *id,
                      const char *json)
{
    char *path = xasprintf("/sobjects/%s/%s", type, id);
    int rc = rep_send(fx, "PATCH", path, json, NULL);

    free(path);
    return rc;
}

static int rep_delete(struct fixture *fx, const char *type, const char *id)
{
    char *path = xasprintf("/sobjects/%s/%s", type, id);
    int rc = rep_send(fx, "DELETE", path, NULL, NULL);

    free(path);
    return rc;
}

/* A field of a record as Salesforce has it, in a static buffer: its text,
 * "(null)", or "(deleted)" when the record is gone. */
static const char *sf_value(struct fixture *fx, const char *type,
                            const char *id, const char *field)
{
    static char text[256];
    const char *fields[] = {field, NULL};
    json_t *doc = NULL, *v;
    int rc;

    rc = sf_sobject_retrieve(fx->rep, type, id, fields, &doc, NULL);
    if (rc == SYNC_ENOTFOUND) {
        snprintf(text, sizeof(text), "(deleted)");
    } else if (rc < 0) {
        snprintf(text, sizeof(text), "(error)");
    } else {
        v = json_object_get(doc, field);
        if (json_is_string(v))
            snprintf(text, sizeof(text), "%s", json_string_value(v));
        else if (json_is_boolean(v))
            snprintf(text, sizeof(text), "%s",
                     json_is_true(v) ? "true" : "false");
        else
            snprintf(text, sizeof(text), "(null)");
    }
    json_decref(doc);
    return text;
}

static long long sf_count(struct fixture *fx, const char *soql)
{
    long long n = -1;
    struct err err;

    err_clear(&err);
    if (sf_query_count(fx->rep, soql, false, &n, &err) < 0)
        fprintf(stderr, "count '%s' failed: %s\n", soql, err.msg);
    return n;
}

/* POST or PUT a JSON body to a /sim/ control endpoint; 0 on 200. */
static int sim_control(struct fixture *fx, const char *method,
                       const char *path, const char *json,
                       struct sim_http_reply *out)
{
    char url[256];

    snprintf(url, sizeof(url), "%s%s", fx->sim.url, path);
    if (sim_http(method, url, "application/json", json, out) < 0)
        return -1;
    if (out->status != 200)
        fprintf(stderr, "%s %s gave %ld: %s\n", method, path, out->status,
                out->body);
    return out->status == 200 ? 0 : -1;
}

static int faults(struct fixture *fx, const char *json)
{
    return simproc_set_faults(&fx->sim, json);
}

/* The API calls sfsim has counted so far. */
static long long api_used(struct fixture *fx)
{
    struct sim_http_reply r;
    json_t *doc;
    long long used = -1;

    if (sim_control(fx, "GET", "/sim/faults", NULL, &r) < 0)
        return -1;
    doc = json_loads(r.body, 0, NULL);
    used = json_integer_value(json_object_get(doc, "api-used"));
    json_decref(doc);
    return used;
}

/* ---- local side ---- */

static int64_t add_local(struct fixture *fx, const char *last,
                         const char *email, const char *phone)
{
    struct contact c;
    struct err err;
    int64_t id;

    contact_init(&c);
    c.workspace_id = fx->ws.id;
    contact_set_text(&c, CONTACT_FIRST_NAME, "Local");
    contact_set_text(&c, CONTACT_LAST_NAME, last);
    contact_set_text(&c, CONTACT_EMAIL, email);
    contact_set_text(&c, CONTACT_PHONE, phone);
    err_clear(&err);
    if (store_contact_insert(fx->store, &c, STORE_ORIGIN_LOCAL, &err) < 0) {
        fprintf(stderr, "insert failed: %s\n", err.msg);
        test_failures++;
    }
    id = c.id;
    contact_release(&c);
    return id;
}

/* Change one field of a local contact as a user would: field by name,
 * value as typed (true/false for flags, NULL to clear). */
static void edit_local(struct fixture *fx, int64_t id, const char *field,
                       const char *value)
{
    struct contact c;
    struct err err;
    int f = contact_field_by_name(field);

    contact_init(&c);
    err_clear(&err);
    if (f < 0 || store_contact_get(fx->store, fx->ws.id, id, &c, &err) < 0 ||
        contact_parse_value(&c, (enum contact_field)f, value, &err) < 0 ||
        store_contact_update(fx->store, &c, STORE_ORIGIN_LOCAL, &err) < 0) {
        fprintf(stderr, "edit of contact %" PRId64 " %s failed: %s\n", id,
                field, err.msg);
        test_failures++;
    }
    contact_release(&c);
}

static void archive_local(struct fixture *fx, int64_t id)
{
    struct contact c;
    struct err err;

    contact_init(&c);
    err_clear(&err);
    if (store_contact_get(fx->store, fx->ws.id, id, &c, &err) < 0 ||
        (c.archived = true,
         store_contact_update(fx->store, &c, STORE_ORIGIN_LOCAL, &err) < 0)) {
        fprintf(stderr, "archive failed: %s\n", err.msg);
        test_failures++;
    }
    contact_release(&c);
}

/* A field of a local contact in a static buffer, "(null)" when empty. */
static const char *local_value(struct fixture *fx, int64_t id,
                               const char *field)
{
    static char text[256];
    int f = contact_field_by_name(field);
    struct contact c;

    contact_init(&c);
    snprintf(text, sizeof(text), "(no contact)");
    if (f >= 0 && store_contact_get(fx->store, fx->ws.id, id, &c, NULL) == 0) {
        if (contact_fields[f].type == CONTACT_TYPE_BOOL)
            snprintf(text, sizeof(text), "%s",
                     c.values[f].flag ? "true" : "false");
        else
            snprintf(text, sizeof(text), "%s",
                     c.values[f].text ? c.values[f].text : "(null)");
    }
    contact_release(&c);
    return text;
}

static int64_t local_version(struct fixture *fx, int64_t id)
{
    struct contact c;
    int64_t v = -1;

    contact_init(&c);
    if (store_contact_get(fx->store, fx->ws.id, id, &c, NULL) == 0)
        v = c.version;
    contact_release(&c);
    return v;
}

static bool local_archived(struct fixture *fx, int64_t id)
{
    struct contact c;
    bool archived = false;

    contact_init(&c);
    if (store_contact_get(fx->store, fx->ws.id, id, &c, NULL) == 0)
        archived = c.archived;
    contact_release(&c);
    return archived;
}

/* The Salesforce id a contact is linked to, "" when unlinked. */
static const char *linked_id(struct fixture *fx, int64_t id,
                             char out[SFID_SIZE])
{
    struct store_link link;

    out[0] = '\0';
    store_link_init(&link);
    if (store_link_get(fx->store, fx->ws.id, id, &link, NULL) == 0)
        snprintf(out, SFID_SIZE, "%s", link.sf_id);
    store_link_release(&link);
    return out;
}

/* The local contact linked to a record, or 0. */
static int64_t contact_of(struct fixture *fx, const char *sf_id)
{
    struct store_link link;
    int64_t id = 0;

    store_link_init(&link);
    if (sf_id[0] &&
        store_link_find(fx->store, fx->ws.id, sf_id, &link, NULL) == 0)
        id = link.contact_id;
    store_link_release(&link);
    return id;
}

/* Contacts of the workspace, archived ones included. */
static int64_t local_count(struct fixture *fx)
{
    struct store_contact_query q = {0};
    struct store_contact_list page;
    int64_t total = -1;

    q.limit = 1;
    q.include_archived = true;
    if (store_contact_list(fx->store, fx->ws.id, &q, &page, NULL) == 0) {
        total = page.total;
        store_contact_list_release(&page);
    }
    return total;
}

/* Pending outbox entries of one contact, or of all when id is 0. */
static size_t pending(struct fixture *fx, int64_t id)
{
    struct store_outbox_entry *entries = NULL;
    size_t n = 0, count = 0;

    store_outbox_pending(fx->store, fx->ws.id, 1000, &entries, &n, NULL);
    for (size_t i = 0; i < n; i++)
        if (!id || entries[i].contact_id == id)
            count++;
    free(entries);
    return count;
}

/* The newest sync error of a contact (0 for any): its code in a static
 * buffer, or "" when there is none. */
static const char *error_code(struct fixture *fx, int64_t contact_id,
                              bool *retryable)
{
    static char code[64];
    struct store_sync_error *errors = NULL;
    size_t n = 0;

    code[0] = '\0';
    store_sync_error_list(fx->store, fx->ws.id, contact_id, 1, &errors, &n,
                          NULL);
    if (n) {
        snprintf(code, sizeof(code), "%s", errors[0].code);
        if (retryable)
            *retryable = errors[0].retryable;
    }
    store_sync_errors_free(errors, n);
    return code;
}

static size_t error_count(struct fixture *fx, int64_t contact_id)
{
    struct store_sync_error *errors = NULL;
    size_t n = 0;

    store_sync_error_list(fx->store, fx->ws.id, contact_id, 1000, &errors,
                          &n, NULL);
    store_sync_errors_free(errors, n);
    return n;
}

/* ---- directions and objects ---- */

/* The records one scenario works on, created and linked by a first
 * round. */
struct scene {
    char c_upd[SFID_SIZE], c_del[SFID_SIZE], c_lupd[SFID_SIZE],
        c_ldel[SFID_SIZE];
    char l_upd[SFID_SIZE], l_del[SFID_SIZE], l_lupd[SFID_SIZE],
        l_ldel[SFID_SIZE];
    char c_new[SFID_SIZE], l_new[SFID_SIZE];
    int64_t local_new;
};

static void scene_create(struct fixture *fx, struct scene *sc)
{
    struct {
        const char *type, *name;
        char *id;
    } recs[] = {
        {"Contact", "Cupd", sc->c_upd},   {"Contact", "Cdel", sc->c_del},
        {"Contact", "Clupd", sc->c_lupd}, {"Contact", "Cldel", sc->c_ldel},
        {"Lead", "Lupd", sc->l_upd},      {"Lead", "Ldel", sc->l_del},
        {"Lead", "Llupd", sc->l_lupd},    {"Lead", "Lldel", sc->l_ldel},
    };

    for (size_t i = 0; i < ARRAY_SIZE(recs); i++) {
        bool lead = strcmp(recs[i].type, "Lead") == 0;
        char *json = xasprintf("{\"LastName\": \"%s\", \"Title\": "
                               "\"Initial\"%s}",
                               recs[i].name,
                               lead ? ", \"Company\": \"Acme\"" : "");

        rep_create(fx, recs[i].type, json, recs[i].id);
        free(json);
    }
}

static void scene_change(struct fixture *fx, struct scene *sc)
{
    rep_create(fx, "Contact", "{\"LastName\": \"Cnew\"}", sc->c_new);
    rep_create(fx, "Lead", "{\"LastName\": \"Lnew\", \"Company\": \"New\"}",
               sc->l_new);
    CHECK_INT(rep_update(fx, "Contact", sc->c_upd,
                         "{\"Title\": \"SF edit\"}"),
              0);
    CHECK_INT(rep_update(fx, "Lead", sc->l_upd, "{\"Title\": \"SF edit\"}"),
              0);
    CHECK_INT(rep_delete(fx, "Contact", sc->c_del), 0);
    CHECK_INT(rep_delete(fx, "Lead", sc->l_del), 0);
    sc->local_new = add_local(fx, "Newlocal", "newlocal@example.com", NULL);
    edit_local(fx, contact_of(fx, sc->c_lupd), "title", "Local edit");
    edit_local(fx, contact_of(fx, sc->l_lupd), "title", "Local edit");
    archive_local(fx, contact_of(fx, sc->c_ldel));
    archive_local(fx, contact_of(fx, sc->l_ldel));
}

/* Check one object's flows after the round. */
static void scene_check_object(struct fixture *fx, const struct scene *sc,
                               enum sf_object object, bool pull, bool push,
                               const char *label)
{
    bool lead = object == SF_OBJECT_LEAD;
    const char *type = mapping_object_name(object);
    const char *upd = lead ? sc->l_upd : sc->c_upd;
    const char *del = lead ? sc->l_del : sc->c_del;
    const char *lupd = lead ? sc->l_lupd : sc->c_lupd;
    const char *ldel = lead ? sc->l_ldel : sc->c_ldel;
    const char *fresh = lead ? sc->l_new : sc->c_new;
    int64_t del_contact;

    fprintf(stderr, "  checking %s: %s pull=%d push=%d\n", label, type, pull,
            push);
    /* Salesforce to local: create, update, delete. */
    CHECK_INT(contact_of(fx, fresh) != 0, pull);
    CHECK_STR(local_value(fx, contact_of(fx, upd), "title"),
              pull ? "SF edit" : "Initial");
    CHECK_INT(contact_of(fx, del) != 0, !pull);
    /* Local to Salesforce: update and delete (on_local_delete=delete). */
    CHECK_STR(sf_value(fx, type, lupd, "Title"),
              push ? "Local edit" : "Initial");
    CHECK_STR(sf_value(fx, type, ldel, "LastName"),
              push ? "(deleted)" : (lead ? "Lldel" : "Cldel"));
    CHECK_INT(pending(fx, contact_of(fx, lupd)) == 0, push);
    del_contact = contact_of(fx, del);
    if (!pull)
        CHECK(!local_archived(fx, del_contact));
}

static void scene_run(const char *direction, const char *objects)
{
    bool contacts = strstr(objects, "contacts") != NULL;
    bool leads = strstr(objects, "leads") != NULL;
    bool pull = strcmp(direction, "to-salesforce") != 0;
    bool push = strcmp(direction, "from-salesforce") != 0;
    enum sf_object create_as = leads ? SF_OBJECT_LEAD : SF_OBJECT_CONTACT;
    struct fixture fx;
    struct scene sc;
    struct sync_result res;
    char linked[SFID_SIZE], label[64];
    int64_t del_c, del_l;

    snprintf(label, sizeof(label), "%s %s", direction, objects);
    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    memset(&sc, 0, sizeof(sc));
    set(&fx, "on_local_delete", "delete");
    scene_create(&fx, &sc);
    sync_ok(&fx);
    CHECK(contact_of(&fx, sc.c_upd) != 0);
    CHECK(contact_of(&fx, sc.l_upd) != 0);
    del_c = contact_of(&fx, sc.c_del);
    del_l = contact_of(&fx, sc.l_del);

    set(&fx, "direction", direction);
    set(&fx, "objects", objects);
    set(&fx, "new_contacts_as", leads ? "lead" : "contact");
    scene_change(&fx, &sc);
    CHECK_INT(sync_round(&fx, &res), 0);
    scene_check_object(&fx, &sc, SF_OBJECT_CONTACT, pull && contacts,
                       push && contacts, label);
    scene_check_object(&fx, &sc, SF_OBJECT_LEAD, pull && leads, push && leads,
                       label);
    CHECK_INT(local_archived(&fx, del_c), pull && contacts);
    CHECK_INT(local_archived(&fx, del_l), pull && leads);
    /* The new local contact is created as the object that syncs. */
    CHECK_INT(linked_id(&fx, sc.local_new, linked)[0] != '\0', push);
    CHECK_INT(sf_count(&fx, create_as == SF_OBJECT_LEAD
                                ? "SELECT count() FROM Lead WHERE LastName = "
                                  "'Newlocal'"
                                : "SELECT count() FROM Contact WHERE "
                                  "LastName = 'Newlocal'"),
              push ? 1 : 0);
    if (push)
        CHECK_INT(strncmp(linked, create_as == SF_OBJECT_LEAD ? "00Q" : "003",
                          3),
                  0);

    /* What did not flow waits in the outbox: with everything enabled, the
     * next round sends it. */
    set(&fx, "direction", "both");
    set(&fx, "objects", "contacts,leads");
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(sf_value(&fx, "Contact", sc.c_lupd, "Title"), "Local edit");
    CHECK_STR(sf_value(&fx, "Lead", sc.l_lupd, "Title"), "Local edit");
    CHECK_STR(local_value(&fx, contact_of(&fx, sc.c_upd), "title"),
              "SF edit");
    CHECK_STR(local_value(&fx, contact_of(&fx, sc.l_upd), "title"),
              "SF edit");
    CHECK(linked_id(&fx, sc.local_new, linked)[0] != '\0');
    CHECK_INT(pending(&fx, 0), 0);
    fixture_close(&fx);
}

TEST(direction_both_all_objects)
{
    scene_run("both", "contacts,leads");
}

TEST(direction_both_contacts_only)
{
    scene_run("both", "contacts");
}

TEST(direction_both_leads_only)
{
    scene_run("both", "leads");
}

TEST(direction_to_salesforce_all_objects)
{
    scene_run("to-salesforce", "contacts,leads");
}

TEST(direction_to_salesforce_contacts_only)
{
    scene_run("to-salesforce", "contacts");
}

TEST(direction_to_salesforce_leads_only)
{
    scene_run("to-salesforce", "leads");
}

TEST(direction_from_salesforce_all_objects)
{
    scene_run("from-salesforce", "contacts,leads");
}

TEST(direction_from_salesforce_contacts_only)
{
    scene_run("from-salesforce", "contacts");
}

TEST(direction_from_salesforce_leads_only)
{
    scene_run("from-salesforce", "leads");
}

TEST(disabled_refused)
{
    struct fixture fx;
    struct sync_result res;
    struct sync_options opts = {0};
    struct err err;
    long long before;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    set(&fx, "enabled", "false");
    before = api_used(&fx);
    err_clear(&err);
    CHECK_INT(sync_run(&fx.conn, &opts, &res, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "the integration is disabled") != NULL);
    CHECK(strstr(err.msg, "sfsync config set enabled true") != NULL);
    CHECK_INT(res.run_id, 0);
    CHECK_INT(api_used(&fx), before);
    fixture_close(&fx);
}

TEST(create_waits_for_disabled_object)
{
    struct fixture fx;
    struct sync_result res;
    char linked[SFID_SIZE];
    bool retryable = false;
    int64_t id;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    set(&fx, "objects", "contacts");
    set(&fx, "new_contacts_as", "lead");
    id = add_local(&fx, "Waiting", "waiting@example.com", NULL);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(linked_id(&fx, id, linked), "");
    CHECK_INT(pending(&fx, id), 1);
    CHECK_STR(error_code(&fx, id, &retryable), "OBJECT_DISABLED");
    CHECK(retryable);
    /* A second round records nothing new. */
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(error_count(&fx, id), 1);
    set(&fx, "objects", "contacts,leads");
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(strncmp(linked_id(&fx, id, linked), "00Q", 3), 0);
    CHECK_INT(pending(&fx, id), 0);
    CHECK_INT(error_count(&fx, id), 0);
    fixture_close(&fx);
}

/* ---- conflicts ---- */

/* The newest conflict of a contact: field, winner and policy. */
static bool newest_conflict(struct fixture *fx, int64_t contact_id,
                            struct store_conflict *out)
{
    struct store_conflict *list = NULL;
    size_t n = 0;
    bool found = false;

    store_conflict_list(fx->store, fx->ws.id, 0, 100, &list, &n, NULL);
    for (size_t i = 0; i < n && !found; i++)
        if (list[i].contact_id == contact_id) {
            *out = list[i];
            memset(&list[i], 0, sizeof(list[i]));
            found = true;
        }
    store_conflicts_free(list, n);
    return found;
}

static void conflict_release(struct store_conflict *c)
{
    free(c->field);
    free(c->local_value);
    free(c->remote_value);
    free(c->winner);
    free(c->policy);
}

/* Change the title on both sides, Salesforce first unless local_first,
 * a second apart so that LastModifiedDate orders them, then sync. */
static void both_sides_edit(struct fixture *fx, const char *policy,
                            bool local_first, const char *expect_winner)
{
    struct sync_result res;
    struct store_conflict c;
    char id[SFID_SIZE];
    int64_t local;

    set(fx, "conflict_policy", policy);
    rep_create(fx, "Contact", "{\"LastName\": \"Both\", \"Title\": \"Base\"}",
               id);
    sync_ok(fx);
    local = contact_of(fx, id);
    CHECK(local != 0);
    if (local_first) {
        edit_local(fx, local, "title", "Local");
        simproc_sleep_ms(1100);
        CHECK_INT(rep_update(fx, "Contact", id, "{\"Title\": \"Remote\"}"),
                  0);
    } else {
        CHECK_INT(rep_update(fx, "Contact", id, "{\"Title\": \"Remote\"}"),
                  0);
        simproc_sleep_ms(1100);
        edit_local(fx, local, "title", "Local");
    }
    CHECK_INT(sync_round(fx, &res), 0);
    CHECK_INT(res.counts.conflicts, 1);
    memset(&c, 0, sizeof(c));
    CHECK(newest_conflict(fx, local, &c));
    CHECK_STR(c.field, "title");
    CHECK_STR(c.local_value, "Local");
    CHECK_STR(c.remote_value, "Remote");
    CHECK_STR(c.winner, expect_winner);
    CHECK_STR(c.policy, policy);
    CHECK_INT(c.run_id, res.run_id);
    conflict_release(&c);
    /* Both sides end with the winner's value. */
    if (strcmp(expect_winner, "local") == 0) {
        CHECK_STR(local_value(fx, local, "title"), "Local");
        CHECK_STR(sf_value(fx, "Contact", id, "Title"), "Local");
    } else {
        CHECK_STR(local_value(fx, local, "title"), "Remote");
        CHECK_STR(sf_value(fx, "Contact", id, "Title"), "Remote");
    }
    CHECK_INT(pending(fx, local), 0);
    /* The next round finds the two sides agreed. */
    CHECK_INT(sync_round(fx, &res), 0);
    CHECK_INT(res.counts.conflicts, 0);
    CHECK_INT(res.counts.pushed, 0);
    CHECK_INT(res.counts.pulled, 0);
}

TEST(conflict_newest_local_wins)
{
    struct fixture fx;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    both_sides_edit(&fx, "newest", false, "local");
    fixture_close(&fx);
}

TEST(conflict_newest_salesforce_wins)
{
    struct fixture fx;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    both_sides_edit(&fx, "newest", true, "salesforce");
    fixture_close(&fx);
}

TEST(conflict_salesforce_policy)
{
    struct fixture fx;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    both_sides_edit(&fx, "salesforce", false, "salesforce");
    fixture_close(&fx);
}

TEST(conflict_local_policy)
{
    struct fixture fx;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    both_sides_edit(&fx, "local", true, "local");
    fixture_close(&fx);
}

TEST(one_sided_changes_merge_per_field)
{
    struct fixture fx;
    struct sync_result res;
    char id[SFID_SIZE];
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    rep_create(&fx, "Lead",
               "{\"LastName\": \"Fields\", \"Company\": \"Acme\", "
               "\"Title\": \"T0\", \"City\": \"C0\"}",
               id);
    sync_ok(&fx);
    local = contact_of(&fx, id);
    /* Different fields on the two sides: both survive, no conflict. */
    edit_local(&fx, local, "title", "T1 local");
    CHECK_INT(rep_update(&fx, "Lead", id, "{\"City\": \"C1 remote\"}"), 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.conflicts, 0);
    CHECK_STR(local_value(&fx, local, "title"), "T1 local");
    CHECK_STR(local_value(&fx, local, "city"), "C1 remote");
    CHECK_STR(sf_value(&fx, "Lead", id, "Title"), "T1 local");
    CHECK_STR(sf_value(&fx, "Lead", id, "City"), "C1 remote");
    /* The same change on both sides agrees without a conflict. */
    edit_local(&fx, local, "title", "Same");
    CHECK_INT(rep_update(&fx, "Lead", id, "{\"Title\": \"Same\"}"), 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.conflicts, 0);
    CHECK_INT(res.counts.pushed, 0);
    CHECK_INT(pending(&fx, local), 0);
    CHECK_STR(local_value(&fx, local, "title"), "Same");
    fixture_close(&fx);
}

/* ---- do-not-call ---- */

TEST(do_not_call_one_sided_changes_apply)
{
    struct fixture fx;
    struct sync_result res;
    char id[SFID_SIZE];
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    set(&fx, "conflict_policy", "local");
    rep_create(&fx, "Lead", "{\"LastName\": \"Dnc\", \"Company\": \"Acme\"}",
               id);
    sync_ok(&fx);
    local = contact_of(&fx, id);
    CHECK_STR(local_value(&fx, local, "do_not_call"), "false");

    /* The dialer sets Do Not Call: Salesforce gets it. */
    edit_local(&fx, local, "do_not_call", "true");
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(sf_value(&fx, "Lead", id, "DoNotCall"), "true");

    /* A rep clears it in Salesforce while the local side still has the
     * base value: the change takes effect, even under the local policy,
     * and is no conflict. */
    simproc_sleep_ms(1100);
    CHECK_INT(rep_update(&fx, "Lead", id, "{\"DoNotCall\": false}"), 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(local_value(&fx, local, "do_not_call"), "false");
    CHECK_STR(sf_value(&fx, "Lead", id, "DoNotCall"), "false");
    CHECK_INT(res.counts.conflicts, 0);

    /* Set again and cleared locally under the salesforce policy: the
     * local false reaches Salesforce. */
    set(&fx, "conflict_policy", "salesforce");
    edit_local(&fx, local, "do_not_call", "true");
    CHECK_INT(sync_round(&fx, &res), 0);
    edit_local(&fx, local, "do_not_call", "false");
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(local_value(&fx, local, "do_not_call"), "false");
    CHECK_STR(sf_value(&fx, "Lead", id, "DoNotCall"), "false");
    CHECK_INT(res.counts.conflicts, 0);

    /* Email opt-out follows the same rule. */
    simproc_sleep_ms(1100);
    CHECK_INT(rep_update(&fx, "Lead", id, "{\"HasOptedOutOfEmail\": true}"),
              0);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(local_value(&fx, local, "email_opt_out"), "true");
    edit_local(&fx, local, "email_opt_out", "false");
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(local_value(&fx, local, "email_opt_out"), "false");
    CHECK_STR(sf_value(&fx, "Lead", id, "HasOptedOutOfEmail"), "false");
    fixture_close(&fx);
}

/* ---- echo suppression ---- */

/* The record's LastModifiedById and SystemModstamp as "ID@STAMP". */
static const char *last_write(struct fixture *fx, const char *type,
                              const char *id, char out[64])
{
    char by[SFID_SIZE];

    snprintf(by, sizeof(by), "%s", sf_value(fx, type, id, "LastModifiedById"));
    snprintf(out, 64, "%s@%s", by, sf_value(fx, type, id, "SystemModstamp"));
    return out;
}

TEST(echo_loop_twenty_rounds)
{
    struct fixture fx;
    struct sync_result res;
    char contact_id[SFID_SIZE], lead_id[SFID_SIZE];
    char before_c[64], before_l[64], after[64];
    int64_t lc, ll, v_c, v_l;
    long long used, sf_writes = 0, local_edits = 0, local_writes = 0,
                    sf_edits = 0;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    rep_create(&fx, "Contact", "{\"LastName\": \"Echo\", \"Title\": \"0\"}",
               contact_id);
    rep_create(&fx, "Lead",
               "{\"LastName\": \"Echo\", \"Company\": \"Acme\", "
               "\"Title\": \"0\"}",
               lead_id);
    sync_ok(&fx);
    lc = contact_of(&fx, contact_id);
    ll = contact_of(&fx, lead_id);
    /* Settle the defaults Salesforce filled in. */
    sync_ok(&fx);
    sync_ok(&fx);
    for (int round = 1; round <= 20; round++) {
        char title[32];

        /* A local edit on each: one Salesforce write each, nothing back. */
        snprintf(title, sizeof(title), "local %d", round);
        edit_local(&fx, lc, "title", title);
        edit_local(&fx, ll, "title", title);
        local_edits += 2;
        v_c = local_version(&fx, lc);
        v_l = local_version(&fx, ll);
        used = api_used(&fx);
        CHECK_INT(sync_round(&fx, &res), 0);
        /* Two queries (Lead, Contact), and per object the re-read of the
         * records' SystemModstamp and one update. */
        CHECK_INT(api_used(&fx) - used, 6);
        CHECK_INT(res.counts.pushed, 2);
        CHECK_INT(res.counts.pulled, 0);
        sf_writes += api_used(&fx) - used - 4;
        CHECK_STR(sf_value(&fx, "Contact", contact_id, "Title"), title);
        CHECK_STR(sf_value(&fx, "Lead", lead_id, "Title"), title);
        CHECK_STR(sf_value(&fx, "Contact", contact_id, "LastModifiedById"),
                  fx.user_id);
        CHECK_INT(local_version(&fx, lc), v_c);
        CHECK_INT(local_version(&fx, ll), v_l);

        /* The echo of those writes comes back in the overlap: nothing. */
        used = api_used(&fx);
        CHECK_INT(sync_round(&fx, &res), 0);
        CHECK_INT(api_used(&fx) - used, 2);
        CHECK_INT(res.counts.pushed + res.counts.pulled, 0);
        CHECK_INT(local_version(&fx, lc), v_c);

        /* A Salesforce edit on each: one local write each, nothing sent
         * back. */
        snprintf(title, sizeof(title), "remote %d", round);
        {
            char *json = xasprintf("{\"Title\": \"%s\"}", title);

            CHECK_INT(rep_update(&fx, "Contact", contact_id, json), 0);
            CHECK_INT(rep_update(&fx, "Lead", lead_id, json), 0);
            free(json);
        }
        sf_edits += 2;
        last_write(&fx, "Contact", contact_id, before_c);
        last_write(&fx, "Lead", lead_id, before_l);
        used = api_used(&fx);
        CHECK_INT(sync_round(&fx, &res), 0);
        CHECK_INT(api_used(&fx) - used, 2);
        CHECK_INT(res.counts.pulled, 2);
        CHECK_INT(res.counts.pushed, 0);
        local_writes += (local_version(&fx, lc) - v_c) +
                        (local_version(&fx, ll) - v_l);
        CHECK_INT(local_version(&fx, lc), v_c + 1);
        CHECK_INT(local_version(&fx, ll), v_l + 1);
        CHECK_STR(local_value(&fx, lc, "title"), title);
        CHECK_STR(local_value(&fx, ll, "title"), title);
        CHECK_STR(last_write(&fx, "Contact", contact_id, after), before_c);
        CHECK_STR(last_write(&fx, "Lead", lead_id, after), before_l);
        CHECK_INT(pending(&fx, 0), 0);
    }
    fprintf(stderr,
            "echo loop: %lld local edits gave %lld Salesforce writes (%.2f "
            "per edit); %lld Salesforce edits gave %lld local writes (%.2f "
            "per edit)\n",
            local_edits, sf_writes, (double)sf_writes / (double)local_edits,
            sf_edits, local_writes, (double)local_writes / (double)sf_edits);
    CHECK_INT(sf_writes, local_edits);
    CHECK_INT(local_writes, sf_edits);
    fixture_close(&fx);
}

/* ---- lost create replies ---- */

/* Create a contact locally (email and phone may be NULL) and push it with
 * every reply dropped. Then run a round in second_direction, which must
 * link it to the one record made. Return the contact. */
static int64_t lost_create_with(struct fixture *fx,
                                const char *second_direction,
                                const char *email, const char *phone)
{
    struct sync_result res;
    struct store_run run;
    int64_t id, contacts;

    id = add_local(fx, "Lostreply", email, phone);
    contacts = local_count(fx);
    set(fx, "direction", "to-salesforce");
    CHECK_INT(faults(fx, "{\"drop\": 1}"), 0);
    CHECK(sync_round(fx, &res) < 0);
    CHECK_STR(res.status, "failed");
    /* A dropped connection brings no HTTP reply. */
    CHECK_INT(store_run_get(fx->store, fx->ws.id, res.run_id, &run, NULL), 0);
    CHECK_STR(run.error_code, "network");
    store_run_release(&run);
    CHECK_INT(faults(fx, "{\"drop\": 0}"), 0);
    /* Salesforce has the record, but the store does not know it. */
    CHECK_INT(sf_count(fx, "SELECT count() FROM Lead WHERE LastName = "
                           "'Lostreply'"),
              1);
    CHECK_INT(pending(fx, id), 1);
    set(fx, "direction", second_direction);
    CHECK_INT(sync_round(fx, &res), 0);
    CHECK_STR(res.status, "ok");
    CHECK_INT(sf_count(fx, "SELECT count() FROM Lead WHERE LastName = "
                           "'Lostreply'"),
              1);
    CHECK_INT(local_count(fx), contacts);
    CHECK_INT(pending(fx, id), 0);
    CHECK_INT(error_count(fx, id), 0);
    /* Nothing more happens. */
    CHECK_INT(sync_round(fx, &res), 0);
    CHECK_INT(sf_count(fx, "SELECT count() FROM Lead WHERE LastName = "
                           "'Lostreply'"),
              1);
    CHECK_INT(local_count(fx), contacts);
    return id;
}

static int64_t lost_create(struct fixture *fx, const char *second_direction)
{
    return lost_create_with(fx, second_direction, "lost@example.com",
                            "+14155550199");
}

TEST(lost_reply_pull_links_record)
{
    struct fixture fx;
    char linked[SFID_SIZE];
    int64_t id;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    id = lost_create(&fx, "both");
    CHECK_INT(strncmp(linked_id(&fx, id, linked), "00Q", 3), 0);
    CHECK_STR(sf_value(&fx, "Lead", linked, "Email"), "lost@example.com");
    fixture_close(&fx);
}

TEST(lost_reply_intent_links_record)
{
    struct fixture fx;
    char linked[SFID_SIZE];
    int64_t id;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    /* Without an email or a phone, matching cannot find the record: only
     * the create intent links it. */
    id = lost_create_with(&fx, "both", NULL, NULL);
    CHECK_INT(strncmp(linked_id(&fx, id, linked), "00Q", 3), 0);
    fixture_close(&fx);
}

TEST(lost_reply_push_looks_up_record)
{
    struct fixture fx;
    char linked[SFID_SIZE];
    struct store_intent intent;
    int64_t id;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    id = lost_create(&fx, "to-salesforce");
    CHECK_INT(strncmp(linked_id(&fx, id, linked), "00Q", 3), 0);
    CHECK_INT(store_intent_get(fx.store, fx.ws.id, id, &intent, NULL),
              SYNC_ENOTFOUND);
    fixture_close(&fx);
}

TEST(lost_reply_with_external_id)
{
    struct fixture fx;
    char linked[SFID_SIZE], *prefix = NULL, *expected;
    int64_t id;

    OPEN_OR_RETURN(&fx, "--custom-field", "Lead.Sfsync_Id__c:string:64:extid",
                   "--custom-field",
                   "Contact.Sfsync_Id__c:string:64:extid", NULL);
    set(&fx, "external_id_field", "Sfsync_Id__c");
    /* A first round checks the field against the describe before the
     * faults drop every reply. */
    sync_ok(&fx);
    id = lost_create(&fx, "both");
    CHECK_INT(strncmp(linked_id(&fx, id, linked), "00Q", 3), 0);
    CHECK_INT(store_setting_get(fx.store, fx.ws.id, "sync.external_id_prefix",
                                &prefix, NULL),
              0);
    expected = xasprintf("%s-%" PRId64, prefix ? prefix : "?", id);
    CHECK_STR(sf_value(&fx, "Lead", linked, "Sfsync_Id__c"), expected);
    free(expected);
    free(prefix);
    fixture_close(&fx);
}

TEST(lost_reply_external_id_push_only)
{
    struct fixture fx;
    char linked[SFID_SIZE];
    int64_t id;

    OPEN_OR_RETURN(&fx, "--custom-field", "Lead.Sfsync_Id__c:string:64:extid",
                   "--custom-field",
                   "Contact.Sfsync_Id__c:string:64:extid", NULL);
    set(&fx, "external_id_field", "Sfsync_Id__c");
    /* A first round checks the field against the describe before the
     * faults drop every reply. */
    sync_ok(&fx);
    id = lost_create(&fx, "to-salesforce");
    CHECK_INT(strncmp(linked_id(&fx, id, linked), "00Q", 3), 0);
    fixture_close(&fx);
}

TEST(record_from_other_side_linked_not_copied)
{
    struct fixture fx;
    struct sync_result res;
    char sf_id[SFID_SIZE], linked[SFID_SIZE];
    int64_t id, contacts;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    /* The same person is entered on both sides between two rounds. */
    id = add_local(&fx, "Twice", "twice@example.com", NULL);
    rep_create(&fx, "Lead",
               "{\"LastName\": \"Twice\", \"Company\": \"Acme\", "
               "\"Email\": \"twice@example.com\"}",
               sf_id);
    contacts = local_count(&fx);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(linked_id(&fx, id, linked), sf_id);
    CHECK_INT(local_count(&fx), contacts);
    CHECK_INT(sf_count(&fx, "SELECT count() FROM Lead WHERE LastName = "
                            "'Twice'"),
              1);
    CHECK_INT(pending(&fx, id), 0);
    fixture_close(&fx);
}

/* ---- conversions ---- */

static int convert(struct fixture *fx, const char *lead_id, const char *body,
                   char contact_out[SFID_SIZE])
{
    struct sim_http_reply r;
    char path[96];
    json_t *doc;
    int rc;

    snprintf(path, sizeof(path), "/sim/leads/%s/convert", lead_id);
    rc = sim_control(fx, "POST", path, body ? body : "{}", &r);
    doc = json_loads(r.body, 0, NULL);
    snprintf(contact_out, SFID_SIZE, "%s",
             rc == 0 ? json_string_value(json_object_get(doc, "contactId"))
                     : "");
    json_decref(doc);
    return rc;
}

TEST(lead_conversion_followed)
{
    struct fixture fx;
    struct sync_result res;
    char lead_id[SFID_SIZE], contact_id[SFID_SIZE], linked[SFID_SIZE];
    int64_t local, contacts;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    rep_create(&fx, "Lead",
               "{\"LastName\": \"Convert\", \"Company\": \"Acme\", "
               "\"Title\": \"Buyer\", \"Status\": \"Working - Contacted\"}",
               lead_id);
    sync_ok(&fx);
    local = contact_of(&fx, lead_id);
    CHECK(local != 0);
    contacts = local_count(&fx);
    CHECK_INT(convert(&fx, lead_id, NULL, contact_id), 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    /* The same local contact now follows the Contact. */
    CHECK_STR(linked_id(&fx, local, linked), contact_id);
    CHECK_INT(contact_of(&fx, lead_id), 0);
    CHECK_INT(local_count(&fx), contacts);
    CHECK(!local_archived(&fx, local));
    CHECK_STR(local_value(&fx, local, "lead_status"), "Working - Contacted");
    CHECK_STR(local_value(&fx, local, "title"), "Buyer");
    CHECK_STR(local_value(&fx, local, "company"), "Acme");
    /* Local changes go to the Contact, never to the Lead. */
    edit_local(&fx, local, "title", "After conversion");
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.errors, 0);
    CHECK_STR(sf_value(&fx, "Contact", contact_id, "Title"),
              "After conversion");
    CHECK_STR(sf_value(&fx, "Lead", lead_id, "Title"), "Buyer");
    CHECK_INT(pending(&fx, local), 0);
    fixture_close(&fx);
}

TEST(conversion_found_by_update)
{
    struct fixture fx;
    struct sync_result res;
    char lead_id[SFID_SIZE], contact_id[SFID_SIZE], linked[SFID_SIZE];
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    rep_create(&fx, "Lead",
               "{\"LastName\": \"Pushconvert\", \"Company\": \"Acme\"}",
               lead_id);
    sync_ok(&fx);
    local = contact_of(&fx, lead_id);
    /* Without a pull, the push meets CANNOT_UPDATE_CONVERTED_LEAD, reads
     * the Lead again and sends the change to its Contact. */
    set(&fx, "direction", "to-salesforce");
    CHECK_INT(convert(&fx, lead_id, NULL, contact_id), 0);
    edit_local(&fx, local, "title", "Pushed");
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.errors, 0);
    /* The re-read only moves the contact, so the record counts once. */
    CHECK_INT(res.counts.pushed, 1);
    CHECK_INT(res.counts.pulled, 0);
    CHECK_INT(res.counts.updated, 1);
    CHECK_INT(res.push_counts.updated, 1);
    CHECK_STR(linked_id(&fx, local, linked), contact_id);
    CHECK_STR(sf_value(&fx, "Contact", contact_id, "Title"), "Pushed");
    CHECK_INT(pending(&fx, local), 0);
    fixture_close(&fx);
}

TEST(update_of_deleted_record_rereads)
{
    struct fixture fx;
    struct sync_result res;
    char id[SFID_SIZE], linked[SFID_SIZE];
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    rep_create(&fx, "Contact", "{\"LastName\": \"Deleted\"}", id);
    sync_ok(&fx);
    local = contact_of(&fx, id);
    /* Without a pull, the push meets ENTITY_IS_DELETED, reads the record
     * again and applies the delete as the pull would. */
    set(&fx, "direction", "to-salesforce");
    CHECK_INT(rep_delete(&fx, "Contact", id), 0);
    edit_local(&fx, local, "title", "Too late");
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.errors, 0);
    CHECK_INT(res.counts.pushed, 0);
    CHECK_STR(linked_id(&fx, local, linked), "");
    CHECK(local_archived(&fx, local));
    CHECK_INT(pending(&fx, local), 0);
    CHECK_INT(sf_count(&fx, "SELECT count() FROM Contact WHERE LastName = "
                            "'Deleted'"),
              0);
    fixture_close(&fx);
}

TEST(conversion_into_linked_contact)
{
    struct fixture fx;
    struct sync_result res;
    char account[SFID_SIZE], contact_id[SFID_SIZE], lead_id[SFID_SIZE];
    char got[SFID_SIZE], linked[SFID_SIZE], *json;
    int64_t lead_local, contact_local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    rep_create(&fx, "Account", "{\"Name\": \"Acme\"}", account);
    json = xasprintf("{\"LastName\": \"Existing\", \"AccountId\": \"%s\"}",
                     account);
    rep_create(&fx, "Contact", json, contact_id);
    free(json);
    rep_create(&fx, "Lead", "{\"LastName\": \"Dup\", \"Company\": \"Acme\"}",
               lead_id);
    sync_ok(&fx);
    lead_local = contact_of(&fx, lead_id);
    contact_local = contact_of(&fx, contact_id);
    json = xasprintf("{\"contactId\": \"%s\"}", contact_id);
    CHECK_INT(convert(&fx, lead_id, json, got), 0);
    free(json);
    CHECK_STR(got, contact_id);
    CHECK_INT(sync_round(&fx, &res), 0);
    /* The Contact keeps its contact; the Lead's is archived, with the
     * reason recorded. */
    CHECK_STR(linked_id(&fx, contact_local, linked), contact_id);
    CHECK_STR(linked_id(&fx, lead_local, linked), "");
    CHECK(local_archived(&fx, lead_local));
    CHECK(!local_archived(&fx, contact_local));
    CHECK_STR(error_code(&fx, lead_local, NULL), "CONVERTED_CONTACT_LINKED");
    /* An expected outcome, kept as a notice that is no error. */
    CHECK_INT(res.counts.errors, 0);
    CHECK_STR(res.status, "ok");
    fixture_close(&fx);
}

/* ---- deletes and merges ---- */

static void salesforce_delete(const char *policy, bool archived)
{
    struct fixture fx;
    struct sync_result res;
    char id[SFID_SIZE], linked[SFID_SIZE];
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    set(&fx, "on_salesforce_delete", policy);
    rep_create(&fx, "Contact", "{\"LastName\": \"Gone\"}", id);
    sync_ok(&fx);
    local = contact_of(&fx, id);
    CHECK(local != 0);
    CHECK_INT(rep_delete(&fx, "Contact", id), 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    /* A kept contact is only unlinked, and counted so. */
    CHECK_INT(res.counts.deleted, archived ? 1 : 0);
    CHECK_INT(res.unlinked, archived ? 0 : 1);
    CHECK_INT(res.pull_counts.deleted, archived ? 1 : 0);
    CHECK_INT(res.counts.pulled, 1);
    CHECK_STR(linked_id(&fx, local, linked), "");
    CHECK_INT(local_archived(&fx, local), archived);
    CHECK_STR(local_value(&fx, local, "last_name"), "Gone");
    CHECK_INT(pending(&fx, local), 0);
    /* The delete read again in the overlap changes nothing. */
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.deleted, 0);
    CHECK_INT(res.unlinked, 0);
    CHECK_INT(res.counts.created, 0);
    fixture_close(&fx);
}

TEST(salesforce_delete_archives)
{
    salesforce_delete("archive", true);
}

TEST(salesforce_delete_keep)
{
    salesforce_delete("keep", false);
}

static int merge(struct fixture *fx, const char *master, const char *loser)
{
    struct sim_http_reply r;
    char *body = xasprintf("{\"masterId\": \"%s\", \"ids\": [\"%s\"]}",
                           master, loser);
    int rc = sim_control(fx, "POST", "/sim/merge", body, &r);

    free(body);
    return rc;
}

TEST(merge_relinks_to_master)
{
    struct fixture fx;
    struct sync_result res;
    char master[SFID_SIZE], loser[SFID_SIZE], linked[SFID_SIZE];
    int64_t loser_local, master_local, contacts;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    /* The master is created first, so its Id sorts before the loser's
     * when the merge gives both one stamp. */
    rep_create(&fx, "Contact",
               "{\"LastName\": \"Master\", \"Title\": \"Kept\"}", master);
    rep_create(&fx, "Contact",
               "{\"LastName\": \"Loser\", \"Title\": \"Old\"}", loser);
    sync_ok(&fx);
    loser_local = contact_of(&fx, loser);
    master_local = contact_of(&fx, master);
    /* Make the master a record no contact is linked to, as one created in
     * Salesforce since the last round is. */
    CHECK_INT(store_link_delete(fx.store, fx.ws.id, master_local, NULL), 0);
    archive_local(&fx, master_local);
    CHECK_INT(store_outbox_ack(fx.store, fx.ws.id, master_local, 100, NULL),
              0);
    contacts = local_count(&fx);
    CHECK_INT(faults(&fx, "{\"same-stamp\": 1}"), 0);
    CHECK_INT(merge(&fx, master, loser), 0);
    CHECK_INT(faults(&fx, "{\"same-stamp\": 0}"), 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(linked_id(&fx, loser_local, linked), master);
    CHECK_INT(contact_of(&fx, master), loser_local);
    CHECK_INT(local_count(&fx), contacts);
    CHECK(!local_archived(&fx, loser_local));
    /* The master's values arrive in the loser's contact. */
    CHECK_STR(local_value(&fx, loser_local, "last_name"), "Master");
    CHECK_STR(local_value(&fx, loser_local, "title"), "Kept");
    fixture_close(&fx);
}

TEST(merge_into_linked_master_archives)
{
    struct fixture fx;
    struct sync_result res;
    char master[SFID_SIZE], loser[SFID_SIZE], linked[SFID_SIZE];
    int64_t loser_local, master_local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    rep_create(&fx, "Lead", "{\"LastName\": \"A\", \"Company\": \"X\"}",
               master);
    rep_create(&fx, "Lead", "{\"LastName\": \"B\", \"Company\": \"X\"}",
               loser);
    sync_ok(&fx);
    loser_local = contact_of(&fx, loser);
    master_local = contact_of(&fx, master);
    CHECK_INT(merge(&fx, master, loser), 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(linked_id(&fx, master_local, linked), master);
    CHECK_STR(linked_id(&fx, loser_local, linked), "");
    CHECK(local_archived(&fx, loser_local));
    CHECK(!local_archived(&fx, master_local));
    CHECK_STR(error_code(&fx, loser_local, NULL), "MERGED_INTO_LINKED_RECORD");
    /* An expected outcome, kept as a notice that is no error. */
    CHECK_INT(res.counts.errors, 0);
    CHECK_STR(res.status, "ok");
    fixture_close(&fx);
}

TEST(local_delete_sent_only_with_delete)
{
    struct fixture fx;
    struct sync_result res;
    char kept[SFID_SIZE], deleted[SFID_SIZE], linked[SFID_SIZE];
    int64_t kept_local, deleted_local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    rep_create(&fx, "Lead", "{\"LastName\": \"Kept\", \"Company\": \"X\"}",
               kept);
    rep_create(&fx, "Lead", "{\"LastName\": \"Gone\", \"Company\": \"X\"}",
               deleted);
    sync_ok(&fx);
    kept_local = contact_of(&fx, kept);
    deleted_local = contact_of(&fx, deleted);
    /* keep (the default): archived locally, nothing sent, link kept. */
    archive_local(&fx, kept_local);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.pushed, 0);
    CHECK_STR(sf_value(&fx, "Lead", kept, "LastName"), "Kept");
    CHECK_STR(linked_id(&fx, kept_local, linked), kept);
    CHECK_INT(pending(&fx, kept_local), 0);
    /* delete: the record goes to the recycle bin and the link goes. */
    set(&fx, "on_local_delete", "delete");
    archive_local(&fx, deleted_local);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.pushed, 1);
    CHECK_INT(res.counts.deleted, 1);
    CHECK_STR(sf_value(&fx, "Lead", deleted, "LastName"), "(deleted)");
    CHECK_STR(linked_id(&fx, deleted_local, linked), "");
    CHECK(local_archived(&fx, deleted_local));
    /* The earlier archive is not sent after the fact. */
    CHECK_STR(sf_value(&fx, "Lead", kept, "LastName"), "Kept");
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.pushed + res.counts.deleted, 0);
    fixture_close(&fx);
}

/* ---- cursor: late commits and shared stamps ---- */

TEST(late_commit_within_overlap)
{
    struct fixture fx;
    struct sync_result res;
    struct store_cursor cur;
    char id[SFID_SIZE], other[SFID_SIZE];
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    rep_create(&fx, "Contact", "{\"LastName\": \"Late\", \"Title\": \"T0\"}",
               id);
    rep_create(&fx, "Contact", "{\"LastName\": \"Later\"}", other);
    sync_ok(&fx);
    local = contact_of(&fx, id);
    CHECK_INT(store_cursor_get(fx.store, fx.ws.id, SF_OBJECT_CONTACT, &cur,
                               NULL),
              0);
    CHECK(cur.modstamp_ms > 0);
    /* A write that commits with a stamp 60 s before the cursor. */
    CHECK_INT(faults(&fx, "{\"late-commit\": 60}"), 0);
    CHECK_INT(rep_update(&fx, "Contact", id, "{\"Title\": \"Late write\"}"),
              0);
    CHECK_INT(faults(&fx, "{\"late-commit\": 0}"), 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(local_value(&fx, local, "title"), "Late write");

    /* Without the overlap the same kind of write is missed, which is why
     * the pull reads it. */
    set(&fx, "pull_overlap_seconds", "0");
    CHECK_INT(faults(&fx, "{\"late-commit\": 60}"), 0);
    CHECK_INT(rep_update(&fx, "Contact", id, "{\"Title\": \"Missed\"}"), 0);
    CHECK_INT(faults(&fx, "{\"late-commit\": 0}"), 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(local_value(&fx, local, "title"), "Late write");
    fixture_close(&fx);
}

/* Create n Contacts as the rep, 200 a request. */
static void rep_create_many(struct fixture *fx, int n, const char *prefix)
{
    for (int done = 0; done < n;) {
        json_t *records = json_array();
        struct sf_sobject_results res;
        struct err err;
        int batch = n - done < 200 ? n - done : 200;

        for (int i = 0; i < batch; i++) {
            char name[48];

            snprintf(name, sizeof(name), "%s%06d", prefix, done + i);
            json_array_append_new(records,
                                  json_pack("{s:s}", "LastName", name));
        }
        err_clear(&err);
        if (sf_sobject_create_many(fx->rep, "Contact", records, &res, &err) <
            0) {
            fprintf(stderr, "create of %d Contacts failed: %s\n", batch,
                    err.msg);
            test_failures++;
        } else {
            CHECK_INT(res.failed, 0);
            sf_sobject_results_release(&res);
        }
        json_decref(records);
        done += batch;
    }
}

TEST(same_stamp_records_all_pulled)
{
    struct fixture fx;
    struct sync_result res;
    struct sync_options opts = {.batch_size = 200};
    struct err err;
    int64_t before;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    set(&fx, "objects", "contacts");
    CHECK_INT(faults(&fx, "{\"same-stamp\": 1, \"max-page-size\": 200}"), 0);
    rep_create_many(&fx, 1500, "Stamp");
    CHECK_INT(sf_count(&fx, "SELECT count() FROM Contact"), 1500);
    before = local_count(&fx);
    err_clear(&err);
    CHECK_INT(sync_run(&fx.conn, &opts, &res, &err), 0);
    CHECK_INT(res.counts.created, 1500);
    CHECK_INT(local_count(&fx) - before, 1500);
    /* Eight pages of 200 at least. */
    CHECK(res.counts.api_calls >= 8);
    /* More records with the cursor's own stamp arrive later. Without an
     * overlap only ">=" on the stamp reads them. */
    set(&fx, "pull_overlap_seconds", "0");
    rep_create_many(&fx, 10, "Tie");
    CHECK_INT(sync_run(&fx.conn, &opts, &res, &err), 0);
    CHECK_INT(res.counts.created, 10);
    CHECK_INT(res.counts.unchanged, 1500);
    CHECK_INT(local_count(&fx) - before, 1510);
    CHECK_INT(sync_run(&fx.conn, &opts, &res, &err), 0);
    CHECK_INT(res.counts.created + res.counts.updated, 0);
    fixture_close(&fx);
}

/* ---- pushes between the pages of a pull ---- */

/* What the progress callback of a pull does after its third page: the
 * local edits and the push that a user's changes in sfsync serve make. */
struct between_pages {
    struct fixture *fx;
    struct connection push_conn; /* the push's own, as serve uses */
    struct sync_pushed pushed;
    int64_t edited;   /* linked, unchanged in Salesforce */
    int64_t deferred; /* linked, changed in Salesforce before the pull */
    char edited_sf[SFID_SIZE];
    char deferred_sf[SFID_SIZE];
    int64_t added;    /* new, not linked */
    int calls;
    long long used_after_first; /* sfsim's API count after page one */
    struct sync_result first;  /* the push that sends the edit */
    /* a push of a second edit of the same contact, with the deferred one
     * still pending */
    struct sync_result second;
    int first_rc, second_rc;
    const char *edited_sf_title;   /* the title Salesforce had right after */
    const char *deferred_sf_title;
    const char *edited_again_title; /* and after the second push */
    long long added_in_sf;
};

static void push_after_third_page(long long done, long long total,
                                  void *payload)
{
    struct between_pages *bp = payload;
    struct fixture *fx = bp->fx;
    struct err err;
    int waited = 0;

    (void)total;
    if (++bp->calls == 1)
        bp->used_after_first = api_used(fx);
    if (bp->calls != 3)
        return;
    CHECK_INT(done, 600);
    /* After page one the pull requests page two, then reads page three
     * while it applies page two and page four while it applies page three.
     * sfsim counts a request under the org's lock, which it holds until
     * the reply is written, so once all three are counted, page four
     * holds the values from before the push below. */
    while (api_used(fx) < bp->used_after_first + 3 && waited++ < 500)
        simproc_sleep_ms(20);
    CHECK(api_used(fx) >= bp->used_after_first + 3);
    edit_local(fx, bp->edited, "title", "Local A");
    edit_local(fx, bp->deferred, "title", "Local B");
    bp->added = add_local(fx, "NewDuringPull", "new.during@example.com",
                          NULL);
    err_clear(&err);
    bp->first_rc = sync_push_linked(&bp->push_conn, &bp->pushed, &bp->first,
                                    &err);
    if (bp->first_rc < 0)
        fprintf(stderr, "push between pages failed: %s\n", err.msg);
    bp->edited_sf_title =
        xstrdup(sf_value(fx, "Contact", bp->edited_sf, "Title"));
    bp->deferred_sf_title =
        xstrdup(sf_value(fx, "Contact", bp->deferred_sf, "Title"));
    bp->added_in_sf = sf_count(
        fx, "SELECT count() FROM Contact WHERE LastName = 'NewDuringPull'");
    /* The first push's own write moved the record's stamp, which is no
     * reason to hold a second edit back. */
    edit_local(fx, bp->edited, "title", "Local A2");
    bp->second_rc = sync_push_linked(&bp->push_conn, &bp->pushed,
                                     &bp->second, &err);
    bp->edited_again_title =
        xstrdup(sf_value(fx, "Contact", bp->edited_sf, "Title"));
}

/*
 * The page that a REST pull read ahead while the push ran has the edited
 * record's old values, which the pull must skip. The record changed in
 * Salesforce is deferred, merged by the pull under conflict_policy, and
 * the new contact waits for the round after the pull.
 */
TEST(push_between_pull_pages)
{
    struct fixture fx;
    struct between_pages bp;
    struct pull_options popts;
    struct pull_result pres;
    struct sync_result res;
    struct store_run *runs = NULL;
    size_t nruns = 0;
    struct err err;
    int rc;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    memset(&bp, 0, sizeof(bp));
    bp.fx = &fx;
    set(&fx, "objects", "contacts");
    set(&fx, "conflict_policy", "salesforce");
    set(&fx, "new_contacts_as", "contact");
    rep_create_many(&fx, 600, "Filler");
    /* Created last, so both come in the pull's last page, the fourth. */
    rep_create(&fx, "Contact", "{\"LastName\": \"Edited\", \"Title\": "
               "\"Base A\"}", bp.edited_sf);
    rep_create(&fx, "Contact", "{\"LastName\": \"Deferred\", \"Title\": "
               "\"Base B\"}", bp.deferred_sf);
    sync_ok(&fx);
    bp.edited = contact_of(&fx, bp.edited_sf);
    bp.deferred = contact_of(&fx, bp.deferred_sf);
    CHECK(bp.edited != 0);
    CHECK(bp.deferred != 0);
    /* A later second, so that the record's stamp moves past its link's. */
    simproc_sleep_ms(1100);
    CHECK_INT(rep_update(&fx, "Contact", bp.deferred_sf,
                         "{\"Title\": \"Remote B\"}"),
              0);

    set(&fx, "bulk_threshold", "off");
    err_clear(&err);
    CHECK_INT(connection_open(&bp.push_conn, fx.store, fx.ws.id, &err), 0);
    sync_pushed_init(&bp.pushed);
    memset(&popts, 0, sizeof(popts));
    popts.object = SF_OBJECT_CONTACT;
    popts.batch_size = 200;
    popts.progress = push_after_third_page;
    popts.payload = &bp;
    popts.pushed = &bp.pushed;
    rc = pull_run(&fx.conn, &popts, &pres, &err);
    if (rc < 0)
        fprintf(stderr, "pull failed: %s\n", err.msg);
    CHECK_INT(rc, 0);
    CHECK(bp.calls >= 4);

    /* Between the pages: the edit went out, the record changed in
     * Salesforce and the new contact did not. */
    CHECK_INT(bp.first_rc, 0);
    CHECK_STR(bp.first.status, "ok");
    CHECK(bp.first.run_id != 0);
    CHECK_INT(bp.first.counts.pushed, 1);
    CHECK_INT(bp.first.counts.updated, 1);
    CHECK_INT(bp.first.counts.created, 0);
    CHECK_INT(bp.first.counts.errors, 0);
    CHECK_STR(bp.edited_sf_title, "Local A");
    CHECK_STR(bp.deferred_sf_title, "Remote B");
    CHECK_INT(bp.added_in_sf, 0);
    /* The second edit goes out too, and the deferred contact still
     * waits. */
    CHECK_INT(bp.second_rc, 0);
    CHECK(bp.second.run_id != 0);
    CHECK_INT(bp.second.counts.pushed, 1);
    CHECK_INT(bp.second.counts.updated, 1);
    CHECK_STR(bp.edited_again_title, "Local A2");

    /* The pull kept the pushed value and merged the deferred record. */
    CHECK_STR(local_value(&fx, bp.edited, "title"), "Local A2");
    CHECK_INT(pending(&fx, bp.edited), 0);
    CHECK_STR(local_value(&fx, bp.deferred, "title"), "Remote B");
    CHECK_INT(pres.counts.conflicts, 1);
    CHECK_INT(pres.counts.created, 0);
    CHECK_INT(pres.counts.pushed, 0);
    CHECK(pending(&fx, bp.added) > 0);

    /* The run log has the push as a run of its own, started after the
     * pull's, and the pull pushed nothing itself. */
    CHECK_INT(store_run_list(fx.store, fx.ws.id, 4, &runs, &nruns, NULL), 0);
    CHECK_INT(nruns, 4);
    if (nruns == 4) {
        CHECK_INT(runs[0].id, bp.second.run_id);
        CHECK_STR(runs[0].kind, "push");
        CHECK_INT(runs[1].id, bp.first.run_id);
        CHECK_STR(runs[1].kind, "push");
        CHECK_STR(runs[1].status, "ok");
        CHECK_INT(runs[1].counts.pushed, 1);
        CHECK_INT(runs[2].id, pres.run_id);
        CHECK_STR(runs[2].kind, "pull");
        CHECK_STR(runs[2].status, "ok");
        CHECK_INT(runs[2].counts.pushed, 0);
        CHECK_STR(runs[3].kind, "sync");
    }
    store_runs_free(runs, nruns);

    /* The round after the pull creates the new contact once, and the
     * edit's echo changes nothing. */
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(res.status, "ok");
    CHECK_INT(res.push_counts.created, 1);
    CHECK_INT(res.push_counts.pushed, 1);
    CHECK_INT(res.pull_counts.pulled, 0);
    CHECK_INT(res.counts.conflicts, 0);
    CHECK_INT(sf_count(&fx, "SELECT count() FROM Contact WHERE LastName = "
                            "'NewDuringPull'"),
              1);
    CHECK_STR(sf_value(&fx, "Contact", bp.edited_sf, "Title"), "Local A2");
    CHECK_STR(sf_value(&fx, "Contact", bp.deferred_sf, "Title"), "Remote B");
    CHECK_STR(local_value(&fx, bp.edited, "title"), "Local A2");
    CHECK_STR(local_value(&fx, bp.deferred, "title"), "Remote B");
    CHECK_INT(pending(&fx, 0), 0);
    /* The next round may take the defaults Salesforce filled into the
     * created record, and after that nothing moves in either direction. */
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.pushed, 0);
    CHECK_INT(res.counts.conflicts, 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.pushed, 0);
    CHECK_INT(res.counts.pulled, 0);
    CHECK_INT(res.counts.conflicts, 0);

    free((char *)bp.edited_sf_title);
    free((char *)bp.deferred_sf_title);
    free((char *)bp.edited_again_title);
    sync_pushed_release(&bp.pushed);
    connection_close(&bp.push_conn);
    fixture_close(&fx);
}

/* The state of push_in_round, a round's between_pages callback. */
struct round_between {
    struct fixture *fx;
    struct connection push_conn;
    struct sync_pushed pushed;
    int64_t edited;
    char edited_sf[SFID_SIZE];
    int calls;
    int push_rc;
    struct sync_result push;
    char *edited_sf_title; /* the title Salesforce had right after */
};

static void push_in_round(void *payload)
{
    struct round_between *rb = payload;
    struct err err;

    if (rb->calls++ != 0)
        return;
    edit_local(rb->fx, rb->edited, "title", "Round A");
    err_clear(&err);
    rb->push_rc = sync_push_linked(&rb->push_conn, &rb->pushed, &rb->push,
                                   &err);
    if (rb->push_rc < 0)
        fprintf(stderr, "push between pages failed: %s\n", err.msg);
    rb->edited_sf_title =
        xstrdup(sf_value(rb->fx, "Contact", rb->edited_sf, "Title"));
}

/* A round whose pull reads several pages calls between_pages after each
 * page but the last, and its push step does not send the edit again. */
TEST(push_between_round_pages)
{
    struct fixture fx;
    struct round_between rb;
    struct sync_options opts = {0};
    struct sync_result res;
    struct err err;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    memset(&rb, 0, sizeof(rb));
    rb.fx = &fx;
    set(&fx, "objects", "contacts");
    rep_create_many(&fx, 600, "Filler");
    rep_create(&fx, "Contact", "{\"LastName\": \"Edited\", \"Title\": "
               "\"Base A\"}", rb.edited_sf);
    sync_ok(&fx);
    rb.edited = contact_of(&fx, rb.edited_sf);
    CHECK(rb.edited != 0);

    err_clear(&err);
    CHECK_INT(connection_open(&rb.push_conn, fx.store, fx.ws.id, &err), 0);
    sync_pushed_init(&rb.pushed);
    /* The overlap reads the 601 records again, in pages of 200. */
    opts.batch_size = 200;
    opts.between_pages = push_in_round;
    opts.payload = &rb;
    opts.pushed = &rb.pushed;
    CHECK_INT(sync_run(&fx.conn, &opts, &res, &err), 0);
    CHECK_STR(res.status, "ok");
    CHECK_INT(rb.calls, 3);
    CHECK_INT(rb.push_rc, 0);
    CHECK(rb.push.run_id != 0);
    CHECK_INT(rb.push.counts.pushed, 1);
    CHECK_STR(rb.edited_sf_title ? rb.edited_sf_title : "(none)", "Round A");
    CHECK_INT(res.push_counts.pushed, 0);
    CHECK_INT(res.counts.conflicts, 0);
    CHECK_INT(res.pull_counts.pulled, 0);
    CHECK_STR(local_value(&fx, rb.edited, "title"), "Round A");
    CHECK_INT(pending(&fx, rb.edited), 0);

    free(rb.edited_sf_title);
    sync_pushed_release(&rb.pushed);
    connection_close(&rb.push_conn);
    fixture_close(&fx);
}

/* ---- API budget ---- */

TEST(api_budget_stops_cleanly)
{
    struct fixture fx;
    struct sync_result res;
    struct store_run run;
    struct store_cursor cur;
    char lead[SFID_SIZE], contact[SFID_SIZE];
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    rep_create(&fx, "Lead", "{\"LastName\": \"Budget\", \"Company\": \"X\"}",
               lead);
    rep_create(&fx, "Contact", "{\"LastName\": \"Budget\"}", contact);
    sync_ok(&fx);
    local = contact_of(&fx, lead);
    edit_local(&fx, local, "title", "Waiting");
    CHECK_INT(rep_update(&fx, "Contact", contact, "{\"Title\": \"Later\"}"),
              0);
    /* The next call puts the org at 600 of 1000, at the 60% budget. */
    set(&fx, "api_budget_percent", "60");
    CHECK_INT(faults(&fx, "{\"api-limit\": 1000, \"api-used\": 599}"), 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK(res.stopped);
    CHECK_STR(res.status, "stopped");
    CHECK(strstr(res.message, "600 of its 1000") != NULL);
    CHECK(strstr(res.message, "api_budget_percent=60") != NULL);
    /* One request was made: the Lead page, applied with its cursor. */
    CHECK_INT(res.counts.api_calls, 1);
    CHECK_INT(api_used(&fx), 600);
    CHECK_INT(store_cursor_get(fx.store, fx.ws.id, SF_OBJECT_LEAD, &cur,
                               NULL),
              0);
    CHECK(cur.modstamp_ms > 0);
    CHECK_INT(pending(&fx, local), 1);
    CHECK_STR(sf_value(&fx, "Lead", lead, "Title"), "(null)");
    CHECK_STR(local_value(&fx, contact_of(&fx, contact), "title"), "(null)");
    memset(&run, 0, sizeof(run));
    CHECK_INT(store_run_get(fx.store, fx.ws.id, res.run_id, &run, NULL), 0);
    CHECK_STR(run.status, "stopped");
    CHECK(run.message && strstr(run.message, "api_budget_percent") != NULL);
    CHECK_STR(run.error_code, "budget");
    store_run_release(&run);

    /* With room in the budget the round finishes what was left. */
    set(&fx, "api_budget_percent", "100");
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_STR(res.status, "ok");
    CHECK_INT(store_run_get(fx.store, fx.ws.id, res.run_id, &run, NULL), 0);
    CHECK(run.error_code == NULL);
    store_run_release(&run);
    CHECK_STR(sf_value(&fx, "Lead", lead, "Title"), "Waiting");
    CHECK_STR(local_value(&fx, contact_of(&fx, contact), "title"), "Later");
    CHECK_INT(pending(&fx, local), 0);
    fixture_close(&fx);
}

/* ---- sync errors ---- */

TEST(permanent_error_waits_for_change)
{
    struct fixture fx;
    struct sync_result res;
    char linked[SFID_SIZE];
    bool retryable = true;
    long long used;
    int64_t id, marked = 0;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    /* Salesforce requires a last name, which the local contact lacks. */
    id = add_local(&fx, NULL, "nolastname@example.com", NULL);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.errors, 1);
    CHECK_STR(error_code(&fx, id, &retryable), "REQUIRED_FIELD_MISSING");
    CHECK(!retryable);
    CHECK_INT(pending(&fx, id), 1);
    /* Not sent again while it is unchanged. */
    used = api_used(&fx);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.errors, 0);
    CHECK_INT(api_used(&fx) - used, 2);
    CHECK_INT(error_count(&fx, id), 1);
    /* errors retry: the next round sends it again. */
    CHECK_INT(store_sync_error_retry_all(fx.store, fx.ws.id, &marked, NULL),
              0);
    CHECK_INT(marked, 1);
    used = api_used(&fx);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(api_used(&fx) - used, 3);
    CHECK_INT(res.counts.errors, 1);
    CHECK_INT(error_count(&fx, id), 1);
    CHECK_STR(error_code(&fx, id, &retryable), "REQUIRED_FIELD_MISSING");
    /* Fixed locally: sent, linked, error cleared. */
    edit_local(&fx, id, "last_name", "Fixed");
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.errors, 0);
    CHECK_INT(strncmp(linked_id(&fx, id, linked), "00Q", 3), 0);
    CHECK_INT(error_count(&fx, id), 0);
    CHECK_INT(pending(&fx, id), 0);
    fixture_close(&fx);
}

TEST(retryable_error_retried)
{
    struct fixture fx;
    struct sync_result res;
    char id[SFID_SIZE];
    bool retryable = false;
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    rep_create(&fx, "Contact", "{\"LastName\": \"Locked\"}", id);
    sync_ok(&fx);
    local = contact_of(&fx, id);
    edit_local(&fx, local, "title", "Try again");
    CHECK_INT(faults(&fx, "{\"lock\": 1}"), 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.errors, 1);
    CHECK_STR(error_code(&fx, local, &retryable), "UNABLE_TO_LOCK_ROW");
    CHECK(retryable);
    CHECK_INT(pending(&fx, local), 1);
    CHECK_INT(faults(&fx, "{\"lock\": 0}"), 0);
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.pushed, 1);
    CHECK_STR(sf_value(&fx, "Contact", id, "Title"), "Try again");
    CHECK_INT(error_count(&fx, local), 0);
    CHECK_INT(pending(&fx, local), 0);
    fixture_close(&fx);
}

/* ---- figures ---- */

TEST(api_calls_per_thousand_records)
{
    struct fixture fx;
    struct sync_result res;
    int64_t ids[1000];
    json_t *records;
    long long push_calls, pull_calls;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    for (int i = 0; i < 1000; i++) {
        char name[32], email[48];

        snprintf(name, sizeof(name), "Bulk%04d", i);
        snprintf(email, sizeof(email), "bulk%04d@example.com", i);
        ids[i] = add_local(&fx, name, email, NULL);
    }
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.created, 1000);
    CHECK_INT(res.counts.pushed, 1000);
    push_calls = res.counts.api_calls;
    /* The defaults Salesforce filled in come back once. */
    sync_ok(&fx);
    /* 1000 changes made in Salesforce, five requests of 200. */
    for (int done = 0; done < 1000; done += 200) {
        struct sf_sobject_results out;
        char sf_id[SFID_SIZE];

        records = json_array();
        for (int i = done; i < done + 200; i++)
            json_array_append_new(
                records, json_pack("{s:s, s:s}", "Id",
                                   linked_id(&fx, ids[i], sf_id), "Title",
                                   "Changed in Salesforce"));
        CHECK_INT(sf_sobject_update_many(fx.rep, "Lead", records, &out, NULL),
                  0);
        CHECK_INT(out.failed, 0);
        sf_sobject_results_release(&out);
        json_decref(records);
    }
    CHECK_INT(sync_round(&fx, &res), 0);
    CHECK_INT(res.counts.pulled, 1000);
    CHECK_INT(res.counts.pushed, 0);
    pull_calls = res.counts.api_calls;
    fprintf(stderr,
            "API calls per 1000 records: push of 1000 creates %lld (with "
            "the round's 2 pull queries), pull of 1000 changes %lld\n",
            push_calls, pull_calls);
    /* 5 creates of 200 and one query per object. */
    CHECK_INT(push_calls, 7);
    CHECK_INT(pull_calls, 2);
    fixture_close(&fx);
}

TEST_MAIN(TEST_ENTRY(direction_both_all_objects),
          TEST_ENTRY(direction_both_contacts_only),
          TEST_ENTRY(direction_both_leads_only),
          TEST_ENTRY(direction_to_salesforce_all_objects),
          TEST_ENTRY(direction_to_salesforce_contacts_only),
          TEST_ENTRY(direction_to_salesforce_leads_only),
          TEST_ENTRY(direction_from_salesforce_all_objects),
          TEST_ENTRY(direction_from_salesforce_contacts_only),
          TEST_ENTRY(direction_from_salesforce_leads_only),
          TEST_ENTRY(disabled_refused),
          TEST_ENTRY(create_waits_for_disabled_object),
          TEST_ENTRY(conflict_newest_local_wins),
          TEST_ENTRY(conflict_newest_salesforce_wins),
          TEST_ENTRY(conflict_salesforce_policy),
          TEST_ENTRY(conflict_local_policy),
          TEST_ENTRY(one_sided_changes_merge_per_field),
          TEST_ENTRY(do_not_call_one_sided_changes_apply),
          TEST_ENTRY(echo_loop_twenty_rounds),
          TEST_ENTRY(lost_reply_pull_links_record),
          TEST_ENTRY(lost_reply_intent_links_record),
          TEST_ENTRY(lost_reply_push_looks_up_record),
          TEST_ENTRY(lost_reply_with_external_id),
          TEST_ENTRY(lost_reply_external_id_push_only),
          TEST_ENTRY(record_from_other_side_linked_not_copied),
          TEST_ENTRY(lead_conversion_followed),
          TEST_ENTRY(conversion_found_by_update),
          TEST_ENTRY(update_of_deleted_record_rereads),
          TEST_ENTRY(conversion_into_linked_contact),
          TEST_ENTRY(salesforce_delete_archives),
          TEST_ENTRY(salesforce_delete_keep),
          TEST_ENTRY(merge_relinks_to_master),
          TEST_ENTRY(merge_into_linked_master_archives),
          TEST_ENTRY(local_delete_sent_only_with_delete),
          TEST_ENTRY(late_commit_within_overlap),
          TEST_ENTRY(same_stamp_records_all_pulled),
          TEST_ENTRY(push_between_pull_pages),
          TEST_ENTRY(push_between_round_pages),
          TEST_ENTRY(api_budget_stops_cleanly),
          TEST_ENTRY(permanent_error_waits_for_change),
          TEST_ENTRY(retryable_error_retried),
          TEST_ENTRY(api_calls_per_thousand_records))
