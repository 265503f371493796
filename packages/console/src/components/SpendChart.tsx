/** Cumulative spend over time from the trail's charges, drawn with uPlot. */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { chargedUnits, spendSeries } from '../derive.js';
import { amount } from '../format.js';
import type { AuditRecord } from '../types.js';

function options(unit: string, width: number): uPlot.Options {
  return {
    width,
    height: 180,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { stroke: '#8b95a7' },
      { stroke: '#8b95a7', size: 70, values: (_u, ticks) => ticks.map((v) => amount(unit, v)) },
    ],
    series: [{}, { label: 'spent', stroke: '#4f8cff', width: 2, fill: 'rgba(79,140,255,0.15)' }],
  };
}

export function SpendChart({ records }: { records: AuditRecord[] }) {
  const units = chargedUnits(records);
  const [chosen, setChosen] = useState<string>();
  const unit = chosen && units.includes(chosen) ? chosen : (units[0] ?? 'USD_MICROCENTS');
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data = spendSeries(records, unit);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const chart = new uPlot(options(unit, el.clientWidth || 600), [[], []], el);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: el.clientWidth, height: 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = undefined;
    };
  }, [unit]);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  const total = data[1].at(-1) ?? 0;
  return (
    <div class="chart">
      <h2>
        Spend over time{' '}
        <span class="figure" data-total={total}>
          {amount(unit, total)}
        </span>
        {units.length > 1 && (
          <select value={unit} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
            {units.map((u) => (
              <option key={u}>{u}</option>
            ))}
          </select>
        )}
      </h2>
      <div ref={box} class="plot" />
      {data[0].length === 0 && <p class="empty">Nothing charged yet.</p>}
    </div>
  );
}
