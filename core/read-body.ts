/** Reads an HTTP request body into memory, refusing one larger than a limit. */
import type { IncomingMessage } from 'node:http';

/** A request body went past the reader's limit (a server answers 413 or 400). */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
  }
}

/**
 * The whole body of `req`, at most `limit` bytes. A larger body (by its `content-length`, or once
 * its bytes pass the limit) rejects with {@link BodyTooLargeError}; the rest is read and dropped, not
 * kept, so the caller can still answer on the connection.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      req.resume();
      reject(new BodyTooLargeError(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.resume();
      reject(new BodyTooLargeError(limit));
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}
