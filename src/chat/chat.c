/* Chat templates: the public API over the Jinja engine, and the built-in templates (for models whose file
 * carries none, or to override one with --chat-template NAME). */
#include "jinja.h"

#include <stdlib.h>
#include <string.h>

struct vkattn_chat_template {
    jj_template t;
};

/* ---- built-in templates: the formats as their models' tokenizer_config.json define them ---- */

static const char chatml[] =
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

static const char llama2[] =
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

static const char llama3[] =
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + "
    "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

static const char gemma2[] =
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

static const char gemma3[] =
    "{{ bos_token }}\n"
    "{%- if messages[0]['role'] == 'system' -%}\n"
    "    {%- if messages[0]['content'] is string -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}\n"
    "    {%- else -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}\n"
    "    {%- endif -%}\n"
    "    {%- set loop_messages = messages[1:] -%}\n"
    "{%- else -%}\n"
    "    {%- set first_user_prefix = \"\" -%}\n"
    "    {%- set loop_messages = messages -%}\n"
    "{%- endif -%}\n"
    "{%- for message in loop_messages -%}\n"
    "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}\n"
    "        {{ raise_exception(\"Conversation roles must alternate user/assistant/user/assistant/...\") }}\n"
    "    {%- endif -%}\n"
    "    {%- if (message['role'] == 'assistant') -%}\n"
    "        {%- set role = \"model\" -%}\n"
    "    {%- else -%}\n"
    "        {%- set role = message['role'] -%}\n"
    "    {%- endif -%}\n"
    "    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else \"\") }}\n"
    "    {%- if message['content'] is string -%}\n"
    "        {{ message['content'] | trim }}\n"
    "    {%- elif message['content'] is iterable -%}\n"
    "        {%- for item in message['content'] -%}\n"
    "            {%- if item['type'] == 'image' -%}\n"
    "                {{ '<start_of_image>' }}\n"
    "            {%- elif item['type'] == 'text' -%}\n"
    "                {{ item['text'] | trim }}\n"
    "            {%- endif -%}\n"
    "        {%- endfor -%}\n"
    "    {%- else -%}\n"
    "        {{ raise_exception(\"Invalid content type\") }}\n"
    "    {%- endif -%}\n"
    "    {{ '<end_of_turn>\n' }}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}\n"
    "    {{'<start_of_turn>model\n'}}\n"
    "{%- endif -%}\n";

static const char phi3[] =
    "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}"
    "{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}"
    "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";

static const char mistral[] =
    "{%- if messages[0]['role'] == 'system' %}\n"
    "    {%- set system_message = messages[0]['content'] %}\n"
    "    {%- set loop_messages = messages[1:] %}\n"
    "{%- else %}\n"
    "    {%- set loop_messages = messages %}\n"
    "{%- endif %}\n"
    "\n"
    "{{- bos_token }}\n"
    "{%- for message in loop_messages %}\n"
    "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n"
    "        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n"
    "    {%- endif %}\n"
    "    {%- if message['role'] == 'user' %}\n"
    "        {%- if loop.first and system_message is defined %}\n"
    "            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n"
    "        {%- else %}\n"
    "            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n"
    "        {%- endif %}\n"
    "    {%- elif message['role'] == 'assistant' %}\n"
    "        {{- ' ' + message['content'] + eos_token}}\n"
    "    {%- else %}\n"
    "        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n";

