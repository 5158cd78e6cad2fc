import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | null | undefined;

/**
 * Runs V8's full collection now, so that a bench's own garbage is not collected (and its CPU counted) in the window
 * it measures next; false where it cannot. Node gives `gc` only to a process started with --expose-gc, which
 * `npm run bench` is not: the flag set now defines it in a context made after.
 */
export function collectGarbage(): boolean {
  if (gc === undefined) {
    setFlagsFromString("--expose-gc");
    const found = runInNewContext("gc") as unknown;
    gc = typeof found === "function" ? (found as () => void) : null;
  }
  gc?.();
  return gc !== null;
}
