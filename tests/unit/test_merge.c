/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The three-way merge as pure functions: every rule for one field, each
 * conflict policy, the restrictive rule of do_not_call and email_opt_out,
 * which base a push sends against, and merge_push_fields.
 */
#include "base/common.h"

#include "sync/merge.h"

#include "test.h"

#define BIT(f) CONTACT_FIELD_BIT(f)

/* The three sides of one merge and its inputs. */
struct sides {
    struct contact local, base, remote;
    struct merge_input in;
    struct merge_result out;
};

static void sides_init(struct sides *s, enum merge_policy policy)
{
    memset(s, 0, sizeof(*s));
    contact_init(&s->local);
    contact_init(&s->base);
    contact_init(&s->remote);
    s->in.local = &s->local;
    s->in.base = &s->base;
    s->in.remote = &s->remote;
    s->in.base_fields = CONTACT_ALL_FIELDS;
    s->in.fields = CONTACT_ALL_FIELDS;
    s->in.policy = policy;
    s->in.local_modified_ms = 1000;
    s->in.remote_modified_ms = 2000;
}

static void sides_release(struct sides *s)
{
    contact_release(&s->local);
    contact_release(&s->base);
    contact_release(&s->remote);
}

/* Set the title on the three sides; NULL for empty. */
static void titles(struct sides *s, const char *local, const char *base,
                   const char *remote)
{
    contact_set_text(&s->local, CONTACT_TITLE, local);
    contact_set_text(&s->base, CONTACT_TITLE, base);
    contact_set_text(&s->remote, CONTACT_TITLE, remote);
}

static void flags(struct sides *s, enum contact_field f, bool local,
                  bool base, bool remote)
{
    contact_set_flag(&s->local, f, local);
    contact_set_flag(&s->base, f, base);
    contact_set_flag(&s->remote, f, remote);
}

static void run(struct sides *s)
{
    merge_fields(&s->in, &s->out);
}

TEST(unchanged_remote_keeps_local)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_SALESFORCE);
    titles(&s, "Local edit", "Agreed", "Agreed");
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_TITLE], MERGE_KEEP_LOCAL);
    CHECK_INT(s.out.take, 0);
    CHECK_INT(s.out.conflicts, 0);
    CHECK_INT(s.out.keep_base, 0);
    sides_release(&s);
}

TEST(echo_of_push_changes_nothing)
{
    struct sides s;

    /* Our own write comes back equal to the base the push set. */
    sides_init(&s, MERGE_POLICY_NEWEST);
    titles(&s, "Sent", "Sent", "Sent");
    contact_set_text(&s.local, CONTACT_EMAIL, "a@example.com");
    contact_set_text(&s.base, CONTACT_EMAIL, "a@example.com");
    contact_set_text(&s.remote, CONTACT_EMAIL, "a@example.com");
    run(&s);
    CHECK_INT(s.out.take, 0);
    CHECK_INT(s.out.conflicts, 0);
    CHECK_INT(s.out.keep_base, 0);
    CHECK_INT(s.out.outcome[CONTACT_TITLE], MERGE_KEEP_LOCAL);
    CHECK_INT(s.out.outcome[CONTACT_EMAIL], MERGE_KEEP_LOCAL);
    sides_release(&s);
}

TEST(remote_change_taken)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_LOCAL);
    titles(&s, "Agreed", "Agreed", "Salesforce edit");
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_TITLE], MERGE_TAKE_REMOTE);
    CHECK_INT(s.out.take, BIT(CONTACT_TITLE));
    CHECK_INT(s.out.conflicts, 0);
    sides_release(&s);
}

TEST(remote_clear_taken)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_NEWEST);
    titles(&s, "Agreed", "Agreed", NULL);
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_TITLE], MERGE_TAKE_REMOTE);
    CHECK_INT(s.out.take, BIT(CONTACT_TITLE));
    sides_release(&s);
}

