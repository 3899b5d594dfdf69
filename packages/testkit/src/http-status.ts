/**
 * The status a GET of `path` on 127.0.0.1:`port` answers, or 0 when nothing answers (not yet
 * listening, or closed): what a container's health probe sees.
 */
export function httpStatus(port: number, path: string): Promise<number> {
  return fetch(`http://127.0.0.1:${port}${path}`).then(
    (response) => response.status,
    () => 0,
  );
}
