/* Status strings and error messages: one per context, one per thread. */
#include "base.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char thread_error[VKATTN__ERROR_SIZE] = "no error";

/* A context's message is its first member (see VKATTN__ERROR_SIZE; core/context.c asserts the layout). */
static char *context_message(const vkattn_context *ctx) { return (char *)ctx; }

const char *vkattn_status_string(vkattn_status s) {
    switch (s) {
    case VKATTN_OK: return "VKATTN_OK";
    case VKATTN_ERROR_INVALID_ARGUMENT: return "VKATTN_ERROR_INVALID_ARGUMENT";
    case VKATTN_ERROR_OUT_OF_HOST_MEMORY: return "VKATTN_ERROR_OUT_OF_HOST_MEMORY";
    case VKATTN_ERROR_OUT_OF_DEVICE_MEMORY: return "VKATTN_ERROR_OUT_OF_DEVICE_MEMORY";
    case VKATTN_ERROR_DEVICE_LOST: return "VKATTN_ERROR_DEVICE_LOST";
    case VKATTN_ERROR_UNSUPPORTED: return "VKATTN_ERROR_UNSUPPORTED";
    case VKATTN_ERROR_NO_DEVICE: return "VKATTN_ERROR_NO_DEVICE";
    case VKATTN_ERROR_TOO_LARGE: return "VKATTN_ERROR_TOO_LARGE";
    case VKATTN_ERROR_IO: return "VKATTN_ERROR_IO";
    case VKATTN_ERROR_FORMAT: return "VKATTN_ERROR_FORMAT";
    case VKATTN_ERROR_VULKAN: return "VKATTN_ERROR_VULKAN";
    case VKATTN_ERROR_STATE: return "VKATTN_ERROR_STATE";
    }
    return "VKATTN_ERROR_UNKNOWN";
}

vkattn_status vkattn__fail(vkattn_context *ctx, vkattn_status status, const char *fmt, ...) {
    char msg[VKATTN__ERROR_SIZE]; /* the arguments may be the current message itself */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(thread_error, msg, sizeof msg);
    if (ctx) memcpy(context_message(ctx), msg, sizeof msg);
    return status;
}

const char *vkattn_context_error(const vkattn_context *ctx) { return ctx ? context_message(ctx) : thread_error; }
