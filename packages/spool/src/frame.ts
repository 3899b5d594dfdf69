import { crc32 } from 'node:zlib';

/** Each record on disk: payload length (u32 LE), CRC-32 of the payload (u32 LE), payload. */
export const HEADER_BYTES = 8;

/** No single record may be larger than this; a larger length field means corruption. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.byteLength);
  out.writeUInt32LE(payload.byteLength, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** What is at `offset` in `data`: a good record, a bad one of known length, or nothing usable. */
export type FrameCheck =
  | { kind: 'record'; payload: Buffer; next: number }
  | { kind: 'corrupt'; next: number }
  | { kind: 'torn' };

export function checkFrame(data: Buffer, offset: number): FrameCheck {
  if (offset + HEADER_BYTES > data.length) return { kind: 'torn' };
  const length = data.readUInt32LE(offset);
  if (length > MAX_RECORD_BYTES) return { kind: 'torn' };
  // Eight zero bytes frame an empty payload with a matching CRC, and zero-filled blocks are what a
  // crash can leave in a file: the spool never writes an empty record, so these are skipped.
  if (length === 0) return { kind: 'corrupt', next: offset + HEADER_BYTES };
  const end = offset + HEADER_BYTES + length;
  if (end > data.length) return { kind: 'torn' };
  const payload = data.subarray(offset + HEADER_BYTES, end);
  if (crc32(payload) !== data.readUInt32LE(offset + 4)) return { kind: 'corrupt', next: end };
  return { kind: 'record', payload, next: end };
}
