/* vkattn tokenize: text -> token ids, as llama.cpp's llama-tokenize: the vocabulary of a GGUF file (only its
 * tokenizer.ggml.* metadata is read: a file without tensors works), `id -> 'piece'` lines or, with --ids,
 * one Python-style list. A vocabulary in JSON (the tokenizer.ggml.* arrays, as tests/py_tokenizer.py writes
 * them) serves the project's own tests; --batch tokenizes a JSON array of strings for comparisons. */
#include "cli.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f, "usage: vkattn tokenize -m MODEL.gguf (-p TEXT | -f FILE | --stdin) [--ids] [--no-bos]\n"
               "                       [--no-parse-special] [--no-escape] [--show-count]\n"
               "       vkattn tokenize (-m MODEL.gguf | --vocab FILE.json) --batch STRINGS.json [--parse-special]\n"
               "                       [--no-add-special]\n"
               "       vkattn tokenize --vocab FILE.json [--parse-special] [--no-add-special] [--pieces] TEXT\n\n"
               "As llama-tokenize: prints \"id -> 'piece'\" per token, BOS when the model adds one, control tokens\n"
               "written in the text become those tokens.\n\n"
               "options:\n"
               "  -m, --model FILE   GGUF file: only its vocabulary is loaded (tokenizer-only files work)\n"
               "  -p, --prompt TEXT  the text; escapes \\n \\r \\t \\' \\\" \\\\ \\xHH are processed (see --no-escape)\n"
               "  -f, --file FILE    the text from a file, byte for byte (escapes processed as for -p)\n"
               "  --stdin            the text from standard input\n"
               "  --ids              print one list [1, 2, 3] instead of the pieces\n"
               "  --no-bos           do not add BOS (nor EOS), even if the model wants it\n"
               "  --no-parse-special control tokens written in the text stay text\n"
               "  --parse-special    control tokens written in the text become tokens (default with -m)\n"
               "  --no-escape        take -p / -f / --stdin text literally\n"
               "  --show-count       print the number of tokens at the end\n"
               "  --vocab FILE       vocabulary as JSON: {\"model\": \"gpt2\"|\"llama\", \"pre\", \"tokens\": [...],\n"
               "                     \"scores\", \"token_type\", \"merges\", \"bos_id\", \"eos_id\", \"unknown_id\",\n"
               "                     \"padding_id\", \"eot_id\", \"add_bos\", \"add_eos\", \"add_space_prefix\"}\n"
               "                     (default: parse-special off)\n"
               "  --no-add-special   do not add BOS/EOS (--vocab and --batch)\n"
               "  --pieces           print \"id<TAB>piece\" lines (--vocab)\n"
               "  --batch FILE       tokenize a JSON array of strings; print a JSON array of\n"
               "                     {\"ids\": [...], \"text\": streamed decoding (prefix space stripped)}\n");
}

static cJSON *parse_file(const char *path) {
    size_t len = 0;
    char *text = cli_read_file(path, &len);
    if (!text) {
        fprintf(stderr, "vkattn tokenize: cannot read %s\n", path);
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    if (!j) fprintf(stderr, "vkattn tokenize: %s is not valid JSON\n", path);
    return j;
}

static int32_t get_int(const cJSON *o, const char *key, int32_t dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v);
    return cJSON_IsNumber(v) ? (int32_t)v->valuedouble : dflt;
}

/* Arrays pointing into the parsed JSON; freed with free_vocab. */
typedef struct vocab {
    cJSON *json;
    const char **tokens, **merges;
    float *scores;
    int32_t *types;
} vocab;

static void free_vocab(vocab *v) {
    cJSON_Delete(v->json);
    free(v->tokens);
    free(v->merges);
    free(v->scores);
    free(v->types);
}

static const char **strings(const cJSON *a, uint32_t *n, const char *what) {
    *n = (uint32_t)cJSON_GetArraySize(a);
    const char **s = calloc(*n ? *n : 1, sizeof *s);
    uint32_t i = 0;
    for (const cJSON *x = a ? a->child : NULL; s && x; x = x->next, i++) {
        if (!cJSON_IsString(x)) {
            fprintf(stderr, "vkattn tokenize: %s[%u] is not a string\n", what, i);
            free(s);
            return NULL;
        }
        s[i] = x->valuestring;
    }
    return s;
}

