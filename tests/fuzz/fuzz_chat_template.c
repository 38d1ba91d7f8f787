/* Chat templates (the Jinja2 subset in src/chat): parse a template, render it over fuzzed messages JSON and
 * extra variables. Input: flags byte (bit 0: add_generation_prompt), template source, "\n#messages\n",
 * a JSON array of messages, optionally "\n#extra\n" and a JSON object of extra variables. The interpreter's
 * step, memory and output limits must stop every template; rendered text must be NUL-terminated at its length. */
#include "fuzz.h"

#include <string.h>

static char *dup_n(const uint8_t *p, size_t n) {
    char *s = malloc(n + 1);
    if (s) memcpy(s, p, n), s[n] = '\0';
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t src_len, rest_len, msgs_len, extra_len;
    const uint8_t *rest, *extra;
    fuzz_split(data + 1, size - 1, "\n#messages\n", &src_len, &rest, &rest_len);
    int has_extra = fuzz_split(rest, rest_len, "\n#extra\n", &msgs_len, &extra, &extra_len);
    char *src = dup_n(data + 1, src_len), *msgs = dup_n(rest, msgs_len), *vars = dup_n(extra, extra_len);
    vkattn_chat_template *t;
    if (src && msgs && vars && vkattn_chat_template_create(src, &t) == VKATTN_OK) {
        vkattn_chat_params p = {data[0] & 1, "<s>", "</s>", has_extra ? vars : NULL};
        char *out;
        size_t n;
        if (vkattn_chat_template_apply_json(t, msgs, &p, &out, &n) == VKATTN_OK) {
            FUZZ_CHECK(out && out[n] == '\0'); /* the text may hold NULs from the JSON */
            vkattn_chat_free(out);
        }
        static const vkattn_chat_message fixed[] = {{"system", "Be brief."}, {"user", "Hi <|im_end|> {{ x }}"},
                                                    {"assistant", "Hello."}, {"user", "\xc3\xa9\xf0\x9f\x98\x80"}};
        if (vkattn_chat_template_apply(t, fixed, 4, &p, &out, &n) == VKATTN_OK) vkattn_chat_free(out);
        vkattn_chat_template_destroy(t);
    }
    free(src), free(msgs), free(vars);
    return 0;
}