TEST(same_change_agrees)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_NEWEST);
    titles(&s, "Both", "Agreed", "Both");
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_TITLE], MERGE_AGREE);
    CHECK_INT(s.out.take, 0);
    CHECK_INT(s.out.conflicts, 0);
    CHECK_INT(s.out.keep_base, 0);
    sides_release(&s);
}

TEST(conflict_salesforce_policy)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_SALESFORCE);
    titles(&s, "Local", "Agreed", "Remote");
    /* Salesforce wins even when the local change is newer. */
    s.in.local_modified_ms = 5000;
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_TITLE], MERGE_CONFLICT);
    CHECK_INT(s.out.conflicts, BIT(CONTACT_TITLE));
    CHECK_INT(s.out.take, BIT(CONTACT_TITLE));
    CHECK_INT(s.out.local_won, 0);
    CHECK_INT(s.out.keep_base, 0);
    sides_release(&s);
}

TEST(conflict_local_policy)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_LOCAL);
    titles(&s, "Local", "Agreed", "Remote");
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_TITLE], MERGE_CONFLICT);
    CHECK_INT(s.out.conflicts, BIT(CONTACT_TITLE));
    CHECK_INT(s.out.take, 0);
    CHECK_INT(s.out.local_won, BIT(CONTACT_TITLE));
    /* The old base stays, so the push sends the local value. */
    CHECK_INT(s.out.keep_base, BIT(CONTACT_TITLE));
    sides_release(&s);
}

TEST(conflict_newest_local_later)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_NEWEST);
    titles(&s, "Local", "Agreed", "Remote");
    s.in.local_modified_ms = 3000;
    s.in.remote_modified_ms = 2000;
    run(&s);
    CHECK_INT(s.out.conflicts, BIT(CONTACT_TITLE));
    CHECK_INT(s.out.take, 0);
    CHECK_INT(s.out.local_won, BIT(CONTACT_TITLE));
    CHECK_INT(s.out.keep_base, BIT(CONTACT_TITLE));
    sides_release(&s);
}

TEST(conflict_newest_remote_later)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_NEWEST);
    titles(&s, "Local", "Agreed", "Remote");
    s.in.local_modified_ms = 1000;
    s.in.remote_modified_ms = 2000;
    run(&s);
    CHECK_INT(s.out.conflicts, BIT(CONTACT_TITLE));
    CHECK_INT(s.out.take, BIT(CONTACT_TITLE));
    CHECK_INT(s.out.local_won, 0);
    sides_release(&s);
}

TEST(conflict_newest_tie_goes_to_salesforce)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_NEWEST);
    titles(&s, "Local", "Agreed", "Remote");
    s.in.local_modified_ms = 2000;
    s.in.remote_modified_ms = 2000;
    run(&s);
    CHECK_INT(s.out.take, BIT(CONTACT_TITLE));
    CHECK_INT(s.out.local_won, 0);
    sides_release(&s);
}

/* Set the email on the three sides; NULL for empty. */
static void emails(struct sides *s, const char *local, const char *base,
                   const char *remote)
{
    contact_set_text(&s->local, CONTACT_EMAIL, local);
    contact_set_text(&s->base, CONTACT_EMAIL, base);
    contact_set_text(&s->remote, CONTACT_EMAIL, remote);
}

TEST(email_case_salesforce_policy)
{
    struct sides s;

    /* Both sides changed the address to one in two letter cases. */
    sides_init(&s, MERGE_POLICY_SALESFORCE);
    emails(&s, "CASEY2@X.COM", "casey1@x.com", "casey2@x.com");
    run(&s);
    CHECK_INT(s.out.conflicts, 0);
    CHECK_INT(s.out.take, BIT(CONTACT_EMAIL));
    CHECK_INT(s.out.local_won, 0);
    sides_release(&s);
}

