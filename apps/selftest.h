/* vkattn selftest: every kernel family on small odd shapes, on one device, against the plain-C
 * references in ref/ (double accumulation). selftest.c holds the checks; cmd_selftest.c the
 * command (device report, table, --json). */
#ifndef VKATTN_SELFTEST_H
#define VKATTN_SELFTEST_H

#include "vkattn.h"

#include <stddef.h>
#include <stdio.h>

enum { ST_PASS, ST_FAIL, ST_SKIP };

typedef struct st_result {
    char name[128];
    int status;                 /* ST_PASS / ST_FAIL / ST_SKIP */
    double max_abs, rel, tol;   /* max |got - want|, that / max |want|, the allowed rel */
    double ms;                  /* wall time of the op call (recording, submit, wait) */
    char message[256];          /* why it failed or was skipped */
} st_result;

typedef struct st_run {
    st_result *results;
    size_t n, cap;
    int quick;                  /* the device's GEMM kernel choice only, f32 + f16 */
    FILE *out;                  /* one line per check as it completes */
    const char *filter;         /* only the checks whose name contains it (NULL: all) */
    const char *corrupt;        /* test-only $VKATTN_SELFTEST_CORRUPT: checks whose name contains it get a wrong value */
    size_t passed, failed, skipped;
} st_run;

/* Runs every check on ctx, appending to r. */
void st_run_all(st_run *r, vkattn_context *ctx);

#endif
