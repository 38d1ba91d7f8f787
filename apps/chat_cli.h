/* Chat templates in the CLI (chat_cli.c): --chat-template resolution and the special-token texts the
 * templates need; shared by `vkattn template` and `vkattn chat`. */
#ifndef VKATTN_CHAT_CLI_H
#define VKATTN_CHAT_CLI_H

#include "vkattn.h"

#include <stddef.h>

/* The template source to use (malloc'ed), or NULL after printing an error that names the override:
 * override = a built-in name or a Jinja file; else the model's own template; else chatml with a note
 * (a chat model fed a raw prompt answers poorly, so there is always a template). */
char *cli_chat_template(const char *cmd, const char *override, const char *model_template);
/* A built-in template's source or a Jinja file's (malloc'ed), or NULL with why in err[0..cap). */
char *cli_chat_template_named(const char *name, char *err, size_t cap);
/* The vocabulary text of token id as a malloc'ed string ("" for -1 or out of range). */
char *cli_token_text(const vkattn_tokenizer *tok, int32_t id);
/* A whole file, NUL-terminated (NULL if unreadable); *len (may be NULL) its length. */
char *cli_read_text(const char *path, size_t *len);

#endif