static const char qwen25[] =
    "{%- if tools %}\n"
    "    {{- '<|im_start|>system\\n' }}\n"
    "    {%- if messages[0]['role'] == 'system' %}\n"
    "        {{- messages[0]['content'] }}\n"
    "    {%- else %}\n"
    "        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}\n"
    "    {%- endif %}\n"
    "    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with "
    "function signatures within <tools></tools> XML tags:\\n<tools>\" }}\n"
    "    {%- for tool in tools %}\n"
    "        {{- \"\\n\" }}\n"
    "        {{- tool | tojson }}\n"
    "    {%- endfor %}\n"
    "    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within "
    "<tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\": "
    "<args-json-object>}\\n</tool_call><|im_end|>\\n\" }}\n"
    "{%- else %}\n"
    "    {%- if messages[0]['role'] == 'system' %}\n"
    "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
    "    {%- else %}\n"
    "        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n"
    "    {%- endif %}\n"
    "{%- endif %}\n"
    "{%- for message in messages %}\n"
    "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == "
    "\"assistant\" and not message.tool_calls) %}\n"
    "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
    "    {%- elif message.role == \"assistant\" %}\n"
    "        {{- '<|im_start|>' + message.role }}\n"
    "        {%- if message.content %}\n"
    "            {{- '\\n' + message.content }}\n"
    "        {%- endif %}\n"
    "        {%- for tool_call in message.tool_calls %}\n"
    "            {%- if tool_call.function is defined %}\n"
    "                {%- set tool_call = tool_call.function %}\n"
    "            {%- endif %}\n"
    "            {{- '\\n<tool_call>\\n{\"name\": \"' }}\n"
    "            {{- tool_call.name }}\n"
    "            {{- '\", \"arguments\": ' }}\n"
    "            {{- tool_call.arguments | tojson }}\n"
    "            {{- '}\\n</tool_call>' }}\n"
    "        {%- endfor %}\n"
    "        {{- '<|im_end|>\\n' }}\n"
    "    {%- elif message.role == \"tool\" %}\n"
    "        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != \"tool\") %}\n"
    "            {{- '<|im_start|>user' }}\n"
    "        {%- endif %}\n"
    "        {{- '\\n<tool_response>\\n' }}\n"
    "        {{- message.content }}\n"
    "        {{- '\\n</tool_response>' }}\n"
    "        {%- if loop.last or (messages[loop.index0 + 1].role != \"tool\") %}\n"
    "            {{- '<|im_end|>\\n' }}\n"
    "        {%- endif %}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- '<|im_start|>assistant\\n' }}\n"
    "{%- endif %}\n";

static const struct {
    const char *name;
    const char *src;
} builtins[] = {{"chatml", chatml}, {"llama2", llama2}, {"llama3", llama3}, {"gemma", gemma3}, {"gemma3", gemma3},
                {"gemma2", gemma2}, {"phi3", phi3},     {"mistral", mistral}, {"qwen2.5", qwen25}, {"qwen2", qwen25}};

const char *vkattn_chat_builtin_template(const char *name) {
    for (size_t i = 0; name && i < sizeof builtins / sizeof builtins[0]; i++)
        if (strcmp(name, builtins[i].name) == 0) return builtins[i].src;
    return NULL;
}

const char *vkattn_chat_builtin_names(void) {
    return "chatml, llama2, llama3, gemma (Gemma 3), gemma2, phi3, mistral, qwen2.5";
}

/* ---- API ---- */

vkattn_status vkattn_chat_template_create(const char *source, vkattn_chat_template **out) {
    if (!out) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_chat_template_create: out is NULL");
    *out = NULL;
    if (!source) return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_chat_template_create: source is NULL");
    vkattn_chat_template *t = calloc(1, sizeof *t);
    if (!t) return vkattn__fail(NULL, VKATTN_ERROR_OUT_OF_HOST_MEMORY, "chat template: out of host memory");
    vkattn_status st = jj_parse(source, strlen(source), &t->t);
    if (st) {
        free(t);
        return st;
    }
    *out = t;
    return VKATTN_OK;
}

void vkattn_chat_template_destroy(vkattn_chat_template *t) {
    if (!t) return;
    jj_template_free(&t->t);
    free(t);
}

void vkattn_chat_free(char *text) { free(text); }

