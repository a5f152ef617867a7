// The one place that edits BENCHMARKS.md: each benchmark owns one `## ` section and rewrites only
// that, keeping the others. Hand-written notes after the NOTES_MARKER line of a section survive
// a re-run. Output is prettier-formatted so `prettier --check` stays green.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';

export const BENCHMARKS_PATH = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
export const NOTES_MARKER = '<!-- notes below are kept when the benchmark re-runs -->';

const HEADER =
  '# Benchmarks\n\nFigures measured on this repository. Each section names the command that produced it.\n';

/**
 * Replaces (or appends) the section headed `## ${heading}` with `body` (markdown without the
 * heading). Returns the path written.
 * @param {string} heading
 * @param {string} body
 */
export async function writeBenchmarksSection(heading, body) {
  const existing = existsSync(BENCHMARKS_PATH) ? readFileSync(BENCHMARKS_PATH, 'utf8') : HEADER;
  const parts = existing.split(/^(?=## )/m);
  const index = parts.findIndex((p) => p.split('\n')[0].trim() === `## ${heading}`);
  const old = index >= 0 ? parts[index] : '';
  const notes = old.includes(NOTES_MARKER) ? old.slice(old.indexOf(NOTES_MARKER)) : '';
  const section = `## ${heading}\n\n${body.trim()}\n${notes ? `\n${notes.trim()}\n` : ''}`;
  if (index >= 0) parts[index] = section;
  else parts.push(section);
  const joined = parts.map((p) => p.replace(/\s*$/, '\n')).join('\n');
  const options = (await resolveConfig(BENCHMARKS_PATH)) ?? {};
  writeFileSync(BENCHMARKS_PATH, await format(joined, { ...options, parser: 'markdown' }));
  return BENCHMARKS_PATH;
}
