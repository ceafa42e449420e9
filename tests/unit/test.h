/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * A minimal unit-test runner. A test file defines TEST(name) functions and
 * lists them in a TEST_MAIN(...) table; each failed CHECK prints the file,
 * line and expression and marks the test failed without stopping it.
 */
#ifndef SFSYNC_TEST_H
#define SFSYNC_TEST_H

#include <stdio.h>
#include <string.h>

struct test_case {
    const char *name;
    void (*fn)(void);
};

extern int test_failures;

#define TEST(name) static void test_##name(void)
#define TEST_ENTRY(name) {#name, test_##name}

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,          \
                    __LINE__, #cond);                                       \
            test_failures++;                                                \
        }                                                                   \
    } while (0)

#define CHECK_INT(a, b)                                                     \
    do {                                                                    \
        long long va_ = (long long)(a), vb_ = (long long)(b);               \
        if (va_ != vb_) {                                                   \
            fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, \
                    __LINE__, #a, va_, vb_);                                \
            test_failures++;                                                \
        }                                                                   \
    } while (0)

#define CHECK_STR(a, b)                                                     \
    do {                                                                    \
        const char *sa_ = (a), *sb_ = (b);                                  \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                        \
            fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n",       \
                    __FILE__, __LINE__, #a, sa_ ? sa_ : "(null)",           \
                    sb_ ? sb_ : "(null)");                                  \
            test_failures++;                                                \
        }                                                                   \
    } while (0)

int test_run(const struct test_case *cases, size_t n, int argc, char **argv);

#define TEST_MAIN(...)                                                      \
    int test_failures;                                                      \
    int main(int argc, char **argv)                                         \
    {                                                                       \
        static const struct test_case cases_[] = {__VA_ARGS__};             \
        return test_run(cases_, sizeof(cases_) / sizeof(cases_[0]), argc,   \
                        argv);                                              \
    }

#endif
