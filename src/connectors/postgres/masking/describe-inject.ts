/**
 * The gateway's own Describe of a portal before an Execute, for column masking: column rules
 * mask by the rows' RowDescription, so an Execute of a portal whose description the response
 * stream will not carry is preceded by a Describe the client never sees (the relay keeps its
 * answer from the client, and shows an error it gets as the Execute's).
 */
import type { OutputBatch } from '../protocol/batch.js';
import * as fe from '../protocol/frontend.js';
import type { Pending, Portal } from '../session/pending.js';

export interface DescribeInjectContext {
  /** Messages waiting to be written to the target. */
  toTarget: OutputBatch;
  relay: { expect(pending: Pending): void };
}

export class DescribeInjection {
  readonly #ctx: DescribeInjectContext;
  /**
   * The portal (binding) whose description the masking transform will hold when the response
   * to the next Execute arrives: the last one described or executed, in the order sent; a name
   * for a portal the gateway does not know (a cursor).
   */
  #described: Portal | string | undefined;

  constructor(ctx: DescribeInjectContext) {
    this.#ctx = ctx;
  }

  /** Results other than a described portal's come first (a Query's, a refusal's). */
  reset(): void {
    this.#described = undefined;
  }

  /**
   * The client sent a Describe: of a portal (the binding, or its name when the gateway does not
   * know it), or of a statement (undefined: a statement's description describes no rows).
   */
  clientDescribed(portal: Portal | string | undefined): void {
    this.#described = portal;
  }

  /**
   * Sends the target a Describe of the portal about to be executed unless the transform will
   * hold its description already (the client described it, or it is being resumed after a
   * row limit). The answer is the gateway's (the relay keeps it from the client). A portal the
   * gateway never saw bound (a cursor) is not described: if it does not exist, the client must
   * get the Execute's own error. False when the rows will have no description.
   */
  beforeExecute(name: string, portal: Portal | undefined): boolean {
    const described = this.#described;
    this.#described = portal ?? name;
    if (!portal) return described === name;
    if (described !== portal) {
      this.#ctx.toTarget.add(fe.describePortal(name));
      const sql = portal.statement?.sql;
      this.#ctx.relay.expect({
        kind: 'describe',
        injected: true,
        ...(sql === undefined ? {} : { sql }),
      });
    }
    return true;
  }
}
