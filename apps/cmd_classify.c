/* vkattn classify -m DIR TEXT...: BertForSequenceClassification: the label and the probabilities (softmax of the
 * logits) of each text as JSON; --out FILE.safetensors also writes the logits (for tests). */
#include "encoder_cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn classify -m MODEL_DIR [--out FILE.safetensors] [--device D] TEXT...\n"
               "Sequence classification with a BERT model that has a classifier (labels from config.json's id2label).\n");
}

int cmd_classify(int argc, char **argv) {
    enc_cmd cmd;
    int rc;
    if (!enc_start(argc, argv, "classify", usage, NULL, NULL, 1, &cmd, &rc)) return rc;
    enc_args args = cmd.args;
    vkattn_context *ctx = cmd.ctx;
    vkattn_encoder *enc = cmd.enc;
    vkattn_encoder_info info = cmd.info;
    const char *dir = args.dir, *out_path = args.out;
    const uint32_t n = args.n;
    char **texts = args.inputs;
    enc_texts t = {0};
    float *logits = NULL;
    const uint32_t C = info.num_labels;
    if (info.arch != VKATTN_ENCODER_BERT || !C) {
        fprintf(stderr, "vkattn classify: %s is not a text classifier (no classifier.weight)\n", dir);
        rc = 1;
    } else {
        rc = enc_tokenize(enc, texts, n, &t);
    }
    if (!rc) {
        logits = malloc((size_t)n * C * sizeof *logits);
        vkattn_encoder_outputs o = {.logits = logits};
        vkattn_status st = logits ? vkattn_encoder_forward(enc, (const int32_t *const *)t.ids, t.lens, n, &o)
                                  : VKATTN_ERROR_OUT_OF_HOST_MEMORY;
        if (st) rc = cli_fail("classifying", st, ctx);
    }
    if (!rc && out_path) {
        const char *names[] = {"logits"};
        float *data[] = {logits};
        const uint32_t nd[] = {2};
        const int64_t shapes[][4] = {{n, C}};
        rc = enc_save(out_path, 1, names, data, nd, shapes);
    }
    if (!rc) {
        printf("[");
        for (uint32_t i = 0; i < n; i++) {
            const float *z = logits + (size_t)i * C;
            uint32_t best = 0;
            double mx = z[0], sum = 0;
            for (uint32_t c = 1; c < C; c++)
                if (z[c] > mx) mx = z[c], best = c;
            for (uint32_t c = 0; c < C; c++) sum += exp(z[c] - mx);
            printf(i ? ",\n {\"text\": " : "{\"text\": ");
            cli_json_string(stdout, texts[i]);
            printf(", \"label\": ");
            cli_json_string(stdout, vkattn_encoder_label(enc, best));
            printf(", \"probs\": {");
            for (uint32_t c = 0; c < C; c++) {
                printf(c ? ", " : "");
                cli_json_string(stdout, vkattn_encoder_label(enc, c));
                printf(": %.6f", exp(z[c] - mx) / sum);
            }
            printf("}}");
        }
        printf("]\n");
    }
    enc_texts_free(&t);
    free(logits);
    return enc_finish(&cmd, rc);
}
