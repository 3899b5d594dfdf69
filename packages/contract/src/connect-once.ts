/**
 * The client, connected: at the first call it connects, and later calls share that connection.
 * A connect that fails is tried again at the next call, not remembered.
 *
 * Why: a watch's admin client is needed only once its first check runs, which may come while the
 * brokers are away; each check then asks again, and the one that finds them connects.
 */
export function connectOnce<C extends { connect(): Promise<void> }>(client: C): () => Promise<C> {
  let connected: Promise<void> | undefined;
  return async () => {
    connected ??= client.connect().catch((error: unknown) => {
      connected = undefined;
      throw error;
    });
    await connected;
    return client;
  };
}
