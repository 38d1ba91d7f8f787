/* Chat prompts for vkattn serve: messages -> the text the model was trained on. One function, so the server's
 * chat completions and /apply-template render alike. Until the model's own template (tokenizer.chat_template)
 * can be rendered, every model gets ChatML (<|im_start|>role\ncontent<|im_end|>\n), the format of Qwen and of
 * most small chat models. */
#include "server.h"

#include <stdlib.h>
#include <string.h>

char *srv_render_chat(const vkattn_model *m, const srv_message *msgs, size_t n, int add_generation_prompt,
                      srv_error *err) {
    (void)m;
    static const char open[] = "<|im_start|>", close[] = "<|im_end|>\n";
    size_t total = 1 + (add_generation_prompt ? sizeof open + 16 : 0);
    for (size_t i = 0; i < n; i++) total += sizeof open + strlen(msgs[i].role) + 1 + strlen(msgs[i].content) + sizeof close;
    char *out = malloc(total), *p = out;
    if (!out) {
        srv_fail(err, 500, "server_error", NULL, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const char *role = strcmp(msgs[i].role, "developer") == 0 ? "system" : msgs[i].role;
        p += strlen(strcpy(p, open));
        p += strlen(strcpy(p, role));
        *p++ = '\n';
        p += strlen(strcpy(p, msgs[i].content));
        p += strlen(strcpy(p, close));
    }
    if (add_generation_prompt) {
        p += strlen(strcpy(p, open));
        p += strlen(strcpy(p, "assistant\n"));
    }
    *p = 0;
    return out;
}
