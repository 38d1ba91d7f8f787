/* vkattn template: renders a conversation with a chat template, as llama-server's /apply-template and
 * transformers' apply_chat_template(tokenize=False) do. Host-only: a GGUF is read for its metadata only. */
#include "chat_cli.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn template [-m MODEL.gguf] [--chat-template NAME|FILE] [--messages FILE.json]\n"
               "                       [--add-generation-prompt] [--bos TEXT] [--eos TEXT] [--extra JSON] [--print-template]\n\n"
               "Prints the prompt a chat template makes of a conversation (no newline added).\n\n"
               "  -m FILE                 GGUF whose tokenizer.chat_template, BOS and EOS texts are used\n"
               "  --chat-template T       a built-in template (%s) or a Jinja file\n"
               "  --messages FILE         JSON array of {\"role\": ..., \"content\": ...} (default: stdin)\n"
               "  --add-generation-prompt end with the header of the assistant's turn\n"
               "  --bos TEXT, --eos TEXT  bos_token / eos_token (default: the model's, else \"\")\n"
               "  --extra JSON            an object of further template variables, e.g. '{\"enable_thinking\": false}'\n"
               "  --print-template        print the template source instead\n",
            vkattn_chat_builtin_names());
}

/* text of the token whose id is stored under `key`, or NULL */
static char *gguf_token(const vkattn_gguf *g, const char *key) {
    uint32_t id;
    const char *s;
    uint64_t len;
    if (vkattn_gguf_find_key(g, key) < 0 || vkattn_gguf_get_u32(g, key, &id) ||
        vkattn_gguf_array_string(g, "tokenizer.ggml.tokens", id, &s, &len))
        return NULL;
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = 0;
    }
    return d;
}

int cmd_template(int argc, char **argv) {
    const char *model = NULL, *override = NULL, *messages_path = NULL, *bos = NULL, *eos = NULL, *extra = NULL;
    int add_gen = 0, print_template = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--add-generation-prompt") == 0) { add_gen = 1; continue; }
        if (strcmp(a, "--print-template") == 0) { print_template = 1; continue; }
        if (!v) {
            fprintf(stderr, "vkattn template: %s needs a value (see --help)\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) model = v;
        else if (strcmp(a, "--chat-template") == 0) override = v;
        else if (strcmp(a, "--messages") == 0) messages_path = v;
        else if (strcmp(a, "--bos") == 0) bos = v;
        else if (strcmp(a, "--eos") == 0) eos = v;
        else if (strcmp(a, "--extra") == 0) extra = v;
        else {
            fprintf(stderr, "vkattn template: unknown option %s (see --help)\n", a);
            return 2;
        }
    }
    vkattn_gguf *g = NULL;
    const char *model_tmpl = NULL;
    char *gbos = NULL, *geos = NULL;
    if (model) {
        if (vkattn_gguf_open(model, &g)) {
            fprintf(stderr, "vkattn template: %s\n", vkattn_context_error(NULL));
            return 1;
        }
        if (vkattn_gguf_find_key(g, "tokenizer.chat_template") >= 0)
            vkattn_gguf_get_string(g, "tokenizer.chat_template", &model_tmpl, NULL);
        gbos = gguf_token(g, "tokenizer.ggml.bos_token_id");
        geos = gguf_token(g, "tokenizer.ggml.eos_token_id");
    }
    int rc = 0;
    char *src = cli_chat_template("template", override, model_tmpl), *msgs = NULL, *out = NULL;
    vkattn_chat_template *t = NULL;
    size_t out_len = 0;
    if (!src) rc = 2;
    else if (print_template) fputs(src, stdout);
    else {
        msgs = messages_path ? cli_read_text(messages_path, NULL) : cli_read_text("/dev/stdin", NULL);
        vkattn_chat_params p = {add_gen, bos ? bos : gbos, eos ? eos : geos, extra};
        vkattn_status st;
        if (!msgs) rc = (fprintf(stderr, "vkattn template: cannot read %s\n", messages_path ? messages_path : "stdin"), 1);
        else if ((st = vkattn_chat_template_create(src, &t)) || (st = vkattn_chat_template_apply_json(t, msgs, &p, &out, &out_len)))
            rc = cli_fail("chat template", st, NULL);
        else fwrite(out, 1, out_len, stdout);
    }
    vkattn_chat_free(out);
    vkattn_chat_template_destroy(t);
    free(msgs);
    free(src);
    free(gbos);
    free(geos);
    vkattn_gguf_close(g);
    return rc;
}
