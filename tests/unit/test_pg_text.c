/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Unit tests of the PostgreSQL backend's error texts; no server needed. */
#include "base/common.h"

#include "store/store_pg_int.h"
#include "test.h"

/* libpq 15's message for a refused connection, two lines. */
static const char refused[] =
    "connection to server at \"127.0.0.1\", port 1 failed: Connection "
    "refused\n\tIs the server running on that host and accepting TCP/IP "
    "connections?\n";

TEST(error_line_keeps_first_line)
{
    char line[ERR_MSG_MAX];

    store_pg__error_line(refused, line, sizeof(line));
    CHECK_STR(line, "connection to server at \"127.0.0.1\", port 1 failed: "
                    "Connection refused");
    store_pg__error_line("server closed the connection unexpectedly\n", line,
                         sizeof(line));
    CHECK_STR(line, "server closed the connection unexpectedly");
    store_pg__error_line(NULL, line, sizeof(line));
    CHECK_STR(line, "");
    store_pg__error_line("abcdef", line, 4);
    CHECK_STR(line, "abc");
}

TEST(fail_text_keeps_detail_whole)
{
    char detail[300], display[400];
    struct err err;
    size_t len;

    memset(detail, 'd', sizeof(detail) - 2);
    detail[sizeof(detail) - 2] = '!';
    detail[sizeof(detail) - 1] = '\0';
    memset(display, 'h', sizeof(display) - 1);
    display[sizeof(display) - 1] = '\0';
    CHECK_INT(store_pg__fail_text(&err, detail,
                                  "cannot connect to PostgreSQL server '%s'",
                                  display),
              SYNC_EDB);
    CHECK_INT(err.code, SYNC_EDB);
    len = strlen(err.msg);
    CHECK_INT(len, ERR_MSG_MAX - 1);
    /* The whole detail ends the message, after the trimmed context. */
    CHECK(strcmp(err.msg + len - strlen(detail), detail) == 0);
    CHECK(strncmp(err.msg + len - strlen(detail) - 5, "...: ", 5) == 0);
    CHECK(strncmp(err.msg, "cannot connect to PostgreSQL server 'hhh", 40) ==
          0);

    /* A message that fits is not changed. */
    CHECK_INT(store_pg__fail_text(&err, "Connection refused", "%s failed",
                                  "begin transaction"),
              SYNC_EDB);
    CHECK_STR(err.msg, "begin transaction failed: Connection refused");
}

TEST(fail_text_cuts_only_huge_detail)
{
    char detail[ERR_MSG_MAX + 100];
    struct err err;

    memset(detail, 'x', sizeof(detail) - 1);
    detail[sizeof(detail) - 1] = '\0';
    store_pg__fail_text(&err, detail, "open failed");
    /* The context stays; the detail fills what is left, short of room for
     * a longer context. */
    CHECK(strncmp(err.msg, "open failed: xxx", 16) == 0);
    CHECK(strlen(err.msg) > ERR_MSG_MAX / 2);
    CHECK(strlen(err.msg) < ERR_MSG_MAX);
}

TEST_MAIN(TEST_ENTRY(error_line_keeps_first_line),
          TEST_ENTRY(fail_text_keeps_detail_whole),
          TEST_ENTRY(fail_text_cuts_only_huge_detail))
