/**
 * Variables in which CI systems and platforms name the commit being built or deployed,
 * in the order they are consulted.
 */
export const COMMIT_VARIABLES = [
  'GITHUB_SHA', // GitHub Actions
  'CI_COMMIT_SHA', // GitLab CI, Woodpecker
  'CIRCLE_SHA1', // CircleCI
  'BUILDKITE_COMMIT', // Buildkite
  'BITBUCKET_COMMIT', // Bitbucket Pipelines
  'TRAVIS_COMMIT', // Travis CI
  'DRONE_COMMIT_SHA', // Drone
  'GIT_COMMIT', // Jenkins
  'SOURCE_VERSION', // Heroku
  'VERCEL_GIT_COMMIT_SHA', // Vercel
  'RENDER_GIT_COMMIT', // Render
  'RAILWAY_GIT_COMMIT_SHA', // Railway
  'CODEBUILD_RESOLVED_SOURCE_VERSION', // AWS CodeBuild
  'COMMIT_SHA', // Google Cloud Build, common Dockerfile ARG
] as const;

/** The commit from the first CI variable that holds a git hash, shortened to 12 characters. */
export function detectCommit(env: Record<string, string | undefined>): string | undefined {
  for (const name of COMMIT_VARIABLES) {
    const value = env[name]?.trim();
    if (value && /^[0-9a-f]{7,64}$/i.test(value)) return value.slice(0, 12).toLowerCase();
  }
  return undefined;
}
