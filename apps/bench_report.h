/* Benchmark reports: rows of named columns, printed as they come, saved as
 * JSON (machines) and a Markdown table (people), with the device, driver and
 * date so results can be compared across devices reproducibly. */
#ifndef VKATTN_BENCH_REPORT_H
#define VKATTN_BENCH_REPORT_H

#include "vkattn.h"

typedef struct bench_report bench_report;

/* `name` e.g. "attention"; ctx supplies device and driver (may be NULL). */
bench_report *bench_report_create(const char *name, const vkattn_context *ctx);
void bench_report_destroy(bench_report *r);

void bench_row_begin(bench_report *r);
void bench_col_str(bench_report *r, const char *key, const char *value);
/* fmt is the printf format for the Markdown/console cell, e.g. "%.2f". */
void bench_col_num(bench_report *r, const char *key, double value, const char *fmt);
void bench_row_end(bench_report *r); /* prints the row */

/* A free-text line (targets, ratios, skipped shapes) kept in both outputs. */
void bench_note(bench_report *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Writes <prefix>.json and <prefix>.md; returns 0 on success. */
int bench_report_save(const bench_report *r, const char *prefix);

/* A result file written by bench_report_save, parsed (cJSON, freed with cJSON_Delete); NULL with
 * a message prefixed by `who` when it cannot be read or has no "rows". */
struct cJSON *bench_result_load(const char *path, const char *who);

/* SVG charts of an attention or gemm result file: <prefix>-*.svg; returns the number of charts
 * written, -1 on error (bench_plot.c). */
int bench_plot_result(const char *json_path, const char *prefix);

/* Monotonic milliseconds. */
double bench_now_ms(void);

#endif
