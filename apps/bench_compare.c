/* vkattn bench compare A.json B.json: the ratio B/A of every measurement in rows present in
 * both result files (two runs, two devices or two commits), with a verdict per row: a change
 * inside the run-to-run spread is noise, beyond it an improvement or a regression. */
#include "bench.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns that describe how a row was measured (repetitions, checks, plans): neither compared
 * nor part of the row's identity, since two devices or runs may differ in them. */
static int is_detail(const char *k) {
    static const char *const names[] = {"reps", "runs", "status", "check", "rel_err", "stddev", "spread", "splits"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(k, names[i]) == 0) return 1;
    return 0;
}

/* Columns that hold measurements; every other column (shapes, dtypes, names) identifies the row. */
static int is_metric(const char *k) {
    static const char *const pats[] = {"ms", "/s", "_s", "GB", "GFLOP", "MiB", "/", "over", "stddev", "spread"};
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++)
        if (strstr(k, pats[i])) return 1;
    return is_detail(k);
}
/* Times and memory: lower is better; rates and ratios: higher. */
static int lower_is_better(const char *k) {
    return (strstr(k, "ms") || strstr(k, "MiB")) && !strstr(k, "/s") && !strstr(k, "_s");
}

/* "M=1 N=1024 weights=f16": the identifying columns of a row. */
static void row_key(const cJSON *row, char *out, size_t n) {
    size_t at = 0;
    out[0] = 0;
    for (const cJSON *c = row->child; c && at < n; c = c->next) {
        if (is_metric(c->string)) continue;
        if (cJSON_IsString(c)) at += (size_t)snprintf(out + at, n - at, "%s%s=%s", at ? " " : "", c->string, c->valuestring);
        else if (cJSON_IsNumber(c)) at += (size_t)snprintf(out + at, n - at, "%s%s=%g", at ? " " : "", c->string, c->valuedouble);
    }
}

static const cJSON *find_row(const cJSON *rows, const char *key) {
    char k[512];
    for (const cJSON *r = rows->child; r; r = r->next) {
        row_key(r, k, sizeof k);
        if (strcmp(k, key) == 0) return r;
    }
    return NULL;
}

/* Relative run-to-run spread of a row: stddev / value where the benchmark reports one. */
static double row_spread(const cJSON *row, double value) {
    const cJSON *sd = cJSON_GetObjectItem(row, "stddev");
    if (!sd) sd = cJSON_GetObjectItem(row, "spread");
    if (!cJSON_IsNumber(sd) || !(value > 0)) return 0;
    return strcmp(sd->string, "spread") == 0 ? sd->valuedouble : sd->valuedouble / value;
}

static const char *str_of(const cJSON *j, const char *k) {
    const cJSON *v = cJSON_GetObjectItem(j, k);
    return cJSON_IsString(v) ? v->valuestring : "?";
}

