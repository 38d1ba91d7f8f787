/* --chat-template resolution and token texts for the chat commands. */
#include "chat_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cli_read_text(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n + 1 >= cap) {
            char *p = realloc(buf, cap = cap ? 2 * cap : 1 << 14);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got);
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

static char *dup_str(const char *s) {
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

char *cli_chat_template_named(const char *name, char *err, size_t cap) {
    const char *b = vkattn_chat_builtin_template(name);
    if (b) return dup_str(b);
    size_t len = 0;
    char *src = cli_read_text(name, &len);
    if (!src) {
        snprintf(err, cap, "'%s' is neither a built-in template (%s) nor a readable Jinja file", name,
                 vkattn_chat_builtin_names());
        return NULL;
    }
    if (strlen(src) != len) {
        snprintf(err, cap, "'%s': the file holds a NUL byte; a template is text", name);
        free(src);
        return NULL;
    }
    return src;
}

char *cli_chat_template(const char *cmd, const char *override, const char *model_template) {
    if (override) {
        char err[512];
        char *src = cli_chat_template_named(override, err, sizeof err);
        if (!src) fprintf(stderr, "vkattn %s: --chat-template %s\n", cmd, err);
        return src;
    }
    if (model_template) return dup_str(model_template);
    fprintf(stderr, "vkattn %s: note: the model has no chat template (tokenizer.chat_template): using chatml; "
                    "choose another with --chat-template NAME|FILE\n", cmd);
    return dup_str(vkattn_chat_builtin_template("chatml"));
}

char *cli_token_text(const vkattn_tokenizer *tok, int32_t id) {
    size_t len = 0;
    const char *t = tok && id >= 0 ? vkattn_tokenizer_token_text(tok, id, &len) : NULL;
    char *d = malloc(len + 1);
    if (!d) return NULL;
    if (t && len) memcpy(d, t, len);
    d[len] = 0;
    return d;
}