TEST(email_case_local_policy)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_LOCAL);
    emails(&s, "CASEY2@X.COM", "casey1@x.com", "casey2@x.com");
    run(&s);
    CHECK_INT(s.out.conflicts, 0);
    CHECK_INT(s.out.take, 0);
    CHECK_INT(s.out.local_won, 0);
    CHECK_INT(s.out.keep_base, BIT(CONTACT_EMAIL));
    sides_release(&s);
}

/* A first link's base is empty: names and an email in other letter case
 * take the record's text with no conflict, whatever the policy. */
TEST(first_link_case_takes_record)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_LOCAL);
    s.in.first_link = true;
    contact_set_text(&s.local, CONTACT_FIRST_NAME, "uma");
    contact_set_text(&s.remote, CONTACT_FIRST_NAME, "Uma");
    contact_set_text(&s.local, CONTACT_LAST_NAME, "VANCE");
    contact_set_text(&s.remote, CONTACT_LAST_NAME, "Vance");
    emails(&s, "uma.vance@example.com", NULL, "Uma.Vance@Example.com");
    titles(&s, "Buyer", NULL, "Owner");
    run(&s);
    CHECK_INT(s.out.conflicts, BIT(CONTACT_TITLE));
    CHECK_INT(s.out.local_won, BIT(CONTACT_TITLE));
    CHECK_INT(s.out.take, BIT(CONTACT_FIRST_NAME) | BIT(CONTACT_LAST_NAME) |
                              BIT(CONTACT_EMAIL));
    sides_release(&s);
}

/* Later, with a base, a change of letter case is an edit like any other. */
TEST(later_case_change_conflicts)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_LOCAL);
    contact_set_text(&s.local, CONTACT_LAST_NAME, "VANCE");
    contact_set_text(&s.base, CONTACT_LAST_NAME, "Vanse");
    contact_set_text(&s.remote, CONTACT_LAST_NAME, "Vance");
    run(&s);
    CHECK_INT(s.out.conflicts, BIT(CONTACT_LAST_NAME));
    CHECK_INT(s.out.take, 0);
    sides_release(&s);
}

TEST(email_other_address_conflicts)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_NEWEST);
    emails(&s, "casey3@x.com", "casey1@x.com", "casey2@x.com");
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_EMAIL], MERGE_CONFLICT);
    CHECK_INT(s.out.conflicts, BIT(CONTACT_EMAIL));
    CHECK_INT(s.out.take, BIT(CONTACT_EMAIL));
    sides_release(&s);
}

/* Set the phone's text on the three sides (NULL for empty) and its E.164
 * form as contact_normalize_phones would, with the default region. */
static void phones(struct sides *s, const char *local, const char *base,
                   const char *remote)
{
    contact_set_text(&s->local, CONTACT_PHONE, local);
    contact_set_text(&s->base, CONTACT_PHONE, base);
    contact_set_text(&s->remote, CONTACT_PHONE, remote);
    CHECK_INT(contact_normalize_phones(&s->local, NULL, NULL), 0);
    CHECK_INT(contact_normalize_phones(&s->base, NULL, NULL), 0);
    CHECK_INT(contact_normalize_phones(&s->remote, NULL, NULL), 0);
}

TEST(phone_format_alone_no_conflict)
{
    static const char *const cases[][3] = {
        /* local, base, remote */
        {"312-555-0199", "312-555-0100", "(312) 555-0199"},
        {"(415) 555-0177", NULL, "+1 415 555 0177"},
        {"415.555.0177", "(415) 555-0177", "(415) 555-0177"},
        {"(415) 555-0177", "(415) 555-0177", "+1 415 555 0177"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sides s;

        sides_init(&s, MERGE_POLICY_NEWEST);
        phones(&s, cases[i][0], cases[i][1], cases[i][2]);
        if (!cases[i][1])
            s.in.base_fields = CONTACT_ALL_FIELDS & ~BIT(CONTACT_PHONE);
        run(&s);
        CHECK_INT(s.out.conflicts, 0);
        CHECK_INT(s.out.take, 0);
        CHECK_INT(s.out.local_won, 0);
        CHECK_INT(s.out.keep_base, 0);
        sides_release(&s);
    }
}

TEST(phone_other_number_conflicts)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_SALESFORCE);
    phones(&s, "312-555-0198", "312-555-0100", "(312) 555-0199");
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_PHONE], MERGE_CONFLICT);
    CHECK_INT(s.out.conflicts, BIT(CONTACT_PHONE));
    CHECK_INT(s.out.take, BIT(CONTACT_PHONE));
    sides_release(&s);
}

