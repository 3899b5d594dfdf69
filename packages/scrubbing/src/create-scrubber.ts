import {
  type DataCategory,
  type Envelope,
  type EnvelopeItem,
  envelopeItemTypeToDataCategory,
} from '@sentry/core';
import type { ScrubOptions } from './scrub-options.js';
import { createKeyMatcher } from './sensitive-keys.js';
import {
  combinedHint,
  DEFAULT_RULES,
  FILTERED,
  type Remark,
  STRING_RULES,
  scrubString,
} from './string-rules.js';

/** Sentry's `_meta` tree: remarks under `''` at each path that was changed. */
type MetaTree = { [key: string]: MetaTree } & { ''?: { rem: Remark[]; len?: number } };

export interface Scrubber {
  /**
   * A copy of the envelope with every JSON item scrubbed (items left unchanged are shared, never
   * mutated). An item the scrubber fails on is dropped and `onDropped` told its category: no
   * raw value leaves. Never throws.
   */
  scrubEnvelope(envelope: Envelope, onDropped?: (category: DataCategory) => void): Envelope;
  /** A scrubbed copy of any JSON value (a span, a log, a context); `[Filtered]` if it cannot be. */
  scrubValue<T>(value: T): T;
}

/** Payloads with nothing a user or an app put in them. */
const SKIPPED_ITEMS = new Set(['client_report', 'session', 'sessions', 'attachment']);
/**
 * Keys whose values are ids, SDK facts or the app's own source code (a frame's file, function
 * and source lines, read from disk): never scanned, so never damaged, and the scan stays cheap.
 * A frame's `vars`, which hold runtime data, are scanned.
 */
const STRUCTURAL = new Set([
  'pre_context',
  'context_line',
  'post_context',
  'abs_path',
  'filename',
  'module',
  'function',
  'event_id',
  'trace_id',
  'span_id',
  'parent_span_id',
  'segment_id',
  'profile_id',
  'sdk',
  'debug_meta',
  '_meta',
]);
/** Fields that hold the client's IP address, after Relay's `KNOWN_IP_FIELDS`. */
const IP_FIELDS = new Set(['ip_address', 'REMOTE_ADDR', 'client_ip', 'client.address', 'user.ip']);
/** Deeper values are filtered whole: not scanned, so not sent either. */
const MAX_DEPTH = 64;
/**
 * Strings longer than this are filtered whole. Every rule is linear, so this bounds the time one
 * value can cost (about 20 ms with the default rules, 90 ms with `email`), and no event the SDK
 * builds holds a string this long (it truncates values far below it).
 */
export const MAX_SCANNED_STRING = 262_144;

/**
 * A scrubber for Sentry envelopes: values under sensitive keys become `[Filtered]`, and secrets
 * inside strings (card numbers, Bearer and Basic credentials, URL passwords, private keys,
 * sensitive query and JSON pairs; e-mail and IP addresses when asked) are replaced, each change
 * remarked in the event's `_meta` so Sentry shows the value was filtered. See docs/scrubbing.md.
 */
