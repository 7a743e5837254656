export function packAndInstall(prefix?: string): { dir: string; app: string; tarball: string; files: string[]; tarballBytes: number; unpackedBytes: number };