int bench_compare(int argc, char **argv) {
    const char *files[2] = {NULL, NULL}, *out = NULL;
    double threshold = 0.10;
    int nf = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vkattn bench compare A.json B.json [--threshold F] [-o PREFIX]\n\n"
                   "Ratios B/A of every measurement of the rows both files have (matched by their shape,\n"
                   "dtype and name columns). A change is flagged as a regression or an improvement when it\n"
                   "exceeds the run-to-run spread: the larger of --threshold (default 0.10 = 10%%) and three\n"
                   "times the relative standard deviation the benchmark recorded for the row.\n"
                   "Exit status 1 when any row regressed. -o writes PREFIX.md.\n");
            return 0;
        } else if (strcmp(argv[i], "--threshold") == 0 && i + 1 < argc) {
            char *end;
            threshold = strtod(argv[++i], &end);
            if (*end || !(threshold >= 0 && threshold < 10)) {
                fprintf(stderr, "vkattn bench compare: --threshold %s: expected a fraction such as 0.1\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (argv[i][0] != '-' && nf < 2) {
            files[nf++] = argv[i];
        } else {
            fprintf(stderr, "vkattn bench compare: unexpected argument %s (see --help)\n", argv[i]);
            return 2;
        }
    }
    if (nf != 2) {
        fprintf(stderr, "vkattn bench compare: two result files are needed (see --help)\n");
        return 2;
    }
    cJSON *a = bench_result_load(files[0], "vkattn bench compare"), *b = a ? bench_result_load(files[1], "vkattn bench compare") : NULL;
    if (!a || !b) {
        cJSON_Delete(a);
        return 1;
    }
    FILE *md = NULL;
    if (out) {
        char path[1024];
        snprintf(path, sizeof path, "%s.md", out);
        if (!(md = fopen(path, "w"))) {
            fprintf(stderr, "vkattn bench compare: cannot write %s\n", path);
            cJSON_Delete(a);
            cJSON_Delete(b);
            return 1;
        }
    }
    FILE *sinks[2] = {stdout, md};
    for (int s = 0; s < 2; s++) {
        if (!sinks[s]) continue;
        fprintf(sinks[s], "# vkattn bench compare: %s\n\n- A: %s (%s, %s, %s)\n- B: %s (%s, %s, %s)\n\n", str_of(a, "benchmark"),
                files[0], str_of(a, "device"), str_of(a, "driver"), str_of(a, "date"), files[1], str_of(b, "device"),
                str_of(b, "driver"), str_of(b, "date"));
        fprintf(sinks[s], "| row | measure | A | B | B/A | verdict |\n|---|---|---|---|---|---|\n");
    }
    const cJSON *ra = cJSON_GetObjectItem(a, "rows"), *rb = cJSON_GetObjectItem(b, "rows");
    int matched = 0, regressions = 0, improvements = 0, unmatched = 0;
    char key[512];
    for (const cJSON *r = ra->child; r; r = r->next) {
        row_key(r, key, sizeof key);
        const cJSON *o = find_row(rb, key);
        if (!o) {
            unmatched++;
            continue;
        }
        matched++;
        for (const cJSON *c = r->child; c; c = c->next) {
            if (!is_metric(c->string) || is_detail(c->string) || !cJSON_IsNumber(c)) continue;
            const cJSON *d = cJSON_GetObjectItem(o, c->string);
            if (!cJSON_IsNumber(d) || !(c->valuedouble > 0) || !isfinite(d->valuedouble)) continue;
            double ratio = d->valuedouble / c->valuedouble;
            double sp = fmax(row_spread(r, c->valuedouble), row_spread(o, d->valuedouble));
            double tol = fmax(threshold, 3 * sp);
            double gain = lower_is_better(c->string) ? 1 / ratio : ratio; /* > 1: B is better */
            const char *verdict = gain < 1 - tol ? "REGRESSION" : gain > 1 + tol ? "better" : "~ (within spread)";
            regressions += gain < 1 - tol;
            improvements += gain > 1 + tol;
            for (int s = 0; s < 2; s++)
                if (sinks[s])
                    fprintf(sinks[s], "| %s | %s | %.4g | %.4g | %.3f | %s |\n", key, c->string, c->valuedouble, d->valuedouble,
                            ratio, verdict);
        }
    }
    for (int s = 0; s < 2; s++)
        if (sinks[s])
            fprintf(sinks[s], "\n%d rows matched (%d of A's rows not in B); %d measures better, %d regressed (threshold %.0f%%)\n",
                    matched, unmatched, improvements, regressions, threshold * 100);
    if (md) fclose(md);
    cJSON_Delete(a);
    cJSON_Delete(b);
    if (!matched) {
        fprintf(stderr, "vkattn bench compare: no row of %s matches one of %s (different benchmarks or shapes?)\n", files[0],
                files[1]);
        return 1;
    }
    return regressions ? 1 : 0;
}
