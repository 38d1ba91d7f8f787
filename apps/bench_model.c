/* vkattn bench model: prompt processing (ppN) and token generation (tgN) tok/s of a GGUF model, as
 * llama-bench measures them: ppN evaluates N random tokens from an empty cache in one call; tgN
 * generates N tokens one at a time from an empty cache (each step's logits read back). One warm-up
 * run, then -r repetitions: mean and standard deviation of tok/s. Needs no tokenizer. */
#include "bench.h"

#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    double mean, sd;
} rate;

static rate stats(const double *v, int n) {
    rate r = {0, 0};
    for (int i = 0; i < n; i++) r.mean += v[i];
    r.mean /= n;
    for (int i = 0; i < n; i++) r.sd += (v[i] - r.mean) * (v[i] - r.mean);
    r.sd = n > 1 ? sqrt(r.sd / (n - 1)) : 0;
    return r;
}

/* tok/s of one pp (gen = 0) or tg (gen = 1) run of n tokens. */
static vkattn_status run(vkattn_model *m, const int32_t *toks, uint32_t n, int gen, float *logits, double *tps) {
    double t0 = bench_now_ms();
    vkattn_status st = VKATTN_OK;
    if (!gen) st = vkattn_model_eval(m, toks, n, 0, 0, logits);
    for (uint32_t i = 0; gen && i < n && !st; i++) st = vkattn_model_eval(m, toks + i, 1, i, 0, logits);
    *tps = n * 1e3 / (bench_now_ms() - t0);
    return st;
}

