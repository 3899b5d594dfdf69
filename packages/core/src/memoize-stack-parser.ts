import { trimOldest } from '@faultline/contract';
import type { StackFrame, StackParser } from '@sentry/core';

/** Stacks remembered at once; a burst comes from a few throw sites. */
const MAX_STACKS = 100;
/** Longer stacks are parsed every time, so the memo holds at most ~1.6 MB of keys. */
const MAX_STACK_CHARS = 8 * 1024;
const FIRST_FRAME = '\n    at ';

interface Parsed {
  framesToPop: number;
  frames: StackFrame[];
}

/**
 * Wraps a stack parser so that errors thrown from the same place are parsed once: the frames of
 * a V8 stack (the lines from the first `    at `) are the key, and the message above them, which
 * differs from error to error, is not. Sentry's parser reads each line on its own, so when the
 * lines above the frames yield no frame the result is exactly the frames' parse, and that is the
 * only case memoized. Each call gets its own copies of the frames, which integrations edit.
 *
 * A burst of errors from one call site is the case it is for: every error needs its stack parsed
 * at capture, where the error policy fingerprints it by its top frame.
 */
export function memoizeStackParser(parse: StackParser): StackParser {
  const memo = new Map<string, Parsed>();
  return (stack, skipFirstLines = 0, framesToPop = 0) => {
    const at = stack.indexOf(FIRST_FRAME);
    if (at < 0 || stack.length - at > MAX_STACK_CHARS) return parse(stack, skipFirstLines, framesToPop);
    let headLines = 1;
    for (let i = stack.indexOf('\n'); i >= 0 && i < at; i = stack.indexOf('\n', i + 1)) headLines++;
    // The lines above the frames that the parser would read must give no frame of their own.
    if (skipFirstLines > headLines) return parse(stack, skipFirstLines, framesToPop);
    if (skipFirstLines < headLines && parse(stack.slice(0, at), skipFirstLines).length > 0)
      return parse(stack, skipFirstLines, framesToPop);

    const frames = stack.slice(at + 1);
    let parsed = memo.get(frames);
    if (parsed === undefined || parsed.framesToPop !== framesToPop) {
      parsed = { framesToPop, frames: parse(frames, 0, framesToPop) };
      memo.set(frames, parsed);
      trimOldest(memo, MAX_STACKS);
    }
    return parsed.frames.map((frame) => ({ ...frame }));
  };
}
