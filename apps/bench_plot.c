/* vkattn bench plot RESULT.json [-o PREFIX]: SVG charts drawn from a result file, so any
 * committed result (and any other device's) can be plotted again without rerunning it.
 *   attention: time per head against L, one line per path (3-pass, flash, decode), D and mask;
 *   gemm:      GFLOP/s against M per weight type beside OpenBLAS sgemm (one chart per shape), and
 *              GEMV (M = 1) weight GB/s per type against the Vulkan copy and memcpy bandwidth.
 * SVG is text: no image library, diffable in review, and scales in the README. */
#include "bench.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SERIES = 16, MAX_POINTS = 64, MAX_CATS = 24, MAX_LINES = 4 };

typedef struct {
    char name[64];
    int n;
    double x[MAX_POINTS], y[MAX_POINTS];
} series;

/* A line chart (x numeric) or, with n_cats > 0, grouped bars (x = category index). */
typedef struct {
    char title[96], subtitle[160]; /* what; device and date */
    const char *xlabel, *ylabel;
    int logx, logy;
    int n_series;
    series s[MAX_SERIES];
    int n_cats;
    char cats[MAX_CATS][24];
    int n_lines; /* horizontal reference lines */
    char line_name[MAX_LINES][64];
    double line_y[MAX_LINES];
} chart;

static const char *const colors[MAX_SERIES] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                                "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000080", "#808000",
                                                "#00a0a0", "#a00060", "#60a000", "#404040"};
enum { W = 760, H = 470, ML = 70, MR = 200, MT = 52, MB = 56 };

