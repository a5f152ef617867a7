/**
 * Ingest worker thread: parses and validates batch bodies off the request thread (see
 * ingest-pool.ts). One message in (`{ id, raw }`), one out (`{ id, result }`).
 */
import { parentPort } from 'node:worker_threads';
import { prepareBatch } from './ingest.js';

parentPort!.on('message', ({ id, raw }: { id: number; raw: string }) => {
  parentPort!.postMessage({ id, result: prepareBatch(raw) });
});
// Loading (schema compilation, and under tsx the TypeScript transform) is done: tell the pool.
parentPort!.postMessage({ ready: true });
