import type { AlertTransition } from './alert-transition.js';
import type { ErrorObservation } from './observations.js';

export interface RegressionOptions {
  /** Fires when a new release has more than this many new issues. @default 5 */
  newIssues?: number;
  /** Levels that count as high severity. @default ['error', 'fatal'] */
  levels?: string[];
  /** A release counts as new for this long after its first event. @default 60 minutes */
  windowMinutes?: number;
  /** Fingerprints remembered per project, and releases; the least recently seen go first. @default 100 000, 1 000 */
  maxFingerprints?: number;
  maxReleases?: number;
}

interface Release {
  firstSeen: number;
  newIssues: Map<string, string>;
  fired: boolean;
}

interface Project {
  /** Fingerprint -> the release it was first seen in. */
  known: Map<string, string>;
  releases: Map<string, Release>;
}

export interface RegressionRule {
  /** Counts one error; returns the transition when this one takes its release over the limit. */
  record(observation: ErrorObservation): AlertTransition[];
}

/**
 * The seed's release regression: a release, within `windowMinutes` of its first event, with more
 * than `newIssues` fingerprints of a high-severity level that no earlier release of the project
 * had. The first release a project is seen with is its baseline: its issues are not new. It
 * fires once per release and does not resolve (a Slack message, not an incident).
 */
export function createRegressionRule(options: RegressionOptions = {}): RegressionRule {
  const limit = options.newIssues ?? 5;
  const levels = new Set(options.levels ?? ['error', 'fatal']);
  const windowMs = (options.windowMinutes ?? 60) * 60_000;
  const maxFingerprints = options.maxFingerprints ?? 100_000;
  const maxReleases = options.maxReleases ?? 1_000;
  const projects = new Map<string, Project>();

  return {
    record(observation) {
      const { release, project: projectId, fingerprint } = observation;
      if (!release || !levels.has(observation.level)) return [];
      let project = projects.get(projectId);
      if (!project) {
        project = { known: new Map(), releases: new Map() };
        projects.set(projectId, project);
      }
      const baseline = project.releases.size === 0;
      let entry = project.releases.get(release);
      if (!entry) {
        entry = { firstSeen: observation.at, newIssues: new Map(), fired: baseline };
        bounded(project.releases, release, entry, maxReleases);
      }
      if (project.known.has(fingerprint)) return [];
      bounded(project.known, fingerprint, release, maxFingerprints);
      if (entry.fired || observation.at - entry.firstSeen > windowMs) return [];
      entry.newIssues.set(fingerprint, observation.title);
      if (entry.newIssues.size <= limit) return [];
      entry.fired = true;
      return [
        {
          rule: 'regression',
          key: `regression:${projectId}:${release}`,
          status: 'firing',
          project: projectId,
          summary: `Release ${release} brought ${entry.newIssues.size} new ${[...levels].join('/')} issues in project ${projectId}`,
          details: { release, newIssues: [...entry.newIssues.values()].slice(0, 20) },
          at: observation.at,
        },
      ];
    },
  };
}

function bounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next().value as K;
    map.delete(oldest);
  }
}
