/** Reading a secret typed or piped on stdin, for the CLI commands that take one (no echo control: pipe it). */

/** First line of the stream (without its CR/LF), or everything if it ends before a newline. */
export function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const finish = (): void => {
      stream.off('data', onData);
      stream.off('end', finish);
      stream.off('error', reject);
      stream.pause();
      const text = Buffer.concat(chunks).toString('utf8');
      const eol = text.search(/\r?\n/);
      resolve(eol === -1 ? text : text.slice(0, eol));
    };
    const onData = (chunk: Buffer | string): void => {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (chunks.some((c) => c.includes(0x0a))) finish();
    };
    stream.on('data', onData);
    stream.once('end', finish);
    stream.once('error', reject);
  });
}