int bench_model(int argc, char **argv) {
    const char *model = NULL, *device = NULL, *out = NULL;
    uint32_t n_prompt = 512, n_gen = 128, reps = 3, n_batch = 0;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            printf("usage: vkattn bench model -m MODEL.gguf [-p 512] [-n 128] [-r 3] [-b N] [--device D] [--json] [-o PREFIX]\n\n"
                   "pp<P>: a P-token prompt from an empty cache; tg<N>: N single-token steps from an empty cache\n"
                   "(llama-bench's tests). -p 0 or -n 0 skips one. -b: tokens per forward chunk (default P, as\n"
                   "llama-bench's ubatch 512). --json prints the report as JSON on stdout.\n");
            return 0;
        }
        if (strcmp(a, "--json") == 0) { json = 1; continue; }
        if (!v) {
            fprintf(stderr, "vkattn bench model: %s needs a value\n", a);
            return 2;
        }
        i++;
        int rc = 0;
        if (strcmp(a, "-m") == 0) model = v;
        else if (strcmp(a, "--device") == 0) device = v;
        else if (strcmp(a, "-o") == 0) out = v;
        else if (strcmp(a, "-p") == 0) rc = cli_parse_uint("bench model", a, v, 0, 1u << 20, &n_prompt);
        else if (strcmp(a, "-n") == 0) rc = cli_parse_uint("bench model", a, v, 0, 1u << 20, &n_gen);
        else if (strcmp(a, "-r") == 0) rc = cli_parse_uint("bench model", a, v, 1, 100, &reps);
        else if (strcmp(a, "-b") == 0) rc = cli_parse_uint("bench model", a, v, 0, 1u << 20, &n_batch);
        else {
            fprintf(stderr, "vkattn bench model: unknown option %s (see --help)\n", a);
            return 2;
        }
        if (rc) return rc;
    }
    if (!model) {
        fprintf(stderr, "vkattn bench model: needs -m MODEL.gguf\n");
        return 2;
    }
    const char *prof = getenv("VKATTN_PROFILE");
    const int profiling = prof && *prof && strcmp(prof, "0") != 0;
    vkattn_context *ctx = cli_context(device, profiling);
    if (!ctx) return 1;
    uint32_t n_ctx = (n_prompt > n_gen ? n_prompt : n_gen) + 1;
    vkattn_model_desc md = {.n_ctx = n_ctx, .n_batch = n_batch ? n_batch : n_prompt ? n_prompt : 1};
    double load_ms = 0;
    vkattn_model *m = cli_load_model(ctx, model, NULL, 0, &md, &load_ms);
    if (!m) {
        vkattn_context_destroy(ctx);
        return 1;
    }
    vkattn_model_info mi;
    vkattn_model_get_info(m, &mi);
    uint32_t nt = n_prompt > n_gen ? n_prompt : n_gen;
    int32_t *toks = malloc((nt ? nt : 1) * sizeof *toks);
    float *logits = malloc((size_t)mi.n_vocab * sizeof *logits);
    uint64_t seed = 12345;
    for (uint32_t i = 0; toks && i < nt; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        toks[i] = (int32_t)((seed >> 33) % mi.n_vocab);
    }
    bench_report *r = bench_report_create("model", ctx);
    /* --json: stdout carries only the JSON, so the report's console rows go to /dev/null meanwhile */
    int saved_stdout = -1;
    if (json) {
        fflush(stdout);
        int null_fd = open("/dev/null", O_WRONLY);
        saved_stdout = null_fd >= 0 ? dup(1) : -1;
        if (saved_stdout >= 0) dup2(null_fd, 1);
        if (null_fd >= 0) close(null_fd);
    }
    int rc = toks && logits ? 0 : 1;
    char mname[160];
    snprintf(mname, sizeof mname, "%s %.0fM %s", mi.arch, mi.n_params / 1e6, mi.weight_type);
    if (!json) fprintf(stderr, "model %s: %u layers, %u dim, %u/%u heads, ff %u, vocab %u; loaded in %.0f ms\n", mname, mi.n_layer,
                       mi.n_embd, mi.n_head, mi.n_head_kv, mi.n_ff, mi.n_vocab, load_ms);
    for (int test = 0; test < 2 && !rc; test++) {
        uint32_t n = test ? n_gen : n_prompt;
        if (!n) continue;
        double v[100], warm;
        vkattn_status st = run(m, toks, n, test, logits, &warm);
        if (profiling) vkattn_profile_reset(ctx);
        for (uint32_t k = 0; k < reps && !st; k++) st = run(m, toks, n, test, logits, &v[k]);
        if (st) {
            rc = cli_fail(test ? "token generation" : "prompt processing", st, ctx);
            break;
        }
        if (profiling) {
            fprintf(stderr, "%s%u GPU time per kernel over %u runs:\n", test ? "tg" : "pp", n, reps);
            cli_print_profile(ctx, stderr);
        }
        rate s = stats(v, (int)reps);
        char name[32];
        snprintf(name, sizeof name, "%s%u", test ? "tg" : "pp", n);
        bench_row_begin(r);
        bench_col_str(r, "model", mname);
        bench_col_num(r, "size_mib", mi.weight_bytes / 1048576.0, "%.1f");
        bench_col_num(r, "params_m", mi.n_params / 1e6, "%.1f");
        bench_col_str(r, "kv", vkattn_dtype_string(mi.kv_dtype));
        bench_col_str(r, "test", name);
        bench_col_num(r, "tok_s", s.mean, "%.2f");
        bench_col_num(r, "stddev", s.sd, "%.2f");
        bench_col_num(r, "reps", reps, "%.0f");
        bench_row_end(r);
    }
    if (!rc) bench_note(r, "model file %s; pp: one call of P tokens from an empty cache; tg: N single-token steps", model);
    FILE *la = fopen("/proc/loadavg", "r"); /* a shared machine: say how busy it was */
    char load[64] = "";
    if (la && fgets(load, sizeof load, la)) {
        load[strcspn(load, "\n")] = 0;
        if (!rc) bench_note(r, "load average at the end (1/5/15 min, running/total, last pid): %s", load);
    }
    if (la) fclose(la);
    if (!rc && out && bench_report_save(r, out)) rc = (fprintf(stderr, "vkattn bench model: cannot write %s.json/.md\n", out), 1);
    if (saved_stdout >= 0) {
        fflush(stdout);
        dup2(saved_stdout, 1);
        close(saved_stdout);
    }
    if (!rc && json) {
        char tmpl[] = "/tmp/vkattn-bench-model-XXXXXX";
        int fd = mkstemp(tmpl);
        if (fd >= 0) {
            close(fd);
            if (bench_report_save(r, tmpl) == 0) {
                char path[64];
                snprintf(path, sizeof path, "%s.json", tmpl);
                FILE *f = fopen(path, "r");
                int c;
                while (f && (c = fgetc(f)) != EOF) putchar(c);
                if (f) fclose(f);
                remove(path);
                snprintf(path, sizeof path, "%s.md", tmpl);
                remove(path);
            }
            remove(tmpl);
        }
    }
    bench_report_destroy(r);
    free(toks);
    free(logits);
    vkattn_model_destroy(m);
    vkattn_context_destroy(ctx);
    return rc;
}
