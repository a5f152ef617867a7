// Entry of an ingest worker thread. Worker threads do not inherit the TypeScript loader of the
// thread that starts them under every runner (vitest's transform does not reach them), so the
// worker registers tsx itself and then loads the TypeScript worker module.
import { register } from 'tsx/esm/api';

register();
await import('./ingest-worker.ts');
