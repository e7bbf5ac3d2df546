import { comparePaths } from 'src/features/codebase/analysis/paths.js';

// The module graph as adjacency lists over file indices: edge i -> j means
// file i imports file j, weighted by how much of j it takes.
export interface WeightedGraph {
  nodes: string[];
  out: { target: number; weight: number }[][];
}

// Strongly connected components with more than one file, or a file that
// imports itself (Tarjan's algorithm, iterative so deep chains cannot
// overflow the stack). Each component is sorted; components by size, then name.
export function findCycles(graph: WeightedGraph): string[][] {
  const n = graph.nodes.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  for (let start = 0; start < n; start++) {
    if (index[start] !== -1) continue;
    const work: [number, number][] = [[start, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1] as [number, number];
      const [v, edge] = frame;
      if (edge === 0 && index[v] === -1) {
        index[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = 1;
      }
      const edges = graph.out[v] ?? [];
      if (edge < edges.length) {
        frame[1]++;
        const w = (edges[edge] as { target: number }).target;
        if (index[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v] as number, index[w] as number);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]] as number, low[v] as number);
      if (low[v] === index[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop() as number;
          onStack[w] = 0;
          component.push(w);
        } while (w !== v);
        const selfLoop = component.length === 1 && edges.some((e) => e.target === v);
        if (component.length > 1 || selfLoop) cycles.push(component.map((i) => graph.nodes[i] as string).sort());
      }
    }
  }
  return cycles.sort((a, b) => b.length - a.length || comparePaths(a[0] as string, b[0] as string));
}

// Weighted PageRank by power iteration, optionally personalised (a handoff
// ranks from the files a session touched, as Aider's repository map ranks
// from the files in the chat). Rank flows from importer to imported file;
// dangling files spread theirs along the personalisation. Hand-written
// rather than a graph library: 30 lines over the adjacency lists we already
// hold, with personalisation and weights, and no conversion of a
// 10k-edge graph into another library's structures on every run.
export function pageRank(graph: WeightedGraph, personalization?: Float64Array, damping = 0.85, tolerance = 1e-6, maxIterations = 100): Float64Array {
  const n = graph.nodes.length;
  if (n === 0) return new Float64Array(0);
  const teleport = personalization ?? new Float64Array(n).fill(1 / n);
  const outWeight = graph.out.map((edges) => edges.reduce((sum, e) => sum + e.weight, 0));
  let rank = Float64Array.from(teleport);
  let next = new Float64Array(n);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let dangling = 0;
    for (let v = 0; v < n; v++) if ((outWeight[v] as number) === 0) dangling += rank[v] as number;
    for (let v = 0; v < n; v++) next[v] = (1 - damping + damping * dangling) * (teleport[v] as number);
    for (let v = 0; v < n; v++) {
      const total = outWeight[v] as number;
      if (total === 0) continue;
      const share = (damping * (rank[v] as number)) / total;
      for (const edge of graph.out[v] as { target: number; weight: number }[]) next[edge.target] = (next[edge.target] as number) + share * edge.weight;
    }
    let delta = 0;
    for (let v = 0; v < n; v++) delta += Math.abs((next[v] as number) - (rank[v] as number));
    [rank, next] = [next, rank];
    if (delta < tolerance) break;
  }
  return rank;
}
