/* vkattn bench startup: how long a context takes to become useful, with a cold
 * pipeline cache (first run after install or driver update) and a warm one
 * (every later run). Mesa's own shader cache is disabled so that only
 * vkattn's VkPipelineCache is measured. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One small call of each op, so that every pipeline of a typical run gets created. */
static vkattn_status workload(vkattn_context *ctx) {
    int64_t shape[2] = {64, 64};
    vkattn_tensor *a = NULL, *b = NULL, *h = NULL;
    vkattn_status st = vkattn_tensor_create(ctx, VKATTN_F32, 2, shape, &a);
    if (!st) st = vkattn_tensor_create(ctx, VKATTN_F32, 2, shape, &b);
    if (!st) st = vkattn_fill(ctx, a, 1.0f);
    if (!st) st = vkattn_copy(ctx, a, b);
    if (!st && vkattn_context_device(ctx)->storage16) {
        st = vkattn_tensor_create(ctx, VKATTN_F16, 2, shape, &h);
        if (!st) st = vkattn_copy(ctx, a, h);
        if (!st) st = vkattn_copy(ctx, h, b);
    }
    vkattn_tensor_destroy(a);
    vkattn_tensor_destroy(b);
    vkattn_tensor_destroy(h);
    return st;
}

static int run_once(const char *device, const char *cache_dir, bench_report *r, const char *label, double *total) {
    double t0 = bench_now_ms();
    vkattn_context_desc desc = {.device = device, .cache_dir = cache_dir};
    vkattn_context *ctx = NULL;
    vkattn_status st = vkattn_context_create(&desc, &ctx);
    if (st) return cli_fail("creating the context", st, NULL);
    double t1 = bench_now_ms();
    st = workload(ctx);
    double t2 = bench_now_ms();
    if (st) {
        cli_fail("running the workload", st, ctx);
        vkattn_context_destroy(ctx);
        return 1;
    }
    vkattn_stats s;
    vkattn_context_stats(ctx, &s);
    vkattn_context_destroy(ctx); /* saves the cache */
    double t3 = bench_now_ms();
    bench_row_begin(r);
    bench_col_str(r, "run", label);
    bench_col_str(r, "cache", s.pipeline_cache_loaded ? "loaded" : "empty");
    bench_col_num(r, "context_ms", t1 - t0, "%.1f");
    bench_col_num(r, "pipelines", (double)s.pipelines_created, "%.0f");
    bench_col_num(r, "pipeline_ms", s.pipeline_create_ms, "%.1f");
    bench_col_num(r, "workload_ms", t2 - t1, "%.1f");
    bench_col_num(r, "destroy_ms", t3 - t2, "%.1f");
    bench_col_num(r, "total_ms", t3 - t0, "%.1f");
    bench_row_end(r);
    *total = t3 - t0;
    return 0;
}

int bench_startup(int argc, char **argv) {
    const char *device = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vkattn bench startup [--device D] [-o PREFIX]\n\n"
                   "Creates a context and runs one small call of each op twice: first with an empty\n"
                   "pipeline cache, then with the cache the first run saved. Writes PREFIX.json/.md.\n");
            return 0;
        } else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) device = argv[++i];
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) out = argv[++i];
        else {
            fprintf(stderr, "vkattn bench startup: unknown option %s (see --help)\n", argv[i]);
            return 2;
        }
    }
    setenv("MESA_SHADER_CACHE_DISABLE", "true", 1);
    char dir[] = "/tmp/vkattn-startup-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("vkattn bench startup: mkdtemp");
        return 1;
    }
    vkattn_context *probe = cli_context(device, 0);
    if (!probe) return 1;
    bench_report *r = bench_report_create("startup", probe);
    vkattn_context_destroy(probe);
    double cold = 0, warm = 0;
    int rc = run_once(device, dir, r, "first", &cold) || run_once(device, dir, r, "second", &warm);
    if (!rc) bench_note(r, "second run / first run total time: %.2f", warm / cold);
    if (!rc && out && bench_report_save(r, out)) {
        fprintf(stderr, "vkattn bench startup: cannot write %s.json/.md\n", out);
        rc = 1;
    }
    bench_report_destroy(r);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "note: could not remove %s\n", dir);
    return rc;
}
