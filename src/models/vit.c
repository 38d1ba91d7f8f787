#include "hf.h"
vkattn_status vkattn__vit_create(vkattn__hf *hf, vkattn_encoder *enc) {
    (void)enc;
    return vkattn__fail(hf->ctx, VKATTN_ERROR_UNSUPPORTED, "ViT: not yet");
}
vkattn_status vkattn_encoder_forward_images(vkattn_encoder *enc, const vkattn_image *images, uint32_t batch,
                                            vkattn_encoder_outputs *out) {
    (void)images, (void)batch, (void)out;
    return vkattn__fail(enc ? enc->ctx : NULL, VKATTN_ERROR_UNSUPPORTED, "ViT: not yet");
}
