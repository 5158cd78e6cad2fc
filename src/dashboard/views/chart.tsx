import { chartBars } from "../chart.js";

/**
 * Reports per day as a small server-drawn SVG bar chart (oldest day first). It has a text name for screen readers, and
 * each bar a <title> with its day's count, so the numbers are there without the picture.
 */
export function ReportsChart(props: { perDay: readonly number[]; width?: number; height?: number; label: string }) {
  const width = props.width ?? 120;
  const height = props.height ?? 24;
  const total = props.perDay.reduce((sum, value) => sum + value, 0);
  const days = props.perDay.length;
  return (
    <svg
      class="chart"
      role="img"
      aria-label={`${props.label}: ${total} report${total === 1 ? "" : "s"} in ${days} day${days === 1 ? "" : "s"}`}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
    >
      {chartBars(props.perDay, width, height).map((bar) => (
        <rect class={bar.value === 0 ? "zero" : undefined} x={bar.x} y={bar.y} width={bar.width} height={bar.height}>
          <title>{`${days - 1 - bar.day === 0 ? "today" : `${days - 1 - bar.day} day${days - 1 - bar.day === 1 ? "" : "s"} ago`}: ${bar.value}`}</title>
        </rect>
      ))}
    </svg>
  );
}
