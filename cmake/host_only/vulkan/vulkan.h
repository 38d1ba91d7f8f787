/* On the include path of the host-only sources (vkattn_host in CMakeLists.txt) only: they must not
 * include Vulkan. Include "base/base.h" instead of "core/core.h". */
#error "host-only code (src/base, formats, tokenizers, sampling, hf_config) includes a Vulkan header"
