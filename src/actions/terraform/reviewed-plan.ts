import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ArtifactOrigin,
  ArtifactRefused,
  findReviewedArtifact,
  findRunArtifact,
} from '../../github/artifact-origin.js';
import { findStickyComment } from '../../github/comments.js';
import type { GitHubClient, RepoRef } from '../../github/octokit.js';
import { tokenIdentity } from '../../github/token-identity.js';
import { decryptPlan, PlanDecryptionError } from '../../terraform/plan-crypt.js';
import { checkPlanForApply, readPlanRecord, sha256 } from '../../terraform/plan-hash.js';

/** Suffix of the encrypted plan file inside the artifact. */
export const ENCRYPTED_SUFFIX = '.pgp';

export class PlanRefused extends Error {}

export type ArtifactDownloader = (
  artifact: { artifactId: number; runId: number; name: string },
  destination: string,
) => Promise<void>;

export interface ReviewedPlanQuery {
  repo: RepoRef;
  pullRequest: { number: number; headSha: string };
  /** The sticky comment's key (directory + workspace). */
  key: string;
  artifactName: string;
  /** File name of the plan inside the artifact, before encryption. */
  planFileName: string;
  ownRunId: number;
  encryptionKey: string;
}

/**
 * The plan bytes a reviewer saw, or a refusal saying why. Trust comes from two
 * places a pull request cannot write: the comment written by the identity
 * this token acts as (the plan job posts with the same kind of token), read
 * only from its fixed last line; and an artifact whose origin the API vouches
 * for. The bytes must decrypt with the shared key and hash to the record.
 */
export async function fetchReviewedPlan(
  octokit: GitHubClient,
  query: ReviewedPlanQuery,
  download: ArtifactDownloader,
): Promise<Uint8Array> {
  const prefix = `refusing to apply the plan of pull request #${query.pullRequest.number}`;
  if (!query.encryptionKey)
    throw new PlanRefused(
      `${prefix}: no plan-encryption-key was given; the plan artifact is encrypted and only that secret opens it`,
    );
  const author = await tokenIdentity(octokit);
  const comment = await findStickyComment(octokit, query.repo, query.pullRequest.number, query.key, author);
  const record = comment ? readPlanRecord(comment.body) : undefined;
  if (!comment || !record) {
    throw new PlanRefused(
      `${prefix}: no reviewed plan was recorded by ${author} (comments by anyone else are not believed): the pull request has no glidepath plan comment for this directory and workspace`,
    );
  }
  if (record.commit !== query.pullRequest.headSha) {
    const stale = checkPlanForApply(record, { sha256: record.sha256, commit: query.pullRequest.headSha });
    if (!stale.ok) throw new PlanRefused(`${prefix}: ${stale.reason}`);
  }
  let origin: Awaited<ReturnType<typeof findReviewedArtifact>>;
  try {
    origin = await findReviewedArtifact(octokit, {
      repo: query.repo,
      name: query.artifactName,
      headSha: query.pullRequest.headSha,
      ownRunId: query.ownRunId,
    });
  } catch (e: unknown) {
    if (e instanceof ArtifactRefused) throw new PlanRefused(`${prefix}: ${e.message}`);
    throw e;
  }
  const plain = await openArtifact(origin, query, download, prefix);
  const check = checkPlanForApply(record, { sha256: sha256(plain), commit: query.pullRequest.headSha });
  if (!check.ok) throw new PlanRefused(`${prefix}: ${check.reason}`);
  return plain;
}

async function openArtifact(
  origin: ArtifactOrigin,
  query: { planFileName: string; encryptionKey: string },
  download: ArtifactDownloader,
  prefix: string,
): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'glidepath-plan-'));
  await download(origin, dir);
  const wanted = `${query.planFileName}${ENCRYPTED_SUFFIX}`;
  const files = await readdir(dir, { recursive: true });
  const found = files.find((f) => f === wanted || f.endsWith(`/${wanted}`));
  if (!found)
    throw new PlanRefused(
      `${prefix}: the artifact ${origin.name} (run ${origin.runId}) holds no encrypted plan ${wanted}`,
    );
  try {
    return await decryptPlan(await readFile(join(dir, found)), query.encryptionKey);
  } catch (e: unknown) {
    if (e instanceof PlanDecryptionError) throw new PlanRefused(`${prefix}: ${e.message}`);
    throw e;
  }
}

/**
 * The plan an upgrade's plan job uploaded earlier in this same run; the
 * environment's reviewers approved it from that job's summary.
 */
export async function fetchRunPlan(
  octokit: GitHubClient,
  query: {
    repo: RepoRef;
    runId: number;
    artifactName: string;
    planFileName: string;
    encryptionKey: string;
  },
  download: ArtifactDownloader,
): Promise<Uint8Array> {
  const prefix = `refusing to apply the upgrade plan of run ${query.runId}`;
  if (!query.encryptionKey)
    throw new PlanRefused(
      `${prefix}: no plan-encryption-key was given; the plan artifact is encrypted and only that secret opens it`,
    );
  let origin: ArtifactOrigin;
  try {
    origin = await findRunArtifact(octokit, {
      repo: query.repo,
      name: query.artifactName,
      runId: query.runId,
    });
  } catch (e: unknown) {
    if (e instanceof ArtifactRefused) throw new PlanRefused(`${prefix}: ${e.message}`);
    throw e;
  }
  return openArtifact(origin, query, download, prefix);
}
