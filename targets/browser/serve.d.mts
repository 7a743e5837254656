export function serve(port?: number, files?: Record<string, string>): Promise<{ url: string; close(): Promise<void> }>;
