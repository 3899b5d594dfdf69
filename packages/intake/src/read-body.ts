import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, inflateRaw } from 'node:zlib';

export type BodyResult =
  | { ok: true; body: Buffer; wireBytes: number }
  | { ok: false; status: 400 | 413 | 415; detail: string };

const decoders = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  br: promisify(brotliDecompress),
} as const;
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

/**
 * Reads a request body of at most `maxWireBytes` as sent, then decodes its `Content-Encoding`
 * (gzip, deflate, br) to at most `maxBytes`: a bomb stops at the bound, in zlib's thread pool,
 * never on the event loop. A body over either bound is a 413; a body that does not decode, a 400.
 */
export async function readBody(
  req: IncomingMessage,
  limits: { maxWireBytes: number; maxBytes: number },
  /** Told of each chunk kept and of the decoded body: what the request holds in memory. */
  hold: (bytes: number) => void = () => undefined,
): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxWireBytes) {
    req.resume(); // drain, so the connection can carry the answer
    return { ok: false, status: 413, detail: `the body is larger than ${limits.maxWireBytes} bytes` };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limits.maxWireBytes) tooLarge = true;
      if (!tooLarge) {
        chunks.push(chunk);
        hold(chunk.length);
      }
    }
  } catch {
    return { ok: false, status: 400, detail: 'the request body was cut off' };
  }
  if (tooLarge) {
    return { ok: false, status: 413, detail: `the body is larger than ${limits.maxWireBytes} bytes` };
  }
  const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
  const encoding = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (encoding === 'identity' || encoding === '') {
    if (raw.length > limits.maxBytes) {
      return { ok: false, status: 413, detail: `the envelope is larger than ${limits.maxBytes} bytes` };
    }
    return { ok: true, body: raw, wireBytes: size };
  }
  const options = { maxOutputLength: limits.maxBytes };
  try {
    let body: Buffer;
    if (encoding === 'deflate') {
      // HTTP's "deflate" is zlib-wrapped, but some clients send raw deflate: accept both.
      body = await inflateAsync(raw, options).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ERR_BUFFER_TOO_LARGE') throw error;
        return inflateRawAsync(raw, options);
      });
    } else if (encoding in decoders) {
      body = await decoders[encoding as keyof typeof decoders](raw, options);
    } else {
      return { ok: false, status: 415, detail: `unsupported content encoding: ${encoding.slice(0, 40)}` };
    }
    hold(body.length);
    return { ok: true, body, wireBytes: size };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      return {
        ok: false,
        status: 413,
        detail: `the envelope decompresses to more than ${limits.maxBytes} bytes`,
      };
    }
    return { ok: false, status: 400, detail: `the body is not valid ${encoding}` };
  }
}
