// Moved to src/simulation/metrics.ts (issue 12). This re-export keeps branches written before the move
// compiling; delete it once nothing imports this path.
export * from '../simulation/metrics.js';