TEST(push_skips_phone_format)
{
    struct contact local, base;

    contact_init(&local);
    contact_init(&base);
    contact_set_text(&local, CONTACT_PHONE, "(415) 555-0177");
    contact_set_text(&base, CONTACT_PHONE, "+1 415 555 0177");
    contact_set_text(&local, CONTACT_MOBILE_PHONE, "(415) 555-0178");
    contact_set_text(&base, CONTACT_MOBILE_PHONE, "+1 415 555 0177");
    CHECK_INT(contact_normalize_phones(&local, NULL, NULL), 0);
    CHECK_INT(contact_normalize_phones(&base, NULL, NULL), 0);
    CHECK_INT(merge_push_fields(&local, &base, CONTACT_ALL_FIELDS,
                                CONTACT_ALL_FIELDS),
              BIT(CONTACT_MOBILE_PHONE));
    contact_release(&local);
    contact_release(&base);
}

TEST(missing_base_takes_remote)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_LOCAL);
    titles(&s, "Local", NULL, "Remote");
    s.in.base_fields = CONTACT_ALL_FIELDS & ~BIT(CONTACT_TITLE);
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_TITLE], MERGE_TAKE_REMOTE);
    CHECK_INT(s.out.take, BIT(CONTACT_TITLE));
    CHECK_INT(s.out.conflicts, 0);
    sides_release(&s);
}

TEST(fields_outside_input_untouched)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_SALESFORCE);
    titles(&s, "Local", "Agreed", "Remote");
    contact_set_text(&s.remote, CONTACT_LEAD_STATUS, "Working");
    s.in.fields = BIT(CONTACT_LEAD_STATUS);
    run(&s);
    CHECK_INT(s.out.take, BIT(CONTACT_LEAD_STATUS));
    CHECK_INT(s.out.conflicts, 0);
    sides_release(&s);
}

TEST(several_fields_at_once)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_SALESFORCE);
    titles(&s, "Local", "Agreed", "Agreed");
    contact_set_text(&s.local, CONTACT_CITY, "Paris");
    contact_set_text(&s.base, CONTACT_CITY, "Paris");
    contact_set_text(&s.remote, CONTACT_CITY, "Lyon");
    contact_set_text(&s.local, CONTACT_STATE, "A");
    contact_set_text(&s.base, CONTACT_STATE, "B");
    contact_set_text(&s.remote, CONTACT_STATE, "C");
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_TITLE], MERGE_KEEP_LOCAL);
    CHECK_INT(s.out.outcome[CONTACT_CITY], MERGE_TAKE_REMOTE);
    CHECK_INT(s.out.outcome[CONTACT_STATE], MERGE_CONFLICT);
    CHECK_INT(s.out.take, BIT(CONTACT_CITY) | BIT(CONTACT_STATE));
    CHECK_INT(s.out.conflicts, BIT(CONTACT_STATE));
    sides_release(&s);
}

TEST(do_not_call_cleared_in_salesforce_taken)
{
    struct sides s;

    /* Someone cleared Do Not Call in Salesforce and the local side still
     * has the base value: the one-sided change takes effect. */
    sides_init(&s, MERGE_POLICY_LOCAL);
    flags(&s, CONTACT_DO_NOT_CALL, true, true, false);
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_DO_NOT_CALL], MERGE_TAKE_REMOTE);
    CHECK_INT(s.out.take, BIT(CONTACT_DO_NOT_CALL));
    CHECK_INT(s.out.conflicts, 0);
    CHECK_INT(s.out.local_won, 0);
    sides_release(&s);
}

