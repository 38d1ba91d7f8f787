/* vkattn run: text generation with a GGUF model (or the built-in demo model), llama.cpp-style:
 * the prompt, then the generated text streamed as it comes, then timings. */
#include "bench_report.h"
#include "cli.h"
#include "demo_model.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct run_opts {
    const char *model, *prompt, *ids, *device, *dump_logits;
    uint32_t n_predict, n_ctx, n_batch;
    cli_sampling sampling;
    int ignore_eos, print_ids, kv_f32, load_memory;
} run_opts;

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn run [-m MODEL.gguf] [-p PROMPT] [-n N] [-c CTX] [--temp T] [--top-k K] [--top-p P]\n"
               "                  [--min-p P] [--repeat-penalty R] [--repeat-last-n N] [--frequency-penalty F]\n"
               "                  [--presence-penalty P] [--seed S] [--device D]\n\n"
               "Generates text: the prompt's tokens in one prefill, then one token at a time until an end-of-\n"
               "generation token or N tokens. Without -m runs the built-in demo model.\n\n"
               "  -m FILE               GGUF model (llama, qwen2, gpt2; F32/F16/BF16, Q4_0..Q8_0, K-quants, IQ4)\n"
               "  -p TEXT               prompt (default: empty: starts from BOS)\n"
               "  -n N                  tokens to generate (default 128; -1 = until end of generation or a full context)\n"
               "  -c N                  context length, the KV cache size (default: min(model's, 4096); 0 = model's)\n"
               "  -b N                  most tokens per forward chunk (default 512)\n"
               "sampling (llama.cpp's chain: penalties, top-k, top-p, min-p, temperature; --temp 0 without penalties:\n"
               "argmax on the device):\n"
               CLI_SAMPLING_USAGE
               "  --device D            device index, type or name substring\n"
               "  --ignore-eos          do not stop at end-of-generation tokens\n"
               "  --kv-f32              f32 KV cache and attention (default f16)\n"
               "tests and debugging:\n"
               "  --ids LIST            prompt as comma-separated token ids instead of -p\n"
               "  --print-ids           print the generated ids (one line) instead of text\n"
               "  --dump-logits FILE    write f32 logits: every prompt row, then each decode step's row\n"
               "  --load-memory         read -m into memory and load it from there (as the built-in model)\n"
               "environment: VKATTN_PROFILE=1 prints per-kernel GPU times at the end\n");
}

/* --ids: comma-separated token ids into a malloc'ed array; 2 after printing why when malformed. */
static int parse_ids(const char *s, int32_t **out, size_t *n) {
    uint32_t cap = 1, k = 0;
    for (const char *p = s; *p; p++) cap += *p == ',';
    uint32_t *ids = malloc(cap * sizeof *ids);
    int rc = ids ? cli_parse_list("run", "--ids", s, ',', 0, INT32_MAX, ids, cap, &k) : 1;
    if (rc) free(ids), ids = NULL;
    *out = (int32_t *)ids;
    *n = k;
    return rc;
}

static int parse_args(int argc, char **argv, run_opts *o) {
    cli_sampling_init(&o->sampling);
    o->n_predict = 128;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--ignore-eos") == 0) { o->ignore_eos = 1; continue; }
        if (strcmp(a, "--print-ids") == 0) { o->print_ids = 1; continue; }
        if (strcmp(a, "--kv-f32") == 0) { o->kv_f32 = 1; continue; }
        if (strcmp(a, "--load-memory") == 0) { o->load_memory = 1; continue; }
        int rc = 0;
        if (cli_sampling_option("run", a, v, &o->sampling, &rc)) {
            if (rc) return rc;
            i++;
            continue;
        }
        if (!v) {
            fprintf(stderr, "vkattn run: %s needs a value (see --help)\n", a);
            return 2;
        }
        i++;
        long long x = 0;
        if (strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) o->model = v;
        else if (strcmp(a, "-p") == 0 || strcmp(a, "--prompt") == 0) o->prompt = v;
        else if (strcmp(a, "--ids") == 0) {
            int32_t *ids;
            size_t n;
            rc = parse_ids(o->ids = v, &ids, &n);
            free(ids);
        }
        else if (strcmp(a, "--device") == 0) o->device = v;
        else if (strcmp(a, "--dump-logits") == 0) rc = cli_check_writable("run", a, o->dump_logits = v);
        else if (strcmp(a, "-n") == 0) rc = cli_parse_int("run", a, v, -1, INT32_MAX, &x), o->n_predict = x < 0 ? UINT32_MAX : (uint32_t)x;
        else if (strcmp(a, "-c") == 0) rc = cli_parse_int("run", a, v, 0, INT32_MAX, &x), o->n_ctx = x ? (uint32_t)x : VKATTN_N_CTX_TRAIN;
        else if (strcmp(a, "-b") == 0) rc = cli_parse_uint("run", a, v, 1, INT32_MAX, &o->n_batch);
        else {
            fprintf(stderr, "vkattn run: unknown option %s (see --help)\n", a);
            return 2;
        }
        if (rc) return rc;
    }
    return 0;
}

