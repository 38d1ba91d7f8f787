/* vkattn bench startup: how long a context takes to become useful, with a cold
 * pipeline cache (first run after install or driver update) and a warm one
 * (every later run), for two workloads: one small call of each op, and the README's
 * first command (the built-in demo model's first generation, as scripts/run.sh starts).
 * Mesa's own shader cache is disabled unless --driver-cache, so that only vkattn's
 * VkPipelineCache is measured. */
#include "bench.h"
#include "demo_model.h"

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

static vkattn_status ops_workload(vkattn_context *ctx, double *first_token_ms) {
    *first_token_ms = 0;
    vkattn_status st = layer_ops(ctx, VKATTN_F32);
    if (!st) st = layer_ops(ctx, VKATTN_F16);
    return st;
}

/* scripts/run.sh's first generation, shortened: the demo model, its prompt, 16 greedy tokens
 * (`vkattn run -p "The meaning of life" -n 16 --temp 0`). The first token's time is the cold
 * start a new user waits through. */
#define DEMO_PROMPT "The meaning of life"
enum { DEMO_TOKENS = 16 };

static vkattn_status demo_workload(vkattn_context *ctx, double *first_token_ms) {
    size_t size = 0;
    const void *data = demo_model_data(&size);
    if (!data) return VKATTN_ERROR_UNSUPPORTED;
    double t0 = bench_now_ms();
    vkattn_model *m = NULL;
    vkattn_status st = vkattn_model_load_memory(ctx, data, size, &(vkattn_model_desc){0}, &m);
    int32_t ids[64], tok = 0;
    size_t n = 0;
    if (!st) st = vkattn_tokenize(vkattn_model_tokenizer(m), DEMO_PROMPT, strlen(DEMO_PROMPT), 1, 1, ids, 64, &n);
    if (!st) st = vkattn_model_eval_argmax(m, ids, (uint32_t)n, 0, &tok);
    *first_token_ms = bench_now_ms() - t0;
    for (uint32_t i = 1; !st && i < DEMO_TOKENS; i++) st = vkattn_model_eval_argmax(m, &tok, 1, (uint32_t)n + i - 1, &tok);
    vkattn_model_destroy(m);
    return st;
}

typedef vkattn_status (*workload_fn)(vkattn_context *ctx, double *first_token_ms);

static int run_once(const char *device, const char *cache_dir, bench_report *r, const char *workload_name,
                    workload_fn workload, const char *label, double *total) {
    double t0 = bench_now_ms(), first_token = 0;
    vkattn_context_desc desc = {.device = device, .cache_dir = cache_dir};
    vkattn_context *ctx = NULL;
    vkattn_status st = vkattn_context_create(&desc, &ctx);
    if (st) return cli_fail("creating the context", st, NULL);
    double t1 = bench_now_ms();
    st = workload(ctx, &first_token);
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
    bench_col_str(r, "workload", workload_name);
    bench_col_str(r, "run", label);
    bench_col_str(r, "cache", s.pipeline_cache_loaded ? "loaded" : "empty");
    bench_col_num(r, "context_ms", t1 - t0, "%.1f");
    bench_col_num(r, "pipelines", (double)s.pipelines_created, "%.0f");
    bench_col_num(r, "pipeline_ms", s.pipeline_create_ms, "%.1f");
    bench_col_num(r, "workload_ms", t2 - t1, "%.1f");
    if (first_token > 0) bench_col_num(r, "first_token_ms", first_token, "%.1f");
    else bench_col_str(r, "first_token_ms", "-");
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
                   "Creates a context and runs a workload twice: first with an empty pipeline cache,\n"
                   "then with the cache the first run saved. Two workloads: one small call of each op,\n"
                   "and the README's first command, the built-in demo model's first generation\n"
                   "(\"" DEMO_PROMPT "\", 16 greedy tokens; first_token_ms is its prompt's time,\n"
                   "model load included). Writes PREFIX.json/.md.\n"
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
    static const struct {
        const char *name;
        workload_fn fn;
    } workloads[] = {{"ops", ops_workload}, {"demo", demo_workload}};
    int rc = 0;
    for (size_t w = 0; w < sizeof workloads / sizeof workloads[0] && !rc; w++) {
        if (workloads[w].fn == demo_workload && !demo_model_data(NULL)) {
            bench_note(r, "demo: skipped, this build has no built-in model (-DVKATTN_DEMO_MODEL=OFF)");
            continue;
        }
        /* each workload starts from empty caches */
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'/*", dir);
        if (w && system(cmd) != 0) fprintf(stderr, "note: could not empty %s\n", dir);
        double cold = 0, warm = 0;
        rc = run_once(device, dir, r, workloads[w].name, workloads[w].fn, "first", &cold) ||
             run_once(device, dir, r, workloads[w].name, workloads[w].fn, "second", &warm);
        if (!rc) bench_note(r, "%s: second run / first run total time: %.2f", workloads[w].name, warm / cold);
    }
    bench_note(r, "driver shader cache (Mesa): %s", driver_cache ? "on, empty at the first run" : "off");
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
