export function resolveRequestPath(root: string, rawPath: string): string | null;
export function startStaticServer(options?: {
  root?: string;
  host?: string;
  port?: number;
}): Promise<{ url: string; close: () => Promise<void> }>;
