/**
 * Keeps an event's newest `max` breadcrumbs, in place (`breadcrumbs` as a list, or as
 * `{ values }` as SDKs send them), and returns how many were removed: Relay's `max_breadcrumbs`,
 * applied by the intake as envelopes arrive and by the forwarder before it delivers.
 */
export function trimEventBreadcrumbs(event: { breadcrumbs?: unknown }, max: number): number {
  const crumbs = event.breadcrumbs;
  const list = Array.isArray(crumbs)
    ? crumbs
    : crumbs && typeof crumbs === 'object' && Array.isArray((crumbs as { values?: unknown }).values)
      ? (crumbs as { values: unknown[] }).values
      : undefined;
  if (!list || list.length <= max) return 0;
  const removed = list.length - max;
  const newest = list.slice(removed);
  if (Array.isArray(crumbs)) event.breadcrumbs = newest;
  else (crumbs as { values: unknown[] }).values = newest;
  return removed;
}
