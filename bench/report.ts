/** The bench's figures: each one beside its baseline from the same run, as a table and as JSON. */
import { PEER_MEASURES, type PeerMeasure, type PeerRow } from './peers/measure.js';

export interface Target {
  /** What the target bounds: the ratio to the baseline, or our own figure. */
  readonly on: 'ratio' | 'ours';
  readonly op: '<=' | '>=';
  readonly value: number;
}

export interface Figure {
  /** Stable key, e.g. `coldStart.floor`. */
  readonly id: string;
  readonly measure: string;
  readonly unit: string;
  readonly ours: number;
  /** What the baseline is, e.g. `floor bundle`. */
  readonly baselineName: string;
  readonly baseline: number;
  /** `ours / baseline`. */
  readonly ratio: number;
  readonly target?: Target;
  /** Whether the target is met; absent when the figure has none. */
  readonly met?: boolean;
}

export function figure(
  id: string,
  measure: string,
  unit: string,
  ours: number,
  baselineName: string,
  baseline: number,
  target?: Target,
): Figure {
  const ratio = ours / baseline;
  if (target === undefined) return { id, measure, unit, ours, baselineName, baseline, ratio };
  const value = target.on === 'ratio' ? ratio : ours;
  const met = target.op === '<=' ? value <= target.value : value >= target.value;
  return { id, measure, unit, ours, baselineName, baseline, ratio, target, met };
}

function show(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  if (unit === 'B') {
    return value >= 1024 ? `${(value / 1024).toFixed(1)} KiB` : `${value.toFixed(0)} B`;
  }
  return `${value.toFixed(digits)} ${unit}`;
}

function showTarget(target: Target | undefined, unit: string): string {
  if (target === undefined) return '';
  const op = target.op === '<=' ? '≤' : '≥';
  return target.on === 'ratio' ? `${op} ${target.value}×` : `${op} ${show(target.value, unit)}`;
}

/** A plain-text table (also valid Markdown), one row per figure. */
export function formatTable(figures: readonly Figure[]): string {
  const header = ['measure', 'ours', 'baseline', 'ratio', 'target', 'met'];
  const rows = figures.map((f) => [
    f.measure,
    show(f.ours, f.unit),
    `${show(f.baseline, f.unit)} (${f.baselineName})`,
    `${f.ratio.toFixed(2)}×`,
    showTarget(f.target, f.unit),
    f.met === undefined ? '' : f.met ? 'yes' : 'NO',
  ]);
  return markdown(header, rows);
}

/**
 * The peers table: one row per measure, one column per variant (the floor first), each figure
 * with its ratio to the floor's.
 */
export function formatPeersTable(peers: readonly PeerRow[]): string {
  const header = ['measure', ...peers.map((p) => p.label)];
  const rows = (Object.keys(PEER_MEASURES) as PeerMeasure[]).map((measure) => {
    const { title, unit } = PEER_MEASURES[measure];
    return [
      title,
      ...peers.map(({ figures }, i) => {
        const { value, ratio } = figures[measure];
        return i === 0 ? show(value, unit) : `${show(value, unit)} ${ratio.toFixed(2)}×`;
      }),
    ];
  });
  return markdown(header, rows);
}

/** Left-aligned first column, the rest right-aligned. */
function markdown(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
