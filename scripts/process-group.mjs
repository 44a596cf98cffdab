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

/**
 * SIGTERM to every group, SIGKILL to what is still there after `graceMs`. Resolves to the children whose
 * group needed SIGKILL (`killed`) and those whose group still exists a second after it (`alive`).
 */
export async function stopGroups(children, graceMs = 5000) {
  children.forEach((child) => signalGroup(child, "SIGTERM"));
  const waitFor = async (ms) => {
    for (let waited = 0; waited < ms && children.some(groupAlive); waited += 100) await sleep(100);
  };
  await waitFor(graceMs);
  const killed = children.filter(groupAlive);
  killed.forEach((child) => signalGroup(child, "SIGKILL"));
  if (killed.length > 0) await waitFor(1000);
  return { killed, alive: children.filter(groupAlive) };
}
