/* Helpers of the encoder subcommands: model loading, tokenizing a batch of texts, raw outputs. */
#include "encoder_cli.h"

#include <stdlib.h>
#include <string.h>

int enc_open(const char *dir, const char *device, vkattn_context **ctx, vkattn_encoder **enc) {
    *enc = NULL;
    if (!(*ctx = cli_context(device, 0))) return 1;
    vkattn_status st = vkattn_encoder_create(*ctx, dir, enc);
    if (st) {
        cli_fail("loading the model", st, *ctx);
        vkattn_context_destroy(*ctx), *ctx = NULL;
        return st == VKATTN_ERROR_UNSUPPORTED ? 3 : 1;
    }
    return 0;
}

int enc_close(vkattn_context *ctx, vkattn_encoder *enc, int rc) {
    char first[1024];
    uint32_t nv = ctx ? vkattn_context_validation_messages(ctx, first, sizeof first) : 0;
    if (nv) fprintf(stderr, "vkattn: %u validation message(s); first: %s\n", nv, first), rc = 1;
    vkattn_encoder_destroy(enc);
    vkattn_context_destroy(ctx);
    return rc;
}

int enc_parse(int argc, char **argv, const char *cmd, void (*usage)(FILE *), int (*extra)(int, char **, int *, void *),
              void *user, int need_inputs, enc_args *a, int *done) {
    memset(a, 0, sizeof *a);
    *done = 0;
    if (!(a->inputs = calloc((size_t)argc, sizeof *a->inputs))) return 1;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int r;
        if (cli_is_help(o)) {
            usage(stdout), *done = 1;
            return 0;
        } else if (strcmp(o, "-m") == 0 && i + 1 < argc) a->dir = argv[++i];
        else if (strcmp(o, "--device") == 0 && i + 1 < argc) a->device = argv[++i];
        else if (strcmp(o, "--out") == 0 && i + 1 < argc) {
            if (cli_check_writable(cmd, o, a->out = argv[++i])) return 2;
        }
        else if (o[0] == '-' && o[1] && (r = extra ? extra(argc, argv, &i, user) : 0) != 1) {
            if (!r) fprintf(stderr, "vkattn %s: unknown option %s\n", cmd, o), usage(stderr);
            return 2;
        } else if (o[0] != '-' || !o[1]) a->inputs[a->n++] = argv[i];
    }
    if (!a->dir || (need_inputs && !a->n)) {
        usage(stderr);
        return 2;
    }
    return 0;
}

void enc_texts_free(enc_texts *t) {
    for (uint32_t i = 0; t->ids && i < t->n; i++) free(t->ids[i]);
    free(t->ids), free(t->lens);
    memset(t, 0, sizeof *t);
}

int enc_tokenize(vkattn_encoder *enc, char **texts, uint32_t n, enc_texts *out) {
    memset(out, 0, sizeof *out);
    out->n = n;
    out->ids = calloc(n, sizeof *out->ids), out->lens = calloc(n, sizeof *out->lens);
    if (!out->ids || !out->lens) return 1;
    for (uint32_t i = 0; i < n; i++) {
        size_t m = 0;
        vkattn_encoder_tokenize(enc, texts[i], NULL, 0, &m); /* counts */
        if (!m || !(out->ids[i] = malloc(m * sizeof *out->ids[i]))) return 1;
        vkattn_status st = vkattn_encoder_tokenize(enc, texts[i], out->ids[i], m, &m);
        if (st) return cli_fail("tokenizing", st, NULL);
        out->lens[i] = (uint32_t)m;
        if (m > out->max_len) out->max_len = (uint32_t)m;
    }
    return 0;
}

int enc_save(const char *path, uint32_t n, const char *const *names, float *const *data, const uint32_t *ndims,
             const int64_t (*shapes)[4]) {
    vkattn_st_writer *w = NULL;
    vkattn_status st = vkattn_st_writer_create(&w);
    for (uint32_t i = 0; i < n && !st; i++)
        if (data[i]) st = vkattn_st_writer_add(w, names[i], VKATTN_F32, ndims[i], shapes[i], data[i]);
    if (!st) st = vkattn_st_writer_save(w, path);
    vkattn_st_writer_destroy(w);
    return st ? cli_fail("writing the outputs", st, NULL) : 0;
}

int enc_start(int argc, char **argv, const char *cmd, void (*usage)(FILE *), int (*extra)(int, char **, int *, void *),
              void *user, int need_inputs, enc_cmd *c, int *rc) {
    memset(c, 0, sizeof *c);
    int done;
    if ((*rc = enc_parse(argc, argv, cmd, usage, extra, user, need_inputs, &c->args, &done)) || done ||
        (*rc = enc_open(c->args.dir, c->args.device, &c->ctx, &c->enc))) {
        free(c->args.inputs), c->args.inputs = NULL;
        return 0;
    }
    vkattn_encoder_get_info(c->enc, &c->info);
    return 1;
}

int enc_finish(enc_cmd *c, int rc) {
    free(c->args.inputs);
    return enc_close(c->ctx, c->enc, rc);
}