TEST(do_not_call_cleared_locally_kept)
{
    struct sides s;

    /* The local side cleared it and Salesforce still has the base value:
     * the local false stays, even under the salesforce policy. */
    sides_init(&s, MERGE_POLICY_SALESFORCE);
    flags(&s, CONTACT_DO_NOT_CALL, false, true, true);
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_DO_NOT_CALL], MERGE_KEEP_LOCAL);
    CHECK_INT(s.out.take, 0);
    CHECK_INT(s.out.conflicts, 0);
    CHECK_INT(s.out.keep_base, 0);
    sides_release(&s);
}

TEST(do_not_call_untrusted_base_keeps_true)
{
    struct sides s;

    /* Without a base for the field, true wins against either side. */
    sides_init(&s, MERGE_POLICY_SALESFORCE);
    flags(&s, CONTACT_DO_NOT_CALL, true, true, false);
    s.in.base_fields = CONTACT_ALL_FIELDS & ~BIT(CONTACT_DO_NOT_CALL);
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_DO_NOT_CALL], MERGE_RESTRICTIVE);
    CHECK_INT(s.out.take, 0);
    CHECK_INT(s.out.conflicts, BIT(CONTACT_DO_NOT_CALL));
    CHECK_INT(s.out.local_won, BIT(CONTACT_DO_NOT_CALL));
    sides_release(&s);

    sides_init(&s, MERGE_POLICY_LOCAL);
    flags(&s, CONTACT_DO_NOT_CALL, false, false, true);
    s.in.base_fields = CONTACT_ALL_FIELDS & ~BIT(CONTACT_DO_NOT_CALL);
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_DO_NOT_CALL], MERGE_TAKE_REMOTE);
    CHECK_INT(s.out.take, BIT(CONTACT_DO_NOT_CALL));
    CHECK_INT(s.out.local_won, 0);
    sides_release(&s);
}

TEST(do_not_call_set_locally_kept)
{
    struct sides s;

    /* A local true against an unchanged Salesforce false is no conflict:
     * the push sends it. */
    sides_init(&s, MERGE_POLICY_SALESFORCE);
    flags(&s, CONTACT_DO_NOT_CALL, true, false, false);
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_DO_NOT_CALL], MERGE_KEEP_LOCAL);
    CHECK_INT(s.out.take, 0);
    CHECK_INT(s.out.conflicts, 0);
    sides_release(&s);
}

TEST(do_not_call_set_in_salesforce_taken)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_LOCAL);
    flags(&s, CONTACT_DO_NOT_CALL, false, false, true);
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_DO_NOT_CALL], MERGE_TAKE_REMOTE);
    CHECK_INT(s.out.take, BIT(CONTACT_DO_NOT_CALL));
    CHECK_INT(s.out.conflicts, 0);
    sides_release(&s);
}

TEST(do_not_call_newer_false_loses)
{
    struct sides s;

    /* Under newest and without a base, a later false from Salesforce
     * still loses to true. */
    sides_init(&s, MERGE_POLICY_NEWEST);
    flags(&s, CONTACT_DO_NOT_CALL, true, true, false);
    s.in.base_fields = CONTACT_ALL_FIELDS & ~BIT(CONTACT_DO_NOT_CALL);
    s.in.local_modified_ms = 1000;
    s.in.remote_modified_ms = 9000;
    run(&s);
    CHECK_INT(s.out.take, 0);
    CHECK_INT(s.out.local_won, BIT(CONTACT_DO_NOT_CALL));
    sides_release(&s);
}

