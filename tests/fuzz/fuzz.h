/* Shared by the fuzz targets (tests/fuzz/fuzz_<target>.c). Each defines LLVMFuzzerTestOneInput; it links
 * either libFuzzer (scripts/fuzz.sh, clang -fsanitize=fuzzer) or replay.c (ctest: replays the committed
 * corpus and past crashes). A target aborts only on a broken property, never on bad input. */
#ifndef VKATTN_FUZZ_H
#define VKATTN_FUZZ_H

#include "vkattn.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property the code promises did not hold: report and abort (libFuzzer saves the input). */
#define FUZZ_CHECK(cond)                                                                                   \
    do {                                                                                                   \
        if (!(cond)) {                                                                                     \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);                   \
            abort();                                                                                       \
        }                                                                                                  \
    } while (0)

/* Writes data to <per-process temporary directory>/name (for APIs that take paths) and returns its path
 * (valid until the next call with the same name). */
const char *fuzz_write_file(const char *name, const void *data, size_t size);
/* The per-process temporary directory itself (created on first use, under $TMPDIR or /tmp). */
const char *fuzz_dir(void);

/* Splits data at the first occurrence of sep: [data, *a_len) and the rest after it; returns 0 when absent
 * (then all of data is the first part). */
int fuzz_split(const uint8_t *data, size_t size, const char *sep, size_t *a_len, const uint8_t **b, size_t *b_len);

#endif
