import { describe, expect, it } from 'vitest';
import { collectRuntimeContext, parseContainerId } from '../src/index.js';

const ID = '3f6c2a8e9b1d4c7f8a0e5b2d6c9f1a3e7b4d8c2f6a0e9b5d1c7f3a8e2b6d4c0f';

describe('parseContainerId', () => {
  it.each([
    ['cgroup v1 (Docker)', `12:memory:/docker/${ID}\n11:cpu:/docker/${ID}\n`],
    ['cgroup v2 systemd (Docker)', `0::/system.slice/docker-${ID}.scope\n`],
    ['Kubernetes containerd', `0::/kubepods.slice/kubepods-burstable.slice/cri-containerd-${ID}.scope\n`],
    ['Kubernetes cgroupfs', `0::/kubepods/besteffort/pod1234-5678/${ID}\n`],
    ['CRI-O', `0::/kubepods.slice/crio-${ID}.scope\n`],
    ['Podman', `0::/machine.slice/libpod-${ID}.scope\n`],
    [
      'mountinfo (cgroup v2, private namespace)',
      `612 590 254:1 /docker/containers/${ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw\n`,
    ],
  ])('finds the id in %s', (_, text) => {
    expect(parseContainerId(text)).toBe(ID);
  });

  it('finds nothing outside a container, or in a pod sandbox mount only', () => {
    expect(parseContainerId('0::/\n')).toBeUndefined();
    expect(parseContainerId('0::/user.slice/user-1000.slice/session-2.scope\n')).toBeUndefined();
    expect(
      parseContainerId(`1 2 0:1 /var/lib/containerd/sandboxes/${ID}/hostname /etc/hostname rw - ext4 x rw\n`),
    ).toBeUndefined();
    expect(parseContainerId(undefined)).toBeUndefined();
  });
});

describe('collectRuntimeContext', () => {
  const noFiles = () => {
    throw new Error('ENOENT');
  };

  it('uses explicit downward-API variables before HOSTNAME', () => {
    const context = collectRuntimeContext(
      {
        KUBERNETES_SERVICE_HOST: 'x',
        HOSTNAME: 'h',
        K8S_POD_NAME: 'pod-a',
        K8S_NAMESPACE: 'ns',
        K8S_NODE_NAME: 'node',
      },
      'h',
      noFiles,
    );
    expect(context.k8s).toEqual({ pod: 'pod-a', namespace: 'ns', node: 'node' });
  });

  it('does not take HOSTNAME for a pod name outside Kubernetes', () => {
    expect(collectRuntimeContext({ HOSTNAME: 'laptop' }, 'laptop', noFiles)).toEqual({ hostname: 'laptop' });
  });

  it('falls back to mountinfo when cgroup has no id', () => {
    const files: Record<string, string> = {
      '/proc/self/cgroup': '0::/\n',
      '/proc/self/mountinfo': `1 2 0:1 /docker/containers/${ID}/hostname /etc/hostname rw - ext4 x rw\n`,
    };
    const context = collectRuntimeContext({}, 'c', (path) => {
      const text = files[path];
      if (text === undefined) throw new Error('ENOENT');
      return text;
    });
    expect(context.containerId).toBe(ID);
  });
});
