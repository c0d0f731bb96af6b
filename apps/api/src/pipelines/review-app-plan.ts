import { createHash } from 'node:crypto';
import { APP_NAME_PATTERN, PlatError } from '@plat/core';

/** Longest branch name a review app is made from: git allows more, nobody needs it. */
export const MAX_BRANCH_LENGTH = 200;
/** A review app lives at most this long; the default when no TTL is given. */
export const MAX_REVIEW_TTL_SECONDS = 30 * 86_400;
export const DEFAULT_REVIEW_TTL_SECONDS = 5 * 86_400;
export const MIN_REVIEW_TTL_SECONDS = 60;

/**
 * A branch name as git's check-ref-format allows it, narrowed to what a
 * review app needs: it becomes a ref given to git as one argument, never
 * an option or a revision expression.
 */
export function checkBranch(branch: string): string {
  const bad =
    branch.length === 0 ||
    branch.length > MAX_BRANCH_LENGTH ||
    !/^[A-Za-z0-9._/-]+$/.test(branch) ||
    /^[-/.]|[/.]$|\.\.|\/\/|\/\.|\.lock(\/|$)/.test(branch);
  if (bad)
    throw new PlatError(
      'invalid_params',
      `Invalid branch ${JSON.stringify(branch.slice(0, 60))}: letters, digits and . _ / -, ` +
        `at most ${MAX_BRANCH_LENGTH}, as git names branches.`,
    );
  return branch;
}

/**
 * The review app's name: `<pipeline>-pr-<branch-slug>`, and when that would
 * be too long for an app name (30), cut and made unique again with a hash of
 * the branch, so two long branches never share a review app.
 */
export function reviewAppName(pipeline: string, branch: string): string {
  const slug = branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const full = `${pipeline}-pr-${slug}`;
  if (slug && APP_NAME_PATTERN.test(full)) return full;
  const hash = createHash('sha256').update(branch).digest('hex').slice(0, 6);
  const head = full.slice(0, 30 - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/** When a review app made now expires; the TTL is bounded by the schema, checked again here. */
export function reviewAppExpiry(now: Date, ttlSeconds: number | undefined): Date {
  const ttl = ttlSeconds ?? DEFAULT_REVIEW_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < MIN_REVIEW_TTL_SECONDS || ttl > MAX_REVIEW_TTL_SECONDS)
    throw new PlatError(
      'invalid_params',
      `A review app's TTL is ${MIN_REVIEW_TTL_SECONDS} s to ${MAX_REVIEW_TTL_SECONDS / 86_400} days.`,
    );
  return new Date(now.getTime() + ttl * 1000);
}
