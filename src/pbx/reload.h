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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami.h"

/* How long pbx_reload() keeps asking while other reloads run, and how long it waits between two asks. */
#define PBX_RELOAD_PATIENCE_MS 5000
#define PBX_RELOAD_PAUSE_MS 100

/* Reloads module ("res_pjsip.so", "pbx_config.so"...) and returns once Asterisk says it ran. AMI_OK, or the
 * failing status with msg; a reload still refused as in progress after PBX_RELOAD_PATIENCE_MS is AMI_ERROR with
 * refusal AMI_REFUSAL_RELOAD_IN_PROGRESS in *refusal (if not NULL): nothing was reloaded, ask again later. */
enum ami_status pbx_reload(struct ami_pool *pool, const char *module, enum ami_refusal *refusal, char *msg,
			   size_t len);

/* ---------- coalesced reloads (issue 13) ----------
 * A res_pjsip reload re-reads every phone's file: ~190 ms with 300 phones on Asterisk 22, growing with the PBX.
 * One per save made a save's cost grow with the phones, and an import of N phones quadratic. So a phone's save
 * only writes its files and asks this queue for its module's reload; the queue's own thread runs it later:
 * PBX_RELOAD_DELAY_MS after the first write of a burst (so a phone's two files, or an import's hundreds, share
 * one reload), and at least PBX_RELOAD_GAP_MS after the module's previous reload ended, whatever the number of
 * writes. Until then the phone is saved (its files are written) but not live yet: pbx_reloader_waiting says
 * which. A reload that fails (PBX unreachable, busy with others' reloads past pbx_reload's patience) is asked
 * again after a doubling pause (1 s up to 16 s); the writes it covers stay waiting. Thread-safe. */
#define PBX_RELOAD_DELAY_MS 100
#define PBX_RELOAD_GAP_MS 250
#define PBX_RELOAD_HOLD_MS 1000

struct pbx_reloader;

/* pool must outlive the reloader. */
struct pbx_reloader *pbx_reloader_new(struct ami_pool *pool);
/* Starts the thread. Returns 0 or -1. */
int pbx_reloader_start(struct pbx_reloader *r);
/* Runs a reload still asked for (one attempt), stops the thread and frees. NULL is fine. */
void pbx_reloader_free(struct pbx_reloader *r);
/* A file of module was written (for phone_id, or 0): asks for its reload. */
void pbx_reloader_request(struct pbx_reloader *r, const char *module, int64_t phone_id);
/* Whether phone_id's written files wait for a reload (saved, not live yet). */
bool pbx_reloader_waiting(struct pbx_reloader *r, int64_t phone_id);
/* A burst of writes begins (the applier's round of due phones: an import's hundreds): until it ends
 * (pbx_reloader_hurry), a reload starts no sooner than PBX_RELOAD_HOLD_MS after the first write waiting for it,
 * instead of PBX_RELOAD_DELAY_MS. A res_pjsip reload run between the burst's writes competes with them for
 * Asterisk (500 phones imported in 0.64-0.73 s held, 0.85-0.88 s not, Asterisk 22.10.1 on 2 cores), while a
 * long burst still gets its phones live as it goes. */
void pbx_reloader_hold(struct pbx_reloader *r);
/* A burst of writes has ended (the applier has nothing more due, an import's last phones written): the hold
 * ends, and what is waiting is reloaded as soon as the reload running now (if any) ends, without
 * PBX_RELOAD_GAP_MS, which only spaces reloads while writes go on. */
void pbx_reloader_hurry(struct pbx_reloader *r);
/* How many phones wait for a reload. */
size_t pbx_reloader_waiting_count(struct pbx_reloader *r);
/* Runs every reload asked for so far now, and waits at most wait_ms for them. Returns AMI_OK when they all ran
 * (or none was asked for), else the failing status with msg (AMI_UNKNOWN_OUTCOME when the wait ran out). */
enum ami_status pbx_reloader_flush(struct pbx_reloader *r, int wait_ms, char *msg, size_t len);
/* Whether the last round failed (its reloads are asked again later), with why in msg. */
bool pbx_reloader_failing(struct pbx_reloader *r, char *msg, size_t len);
/* For telling Centralita's reloads from others' (someone else's calls for a verification). Every reload Centralita
 * sends, the queue's own and those the applier sends itself, is counted as sent BEFORE it is sent and as done once
 * Asterisk answered it (a Reload answers when it has run). A reader of Asterisk's last reload time (CoreStatus,
 * whole seconds) takes the done count before reading it and the sent count after: a new reload time is
 * Centralita's when more were sent than were done when it last took one as seen, however the reloads of a round
 * fall across seconds and reads (at worst someone else's reload in the same moment is taken for Centralita's). */
void pbx_reloader_note_sent(struct pbx_reloader *r);
void pbx_reloader_note_done(struct pbx_reloader *r);
void pbx_reloader_counts(struct pbx_reloader *r, uint64_t *sent, uint64_t *done);

#endif
