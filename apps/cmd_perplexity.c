/* vkattn perplexity: llama.cpp's perplexity method. The file's tokens (with BOS when the model adds
 * one) are cut into windows of CTX tokens; each window is evaluated from an empty cache (its first
 * token replaced by BOS when the model adds one) and the second half is scored: the logits at window
 * positions [CTX/2, CTX - 1) predict the tokens after them. PPL = exp(mean negative log-likelihood). */
#include "bench_report.h"
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn perplexity -m MODEL.gguf -f TEXT.txt [-c CTX] [-b N] [--chunks K] [--device D]\n\n"
               "  -c CTX       window length in tokens (default 512, at least 4); the second half of each is scored\n"
               "  -b N         most tokens per forward chunk (default or 0: CTX)\n"
               "  --chunks K   score only the first K windows (default or 0: all)\n");
}

/* -log softmax(logits)[target], in double. */
static double nll(const float *logits, uint32_t V, int32_t target) {
    double mx = logits[0];
    for (uint32_t i = 1; i < V; i++)
        if (logits[i] > mx) mx = logits[i];
    double sum = 0;
    for (uint32_t i = 0; i < V; i++) sum += exp(logits[i] - mx);
    return log(sum) - (logits[target] - mx);
}

int cmd_perplexity(int argc, char **argv) {
    const char *model = NULL, *file = NULL, *device = NULL;
    uint32_t ctx_len = 512, n_batch = 0, max_chunks = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "vkattn perplexity: %s needs a value\n", argv[i]);
            return 2;
        }
        const char *a = argv[i], *v = argv[++i];
        int rc = 0;
        if (strcmp(a, "-m") == 0) model = v;
        else if (strcmp(a, "-f") == 0) file = v;
        else if (strcmp(a, "--device") == 0) device = v;
        else if (strcmp(a, "-c") == 0) rc = cli_parse_uint("perplexity", a, v, 4, INT32_MAX, &ctx_len);
        else if (strcmp(a, "-b") == 0) rc = cli_parse_uint("perplexity", a, v, 0, INT32_MAX, &n_batch);
        else if (strcmp(a, "--chunks") == 0) rc = cli_parse_uint("perplexity", a, v, 0, INT32_MAX, &max_chunks);
        else {
            fprintf(stderr, "vkattn perplexity: unknown option %s\n", a);
            return 2;
        }
        if (rc) return rc;
    }
    if (!model || !file) {
        usage(stderr);
        return 2;
    }
    size_t text_len = 0;
    char *text = cli_read_file(file, &text_len);
    if (!text) {
        fprintf(stderr, "vkattn perplexity: cannot read %s\n", file);
        return 1;
    }
    vkattn_context *ctx = cli_context(device, 0);
    if (!ctx) {
        free(text);
        return 1;
    }
    vkattn_model_desc md = {.n_ctx = ctx_len, .n_batch = n_batch ? n_batch : ctx_len};
    vkattn_model *m = cli_load_model(ctx, model, NULL, 0, &md, NULL);
    int rc = m ? 0 : 1;
    const vkattn_tokenizer *tok = m ? vkattn_model_tokenizer(m) : NULL;
    if (m && !tok) rc = (fprintf(stderr, "vkattn perplexity: %s has no tokenizer\n", model), 1);
    int32_t *ids = NULL;
    float *logits = NULL;
    size_t n_ids = 0;
    if (!rc) {
        size_t need = 0;
        vkattn_tokenize(tok, text, text_len, 1, 0, NULL, 0, &need);
        ids = malloc((need ? need : 1) * sizeof *ids);
        vkattn_status st = ids ? vkattn_tokenize(tok, text, text_len, 1, 0, ids, need, &n_ids) : VKATTN_ERROR_OUT_OF_HOST_MEMORY;
        if (st) rc = cli_fail("tokenizing", st, NULL);
    }
    vkattn_model_info mi;
    vkattn_model_get_info(m, &mi);
    uint32_t n_chunks = (uint32_t)(n_ids / ctx_len);
    if (max_chunks && n_chunks > max_chunks) n_chunks = max_chunks;
    if (!rc && n_chunks == 0)
        rc = (fprintf(stderr, "vkattn perplexity: %s has %zu tokens, fewer than one window of -c %u\n", file, n_ids, ctx_len), 1);
    if (!rc && !(logits = malloc((size_t)ctx_len * mi.n_vocab * sizeof *logits)))
        rc = (fprintf(stderr, "vkattn perplexity: out of host memory\n"), 1);
    vkattn_tokenizer_info ti;
    if (tok) vkattn_tokenizer_get_info(tok, &ti);
    if (!rc) fprintf(stderr, "perplexity: %zu tokens, %u windows of %u tokens\n", n_ids, n_chunks, ctx_len);
    double sum = 0, sum2 = 0, t0 = bench_now_ms();
    uint64_t count = 0;
    const uint32_t first = ctx_len / 2;
    for (uint32_t c = 0; !rc && c < n_chunks; c++) {
        int32_t *w = ids + (size_t)c * ctx_len;
        const int32_t saved = w[0];
        if (ti.add_bos && ti.bos_id >= 0) w[0] = ti.bos_id;
        vkattn_status st = vkattn_model_eval(m, w, ctx_len, 0, 1, logits);
        w[0] = saved;
        if (st) {
            rc = cli_fail("evaluating", st, ctx);
            break;
        }
        for (uint32_t j = first; j + 1 < ctx_len; j++) {
            double v = nll(logits + (size_t)j * mi.n_vocab, mi.n_vocab, w[j + 1]);
            sum += v;
            sum2 += v * v;
            count++;
        }
        fprintf(stderr, "[%u]%.4f,", c + 1, exp(sum / (double)count));
        if (c == 0) fprintf(stderr, " (%.2f s per window) ", (bench_now_ms() - t0) / 1e3);
        fflush(stderr);
    }
    if (!rc) {
        double mean = sum / (double)count, var = sum2 / (double)count - mean * mean;
        double ppl = exp(mean), err = count > 1 && var > 0 ? ppl * sqrt(var / (double)(count - 1)) : 0;
        fprintf(stderr, "\n");
        printf("Final estimate: PPL = %.4f +/- %.5f (%llu tokens scored)\n", ppl, err, (unsigned long long)count);
    }
    free(logits);
    free(ids);
    free(text);
    vkattn_model_destroy(m);
    vkattn_context_destroy(ctx);
    return rc;
}
