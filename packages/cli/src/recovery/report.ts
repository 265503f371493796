/**
 * From a Vitest JSON report to a recovery-conformance verdict: the tests
 * bound to a scenario are those whose full name carries its id as a token
 * (`CR-CORE-001 …` in a describe or test name); the scenario passes when at
 * least one ran and every one that ran passed.
 */
import { relative } from 'node:path';

export interface AdapterVerdict {
  scenario_id: string;
  passed: boolean;
  native_tests: string[];
  diagnostic?: string;
}

interface AssertionResult {
  ancestorTitles?: string[];
  title?: string;
  fullName?: string;
  status?: string;
  failureMessages?: string[];
}

export interface VitestJsonReport {
  testResults?: { name?: string; assertionResults?: AssertionResult[]; message?: string }[];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The pattern that picks a scenario's tests: its id, not as part of a longer id. */
export const scenarioPattern = (id: string): string => `(?<![A-Za-z0-9-])${escapeRegExp(id)}(?![A-Za-z0-9-])`;

/** Scenario ids the report's test names mention (for "did you mean"). */
function knownIds(report: VitestJsonReport): string[] {
  const ids = new Set<string>();
  for (const file of report.testResults ?? []) {
    for (const test of file.assertionResults ?? []) {
      for (const match of nameOf(test).matchAll(/\bCR-[A-Z]+-\d{3}\b/g)) ids.add(match[0]);
    }
  }
  return [...ids].sort();
}

const nameOf = (test: AssertionResult) =>
  test.fullName ?? [...(test.ancestorTitles ?? []), test.title ?? ''].join(' ');

/** Notes on assertions of a scenario that this implementation has no counterpart for. */
const NOTES: Record<string, string> = {
  'CR-DURABLE-007':
    'matching_legacy_record_migrates_without_deleting_collision has no counterpart: this journal never had ' +
    'another naming scheme, so there is no legacy record to migrate (the other two assertions are tested)',
};

export function verdictFrom(id: string, report: VitestJsonReport, root: string): AdapterVerdict {
  const pattern = new RegExp(scenarioPattern(id));
  const ran: { name: string; status: string; failure?: string }[] = [];
  for (const file of report.testResults ?? []) {
    const where = file.name ? relative(root, file.name) : '?';
    for (const test of file.assertionResults ?? []) {
      if (!pattern.test(nameOf(test))) continue;
      if (test.status !== 'passed' && test.status !== 'failed') continue; // skipped, todo: did not run
      const name = `${where} > ${[...(test.ancestorTitles ?? []), test.title ?? ''].join(' > ')}`;
      ran.push({ name, status: test.status, failure: test.failureMessages?.[0]?.split('\n')[0] });
    }
  }
  const native_tests = ran.map((t) => t.name);
  if (ran.length === 0) {
    const known = knownIds(report);
    return {
      scenario_id: id,
      passed: false,
      native_tests,
      diagnostic: `no native test is bound to scenario ${id}${known.length ? ` (bound: ${known.join(', ')})` : ''}`,
    };
  }
  const failed = ran.filter((t) => t.status !== 'passed');
  if (failed.length > 0) {
    return {
      scenario_id: id,
      passed: false,
      native_tests,
      diagnostic: `${failed.length} of ${ran.length} bound tests failed: ${failed
        .map((t) => `${t.name}${t.failure ? ` — ${t.failure}` : ''}`)
        .join('; ')}`,
    };
  }
  const note = NOTES[id];
  return { scenario_id: id, passed: true, native_tests, ...(note ? { diagnostic: note } : {}) };
}
