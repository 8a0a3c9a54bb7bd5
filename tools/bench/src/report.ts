/** Markdown pieces of benchmarks.md: statistic tables, ratios and verdicts. */
import type { Stat } from './hyperfine';

export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Wall-clock statistics of a hyperfine group; user/sys are CPU time of the command and its children. */
export function statTable(stats: Stat[]): string {
  return table(
    ['measurement', 'median', 'mean ± σ', 'min', 'max', 'user', 'sys', 'runs'],
    stats.map((s) => [s.name, ms(s.medianMs), `${ms(s.meanMs)} ± ${ms(s.stddevMs)}`, ms(s.minMs), ms(s.maxMs), ms(s.userMs), ms(s.systemMs), s.runs]),
  );
}

export function commandList(stats: Stat[]): string {
  return ['```sh', ...stats.map((s) => `# ${s.name}\n${s.command}`), '```'].join('\n');
}

export interface Verdict {
  target: string;
  measured: string;
  limit: string;
  pass: boolean;
  /** Section anchor or short note. */
  where: string;
}

export const passMiss = (pass: boolean) => (pass ? 'PASS' : '**MISS**');

export function verdictTable(verdicts: Verdict[]): string {
  return table(
    ['target', 'measured', 'limit', 'result', 'section'],
    verdicts.map((v) => [v.target, v.measured, v.limit, passMiss(v.pass), v.where]),
  );
}

/** Least-squares line through (x, y) with its coefficient of determination. */
export function linearFit(points: { x: number; y: number }[]): { slope: number; intercept: number; r2: number } {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = my - slope * mx;
  const ssTot = points.reduce((a, p) => a + (p.y - my) ** 2, 0);
  const ssRes = points.reduce((a, p) => a + (p.y - (intercept + slope * p.x)) ** 2, 0);
  return { slope, intercept, r2: ssTot === 0 ? 1 : 1 - ssRes / ssTot };
}
