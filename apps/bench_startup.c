/* vkattn bench startup: how long a context takes to become useful, with a cold
 * pipeline cache (first run after install or driver update) and a warm one
 * (every later run). Mesa's own shader cache is disabled so that only
 * vkattn's VkPipelineCache is measured. */
#include "bench.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One small call of each op a transformer layer uses (norm, linear, RoPE, the three attention
 * paths, activations, residual, softmax, argmax), in f32 and f16 (packed words without 16-bit
 * storage): every pipeline of a typical model run gets created. */
static vkattn_status layer_ops(vkattn_context *ctx, vkattn_dtype dt) {
    enum { L = 64, H = 2, D = 32, E = H * D };
    vkattn_tensor *x = NULL, *y = NULL, *w = NULL, *q = NULL, *o = NULL, *q1 = NULL, *o1 = NULL, *idx = NULL;
    vkattn_status st = vkattn_tensor_create(ctx, dt, 2, (int64_t[]){L, E}, &x);
    if (!st) st = vkattn_tensor_create(ctx, dt, 2, (int64_t[]){L, E}, &y);
    if (!st) st = vkattn_tensor_create(ctx, dt, 2, (int64_t[]){E, E}, &w);
    if (!st) st = vkattn_tensor_create(ctx, dt, 4, (int64_t[]){1, H, L, D}, &q);
    if (!st) st = vkattn_tensor_create(ctx, dt, 4, (int64_t[]){1, H, L, D}, &o);
    if (!st) st = vkattn_tensor_create(ctx, dt, 4, (int64_t[]){1, H, 1, D}, &q1);
    if (!st) st = vkattn_tensor_create(ctx, dt, 4, (int64_t[]){1, H, 1, D}, &o1);
    if (!st) st = vkattn_tensor_create(ctx, VKATTN_I32, 1, (int64_t[]){L}, &idx);
    if (!st) st = vkattn_fill(ctx, x, 0.5f);
    if (!st) st = vkattn_fill(ctx, w, 0.01f);
    if (!st) st = vkattn_fill(ctx, q, 0.1f);
    if (!st) st = vkattn_fill(ctx, q1, 0.1f);
    int open = !st && vkattn_begin(ctx) == VKATTN_OK;
    if (!st && !open) st = VKATTN_ERROR_STATE;
    if (!st) st = vkattn_rms_norm(ctx, x, NULL, 1e-6f, y);
    if (!st) st = vkattn_layer_norm(ctx, x, NULL, NULL, 1e-5f, y);
    if (!st) st = vkattn_linear(ctx, y, w, NULL, x);
    if (!st) st = vkattn_rope(ctx, q, o, &(vkattn_rope_desc){0});
    for (int impl = VKATTN_ATTN_3PASS; !st && impl <= VKATTN_ATTN_FLASH; impl++)
        st = vkattn_attention(ctx, q, q, q, o, &(vkattn_attention_desc){.causal = 1, .impl = (vkattn_attn_impl)impl});
    if (!st) st = vkattn_attention(ctx, q1, q, q, o1, &(vkattn_attention_desc){.impl = VKATTN_ATTN_DECODE});
    if (!st) st = vkattn_silu(ctx, x, y);
    if (!st) st = vkattn_gelu(ctx, y, x, 0);
    if (!st) st = vkattn_add(ctx, x, y, x);
    if (!st) st = vkattn_softmax(ctx, x, y);
    if (!st) st = vkattn_argmax(ctx, y, idx);
    if (open) {
        vkattn_status sub = vkattn_submit(ctx); /* closes the batch even after an error */
        if (!st) st = sub;
    }
    vkattn_tensor *all[] = {x, y, w, q, o, q1, o1, idx};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) vkattn_tensor_destroy(all[i]);
    return st;
}

static vkattn_status workload(vkattn_context *ctx) {
    vkattn_status st = layer_ops(ctx, VKATTN_F32);
    if (!st) st = layer_ops(ctx, VKATTN_F16);
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
    int driver_cache = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            printf("usage: vkattn bench startup [--device D] [--driver-cache] [-o PREFIX]\n\n"
                   "Creates a context and runs one small call of each op twice: first with an empty\n"
                   "pipeline cache, then with the cache the first run saved. Writes PREFIX.json/.md.\n"
                   "Mesa's own shader cache is off unless --driver-cache (then it starts empty too):\n"
                   "lavapipe compiles shaders at first dispatch, which only Mesa's cache keeps.\n");
            return 0;
        } else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) device = argv[++i];
        else if (strcmp(argv[i], "--driver-cache") == 0) driver_cache = 1;
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) out = argv[++i];
        else {
            fprintf(stderr, "vkattn bench startup: unknown option %s (see --help)\n", argv[i]);
            return 2;
        }
    }
    char dir[] = "/tmp/vkattn-startup-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("vkattn bench startup: mkdtemp");
        return 1;
    }
    char mesa_dir[sizeof dir + 8];
    snprintf(mesa_dir, sizeof mesa_dir, "%s/mesa", dir);
    if (driver_cache) {
        unsetenv("MESA_SHADER_CACHE_DISABLE");
        setenv("MESA_SHADER_CACHE_DIR", mesa_dir, 1); /* empty at the first run */
    } else {
        setenv("MESA_SHADER_CACHE_DISABLE", "true", 1);
    }
    vkattn_context *probe = cli_context(device, 0);
    if (!probe) return 1;
    bench_report *r = bench_report_create("startup", probe);
    vkattn_context_destroy(probe);
    double cold = 0, warm = 0;
    int rc = run_once(device, dir, r, "first", &cold) || run_once(device, dir, r, "second", &warm);
    bench_note(r, "driver shader cache (Mesa): %s", driver_cache ? "on, empty at the first run" : "off");
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
