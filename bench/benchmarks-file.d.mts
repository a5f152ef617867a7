export const BENCHMARKS_PATH: string;
export const NOTES_MARKER: string;
export function writeBenchmarksSection(heading: string, body: string): Promise<string>;
