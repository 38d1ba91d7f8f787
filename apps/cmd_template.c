/* vkattn template: renders a conversation with a chat template, as llama-server's /apply-template and
 * transformers' apply_chat_template(tokenize=False) do; --batch renders many requests in one process (JSON
 * lines in, JSON lines out). Host-only: a GGUF is read for its metadata only. */
#include "chat_cli.h"
#include "cli.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn template [-m MODEL.gguf] [--chat-template NAME|FILE] [--messages FILE.json]\n"
               "                       [--add-generation-prompt] [--bos TEXT] [--eos TEXT] [--extra JSON] [--print-template]\n"
               "       vkattn template --batch FILE.jsonl|- [the same defaults]\n\n"
               "Prints the prompt a chat template makes of a conversation (no newline added).\n\n"
               "  -m FILE                 GGUF whose tokenizer.chat_template, BOS and EOS texts are used\n"
               "  --chat-template T       a built-in template (%s) or a Jinja file\n"
               "  --messages FILE         JSON array of {\"role\": ..., \"content\": ...} (default: stdin)\n"
               "  --add-generation-prompt end with the header of the assistant's turn\n"
               "  --bos TEXT, --eos TEXT  bos_token / eos_token (default: the model's, else \"\")\n"
               "  --extra JSON            an object of further template variables, e.g. '{\"enable_thinking\": false}'\n"
               "  --print-template        print the template source instead\n"
               "  --batch FILE            many renders in one run: FILE (- = stdin) holds one JSON object per line,\n"
               "                          {\"messages\": [...], \"template\": SOURCE or \"chat_template\": NAME|FILE,\n"
               "                          \"add_generation_prompt\": bool, \"bos_token\": ..., \"eos_token\": ...,\n"
               "                          \"extra\": {...}} (absent members: the options above); prints one line per\n"
               "                          request, {\"prompt\": TEXT} or {\"error\": MESSAGE}; exit status 1 if any failed\n",
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

/* ---- --batch -------------------------------------------------------------------------------------------- */

/* The end of the JSON value at s[i] (the text is valid JSON: cJSON has parsed it). */
static size_t value_end(const char *s, size_t n, size_t i) {
    size_t depth = 0;
    do {
        if (s[i] == '"') {
            for (i++; i < n && s[i] != '"'; i += s[i] == '\\' ? 2 : 1) {}
            i++;
        } else if (s[i] == '{' || s[i] == '[') {
            depth++, i++;
        } else if (s[i] == '}' || s[i] == ']') {
            depth--, i++;
        } else if (depth == 0) { /* a number, true, false, null */
            while (i < n && !strchr(",}] \t\r\n", s[i])) i++;
            return i;
        } else {
            i++;
        }
    } while (i < n && depth > 0);
    return i;
}

static size_t skip_space(const char *s, size_t n, size_t i) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
    return i;
}

/* The raw text of the top-level member `key` (written without escapes) of the JSON object s[0..n), so that
 * "messages" and "extra" reach the renderer as written (3.0 stays a float; printing cJSON's tree would give 3). */
static const char *member_span(const char *s, size_t n, const char *key, size_t *len) {
    const size_t klen = strlen(key);
    size_t i = skip_space(s, n, 0) + 1; /* after '{' */
    for (;;) {
        i = skip_space(s, n, i);
        if (i >= n || s[i] != '"') return NULL; /* '}': not there */
        const size_t k0 = i + 1, k1 = value_end(s, n, i) - 1;
        i = skip_space(s, n, skip_space(s, n, k1 + 1) + 1); /* past ':' */
        const size_t v = i;
        i = value_end(s, n, i);
        if (k1 - k0 == klen && memcmp(s + k0, key, klen) == 0) {
            *len = i - v;
            return s + v;
        }
        i = skip_space(s, n, i);
        if (i >= n || s[i] != ',') return NULL;
        i++;
    }
}

