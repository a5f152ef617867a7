// A recording `run.ts --save DIR` keeps: NAME.pcm (raw s16le, 48 kHz mono, as parec gave it) and
// NAME.json (when sample 0 was recorded, Date.now(), and the receiver page's events).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { PageEvent } from '../../e2e/audio/session';

export interface Saved {
  pcm: Int16Array;
  startedAt: number;
  events: PageEvent[];
}

export function saveRecording(dir: string, name: string, saved: Saved): void {
  const { pcm, startedAt, events } = saved;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/${name}.pcm`, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  writeFileSync(`${dir}/${name}.json`, JSON.stringify({ startedAt, events }));
}

/** `name` without its extension: reads NAME.pcm and NAME.json in `dir`. */
export function loadRecording(dir: string, name: string): Saved {
  const raw = readFileSync(`${dir}/${name}.pcm`);
  const pcm = new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const { startedAt, events } = JSON.parse(readFileSync(`${dir}/${name}.json`, 'utf8')) as {
    startedAt: number;
    events: PageEvent[];
  };
  return { pcm, startedAt, events };
}

/** Names (without `.pcm`) of the SDK recordings in `dir`, sorted; exits saying why if it cannot read it. */
export function sdkRecordings(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('-sdk.pcm'))
      .map((f) => f.slice(0, -'.pcm'.length))
      .sort();
  } catch (err) {
    console.error(`cannot read ${dir}: ${(err as Error).message}`);
    process.exit(1);
  }
}
