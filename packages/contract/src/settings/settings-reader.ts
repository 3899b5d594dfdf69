import { readFileSync } from 'node:fs';
import type { ConfigProblem } from './config-error.js';
import type { Parsed } from './parse-setting.js';

/** A setting's text and where it came from (`--brokers`, `FAULTLINE_KAFKA_BROKERS`). */
export interface SettingText {
  value: string;
  source: string;
}

export interface SettingsReader {
  /** Every problem met so far; the caller throws one ConfigError with all of them. */
  readonly problems: ConfigProblem[];
  /** Lines for the log: old variable names still read, and what replaces them. */
  readonly deprecations: string[];
  /**
   * The first of `names` that is set and not blank, in the one precedence every Faultline
   * component follows: a flag (`--name`) before variables, variables in the order given (the most
   * specific first). Explicit options are the caller's and come before all of these.
   */
  text(names: readonly string[]): SettingText | undefined;
  /**
   * A secret: `NAME`, else the content of the file `NAME_FILE` names (trimmed), as Docker and
   * Kubernetes secrets are mounted. Never shown in a problem.
   */
  secret(names: readonly string[]): SettingText | undefined;
  /** `text(names)` parsed; an invalid value is recorded as a problem and read as unset. */
  parse<T>(names: readonly string[], parse: (text: string) => Parsed<T>): T | undefined;
  /** Records a problem for a value the caller checked itself. */
  problem(source: string, value: string, expected: string): void;
  /** Reads `oldName` as `newName` for one release, with a deprecation line. */
  deprecated(oldName: string, newName: string): SettingText | undefined;
}

export interface SettingsSources {
  /** The environment. @default process.env */
  env?: Record<string, string | undefined>;
  /** Parsed command-line flags by name (`brokers`, `kafka-ssl`): they win over variables. */
  flags?: Record<string, string | boolean | undefined>;
  /** Reads `_FILE` secrets. @default fs.readFileSync as UTF-8 */
  readFile?: (path: string) => string;
}

/** Reads settings from flags and variables into one list of problems. */
export function createSettingsReader(sources: SettingsSources = {}): SettingsReader {
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const readFile = sources.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const problems: ConfigProblem[] = [];
  const deprecations: string[] = [];

  const one = (name: string): SettingText | undefined => {
    if (name.startsWith('--')) {
      const flag = flags[name.slice(2)];
      if (flag === true) return { value: 'true', source: name };
      if (typeof flag === 'string' && flag.trim() !== '') return { value: flag.trim(), source: name };
      return undefined;
    }
    const value = env[name];
    return value !== undefined && value.trim() !== '' ? { value: value.trim(), source: name } : undefined;
  };

  const reader: SettingsReader = {
    problems,
    deprecations,
    text(names) {
      for (const name of names) {
        const found = one(name);
        if (found) return found;
      }
      return undefined;
    },
    secret(names) {
      for (const name of names) {
        const found = one(name);
        if (found) return found;
        if (name.startsWith('--')) continue;
        const file = one(`${name}_FILE`);
        if (!file) continue;
        try {
          const value = readFile(file.value).trim();
          if (value !== '') return { value, source: file.source };
          problems.push({
            source: file.source,
            value: JSON.stringify(file.value),
            expected: 'a file that is not empty',
          });
        } catch (error) {
          problems.push({
            source: file.source,
            value: `${JSON.stringify(file.value)} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
            expected: 'the path of a readable file holding the secret',
          });
        }
        return undefined;
      }
      return undefined;
    },
    parse(names, parse) {
      const found = reader.text(names);
      if (!found) return undefined;
      const parsed = parse(found.value);
      if (parsed.ok) return parsed.value;
      problems.push({ source: found.source, value: JSON.stringify(found.value), expected: parsed.expected });
      return undefined;
    },
    problem(source, value, expected) {
      problems.push({ source, value, expected });
    },
    deprecated(oldName, newName) {
      const found = one(oldName);
      if (found)
        deprecations.push(`${oldName} is deprecated and will be removed in the next release: use ${newName}`);
      return found;
    },
  };
  return reader;
}