/* Prompt tokens from --ids or by tokenizing -p (with BOS as the model wants). */
static int prompt_tokens(const run_opts *o, vkattn_model *m, int32_t **out, size_t *n) {
    const vkattn_tokenizer *tok = vkattn_model_tokenizer(m);
    if (o->ids) return parse_ids(o->ids, out, n) ? 2 : 0;
    if (!tok) {
        fprintf(stderr, "vkattn run: the model has no tokenizer (tokenizer.ggml.*): pass the prompt with --ids\n");
        return 1;
    }
    const char *text = o->prompt ? o->prompt : "";
    vkattn_tokenizer_info ti;
    vkattn_tokenizer_get_info(tok, &ti);
    size_t need = 0;
    vkattn_tokenize(tok, text, strlen(text), 1, 1, NULL, 0, &need);
    int32_t *ids = malloc((need + 1) * sizeof *ids);
    vkattn_status st = ids ? vkattn_tokenize(tok, text, strlen(text), 1, 1, ids, need, n) : VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    if (st) {
        free(ids);
        return cli_fail("tokenizing the prompt", st, NULL);
    }
    if (*n == 0) { /* an empty prompt starts from BOS (or EOS, GPT-2's <|endoftext|>) */
        int32_t start = ti.bos_id >= 0 ? ti.bos_id : ti.eos_id;
        if (start < 0) {
            free(ids);
            fprintf(stderr, "vkattn run: empty prompt and the tokenizer has no BOS/EOS token: pass -p\n");
            return 2;
        }
        ids[0] = start;
        *n = 1;
    }
    *out = ids;
    return 0;
}

/* A long prompt's prefill on a terminal: "prefill 4096/10000 tokens", erased when done. */
static void prefill_progress(void *user, uint64_t done, uint64_t total) {
    (void)user;
    fprintf(stderr, "\rprefill %llu/%llu tokens", (unsigned long long)done, (unsigned long long)total);
    if (done >= total) fprintf(stderr, "\r%40s\r", "");
    fflush(stderr);
}

/* Streams one token's text (or id) to stdout. */
static void emit(vkattn_detok *d, int32_t id, int print_ids) {
    if (print_ids) {
        printf("%d ", id);
        return;
    }
    char buf[4096];
    size_t n = 0;
    if (d && vkattn_detok_push(d, id, buf, sizeof buf, &n) == VKATTN_OK) fwrite(buf, 1, n, stdout);
    fflush(stdout);
}