__attribute__((format(printf, 2, 3))) static void put_error(size_t line, const char *fmt, ...) {
    char msg[1024];
    int k = snprintf(msg, sizeof msg, "line %zu: ", line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
    va_end(ap);
    fputs("{\"error\": ", stdout);
    cli_json_string(stdout, msg);
    fputs("}\n", stdout);
}

typedef struct batch_defaults {
    const char *source;               /* the options' template (-m, --chat-template, else chatml) */
    vkattn_chat_params params;
} batch_defaults;

/* One request line: 0 rendered, 1 failed (reported on stdout). cached / cached_src: the last template parsed. */
static int batch_line(const char *line, size_t n, size_t no, const batch_defaults *d, vkattn_chat_template **cached,
                      char **cached_src) {
    cJSON *o = cJSON_ParseWithLength(line, n);
    int rc = 1;
    char err[600], *named = NULL, *messages = NULL, *extra = NULL, *out = NULL;
    if (!cJSON_IsObject(o)) {
        put_error(no, "not a JSON object: {\"messages\": [...], ...}");
        goto done;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "template"), *ct = cJSON_GetObjectItemCaseSensitive(o, "chat_template");
    const cJSON *ag = cJSON_GetObjectItemCaseSensitive(o, "add_generation_prompt");
    const cJSON *bos = cJSON_GetObjectItemCaseSensitive(o, "bos_token"), *eos = cJSON_GetObjectItemCaseSensitive(o, "eos_token");
    const struct { const cJSON *v; const char *name; } strs[] = {{t, "template"}, {ct, "chat_template"}, {bos, "bos_token"},
                                                                 {eos, "eos_token"}};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        if (strs[i].v && !cJSON_IsString(strs[i].v)) {
            put_error(no, "'%s' must be a string", strs[i].name);
            goto done;
        }
    if (ag && !cJSON_IsBool(ag)) {
        put_error(no, "'add_generation_prompt' must be true or false");
        goto done;
    }
    size_t mlen = 0, elen = 0;
    const char *m = member_span(line, n, "messages", &mlen), *e = member_span(line, n, "extra", &elen);
    if (!m || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "messages"))) {
        put_error(no, "'messages' (an array) is required");
        goto done;
    }
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "extra");
    if (ev && !cJSON_IsNull(ev) && (!e || !cJSON_IsObject(ev))) {
        put_error(no, "'extra' must be an object");
        goto done;
    }
    size_t tlen = 0;
    const char *traw = t ? member_span(line, n, "template", &tlen) : NULL;
    for (size_t i = 0; traw && i + 6 <= tlen; i++) { /* cJSON's strings end at a NUL: refuse rather than truncate */
        size_t bs = 0;
        while (bs < i && traw[i - 1 - bs] == '\\') bs++;
        if (memcmp(traw + i, "\\u0000", 6) == 0 && bs % 2 == 0) {
            put_error(no, "'template' holds a NUL character; a template is text");
            goto done;
        }
    }
    const char *src = d->source;
    if (t) src = t->valuestring;
    else if (ct && !(src = named = cli_chat_template_named(ct->valuestring, err, sizeof err))) {
        put_error(no, "chat_template %s", err);
        goto done;
    }
    if (!*cached_src || strcmp(*cached_src, src) != 0) { /* consecutive requests usually share a template */
        vkattn_chat_template_destroy(*cached);
        free(*cached_src);
        *cached = NULL;
        *cached_src = malloc(strlen(src) + 1);
        if (!*cached_src) {
            put_error(no, "out of memory");
            goto done;
        }
        strcpy(*cached_src, src);
        vkattn_status st = vkattn_chat_template_create(src, cached);
        if (st) {
            free(*cached_src);
            *cached_src = NULL;
            put_error(no, "chat template: %s: %s", vkattn_status_string(st), vkattn_context_error(NULL));
            goto done;
        }
    }
    messages = malloc(mlen + 1);
    extra = ev && !cJSON_IsNull(ev) ? malloc(elen + 1) : NULL;
    if (!messages || (ev && !cJSON_IsNull(ev) && !extra)) {
        put_error(no, "out of memory");
        goto done;
    }
    memcpy(messages, m, mlen), messages[mlen] = 0;
    if (extra) memcpy(extra, e, elen), extra[elen] = 0;
    vkattn_chat_params p = d->params;
    if (ag) p.add_generation_prompt = cJSON_IsTrue(ag);
    if (bos) p.bos_token = bos->valuestring;
    if (eos) p.eos_token = eos->valuestring;
    if (extra) p.extra_json = extra;
    size_t out_len = 0;
    vkattn_status st = vkattn_chat_template_apply_json(*cached, messages, &p, &out, &out_len);
    if (st) {
        put_error(no, "chat template: %s: %s", vkattn_status_string(st), vkattn_context_error(NULL));
        goto done;
    }
    fputs("{\"prompt\": ", stdout);
    cli_json_string_n(stdout, out, out_len);
    fputs("}\n", stdout);
    rc = 0;
done:
    vkattn_chat_free(out);
    free(messages);
    free(extra);
    free(named);
    cJSON_Delete(o);
    return rc;
}

static int batch(const char *path, const batch_defaults *d) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "vkattn template: cannot read --batch %s\n", path);
        return 1;
    }
    vkattn_chat_template *cached = NULL;
    char *cached_src = NULL, *line = NULL;
    size_t cap = 0, no = 0;
    ssize_t n;
    int failed = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        no++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        if (len == 0) continue; /* blank lines: nothing to render */
        failed |= batch_line(line, len, no, d, &cached, &cached_src);
        fflush(stdout);
    }
    free(line);
    vkattn_chat_template_destroy(cached);
    free(cached_src);
    if (f != stdin) fclose(f);
    return failed;
}

int cmd_template(int argc, char **argv) {
    const char *model = NULL, *override = NULL, *messages_path = NULL, *bos = NULL, *eos = NULL, *extra = NULL,
               *batch_path = NULL;
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
        else if (strcmp(a, "--batch") == 0) batch_path = v;
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
    else if (batch_path) {
        const batch_defaults d = {src, {add_gen, bos ? bos : gbos, eos ? eos : geos, extra}};
        rc = batch(batch_path, &d);
    } else {
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