static int load_vocab(const char *path, vocab *v, vkattn_tokenizer **tok) {
    vkattn_tokenizer_desc d;
    vkattn_tokenizer_desc_default(&d);
    if (!(v->json = parse_file(path))) return 1;
    const cJSON *j = v->json;
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(j, "model"), *pre = cJSON_GetObjectItemCaseSensitive(j, "pre");
    d.model = cJSON_IsString(model) ? model->valuestring : NULL;
    d.pre = cJSON_IsString(pre) ? pre->valuestring : NULL;
    if (!(v->tokens = strings(cJSON_GetObjectItemCaseSensitive(j, "tokens"), &d.n_vocab, "tokens"))) return 1;
    d.tokens = v->tokens;
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(j, "merges");
    if (merges) {
        if (!(v->merges = strings(merges, &d.n_merges, "merges"))) return 1;
        d.merges = v->merges;
    }
    const cJSON *scores = cJSON_GetObjectItemCaseSensitive(j, "scores"), *types = cJSON_GetObjectItemCaseSensitive(j, "token_type");
    if (scores || types) {
        if ((scores && cJSON_GetArraySize(scores) != (int)d.n_vocab) || (types && cJSON_GetArraySize(types) != (int)d.n_vocab)) {
            fprintf(stderr, "vkattn tokenize: scores/token_type must have %u entries like tokens\n", d.n_vocab);
            return 1;
        }
        v->scores = calloc(d.n_vocab, sizeof *v->scores);
        v->types = calloc(d.n_vocab, sizeof *v->types);
        if (!v->scores || !v->types) return 1;
        uint32_t i = 0;
        for (const cJSON *x = scores ? scores->child : NULL; x; x = x->next) v->scores[i++] = (float)x->valuedouble;
        i = 0;
        for (const cJSON *x = types ? types->child : NULL; x; x = x->next) v->types[i++] = (int32_t)x->valuedouble;
        d.scores = scores ? v->scores : NULL;
        d.token_types = types ? v->types : NULL;
    }
    d.bos_id = get_int(j, "bos_id", -1);
    d.eos_id = get_int(j, "eos_id", -1);
    d.unknown_id = get_int(j, "unknown_id", -1);
    d.padding_id = get_int(j, "padding_id", -1);
    d.eot_id = get_int(j, "eot_id", -1);
    d.add_bos = get_int(j, "add_bos", -1);
    d.add_eos = get_int(j, "add_eos", -1);
    d.add_space_prefix = get_int(j, "add_space_prefix", -1);
    vkattn_status st = vkattn_tokenizer_create(&d, tok);
    if (st) return cli_fail("loading the vocabulary", st, NULL);
    return 0;
}

/* Streams ids through a detokenizer; returns a malloc'ed NUL-terminated string. */
static char *decode(const vkattn_tokenizer *tok, const int32_t *ids, size_t n, uint32_t flags) {
    vkattn_tokenizer_info info;
    vkattn_tokenizer_get_info(tok, &info);
    size_t chunk = 3 * ((size_t)info.max_piece_bytes + 3), cap = (n + 1) * chunk + 1, len = 0, got;
    char *out = malloc(cap);
    vkattn_detok *d = NULL;
    if (!out || vkattn_detok_create(tok, flags, &d)) {
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (vkattn_detok_push(d, ids[i], out + len, cap - len, &got)) break;
        len += got;
    }
    if (!vkattn_detok_flush(d, out + len, cap - len, &got)) len += got;
    out[len] = 0;
    vkattn_detok_destroy(d);
    return out;
}

static int tokenize_one(const vkattn_tokenizer *tok, const char *text, size_t len, int add_special, int parse_special,
                        int32_t **ids, size_t *n) {
    vkattn_status st = vkattn_tokenize(tok, text, len, add_special, parse_special, NULL, 0, n);
    if (st && !(st == VKATTN_ERROR_INVALID_ARGUMENT && *n > 0)) return cli_fail("tokenizing", st, NULL);
    *ids = malloc((*n ? *n : 1) * sizeof **ids);
    if (!*ids) return 1;
    st = vkattn_tokenize(tok, text, len, add_special, parse_special, *ids, *n, n);
    return st ? cli_fail("tokenizing", st, NULL) : 0;
}

