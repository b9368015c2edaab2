/** A clock that only moves when the code under test sleeps. */
export function simulatedTime(start = '2026-03-01T12:00:00Z') {
  let t = Date.parse(start);
  const sleeps: number[] = [];
  return {
    sleeps,
    nowMs: () => t,
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}
