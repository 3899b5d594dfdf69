import type { Scope } from '@sentry/core';
import type { ResolvedConfig } from './resolve-config.js';

/**
 * Puts service and runtime facts on the global scope, so every error carries them (tags and
 * contexts) and so do streamed spans and logs (attributes, which SDK 11 uses instead of tags).
 */
export function applyRuntimeContext(scope: Scope, config: ResolvedConfig): void {
  const { runtime, service } = config;
  scope.setTag('service', service);
  scope.setContext('service', { name: service });
  const attributes: Record<string, string> = { 'service.name': service, 'host.name': runtime.hostname };

  if (runtime.containerId) {
    scope.setContext('container', { id: runtime.containerId });
    attributes['container.id'] = runtime.containerId;
  }
  if (runtime.k8s) {
    const { pod, namespace, node } = runtime.k8s;
    scope.setContext('k8s', { ...runtime.k8s });
    if (namespace) {
      scope.setTag('k8s.namespace', namespace);
      attributes['k8s.namespace.name'] = namespace;
    }
    if (pod) {
      scope.setTag('k8s.pod', pod);
      attributes['k8s.pod.name'] = pod;
    }
    if (node) attributes['k8s.node.name'] = node;
  }
  scope.setAttributes(attributes);
}