static int run_batch(const vkattn_tokenizer *tok, const char *path, int add_special, int parse_special) {
    cJSON *in = parse_file(path);
    if (!in) return 1;
    if (!cJSON_IsArray(in)) {
        fprintf(stderr, "vkattn tokenize: %s must hold a JSON array of strings\n", path);
        cJSON_Delete(in);
        return 1;
    }
    cJSON *out = cJSON_CreateArray();
    int rc = 0;
    uint32_t flags = VKATTN_DETOK_STRIP_PREFIX | (parse_special ? VKATTN_DETOK_SPECIAL : 0);
    for (const cJSON *x = in->child; x && !rc; x = x->next) {
        if (!cJSON_IsString(x)) {
            fprintf(stderr, "vkattn tokenize: a batch entry is not a string\n");
            rc = 1;
            break;
        }
        int32_t *ids = NULL;
        size_t n = 0;
        if ((rc = tokenize_one(tok, x->valuestring, strlen(x->valuestring), add_special, parse_special, &ids, &n))) break;
        cJSON *item = cJSON_CreateObject(), *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(arr, cJSON_CreateNumber(ids[i]));
        cJSON_AddItemToObject(item, "ids", arr);
        char *text = decode(tok, ids, n, flags);
        cJSON_AddItemToObject(item, "text", cJSON_CreateString(text ? text : ""));
        cJSON_AddItemToArray(out, item);
        free(text);
        free(ids);
    }
    if (!rc) {
        char *s = cJSON_PrintUnformatted(out);
        if (s) puts(s);
        free(s);
    }
    cJSON_Delete(out);
    cJSON_Delete(in);
    return rc;
}

/* llama.cpp's string_process_escapes: \n \r \t \' \" \\ and \xHH; anything else stays as written. */
static size_t process_escapes(char *s, size_t n) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 >= n) {
            s[o++] = s[i];
            continue;
        }
        char c = s[++i];
        if (c == 'n') s[o++] = '\n';
        else if (c == 'r') s[o++] = '\r';
        else if (c == 't') s[o++] = '\t';
        else if (c == '\'' || c == '"' || c == '\\') s[o++] = c;
        else {
            char hex[3] = {0};
            char *end = NULL;
            long v = 0;
            if (c == 'x' && i + 2 < n) {
                hex[0] = s[i + 1];
                hex[1] = s[i + 2];
                v = strtol(hex, &end, 16);
            }
            if (end == hex + 2) {
                s[o++] = (char)v;
                i += 2;
            } else {
                s[o++] = '\\';
                s[o++] = c;
            }
        }
    }
    return o;
}

static char *read_stream(FILE *f, size_t *len) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *b = realloc(buf, cap *= 2);
        if (!b) free(buf);
        buf = b;
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    *len = n;
    return buf;
}

/* llama-tokenize's output: "%6d -> 'piece'" lines (pieces with control text) or "[1, 2, 3]". */
static void print_tokens(const vkattn_tokenizer *tok, const int32_t *ids, size_t n, int as_ids, int show_count) {
    vkattn_tokenizer_info info;
    vkattn_tokenizer_get_info(tok, &info);
    char *buf = malloc((size_t)info.max_piece_bytes + 1);
    if (as_ids) fputc('[', stdout);
    for (size_t i = 0; i < n; i++) {
        if (as_ids) {
            printf(i ? ", %d" : "%d", ids[i]);
            continue;
        }
        size_t len = 0;
        if (!buf || vkattn_token_to_piece(tok, ids[i], 1, buf, info.max_piece_bytes, &len)) len = 0;
        printf("%6d -> '", ids[i]);
        fwrite(buf, 1, len, stdout);
        fputs("'\n", stdout);
    }
    if (as_ids) fputs("]\n", stdout);
    if (show_count) printf("Total number of tokens: %zu\n", n);
    free(buf);
}