static int generate(const run_opts *o, vkattn_context *ctx, vkattn_model *m, double load_ms) {
    vkattn_model_info mi;
    vkattn_model_get_info(m, &mi);
    const vkattn_tokenizer *tok = vkattn_model_tokenizer(m);
    int32_t *prompt = NULL;
    size_t n_prompt = 0;
    int rc = prompt_tokens(o, m, &prompt, &n_prompt);
    if (rc) return rc;
    const uint32_t V = mi.n_vocab;
    const vkattn_sampler_desc sd = cli_sampling_desc(&o->sampling, mi.n_ctx);
    const int penalties = sd.penalty_last_n && ((sd.repeat_penalty > 0 && sd.repeat_penalty != 1) ||
                                                sd.frequency_penalty != 0 || sd.presence_penalty != 0);
    const int greedy = sd.temperature <= 0 && !penalties && !o->dump_logits;
    float *logits = malloc((size_t)V * (n_prompt > 0 ? n_prompt : 1) * sizeof *logits);
    FILE *dump = o->dump_logits ? fopen(o->dump_logits, "wb") : NULL;
    vkattn_sampler *smp = NULL;
    vkattn_detok *dt = NULL;
    vkattn_status st = logits ? vkattn_sampler_create(&sd, &smp) : VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    if (st) rc = cli_fail("sampler", st, NULL);
    if (!rc && o->dump_logits && !dump) rc = (fprintf(stderr, "vkattn run: cannot write %s\n", o->dump_logits), 1);
    if (!rc && tok && (st = vkattn_detok_create(tok, VKATTN_DETOK_STRIP_PREFIX, &dt))) rc = cli_fail("detokenizer", st, NULL);
    if (!rc && o->n_predict != UINT32_MAX && (uint64_t)n_prompt + o->n_predict > mi.n_ctx)
        fprintf(stderr, "vkattn run: note: prompt (%zu) + -n %u exceed the context of %u tokens: generation stops there\n",
                n_prompt, o->n_predict, mi.n_ctx);
    for (size_t i = 0; !rc && i < n_prompt; i++) vkattn_sampler_accept(smp, prompt[i]);

    double t_prompt = 0, t_gen = 0;
    uint32_t n_gen = 0;
    int32_t tok_id = -1;
    if (!rc) {
        double t0 = bench_now_ms();
        if (greedy) st = vkattn_model_eval_argmax(m, prompt, (uint32_t)n_prompt, 0, &tok_id);
        else st = vkattn_model_eval(m, prompt, (uint32_t)n_prompt, 0, o->dump_logits != NULL, logits);
        t_prompt = bench_now_ms() - t0;
        if (st) rc = cli_fail("prompt", st, ctx);
        const float *last = logits + (o->dump_logits ? (n_prompt - 1) * V : 0);
        if (!rc && dump) fwrite(logits, sizeof *logits, (size_t)V * n_prompt, dump);
        if (!rc && !greedy && (st = vkattn_sampler_sample(smp, last, V, &tok_id))) rc = cli_fail("sampling", st, NULL);
    }
    /* the prompt as given (after the prefill, whose progress line on a terminal would overwrite it) */
    if (!rc && !o->print_ids && tok && !o->ids) {
        fputs(o->prompt ? o->prompt : "", stdout);
        fflush(stdout);
    }
    uint32_t pos = (uint32_t)n_prompt;
    double t1 = bench_now_ms();
    while (!rc && n_gen < o->n_predict) {
        if (!o->ignore_eos && tok && vkattn_tokenizer_is_eog(tok, tok_id)) break;
        emit(dt, tok_id, o->print_ids);
        vkattn_sampler_accept(smp, tok_id);
        n_gen++;
        if (n_gen == o->n_predict || pos + 1 > mi.n_ctx) break;
        if (greedy) st = vkattn_model_eval_argmax(m, &tok_id, 1, pos, &tok_id);
        else st = vkattn_model_eval(m, &tok_id, 1, pos, 0, logits);
        pos++;
        if (st) rc = cli_fail("decoding", st, ctx);
        else if (dump) fwrite(logits, sizeof *logits, V, dump);
        if (!rc && !greedy && (st = vkattn_sampler_sample(smp, logits, V, &tok_id))) rc = cli_fail("sampling", st, NULL);
    }
    t_gen = bench_now_ms() - t1;
    if (dt && !o->print_ids) {
        char buf[8];
        size_t n = 0;
        if (vkattn_detok_flush(dt, buf, sizeof buf, &n) == VKATTN_OK) fwrite(buf, 1, n, stdout);
    }
    printf("\n");
    fflush(stdout);
    if (!rc) {
        fprintf(stderr, "\nmodel: %s %s, %u layers, %u dim, %u/%u heads, vocab %u, %.1fM params, weights %s (%.3f MiB on the "
                "device); KV cache %s, %u tokens\n",
                mi.arch, mi.name, mi.n_layer, mi.n_embd, mi.n_head, mi.n_head_kv, mi.n_vocab, mi.n_params / 1e6, mi.weight_type,
                mi.weight_bytes / 1048576.0, vkattn_dtype_string(mi.kv_dtype), mi.n_ctx);
        fprintf(stderr, "load time:   %10.2f ms\n", load_ms);
        fprintf(stderr, "prompt eval: %10.2f ms / %4zu tokens (%8.2f tok/s)\n", t_prompt, n_prompt,
                t_prompt > 0 ? n_prompt * 1e3 / t_prompt : 0);
        fprintf(stderr, "generation:  %10.2f ms / %4u tokens (%8.2f tok/s)%s\n", t_gen, n_gen > 0 ? n_gen - 1 : 0,
                t_gen > 0 && n_gen > 1 ? (n_gen - 1) * 1e3 / t_gen : 0, greedy ? " greedy, argmax on the device" : "");
    }
    if (dump) fclose(dump);
    vkattn_detok_destroy(dt);
    vkattn_sampler_destroy(smp);
    free(logits);
    free(prompt);
    return rc;
}

int cmd_run(int argc, char **argv) {
    run_opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    size_t size = 0;
    const void *data = NULL;
    char *file = NULL;
    if (!o.model && !(data = demo_model_data(&size))) {
        fprintf(stderr, "vkattn run: no built-in model in this build: pass -m MODEL.gguf\n");
        return 2;
    }
    if (o.model && o.load_memory) {
        if (!(file = cli_read_file(o.model, &size))) {
            fprintf(stderr, "vkattn run: cannot read %s\n", o.model);
            return 1;
        }
        data = file;
        o.model = NULL;
    }
    const char *prof = getenv("VKATTN_PROFILE");
    const int profiling = prof && *prof && strcmp(prof, "0") != 0;
    vkattn_context *ctx = cli_context(o.device, profiling);
    if (!ctx) {
        free(file);
        return 1;
    }
    vkattn_model_desc md = {.n_ctx = o.n_ctx, .n_batch = o.n_batch, .kv_f32 = o.kv_f32};
    if (isatty(2)) md.eval_progress = prefill_progress;
    double load_ms = 0;
    vkattn_model *m = cli_load_model(ctx, o.model, data, size, &md, &load_ms);
    if (!m) rc = 1;
    else {
        if (profiling) vkattn_profile_reset(ctx);
        rc = generate(&o, ctx, m, load_ms);
        if (profiling) cli_print_profile(ctx, stderr);
    }
    vkattn_model_destroy(m);
    vkattn_context_destroy(ctx);
    free(file);
    return rc;
}