static series *series_get(chart *c, const char *name) {
    for (int i = 0; i < c->n_series; i++)
        if (strcmp(c->s[i].name, name) == 0) return &c->s[i];
    if (c->n_series == MAX_SERIES) return NULL;
    series *s = &c->s[c->n_series++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

static void series_add(chart *c, const char *name, double x, double y) {
    series *s = series_get(c, name);
    if (!s || s->n == MAX_POINTS || !(y > 0) || !isfinite(y)) return;
    int i = s->n++;
    while (i > 0 && s->x[i - 1] > x) { /* kept sorted by x */
        s->x[i] = s->x[i - 1];
        s->y[i] = s->y[i - 1];
        i--;
    }
    s->x[i] = x;
    s->y[i] = y;
}

static int cat_index(chart *c, const char *name) {
    for (int i = 0; i < c->n_cats; i++)
        if (strcmp(c->cats[i], name) == 0) return i;
    if (c->n_cats == MAX_CATS) return -1;
    snprintf(c->cats[c->n_cats], sizeof c->cats[0], "%s", name);
    return c->n_cats++;
}

static void xml_text(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else fputc(*s, f);
    }
}

typedef struct {
    double lo, hi;
    int log;
    double p0, p1; /* pixels */
} axis;

static double axis_px(const axis *a, double v) {
    double t = a->log ? (log(v) - log(a->lo)) / (log(a->hi) - log(a->lo)) : (v - a->lo) / (a->hi - a->lo);
    return a->p0 + t * (a->p1 - a->p0);
}

/* Range with some room; log axes snap to powers of 10 (y) or 2 (x), linear ones start at 0. */
static void axis_fit(axis *a, double lo, double hi, int log_base) {
    if (!(hi > lo)) {
        lo = lo > 0 ? lo / 2 : 0;
        hi = hi > 0 ? hi * 2 : 1;
    }
    if (a->log) {
        double b = log_base;
        a->lo = pow(b, floor(log(lo) / log(b) + 1e-9));
        a->hi = pow(b, ceil(log(hi) / log(b) - 1e-9));
        if (a->hi <= a->lo) a->hi = a->lo * b;
    } else {
        a->lo = 0;
        a->hi = hi * 1.1;
    }
}

static void tick_label(char *buf, size_t n, double v) {
    if (v >= 1e4 && fabs(v - (double)(long long)v) < 1e-9 && fmod(v, 1024) == 0) snprintf(buf, n, "%.0fk", v / 1024);
    else snprintf(buf, n, "%g", v);
}

static void draw_ticks(FILE *f, const axis *a, int vertical, int base) {
    double step = 0;
    if (!a->log) {
        double raw = (a->hi - a->lo) / 6, mag = pow(10, floor(log10(raw)));
        step = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
    }
    for (double v = a->lo; v <= a->hi * (1 + 1e-9); v = a->log ? v * base : v + step) {
        double p = axis_px(a, v);
        char lab[32];
        tick_label(lab, sizeof lab, v);
        if (vertical) {
            fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>\n", ML, p, W - MR, p);
            fprintf(f, "<text x='%d' y='%.1f' text-anchor='end' dominant-baseline='middle'>%s</text>\n", ML - 6, p, lab);
        } else {
            fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#ddd'/>\n", p, MT, p, H - MB);
            fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>%s</text>\n", p, H - MB + 16, lab);
        }
    }
}

static int chart_write(const chart *c, const char *path) {
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int i = 0; i < c->n_series; i++)
        for (int j = 0; j < c->s[i].n; j++) {
            xlo = fmin(xlo, c->s[i].x[j]), xhi = fmax(xhi, c->s[i].x[j]);
            ylo = fmin(ylo, c->s[i].y[j]), yhi = fmax(yhi, c->s[i].y[j]);
        }
    for (int i = 0; i < c->n_lines; i++) ylo = fmin(ylo, c->line_y[i]), yhi = fmax(yhi, c->line_y[i]);
    if (!isfinite(ylo)) return 0; /* nothing to draw */
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "vkattn bench plot: cannot write %s\n", path);
        return -1;
    }
    axis ax = {.log = c->logx, .p0 = ML, .p1 = W - MR}, ay = {.log = c->logy, .p0 = H - MB, .p1 = MT};
    axis_fit(&ay, ylo, yhi, 10);
    if (c->n_cats) ax.lo = -0.5, ax.hi = c->n_cats - 0.5, ax.log = 0;
    else axis_fit(&ax, xlo, xhi, 2);
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' viewBox='0 0 %d %d' "
               "font-family='sans-serif' font-size='11'>\n<rect width='100%%' height='100%%' fill='white'/>\n",
            W, H, W, H);
    fprintf(f, "<text x='%d' y='20' font-size='14' font-weight='bold'>", ML);
    xml_text(f, c->title);
    fprintf(f, "</text>\n<text x='%d' y='38' fill='#444'>", ML);
    xml_text(f, c->subtitle);
    fputs("</text>\n", f);
    draw_ticks(f, &ay, 1, 10);
    if (!c->n_cats) draw_ticks(f, &ax, 0, 2);
    fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#444'/>\n", ML, MT, W - MR - ML, H - MB - MT);
    fprintf(f, "<text x='%d' y='%d' text-anchor='middle'>", (ML + W - MR) / 2, H - 14);
    xml_text(f, c->xlabel);
    fprintf(f, "</text>\n<text transform='translate(16,%d) rotate(-90)' text-anchor='middle'>", (MT + H - MB) / 2);
    xml_text(f, c->ylabel);
    fputs("</text>\n", f);
    int ly = MT + 8;
    if (c->n_cats) {
        double group = (ax.p1 - ax.p0) / c->n_cats, bw = group * 0.8 / (c->n_series ? c->n_series : 1);
        for (int k = 0; k < c->n_cats; k++) {
            fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>", axis_px(&ax, k), H - MB + 16);
            xml_text(f, c->cats[k]);
            fputs("</text>\n", f);
        }
        for (int i = 0; i < c->n_series; i++)
            for (int j = 0; j < c->s[i].n; j++) {
                double x = axis_px(&ax, c->s[i].x[j]) - group * 0.4 + i * bw, y = axis_px(&ay, c->s[i].y[j]);
                fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>\n", x, y, bw * 0.9,
                        ay.p0 - y, colors[i]);
            }
    } else {
        for (int i = 0; i < c->n_series; i++) {
            const series *s = &c->s[i];
            int dashed = strstr(s->name, "causal") || strstr(s->name, "OpenBLAS");
            fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2'%s points='", colors[i],
                    dashed ? " stroke-dasharray='6 3'" : "");
            for (int j = 0; j < s->n; j++) fprintf(f, "%.1f,%.1f ", axis_px(&ax, s->x[j]), axis_px(&ay, s->y[j]));
            fputs("'/>\n", f);
            for (int j = 0; j < s->n; j++)
                fprintf(f, "<circle cx='%.1f' cy='%.1f' r='2.5' fill='%s'/>\n", axis_px(&ax, s->x[j]),
                        axis_px(&ay, s->y[j]), colors[i]);
        }
    }
    for (int i = 0; i < c->n_lines; i++) {
        double y = axis_px(&ay, c->line_y[i]);
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#000' stroke-dasharray='%s'/>\n", ML, y, W - MR,
                y, i ? "2 3" : "8 4");
    }
    for (int i = 0; i < c->n_series; i++, ly += 16) {
        fprintf(f, "<rect x='%d' y='%d' width='14' height='4' fill='%s'/><text x='%d' y='%d'>", W - MR + 10, ly,
                colors[i], W - MR + 30, ly + 5);
        xml_text(f, c->s[i].name);
        fputs("</text>\n", f);
    }
    for (int i = 0; i < c->n_lines; i++, ly += 16) {
        fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#000' stroke-dasharray='%s'/><text x='%d' y='%d'>",
                W - MR + 10, ly + 2, W - MR + 24, ly + 2, i ? "2 3" : "8 4", W - MR + 30, ly + 5);
        xml_text(f, c->line_name[i]);
        fputs("</text>\n", f);
    }
    fputs("</svg>\n", f);
    int bad = ferror(f);
    if (fclose(f) || bad) {
        fprintf(stderr, "vkattn bench plot: cannot write %s\n", path);
        return -1;
    }
    printf("wrote %s\n", path);
    return 1;
}

