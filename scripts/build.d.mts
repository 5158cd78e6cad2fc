// Types of scripts/build.mjs (a plain script, so `npm run build` needs no compiler to start), for its tests.
export declare class BuildError extends Error {}
export declare function staleReason(root?: string): string | null;
export declare function withBuildLock<T>(root: string, fn: () => T | Promise<T>): Promise<T>;
export declare function build(root?: string): void;
export declare function ensureBuilt(
  root?: string,
  options?: { build: (root: string) => void | Promise<void> },
): Promise<boolean>;
