/**
 * Compiles a glob where `*` matches any run of characters (and nothing else is special) into a
 * case-insensitive test, the matching Sentry uses for health checks and sampling rules.
 */
export function compileGlob(pattern: string): (text: string) => boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`, 'i');
  return (text) => regex.test(text);
}