static double num(const cJSON *row, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}
static const char *str(const cJSON *row, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void titles(chart *c, const cJSON *res, const char *what) {
    snprintf(c->title, sizeof c->title, "%s", what);
    snprintf(c->subtitle, sizeof c->subtitle, "%s, %s", str(res, "device"), str(res, "date"));
}

static int plot_attention(const cJSON *res, const char *prefix) {
    chart *c = calloc(1, sizeof *c);
    if (!c) return -1;
    titles(c, res, "attention: time per head against L (3-pass, flash, decode)");
    c->xlabel = "sequence length L (Lq = Lk; decode: Lq = 1)";
    c->ylabel = "ms per head";
    c->logx = c->logy = 1;
    for (const cJSON *r = cJSON_GetObjectItem(res, "rows")->child; r; r = r->next) {
        const char *kind = str(r, "case");
        if (strcmp(str(r, "status"), "ok") || (strcmp(kind, "sweep") && strcmp(kind, "decode"))) continue;
        char name[64];
        snprintf(name, sizeof name, "%s%s D=%g%s", str(r, "impl"), strcmp(kind, "decode") ? "" : " (Lq=1)",
                 num(r, "D"), strcmp(str(r, "causal"), "yes") ? "" : " causal");
        double heads = num(r, "B*H");
        series_add(c, name, num(r, "Lk"), num(r, "ms") / (heads > 0 ? heads : 1));
    }
    char path[1024];
    snprintf(path, sizeof path, "%s-time.svg", prefix);
    int rc = chart_write(c, path);
    free(c);
    return rc;
}

/* "copy 64 MiB f32 (read + write): Vulkan 9.20 GB/s, memcpy 33.56 GB/s, ratio 0.27" */
static void copy_lines(chart *c, const cJSON *res) {
    for (const cJSON *n = cJSON_GetObjectItem(res, "notes") ? cJSON_GetObjectItem(res, "notes")->child : NULL; n;
         n = n->next) {
        const char *p = cJSON_IsString(n) ? strstr(n->valuestring, "Vulkan ") : NULL;
        double vk, mc;
        if (p && strncmp(n->valuestring, "copy ", 5) == 0 && sscanf(p, "Vulkan %lf GB/s, memcpy %lf GB/s", &vk, &mc) == 2) {
            snprintf(c->line_name[0], sizeof c->line_name[0], "Vulkan copy %.1f GB/s", vk);
            snprintf(c->line_name[1], sizeof c->line_name[1], "memcpy %.1f GB/s", mc);
            c->line_y[0] = vk, c->line_y[1] = mc, c->n_lines = 2;
        }
    }
}

static int plot_gemm(const cJSON *res, const char *prefix) {
    chart *c = calloc(1, sizeof *c);
    if (!c) return -1;
    int wrote = 0, rc = 0;
    /* one GFLOP/s chart per N x K shape, in the order the rows give them */
    double shapes[8][2];
    int n_shapes = 0;
    const cJSON *rows = cJSON_GetObjectItem(res, "rows");
    for (const cJSON *r = rows->child; r; r = r->next) {
        double n = num(r, "N"), k = num(r, "K");
        int seen = 0;
        for (int i = 0; i < n_shapes; i++) seen |= shapes[i][0] == n && shapes[i][1] == k;
        if (!seen && n_shapes < 8 && n > 0 && k > 0) shapes[n_shapes][0] = n, shapes[n_shapes++][1] = k;
    }
    for (int sh = 0; sh < n_shapes && rc >= 0; sh++) {
        memset(c, 0, sizeof *c);
        char what[64];
        snprintf(what, sizeof what, "GEMM GFLOP/s against M, N=%g K=%g", shapes[sh][0], shapes[sh][1]);
        titles(c, res, what);
        c->xlabel = "M (rows of x)";
        c->ylabel = "GFLOP/s";
        c->logx = c->logy = 1;
        for (const cJSON *r = rows->child; r; r = r->next) {
            if (num(r, "N") != shapes[sh][0] || num(r, "K") != shapes[sh][1]) continue;
            series_add(c, str(r, "weights"), num(r, "M"), num(r, "GFLOP/s"));
            if (!strcmp(str(r, "weights"), "f32")) series_add(c, "OpenBLAS sgemm", num(r, "M"), num(r, "native_GFLOP/s"));
        }
        char path[1024];
        snprintf(path, sizeof path, "%s-gemm-%gx%g.svg", prefix, shapes[sh][0], shapes[sh][1]);
        if ((rc = chart_write(c, path)) > 0) wrote++;
    }
    if (rc >= 0) { /* GEMV: bars per weight type, one per shape, against copy bandwidth */
        memset(c, 0, sizeof *c);
        titles(c, res, "GEMV (M = 1) weight bandwidth");
        c->xlabel = "weight type";
        c->ylabel = "weight GB/s";
        c->logy = 1;
        for (const cJSON *r = rows->child; r; r = r->next) {
            if (num(r, "M") != 1) continue;
            int k = cat_index(c, str(r, "weights"));
            char name[64];
            snprintf(name, sizeof name, "N=%g K=%g", num(r, "N"), num(r, "K"));
            if (k >= 0) series_add(c, name, k, num(r, "weight_GB/s"));
        }
        copy_lines(c, res);
        char path[1024];
        snprintf(path, sizeof path, "%s-gemv.svg", prefix);
        if ((rc = chart_write(c, path)) > 0) wrote++;
    }
    free(c);
    return rc < 0 ? -1 : wrote;
}

int bench_plot_result(const char *json_path, const char *prefix) {
    cJSON *res = bench_result_load(json_path, "vkattn bench plot");
    if (!res) return -1;
    const char *kind = str(res, "benchmark");
    int rc;
    if (strcmp(kind, "attention") == 0) rc = plot_attention(res, prefix);
    else if (strcmp(kind, "gemm") == 0) rc = plot_gemm(res, prefix);
    else {
        fprintf(stderr, "vkattn bench plot: %s is a '%s' result; plots exist for attention and gemm results\n", json_path,
                kind);
        rc = -1;
    }
    cJSON_Delete(res);
    return rc;
}

int bench_plot(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: vkattn bench plot RESULT.json [-o PREFIX]\n\n"
                   "SVG charts from a `vkattn bench attention|gemm -o PREFIX` result (PREFIX defaults to the\n"
                   "file name without .json):\n"
                   "  attention  PREFIX-time.svg: ms per head against L for 3-pass, flash and decode\n"
                   "  gemm       PREFIX-gemm-NxK.svg: GFLOP/s against M per weight type and OpenBLAS;\n"
                   "             PREFIX-gemv.svg: GEMV weight GB/s per type against copy and memcpy\n"
                   "`vkattn bench attention|gemm -o PREFIX` writes these charts too.\n");
            return 0;
        }
        if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (argv[i][0] == '-' || in) {
            fprintf(stderr, "vkattn bench plot: unexpected argument '%s' (see --help)\n", argv[i]);
            return 2;
        } else in = argv[i];
    }
    if (!in) {
        fprintf(stderr, "vkattn bench plot: give a result file: vkattn bench plot RESULT.json [-o PREFIX]\n");
        return 2;
    }
    char prefix[1024];
    size_t n = strlen(in);
    snprintf(prefix, sizeof prefix, "%.*s", (int)(n > 5 && !strcmp(in + n - 5, ".json") ? n - 5 : n), in);
    int rc = bench_plot_result(in, out ? out : prefix);
    if (rc == 0) fprintf(stderr, "vkattn bench plot: %s has no rows to plot\n", in);
    return rc > 0 ? 0 : 1;
}
