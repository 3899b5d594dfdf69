import type { Parsed } from '@faultline/contract';
import type { CategoryQuotas } from './project-rate-limits.js';

const CATEGORY = /^[a-z_]{1,40}$/;

/** `error=5000,transaction=20000`: quotas per minute by data category. */
export function parseQuotas(text: string): Parsed<CategoryQuotas> {
  const quotas: Record<string, number> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [category, value] = part.split('=').map((p) => p.trim());
    const quota = Number(value);
    if (!category || !CATEGORY.test(category) || !value || !Number.isInteger(quota) || quota < 0) {
      return {
        ok: false,
        expected: 'category=per-minute pairs separated by commas, e.g. error=5000,transaction=20000',
      };
    }
    quotas[category] = quota;
  }
  return { ok: true, value: quotas };
}

/** `42:error=100,span=1000;43:transaction=10`: quotas of single projects. */
export function parseProjectQuotas(text: string): Parsed<Record<string, CategoryQuotas>> {
  const projects: Record<string, CategoryQuotas> = {};
  const expected = 'project:category=n,... entries separated by semicolons, e.g. 42:error=100;43:span=1000';
  for (const part of text
    .split(';')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const colon = part.indexOf(':');
    const project = part.slice(0, colon).trim();
    if (colon < 0 || !/^\d+$/.test(project)) return { ok: false, expected };
    const quotas = parseQuotas(part.slice(colon + 1));
    if (!quotas.ok) return { ok: false, expected };
    projects[project] = quotas.value;
  }
  return { ok: true, value: projects };
}
