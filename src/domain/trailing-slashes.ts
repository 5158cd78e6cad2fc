/**
 * `text` without the slashes it ends with, in one pass from the end. Not `text.replace(/\/+$/, "")`: V8 tries that
 * regex from each slash of a run and scans the rest of the run each time, so 16,000 slashes followed by anything
 * else cost ~130 ms of a blocked event loop (test/http/regex-linearity.test.ts).
 */
export function trimTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 47 /* "/" */) end--;
  return text.slice(0, end);
}
