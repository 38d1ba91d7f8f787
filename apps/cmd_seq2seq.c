/* vkattn seq2seq -m DIR --src TEXT [--beam N] [--max-tokens N] [--length-penalty F]: the original Transformer
 * encoder-decoder: WordPiece(TEXT) + EOS in, greedy or beam-search decoding out, as JSON (ids and text).
 * --out FILE.safetensors writes the generated ids and (greedy) every step's logits, for tests. */
#include "cli.h"
#include "encoder_cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn seq2seq -m MODEL_DIR --src TEXT [--beam N] [--max-tokens N] [--length-penalty F]\n"
               "                      [--out FILE.safetensors] [--device D]\n"
               "Encoder-decoder Transformer (nn.Transformer weights, config.json model_type \"transformer\", vocab.txt).\n");
}

/* WordPiece tokens back to text: continuations ("##x") join the previous token, others get a space. */
static void print_text(const vkattn_wordpiece *wp, const int32_t *ids, uint32_t n) {
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return;
    for (uint32_t i = 0; i < n; i++) {
        const char *t = vkattn_wordpiece_token(wp, ids[i]);
        if (!t) t = "?";
        if (strncmp(t, "##", 2) == 0) fputs(t + 2, m);
        else fprintf(m, "%s%s", i ? " " : "", t);
    }
    fclose(m);
    cli_json_string(stdout, buf ? buf : "");
    free(buf);
}

int cmd_seq2seq(int argc, char **argv) {
    const char *dir = NULL, *device = NULL, *src = NULL, *out_path = NULL;
    vkattn_seq2seq_desc d = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double f;
        if (cli_is_help(a)) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-m") == 0 && v) dir = v, i++;
        else if (strcmp(a, "--device") == 0 && v) device = v, i++;
        else if (strcmp(a, "--src") == 0 && v) src = v, i++;
        else if (strcmp(a, "--out") == 0 && v) {
            if (cli_check_writable("seq2seq", a, out_path = v)) return 2;
            i++;
        }
        else if ((strcmp(a, "--beam") == 0 || strcmp(a, "--max-tokens") == 0) && v) {
            if (cli_parse_uint("seq2seq", a, v, 1, 65536, a[2] == 'b' ? &d.beam_size : &d.max_new_tokens)) return 2;
            i++;
        } else if (strcmp(a, "--length-penalty") == 0 && v) {
            if (cli_parse_float("seq2seq", a, v, -100, 100, &f)) return 2;
            d.length_penalty = (float)f, i++;
        } else {
            fprintf(stderr, "vkattn seq2seq: unknown option %s\n", a), usage(stderr);
            return 2;
        }
    }
    if (!dir || !src) {
        usage(stderr);
        return 2;
    }
    vkattn_context *ctx = cli_context(device, 0);
    if (!ctx) return 1;
    vkattn_seq2seq *s = NULL;
    vkattn_status st = vkattn_seq2seq_create(ctx, dir, &s);
    int rc = st ? cli_fail("loading the model", st, ctx) : 0;
    vkattn_seq2seq_info info = {0};
    vkattn_seq2seq_get_info(s, &info);
    const vkattn_wordpiece *wp = vkattn_seq2seq_wordpiece(s);
    size_t ns = 0;
    int32_t *ids = NULL, *gen = NULL;
    float *logits = NULL;
    uint32_t n = 0, steps = d.max_new_tokens ? d.max_new_tokens : info.max_len - 1;
    if (!rc) {
        vkattn_wordpiece_tokenize(wp, src, strlen(src), NULL, 0, &ns);
        ids = malloc((ns + 1) * sizeof *ids), gen = malloc((steps + 1) * sizeof *gen);
        if (out_path && (d.beam_size <= 1)) d.step_logits = logits = calloc((size_t)steps * info.tgt_vocab_size, sizeof *logits);
        if (!ids || !gen || (out_path && d.beam_size <= 1 && !logits)) rc = 1;
        else if ((st = vkattn_wordpiece_tokenize(wp, src, strlen(src), ids, ns, &ns))) rc = cli_fail("tokenizing", st, NULL);
        else ids[ns++] = info.eos_id;
    }
    if (!rc && (st = vkattn_seq2seq_generate(s, ids, (uint32_t)ns, &d, gen, steps + 1, &n))) rc = cli_fail("generating", st, ctx);
    if (!rc && out_path) {
        vkattn_st_writer *w = NULL;
        if (!(st = vkattn_st_writer_create(&w)) && !(st = vkattn_st_writer_add(w, "ids", VKATTN_I32, 1, (int64_t[]){n}, gen)) &&
            !(st = vkattn_st_writer_add(w, "src_ids", VKATTN_I32, 1, (int64_t[]){(int64_t)ns}, ids)) && logits)
            st = vkattn_st_writer_add(w, "step_logits", VKATTN_F32, 2, (int64_t[]){steps, info.tgt_vocab_size}, logits);
        if (!st) st = vkattn_st_writer_save(w, out_path);
        vkattn_st_writer_destroy(w);
        if (st) rc = cli_fail("writing the outputs", st, NULL);
    }
    if (!rc) {
        printf("{\"src\": ");
        cli_json_string(stdout, src);
        printf(", \"beam\": %u, \"ids\": [", d.beam_size > 1 ? d.beam_size : 1);
        for (uint32_t i = 0; i < n; i++) printf(i ? ", %d" : "%d", gen[i]);
        printf("], \"text\": ");
        print_text(wp, gen, n);
        printf("}\n");
    }
    free(ids), free(gen), free(logits);
    vkattn_seq2seq_destroy(s);
    return enc_close(ctx, NULL, rc);
}
