import { parseBoolean, type SettingsReader } from '@faultline/contract';
import { parseKeyList, parseScrubSetting } from './parse-scrub-setting.js';
import type { ScrubOptions } from './scrub-options.js';

/**
 * A service's scrub setting, read through the contract's settings reader: the first of `names`
 * (a flag, then variables) in `FAULTLINE_SCRUB`'s grammar, or a boolean (`on` is the default
 * rules); `FAULTLINE_SCRUB_KEYS` and `FAULTLINE_SCRUB_SAFE_FIELDS` add to it. When none is set,
 * `fallback` applies (`on`: the intake scrubs as Relay's managed mode does; `off`: the forwarder
 * leaves it to the services). `false` is off; problems go to the reader.
 */
export function readScrubSettings(
  settings: SettingsReader,
  names: string[],
  fallback: 'on' | 'off',
): ScrubOptions | false | undefined {
  const found = settings.text(names);
  let text = found?.value ?? fallback;
  const asBoolean = parseBoolean(text);
  if (asBoolean.ok) text = asBoolean.value ? 'default' : 'off';
  const rules = parseScrubSetting(text);
  if (!rules.ok) {
    settings.problem(found?.source ?? (names[0] as string), JSON.stringify(text), rules.expected);
    return undefined;
  }
  if (rules.value.length === 0) return false;
  const keys = (name: string) => {
    const listed = settings.text([name]);
    const parsed = parseKeyList(listed?.value ?? '');
    if (parsed.ok) return parsed.value;
    settings.problem(name, JSON.stringify(listed?.value), parsed.expected);
    return [];
  };
  return {
    rules: rules.value,
    extraKeys: keys('FAULTLINE_SCRUB_KEYS'),
    safeFields: keys('FAULTLINE_SCRUB_SAFE_FIELDS'),
  };
}
