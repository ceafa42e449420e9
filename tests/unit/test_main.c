/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* The runner behind TEST_MAIN: runs every case, or those named on the
 * command line, and prints one line per case. */
#include <stdio.h>
#include <string.h>

#include "test.h"

int test_run(const struct test_case *cases, size_t n, int argc, char **argv)
{
    int failed = 0, passed = 0;

    for (size_t i = 0; i < n; i++) {
        int before = test_failures;
        int selected = argc <= 1;

        for (int a = 1; a < argc; a++)
            if (strcmp(argv[a], cases[i].name) == 0)
                selected = 1;
        if (!selected)
            continue;
        cases[i].fn();
        if (test_failures > before) {
            printf("FAIL %s\n", cases[i].name);
            failed++;
        } else {
            printf("ok   %s\n", cases[i].name);
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
