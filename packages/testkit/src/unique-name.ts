import { randomBytes } from 'node:crypto';

/** A topic, group or project name no other test uses: `<prefix>-<8 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
