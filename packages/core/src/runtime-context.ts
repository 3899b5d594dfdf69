/** Where the process runs, attached to every event. Fields are absent when not detected. */
export interface RuntimeContext {
  hostname: string;
  /** Container id, from the process's cgroup (Docker, containerd, CRI-O, Podman). */
  containerId?: string;
  /** Kubernetes facts, from the usual downward-API variables. */
  k8s?: { pod?: string; namespace?: string; node?: string };
}

// The names teams commonly give the downward-API variables, most specific first.
const POD_VARIABLES = ['K8S_POD_NAME', 'KUBERNETES_POD_NAME', 'POD_NAME', 'MY_POD_NAME'];
const NAMESPACE_VARIABLES = ['K8S_NAMESPACE', 'KUBERNETES_NAMESPACE', 'POD_NAMESPACE', 'MY_POD_NAMESPACE'];
const NODE_VARIABLES = ['K8S_NODE_NAME', 'KUBERNETES_NODE_NAME', 'NODE_NAME', 'MY_NODE_NAME'];

/** Collects the runtime context. Never throws: what cannot be read is left out. */
export function collectRuntimeContext(
  env: Record<string, string | undefined>,
  hostname: string,
  readFile: (path: string) => string,
): RuntimeContext {
  const context: RuntimeContext = { hostname };
  const containerId =
    parseContainerId(tryRead(readFile, '/proc/self/cgroup')) ??
    parseContainerId(tryRead(readFile, '/proc/self/mountinfo'));
  if (containerId) context.containerId = containerId;

  const first = (names: string[]) => names.map((n) => env[n]?.trim()).find(Boolean);
  const inKubernetes = Boolean(env.KUBERNETES_SERVICE_HOST);
  // Inside a pod HOSTNAME is the pod name unless the spec overrides it.
  const pod = first(POD_VARIABLES) ?? (inKubernetes ? env.HOSTNAME?.trim() || undefined : undefined);
  const namespace = first(NAMESPACE_VARIABLES);
  const node = first(NODE_VARIABLES);
  if (pod || namespace || node) {
    context.k8s = {};
    if (pod) context.k8s.pod = pod;
    if (namespace) context.k8s.namespace = namespace;
    if (node) context.k8s.node = node;
  }
  return context;
}

/**
 * Finds a 64-hex container id in `/proc/self/cgroup` (cgroup v1, or v2 without a private
 * namespace) or `/proc/self/mountinfo` (cgroup v2 with one, where Docker's per-container files
 * such as `/var/lib/docker/containers/<id>/hostname` are mounted in).
 */
export function parseContainerId(text: string | undefined): string | undefined {
  if (!text) return undefined;
  for (const line of text.split('\n')) {
    // Sandbox mounts belong to the pod's pause container, not this one.
    if (line.includes('/sandboxes/')) continue;
    const match =
      /(?:docker|containerd|cri-containerd|crio|libpod)[-/:]([0-9a-f]{64})(?:\.scope)?(?:[/\s]|$)/.exec(
        line,
      ) ??
      /\/containers\/([0-9a-f]{64})\//.exec(line) ??
      /\/kubepods[^\s]*\/([0-9a-f]{64})(?:\s|$)/.exec(line);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

function tryRead(readFile: (path: string) => string, path: string): string | undefined {
  try {
    return readFile(path);
  } catch {
    return undefined;
  }
}
