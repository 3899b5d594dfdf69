// Requests against the service, a few at a time, counted by what the service answered.

/** The requests of the storm: one bug hit by `count` requests, a few rare errors among them. */
export function stormRequests(count) {
  const requests = [];
  for (let i = 0; i < count; i++) {
    requests.push({ method: 'POST', path: '/checkout', body: '{"items":[{"sku":"kettle"}],"total":4' });
    if (i % 5 === 0) requests.push({ method: 'GET', path: '/inventory?sku=kettle' });
    if (i === Math.floor(count / 4) || i === Math.floor((3 * count) / 4)) {
      requests.push({ method: 'GET', path: '/inventory?sku=unicorn' });
    }
    if (i === Math.floor(count / 2)) requests.push({ method: 'GET', path: '/coupon' });
  }
  return requests;
}

/**
 * Sends the requests, `concurrency` at a time; resolves with how many were answered 500, and
 * adds them up by route in `failedByRoute` when given.
 */
export async function sendRequests(baseUrl, requests, failedByRoute = new Map(), concurrency = 16) {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < requests.length) {
      const { method, path, body } = requests[next++];
      const response = await fetch(`${baseUrl}${path}`, { method, body });
      await response.arrayBuffer();
      if (response.status === 500) {
        failed++;
        const route = `${method} ${path}`;
        failedByRoute.set(route, (failedByRoute.get(route) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failed;
}
