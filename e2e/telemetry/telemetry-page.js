// Page side of the telemetry e2e (e2e/telemetry.spec.ts): the shared call harness
// (e2e/pages/call-harness.js) plus the telemetry add-on, instrumented so the test can see what
// the page gave the reporter (every record enqueued), what it put on the wire (every request's
// record ids and outcome), what the collector acknowledged (`delivered`) and what went wrong
// (`telemetryerror`). The test reads `window.telemetryLog`; pages never share it across loads,
// which is why IndexedDB is read separately (`storedRecordIds`).
import { SecureCall } from '/dist/rekey-rtc.mjs';
import { telemetry } from '/dist/telemetry.mjs';

const log = { enqueued: [], requests: [], delivered: [], errors: [], callErrors: [] };
window.telemetryLog = log;

// Every POST to a collector's ingest route, with the ids it carried and how it ended. The
// reporter looks `fetch` up on globalThis at each request, so wrapping it here sees them all.
const realFetch = window.fetch.bind(window);
window.fetch = async (input, init) => {
  let entry = null;
  if (String(input).endsWith('/v1/events') && typeof init?.body === 'string') {
    let ids = [];
    try {
      ids = JSON.parse(init.body).records.map((r) => r.id);
    } catch {
      ids = ['<unparseable body>'];
    }
    entry = { at: Date.now(), ids, keepalive: init.keepalive === true, outcome: 'pending' };
    log.requests.push(entry);
  }
  try {
    const response = await realFetch(input, init);
    if (entry) entry.outcome = response.status;
    return response;
  } catch (error) {
    if (entry) entry.outcome = `network: ${error?.message ?? error}`;
    throw error;
  }
};

/** Makes a telemetry hook whose reporter logs what it is given and what it reports. */
function instrumentedTelemetry(options) {
  const hook = telemetry(options);
  const reporter = hook.reporter;
  const enqueue = reporter.enqueue.bind(reporter);
  reporter.enqueue = (record) => {
    log.enqueued.push(JSON.parse(JSON.stringify(record)));
    enqueue(record);
  };
  reporter.on('delivered', (report) => log.delivered.push({ at: Date.now(), ...report }));
  reporter.on('telemetryerror', (error) => log.errors.push({ at: Date.now(), ...error }));
  window.reporter = reporter;
  return hook;
}

/**
 * What an app does on its next load before any call: make the telemetry hook, whose reporter
 * sends what an earlier page of this origin left in IndexedDB.
 */
window.resumeTelemetry = (options) => {
  if (window.reporter) throw new Error('resumeTelemetry: this page already has a reporter');
  instrumentedTelemetry(options);
};

/**
 * Ids of the records in the reporter's IndexedDB store, without creating the database when it
 * does not exist (an empty version-1 database would lack the object store the SDK creates).
 */
window.storedRecordIds = () => readStore('getAllKeys').then((keys) => keys.map(String));

/** The records themselves, as the next page's reporter will send them. */
window.storedRecords = () => readStore('getAll');

const readStore = (method) =>
  new Promise((resolve, reject) => {
    const request = indexedDB.open('rekey-rtc-telemetry');
    let created = false;
    request.onupgradeneeded = () => {
      created = true;
      request.transaction.abort();
    };
    request.onerror = () => (created ? resolve([]) : reject(request.error));
    request.onsuccess = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('records')) {
        db.close();
        resolve([]);
        return;
      }
      const keys = db.transaction('records', 'readonly').objectStore('records')[method]();
      keys.onsuccess = () => {
        db.close();
        resolve(keys.result);
      };
      keys.onerror = () => {
        db.close();
        reject(keys.error);
      };
    };
  });

window.RekeyHarness.install((options) => {
  const { telemetryOptions, ...rest } = options;
  const call = new SecureCall({
    ...rest,
    telemetry: telemetryOptions ? instrumentedTelemetry(telemetryOptions) : false,
  });
  call.on('telemetryerror', (error) => log.callErrors.push({ at: Date.now(), ...error }));
  return call;
}, 'esm+telemetry');