int cmd_tokenize(int argc, char **argv) {
    const char *vocab_path = NULL, *model_path = NULL, *batch = NULL, *text = NULL, *prompt = NULL, *file = NULL;
    int add_special = 1, parse_special = -1, pieces = 0, as_ids = 0, no_bos = 0, escape = 1, use_stdin = 0;
    int show_count = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (cli_is_help(a)) {
            usage(stdout);
            return 0;
        } else if ((strcmp(a, "-m") == 0 || strcmp(a, "--model") == 0) && has_value) {
            model_path = argv[++i];
        } else if ((strcmp(a, "-p") == 0 || strcmp(a, "--prompt") == 0) && has_value) {
            prompt = argv[++i];
        } else if ((strcmp(a, "-f") == 0 || strcmp(a, "--file") == 0) && has_value) {
            file = argv[++i];
        } else if (strcmp(a, "--stdin") == 0) {
            use_stdin = 1;
        } else if (strcmp(a, "--vocab") == 0 && has_value) {
            vocab_path = argv[++i];
        } else if (strcmp(a, "--batch") == 0 && has_value) {
            batch = argv[++i];
        } else if (strcmp(a, "--no-add-special") == 0) {
            add_special = 0;
        } else if (strcmp(a, "--no-bos") == 0) {
            no_bos = 1;
        } else if (strcmp(a, "--parse-special") == 0) {
            parse_special = 1;
        } else if (strcmp(a, "--no-parse-special") == 0) {
            parse_special = 0;
        } else if (strcmp(a, "--no-escape") == 0) {
            escape = 0;
        } else if (strcmp(a, "--escape") == 0) {
            escape = 1;
        } else if (strcmp(a, "--ids") == 0) {
            as_ids = 1;
        } else if (strcmp(a, "--show-count") == 0) {
            show_count = 1;
        } else if (strcmp(a, "--pieces") == 0) {
            pieces = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "vkattn tokenize: unknown option %s (or it lacks its value)\n", a);
            usage(stderr);
            return 2;
        } else if (!text) {
            text = a;
        } else {
            fprintf(stderr, "vkattn tokenize: give the text as one argument (quote it) or with -p\n");
            return 2;
        }
    }
    int sources = (prompt != NULL) + (file != NULL) + use_stdin + (text != NULL) + (batch != NULL);
    if ((!vocab_path) == (!model_path) || sources != 1) {
        fprintf(stderr, "vkattn tokenize: give one vocabulary (-m MODEL.gguf or --vocab FILE.json) and one text "
                        "(-p, -f, --stdin, --batch or a TEXT argument)\n");
        usage(stderr);
        return 2;
    }
    if (parse_special < 0) parse_special = model_path != NULL; /* llama-tokenize parses them by default */

    vocab v = {0};
    vkattn_tokenizer *tok = NULL;
    int rc = 0;
    if (model_path) {
        vkattn_status st = vkattn_tokenizer_load(model_path, &tok);
        if (st) rc = cli_fail(model_path, st, NULL);
    } else {
        rc = load_vocab(vocab_path, &v, &tok);
    }
    if (!rc) {
        vkattn_tokenizer_info info;
        vkattn_tokenizer_get_info(tok, &info);
        if (info.warning) fprintf(stderr, "vkattn tokenize: warning: %s\n", info.warning);
    }
    if (!rc && batch) {
        rc = run_batch(tok, batch, add_special, parse_special);
    } else if (!rc && text) { /* the JSON-vocabulary form */
        int32_t *ids = NULL;
        size_t n = 0;
        rc = tokenize_one(tok, text, strlen(text), add_special, parse_special, &ids, &n);
        for (size_t i = 0; !rc && i < n; i++) {
            if (pieces) {
                char buf[1024];
                size_t len = 0;
                vkattn_token_to_piece(tok, ids[i], 1, buf, sizeof buf, &len);
                printf("%d\t%.*s\n", ids[i], (int)(len <= sizeof buf ? len : 0), buf);
            } else {
                printf(i + 1 < n ? "%d " : "%d\n", ids[i]);
            }
        }
        free(ids);
    } else if (!rc) { /* llama-tokenize's form */
        size_t len = 0;
        char *buf = NULL;
        if (prompt) {
            len = strlen(prompt);
            if ((buf = malloc(len + 1))) memcpy(buf, prompt, len + 1);
        } else if (file) {
            buf = cli_read_file(file, &len);
        } else {
            buf = read_stream(stdin, &len);
        }
        if (!buf) {
            fprintf(stderr, "vkattn tokenize: cannot read %s\n", file ? file : prompt ? "the prompt" : "standard input");
            rc = 1;
        } else {
            if (escape) len = process_escapes(buf, len);
            vkattn_tokenizer_info info;
            vkattn_tokenizer_get_info(tok, &info);
            int32_t *ids = NULL;
            size_t n = 0;
            rc = tokenize_one(tok, buf, len, info.add_bos && !no_bos, parse_special, &ids, &n);
            if (!rc) print_tokens(tok, ids, n, as_ids, show_count);
            free(ids);
        }
        free(buf);
    }
    vkattn_tokenizer_destroy(tok);
    free_vocab(&v);
    return rc;
}
