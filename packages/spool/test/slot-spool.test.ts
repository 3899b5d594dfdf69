import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adoptOrphanSpool, openSlotSpool, openSpool, type Spool } from '../src/index.js';

// One service directory, several processes: each gets a slot of its own, and a live process takes
// over (adopts) what a process that is gone left. In one process, a slot this process holds
// counts as held, as another live process's would.
const open: Spool[] = [];
afterEach(() => {
  for (const spool of open.splice(0)) spool.close();
  delete process.env.NODE_APP_INSTANCE;
  delete process.env.pm2_env;
});

const root = () => mkdtempSync(join(tmpdir(), 'faultline-slots-'));
const text = (records: Buffer[]) => records.map((r) => r.toString());
function track<T extends { spool: Spool }>(opened: T): T {
  open.push(opened.spool);
  return opened;
}

describe('openSlotSpool', () => {
  it('gives each process of a service its own slot, lowest free first', () => {
    const dir = root();
    const slots = [0, 1, 2].map(() => track(openSlotSpool({ dir, fsync: 'never' })));
    expect(slots.map((s) => s.slot)).toEqual([0, 1, 2]);
    expect(slots.map((s) => s.dir)).toEqual([0, 1, 2].map((n) => join(dir, String(n))));
    slots[0]?.spool.append(Buffer.from('from worker a'));
    slots[1]?.spool.append(Buffer.from('from worker b'));
    expect(text(slots[0]?.spool.read(10).records ?? [])).toEqual(['from worker a']);
    expect(text(slots[1]?.spool.read(10).records ?? [])).toEqual(['from worker b']);
  });

  it("takes PM2's instance number first, so a restarted instance finds its own backlog", () => {
    const dir = root();
    process.env.NODE_APP_INSTANCE = '3';
    const first = openSlotSpool({ dir, fsync: 'never' });
    expect(first.slot).toBe(3);
    first.spool.append(Buffer.from('left by instance 3'));
    first.spool.close();

    const restarted = track(openSlotSpool({ dir, fsync: 'never' }));
    expect(restarted.slot).toBe(3);
    expect(text(restarted.spool.read(10).records)).toEqual(['left by instance 3']);
    // Held: the next process falls back to the lowest free slot.
    expect(track(openSlotSpool({ dir, fsync: 'never' })).slot).toBe(0);
  });

  it("reads PM2's instance number from pm2_env in a preload, before PM2 sets NODE_APP_INSTANCE", () => {
    // What PM2's cluster mode gives a process before its loader copies the variables out.
    process.env.pm2_env = JSON.stringify({ name: 'api', NODE_APP_INSTANCE: 2, pm_id: 7 });
    expect(track(openSlotSpool({ dir: root(), fsync: 'never' })).slot).toBe(2);
    process.env.pm2_env = JSON.stringify({ instance_var: 'INSTANCE_ID', INSTANCE_ID: '4' });
    expect(track(openSlotSpool({ dir: root(), fsync: 'never' })).slot).toBe(4);
    process.env.pm2_env = '{not json';
    expect(track(openSlotSpool({ dir: root(), fsync: 'never' })).slot).toBe(0);
  });

  it('removes a drained spool at close when asked, and keeps one that still has records', () => {
    const dir = root();
    const a = openSlotSpool({ dir, fsync: 'never' });
    a.spool.close({ removeIfEmpty: true });
    expect(existsSync(a.dir)).toBe(false);

    const b = openSlotSpool({ dir, fsync: 'never' });
    b.spool.append(Buffer.from('kept'));
    b.spool.close({ removeIfEmpty: true });
    expect(existsSync(b.dir)).toBe(true);
    const again = track(openSlotSpool({ dir, fsync: 'never' }));
    expect(text(again.spool.read(10).records)).toEqual(['kept']);
  });
});

describe('adoptOrphanSpool', () => {
  it("drains the slot of a process that is gone, under that slot's lock, then removes it", () => {
    const dir = root();
    const gone = openSlotSpool({ dir, fsync: 'never' });
    for (let i = 0; i < 5; i++) gone.spool.append(Buffer.from(`backlog ${i}`));
    gone.spool.close(); // its lock is released as when a process dies (the lock of a dead pid is stale)
    const live = track(openSlotSpool({ dir, fsync: 'never', preferredSlot: 1 }));

    const adopted = adoptOrphanSpool({ dir, except: live.dir, fsync: 'never' });
    expect(adopted?.dir).toBe(gone.dir);
    if (!adopted) return;
    // Held now: nobody else adopts it, and no new process opens it.
    expect(adoptOrphanSpool({ dir, except: live.dir, fsync: 'never' })).toBeUndefined();
    expect(track(openSlotSpool({ dir, fsync: 'never' })).slot).toBe(2);

    const batch = adopted.spool.read(10);
    expect(text(batch.records)).toEqual([0, 1, 2, 3, 4].map((i) => `backlog ${i}`));
    adopted.spool.ack(batch);
    adopted.spool.close({ removeIfEmpty: true });
    expect(existsSync(gone.dir)).toBe(false);
    expect(adoptOrphanSpool({ dir, except: live.dir, fsync: 'never' })).toBeUndefined();
  });

  it('takes over a slot whose lock names a process that no longer exists', () => {
    const dir = root();
    const gone = openSlotSpool({ dir, fsync: 'never' });
    gone.spool.append(Buffer.from('from a SIGKILLed worker'));
    gone.spool.close();
    // What a killed process leaves: its lock, naming a pid that is not running.
    writeFileSync(
      join(gone.dir, 'lock'),
      JSON.stringify({ pid: 2 ** 22 + 1, hostname: hostname(), since: new Date().toISOString() }),
    );
    const live = track(openSlotSpool({ dir, fsync: 'never', preferredSlot: 5 }));
    const adopted = adoptOrphanSpool({ dir, except: live.dir, fsync: 'never' });
    expect(adopted?.dir).toBe(gone.dir);
    if (adopted) open.push(adopted.spool);
    expect(text(adopted?.spool.read(10).records ?? [])).toEqual(['from a SIGKILLed worker']);
  });

  it('adopts a spool written before slots existed (segments in the service directory itself)', () => {
    const dir = root();
    const legacy = openSpool({ dir, fsync: 'never' });
    legacy.append(Buffer.from('written by the previous version'));
    legacy.close();
    const live = track(openSlotSpool({ dir, fsync: 'never' }));
    const adopted = adoptOrphanSpool({ dir, except: live.dir, fsync: 'never' });
    expect(adopted?.dir).toBe(dir);
    if (adopted) open.push(adopted.spool);
    expect(text(adopted?.spool.read(10).records ?? [])).toEqual(['written by the previous version']);
  });

  it('never adopts a live process’s slot, and tidies slots that were left empty', () => {
    const dir = root();
    const busy = track(openSlotSpool({ dir, fsync: 'never' }));
    busy.spool.append(Buffer.from('still its own'));
    const empty = openSlotSpool({ dir, fsync: 'never' });
    empty.spool.close(); // an empty segment, no lock
    const live = track(openSlotSpool({ dir, fsync: 'never', preferredSlot: 7 }));
    expect(adoptOrphanSpool({ dir, except: live.dir, fsync: 'never' })).toBeUndefined();
    expect(existsSync(empty.dir)).toBe(false);
    expect(existsSync(busy.dir)).toBe(true);
  });
});
