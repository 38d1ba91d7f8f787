/* The built-in demo model of `vkattn run` (no -m): a GGUF file embedded in the program. */
#ifndef VKATTN_DEMO_MODEL_H
#define VKATTN_DEMO_MODEL_H

#include <stddef.h>

/* The embedded GGUF bytes and their size, or NULL (with *size = 0) when this build has none. */
const void *demo_model_data(size_t *size);

#endif
