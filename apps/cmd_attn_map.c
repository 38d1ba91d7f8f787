/* vkattn attn-map -m DIR (-p TEXT | IMAGE) --layer L --head H -o map.png: what one attention head looks at.
 * Text (BERT): a heat map of the [tokens x tokens] probabilities with the tokens on both axes. Image (ViT): the
 * [CLS] token's attention over the patches, blended over the (resized) image. The probabilities come from the
 * 3-pass attention path (the one that materialises them); --out FILE.safetensors also writes them raw. */
#include "encoder_cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn attn-map -m MODEL_DIR (-p TEXT | IMAGE) [--layer L] [--head H] -o MAP.png\n"
               "                       [--out FILE.safetensors] [--device D]\n"
               "Attention probabilities of one head of one layer (default 0, 0) as a PNG: a token x token heat map\n"
               "for a text model, the [CLS] token's attention over the patches overlaid on the image for a ViT.\n");
}

typedef struct map_opts {
    const char *text, *png;
    uint32_t layer, head;
} map_opts;

static int map_option(int argc, char **argv, int *i, void *user) {
    map_opts *m = user;
    const char *a = argv[*i];
    if (*i + 1 >= argc) return 0;
    if (strcmp(a, "-p") == 0) m->text = argv[++*i];
    else if (strcmp(a, "-o") == 0) {
        if (cli_check_writable("attn-map", a, m->png = argv[++*i])) return -1;
    }
    else if (strcmp(a, "--layer") == 0 || strcmp(a, "--head") == 0) {
        if (cli_parse_uint("attn-map", a, argv[++*i], 0, 65535, a[2] == 'l' ? &m->layer : &m->head)) return -1;
    } else return 0;
    return 1;
}

/* --out: the L x L probabilities as tensor "probs" (for the tests' comparison). */
static int save_probs(const char *out_path, float *probs, uint32_t L) {
    const char *names[] = {"probs"};
    float *data[] = {probs};
    const uint32_t nd[] = {2};
    const int64_t shapes[][4] = {{L, L}};
    return enc_save(out_path, 1, names, data, nd, shapes);
}

static int text_map(vkattn_context *ctx, vkattn_encoder *enc, const map_opts *m, const char *out_path) {
    char *texts[1] = {(char *)m->text};
    enc_texts t;
    if (enc_tokenize(enc, texts, 1, &t)) return 1;
    const uint32_t L = t.lens[0];
    float *probs = malloc((size_t)L * L * sizeof *probs);
    const char **labels = calloc(L, sizeof *labels);
    vkattn_encoder_outputs o = {.attn_probs = probs, .attn_layer = m->layer, .attn_head = m->head};
    vkattn_status st = !probs || !labels ? VKATTN_ERROR_OUT_OF_HOST_MEMORY
                                         : vkattn_encoder_forward(enc, (const int32_t *const *)t.ids, t.lens, 1, &o);
    int rc = st ? cli_fail("running the model", st, ctx) : 0;
    for (uint32_t i = 0; !rc && i < L; i++) labels[i] = vkattn_wordpiece_token(vkattn_encoder_wordpiece(enc), t.ids[0][i]);
    char title[96];
    snprintf(title, sizeof title, "layer %u, head %u", m->layer, m->head);
    if (!rc && (st = vkattn_attnmap_png(m->png, probs, (int)L, (int)L, labels, labels, title)))
        rc = cli_fail("writing the map", st, NULL);
    if (!rc && out_path) rc = save_probs(out_path, probs, L);
    enc_texts_free(&t);
    free(probs), free(labels);
    return rc;
}

static int image_map(vkattn_context *ctx, vkattn_encoder *enc, const map_opts *m, const char *image, const char *out_path) {
    vkattn_encoder_info info;
    vkattn_encoder_get_info(enc, &info);
    vkattn_image img = {0}, shown = {0};
    vkattn_status st = vkattn_image_load(image, &img);
    if (st) return cli_fail("reading the image", st, NULL);
    const uint32_t L = info.max_tokens, G = info.grid;
    float *probs = malloc((size_t)L * L * sizeof *probs);
    vkattn_encoder_outputs o = {.attn_probs = probs, .attn_layer = m->layer, .attn_head = m->head};
    st = probs ? vkattn_encoder_forward_images(enc, &img, 1, &o) : VKATTN_ERROR_OUT_OF_HOST_MEMORY;
    int rc = st ? cli_fail("running the model", st, ctx) : 0;
    char title[96];
    snprintf(title, sizeof title, "[CLS] attention, layer %u, head %u", m->layer, m->head);
    /* row 0 = the [CLS] query; columns 1.. = the patches, row-major over the grid */
    if (!rc && (st = vkattn_image_resize(&img, (int)info.image_size, (int)info.image_size, &shown)))
        rc = cli_fail("resizing the image", st, NULL);
    if (!rc && (st = vkattn_attnmap_overlay_png(m->png, &shown, probs + 1, (int)G, (int)G, title)))
        rc = cli_fail("writing the map", st, NULL);
    if (!rc && out_path) rc = save_probs(out_path, probs, L);
    vkattn_image_free(&img), vkattn_image_free(&shown);
    free(probs);
    return rc;
}

int cmd_attn_map(int argc, char **argv) {
    map_opts m = {0};
    enc_cmd cmd;
    int rc;
    if (!enc_start(argc, argv, "attn-map", usage, map_option, &m, 0, &cmd, &rc)) return rc;
    if (!m.png || (m.text ? cmd.args.n != 0 : cmd.args.n != 1)) {
        usage(stderr);
        rc = 2;
    } else if ((cmd.info.arch == VKATTN_ENCODER_BERT) != (m.text != NULL)) {
        fprintf(stderr, "vkattn attn-map: a text model takes -p TEXT, an image model an IMAGE path\n");
        rc = 2;
    } else {
        rc = m.text ? text_map(cmd.ctx, cmd.enc, &m, cmd.args.out) : image_map(cmd.ctx, cmd.enc, &m, cmd.args.inputs[0], cmd.args.out);
        if (!rc) printf("wrote %s\n", m.png);
    }
    return enc_finish(&cmd, rc);
}