TEST(do_not_call_missing_base_keeps_true)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_SALESFORCE);
    flags(&s, CONTACT_DO_NOT_CALL, true, false, false);
    contact_set_flag(&s.local, CONTACT_DO_NOT_CALL, true);
    s.in.base_fields = CONTACT_ALL_FIELDS & ~BIT(CONTACT_DO_NOT_CALL);
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_DO_NOT_CALL], MERGE_RESTRICTIVE);
    CHECK_INT(s.out.take, 0);
    CHECK_INT(s.out.keep_base, 0);
    sides_release(&s);
}

TEST(email_opt_out_is_restrictive)
{
    struct sides s;

    sides_init(&s, MERGE_POLICY_SALESFORCE);
    flags(&s, CONTACT_EMAIL_OPT_OUT, true, true, false);
    s.in.base_fields = CONTACT_ALL_FIELDS & ~BIT(CONTACT_EMAIL_OPT_OUT);
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_EMAIL_OPT_OUT], MERGE_RESTRICTIVE);
    CHECK_INT(s.out.take, 0);
    CHECK_INT(s.out.local_won, BIT(CONTACT_EMAIL_OPT_OUT));
    sides_release(&s);

    sides_init(&s, MERGE_POLICY_LOCAL);
    flags(&s, CONTACT_EMAIL_OPT_OUT, false, true, true);
    run(&s);
    CHECK_INT(s.out.outcome[CONTACT_EMAIL_OPT_OUT], MERGE_KEEP_LOCAL);
    CHECK_INT(s.out.take, 0);
    sides_release(&s);
}

TEST(restrictive_fields_are_two)
{
    CHECK(merge_is_restrictive(CONTACT_DO_NOT_CALL));
    CHECK(merge_is_restrictive(CONTACT_EMAIL_OPT_OUT));
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        if (f != CONTACT_DO_NOT_CALL && f != CONTACT_EMAIL_OPT_OUT)
            CHECK(!merge_is_restrictive((enum contact_field)f));
}

TEST(local_wins_by_policy)
{
    CHECK(merge_local_wins(MERGE_POLICY_LOCAL, 0, 100));
    CHECK(!merge_local_wins(MERGE_POLICY_SALESFORCE, 100, 0));
    CHECK(merge_local_wins(MERGE_POLICY_NEWEST, 101, 100));
    CHECK(!merge_local_wins(MERGE_POLICY_NEWEST, 100, 100));
    CHECK(!merge_local_wins(MERGE_POLICY_NEWEST, 99, 100));
}

TEST(policy_names_round_trip)
{
    CHECK_STR(merge_policy_name(MERGE_POLICY_NEWEST), "newest");
    CHECK_STR(merge_policy_name(MERGE_POLICY_SALESFORCE), "salesforce");
    CHECK_STR(merge_policy_name(MERGE_POLICY_LOCAL), "local");
    CHECK_INT(merge_policy_parse("newest"), MERGE_POLICY_NEWEST);
    CHECK_INT(merge_policy_parse("salesforce"), MERGE_POLICY_SALESFORCE);
    CHECK_INT(merge_policy_parse("local"), MERGE_POLICY_LOCAL);
    CHECK_INT(merge_policy_parse("oldest"), -1);
    CHECK_INT(merge_policy_parse(NULL), -1);
}

TEST(push_sends_changed_and_missing)
{
    struct contact local, base;
    uint32_t mask = BIT(CONTACT_TITLE) | BIT(CONTACT_CITY) |
                    BIT(CONTACT_STATE) | BIT(CONTACT_DO_NOT_CALL);

    contact_init(&local);
    contact_init(&base);
    contact_set_text(&local, CONTACT_TITLE, "New");
    contact_set_text(&base, CONTACT_TITLE, "Old");
    contact_set_text(&local, CONTACT_CITY, "Same");
    contact_set_text(&base, CONTACT_CITY, "Same");
    contact_set_text(&local, CONTACT_STATE, "Unknown to base");
    contact_set_text(&local, CONTACT_COUNTRY, "Outside the mask");
    contact_set_flag(&local, CONTACT_DO_NOT_CALL, true);
    CHECK_INT(merge_push_fields(&local, &base,
                                CONTACT_ALL_FIELDS & ~BIT(CONTACT_STATE),
                                mask),
              BIT(CONTACT_TITLE) | BIT(CONTACT_STATE) |
                  BIT(CONTACT_DO_NOT_CALL));
    /* Nothing differs: nothing to send. */
    contact_set_text(&base, CONTACT_TITLE, "New");
    contact_set_text(&base, CONTACT_STATE, "Unknown to base");
    contact_set_flag(&base, CONTACT_DO_NOT_CALL, true);
    CHECK_INT(merge_push_fields(&local, &base, CONTACT_ALL_FIELDS, mask), 0);
    contact_release(&local);
    contact_release(&base);
}

