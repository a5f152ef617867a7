// Worker thread for SqliteStore: runs WAL checkpoints on its own connection, off the request
// thread. A checkpoint copies WAL pages into the database file and fsyncs it; done inline (the
// SQLite default, every 1000 pages) it stalls ingest for milliseconds at a time. PASSIVE never
// blocks the writer. Plain JavaScript so that it runs the same under tsx, vitest and node.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

const { file, intervalMs } = workerData;
const db = new Database(file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or closing: the next tick (or the writer's own fallback checkpoint) catches up.
  }
}, intervalMs);
parentPort.on('message', (msg) => {
  if (msg === 'close') {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