export function createScrubber(options: ScrubOptions = {}): Scrubber {
  const enabled = new Set(options.rules ?? DEFAULT_RULES);
  const keys = createKeyMatcher(options.extraKeys, options.safeFields);
  const scanKeys = enabled.has('keys');
  const scrubIps = enabled.has('ip');
  const stringRules = [...enabled].map((name) => STRING_RULES[name]);
  const scrubCards = enabled.has('creditcard');
  const prefilter = combinedHint(stringRules);
  const isSensitive = (key: string) => scanKeys && keys.isSensitive(key);

  /**
   * Where `_meta` remarks go while an event is walked: the path from the event's root to the
   * value being looked at. The tree is built only when a remark is made, so values that stay as
   * they are cost no allocation.
   */
  let meta: MetaTree | undefined;
  const path: (string | number)[] = [];

  function remark(rem: Remark[], len?: number): void {
    if (!meta) return;
    let node = meta;
    for (const step of path) {
      const name = String(step);
      node[name] ??= {} as MetaTree;
      node = node[name] as MetaTree;
    }
    node[''] = { rem, ...(len === undefined ? {} : { len }) };
  }

  /** The value under `key` scrubbed; the same reference when nothing changed. */
  function walk(value: unknown, key: string | number, depth: number): unknown {
    if (value === null || value === undefined || typeof value === 'boolean') return value;
    if (typeof value === 'object' && typeof key === 'string' && !Array.isArray(value) && isAttribute(value)) {
      // A span or log attribute, `{ value, type }`: its key names what the value is.
      const inner = (value as { value: unknown }).value;
      const next = walk(inner, key, depth + 1);
      return next === inner ? value : { ...value, value: next };
    }
    if (typeof key === 'string') {
      if (STRUCTURAL.has(key) || keys.isSafe(key)) return value;
      if (isSensitive(key)) return filtered(value, '@password:filter');
      if (scrubIps && IP_FIELDS.has(key) && typeof value === 'string' && value !== '{{auto}}') {
        return filtered(value, '@ip:replace', '[ip]');
      }
    }
    if (typeof value === 'string') {
      if (value.length > MAX_SCANNED_STRING) return filtered(value, '@scrub:too_long');
      const result = scrubString(value, stringRules, isSensitive, prefilter);
      if (result.remarks) remark(result.remarks, value.length);
      return result.text;
    }
    if (typeof value === 'number') {
      // A card number sent as a number.
      if (scrubCards && Number.isSafeInteger(value) && value > 1e14) {
        const text = String(value);
        if (scrubString(text, [STRING_RULES.creditcard], isSensitive).remarks) {
          return filtered(value, '@creditcard:filter');
        }
      }
      return value;
    }
    if (typeof value !== 'object') return value;
    if (depth > MAX_DEPTH) return filtered(value, '@scrub:too_deep');
    let copy: Record<string, unknown> | unknown[] | undefined;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        const next = walk(value[i], i, depth + 1);
        path.pop();
        if (next !== value[i]) {
          copy ??= value.slice();
          (copy as unknown[])[i] = next;
        }
      }
    } else {
      for (const name in value) {
        if (!Object.hasOwn(value, name)) continue;
        const child = (value as Record<string, unknown>)[name];
        path.push(name);
        const next = walk(child, name, depth + 1);
        path.pop();
        if (next !== child) {
          copy ??= { ...(value as Record<string, unknown>) };
          (copy as Record<string, unknown>)[name] = next;
        }
      }
    }
    return copy ?? value;
  }

  function filtered(value: unknown, ruleId: string, text = FILTERED): unknown {
    if (value === '' || (typeof value === 'object' && value !== null && Object.keys(value).length === 0)) {
      return value;
    }
    remark([[ruleId, 's', 0, text.length]], typeof value === 'string' ? value.length : undefined);
    return text;
  }

  function scrubPayload(type: string, payload: unknown): unknown {
    path.length = 0;
    if (type !== 'event' && type !== 'transaction' && type !== 'feedback') {
      meta = undefined;
      return walk(payload, 'payload', 0);
    }
    meta = {} as MetaTree;
    try {
      const scrubbed = walk(payload, 'event', 0) as Record<string, unknown>;
      if (scrubbed === payload || Object.keys(meta).length === 0) return scrubbed;
      return { ...scrubbed, _meta: mergeMeta((payload as { _meta?: MetaTree })._meta, meta) };
    } finally {
      meta = undefined;
    }
  }

  return {
    scrubEnvelope(envelope, onDropped) {
      const [headers, items] = envelope;
      let changed = false;
      const kept: EnvelopeItem[] = [];
      for (const item of items) {
        const [itemHeader, payload] = item;
        const type = String(itemHeader.type);
        if (
          SKIPPED_ITEMS.has(type) ||
          payload === null ||
          typeof payload !== 'object' ||
          ArrayBuffer.isView(payload)
        ) {
          kept.push(item);
          continue;
        }
        try {
          const scrubbed = scrubPayload(type, payload);
          if (scrubbed !== payload) changed = true;
          kept.push(scrubbed === payload ? item : ([itemHeader, scrubbed] as EnvelopeItem));
        } catch {
          changed = true;
          try {
            onDropped?.(
              envelopeItemTypeToDataCategory(type as Parameters<typeof envelopeItemTypeToDataCategory>[0]),
            );
          } catch {
            // Counting must not bring the raw value back.
          }
        }
      }
      return changed ? ([headers, kept] as unknown as Envelope) : envelope;
    },
    scrubValue(value) {
      try {
        path.length = 0;
        meta = undefined;
        return walk(value, 'value', 0) as typeof value;
      } catch {
        return FILTERED as typeof value;
      }
    },
  };
}

function isAttribute(value: object): boolean {
  return 'value' in value && 'type' in value && Object.keys(value).length <= 3;
}

function mergeMeta(existing: MetaTree | undefined, added: MetaTree): MetaTree {
  if (!existing) return added;
  const out = { ...existing } as MetaTree;
  for (const [key, value] of Object.entries(added)) {
    out[key] = key in out && key !== '' ? mergeMeta(out[key], value as MetaTree) : (value as MetaTree);
  }
  return out;
}
