/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * First include of every .c file in sfsync and sfsim: feature macros, the
 * aborting allocator, the error value and logging.
 */
#ifndef SFSYNC_COMMON_H
#define SFSYNC_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"
#include "err.h"
#include "log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define ATTR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define ATTR_NORETURN __attribute__((noreturn))
#else
#define ATTR_PRINTF(fmt, args)
#define ATTR_NORETURN
#endif

/* Log and abort on a state that the code never expects to reach. */
#define BUG(...) log_bug(__FILE__, __LINE__, __VA_ARGS__)

#endif
