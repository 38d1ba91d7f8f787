#include "bench_report.h"
#include "cli.h"

#include <cjson/cJSON.h>

#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__GLIBC__)
int getloadavg(double loadavg[], int nelem); /* glibc (not POSIX, so not declared under _POSIX_C_SOURCE) */
#endif

#define MAX_COLS 24

typedef struct {
    char key[32];
    char text[48];  /* formatted cell */
    double value;
    int is_num;
} cell;

typedef struct {
    cell cols[MAX_COLS];
    int n;
} row;

struct bench_report {
    char name[64], device[256], driver[512], date[32];
    row *rows;
    int n_rows, cap_rows;
    char **notes;
    int n_notes;
    int printed_header;
};

double bench_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A note for the saved files only (not printed: a --json run's stdout may not be redirected yet). */
static void keep_note(bench_report *r, const char *text) {
    char **n = realloc(r->notes, (size_t)(r->n_notes + 1) * sizeof *n);
    if (!n) return;
    r->notes = n;
    r->notes[r->n_notes] = strdup(text);
    if (r->notes[r->n_notes]) r->n_notes++;
}

bench_report *bench_report_create(const char *name, const vkattn_context *ctx) {
    bench_report *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    snprintf(r->name, sizeof r->name, "%s", name);
    const vkattn_device_info *d = ctx ? vkattn_context_device(ctx) : NULL;
    snprintf(r->device, sizeof r->device, "%s", d ? d->name : "none");
    snprintf(r->driver, sizeof r->driver, "%s %s", d ? d->driver_name : "", d ? d->driver_info : "");
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(r->date, sizeof r->date, "%Y-%m-%d %H:%M UTC", &tm);
#if defined(__GLIBC__)
    /* a benchmark on a loaded machine measures the load: keep the evidence with the figures */
    double la[3];
    char buf[128];
    if (getloadavg(la, 3) == 3) {
        snprintf(buf, sizeof buf, "load average when the benchmark started (1, 5, 15 min): %.2f, %.2f, %.2f", la[0], la[1], la[2]);
        keep_note(r, buf);
    }
#endif
    return r;
}

void bench_report_destroy(bench_report *r) {
    if (!r) return;
    for (int i = 0; i < r->n_notes; i++) free(r->notes[i]);
    free(r->notes);
    free(r->rows);
    free(r);
}

void bench_row_begin(bench_report *r) {
    if (r->n_rows == r->cap_rows) {
        int cap = r->cap_rows ? r->cap_rows * 2 : 16;
        row *n = realloc(r->rows, (size_t)cap * sizeof *n);
        if (!n) return;
        r->rows = n;
        r->cap_rows = cap;
    }
    memset(&r->rows[r->n_rows], 0, sizeof(row));
}

static cell *add_cell(bench_report *r, const char *key) {
    if (r->n_rows >= r->cap_rows) return NULL;
    row *w = &r->rows[r->n_rows];
    if (w->n == MAX_COLS) return NULL;
    cell *c = &w->cols[w->n++];
    snprintf(c->key, sizeof c->key, "%s", key);
    return c;
}

void bench_col_str(bench_report *r, const char *key, const char *value) {
    cell *c = add_cell(r, key);
    if (c) snprintf(c->text, sizeof c->text, "%s", value);
}

void bench_col_num(bench_report *r, const char *key, double value, const char *fmt) {
    cell *c = add_cell(r, key);
    if (!c) return;
    c->is_num = 1;
    c->value = value;
    snprintf(c->text, sizeof c->text, fmt, value);
}

void bench_row_end(bench_report *r) {
    if (r->n_rows >= r->cap_rows) return;
    row *w = &r->rows[r->n_rows++];
    if (!r->printed_header) {
        for (int i = 0; i < w->n; i++) printf("%12s ", w->cols[i].key);
        printf("\n");
        r->printed_header = 1;
    }
    for (int i = 0; i < w->n; i++) printf("%12s ", w->cols[i].text);
    printf("\n");
    fflush(stdout);
}

void bench_note(bench_report *r, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("%s\n", buf);
    keep_note(r, buf);
}

int bench_report_save(const bench_report *r, const char *prefix) {
    char path[1024];
    snprintf(path, sizeof path, "%s.json", prefix);
    FILE *f = fopen(path, "w");
    if (!f) return 1;
    fprintf(f, "{\n  \"benchmark\": ");
    cli_json_string(f, r->name);
    fprintf(f, ",\n  \"device\": ");
    cli_json_string(f, r->device);
    fprintf(f, ",\n  \"driver\": ");
    cli_json_string(f, r->driver);
    fprintf(f, ",\n  \"date\": ");
    cli_json_string(f, r->date);
    fprintf(f, ",\n  \"notes\": [");
    for (int i = 0; i < r->n_notes; i++) {
        fprintf(f, "%s\n    ", i ? "," : "");
        cli_json_string(f, r->notes[i]);
    }
    fprintf(f, "],\n  \"rows\": [");
    for (int i = 0; i < r->n_rows; i++) {
        fprintf(f, "%s\n    {", i ? "," : "");
        for (int j = 0; j < r->rows[i].n; j++) {
            const cell *c = &r->rows[i].cols[j];
            fprintf(f, "%s", j ? ", " : "");
            cli_json_string(f, c->key);
            fprintf(f, ": ");
            if (c->is_num && isfinite(c->value)) fprintf(f, "%.6g", c->value);
            else if (c->is_num) fprintf(f, "null"); /* a skipped case: JSON has no NaN */
            else cli_json_string(f, c->text);
        }
        fprintf(f, "}");
    }
    fprintf(f, "\n  ]\n}\n");
    int err = fclose(f) != 0;

    snprintf(path, sizeof path, "%s.md", prefix);
    f = fopen(path, "w");
    if (!f) return 1;
    fprintf(f, "# vkattn bench %s\n\n- device: %s\n- driver: %s\n- date: %s\n\n", r->name, r->device, r->driver, r->date);
    if (r->n_rows) {
        const row *h = &r->rows[0];
        for (int j = 0; j < h->n; j++) fprintf(f, "| %s ", h->cols[j].key);
        fprintf(f, "|\n");
        for (int j = 0; j < h->n; j++) fprintf(f, "|---");
        fprintf(f, "|\n");
        for (int i = 0; i < r->n_rows; i++) {
            for (int j = 0; j < r->rows[i].n; j++) fprintf(f, "| %s ", r->rows[i].cols[j].text);
            fprintf(f, "|\n");
        }
    }
    if (r->n_notes) fprintf(f, "\n");
    for (int i = 0; i < r->n_notes; i++) fprintf(f, "- %s\n", r->notes[i]);
    err |= fclose(f) != 0;
    if (!err && (strcmp(r->name, "attention") == 0 || strcmp(r->name, "gemm") == 0)) {
        snprintf(path, sizeof path, "%s.json", prefix); /* the charts are drawn from the saved file */
        err |= bench_plot_result(path, prefix) < 0;
    }
    return err;
}

cJSON *bench_result_load(const char *path, const char *who) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open %s\n", who, path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = n > 0 && n < (64l << 20) ? malloc((size_t)n + 1) : NULL;
    size_t got = s ? fread(s, 1, (size_t)n, f) : 0;
    fclose(f);
    cJSON *j = NULL;
    if (s) {
        s[got] = 0;
        j = cJSON_Parse(s);
        free(s);
    }
    if (!j || !cJSON_IsArray(cJSON_GetObjectItem(j, "rows"))) {
        fprintf(stderr, "%s: %s is not a vkattn bench result (JSON with \"rows\")\n", who, path);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}
