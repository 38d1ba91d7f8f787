/* The server's request parsing (src/server/request.c: route, headers, authentication, JSON body), as
 * libmicrohttpd hands it over. Input: "METHOD PATH\n", header lines "Name: value\n", an empty line, the body.
 * Properties: an accepted request frees cleanly; a refused one has an HTTP error status, a message, and an
 * OpenAI-style error body that is valid JSON. */
#include "fuzz.h"

#include "server.h"

#include <cjson/cJSON.h>
#include <string.h>

enum { MAX_HEADERS = 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* the head is NUL-terminated text: a copy with the line ends turned into NULs */
    size_t head_len, body_len;
    const uint8_t *body;
    fuzz_split(data, size, "\n\n", &head_len, &body, &body_len);
    char *head = malloc(head_len + 1);
    if (!head) return 0;
    memcpy(head, data, head_len);
    head[head_len] = '\0';
    char *method = head, *path = "", *line_end = strchr(head, '\n');
    if (line_end) *line_end = '\0';
    char *sp = strchr(head, ' ');
    if (sp) *sp = '\0', path = sp + 1;
    srv_header headers[MAX_HEADERS];
    size_t n_headers = 0;
    for (char *line = line_end ? line_end + 1 : NULL; line && n_headers < MAX_HEADERS;) {
        char *next = strchr(line, '\n'), *colon = strchr(line, ':');
        if (next) *next++ = '\0';
        if (colon) {
            *colon = '\0';
            headers[n_headers].name = line, headers[n_headers++].value = colon[1] == ' ' ? colon + 2 : colon + 1;
        }
        line = next;
    }
    const srv_limits lim = {.api_key = size % 2 ? "secret" : NULL, .max_body = 4096, .n_ctx = 256};
    srv_request req;
    srv_error err;
    int st = srv_parse_request(&lim, method, path, headers, n_headers, (const char *)body, body_len, &req, &err);
    if (getenv("FUZZ_VERBOSE")) printf("HTTP %d %s\n", st ? st : 200, st ? err.message : "");
    if (st == 0) {
        srv_request_free(&req);
    } else {
        FUZZ_CHECK(st >= 400 && st < 600 && err.message[0]);
        char *json = srv_error_json(&err);
        cJSON *parsed = json ? cJSON_Parse(json) : NULL;
        FUZZ_CHECK(!json || parsed);
        cJSON_Delete(parsed);
        free(json);
    }
    free(head);
    return 0;
}
