import type { Admin } from 'kafkajs';

/** Rejects while the topic does not exist, without creating it (topic settings are the operator's). */
export async function topicExists(admin: Admin, topic: string): Promise<void> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) throw new Error(`topic ${topic} does not exist yet`);
}
