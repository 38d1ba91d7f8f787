/* vkattn classify-image -m DIR [--top K] IMAGE...: ViTForImageClassification: the top-K (default 5) labels with
 * their probabilities per image, as JSON; --out FILE.safetensors also writes the logits (for tests). */
#include "encoder_cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn classify-image -m MODEL_DIR [--top K] [--out FILE.safetensors] [--device D] IMAGE...\n"
               "Image classification with a ViT (config.json, model.safetensors, preprocessor_config.json);\n"
               "PNG, JPEG or BMP images, resized and normalised as the preprocessor config says.\n");
}

static int top_option(int argc, char **argv, int *i, void *user) {
    if (strcmp(argv[*i], "--top") != 0 || *i + 1 >= argc) return 0;
    return cli_parse_uint("classify-image", "--top", argv[++*i], 1, 1000, user) ? -1 : 1;
}

int cmd_classify_image(int argc, char **argv) {
    uint32_t top = 5;
    enc_cmd cmd;
    int rc;
    if (!enc_start(argc, argv, "classify-image", usage, top_option, &top, 1, &cmd, &rc)) return rc;
    enc_args args = cmd.args;
    vkattn_context *ctx = cmd.ctx;
    vkattn_encoder *enc = cmd.enc;
    vkattn_encoder_info info = cmd.info;
    const uint32_t n = args.n;
    const uint32_t C = info.num_labels;
    float *logits = malloc((size_t)n * C * sizeof *logits);
    if (info.arch != VKATTN_ENCODER_VIT || !C) {
        fprintf(stderr, "vkattn classify-image: %s is not an image classifier (ViT with classifier.weight)\n", args.dir);
        rc = 1;
    } else if (!logits) rc = cli_fail("classifying", VKATTN_ERROR_OUT_OF_HOST_MEMORY, NULL);
    /* one image at a time (decode, run, free): memory stays that of the largest image, whatever the count */
    for (uint32_t i = 0; !rc && i < n; i++) {
        vkattn_image img;
        vkattn_status st = vkattn_image_load(args.inputs[i], &img);
        if (st) rc = cli_fail("reading an image", st, NULL);
        vkattn_encoder_outputs o = {.logits = logits + (size_t)i * C};
        if (!rc && (st = vkattn_encoder_forward_images(enc, &img, 1, &o))) rc = cli_fail("classifying", st, ctx);
        vkattn_image_free(&img);
    }
    if (!rc && args.out) {
        const char *names[] = {"logits"};
        float *data[] = {logits};
        const uint32_t nd[] = {2};
        const int64_t shapes[][4] = {{n, C}};
        rc = enc_save(args.out, 1, names, data, nd, shapes);
    }
    if (top > C) top = C;
    for (uint32_t i = 0; !rc && i < n; i++) {
        const float *z = logits + (size_t)i * C;
        double mx = z[0], sum = 0;
        for (uint32_t c = 1; c < C; c++) mx = z[c] > mx ? z[c] : mx;
        for (uint32_t c = 0; c < C; c++) sum += exp(z[c] - mx);
        printf(i ? ",\n {\"image\": " : "[{\"image\": ");
        cli_json_string(stdout, args.inputs[i]);
        printf(", \"top\": [");
        uint8_t *used = calloc(C, 1);
        for (uint32_t k = 0; used && k < top; k++) { /* selection: top is small */
            uint32_t best = UINT32_MAX;
            for (uint32_t c = 0; c < C; c++)
                if (!used[c] && (best == UINT32_MAX || z[c] > z[best])) best = c;
            used[best] = 1;
            printf(k ? ", {\"label\": " : "{\"label\": ");
            cli_json_string(stdout, vkattn_encoder_label(enc, best));
            printf(", \"id\": %u, \"prob\": %.6f}", best, exp(z[best] - mx) / sum);
        }
        free(used);
        printf("]}%s", i + 1 == n ? "]\n" : "");
    }
    free(logits);
    return enc_finish(&cmd, rc);
}
