import { trimOldest } from '@faultline/contract';
import type { AlertTransition } from './alert-transition.js';
import type { ErrorObservation } from './observations.js';
import { type Touched, touchSubject } from './touch-subject.js';

export interface RegressionOptions {
  /** Fires when a new release has more than this many new issues. @default 5 */
  newIssues?: number;
  /** Levels that count as high severity. @default ['error', 'fatal'] */
  levels?: string[];
  /** A release counts as new for this long after its first event. @default 60 minutes */
  windowMinutes?: number;
  /**
   * Fingerprints remembered (all projects together), releases (all projects together) and
   * projects; the least recently seen go first, so memory is bounded whatever the topic holds.
   * @default 100 000, 10 000, 1 000
   */
  maxFingerprints?: number;
  maxReleases?: number;
  maxProjects?: number;
}

interface Release {
  firstSeen: number;
  newIssues: Map<string, string>;
  fired: boolean;
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
  const maxReleases = options.maxReleases ?? 10_000;
  const maxProjects = options.maxProjects ?? 1_000;
  // Projects that have a baseline release; keys of the maps below start with the project.
  const projects = new Map<string, Touched>();
  const releases = new Map<string, Release>();
  /** `project:fingerprint` -> the release it was first seen in. */
  const known = new Map<string, string>();

  return {
    record(observation) {
      const { release, project: projectId, fingerprint } = observation;
      if (!release || !levels.has(observation.level)) return [];
      const baseline = !projects.has(projectId);
      touchSubject(projects, projectId, () => ({ seen: 0 }), maxProjects);
      const releaseKey = `${projectId}\u0000${release}`;
      let entry = releases.get(releaseKey);
      if (!entry) {
        entry = { firstSeen: observation.at, newIssues: new Map(), fired: baseline };
        bounded(releases, releaseKey, entry, maxReleases);
      }
      const issueKey = `${projectId}:${fingerprint}`;
      if (known.has(issueKey)) return [];
      bounded(known, issueKey, release, maxFingerprints);
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
  trimOldest(map, max);
}
