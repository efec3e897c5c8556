import fs from 'node:fs';

/** fsync a file, or a directory after a rename in it, so the change survives a power cut. */
export function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
