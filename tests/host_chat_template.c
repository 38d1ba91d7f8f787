/* The chat-template C API (vkattn_chat_*): the message-struct and JSON paths agree, params and extra
 * variables arrive, errors are statuses with messages, one parsed template renders from several threads.
 * Byte-exactness against Jinja2 over real templates is tests/py_chat_template.py's job. */
#include "harness.h"

#include <pthread.h>
#include <string.h>

static const char *const chatml_want =
    "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nGrüße 😀<|im_end|>\n<|im_start|>assistant\n";

static void test_apply(void) {
    const char *src = vkattn_chat_builtin_template("chatml");
    CHECK(src != NULL, "chatml is built in");
    CHECK(vkattn_chat_builtin_template("no-such") == NULL, "unknown built-in");
    CHECK(strstr(vkattn_chat_builtin_names(), "llama3") != NULL, "names list");
    vkattn_chat_message m[] = {{"system", "Be brief."}, {"user", "Grüße 😀"}};
    char *out = NULL;
    CHECK_OK(NULL, vkattn_chat_apply_template(src, m, 2, 1, NULL, NULL, &out));
    CHECK(out && strcmp(out, chatml_want) == 0, "chatml: %s", out ? out : "(null)");
    vkattn_chat_free(out);

    vkattn_chat_template *t = NULL;
    CHECK_OK(NULL, vkattn_chat_template_create(src, &t));
    size_t len = 0;
    vkattn_chat_params p = {.add_generation_prompt = 1};
    CHECK_OK(NULL, vkattn_chat_template_apply_json(t, "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                                                      "{\"role\":\"user\",\"content\":\"Gr\\u00fc\\u00dfe \\ud83d\\ude00\"}]",
                                                   &p, &out, &len));
    CHECK(out && strcmp(out, chatml_want) == 0 && len == strlen(chatml_want), "JSON path: %s", out ? out : "(null)");
    vkattn_chat_free(out);
    CHECK_STATUS(NULL, vkattn_chat_template_apply_json(t, "[{\"role\": ", &p, &out, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(out == NULL && strstr(vkattn_context_error(NULL), "byte"), "malformed JSON says where: %s", vkattn_context_error(NULL));
    CHECK_STATUS(NULL, vkattn_chat_template_apply_json(t, "{}", &p, &out, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_chat_template_apply(t, NULL, 1, &p, &out, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_chat_template_destroy(t);
    vkattn_chat_template_destroy(NULL);

    /* bos/eos and extra variables; tools defaults to none as in transformers */
    CHECK_OK(NULL, vkattn_chat_template_create("{{ bos_token }}{{ flag }}{{ tools is none }}{{ n + 1 }}{{ eos_token }}", &t));
    vkattn_chat_params q = {0, "<s>", "</s>", "{\"flag\": \"F\", \"n\": 41}"};
    CHECK_OK(NULL, vkattn_chat_template_apply(t, m, 0, &q, &out, NULL));
    CHECK(out && strcmp(out, "<s>FTrue42</s>") == 0, "params: %s", out ? out : "(null)");
    vkattn_chat_free(out);
    q.extra_json = "[1]";
    CHECK_STATUS(NULL, vkattn_chat_template_apply(t, m, 0, &q, &out, NULL), VKATTN_ERROR_INVALID_ARGUMENT);
    vkattn_chat_template_destroy(t);

    /* a NULL content is None */
    vkattn_chat_message tc[] = {{"assistant", NULL}};
    CHECK_OK(NULL, vkattn_chat_apply_template("{{ messages[0].content is none }}", tc, 1, 0, NULL, NULL, &out));
    CHECK(out && strcmp(out, "True") == 0, "NULL content: %s", out ? out : "(null)");
    vkattn_chat_free(out);
}

static void test_errors(void) {
    vkattn_chat_template *t = (vkattn_chat_template *)&t;
    CHECK_STATUS(NULL, vkattn_chat_template_create("a\n{% if x %}b", &t), VKATTN_ERROR_FORMAT);
    CHECK(t == NULL && strstr(vkattn_context_error(NULL), "line 2"), "syntax error names the line: %s", vkattn_context_error(NULL));
    CHECK_STATUS(NULL, vkattn_chat_template_create(NULL, &t), VKATTN_ERROR_INVALID_ARGUMENT);
    char *out = (char *)"x";
    vkattn_chat_message m[] = {{"user", "hi"}, {"user", "again"}};
    CHECK_STATUS(NULL, vkattn_chat_apply_template(vkattn_chat_builtin_template("gemma2"), m, 2, 1, NULL, NULL, &out),
                 VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK(out == NULL && strstr(vkattn_context_error(NULL), "roles must alternate"), "raise_exception text: %s",
          vkattn_context_error(NULL));
    vkattn_chat_message norole[] = {{NULL, "x"}};
    CHECK_STATUS(NULL, vkattn_chat_apply_template("x", norole, 1, 0, NULL, NULL, &out), VKATTN_ERROR_INVALID_ARGUMENT);
    CHECK_STATUS(NULL, vkattn_chat_apply_template("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                                                  m, 0, 0, NULL, NULL, &out), VKATTN_ERROR_TOO_LARGE);
}

/* one template, four threads rendering different conversations at once */
typedef struct job {
    const vkattn_chat_template *t;
    int id, ok;
} job;

static void *render_job(void *arg) {
    job *j = arg;
    char content[32], want[128];
    snprintf(content, sizeof content, "thread %d", j->id);
    snprintf(want, sizeof want, "<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n", content);
    vkattn_chat_message m[] = {{"user", content}};
    vkattn_chat_params p = {.add_generation_prompt = 1};
    j->ok = 1;
    for (int r = 0; r < 200; r++) {
        char *out = NULL;
        if (vkattn_chat_template_apply(j->t, m, 1, &p, &out, NULL) || strcmp(out, want) != 0) j->ok = 0;
        vkattn_chat_free(out);
    }
    return NULL;
}

static void test_threads(void) {
    vkattn_chat_template *t = NULL;
    CHECK_OK(NULL, vkattn_chat_template_create(vkattn_chat_builtin_template("chatml"), &t));
    pthread_t th[4];
    job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){t, i, 0};
        pthread_create(&th[i], NULL, render_job, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(jobs[i].ok, "thread %d rendered wrongly", i);
    }
    vkattn_chat_template_destroy(t);
}

int main(void) {
    test_apply();
    test_errors();
    test_threads();
    return th_finish(NULL);
}
