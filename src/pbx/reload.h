/* reload: makes Asterisk load what Centralita wrote, and knows when it did.
 *
 * Asterisk runs one module reload at a time and does not queue the others: ast_module_reload() only trylocks its
 * reload lock, so a reload asked for while another runs (any module, anyone's: an integrator's "core reload", a
 * big res_pjsip reload takes ~130 ms) is refused with "A reload is in progress" and does nothing. UpdateConfig's
 * Reload header ignores that refusal, so a phone saved that way could be written but never loaded, while
 * Centralita called it applied (observed on Asterisk 22.10.1). Centralita therefore never uses that header: it
 * writes, then asks for the reload with the Reload action, which answers after the reload ran, and asks again
 * while another reload is in progress. Knows ami only. */
#ifndef PBX_RELOAD_H
#define PBX_RELOAD_H
#include <stddef.h>

#include "ami/ami.h"

/* How long pbx_reload() keeps asking while other reloads run, and how long it waits between two asks. */
#define PBX_RELOAD_PATIENCE_MS 5000
#define PBX_RELOAD_PAUSE_MS 100

/* Reloads module ("res_pjsip.so", "pbx_config.so"...) and returns once Asterisk says it ran. AMI_OK, or the
 * failing status with msg; a reload still refused as in progress after PBX_RELOAD_PATIENCE_MS is AMI_ERROR with
 * refusal AMI_REFUSAL_RELOAD_IN_PROGRESS in *refusal (if not NULL): nothing was reloaded, ask again later. */
enum ami_status pbx_reload(struct ami_pool *pool, const char *module, enum ami_refusal *refusal, char *msg,
			   size_t len);

#endif
