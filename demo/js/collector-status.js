// The "collector down" message: shown on a call's `telemetryerror`, cleared by the next
// successful delivery (the telemetry add-on's reporter emits `delivered`).
import { clearMessage, showMessage } from './messages.js';

let down = false;

function onError(error, scope) {
  if (error.code === 'unauthorized') {
    showMessage(
      'collector',
      'warn',
      'The collector refused this page’s key',
      'The demo server probably restarted (it makes new keys each run). Records are kept in this browser and retried; reload the page to report with the new key.',
    );
    return;
  }
  if (!['network', 'http', 'rate-limited', 'storage'].includes(error.code)) return;
  down = error.code !== 'storage';
  showMessage(
    'collector',
    'warn',
    error.code === 'storage'
      ? 'Telemetry is kept in memory only'
      : 'The collector is not reachable',
    error.code === 'storage'
      ? `${error.message}. Records not yet delivered would be lost on reload.`
      : `${error.message}. Telemetry records stay queued in this browser and are retried; ${scope} not affected.`,
  );
}

function onDelivered() {
  if (!down) return;
  down = false;
  showMessage(
    'collector',
    'ok',
    'The collector is reachable again',
    'Queued records were delivered.',
  );
  setTimeout(() => {
    if (!down) clearMessage('collector');
  }, 6000);
}

/** Follows one call and its telemetry hook (the object `telemetry()` returned, or false). */
export function watchCollector(call, hook, scope = 'the call is') {
  call.on('telemetryerror', (error) => onError(error, scope));
  hook?.reporter?.on?.('delivered', onDelivered);
}
