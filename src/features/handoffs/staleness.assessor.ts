import type { StalenessReport, TargetRepository } from 'src/features/handoffs/handoffs.types.js';
import type { RepositoryAnchor } from 'src/features/sessions/sessions.types.js';

// Compares the receiving agent's checkout with the session's anchor, and the
// package with the ledger as it is now, so stale context is flagged rather
// than trusted.
export function assessStaleness(
  anchor: RepositoryAnchor,
  target: TargetRepository | undefined,
  touchedFiles: string[],
  throughSequence: number,
  sessionLastSequence: number,
  sessionKey: string,
): StalenessReport {
  const anchorCommit = anchor.commit ?? null;
  const anchorBranch = anchor.branch ?? null;
  const targetCommit = target?.commit ?? null;
  const targetBranch = target?.branch ?? null;
  const commitMatches = anchorCommit && targetCommit ? sameCommit(anchorCommit, targetCommit) : null;
  const branchMatches = anchorBranch && targetBranch ? anchorBranch === targetBranch : null;
  const checked = commitMatches !== null || branchMatches !== null;
  const touched = new Set(touchedFiles);
  const dirtyTouchedFiles = (target?.dirtyFiles ?? []).map((f) => f.replace(/^\.\//, '')).filter((f) => touched.has(f));
  const newerEntries = Math.max(0, sessionLastSequence - throughSequence);
  const repositoryDiffers = commitMatches === false || branchMatches === false;

  const parts: string[] = [];
  if (!checked) {
    parts.push(
      anchorCommit || anchorBranch
        ? `Not checked against your checkout: pass repository {commit, branch} to compare with the anchor (${describe(anchorCommit, anchorBranch)}).`
        : 'The session recorded no repository anchor, so your checkout cannot be compared; re-read the touched files before relying on code details.',
    );
  } else if (repositoryDiffers) {
    const diffs = [commitMatches === false ? `HEAD ${targetCommit} vs anchor ${anchorCommit}` : '', branchMatches === false ? `branch ${targetBranch} vs anchor ${anchorBranch}` : ''].filter(Boolean);
    parts.push(`Your checkout differs from the session's anchor (${diffs.join('; ')}): treat code details in the package as possibly stale and re-read the ${touchedFiles.length} files the session touched before relying on them.`);
  } else {
    parts.push(`Your checkout matches the session's anchor (${describe(anchorCommit, anchorBranch)}).`);
  }
  if (dirtyTouchedFiles.length > 0) parts.push(`${dirtyTouchedFiles.length} touched files have uncommitted changes in your checkout: ${dirtyTouchedFiles.join(', ')}.`);
  const newerEntriesUri = newerEntries > 0 ? `handoff://sessions/${encodeURIComponent(sessionKey)}/context?afterSequence=${throughSequence}` : null;
  if (newerEntriesUri) parts.push(`The session has ${newerEntries} entries newer than the package (after #${throughSequence}): read ${newerEntriesUri}.`);

  return {
    checked,
    stale: repositoryDiffers || newerEntries > 0,
    anchor: { branch: anchorBranch, commit: anchorCommit },
    target: { branch: targetBranch, commit: targetCommit },
    branchMatches,
    commitMatches,
    touchedFiles,
    dirtyTouchedFiles,
    ledger: { packageThroughSequence: throughSequence, sessionLastSequence, newerEntries, newerEntriesUri },
    message: parts.join(' '),
  };
}

// Short and full ids of one commit match.
function sameCommit(a: string, b: string): boolean {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x.startsWith(y) || y.startsWith(x);
}

function describe(commit: string | null, branch: string | null): string {
  return [commit ? `commit ${commit}` : '', branch ? `branch ${branch}` : ''].filter(Boolean).join(', ');
}
