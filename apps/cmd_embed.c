/* vkattn embed -m DIR [--pooling cls|mean|max|mean_sqrt_len|lasttoken] [--normalize|--no-normalize] [--similarity] TEXT...:
 * sentence embeddings as JSON, pooled and normalised as the directory's sentence-transformers modules say unless
 * the flags override;
 * --similarity adds the cosine similarity matrix; --tokens prints the token ids instead; --out FILE.safetensors
 * also writes the raw hidden states, pooled vectors and lengths (for tests). */
#include "encoder_cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn embed -m MODEL_DIR [--pooling cls|mean|max|mean_sqrt_len|lasttoken]\n"
               "                    [--normalize|--no-normalize] [--similarity] [--tokens] [--out FILE.safetensors]\n"
               "                    [--device D] TEXT...\n"
               "BERT-style encoder (Hugging Face directory: config.json, model.safetensors, vocab.txt).\n"
               "A sentence-transformers directory (modules.json, 1_Pooling/config.json, Normalize, sentence_bert_config.json)\n"
               "gives its pooling, normalisation and max_seq_length by default (all-MiniLM-L6-v2: mean, normalised);\n"
               "otherwise the default is [CLS] pooling without normalisation. The flags override.\n"
               "Prints {\"embeddings\": [[...], ...]} (one vector per text), with --similarity also the cosine\n"
               "similarity matrix, and weight_bytes (device memory of the loaded weights: F16 files stay f16);\n"
               "--tokens prints the token ids of each text and runs nothing.\n");
}

typedef struct embed_opts {
    int pooling, normalize; /* -1: as the directory says */
    int similarity, tokens_only;
} embed_opts;

static int embed_option(int argc, char **argv, int *i, void *user) {
    embed_opts *e = user;
    const char *a = argv[*i];
    if (strcmp(a, "--pooling") == 0 && *i + 1 < argc) {
        const char *p = argv[++*i];
        if (strcmp(p, "cls") == 0) e->pooling = VKATTN_POOL_CLS;
        else if (strcmp(p, "mean") == 0) e->pooling = VKATTN_POOL_MEAN;
        else if (strcmp(p, "max") == 0) e->pooling = VKATTN_POOL_MAX;
        else if (strcmp(p, "mean_sqrt_len") == 0) e->pooling = VKATTN_POOL_MEAN_SQRT_LEN;
        else if (strcmp(p, "lasttoken") == 0) e->pooling = VKATTN_POOL_LAST;
        else {
            fprintf(stderr, "vkattn embed: --pooling takes cls, mean, max, mean_sqrt_len or lasttoken\n");
            return -1;
        }
    } else if (strcmp(a, "--normalize") == 0) e->normalize = 1;
    else if (strcmp(a, "--no-normalize") == 0) e->normalize = 0;
    else if (strcmp(a, "--similarity") == 0) e->similarity = 1;
    else if (strcmp(a, "--tokens") == 0) e->tokens_only = 1;
    else return 0;
    return 1;
}

int cmd_embed(int argc, char **argv) {
    embed_opts e = {-1, -1, 0, 0};
    enc_cmd cmd;
    int rc;
    if (!enc_start(argc, argv, "embed", usage, embed_option, &e, 1, &cmd, &rc)) return rc;
    enc_args args = cmd.args;
    vkattn_context *ctx = cmd.ctx;
    vkattn_encoder *enc = cmd.enc;
    vkattn_encoder_info info = cmd.info;
    const char *dir = args.dir, *out_path = args.out;
    vkattn_stats stats;
    vkattn_context_stats(ctx, &stats); /* after loading, before any activation: the weights' device bytes */
    const uint32_t n = args.n;
    char **texts = args.inputs;
    vkattn_pooling pooling;
    int normalize;
    vkattn_encoder_default_pooling(enc, &pooling, &normalize); /* as the directory says, unless the flags override */
    if (e.pooling >= 0) pooling = (vkattn_pooling)e.pooling;
    if (e.normalize >= 0) normalize = e.normalize;
    const int similarity = e.similarity, tokens_only = e.tokens_only;
    static const char *const pool_names[] = {"cls", "mean", "max", "mean_sqrt_len", "lasttoken"};
    enc_texts t = {0};
    float *hidden = NULL, *pooled = NULL, *lens = NULL;
    if (info.arch != VKATTN_ENCODER_BERT) {
        fprintf(stderr, "vkattn embed: %s is not a text encoder\n", dir);
        rc = 1;
    } else {
        rc = enc_tokenize(enc, texts, n, &t);
    }
    const uint32_t D = info.hidden_size;
    if (!rc && tokens_only) {
        printf("{\"tokens\": [");
        for (uint32_t i = 0; i < n; i++) {
            printf(i ? ", [" : "[");
            for (uint32_t k = 0; k < t.lens[i]; k++) printf(k ? ", %d" : "%d", t.ids[i][k]);
            printf("]");
        }
        printf("]}\n");
    } else if (!rc) {
        const uint32_t L = t.max_len;
        hidden = malloc((size_t)n * L * D * sizeof *hidden), pooled = malloc((size_t)n * D * sizeof *pooled);
        lens = malloc(n * sizeof *lens);
        vkattn_encoder_outputs o = {.hidden = hidden, .pooled = pooled, .pooling = pooling, .normalize = normalize};
        vkattn_status st = !hidden || !pooled || !lens ? VKATTN_ERROR_OUT_OF_HOST_MEMORY
                                                       : vkattn_encoder_forward(enc, (const int32_t *const *)t.ids, t.lens, n, &o);
        if (st) rc = cli_fail("encoding", st, ctx);
        if (!rc && out_path) {
            for (uint32_t i = 0; i < n; i++) lens[i] = (float)t.lens[i];
            const char *names[] = {"hidden", "pooled", "lens"};
            float *data[] = {hidden, pooled, lens};
            const uint32_t nd[] = {3, 2, 1};
            const int64_t shapes[][4] = {{n, L, D}, {n, D}, {n}};
            rc = enc_save(out_path, 3, names, data, nd, shapes);
        }
        if (!rc) {
            printf("{\"dim\": %u, \"pooling\": \"%s\", \"normalized\": %s, \"weight_bytes\": %llu,\n \"embeddings\": [", D,
                   pool_names[pooling], normalize ? "true" : "false", (unsigned long long)stats.device_bytes_in_use);
            for (uint32_t i = 0; i < n; i++) {
                printf(i ? ",\n  [" : "\n  [");
                for (uint32_t d = 0; d < D; d++) printf(d ? ", %.7g" : "%.7g", pooled[(size_t)i * D + d]);
                printf("]");
            }
            printf("]");
            if (similarity) { /* cosine similarity between every pair of inputs */
                printf(",\n \"similarity\": [");
                for (uint32_t i = 0; i < n; i++) {
                    printf(i ? ",\n  [" : "\n  [");
                    for (uint32_t j = 0; j < n; j++) {
                        double dot = 0, ni = 0, nj = 0;
                        for (uint32_t d = 0; d < D; d++) {
                            double a = pooled[(size_t)i * D + d], b = pooled[(size_t)j * D + d];
                            dot += a * b, ni += a * a, nj += b * b;
                        }
                        double den = sqrt(ni) * sqrt(nj);
                        printf(j ? ", %.6f" : "%.6f", den > 0 ? dot / den : 0.0);
                    }
                    printf("]");
                }
                printf("]");
            }
            printf("}\n");
        }
    }
    enc_texts_free(&t);
    free(hidden), free(pooled), free(lens);
    return enc_finish(&cmd, rc);
}
