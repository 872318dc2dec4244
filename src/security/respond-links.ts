import { SignedClaims } from './signed-claims.js';

/** What a respond link answers: one input step of one run, on behalf of the run's owner. */
export interface RespondTarget {
  runId: string;
  step: string;
  callerId: string;
}

/**
 * The links a `run.input_required` webhook carries: whoever holds one may answer that one step, with
 * no API key, until the step expires. Single use comes from the run itself (a second answer is
 * input_already_provided). Signed with a key derived from CHAINPORT_SECRET_KEY, so every API instance
 * and worker of a cluster agrees on them.
 */
export class RespondLinks {
  private readonly claims: SignedClaims;

  constructor(
    key: Buffer,
    private readonly publicUrl: string,
  ) {
    this.claims = new SignedClaims(key);
  }

  /** The absolute URL to POST `{"value": ...}` to. The same target and expiry always give the same URL. */
  url(target: RespondTarget, expiresAt: Date): string {
    const token = this.claims.sign([target.runId, target.step, target.callerId], expiresAt);
    return `${this.publicUrl.replace(/\/$/, '')}/api/v1/input/${token}`;
  }

  /** The step a genuine, unexpired token answers; undefined for a wrong, tampered or expired one. */
  verify(token: string, now = Date.now()): RespondTarget | undefined {
    const [runId, step, callerId] = this.claims.open(token, 3, now) ?? [];
    return runId && step && callerId ? { runId, step, callerId } : undefined;
  }
}

/** The key purpose respond links are signed under (SecretBox.deriveKey). */
export const RESPOND_LINK_KEY = 'respond-link';
