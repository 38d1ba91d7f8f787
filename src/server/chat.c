/* Chat prompts for vkattn serve: messages -> the text the model was trained on, through the chat template
 * (the model's tokenizer.chat_template, --chat-template NAME|FILE, or chatml; resolved by the CLI) rendered by
 * vkattn_chat_template_apply as transformers renders it. One function, so chat completions and /apply-template
 * render alike. A template that refuses the conversation (raise_exception: "roles must alternate ...") is the
 * client's 400. */
#include "server.h"

#include <stdlib.h>
#include <string.h>

char *srv_render_chat(const srv_chat *c, const srv_message *msgs, size_t n, int add_generation_prompt, srv_error *err) {
    vkattn_chat_message *m = calloc(n ? n : 1, sizeof *m);
    if (!m) {
        srv_fail(err, 500, "server_error", NULL, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) m[i] = (vkattn_chat_message){msgs[i].role, msgs[i].content};
    const vkattn_chat_params p = {.add_generation_prompt = add_generation_prompt, .bos_token = c->bos, .eos_token = c->eos};
    char *text = NULL, *out = NULL;
    size_t len = 0;
    vkattn_status st = vkattn_chat_template_apply(c->tmpl, m, n, &p, &text, &len);
    free(m);
    if (st == VKATTN_ERROR_OUT_OF_HOST_MEMORY) srv_fail(err, 500, "server_error", NULL, "out of memory");
    else if (st) srv_fail(err, 400, "invalid_request_error", "messages", "chat template: %s", vkattn_context_error(NULL));
    else if (strlen(text) != len) srv_fail(err, 400, "invalid_request_error", "messages", "the rendered prompt holds a NUL byte");
    else if (!(out = malloc(len + 1))) srv_fail(err, 500, "server_error", NULL, "out of memory");
    else memcpy(out, text, len + 1);
    vkattn_chat_free(text);
    return out;
}
