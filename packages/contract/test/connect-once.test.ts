import { describe, expect, it } from 'vitest';
import { connectOnce } from '../src/index.js';

describe('connectOnce', () => {
  it('connects at the first call, shares that connection, and tries again after a failed one', async () => {
    let connects = 0;
    let refuse = true;
    const client = {
      connect: async () => {
        connects++;
        if (refuse) throw new Error('Connection error: connect ECONNREFUSED');
      },
    };
    const connected = connectOnce(client);
    expect(connects).toBe(0); // nothing until asked
    await expect(connected()).rejects.toThrow('ECONNREFUSED');
    refuse = false;
    const [a, b] = await Promise.all([connected(), connected()]);
    expect(a).toBe(client);
    expect(b).toBe(client);
    await connected();
    expect(connects).toBe(2); // the refused one, then one shared by the three calls after it
  });
});