TEST(local_win_is_pushed)
{
    struct sides s;
    uint32_t base_fields;

    /* After a local win the new base is the old one, so the push sends
     * the local value. After a restrictive win it is the remote one. */
    sides_init(&s, MERGE_POLICY_LOCAL);
    titles(&s, "Local", "Agreed", "Remote");
    flags(&s, CONTACT_DO_NOT_CALL, true, true, false);
    run(&s);
    CHECK_INT(s.out.keep_base, BIT(CONTACT_TITLE));
    /* Build the new base as apply.c does: remote except keep_base. */
    contact_copy_fields(&s.base, &s.remote,
                        s.in.fields & ~s.out.keep_base);
    base_fields = CONTACT_ALL_FIELDS;
    CHECK_INT(merge_push_fields(&s.local, &s.base, base_fields,
                                BIT(CONTACT_TITLE) | BIT(CONTACT_DO_NOT_CALL)),
              BIT(CONTACT_TITLE) | BIT(CONTACT_DO_NOT_CALL));
    sides_release(&s);
}

TEST_MAIN(TEST_ENTRY(unchanged_remote_keeps_local),
          TEST_ENTRY(echo_of_push_changes_nothing),
          TEST_ENTRY(email_case_salesforce_policy),
          TEST_ENTRY(email_case_local_policy),
          TEST_ENTRY(first_link_case_takes_record),
          TEST_ENTRY(later_case_change_conflicts),
          TEST_ENTRY(email_other_address_conflicts),
          TEST_ENTRY(remote_change_taken), TEST_ENTRY(remote_clear_taken),
          TEST_ENTRY(same_change_agrees),
          TEST_ENTRY(conflict_salesforce_policy),
          TEST_ENTRY(conflict_local_policy),
          TEST_ENTRY(conflict_newest_local_later),
          TEST_ENTRY(conflict_newest_remote_later),
          TEST_ENTRY(conflict_newest_tie_goes_to_salesforce),
          TEST_ENTRY(phone_format_alone_no_conflict),
          TEST_ENTRY(phone_other_number_conflicts),
          TEST_ENTRY(push_skips_phone_format),
          TEST_ENTRY(missing_base_takes_remote),
          TEST_ENTRY(fields_outside_input_untouched),
          TEST_ENTRY(several_fields_at_once),
          TEST_ENTRY(do_not_call_cleared_in_salesforce_taken),
          TEST_ENTRY(do_not_call_cleared_locally_kept),
          TEST_ENTRY(do_not_call_untrusted_base_keeps_true),
          TEST_ENTRY(do_not_call_set_locally_kept),
          TEST_ENTRY(do_not_call_set_in_salesforce_taken),
          TEST_ENTRY(do_not_call_newer_false_loses),
          TEST_ENTRY(do_not_call_missing_base_keeps_true),
          TEST_ENTRY(email_opt_out_is_restrictive),
          TEST_ENTRY(restrictive_fields_are_two),
          TEST_ENTRY(local_wins_by_policy),
          TEST_ENTRY(policy_names_round_trip),
          TEST_ENTRY(push_sends_changed_and_missing),
          TEST_ENTRY(local_win_is_pushed))
