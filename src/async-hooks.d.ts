/**
 * The part of `node:async_hooks` the D1 guard uses (db/guard.ts). workerd provides the module with the
 * `nodejs_compat` flag; @cloudflare/workers-types does not declare it, and @types/node would declare a
 * whole Node.js this Worker does not run on.
 */
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, callback: () => R): R;
    getStore(): T | undefined;
  }
}
