// Child processes started in their own process group (`spawn(..., { detached: true })`). wrangler runs
// workerd as a grandchild: only signalling the whole group stops everything it started.
import { setTimeout as sleep } from "node:timers/promises";

/** Sends `signal` to the child's whole group; false when the group is gone. */
export function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

export const groupAlive = (child) => signalGroup(child, 0);

/** SIGTERM to every group, SIGKILL to what is still there after `graceMs`. */
export async function stopGroups(children, graceMs = 5000) {
  children.forEach((child) => signalGroup(child, "SIGTERM"));
  for (let waited = 0; waited < graceMs && children.some(groupAlive); waited += 100) await sleep(100);
  children.filter(groupAlive).forEach((child) => signalGroup(child, "SIGKILL"));
}
