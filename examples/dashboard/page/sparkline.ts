/** A small SVG line chart of a panel's history: a line and the area under it, newest on the right. */

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 240;
const HEIGHT = 64;
/** Room above the highest point so the line never touches the top edge. */
const HEADROOM = 1.15;

/** The elements of one sparkline; {@link drawSparkline} redraws them. */
export interface Sparkline {
  readonly el: SVGSVGElement;
  readonly line: SVGPolylineElement;
  readonly area: SVGPolygonElement;
}

/** Makes an empty sparkline. */
export function createSparkline(): Sparkline {
  const el = document.createElementNS(SVG, 'svg');
  el.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
  el.setAttribute('preserveAspectRatio', 'none');
  el.setAttribute('class', 'spark');
  el.setAttribute('aria-hidden', 'true');
  const area = el.appendChild(document.createElementNS(SVG, 'polygon'));
  area.setAttribute('class', 'spark-area');
  const line = el.appendChild(document.createElementNS(SVG, 'polyline'));
  line.setAttribute('class', 'spark-line');
  line.setAttribute('vector-effect', 'non-scaling-stroke');
  return { el, line, area };
}

/**
 * Draws `values` (oldest first) with `slots` points across the width, so a short history grows in
 * from the right. The vertical scale is 0..`max`, or 0..the highest value when `max` is undefined.
 */
export function drawSparkline(spark: Sparkline, values: readonly number[], slots: number, max: number | undefined): void {
  const top = Math.max(max ?? Math.max(0, ...values) * HEADROOM, Number.EPSILON);
  const step = WIDTH / Math.max(slots - 1, 1);
  const first = Math.max(slots - values.length, 0);
  const points = values.slice(-slots).map((v, i) => {
    const x = (first + i) * step;
    const y = HEIGHT - (Math.min(Math.max(v, 0), top) / top) * (HEIGHT - 2) - 1;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const line = points.join(' ');
  spark.line.setAttribute('points', line);
  const firstX = (first * step).toFixed(1);
  spark.area.setAttribute('points', points.length === 0 ? '' : `${firstX},${HEIGHT} ${line} ${WIDTH},${HEIGHT}`);
}