/* Renders with `messages` already converted; adds the standard variables and the extra JSON object. */
static vkattn_status render(const vkattn_chat_template *t, jj_arena *A, jj_val messages, const vkattn_chat_params *params,
                            char **out, size_t *out_len) {
    vkattn_chat_params none = {0};
    if (!params) params = &none;
    jj_var vars[64];
    size_t n = 0;
    const char *bos = params->bos_token ? params->bos_token : "", *eos = params->eos_token ? params->eos_token : "";
    vars[n++] = (jj_var){"messages", messages};
    vars[n++] = (jj_var){"add_generation_prompt", jj_bool(params->add_generation_prompt)};
    vars[n++] = (jj_var){"bos_token", jj_strv(bos, strlen(bos))};
    vars[n++] = (jj_var){"eos_token", jj_strv(eos, strlen(eos))};
    vars[n++] = (jj_var){"tools", jj_none()};     /* transformers passes tools=None, documents=None */
    vars[n++] = (jj_var){"documents", jj_none()};
    if (params->extra_json) {
        jj_val extra;
        vkattn_status st = jj_json_parse(A, params->extra_json, strlen(params->extra_json), &extra, "chat template extra variables");
        if (st) return st;
        if (extra.t != JV_DICT)
            return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "chat template extra variables: expected a JSON object");
        for (size_t i = 0; i < extra.u.d->n; i++) {
            if (n == sizeof vars / sizeof vars[0])
                return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "chat template extra variables: more than %zu",
                                    sizeof vars / sizeof vars[0] - 6);
            jj_str k = extra.u.d->k[i];
            char *name = jj_alloc(A, k.n + 1);
            if (!name) return vkattn__fail(NULL, VKATTN_ERROR_TOO_LARGE, "chat template extra variables: too large");
            memcpy(name, k.p, k.n);
            vars[n++] = (jj_var){name, extra.u.d->v[i]};
        }
    }
    return jj_render(&t->t, A, vars, n, out, out_len);
}

vkattn_status vkattn_chat_template_apply(const vkattn_chat_template *t, const vkattn_chat_message *messages, size_t n,
                                         const vkattn_chat_params *params, char **out, size_t *out_len) {
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!t || !out || (n && !messages))
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_chat_template_apply: NULL template, messages or out");
    jj_arena A = {.limit = JJ_MAX_ARENA};
    jj_list *l = jj_list_new(&A, n);
    vkattn_status st = l ? VKATTN_OK : VKATTN_ERROR_TOO_LARGE;
    for (size_t i = 0; !st && i < n; i++) {
        jj_dict *d = jj_dict_new(&A, 2);
        if (!d) {
            st = VKATTN_ERROR_TOO_LARGE;
            break;
        }
        if (!messages[i].role) {
            st = vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "chat message %zu has no role", i);
            break;
        }
        const char *c = messages[i].content;
        jj_dict_set(&A, d, (jj_str){"role", 4}, jj_strv(messages[i].role, strlen(messages[i].role)));
        jj_dict_set(&A, d, (jj_str){"content", 7}, c ? jj_strv(c, strlen(c)) : jj_none());
        l->v[l->n].t = JV_DICT;
        l->v[l->n++].u.d = d;
    }
    if (st == VKATTN_ERROR_TOO_LARGE) st = vkattn__fail(NULL, st, "chat template: the messages are too large");
    if (!st) {
        jj_val msgs = {JV_LIST, {.l = l}};
        st = render(t, &A, msgs, params, out, out_len);
    }
    jj_arena_free(&A);
    return st;
}

vkattn_status vkattn_chat_template_apply_json(const vkattn_chat_template *t, const char *messages_json,
                                              const vkattn_chat_params *params, char **out, size_t *out_len) {
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (!t || !out || !messages_json)
        return vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "vkattn_chat_template_apply_json: NULL template, messages or out");
    jj_arena A = {.limit = JJ_MAX_ARENA};
    jj_val msgs;
    vkattn_status st = jj_json_parse(&A, messages_json, strlen(messages_json), &msgs, "chat messages JSON");
    if (!st && msgs.t != JV_LIST) st = vkattn__fail(NULL, VKATTN_ERROR_INVALID_ARGUMENT, "chat messages JSON: expected an array");
    if (!st) st = render(t, &A, msgs, params, out, out_len);
    jj_arena_free(&A);
    return st;
}

vkattn_status vkattn_chat_apply_template(const char *template_source, const vkattn_chat_message *messages, size_t n,
                                         int add_generation_prompt, const char *bos_token, const char *eos_token,
                                         char **out) {
    if (out) *out = NULL;
    vkattn_chat_template *t = NULL;
    vkattn_status st = vkattn_chat_template_create(template_source, &t);
    if (st) return st;
    vkattn_chat_params p = {add_generation_prompt, bos_token, eos_token, NULL};
    st = vkattn_chat_template_apply(t, messages, n, &p, out, NULL);
    vkattn_chat_template_destroy(t);
    return st;
}
